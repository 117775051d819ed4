"""The autodiff engine: grad mode, the graph record each op leaves, and the backward walk.

``ops.apply`` calls ``record`` after every op whose inputs require grad while grad mode is
on: a ``Node`` keeps the op, edges to where each input's gradient goes (an upstream node or
a leaf tensor), and what the op's derivative rule (``OpDef.vjp``) declared it needs
(``OpDef.save``). ``backward`` runs the nodes from the newest back (a heap on their creation
number: every node is newer than the nodes that feed it, so this is a topological order),
without recursion, and calls each rule; rules are written with gputensor ops, so with
``create_graph=True`` the gradients are themselves recorded and can be differentiated again.
Broadcasting is undone here, once, for every op.
"""

from __future__ import annotations

import itertools
from heapq import heappop, heappush

from ..backends import get_backend
from ..creation import as_tensor, zeros
from ..tensor import TENSOR_TYPES as _TT
from ..tensor import Tensor
from .mode import _local

_make = Tensor._make
_SCALARS = (int, float, bool, complex)


class SavedAccessError(RuntimeError):
    """A derivative rule asked for a value its op did not declare in ``OpDef.save``."""


# what ``ctx.inputs`` holds for an input the op did not save: a plain string, because a graph
# holds many and a tuple of untracked objects (strings, numbers) leaves the cycle collector's
# lists, where an instance of a class of ours would keep every saved-tuple tracked
_MISSING = "<not saved: add the input to OpDef.save>"


class Node:
    """One recorded op application (``t.grad_fn``); also what its derivative rule gets as
    ``ctx``: ``ctx.inputs[i]``, ``ctx.out``, ``ctx.attrs``, ``ctx.needs[i]`` (does input i
    need a gradient), ``ctx.shapes[i]``, ``ctx.dtypes[i]``, ``ctx.create_graph``.

    targets[i], idxs[i]: where input i's gradient goes: a node and which of its outputs, a
    leaf tensor and None, or None and None (input needs no gradient); ``edges`` pairs them.
    The targets of the first two inputs are kept in slots ``t0``, ``t1`` (``tn``: the tuple
    of all of them for ops of three or more inputs), not in a tuple: a tuple that holds
    nodes stays tracked by the cycle collector, and two tracked objects per op instead of
    one made it run a full pass over the whole process about twice as often.
    saved: the inputs the op declared in ``OpDef.save`` (``_MISSING`` for the others), with
    saved_versions: each saved tensor's version then (None for other values; None itself
    when no tensor was saved); out_arrays: its outputs' arrays when it saved ``"out"``;
    out_shapes: the output shapes of a node of several outputs (None for one);
    versions: ``(storage counter, version, ...)`` of saved outputs (and a custom Function's
    saved tensors); residuals: what the forward kept for the rule (``ops.opdef.Residuals``),
    or None; retained: {output index: weakref to the tensor} of outputs that
    ``retain_grad()``; hooks: {output index: [hook, ...]} (``Tensor.register_hook``), or
    None.

    Flat tuples of plain values: a graph is many small objects, and every container that
    holds another Python object is one more for the cycle collector's full passes to visit.
    """

    __slots__ = ("op", "attrs", "t0", "t1", "tn", "idxs", "shapes", "dtypes", "saved",
                 "saved_versions", "out_arrays", "versions", "n_out", "out_shapes", "device",
                 "retained", "hooks", "freed", "seq", "create_graph", "function", "residuals",
                 "__weakref__")
    _seq = itertools.count()

    def name(self) -> str:
        return "".join(p.capitalize() for p in self.op.name.split("_")) + "Backward"

    @property
    def targets(self) -> tuple:
        """Per input: the node or leaf tensor its gradient goes to, or None."""
        n = len(self.idxs)
        return (self.t0, self.t1) if n == 2 else (self.t0,) if n == 1 else self.tn

    @property
    def edges(self) -> tuple:
        """Per input: ``(node, output_index)``, ``(leaf_tensor, None)`` or None."""
        return tuple(None if t is None else (t, i) for t, i in zip(self.targets, self.idxs))

    @property
    def next_functions(self) -> tuple:
        """The nodes (or leaf tensors) the gradient flows to next, as in PyTorch."""
        return self.edges

    @property
    def node(self) -> "Node":
        return self

    @property
    def inputs(self):
        """The saved inputs (``_MISSING`` where the op did not declare one)."""
        return self.saved if self.saved is not None else [_MISSING] * len(self.idxs)

    @property
    def out(self):
        """The op's output (a list of them for multi-output ops), linked to this node."""
        if self.out_arrays is None:
            raise SavedAccessError(f"{self.op.name}: the derivative rule uses the output "
                                   "but the op does not list 'out' in OpDef.save")
        outs = []
        for i, arr in enumerate(self.out_arrays):
            t = _make(arr, self.device)
            if self.create_graph:
                t._node, t._out_idx, t._requires_grad = self, i, True
            outs.append(t)
        return outs if self.n_out > 1 else outs[0]

    @property
    def needs(self) -> list:
        n = len(self.idxs)
        if n == 2:
            return [self.t0 is not None, self.t1 is not None]
        return [t is not None for t in self.targets]

    def __repr__(self) -> str:
        return f"<{self.name()}>"


