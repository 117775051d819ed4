"""Shared fixtures: the device list (CUDA ones carry the gpu marker and skip without a GPU)."""

from __future__ import annotations

import pytest

import gputensor as gt

HAS_GPU = gt.cuda.is_available()

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]


def pytest_collection_modifyitems(config, items):
    if HAS_GPU:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device (CuPy and a GPU)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=DEVICES)
def device(request):
    """Each test using it runs on the CPU, and on CUDA where there is a GPU."""
    return request.param


@pytest.fixture(autouse=True)
def _restore_defaults():
    """Tests that change the default device or dtype do not leak it into others."""
    dev, dtype = gt.get_default_device(), gt.get_default_dtype()
    yield
    gt.set_default_device(dev)
    gt.set_default_dtype(dtype)
