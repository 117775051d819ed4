"""The losses' PyTorch options and the losses added after the first five: class weights and
label smoothing (``cross_entropy``, ``nll_loss``), element weights and ``pos_weight`` (the
binary cross entropies), ``l1_loss``, ``smooth_l1_loss``, ``huber_loss``, ``kl_div`` and their
modules. Values against hand-written float64 NumPy references for every option and
reduction, gradients (first and second order, the weights' too) by ``gradcheck``, and every
error path. No PyTorch needed (``test_torch_differential.py`` compares with it)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import gputensor as gt
from gputensor import nn
from gputensor.nn.functional import _ref_reduce

F = nn.functional
REDUCTIONS = ["mean", "sum", "none"]
gradcheck = gt.autograd.gradcheck


def N(t) -> np.ndarray:
    return t.cpu().numpy()


def T(a, device, dtype=gt.float64, grad=False):
    return gt.tensor(np.asarray(a), dtype=dtype, device=device, requires_grad=grad)


def close(got, want, rtol=1e-12):
    got = N(got)
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


# -- float64 NumPy references, one loop or formula each ------------------------------------
ref_reduce = _ref_reduce  # (the op table's NumPy reference of the reductions)


def ref_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_cross_entropy(x, y, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0,
                      log_probs=False):
    cls = 1 if x.ndim >= 2 else 0
    c = x.shape[cls]
    w = np.ones(c) if weight is None else weight
    lp = np.moveaxis(x if log_probs else ref_log_softmax(x, cls), cls, -1)  # classes last
    if y.dtype.kind == "f":  # class probabilities: the mean is over the samples
        t = np.moveaxis(y, cls, -1) * (1 - smoothing) + smoothing / c
        return ref_reduce(-(lp * t * w).sum(-1), reduction)
    loss, denom = np.zeros(y.shape), 0.0
    for pos in np.ndindex(*y.shape):
        k = int(y[pos])
        if k == ignore_index:
            continue
        loss[pos] = ((1 - smoothing) * -w[k] * lp[pos][k]
                     + smoothing / c * -(w * lp[pos]).sum())
        denom += w[k]
    return ref_reduce(loss, reduction, denom)


def ref_nll(logp, y, weight=None, ignore_index=-100, reduction="mean"):
    return ref_cross_entropy(logp, y, weight, ignore_index, reduction, log_probs=True)


def ref_bce(p, t, weight=None, reduction="mean"):
    w = 1.0 if weight is None else weight
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return ref_reduce(w * loss, reduction)


def ref_bce_logits(x, t, weight=None, pos_weight=None, reduction="mean"):
    w = 1.0 if weight is None else weight
    pw = 1.0 if pos_weight is None else pos_weight
    # -[pw t log s(x) + (1 - t) log(1 - s(x))], log s(x) = -log(1 + e^-x)
    loss = pw * t * np.logaddexp(0, -x) + (1 - t) * np.logaddexp(0, x)
    return ref_reduce(w * loss, reduction)


def ref_l1(a, b, reduction="mean"):
    return ref_reduce(np.abs(a - b), reduction)


def ref_smooth_l1(a, b, reduction="mean", beta=1.0):
    d = np.abs(a - b)
    if beta == 0:
        return ref_reduce(d, reduction)
    return ref_reduce(np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta), reduction)


def ref_huber(a, b, reduction="mean", delta=1.0):
    d = np.abs(a - b)
    return ref_reduce(np.where(d < delta, 0.5 * d ** 2, delta * (d - 0.5 * delta)), reduction)


def ref_kl(x, t, reduction="mean", log_target=False):
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.array([tt * math.log(tt) if tt > 0 else 0.0 for tt in t.ravel()])
        loss = loss.reshape(t.shape) - t * x
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return ref_reduce(loss, reduction)


# -- data ----------------------------------------------------------------------------------
RNG = np.random.default_rng(7)
X = RNG.standard_normal((6, 4)) * 2
Y = np.array([0, 3, -100, 1, 3, 2])                 # one ignored label
XK = RNG.standard_normal((2, 4, 3))                 # (N, C, d)
YK = np.array([[1, 0, 2], [3, 1, 1]])
W = np.array([0.5, 2.0, 1.0, 1.5])
P = RNG.dirichlet(np.ones(4), 6)                    # class probabilities
PB = RNG.uniform(0.05, 0.95, (6, 4))                # BCE probabilities
TB = RNG.uniform(0, 1, (6, 4))                      # soft binary targets
A, B = RNG.standard_normal((3, 5)) * 2, RNG.standard_normal((3, 5)) * 2
LP = np.log(RNG.dirichlet(np.ones(5), 3))           # log-probabilities
TP = RNG.dirichlet(np.ones(5), 3)


# -- values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_labels(reduction, smoothing, weighted, device):
    w = W if weighted else None
    wt = T(W, device) if weighted else None
    for x, y, ignore in ((X, Y, -100), (XK, YK, 1), (X[0], np.array(2), -100)):
        got = F.cross_entropy(T(x, device), gt.tensor(y, device=device), wt,
                              ignore_index=ignore, reduction=reduction,
                              label_smoothing=smoothing)
        close(got, ref_cross_entropy(x, y, w, ignore, reduction, smoothing))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_probabilities(reduction, smoothing, weighted, device):
    w = W if weighted else None
    got = F.cross_entropy(T(X, device), T(P, device), T(W, device) if weighted else None,
                          reduction=reduction, label_smoothing=smoothing)
    close(got, ref_cross_entropy(X, P, w, reduction=reduction, smoothing=smoothing))
    # (N, C, d) probabilities: the classes on axis 1
    pk = np.moveaxis(RNG.dirichlet(np.ones(4), (2, 3)), -1, 1)
    got = F.cross_entropy(T(XK, device), T(pk, device), T(W, device) if weighted else None,
                          reduction=reduction, label_smoothing=smoothing)
    close(got, ref_cross_entropy(XK, pk, w, reduction=reduction, smoothing=smoothing))


def test_cross_entropy_weighted_mean_divides_by_the_weights_of_the_counted_labels():
    x = gt.zeros(3, 2, dtype=gt.float64)               # every label costs log 2
    got = F.cross_entropy(x, gt.tensor([0, 1, -100]), gt.tensor([1.0, 3.0]))
    assert math.isclose(got.item(), math.log(2), rel_tol=1e-12)  # (1 + 3) log 2 / (1 + 3)
    got = F.cross_entropy(x, gt.tensor([0, 1, 1]), gt.tensor([1.0, 3.0]), reduction="none")
    np.testing.assert_allclose(N(got), np.array([1, 3, 3]) * math.log(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss_weight(reduction, device):
    logp = ref_log_softmax(X, 1)
    got = F.nll_loss(T(logp, device), gt.tensor(Y, device=device), T(W, device),
                     reduction=reduction)
    close(got, ref_nll(logp, Y, W, reduction=reduction))
    got = F.nll_loss(T(XK, device), gt.tensor(YK, device=device), T(W, device),
                     ignore_index=0, reduction=reduction)
    close(got, ref_nll(XK, YK, W, 0, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_weight(reduction, device):
    for w in (RNG.uniform(0.1, 2, (6, 4)), W, RNG.uniform(0.1, 2, (6, 1)), np.array(2.5)):
        got = F.binary_cross_entropy(T(PB, device), T(TB, device), T(w, device),
                                     reduction=reduction)
        close(got, ref_bce(PB, TB, w, reduction))
    # p = 0 and 1: the logs are clamped at -100 with a weight too
    got = F.binary_cross_entropy(T([0.0, 1.0], device), T([1.0, 0.0], device),
                                 T([2.0, 0.5], device), reduction=reduction)
    close(got, ref_reduce(np.array([200.0, 50.0]), reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_weight_and_pos_weight(reduction, device):
    x = X * 3
    ew = RNG.uniform(0.1, 2, (6, 4))
    for w, pw in ((ew, None), (None, W), (ew, W), (W, RNG.uniform(0.1, 3, (6, 1))),
                  (None, np.array(3.0))):
        got = F.binary_cross_entropy_with_logits(
            T(x, device), T(TB, device), None if w is None else T(w, device),
            reduction=reduction, pos_weight=None if pw is None else T(pw, device))
        close(got, ref_bce_logits(x, TB, w, pw, reduction))


def test_bce_with_logits_pos_weight_is_stable(device):
    x = T([[1e4, -1e4, 0.0, 60.0, -60.0]], device, gt.float32)
    t = T([[0.0, 1.0, 0.5, 0.0, 1.0]], device, gt.float32)
    pw = T([2.0, 3.0, 0.5, 1.5, 0.25], device, gt.float32)
    got = N(F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none"))
    want = ref_bce_logits(N(x).astype(np.float64), N(t).astype(np.float64), None,
                          N(pw).astype(np.float64), "none")
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # pos_weight 1 is no pos_weight
    x, t = T(X, device), T(TB, device)
    close(F.binary_cross_entropy_with_logits(x, t, pos_weight=gt.ones(4, dtype=gt.float64,
                                                                      device=device)),
          N(F.binary_cross_entropy_with_logits(x, t)))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_smooth_l1_huber(reduction, device):
    a, b = T(A, device), T(B, device)
    close(F.l1_loss(a, b, reduction=reduction), ref_l1(A, B, reduction))
    for beta in (1.0, 0.5, 3.0, 0.0):
        close(F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
              ref_smooth_l1(A, B, reduction, beta))
    for delta in (1.0, 0.3, 2.5):
        close(F.huber_loss(a, b, reduction=reduction, delta=delta),
              ref_huber(A, B, reduction, delta))
    assert F.smooth_l1_loss(a, b).item() == F.smooth_l1_loss(a, b, beta=1.0).item()
    assert F.huber_loss(a, b).item() == F.huber_loss(a, b, "mean", 1.0).item()


def test_huber_is_delta_times_smooth_l1(device):
    a, b = T(A, device), T(B, device)
    for d in (0.5, 2.0):
        close(F.huber_loss(a, b, reduction="none", delta=d),
              d * N(F.smooth_l1_loss(a, b, reduction="none", beta=d)))


def test_kinks_take_the_linear_side(device):
    # |d| == beta (delta): the linear formula, which equals the quadratic one there
    d = T([-2.0, -0.5, 0.0, 0.5, 2.0], device)
    z = gt.zeros(5, dtype=gt.float64, device=device)
    close(F.smooth_l1_loss(d, z, reduction="none", beta=0.5), [1.75, 0.25, 0.0, 0.25, 1.75])
    close(F.huber_loss(d, z, reduction="none", delta=2.0), [2.0, 0.125, 0.0, 0.125, 2.0])


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
def test_kl_div(reduction, device):
    close(F.kl_div(T(LP, device), T(TP, device), reduction=reduction),
          ref_kl(LP, TP, reduction))
    close(F.kl_div(T(LP, device), T(np.log(TP), device), reduction=reduction, log_target=True),
          ref_kl(LP, np.log(TP), reduction, True))
    tz = TP.copy()
    tz[0, :2] = 0.0                                  # zero targets contribute 0
    close(F.kl_div(T(LP, device), T(tz, device), reduction=reduction), ref_kl(LP, tz, reduction))
    close(F.kl_div(T(LP[0, 0], device), T(TP[0, 0], device), reduction=reduction),
          ref_kl(LP[0, 0], TP[0, 0], reduction))


def test_kl_div_defaults_and_batchmean():
    lp, t = gt.tensor(LP), gt.tensor(TP)
    # 'mean' averages over every element (PyTorch's default); 'batchmean' is per sample
    assert math.isclose(F.kl_div(lp, t).item(), F.kl_div(lp, t, reduction="sum").item() / 15,
                        rel_tol=1e-12)
    assert math.isclose(F.kl_div(lp, t, reduction="batchmean").item(),
                        F.kl_div(lp, t, reduction="sum").item() / 3, rel_tol=1e-12)
    assert F.kl_div(gt.log(t), t, reduction="batchmean").item() == pytest.approx(0, abs=1e-15)


def test_unweighted_calls_are_unchanged(device):
    x, y = T(X, device), gt.tensor(Y, device=device)
    plain = N(F.cross_entropy(x, y))
    np.testing.assert_array_equal(N(F.cross_entropy(x, y, None, label_smoothing=0.0)), plain)
    close(F.cross_entropy(x, y, gt.ones(4, dtype=gt.float64, device=device)), plain)
    close(F.cross_entropy(x, y, label_smoothing=0.0), plain)
    p, t = T(PB, device), T(TB, device)
    close(F.binary_cross_entropy(p, t, gt.ones(6, 4, dtype=gt.float64, device=device)),
          N(F.binary_cross_entropy(p, t)))


def test_dtypes(device):
    labels = gt.tensor([0, 2], device=device)
    w32 = gt.tensor([1.0, 2.0, 3.0], device=device)
    cases = [
        lambda x: F.cross_entropy(x, labels, w32),
        lambda x: F.cross_entropy(x, labels, label_smoothing=0.1),
        lambda x: F.cross_entropy(x, gt.full((2, 3), 1 / 3, device=device), w32),
        lambda x: F.nll_loss(x, labels, w32),
        lambda x: F.binary_cross_entropy(gt.sigmoid(x) if x.dtype.kind == "f" else
                                         x * 0, gt.ones(2, 3, device=device), w32),
        lambda x: F.binary_cross_entropy_with_logits(x, gt.ones(2, 3, device=device),
                                                     pos_weight=w32),
        lambda x: F.l1_loss(x, gt.ones(2, 3, device=device)),
        lambda x: F.smooth_l1_loss(x, gt.ones(2, 3, device=device)),
        lambda x: F.huber_loss(x, gt.ones(2, 3, device=device)),
        lambda x: F.kl_div(x, gt.full((2, 3), 0.5, device=device), reduction="batchmean"),
    ]
    x = [[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]]
    for i, fn in enumerate(cases):
        for dtype in (gt.float16, gt.float32, gt.float64):
            got = fn(gt.tensor(x, dtype=dtype, device=device))
            assert got.dtype == dtype, (i, dtype)
            want = fn(gt.tensor(x, dtype=gt.float64, device=device)).item()
            assert got.item() == pytest.approx(want, rel=1e-2 if dtype == gt.float16 else 1e-6)
        # integer inputs compute in the default float dtype, as the rows do
        assert fn(gt.tensor([[1, 0, 2], [0, 1, 1]], device=device)).dtype == gt.float32, i


def test_edge_cases_give_nan_without_warnings(device):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = gt.zeros(2, 3, dtype=gt.float64, device=device)
        w = T([1.0, 2.0, 3.0], device)
        ignored = gt.tensor([-100, -100], device=device)
        assert math.isnan(F.cross_entropy(x, ignored, w).item())
        assert math.isnan(F.cross_entropy(x, ignored, label_smoothing=0.2).item())
        assert F.cross_entropy(x, ignored, w, reduction="sum").item() == 0.0
        assert math.isnan(F.nll_loss(x, ignored, w).item())
        # zero total weight: nan, as 0 / 0 in PyTorch
        assert math.isnan(F.nll_loss(x, gt.tensor([0, 0], device=device),
                                     T([0.0, 1.0, 1.0], device)).item())
        empty = gt.zeros(0, 3, dtype=gt.float64, device=device)
        labels = gt.zeros(0, dtype=gt.int64, device=device)
        assert math.isnan(F.cross_entropy(empty, labels, w, label_smoothing=0.1).item())
        assert F.cross_entropy(empty, labels, w, reduction="none").shape == (0,)
        for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div):
            assert math.isnan(fn(empty, empty).item())
            assert fn(empty, empty, reduction="sum").item() == 0.0
        assert math.isnan(F.kl_div(empty, empty, reduction="batchmean").item())
        assert math.isnan(F.binary_cross_entropy_with_logits(empty, empty,
                                                             pos_weight=w).item())
        # a negative target has no log: nan, as PyTorch's xlogy
        got = N(F.kl_div(T([0.0, 0.0], device), T([-0.5, 0.5], device), reduction="none"))
        assert math.isnan(got[0]) and got[1] == pytest.approx(0.5 * math.log(0.5))


def test_positional_weight_and_keyword_options(device):
    x, y = T(X, device), gt.tensor(Y, device=device)
    w = T(W, device)
    close(F.cross_entropy(x, y, w), ref_cross_entropy(X, Y, W))
    close(F.nll_loss(x, y, w), ref_nll(X, Y, W))
    close(F.huber_loss(T(A, device), T(B, device), "sum", 0.5), ref_huber(A, B, "sum", 0.5))
    # a list (or NumPy array) is a weight too, on the input's device
    close(F.cross_entropy(x, y, W.tolist()), ref_cross_entropy(X, Y, W))
    close(F.binary_cross_entropy_with_logits(x, T(TB, device), pos_weight=W),
          ref_bce_logits(X, TB, None, W))


# -- gradients ------------------------------------------------------------------------------
def _leaf(a, device):
    return T(a, device, grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_label_losses(reduction, device):
    y, yk = gt.tensor(Y, device=device), gt.tensor(YK, device=device)
    for smoothing in (0.0, 0.3):
        x, w = _leaf(X, device), _leaf(W, device)
        assert gradcheck(lambda a, b: F.cross_entropy(a, y, b, reduction=reduction,
                                                      label_smoothing=smoothing), [x, w])
        x = _leaf(XK, device)
        assert gradcheck(lambda a, b: F.cross_entropy(a, yk, b, ignore_index=1,
                                                      reduction=reduction,
                                                      label_smoothing=smoothing), [x, w])
        assert gradcheck(lambda a: F.cross_entropy(a, yk, reduction=reduction,
                                                   label_smoothing=smoothing), [x])
        x, p = _leaf(X, device), _leaf(P, device)
        assert gradcheck(lambda a, t, b: F.cross_entropy(a, t, b, reduction=reduction,
                                                         label_smoothing=smoothing), [x, p, w])
    logp, w = _leaf(ref_log_softmax(X, 1), device), _leaf(W, device)
    assert gradcheck(lambda a, b: F.nll_loss(a, y, b, reduction=reduction), [logp, w])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_binary_losses(reduction, device):
    p, t = _leaf(PB, device), _leaf(TB, device)
    for w in (RNG.uniform(0.1, 2, (6, 4)), W):
        wl = _leaf(w, device)
        assert gradcheck(lambda a, b, c: F.binary_cross_entropy(a, b, c, reduction=reduction),
                         [p, t, wl])
    x = _leaf(X * 3, device)
    w, pw = _leaf(RNG.uniform(0.1, 2, (6, 4)), device), _leaf(W, device)
    assert gradcheck(lambda a, b, c, d: F.binary_cross_entropy_with_logits(
        a, b, c, reduction=reduction, pos_weight=d), [x, t, w, pw])
    assert gradcheck(lambda a, b, d: F.binary_cross_entropy_with_logits(
        a, b, reduction=reduction, pos_weight=d), [x, t, pw])
    assert gradcheck(lambda a, b, c: F.binary_cross_entropy_with_logits(
        a, b, c, reduction=reduction), [x, t, w])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_regression_and_kl_losses(reduction, device):
    a, b = _leaf(A, device), _leaf(B, device)
    assert gradcheck(lambda u, v: F.l1_loss(u, v, reduction=reduction), [a, b])
    for beta in (1.0, 0.5, 0.0):
        assert gradcheck(lambda u, v: F.smooth_l1_loss(u, v, reduction=reduction, beta=beta),
                         [a, b])
    for delta in (1.0, 0.3):
        assert gradcheck(lambda u, v: F.huber_loss(u, v, reduction=reduction, delta=delta),
                         [a, b])
    lp, tp = _leaf(LP, device), _leaf(TP, device)
    for r in (reduction, "batchmean"):
        assert gradcheck(lambda u, v: F.kl_div(u, v, reduction=r), [lp, tp])
        assert gradcheck(lambda u, v: F.kl_div(u, v, reduction=r, log_target=True),
                         [lp, _leaf(np.log(TP), device)])


def test_second_derivatives(device):
    """The gradient's own gradient (a Hessian-vector check by gradcheck of the gradient)."""
    y = gt.tensor(Y, device=device)

    def grad_of(loss):
        return lambda *args: gt.grad(loss(*args), list(args), create_graph=True)

    w = _leaf(W, device)
    checks = [
        (lambda a: F.cross_entropy(a, y, w, label_smoothing=0.2), [_leaf(X, device)]),
        (lambda a, t: F.cross_entropy(a, t, w, label_smoothing=0.2),
         [_leaf(X, device), _leaf(P, device)]),
        (lambda a, pw: F.binary_cross_entropy_with_logits(a, T(TB, device), pos_weight=pw),
         [_leaf(X, device), _leaf(W, device)]),
        (lambda a: F.huber_loss(a, T(B, device), delta=0.7), [_leaf(A, device)]),
        (lambda a: F.smooth_l1_loss(a, T(B, device), beta=0.7), [_leaf(A, device)]),
        (lambda a, t: F.kl_div(a, t, reduction="batchmean"),
         [_leaf(LP, device), _leaf(TP, device)]),
    ]
    for loss, args in checks:
        assert gradcheck(grad_of(loss), args)


