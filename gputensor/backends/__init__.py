"""Backends: one object per device that owns the array module, memory, transfers and RNG.

Code above this package asks ``get_backend(device)`` and uses ``backend.xp``; it never
imports cupy and never branches on the device kind itself.
"""

from __future__ import annotations

from ..device import CPU, Device
from .base import Backend
from .numpy_backend import NumpyBackend

_backends: dict[Device, Backend] = {}
_cpu = NumpyBackend()
CPU.backend = _cpu


def get_backend(device: Device) -> Backend:
    """The backend serving ``device``, created on first use (CUDA ones import CuPy lazily)."""
    b = device.backend
    if b is not None:
        return b
    if device.type == "cpu":
        b = _cpu
    else:
        b = _backends.get(device)
        if b is None:
            from .cupy_backend import CupyBackend

            b = _backends[device] = CupyBackend(device)
    device.backend = b
    return b


def backend_of_array(arr) -> Backend:
    """The backend whose array module made ``arr`` (NumPy arrays -> CPU)."""
    if type(arr).__module__.startswith("numpy"):
        return _cpu
    from . import cupy_backend

    return get_backend(cupy_backend.device_of(arr))


def live_backends() -> list[Backend]:
    """Backends created so far (the CPU one always)."""
    return [_cpu, *_backends.values()]
