"""Gradients of the reductions (ops/reduce.py) beyond the table-driven gradcheck: how max/min
ties split, products and cumulative products with zeros (first and second derivatives),
keepdims and axis spellings, subgradients at kinks, and numerically extreme inputs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt
from gputensor.autograd import gradcheck
from testkit import host, leaf


def grad(fn, x, upstream=None):
    """d fn(x) / dx for the upstream gradient (ones when None), as NumPy."""
    out = fn(x)
    if upstream is None:
        upstream = np.ones(out.shape)
    (g,) = gt.grad(out, x, grad_outputs=gt.tensor(upstream, dtype=out.dtype, device=x.device))
    return host(g)


def hessian(fn, x):
    """The Hessian of the scalar fn at x: one create_graph gradient, then one gradient of
    each of its elements."""
    (g,) = gt.grad(fn(x), x, create_graph=True)
    flat = g.reshape(-1)
    rows = []
    for i in range(flat.shape[0]):
        (h,) = gt.grad(flat[i], x, retain_graph=True, allow_unused=True)
        rows.append(np.zeros(x.numel()) if h is None else host(h).reshape(-1))
    return np.stack(rows)


# -- max / min: ties split evenly --------------------------------------------------------------
def test_max_ties_split_evenly(device):
    x = leaf([1.0, 3.0, 3.0, 2.0], device)
    np.testing.assert_allclose(grad(gt.max, x), [0, 0.5, 0.5, 0])
    np.testing.assert_allclose(grad(gt.min, leaf([4.0, 1.0, 1.0, 1.0], device)),
                               [0, 1 / 3, 1 / 3, 1 / 3])


def test_max_ties_along_an_axis_with_keepdims(device):
    x = leaf([[5.0, 5.0, 1.0], [0.0, 2.0, 7.0]], device)
    up = np.array([[2.0], [3.0]])
    got = grad(lambda t: gt.max(t, axis=1, keepdims=True), x, up)
    np.testing.assert_allclose(got, [[1.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    got = grad(lambda t: gt.min(t, axis=-2), x, np.array([1.0, 10.0, 100.0]))
    np.testing.assert_allclose(got, [[0.0, 0.0, 100.0], [1.0, 10.0, 0.0]])


def test_max_over_several_axes_and_all_equal(device):
    x = leaf(np.ones((2, 3, 2)), device)
    got = grad(lambda t: gt.max(t, axis=(0, 2)), x, np.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(got, np.broadcast_to(np.array([1, 2, 4])[None, :, None] / 4,
                                                    (2, 3, 2)))
    np.testing.assert_allclose(grad(gt.max, x), np.full((2, 3, 2), 1 / 12))


def test_max_with_nan_sends_gradient_to_the_nan(device):
    x = leaf([1.0, np.nan, 3.0], device)
    np.testing.assert_allclose(grad(gt.max, x), [0.0, 1.0, 0.0])


def test_max_gradient_matches_torch_amax_on_ties(device):
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 4.0, 4.0, 4.0], [2.0, 2.0, -1.0, 0.0]])
    up = np.array([3.0, 5.0])
    ta = torch.tensor(a, requires_grad=True)
    torch.amax(ta, dim=1).backward(torch.tensor(up))
    np.testing.assert_allclose(grad(lambda t: gt.max(t, axis=1), leaf(a, device), up),
                               ta.grad.numpy())


# -- prod: zeros --------------------------------------------------------------------------------
def test_prod_gradient_with_zeros(device):
    np.testing.assert_allclose(grad(gt.prod, leaf([2.0, 0.0, 3.0], device)), [0.0, 6.0, 0.0])
    np.testing.assert_allclose(grad(gt.prod, leaf([0.0, 0.0, 3.0], device)), [0.0, 0.0, 0.0])
    np.testing.assert_allclose(grad(gt.prod, leaf([0.0], device)), [1.0])
    x = leaf([[2.0, 0.0, 3.0], [1.0, 4.0, 5.0]], device)
    got = grad(lambda t: gt.prod(t, axis=1), x, np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, [[0.0, 6.0, 0.0], [40.0, 10.0, 8.0]])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (-1, True),
                                           ((0, 2), False), ((2, 0), True), ((), False)])
def test_prod_gradcheck_with_zeros(axis, keepdims, device):
    x = np.random.default_rng(0).uniform(-1.5, 1.5, (3, 2, 4))
    x[0, 1, 2] = 0.0          # a lone zero
    x[2, 0, 1] = x[2, 0, 3] = 0.0  # two zeros in one row
    assert gradcheck(lambda t: gt.prod(t, axis=axis, keepdims=keepdims), [leaf(x, device)])


def test_prod_second_derivative_with_a_zero(device):
    # H[i, j] = prod of the elements other than i and j (0 on the diagonal), zeros included
    x_np = np.array([2.0, 0.0, 3.0, -1.5])
    want = np.zeros((4, 4))
    for i, j in itertools.permutations(range(4), 2):
        want[i, j] = np.prod([x_np[k] for k in range(4) if k not in (i, j)])
    np.testing.assert_allclose(hessian(gt.prod, leaf(x_np, device)), want, atol=1e-12)
    x = leaf([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0]], device)
    assert gradcheck(lambda t: gt.grad(gt.prod(t, axis=1).sum(), t, create_graph=True)[0]
                     .sum(), [x])


def test_prod_without_zeros_matches_closed_form(device):
    x_np = np.array([[0.5, -2.0, 3.0], [1.5, 0.25, -1.0]])
    got = grad(lambda t: gt.prod(t, axis=0), leaf(x_np, device), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(got, np.prod(x_np, axis=0) / x_np * [1.0, 2.0, 3.0])


# -- cumsum / cumprod ----------------------------------------------------------------------------
def test_cumsum_gradient_is_reverse_cumsum(device):
    g = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(grad(gt.cumsum, leaf(np.zeros(4), device), g), [10, 9, 7, 4])
    x = leaf(np.zeros((2, 3)), device)
    up = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(grad(lambda t: gt.cumsum(t, axis=-1), x, up),
                               np.flip(np.cumsum(np.flip(up, -1), -1), -1))
    # axis None flattens: the gradient comes back in the input's shape
    np.testing.assert_allclose(grad(gt.cumsum, x, np.arange(6.0)),
                               np.flip(np.cumsum(np.arange(6.0)[::-1])).reshape(2, 3))


def _cumprod_grad_reference(x, g):
    """sum_{k >= i} g_k prod_{j <= k, j != i} x_j, straight from the definition."""
    n = len(x)
    return np.array([builtins_sum(g[k] * np.prod([x[j] for j in range(k + 1) if j != i])
                                  for k in range(i, n)) for i in range(n)])


builtins_sum = sum


@pytest.mark.parametrize("x_np", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 5.0],
                                  [1.5, -2.0, 0.5, 3.0], [3.0, 2.0, 1.0, 0.0], [0.0]])
def test_cumprod_gradient_with_zeros_matches_definition(x_np, device):
    x_np = np.array(x_np)
    g = np.array([1.0, -2.0, 0.5, 3.0])[:len(x_np)]
    want = _cumprod_grad_reference(x_np, g)
    np.testing.assert_allclose(grad(gt.cumprod, leaf(x_np, device), g), want, atol=1e-12)
    # the exact O(n^2) form used while recording (create_graph) gives the same values
    x = leaf(x_np, device)
    (got,) = gt.grad(gt.cumprod(x), x, gt.tensor(g, device=device), create_graph=True)
    np.testing.assert_allclose(host(got), want, atol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod_gradcheck_with_zeros(axis, device):
    x = np.random.default_rng(1).uniform(-1.5, 1.5, (3, 4))
    x[0, 1] = x[2, 0] = x[2, 2] = x[1, 3] = 0.0
    assert gradcheck(lambda t: gt.cumprod(t, axis=axis), [leaf(x, device)])


def test_cumprod_second_derivative_with_zeros(device):
    x = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 2.0, 0.0, 1.5]])
    w = np.array([1.0, -1.0, 2.0, 0.5])

    def first(t):
        y = gt.cumprod(t, axis=1) * gt.tensor(w, device=device)
        (g,) = gt.grad(y.sum(), t, create_graph=True)
        return (g * g).sum()

    assert gradcheck(first, [leaf(x, device)])


# -- mean / var / std / logsumexp ----------------------------------------------------------------
def test_mean_var_std_closed_forms(device):
    x_np = np.array([[1.0, 2.0, 4.0], [3.0, -1.0, 0.5]])
    x = leaf(x_np, device)
    np.testing.assert_allclose(grad(lambda t: gt.mean(t, axis=1), x, np.array([3.0, 6.0])),
                               [[1, 1, 1], [2, 2, 2]])
    c = x_np - x_np.mean(axis=1, keepdims=True)
    for ddof in (0, 1):
        np.testing.assert_allclose(grad(lambda t: gt.var(t, axis=1, ddof=ddof), x),
                                   2 * c / (3 - ddof))
        sd = x_np.std(axis=1, ddof=ddof, keepdims=True)
        np.testing.assert_allclose(grad(lambda t: gt.std(t, axis=-1, ddof=ddof), x),
                                   c / ((3 - ddof) * sd))


def test_std_of_constant_input_has_zero_gradient(device):
    x = leaf(np.full((2, 3), 1.5), device)
    np.testing.assert_array_equal(grad(gt.std, x), np.zeros((2, 3)))
    np.testing.assert_array_equal(grad(lambda t: gt.std(t, axis=0, ddof=1), x), np.zeros((2, 3)))


def test_logsumexp_gradient_is_softmax_and_stable(device):
    x_np = np.array([[1e4, 1e4 + 1.0, 1e4 - 2.0], [-1e4, 0.0, 3.0]])
    e = np.exp(x_np - x_np.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True)
    got = grad(lambda t: gt.logsumexp(t, axis=1), leaf(x_np, device))
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = grad(lambda t: gt.logsumexp(t, axis=-1, keepdims=True), leaf(x_np, device),
               np.array([[2.0], [1.0]]))
    np.testing.assert_allclose(got, want * [[2.0], [1.0]], rtol=1e-12)


def test_logsumexp_of_all_minus_inf_has_zero_gradient(device):
    x = leaf([[-np.inf, -np.inf], [0.0, 0.0]], device)
    np.testing.assert_array_equal(grad(lambda t: gt.logsumexp(t, axis=1), x),
                                  [[0.0, 0.0], [0.5, 0.5]])


# -- norm -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord,axis,keepdims", [
    (None, None, False), (None, (0, 1), True), (2, 1, False), (1, 0, True), (np.inf, 1, False),
    (-np.inf, 0, False), (3, -1, False), (0.5, 1, True), (-2.5, 0, False), ("fro", None, False),
    ("nuc", (1, 0), False), (2, None, False), (-2, (0, 1), True), (1, None, False),
    (-1, (1, 0), False), (np.inf, (0, 1), True), (-np.inf, None, False)])
def test_norm_gradcheck(ord, axis, keepdims, device):
    x = np.random.default_rng(3).uniform(0.3, 2.0, (3, 4)) * np.array([1, -1, 1, -1])
    assert gradcheck(lambda t: gt.norm(t, ord=ord, axis=axis, keepdims=keepdims),
                     [leaf(x, device)])


def test_norm_subgradients_at_zero(device):
    z = leaf(np.zeros((2, 3)), device)
    for ord_, axis in [(None, None), (2, 1), ("fro", None), (1, 1), (np.inf, 1), (3, 0),
                       (0.5, 1), (0, 1)]:
        got = grad(lambda t: gt.norm(t, ord=ord_, axis=axis), z)
        np.testing.assert_array_equal(got, np.zeros((2, 3)), err_msg=f"ord={ord_}")
    # a zero element of a nonzero vector: sign(0) = 0 for the 1-norm
    np.testing.assert_array_equal(grad(lambda t: gt.norm(t, ord=1), leaf([0.0, -2.0], device)),
                                  [0.0, -1.0])


def test_norm_inf_ties_split_evenly(device):
    x = leaf([3.0, -3.0, 1.0], device)
    np.testing.assert_allclose(grad(lambda t: gt.norm(t, ord=np.inf), x), [0.5, -0.5, 0.0])
    m = leaf([[1.0, -2.0], [2.0, 1.0]], device)  # both rows sum to 3 (inf), columns too (1)
    np.testing.assert_allclose(grad(lambda t: gt.norm(t, ord=np.inf), m),
                               0.5 * np.sign([[1.0, -2.0], [2.0, 1.0]]))


def test_matrix_2_and_nuclear_norm_closed_forms(device):
    a = np.random.default_rng(4).standard_normal((4, 3))
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(grad(lambda t: gt.norm(t, ord="nuc"), leaf(a, device)), u @ vh,
                               atol=1e-12)
    np.testing.assert_allclose(grad(lambda t: gt.norm(t, ord=2), leaf(a, device)),
                               np.outer(u[:, 0], vh[0]), atol=1e-12)
    np.testing.assert_allclose(grad(lambda t: gt.norm(t, ord=-2), leaf(a, device)),
                               np.outer(u[:, -1], vh[-1]), atol=1e-12)


# -- axis spellings and keepdims -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "var", "std",
                                  "logsumexp"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (None, True), (1, False),
                                           (-1, True), ((0, 2), False), ((-1, 0), True),
                                           ((), False)])
def test_reduction_gradcheck_axes(name, axis, keepdims, device):
    x = np.random.default_rng(5).uniform(0.5, 1.5, (2, 3, 4)) * np.sign(
        np.random.default_rng(6).standard_normal((2, 3, 4)))
    fn = getattr(gt, name)
    assert gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), [leaf(x, device)])


def test_sum_and_mean_gradient_shapes_and_dim_spelling(device):
    x = leaf(np.zeros((2, 3, 4)), device)
    up = np.arange(8.0).reshape(2, 4)
    got = grad(lambda t: gt.sum(t, dim=1), x, up)
    np.testing.assert_array_equal(got, np.broadcast_to(up[:, None, :], (2, 3, 4)))
    got = grad(lambda t: t.mean(dim=[0, -1], keepdim=True), x, np.ones((1, 3, 1)))
    np.testing.assert_allclose(got, np.full((2, 3, 4), 1 / 8))


def test_sum_gradient_for_dtype_argument(device):
    x = leaf(np.ones(3), device, dtype="float32")
    (g,) = gt.grad(gt.sum(x, dtype=gt.float64), x)
    assert g.dtype == gt.float32
    np.testing.assert_array_equal(host(g), np.ones(3))


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:invalid value")
def test_empty_reductions_give_empty_gradients(device):
    x = leaf(np.zeros((0, 3)), device)
    for fn in (gt.sum, gt.prod, lambda t: gt.mean(t, axis=0)):
        out = fn(x)
        (g,) = gt.grad(out.sum(), x)
        assert g.shape == (0, 3)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       data=st.data(), name=st.sampled_from(["sum", "mean", "max", "prod", "var"]))
def test_random_axes_gradcheck(shape, data, name):
    nd = len(shape)
    axes = data.draw(st.lists(st.integers(-nd, nd - 1), unique_by=lambda a: a % nd,
                              max_size=nd))
    keepdims = data.draw(st.booleans())
    x = np.random.default_rng(len(shape)).uniform(0.5, 1.5, shape)
    x = x * np.where(np.arange(x.size).reshape(shape) % 2, 1.0, -1.0)
    fn = getattr(gt, name)
    assert gradcheck(lambda t: fn(t, axis=tuple(axes), keepdims=keepdims), [leaf(x, "cpu")])


@pytest.mark.parametrize("ord_", [-1, -1.5, -np.inf])
def test_negative_order_norm_at_a_zero_entry_has_gradient_0(device, ord_):
    # one zero makes the norm 0 (and about |x_i| nearby): every partial derivative is 0
    import warnings

    x = leaf([0.0, 2.0, 2.0], device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no divide-by-zero warning either
        (g,) = gt.grad(gt.norm(x, ord=ord_), x)
    np.testing.assert_array_equal(host(g), [0.0, 0.0, 0.0])
    x = leaf([1.0, 2.0, 2.0], device)  # away from zeros: the usual gradient
    assert gradcheck(lambda t: gt.norm(t, ord=-1.5), [x])
