"""The graph engine through the PyTorch-style API: ``backward()``/``.grad``, ``gt.grad``,
grad mode, leaves and non-leaves, freed buffers, in-place safety, higher derivatives.

Per-op derivative rules are checked by the table-driven ``test_autograd_ops``; here the
engine's behaviour is checked on small graphs against closed forms and NumPy."""

from __future__ import annotations

import gc
import importlib
import sys
import threading

import numpy as np
import pytest

import gputensor as gt
from testkit import run_docstring_examples


def _np(t):
    return t.cpu().numpy()


# -- the tutorial values ----------------------------------------------------------------------
def test_tutorial_scalar(device):
    w = gt.tensor(2.0, requires_grad=True, device=device)
    z = 10 * w ** 2 + 50
    z.backward()
    assert w.grad.item() == 40.0
    assert w.grad.shape == () and w.grad.device == w.device


def test_tutorial_vector_with_gradient(device):
    a = gt.tensor([2.0, 3.0], requires_grad=True, device=device)
    b = gt.tensor([6.0, 4.0], requires_grad=True, device=device)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=[1.0, 1.0])
    np.testing.assert_allclose(_np(a.grad), [36.0, 81.0])
    np.testing.assert_allclose(_np(b.grad), [-12.0, -8.0])


# -- backward() arguments -----------------------------------------------------------------------
def test_scalar_backward_needs_no_gradient(device):
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    (x * x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), [2.0, 4.0, 6.0])


def test_one_element_non_0d_output_needs_no_gradient(device):
    x = gt.tensor([3.0], requires_grad=True, device=device)
    (x * x).backward()
    np.testing.assert_allclose(_np(x.grad), [6.0])


def test_non_scalar_backward_without_gradient_raises(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar "
                                           "outputs"):
        (x * 2).backward()
    assert x.grad is None


def test_backward_gradient_of_wrong_shape_raises(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        y.backward(gradient=gt.ones(3, device=device))
    assert x.grad is None
    y.backward(gradient=gt.tensor([1.0, 10.0], device=device))  # the graph is still usable
    np.testing.assert_allclose(_np(x.grad), [2.0, 20.0])


def test_backward_on_tensor_without_grad_raises(device):
    with pytest.raises(RuntimeError, match="does not require grad"):
        gt.ones(2, device=device).sum().backward()


def test_gradients_accumulate_across_calls(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    (x * x).sum().backward()
    (3 * x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), [2.0 + 3.0, 4.0 + 3.0])


def test_reused_tensor_sums_its_gradients(device):
    """A diamond: x feeds two paths that meet again."""
    x = gt.tensor(3.0, requires_grad=True, device=device)
    a = x * 2
    b = x * x
    (a * b + a).backward()  # 2x^3 + 2x -> 6x^2 + 2
    assert x.grad.item() == pytest.approx(6 * 9 + 2)


def test_broadcasting_is_undone(device):
    a = gt.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True, device=device)
    b = gt.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, device=device)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    np.testing.assert_allclose(_np(a.grad), np.full((3, 1), 10.0))
    np.testing.assert_allclose(_np(b.grad), np.full(4, 3.0))


def test_python_scalar_operands_get_no_gradient_but_scale(device):
    x = gt.tensor(2.0, dtype=gt.float64, requires_grad=True, device=device)
    (5.0 / x).backward()
    assert x.grad.item() == pytest.approx(-5.0 / 4.0)
    assert x.grad.dtype == gt.float64


def test_duplicate_indices_accumulate(device):
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    x[gt.tensor([0, 0, 2], device=device)].sum().backward()
    np.testing.assert_allclose(_np(x.grad), [2.0, 0.0, 1.0])


def test_gradient_through_slices_and_views(device):
    x = gt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, device=device)
    y = x[:, 1:].reshape(4) * gt.tensor([1.0, 2.0, 3.0, 4.0], device=device)
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), [[0.0, 1.0, 2.0], [0.0, 3.0, 4.0]])


def test_float64_gradients_keep_float64(device):
    x = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True, device=device)
    (x * 3).sum().backward()
    assert x.grad.dtype == gt.float64


def test_mixed_precision_gradient_takes_each_input_dtype(device):
    a = gt.tensor([1.0, 2.0], dtype=gt.float32, requires_grad=True, device=device)
    b = gt.tensor([3.0, 4.0], dtype=gt.float64, requires_grad=True, device=device)
    (a * b).sum().backward()
    assert a.grad.dtype == gt.float32 and b.grad.dtype == gt.float64
    np.testing.assert_allclose(_np(a.grad), [3.0, 4.0])


