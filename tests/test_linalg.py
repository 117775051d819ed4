"""Linear algebra against NumPy: matmul's shape rules (1-D promotion, batch broadcasting),
the strict mm / dot / bmm, outer / tensordot / einsum, gt.linalg inv / det / solve / norm,
and every error message."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gputensor as gt

from opcheck import assert_close


def T(a, device, dtype=None):
    return gt.tensor(np.asarray(a), dtype=dtype, device=device)


def N(t):
    return t.cpu().numpy()


def rand(shape, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind in "iu":
        return rng.integers(-4, 5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def well_conditioned(shape, seed=0):
    n = shape[-1]
    return rand(shape, seed) + 3 * n * np.eye(n)


# -- matmul: NumPy's shape rules -----------------------------------------------------------
MATMUL_SHAPES = [
    ((2, 3), (3, 4)),            # plain
    ((3,), (3,)),                # vector . vector -> 0-d
    ((3,), (3, 4)),              # vector promoted to a row on the left
    ((2, 3), (3,)),              # vector promoted to a column on the right
    ((5, 2, 3), (3,)),           # batch @ vector
    ((3,), (5, 3, 2)),           # vector @ batch
    ((5, 2, 3), (3, 4)),         # batch @ matrix
    ((2, 3), (5, 3, 4)),         # matrix @ batch
    ((2, 1, 3, 4), (5, 4, 2)),   # batch broadcasting
    ((1, 2, 3), (4, 3, 2)),
    ((0, 3), (3, 2)),            # empty rows
    ((2, 0), (0, 3)),            # empty inner: zeros
    ((0, 2, 3), (3, 1)),         # empty batch
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_matmul_shape_rules_match_numpy(device, sa, sb, dtype):
    a, b = rand(sa, 1, dtype), rand(sb, 2, dtype)
    want = np.matmul(a, b)
    got = gt.matmul(T(a, device), T(b, device))
    assert got.shape == want.shape and got.dtype == np.dtype(dtype)
    assert_close(got, want, dtype, "matmul")
    assert T(a, device).matmul(T(b, device)).shape == want.shape


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_matmul_broadcasting_hypothesis(device, data):
    n, k, m = (data.draw(st.integers(1, 4)) for _ in range(3))
    batch = data.draw(st.lists(st.integers(1, 3), max_size=3))
    ba = [d if data.draw(st.booleans()) else 1 for d in batch]
    bb = [d if data.draw(st.booleans()) else 1 for d in batch]
    ba = ba[data.draw(st.integers(0, len(ba))):]  # drop some leading batch axes
    sa = tuple(ba) + ((n, k) if data.draw(st.booleans()) else (k,))
    sb = tuple(bb) + ((k, m) if data.draw(st.booleans()) else (k,))
    a, b = rand(sa, 3), rand(sb, 4)
    try:
        want = np.matmul(a, b)
    except ValueError:
        with pytest.raises(ValueError, match="matmul: shapes"):
            gt.matmul(T(a, device), T(b, device))
        return
    got = gt.matmul(T(a, device), T(b, device))
    assert got.shape == want.shape
    np.testing.assert_allclose(N(got), want, rtol=1e-12, atol=1e-12)


def test_matmul_ints_and_bools_like_numpy(device):
    a = np.array([[1, 2], [3, 4]])
    got = gt.matmul(T(a, device), T(a, device))
    assert got.dtype == gt.int64 and got.tolist() == (a @ a).tolist()
    assert gt.matmul(T(a, device, gt.int32), T(a, device, gt.int32)).dtype == gt.int32
    mixed = gt.matmul(T(a, device), T(a, device, gt.float32))
    assert mixed.dtype == np.result_type(np.int64, np.float32)


def test_matmul_errors(device):
    with pytest.raises(ValueError, match=r"^matmul: shapes \(2, 3\) and \(2, 3\) do not align: "
                                         r"3 != 2$"):
        gt.matmul(gt.ones(2, 3, device=device), gt.ones(2, 3, device=device))
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) do not align: "
                                         r"3 != 4"):
        gt.matmul(gt.ones(3, device=device), gt.ones(4, device=device))
    with pytest.raises(ValueError, match=r"matmul: shapes \(5, 2, 3\) and \(4,\) do not align"):
        gt.matmul(gt.ones(5, 2, 3, device=device), gt.ones(4, device=device))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 2, 3\) and \(3, 3, 4\): the "
                                         r"batch dimensions \(2,\) and \(3,\) cannot be "
                                         "broadcast"):
        gt.matmul(gt.ones(2, 2, 3, device=device), gt.ones(3, 3, 4, device=device))
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) and \(3,\): 0-d tensors cannot "
                                         r"be matrix-multiplied; use multiply"):
        gt.matmul(gt.tensor(2.0, device=device), gt.ones(3, device=device))
    with pytest.raises(ValueError, match="0-d tensors"):
        gt.matmul(gt.ones(3, device=device), 2.0)


# -- mm, dot, bmm: PyTorch's strictness -----------------------------------------------------
def test_mm_dot_bmm_values(device):
    a, b = rand((2, 3), 1), rand((3, 4), 2)
    np.testing.assert_allclose(N(gt.mm(T(a, device), T(b, device))), a @ b)
    np.testing.assert_allclose(N(T(a, device).mm(T(b, device))), a @ b)
    u, v = rand((4,), 3), rand((4,), 4)
    d = gt.dot(T(u, device), T(v, device))
    assert d.shape == () and np.isclose(d.item(), u @ v)
    assert np.isclose(T(u, device).dot(T(v, device)).item(), u @ v)
    x, y = rand((5, 2, 3), 5), rand((5, 3, 4), 6)
    np.testing.assert_allclose(N(gt.bmm(T(x, device), T(y, device))), x @ y)
    np.testing.assert_allclose(N(T(x, device).bmm(T(y, device))), x @ y)
    assert gt.dot(T([1, 2], device), T([3, 4], device)).item() == 11


def test_mm_dot_bmm_errors(device):
    v, m, b3 = gt.ones(3, device=device), gt.ones(3, 4, device=device), gt.ones(2, 3, 4,
                                                                                device=device)
    with pytest.raises(ValueError, match=r"mm: expected 2-D tensors \(matrices\), got shapes "
                                         r"\(3,\) and \(3, 4\); mm is 2-D only, use matmul"):
        gt.mm(v, m)
    with pytest.raises(ValueError, match=r"mm: .*\(2, 3, 4\) and \(3, 4\)"):
        gt.mm(b3, m)
    with pytest.raises(ValueError, match=r"mm: shapes \(3, 4\) and \(3, 4\) do not align: "
                                         r"4 != 3"):
        gt.mm(m, m)
    with pytest.raises(ValueError, match=r"dot: expected 1-D tensors \(vectors\), got shapes "
                                         r"\(3, 4\) and \(3,\); dot is 1-D only, use matmul"):
        gt.dot(m, v)
    with pytest.raises(ValueError, match=r"dot: shapes \(3,\) and \(4,\) do not align: 3 != 4"):
        gt.dot(v, gt.ones(4, device=device))
    with pytest.raises(ValueError, match=r"bmm: expected 3-D tensors .*\(3, 4\) and "
                                         r"\(2, 3, 4\)"):
        gt.bmm(m, b3)
    with pytest.raises(ValueError, match=r"bmm: batch sizes differ: shapes \(2, 3, 4\) and "
                                         r"\(3, 4, 5\) \(2 != 3\); bmm does not broadcast"):
        gt.bmm(b3, gt.ones(3, 4, 5, device=device))
    with pytest.raises(ValueError, match=r"bmm: shapes \(2, 3, 4\) and \(2, 3, 4\) do not "
                                         r"align: 4 != 3"):
        gt.bmm(b3, b3)


# -- outer, tensordot, einsum ---------------------------------------------------------------
def test_outer(device):
    a, b = rand((3,), 1), rand((4,), 2)
    np.testing.assert_allclose(N(gt.outer(T(a, device), T(b, device))), np.outer(a, b))
    np.testing.assert_allclose(N(T(a, device).outer(T(b, device))), np.outer(a, b))
    m = rand((2, 2), 3)  # NumPy flattens
    assert gt.outer(T(m, device), T(b, device)).shape == (4, 4)
    assert gt.outer(T([1, 2], device), T([3], device)).dtype == gt.int64


@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3), (3, 4), 1), ((2, 3, 4), (3, 4, 5), 2), ((2,), (3,), 0),
    ((3, 2), (4, 3), ([0], [1])), ((2, 3, 4), (4, 3), ((-1, 1), (0, 1))),
    ((2, 3), (3, 2), (1, 0)),
])
def test_tensordot_matches_numpy(device, sa, sb, axes):
    a, b = rand(sa, 1), rand(sb, 2)
    want = np.tensordot(a, b, axes)
    got = gt.tensordot(T(a, device), T(b, device), axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(N(got), want, rtol=1e-12)


def test_tensordot_errors(device):
    a, b = gt.ones(2, 3, device=device), gt.ones(4, 5, device=device)
    with pytest.raises(ValueError, match=r"tensordot: shapes \(2, 3\) and \(4, 5\) do not "
                                         r"align: axis 1 of a has size 3 but axis 0 of b has "
                                         "size 4"):
        gt.tensordot(a, b, 1)
    with pytest.raises(ValueError, match="tensordot: axes=3 must be between 0 and"):
        gt.tensordot(a, b, 3)
    with pytest.raises(ValueError, match="tensordot: .* must name as many axes of a as of b"):
        gt.tensordot(a, b, ([0, 1], [0]))
    with pytest.raises(IndexError, match="tensordot: axis 2 is out of range"):
        gt.tensordot(a, b, ([2], [0]))
    with pytest.raises(TypeError, match="tensordot: axes must be an int or a pair"):
        gt.tensordot(a, b, "x")


@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]), ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("ij", [(2, 3)]), ("i,i", [(1,), (3,)]),
])
def test_einsum_matches_numpy(device, subscripts, shapes):
    arrays = [rand(s, i) for i, s in enumerate(shapes)]
    want = np.einsum(subscripts, *arrays)
    got = gt.einsum(subscripts, *[T(a, device) for a in arrays])
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(N(got), want, rtol=1e-12)
    got = gt.einsum(subscripts, [T(a, device) for a in arrays])  # PyTorch's list form
    np.testing.assert_allclose(N(got), want, rtol=1e-12)


def test_einsum_errors(device):
    a, b = gt.ones(2, 3, device=device), gt.ones(4, 5, device=device)
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij,jk->ik' name 2 operand\(s\) "
                                         "but 3 were given"):
        gt.einsum("ij,jk->ik", a, a, a)
    with pytest.raises(ValueError, match=r"einsum: operand 0 has 2 dimension\(s\) \(shape "
                                         r"\(2, 3\)\) but its subscripts 'ijk' name 3"):
        gt.einsum("ijk->i", a)
    with pytest.raises(ValueError, match=r"einsum: label 'j' has size 3 in operand 0 .* but 4 "
                                         r"in operand 1 \(shape \(4, 5\)\)"):
        gt.einsum("ij,jk->ik", a, b)
    with pytest.raises(TypeError, match="einsum: the first argument must be the subscripts"):
        gt.einsum(a, "ij->ji")
    with pytest.raises(ValueError, match="einsum: no operands"):
        gt.einsum("ij->ji")


# -- gt.linalg: inv, det, solve ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1), (3, 3), (6, 6), (2, 4, 4), (0, 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_inv_det_match_numpy(device, shape, dtype):
    a = well_conditioned(shape, 7).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10)
    inv = gt.linalg.inv(T(a, device))
    assert inv.dtype == np.dtype(dtype) and inv.shape == shape
    np.testing.assert_allclose(N(inv), np.linalg.inv(a.astype(np.float64)), **tol)
    det = gt.linalg.det(T(a, device))
    assert det.dtype == np.dtype(dtype) and det.shape == shape[:-2]
    np.testing.assert_allclose(N(det), np.linalg.det(a.astype(np.float64)), **tol)
    if a.size:
        eye = np.broadcast_to(np.eye(shape[-1]), shape)
        np.testing.assert_allclose(N(gt.matmul(T(a, device), inv)), eye, atol=1e-5)
        assert T(a, device).inverse().shape == shape and T(a, device).det().shape == shape[:-2]


def test_linalg_int_and_float16_inputs(device):
    a = np.array([[4, 1], [2, 3]])
    inv = gt.linalg.inv(T(a, device))
    assert inv.dtype == gt.float32  # the default float, where NumPy gives float64
    np.testing.assert_allclose(N(inv), np.linalg.inv(a), rtol=1e-6)
    assert gt.linalg.det(T(a, device)).dtype == gt.float32
    assert np.isclose(gt.linalg.det(T(a, device)).item(), 10.0)
    h = gt.linalg.inv(T(a, device, gt.float16))  # computed in float32, returned as float16
    assert h.dtype == gt.float16
    np.testing.assert_allclose(N(h).astype(np.float64), np.linalg.inv(a), rtol=2e-3)
    x = gt.linalg.solve(T(a, device), T([1, 2], device))
    assert x.dtype == gt.float32
    np.testing.assert_allclose(N(x), np.linalg.solve(a, [1, 2]), rtol=1e-6)


@pytest.mark.parametrize("sa,sb", [
    ((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (3,)),
    ((2, 3, 3), (3, 2)), ((3, 3), (4, 3, 2)), ((2, 1, 3, 3), (5, 3, 1)), ((0, 0), (0,)),
])
def test_solve_matches_numpy(device, sa, sb):
    a, b = well_conditioned(sa, 1), rand(sb, 2)
    want = np.linalg.solve(a, b)
    got = gt.linalg.solve(T(a, device), T(b, device))
    assert got.shape == want.shape and got.dtype == gt.float64
    np.testing.assert_allclose(N(got), want, rtol=1e-10, atol=1e-12)


def test_singular_matrix_errors(device):
    s = T([[1.0, 2.0], [2.0, 4.0]], device)
    for exc in (gt.linalg.LinAlgError, ValueError):
        with pytest.raises(exc, match=r"inv: matrix is singular \(not invertible\); shape "
                                      r"\(2, 2\)"):
            gt.linalg.inv(s)
    with pytest.raises(gt.linalg.LinAlgError, match="inv: matrix is singular"):
        gt.linalg.inv(T(np.stack([np.eye(2), [[1.0, 2.0], [2.0, 4.0]]]), device))
    with pytest.raises(gt.linalg.LinAlgError, match="solve: matrix a is singular"):
        gt.linalg.solve(s, T([1.0, 2.0], device))
    with pytest.raises(gt.linalg.LinAlgError, match="inv: matrix is singular"):
        gt.linalg.inv(T(np.zeros((3, 3)), device))
    assert gt.linalg.det(s).item() == 0.0  # det of a singular matrix is 0, no error


def test_linalg_shape_errors(device):
    with pytest.raises(ValueError, match=r"inv: expected a square matrix or a batch of them "
                                         r"\(shape \(\.\.\., n, n\)\), got shape \(2, 3\)"):
        gt.linalg.inv(gt.ones(2, 3, device=device))
    with pytest.raises(ValueError, match=r"det: expected a square matrix .*got shape \(3,\)"):
        gt.linalg.det(gt.ones(3, device=device))
    with pytest.raises(ValueError, match=r"solve: expected a square matrix a .*\(2, 3\)"):
        gt.linalg.solve(gt.ones(2, 3, device=device), gt.ones(2, device=device))
    eye = gt.eye(3, device=device)
    with pytest.raises(ValueError, match=r"solve: shapes \(3, 3\) and \(4,\) do not align: a "
                                         r"has 3 rows but b has 4"):
        gt.linalg.solve(eye, gt.ones(4, device=device))
    with pytest.raises(ValueError, match=r"solve: shapes \(3, 3\) and \(3, 2, 1\) do not "
                                         "align: a has 3 rows but b has 2"):
        gt.linalg.solve(eye, gt.ones(3, 2, 1, device=device))
    with pytest.raises(ValueError, match=r"solve: shapes \(2, 3, 3\) and \(4, 3, 1\): the batch "
                                         r"dimensions \(2,\) and \(4,\) cannot be broadcast"):
        gt.linalg.solve(gt.ones(2, 3, 3, device=device), gt.ones(4, 3, 1, device=device))
    with pytest.raises(ValueError, match="solve: b must be a vector"):
        gt.linalg.solve(eye, gt.tensor(1.0, device=device))
    with pytest.raises(TypeError, match="inv: unsupported dtype bool"):
        gt.linalg.inv(gt.tensor([[True]], device=device))


def test_failed_call_changes_nothing(device):
    a = T([[1.0, 2.0], [2.0, 4.0]], device)
    before = N(a).copy()
    with pytest.raises(ValueError):
        gt.linalg.inv(a)
    np.testing.assert_array_equal(N(a), before)


def test_namespace():
    for name in ("inv", "det", "solve", "norm", "matmul", "outer", "tensordot", "einsum"):
        assert callable(getattr(gt.linalg, name))
        assert getattr(gt.linalg, name).__doc__.count(">>>") >= 1
    assert gt.linalg.matmul is gt.matmul and gt.linalg.norm is gt.norm
    assert gt.linalg.LinAlgError is np.linalg.LinAlgError
    for name in ("matmul", "mm", "dot", "bmm", "outer", "tensordot", "einsum"):
        assert callable(getattr(gt, name))
    assert gt.Tensor.inverse is gt.linalg.inv and gt.Tensor.det is gt.linalg.det
    assert {gt.OPS[n].kind for n in ("matmul", "outer", "tensordot", "einsum", "inv", "det",
                                     "solve")} == {"linalg"}
