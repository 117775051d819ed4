"""Interop: DLPack, ``__array__``, ``numpy()``, memory sharing rules, and round trips with
CuPy and PyTorch where they are installed (skipped cleanly where not)."""

from __future__ import annotations

import functools
import importlib

import numpy as np
import pytest

import gputensor as gt


@functools.lru_cache(maxsize=None)
def _load(name):
    try:
        return importlib.import_module(name), None
    except Exception as e:  # not installed, or installed but broken (missing CUDA libraries)
        return None, f"{name} is not usable here: {type(e).__name__}: {e}"


def optional(name):
    module, why = _load(name)
    if module is None:
        pytest.skip(why)
    return module


def shares(a, b) -> bool:
    return np.shares_memory(np.asarray(a), np.asarray(b))


# -- numpy() and __array__ ------------------------------------------------------------------
def test_numpy_shares_memory():
    t = gt.tensor([[1.0, 2.0]])
    a = t.numpy()
    assert a.shape == (1, 2) and a.dtype == np.float32
    a[0, 1] = 5
    assert t.tolist() == [[1.0, 5.0]]


def test_array_protocol():
    t = gt.tensor([1.0, 2.0, 3.0])
    a = np.asarray(t)
    assert a.dtype == np.float32 and shares(a, t.numpy())
    assert np.array(t, copy=False) is t.numpy()
    c = np.array(t)
    assert not np.shares_memory(c, t.numpy()) and c.tolist() == [1.0, 2.0, 3.0]
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and d.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="needs a copy, but copy=False"):
        np.array(t, dtype=np.float64, copy=False)
    assert np.asarray(gt.tensor(2.5)).shape == ()
    # NumPy functions accept tensors through the protocol
    assert np.sum(np.asarray(t)) == 6.0
    np.testing.assert_array_equal(np.stack([np.asarray(t), np.asarray(t)]).shape, (2, 3))


def test_tensor_from_objects_with_array_protocol():
    class ArrayLike:
        def __array__(self, dtype=None, copy=None):
            return np.arange(4, dtype=np.int32)

    for fn in (gt.tensor, gt.as_tensor):
        t = fn(ArrayLike())
        assert t.dtype == gt.int32 and t.tolist() == [0, 1, 2, 3]

    class Complex:
        def __array__(self, dtype=None, copy=None):
            return np.zeros(2, np.complex64)

    with pytest.raises(TypeError, match="tensor: unsupported dtype complex64"):
        gt.tensor(Complex())


# -- DLPack with NumPy ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool"])
def test_dlpack_round_trip_with_numpy(dtype):
    a = (np.arange(6) % 2 == 0) if dtype == "bool" else np.arange(6).astype(dtype)
    a = a.reshape(2, 3)
    t = gt.from_dlpack(a)
    assert t.dtype == dtype and t.shape == (2, 3) and t.device == "cpu"
    assert shares(t.numpy(), a)
    back = np.from_dlpack(t)
    assert back.dtype == a.dtype and shares(back, a)
    np.testing.assert_array_equal(back, a)


def test_dlpack_protocol_of_a_tensor():
    t = gt.arange(6.0).reshape(2, 3) if hasattr(gt.Tensor, "reshape") else gt.zeros(2, 3)
    assert tuple(int(x) for x in t.__dlpack_device__()) == (1, 0)
    capsule = t.__dlpack__()
    assert type(capsule).__name__ == "PyCapsule"
    u = gt.from_dlpack(t)
    assert shares(u.numpy(), t.numpy()) and u.shape == t.shape


def test_dlpack_of_a_non_contiguous_view():
    a = np.arange(12.0).reshape(3, 4)[:, ::2]
    t = gt.from_dlpack(a)
    assert shares(t.numpy(), a) and not t.is_contiguous()
    np.testing.assert_array_equal(np.from_dlpack(t), a)


def test_from_dlpack_errors():
    with pytest.raises(TypeError, match="from_dlpack: list does not implement __dlpack__"):
        gt.from_dlpack([1, 2])

    class OpenCL:
        def __dlpack__(self, **kw):
            raise AssertionError("not reached")

        def __dlpack_device__(self):
            return (4, 0)

    with pytest.raises(RuntimeError, match="from_dlpack: unsupported DLPack device type 4.*CPU "
                                           r"\(1\) and CUDA \(2\)"):
        gt.from_dlpack(OpenCL())
    with pytest.raises(TypeError, match="from_dlpack: unsupported dtype complex128"):
        gt.from_dlpack(np.zeros(2, np.complex128))


def test_as_tensor_shares_dlpack_producers():
    a = np.arange(4.0)
    t = gt.as_tensor(a)
    assert t.numpy() is a
    u = gt.tensor(a)
    assert not shares(u.numpy(), a)


# -- PyTorch (CPU) ---------------------------------------------------------------------------
def test_torch_round_trip():
    torch = optional("torch")
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t = gt.from_dlpack(x)
    assert t.dtype == gt.float32 and t.shape == (2, 3) and t.device == "cpu"
    x[0, 0] = 42
    assert t[0, 0].item() == 42  # shared
    y = torch.from_dlpack(t)
    assert y.data_ptr() == x.data_ptr()
    a = gt.as_tensor(x)
    assert a.numpy()[0, 0] == 42 and shares(a.numpy(), t.numpy())
    c = gt.tensor(x)
    assert not shares(c.numpy(), t.numpy()) and c.tolist() == x.tolist()
    assert gt.tensor(torch.tensor([1, 2])).dtype == gt.int64


# -- CuPy (CUDA) -----------------------------------------------------------------------------
@pytest.mark.gpu
def test_cupy_round_trip():
    cupy = optional("cupy")
    x = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    t = gt.from_dlpack(x)
    assert t.device == "cuda:0" and t.dtype == gt.float32 and t.shape == (2, 3)
    x[0, 0] = 42
    assert t[0, 0].item() == 42  # shared device memory
    y = cupy.from_dlpack(t)
    assert y.data.ptr == x.data.ptr
    a = gt.as_tensor(x)
    assert a.device == "cuda:0"
    assert a._data.data.ptr == x.data.ptr
    c = gt.tensor(x)
    assert c._data.data.ptr != x.data.ptr and c.tolist() == x.get().tolist()
    assert gt.tensor(x, device="cpu").device == "cpu"
    assert gt.as_tensor(x, device="cpu").tolist() == x.get().tolist()


@pytest.mark.gpu
def test_torch_cuda_round_trip():
    torch = optional("torch")
    if not torch.cuda.is_available():
        pytest.skip("PyTorch has no CUDA here")
    x = torch.arange(4.0, device="cuda")
    t = gt.from_dlpack(x)
    assert t.device == "cuda:0" and t.tolist() == [0.0, 1.0, 2.0, 3.0]
    y = torch.from_dlpack(t)
    assert y.data_ptr() == x.data_ptr()
