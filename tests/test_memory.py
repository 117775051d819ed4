"""Memory: what the graph keeps, and for how long.

- After a backward without ``retain_graph`` the tensors the nodes saved are released.
- A graph whose outputs are dropped is freed at once, by reference counting: no reference
  cycles (the cycle collector is switched off while this is checked).
- Training-like loops (forward, backward, update under ``no_grad``, zero the grads) keep
  their memory flat over 1,000 iterations (``tracemalloc``).
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from contextlib import contextmanager

import numpy as np
import pytest

import gputensor as gt
from testkit import ExpFn


@contextmanager
def _no_cycle_collector():
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_saved_tensors_are_released_by_backward(device):
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    with _no_cycle_collector():
        h = x * 2
        y = (gt.tanh(h) * h).sum()  # both ops save h (or arrays derived from it)
        ref = weakref.ref(h)
        del h
        assert ref() is not None  # the graph holds it until backward
        y.backward()
        assert ref() is None
        assert y.grad_fn is not None  # the nodes themselves live as long as y


@pytest.mark.parametrize("constant_first", [False, True])
def test_a_product_keeps_only_the_operand_a_gradient_needs(device, constant_first):
    """``h * c`` with a constant ``c``: h's gradient needs c, not h, so the graph does not
    keep h alive (as PyTorch); the gradient is still right."""
    x = gt.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    c = gt.tensor([4.0, 5.0, 6.0], device=device)
    with _no_cycle_collector():
        h = x * 2
        y = (c * h if constant_first else h * c).sum()
        ref = weakref.ref(h)
        del h
        assert ref() is None
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 10.0, 12.0])


def test_a_graph_leaves_one_object_per_op_for_the_cycle_collector(device):
    """Each recorded op keeps one object the cycle collector tracks (its Node: the edges to
    upstream nodes sit in the node's slots, not in a tuple of their own), so building a long
    graph seldom sets off a full collection over the whole process."""
    from collections import Counter

    def chain(x, n):
        for _ in range(n):
            x = x * 1.0001 + 0.0001
        return x

    x = gt.tensor(1.0, requires_grad=True, device=device)
    chain(x, 3).backward()  # first uses (dispatch caches) out of the count
    x.grad = None
    gc.collect()
    before = Counter(type(o).__name__ for o in gc.get_objects())
    y = chain(x, 200)
    gc.collect()
    grown = Counter(type(o).__name__ for o in gc.get_objects())
    grown.subtract(before)
    assert grown["Node"] == 400
    assert grown["tuple"] < 10, grown  # no tuple of edges per op
    assert sum(grown.values()) - grown["Node"] < 100, grown  # not one or more per op
    y.backward()
    assert abs(x.grad.item() - 1.0001 ** 200) < 1e-3


def test_retain_graph_keeps_the_saved_tensors(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with _no_cycle_collector():
        h = x * 2
        y = (h * h).sum()
        ref = weakref.ref(h)
        del h
        y.backward(retain_graph=True)
        assert ref() is not None
        y.backward()
        assert ref() is None


def test_dropping_the_output_frees_the_graph(device):
    x = gt.tensor(np.ones((4, 3)), requires_grad=True, device=device)
    w = gt.tensor(np.ones((3, 2)), requires_grad=True, device=device)
    with _no_cycle_collector():
        h = gt.exp(x @ w)  # exp saves its output
        y = gt.nn.functional.softmax(h, axis=-1).sum()
        refs = [weakref.ref(y.grad_fn), weakref.ref(h.grad_fn), weakref.ref(h)]
        h.retain_grad()
        del h, y
        assert all(r() is None for r in refs)


def test_dropping_an_unused_long_chain_frees_it(device):
    x = gt.tensor(1.0, requires_grad=True, device=device)
    with _no_cycle_collector():
        y = x
        for _ in range(1000):
            y = y * 1.001 + 0.001
        first = weakref.ref(y.grad_fn)
        del y
        assert first() is None


def test_create_graph_gradients_free_their_graph(device):
    x = gt.tensor([0.5, 1.5], dtype=gt.float64, requires_grad=True, device=device)
    with _no_cycle_collector():
        y = (gt.tanh(x) * x).sum()
        (g,) = gt.grad(y, x, create_graph=True)
        refs = [weakref.ref(g.grad_fn), weakref.ref(y.grad_fn)]
        del y, g
        assert all(r() is None for r in refs)


def test_a_tape_and_its_outputs_free_the_graph(device):
    v = gt.Variable([1.0, 2.0], device=device)
    with _no_cycle_collector():
        with gt.GradientTape(persistent=True) as tape:
            y = gt.exp(v * v).sum()
        tape.gradient(y, v)
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is not None  # the persistent tape still holds its records
        del tape
        assert ref() is None


def test_a_custom_function_that_saves_its_output_frees_its_graph(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with _no_cycle_collector():
        y = ExpFn.apply(x)
        ref = weakref.ref(y.grad_fn)
        del y
        assert ref() is None


# -- flat memory over training-like loops ------------------------------------------------------
def _mlp(device, seed=0):
    rng = np.random.default_rng(seed)
    x = gt.tensor(rng.normal(size=(16, 8)), device=device)
    y = gt.tensor(rng.normal(size=(16, 1)), device=device)
    params = [gt.tensor(rng.normal(size=s) * 0.3, requires_grad=True, device=device)
              for s in [(8, 16), (16,), (16, 1), (1,)]]
    return x, y, params


def _loss(params, x, y):
    w1, b1, w2, b2 = params
    h = gt.relu(x @ w1 + b1)
    return ((h @ w2 + b2 - y) ** 2).mean()


def _sgd_step(params, x, y):
    """One step of the plain training loop: forward, backward, the SGD update under
    ``no_grad``, then the grads dropped (shared by the host- and device-memory checks)."""
    loss = _loss(params, x, y)
    loss.backward()
    with gt.no_grad():
        for p in params:
            p -= 0.05 * p.grad
    for p in params:
        p.grad = None


def _growth(step, warmup=100, iterations=1000) -> int:
    """Bytes still allocated after ``iterations`` steps, beyond what the warm-up left."""
    for _ in range(warmup):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(iterations):
            step()
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    stats = after.compare_to(before, "filename")
    return sum(s.size_diff for s in stats)


def test_training_loop_memory_is_flat():
    x, y, params = _mlp("cpu")
    first = _loss(params, x, y).item()
    growth = _growth(lambda: _sgd_step(params, x, y))
    assert _loss(params, x, y).item() < first  # it did train
    assert growth < 32 * 1024, f"memory grew by {growth} bytes over 1000 iterations"


def test_tape_training_loop_memory_is_flat():
    x, y, params = _mlp("cpu", seed=1)
    vs = [gt.Variable(p.detach()) for p in params]
    first = _loss(vs, x, y).item()

    def step():
        with gt.GradientTape() as tape:
            loss = _loss(vs, x, y)
        grads = tape.gradient(loss, vs)
        for v, g in zip(vs, grads):
            v.assign_sub(0.05 * g)

    growth = _growth(step)
    assert _loss(vs, x, y).item() < first
    assert growth < 32 * 1024, f"memory grew by {growth} bytes over 1000 iterations"


@pytest.mark.gpu
def test_training_loop_device_memory_is_flat():
    """On CUDA: CuPy's pool holds no more after 1,000 iterations than after the warm-up."""
    import cupy

    pool = cupy.get_default_memory_pool()
    x, y, params = _mlp("cuda")
    for _ in range(100):
        _sgd_step(params, x, y)
    before = pool.used_bytes()
    for _ in range(1000):
        _sgd_step(params, x, y)
    assert pool.used_bytes() <= before + 32 * 1024
