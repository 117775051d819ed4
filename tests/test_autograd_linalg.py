"""Gradients of the linear-algebra rows (ops/linalg.py) beyond the table-driven gradcheck:
matmul's 1-D promotion and batch broadcasting, einsum's generated subscripts (repeated
operands, diagonals, ellipses, implicit outputs), inv/det/solve against closed forms (det of
singular matrices included), the internal SVD, and a Hessian-vector product of a small MLP."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
from gputensor.autograd import gradcheck
from gputensor.ops.linalg import _cofactor_ref, svd_reduced
from testkit import host, leaf


def rand(*shape, seed=0):
    return np.random.default_rng(seed + sum(shape)).standard_normal(shape)


def grads(out, inputs, upstream):
    return [host(g) for g in gt.grad(out, inputs, gt.tensor(upstream, device=out.device))]


# -- matmul ----------------------------------------------------------------------------------------
def _matmul_reference(a, b, g):
    """Gradients of sum(g * (a @ b)) from NumPy, with the 1-D promotions done by hand."""
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = np.asarray(g)
    if b.ndim == 1:
        g2 = g2[..., None]
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    ga = g2 @ np.swapaxes(b2, -1, -2)
    gb = np.swapaxes(a2, -1, -2) @ g2
    if a.ndim == 1:
        ga = ga[..., 0, :]
    if b.ndim == 1:
        gb = gb[..., 0]

    def down(x, shape):
        while x.ndim > len(shape):
            x = x.sum(0)
        return x.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)

    return down(ga, a.shape), down(gb, b.shape)


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)),
                                   ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 3), (3, 4)),
                                   ((2, 1, 3, 4), (5, 4, 2)), ((5, 2, 3), (3, 4)),
                                   ((2, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 2))])
def test_matmul_gradient_shapes_and_values(sa, sb, device):
    a_np, b_np = rand(*sa), rand(*sb, seed=1)
    a, b = leaf(a_np, device), leaf(b_np, device)
    out = gt.matmul(a, b)
    g = rand(*out.shape, seed=2)
    ga, gb = grads(out, [a, b], g)
    assert ga.shape == sa and gb.shape == sb
    want_a, want_b = _matmul_reference(a_np, b_np, g)
    np.testing.assert_allclose(ga, want_a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gb, want_b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("sa,sb", [((3,), (5, 3, 4)), ((2, 1, 3, 4), (5, 4, 2)),
                                   ((5, 2, 3), (3, 4))])
def test_matmul_gradcheck_broadcast(sa, sb, device):
    assert gradcheck(gt.matmul, [leaf(rand(*sa), device), leaf(rand(*sb, seed=1), device)])


def test_mm_dot_bmm_and_operator_share_matmul_rule(device):
    a, b = leaf(rand(2, 3), device), leaf(rand(3, 4), device)
    assert gradcheck(gt.mm, [a, b])
    assert gradcheck(lambda x, y: x @ y, [a, b])
    u, v = leaf(rand(4), device), leaf(rand(4, seed=3), device)
    assert gradcheck(gt.dot, [u, v])
    assert gradcheck(gt.bmm, [leaf(rand(2, 2, 3), device), leaf(rand(2, 3, 2), device)])
    (gu,) = gt.grad(gt.dot(u, v), u)
    np.testing.assert_allclose(host(gu), host(v.detach()))


def test_matmul_only_one_operand_requires_grad(device):
    a = leaf(rand(2, 3), device)
    b = gt.tensor(rand(3, 4), device=device)
    (ga,) = gt.grad(gt.matmul(a, b).sum(), a)
    np.testing.assert_allclose(host(ga), np.ones((2, 4)) @ host(b).T)


def test_outer_and_tensordot(device):
    a, b = leaf(rand(2, 2), device), leaf(rand(3), device)
    out = gt.outer(a, b)
    g = rand(4, 3)
    ga, gb = grads(out, [a, b], g)
    np.testing.assert_allclose(ga, (g @ host(b.detach())).reshape(2, 2))
    np.testing.assert_allclose(gb, host(a.detach()).reshape(-1) @ g)
    x, y = leaf(rand(2, 3, 4), device), leaf(rand(4, 2, 3), device)
    for axes in (((1, 2), (2, 0)), ((2,), (0,)), 0, ((-1, 0), (0, 1))):
        yy = y if axes != ((-1, 0), (0, 1)) else leaf(rand(4, 2, 5), device)
        assert gradcheck(lambda s, t: gt.tensordot(s, t, axes=axes), [x, yy])


# -- einsum ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("subscripts,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("ii->", [(3, 3)]),
    ("ii->i", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ij,jk", [(2, 3), (3, 4)]),         # implicit output: 'ik'
    ("ba,ac", [(2, 3), (3, 4)]),         # implicit output sorted: 'bc'
    ("i,i", [(4,), (4,)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(1, 2, 3), (5, 3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,j,ij->", [(2,), (3,), (2, 3)]),
    (",ij->ij", [(), (2, 3)]),
    ("ij,j->ij", [(2, 3), (1,)]),       # a label broadcast from size 1
])
def test_einsum_gradcheck(subscripts, shapes, device):
    inputs = [leaf(rand(*s, seed=k), device) for k, s in enumerate(shapes)]
    assert gradcheck(lambda *ts: gt.einsum(subscripts, *ts), inputs)


def test_einsum_repeated_operand(device):
    a_np = rand(2, 3)
    a = leaf(a_np, device)
    (g,) = gt.grad(gt.einsum("ij,ij->", a, a), a)
    np.testing.assert_allclose(host(g), 2 * a_np)
    assert gradcheck(lambda t: gt.einsum("ij,ij->", t, t), [a])
    assert gradcheck(lambda t: gt.einsum("ij,kj->ik", t, t), [a])


def test_einsum_trace_and_diagonal_gradients(device):
    a = leaf(rand(3, 3), device)
    (g,) = gt.grad(gt.einsum("ii->", a), a)
    np.testing.assert_array_equal(host(g), np.eye(3))
    (g,) = gt.grad(gt.einsum("ii->i", a), a, gt.tensor([1.0, 2.0, 3.0], device=device))
    np.testing.assert_array_equal(host(g), np.diag([1.0, 2.0, 3.0]))


def test_einsum_second_order(device):
    a, b = leaf(rand(2, 3), device), leaf(rand(3, 2, seed=1), device)

    def first(s, t):
        ga, gb = gt.grad((gt.einsum("ij,jk->ik", s, t) ** 2).sum(), [s, t], create_graph=True)
        return (ga * ga).sum() + (gb * gb).sum()

    assert gradcheck(first, [a, b])


# -- inv / det / solve -----------------------------------------------------------------------------
def _invertible(*shape, seed=0):
    a = rand(*shape, seed=seed)
    return a + 4 * np.eye(shape[-1])


def test_inv_closed_form(device):
    a_np, g = _invertible(2, 3, 3), rand(2, 3, 3, seed=5)
    a = leaf(a_np, device)
    (ga,) = grads(gt.linalg.inv(a), [a], g)
    ai_t = np.swapaxes(np.linalg.inv(a_np), -1, -2)
    np.testing.assert_allclose(ga, -ai_t @ g @ ai_t, rtol=1e-10)


def test_det_closed_form(device):
    a_np, g = _invertible(2, 3, 3), np.array([1.5, -2.0])
    a = leaf(a_np, device)
    (ga,) = grads(gt.linalg.det(a), [a], g)
    want = (g * np.linalg.det(a_np))[:, None, None] * np.swapaxes(np.linalg.inv(a_np), -1, -2)
    np.testing.assert_allclose(ga, want, rtol=1e-10)


@pytest.mark.parametrize("a_np", [
    [[1.0, 2.0], [2.0, 4.0]],                                   # rank 1 of 2
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],        # rank 2 of 3
    [[2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 3.0]],        # a zero row
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]],        # rank 1 of 3: gradient 0
])
def test_det_gradient_of_singular_matrix_is_the_cofactor_matrix(a_np, device):
    a_np = np.array(a_np)
    a = leaf(a_np, device)
    (ga,) = gt.grad(gt.linalg.det(a), a)
    np.testing.assert_allclose(host(ga), _cofactor_ref(a_np), atol=1e-10)


def test_det_batch_with_one_singular_matrix(device):
    a_np = np.stack([_invertible(3, 3), np.array([[1.0, 2, 3], [2, 4, 6], [0, 1, 1]])])
    a = leaf(a_np, device)
    (ga,) = gt.grad(gt.linalg.det(a).sum(), a)
    for k in range(2):
        np.testing.assert_allclose(host(ga)[k], _cofactor_ref(a_np[k]), atol=1e-10)


def _nearly_singular(rank, seed):
    """A 3x3 product of rank ``rank`` factors: its determinant is a rounding error (~1e-17),
    not zero."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((3, rank)) @ rng.standard_normal((rank, 3))