_new = object.__new__
_next_seq = Node._seq.__next__


_NO_ATTRS: dict = {}  # shared, never written


def record(op, inputs, attrs, args, outputs, residuals=None) -> None:
    """Link ``outputs`` of ``op`` to a new Node when an input requires grad (called by apply);
    ``residuals``: what the forward kept for the rule (``ops.opdef.Residuals``)."""
    out = outputs[0]
    if out._data.dtype.kind != "f":
        for o in outputs:
            if o._data.dtype.kind == "f":
                break
        else:
            return  # integer and bool results (argmax, comparisons) carry no gradient
    targets, idxs, shapes, dtypes = [], [], [], []
    for x, a in zip(inputs, args):
        target, idx, shape, dtype = _operand(op, x, a)
        targets.append(target)
        idxs.append(idx)
        shapes.append(shape)
        dtypes.append(dtype)
    targets = tuple(targets)
    node = _link(op, attrs, targets, tuple(idxs), tuple(shapes), tuple(dtypes), outputs,
                 residuals)
    if op.save:
        _save(node, op, inputs, args, outputs, targets)


def record_unary(op, a, x, out, attrs=_NO_ATTRS) -> None:
    """``record`` for the dispatcher's one-operand fast paths (``x``: what the forward got;
    one output): the same Node, without the general loops."""
    if out._data.dtype.kind != "f":
        return
    t, idx = (None, None) if not a._requires_grad else (a, None) if a._node is None else \
        _edge(op, a)  # (a leaf's edge inlined)
    node = _new_node(op, attrs, t, None, (idx,), (x.shape,), (x.dtype,), out)
    if op.save:
        _save(node, op, (a,), (x,), (out,), (t,))


def record_binary(op, a, b, x, y, out) -> None:
    """``record`` for the dispatcher's binary fast paths: operands ``a``, ``b`` (tensors or
    Python scalars; ``x``, ``y`` what the forward got), one output, no attributes. The same
    Node as ``record`` makes, without its general loops, and multiply's "others" saved here:
    this runs once per ``a * b``."""
    if out._data.dtype.kind != "f":
        return
    # ``_operand`` for each operand, written out: the two calls cost ~0.1 us a record
    ta = ia = tb = ib = None
    if type(a) in _TT:
        sa, da = x.shape, x.dtype
        if a._requires_grad:
            if a._node is None:  # a leaf (``_edge`` inlined)
                ta = a
            else:
                ta, ia = _edge(op, a)
    else:
        sa, da = ((), None) if type(x) in _SCALARS else (x.shape, x.dtype)
    if type(b) in _TT:
        sb, db = y.shape, y.dtype
        if b._requires_grad:
            if b._node is None:
                tb = b
            else:
                tb, ib = _edge(op, b)
    else:
        sb, db = ((), None) if type(y) in _SCALARS else (y.shape, y.dtype)
    node = _new_node(op, _NO_ATTRS, ta, tb, (ia, ib), (sa, sb), (da, db), out)
    if op.save:
        if op.save_others and not op.save_out:  # (multiply) each operand for the other's rule
            if tb is None:  # (a needs a gradient: the output requires grad)
                node.saved = (_MISSING, b)
                if type(b) in _TT:
                    node.saved_versions = (None, _version_of(b))
            elif ta is None:
                node.saved = (a, _MISSING)
                if type(a) in _TT:
                    node.saved_versions = (_version_of(a), None)
            else:  # (both need one, so both are tensors)
                node.saved = (a, b)
                node.saved_versions = (_version_of(a), _version_of(b))
        else:
            _save(node, op, (a, b), (x, y), (out,), (ta, tb))