def test_no_gradient_to_integer_labels_and_weights_get_theirs(device):
    x = _leaf(X, device)
    w = _leaf(W, device)
    F.cross_entropy(x, gt.tensor(Y, device=device), w, reduction="sum").backward()
    # d/dw_k of sum_n w[y_n] (-logp[n, y_n]) = sum of -logp over the labels k
    lp = ref_log_softmax(X, 1)
    want = [sum(-lp[n, k] for n in range(6) if Y[n] == k) for k in range(4)]
    np.testing.assert_allclose(N(w.grad), want, rtol=1e-12)


# -- modules ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_modules_equal_their_functional(reduction, device):
    x, y, w = T(X, device), gt.tensor(Y, device=device), T(W, device)
    a, b = T(A, device), T(B, device)
    cases = [
        (nn.CrossEntropyLoss(w, reduction=reduction, label_smoothing=0.1), (x, y),
         lambda *t: F.cross_entropy(*t, w, reduction=reduction, label_smoothing=0.1)),
        (nn.CrossEntropyLoss(weight=w, ignore_index=3, reduction=reduction),
         (x, gt.tensor([0, 3, 1, 1, 3, 2], device=device)),
         lambda *t: F.cross_entropy(*t, w, ignore_index=3, reduction=reduction)),
        (nn.NLLLoss(w, reduction=reduction), (x, y),
         lambda *t: F.nll_loss(*t, w, reduction=reduction)),
        (nn.BCELoss(w, reduction=reduction), (T(PB, device), T(TB, device)),
         lambda *t: F.binary_cross_entropy(*t, w, reduction=reduction)),
        (nn.BCEWithLogitsLoss(w, reduction=reduction, pos_weight=w), (x, T(TB, device)),
         lambda *t: F.binary_cross_entropy_with_logits(*t, w, reduction=reduction,
                                                       pos_weight=w)),
        (nn.L1Loss(reduction=reduction), (a, b),
         lambda *t: F.l1_loss(*t, reduction=reduction)),
        (nn.SmoothL1Loss(reduction=reduction, beta=0.5), (a, b),
         lambda *t: F.smooth_l1_loss(*t, reduction=reduction, beta=0.5)),
        (nn.HuberLoss(reduction, 0.5), (a, b),
         lambda *t: F.huber_loss(*t, reduction=reduction, delta=0.5)),
        (nn.KLDivLoss(reduction=reduction, log_target=True), (a, b),
         lambda *t: F.kl_div(*t, reduction=reduction, log_target=True)),
    ]
    for module, args, fn in cases:
        got, want = module(*args), fn(*args)
        assert got.shape == want.shape, repr(module)
        np.testing.assert_array_equal(N(got), N(want), err_msg=repr(module))
    got = nn.KLDivLoss(reduction="batchmean")(T(LP, device), T(TP, device))
    close(got, ref_kl(LP, TP, "batchmean"))


