"""The foundation on a CUDA device: devices, transfers both ways, creation, random and DLPack.

Every test here carries the ``gpu`` marker and is skipped on machines without CuPy and a GPU.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gputensor as gt

pytestmark = pytest.mark.gpu

ROOT = Path(__file__).resolve().parents[1]


def cupy():
    return importlib.import_module("cupy")


# -- devices ---------------------------------------------------------------------------------
def test_cuda_is_available_and_counted():
    assert gt.cuda.is_available() and gt.cuda.device_count() >= 1
    gt.cuda.synchronize()
    gt.cuda.synchronize("cuda:0")


def test_cuda_means_cuda_0():
    assert gt.device("cuda") is gt.device("cuda:0")
    t = gt.zeros(2, device="cuda")
    assert t.device == "cuda:0" and t.device.index == 0 and t.is_cuda
    assert isinstance(t._data, cupy().ndarray) and t._data.device.id == 0


def test_missing_device_index():
    n = gt.cuda.device_count()
    with pytest.raises(RuntimeError, match=f"cuda:{n} does not exist: {n} CUDA device"):
        gt.zeros(1, device=f"cuda:{n}")


def test_default_device_cuda():
    gt.set_default_device("cuda")
    assert gt.get_default_device() == "cuda:0"
    for t in (gt.zeros(2), gt.ones(2), gt.tensor([1.0]), gt.arange(3), gt.eye(2), gt.rand(2),
              gt.randn(2), gt.randint(0, 5, (2,)), gt.linspace(0, 1, 3), gt.full((2,), 1.0),
              gt.empty(2), gt.constant(1.0), gt.random.uniform((2,)), gt.random.normal((2,))):
        assert t.device == "cuda:0", t
    gt.set_default_device("cpu")
    assert gt.zeros(1).device == "cpu"


def test_backend_facts():
    from gputensor.backends import get_backend

    b = get_backend(gt.device("cuda"))
    assert b.xp is cupy() and b.name == "cupy"
    info = b.describe()
    assert info["device"] == "cuda:0" and info["backend"] == "cupy"
    assert info["gpu"] and info["memory_gib"] > 0


# -- transfers -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool"])
def test_cpu_to_cuda_to_cpu(dtype):
    a = (np.arange(12) % 3 == 0) if dtype == "bool" else np.arange(12).astype(dtype)
    a = a.reshape(3, 4)
    t = gt.tensor(a)
    for c in (t.cuda(), t.to("cuda"), t.to("cuda:0"), t.cuda(0), t.to(device="cuda"),
              gt.tensor(a, device="cuda"), gt.as_tensor(a, device="cuda")):
        assert c.device == "cuda:0" and c.dtype == dtype and c.shape == (3, 4)
        back = c.cpu()
        assert back.device == "cpu" and isinstance(back.numpy(), np.ndarray)
        np.testing.assert_array_equal(back.numpy(), a)
        np.testing.assert_array_equal(c.to("cpu").numpy(), a)


def test_transfers_copy_and_return_self_when_in_place():
    a = np.arange(4.0)
    t = gt.from_numpy(a)
    c = t.cuda()
    a[0] = 99  # the CUDA copy does not see host writes
    assert c.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert c.cuda() is c and c.to("cuda") is c and c.to("cuda:0") is c
    assert t.cpu() is t
    assert c.cpu().cuda().tolist() == c.tolist()


def test_non_contiguous_transfer():
    a = np.arange(24.0).reshape(4, 6)[:, ::2]
    c = gt.from_numpy(a).cuda()
    np.testing.assert_array_equal(c.cpu().numpy(), a)
    np.testing.assert_array_equal(gt.tensor(a, device="cuda").cpu().numpy(), a)


def test_to_device_and_dtype_on_cuda():
    t = gt.tensor([1.5, -2.5])
    c = t.to("cuda", gt.int32)
    assert c.device == "cuda:0" and c.dtype == gt.int32 and c.tolist() == [1, -2]
    assert c.astype(gt.float64).device == "cuda:0"
    assert gt.cast(c, gt.bool).tolist() == [True, True]
    assert c.to(gt.zeros(1, dtype=gt.float16)).device == "cpu"


def test_properties_and_protocols_on_cuda():
    c = gt.tensor([[1.0, 2.0]], device="cuda")
    assert repr(c) == "tensor([[1., 2.]], dtype=float32, device='cuda:0')"
    assert c.shape == (1, 2) and c.ndim == 2 and c.size == 2 and c.size() == (1, 2)
    assert c.itemsize == 4 and c.nbytes == 8 and c.numel() == 2
    assert c.tolist() == [[1.0, 2.0]] and c[0, 1].item() == 2.0
    assert len(c) == 1 and [r.tolist() for r in c] == [[1.0, 2.0]]
    assert bool(gt.tensor([1], device="cuda"))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(c)
    assert c.is_contiguous() and c.contiguous() is c and c.clone().device == "cuda:0"
    assert c.T.shape == (2, 1) and c.T.device == "cuda:0"


def test_numpy_of_cuda_tensor_is_refused():
    c = gt.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"numpy: cannot convert a cuda:0 tensor .*\.cpu\(\)"):
        c.numpy()
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(c)


def test_list_of_cuda_tensors():
    a, b = gt.ones(2, device="cuda"), gt.zeros(2, device="cuda")
    t = gt.tensor([a, b])  # the device follows the tensors, as gt.tensor(a) does
    assert t.device == "cuda:0" and t.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    assert gt.as_tensor([a, b]).device == "cuda:0"
    assert gt.tensor([a, b], device="cpu").tolist() == t.tolist()


# -- creation on CUDA --------------------------------------------------------------------------
def test_creation_functions_on_cuda():
    d = "cuda"
    checks = {
        "zeros": (gt.zeros(2, 3, device=d), np.zeros((2, 3), np.float32)),
        "ones": (gt.ones((2,), dtype=gt.int32, device=d), np.ones(2, np.int32)),
        "full": (gt.full((2,), 7, device=d), np.full(2, 7)),
        "zeros_like": (gt.zeros_like(gt.ones(3, device=d)), np.zeros(3, np.float32)),
        "ones_like": (gt.ones_like(gt.ones(3, device=d), dtype=gt.float64), np.ones(3)),
        "full_like": (gt.full_like(gt.ones(2, device=d), 2.5), np.full(2, 2.5, np.float32)),
        "eye": (gt.eye(3, 2, device=d), np.eye(3, 2, dtype=np.float32)),
        "arange": (gt.arange(0, 1, 0.25, device=d), np.arange(0, 1, 0.25, dtype=np.float32)),
        "range": (gt.range(1, 10, 3, device=d), np.arange(1, 10, 3)),
        "linspace": (gt.linspace(0, 1, 5, device=d), np.linspace(0, 1, 5, dtype=np.float32)),
        "linspace_int": (gt.linspace(-1, 0, 3, dtype=gt.int64, device=d),
                         np.linspace(-1, 0, 3, dtype=np.int64)),
        "tensor": (gt.tensor([[1, 2]], device=d), np.array([[1, 2]])),
        "constant": (gt.constant(0, shape=(2, 2), device=d), np.zeros((2, 2), np.int64)),
    }
    for name, (t, want) in checks.items():
        assert t.device == "cuda:0", name
        assert t.dtype == want.dtype, name
        np.testing.assert_allclose(t.cpu().numpy(), want, rtol=1e-6, err_msg=name)
    assert gt.empty(2, 2, device=d).shape == (2, 2)
    assert gt.empty_like(gt.ones(2, device=d)).device == "cuda:0"
    assert gt.zeros(2, device=d, requires_grad=True).requires_grad


# -- random on CUDA --------------------------------------------------------------------------
def test_random_reproducible_on_cuda():
    for draw in (lambda: gt.rand(5, device="cuda"), lambda: gt.randn(5, device="cuda"),
                 lambda: gt.randint(0, 100, (5,), device="cuda"),
                 lambda: gt.rand(5, dtype=gt.float16, device="cuda"),
                 lambda: gt.random.uniform((5,), -1, 1, device="cuda"),
                 lambda: gt.random.normal((5,), 1.0, 2.0, device="cuda")):
        gt.manual_seed(11)
        a = draw().tolist()
        gt.manual_seed(11)
        assert draw().tolist() == a
        assert draw().device == "cuda:0"


def test_random_reproducible_across_processes_on_cuda():
    code = ("import gputensor as gt; gt.manual_seed(3); "
            "print(gt.rand(4, device='cuda').tolist(), gt.randint(0, 9, (4,), device='cuda')"
            ".tolist())")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    outs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, timeout=300) for _ in range(2)]
    assert all(o.returncode == 0 for o in outs), outs[0].stderr
    assert outs[0].stdout == outs[1].stdout


def test_random_ranges_and_moments_on_cuda():
    gt.manual_seed(0)
    for dtype in (gt.float16, gt.float32, gt.float64):
        x = gt.rand(500_000, dtype=dtype, device="cuda").cpu().numpy().astype(np.float64)
        assert x.min() >= 0 and x.max() < 1 and abs(x.mean() - 0.5) < 0.005
        n = gt.randn(500_000, dtype=dtype, device="cuda").cpu().numpy().astype(np.float64)
        assert abs(n.mean()) < 0.01 and abs(n.std() - 1) < 0.01
    u = gt.random.uniform((500_000,), 2, 3, device="cuda").cpu().numpy()
    assert u.min() >= 2 and u.max() < 3
    i = gt.randint(-2, 3, (100_000,), device="cuda").cpu().numpy()
    assert i.min() == -2 and i.max() == 2


def test_generator_on_cuda():
    g1, g2 = gt.Generator("cuda", seed=5), gt.Generator("cuda", seed=5)
    assert gt.rand(4, generator=g1).tolist() == gt.rand(4, generator=g2).tolist()
    assert gt.rand(4, generator=g1).device == "cuda:0"
    with pytest.raises(RuntimeError, match="generator is for cuda:0 but the tensor is "
                                           "requested on cpu"):
        gt.rand(2, generator=g1, device="cpu")


# -- DLPack with CuPy ------------------------------------------------------------------------
def test_dlpack_with_cupy():
    cp = cupy()
    x = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    t = gt.from_dlpack(x)
    assert t.device == "cuda:0" and t.device is gt.device("cuda:0")
    assert t._data.data.ptr == x.data.ptr
    assert tuple(int(v) for v in t.__dlpack_device__()) == (2, 0)
    y = cp.from_dlpack(t)
    assert y.data.ptr == x.data.ptr
    x[0, 0] = 7
    assert t[0, 0].item() == 7
    assert gt.as_tensor(x)._data.data.ptr == x.data.ptr
    assert gt.tensor(x)._data.data.ptr != x.data.ptr
    assert (gt.from_dlpack(x) + gt.ones(3, device="cuda")).device == "cuda:0"


def test_cross_device_ops_are_refused():
    with pytest.raises(RuntimeError, match="expected all tensors on one device"):
        gt.ones(2) + gt.ones(2, device="cuda")
