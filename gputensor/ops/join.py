"""Joining and splitting: ``concat``/``cat``, ``stack``, ``unstack``/``unbind``, ``split``,
``chunk``.

``concat`` and ``stack`` are variadic rows (``arity=None``): the tensors are the inputs, so the
dispatcher promotes their dtypes together. ``unstack``, ``split`` and ``chunk`` return lists of
views of their input (one row each for ``unstack`` and ``split``; ``chunk`` computes sizes
and uses ``split``).

The derivative rules undo each other: ``concat``'s gradient is ``split`` back into the inputs'
sizes, ``stack``'s is ``unstack``; ``split``/``unstack`` get one gradient per output (zeros for
outputs nothing used) and ``concat``/``stack`` them back.
"""

from __future__ import annotations

from typing import Sequence

from ..creation import as_tensor
from ..tensor import Tensor
from . import OpDef, apply, register, tensor_method
from .movement import _axis, _ints, _is_int, _pick, _tensor

__all__ = ["concat", "cat", "concatenate", "stack", "unstack", "unbind", "split", "chunk"]


def _tensors(op: str, tensors) -> list:
    """The sequence argument of concat/stack as a non-empty list of tensors on one device."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{op}: expected a sequence of tensors, got a single tensor; pass a "
                        "list such as [a, b]")
    try:
        items = list(tensors)
    except TypeError:
        raise TypeError(f"{op}: expected a sequence of tensors, got "
                        f"{type(tensors).__name__}") from None
    if not items:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors, got an empty one")
    first = next((t for t in items if isinstance(t, Tensor)), None)
    if first is None:
        return [_tensor(t) for t in items]
    return [t if isinstance(t, Tensor) else as_tensor(t, device=first.device) for t in items]


# -- derivative rules: each join is undone by its split, and each split by its join ----------
def _concat_vjp(ctx, g):
    axis = ctx.attrs["axis"]
    return tuple(apply(_SPLIT, g, sizes=tuple(s[axis] for s in ctx.shapes), axis=axis))


def _stack_vjp(ctx, g):
    return tuple(apply(_UNSTACK, g, axis=ctx.attrs["axis"]))


def _per_output(gs) -> list:
    """The gradients of a multi-output row: one per output, zeros where none flowed (the
    engine passes a lone Tensor when the split made just one piece)."""
    return gs if isinstance(gs, list) else [gs]


def _unstack_vjp(ctx, gs):
    return apply(_STACK, *_per_output(gs), axis=ctx.attrs["axis"])


def _split_vjp(ctx, gs):
    return apply(_CONCAT, *_per_output(gs), axis=ctx.attrs["axis"])


# -- concat ------------------------------------------------------------------------------------
_CONCAT = register(OpDef(
    "concat", lambda xp, *xs, axis=0: xp.concatenate(xs, axis=axis), kind="join", arity=None,
    vjp=_concat_vjp,
    samples=({"axis": 0, "shapes": [[(2, 3), (4, 3)], [(1,), (0,), (3,)], [(2,)]]},
             {"axis": -1, "shapes": [[(2, 3), (2, 1), (2, 2)], [(2, 0, 3), (2, 0, 1)]]}),
    doc="Join tensors along an existing axis."))


def concat(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> "Tensor":
    """The tensors joined along an existing ``axis`` (default 0, negative counts from the end);
    their sizes must agree off that axis. dtypes promote as in arithmetic. ``cat`` and
    ``concatenate`` are the same function.

    >>> gt.concat([gt.zeros(2, 3), gt.ones(1, 3)]).shape
    (3, 3)
    """
    ts = _tensors("concat", tensors)
    axis = _pick("concat", axis if dim is None else None, dim)
    first = ts[0].shape
    if not first:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated; use stack")
    ax = _axis("concat", axis, len(first))
    for k, t in enumerate(ts[1:], 1):
        if t.ndim != len(first):
            raise ValueError(f"concat: tensor {k} has {t.ndim} dimension(s) (shape {t.shape}) "
                             f"but tensor 0 has {len(first)} (shape {first}); they must match")
        for a, (n, m) in enumerate(zip(first, t.shape)):
            if a != ax and n != m:
                raise ValueError(f"concat: sizes must match except along axis {ax}, but axis "
                                 f"{a} has size {n} in tensor 0 (shape {first}) and {m} in "
                                 f"tensor {k} (shape {t.shape})")
    return apply(_CONCAT, *ts, axis=ax)


cat = concatenate = concat


# -- stack -------------------------------------------------------------------------------------
_STACK = register(OpDef(
    "stack", lambda xp, *xs, axis=0: xp.stack(xs, axis=axis), kind="join", arity=None,
    vjp=_stack_vjp,
    samples=({"axis": 0, "shapes": [[(2, 3), (2, 3)], [(), (), ()], [(0,), (0,)]]},
             {"axis": -1, "shapes": [[(2, 3), (2, 3), (2, 3)]]}),
    doc="Join equal-shaped tensors along a new axis."))


def stack(tensors: Sequence, axis: int = 0, *, dim: int | None = None) -> "Tensor":
    """The tensors (all of one shape) joined along a new ``axis`` of the result (``-1``: last).

    >>> gt.stack([gt.zeros(2), gt.ones(2)], axis=-1).shape
    (2, 2)
    """
    ts = _tensors("stack", tensors)
    axis = _pick("stack", axis if dim is None else None, dim)
    first = ts[0].shape
    ax = _axis("stack", axis, len(first) + 1)
    for k, t in enumerate(ts[1:], 1):
        if t.shape != first:
            raise ValueError(f"stack: all tensors must have the same shape, but tensor 0 has "
                             f"shape {first} and tensor {k} has shape {t.shape}")
    return apply(_STACK, *ts, axis=ax)


# -- unstack -----------------------------------------------------------------------------------
def _unstack(xp, x, axis=0):
    axis %= x.ndim
    head = (slice(None),) * axis
    return tuple(x[head + (i,)] for i in range(x.shape[axis]))


_UNSTACK = register(OpDef(
    "unstack", _unstack, kind="join", view=True, vjp=_unstack_vjp,
    samples=({"axis": 0, "shapes": [[(3,)], [(3, 4)], [(0, 2)]]},
             {"axis": -1, "shapes": [[(2, 3, 4)]]}),
    doc="Split along an axis into a list of tensors without it (inverse of stack)."))


@tensor_method("unbind")
def unstack(x, axis: int = 0, *, dim: int | None = None) -> list:
    """TensorFlow's ``unstack`` (PyTorch's ``unbind``): the slices of ``x`` along ``axis``, as
    a list of views with that axis removed. ``stack(unstack(x, a), a)`` equals ``x``.

    >>> [t.tolist() for t in gt.unstack(gt.tensor([[1, 2], [3, 4]]), axis=1)]
    [[1, 3], [2, 4]]
    """
    x = _tensor(x)
    axis = _pick("unstack", axis if dim is None else None, dim)
    if x.ndim == 0:
        raise ValueError("unstack: cannot unstack a 0-d tensor; it has no axis")
    return apply(_UNSTACK, x, axis=_axis("unstack", axis, x.ndim))


unbind = unstack


# -- split, chunk ------------------------------------------------------------------------------
def _split(xp, x, sizes, axis=0):
    axis %= x.ndim
    head = (slice(None),) * axis
    out, start = [], 0
    for n in sizes:
        out.append(x[head + (slice(start, start + n),)])
        start += n
    return tuple(out)


_SPLIT = register(OpDef(
    "split", _split, kind="join", view=True, vjp=_split_vjp,
    samples=({"sizes": (1, 2, 3), "axis": 0, "shapes": [[(6,)], [(6, 2)]]},
             {"sizes": (2, 0, 2), "axis": -1, "shapes": [[(3, 4)]]},
             {"sizes": (0, 0), "axis": 0, "shapes": [[(0, 3)]]}),
    doc="Split along an axis into pieces of given sizes."))


@tensor_method("split")
def split(x, num_or_size_splits, axis: int = 0, *, dim: int | None = None) -> list:
    """``x`` cut along ``axis`` into a list of views: an int ``n`` gives ``n`` equal pieces (it
    must divide the axis length), a list gives pieces of those SIZES (they must sum to the axis
    length; one may be ``-1``, inferred), as TensorFlow's ``split``. Note: PyTorch's
    ``split(int)`` means a piece size; use ``chunk`` for that behaviour.

    >>> [t.shape for t in gt.split(gt.zeros(6, 2), [1, 5])]
    [(1, 2), (5, 2)]
    """
    x = _tensor(x)
    axis = _pick("split", axis if dim is None else None, dim)
    if x.ndim == 0:
        raise ValueError("split: cannot split a 0-d tensor; it has no axis")
    ax = _axis("split", axis, x.ndim)
    length = x.shape[ax]
    if _is_int(num_or_size_splits):
        n = int(num_or_size_splits)
        if n <= 0:
            raise ValueError(f"split: the number of pieces must be positive, got {n}")
        if length % n:
            raise ValueError(f"split: cannot split axis {ax} of size {length} into {n} equal "
                             f"pieces; pass a list of sizes that sum to {length} instead")
        sizes = (length // n,) * n
    else:
        sizes = _ints("split", "sizes", num_or_size_splits)
        free = [i for i, s in enumerate(sizes) if s == -1]
        if len(free) > 1 or any(s < -1 for s in sizes):
            raise ValueError(f"split: sizes must be >= 0 with at most one -1, got {list(sizes)}")
        known = sum(s for s in sizes if s != -1)
        if free and known <= length:
            sizes = sizes[:free[0]] + (length - known,) + sizes[free[0] + 1:]
        elif sum(sizes) != length:
            raise ValueError(f"split: sizes {list(sizes)} sum to {known} but axis {ax} has size "
                             f"{length}; they must sum to the axis length")
    return apply(_SPLIT, x, sizes=sizes, axis=ax)


@tensor_method("chunk")
def chunk(x, chunks: int, dim: int = 0, *, axis: int | None = None) -> list:
    """PyTorch's ``chunk``: ``x`` cut along ``dim`` into ``chunks`` pieces of size
    ``ceil(length / chunks)``, the last possibly smaller (so there may be fewer pieces).

    >>> [t.shape for t in gt.chunk(gt.zeros(5), 3)]
    [(2,), (2,), (1,)]
    """
    x = _tensor(x)
    dim = _pick("chunk", dim if axis is None else None, axis, "dim and axis")
    n = int(chunks)
    if n <= 0:
        raise ValueError(f"chunk: the number of chunks must be positive, got {chunks}")
    if x.ndim == 0:
        raise ValueError("chunk: cannot chunk a 0-d tensor; it has no axis")
    ax = _axis("chunk", dim, x.ndim)
    length = x.shape[ax]
    if length == 0:
        sizes = (0,) * n
    else:
        size = -(-length // n)
        sizes = (size,) * (length // size) + ((length % size,) if length % size else ())
    return apply(_SPLIT, x, sizes=sizes, axis=ax)
