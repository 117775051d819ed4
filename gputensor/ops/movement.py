"""Movement ops: copies, views, transfers and indexing. No arithmetic, no kernels.

Rows with ``view=True`` return the array module's view when it gives one; the dispatcher
then shares the base tensor's version counter with the result, so in-place writes through
either are seen by autodiff.
"""

from __future__ import annotations

from . import OpDef, apply, register, tensor_method

__all__ = ["contiguous", "clone", "getitem"]

_CONTIGUOUS = register(OpDef("contiguous", lambda xp, x: xp.ascontiguousarray(x),
                             kind="movement", doc="A row-major copy when needed."))
_CLONE = register(OpDef("clone", lambda xp, x: x.copy(), kind="movement",
                        doc="A copy with its own memory."))
# Device transfers are done by Tensor.to; the row exists for the graph and its derivative.
TO_DEVICE = register(OpDef("to_device", lambda xp, x, device: x, kind="movement",
                           samples=()))


def contiguous(x) -> "Tensor":
    """``x`` if it is row-major contiguous, else a contiguous copy.

    >>> gt.ones(2, 3).T.contiguous().is_contiguous()
    True
    """
    if x.is_contiguous():
        return x
    return apply(_CONTIGUOUS, x)


def clone(x) -> "Tensor":
    """A copy of ``x`` with its own memory.

    >>> gt.clone(gt.ones(2)).tolist()
    [1.0, 1.0]
    """
    return apply(_CLONE, x)


# -- indexing -----------------------------------------------------------------------------
def _index_arrays(index, x):
    """Replace tensors and lists inside an index by arrays of ``x``'s backend."""
    from ..creation import _to_array
    from ..tensor import Tensor
    from ..backends import get_backend

    def conv(i):
        if isinstance(i, Tensor):
            if i.device != x.device:
                raise RuntimeError(f"getitem: index on {i.device} for a tensor on {x.device}")
            if i.dtype.kind not in "biu":
                raise IndexError(f"getitem: tensors used as indices must be integer or bool, "
                                 f"got {i.dtype}")
            return i._data
        if isinstance(i, list):
            arr = _to_array(i, None, get_backend(x.device))
            if arr.dtype.kind not in "biu" and arr.size:
                raise IndexError(f"getitem: index lists must hold ints or bools, got {i!r}")
            return arr.astype("int64") if arr.size == 0 else arr
        if isinstance(i, float):
            raise IndexError(f"getitem: only integers, slices, None, ..., and integer or "
                             f"bool arrays are valid indices, got float {i!r}")
        return i

    if isinstance(index, tuple):
        return tuple(conv(i) for i in index)
    return conv(index)


_GETITEM = register(OpDef("getitem", lambda xp, x, index: x[index], kind="index", view=True,
                          samples=({"index": 0}, {"index": (slice(None, None, -1),)}),
                          doc="NumPy indexing."))


def getitem(x, index) -> "Tensor":
    """``x[index]`` with NumPy's rules; basic slicing returns a view.

    >>> gt.arange(6).reshape(2, 3)[:, ::2].tolist()
    [[0, 2], [3, 5]]
    """
    return apply(_GETITEM, x, index=_index_arrays(index, x))
