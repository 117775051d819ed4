"""In-place writes: ``t[idx] = v``, ``copy_``, ``fill_``, ``zero_`` and the ``add_`` family.

Each writes into the tensor's own storage (so views see it) and bumps the version counter
shared with its views, which autodiff checks before using saved tensors. The ``op_`` methods
compute the out-of-place op and write its result back with ``update``: the result must keep
the tensor's shape (``t.add_(x)`` cannot broadcast ``t`` itself) and be castable to its dtype
without changing kind (``int_t.div_(2)`` and ``int_t += 0.5`` raise ``TypeError``, as in
PyTorch). A leaf tensor that requires grad refuses in-place changes outside ``gt.no_grad()``.
A refused call changes nothing.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from . import elementwise as ew
from . import tensor_method
from .movement import _index_arrays

__all__ = ["setitem"]


def _value_array(t, value, op: str):
    """``value`` as an array on ``t``'s device, cast to ``t``'s dtype (same-kind casts only)."""
    from ..backends import get_backend
    from ..creation import _to_array
    from ..tensor import Tensor

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
        raise TypeError(f"{op}: the result dtype {arr.dtype} cannot be written into the "
                        f"{t.dtype} tensor in place (only casts within a kind are allowed); "
                        f"use the out-of-place op or cast the tensor first")
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
    idx = _index_arrays(index, t, "setitem")
    try:
        t._data[idx] = arr
    except (ValueError, IndexError) as e:
        raise type(e)(f"setitem: {e}") from None
    _bump(t)


@tensor_method("copy_")
def copy_(t, src) -> "Tensor":
    """Copy ``src`` (broadcast; a tensor on another device is transferred) into ``t`` in place;
    returns ``t``.

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
    _check_leaf(t, "zero_")
    return fill_(t, False if t.dtype.kind == "b" else 0)


def update(t, result, op: str) -> "Tensor":
    """Write an op's ``result`` into ``t`` in place (``t += x`` and the ``add_`` family).

    >>> t = gt.ones(2); update(t, t * 3, "mul_").tolist()
    [3.0, 3.0]
    """
    _check_leaf(t, op)
    arr = _value_array(t, result, op)
    if getattr(arr, "shape", t.shape) != t.shape:
        raise ValueError(f"{op}: the result has shape {arr.shape} but the tensor being "
                         f"updated in place has shape {t.shape}; an in-place op cannot "
                         f"broadcast the tensor itself")
    t._data[...] = arr
    _bump(t)
    return t


def _method(name: str, fn):
    """The in-place method ``name`` (``t.exp_()``): ``update(t, fn(t, *args, **kwargs))``."""

    def method(self, *args, **kwargs):
        _check_leaf(self, name)  # before computing: a refused update does nothing
        return update(self, fn(self, *args, **kwargs), name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"In place: ``t = gt.{fn.__name__}(t, ...)`` written into ``t``'s own "
                      f"storage (views see it); returns ``t``.\n\n"
                      f"    >>> t = gt.tensor([4.]); t.{name}(...) is t\n    True\n")
    return tensor_method(name)(method)


_INPLACE = {
    "mul_": ew.multiply,
    "multiply_": ew.multiply, "div_": ew.divide, "divide_": ew.divide,
    "true_divide_": ew.divide, "floor_divide_": ew.floor_divide, "remainder_": ew.remainder,
    "pow_": ew.pow, "neg_": ew.negative, "negative_": ew.negative, "abs_": ew.abs,
    "absolute_": ew.abs, "sign_": ew.sign, "round_": ew.round, "ceil_": ew.ceil,
    "floor_": ew.floor, "trunc_": ew.trunc, "square_": ew.square, "sqrt_": ew.sqrt,
    "rsqrt_": ew.rsqrt, "reciprocal_": ew.reciprocal, "exp_": ew.exp, "exp2_": ew.exp2,
    "expm1_": ew.expm1, "log_": ew.log, "log1p_": ew.log1p, "log2_": ew.log2,
    "log10_": ew.log10, "sin_": ew.sin, "cos_": ew.cos, "tan_": ew.tan, "asin_": ew.arcsin,
    "arcsin_": ew.arcsin, "acos_": ew.arccos, "arccos_": ew.arccos, "atan_": ew.arctan,
    "arctan_": ew.arctan, "atan2_": ew.arctan2, "arctan2_": ew.arctan2, "sinh_": ew.sinh,
    "cosh_": ew.cosh, "tanh_": ew.tanh, "erf_": ew.erf, "erfc_": ew.erfc,
    "sigmoid_": ew.sigmoid, "relu_": ew.relu, "clamp_": ew.clip, "clip_": ew.clip,
    "nan_to_num_": ew.nan_to_num, "eq_": ew.equal, "ne_": ew.not_equal, "lt_": ew.less,
    "le_": ew.less_equal, "gt_": ew.greater, "ge_": ew.greater_equal,
    "logical_and_": ew.logical_and, "logical_or_": ew.logical_or,
    "logical_xor_": ew.logical_xor, "logical_not_": ew.logical_not,
    "bitwise_and_": ew.bitwise_and, "bitwise_or_": ew.bitwise_or,
    "bitwise_xor_": ew.bitwise_xor, "bitwise_not_": ew.bitwise_not,
}
for _name, _fn in _INPLACE.items():
    _method(_name, _fn)


@tensor_method("add_")
def add_(t, other, alpha=1) -> "Tensor":
    """``t += alpha * other`` in place (PyTorch's ``add_``); returns ``t``.

    >>> t = gt.ones(2); t.add_(gt.ones(2), alpha=-0.5).tolist()
    [0.5, 0.5]
    """
    _check_leaf(t, "add_")
    return update(t, ew.add(t, _scaled(other, alpha)), "add_")


@tensor_method("sub_", "subtract_")
def sub_(t, other, alpha=1) -> "Tensor":
    """``t -= alpha * other`` in place (PyTorch's ``sub_``); returns ``t``.

    >>> t = gt.ones(2); t.sub_(gt.ones(2), alpha=2).tolist()
    [-1.0, -1.0]
    """
    _check_leaf(t, "sub_")
    return update(t, ew.subtract(t, _scaled(other, alpha)), "sub_")


def _scaled(other, alpha):
    if alpha == 1:
        return other
    if type(other) in (int, float, bool):
        return other * alpha
    return ew.multiply(other, alpha)
