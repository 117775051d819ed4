"""The activations' derivative rules in their two forms: the internal gradient ops
(``relu_grad``, ``sigmoid_grad``... in ops/elementwise.py, one forward each, overridden by the
backward kernels on CUDA) used when the gradient is not recorded, and the composites of public
ops used with ``create_graph=True``. Both give the same values through the array-module path.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import gputensor as gt
from gputensor.backends import kernels as K
from gputensor.backends.base import Backend
from gputensor.ops import elementwise as E

ACTS = {
    "relu": (gt.relu, "relu_grad"),
    "sigmoid": (gt.sigmoid, "sigmoid_grad"),
    "tanh": (gt.tanh, "tanh_grad"),
    "gelu": (gt.gelu, "gelu_grad"),
    "gelu_tanh": (lambda x: gt.gelu(x, approximate="tanh"), "gelu_tanh_grad"),
    "softplus": (gt.softplus, "softplus_grad"),
    "softplus-beta": (lambda x: gt.softplus(x, beta=2.0, threshold=3.0), "softplus_grad"),
    "leaky_relu": (gt.leaky_relu, "leaky_relu_grad"),
    "leaky_relu-0.2": (lambda x: gt.leaky_relu(x, 0.2), "leaky_relu_grad"),
}
RTOL = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-14}


def _inputs(dtype, shape=(4, 37)):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    x.reshape(-1)[:6] = [0.0, -0.0, 25.0, -25.0, 1.5, 12.0]  # zero, saturation, thresholds
    g = rng.standard_normal(shape).astype(dtype)
    return x, g


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", sorted(ACTS))
def test_internal_grad_op_matches_the_composite_rule(name, dtype, device):
    fn, _ = ACTS[name]
    x_np, g_np = _inputs(dtype)
    x = gt.tensor(x_np, device=device, requires_grad=True)
    g = gt.tensor(g_np, device=device)
    (fast,) = gt.grad(fn(x), [x], grad_outputs=g)
    (composite,) = gt.grad(fn(x), [x], grad_outputs=g, create_graph=True)
    assert fast.dtype == composite.dtype == x.dtype and not fast.requires_grad
    np.testing.assert_allclose(fast.numpy().astype(np.float64),
                               composite.detach().numpy().astype(np.float64),
                               rtol=RTOL[dtype], atol=RTOL[dtype], err_msg=name)


@pytest.mark.parametrize("name", sorted(ACTS))
def test_rule_calls_the_internal_op_without_create_graph(name, monkeypatch):
    """The fast path really runs the internal op (a spy on the NumPy backend's callable)."""
    fn, op_name = ACTS[name]
    op = K._op(op_name)
    from gputensor.backends import get_backend

    backend = get_backend(gt.device("cpu"))
    calls = []
    real = backend.impl(op)

    def spy(*arrays, **attrs):
        calls.append(attrs)
        return real(*arrays, **attrs)

    monkeypatch.setitem(backend._impls, op, spy)
    monkeypatch.setattr(backend.device, "fast", {})  # apply's cache of impls already checked
    x = gt.tensor(_inputs("float32")[0], requires_grad=True)
    gt.grad(fn(x).sum(), [x])
    assert len(calls) == 1
    gt.grad(fn(x).sum(), [x], create_graph=True)
    assert len(calls) == 1  # the composite path does not


def test_second_derivatives_still_work():
    x = gt.tensor([0.3, -1.2, 2.0], dtype=gt.float64, requires_grad=True)
    (d1,) = gt.grad(gt.sigmoid(x).sum(), [x], create_graph=True)
    (d2,) = gt.grad(d1.sum(), [x])
    s = 1 / (1 + np.exp(-x.detach().numpy()))
    np.testing.assert_allclose(d2.numpy(), s * (1 - s) * (1 - 2 * s), rtol=1e-12)


def test_every_backward_kernel_overrides_a_grad_op():
    """On CUDA each internal gradient op resolves to its backward kernel (the registry's
    overrides); the argument order of each op is its kernel's inputs."""
    from gputensor.backends.cupy_backend import CupyBackend

    b = object.__new__(CupyBackend)
    Backend.__init__(b)
    b.xp = np
    b.device = types.SimpleNamespace(index=0, fast={})
    old = K.set_enabled(True)
    try:
        for op in E.GRAD_OPS:
            kernel = K.OVERRIDES[op.name]
            assert kernel.name == op.name.replace("_grad", "_bwd")
            assert b.impl(op).kernel is kernel
            assert len(kernel.inputs) == op.arity == 2 and kernel.inputs[1] == "g"
    finally:
        K.set_enabled(old)