def _version_of(t) -> int:
    """A saved tensor's data version (0 before its storage has a counter)."""
    return t._version[0] if t._version is not None else 0


def _operand(op, t, arr) -> tuple:
    """One input's edge and what backward needs of it: (where its gradient goes: a node,
    a leaf tensor or None; which output of that node; the shape and dtype the op saw)."""
    if type(t) in _TT:
        if not t._requires_grad:  # (only float tensors require grad)
            return None, None, arr.shape, arr.dtype
        return (*_edge(op, t), arr.shape, arr.dtype)
    if type(arr) in _SCALARS:
        return None, None, (), None
    return None, None, arr.shape, arr.dtype


def _edge(op, t) -> tuple:
    """Where the gradient of ``t`` (a tensor that requires grad) goes: ``(t, None)`` for a
    leaf, ``(node, output index)`` otherwise; a view whose base got a new history since is
    taken again first (``refresh_view``)."""
    node = t._node
    if node is None:
        return t, None
    if t._version is not None and t._version[1] != t._hist_version:
        node = refresh_view(op.name, t)
    return node, t._out_idx


def _new_node(op, attrs, t0, t1, idxs, shapes, dtypes, out, outputs=None) -> Node:
    """A new Node (``t0``, ``t1``: the targets of its first two inputs) whose output is
    ``out`` or, given ``outputs`` (several), whose float outputs those are; the tapes that
    record hear of it."""
    node = _new(Node)
    node.op = op
    node.attrs = attrs
    node.t0 = t0
    node.t1 = t1
    node.idxs = idxs
    node.shapes = shapes
    node.dtypes = dtypes
    node.device = out._device
    node.seq = _next_seq()
    node.n_out = 1
    node.versions = ()
    node.tn = node.out_shapes = node.retained = node.hooks = node.function = None
    node.saved = node.saved_versions = node.out_arrays = node.residuals = None
    node.freed = node.create_graph = False
    if outputs is None:
        out._node, out._requires_grad = node, True
        if out._version is not None:  # a view: remember the storage history it saw
            out._hist_version = out._version[1]
    else:
        node.n_out = len(outputs)
        node.out_shapes = tuple(o._data.shape for o in outputs)  # (for _fill)
        for i, o in enumerate(outputs):
            if o._data.dtype.kind == "f":
                o._node, o._out_idx, o._requires_grad = node, i, True
                if o._version is not None:
                    o._hist_version = o._version[1]
    if _local.tapes:
        for tape in _local.tapes:
            tape._record(node)
    return node


def _link(op, attrs, targets, idxs, shapes, dtypes, outputs, residuals) -> Node:
    """A new Node for ``op`` with these edges; the float outputs become its outputs."""
    n = len(targets)
    several = outputs if len(outputs) > 1 else None
    if 0 < n <= 2:
        node = _new_node(op, attrs, targets[0], targets[1] if n == 2 else None, idxs, shapes,
                         dtypes, outputs[0], several)
    else:  # three inputs or more (or none): all targets in ``tn``
        node = _new_node(op, attrs, None, None, idxs, shapes, dtypes, outputs[0], several)
        node.tn = targets
    node.residuals = residuals
    return node


