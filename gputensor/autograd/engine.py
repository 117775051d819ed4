"""The autodiff engine: grad mode, the graph record each op leaves, and the backward walk.

``ops.apply`` calls ``record`` after every op whose inputs require grad while grad mode is
on: a ``Node`` keeps the op, edges to where each input's gradient goes (an upstream node or
a leaf tensor), and what the op's derivative rule (``OpDef.vjp``) declared it needs
(``OpDef.save``). ``backward`` walks the nodes in reverse topological order, without
recursion, and calls each rule; rules are written with gputensor ops, so with
``create_graph=True`` the gradients are themselves recorded and can be differentiated again.
Broadcasting is undone here, once, for every op.
"""

from __future__ import annotations

import itertools

from .mode import _local


class SavedAccessError(RuntimeError):
    """A derivative rule asked for a value its op did not declare in ``OpDef.save``."""


class Node:
    """One recorded op application (``t.grad_fn``).

    edges[i]: where input i's gradient goes: ``(node, output_index)``, ``(leaf_tensor, None)``
    or None (input needs no gradient). saved: what the rule declared it needs.
    """

    __slots__ = ("op", "attrs", "edges", "shapes", "dtypes", "saved", "versions", "n_out",
                 "out_shapes", "device", "retained", "freed", "seq", "__weakref__")
    _seq = itertools.count()

    def __init__(self, op, attrs, edges, shapes, dtypes, n_out, out_shapes):
        self.op, self.attrs, self.edges = op, attrs, edges
        self.shapes, self.dtypes = shapes, dtypes
        self.n_out, self.out_shapes = n_out, out_shapes
        self.saved = None  # {input index or "out": value}, made when the op saves something
        self.versions = ()  # [(storage counter or input tensor, version)], likewise
        self.retained = None
        self.freed = False
        self.seq = next(Node._seq)

    def name(self) -> str:
        return "".join(p.capitalize() for p in self.op.name.split("_")) + "Backward"

    @property
    def next_functions(self) -> tuple:
        """The nodes (or leaf tensors) the gradient flows to next, as in PyTorch."""
        return tuple(e for e in self.edges)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Context:
    """What a derivative rule sees: ``ctx.inputs[i]``, ``ctx.out``, ``ctx.attrs``,
    ``ctx.needs[i]`` (does input i need a gradient), ``ctx.shapes[i]``, ``ctx.dtypes[i]``."""

    __slots__ = ("node", "inputs", "create_graph")

    def __init__(self, node: Node, create_graph: bool):
        self.node, self.create_graph = node, create_graph
        saved = node.saved
        self.inputs = ([saved.get(i, _MISSING) for i in range(len(node.edges))] if saved
                       else [_MISSING] * len(node.edges))

    @property
    def out(self):
        """The op's output (a list of them for multi-output ops), linked to this node."""
        if not self.node.saved or "out" not in self.node.saved:
            raise SavedAccessError(f"{self.node.op.name}: the derivative rule uses the output "
                                   "but the op does not list 'out' in OpDef.save")
        from ..tensor import Tensor

        arrays, device = self.node.saved["out"]
        outs = []
        for i, arr in enumerate(arrays):
            t = Tensor._make(arr, device)
            if self.create_graph:
                t._node, t._out_idx, t._requires_grad = self.node, i, True
            outs.append(t)
        return outs if self.node.n_out > 1 else outs[0]

    @property
    def attrs(self) -> dict:
        return self.node.attrs

    @property
    def needs(self) -> tuple:
        return tuple(e is not None for e in self.node.edges)

    @property
    def shapes(self) -> tuple:
        return self.node.shapes

    @property
    def dtypes(self) -> tuple:
        return self.node.dtypes


class _Missing:
    def __repr__(self):
        return "<not saved: add the input to OpDef.save>"


_MISSING = _Missing()


