"""Tensor gradient hooks (PyTorch's ``register_hook``): a hook sees a tensor's gradient when
it is computed and may replace it, for leaves (before ``.grad``) and non-leaves (before the
gradient flows on), under ``backward``, ``gt.grad`` and tapes alike."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
from testkit import host


def _leaf(data, device):
    return gt.tensor(data, dtype=gt.float64, device=device, requires_grad=True)


def test_a_leaf_hook_sees_and_replaces_the_gradient(device):
    x = _leaf([1.0, 2.0], device)
    seen = []
    handle = x.register_hook(lambda g: seen.append(host(g).tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]] and host(x.grad).tolist() == [30.0, 30.0]
    handle.remove()
    handle.remove()  # a second remove does nothing
    x.grad = None
    (x * 3).sum().backward()
    assert host(x.grad).tolist() == [3.0, 3.0] and len(seen) == 1


def test_a_leaf_hook_sees_the_summed_gradient_once(device):
    x = _leaf([1.0, 2.0], device)
    seen = []
    x.register_hook(lambda g: seen.append(host(g).tolist()))
    (x * 2 + x * x).sum().backward()  # two paths into x: the hook gets their sum, 2 + 2x
    assert seen == [[4.0, 6.0]] and host(x.grad).tolist() == [4.0, 6.0]


def test_a_non_leaf_hook_changes_what_flows_upstream(device):
    x = _leaf([1.0, 2.0], device)

    def loss(x):
        y = x * 2
        y.register_hook(lambda g: g * 0.5)  # y is dropped when loss returns: the hook stays
        return (y * y).sum()

    loss(x).backward()
    # dL/dy = 2y = 4x, halved by the hook, times dy/dx = 2: 4x
    assert host(x.grad).tolist() == [4.0, 8.0]


def test_hooks_run_in_order_and_retain_grad_sees_the_result(device):
    x = _leaf([1.0, -1.0], device)
    y = x * 3
    y.retain_grad()
    order = []
    y.register_hook(lambda g: order.append("first") or g + 1)
    y.register_hook(lambda g: order.append(host(g).tolist()) or g * 2)
    y.sum().backward()
    assert order == ["first", [2.0, 2.0]]
    assert host(y.grad).tolist() == [4.0, 4.0] and host(x.grad).tolist() == [12.0, 12.0]


def test_hooks_run_under_grad_and_tapes(device):
    x = _leaf([2.0], device)
    x.register_hook(lambda g: g * 5)
    y = x * x
    y.register_hook(lambda g: g + 1)
    (gx,) = gt.grad(y.sum(), x)
    assert host(gx).tolist() == [(1 + 1) * 2 * 2.0 * 5]
    v = gt.Variable([3.0], dtype=gt.float64, device=device)
    with gt.GradientTape() as tape:
        z = v * 4
        z.register_hook(lambda g: g * -1)
        s = z.sum()
    assert host(tape.gradient(s, v)).tolist() == [-4.0]


def test_a_hook_on_one_output_of_a_several_output_op(device):
    x = _leaf([1.0, 2.0, 3.0, 4.0], device)
    a, b = gt.split(x, 2)
    b.register_hook(lambda g: g * 100)
    (a.sum() + b.sum()).backward()
    assert host(x.grad).tolist() == [1.0, 1.0, 100.0, 100.0]


def test_a_hook_under_create_graph_is_differentiated_too(device):
    x = _leaf([1.5], device)
    y = x ** 3
    y.register_hook(lambda g: g * x)  # the gradient becomes 3x^2 * x = 3x^3
    (g,) = gt.grad(y.sum(), x, create_graph=True)
    np.testing.assert_allclose(host(g), [3 * 1.5 ** 3])
    (g2,) = gt.grad(g.sum(), x)  # d(3x^3)/dx = 9x^2
    np.testing.assert_allclose(host(g2), [9 * 1.5 ** 2])


def test_a_leaf_grad_is_not_a_tensor_the_hook_keeps(device):
    kept = gt.tensor([7.0, 7.0], dtype=gt.float64, device=device)
    x = _leaf([1.0, 2.0], device)
    x.register_hook(lambda g: kept)
    x.sum().backward()
    assert x.grad is not kept and host(x.grad).tolist() == [7.0, 7.0]
    x.grad.zero_()
    assert host(kept).tolist() == [7.0, 7.0]


def test_hook_errors(device):
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook on a tensor "
                                           "that does not require grad"):
        gt.ones(2, device=device).register_hook(lambda g: g)
    x = _leaf([1.0, 2.0], device)
    with pytest.raises(TypeError, match="register_hook: the hook must be callable, got int"):
        x.register_hook(3)

    def reshape_it(g):
        return g.reshape(2, 1)

    x.register_hook(reshape_it)
    with pytest.raises(RuntimeError, match=r"hook 'reshape_it' returned shape \(2, 1\); a hook "
                                           r"returns None or a tensor of the gradient's shape "
                                           r"\(2,\)"):
        (x * 2).sum().backward()
    y = _leaf([1.0], device)
    y.register_hook(lambda g: 5.0)
    with pytest.raises(RuntimeError, match=r"returned float; a hook returns None or a tensor"):
        y.sum().backward()


def test_a_hook_must_keep_the_gradients_dtype(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)  # float32

    def widen(g):
        return g.astype(gt.float64)

    x.register_hook(widen)
    with pytest.raises(RuntimeError, match="hook 'widen' returned a float64 tensor .* for a "
                                           "float32 gradient .*keeps the gradient's dtype"):
        (x * 2).sum().backward()
    assert x.grad is None


def test_each_handle_removes_its_own_registration(device):
    x = _leaf([1.0], device)
    calls = []

    def count(g):
        calls.append(1)

    h1 = x.register_hook(count)
    x.register_hook(count)  # the same function twice: two registrations
    h1.remove()
    h1.remove()  # a second remove of the same handle does nothing
    (x * 2).sum().backward()
    assert len(calls) == 1
