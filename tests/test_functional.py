"""gt.nn.functional against float64 NumPy references, closed forms and PyTorch's conventions.

The table-driven tests in test_ops.py run every row on random inputs; this module adds what
they cannot draw: labels in range with float logits, probabilities in [0, 1], values of
magnitude 1e4, -inf rows, the random mask of dropout, and every error path.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt
from gputensor.ops import elementwise

F = gt.nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def T(data, device, dtype=gt.float64):
    return gt.tensor(np.asarray(data), dtype=dtype, device=device)


def N(t) -> np.ndarray:
    return t.cpu().numpy()


def close(got, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(N(got).astype(np.float64), want, rtol=rtol, atol=atol,
                               equal_nan=True)


@pytest.fixture(autouse=True)
def _no_warnings():
    """No overflow / invalid-value warnings anywhere in this module."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# -- float64 references (stable forms, written independently of the library) -------------
def ref_log_softmax(x, axis=-1):
    x = np.asarray(x, np.float64)
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_softmax(x, axis=-1):
    return np.exp(ref_log_softmax(x, axis))


def ref_reduce(loss, reduction, count=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if count is None else count)


def ref_nll(logp, target, reduction="mean", ignore_index=-100):
    logp = np.moveaxis(np.asarray(logp, np.float64), 1 if logp.ndim >= 2 else 0, -1)
    loss = np.zeros(target.shape)
    n = 0
    for pos in np.ndindex(*target.shape):
        if target[pos] != ignore_index:
            loss[pos] = -logp[pos][target[pos]]
            n += 1
    return ref_reduce(loss, reduction, n)


def rng():
    return np.random.default_rng(1234)


# -- softmax / log_softmax ------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis", [((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -2),
                                        ((2, 3, 4), 2), ((2, 3), None)])
def test_softmax_matches_float64(device, shape, axis):
    x = rng().standard_normal(shape) * 3
    want_axis = axis
    if axis is None:
        want = ref_softmax(x.reshape(-1), 0).reshape(shape)
        want_log = ref_log_softmax(x.reshape(-1), 0).reshape(shape)
    else:
        want, want_log = ref_softmax(x, want_axis), ref_log_softmax(x, want_axis)
    close(F.softmax(T(x, device), axis), want)
    close(F.log_softmax(T(x, device), axis), want_log)
    close(F.softmax(T(x, device, gt.float32), axis), want, rtol=1e-5, atol=1e-7)
    if axis is not None:
        close(F.softmax(T(x, device), dim=axis), want)
        close(T(x, device).softmax(axis), want)
        close(T(x, device).log_softmax(dim=axis), want_log)


