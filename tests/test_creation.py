"""Creation: tensor/constant/as_tensor/convert_to_tensor from data, and the shape makers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt


def host(t):
    return t.cpu().numpy()


# -- from data ------------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype, shape", [
    ([[1.0, 2.0], [3.0, 4.0]], "float32", (2, 2)),
    (((1, 2), (3, 4)), "int64", (2, 2)),
    ([1, 2.5], "float32", (2,)),
    ([True, False], "bool", (2,)),
    ([True, 2], "int64", (2,)),
    (3, "int64", ()),
    (3.5, "float32", ()),
    (False, "bool", ()),
    ([], "float32", (0,)),
    ([[], []], "float32", (2, 0)),
    (range(4), "int64", (4,)),
    ([np.float32(1), np.float32(2)], "float32", (2,)),
    (np.float64(2.0), "float64", ()),
    (np.int32(7), "int32", ()),
    (np.arange(6, dtype=np.int16).reshape(2, 3), "int16", (2, 3)),
])
def test_tensor_from_data(data, dtype, shape, device):
    for fn in (gt.tensor, gt.constant, gt.as_tensor, gt.convert_to_tensor):
        t = fn(data, device=device)
        assert t.dtype == dtype and t.shape == shape and t.device == device, fn.__name__
        np.testing.assert_array_equal(host(t), np.asarray(data, dtype=dtype))


def test_tensor_from_tensor_and_list_of_tensors(device):
    a = gt.tensor([1.0, 2.0], device=device)
    b = gt.tensor(a)
    assert b.device == device and b.tolist() == [1.0, 2.0]
    t = gt.tensor([a, a * 2])
    assert t.shape == (2, 2) and t.device == device and t.tolist() == [[1, 2], [2, 4]]
    assert gt.tensor([gt.tensor(1.0), gt.tensor(2.0)]).tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"tensor: ragged nested sequence at depth 1: item "
                                         r"\[1\] is a tensor of shape \(3,\) but item \[0\] "
                                         r"has shape \(2,\)"):
        gt.tensor([a, gt.ones(3, device=device)])


def test_dtype_argument(device):
    for fn in (gt.tensor, gt.constant, gt.as_tensor, gt.convert_to_tensor):
        t = fn([1, 2], dtype=gt.float64, device=device)
        assert t.dtype == gt.float64 and t.tolist() == [1.0, 2.0]
        assert fn([1.9, -1.9], dtype="int32", device=device).tolist() == [1, -1]
        assert fn([0, 2], dtype=bool, device=device).tolist() == [False, True]


def test_requires_grad_argument():
    t = gt.tensor([1.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert not gt.tensor([1.0]).requires_grad
    assert not gt.constant([1.0]).requires_grad
    assert not gt.as_tensor([1.0]).requires_grad


@pytest.mark.parametrize("data, dtype, words", [
    ([300], "uint8", r"value 300 is out of range for uint8 \[0, 255\]"),
    ([-1], "uint8", r"value -1 is out of range for uint8"),
    ([2**31], "int32", r"value 2147483648 is out of range for int32"),
    ([1e20], "int64", r"value 1e\+20 is out of range for int64"),
])
def test_python_values_out_of_range_for_dtype(data, dtype, words):
    with pytest.raises(OverflowError, match=f"tensor: {words}"):
        gt.tensor(data, dtype=dtype)


def test_python_ints_beyond_int64():
    with pytest.raises(OverflowError, match=r"tensor: Python int 9223372036854775808 is out of "
                                            r"the int64 range.*dtype=gt.float64"):
        gt.tensor([2**63])
    with pytest.raises(OverflowError, match="Python int 1180591620717411303424 is out of the "
                                            "int64 range"):
        gt.tensor(2**70)
    assert gt.tensor([2**70], dtype=gt.float64).item() == float(2**70)
    assert gt.tensor([-2**63]).item() == -2**63


def test_nan_to_int_is_refused():
    with pytest.raises(ValueError, match="tensor: cannot convert nan or inf to int32"):
        gt.tensor([1.0, float("nan")], dtype=gt.int32)


def test_numpy_arrays_keep_numpy_casting():
    # NumPy data converts with astype semantics (as np.array(arr, dtype) does)
    assert gt.tensor(np.array([300]), dtype=gt.uint8).tolist() == [44]


def test_byte_swapped_arrays():
    a = np.arange(3, dtype=">f4")
    for fn in (gt.tensor, gt.as_tensor):
        t = fn(a)
        assert t.dtype == gt.float32 and t.dtype.isnative and t.tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match=r"from_numpy: the array is byte-swapped \(>f4\).*"
                                        r"gt.tensor"):
        gt.from_numpy(a)


@pytest.mark.parametrize("data, words", [
    ([[1, 2], [3]], r"depth 1: item \[1\] is a sequence of length 1 but item \[0\] is a "
                    r"sequence of length 2"),
    ([[1, 2], 3], r"depth 1: item \[1\] is a scalar but item \[0\] is a sequence of length 2"),
    ([1, [2]], r"depth 1: item \[1\] is a sequence of length 1 but item \[0\] is a scalar"),
    ([[[1], [2]], [[3], [4, 5]]], r"depth 2: item \[1\]\[1\] is a sequence of length 2 but "
                                  r"item \[0\]\[0\] is a sequence of length 1"),
    ([[[1, 2], [3, 4]], [[5, 6], [7]]], r"depth 2: item \[1\]\[1\] .*length 1"),
    ([[[1, 2]], [[3, 4], [5, 6]]], r"depth 1: item \[1\] is a sequence of length 2"),
    ([[[1, 2], [3, 4]], [[5, 6], [7, 8, 9]]], r"depth 2"),
])
def test_ragged_lists_name_the_depth(data, words):
    for fn in (gt.tensor, gt.as_tensor, gt.constant):
        with pytest.raises(ValueError, match=f"ragged nested sequence at {words}.*rectangular"):
            fn(data)


@pytest.mark.parametrize("data, err, words", [
    (None, TypeError, "cannot make a tensor from None"),
    ({1: 2}, TypeError, "cannot make a tensor from dict"),
    ((x for x in range(2)), TypeError, "cannot make a tensor from generator"),
    ("12", TypeError, "string '12'"),
    ([1, "2"], TypeError, "string '1'|string '2'"),
    ([1, None], TypeError, "NoneType None"),
    ([1j], TypeError, "complex number 1j"),
])
def test_bad_data(data, err, words):
    with pytest.raises(err, match=f"tensor: .*{words}"):
        gt.tensor(data)


def test_copy_rules():
    a = np.arange(3.0)
    # tensor and constant always copy
    for t in (gt.tensor(a), gt.constant(a)):
        assert not np.shares_memory(t.numpy(), a)
    # from_numpy always shares, both ways
    f = gt.from_numpy(a)
    assert np.shares_memory(f.numpy(), a)
    a[0] = 7
    assert f[0].item() == 7
    f.numpy()[1] = 8
    assert a[1] == 8
    # as_tensor shares where it can
    assert gt.as_tensor(a).numpy() is a and gt.convert_to_tensor(a).numpy() is a
    assert gt.as_tensor(a, dtype=gt.float64).numpy() is a
    assert gt.as_tensor(a, device="cpu").numpy() is a
    assert not np.shares_memory(gt.as_tensor(a, dtype=gt.float32).numpy(), a)
    t = gt.ones(2)
    assert gt.as_tensor(t) is t and gt.as_tensor(t, dtype="float32") is t
    assert gt.as_tensor(t, device="cpu") is t
    assert gt.as_tensor(t, dtype=gt.float64).dtype == gt.float64
    b = gt.tensor(t)
    assert b is not t and not np.shares_memory(b.numpy(), t.numpy())
    assert gt.tensor(t, dtype=gt.float16).dtype == gt.float16


def test_from_numpy_keeps_layout_and_dtype():
    a = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]
    t = gt.from_numpy(a)
    assert t.dtype == gt.int32 and t.shape == (3, 2) and not t.is_contiguous()
    assert np.shares_memory(t.numpy(), a)
    assert gt.from_numpy(np.ones(())).shape == ()


@pytest.mark.parametrize("bad, err, words", [
    ([1, 2], TypeError, "from_numpy: expected a numpy.ndarray, got list"),
    (np.zeros(2, np.complex64), TypeError, "from_numpy: unsupported dtype complex64"),
    (np.zeros(2, np.uint32), TypeError, "from_numpy: unsupported dtype uint32"),
])
def test_from_numpy_errors(bad, err, words):
    with pytest.raises(err, match=words):
        gt.from_numpy(bad)


def test_constant_shape_and_name(device):
    t = gt.constant(0, shape=(2, 2), device=device)
    assert t.tolist() == [[0, 0], [0, 0]] and t.dtype == gt.int64
    assert repr(gt.constant(0, shape=(2, 2))) == (
        "tensor([[0, 0],\n        [0, 0]], dtype=int64, device='cpu')")
    assert gt.constant(1.5, shape=3).tolist() == [1.5, 1.5, 1.5]
    assert gt.constant([1, 2, 3, 4], shape=(2, 2)).tolist() == [[1, 2], [3, 4]]
    assert gt.constant([7], shape=()).shape == ()
    assert gt.constant(1.0, dtype=gt.float64, name="c").name == "c"
    c = gt.constant(2.0, shape=(2,))
    c.numpy()[0] = 5
    assert c.tolist() == [5.0, 2.0]  # its own writable memory, not a broadcast view
    with pytest.raises(ValueError, match=r"constant: 3 values cannot fill shape \(2, 2\)"):
        gt.constant([1, 2, 3], shape=(2, 2))
    with pytest.raises(ValueError, match="constant: negative dimension"):
        gt.constant(1, shape=(-1,))


# hypothesis: tensor(data) round trips for random rectangular nested lists
def nested(elements):
    def build(shape):
        if not shape:
            return elements
        return st.lists(build(shape[1:]), min_size=shape[0], max_size=shape[0])
    return st.lists(st.integers(0, 3), min_size=0, max_size=3).flatmap(
        lambda shape: build(tuple(shape)))


@settings(max_examples=150, deadline=None)
@given(st.one_of(
    nested(st.integers(-2**62, 2**62)),
    nested(st.floats(-1e30, 1e30)),
    nested(st.booleans())))
def test_nested_lists_round_trip(data):
    t = gt.tensor(data)
    want = np.asarray(data)
    assert t.shape == want.shape
    if want.dtype.kind == "f":
        assert t.dtype == gt.float32
    elif want.dtype.kind == "b":
        assert t.dtype == gt.bool
    else:
        assert t.dtype == gt.int64
    assert t.tolist() == np.asarray(data, dtype=t.dtype).tolist()
    assert gt.tensor(t.tolist()).tolist() == t.tolist()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(-5, 5), min_size=0, max_size=4), min_size=2, max_size=4))
def test_ragged_or_rectangular(rows):
    lengths = {len(r) for r in rows}
    if len(lengths) == 1:
        assert gt.tensor(rows).shape == (len(rows), lengths.pop())
    else:
        with pytest.raises(ValueError, match="ragged nested sequence at depth 1"):
            gt.tensor(rows)


# -- from shapes ----------------------------------------------------------------------------
@pytest.mark.parametrize("fn, value", [(gt.zeros, 0), (gt.ones, 1), (gt.empty, None)])
def test_shape_makers(fn, value, device):
    for args in [(3, 2), ((3, 2),), ([3, 2],), (np.int64(3), 2)]:
        t = fn(*args, device=device)
        assert t.shape == (3, 2) and t.dtype == gt.float32 and t.device == device
        if value is not None:
            assert (host(t) == value).all()
    assert fn(device=device).shape == () and fn((), device=device).shape == ()
    assert fn(0, device=device).shape == (0,)
    assert fn(2, dtype=gt.int32, device=device).dtype == gt.int32
    assert fn(2, requires_grad=True, device=device).requires_grad
    with pytest.raises(ValueError, match=rf"{fn.__name__}: negative dimension in shape \(2, -1\)"):
        fn(2, -1, device=device)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: shape must be ints, got 2.5"):
        fn(2.5, device=device)
    with pytest.raises(TypeError, match=rf"{fn.__name__}: unsupported dtype complex64"):
        fn(2, dtype="complex64", device=device)
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        fn(2, dtype=gt.int64, requires_grad=True, device=device)


def test_full(device):
    t = gt.full((2, 3), 7, device=device)
    assert t.dtype == gt.int64 and (host(t) == 7).all() and t.device == device
    assert gt.full(2, 1.5, device=device).tolist() == [1.5, 1.5]
    assert gt.full((2,), True).dtype == gt.bool
    assert gt.full((2,), 7, dtype=gt.float16).dtype == gt.float16
    assert gt.full((2,), 7.9, dtype=gt.int32).tolist() == [7, 7]
    assert gt.full((2,), gt.tensor(3.0)).tolist() == [3.0, 3.0]
    assert gt.full((1,), 2.0, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="full: fill value: .*strings are not supported"):
        gt.full((2,), "a")
    with pytest.raises(TypeError, match="full: fill value: .*complex numbers"):
        gt.full((2,), 1j)
    with pytest.raises(OverflowError, match=r"full: fill value 300 is out of range for uint8"):
        gt.full((2,), 300, dtype=gt.uint8)
    with pytest.raises(ValueError, match="full: cannot fill an int32 tensor with nan"):
        gt.full((2,), float("nan"), dtype=gt.int32)
    with pytest.raises(ValueError, match="full: negative dimension"):
        gt.full((-2,), 1)


@pytest.mark.parametrize("fn, fill", [(gt.zeros_like, 0), (gt.ones_like, 1),
                                      (gt.empty_like, None), ("full_like", 4)])
def test_like(fn, fill, device):
    if fn == "full_like":
        fn = lambda t, **kw: gt.full_like(t, 4, **kw)  # noqa: E731
    src = gt.ones(2, 3, dtype=gt.int32, device=device)
    t = fn(src)
    assert t.shape == (2, 3) and t.dtype == gt.int32 and t.device == device
    if fill is not None:
        assert (host(t) == fill).all()
    t = fn(src, dtype=gt.float64)
    assert t.dtype == gt.float64 and t.device == device
    t = fn(src, dtype=gt.float32, requires_grad=True)
    assert t.requires_grad
    assert fn(src, device="cpu").device == "cpu"
    assert fn([[1.0, 2.0]]).shape == (1, 2)  # array-likes too
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        fn(src, requires_grad=True)


def test_eye(device):
    np.testing.assert_array_equal(host(gt.eye(3, device=device)), np.eye(3))
    np.testing.assert_array_equal(host(gt.eye(2, 4, device=device)), np.eye(2, 4))
    assert gt.eye(0).shape == (0, 0)
    assert gt.eye(2, dtype=gt.int64).tolist() == [[1, 0], [0, 1]]
    assert gt.eye(2, requires_grad=True).requires_grad
    assert gt.eye(2, device=device).device == device
    with pytest.raises(ValueError, match="eye: n must be non-negative, got -1"):
        gt.eye(-1)
    with pytest.raises(ValueError, match="eye: m must be non-negative, got -2"):
        gt.eye(2, -2)
    with pytest.raises(TypeError, match="eye: n must be an int, got float 2.0"):
        gt.eye(2.0)


@pytest.mark.parametrize("args, kwargs, want", [
    ((5,), {}, np.arange(5)),
    ((2, 5), {}, np.arange(2, 5)),
    ((1, 10, 3), {}, np.arange(1, 10, 3)),
    ((5, 0, -1), {}, np.arange(5, 0, -1)),
    ((0, 5, -1), {}, np.arange(0, 5, -1)),
    ((0, 1, 0.1), {}, np.arange(0, 1, 0.1, dtype=np.float32)),
    ((0.5,), {}, np.arange(0.5, dtype=np.float32)),
    ((-1.5, 2.0, 0.5), {}, np.arange(-1.5, 2.0, 0.5, dtype=np.float32)),
    ((0, 5), {"dtype": gt.float64}, np.arange(0, 5, dtype=np.float64)),
    ((5,), {"dtype": gt.int32}, np.arange(5, dtype=np.int32)),
    ((1,), {"limit": 10, "delta": 3}, np.arange(1, 10, 3)),
    ((), {"start": 2, "limit": 8, "delta": 2}, np.arange(2, 8, 2)),
    ((0,), {"end": 4, "step": 2}, np.arange(0, 4, 2)),
    ((10**18, 10**18 + 3), {}, np.arange(10**18, 10**18 + 3)),
])
def test_arange(args, kwargs, want, device):
    for fn in (gt.arange, gt.range):
        t = fn(*args, device=device, **kwargs)
        assert t.dtype == want.dtype and t.device == device
        np.testing.assert_allclose(host(t), want, rtol=1e-6)


def test_range_is_arange_with_tf_argument_order():
    assert gt.range is gt.arange
    assert gt.range(3, 18, 3).tolist() == [3, 6, 9, 12, 15]  # tf.range(start, limit, delta)
    assert gt.range(5).tolist() == [0, 1, 2, 3, 4]


def test_arange_float_steps_do_not_drift():
    t = gt.arange(0, 100, 0.1)
    assert len(t) == 1000
    np.testing.assert_allclose(t.numpy(), np.arange(1000) * 0.1, rtol=1e-6, atol=1e-5)
    assert t.numpy()[-1] < 100


def test_arange_requires_grad_and_errors():
    assert gt.arange(0.0, 3.0, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        gt.arange(3, requires_grad=True)
    with pytest.raises(ValueError, match="arange: step must not be zero"):
        gt.arange(0, 5, 0)
    with pytest.raises(ValueError, match="arange: step must not be zero"):
        gt.range(0, 1, 0.0)
    with pytest.raises(ValueError, match="arange: start, end and step must be finite"):
        gt.arange(float("inf"))
    with pytest.raises(ValueError, match="arange: start, end and step must be finite"):
        gt.arange(0, 1, float("nan"))
    with pytest.raises(TypeError, match="arange: start, end and step must be numbers"):
        gt.arange("5")
    with pytest.raises(TypeError, match="arange: unsupported dtype complex64"):
        gt.arange(3, dtype="complex64")


@pytest.mark.parametrize("args, kwargs, want", [
    ((0, 1, 5), {}, np.linspace(0, 1, 5, dtype=np.float32)),
    ((0, 1), {"steps": 3}, np.linspace(0, 1, 3, dtype=np.float32)),
    ((-1, 1, 4), {"dtype": gt.float64}, np.linspace(-1, 1, 4)),
    ((0, 10, 5), {"dtype": gt.int32}, np.linspace(0, 10, 5, dtype=np.int32)),
    ((-1, 0, 3), {"dtype": gt.int64}, np.linspace(-1, 0, 3, dtype=np.int64)),
    ((0, 1, 4), {"endpoint": False}, np.linspace(0, 1, 4, endpoint=False, dtype=np.float32)),
    ((2, 3, 1), {}, np.array([2.0], dtype=np.float32)),
    ((2, 3, 0), {}, np.zeros(0, dtype=np.float32)),
    ((0, 1), {}, np.linspace(0, 1, dtype=np.float32)),
])
def test_linspace(args, kwargs, want, device):
    t = gt.linspace(*args, device=device, **kwargs)
    assert t.dtype == want.dtype and t.shape == want.shape and t.device == device
    np.testing.assert_allclose(host(t), want, rtol=1e-6)


def test_linspace_errors():
    assert gt.linspace(0, 1, 3, requires_grad=True).requires_grad
    assert gt.linspace(gt.tensor(0.0), gt.tensor(2.0), 3).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="linspace: the number of values must be "
                                         "non-negative, got -1"):
        gt.linspace(0, 1, -1)
    with pytest.raises(TypeError, match="linspace: the number of values must be an int, got "
                                        "float 2.5"):
        gt.linspace(0, 1, 2.5)
    with pytest.raises(TypeError, match="linspace: start and stop must be numbers"):
        gt.linspace("a", 1, 3)
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        gt.linspace(0, 1, 3, dtype=gt.int64, requires_grad=True)


def test_every_maker_takes_dtype_device_requires_grad(device):
    makers = {
        "tensor": lambda **kw: gt.tensor([1.0, 2.0], **kw),
        "zeros": lambda **kw: gt.zeros(2, **kw), "ones": lambda **kw: gt.ones(2, **kw),
        "empty": lambda **kw: gt.empty(2, **kw), "full": lambda **kw: gt.full((2,), 1.0, **kw),
        "zeros_like": lambda **kw: gt.zeros_like(gt.ones(2), **kw),
        "ones_like": lambda **kw: gt.ones_like(gt.ones(2), **kw),
        "full_like": lambda **kw: gt.full_like(gt.ones(2), 3.0, **kw),
        "empty_like": lambda **kw: gt.empty_like(gt.ones(2), **kw),
        "eye": lambda **kw: gt.eye(2, **kw), "arange": lambda **kw: gt.arange(2, **kw),
        "linspace": lambda **kw: gt.linspace(0, 1, 2, **kw),
        "rand": lambda **kw: gt.rand(2, **kw), "randn": lambda **kw: gt.randn(2, **kw),
    }
    for name, make in makers.items():
        t = make(dtype=gt.float64, device=device, requires_grad=True)
        assert t.dtype == gt.float64 and t.device == device and t.requires_grad, name
        assert math.prod(t.shape) >= 2, name
