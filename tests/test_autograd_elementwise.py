"""Derivative rules of the elementwise rows beyond the table-driven gradcheck
(``test_autograd_ops``): tutorial values, closed-form second derivatives, broadcasting and
weak scalars, and the documented conventions at kinks, ties and domain edges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt

grad = gt.grad


def leaf(data, device, dtype=gt.float64):
    return gt.tensor(data, dtype=dtype, device=device, requires_grad=True)


def host(x):
    return x.cpu().numpy()


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(host(got), np.asarray(want, np.float64), rtol=rtol, atol=atol)


# -- the tutorial values -------------------------------------------------------------------
def test_tutorial_scalar(device):
    w = gt.tensor(2.0, device=device, requires_grad=True)
    z = 10 * w ** 2 + 50
    z.backward()
    assert w.grad.item() == 40.0 and w.grad.dtype == gt.float32


def test_tutorial_vector_with_gradient(device):
    a = gt.tensor([2.0, 3.0], device=device, requires_grad=True)
    b = gt.tensor([6.0, 4.0], device=device, requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=[1.0, 1.0])
    assert a.grad.tolist() == [36.0, 81.0]
    assert b.grad.tolist() == [-12.0, -8.0]


def test_gradients_accumulate_across_backward_calls(device):
    w = leaf(3.0, device)
    for _ in range(2):
        (w * w).backward()
    assert w.grad.item() == 12.0


# -- higher order ----------------------------------------------------------------------------
def test_tanh_second_derivative_closed_form(device):
    data = np.linspace(-3, 3, 13)
    x = leaf(data, device)
    (g,) = grad(gt.tanh(x).sum(), x, create_graph=True)
    th = np.tanh(data)
    close(g, 1 - th ** 2)
    (h,) = grad(g.sum(), x)
    close(h, -2 * th * (1 - th ** 2))


@pytest.mark.parametrize("fn,d2", [
    (gt.exp, np.exp),
    (gt.sin, lambda x: -np.sin(x)),
    (gt.sigmoid, lambda x: (s := 1 / (1 + np.exp(-x))) * (1 - s) * (1 - 2 * s)),
    (gt.log, lambda x: -1 / x ** 2),
    (gt.sqrt, lambda x: -0.25 * x ** -1.5),
    (lambda t: t ** 3, lambda x: 6 * x),
], ids=["exp", "sin", "sigmoid", "log", "sqrt", "cube"])
def test_second_derivatives_closed_form(fn, d2, device):
    data = np.array([0.3, 1.0, 2.5])
    x = leaf(data, device)
    (g,) = grad(fn(x).sum(), x, create_graph=True)
    (h,) = grad(g.sum(), x)
    close(h, d2(data), rtol=1e-9)


def test_third_derivative_of_pow(device):
    x = leaf([1.5, 2.0], device)
    (g1,) = grad((x ** 4).sum(), x, create_graph=True)
    (g2,) = grad(g1.sum(), x, create_graph=True)
    (g3,) = grad(g2.sum(), x)
    close(g3, 24 * np.array([1.5, 2.0]))


# -- broadcasting and weak scalars -------------------------------------------------------------
def test_broadcast_gradient_is_summed_to_the_operand(device):
    a = leaf(np.arange(6.0).reshape(2, 3), device)
    b = leaf([1.0, 2.0, 3.0], device)
    (a + b).sum().backward()
    assert a.grad.shape == (2, 3) and b.grad.shape == (3,)
    close(a.grad, np.ones((2, 3)))
    close(b.grad, [2.0, 2.0, 2.0])
    a.grad = b.grad = None
    (a * b).sum().backward()
    close(b.grad, np.arange(6.0).reshape(2, 3).sum(0))
    close(a.grad, np.broadcast_to([1.0, 2.0, 3.0], (2, 3)))


def test_broadcast_both_ways(device):
    a = leaf([[1.0], [2.0]], device)          # (2, 1)
    b = leaf([[1.0, 2.0, 3.0, 4.0]], device)  # (1, 4)
    (a * b).sum().backward()
    close(a.grad, [[10.0], [10.0]])
    close(b.grad, [[3.0, 3.0, 3.0, 3.0]])


def test_weak_scalars_keep_dtype_and_give_gradients(device):
    x = gt.tensor([1.0, 4.0], device=device, requires_grad=True)  # float32
    y = x * 2.0 + 3 - x / 4 + 1.5 ** x + x ** 0.5
    assert y.dtype == gt.float32
    y.sum().backward()
    assert x.grad.dtype == gt.float32
    want = 2 - 0.25 + np.log(1.5) * 1.5 ** np.array([1.0, 4.0]) + 0.5 / np.sqrt([1.0, 4.0])
    np.testing.assert_allclose(host(x.grad), want, rtol=1e-6)


def test_reflected_scalar_operators(device):
    x = leaf([2.0], device)
    ((3 - x) * (6 / x)).sum().backward()  # (3 - x) * 6 / x: d/dx = -18 / x^2
    close(x.grad, [-18 / 4])


def test_mixed_precision_gradient_has_each_inputs_dtype(device):
    a = gt.tensor([1.0, 2.0], dtype=gt.float32, device=device, requires_grad=True)
    b = gt.tensor([3.0, 4.0], dtype=gt.float64, device=device, requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.dtype == gt.float64
    close(b.grad, [1.0, 2.0])
    np.testing.assert_allclose(host(a.grad), [3.0, 4.0])


_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


@settings(max_examples=25, deadline=None)
@given(shape=_shapes, mask=st.lists(st.booleans(), min_size=3, max_size=3),
       drop=st.integers(0, 3),
       name=st.sampled_from(["add", "subtract", "multiply", "divide", "maximum", "arctan2",
                             "pow", "remainder"]))
def test_binary_gradients_under_random_broadcasting(shape, mask, drop, name):
    """The second operand broadcast along a random subset of dims (size-1 dims, missing
    leading dims), in both operand orders: gradcheck holds."""
    other = tuple(1 if m else n for n, m in zip(shape, mask))[drop:]
    rng = np.random.default_rng(len(shape) * 7 + sum(mask))
    a = rng.uniform(0.5, 2.0, shape) * rng.choice([1, -1], shape) if name != "pow" else \
        rng.uniform(0.5, 2.0, shape)
    b = rng.uniform(0.5, 2.0, other)
    ta, tb = leaf(a, "cpu"), leaf(b, "cpu")
    fn = getattr(gt, name)
    assert gt.autograd.gradcheck(fn, (ta, tb))
    assert gt.autograd.gradcheck(lambda p, q: fn(q, p), (ta, tb))


# -- conventions at kinks, ties and domain edges ---------------------------------------------
def test_maximum_minimum_split_ties_in_half(device):
    a = leaf([1.0, 2.0, 3.0], device)
    b = leaf([2.0, 2.0, 1.0], device)
    gt.maximum(a, b).sum().backward()
    close(a.grad, [0.0, 0.5, 1.0])
    close(b.grad, [1.0, 0.5, 0.0])
    a.grad = b.grad = None
    gt.minimum(a, b).sum().backward()
    close(a.grad, [1.0, 0.5, 0.0])
    close(b.grad, [0.0, 0.5, 1.0])


def test_maximum_with_scalar_tie(device):
    x = leaf([-1.0, 0.0, 1.0], device)
    gt.maximum(x, 0.0).sum().backward()
    close(x.grad, [0.0, 0.5, 1.0])


def test_relu_abs_leaky_at_zero(device):
    x = leaf([-1.0, 0.0, 2.0], device)
    gt.relu(x).sum().backward()
    close(x.grad, [0.0, 0.0, 1.0])
    x.grad = None
    gt.abs(x).sum().backward()
    close(x.grad, [-1.0, 0.0, 1.0])
    x.grad = None
    gt.leaky_relu(x, 0.1).sum().backward()
    close(x.grad, [0.1, 0.1, 1.0])


@pytest.mark.parametrize("fn", [gt.sign, gt.floor, gt.ceil, gt.round, gt.trunc,
                                lambda t: gt.round(t, decimals=1), lambda t: t // 0.7],
                         ids=["sign", "floor", "ceil", "round", "round1", "trunc", "floordiv"])
def test_piecewise_constant_ops_have_zero_gradient(fn, device):
    x = leaf([-1.3, 0.2, 2.7], device)
    (fn(x) * 5).sum().backward()
    assert x.grad is not None
    close(x.grad, [0.0, 0.0, 0.0])


def test_floor_divide_zero_gradient_for_both(device):
    a, b = leaf([7.0, -7.0], device), leaf([2.0, 3.0], device)
    ga, gb = grad(gt.floor_divide(a, b).sum(), [a, b])
    close(ga, [0, 0])
    close(gb, [0, 0])


def test_remainder_gradients(device):
    a, b = leaf([7.0, -7.0, 5.5], device), leaf([2.0, 3.0, -2.0], device)
    ga, gb = grad(gt.remainder(a, b).sum(), [a, b])
    close(ga, [1.0, 1.0, 1.0])
    close(gb, -np.floor(np.array([7.0, -7.0, 5.5]) / [2.0, 3.0, -2.0]))


def test_pow_exponent_gradient_domain(device):
    x = leaf([2.0, 0.0, 0.0, -2.0], device)
    y = leaf([3.0, 2.0, 0.0, 2.0], device)
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = grad((x ** y).sum(), [x, y])
    close(gy[:1], [8 * math.log(2.0)])
    close(gy[1:3], [0.0, 0.0])             # base 0, exponent >= 0: 0 (as PyTorch)
    assert math.isnan(gy[3].item())         # negative base: log undefined
    close(gx, [12.0, 0.0, 0.0, -4.0])       # x ** 0 has gradient 0 also at x == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and NaN data
def test_scalar_base_pow(device):
    y = leaf([0.0, 1.0, 2.0], device)
    (2 ** y).sum().backward()
    close(y.grad, math.log(2.0) * 2.0 ** np.array([0.0, 1.0, 2.0]))
    y.grad = None
    (0 ** y).sum().backward()
    close(y.grad, [0.0, 0.0, 0.0])


def test_pow_with_zero_scalar_exponent(device):
    x = leaf([0.0, 3.0], device)
    (x ** 0).sum().backward()
    close(x.grad, [0.0, 0.0])


def test_clip_gradients_inside_outside_and_tensor_bounds(device):
    x = leaf([-2.0, -1.0, 0.0, 1.0, 2.0], device)
    gt.clip(x, -1.0, 1.0).sum().backward()
    close(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])  # bounds included
    lo = leaf([-1.0, -1.0, -1.0, 0.5, 3.0], device)
    hi = leaf([1.0, 1.0, 1.0, 1.0, 2.5], device)
    x.grad = None
    gx, glo, ghi = grad(gt.clip(x, lo, hi).sum(), [x, lo, hi])
    close(gx, [0, 1, 1, 1, 0])
    close(glo, [1, 0, 0, 0, 0])
    close(ghi, [0, 0, 0, 0, 1])  # last: lo > hi gives hi, whose gradient it is


def test_clamp_with_one_bound(device):
    x = leaf([-1.0, 1.0], device)
    x.clamp(min=0.0).sum().backward()
    close(x.grad, [0.0, 1.0])


def test_where_masks_both_branches(device):
    cond = gt.tensor([[True, False, True]], device=device)
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device)
    b = leaf([10.0, 20.0, 30.0], device)
    ga, gb = grad(gt.where(cond, a, b).sum(), [a, b])
    close(ga, [[1, 0, 1], [1, 0, 1]])
    close(gb, [0, 2, 0])  # broadcast along the rows: summed


def test_where_with_scalar_branch(device):
    x = leaf([1.0, -1.0], device)
    gt.where(x > 0, x * 3, 0.0).sum().backward()
    close(x.grad, [3.0, 0.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf and NaN data
def test_nan_to_num_gradient_zero_where_replaced(device):
    x = leaf([1.0, float("nan"), float("inf"), -float("inf"), -2.0], device)
    (gt.nan_to_num(x) * 2).sum().backward()
    close(x.grad, [2.0, 0.0, 0.0, 0.0, 2.0])


def test_cast_gradient_is_cast_back(device):
    x = gt.tensor([1.0, 2.0], dtype=gt.float32, device=device, requires_grad=True)
    y = gt.cast(x, gt.float64) * 3
    assert y.dtype == gt.float64
    y.sum().backward()
    assert x.grad.dtype == gt.float32 and x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    x.to(gt.float16).sum().backward()
    assert x.grad.dtype == gt.float32 and x.grad.tolist() == [1.0, 1.0]


def test_cast_to_integer_cuts_the_graph(device):
    x = leaf([1.5], device)
    y = gt.cast(x, gt.int32)
    assert not y.requires_grad and y.grad_fn is None


def test_softplus_threshold_and_beta(device):
    x = leaf([-1.0, 0.0, 5.0, 30.0], device)
    gt.softplus(x, beta=2.0, threshold=8.0).sum().backward()
    s = 1 / (1 + np.exp(-2 * np.array([-1.0, 0.0])))
    close(x.grad, [s[0], s[1], 1.0, 1.0])


def test_gelu_both_forms_at_known_points(device):
    x = leaf([0.0, 1.0, -20.0, 20.0], device)
    gt.gelu(x).sum().backward()
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    close(x.grad, [0.5, 0.5 * math.erfc(-1 / math.sqrt(2)) + phi, 0.0, 1.0], atol=1e-12)
    x.grad = None
    gt.gelu(x, approximate="tanh").sum().backward()
    close(x.grad[:1], [0.5])
    close(x.grad[2:], [0.0, 1.0])


def test_elu_large_inputs_do_not_overflow(device):
    x = leaf([-800.0, -1.0, 0.0, 800.0], device)
    gt.elu(x, alpha=2.0).sum().backward()
    close(x.grad, [0.0, 2 * math.exp(-1.0), 2.0, 1.0])


def test_activations_saturate_without_nan(device):
    x = leaf([-1e4, 1e4], device)
    for fn in (gt.sigmoid, gt.silu, gt.softplus, gt.tanh, gt.erf, gt.gelu):
        x.grad = None
        fn(x).sum().backward()
        assert np.isfinite(host(x.grad)).all(), fn.__name__


def test_integer_operand_gets_no_gradient(device):
    x = leaf([1.0, 2.0], device)
    i = gt.tensor([3, 4], device=device)
    y = x * i
    assert y.requires_grad and not i.requires_grad
    y.sum().backward()
    close(x.grad, [3.0, 4.0])
    assert i.grad is None


def test_comparisons_have_no_grad_fn(device):
    x = leaf([1.0, 2.0], device)
    c = x > 1.5
    assert c.grad_fn is None and not c.requires_grad


def test_float32_rules_match_float64(device):
    data = np.array([0.3, 0.9, 1.7])
    for fn in (gt.exp, gt.log, gt.tanh, gt.sigmoid, gt.arctan, gt.erf, gt.rsqrt, gt.silu):
        x32 = leaf(data, device, gt.float32)
        x64 = leaf(data, device)
        fn(x32).sum().backward()
        fn(x64).sum().backward()
        assert x32.grad.dtype == gt.float32
        np.testing.assert_allclose(host(x32.grad), host(x64.grad), rtol=2e-6,
                                   err_msg=fn.__name__)


# -- errors -------------------------------------------------------------------------------------
def test_integer_tensors_cannot_require_grad(device):
    with pytest.raises(RuntimeError, match="only float tensors can require grad, got dtype "
                                           "int64"):
        gt.tensor([1, 2], device=device, requires_grad=True)


def test_non_scalar_backward_needs_gradient(device):
    x = leaf([1.0, 2.0], device)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           r"outputs.*\(2,\)"):
        gt.exp(x).backward()


@pytest.mark.parametrize("alpha", [1.0, 0.7])
def test_elu_second_derivative_at_0_is_the_left_branchs(device, alpha):
    # the first derivative at 0 is the left branch's (alpha), and so is the second
    x = gt.tensor([0.0, -0.5, 0.5], dtype=gt.float64, device=device, requires_grad=True)
    (d1,) = gt.grad(gt.elu(x, alpha).sum(), x, create_graph=True)
    (d2,) = gt.grad(d1.sum(), x)
    np.testing.assert_allclose(host(d1), [alpha, alpha * np.exp(-0.5), 1.0])
    np.testing.assert_allclose(host(d2), [alpha, alpha * np.exp(-0.5), 0.0])


def test_atan2_gradient_at_the_origin_is_zero(device):
    # (b da - a db) / (a^2 + b^2) is 0/0 at the origin: taken as 0 there (as PyTorch), with
    # derivatives 0 too, instead of a NaN that would spread to every upstream gradient;
    # elsewhere the closed form
    a = leaf([0.0, 1.0, -0.0], device)
    b = leaf([0.0, 2.0, -3.0], device)
    ga, gb = grad(gt.atan2(a, b).sum(), [a, b], create_graph=True)
    close(ga, [0.0, 2 / 5, -3 / 9])
    close(gb, [0.0, -1 / 5, 0.0])
    haa, hab = grad(ga.sum(), [a, b])
    # d/da b/(a^2+b^2) = -2ab/(a^2+b^2)^2; d/db = (a^2-b^2)/(a^2+b^2)^2
    close(haa, [0.0, -4 / 25, 0.0])
    close(hab, [0.0, -3 / 25, -1 / 9])
