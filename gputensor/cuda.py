"""``gt.cuda``: is a CUDA device there, and how many. Never imports CuPy at module import."""

from __future__ import annotations

from .backends.cupy_backend import device_count as _device_count


def is_available() -> bool:
    """True when CuPy imports and at least one CUDA device answers.

    >>> gt.cuda.is_available() == (gt.cuda.device_count() > 0)
    True
    """
    return _device_count() > 0


def device_count() -> int:
    """The number of CUDA devices that answer (0 without CuPy or a GPU).

    >>> gt.cuda.device_count() >= 0
    True
    """
    return _device_count()


def synchronize(device=None) -> None:
    """Wait for all queued work on a CUDA device (``cuda:0`` by default)."""
    from .backends import get_backend
    from .device import device as as_device

    get_backend(as_device(device or "cuda")).synchronize()


def use_custom_kernels(flag: bool | None = None) -> bool:
    """Whether CUDA ops run gputensor's custom kernels (``kernels/``) where they have one;
    ``flag`` switches them on or off (returns the previous setting). Off, every op runs
    CuPy's routines, to compare the two paths. The environment variable
    ``GPUTENSOR_KERNELS=off`` switches them off at startup.

    >>> old = gt.cuda.use_custom_kernels(False); gt.cuda.use_custom_kernels(old)
    False
    """
    from .backends import kernels

    if flag is None:
        return kernels.enabled()
    return kernels.set_enabled(flag)
