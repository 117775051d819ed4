"""gt.nn layers and the functional ops behind them: gradcheck of every layer in float64
(inputs and parameters), NumPy loop references for conv2d / max_pool2d / unfold / fold,
initialization bounds and seeding, Dense's input inference, Sequential's container protocol,
train/eval behaviour of Dropout and BatchNorm, the error messages, and the repr."""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
import pytest

import gputensor as gt
from gputensor import nn
from gputensor.nn.training import Trainable

F = nn.functional


def N(t) -> np.ndarray:
    return t.cpu().numpy()


def randn(*shape, device="cpu", seed=0, requires_grad=False):
    rng = np.random.default_rng(seed)
    return gt.tensor(rng.standard_normal(shape), dtype=gt.float64, device=device,
                     requires_grad=requires_grad)


def gradcheck_layer(layer, x, fn=None):
    """gradcheck of ``layer`` (already float64 on x's device) w.r.t. the input (if float)
    and every parameter."""
    params = [p for p in layer.parameters() if p.requires_grad]
    inputs = ([x] if x.dtype.kind == "f" else []) + params
    assert inputs
    call = fn or layer

    if x.dtype.kind == "f":
        return gt.autograd.gradcheck(lambda x_, *ps: call(x_), inputs)
    return gt.autograd.gradcheck(lambda *ps: call(x), inputs)


# -- NumPy loop references ------------------------------------------------------------------
def conv2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(n):
        for oc in range(o):
            for y in range(oh):
                for z in range(ow):
                    total = 0.0
                    for ch in range(c):
                        for u in range(kh):
                            for v in range(kw):
                                pixel = xp[i, ch, y * sh + u * dh, z * sw + v * dw]
                                total += pixel * w[oc, ch, u, v]
                    out[i, oc, y, z] = total + (0.0 if b is None else b[oc])
    return out


def max_pool_ref(x, k, stride=None, padding=(0, 0), dilation=(1, 1)):
    stride = stride or k
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = k, stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.full((n, c, oh, ow), -np.inf)
    for i, ch, y, z in np.ndindex(n, c, oh, ow):
        for u in range(kh):
            for v in range(kw):
                out[i, ch, y, z] = max(out[i, ch, y, z],
                                       xp[i, ch, y * sh + u * dh, z * sw + v * dw])
    return out


