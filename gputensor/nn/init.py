"""Weight initializers (PyTorch's ``torch.nn.init``; ``glorot_*`` are Keras's names).

Each ``name_(tensor, ...)`` fills ``tensor`` in place, without recording a gradient, and
returns it. Random ones draw from gputensor's seeded streams (the default stream of the
tensor's device, or ``generator=``), so ``gt.manual_seed(n)`` makes them reproducible. The
bounds, with ``fan_in``/``fan_out`` from ``calculate_fan_in_and_fan_out``:

* ``uniform_(t, a, b)``: U[a, b]; ``normal_(t, mean, std)``.
* ``kaiming_uniform_(t, a=0, mode='fan_in', nonlinearity='leaky_relu')`` (He): U[-bound,
  bound] with ``bound = gain * sqrt(3 / fan)``, ``gain = calculate_gain(nonlinearity, a)``.
  ``Linear`` and ``Conv2d`` use ``a=sqrt(5)``, i.e. ``bound = 1 / sqrt(fan_in)``.
* ``xavier_uniform_(t, gain=1)`` = ``glorot_uniform_`` (Glorot): ``bound = gain *
  sqrt(6 / (fan_in + fan_out))`` (Keras's default for ``Dense``).
* ``kaiming_normal_``, ``xavier_normal_``: the normal forms, ``std = bound / sqrt(3)``.
* ``zeros_``, ``ones_``, ``constant_(t, value)``.

>>> import gputensor as gt
>>> w = gt.nn.init.xavier_uniform_(gt.empty(3, 4))
>>> bool((w.abs() <= (6 / 7) ** 0.5).all())
True
"""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..random import Generator, rand, randn
from ..tensor import Tensor

__all__ = ["calculate_gain", "calculate_fan_in_and_fan_out", "uniform_", "normal_",
           "constant_", "zeros_", "ones_", "kaiming_uniform_", "kaiming_normal_",
           "xavier_uniform_", "xavier_normal_", "glorot_uniform_", "glorot_normal_"]

_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for a nonlinearity: 1 for linear/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + a^2)) for leaky_relu with slope ``param`` (default
    0.01), 3/4 for selu.

    >>> round(gt.nn.init.calculate_gain("relu"), 4)
    1.4142
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; known: "
                     f"{', '.join(_LINEAR_GAINS + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight in PyTorch's layout (out, in, *kernel): ``in * kernel``
    and ``out * kernel``. Needs at least 2 dimensions.

    >>> gt.nn.init.calculate_fan_in_and_fan_out(gt.empty(8, 3, 2, 2))
    (12, 32)
    """
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dimensions, got "
                         f"shape {tensor.shape}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _check(tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor: Tensor, values) -> Tensor:
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> Tensor:
    """Fill with samples of U[a, b] in place; returns ``tensor``.

    >>> gt.nn.init.uniform_(gt.empty(2), -1, 1).shape
    (2,)
    """
    _check(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: the lower bound a={a} must not exceed b={b}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"uniform_: expected a float tensor, got dtype {tensor.dtype}")
    u = rand(tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator)
    return _fill(tensor, u * (b - a) + a if (a, b) != (0.0, 1.0) else u)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std^2) in place; returns ``tensor``.

    >>> gt.nn.init.normal_(gt.empty(2), std=0.1).shape
    (2,)
    """
    _check(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be non-negative, got {std}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"normal_: expected a float tensor, got dtype {tensor.dtype}")
    z = randn(tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator)
    return _fill(tensor, z * std + mean if (mean, std) != (0.0, 1.0) else z)


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill with ``value`` in place; returns ``tensor``.

    >>> gt.nn.init.constant_(gt.empty(2), 0.5).tolist()
    [0.5, 0.5]
    """
    _check(tensor, "constant_")
    with no_grad():
        tensor.fill_(value)
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros in place; returns ``tensor``.

    >>> gt.nn.init.zeros_(gt.empty(2)).tolist()
    [0.0, 0.0]
    """
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones in place; returns ``tensor``.

    >>> gt.nn.init.ones_(gt.empty(2)).tolist()
    [1.0, 1.0]
    """
    return constant_(tensor, 1)


def _bound(gain: float, fan: int, factor: float) -> float:
    return gain * math.sqrt(factor / fan) if fan > 0 else 0.0


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu",
                     generator: Generator | None = None) -> Tensor:
    """He uniform: U[-bound, bound], ``bound = gain * sqrt(3 / fan)`` (``fan`` per ``mode``,
    ``gain = calculate_gain(nonlinearity, a)``); returns ``tensor``.

    >>> w = gt.nn.init.kaiming_uniform_(gt.empty(4, 9), a=5 ** 0.5)
    >>> bool((w.abs() <= 1 / 3).all())
    True
    """
    _check(tensor, "kaiming_uniform_")
    bound = _bound(calculate_gain(nonlinearity, a), _fan(tensor, mode), 3.0)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu",
                    generator: Generator | None = None) -> Tensor:
    """He normal: N(0, std^2), ``std = gain / sqrt(fan)``; returns ``tensor``.

    >>> gt.nn.init.kaiming_normal_(gt.empty(4, 9), nonlinearity="relu").shape
    (4, 9)
    """
    _check(tensor, "kaiming_normal_")
    std = _bound(calculate_gain(nonlinearity, a), _fan(tensor, mode), 1.0)
    return normal_(tensor, 0.0, std, generator)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0,
                    generator: Generator | None = None) -> Tensor:
    """Glorot uniform: U[-bound, bound], ``bound = gain * sqrt(6 / (fan_in + fan_out))``
    (the same for a (in, out) Keras kernel and an (out, in) PyTorch weight); returns it.

    >>> gt.nn.init.xavier_uniform_(gt.empty(3, 4)).shape
    (3, 4)
    """
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = _bound(gain, fan_in + fan_out, 6.0)
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0,
                   generator: Generator | None = None) -> Tensor:
    """Glorot normal: N(0, std^2), ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    >>> gt.nn.init.xavier_normal_(gt.empty(3, 4)).shape
    (3, 4)
    """
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, _bound(gain, fan_in + fan_out, 2.0), generator)


glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_

# Keras initializer names (``Dense(kernel_initializer=...)``) for kernels in Keras's (in, out)
# layout: there the input fan is PyTorch's "fan_out" of the tensor. glorot_normal and
# he_normal are plain normals of Keras's standard deviation here (Keras truncates them at two
# standard deviations and rescales).
INITIALIZERS = {
    "glorot_uniform": xavier_uniform_, "xavier_uniform": xavier_uniform_,
    "glorot_normal": xavier_normal_, "xavier_normal": xavier_normal_,
    "he_uniform": lambda t: kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
    "he_normal": lambda t: kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
    "zeros": zeros_, "ones": ones_,
    "random_uniform": lambda t: uniform_(t, -0.05, 0.05),
    "random_normal": lambda t: normal_(t, 0.0, 0.05),
}