def test_module_defaults_match_pytorch():
    assert nn.CrossEntropyLoss().weight is None
    assert nn.CrossEntropyLoss().label_smoothing == 0.0
    assert nn.BCEWithLogitsLoss().pos_weight is None
    assert nn.SmoothL1Loss().beta == 1.0 and nn.HuberLoss().delta == 1.0
    assert nn.KLDivLoss().reduction == "mean" and nn.KLDivLoss().log_target is False
    assert nn.L1Loss().reduction == "mean"


def test_weights_are_buffers():
    w = gt.tensor([1.0, 2.0, 3.0])
    m = nn.CrossEntropyLoss(w)
    assert m.weight is w and list(m.parameters()) == []
    assert list(m.state_dict()) == ["weight"]
    m2 = nn.BCEWithLogitsLoss(pos_weight=gt.tensor([2.0]))
    assert list(m2.state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    m.double()
    assert m.weight.dtype == gt.float64
    fresh = nn.CrossEntropyLoss(gt.zeros(3))
    fresh.load_state_dict(m.state_dict())
    assert fresh.weight.tolist() == [1.0, 2.0, 3.0]


def test_weights_move_with_the_module(device):
    m = nn.CrossEntropyLoss(gt.tensor([1.0, 2.0, 3.0])).to(device)
    assert m.weight.device == gt.device(device)
    got = m(gt.zeros(2, 3, device=device), gt.tensor([0, 2], device=device))
    assert got.item() == pytest.approx(math.log(3))


def test_module_reprs():
    assert repr(nn.CrossEntropyLoss(gt.ones(2), ignore_index=0, reduction="sum",
                                    label_smoothing=0.1)) == (
        "CrossEntropyLoss(ignore_index=0, reduction='sum', label_smoothing=0.1)")
    assert repr(nn.L1Loss()) == "L1Loss()"
    assert repr(nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss(beta=0.5)"
    assert repr(nn.HuberLoss("none", 2.0)) == "HuberLoss(reduction='none', delta=2.0)"
    assert repr(nn.KLDivLoss("batchmean", True)) == (
        "KLDivLoss(reduction='batchmean', log_target=True)")


# -- errors ---------------------------------------------------------------------------------
def _raises(exc, match, fn, *args, **kw):
    with pytest.raises(exc, match=match):
        fn(*args, **kw)


def test_weight_errors():
    x, y = gt.zeros(4, 3), gt.tensor([0, 1, 2, 0])
    _raises(ValueError, r"cross_entropy: weight shape \(2,\) does not match the 3 classes of "
            r"the input of shape \(4, 3\): expected \(3,\)", F.cross_entropy, x, y, gt.ones(2))
    _raises(ValueError, r"cross_entropy: weight shape \(1, 3\) does not match the 3 classes",
            F.cross_entropy, x, gt.full((4, 3), 1 / 3), gt.ones(1, 3))
    _raises(ValueError, r"nll_loss: weight shape \(4,\) does not match the 3 classes",
            F.nll_loss, x, y, gt.ones(4))
    # an int where PyTorch's weight goes (ignore_index is a keyword)
    _raises(TypeError, r"cross_entropy: weight must be a tensor or None, got int -1",
            F.cross_entropy, x, y, -1)
    _raises(TypeError, r"binary_cross_entropy: weight must be a tensor or None, got str 'sum'",
            F.binary_cross_entropy, gt.full((2,), 0.5), gt.ones(2), "sum")
    _raises(TypeError, r"nll_loss: weight must hold real numbers, got dtype bool",
            F.nll_loss, x, y, gt.tensor([True, False, True]))
    _raises(ValueError, r"binary_cross_entropy: weight shape \(3,\) does not broadcast to the "
            r"input shape \(4, 2\)", F.binary_cross_entropy, gt.full((4, 2), 0.5),
            gt.ones(4, 2), gt.ones(3))
    _raises(ValueError, r"binary_cross_entropy_with_logits: weight shape \(2, 4, 2\) does not "
            r"broadcast to the input shape \(4, 2\)", F.binary_cross_entropy_with_logits,
            gt.zeros(4, 2), gt.ones(4, 2), gt.ones(2, 4, 2))
    _raises(ValueError, r"binary_cross_entropy_with_logits: pos_weight shape \(3,\) does not "
            r"broadcast to the input shape \(4, 2\); pos_weight holds one weight per class "
            r"and broadcasts over the last dimension: shape \(2,\)",
            F.binary_cross_entropy_with_logits, gt.zeros(4, 2), gt.ones(4, 2),
            pos_weight=gt.ones(3))
    _raises(TypeError, r"binary_cross_entropy_with_logits: pos_weight must be a tensor or "
            r"None, got float 2.0", F.binary_cross_entropy_with_logits, gt.zeros(2),
            gt.ones(2), pos_weight=2.0)


def test_option_errors():
    x, y, a = gt.zeros(2, 3), gt.tensor([0, 1]), gt.zeros(3)
    for s in (1.5, -0.1, math.nan):
        _raises(ValueError, r"cross_entropy: label_smoothing must be between 0.0 and 1.0, got",
                F.cross_entropy, x, y, label_smoothing=s)
    _raises(TypeError, r"cross_entropy: label_smoothing must be a real number, got '0.1'",
            F.cross_entropy, x, y, label_smoothing="0.1")
    _raises(ValueError, r"smooth_l1_loss: beta must be non-negative, got -1.0",
            F.smooth_l1_loss, a, a, beta=-1.0)
    _raises(TypeError, r"smooth_l1_loss: beta must be a real number, got None",
            F.smooth_l1_loss, a, a, beta=None)
    for d in (0.0, -2):
        _raises(ValueError, rf"huber_loss: delta must be positive, got {d}", F.huber_loss, a,
                a, delta=d)
    _raises(TypeError, r"huber_loss: delta must be a real number, got True", F.huber_loss,
            a, a, delta=True)
    _raises(TypeError, r"kl_div: log_target must be a bool, got 1", F.kl_div, a, a,
            log_target=1)


def test_reduction_errors():
    x, y, a = gt.zeros(2, 3), gt.tensor([0, 1]), gt.zeros(3)
    calls = [
        ("l1_loss", lambda r: F.l1_loss(a, a, reduction=r)),
        ("smooth_l1_loss", lambda r: F.smooth_l1_loss(a, a, reduction=r)),
        ("huber_loss", lambda r: F.huber_loss(a, a, reduction=r)),
        ("cross_entropy", lambda r: F.cross_entropy(x, y, gt.ones(3), reduction=r)),
        ("cross_entropy", lambda r: F.cross_entropy(x, y, reduction=r, label_smoothing=0.1)),
        ("nll_loss", lambda r: F.nll_loss(x, y, gt.ones(3), reduction=r)),
        ("binary_cross_entropy", lambda r: F.binary_cross_entropy(a, a, a, reduction=r)),
        ("binary_cross_entropy_with_logits",
         lambda r: F.binary_cross_entropy_with_logits(a, a, pos_weight=a, reduction=r)),
    ]
    for name, call in calls:
        _raises(ValueError, rf"{name}: reduction must be 'mean', 'sum' or 'none', got 'avg'",
                call, "avg")
        _raises(ValueError, rf"{name}: reduction must be .* got 'batchmean'", call,
                "batchmean")
    _raises(ValueError, r"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
            r"'avg'", F.kl_div, a, a, reduction="avg")


def test_input_errors():
    a = gt.zeros(3)
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss, F.kl_div):
        name = fn.__name__
        _raises(ValueError, rf"{name}: input shape \(3,\) and target shape \(4,\) differ; they "
                r"must be equal \(no broadcasting\)", fn, a, gt.zeros(4))
        _raises(TypeError, rf"{name}: unsupported dtype bool", fn, gt.tensor([True]),
                gt.tensor([1.0]))
    _raises(ValueError, r"binary_cross_entropy_with_logits: input shape \(3,\) and target "
            r"shape \(1, 3\) differ", F.binary_cross_entropy_with_logits, a, gt.zeros(1, 3),
            pos_weight=gt.ones(3))
    # the rows' checks come through the weighted forms, in their function's name
    w = gt.ones(3)
    _raises(IndexError, r"cross_entropy: target label 5 is out of range for 3 classes",
            F.cross_entropy, gt.zeros(2, 3), gt.tensor([0, 5]), w)
    _raises(IndexError, r"nll_loss: target label -1 is out of range for 3 classes",
            F.nll_loss, gt.zeros(2, 3), gt.tensor([0, -1]), w)
    _raises(TypeError, r"cross_entropy: target must be integer class labels of shape \(2,\) "
            r"or class probabilities", F.cross_entropy, gt.zeros(2, 3), gt.zeros(2), w)
    _raises(ValueError, r"cross_entropy: input must have a class axis", F.cross_entropy,
            gt.zeros(()), gt.tensor(0), label_smoothing=0.1)
    _raises(ValueError, r"binary_cross_entropy: input holds probabilities and must lie in "
            r"\[0, 1\]", F.binary_cross_entropy, gt.tensor([1.5]), gt.ones(1), gt.ones(1))
    _raises(TypeError, r"cross_entropy: unsupported dtype bool", F.cross_entropy,
            gt.tensor([[True, False]]), gt.tensor([0]), gt.ones(2))


def test_module_errors_when_made():
    _raises(ValueError, r"SmoothL1Loss: beta must be non-negative, got -1",
            nn.SmoothL1Loss, beta=-1)
    _raises(ValueError, r"HuberLoss: delta must be positive, got 0", nn.HuberLoss, delta=0)
    _raises(ValueError, r"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, "
            r"got 2", nn.CrossEntropyLoss, label_smoothing=2)
    _raises(TypeError, r"CrossEntropyLoss: weight must be a tensor or None, got int -1",
            nn.CrossEntropyLoss, -1)
    _raises(TypeError, r"BCELoss: weight must be a tensor or None, got str 'sum'",
            nn.BCELoss, "sum")
    _raises(TypeError, r"BCEWithLogitsLoss: pos_weight must be a tensor or None",
            nn.BCEWithLogitsLoss, pos_weight=3)
    _raises(TypeError, r"KLDivLoss: log_target must be a bool", nn.KLDivLoss, log_target="yes")
    for cls in (nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.CrossEntropyLoss, nn.NLLLoss,
                nn.BCELoss, nn.BCEWithLogitsLoss):
        _raises(ValueError, rf"{cls.__name__}: reduction must be 'mean', 'sum' or 'none', got "
                r"'batchmean'", cls, reduction="batchmean")
    _raises(ValueError, r"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', "
            r"got 'avg'", nn.KLDivLoss, reduction="avg")
    # a weight of the wrong shape is found when the loss meets its input
    _raises(ValueError, r"cross_entropy: weight shape \(2,\) does not match the 3 classes",
            nn.CrossEntropyLoss(gt.ones(2)), gt.zeros(1, 3), gt.tensor([0]))


@pytest.mark.gpu
def test_weight_on_another_device_is_refused():
    x, y = gt.zeros(2, 3, device="cuda"), gt.tensor([0, 1], device="cuda")
    _raises(RuntimeError, r"cross_entropy: weight is on cpu but the input on cuda",
            F.cross_entropy, x, y, gt.ones(3))
    _raises(RuntimeError, r"binary_cross_entropy_with_logits: pos_weight is on cpu",
            F.binary_cross_entropy_with_logits, x, gt.ones(2, 3, device="cuda"),
            pos_weight=gt.ones(3))
    # lists and NumPy arrays are made on the input's device
    assert F.cross_entropy(x, y, [1.0, 2.0, 3.0]).device == x.device


def test_failed_calls_leave_gradients_alone():
    x = gt.zeros(2, 3, requires_grad=True)
    F.cross_entropy(x, gt.tensor([0, 1]), gt.ones(3)).backward()
    before = x.grad.numpy().copy()
    with pytest.raises(ValueError):
        F.cross_entropy(x, gt.tensor([0, 1]), gt.ones(2))
    with pytest.raises(IndexError):
        F.cross_entropy(x, gt.tensor([0, 7]), gt.ones(3))
    np.testing.assert_array_equal(x.grad.numpy(), before)


def test_loss_module_weights_are_float_buffers_and_positional_options_get_a_hint():
    m = nn.CrossEntropyLoss(weight=[1, 2])
    assert m.weight.dtype == gt.get_default_dtype()
    m.load_state_dict({"weight": gt.tensor([0.5, 1.5])})
    assert m.weight.tolist() == [0.5, 1.5]
    with pytest.raises(TypeError, match="weight must be a tensor or None, got int -1 .*"
                                        "keyword-only"):
        gt.nn.functional.nll_loss(gt.zeros(2, 3), gt.tensor([0, 1]), -1)
