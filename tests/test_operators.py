"""Python operators on tensors: forward, reflected (Python scalars, NumPy arrays), unary,
comparisons, logical/bitwise, ``@``, augmented assignment, and the weak-scalar dtype rules."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import gputensor as gt


def t(data, device, dtype=None):
    return gt.tensor(data, dtype=dtype, device=device)


def host(x):
    assert isinstance(x, gt.Tensor), type(x)
    return x.cpu().numpy()


ARITH = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
         operator.mod, operator.pow]


@pytest.mark.parametrize("op", ARITH, ids=lambda f: f.__name__)
def test_binary_operators_match_numpy(op, device):
    a = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -1.25]], np.float32)
    b = np.array([2.0, 0.5, 1.5], np.float32)
    if op is operator.pow:
        a = np.abs(a)
    ta, tb = t(a, device), t(b, device)
    for got, want in [(op(ta, tb), op(a, b)), (op(ta, 2.0), op(a, np.float32(2.0))),
                      (op(3.0, tb), op(np.float32(3.0), b))]:
        assert got.dtype == gt.float32 and got.shape == want.shape
        np.testing.assert_allclose(host(got), want, rtol=1e-6)


@pytest.mark.parametrize("op", ARITH, ids=lambda f: f.__name__)
def test_reflected_with_numpy_arrays_and_scalars(op, device):
    a = np.array([1.0, 2.0, 4.0])
    tb = t([2.0, 3.0, 0.5], device, gt.float64)
    b = host(tb)
    got = op(a, tb)  # ndarray defers to Tensor (__array_ufunc__ = None): a Tensor comes back
    assert isinstance(got, gt.Tensor)
    np.testing.assert_allclose(host(got), op(a, b))
    np.testing.assert_allclose(host(op(2, tb)), op(2, b))
    np.testing.assert_allclose(host(op([1.0, 2.0, 3.0], tb)), op(np.array([1.0, 2.0, 3.0]), b))
    assert isinstance(op(np.float64(2.0), tb), gt.Tensor)


def test_ndarray_plus_tensor_is_a_tensor(device):
    tb = t([1.0, 2.0], device)
    out = np.array([10.0, 20.0], np.float32) + tb
    assert isinstance(out, gt.Tensor) and host(out).tolist() == [11.0, 22.0]
    assert isinstance(np.array([1.0]) == tb, gt.Tensor)
    assert host(np.array([1.0, 5.0]) < tb).tolist() == [False, False]


@pytest.mark.parametrize("dtype,scalar,want", [
    ("float32", 2.0, "float32"), ("float16", 2.5, "float16"), ("int32", 1, "int32"),
    ("int32", 2.5, "float32"), ("int64", 2.5, "float32"), ("uint8", 3, "uint8")])
def test_weak_scalars_through_operators(dtype, scalar, want, device):
    a = t([1, 2], device, dtype)
    for out in (a * scalar, scalar * a, a + scalar, scalar + a, a - scalar, a ** scalar):
        assert out.dtype == np.dtype(want), (dtype, scalar, out.dtype)
    assert (a ** 2).dtype == a.dtype and (2 ** a).dtype == a.dtype


def test_int_division_gives_float(device):
    a, b = t([1, 2, 3], device), t([2, 4, 2], device)
    assert (a / b).dtype == gt.float32 and host(a / b).tolist() == [0.5, 0.5, 1.5]
    assert (a / 2).dtype == gt.float32 and (2 / a).dtype == gt.float32
    assert (a // b).dtype == gt.int64 and host(a // b).tolist() == [0, 0, 1]
    assert host(t([-7, 7], device) // 2).tolist() == [-4, 3]
    assert host(t([-7, 7], device) % 3).tolist() == [2, 1]
    q, r = divmod(t([-7, 7], device), 3)
    assert host(q).tolist() == [-3, 2] and host(r).tolist() == [2, 1]
    q, r = divmod(7, t([2, -2], device))
    assert host(q).tolist() == [3, -4] and host(r).tolist() == [1, -1]


def test_unary_operators(device):
    a = t([-1.5, 0.0, 2.0], device)
    assert host(-a).tolist() == [1.5, -0.0, -2.0]
    assert host(+a).tolist() == [-1.5, 0.0, 2.0] and (+a) is not a
    assert host(abs(a)).tolist() == [1.5, 0.0, 2.0]
    assert host(~t([True, False], device)).tolist() == [False, True]
    assert host(~t([0, 5], device, gt.int8)).tolist() == [-1, -6]
    assert host(round(t([0.5, 1.5, 2.5], device))).tolist() == [0.0, 2.0, 2.0]
    assert host(round(t([1.234], device, gt.float64), 2)).tolist() == [1.23]


@pytest.mark.parametrize("op", [operator.eq, operator.ne, operator.lt, operator.le,
                                operator.gt, operator.ge], ids=lambda f: f.__name__)
def test_comparisons_return_bool_tensors(op, device):
    a = np.array([1.0, 2.0, 3.0])
    ta = t(a, device)
    for got, want in [(op(ta, 2.0), op(a, 2.0)), (op(2.0, ta), op(2.0, a)),
                      (op(ta, t([3.0, 2.0, 1.0], device)), op(a, np.array([3.0, 2.0, 1.0])))]:
        assert isinstance(got, gt.Tensor) and got.dtype == gt.bool
        assert host(got).tolist() == want.tolist()


def test_tensors_stay_hashable_by_identity(device):
    a, b = t([1.0], device), t([1.0], device)
    assert hash(a) != hash(b) or a is b
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b" and len({a, b, a}) == 2
    assert (a == None) is False and (a != None) is True  # noqa: E711  identity, as PyTorch
    assert a in [a] and host(a == b).tolist() == [True]


def test_logical_for_bool_bitwise_for_ints(device):
    p, q = t([True, True, False], device), t([True, False, False], device)
    assert host(p & q).tolist() == [True, False, False]
    assert host(p | q).tolist() == [True, True, False]
    assert host(p ^ q).tolist() == [False, True, False]
    assert (p & q).dtype == gt.bool
    i = t([12, 5], device, gt.int32)
    assert host(i & 10).tolist() == [8, 0] and host(i | 10).tolist() == [14, 15]
    assert host(i ^ 10).tolist() == [6, 15] and (i & 10).dtype == gt.int32
    assert host(3 & i).tolist() == [0, 1]
    assert host(i << 1).tolist() == [24, 10] and host(i >> 2).tolist() == [3, 1]
    assert host(1 << t([1, 2], device)).tolist() == [2, 4]
    f = t([1.0], device)
    with pytest.raises(TypeError, match=r"bitwise_and: unsupported dtype float32; accepted "
                                        r"dtypes are bool"):
        f & f
    with pytest.raises(TypeError, match=r"bitwise_or: unsupported dtype float32"):
        True | f


def test_matmul_operator(device):
    if not hasattr(gt, "matmul"):
        pytest.skip("gt.matmul is not there yet")
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(3.0)
    ta, tb = t(a, device), t(b, device)
    np.testing.assert_allclose(host(ta @ tb), a @ b)
    np.testing.assert_allclose(host(a @ tb), a @ b)  # reflected from an ndarray
    m = t(np.eye(2), device)
    m2 = m
    m @= t([[1.0, 2.0], [3.0, 4.0]], device)
    assert m is m2 and host(m).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_float16_operators(device):
    a = np.array([0.1, 1.7, 300.0], np.float16)
    b = np.array([3.0, 0.3, 7.0], np.float16)
    ta, tb = t(a, device), t(b, device)
    for op in (operator.add, operator.mul, operator.truediv, operator.sub):
        got = op(ta, tb)
        assert got.dtype == gt.float16
        np.testing.assert_allclose(host(got).astype(float), op(a.astype(float), b.astype(float)),
                                   rtol=2.0 ** -10)


# -- augmented assignment ------------------------------------------------------------------
@pytest.mark.parametrize("op,iop", [(operator.add, operator.iadd), (operator.sub, operator.isub),
                                    (operator.mul, operator.imul),
                                    (operator.truediv, operator.itruediv),
                                    (operator.floordiv, operator.ifloordiv),
                                    (operator.mod, operator.imod), (operator.pow, operator.ipow)],
                         ids=lambda f: f.__name__)
def test_augmented_assignment_is_in_place(op, iop, device):
    a = t([[1.0, 2.0], [3.0, 4.0]], device)
    view = a[1]
    before = a._version_counter()[0]
    want = op(host(a).copy(), np.float32(2.0))
    out = iop(a, 2.0)
    assert out is a
    np.testing.assert_allclose(host(a), want, rtol=1e-6)
    np.testing.assert_allclose(host(view), want[1], rtol=1e-6)  # views see the write
    assert a._version_counter()[0] == before + 1
    assert view._version_counter() is a._version_counter()


def test_augmented_assignment_through_a_view(device):
    a = t(np.zeros((3, 4)), device)
    col = a[:, 1]  # non-contiguous view
    col += 5
    assert host(a)[:, 1].tolist() == [5.0, 5.0, 5.0] and host(a).sum() == 15.0
    a[0] += 1  # getitem view, in place, then setitem
    assert host(a)[0].tolist() == [1.0, 6.0, 1.0, 1.0]


def test_augmented_assignment_broadcasts_the_other_operand(device):
    a = t(np.ones((2, 3)), device)
    a *= t([1.0, 2.0, 3.0], device)
    assert host(a).tolist() == [[1.0, 2.0, 3.0]] * 2
    b = t([1.0, 2.0], device)
    with pytest.raises(ValueError, match=r"__iadd__: the result has shape \(2, 2\) but the "
                                         r"tensor being updated in place has shape \(2,\)"):
        b += t([[1.0], [2.0]], device)
    assert host(b).tolist() == [1.0, 2.0]


def test_int_tensor_plus_float_in_place_raises(device):
    a = t([1, 2], device)
    version = a._version_counter()[0]
    with pytest.raises(TypeError, match=r"__iadd__: .*float32.*int64"):
        a += 0.5
    with pytest.raises(TypeError, match=r"__itruediv__: .*float32.*int64"):
        a /= 2
    with pytest.raises(TypeError, match=r"__imul__: .*float64.*int64"):
        a *= t([1.5, 1.0], device)
    assert host(a).tolist() == [1, 2] and a._version_counter()[0] == version
    a += 3
    a //= 2
    assert host(a).tolist() == [2, 2] and a.dtype == gt.int64
    f = t([1.0], device, gt.float32)
    f += t([1.0], device, gt.float64)  # float64 into float32: same kind, allowed
    assert f.dtype == gt.float32 and host(f).tolist() == [2.0]
    m = t([True, False], device)
    m &= t([True, True], device)
    m |= False
    assert host(m).tolist() == [True, False] and m.dtype == gt.bool


def test_augmented_assignment_on_leaf_requiring_grad(device):
    w = t([1.0, 2.0], device).requires_grad_()
    with pytest.raises(RuntimeError, match=r"__iadd__: a leaf tensor that requires grad "
                                           r"cannot be changed in place"):
        w += 1
    assert host(w.detach()).tolist() == [1.0, 2.0]
    with gt.no_grad():
        w -= 1
    assert host(w.detach()).tolist() == [0.0, 1.0] and w.requires_grad


# -- hypothesis: operators against NumPy on broadcast shapes --------------------------------
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_operators_broadcast_like_numpy(device, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    dtype = data.draw(st.sampled_from(["float32", "float64", "int32", "int64"]))
    elems = (st.integers(1, 9) if dtype.startswith("int")
             else st.floats(0.5, 9, width=32))
    a = data.draw(hnp.arrays(dtype, shapes.input_shapes[0], elements=elems))
    b = data.draw(hnp.arrays(dtype, shapes.input_shapes[1], elements=elems))
    op = data.draw(st.sampled_from([operator.add, operator.sub, operator.mul, operator.truediv,
                                    operator.floordiv, operator.mod, operator.lt, operator.eq]))
    got = op(t(a, device), t(b, device))
    want = op(a, b)
    assert got.shape == np.shape(want)
    if op is operator.truediv and dtype.startswith("int"):
        assert got.dtype == gt.float32
        np.testing.assert_allclose(host(got), want, rtol=1e-6)
    else:
        assert got.dtype == np.asarray(want).dtype
        np.testing.assert_allclose(host(got), want, rtol=1e-6)
