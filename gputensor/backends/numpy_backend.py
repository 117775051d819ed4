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

    def asarray(self, data, dtype=None):
        return np.asarray(data, dtype=dtype)

    def to_numpy(self, arr) -> np.ndarray:
        return arr

    def receive(self, arr, src: Backend):
        return src.to_numpy(arr)

    def new_generator(self, seed):
        return np.random.Generator(np.random.PCG64(seed))

    def describe(self) -> dict:
        return {"device": "cpu", "backend": "numpy", "numpy": np.__version__,
                "processor": platform.processor() or platform.machine()}