def _det_hvp(a_np, v_np, device):
    """d/dt of det's gradient at A + tV (a Hessian-vector product), through create_graph."""
    a = leaf(a_np, device)
    (g,) = gt.grad(gt.linalg.det(a), a, create_graph=True)
    (h,) = gt.grad((g * gt.tensor(v_np, device=device)).sum(), a)
    return host(h)


@pytest.mark.parametrize("a_np", [
    _nearly_singular(2, 0), _nearly_singular(2, 1), _nearly_singular(1, 2),
    np.arange(1.0, 10.0).reshape(3, 3),  # rank 2 (LU gives an exact 0)
    np.zeros((3, 3)), np.eye(3), np.diag([1e-9, 1e-9, 1.0]),
    np.linalg.qr(rand(4, 4))[0],  # orthogonal: every singular value 1
], ids=["rank2-a", "rank2-b", "rank1", "rank2-exact", "zeros", "eye", "tiny-pair", "orth4"])
def test_det_second_derivative_matches_finite_differences_of_cofactors(a_np, device):
    # the cofactor matrix by minors, differenced in float64: independent of the rule, which
    # cancels catastrophically near singular A if written through the inverse
    v = rand(*a_np.shape, seed=3)
    eps = 1e-6
    want = (_cofactor_ref(a_np + eps * v) - _cofactor_ref(a_np - eps * v)) / (2 * eps)
    np.testing.assert_allclose(_det_hvp(a_np, v, device), want, atol=1e-7 * (1 + abs(want).max()))