# -- gradcheck: every layer, input and parameters, float64 ---------------------------------
GRAD_CASES = [
    ("linear", lambda: nn.Linear(3, 2), (4, 3)),
    ("linear-nobias-3d", lambda: nn.Linear(3, 2, bias=False), (2, 2, 3)),
    ("dense-tanh", lambda: nn.Dense(2, activation="tanh"), (4, 3)),
    ("dense-softmax", lambda: nn.Dense(3, activation="softmax", use_bias=False), (2, 4)),
    ("sequential", lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), (2, 3)),
    ("flatten", lambda: nn.Flatten(), (2, 3, 2)),
    ("relu", lambda: nn.ReLU(), (3, 4)),
    ("sigmoid", lambda: nn.Sigmoid(), (3, 4)),
    ("tanh", lambda: nn.Tanh(), (3, 4)),
    ("softmax", lambda: nn.Softmax(dim=-1), (3, 4)),
    ("softmax-dim0", lambda: nn.Softmax(dim=0), (3, 4)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=1), (3, 4)),
    ("gelu", lambda: nn.GELU(), (3, 4)),
    ("gelu-tanh", lambda: nn.GELU(approximate="tanh"), (3, 4)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), (3, 4)),
    ("conv2d", lambda: nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    ("conv2d-stride-pad-dil", lambda: nn.Conv2d(2, 2, (2, 3), stride=(2, 1), padding=(1, 2),
                                               dilation=(1, 2)), (1, 2, 5, 6)),
    ("conv2d-same-even", lambda: nn.Conv2d(1, 2, 2, padding="same", bias=False), (1, 1, 4, 4)),
    ("conv2d-unbatched", lambda: nn.Conv2d(2, 2, 2), (2, 3, 3)),
    ("maxpool", lambda: nn.MaxPool2d(2), (2, 2, 4, 5)),
    ("maxpool-overlap-pad", lambda: nn.MaxPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
    ("maxpool-dilation", lambda: nn.MaxPool2d(2, stride=1, dilation=2), (1, 1, 5, 5)),
    ("layernorm", lambda: nn.LayerNorm(4), (3, 4)),
    ("layernorm-2d", lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    ("batchnorm1d-train", lambda: nn.BatchNorm1d(3), (5, 3)),
    ("batchnorm1d-train-3d", lambda: nn.BatchNorm1d(2), (3, 2, 4)),
    ("batchnorm1d-eval", lambda: nn.BatchNorm1d(3).eval(), (5, 3)),
    ("batchnorm1d-no-stats", lambda: nn.BatchNorm1d(3, track_running_stats=False).eval(),
     (4, 3)),
    ("batchnorm2d", lambda: nn.BatchNorm2d(2), (2, 2, 3, 3)),
    ("identity", lambda: nn.Identity(), (2, 2)),
]


@pytest.mark.parametrize("name,make,shape", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradcheck_layer(name, make, shape, device):
    gt.manual_seed(0)
    layer = make().to(device).double()
    x = randn(*shape, device=device, requires_grad=True)
    if isinstance(layer, (nn.Dense, nn.Sequential)):
        with gt.no_grad():
            layer(x.detach())  # build lazy layers
    if "eval" in name and isinstance(layer, nn.BatchNorm1d):
        with gt.no_grad():  # non-trivial running statistics
            layer.running_mean.copy_(gt.tensor([0.5, -1.0, 2.0]))
            layer.running_var.copy_(gt.tensor([2.0, 0.5, 1.5]))
    if isinstance(layer, nn.LayerNorm):
        with gt.no_grad():
            layer.weight.copy_(randn(*layer.normalized_shape, seed=1))
            layer.bias.copy_(randn(*layer.normalized_shape, seed=2))
    assert gradcheck_layer(layer, x)


def test_gradcheck_dropout_with_a_fixed_mask(device):
    layer = nn.Dropout(0.4)
    x = randn(4, 5, device=device, requires_grad=True)

    def seeded(x_):
        gt.manual_seed(3)
        return layer(x_)

    assert gt.autograd.gradcheck(seeded, [x])


def test_gradcheck_embedding_weight(device):
    gt.manual_seed(0)
    emb = nn.Embedding(5, 3).to(device).double()
    idx = gt.tensor([[0, 4], [4, 2]], device=device)  # a repeated index accumulates
    assert gradcheck_layer(emb, idx)


def test_gradcheck_functional_conv_and_pool_in_float64(device):
    x = randn(1, 2, 4, 5, device=device, requires_grad=True)
    w = randn(3, 2, 2, 2, device=device, seed=1, requires_grad=True)
    b = randn(3, device=device, seed=2, requires_grad=True)
    assert gt.autograd.gradcheck(lambda *t: F.conv2d(*t, stride=2, padding=1), [x, w, b])
    assert gt.autograd.gradcheck(lambda t: F.max_pool2d(t, (2, 3), stride=1), [x])


def test_gradcheck_functional_norms(device):
    x = randn(4, 3, device=device, requires_grad=True)
    w = randn(3, device=device, seed=1, requires_grad=True)
    b = randn(3, device=device, seed=2, requires_grad=True)
    assert gt.autograd.gradcheck(lambda *t: F.layer_norm(t[0], 3, t[1], t[2]), [x, w, b])
    assert gt.autograd.gradcheck(
        lambda *t: F.batch_norm(t[0], None, None, t[1], t[2], training=True), [x, w, b])


# -- conv2d / pooling / unfold / fold against NumPy loops -----------------------------------
CONV_CASES = [
    dict(stride=(1, 1), padding=(0, 0), dilation=(1, 1)),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 1)),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(stride=(3, 3), padding=(1, 1), dilation=(2, 2)),
]


@pytest.mark.parametrize("kw", CONV_CASES)
def test_conv2d_matches_direct_loop(kw, device):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    w = rng.standard_normal((4, 3, 3, 2))
    b = rng.standard_normal(4)
    got = F.conv2d(gt.tensor(x, device=device), gt.tensor(w, device=device),
                   gt.tensor(b, device=device), **kw)
    np.testing.assert_allclose(N(got), conv2d_ref(x, w, b, **kw), rtol=1e-10, atol=1e-12)


def test_conv2d_layer_matches_loop_in_float32(device):
    gt.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1).to(device)
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 5)).astype(np.float32)
    got = conv(gt.tensor(x, device=device))
    assert got.dtype == gt.float32 and got.shape == (2, 3, 3, 3)
    want = conv2d_ref(x.astype(np.float64), N(conv.weight).astype(np.float64),
                      N(conv.bias).astype(np.float64), (2, 2), (1, 1))
    np.testing.assert_allclose(N(got), want, rtol=1e-5, atol=1e-5)