def test_softmax_closed_forms(device):
    out = F.softmax(gt.full((3, 5), 7.0, device=device), dim=1)
    close(out, np.full((3, 5), 0.2), rtol=1e-6)
    close(F.log_softmax(gt.zeros(4, device=device)), np.full(4, -math.log(4)), rtol=1e-6)
    # shift invariance and sums to one
    x = rng().standard_normal((4, 6))
    close(F.softmax(T(x + 100.0, device)), ref_softmax(x))
    np.testing.assert_allclose(N(F.softmax(T(x, device))).sum(axis=-1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("dtype", [gt.float32, gt.float64, gt.float16])
def test_softmax_stable_at_1e4(device, dtype):
    x = np.array([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4], [-1e4, -1e4, -1e4 + 1]])
    s, ls = F.softmax(T(x, device, dtype)), F.log_softmax(T(x, device, dtype))
    assert s.dtype == dtype and ls.dtype == dtype
    assert np.all(np.isfinite(N(s))) and np.all(np.isfinite(N(ls)))
    x = x.astype(dtype).astype(np.float64)  # float16 rounds -1e4 + 1 to -1e4
    close(s, ref_softmax(x), rtol=1e-3, atol=1e-6)
    close(ls, ref_log_softmax(x), rtol=1e-3, atol=1e-3)
    assert N(ls)[0, 1] == pytest.approx(-2e4)


def test_softmax_of_non_finite_rows(device):
    inf = np.inf
    x = T([[-inf, -inf, -inf], [-inf, 0.0, -inf], [inf, 1.0, 2.0], [np.nan, 1.0, 2.0]], device)
    s, ls = N(F.softmax(x)), N(F.log_softmax(x))
    # an all -inf row (and rows holding +inf or nan) is nan, as in PyTorch
    assert np.isnan(s[0]).all() and np.isnan(ls[0]).all()
    np.testing.assert_array_equal(s[1], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ls[1], [-inf, 0.0, -inf])
    assert np.isnan(s[2]).all() and np.isnan(s[3]).all() and np.isnan(ls[3]).all()


def test_softmax_shapes_dtypes(device):
    assert F.softmax(gt.tensor(3.0, device=device)).item() == 1.0
    assert F.softmax(gt.zeros(3, 0, device=device), dim=-1).shape == (3, 0)
    assert F.log_softmax(gt.zeros(0, device=device)).shape == (0,)
    out = F.softmax(gt.tensor([1, 2, 3], device=device))  # integers: default float dtype
    assert out.dtype == gt.float32
    close(out, ref_softmax([1, 2, 3]), rtol=1e-6)
    h = F.softmax(gt.tensor([1.0, 2.0], dtype=gt.float16, device=device))
    assert h.dtype == gt.float16
    close(h, ref_softmax([1.0, 2.0]), rtol=1e-3)


def test_softmax_errors(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"softmax: axis 2 is out of range.*\(2, 3\)"):
        F.softmax(x, 2)
    with pytest.raises(IndexError, match=r"log_softmax: axis -3 is out of range"):
        F.log_softmax(x, dim=-3)
    with pytest.raises(TypeError, match="softmax: got axis=0 and dim=1"):
        F.softmax(x, 0, dim=1)
    with pytest.raises(TypeError, match="softmax: axis must be an int or None"):
        F.softmax(x, 1.5)
    with pytest.raises(TypeError, match="softmax: unsupported dtype bool"):
        F.softmax(gt.tensor([True, False], device=device))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_softmax_property(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    scale = data.draw(st.sampled_from([1.0, 1e2, 1e4]))
    x = np.random.default_rng(len(shape) * 7 + axis).standard_normal(shape) * scale
    s = N(F.softmax(gt.tensor(x), axis))
    np.testing.assert_allclose(s, ref_softmax(x, axis), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(s.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(N(F.log_softmax(gt.tensor(x), axis)), ref_log_softmax(x, axis),
                               rtol=1e-9, atol=1e-9)


# -- one_hot --------------------------------------------------------------------------------
def test_one_hot_values(device):
    idx = gt.tensor([[0, 2], [1, 2]], device=device)
    out = F.one_hot(idx)  # num_classes inferred: max + 1 = 3
    assert out.dtype == gt.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(N(out), np.eye(3, dtype=np.int64)[N(idx)])
    out = F.one_hot(gt.tensor([1, 0], dtype=gt.int32, device=device), 4, dtype=gt.float32)
    assert out.dtype == gt.float32
    np.testing.assert_array_equal(N(out), [[0, 1, 0, 0], [1, 0, 0, 0]])
    assert N(F.one_hot(gt.tensor(2, device=device), 3)).tolist() == [0, 0, 1]
    assert F.one_hot(gt.zeros(0, dtype=gt.int64, device=device), 5).shape == (0, 5)
    assert F.one_hot(gt.tensor([0, 1], device=device), dtype=gt.bool).dtype == gt.bool
    assert F.one_hot([2, 0]).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_one_hot_errors(device):
    with pytest.raises(TypeError, match="one_hot: indices must be an integer tensor.*float32"):
        F.one_hot(gt.tensor([0.0, 1.0], device=device))
    with pytest.raises(TypeError, match="one_hot: indices must be an integer tensor.*bool"):
        F.one_hot(gt.tensor([True], device=device))
    with pytest.raises(ValueError, match=r"one_hot: index 3 is out of range for "
                                         r"num_classes=3"):
        F.one_hot(gt.tensor([0, 3], device=device), 3)
    with pytest.raises(ValueError, match=r"one_hot: index -1 is negative.*num_classes=4"):
        F.one_hot(gt.tensor([2, -1], device=device), 4)
    with pytest.raises(ValueError, match=r"one_hot: index -5 is negative; class indices must "
                                         r"be in \[0, num_classes\)$"):
        F.one_hot(gt.tensor([-2, -5], device=device))  # num_classes not inferred from them
    with pytest.raises(ValueError, match="one_hot: cannot infer num_classes from an empty"):
        F.one_hot(gt.zeros(0, dtype=gt.int64, device=device))
    with pytest.raises(ValueError, match="one_hot: num_classes must be non-negative, got -2"):
        F.one_hot(gt.tensor([0], device=device), -2)
    with pytest.raises(TypeError, match="one_hot: num_classes must be an int or None"):
        F.one_hot(gt.tensor([0], device=device), 2.5)


# -- activations ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "gelu"])
def test_activations_are_the_elementwise_ops(name):
    assert getattr(F, name) is getattr(elementwise, name) is getattr(gt, name)
    assert name in F.__all__


# -- dropout --------------------------------------------------------------------------------
def test_dropout_seeded_and_scaled(device):
    x = gt.ones(200, 500, device=device)
    gt.manual_seed(7)
    a = N(F.dropout(x, p=0.3))
    gt.manual_seed(7)
    b = N(F.dropout(x, p=0.3))
    np.testing.assert_array_equal(a, b)
    c = N(F.dropout(x, p=0.3))  # the stream moved on: a different mask
    assert not np.array_equal(a, c)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((a != 0).mean() - 0.7) < 0.01  # 100k draws: about 0.0015 standard deviation
    assert abs(a.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


def test_dropout_generator_and_values(device):
    x = T(rng().standard_normal((50, 40)), device)
    g1 = gt.Generator(device).manual_seed(3)
    g2 = gt.Generator(device).manual_seed(3)
    a, b = N(F.dropout(x, 0.5, generator=g1)), N(F.dropout(x, 0.5, generator=g2))
    np.testing.assert_array_equal(a, b)
    kept = a != 0
    np.testing.assert_allclose(a[kept], N(x)[kept] * 2.0, rtol=1e-15)
    assert F.dropout(x, 0.5).dtype == gt.float64
    h = F.dropout(gt.ones(100, dtype=gt.float16, device=device), 0.5)
    assert h.dtype == gt.float16 and set(np.unique(N(h))) <= {0.0, 2.0}


def test_dropout_identity_and_extremes(device):
    x = gt.ones(3, 4, device=device)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(N(F.dropout(x, 1.0)), np.zeros((3, 4)))
    assert F.dropout(gt.ones(0, device=device), 0.5).shape == (0,)
    assert F.dropout(gt.tensor(2.0, device=device), 0.5).item() in (0.0, 4.0)


def test_dropout_errors(device):
    x = gt.ones(4, device=device)
    gt.manual_seed(11)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=rf"dropout: probability p must be between 0 and "
                                             rf"1, got {p}"):
            F.dropout(x, p)
    with pytest.raises(TypeError, match="dropout: p must be a number"):
        F.dropout(x, "0.5")
    with pytest.raises(TypeError, match="dropout: input must be a float tensor, got dtype "
                                        "int64"):
        F.dropout(gt.tensor([1, 2], device=device))
    # failed calls draw nothing: the stream is where the seed left it
    after = N(F.dropout(gt.ones(64, device=device), 0.5))
    gt.manual_seed(11)
    np.testing.assert_array_equal(after, N(F.dropout(gt.ones(64, device=device), 0.5)))


# -- linear ---------------------------------------------------------------------------------
@pytest.mark.parametrize("xshape", [(3,), (4, 3), (2, 5, 3)])
def test_linear_matches_float64(device, xshape):
    r = rng()
    x, w, b = r.standard_normal(xshape), r.standard_normal((6, 3)), r.standard_normal(6)
    close(F.linear(T(x, device), T(w, device), T(b, device)), x @ w.T + b)
    close(F.linear(T(x, device), T(w, device)), x @ w.T)
    out = F.linear(T(x, device, gt.float32), T(w, device, gt.float32))
    assert out.dtype == gt.float32
    close(out, x @ w.T, rtol=1e-5, atol=1e-5)


def test_linear_errors(device):
    x, w = gt.ones(4, 3, device=device), gt.ones(2, 5, device=device)
    with pytest.raises(ValueError, match=r"linear: input shape \(4, 3\) and weight shape "
                                         r"\(2, 5\) do not match.*3 features.*expects 5"):
        F.linear(x, w)
    with pytest.raises(ValueError, match=r"linear: weight must be 2-D .*got shape \(3,\)"):
        F.linear(x, gt.ones(3, device=device))
    with pytest.raises(ValueError, match=r"linear: bias shape \(3,\) does not match weight "
                                         r"shape \(2, 3\): expected \(2,\)"):
        F.linear(x, gt.ones(2, 3, device=device), gt.ones(3, device=device))
    with pytest.raises(ValueError, match=r"linear: input must have at least 1 dimension"):
        F.linear(gt.tensor(1.0, device=device), gt.ones(2, 1, device=device))


# -- losses ---------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(device, reduction):
    r = rng()
    a, b = r.standard_normal((4, 5)), r.standard_normal((4, 5))
    close(F.mse_loss(T(a, device), T(b, device), reduction=reduction),
          ref_reduce((a - b) ** 2, reduction))
    assert F.mse_loss(gt.tensor([1.0, 2.0], device=device),
                      gt.tensor([1.0, 4.0], device=device)).item() == 2.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 4), (4,), (2, 4, 3)])
def test_nll_and_cross_entropy_with_labels(device, reduction, shape):
    r = rng()
    logits = r.standard_normal(shape) * 2
    cls = 1 if len(shape) >= 2 else 0
    target = r.integers(0, shape[cls], size=shape[:cls] + shape[cls + 1:])
    logp = ref_log_softmax(logits, cls)
    want = ref_nll(logp, target, reduction)
    close(F.cross_entropy(T(logits, device), gt.tensor(target, device=device),
                          reduction=reduction), want)
    close(F.nll_loss(T(logp, device), gt.tensor(target, device=device), reduction=reduction),
          want)
    got32 = F.cross_entropy(T(logits, device, gt.float32), gt.tensor(target, device=device),
                            reduction=reduction)
    assert got32.dtype == gt.float32
    close(got32, want, rtol=1e-5, atol=1e-6)


def test_cross_entropy_closed_forms(device):
    for c in (2, 5, 10):
        got = F.cross_entropy(gt.zeros(3, c, device=device), gt.tensor([0, c - 1, 1],
                                                                        device=device))
        assert got.item() == pytest.approx(math.log(c), rel=1e-6)
    # a confident correct prediction costs ~0; labels of int32 and uint8 work too
    x = T([[20.0, 0.0, 0.0]], device)
    assert F.cross_entropy(x, gt.tensor([0], dtype=gt.int32, device=device)).item() < 1e-8
    assert F.cross_entropy(x, gt.tensor([0], dtype=gt.uint8, device=device)).item() < 1e-8
    # 1-D logits with a 0-d label
    assert F.cross_entropy(T([1.0, 2.0, 3.0], device), 2).item() == pytest.approx(
        -ref_log_softmax([1.0, 2.0, 3.0])[2])


def test_cross_entropy_stable_at_1e4(device):
    for dtype in (gt.float32, gt.float64):
        x = T([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], device, dtype)
        got = F.cross_entropy(x, gt.tensor([1, 2], device=device), reduction="none")
        close(got, [2e4, math.log(3)], rtol=1e-6)
        got = F.cross_entropy(x, gt.tensor([0, 0], device=device), reduction="sum")
        close(got, [math.log(3)], rtol=1e-6)
    p = T([[0.0, 1.0, 0.0]], device, gt.float32)
    assert F.cross_entropy(T([[1e4, -1e4, 0.0]], device, gt.float32), p).item() == 2e4


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probabilities(device, reduction):
    r = rng()
    logits = r.standard_normal((5, 4, 3))
    probs = ref_softmax(r.standard_normal((5, 4, 3)), 1)
    want = ref_reduce(-(probs * ref_log_softmax(logits, 1)).sum(axis=1), reduction)
    close(F.cross_entropy(T(logits, device), T(probs, device), reduction=reduction), want)
    # one-hot probabilities give the same loss as the labels
    labels = np.array([2, 0, 1])
    logits = r.standard_normal((3, 3))
    onehot = F.one_hot(gt.tensor(labels, device=device), 3, dtype=gt.float64)
    close(F.cross_entropy(T(logits, device), onehot),
          ref_nll(ref_log_softmax(logits), labels))
    # uniform targets on equal logits: log(C)
    got = F.cross_entropy(gt.zeros(2, 4, device=device), gt.full((2, 4), 0.25, device=device))
    assert got.item() == pytest.approx(math.log(4), rel=1e-6)


def test_ignore_index(device):
    r = rng()
    logp = ref_log_softmax(r.standard_normal((5, 3)))
    target = np.array([0, -100, 2, 1, -100])
    for red in REDUCTIONS:
        want = ref_nll(logp, target, red)
        close(F.nll_loss(T(logp, device), gt.tensor(target, device=device), reduction=red),
              want)
    target = np.array([0, 1, 1, 2, 1])
    got = F.cross_entropy(T(logp, device), gt.tensor(target, device=device), ignore_index=1)
    close(got, ref_nll(logp, target, ignore_index=1))  # mean over the 2 kept labels
    none = F.nll_loss(T(logp, device), gt.tensor(target, device=device), ignore_index=1,
                      reduction="none")
    assert N(none)[1] == 0.0
    # all ignored: the mean is nan (0 / 0), as in PyTorch; the sum is 0
    all_ignored = gt.tensor([-100, -100], device=device)
    assert math.isnan(F.nll_loss(gt.zeros(2, 3, device=device), all_ignored).item())
    assert F.nll_loss(gt.zeros(2, 3, device=device), all_ignored, reduction="sum").item() == 0


def test_empty_batches(device):
    empty_labels = gt.zeros(0, dtype=gt.int64, device=device)
    assert math.isnan(F.cross_entropy(gt.zeros(0, 3, device=device), empty_labels).item())
    assert F.cross_entropy(gt.zeros(0, 3, device=device), empty_labels,
                           reduction="sum").item() == 0
    assert F.nll_loss(gt.zeros(0, 3, device=device), empty_labels,
                      reduction="none").shape == (0,)
    assert math.isnan(F.mse_loss(gt.zeros(0, device=device), gt.zeros(0, device=device)).item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(device, reduction):
    r = rng()
    p, t = r.uniform(0.01, 0.99, (4, 5)), r.uniform(0, 1, (4, 5))
    want = ref_reduce(-(t * np.log(p) + (1 - t) * np.log1p(-p)), reduction)
    close(F.binary_cross_entropy(T(p, device), T(t, device), reduction=reduction), want)
    got32 = F.binary_cross_entropy(T(p, device, gt.float32), T(t, device, gt.float32),
                                   reduction=reduction)
    assert got32.dtype == gt.float32
    close(got32, want, rtol=1e-5, atol=1e-6)
    # integer (0/1) targets are converted to the input's dtype, not promoted with it
    ti = (t > 0.5).astype(np.int64)
    got = F.binary_cross_entropy(T(p, device, gt.float32), gt.tensor(ti, device=device),
                                 reduction=reduction)
    assert got.dtype == gt.float32
    close(got, ref_reduce(-(ti * np.log(p) + (1 - ti) * np.log1p(-p)), reduction), rtol=1e-5)


def test_binary_cross_entropy_clamps_logs_at_minus_100(device):
    for dtype in (gt.float16, gt.float32, gt.float64):
        p, t = T([0.0, 1.0, 0.0, 1.0, 1e-300], device, dtype), T([1, 0, 0, 1, 1.0], device)
        got = N(F.binary_cross_entropy(p, t, reduction="none"))
        assert got.dtype == dtype
        np.testing.assert_allclose(got, [100.0, 100.0, 0.0, 0.0, 100.0], rtol=1e-3)
    assert F.binary_cross_entropy(gt.tensor([0.5], device=device),
                                  gt.tensor([1.0], device=device)).item() == pytest.approx(
        math.log(2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(device, reduction):
    r = rng()
    x, t = r.standard_normal((4, 5)) * 3, r.uniform(0, 1, (4, 5))
    s = 1 / (1 + np.exp(-x))
    want = ref_reduce(-(t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)
    close(F.binary_cross_entropy_with_logits(T(x, device), T(t, device), reduction=reduction),
          want)
    close(F.binary_cross_entropy(T(s, device), T(t, device), reduction=reduction), want,
          rtol=1e-9)


def test_binary_cross_entropy_with_logits_stable_at_1e4(device):
    for dtype in (gt.float16, gt.float32, gt.float64):
        x = T([1e4, -1e4, 1e4, -1e4], device, dtype)
        t = T([0.0, 1.0, 1.0, 0.0], device, dtype)
        got = N(F.binary_cross_entropy_with_logits(x, t, reduction="none"))
        assert np.all(np.isfinite(got)) and got.dtype == dtype
        np.testing.assert_allclose(got, [1e4, 1e4, 0.0, 0.0], rtol=1e-3)


@pytest.mark.parametrize("fn,args", [
    ("mse_loss", lambda d: (gt.ones(2, device=d), gt.ones(2, device=d))),
    ("nll_loss", lambda d: (gt.zeros(2, 3, device=d), gt.tensor([0, 1], device=d))),
    ("cross_entropy", lambda d: (gt.zeros(2, 3, device=d), gt.tensor([0, 1], device=d))),
    ("binary_cross_entropy", lambda d: (gt.ones(2, device=d) / 2, gt.ones(2, device=d))),
    ("binary_cross_entropy_with_logits", lambda d: (gt.ones(2, device=d),
                                                    gt.ones(2, device=d))),
])
def test_bad_reduction(device, fn, args):
    for bad in ("avg", "MEAN", None):
        with pytest.raises(ValueError, match=rf"{fn}: reduction must be 'mean', 'sum' or "
                                             rf"'none', got {bad!r}"):
            getattr(F, fn)(*args(device), reduction=bad)


def test_label_errors(device):
    logits = gt.zeros(2, 3, device=device)
    for fn in (F.nll_loss, F.cross_entropy):
        name = fn.__name__
        with pytest.raises(IndexError, match=rf"{name}: target label 3 is out of range for 3 "
                                             rf"classes"):
            fn(logits, gt.tensor([0, 3], device=device))
        with pytest.raises(IndexError, match=rf"{name}: target label -1 is out of range for "
                                             rf"3 classes"):
            fn(logits, gt.tensor([-1, 0], device=device))
        with pytest.raises(ValueError, match=rf"{name}: target shape \(3,\) does not match "
                                             rf"input shape \(2, 3\): expected target shape "
                                             rf"\(2,\)"):
            fn(logits, gt.tensor([0, 1, 2], device=device))
        with pytest.raises(ValueError, match=rf"{name}: input must have a class axis"):
            fn(gt.tensor(1.0, device=device), gt.tensor(0, device=device))
    with pytest.raises(TypeError, match=r"nll_loss: target must hold integer class labels, "
                                        r"got dtype float32"):
        F.nll_loss(logits, gt.tensor([0.0, 1.0], device=device))
    with pytest.raises(TypeError, match=r"cross_entropy: target must be integer class labels "
                                        r"of shape \(2,\) or class probabilities .* shape "
                                        r"\(2, 3\); got dtype float32 and shape \(2,\)"):
        F.cross_entropy(logits, gt.tensor([0.0, 1.0], device=device))
    with pytest.raises(TypeError, match="cross_entropy: unsupported dtype bool"):
        F.cross_entropy(gt.tensor([[True, False]], device=device), gt.tensor([0], device=device))


def test_shape_and_range_errors(device):
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(3,\) and target shape "
                                         r"\(3, 1\) differ"):
        F.mse_loss(gt.ones(3, device=device), gt.ones(3, 1, device=device))
    for fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=rf"{fn.__name__}: input shape \(2,\) and target "
                                             rf"shape \(2, 1\) differ"):
            fn(gt.ones(2, device=device) / 2, gt.ones(2, 1, device=device))
    for bad in (1.5, -0.25, float("nan")):
        with pytest.raises(ValueError, match=r"binary_cross_entropy: input holds "
                                             r"probabilities and must lie in \[0, 1\]; "
                                             rf"found {bad}"):
            F.binary_cross_entropy(gt.tensor([0.5, bad], device=device),
                                   gt.ones(2, device=device))
