"""Random numbers: one seeded stream per device, plus explicit ``Generator`` objects.

``gt.manual_seed(n)`` (= ``gt.random.set_seed(n)``) reseeds every device's default stream;
the same seed on the same device gives the same numbers in every run and process.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from . import dtypes as dt
from .backends import get_backend
from .creation import _finish, _shape
from .device import Device, device as as_device

_DEFAULT_SEED = 0x9E3779B9


class Generator:
    """An explicit random stream for one device (PyTorch's ``torch.Generator``).

    >>> g = gt.Generator().manual_seed(1); gt.rand(2, generator=g).shape
    (2,)
    """

    def __init__(self, device=None, seed: int | None = None):
        self.device = as_device(device) if device is not None else as_device("cpu")
        self._seed = _DEFAULT_SEED if seed is None else _check_seed(seed)
        self._rng = None

    def manual_seed(self, seed: int) -> "Generator":
        """Restart the stream from ``seed`` (an int in [0, 2**64)); returns self."""
        self._seed = _check_seed(seed)
        self._rng = None
        return self

    def __repr__(self) -> str:
        return f"Generator(device='{self.device}', seed={self._seed})"

    def initial_seed(self) -> int:
        """The seed this stream started from."""
        return self._seed

    @property
    def rng(self):
        """The backend's generator object, created on first draw."""
        if self._rng is None:
            self._rng = get_backend(self.device).new_generator(self._seed)
        return self._rng


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}")
    seed = operator.index(seed)
    if not 0 <= seed < 2**64:
        raise ValueError(f"manual_seed: seed must be in [0, 2**64), got {seed}")
    return seed


_defaults: dict[Device, Generator] = {}
_seed = [_DEFAULT_SEED]


def default_generator(device: Device) -> Generator:
    """The process-wide stream of ``device``."""
    g = _defaults.get(device)
    if g is None:
        g = _defaults[device] = Generator(device, _seed[0])
    return g


def manual_seed(seed: int) -> None:
    """Reseed the default stream of every device.

    >>> gt.manual_seed(0); a = gt.rand(3).tolist(); gt.manual_seed(0); a == gt.rand(3).tolist()
    True
    """
    seed = _check_seed(seed)
    _seed[0] = seed
    for g in _defaults.values():
        g.manual_seed(seed)


set_seed = manual_seed  # TensorFlow's tf.random.set_seed


def _stream(generator: Generator | None, device) -> tuple[Generator, Device]:
    dev = as_device(device) if device is not None else (
        generator.device if generator is not None else as_device(None))
    if generator is None:
        return default_generator(dev), dev
    if generator.device != dev:
        raise RuntimeError(f"random: generator is for {generator.device} but the tensor is "
                           f"requested on {dev}")
    return generator, dev


def _float_dtype(dtype, fn: str):
    d = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    if d.kind != "f":
        raise TypeError(f"{fn}: dtype must be a float dtype, got {d}")
    return d


def _draw(fn: str, kind: str, shape, dtype, device, generator, requires_grad,
          low=0.0, high=1.0, mean=0.0, std=1.0):
    """Uniform samples in [low, high) or normal ones with mean/std, drawn in float32 (float64
    for float64) and then cast; uniform ones are kept below ``high`` after rounding."""
    shape = _shape(shape, fn)
    dtype = _float_dtype(dtype, fn)
    g, dev = _stream(generator, device)
    backend = get_backend(dev)
    xp = backend.xp
    draw_dtype = dt.float64 if dtype == dt.float64 else dt.float32  # no float16 sampler
    with backend.context():
        if kind == "uniform":
            arr = g.rng.random(shape, dtype=draw_dtype)
            if dtype == dt.float16:
                # a grid of 2**-11 steps, each exact in float16: rounding can't reach 1
                arr = xp.floor(arr * 2048) * (1 / 2048)
            if (low, high) != (0.0, 1.0):
                arr = arr * (high - low) + low
            arr = arr.astype(dtype, copy=False)
            # rounding (low + (high - low) * u, or the cast) can land on ``high`` itself
            below = np.nextafter(np.array(high, dtype), np.array(-np.inf, dtype))
            arr = xp.minimum(arr, below.item(), out=arr) if arr.size else arr
        else:
            arr = g.rng.standard_normal(shape, dtype=draw_dtype)
            if (mean, std) != (0.0, 1.0):
                arr = arr * std + mean
            arr = arr.astype(dtype, copy=False)
    return _finish(arr, dev, requires_grad)