def test_conv2d_padding_same_and_valid(device):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 5, 6))
    for k in (3, 4, (2, 3)):
        conv = nn.Conv2d(2, 2, k, padding="same").to(device).double()
        out = conv(gt.tensor(x, device=device))
        assert out.shape == (1, 2, 5, 6)
        kh, kw = (k, k) if isinstance(k, int) else k
        # PyTorch's rule: the extra pad of an even kernel goes after
        xp = np.pad(x, ((0, 0), (0, 0), ((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2)))
        want = conv2d_ref(xp, N(conv.weight), N(conv.bias))
        np.testing.assert_allclose(N(out), want, rtol=1e-10, atol=1e-12)
    valid = nn.Conv2d(2, 1, 3, padding="valid").to(device)
    assert valid(gt.ones(1, 2, 5, 6, device=device)).shape == (1, 1, 3, 4)


def test_conv2d_unbatched_input(device):
    conv = nn.Conv2d(2, 3, 2).to(device)
    x = gt.randn(2, 4, 4, device=device)
    np.testing.assert_allclose(N(conv(x)), N(conv(x.reshape(1, 2, 4, 4))[0]), rtol=1e-6)


@pytest.mark.parametrize("k,stride,padding,dilation", [
    ((2, 2), None, (0, 0), (1, 1)),
    ((3, 3), (2, 2), (1, 1), (1, 1)),
    ((2, 3), (1, 2), (1, 0), (1, 1)),
    ((2, 2), (1, 1), (0, 0), (2, 2)),
    ((3, 2), None, (0, 0), (1, 1)),  # uneven: rows/cols left over
])
def test_max_pool2d_matches_direct_loop(k, stride, padding, dilation, device):
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 8))
    got = F.max_pool2d(gt.tensor(x, device=device), k, stride, padding, dilation)
    np.testing.assert_array_equal(N(got), max_pool_ref(x, k, stride, padding, dilation))


def test_max_pool2d_int_input_and_layer(device):
    x = np.arange(2 * 16).reshape(1, 2, 4, 4)
    got = nn.MaxPool2d(2, padding=1)(gt.tensor(x, device=device))
    assert got.dtype == gt.int64
    np.testing.assert_array_equal(N(got), max_pool_ref(x.astype(np.float64), (2, 2),
                                                       (2, 2), (1, 1)))


