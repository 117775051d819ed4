"""Gradients of gt.nn.functional against closed forms: softmax/log_softmax (also at logits of
magnitude 1e4), cross_entropy with labels and with probabilities ((softmax - onehot) / N),
nll_loss, dropout (the forward's mask), linear, mse_loss, binary_cross_entropy (+ logits);
labels and noise get no gradient; saved targets changed in place make backward raise."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
from testkit import host, leaf, rng

F = gt.nn.functional


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def backward(out, upstream=None):
    g = np.ones(out.shape) if upstream is None else upstream
    out.backward(gt.tensor(g, dtype=out.dtype, device=out.device))


# -- softmax, log_softmax ------------------------------------------------------------------
@pytest.mark.parametrize("axis,shape", [(-1, (3, 5)), (0, (4, 3)), (1, (2, 3, 4)),
                                        (None, (2, 3))])
def test_softmax_and_log_softmax_gradients(device, axis, shape):
    x_np = rng().standard_normal(shape)
    g = rng(1).standard_normal(shape)
    flat = axis is None
    xs = x_np.reshape(-1) if flat else x_np
    gs = g.reshape(-1) if flat else g
    ax = 0 if flat else axis
    s = np_softmax(xs, ax)
    want_soft = s * (gs - (gs * s).sum(axis=ax, keepdims=True))
    want_log = gs - s * gs.sum(axis=ax, keepdims=True)
    x = leaf(x_np, device)
    backward(F.softmax(x, axis=axis), g)
    np.testing.assert_allclose(host(x.grad), want_soft.reshape(shape), rtol=1e-10, atol=1e-12)
    x = leaf(x_np, device)
    backward(F.log_softmax(x, axis=axis), g)
    np.testing.assert_allclose(host(x.grad), want_log.reshape(shape), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_huge_logits_give_finite_exact_gradients(device, dtype):
    x_np = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1.0, 5.0]])
    g = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0], [1.0, 0.0, -1.0]])
    s = np_softmax(x_np, 1)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-14)
    x = leaf(x_np, device, dtype)
    backward(F.softmax(x, axis=1), g)
    got = host(x.grad)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, s * (g - (g * s).sum(1, keepdims=True)), **tol)
    x = leaf(x_np, device, dtype)
    backward(F.log_softmax(x, axis=1), g)
    got = host(x.grad)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, g - s * g.sum(1, keepdims=True), **tol)
    x = leaf(x_np, device, dtype)
    labels = np.array([2, 0, 1])
    F.cross_entropy(x, gt.tensor(labels, device=device)).backward()
    got = host(x.grad)
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got, (s - np.eye(3)[labels]) / 3, **tol)


# -- cross_entropy, nll_loss ---------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3,)])
def test_cross_entropy_labels_gradient_is_softmax_minus_onehot_over_n(device, shape):
    x_np = rng().standard_normal(shape)
    cls = 1 if len(shape) >= 2 else 0
    labels = rng(2).integers(0, shape[cls], size=shape[:cls] + shape[cls + 1:])
    onehot = np.moveaxis(np.eye(shape[cls])[labels], -1, cls)
    s = np_softmax(x_np, cls)
    n = max(labels.size, 1)
    x = leaf(x_np, device)
    F.cross_entropy(x, gt.tensor(labels, device=device)).backward()
    np.testing.assert_allclose(host(x.grad), (s - onehot) / n, rtol=1e-10, atol=1e-12)
    x = leaf(x_np, device)
    F.cross_entropy(x, gt.tensor(labels, device=device), reduction="sum").backward()
    np.testing.assert_allclose(host(x.grad), s - onehot, rtol=1e-10, atol=1e-12)
    x = leaf(x_np, device)
    g = rng(3).standard_normal(labels.shape)
    backward(F.cross_entropy(x, gt.tensor(labels, device=device), reduction="none"), g)
    np.testing.assert_allclose(host(x.grad), (s - onehot) * np.expand_dims(g, cls),
                               rtol=1e-10, atol=1e-12)


def test_cross_entropy_ignore_index(device):
    x_np = rng().standard_normal((5, 3))
    labels = np.array([0, -100, 2, -100, 1])
    keep = labels != -100
    s = np_softmax(x_np, 1)
    onehot = np.eye(3)[np.where(keep, labels, 0)]
    want = (s - onehot) * keep[:, None] / keep.sum()
    x = leaf(x_np, device)
    F.cross_entropy(x, gt.tensor(labels, device=device)).backward()
    np.testing.assert_allclose(host(x.grad), want, rtol=1e-10, atol=1e-12)
    # an ignore_index that is a real class
    x = leaf(x_np, device)
    labels = np.array([1, 1, 0, 2, 1])
    F.cross_entropy(x, gt.tensor(labels, device=device), ignore_index=1).backward()
    keep = labels != 1
    want = (s - np.eye(3)[labels]) * keep[:, None] / keep.sum()
    np.testing.assert_allclose(host(x.grad), want, rtol=1e-10, atol=1e-12)
    # every label ignored: the mean is nan, nothing flows back
    x = leaf(x_np, device)
    loss = F.cross_entropy(x, gt.tensor([-100] * 5, device=device))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(host(x.grad), np.zeros((5, 3)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probability_targets(device, reduction):
    x_np = rng().standard_normal((4, 3, 2))
    t_np = rng(5).uniform(size=(4, 3, 2))   # not normalised: sum(t) enters the gradient
    s = np_softmax(x_np, 1)
    logp = np.log(s)
    g = rng(6).standard_normal((4, 2)) if reduction == "none" else np.array(1.0)
    coef = np.expand_dims(g, 1) if reduction == "none" else g / (8 if reduction == "mean" else 1)
    x, t = leaf(x_np, device), leaf(t_np, device)
    backward(F.cross_entropy(x, t, reduction=reduction), g)
    np.testing.assert_allclose(host(x.grad), coef * (s * t_np.sum(1, keepdims=True) - t_np),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(t.grad), -coef * logp, rtol=1e-10, atol=1e-12)


def test_nll_loss_gradient(device):
    logp_np = np.log(np_softmax(rng().standard_normal((4, 3)), 1))
    labels = np.array([2, 0, -100, 2])
    keep = labels != -100
    onehot = np.eye(3)[np.where(keep, labels, 0)] * keep[:, None]
    x = leaf(logp_np, device)
    F.nll_loss(x, gt.tensor(labels, device=device)).backward()
    np.testing.assert_allclose(host(x.grad), -onehot / 3, rtol=1e-12)
    x = leaf(logp_np, device)
    g = np.array([1.0, 2.0, 3.0, 4.0])
    backward(F.nll_loss(x, gt.tensor(labels, device=device), reduction="none"), g)
    np.testing.assert_allclose(host(x.grad), -onehot * g[:, None], rtol=1e-12)
    # 1-D input with a 0-d label
    x = leaf([-1.0, -2.0, -3.0], device)
    F.nll_loss(x, gt.tensor(1, device=device)).backward()
    np.testing.assert_array_equal(host(x.grad), [0, -1, 0])


def test_labels_and_targets_without_grad_get_none(device):
    x = leaf(rng().standard_normal((2, 3)), device)
    labels = gt.tensor([0, 2], device=device)
    (gx,) = gt.autograd.grad(F.cross_entropy(x, labels), [x])
    assert gx.shape == (2, 3) and labels.grad is None
    t = gt.tensor(rng().uniform(size=(2, 3)), device=device)   # does not require grad
    F.binary_cross_entropy_with_logits(x, t).backward()
    assert t.grad is None and x.grad is not None


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_loss_gradients_keep_the_input_dtype(device, dtype):
    x = leaf(rng().standard_normal((3, 4)), device, dtype)
    F.cross_entropy(x, gt.tensor([0, 1, 3], device=device)).backward()
    assert x.grad.dtype == np.dtype(dtype) and np.isfinite(host(x.grad)).all()
    p = leaf([0.0, 0.5, 1.0], device, dtype)
    F.binary_cross_entropy(p, gt.tensor([0.0, 1.0, 1.0], dtype=dtype, device=device)).backward()
    assert p.grad.dtype == np.dtype(dtype) and np.isfinite(host(p.grad)).all()


def test_saved_labels_changed_in_place_make_backward_raise(device):
    x = leaf(rng().standard_normal((2, 3)), device)
    labels = gt.tensor([0, 1], device=device)
    loss = F.cross_entropy(x, labels)
    labels[0] = 2
    with pytest.raises(RuntimeError, match="'cross_entropy' was modified by an in-place"):
        loss.backward()
    z = F.softmax(x)                        # the saved output...
    z += 1.0                                # ...changed in place
    with pytest.raises(RuntimeError, match="'softmax' was modified by an in-place"):
        z.backward(gt.ones((2, 3), dtype=gt.float64, device=device))


# -- dropout ----------------------------------------------------------------------------------
def test_dropout_gradient_uses_the_forward_mask(device):
    x = leaf(rng().uniform(1, 2, size=(50,)), device)
    gt.manual_seed(3)
    y = F.dropout(x, p=0.4)
    kept = host(y) != 0
    assert 0 < kept.sum() < 50
    g = rng(1).standard_normal(50)
    backward(y, g)
    np.testing.assert_allclose(host(x.grad), np.where(kept, g / 0.6, 0.0), rtol=1e-12)
    x.grad = None
    backward(F.dropout(x, p=1.0), g)
    np.testing.assert_array_equal(host(x.grad), np.zeros(50))
    x.grad = None
    backward(F.dropout(x, p=0.4, training=False), g)
    np.testing.assert_array_equal(host(x.grad), g)


# -- linear, mse_loss, binary cross entropy --------------------------------------------------
@pytest.mark.parametrize("x_shape", [(2, 5, 3), (4, 3), (3,)])
def test_linear_gradients(device, x_shape):
    x_np, w_np, b_np = (rng(i).standard_normal(s) for i, s in
                        enumerate([x_shape, (4, 3), (4,)]))
    out_shape = x_shape[:-1] + (4,)
    g = rng(9).standard_normal(out_shape)
    x, w, b = leaf(x_np, device), leaf(w_np, device), leaf(b_np, device)
    backward(F.linear(x, w, b), g)
    g2, x2 = g.reshape(-1, 4), x_np.reshape(-1, 3)
    np.testing.assert_allclose(host(x.grad), g @ w_np, rtol=1e-12)
    np.testing.assert_allclose(host(w.grad), g2.T @ x2, rtol=1e-12)
    np.testing.assert_allclose(host(b.grad), g2.sum(0), rtol=1e-12)
    x, w = leaf(x_np, device), leaf(w_np, device)
    backward(F.linear(x, w), g)
    np.testing.assert_allclose(host(w.grad), g2.T @ x2, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_gradient(device, reduction):
    a_np, b_np = rng(1).standard_normal((3, 4)), rng(2).standard_normal((3, 4))
    g = rng(3).standard_normal((3, 4)) if reduction == "none" else np.array(1.0)
    scale = g / 12 if reduction == "mean" else g
    a, b = leaf(a_np, device), leaf(b_np, device)
    backward(F.mse_loss(a, b, reduction=reduction), g)
    np.testing.assert_allclose(host(a.grad), 2 * (a_np - b_np) * scale, rtol=1e-12)
    np.testing.assert_allclose(host(b.grad), -2 * (a_np - b_np) * scale, rtol=1e-12)


def test_binary_cross_entropy_gradients(device):
    p_np = np.array([0.1, 0.5, 0.9, 0.3])
    t_np = np.array([0.0, 1.0, 0.25, 1.0])
    p, t = leaf(p_np, device), leaf(t_np, device)
    F.binary_cross_entropy(p, t).backward()
    np.testing.assert_allclose(host(p.grad), (p_np - t_np) / (p_np * (1 - p_np)) / 4, rtol=1e-12)
    np.testing.assert_allclose(host(t.grad), (np.log1p(-p_np) - np.log(p_np)) / 4, rtol=1e-12)
    # at p = 0 and 1 the loss is finite (logs clamped at -100) and so is the gradient
    p = leaf([0.0, 1.0, 0.0], device)
    F.binary_cross_entropy(p, gt.tensor([0.0, 1.0, 1.0], dtype=gt.float64, device=device),
                           reduction="sum").backward()
    got = host(p.grad)
    assert np.isfinite(got).all()
    np.testing.assert_array_equal(got[:2], [0.0, 0.0])
    assert got[2] == -1e12                   # -(1 - 0) / max(0 * 1, 1e-12)


def test_binary_cross_entropy_with_logits_gradients(device):
    x_np = np.array([-1e4, -2.0, 0.0, 3.0, 1e4])
    t_np = np.array([0.0, 1.0, 0.5, 0.2, 1.0])
    sig = 1 / (1 + np.exp(-np.clip(x_np, -700, 700)))
    x, t = leaf(x_np, device), leaf(t_np, device)
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(host(x.grad), (sig - t_np) / 5, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(host(t.grad), -x_np / 5, rtol=1e-12)


def test_grad_materialize_grads_gives_zeros_for_unused_inputs(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    u = gt.tensor(1.0, requires_grad=True, device=device)
    gx, gu = gt.grad((x * 2).sum(), [x, u], materialize_grads=True)
    np.testing.assert_allclose(host(gx), [2.0, 2.0])
    assert gu.shape == () and host(gu) == 0.0
    with pytest.raises(ValueError, match="allow_unused cannot be False"):
        gt.grad((x * 2).sum(), [x, u], materialize_grads=True, allow_unused=False)


def test_grad_is_grads_batched_matches_one_call_per_seed(device):
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    w = gt.tensor(2.0, requires_grad=True, device=device)
    u = gt.tensor(1.0, requires_grad=True, device=device)
    y = x * x * w
    seeds = gt.tensor(np.random.default_rng(0).standard_normal((4, 3)), dtype=gt.float32,
                      device=device)
    gx, gw, gu = gt.grad(y, [x, w, u], seeds, is_grads_batched=True, allow_unused=True,
                         retain_graph=True)
    assert gx.shape == (4, 3) and gw.shape == (4,) and gu is None
    for i in range(4):
        ex, ew = gt.grad(y, [x, w], seeds[i], retain_graph=True)
        np.testing.assert_allclose(host(gx[i]), host(ex), rtol=1e-6)
        np.testing.assert_allclose(host(gw[i]), host(ew), rtol=1e-6)
    with pytest.raises(ValueError, match="is_grads_batched=True each of grad_outputs"):
        gt.grad(y, x, gt.ones(3, device=device), is_grads_batched=True)


def test_grad_is_grads_batched_frees_the_graph_unless_retained(device):
    # as every backward: retain_graph defaults to create_graph
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * x
    seeds = gt.eye(2, device=device)
    (jac,) = gt.grad(y, x, seeds, is_grads_batched=True)
    np.testing.assert_allclose(host(jac), np.diag([2.0, 4.0]))
    with pytest.raises(RuntimeError, match="retain_graph"):
        gt.grad(y.sum(), x)
    y = x * x
    gt.grad(y, x, seeds, is_grads_batched=True, create_graph=True)
    (again,) = gt.grad(y.sum(), x)  # create_graph keeps the graph
    np.testing.assert_allclose(host(again), [2.0, 4.0])
