"""The Tensor core: properties, repr, Python protocols, conversions, dtype and device moves."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import gputensor as gt
from testkit import run_docstring_examples


def host(t):
    return t.cpu().numpy()


# -- properties ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 4)])
def test_shape_properties(shape, device):
    t = gt.zeros(shape, dtype=gt.float64, device=device)
    n = int(np.prod(shape))
    assert t.shape == shape and type(t.shape) is tuple
    assert t.ndim == len(shape) and t.dim() == len(shape)
    assert t.size == n and isinstance(t.size, int) and t.numel() == n
    assert t.size() == shape
    for i in range(len(shape)):
        assert t.size(i) == shape[i] and t.size(i - len(shape)) == shape[i - len(shape)]
    assert t.itemsize == 8 and t.nbytes == 8 * n
    assert t.dtype == gt.float64 and t.device == device


@pytest.mark.parametrize("dtype, itemsize", [("float16", 2), ("float32", 4), ("int8", 1),
                                             ("uint8", 1), ("int32", 4), ("bool", 1)])
def test_itemsize_nbytes(dtype, itemsize):
    t = gt.zeros(2, 3, dtype=dtype)
    assert t.itemsize == itemsize and t.nbytes == 6 * itemsize


def test_size_dimension_out_of_range():
    t = gt.zeros(2, 3)
    with pytest.raises(IndexError, match=r"size: dimension 2 is out of range .* 2 dimension"):
        t.size(2)
    with pytest.raises(IndexError, match="dimension -3 is out of range"):
        t.size(-3)
    assert t.size + 1 == 7 and t.size * 2 == 12 and str(t.size) == "6"


@pytest.mark.skipif(not hasattr(gt.Tensor, "T"), reason="T comes with the movement ops")
def test_T(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    t = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(t.T), a.T)
    assert t.T.shape == (4, 3, 2)
    assert gt.tensor([1, 2]).T.shape == (2,)


@pytest.mark.skipif(not hasattr(gt.Tensor, "mT"), reason="mT comes with the movement ops")
def test_mT(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    t = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(t.mT), np.swapaxes(a, -1, -2))
    with pytest.raises(ValueError, match=r"mT: .*at least 2 dimensions.*\(3,\)"):
        gt.zeros(3, device=device).mT


# -- repr ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, text", [
    (lambda: gt.tensor([[1.0, 2.0]]), "tensor([[1., 2.]], dtype=float32, device='cpu')"),
    (lambda: gt.tensor([[1.0, 2.0]], requires_grad=True),
     "tensor([[1., 2.]], dtype=float32, device='cpu', requires_grad=True)"),
    (lambda: gt.tensor(3.5), "tensor(3.5, dtype=float32, device='cpu')"),
    (lambda: gt.tensor([1, 2]), "tensor([1, 2], dtype=int64, device='cpu')"),
    (lambda: gt.tensor([True, False]), "tensor([ True, False], dtype=bool, device='cpu')"),
    (lambda: gt.tensor([1.0, 2.0], dtype=gt.float64),
     "tensor([1., 2.], dtype=float64, device='cpu')"),
    (lambda: gt.tensor([], dtype=gt.int32), "tensor([], dtype=int32, device='cpu')"),
    (lambda: gt.zeros(0, 3), "tensor([], size=(0, 3), dtype=float32, device='cpu')"),
    (lambda: gt.tensor([[1, 2], [3, 4]], dtype=gt.uint8),
     "tensor([[1, 2],\n        [3, 4]], dtype=uint8, device='cpu')"),
])
def test_repr(make, text):
    t = make()
    assert repr(t) == text and str(t) == text
    assert f"{t}" == text


def test_repr_summarises_large_tensors():
    r = repr(gt.arange(1000))
    assert r.startswith("tensor([  0,   1,   2, ...") and r.endswith(
        "997, 998, 999], dtype=int64, device='cpu')")


def test_repr_shows_device(device):
    assert repr(gt.ones(1, device=device)).endswith(
        f"dtype=float32, device='{gt.device(device)}')")


def test_format_spec():
    assert f"{gt.tensor(1.23456):.2f}" == "1.23" and f"{gt.tensor([7]):d}" == "7"


# -- Python protocols ---------------------------------------------------------------------
def test_len_and_iteration(device):
    a = np.arange(6).reshape(3, 2)
    t = gt.tensor(a, device=device)
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, gt.Tensor) for r in rows)
    for r, want in zip(rows, a):
        assert r.shape == (2,) and r.tolist() == want.tolist() and r.device == device
    assert [x.item() for x in gt.tensor([4, 5], device=device)] == [4, 5]
    assert list(gt.zeros(0, 2, device=device)) == []


def test_len_and_iter_of_0d_tensor():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(gt.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(gt.tensor(1.0)).__next__()


def test_bool(device):
    assert bool(gt.tensor([1.0], device=device)) is True
    assert bool(gt.tensor([[0]], device=device)) is False
    assert not gt.tensor(False, device=device)
    for shape in [(2,), (0,), (2, 2)]:
        n = int(np.prod(shape))
        with pytest.raises(ValueError, match=f"truth value of a tensor with {n} elements is "
                                             "ambiguous; use .any\\(\\) or .all\\(\\)"):
            bool(gt.zeros(shape, device=device))


def test_item(device):
    assert gt.tensor([2.5], device=device).item() == 2.5
    assert type(gt.tensor([[3]], device=device).item()) is int
    assert type(gt.tensor(True, device=device).item()) is bool
    assert type(gt.tensor(1.5, device=device).item()) is float
    with pytest.raises(ValueError, match=r"item: only one-element tensors .* shape \(2,\)"):
        gt.tensor([1, 2], device=device).item()
    with pytest.raises(ValueError, match=r"shape \(0,\)"):
        gt.zeros(0, device=device).item()


def test_number_conversions():
    assert float(gt.tensor([2.5])) == 2.5 and int(gt.tensor(2.7)) == 2
    assert [10, 20, 30][gt.tensor(1)] == 20
    with pytest.raises(TypeError, match="integer tensors can be used as an index.*float32"):
        [1, 2][gt.tensor(1.0)]
    with pytest.raises(TypeError, match="no complex dtypes"):
        complex(gt.tensor(1.0))


def test_tolist(device):
    a = [[1.5, 2.0], [3.0, -4.25]]
    assert gt.tensor(a, device=device).tolist() == a
    assert gt.tensor(5, device=device).tolist() == 5
    assert gt.tensor([[True]], device=device).tolist() == [[True]]
    out = gt.tensor([[1, 2]], device=device).tolist()
    assert out == [[1, 2]] and type(out[0][0]) is int
    assert gt.zeros(0, 2, device=device).tolist() == []


def test_numpy_shares_memory_on_cpu():
    t = gt.tensor([1.0, 2.0])
    a = t.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    a[0] = 9
    assert t.tolist() == [9.0, 2.0]


@pytest.mark.gpu
def test_numpy_of_cuda_tensor_says_call_cpu():
    t = gt.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"numpy: cannot convert a cuda:0 tensor.*\.cpu\(\)"):
        t.numpy()
    with pytest.raises(TypeError, match=r"\.cpu\(\)"):
        np.asarray(t)
    assert t.cpu().numpy().tolist() == [1.0, 1.0]


# -- requires_grad -------------------------------------------------------------------------
def test_requires_grad_flag():
    t = gt.zeros(2)
    assert t.requires_grad is False and t.is_leaf and t.grad_fn is None
    assert t.requires_grad_() is t and t.requires_grad is True
    t.requires_grad = False
    assert not t.requires_grad
    assert gt.ones(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("make", [
    lambda: gt.zeros(2, dtype=gt.int32, requires_grad=True),
    lambda: gt.tensor([1, 2], requires_grad=True),
    lambda: gt.arange(3, requires_grad=True),
    lambda: gt.ones(2, dtype=gt.bool, requires_grad=True),
    lambda: gt.tensor([1, 2]).requires_grad_(),
    lambda: gt.full((2,), 3, requires_grad=True),
])
def test_requires_grad_needs_a_float_dtype(make):
    with pytest.raises(RuntimeError, match="only float tensors can require grad, got dtype "
                                           "(int|bool)"):
        make()


def test_detach_shares_memory():
    x = gt.ones(2, requires_grad=True)
    y = x.detach()
    assert not y.requires_grad and y.is_leaf
    y.numpy()[0] = 5
    assert x.tolist() == [5.0, 1.0]


# -- dtype and device moves ----------------------------------------------------------------
def test_astype_cast_to_dtype(device):
    t = gt.tensor([1.7, -2.2], device=device)
    for out in (t.astype(gt.int32), gt.cast(t, gt.int32), t.to(gt.int32), t.to("int32"),
                t.to(dtype=gt.int32), t.type(gt.int32), t.astype(np.int32),
                t.astype("int32")):
        assert out.dtype == gt.int32 and out.tolist() == [1, -2] and out.device == device
    assert t.astype(gt.float32) is t and gt.cast(t, "float32") is t and t.to(gt.float32) is t
    assert t.astype(gt.bool).tolist() == [True, True]
    assert t.astype(float).dtype == gt.float32 and t.astype(int).dtype == gt.int64
    assert t.type() == "float32"


def test_cast_accepts_lists():
    assert gt.cast([1.5, 2.5], gt.int32).tolist() == [1, 2]


@pytest.mark.parametrize("bad, words", [("complex64", "complex64"), (np.uint16, "uint16"),
                                        (5, "5"), (object, "object")])
def test_dtype_conversion_errors(bad, words):
    t = gt.ones(2)
    with pytest.raises(TypeError, match=f"to: unsupported dtype {words}.*to\\(\\) takes a "
                                        "device"):
        t.to(bad)
    with pytest.raises(TypeError, match=f"unsupported dtype {words}"):
        t.astype(bad)
    with pytest.raises(TypeError, match=f"unsupported dtype {words}"):
        gt.cast(t, bad)


def test_to_device_and_dtype_together(device):
    t = gt.tensor([1.0, 2.0])
    out = t.to(device, gt.float64)
    assert out.device == device and out.dtype == gt.float64 and out.tolist() == [1.0, 2.0]
    out = t.to(device=device, dtype="int8")
    assert out.device == device and out.dtype == gt.int8
    other = gt.zeros(1, dtype=gt.int16, device=device)
    out = t.to(other)
    assert out.device == device and out.dtype == gt.int16
    assert out.to(gt.device("cpu")).device == "cpu"


def test_to_returns_self_unless_copy():
    t = gt.ones(2)
    assert t.to("cpu") is t and t.cpu() is t and t.to() is t and t.to(None) is t
    assert t.to("cpu", non_blocking=True) is t
    c = t.to("cpu", copy=True)
    assert c is not t and c.tolist() == t.tolist()
    c.numpy()[0] = 3
    assert t.tolist() == [1.0, 1.0]


def test_to_errors():
    t = gt.ones(2)
    with pytest.raises(ValueError, match="malformed device string 'gpu'"):
        t.to("gpu")
    with pytest.raises(TypeError, match=r"to: unexpected keyword argument\(s\) \['foo'\]"):
        t.to(foo=1)
    with pytest.raises(ValueError, match=r"cuda: expected a CUDA device .* got 'cpu'"):
        t.cuda("cpu")


@pytest.mark.gpu
def test_cpu_cuda_round_trip():
    t = gt.tensor([[1.0, 2.0]])
    c = t.cuda()
    assert c.device == "cuda:0" and c.is_cuda and c.dtype == gt.float32
    assert t.cuda(0).device == "cuda:0" and t.to("cuda").device == "cuda:0"
    assert c.cuda() is c and c.to("cuda:0") is c
    back = c.cpu()
    assert back.device == "cpu" and back.tolist() == [[1.0, 2.0]]


def test_contiguous_and_clone(device):
    a = np.arange(6.0).reshape(2, 3)
    t = gt.tensor(a, device=device)
    assert t.is_contiguous() and t.contiguous() is t
    nt = gt.from_numpy(a.T) if device == "cpu" else gt.tensor(a, device=device).T
    assert not nt.is_contiguous()
    c = nt.contiguous()
    assert c.is_contiguous() and c.tolist() == a.T.tolist()
    k = t.clone()
    assert k is not t and k.tolist() == t.tolist() and k.dtype == t.dtype
    k2 = gt.clone(t)
    k2[0, 0] = 100.0
    assert t[0, 0].item() == 0.0


def test_tensor_constructor():
    t = gt.Tensor([[1.0, 2.0]])
    assert t.dtype == gt.float32 and t.shape == (1, 2)
    assert gt.Tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        gt.Tensor([1], requires_grad=True)


# -- docstring examples of the foundation modules are true -----------------------------------
MODULES = ["gputensor", "gputensor.device", "gputensor.dtypes", "gputensor.creation",
           "gputensor.random", "gputensor.tensor", "gputensor.cuda", "gputensor.backends",
           "gputensor.backends.base", "gputensor.backends.numpy_backend",
           "gputensor.backends.cupy_backend"]


def _bench_module(name):
    try:  # installed: the benchmarks ship inside the wheel
        return importlib.import_module(f"gputensor.benchmarks.{name}")
    except ImportError:  # a source checkout
        return importlib.import_module(f"benchmarks.{name}")


def _reset_defaults():
    """Examples that set the default dtype or device do not leak it into the next one."""
    gt.set_default_dtype("float32")
    gt.set_default_device("cpu")


@pytest.mark.parametrize("name", MODULES + ["benchmarks.timing", "benchmarks.cli"])
def test_docstring_examples(name):
    if name.startswith("benchmarks."):
        module = _bench_module(name.split(".")[1])
    else:
        module = importlib.import_module(name)
    run_docstring_examples(module, module_globals=True, reset=_reset_defaults)


def test_pickles_and_copies_of_views_own_their_data(device):
    """A view keeps a link to the tensor it was taken from (for in-place autograd); copies
    and pickles drop it. Pickles and deep copies own their values (changing them changes
    nothing else); a shallow copy shares the array, as shallow copies do."""
    import copy
    import pickle

    base = gt.arange(6.0, device=device).reshape(2, 3)  # itself a view of arange's result
    row = base[1]
    for made in (pickle.loads(pickle.dumps(row)), copy.deepcopy(row), copy.copy(row)):
        assert made.tolist() == [3.0, 4.0, 5.0] and made._view_of is None
    clone = pickle.loads(pickle.dumps(row))
    clone.add_(1.0)
    assert base.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    leaf = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    back = pickle.loads(pickle.dumps(leaf))
    assert back.requires_grad and back.is_leaf and back.tolist() == [1.0, 2.0]


def test_a_subclass_that_sets_only_its_data_is_a_leaf_without_grad():
    # the autograd link lives in slots; constructing any subclass starts it as a new leaf's
    class Wrapped(gt.Tensor):
        def __init__(self, values):
            t = gt.tensor(values)
            self._data, self._device = t._data, t._device

    w = Wrapped([1.0, 2.0])
    assert not w.requires_grad and w.grad_fn is None and w.is_leaf
    assert (w * 2).tolist() == [2.0, 4.0]
    w.requires_grad_()
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]