def test_max_pool2d_ties_share_the_gradient(device):
    x = gt.ones(1, 1, 2, 2, device=device, dtype=gt.float64, requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert N(x.grad).tolist() == [[[[0.25, 0.25], [0.25, 0.25]]]]


def test_unfold_and_fold_are_adjoint(device):
    rng = np.random.default_rng(5)
    attrs = dict(kernel_size=(2, 3), dilation=(1, 2), padding=(1, 1), stride=(2, 1))
    x = gt.tensor(rng.standard_normal((2, 3, 6, 7)), device=device)
    cols = F.unfold(x, **attrs)
    y = gt.tensor(rng.standard_normal(cols.shape), device=device)
    lhs = (cols * y).sum().item()
    rhs = (x * F.fold(y, (6, 7), **attrs)).sum().item()
    assert math.isclose(lhs, rhs, rel_tol=1e-10)


def test_fold_counts_overlaps(device):
    got = F.fold(gt.ones(1, 4, 4, device=device), (3, 3), 2)
    assert N(got)[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


def test_unfold_matches_pytorch_layout(device):
    x = gt.arange(9.0, device=device).reshape(1, 1, 3, 3)
    cols = F.unfold(x, 2)
    assert N(cols)[0].tolist() == [[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]


def test_window_errors():
    with pytest.raises(ValueError, match=r"conv2d: the kernel window \(5, 5\).*larger than "
                                         r"the padded input \(3, 3\)"):
        F.conv2d(gt.ones(1, 1, 3, 3), gt.ones(1, 1, 5, 5))
    with pytest.raises(ValueError, match="input must be 4-D"):
        F.unfold(gt.ones(3, 3), 2)
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        F.unfold(gt.ones(1, 1, 3, 3), (1, 2, 3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.max_pool2d(gt.ones(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match="padding .* at most half the kernel"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"conv2d: input of shape \(1, 2, 3, 3\) has 2 "
                                         r"channels but the weight"):
        F.conv2d(gt.ones(1, 2, 3, 3), gt.ones(1, 3, 2, 2))
    with pytest.raises(ValueError, match=r"bias shape \(2,\)"):
        F.conv2d(gt.ones(1, 1, 3, 3), gt.ones(1, 1, 2, 2), gt.ones(2))
    with pytest.raises(ValueError, match="does not match kernel_size"):
        F.fold(gt.ones(1, 5, 4), (3, 3), 2)
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding must be an int, a pair, 'valid' or 'same'"):
        nn.Conv2d(1, 1, 3, padding="full")


def test_conv2d_layer_wrong_channels_names_layer_and_sizes():
    conv = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, "
                                         r"1\)\): input has 4 channels, expected 3"):
        conv(gt.ones(1, 4, 5, 5))
    with pytest.raises(ValueError, match=r"input must be \(N, C, H, W\) or \(C, H, W\)"):
        conv(gt.ones(3, 5))


# -- initialization -------------------------------------------------------------------------
def _spread(t, bound):
    a = np.abs(N(t).astype(np.float64))
    assert a.max() <= bound + 1e-7, (a.max(), bound)
    assert a.max() > 0.8 * bound  # the bound is reached, not just respected


def test_linear_init_is_pytorchs():
    gt.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)  # kaiming_uniform(a=sqrt(5)) and the bias rule agree
    _spread(lin.weight, bound)
    _spread(lin.bias, bound)
    assert abs(N(lin.weight).std() - bound / math.sqrt(3)) < 0.1 * bound


def test_conv2d_init_is_pytorchs():
    gt.manual_seed(0)
    conv = nn.Conv2d(4, 16, 3)
    bound = 1 / math.sqrt(4 * 9)
    _spread(conv.weight, bound)
    _spread(conv.bias, bound)


def test_dense_init_is_glorot_uniform_and_zero_bias():
    gt.manual_seed(0)
    layer = nn.Dense(30, input_dim=20)
    _spread(layer.kernel, math.sqrt(6 / 50))
    assert not N(layer.bias).any()


def test_embedding_init_is_standard_normal():
    gt.manual_seed(0)
    w = N(nn.Embedding(100, 50).weight)
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05


def test_seeded_init_is_reproducible(device):
    def build():
        return nn.Sequential(nn.Linear(4, 8), nn.Dense(3), nn.Conv2d(1, 2, 2),
                             nn.Embedding(5, 2)).to(device)

    gt.manual_seed(7)
    a = build()
    a[1].build((None, 8))
    gt.manual_seed(7)
    b = build()
    b[1].build((None, 8))
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        np.testing.assert_array_equal(N(va), N(vb))
    gt.manual_seed(8)
    c = build()
    assert not np.array_equal(N(a[0].weight), N(c[0].weight))


def test_init_functions_and_bounds():
    init = nn.init
    gt.manual_seed(0)
    t = gt.empty(64, 32)
    assert init.uniform_(t, -2, 3) is t
    assert N(t).min() >= -2 and N(t).max() <= 3
    init.kaiming_uniform_(t, nonlinearity="relu")
    _spread(t, math.sqrt(2) * math.sqrt(3 / 32))
    init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu")
    _spread(t, math.sqrt(2) * math.sqrt(3 / 64))
    init.xavier_uniform_(t, gain=2.0)
    _spread(t, 2 * math.sqrt(6 / 96))
    assert init.glorot_uniform_ is init.xavier_uniform_
    init.normal_(t, 1.0, 0.5)
    assert abs(N(t).mean() - 1.0) < 0.05 and abs(N(t).std() - 0.5) < 0.05
    init.kaiming_normal_(t, nonlinearity="relu")
    assert abs(N(t).std() - math.sqrt(2 / 32)) < 0.02
    init.xavier_normal_(t)
    assert abs(N(t).std() - math.sqrt(2 / 96)) < 0.01
    assert N(init.zeros_(t)).tolist() == np.zeros((64, 32)).tolist()
    assert (N(init.ones_(t)) == 1).all()
    assert (N(init.constant_(t, 0.25)) == 0.25).all()
    assert init.calculate_fan_in_and_fan_out(gt.empty(8, 3, 2, 2)) == (12, 32)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.0) == math.sqrt(2)


def test_init_on_a_parameter_records_nothing():
    p = nn.Parameter(gt.empty(3, 4))
    nn.init.xavier_uniform_(p)
    assert p.is_leaf and p.requires_grad and p.grad is None


def test_init_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(gt.empty(3))
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        nn.init.kaiming_uniform_(gt.empty(2, 2), mode="fan")
    with pytest.raises(TypeError, match="expected a float tensor"):
        nn.init.uniform_(gt.zeros(2, dtype=gt.int64))
    with pytest.raises(TypeError, match="expected a Tensor"):
        nn.init.normal_(np.zeros(2))


# -- Linear and Dense ------------------------------------------------------------------------
def test_linear_forward_matches_numpy(device):
    lin = nn.Linear(3, 2).to(device)
    x = gt.randn(5, 3, device=device)
    want = N(x) @ N(lin.weight).T + N(lin.bias)
    np.testing.assert_allclose(N(lin(x)), want, rtol=1e-5, atol=1e-6)
    assert lin(gt.randn(2, 4, 3, device=device)).shape == (2, 4, 2)


def test_linear_wrong_features_names_layer_and_sizes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=2\): input has "
                                         r"3 features, expected 4"):
        nn.Linear(4, 2)(gt.ones(5, 3))
    with pytest.raises(ValueError, match="0-d input, expected 4"):
        nn.Linear(4, 2)(gt.tensor(1.0))


def test_layer_argument_errors():
    with pytest.raises(TypeError, match="in_features must be an int"):
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="out_features must be >= 0"):
        nn.Linear(2, -1)
    with pytest.raises(TypeError, match="parameters need a float dtype"):
        nn.Linear(2, 2, dtype=gt.int64)
    with pytest.raises(ValueError, match="p must be between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")