@pytest.mark.parametrize("a_np", [np.eye(3), np.linalg.qr(rand(3, 3))[0], _invertible(2, 3, 3)],
                         ids=["eye", "orth", "batch"])
def test_det_third_derivative_at_repeated_singular_values(a_np, device):
    # a well conditioned A takes the inverse form at every order, which (unlike the SVD's
    # rule) has no trouble with equal singular values
    v = gt.tensor(rand(*a_np.shape, seed=4), device=device)

    def hvp(s):
        (g,) = gt.grad(gt.linalg.det(s).sum(), s, create_graph=True)
        (h,) = gt.grad((g * v).sum(), s, create_graph=True)
        return (h * h).sum()

    assert gradcheck(hvp, [leaf(a_np, device)], atol=1e-5)


@pytest.mark.filterwarnings("ignore:invalid value encountered in det")  # (NumPy's det)
def test_det_gradients_of_a_matrix_with_nan_are_nan_without_error(device):
    # (the rest of the batch keeps its gradient)
    bad = np.eye(3)
    bad[0, 1] = np.nan
    a = leaf(np.stack([bad, 2 * np.eye(3)]), device)
    (g,) = gt.grad(gt.linalg.det(a).sum(), a, create_graph=True)
    assert np.isnan(host(g)[0]).all()
    np.testing.assert_allclose(host(g)[1], 4 * np.eye(3))
    (h,) = gt.grad((g * g).sum(), a)
    assert np.isnan(host(h)[0]).all() and np.isfinite(host(h)[1]).all()


