"""Devices: parsing, equality, the default device, ``gt.cuda`` and the no-GPU errors."""

from __future__ import annotations

import pytest

import gputensor as gt
from gputensor.backends import cupy_backend, get_backend

NO_GPU = pytest.mark.skipif(gt.cuda.is_available(), reason="checks the no-GPU error path")


@pytest.mark.parametrize("spec, kind, index, text", [
    ("cpu", "cpu", None, "cpu"),
    ("cpu:0", "cpu", None, "cpu"),
    (" cpu ", "cpu", None, "cpu"),
    ("cuda", "cuda", 0, "cuda:0"),
    ("cuda:0", "cuda", 0, "cuda:0"),
    ("cuda:3", "cuda", 3, "cuda:3"),
])
def test_parse(spec, kind, index, text):
    d = gt.device(spec)
    assert (d.type, d.index, str(d)) == (kind, index, text)
    assert d == text and d == gt.device(text)
    assert d is gt.device(text)  # one shared object per device


# (an id of plain "gpu" would make conftest treat the test as a GPU test)
@pytest.mark.parametrize("spec", [pytest.param("gpu", id="the-word-g-p-u"), "CPU", "cuda:",
                                  "cuda:-1", "cuda:x", "cpu:1", "cuda0", "", "cuda:0:1", "tpu",
                                  "cuda 1"])
def test_malformed_string_names_accepted_forms(spec):
    with pytest.raises(ValueError, match=r"malformed device string .*'cpu', 'cuda' or 'cuda:N'"):
        gt.device(spec)


@pytest.mark.parametrize("spec", [0, 1.5, ["cpu"]])
def test_non_string_is_type_error(spec):
    with pytest.raises(TypeError, match=r"device: expected a string like 'cpu'"):
        gt.device(spec)


def test_device_constructor_validates():
    with pytest.raises(ValueError, match="unknown device type 'gpu'"):
        gt.Device("gpu")
    with pytest.raises(ValueError, match="invalid index -1"):
        gt.Device("cuda", -1)
    with pytest.raises(ValueError, match="invalid index 2 for 'cpu'"):
        gt.Device("cpu", 2)
    # a Device built by hand maps to the shared object
    assert gt.device(gt.Device("cuda", 0)) is gt.device("cuda:0")


def test_repr_equality_hash():
    assert repr(gt.device("cpu")) == "device(type='cpu')"
    assert repr(gt.device("cuda:1")) == "device(type='cuda', index=1)"
    assert gt.device("cuda") == "cuda:0" and gt.device("cuda:0") == "cuda"
    assert gt.device("cpu") != "cuda" and gt.device("cpu") != "nonsense"
    assert gt.device("cpu") != 3
    assert len({gt.device("cuda"), gt.device("cuda:0")}) == 1


def test_device_accepts_device_and_none():
    d = gt.device("cpu")
    assert gt.device(d) is d
    assert gt.device(None) is gt.get_default_device()


def test_default_device_roundtrip():
    assert gt.get_default_device() == "cpu"
    gt.set_default_device("cpu")
    assert gt.zeros(2).device == "cpu"
    with pytest.raises(ValueError, match="malformed device string"):
        gt.set_default_device("gpu:0")
    assert gt.get_default_device() == "cpu"


def test_tensor_device_property(device):
    t = gt.ones(2, device=device)
    assert t.device == device and isinstance(t.device, gt.Device)
    assert t.is_cuda == (t.device.type == "cuda")


def test_cuda_queries_are_consistent():
    n = gt.cuda.device_count()
    assert isinstance(n, int) and n >= 0
    assert gt.cuda.is_available() == (n > 0)


@NO_GPU
def test_no_cupy_means_zero_devices_without_error():
    assert gt.cuda.is_available() is False
    assert gt.cuda.device_count() == 0


@NO_GPU
@pytest.mark.parametrize("call", [
    lambda: gt.zeros(2, device="cuda"),
    lambda: gt.set_default_device("cuda"),
    lambda: gt.tensor([1.0]).cuda(),
    lambda: gt.tensor([1.0]).to("cuda:0"),
    lambda: gt.rand(2, device="cuda"),
    lambda: gt.cuda.synchronize(),
])
def test_cuda_without_gpu_says_how_to_install(call):
    with pytest.raises(RuntimeError, match=r"no CUDA device is available.*gputensor\[cuda12\]"):
        call()
    assert gt.get_default_device() == "cpu"


@NO_GPU
def test_cuda_error_when_cupy_is_installed_but_no_gpu(monkeypatch):
    class FakeRuntime:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice")

    class FakeCupy:
        class cuda:
            runtime = FakeRuntime

    monkeypatch.setattr(cupy_backend, "import_cupy", lambda: FakeCupy)
    assert cupy_backend.device_count() == 0
    with pytest.raises(RuntimeError, match="no CUDA device is available.*no GPU answers"):
        get_backend(gt.device("cuda:0"))


@NO_GPU
def test_cuda_index_beyond_device_count(monkeypatch):
    monkeypatch.setattr(cupy_backend, "device_count", lambda: 1)
    d = gt.device("cuda:5")
    with pytest.raises(RuntimeError, match=r"cuda:5 does not exist: 1 CUDA device\(s\) found"):
        get_backend(d)
    assert d.backend is None  # nothing cached by a failed lookup


def test_cpu_backend_facts():
    b = get_backend(gt.device("cpu"))
    assert b.xp.__name__ == "numpy"
    info = b.describe()
    assert info["device"] == "cpu" and info["backend"] == "numpy" and "numpy" in info
    b.synchronize()  # a no-op on the CPU
    with b.context():
        pass


def test_copies_and_pickles_of_a_device_are_the_device():
    import copy
    import pickle

    d = gt.device("cpu")
    assert copy.copy(d) is d and copy.deepcopy(d) is d
    assert pickle.loads(pickle.dumps(d)) is d
    t = gt.ones(3)
    assert copy.deepcopy(t).device is t.device  # a deep copy moves nothing