def test_dense_infers_input_size_at_first_call(device):
    layer = nn.Dense(4, activation="relu").to(device)
    assert not layer.built and list(layer.parameters()) == []
    assert layer.kernel is None
    y = layer(gt.randn(3, 6, device=device))
    assert layer.built and layer.in_features == 6
    assert layer.kernel.shape == (6, 4) and layer.bias.shape == (4,)
    assert layer.kernel.device == gt.device(device)
    assert [n for n, _ in layer.named_parameters()] == ["kernel", "bias"]
    assert y.shape == (3, 4) and (N(y) >= 0).all()
    with pytest.raises(ValueError, match=r"Dense\(units=4, in_features=6\): input has 5 "
                                         r"features, expected 6"):
        layer(gt.randn(3, 5, device=device))


def test_dense_forward_matches_numpy(device):
    layer = nn.Dense(3, activation="softmax", input_dim=5).to(device)
    x = gt.randn(4, 5, device=device)
    z = N(x) @ N(layer.kernel) + N(layer.bias)
    want = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    np.testing.assert_allclose(N(layer(x)), want, rtol=1e-5, atol=1e-6)


def test_dense_dtype_follows_to_before_build():
    layer = nn.Dense(2).double()
    layer(gt.ones(1, 3, dtype=gt.float64))
    assert layer.kernel.dtype == gt.float64


def test_dense_build_input_shape_and_activations():
    assert nn.Dense(2, input_shape=(7,)).kernel.shape == (7, 2)
    layer = nn.Dense(2)
    layer.build((None, 3))
    layer.build((None, 3))  # same size again: nothing happens
    with pytest.raises(ValueError, match="already built for 3 input features"):
        layer.build((None, 4))
    x = gt.randn(2, 3)
    for name, fn in [("sigmoid", gt.sigmoid), ("tanh", gt.tanh), ("gelu", gt.gelu),
                     ("linear", lambda t: t), (None, lambda t: t)]:
        d = nn.Dense(2, activation=name, input_dim=3)
        np.testing.assert_allclose(N(d(x)), N(fn(x @ d.kernel + d.bias)), rtol=1e-6)
    d = nn.Dense(2, activation=lambda t: t * 0, input_dim=3)
    assert not N(d(x)).any()
    with pytest.raises(ValueError, match="unknown activation 'swish'; known: None, 'linear', "
                                         "'relu'"):
        nn.Dense(2, activation="swish")
    with pytest.raises(ValueError, match="unknown kernel_initializer 'magic'"):
        nn.Dense(2, kernel_initializer="magic")
    with pytest.raises(ValueError, match="last axis .* must be known"):
        nn.Dense(2).build((None, None))


def test_dense_initializers():
    gt.manual_seed(0)
    d = nn.Dense(40, kernel_initializer="he_uniform", bias_initializer="ones", input_dim=30)
    _spread(d.kernel, math.sqrt(6 / 30))  # Keras: fan_in is the kernel's first axis
    assert (N(d.bias) == 1).all()
    d = nn.Dense(2, kernel_initializer=nn.init.zeros_, input_dim=3)
    assert not N(d.kernel).any()


def test_dense_state_dict_builds_an_unbuilt_layer():
    src = nn.Sequential(nn.Dense(4, input_dim=3), nn.Dense(2))
    src.build((None, 3))
    dst = nn.Sequential(nn.Dense(4), nn.Dense(2))
    dst.load_state_dict(src.state_dict())
    x = gt.randn(2, 3)
    np.testing.assert_array_equal(N(src(x)), N(dst(x)))