def refresh_view(name: str, x) -> Node:
    """``x`` is a view whose base got a new history (an in-place change recorded after the
    view was taken): take the view again from the base's new history, as PyTorch does, and
    return its node. A tensor sharing memory without a known base cannot be retaken."""
    if x._view_of is None:
        raise RuntimeError(
            f"{name}: an input shares memory with a tensor that was changed in place by a "
            "recorded op after they were linked, and it was not made by a view op, so its "
            "gradient would be wrong: clone() it before the change")
    from ..ops.inplace import retake_view

    retake_view(x)
    return x._node


def _save(node: Node, op, inputs, args, outputs, targets) -> None:
    """Keep what the op's rule declared, with the versions the in-place check compares:
    (storage counter, version) for outputs, each saved input tensor's version (an input
    without a counter yet is at version 0: no counter is made for it)."""
    if op.save_out:
        node.out_arrays = tuple(o._data for o in outputs)
        versions = []
        for o in outputs:
            counter = o._version_counter()
            versions += (counter, counter[0])
        node.versions = tuple(versions)
    which = op.save_inputs
    if which:
        # "others": input i is kept when an input other than i needs a gradient
        needing = -1
        if op.save_others:
            needing = 0
            for t in targets:
                if t is not None:
                    needing += 1
        saved, versions, tensors = [], [], False
        for i, x in enumerate(inputs):
            if (which is not True and i not in which) or needing == (targets[i] is not None):
                saved.append(_MISSING)
                versions.append(None)
            elif type(x) in _TT:
                saved.append(x)
                versions.append(_version_of(x))
                tensors = True
            else:  # a Python scalar, or an array-like operand apply converted
                saved.append(x if type(x) in _SCALARS else _make(args[i], outputs[0]._device))
                versions.append(None)
        node.saved = tuple(saved)
        if tensors:  # (None: no saved tensor whose version backward must check)
            node.saved_versions = tuple(versions)


