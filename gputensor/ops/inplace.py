"""In-place writes: ``t[idx] = v``, ``copy_``, ``fill_``, ``zero_`` and ``add_``-style methods.

Each writes into the tensor's own storage (so views see it) and bumps the version counter
shared with its views, which autodiff checks before using saved tensors.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from . import tensor_method
from .movement import _index_arrays

__all__ = ["setitem"]


def _value_array(t, value, op: str):
    """``value`` as an array on ``t``'s device, cast to ``t``'s dtype (same-kind casts only)."""
    from ..creation import _to_array
    from ..tensor import Tensor
    from ..backends import get_backend

    if isinstance(value, Tensor):
        if value.device != t.device:
            raise RuntimeError(f"{op}: value is on {value.device} but the tensor is on "
                               f"{t.device}; move it with .to({str(t.device)!r})")
        arr = value._data
    elif type(value) in (int, float, bool):
        kind = {bool: "b", int: "i", float: "f"}[type(value)]
        if "biuf".index(kind) > "biuf".index(t.dtype.kind) and not (
                kind == "i" and t.dtype.kind == "u"):
            raise TypeError(f"{op}: cannot write a Python {type(value).__name__} into a "
                            f"{t.dtype} tensor without losing information; cast first")
        return value
    else:
        arr = _to_array(value, None, get_backend(t.device))
    if not np.can_cast(arr.dtype, t.dtype, "same_kind"):
        raise TypeError(f"{op}: cannot write {arr.dtype} values into a {t.dtype} tensor "
                        "in place; cast the value first")
    return arr


def _check_leaf(t, op: str):
    if t._requires_grad and t._node is None and autograd.is_grad_enabled():
        raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in "
                           "place; wrap the update in gt.no_grad()")


def _bump(t):
    t._version_counter()[0] += 1


def setitem(t, index, value) -> None:
    """``t[index] = value``: writes in place, broadcasting ``value``.

    >>> t = gt.zeros(3); t[1:] = 5; t.tolist()
    [0.0, 5.0, 5.0]
    """
    _check_leaf(t, "setitem")
    arr = _value_array(t, value, "setitem")
    idx = _index_arrays(index, t)
    try:
        t._data[idx] = arr
    except (ValueError, IndexError) as e:
        raise type(e)(f"setitem: {e}") from None
    _bump(t)


@tensor_method("copy_")
def copy_(t, src) -> "Tensor":
    """Copy ``src`` (broadcast, same device) into ``t`` in place; returns ``t``.

    >>> t = gt.zeros(2); t.copy_(gt.ones(2)).tolist()
    [1.0, 1.0]
    """
    _check_leaf(t, "copy_")
    from ..tensor import Tensor

    if isinstance(src, Tensor) and src.device != t.device:
        src = src.to(t.device)  # copy_ is the explicit transfer-into API, as in PyTorch
    arr = src._data if isinstance(src, Tensor) else _value_array(t, src, "copy_")
    try:
        t._data[...] = arr
    except ValueError as e:
        raise ValueError(f"copy_: source of shape {getattr(arr, 'shape', ())} cannot be "
                         f"broadcast to {t.shape}") from e
    _bump(t)
    return t


@tensor_method("fill_")
def fill_(t, value) -> "Tensor":
    """Set every element to ``value`` in place; returns ``t``.

    >>> gt.zeros(2).fill_(3).tolist()
    [3.0, 3.0]
    """
    _check_leaf(t, "fill_")
    if hasattr(value, "item"):
        value = value.item()
    t._data[...] = _value_array(t, value, "fill_")
    _bump(t)
    return t


@tensor_method("zero_")
def zero_(t) -> "Tensor":
    """Set every element to zero in place; returns ``t``.

    >>> gt.ones(2).zero_().tolist()
    [0.0, 0.0]
    """
    return fill_(t, False if t.dtype.kind == "b" else 0)


def update(t, result, op: str) -> "Tensor":
    """Write an op's ``result`` into ``t`` in place (``t += x`` and the ``add_`` family)."""
    _check_leaf(t, op)
    arr = _value_array(t, result, op)
    if getattr(arr, "shape", t.shape) != t.shape:
        raise ValueError(f"{op}: the result has shape {arr.shape} but the tensor being "
                         f"updated in place has shape {t.shape}")
    t._data[...] = arr
    _bump(t)
    return t