# -- Sequential -----------------------------------------------------------------------------
def test_sequential_construction_forms():
    a, b = nn.Linear(2, 3), nn.ReLU()
    for seq in (nn.Sequential(a, b), nn.Sequential([a, b])):
        assert list(seq) == [a, b] and len(seq) == 2
        assert [n for n, _ in seq.named_children()] == ["0", "1"]
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and named[1] is b
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"]
    assert isinstance(named, Trainable) and hasattr(named, "fit")
    with pytest.raises(TypeError, match=r"entry 1 is a function, not a gt.nn.Module \(wrap"):
        nn.Sequential(a, gt.relu)


def test_sequential_indexing_and_editing():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)]
    seq = nn.Sequential(*layers)
    assert seq[0] is layers[0] and seq[-1] is layers[2]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == layers[1:]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 module"):
        seq[3]
    with pytest.raises(TypeError, match="ints or slices"):
        seq["0"]
    tanh = nn.Tanh()
    assert seq.append(tanh) is seq and seq[3] is tanh
    seq.add(nn.Sigmoid())
    assert len(seq) == 5
    seq.insert(0, nn.Identity())
    assert isinstance(seq[0], nn.Identity) and seq[1] is layers[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2", "3", "4", "5"]
    del seq[0]
    assert seq[0] is layers[0] and [n for n, _ in seq.named_children()][-1] == "4"
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh)
    seq.extend([nn.ReLU()])
    assert len(seq) == 6
    assert seq(gt.ones(3, 2)).shape == (3, 1)


def test_sequential_forward_and_empty():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = gt.randn(5, 3)
    want = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(N(seq(x)), N(want))
    assert nn.Sequential()(x) is x


def test_sequential_keras_input_shape_builds_at_once():
    model = nn.Sequential([nn.Flatten(input_shape=(4, 4)), nn.Dense(8, activation="relu"),
                           nn.Dropout(0.2), nn.Dense(10, activation="softmax")])
    assert model[1].kernel.shape == (16, 8) and model[3].kernel.shape == (8, 10)
    assert model.training and all(m.training for m in model.modules())
    assert len(list(model.parameters())) == 4


def test_sequential_build_leaves_batchnorm_stats_alone():
    model = nn.Sequential(nn.Dense(3), nn.BatchNorm1d(3))
    model.build((None, 5))
    assert model[1].num_batches_tracked.item() == 0
    assert N(model[1].running_mean).tolist() == [0.0, 0.0, 0.0]
    assert model.training


def test_sequential_repr():
    model = nn.Sequential(nn.Flatten(), nn.Dense(4, activation="relu"), nn.Dropout(0.2))
    assert repr(model) == ("Sequential(\n"
                           "  (0): Flatten(start_dim=1, end_dim=-1)\n"
                           "  (1): Dense(units=4, in_features=None, activation='relu')\n"
                           "  (2): Dropout(p=0.2)\n"
                           ")")


# -- parameter-free layers --------------------------------------------------------------------
def test_activations_match_numpy(device):
    x = gt.tensor([[-2.0, -0.5, 0.0, 1.5]], dtype=gt.float64, device=device)
    a = N(x)
    cases = [(nn.ReLU(), np.maximum(a, 0)), (nn.Sigmoid(), 1 / (1 + np.exp(-a))),
             (nn.Tanh(), np.tanh(a)), (nn.LeakyReLU(0.1), np.where(a > 0, a, 0.1 * a)),
             (nn.Softmax(), np.exp(a) / np.exp(a).sum()),
             (nn.LogSoftmax(), a - np.log(np.exp(a).sum())),
             (nn.GELU(), a * 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))),
             (nn.Identity(), a)]
    for layer, want in cases:
        np.testing.assert_allclose(N(layer(x)), want, rtol=1e-7, atol=1e-12,
                                   err_msg=repr(layer))


def test_flatten(device):
    x = gt.ones(2, 3, 4, 5, device=device)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, -1)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)


def test_dropout_train_and_eval(device):
    gt.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = gt.ones(200, 50, device=device)
    y = N(drop(x))
    zeros = (y == 0).mean()
    assert 0.22 < zeros < 0.28
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    drop.train()
    gt.manual_seed(5)
    a = N(drop(x))
    gt.manual_seed(5)
    np.testing.assert_array_equal(a, N(drop(x)))
    assert (N(nn.Dropout(1.0)(x)) == 0).all()
    assert nn.Dropout(0.0)(x) is x


def test_dropout_in_a_model_follows_model_mode():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = gt.randn(8, 4)
    model.eval()
    np.testing.assert_array_equal(N(model(x)), N(model(x)))
    model.train()
    gt.manual_seed(0)
    assert (N(model(x)) == 0).any()