def record(op, inputs, attrs, args, outputs) -> None:
    """Link ``outputs`` of ``op`` to a new Node when an input requires grad (called by apply)."""
    for o in outputs:
        if o._data.dtype.kind == "f":
            break
    else:
        return  # integer and bool results (argmax, comparisons) carry no gradient
    edges, shapes, dtypes = [], [], []
    for x, a in zip(inputs, args):
        if getattr(x, "_requires_grad", False) and x._data.dtype.kind == "f":
            node = x._node
            if node is not None and x._version is not None and x._version[1] != x._hist_version:
                _stale_error(op, x)
            edges.append((node, x._out_idx) if node is not None else (x, None))
        else:
            edges.append(None)
        if hasattr(a, "shape"):
            shapes.append(a.shape)
            dtypes.append(a.dtype)
        else:
            shapes.append(())
            dtypes.append(None)
    node = Node(op, attrs, tuple(edges), tuple(shapes), tuple(dtypes), len(outputs),
                tuple(o._data.shape for o in outputs))
    node.device = outputs[0]._device
    if op.save:
        _save(node, op.save, inputs, args, outputs)
    for i, out in enumerate(outputs):
        if out._data.dtype.kind == "f":
            out._node, out._out_idx, out._requires_grad = node, i, True
            if out._version is not None:  # a view: remember the storage history it saw
                out._hist_version = out._version[1]
    for tape in _local.tapes:
        tape._record(node)


def _stale_error(op, x):
    raise RuntimeError(
        f"{op.name}: an input is a view whose base was changed in place by a recorded op "
        "after the view was taken; its gradient would be wrong: take the view again after "
        "the in-place change")


def _save(node: Node, save, inputs, args, outputs) -> None:
    """Keep what the op's rule declared, with the versions the in-place check compares:
    (storage counter, version) for outputs, (input tensor, version) for inputs (an input
    without a counter yet is at version 0: no counter is made for it)."""
    from ..tensor import Tensor

    node.saved, node.versions = {}, []
    if "out" in save:
        node.saved["out"] = ([o._data for o in outputs], outputs[0]._device)
        for o in outputs:
            counter = o._version_counter()
            node.versions.append((counter, counter[0]))
    every = "x*" in save
    for i, x in enumerate(inputs):
        if every or f"x{i}" in save:
            if isinstance(x, Tensor):
                node.saved[i] = x
                node.versions.append((x, x._version[0] if x._version is not None else 0))
            elif type(x) in (int, float, bool):
                node.saved[i] = x
            else:
                node.saved[i] = Tensor._make(args[i], outputs[0]._device)


def _changed(holder, version) -> bool:
    counter = holder if type(holder) is list else holder._version
    return (counter[0] if counter is not None else 0) != version


# -- the backward walk ----------------------------------------------------------------------
def _active_tapes():
    return _local.tapes


def sum_to(g, shape: tuple):
    """Undo broadcasting: sum ``g`` down to ``shape`` (the one place this happens)."""
    if g.shape == tuple(shape):
        return g
    from ..ops.movement import reshape
    from ..ops.reduce import sum as gsum

    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    out = gsum(g, axis=axes, keepdims=True) if axes else g
    return reshape(out, shape)


