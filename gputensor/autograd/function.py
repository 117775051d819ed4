"""Custom differentiable ops: ``gt.autograd.Function`` (PyTorch's ``torch.autograd.Function``).

Subclass it with two static methods and call ``MyFn.apply(*args)``:

>>> class Cube(gt.autograd.Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x ** 3
...     @staticmethod
...     def backward(ctx, g):
...         (x,) = ctx.saved_tensors
...         return g * 3 * x ** 2
>>> x = gt.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward(); x.grad
tensor(12., dtype=float32, device='cpu')

``forward`` runs under ``no_grad``; when an input requires grad the output(s) get one graph
node (an ``OpDef`` made for the class, not registered in the op table) whose derivative rule
calls ``backward``. Written with gputensor ops, ``backward`` is itself recorded under
``create_graph=True``, so custom ops have higher derivatives too; the node is a node like any
other, so ``GradientTape`` records it as well.

What ``backward`` gets and must return: one gradient per output of ``forward`` (zeros for
outputs that received none; None for non-tensor outputs), and one gradient per positional
input of ``forward`` (None where there is none; a single tensor when there is one input).

Saved tensors are version-checked (changing one in place before backward raises) and are
released after a backward without ``retain_graph``. Keep outputs in ``ctx`` only through
``save_for_backward``: an output stored as a plain ctx attribute makes a reference cycle.
"""

from __future__ import annotations

from ..creation import as_tensor
from ..tensor import Tensor
from .engine import record
from .mode import is_grad_enabled, no_grad

_OUT = object()  # marks a saved output, kept as its array so the ctx holds no graph link


class FunctionCtx:
    """The ``ctx`` of a custom Function: ``save_for_backward``, ``saved_tensors``,
    ``needs_input_grad``, ``mark_non_differentiable``, and any attributes you set."""

    def __init__(self):
        self.needs_input_grad: tuple = ()
        self._saved: tuple | None = None
        self._node = None       # set only while backward runs
        self._non_diff: tuple = ()
        self._name = "Function"

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors (inputs, outputs or None) for ``backward``; they are checked for
        in-place changes and released after the backward pass."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} is a "
                                f"{type(t).__name__}; only tensors (or None) can be saved; "
                                "keep other values as ctx attributes")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, in order."""
        if self._saved is None:
            return ()
        out = []
        for s in self._saved:
            if type(s) is tuple and s and s[0] is _OUT:  # an output of forward
                _, i, arr, device = s
                t = Tensor._make(arr, device)
                if self._node is not None and is_grad_enabled():  # create_graph
                    t._node, t._out_idx, t._requires_grad = self._node, i, True
                out.append(t)
            else:
                out.append(s)
        return tuple(out)

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs that get no gradient (indices, masks computed in forward)."""
        self._non_diff = outputs


class Function:
    """Base class of custom differentiable ops; see the module docstring."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function.forward: subclasses define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function.backward: subclasses define backward(ctx, *grads) "
                                  "returning one gradient per input of forward")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when an input requires grad, link the outputs to a graph node
        whose derivative rule is ``backward``."""
        ctx = FunctionCtx()
        ctx._name = cls.__name__
        # as PyTorch: which inputs require grad, also under no_grad (nothing is recorded then)
        needs = tuple(isinstance(a, Tensor) and a._requires_grad and a._data.dtype.kind == "f"
                      for a in args)
        ctx.needs_input_grad = needs
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = isinstance(out, Tensor)
        if single:
            outs = [out]
        elif isinstance(out, (tuple, list)):
            outs = list(out)
        else:
            raise TypeError(f"{cls.__name__}.forward must return a tensor or a tuple of "
                            f"them, got {type(out).__name__}")
        positions = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                if o._node is not None or o._requires_grad or any(o is a for a in args):
                    alias = Tensor._make(o._data, o._device)  # never relink an existing one
                    alias._version = o._version_counter()
                    outs[i] = alias
                positions.append(i)
        if any(needs) and positions and is_grad_enabled():
            tensors = [outs[i] for i in positions]
            record(_opdef(cls), args, {},
                   [a._data if isinstance(a, Tensor) else a for a in args], tensors)
            node = next((t._node for t in tensors if t._node is not None), None)
            if node is not None:
                _attach(ctx, node, tensors, positions, len(outs))
                for o in ctx._non_diff:
                    for t in tensors:
                        if t is o:
                            t._node, t._requires_grad = None, False
        if single:
            return outs[0]
        return tuple(outs) if isinstance(out, tuple) else outs


def _attach(ctx: FunctionCtx, node, tensors: list, positions: list, n_outs: int) -> None:
    """Give the node its ctx; saved outputs become arrays (no ctx -> output -> node cycle);
    every saved tensor's version is remembered for the in-place check."""
    versions = list(node.versions)
    if ctx._saved:
        kept = []
        for s in ctx._saved:
            idx = next((k for k, t in enumerate(tensors) if s is t), None)
            if idx is not None:
                kept.append((_OUT, idx, s._data, s._device))
                counter = s._version_counter()
            elif s is not None:
                kept.append(s)
                counter = s._version_counter()
            else:
                kept.append(None)
                continue
            versions += (counter, counter[0])
        ctx._saved = tuple(kept)
    node.versions = tuple(versions)
    node.function = (ctx, positions, n_outs)


def _opdef(cls):
    """The OpDef of a Function subclass, made once per class (not in the op table)."""
    op = cls.__dict__.get("_gt_opdef")
    if op is None:
        from ..ops.opdef import OpDef

        def fwd(xp, *arrays, **attrs):
            raise RuntimeError(f"{cls.__name__}: a custom Function runs through .apply()")

        op = OpDef(cls.__name__, fwd, kind="custom", arity=None,
                   vjp=lambda ectx, g: _vjp(cls, ectx, g), save=("function",))
        cls._gt_opdef = op
    return op


def _vjp(cls, ectx, g):
    """The derivative rule of a custom Function's node: call ``cls.backward``."""
    node = ectx.node
    ctx, positions, n_outs = node.function
    gs = g if node.n_out > 1 else [g]
    grad_outputs = [None] * n_outs
    for p, gi in zip(positions, gs):
        grad_outputs[p] = gi
    ctx._node = node
    try:
        result = cls.backward(ctx, *grad_outputs)
    finally:
        ctx._node = None
    n_in = len(node.edges)
    if not isinstance(result, (tuple, list)):
        result = (result,)
    if len(result) != n_in and not (len(result) > n_in and
                                    all(r is None for r in result[n_in:])):
        raise RuntimeError(f"{cls.__name__}.backward returned {len(result)} gradient(s) but "
                           f"forward took {n_in} input(s); return one per input (None where "
                           "an input has no gradient)")
    grads = []
    for i, (r, edge, shape) in enumerate(zip(result, node.edges, node.shapes)):
        if edge is None or r is None:
            grads.append(None)
            continue
        if not isinstance(r, Tensor):
            r = as_tensor(r, dtype=node.dtypes[i], device=node.device)
        if r.shape != shape and not _reducible(r.shape, shape):
            raise RuntimeError(f"{cls.__name__}.backward returned a gradient of shape "
                               f"{r.shape} for input {i} of shape {shape}")
        grads.append(r)
    return tuple(grads)


def _reducible(gshape: tuple, shape: tuple) -> bool:
    """Whether a gradient of ``gshape`` sums down to ``shape`` (undoing a broadcast)."""
    if len(gshape) < len(shape):
        return False
    tail = gshape[len(gshape) - len(shape):]
    return all(s == 1 or s == g for s, g in zip(shape, tail))