# -- normalization ----------------------------------------------------------------------------
def test_layer_norm_matches_numpy(device):
    ln = nn.LayerNorm((2, 3)).to(device).double()
    with gt.no_grad():
        ln.weight.copy_(gt.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 1.0]]))
        ln.bias.copy_(gt.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, -1.0]]))
    x = randn(4, 2, 3, device=device)
    a = N(x)
    mu = a.mean(axis=(1, 2), keepdims=True)
    var = a.var(axis=(1, 2), keepdims=True)
    want = (a - mu) / np.sqrt(var + 1e-5) * N(ln.weight) + N(ln.bias)
    np.testing.assert_allclose(N(ln(x)), want, rtol=1e-10, atol=1e-12)
    plain = nn.LayerNorm(3, elementwise_affine=False)
    assert list(plain.parameters()) == [] and plain(gt.randn(2, 3)).shape == (2, 3)


def test_layer_norm_wrong_shape_names_layer():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\), eps=1e-05, elementwise_affine="
                                         r"True\): input shape \(2, 3\) does not end with the "
                                         r"normalized shape \(4,\)"):
        nn.LayerNorm(4)(gt.ones(2, 3))
    with pytest.raises(ValueError, match="layer_norm: input shape"):
        F.layer_norm(gt.ones(2, 3), (2,))