def test_det_rules_are_chosen_per_matrix_of_a_batch(device):
    # a well conditioned matrix with equal singular values next to a nearly singular one:
    # each gets its own form, so the first keeps finite third derivatives
    a_np = np.stack([np.eye(3), _nearly_singular(2, 7)])
    a = leaf(a_np, device)
    (g,) = gt.grad(gt.linalg.det(a).sum(), a, create_graph=True)
    v = rand(2, 3, 3, seed=8)
    (h,) = gt.grad((g * gt.tensor(v, device=device)).sum(), a, create_graph=True)
    for k in range(2):
        want = (_cofactor_ref(a_np[k] + 1e-6 * v[k]) - _cofactor_ref(a_np[k] - 1e-6 * v[k])) / 2e-6
        np.testing.assert_allclose(host(h)[k], want, atol=1e-7 * (1 + abs(want).max()))
    (t,) = gt.grad((h * h).sum(), a)
    assert np.isfinite(host(t)).all()


def test_det_second_derivative_float32_nearly_singular(device):
    a_np = _nearly_singular(2, 5)
    v = rand(3, 3, seed=6)
    got = _det_hvp(a_np.astype(np.float32), v.astype(np.float32), device)
    want = (_cofactor_ref(a_np + 1e-6 * v) - _cofactor_ref(a_np - 1e-6 * v)) / 2e-6
    np.testing.assert_allclose(got, want, atol=1e-4 * (1 + abs(want).max()))


@pytest.mark.parametrize("sa,sb", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                                   ((2, 3, 3), (3, 2)), ((3, 3), (2, 3, 1))])
def test_solve_closed_form(sa, sb, device):
    a_np, b_np = _invertible(*sa), rand(*sb, seed=7)
    a, b = leaf(a_np, device), leaf(b_np, device)
    x = gt.linalg.solve(a, b)
    g = rand(*x.shape, seed=8)
    ga, gb = grads(x, [a, b], g)
    x_np = host(x.detach())
    if len(sb) == 1:
        gb_full = np.linalg.solve(np.swapaxes(a_np, -1, -2), g[..., None])[..., 0]
        ga_want = -gb_full[..., :, None] * x_np[..., None, :]
    else:
        gb_full = np.linalg.solve(np.swapaxes(a_np, -1, -2), g)
        ga_want = -gb_full @ np.swapaxes(x_np, -1, -2)
    gb_want = gb_full.reshape((-1,) + sb).sum(0) if gb_full.shape != sb else gb_full
    ga_want = ga_want.reshape((-1,) + sa).sum(0) if ga_want.shape != sa else ga_want
    np.testing.assert_allclose(ga, ga_want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gb, gb_want, rtol=1e-10, atol=1e-12)
    assert gradcheck(gt.linalg.solve, [a, b])


def test_solve_only_b_requires_grad(device):
    a = gt.tensor(_invertible(3, 3), device=device)
    b = leaf(rand(3), device)
    (gb,) = gt.grad(gt.linalg.solve(a, b).sum(), b)
    np.testing.assert_allclose(host(gb), np.linalg.solve(host(a).T, np.ones(3)))


def test_inv_det_solve_second_order(device):
    a = leaf(_invertible(3, 3), device)
    b = leaf(rand(3, 2), device)

    def first(s, t):
        gs = gt.grad(gt.linalg.det(s) + (gt.linalg.inv(s) ** 2).sum()
                     + (gt.linalg.solve(s, t) ** 2).sum(), [s, t], create_graph=True)
        return sum((g * g).sum() for g in gs)

    assert gradcheck(first, [a, b], atol=1e-4)


# -- the internal reduced SVD ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 2)])
def test_svd_reduced_reconstructs_with_fixed_signs(shape, device):
    a_np = rand(*shape)
    u, s, vh = svd_reduced(gt.tensor(a_np, device=device))
    u, s, vh = host(u), host(s), host(vh)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a_np, atol=1e-12)
    pick = np.take_along_axis(u, np.abs(u).argmax(axis=-2)[..., None, :], axis=-2)
    assert (pick > 0).all()
    np.testing.assert_allclose(s, np.linalg.svd(a_np, compute_uv=False))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)])