# -- leaves, non-leaves, retain_grad ------------------------------------------------------------
def test_leaf_and_non_leaf_attributes(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    c = gt.tensor([1.0, 2.0], device=device)
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn is not None
    assert "Backward" in y.grad_fn.name() and "grad_fn=" in repr(y)
    assert y.requires_grad and not c.requires_grad
    assert (c * 2).grad_fn is None and not (c * 2).requires_grad


def test_non_leaf_grad_is_none_unless_retained(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 3
    z = y * y
    z.sum().backward()
    assert y.grad is None and not y.retains_grad

    x2 = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y2 = x2 * 3
    y2.retain_grad()
    (y2 * y2).sum().backward()
    assert y2.retains_grad
    np.testing.assert_allclose(_np(y2.grad), [6.0, 12.0])
    np.testing.assert_allclose(_np(x2.grad), [18.0, 36.0])


def test_detach_shares_data_and_cuts_the_graph(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    z = d * x  # gradient reaches x only through the direct use
    z.sum().backward()
    np.testing.assert_allclose(_np(x.grad), [2.0, 4.0])
    with gt.no_grad():
        d[0] = 100.0
    assert y.tolist()[0] == 100.0  # same memory


def test_requires_grad_underscore(device):
    x = gt.tensor([1.0, 2.0], device=device)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = gt.tensor([1.0], requires_grad=True, device=device) * 2
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_and_bool_tensors_cannot_require_grad(dtype, device):
    with pytest.raises(RuntimeError, match=f"only float tensors can require grad.*{dtype}"):
        gt.tensor([1, 0], dtype=dtype, requires_grad=True, device=device)
    t = gt.tensor([1, 0], dtype=dtype, device=device)
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        t.requires_grad = True
    assert not t.requires_grad


def test_integer_results_carry_no_gradient(device):
    x = gt.tensor([1.0, 3.0, 2.0], requires_grad=True, device=device)
    assert not gt.argmax(x).requires_grad
    assert not (x > 1).requires_grad


def test_grad_fn_next_functions_point_upstream(device):
    a = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = gt.tensor([3.0, 4.0], device=device)
    h = a * 2.0
    y = h + b
    (to_h, to_b) = y.grad_fn.next_functions
    assert to_h == (h.grad_fn, 0) and to_b is None  # b needs no gradient
    assert h.grad_fn.next_functions == ((a, None), None)  # a leaf; the scalar has none
    assert y.grad_fn.needs == [True, False] and repr(y.grad_fn) == "<AddBackward>"


def test_cross_entropy_rule_reuses_the_forward_and_survives_retain_graph(device):
    """The label gradient from what the forward kept (its exponentials) equals the
    closed form (softmax - onehot) / N, also on a second backward through a retained graph."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    x = gt.tensor(z, requires_grad=True, device=device)
    loss = gt.nn.functional.cross_entropy(x, gt.tensor(labels, device=device))
    if device == "cpu":  # (a CUDA kernel's forward keeps nothing: the rule recomputes)
        assert loss.grad_fn.residuals is not None
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    want = (p - np.eye(4)[labels]) / 5
    loss.backward(retain_graph=True)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12)
    loss.backward()  # the kept arrays were not consumed by the first pass
    np.testing.assert_allclose(x.grad.numpy(), 2 * want, rtol=1e-12)
    assert loss.grad_fn.residuals is None  # released by the backward without retain_graph


# -- freed buffers and retain_graph -----------------------------------------------------------
def test_second_backward_through_freed_graph_raises(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_allclose(_np(x.grad), [2.0, 4.0])  # the refused call changed nothing


def test_retain_graph_allows_a_second_backward(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(_np(x.grad), [4.0, 8.0])


@pytest.mark.slow
def test_long_chain_is_walked_without_recursion():
    """A 100,000-step chain (200,000 recorded ops): backward, and freeing the graph, under the
    default recursion limit. (The cycle collector is paused while the chain is built only to
    keep this test quick: its full passes over a growing graph dominate the build time.)"""
    assert sys.getrecursionlimit() <= 10_000
    n = 100_000
    x0 = gt.tensor(1.0, dtype=gt.float64, requires_grad=True)
    x = x0
    gc.disable()
    try:
        for _ in range(n):
            x = x * 1.0001 + 0.0001
    finally:
        gc.enable()
    x.backward()
    assert x0.grad.item() == pytest.approx(1.0001 ** n, rel=1e-9)
    del x  # dropping the chain must not recurse either


# -- in-place safety ----------------------------------------------------------------------------
def test_changing_a_saved_tensor_in_place_raises_naming_the_op(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = x * 2
    c = b * b  # multiply saves b
    b.add_(1.0)
    with pytest.raises(RuntimeError, match="multiply.*in-place"):
        c.sum().backward()


def test_in_place_on_a_leaf_that_requires_grad_raises(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="leaf.*no_grad"):
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="leaf.*no_grad"):
        x += 1.0
    assert x.tolist() == [1.0, 2.0]
    with gt.no_grad():
        x.add_(1.0)
        x -= 0.5
    assert x.tolist() == [1.5, 2.5] and x.requires_grad


# -- grad mode ---------------------------------------------------------------------------------
def test_no_grad_context(device):
    x = gt.tensor([1.0], requires_grad=True, device=device)
    with gt.no_grad():
        assert not gt.is_grad_enabled()
        y = x * 2
        with gt.enable_grad():
            assert gt.is_grad_enabled()
            z = x * 2
    assert gt.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_grad_mode_decorators(device):
    x = gt.tensor([1.0], requires_grad=True, device=device)

    @gt.no_grad()
    def f():
        return x * 2

    @gt.no_grad
    def f_bare():
        return x * 2

    @gt.enable_grad()
    def g():
        return x * 2

    @gt.set_grad_enabled(False)
    def h():
        return x * 2

    assert not f().requires_grad and not f_bare().requires_grad and not h().requires_grad
    assert gt.is_grad_enabled()  # decorating switched nothing
    with gt.no_grad():
        assert g().requires_grad
    assert f.__name__ == "f"


def test_set_grad_enabled(device):
    x = gt.tensor([1.0], requires_grad=True, device=device)
    with gt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with gt.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not gt.is_grad_enabled()
    assert gt.is_grad_enabled()
    gt.set_grad_enabled(False)  # a plain call takes effect at once
    try:
        assert not gt.is_grad_enabled()
    finally:
        gt.set_grad_enabled(True)
    assert gt.is_grad_enabled()


def test_set_grad_enabled_takes_a_bool():
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be a bool, got str"):
        gt.set_grad_enabled("no")
    assert gt.is_grad_enabled()


def test_grad_mode_decorates_generator_functions(device):
    x = gt.tensor([1.0], requires_grad=True, device=device)

    @gt.no_grad()
    def steps(n):
        for _ in range(n):
            sent = yield (x * 2).requires_grad, gt.is_grad_enabled()
            assert sent == "next" and not gt.is_grad_enabled()
        return "done"

    gen = steps(2)
    assert next(gen) == (False, False)
    assert gt.is_grad_enabled()  # the caller's mode while the generator is suspended
    assert gen.send("next") == (False, False)
    with pytest.raises(StopIteration) as stop:
        gen.send("next")
    assert stop.value.value == "done" and gt.is_grad_enabled()

    @gt.enable_grad()
    def catches():
        try:
            yield 1
        except ValueError:
            yield gt.is_grad_enabled()

    with gt.no_grad():
        gen = catches()
        assert next(gen) == 1
        assert gen.throw(ValueError("into the body")) is True  # under the decorator's mode
        assert not gt.is_grad_enabled()
        gen.close()


def test_one_no_grad_object_can_be_nested():
    ng = gt.no_grad()
    with ng:
        with gt.enable_grad():
            with ng:
                assert not gt.is_grad_enabled()
            assert gt.is_grad_enabled()
        assert not gt.is_grad_enabled()
    assert gt.is_grad_enabled()


def test_grad_mode_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with gt.no_grad():
            1 / 0
    assert gt.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        inside.wait()
        x = gt.tensor([1.0], requires_grad=True)
        seen["enabled"] = gt.is_grad_enabled()
        seen["recorded"] = (x * 2).requires_grad
        with gt.no_grad():
            release.set()
            seen["worker_off"] = gt.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    with gt.no_grad():
        inside.set()
        release.wait(10)
        assert not gt.is_grad_enabled()
    th.join(10)
    assert seen == {"enabled": True, "recorded": True, "worker_off": False}
    assert gt.is_grad_enabled()


# -- gt.grad ------------------------------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_grad_alone(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    w = gt.tensor([3.0, 4.0], requires_grad=True, device=device)
    gx, gw = gt.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(_np(gx), [3.0, 4.0])
    np.testing.assert_allclose(_np(gw), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_grad_single_input_gives_a_tuple(device):
    x = gt.tensor(3.0, requires_grad=True, device=device)
    out = gt.grad(x * x, x)
    assert isinstance(out, tuple) and len(out) == 1 and out[0].item() == 6.0


def test_grad_allow_unused(device):
    x = gt.tensor(1.0, requires_grad=True, device=device)
    u = gt.tensor(1.0, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="allow_unused"):
        gt.grad(x * 2, [x, u])
    gx, gu = gt.grad(x * 2, [x, u], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_outputs(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    (g,) = gt.grad(x * x, x, grad_outputs=gt.tensor([1.0, 10.0], device=device))
    np.testing.assert_allclose(_np(g), [2.0, 40.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        gt.grad(x * x, x)
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        gt.grad(x * x, x, grad_outputs=gt.ones(3, device=device))


def test_grad_several_outputs(device):
    x = gt.tensor(2.0, requires_grad=True, device=device)
    (g,) = gt.grad([x * x, x * 3], [x])
    assert g.item() == 7.0


def test_grad_input_must_require_grad(device):
    x = gt.tensor(2.0, requires_grad=True, device=device)
    c = gt.tensor(1.0, device=device)
    with pytest.raises(RuntimeError, match="requires grad"):
        gt.grad(x * c, [c])


def test_grad_create_graph_gives_differentiable_gradients(device):
    x = gt.tensor(3.0, dtype=gt.float64, requires_grad=True, device=device)
    (g,) = gt.grad(x ** 3, x, create_graph=True)
    assert g.requires_grad and g.item() == pytest.approx(27.0)
    (g2,) = gt.grad(g, x)
    assert g2.item() == pytest.approx(18.0)


def test_backward_create_graph(device):
    x = gt.tensor(2.0, dtype=gt.float64, requires_grad=True, device=device)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == pytest.approx(12.0)
    (g2,) = gt.grad(g, x)
    assert g2.item() == pytest.approx(12.0)


# -- higher derivatives ---------------------------------------------------------------------
def test_second_derivative_of_tanh(device):
    xs = np.linspace(-2.0, 2.0, 7)
    x = gt.tensor(xs, dtype=gt.float64, requires_grad=True, device=device)
    (g,) = gt.grad(gt.tanh(x).sum(), x, create_graph=True)
    (g2,) = gt.grad(g.sum(), x)
    t = np.tanh(xs)
    np.testing.assert_allclose(_np(g), 1 - t ** 2, rtol=1e-12)
    np.testing.assert_allclose(_np(g2), -2 * t * (1 - t ** 2), rtol=1e-10, atol=1e-14)


def test_third_derivative(device):
    x = gt.tensor(1.5, dtype=gt.float64, requires_grad=True, device=device)
    y = x ** 4
    (d1,) = gt.grad(y, x, create_graph=True)
    (d2,) = gt.grad(d1, x, create_graph=True)
    (d3,) = gt.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == pytest.approx((4 * 1.5 ** 3, 12 * 1.5 ** 2,
                                                               24 * 1.5))


def _mlp_loss(w1, b1, w2, x, y):
    h = gt.tanh(x @ w1 + b1)
    return ((h @ w2 - y) ** 2).mean()


def test_hessian_vector_product_of_a_small_mlp(device):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.normal(size=(5, 3)), dtype=gt.float64, device=device)
    y = gt.tensor(rng.normal(size=(5, 2)), dtype=gt.float64, device=device)
    w1_0, b1_0, w2_0 = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(4, 2))
    vs = [rng.normal(size=a.shape) for a in (w1_0, b1_0, w2_0)]

    def grads_at(arrays, create_graph=False):
        ps = [gt.tensor(a, dtype=gt.float64, requires_grad=True, device=device)
              for a in arrays]
        gs = gt.grad(_mlp_loss(*ps, x, y), ps, create_graph=create_graph)
        return ps, gs

    ps, gs = grads_at([w1_0, b1_0, w2_0], create_graph=True)
    gv = sum((g * gt.tensor(v, device=device)).sum() for g, v in zip(gs, vs))
    hvp = gt.grad(gv, ps)
    eps = 1e-5
    plus = grads_at([a + eps * v for a, v in zip((w1_0, b1_0, w2_0), vs)])[1]
    minus = grads_at([a - eps * v for a, v in zip((w1_0, b1_0, w2_0), vs)])[1]
    for h, p, m in zip(hvp, plus, minus):
        np.testing.assert_allclose(_np(h), (_np(p) - _np(m)) / (2 * eps), rtol=1e-5,
                                   atol=1e-8)


# -- the docstring examples of the autograd modules ---------------------------------------------
@pytest.mark.parametrize("name", ["engine", "mode", "tape", "variable", "function", "checks"])
def test_docstring_examples(name):
    run_docstring_examples(importlib.import_module(f"gputensor.autograd.{name}"))


# -- what a rule may read -------------------------------------------------------------------------
def _reads_unsaved_vjp(ctx, g):
    return g * ctx.inputs[1], None  # input 1 was not declared in save


def _reads_out_vjp(ctx, g):
    return g * ctx.out, None


@pytest.mark.parametrize("vjp, save, error, words", [
    (_reads_unsaved_vjp, ("x0",), TypeError, "not saved: add the input to OpDef.save"),
    (_reads_out_vjp, ("x0",), RuntimeError, "does not list 'out' in OpDef.save"),
])
def test_a_rule_reading_what_its_op_did_not_save_is_told_so(vjp, save, error, words):
    from gputensor.ops import OpDef, apply

    op = OpDef("test_undeclared", lambda xp, a, b: a * b, arity=2, kinds="f", vjp=vjp,
               save=save)
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = apply(op, x, gt.tensor([3.0, 4.0]))
    with pytest.raises(error, match=words.replace("(", r"\(")):
        y.sum().backward()


def test_data_updates_outside_the_graph(device):
    """PyTorch's ``.data``: the manual SGD step of older tutorials, and replacing values."""
    p = gt.tensor([1.0, -2.0], requires_grad=True, device=device)
    for _ in range(3):
        (p * p).sum().backward()
        p.data -= 0.25 * p.grad  # d/dp p^2 = 2p: p halves each step
        p.grad = None
    assert _np(p).tolist() == [0.125, -0.25] and p.is_leaf and p.requires_grad
    assert not p.data.requires_grad and p.data.grad_fn is None
    w = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    s = (w * w).sum()  # keeps w
    w.data = gt.tensor([5.0, 6.0, 7.0], device=device)
    assert _np(w).tolist() == [5.0, 6.0, 7.0] and w.requires_grad and w.is_leaf
    with pytest.raises(RuntimeError, match="gradient of 'multiply' was modified"):
        s.backward()
    with pytest.raises(TypeError, match="data: assign a tensor, got list"):
        w.data = [1.0]


def test_inference_mode_is_no_grad_under_pytorchs_name(device):
    x = gt.ones(2, requires_grad=True, device=device)
    with gt.inference_mode():
        assert not (x * 2).requires_grad and not gt.is_grad_enabled()
    with gt.inference_mode(False):
        assert (x * 2).requires_grad

    @gt.inference_mode
    def bare(a):
        return a * 2

    @gt.inference_mode()
    def called(a):
        return a * 2

    assert not bare(x).requires_grad and not called(x).requires_grad
    assert gt.is_grad_enabled()


@pytest.mark.gpu
def test_data_refuses_values_on_another_device():
    w = gt.tensor([1.0, 2.0], requires_grad=True, device="cuda")
    with pytest.raises(RuntimeError, match=r"data: the new values are on cpu but the tensor "
                                           r"is on cuda.*move them with \.to\(\)"):
        w.data = gt.tensor([3.0, 4.0])


def test_retained_grad_is_a_writable_tensor_of_its_own(device):
    # the gradient a retain_grad tensor sees flows on to other tensors, and after a full
    # reduction it is a read-only broadcast view: .grad gets a copy, as in PyTorch
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x + 0.0
    z = y + 0.0
    y.retain_grad()
    z.retain_grad()
    z.sum().backward()
    assert z.grad is not y.grad
    z.grad.zero_()  # writable, and nobody else's
    np.testing.assert_allclose(_np(y.grad), [1.0, 1.0])
    np.testing.assert_allclose(_np(x.grad), [1.0, 1.0])
    y.grad.mul_(3.0)
    np.testing.assert_allclose(_np(x.grad), [1.0, 1.0])
    # a second backward adds to the retained gradient
    (z * 2).sum().backward()
    np.testing.assert_allclose(_np(y.grad), [5.0, 5.0])


def test_retained_grad_under_create_graph_is_differentiable(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * x
    y.retain_grad()
    (y * x).sum().backward(create_graph=True)  # y.grad = x
    assert y.grad.requires_grad
    (gx,) = gt.grad(y.grad.sum(), x)
    np.testing.assert_allclose(_np(gx), [1.0, 1.0])


def test_create_graph_leaf_grads_are_tensors_of_their_own(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    w = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    (x + w).sum().backward(create_graph=True)  # one gradient for both, a broadcast view
    assert x.grad is not w.grad
    x.grad.zero_()
    np.testing.assert_allclose(_np(w.grad), [1.0, 1.0])
    g = gt.tensor([5.0, 6.0], device=device)
    y = x * 1
    y.backward(g, create_graph=True)  # the caller's tensor is not taken as .grad
    assert x.grad is not g
    # what depends on the leaves stays differentiable
    z = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    (z * z).sum().backward(create_graph=True)
    assert z.grad.requires_grad
    (gz,) = gt.grad(z.grad.sum(), z)
    np.testing.assert_allclose(_np(gz), [2.0, 2.0])


def test_autograd_backward_takes_sequences_and_inputs(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    w = gt.tensor(3.0, requires_grad=True, device=device)
    gt.autograd.backward([(x * w).sum(), x.sum()], inputs=[x])
    np.testing.assert_allclose(_np(x.grad), [4.0, 4.0])
    assert w.grad is None  # not among the inputs
    gt.autograd.backward([x * x, x * 3], [gt.ones(2, device=device)] * 2)
    np.testing.assert_allclose(_np(x.grad), [4.0 + 5.0, 4.0 + 7.0])
    assert w.grad is None
    (x * w).sum().backward(inputs=[w])  # the Tensor method takes inputs too
    np.testing.assert_allclose(_np(w.grad), 3.0)
    # a non-leaf input gets its .grad, as retain_grad would give it
    y = x * 2
    (y * y).sum().backward(inputs=y)
    np.testing.assert_allclose(_np(y.grad), [4.0, 8.0])


def test_autograd_backward_errors(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="inputs is empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="inputs must be a tensor that requires grad"):
        (x * 2).sum().backward(inputs=[gt.ones(2, device=device)])
    with pytest.raises(ValueError, match="2 tensors but 1 grad_tensors"):
        gt.autograd.backward([x * 2, x * 3], [gt.ones(2, device=device)])
    with pytest.raises(TypeError, match="expected tensors, got list"):
        gt.autograd.backward([[x]])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        gt.autograd.backward([x * 2])


def test_assigning_grad_is_checked(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    x.grad = gt.ones(2, device=device)
    (x * 2).sum().backward()
    np.testing.assert_allclose(_np(x.grad), [3.0, 3.0])
    with pytest.raises(TypeError, match="assigned grad expected to be a tensor or None, got int"):
        x.grad = 3
    with pytest.raises(RuntimeError, match=r"gradient of shape \(3,\) to a tensor of shape "
                                           r"\(2,\)"):
        x.grad = gt.ones(3, device=device)
    with pytest.raises(RuntimeError, match="dtype float64 to a tensor of dtype float32"):
        x.grad = gt.ones(2, dtype=gt.float64, device=device)
    np.testing.assert_allclose(_np(x.grad), [3.0, 3.0])  # unchanged by the refused ones
    del x.grad
    assert x.grad is None


def test_data_of_a_tensor_that_requires_grad_stays_float(device):
    p = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="data: a tensor that requires grad holds floats; "
                                           "cannot give it values of dtype int64"):
        p.data = gt.tensor([1, 2], device=device)
    np.testing.assert_allclose(_np(p), [1.0, 2.0])


def test_detach_in_place(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = x * 2
    y.retain_grad()
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None and not y.retains_grad
    (x * 3).sum().backward()  # x's graph is untouched
    np.testing.assert_allclose(_np(x.grad), [3.0, 3.0])
    v = (x * 1)[1:]
    with pytest.raises(RuntimeError, match="detach_: a view cannot be detached in place"):
        v.detach_()