def test_batchnorm1d_train_updates_running_stats(device):
    bn = nn.BatchNorm1d(3, momentum=0.2).to(device).double()
    x = randn(6, 3, device=device)
    a = N(x)
    y = N(bn(x))
    np.testing.assert_allclose(y, (a - a.mean(0)) / np.sqrt(a.var(0) + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(N(bn.running_mean), 0.2 * a.mean(0), rtol=1e-12)
    np.testing.assert_allclose(N(bn.running_var), 0.8 + 0.2 * a.var(0, ddof=1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    assert not bn.running_mean.requires_grad and bn.running_mean.is_leaf


def test_batchnorm1d_eval_uses_running_stats_and_leaves_them(device):
    bn = nn.BatchNorm1d(2).to(device).double()
    with gt.no_grad():
        bn.running_mean.copy_(gt.tensor([1.0, -1.0]))
        bn.running_var.copy_(gt.tensor([4.0, 0.25]))
        bn.weight.copy_(gt.tensor([2.0, 1.0]))
        bn.bias.copy_(gt.tensor([0.0, 3.0]))
    bn.eval()
    x = randn(5, 2, device=device)
    want = (N(x) - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5) * [2, 1] + [0, 3]
    np.testing.assert_allclose(N(bn(x)), want, rtol=1e-10)
    assert N(bn.running_mean).tolist() == [1.0, -1.0]
    assert bn.num_batches_tracked.item() == 0
    one = bn(randn(1, 2, device=device))  # a batch of one is fine in eval mode
    assert one.shape == (1, 2)


def test_batchnorm1d_3d_input_and_momentum_none(device):
    bn = nn.BatchNorm1d(2, momentum=None).to(device).double()
    x1, x2 = randn(3, 2, 4, device=device, seed=1), randn(3, 2, 4, device=device, seed=2)
    bn(x1)
    bn(x2)
    means = [N(x).transpose(1, 0, 2).reshape(2, -1).mean(1) for x in (x1, x2)]
    np.testing.assert_allclose(N(bn.running_mean), (means[0] + means[1]) / 2, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 2


def test_batchnorm_without_running_stats_always_uses_the_batch(device):
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False).to(device)
    assert bn.running_mean is None and list(bn.parameters()) == []
    assert list(bn.state_dict()) == []
    bn.eval()
    y = N(bn(gt.randn(8, 2, device=device)))
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-5)


def test_batchnorm2d(device):
    bn = nn.BatchNorm2d(3).to(device).double()
    x = randn(2, 3, 4, 5, device=device)
    a = N(x)
    mu, var = a.mean((0, 2, 3), keepdims=True), a.var((0, 2, 3), keepdims=True)
    np.testing.assert_allclose(N(bn(x)), (a - mu) / np.sqrt(var + 1e-5), rtol=1e-10)


def test_batchnorm_errors_name_the_layer():
    bn = nn.BatchNorm1d(4)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4, eps=1e-05, momentum=0.1, affine="
                                         r"True, track_running_stats=True\): input has 3 "
                                         r"features \(channels\), expected 4"):
        bn(gt.ones(5, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\) or \(N, C, L\)"):
        bn(gt.ones(4))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        bn(gt.ones(1, 4))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        nn.BatchNorm2d(4)(gt.ones(2, 4))
    with pytest.raises(ValueError, match="momentum must be in"):
        nn.BatchNorm1d(4, momentum=2)


def test_batchnorm_state_dict_round_trip():
    a = nn.BatchNorm1d(3)
    a(gt.randn(10, 3))
    b = nn.BatchNorm1d(3)
    b.load_state_dict(a.state_dict())
    assert list(a.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked"]
    np.testing.assert_array_equal(N(a.running_var), N(b.running_var))
    assert b.num_batches_tracked.item() == 1 and b.num_batches_tracked.dtype == gt.int64


# -- Embedding --------------------------------------------------------------------------------
def test_embedding_lookup_and_gradient(device):
    emb = nn.Embedding(6, 3).to(device)
    idx = gt.tensor([[1, 5], [1, 0]], device=device)
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(N(out), N(emb.weight)[N(idx)])
    out.sum().backward()
    g = N(emb.weight.grad)
    assert g[1].tolist() == [2.0] * 3 and g[2].tolist() == [0.0] * 3
    assert emb([0, 2]).shape == (2, 3)  # a list of indices


def test_embedding_errors_name_the_index():
    emb = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"Embedding\(10, 3\): index 12 is out of range for "
                                         r"num_embeddings=10 \(indices must be in \[0, 9\]\)"):
        emb(gt.tensor([1, 12]))
    with pytest.raises(IndexError, match="index -1 is out of range"):
        emb(gt.tensor([-1, 2]))
    with pytest.raises(TypeError, match="indices must be an integer tensor"):
        emb(gt.tensor([1.0]))
    with pytest.raises(IndexError, match="embedding: index 3 is out of range"):
        F.embedding(gt.tensor([3]), gt.ones(3, 2))
    assert F.embedding(gt.tensor([2, 0]), gt.eye(3)).tolist() == [[0, 0, 1], [1, 0, 0]]


# -- layers on a device -------------------------------------------------------------------------
ALL_LAYERS = [
    (lambda: nn.Linear(3, 2), (2, 3)), (lambda: nn.Dense(2), (2, 3)),
    (lambda: nn.Flatten(), (2, 3, 1)), (lambda: nn.Dropout(0.5), (2, 3)),
    (lambda: nn.ReLU(), (2, 3)), (lambda: nn.Sigmoid(), (2, 3)), (lambda: nn.Tanh(), (2, 3)),
    (lambda: nn.Softmax(), (2, 3)), (lambda: nn.GELU(), (2, 3)),
    (lambda: nn.LeakyReLU(), (2, 3)), (lambda: nn.Conv2d(1, 2, 2), (1, 1, 3, 3)),
    (lambda: nn.MaxPool2d(2), (1, 1, 4, 4)), (lambda: nn.LayerNorm(3), (2, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3)),
]


@pytest.mark.parametrize("make,shape", ALL_LAYERS,
                         ids=[type(m()).__name__ for m, _ in ALL_LAYERS])
def test_every_layer_runs_and_backpropagates_on_the_device(make, shape, device):
    layer = make().to(device)
    x = gt.randn(*shape, device=device, requires_grad=True)
    y = layer(x)
    assert y.device == gt.device(device) and y.dtype == gt.float32
    y.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    for p in layer.parameters():
        assert p.device == gt.device(device) and p.grad is not None


def test_layer_reprs():
    assert repr(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)) == (
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)")
    assert repr(nn.Conv2d(1, 2, 3, padding="same", dilation=2)) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding='same', dilation=(2, 2))")
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1)"
    assert repr(nn.LayerNorm(4)) == "LayerNorm((4,), eps=1e-05, elementwise_affine=True)"
    assert repr(nn.BatchNorm1d(3)) == ("BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, "
                                       "track_running_stats=True)")
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
    assert repr(nn.Softmax()) == "Softmax(dim=-1)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.GELU()) == "GELU()"
    assert repr(nn.Dense(3, use_bias=False, input_dim=2)) == (
        "Dense(units=3, in_features=2, use_bias=False)")


def test_dense_input_dim_builds_the_whole_sequential():
    # Keras: input_dim=n is input_shape=(n,): a Sequential it starts is built at once, so an
    # optimizer made from parameters() holds every layer
    for first in (nn.Dense(4, input_dim=3), nn.Dense(4, input_shape=(3,))):
        model = nn.Sequential(first, nn.Dense(2))
        assert [m.built for m in model] == [True, True]
        assert len(list(model.parameters())) == 4
        assert first.input_shape == (3,)
    assert nn.Dense(4, input_dim=3, input_shape=(5,)).kernel.shape == (5, 4)  # (shape wins)