def test_svd_gradcheck_of_sign_invariant_functions(shape, device):
    w = rand(*shape, seed=9)

    def fn(t):
        u, s, vh = svd_reduced(t)
        proj = gt.matmul(u * s.reshape(1, -1) ** 0.5, vh)  # U sqrt(S) Vh: sign-invariant
        return (proj * gt.tensor(w, device=device)).sum() + (s ** 3).sum()

    assert gradcheck(fn, [leaf(rand(*shape), device)])


def test_svd_rejects_vectors():
    with pytest.raises(ValueError, match=r"svd: expected a matrix.*shape \(3,\)"):
        svd_reduced(gt.ones(3))


# -- Hessian-vector product of a small MLP loss (issue acceptance item) ----------------------------
def test_mlp_hessian_vector_product_matches_finite_differences(device):
    rng = np.random.default_rng(11)
    x = gt.tensor(rng.standard_normal((5, 3)), device=device)
    w1_np, w2_np = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    v1, v2 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))

    def loss(w1, w2):
        return ((gt.tanh(x @ w1) @ w2) ** 2).mean()

    def gradient(a, b):
        w1, w2 = leaf(a, device), leaf(b, device)
        return [host(g) for g in gt.grad(loss(w1, w2), [w1, w2])]

    w1, w2 = leaf(w1_np, device), leaf(w2_np, device)
    g1, g2 = gt.grad(loss(w1, w2), [w1, w2], create_graph=True)
    dot = (g1 * gt.tensor(v1, device=device)).sum() + (g2 * gt.tensor(v2, device=device)).sum()
    h1, h2 = gt.grad(dot, [w1, w2])
    eps = 1e-6
    plus = gradient(w1_np + eps * v1, w2_np + eps * v2)
    minus = gradient(w1_np - eps * v1, w2_np - eps * v2)
    np.testing.assert_allclose(host(h1), (plus[0] - minus[0]) / (2 * eps), rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(host(h2), (plus[1] - minus[1]) / (2 * eps), rtol=1e-6,
                               atol=1e-8)
    # the first gradient itself against the closed form of this network
    h = np.tanh(host(x) @ w1_np)
    r = 2 * (h @ w2_np) / (5 * 2)
    np.testing.assert_allclose(host(g2), h.T @ r, rtol=1e-12)
    np.testing.assert_allclose(host(g1), host(x).T @ ((r @ w2_np.T) * (1 - h * h)),
                               rtol=1e-12)


@pytest.mark.parametrize("sa, sb", [((2, 3, 0), (0, 4)), ((2, 3, 4), (4, 0)), ((2, 0, 4), (4, 3))])
def test_matmul_gradients_with_a_size_0_dimension(device, sa, sb):
    a = gt.zeros(*sa, dtype=gt.float64, device=device, requires_grad=True)
    b = gt.zeros(*sb, dtype=gt.float64, device=device, requires_grad=True)
    ga, gb = gt.grad((a @ b).sum(), [a, b])
    assert ga.shape == sa and gb.shape == sb
    assert not host(ga).any() and not host(gb).any()
    (g1,) = gt.grad((a @ b).sum(), [a], create_graph=True)  # and the second order
    (g2,) = gt.grad(g1.sum(), [b], allow_unused=True, materialize_grads=True)
    assert g2.shape == sb


@pytest.mark.parametrize("xs, ws", [((2, 3, 0), (4, 0)), ((0,), (2, 0)), ((0, 3), (2, 3))])
def test_linear_gradients_with_a_size_0_dimension(device, xs, ws):
    x = gt.zeros(*xs, dtype=gt.float64, device=device, requires_grad=True)
    w = gt.zeros(*ws, dtype=gt.float64, device=device, requires_grad=True)
    b = gt.zeros(ws[0], dtype=gt.float64, device=device, requires_grad=True)
    for create_graph in (False, True):  # the fused rule and the recorded one
        gx, gw, gb = gt.grad(gt.nn.functional.linear(x, w, b).sum(), [x, w, b],
                             create_graph=create_graph)
        assert gx.shape == xs and gw.shape == ws and gb.shape == (ws[0],)
        assert not host(gw).any()
