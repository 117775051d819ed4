"""layer_norm as one op (forward + fused gradient op) and the fused bias + activation ops
used by ``gt.nn.Dense``: numerics equal to the composite paths they replace, gradients
(fused and recorded), the layers' wiring, and the CUDA backend's resolution to the kernels
with the host emulation standing in for CuPy. The kernels' own arithmetic checks (nvcc, the
emulation, the GPU) come from the registry entries (tests/test_kernels_*.py)."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
import kernel_harness as H
from gputensor.backends import kernels as K

F = gt.nn.functional
RNG = np.random.default_rng(0)


def _t(shape, dtype="float64", device="cpu", grad=False, scale=1.0, shift=0.0):
    a = (RNG.standard_normal(shape) * scale + shift).astype(dtype)
    return gt.tensor(a, device=device, requires_grad=grad)


def _np(t):
    return t.cpu().numpy().astype(np.float64)


def _composite_layer_norm(x, shape, weight=None, bias=None, eps=1e-5):
    """The former F.layer_norm: a chain of gputensor ops."""
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    c = x - gt.mean(x, axis=axes, keepdims=True)
    y = c * gt.rsqrt(gt.mean(c * c, axis=axes, keepdims=True) + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


# -- layer_norm -------------------------------------------------------------------------------
LN_CASES = [((4, 7), (7,), True, True), ((2, 3, 5), (5,), True, False),
            ((2, 3, 5), (3, 5), True, True), ((6,), (6,), False, False),
            ((3, 4), (4,), False, True), ((5, 1), (1,), True, True),
            ((2, 70), (70,), True, True)]


@pytest.mark.parametrize("shape,ns,has_w,has_b", LN_CASES)
def test_layer_norm_matches_the_composite_path(device, shape, ns, has_w, has_b):
    x = _t(shape, device=device, grad=True, scale=3, shift=2)
    w = _t(ns, device=device, grad=True) if has_w else None
    b = _t(ns, device=device, grad=True) if has_b else None
    y = F.layer_norm(x, ns, w, b, eps=1e-4)
    assert y.grad_fn.name() == "LayerNormBackward"  # one op, not a chain
    want = _composite_layer_norm(x, ns, w, b, eps=1e-4)
    np.testing.assert_allclose(_np(y), _np(want), rtol=1e-12, atol=1e-12)
    g = _t(shape, device=device)
    params = [t for t in (x, w, b) if t is not None]
    got = gt.grad(y, params, g)
    ref = gt.grad(want, params, g)
    for a, r in zip(got, ref):
        np.testing.assert_allclose(_np(a), _np(r), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape,ns,has_w,has_b", LN_CASES)
def test_layer_norm_fused_gradient_equals_the_recorded_one(shape, ns, has_w, has_b):
    """The fused layer_norm_grad op (no create_graph) and the rule in gputensor ops
    (create_graph=True) give the same gradients, and the latter is differentiable."""
    x = _t(shape, grad=True)
    w = _t(ns, grad=True) if has_w else None
    b = _t(ns, grad=True) if has_b else None
    params = [t for t in (x, w, b) if t is not None]
    g = _t(shape)
    fused = gt.grad(F.layer_norm(x, ns, w, b), params, g)
    recorded = gt.grad(F.layer_norm(x, ns, w, b), params, g, create_graph=True)
    for a, r in zip(fused, recorded):
        np.testing.assert_allclose(_np(a), _np(r), rtol=1e-10, atol=1e-12)
    assert recorded[0].requires_grad


def test_layer_norm_gradcheck():
    x, w, b = _t((3, 2, 4), grad=True), _t((2, 4), grad=True), _t((2, 4), grad=True)
    assert gt.autograd.gradcheck(lambda *ts: F.layer_norm(ts[0], (2, 4), ts[1], ts[2]),
                                 [x, w, b])


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_layer_norm_low_precision_computes_in_float32(device, dtype):
    x64 = RNG.standard_normal((8, 33)) * 4 + 100  # a large mean: no cancellation allowed
    w64, b64 = RNG.standard_normal(33), RNG.standard_normal(33)
    x, w, b = (gt.tensor(a.astype(dtype), device=device) for a in (x64, w64, b64))
    y = F.layer_norm(x, 33, w, b)
    assert y.dtype == np.dtype(dtype)
    xs = x.cpu().numpy().astype(np.float64)
    want = (xs - xs.mean(-1, keepdims=True)) / np.sqrt(xs.var(-1, keepdims=True) + 1e-5)
    want = want * w.cpu().numpy().astype(np.float64) + b.cpu().numpy().astype(np.float64)
    tol = 2e-3 if dtype == "float16" else 2e-5
    np.testing.assert_allclose(_np(y), want, rtol=tol, atol=tol * 4)


def test_layer_norm_weight_and_gradients_keep_their_dtypes():
    x = _t((4, 5), "float16", grad=True)
    w = gt.tensor(np.ones(5, np.float16), requires_grad=True)
    b = gt.tensor(np.zeros(5, np.float16), requires_grad=True)
    F.layer_norm(x, 5, w, b).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float16
    assert w.grad.shape == b.grad.shape == (5,)
    np.testing.assert_allclose(_np(b.grad), 4.0)


def test_layer_norm_parameter_gradients_do_not_share_the_packed_buffer():
    x, w, b = _t((64, 8), grad=True), _t(8, grad=True), _t(8, grad=True)
    F.layer_norm(x, 8, w, b).sum().backward()
    for t in (w, b):
        arr = t.grad.numpy()
        assert arr.base is None or arr.base.size == 8, "a view of the (rows + 2, cols) buffer"


def test_layer_norm_integer_input_and_edge_shapes():
    y = F.layer_norm(gt.tensor([[1, 3], [2, 2]]), 2)
    assert y.dtype == gt.get_default_dtype()
    np.testing.assert_allclose(y.numpy(), [[-1, 1], [0, 0]], atol=1e-4)
    assert F.layer_norm(gt.zeros(0, 3), 3).shape == (0, 3)
    assert F.layer_norm(gt.zeros(2, 0), 0).shape == (2, 0)
    np.testing.assert_array_equal(F.layer_norm(gt.tensor([5.0, -1.0]), ()).numpy(), [0, 0])


def test_layer_norm_module_uses_the_op():
    ln = gt.nn.LayerNorm((3, 4))
    x = _t((2, 3, 4), "float32", grad=True)
    y = ln(x)
    assert y.grad_fn.name() == "LayerNormBackward"
    y.sum().backward()
    assert ln.weight.grad.shape == (3, 4) and x.grad.shape == (2, 3, 4)


@pytest.mark.parametrize("args,match", [
    (((2, 3), 4, None, None), "does not end with normalized_shape"),
    (((2, 3), 3, (4,), None), "weight shape"),
    (((2, 3), 3, None, (2,)), "bias shape"),
])
def test_layer_norm_errors(args, match):
    shape, ns, w, b = args
    with pytest.raises(ValueError, match=match):
        F.layer_norm(gt.zeros(*shape), ns, None if w is None else gt.ones(*w),
                     None if b is None else gt.ones(*b))


def test_layer_norm_nan_row_stays_in_its_row():
    x = gt.tensor([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    y = F.layer_norm(x, 3).numpy()
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()


# -- fused bias + activation ------------------------------------------------------------------
ACTS = {"relu": gt.relu, "sigmoid": gt.sigmoid, "tanh": gt.tanh, "gelu": gt.gelu}


@pytest.mark.parametrize("act", sorted(ACTS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_bias_act_matches_add_then_activation(device, act, dtype):
    x = _t((5, 7), dtype, device, grad=True, scale=2)
    b = _t((7,), dtype, device, grad=True)
    y = F.bias_act(x, b, act)
    want = ACTS[act](x + b)
    assert y.dtype == want.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(_np(y), _np(want))  # the same array-module forward
    g = _t((5, 7), dtype, device)
    got, ref = gt.grad(y, [x, b], g), gt.grad(want, [x, b], g)
    assert got[1].shape == (7,)
    tol = {"float16": 2e-3, "float32": 1e-6, "float64": 1e-14}[dtype]
    for a, r in zip(got, ref):
        np.testing.assert_allclose(_np(a), _np(r), rtol=tol, atol=tol)


@pytest.mark.parametrize("act", sorted(ACTS))
def test_bias_act_gradcheck_and_second_order(act):
    x, b = _t((3, 4), grad=True), _t((4,), grad=True)
    assert gt.autograd.gradcheck(lambda a, c: F.bias_act(a, c, act), [x, b])
    g1 = gt.grad((F.bias_act(x, b, act) ** 2).sum(), [x, b], create_graph=True)
    g2 = gt.grad((ACTS[act](x + b) ** 2).sum(), [x, b], create_graph=True)
    for a, r in zip(g1, g2):
        assert a.requires_grad
        np.testing.assert_allclose(_np(a), _np(r), rtol=1e-12, atol=1e-12)


def test_bias_act_rejects_unknown_activations():
    with pytest.raises(ValueError, match="bias_act: activation must be one of"):
        F.bias_act(gt.ones(2, 3), gt.ones(3), "softmax")


@pytest.mark.parametrize("act", sorted(ACTS))
def test_dense_fuses_bias_and_activation(device, act):
    gt.manual_seed(0)
    layer = gt.nn.Dense(4, activation=act, input_dim=3, device=device, dtype=gt.float64)
    x = _t((6, 3), device=device)
    y = layer(x)
    assert y.grad_fn.name() == f"Bias{act.capitalize()}Backward"
    want = ACTS[act](gt.matmul(x, layer.kernel) + layer.bias)
    np.testing.assert_allclose(_np(y), _np(want), rtol=1e-12, atol=1e-14)
    y.sum().backward()
    gk, gb = layer.kernel.grad, layer.bias.grad
    layer.zero_grad()
    want.sum().backward()
    np.testing.assert_allclose(_np(gk), _np(layer.kernel.grad), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(gb), _np(layer.bias.grad), rtol=1e-12, atol=1e-14)


def test_dense_without_fusable_activation_or_bias_is_unchanged():
    x = _t((2, 3), "float32")
    for layer, name in ((gt.nn.Dense(4, activation="softmax", input_dim=3), "Softmax"),
                        (gt.nn.Dense(4, activation="relu", use_bias=False, input_dim=3),
                         "Relu"),
                        (gt.nn.Dense(4, activation=lambda t: gt.relu(t), input_dim=3),
                         "Relu")):
        assert layer(x).grad_fn is None or layer(x).grad_fn.name() == f"{name}Backward"
    # nn.Linear followed by nn.ReLU stays two ops
    model = gt.nn.Sequential(gt.nn.Linear(3, 4), gt.nn.ReLU())
    assert model(x).grad_fn.name() == "ReluBackward"


# -- the CUDA backend resolving these ops to the kernels (host emulation for CuPy) ------------


@pytest.fixture(scope="module")
def libs():
    if H.cxx() is None:
        pytest.skip("no host C++ compiler found")
    return H.build_units(K.kernel_dir())


@pytest.fixture
def fake_cuda(libs, monkeypatch):
    b = H.fake_cuda_backend(monkeypatch, libs)
    monkeypatch.setattr(K, "_enabled", True)
    return b


def _launched(before):
    return H.HostLauncher.launches[before:]


def test_cuda_backend_runs_the_layer_norm_kernels(fake_cuda):
    op, grad_op = F.LAYER_NORM, F._LN_GRAD
    x = RNG.standard_normal((5, 3, 4)).astype(np.float32)
    w, b = (RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2))
    impl = fake_cuda.impl(op)
    assert impl.kernel is K.REGISTRY["layer_norm_fwd"]
    before = len(H.HostLauncher.launches)
    got = impl(x, w, b, normalized_shape=(3, 4), eps=1e-5)  # two axes: flattened into rows
    assert _launched(before) == ["gt_layer_norm_fwd_f32"]
    np.testing.assert_allclose(got, op.fwd(np, x, w, b, normalized_shape=(3, 4)), rtol=1e-5,
                               atol=1e-5)
    before = len(H.HostLauncher.launches)
    np.testing.assert_array_equal(impl(x, normalized_shape=()), op.fwd(np, x, normalized_shape=()))
    assert _launched(before) == []  # no axis normalized: the array-module forward
    g = RNG.standard_normal(x.shape).astype(np.float32)
    gimpl = fake_cuda.impl(grad_op)
    before = len(H.HostLauncher.launches)
    packed = gimpl(x, g, w, normalized_shape=(3, 4), eps=1e-5)
    assert _launched(before) == ["gt_layer_norm_bwd_f32"]
    assert packed.shape == (5 + 2, 12)
    np.testing.assert_allclose(packed, grad_op.fwd(np, x, g, w, normalized_shape=(3, 4)),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", sorted(ACTS))
def test_cuda_backend_runs_the_bias_act_kernels(fake_cuda, act):
    op = F.BIAS_ACT[act]
    impl = fake_cuda.impl(op)
    assert impl.kernel is K.REGISTRY[f"bias_act_{act}_fwd"]
    x = RNG.standard_normal((4, 9)).astype(np.float32)
    b = RNG.standard_normal(9).astype(np.float32)
    before = len(H.HostLauncher.launches)
    got = impl(x, b)
    assert _launched(before) == [f"gt_bias_act_{act}_fwd_f32"]
    np.testing.assert_allclose(got, op.fwd(np, x, b), rtol=1e-5, atol=1e-6)


# -- a broken line of layernorm.cu fails the arithmetic check ---------------------------------
@pytest.mark.parametrize("old,new,kernel", [
    ("m2 += d * (v - m);", "m2 += d * d;", "layer_norm_fwd"),
    ("pb[j] += gv;", "pb[j] = gv;", "layer_norm_bwd"),
], ids=["welford", "bias-grad-accumulate"])
def test_a_broken_layernorm_fails_the_check(tmp_path, libs, old, new, kernel):
    import shutil

    kdir = K.kernel_dir()
    d = tmp_path / "kernels"
    shutil.copytree(kdir, d)
    text = (kdir / "layernorm.cu").read_text()
    assert text.count(old) == 1, old
    (d / "layernorm.cu").write_text(text.replace(old, new))
    k = K.REGISTRY[kernel]
    broken = {k.unit(): H.build_host(K.compile_units(d)[k.unit()], d)}
    assert H.check_kernel(k, "float32", broken), "the broken layernorm.cu passed the check"
    assert not H.check_kernel(k, "float32", libs)
