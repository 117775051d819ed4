"""The CUDA backend: CuPy arrays, imported only when a CUDA device is first asked for."""

from __future__ import annotations

import numpy as np

from ..device import Device
from .base import Backend

INSTALL_HINT = ("install the CUDA extra matching your toolkit: "
                "pip install 'gputensor[cuda12]' or pip install 'gputensor[cuda13]'")


def import_cupy():
    """CuPy, or ``None`` when it is not installed or cannot load its CUDA libraries."""
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA install raising at import
        return None
    return cupy


def device_count() -> int:
    """How many CUDA devices answer (0 without CuPy or a driver)."""
    cupy = import_cupy()
    if cupy is None:
        return 0
    try:
        return int(cupy.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


def device_of(arr) -> Device:
    """The gputensor device of a CuPy array (the shared ``Device`` object for it)."""
    from ..device import device

    return device(f"cuda:{int(arr.device.id)}")


class CupyBackend(Backend):
    """Runs every op with CuPy on one CUDA device."""

    name = "cupy"

    def __init__(self, device: Device):
        n = device_count()
        if n == 0:
            why = ("CuPy is not installed (or cannot load its CUDA libraries)"
                   if import_cupy() is None else
                   "CuPy is installed but no GPU answers (check the NVIDIA driver)")
            raise RuntimeError(f"no CUDA device is available for {device}: {why}; to use a "
                               f"GPU, {INSTALL_HINT}, on a machine with an NVIDIA GPU and "
                               "driver, or use device='cpu'")
        if device.index >= n:
            raise RuntimeError(f"CUDA device {device} does not exist: "
                               f"{n} CUDA device(s) found (cuda:0 .. cuda:{n - 1})")
        import cupy

        super().__init__()
        self.xp = cupy
        self.device = device
        self._cuda_device = self.ctx = cupy.cuda.Device(device.index)

    def resolve(self, op):
        """The op's custom kernel where the registry overrides it and custom kernels are on
        (``gputensor/backends/kernels.py``; it falls back to the array-module forward for
        inputs it does not cover), else the array-module forward (CuPy's routines)."""
        from . import kernels

        impl = kernels.override(op, self)
        return impl if impl is not None else super().resolve(op)

    @property
    def fused_adam_step(self):
        """The fused Adam/AdamW update (kernels/adam.cu) while custom kernels are on, else
        None (``gt.optim.Adam`` then runs its op path: CuPy's routines). See
        ``gputensor.optim.adam.fused_adam_step`` for the call."""
        from . import kernels

        return self._fused_adam_step if kernels.enabled() else None

    def _fused_adam_step(self, p, grad, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps,
                         weight_decay, decoupled):
        """One launch updating ``p``, ``exp_avg`` and ``exp_avg_sq`` in place (CuPy's
        routines where the kernel does not apply: strided state, non-float dtypes); bumps
        their version counters as in-place ops do."""
        from ..ops.inplace import _bump
        from . import kernels

        arrays = (p._data, grad._data, exp_avg._data, exp_avg_sq._data)
        hyper = dict(step=step, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                     weight_decay=weight_decay, decoupled=decoupled)
        dtype = p.dtype.name
        with self.context():
            done = NotImplemented
            if dtype in kernels.REGISTRY["adam_fwd"].dtypes:
                k = kernels.launcher("adam_fwd", dtype, self.device.index)
                done = kernels.adam_update(k, *arrays, **hyper)
            if done is NotImplemented:
                kernels.adam_update_xp(self.xp, *arrays, **hyper)
        for t in (p, exp_avg, exp_avg_sq):
            _bump(t)

    def asarray(self, data, dtype=None):
        with self._cuda_device:
            if isinstance(data, self.xp.ndarray) and data.device.id != self.device.index:
                data = data.copy()  # CuPy copies onto the current device (peer to peer)
            return self.xp.asarray(data, dtype=dtype)

    def to_numpy(self, arr) -> np.ndarray:
        return self.xp.asnumpy(arr)

    def receive(self, arr, src: Backend):
        return self.asarray(arr)  # host arrays are uploaded, other GPUs' arrays copied

    def from_dlpack(self, obj):
        with self._cuda_device:
            return self.xp.from_dlpack(obj)

    def synchronize(self) -> None:
        self._cuda_device.synchronize()

    def new_generator(self, seed):
        with self._cuda_device:
            return self.xp.random.Generator(self.xp.random.XORWOW(seed))

    def describe(self) -> dict:
        cupy = self.xp
        props = cupy.cuda.runtime.getDeviceProperties(self.device.index)
        name = props["name"]
        return {"device": str(self.device), "backend": "cupy", "cupy": cupy.__version__,
                "gpu": name.decode() if isinstance(name, bytes) else str(name),
                "cuda_runtime": cupy.cuda.runtime.runtimeGetVersion(),
                "memory_gib": round(props["totalGlobalMem"] / 2**30, 1)}