def _topo_order(roots: list) -> list:
    """Nodes reachable from ``roots`` (nodes), each after every node that feeds it a gradient
    (consumers first), found without recursion."""
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.edges))]
        while stack:
            node, it = stack[-1]
            for e in it:
                if e is not None and isinstance(e[0], Node) and e[0] not in seen:
                    seen.add(e[0])
                    stack.append((e[0], iter(e[0].edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(roots, grads, retain_graph: bool = False, create_graph: bool = False,
                 capture=None, accumulate: bool = True, allowed=None) -> dict:
    """The engine. ``roots``: output tensors; ``grads``: their incoming gradients.

    accumulate: add leaf gradients into ``.grad`` (``backward``); capture: tensors whose
    gradient is returned instead (``gt.grad``, tapes), as {id(tensor): gradient};
    allowed: if given, only these nodes are walked (a tape's own records).
    """
    add = _ops().add
    node_grads: dict = {}  # node -> [gradient per output]
    leaf_grads: dict = {}  # id(leaf) -> [leaf, gradient]
    wanted_nodes = {}
    wanted_leaves = set()
    for t in capture or ():
        if t._node is not None:
            wanted_nodes[(t._node, t._out_idx)] = t
        else:
            wanted_leaves.add(id(t))
    captured: dict = {}
    shared = {id(g) for g in grads}  # gradients someone else holds: never a leaf's .grad

    def push(edge, g):
        target, idx = edge
        if idx is None:  # a leaf tensor: its gradient has its dtype (not the promoted one)
            if g._data.dtype != target._data.dtype:
                g = g.astype(target._data.dtype)
            slot = leaf_grads.get(id(target))
            if slot is None:
                leaf_grads[id(target)] = [target, g]
            else:
                slot[1] = add(slot[1], g)
        elif allowed is None or target in allowed:
            slots = node_grads.get(target)
            if slots is None:
                slots = node_grads[target] = [None] * target.n_out
            slots[idx] = g if slots[idx] is None else add(slots[idx], g)
        elif edge in wanted_nodes:  # outside a tape's records, but a watched source
            t = wanted_nodes[edge]
            prev = captured.get(id(t))
            captured[id(t)] = g if prev is None else add(prev, g)

    prev_mode = _local.enabled
    _local.enabled = create_graph
    try:
        roots_nodes = []
        for t, g in zip(roots, grads):
            if t._node is None:
                push((t, None), g)
            else:
                push((t._node, t._out_idx), g)
                roots_nodes.append(t._node)
        for node in _topo_order(roots_nodes):
            gs = node_grads.pop(node, None)
            if gs is None:
                continue
            if wanted_nodes or node.retained:
                _deliver(node, gs, wanted_nodes, captured, add)
                shared.update(id(g) for g in gs)
            if node.freed:
                raise RuntimeError(
                    f"trying to backward through the graph a second time ({node.name()}): its "
                    "saved tensors were freed by the first backward; pass retain_graph=True "
                    "to the first backward() if you need to backward twice")
            for holder, version in node.versions:
                if _changed(holder, version):
                    _version_error(node, holder, version)
            vjp = node.op.vjp
            if vjp is None:
                raise RuntimeError(f"'{node.op.name}' has no derivative rule; gradients cannot "
                                   "flow through it")
            if node.n_out == 1:
                result = vjp(Context(node, create_graph), gs[0])
            else:
                result = vjp(Context(node, create_graph), _fill(node, gs))
            if type(result) is not tuple and type(result) is not list:
                result = (result,)
            if len(result) != len(node.edges):
                raise RuntimeError(f"the derivative rule of '{node.op.name}' returned "
                                   f"{len(result)} gradients for {len(node.edges)} inputs")
            for edge, g, shape, dtype in zip(node.edges, result, node.shapes, node.dtypes):
                if edge is None or g is None:
                    continue
                if g._data.shape != shape:
                    g = sum_to(g, shape)
                if g._data.dtype is not dtype and dtype is not None:
                    g = g.astype(dtype)
                push(edge, g)
            if not retain_graph and node.saved:
                node.saved = None
                node.versions = ()
                node.freed = True
        for leaf, g in leaf_grads.values():
            if id(leaf) in wanted_leaves:
                captured[id(leaf)] = g
            elif accumulate:
                if leaf.grad is None:
                    # .grad must be a tensor of its own, writable (optimizers update it in
                    # place): copy a gradient that is shared (a rule handed it to several
                    # inputs, the caller passed it in) or a view of other memory
                    if create_graph:
                        leaf.grad = g
                    elif id(g) in shared or not _owns_memory(g._data):
                        leaf.grad = _own(g)
                    else:
                        leaf.grad = g.detach()
                    shared.add(id(g))
                else:
                    leaf.grad = add(leaf.grad, g)
    finally:
        _local.enabled = prev_mode
    return captured


def _ones(t):
    """Ones shaped like ``t``: the seed of a scalar backward, built without the creation API."""
    from ..backends import get_backend
    from ..tensor import Tensor

    backend = get_backend(t._device)
    with backend.context():
        return Tensor._make(backend.xp.ones(t._data.shape, dtype=t._data.dtype), t._device)


def _owns_memory(arr) -> bool:
    """True for an array that owns its memory and may be written (not a view, not read-only)."""
    return arr.base is None and getattr(arr.flags, "writeable", True)


def _own(g):
    """A detached copy of ``g`` with its own memory."""
    from ..tensor import Tensor

    return Tensor._make(g._data.copy(), g._device)


def _deliver(node, gs, wanted_nodes, captured, add) -> None:
    """Hand a node's finished output gradients to ``gt.grad`` and to retain_grad tensors."""
    for i, g in enumerate(gs):
        if g is None:
            continue
        t = wanted_nodes.get((node, i))
        if t is not None:
            captured[id(t)] = g
        if node.retained and i in node.retained:
            t = node.retained[i]()
            if t is not None:
                t.grad = g if t.grad is None else add(t.grad, g)


def _fill(node, gs) -> list:
    """Zeros for the outputs of a multi-output node that received no gradient."""
    from ..creation import zeros

    dtype = node_dtype(node)
    return [g if g is not None else zeros(shape, dtype=dtype, device=node.device)
            for g, shape in zip(gs, node.out_shapes)]


def _version_error(node, holder, version):
    counter = holder if type(holder) is list else holder._version
    raise RuntimeError(
        f"one of the tensors needed to compute the gradient of '{node.op.name}' was modified "
        f"by an in-place operation (version {counter[0]}, saved at version {version}); use "
        "an out-of-place op or .clone() before changing it")


_OPS = []


def _ops():
    """The elementwise ops module (imported on first backward: ops import this module)."""
    if not _OPS:
        from ..ops import elementwise

        _OPS.append(elementwise)
    return _OPS[0]


def node_dtype(node: Node):
    return next((d for d in node.dtypes if d is not None and d.kind == "f"), None)


def _seed(output, gradient, fn: str):
    """The gradient that starts a backward from ``output``: ones for a one-element output,
    else ``gradient`` checked against the output's shape."""
    from ..creation import as_tensor

    if not output._requires_grad:
        raise RuntimeError(f"{fn}: the output does not require grad and has no grad_fn; "
                           "create leaves with requires_grad=True")
    if gradient is None:
        if output.numel() != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                               f"output has shape {output.shape}: pass the gradient")
        return _ones(output)
    gradient = as_tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise RuntimeError(f"{fn}: gradient has shape {gradient.shape} but the output has "
                           f"shape {output.shape}; they must match")
    return gradient


def backward(tensor, gradient=None, retain_graph: bool = False, create_graph: bool = False,
             inputs=None) -> None:
    """``tensor.backward(...)``: accumulate d(tensor)/d(leaf) into every leaf's ``.grad``."""
    gradient = _seed(tensor, gradient, "backward")
    run_backward([tensor], [gradient], retain_graph=retain_graph or create_graph,
                 create_graph=create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` untouched).

    >>> x = gt.tensor(3., requires_grad=True)
    >>> gt.grad(x * x, x)
    (tensor(6., dtype=float32, device='cpu'),)
    """
    from ..tensor import Tensor

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    gs = [_seed(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
    for t in inputs:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("grad: every input must be a tensor that requires grad")
    keep = create_graph if retain_graph is None else retain_graph
    captured = run_backward(outputs, gs, retain_graph=keep, create_graph=create_graph,
                            capture=inputs, accumulate=False)
    result = []
    for t in inputs:
        g = captured.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError("grad: one of the inputs was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        result.append(g)
    return tuple(result)