# -- the backward walk ----------------------------------------------------------------------
def sum_to(g, shape: tuple):
    """Undo broadcasting: sum ``g`` down to ``shape`` (the one place this happens)."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and g.shape[lead + i] != 1)
    out = _ops.sum(g, axis=axes, keepdims=True) if axes else g
    return _ops.reshape(out, shape)


def run_backward(roots, grads, retain_graph: bool = False, create_graph: bool = False,
                 capture=None, accumulate: bool = True, allowed=None) -> dict:
    """The engine. ``roots``: output tensors; ``grads``: their incoming gradients.

    accumulate: add leaf gradients into ``.grad`` (``backward``); capture: tensors whose
    gradient is returned instead (``gt.grad``, tapes), as {id(tensor): gradient};
    allowed: if given, only these nodes are walked (a tape's own records).

    Nodes run in decreasing creation order (a max-heap on ``Node.seq``): a node is created
    after every node that feeds it, so all gradients for a node have arrived when it runs.
    """
    add = _ops.add
    pending: dict = {}     # node -> its gradient (one output) or [gradient per output]
    heap: list = []        # (-seq, node) of the nodes in pending
    leaf_grads: dict = {}  # id(leaf) -> [leaf, gradient]
    captured: dict = {}
    if capture:
        wanted_nodes, wanted_leaves = _wanted(capture)
    else:
        wanted_nodes = wanted_leaves = _NO_CAPTURE
    # the roots' gradients enter as if a rule had returned them for inputs ``roots``
    if len(roots) == 1:
        shared = {id(grads[0])}  # gradients someone else holds: never a leaf's .grad
        t = roots[0]
        targets = (t,) if t._node is None else (t._node,)
        idxs = (None if t._node is None else t._out_idx,)
        shapes, dtypes = (t._data.shape,), (None,)
    else:
        shared = set(map(id, grads))
        targets = [t if t._node is None else t._node for t in roots]
        idxs = [None if t._node is None else t._out_idx for t in roots]
        shapes, dtypes = [t._data.shape for t in roots], [None] * len(roots)
    result = grads
    prev_mode = _local.enabled
    _local.enabled = create_graph
    try:
        while True:
            for target, idx, g, shape, dtype in zip(targets, idxs, result, shapes, dtypes):
                if target is None or g is None:
                    continue
                data = g._data
                if data.shape != shape:
                    g = sum_to(g, shape)
                if idx is None:  # a leaf: its gradient has its dtype (not the promoted one)
                    if data.dtype is not target._data.dtype:
                        g = g.astype(target._data.dtype)
                    slot = leaf_grads.get(id(target))
                    if slot is None:
                        leaf_grads[id(target)] = [target, g]
                    else:
                        slot[1] = add(slot[1], g)
                    continue
                # a node's output: its gradient has the dtype the op computed in
                if data.dtype is not dtype and dtype is not None:
                    g = g.astype(dtype)
                if allowed is not None and target not in allowed:
                    if wanted_nodes and (target, idx) in wanted_nodes:  # outside a tape's
                        t = wanted_nodes[(target, idx)]             # records, but watched
                        prev = captured.get(id(t))
                        captured[id(t)] = g if prev is None else add(prev, g)
                elif target.n_out == 1:
                    prev = pending.get(target)
                    if prev is None:
                        pending[target] = g
                        heappush(heap, (-target.seq, target))
                    else:
                        pending[target] = add(prev, g)
                else:
                    slots = pending.get(target)
                    if slots is None:
                        slots = pending[target] = [None] * target.n_out
                        heappush(heap, (-target.seq, target))
                    slots[idx] = g if slots[idx] is None else add(slots[idx], g)
            if not heap:
                break
            # the next node: check it, then call its derivative rule on its finished
            # output gradient(s)
            node = heappop(heap)[1]
            gs = pending.pop(node)
            node.create_graph = create_graph
            if node.retained is not None or node.hooks is not None or wanted_nodes:
                listed = gs if node.n_out > 1 else [gs]
                _deliver(node, listed, wanted_nodes, captured)
                shared.update(map(id, listed))
                gs = listed if node.n_out > 1 else listed[0]
            if node.saved_versions is not None:  # (the common check, inlined)
                for x, version in zip(node.saved, node.saved_versions):
                    if version is not None and x._version is not None and (
                            x._version[0] != version):
                        _version_error(node, x._version, version)
            if node.versions or node.freed:
                _check_saved(node)
            try:
                result = node.op.vjp(node, gs if node.n_out == 1 else _fill(node, gs))
            except TypeError:
                if node.op.vjp is None:
                    raise RuntimeError(f"'{node.op.name}' has no derivative rule; gradients "
                                       "cannot flow through it") from None
                raise
            idxs = node.idxs
            n = len(idxs)  # Node.targets, inlined: this runs once per node
            targets = (node.t0, node.t1) if n == 2 else (node.t0,) if n == 1 else node.tn
            if result.__class__ is not tuple and result.__class__ is not list:
                result = (result,)
            if len(result) != n:
                raise RuntimeError(f"the derivative rule of '{node.op.name}' returned "
                                   f"{len(result)} gradients for {n} inputs")
            shapes, dtypes = node.shapes, node.dtypes
            if node.function is not None:  # a custom backward may return tensors it keeps
                shared.update(map(id, result))
            if not retain_graph and node.op.save:
                node.saved = node.saved_versions = node.out_arrays = node.function = None
                node.residuals, node.versions, node.freed = None, (), True
        for leaf, g in leaf_grads.values():
            if leaf._hooks:
                g = _run_hooks(leaf._hooks, g)
                shared.add(id(g))  # a hook may return a tensor it keeps
            if wanted_leaves and id(leaf) in wanted_leaves:
                captured[id(leaf)] = g
            elif accumulate:
                _accumulate(leaf, g, shared, create_graph)
    finally:
        _local.enabled = prev_mode
    return captured


_NO_CAPTURE: dict = {}  # shared, never written: no tensors to capture


def _accumulate(t, g, shared: set, create_graph: bool) -> None:
    """Add the gradient ``g`` into ``t.grad``. A first gradient becomes ``.grad`` itself
    unless it is shared (a rule handed it to several inputs, the caller passed it in: ids in
    ``shared``) or a view of other memory: ``.grad`` must be a writable tensor of its own
    (optimizers update it in place), so those are copied (a recorded copy under
    ``create_graph``)."""
    if t._grad is not None:
        t._grad = _ops.add(t._grad, g)
        return
    if id(g) in shared or not _owns_memory(g._data):
        t._grad = _ops.clone(g) if create_graph else _own(g)
    else:
        t._grad = g if create_graph or g._node is None else _make(g._data, g._device)
    shared.add(id(g))


def _wanted(capture) -> tuple:
    """The tensors to capture as ({(node, output index): tensor}, {id(leaf)})."""
    nodes, leaves = {}, set()
    for t in capture:
        if t._node is not None:
            nodes[(t._node, t._out_idx)] = t
        else:
            leaves.add(id(t))
    return nodes, leaves


def _check_saved(node: Node) -> None:
    """Raise if ``node``'s saved values were freed by an earlier backward or its saved
    outputs changed in place since it was recorded (the walk checks saved inputs itself)."""
    if node.freed:
        raise RuntimeError(
            f"trying to backward through the graph a second time ({node.name()}): its saved "
            "tensors were freed by the first backward; pass retain_graph=True to the first "
            "backward() if you need to backward twice")
    pairs = iter(node.versions)
    for counter, version in zip(pairs, pairs):
        if counter[0] != version:
            _version_error(node, counter, version)


def _ones(t):
    """Ones shaped like ``t``: the seed of a scalar backward, built without the creation API."""
    backend = t._device.backend or get_backend(t._device)
    if backend.ctx is None:
        return _make(backend.ones(t._data.shape, t._data.dtype), t._device)
    with backend.ctx:
        return _make(backend.ones(t._data.shape, t._data.dtype), t._device)


def _owns_memory(arr) -> bool:
    """True for an array that owns its memory and may be written (not a view, not read-only)."""
    return arr.base is None and getattr(arr.flags, "writeable", True)


def _own(g):
    """A detached copy of ``g`` with its own memory."""
    return _make(g._data.copy(), g._device)


def _deliver(node, gs: list, wanted_nodes, captured) -> None:
    """A node's finished output gradients ``gs``: run the outputs' hooks (what a hook
    returns replaces the gradient in ``gs``), then hand them to retain_grad tensors (a copy,
    as PyTorch: the gradient itself flows on, and may be a read-only broadcast view) and
    to ``gt.grad``."""
    for i, g in enumerate(gs):
        if g is None:
            continue
        if node.hooks and i in node.hooks:
            g = gs[i] = _run_hooks(node.hooks[i], g)
        t = wanted_nodes.get((node, i))
        if t is not None:
            captured[id(t)] = g
        if node.retained and i in node.retained:
            t = node.retained[i]()
            if t is not None:  # (the gradient flows on: shared)
                _accumulate(t, g, {id(g)}, node.create_graph)


def _run_hooks(hooks: list, g):
    """Call each hook on the gradient in turn; a returned tensor (of the gradient's shape,
    dtype and device) replaces it. ``hooks`` holds a 1-tuple per registration."""
    for (hook,) in tuple(hooks):
        r = hook(g)
        if r is not None:
            if not isinstance(r, Tensor) or r.shape != g.shape:
                got = f"shape {r.shape}" if isinstance(r, Tensor) else type(r).__name__
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned {got}; "
                                   f"a hook returns None or a tensor of the gradient's shape "
                                   f"{g.shape}")
            if r._data.dtype != g._data.dtype or r._device != g._device:
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a "
                                   f"{r.dtype} tensor on {r.device} for a {g.dtype} gradient "
                                   f"on {g.device}; a hook keeps the gradient's dtype and "
                                   "device")
            g = r
    return g


class HookHandle:
    """What ``register_hook`` returns: ``remove()`` takes this registration off again (the
    same function registered twice has two handles)."""

    def __init__(self, hooks: list, entry: tuple):
        self._hooks, self._entry = hooks, entry

    def remove(self) -> None:
        for i, e in enumerate(self._hooks):
            if e is self._entry:
                del self._hooks[i]
                return


def add_hook(t, hook) -> HookHandle:
    """``t.register_hook(hook)``: ``hook(grad)`` runs each time ``t``'s gradient is
    computed, before it flows on (or into a leaf's ``.grad``); a returned tensor replaces
    the gradient. Kept by ``t``'s node (a non-leaf's hooks run even after ``t`` is dropped)."""
    if not t._requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                           "require grad")
    if not callable(hook):
        raise TypeError(f"register_hook: the hook must be callable, got {type(hook).__name__}")
    node = t._node
    if node is None:
        if t._hooks is None:
            t._hooks = []
        hooks = t._hooks
    else:
        if node.hooks is None:
            node.hooks = {}
        hooks = node.hooks.setdefault(t._out_idx, [])
    entry = (hook,)  # one per registration: what the handle removes
    hooks.append(entry)
    return HookHandle(hooks, entry)


def _fill(node, gs) -> list:
    """Zeros for the outputs of a multi-output node that received no gradient."""
    dtype = node_dtype(node)
    return [g if g is not None else zeros(shape, dtype=dtype, device=node.device)
            for g, shape in zip(gs, node.out_shapes)]


def _version_error(node, counter: list, version: int):
    raise RuntimeError(
        f"one of the tensors needed to compute the gradient of '{node.op.name}' was modified "
        f"by an in-place operation (version {counter[0]}, saved at version {version}); use "
        "an out-of-place op or .clone() before changing it")


class _Ops:
    """The ops the engine itself calls (``add``, ``sum``, ``reshape``, ``clone``, ``stack``),
    imported on first use: the ops package imports this module."""

    def __getattr__(self, name: str):
        if name not in ("add", "sum", "reshape", "clone", "stack"):
            raise AttributeError(name)
        from ..ops import elementwise, join, movement, reduce

        self.add, self.sum, self.reshape = elementwise.add, reduce.sum, movement.reshape
        self.clone, self.stack = movement.clone, join.stack
        return getattr(self, name)


_ops = _Ops()


def node_dtype(node: Node):
    return next((d for d in node.dtypes if d is not None and d.kind == "f"), None)


def _seed(output, gradient, fn: str):
    """The gradient that starts a backward from ``output``: ones for a one-element output,
    else ``gradient`` checked against the output's shape."""
    if not output._requires_grad:
        raise RuntimeError(f"{fn}: the output does not require grad and has no grad_fn; "
                           "create leaves with requires_grad=True")
    if gradient is None:
        if output._data.size != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; this "
                               f"output has shape {output.shape}: pass the gradient")
        return _ones(output)
    gradient = as_tensor(gradient, dtype=output.dtype, device=output.device)
    if gradient.shape != output.shape:
        raise RuntimeError(f"{fn}: gradient has shape {gradient.shape} but the output has "
                           f"shape {output.shape}; they must match")
    return gradient


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradients of ``tensors`` (a tensor or a sequence of them, seeded with
    ``grad_tensors``: required for non-scalar ones) into the ``.grad`` of every leaf they
    depend on, or only of ``inputs`` (leaves or not) when given, as ``torch.autograd.backward``.
    ``retain_graph`` defaults to ``create_graph``.

    >>> x = gt.tensor([1., 2.], requires_grad=True); w = gt.tensor(3., requires_grad=True)
    >>> gt.autograd.backward([(x * w).sum(), x.sum()], inputs=[x]); x.grad, w.grad
    (tensor([4., 4.], dtype=float32, device='cpu'), None)
    """
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        given = [grad_tensors] * len(roots) if grad_tensors is None else [grad_tensors]
    else:
        given = list(grad_tensors)
    if not roots or len(given) != len(roots):
        raise ValueError(f"backward: {len(roots)} tensors but {len(given)} grad_tensors; "
                         "pass one gradient (or None) per tensor")
    for t in roots:
        if not isinstance(t, Tensor):
            raise TypeError(f"backward: expected tensors, got {type(t).__name__}")
    seeds = [_seed(t, g, "backward") for t, g in zip(roots, given)]
    keep = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(roots, seeds, keep, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs is empty; pass the tensors whose .grad to fill, "
                           "or None for every leaf")
    for t in inputs:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("backward: every one of inputs must be a tensor that requires "
                               "grad")
    captured = run_backward(roots, seeds, keep, create_graph, capture=inputs,
                            accumulate=False)
    done = set()
    for t in inputs:
        g = captured.get(id(t))
        if g is not None and id(t) not in done:
            done.add(id(t))
            _accumulate(t, g, {id(g)}, create_graph)  # (captured gradients may be shared)


def backward_one(tensor, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
    """``tensor.backward()`` without ``inputs``: ``backward`` for one tensor, without its
    argument handling (it runs once per training step)."""
    keep = create_graph if retain_graph is None else retain_graph
    run_backward([tensor], [_seed(tensor, gradient, "backward")], keep, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` untouched).

    allow_unused: None instead of an error for an input the outputs do not depend on
      (defaults to ``materialize_grads``, which gives zeros there instead).
    is_grads_batched: the first dimension of each of ``grad_outputs`` is a batch of seeds;
      the result has that batch dimension too (one backward per seed).

    >>> x = gt.tensor(3., requires_grad=True)
    >>> gt.grad(x * x, x)
    (tensor(6., dtype=float32, device='cpu'),)
    """
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("grad: materialize_grads=True gives zeros for unused inputs, so "
                         "allow_unused cannot be False with it")
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for t in inputs:
        if not isinstance(t, Tensor) or not t._requires_grad:
            raise RuntimeError("grad: every input must be a tensor that requires grad")
    keep = create_graph if retain_graph is None else retain_graph
    if is_grads_batched:
        lead, result = _batched_grad(outputs, inputs, grad_outputs, keep, create_graph)
    else:
        gs = [_seed(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
        captured = run_backward(outputs, gs, retain_graph=keep, create_graph=create_graph,
                                capture=inputs, accumulate=False)
        lead, result = (), [captured.get(id(t)) for t in inputs]
    for j, t in enumerate(inputs):
        if result[j] is None:
            if not allow_unused:
                raise RuntimeError("grad: one of the inputs was not used to compute the "
                                   "outputs; pass allow_unused=True to get None for it")
            if materialize_grads:
                result[j] = zeros(lead + t.shape, dtype=t.dtype, device=t.device)
    return tuple(result)


def _batched_grad(outputs, inputs, grad_outputs, keep: bool, create_graph: bool) -> tuple:
    """``grad(..., is_grads_batched=True)``: one backward per seed of the batch (the graph
    kept until the last, then as ``keep`` says), each input's gradients stacked along a new
    first dimension (None for an input none of them reaches). Returns (the batch shape, the
    gradients)."""
    n = None
    for o, g in zip(outputs, grad_outputs):
        if not isinstance(g, Tensor) or g.ndim != o.ndim + 1 or (n is not None and g.shape[0]
                                                                  != n):
            raise ValueError("grad: with is_grads_batched=True each of grad_outputs is a "
                             "tensor of the output's shape with one more (batch) dimension "
                             "in front, the same for all")
        n = g.shape[0]
    rows = [grad(outputs, inputs, [g[i] for g in grad_outputs], retain_graph=keep or i < n - 1,
                 create_graph=create_graph, allow_unused=True) for i in range(n)]
    result = []
    for j, t in enumerate(inputs):
        column = [r[j] for r in rows]
        if not n:
            result.append(zeros((0,) + t.shape, dtype=t.dtype, device=t.device))
        elif all(g is None for g in column):
            result.append(None)
        else:
            result.append(_ops.stack([zeros(t.shape, dtype=t.dtype, device=t.device)
                                      if g is None else g for g in column]))
    return (n,), result