def rand(*size, dtype=None, device=None, generator: Generator | None = None,
         requires_grad: bool = False):
    """Uniform samples in [0, 1).

    >>> gt.manual_seed(0); gt.rand(2, 3).shape
    (2, 3)
    """
    return _draw("rand", "uniform", size, dtype, device, generator, requires_grad)


def randn(*size, dtype=None, device=None, generator: Generator | None = None,
          requires_grad: bool = False):
    """Standard normal samples.

    >>> gt.randn(4).shape
    (4,)
    """
    return _draw("randn", "normal", size, dtype, device, generator, requires_grad)


def randint(low: int, high: int | None = None, size=None, *, dtype=None, device=None,
            generator: Generator | None = None):
    """Integers in ``[low, high)``; ``randint(high, size)`` starts at 0, as in PyTorch.

    >>> gt.randint(0, 10, (3,)).dtype
    dtype('int64')
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: missing the size argument, e.g. randint(0, 10, (3,))")
    if high is None:
        low, high = 0, low
    for v, what in ((low, "low"), (high, "high")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint: {what} must be an int, got {type(v).__name__} {v!r}")
    low, high = int(low), int(high)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = dt.DEFAULT_INT if dtype is None else dt.as_dtype(dtype, "randint")
    if dtype.kind != "f":
        lo, hi = (0, 1) if dtype.kind == "b" else (np.iinfo(dtype).min, np.iinfo(dtype).max)
        if low < lo or high - 1 > hi:
            raise ValueError(f"randint: [{low}, {high}) does not fit dtype {dtype} "
                             f"[{lo}, {hi}]")
    if not (np.iinfo(np.int64).min <= low and high - 1 <= np.iinfo(np.int64).max):
        raise ValueError(f"randint: [{low}, {high}) does not fit int64")
    g, dev = _stream(generator, device)
    with get_backend(dev).context():
        arr = g.rng.integers(low, high, size=_shape((size,), "randint"), dtype=dt.int64)
        arr = arr.astype(dtype, copy=False)
    return _finish(arr, dev, False)


def _number(v, what: str, fn: str) -> float:
    """A Python float from a number or a one-element tensor."""
    if hasattr(v, "item") and not isinstance(v, (int, float)):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {what} must be a number, got {type(v).__name__} {v!r}")
    return float(v)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed: int | None = None, name=None, *,
            device=None):
    """TensorFlow's ``tf.random.uniform``: samples in [minval, maxval) (``maxval=None`` means
    1). ``seed`` gives a fresh stream of its own (the same numbers on every call); without
    it the device's default stream is used. ``name`` is accepted for TensorFlow code.

    >>> gt.random.uniform((2,), minval=-1, maxval=1).shape
    (2,)
    """
    maxval = 1.0 if maxval is None else maxval
    minval, maxval = _number(minval, "minval", "uniform"), _number(maxval, "maxval", "uniform")
    if not (math.isfinite(minval) and math.isfinite(maxval)):
        raise ValueError(f"uniform: minval and maxval must be finite, got {minval}, {maxval}")
    if maxval <= minval:
        raise ValueError(f"uniform: maxval ({maxval}) must be greater than minval ({minval})")
    g = Generator(as_device(device), seed) if seed is not None else None
    return _draw("uniform", "uniform", (shape,), dtype, device, g, False, low=float(minval),
                 high=float(maxval))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed: int | None = None, name=None, *,
           device=None):
    """TensorFlow's ``tf.random.normal``: Gaussian samples with ``mean`` and ``stddev``;
    ``seed`` and ``name`` as in ``uniform``.

    >>> gt.random.normal((3,), mean=5., stddev=0.1).shape
    (3,)
    """
    mean, stddev = _number(mean, "mean", "normal"), _number(stddev, "stddev", "normal")
    if not (math.isfinite(mean) and math.isfinite(stddev)):
        raise ValueError(f"normal: mean and stddev must be finite, got {mean}, {stddev}")
    if stddev < 0:
        raise ValueError(f"normal: stddev must be non-negative, got {stddev}")
    g = Generator(as_device(device), seed) if seed is not None else None
    return _draw("normal", "normal", (shape,), dtype, device, g, False, mean=float(mean),
                 std=float(stddev))
