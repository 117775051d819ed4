"""The CPU backend: NumPy arrays."""

from __future__ import annotations

import platform

import numpy as np

from ..device import CPU
from .base import Backend


class NumpyBackend(Backend):
    """Runs every op with NumPy on the host."""

    xp = np
    device = CPU
    name = "numpy"
    scalars_as_arrays = True

    def resolve(self, op):
        """The array-module forward, except where NumPy's own routine is slow for the way
        the engine calls it (``_FASTER``)."""
        impl = _FASTER.get(op.name)
        return impl if impl is not None else super().resolve(op)

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def ones(self, shape: tuple, dtype):
        """``np.ones`` without its Python-level wrapper (0.6 us, most of a scalar's seed)."""
        out = np.empty(shape, dtype=dtype)
        out.fill(1)
        return out

    def to_numpy(self, arr) -> np.ndarray:
        return arr

    def receive(self, arr, src: Backend):
        return src.to_numpy(arr)

    def new_generator(self, seed):
        return np.random.Generator(np.random.PCG64(seed))

    def describe(self) -> dict:
        return {"device": "cpu", "backend": "numpy", "numpy": np.__version__,
                "processor": platform.processor() or platform.machine()}


def _broadcast_to(x: np.ndarray, shape) -> np.ndarray:
    """``np.broadcast_to`` (a read-only view) built directly for a C-contiguous input.

    Every reduction's and broadcast's backward expands a gradient this way, and NumPy's
    routine spends ~1.7 us in Python-level checks; this takes ~0.5 us (a 0-d gradient, the
    common case after a full reduction, has a branch of its own: 0.2 us less than the
    loop). Other inputs, and shapes that do not broadcast (for NumPy's error message), go
    to ``np.broadcast_to``.

    >>> _broadcast_to(np.ones(3), (2, 3)).strides
    (0, 8)
    """
    if shape.__class__ is not tuple:
        shape = tuple(shape)
    lead = len(shape) - x.ndim
    if lead < 0 or not x.flags.c_contiguous:
        return np.broadcast_to(x, shape)
    if x.ndim == 0:
        strides = (0,) * lead
    else:
        strides = [0] * lead
        for n, s, st in zip(shape[lead:], x.shape, x.strides):
            if s == n:
                strides.append(st)
            elif s == 1 and n >= 0:
                strides.append(0)
            else:
                return np.broadcast_to(x, shape)
    try:
        out = _ndarray(shape, x.dtype, x, 0, strides)
    except ValueError:  # a negative size: NumPy's own message
        return np.broadcast_to(x, shape)
    out.setflags(write=False)
    return out


_ndarray = np.ndarray


def _sum(x: np.ndarray, axis=None, keepdims: bool = False):
    """``np.sum`` without its Python-level argument handling (~0.5 us a call): the same
    ``np.add.reduce`` call, with ``np.sum``'s default of every axis.

    >>> _sum(np.ones((2, 3)), axis=(1,)).tolist()
    [3.0, 3.0]
    """
    return _add_reduce(x, axis=axis, keepdims=keepdims)


_add_reduce = np.add.reduce


def _mean(x: np.ndarray, axis=None, keepdims: bool = False):
    """``np.mean``; a mean of no elements is nan without NumPy's "Mean of empty slice"
    warning, as in PyTorch.

    >>> float(_mean(np.zeros((0, 2))))
    nan
    """
    if x.size:
        return _np_mean(x, axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore"):
        return _add_reduce(x, axis=axis, keepdims=keepdims) * np.nan


_np_mean = np.mean
_FASTER = {"broadcast_to": _broadcast_to, "sum": _sum, "mean": _mean}
