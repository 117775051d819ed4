"""``GradientTape``: what it records, what it watches, the structures it takes and returns,
persistence, nesting (higher derivatives), ``stop_recording``, Jacobians, errors."""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

import gputensor as gt


def _np(t):
    return t.cpu().numpy()


# -- the tutorial values ----------------------------------------------------------------------
def test_tape_over_the_whole_expression(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = (x / 2 * 3) * x ** 2
    g = tape.gradient(y, x)
    assert type(g) is gt.Tensor and g.item() == pytest.approx(18.0)


def test_value_computed_before_the_tape_is_a_constant(device):
    x = gt.Variable(2.0, device=device)
    factor = x / 2 * 3  # recorded by the engine (x requires grad), but not on the tape
    with gt.GradientTape() as tape:
        y = factor * x ** 2
    assert tape.gradient(y, x).item() == pytest.approx(12.0)


def test_unwatched_constant_gets_none(device):
    c = gt.tensor(3.0, device=device)
    with gt.GradientTape() as tape:
        y = c * c
    assert tape.gradient(y, c) is None


def test_persistent_tape_gives_the_gradient_twice(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = (x / 2 * 3) * x ** 2
        z = x * x
    assert tape.gradient(y, x).item() == pytest.approx(18.0)
    assert tape.gradient(y, x).item() == pytest.approx(18.0)
    assert tape.gradient(z, x).item() == pytest.approx(4.0)


def test_non_persistent_tape_refuses_a_second_call(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.jacobian(y, x)


# -- watching ---------------------------------------------------------------------------------
def test_watch_a_constant(device):
    c = gt.tensor([1.0, 2.0], device=device)
    with gt.GradientTape() as tape:
        tape.watch(c)
        assert c.requires_grad
        y = (c * c * c).sum()
    assert not c.requires_grad  # restored when the tape closes
    np.testing.assert_allclose(_np(tape.gradient(y, c)), [3.0, 12.0])
    assert c.grad is None  # tapes return gradients; they never accumulate into .grad


def test_watch_a_structure(device):
    a = gt.tensor(1.0, device=device)
    b = gt.tensor(2.0, device=device)
    with gt.GradientTape() as tape:
        tape.watch([a, {"b": b}])
        y = a * b
    ga, gb = tape.gradient(y, (a, b))
    assert (ga.item(), gb.item()) == (2.0, 1.0)


def test_watch_before_entering(device):
    c = gt.tensor(2.0, device=device)
    tape = gt.GradientTape()
    tape.watch(c)
    assert not c.requires_grad
    with tape:
        y = c * c
    assert tape.gradient(y, c).item() == 4.0


def test_watch_refuses_integers_and_non_tensors(device):
    with gt.GradientTape() as tape:
        with pytest.raises(TypeError, match="float.*int64"):
            tape.watch(gt.tensor([1, 2], device=device))
        with pytest.raises(TypeError, match="list|float"):
            tape.watch([1.0])


def test_watch_a_tensor_computed_before_the_tape(device):
    x = gt.Variable(3.0, device=device)
    h = x * x  # before the tape: a constant to it unless watched
    with gt.GradientTape() as tape:
        tape.watch(h)
        y = h * 2 + x
    gh, gx = tape.gradient(y, [h, x])
    assert gh.item() == 2.0 and gx.item() == 1.0  # no path x -> h on this tape


def test_gradient_with_respect_to_an_intermediate(device):
    x = gt.Variable(3.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        h = x * x
        y = h * h
    assert tape.gradient(y, h).item() == pytest.approx(2 * 9.0)
    assert tape.gradient(y, x).item() == pytest.approx(4 * 27.0)


def test_watch_accessed_variables_false(device):
    a = gt.Variable(2.0, device=device)
    b = gt.Variable(5.0, device=device)
    with gt.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
        z = b * b
        w = y + z
    ga, gb = tape.gradient(w, [a, b])
    assert ga.item() == 5.0 and gb is None
    watched = tape.watched_variables()
    assert len(watched) == 1 and watched[0] is a


def test_watch_accessed_variables_false_without_watch_gives_none(device):
    a = gt.Variable(2.0, device=device)
    with gt.GradientTape(watch_accessed_variables=False) as tape:
        y = a * a
    assert tape.gradient(y, a) is None


def test_watched_variables(device):
    a = gt.Variable(1.0, name="a", device=device)
    b = gt.Variable(2.0, name="b", device=device)
    c = gt.Variable(3.0, name="c", device=device)
    frozen = gt.Variable(4.0, trainable=False, device=device)
    with gt.GradientTape() as tape:
        y = a * b * frozen
    names = [v.name for v in tape.watched_variables()]
    assert names == ["a", "b"] and c is not None and y.requires_grad


def test_non_trainable_variable_needs_watch(device):
    v = gt.Variable(3.0, trainable=False, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with gt.GradientTape() as tape:
        tape.watch(v)
        y = v * v
    assert tape.gradient(y, v).item() == 6.0
    assert not v.requires_grad


def test_plain_tensor_that_requires_grad_is_watched(device):
    x = gt.tensor(2.0, requires_grad=True, device=device)
    with gt.GradientTape() as tape:
        y = x * x * x
    assert tape.gradient(y, x).item() == 12.0
    assert x.grad is None


# -- what is recorded ---------------------------------------------------------------------------
def test_only_ops_inside_the_with_are_recorded(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = x * x
    z = y * x  # after the tape closed
    assert tape.gradient(z, x) is None
    assert tape.gradient(y, x).item() == 4.0


def test_enter_and_exit_by_hand(device):
    x = gt.Variable(2.0, device=device)
    tape = gt.GradientTape()
    tape.__enter__()
    y = x * x * x
    tape.__exit__(None, None, None)
    assert tape.gradient(y, x).item() == 12.0


def test_stop_recording(device):
    a = gt.Variable(2.0, device=device)
    b = gt.Variable(3.0, device=device)
    with gt.GradientTape() as tape:
        y = a * b
        with tape.stop_recording():
            z = a * 10  # a constant to the tape
        w = y * z
    ga, gb = tape.gradient(w, [a, b])
    assert ga.item() == pytest.approx(3.0 * 20.0)  # d(a*b*20)/da with z held at 20
    assert gb.item() == pytest.approx(2.0 * 20.0)


def test_stop_recording_outside_the_tape_raises():
    tape = gt.GradientTape()
    with pytest.raises(RuntimeError, match="not recording"):
        with tape.stop_recording():
            pass


def test_entering_a_tape_twice_raises():
    tape = gt.GradientTape()
    with tape:
        with pytest.raises(RuntimeError, match="already recording"):
            tape.__enter__()


def test_reset(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = x * x
        tape.reset()
        z = x * x * x
        w = y + z
    assert tape.gradient(w, x).item() == 12.0  # y's op was forgotten: y is a constant


def test_gradient_inside_the_with(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = x * x
        g = tape.gradient(y, x)
    assert g.item() == 4.0


def test_tape_records_only_in_its_thread(device):
    x = gt.Variable(2.0, device=device)
    out = {}

    def worker():
        out["y"] = x * x

    with gt.GradientTape(persistent=True) as tape:
        th = threading.Thread(target=worker)
        th.start()
        th.join(10)
        z = x * 3
    assert tape.gradient(out["y"], x) is None
    assert tape.gradient(z, x).item() == 3.0


def test_tape_and_backward_share_the_engine(device):
    w = gt.Variable([1.0, 2.0], device=device)
    with gt.GradientTape(persistent=True) as tape:
        loss = (w * w).sum()
    g = tape.gradient(loss, w)
    loss.backward()
    np.testing.assert_allclose(_np(g), _np(w.grad))


def test_no_grad_inside_the_tape(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        with gt.no_grad():
            c = x * 5
        y = c * x
    assert tape.gradient(y, x).item() == 10.0


# -- structures -------------------------------------------------------------------------------
def test_sources_as_list_tuple_dict_and_nested(device):
    a = gt.Variable(1.0, device=device)
    b = gt.Variable(2.0, device=device)
    u = gt.Variable(7.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = a * b
    lst = tape.gradient(y, [a, b])
    tup = tape.gradient(y, (a, b))
    dct = tape.gradient(y, {"a": a, "rest": [b, u]})
    assert isinstance(lst, list) and isinstance(tup, tuple)
    assert [t.item() for t in lst] == [2.0, 1.0] == [t.item() for t in tup]
    assert set(dct) == {"a", "rest"} and dct["a"].item() == 2.0
    assert dct["rest"][0].item() == 1.0 and dct["rest"][1] is None
    Pair = collections.namedtuple("Pair", "first second")
    nt = tape.gradient(y, Pair(a, b))
    assert isinstance(nt, Pair) and nt.second.item() == 1.0


def test_unconnected_gradients_zero(device):
    a = gt.Variable([1.0, 2.0], device=device)
    u = gt.Variable([[1.0]], device=device)
    with gt.GradientTape() as tape:
        y = (a * a).sum()
    ga, gu = tape.gradient(y, [a, u], unconnected_gradients="zero")
    assert gu.shape == (1, 1) and _np(gu).tolist() == [[0.0]]
    with pytest.raises(ValueError, match="unconnected_gradients"):
        gt.GradientTape().gradient(y, a, unconnected_gradients="maybe")
    with gt.GradientTape() as tape:  # TensorFlow's enum spelling
        y = (a * a).sum()
    ga2, gu2 = tape.gradient(y, [a, u], unconnected_gradients=gt.UnconnectedGradients.ZERO)
    assert _np(gu2).tolist() == [[0.0]] and _np(ga2).tolist() == _np(ga).tolist()
    with gt.GradientTape() as tape:
        y = (a * a).sum()
    assert tape.gradient(y, u, unconnected_gradients=gt.UnconnectedGradients.NONE) is None


def test_stop_gradient_makes_a_constant(device):
    """d/dx (x * stop_gradient(x)) = x (the stopped factor is a constant), d/dx x**2 = 2x."""
    x = gt.Variable([1.5, -2.0], dtype=gt.float64, device=device)
    with gt.GradientTape() as tape:
        y = (x * gt.stop_gradient(x)).sum()
    assert _np(tape.gradient(y, x)).tolist() == [1.5, -2.0]
    w = gt.tensor([3.0], requires_grad=True, device=device)
    z = gt.stop_gradient(w * 2)
    assert not z.requires_grad and z.grad_fn is None and _np(z).tolist() == [6.0]
    assert _np(gt.stop_gradient([1.0, 2.0])).tolist() == [1.0, 2.0]  # array-likes too


def test_non_scalar_target_is_summed_and_output_gradients(device):
    x = gt.Variable([1.0, 2.0], device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_allclose(_np(tape.gradient(y, x)), [2.0, 4.0])
    g = tape.gradient(y, x, output_gradients=gt.tensor([1.0, 10.0], device=device))
    np.testing.assert_allclose(_np(g), [2.0, 40.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        tape.gradient(y, x, output_gradients=gt.ones(3, device=device))


def test_list_of_targets(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y1 = x * x
        y2 = x * 3
    assert tape.gradient([y1, y2], x).item() == 7.0


def test_target_must_be_float(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = gt.argmax(x * gt.ones(3, device=device))
    with pytest.raises(TypeError, match="float.*int64"):
        tape.gradient(y, x)


def test_sources_must_be_tensors(device):
    x = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = x * x
    with pytest.raises(TypeError, match="sources must be tensors"):
        tape.gradient(y, [x, 3.0])


# -- higher derivatives -------------------------------------------------------------------------
def test_nested_tapes_give_the_second_derivative(device):
    x = gt.Variable(3.0, dtype=gt.float64, device=device)
    with gt.GradientTape() as outer:
        with gt.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert dy.item() == pytest.approx(27.0) and d2y.item() == pytest.approx(18.0)


def test_nested_tapes_with_inner_gradient_inside_its_with(device):
    x = gt.Variable(0.5, dtype=gt.float64, device=device)
    with gt.GradientTape() as outer:
        with gt.GradientTape() as inner:
            y = gt.tanh(x)
            dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    t = np.tanh(0.5)
    assert d2y.item() == pytest.approx(-2 * t * (1 - t * t))


def test_hessian_with_nested_jacobian(device):
    x = gt.Variable([1.0, 2.0], dtype=gt.float64, device=device)
    with gt.GradientTape() as outer:
        with gt.GradientTape() as inner:
            y = (x[0] ** 2) * x[1] + x[1] ** 3  # H = [[2x1, 2x0], [2x0, 6x1]]
        g = inner.gradient(y, x)
    h = outer.jacobian(g, x)
    np.testing.assert_allclose(_np(h), [[4.0, 2.0], [2.0, 12.0]])


# -- Jacobians ----------------------------------------------------------------------------------
def test_jacobian_shape_and_values(device):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2, 3))
    x = gt.Variable(rng.normal(size=3), dtype=gt.float64, device=device)
    w = gt.tensor(a, dtype=gt.float64, device=device)
    with gt.GradientTape() as tape:
        y = gt.matmul(w, x)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 3)
    np.testing.assert_allclose(_np(j), a)


def test_jacobian_of_a_matrix_by_a_matrix(device):
    x = gt.Variable(np.arange(6.0).reshape(2, 3), dtype=gt.float64, device=device)
    with gt.GradientTape() as tape:
        y = x.T * 2
    j = tape.jacobian(y, x)
    assert j.shape == (3, 2, 2, 3)
    expect = np.zeros((3, 2, 2, 3))
    for i in range(3):
        for k in range(2):
            expect[i, k, k, i] = 2.0
    np.testing.assert_allclose(_np(j), expect)


def test_jacobian_of_several_sources_and_unconnected(device):
    a = gt.Variable([1.0, 2.0], device=device)
    b = gt.Variable(3.0, device=device)
    u = gt.Variable([5.0], device=device)
    with gt.GradientTape() as tape:
        y = a * b
    ja, jb, ju = tape.jacobian(y, [a, b, u])
    np.testing.assert_allclose(_np(ja), [[3.0, 0.0], [0.0, 3.0]])
    np.testing.assert_allclose(_np(jb), [1.0, 2.0])
    assert ju is None


def test_jacobian_target_must_be_one_float_tensor(device):
    x = gt.Variable(1.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = x * 2
    with pytest.raises(TypeError, match="tensor"):
        tape.jacobian([y, y], x)


def test_batch_jacobian(device):
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(4, 3))
    x = gt.Variable(xs, dtype=gt.float64, device=device)
    w = rng.normal(size=(3, 2))
    with gt.GradientTape() as tape:
        y = gt.tanh(x @ gt.tensor(w, device=device))
    j = tape.batch_jacobian(y, x)
    assert j.shape == (4, 2, 3)
    d = 1 - np.tanh(xs @ w) ** 2  # (4, 2)
    np.testing.assert_allclose(_np(j), d[:, :, None] * w.T[None], rtol=1e-12)


def test_gradient_of_a_custom_function_on_the_tape(device):
    class Square(gt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = gt.Variable(3.0, device=device)
    with gt.GradientTape() as tape:
        y = Square.apply(x) + x
    assert tape.gradient(y, x).item() == 7.0


def test_persistent_tape_records_a_gradient_taken_inside_it(device):
    # as TensorFlow: the gradient's ops are recorded on the persistent tape itself
    v = gt.Variable(2.0, device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = v * v
        g = tape.gradient(y, v)  # 2v, recorded
        z = g * v                # 2v^2
    np.testing.assert_allclose(_np(tape.gradient(z, v)), 8.0)
    with gt.GradientTape() as tape:  # a non-persistent one does not (it is spent)
        y = v * v
        g = tape.gradient(y, v)
    assert not g.requires_grad


def test_watched_variables_after_the_gradient(device):
    v, w = gt.Variable(2.0, device=device), gt.Variable(3.0, device=device)
    with gt.GradientTape() as tape:
        y = v * w
    before = tape.watched_variables()
    tape.gradient(y, [v, w])  # a non-persistent tape drops its records here
    assert tape.watched_variables() == before and len(before) == 2
    assert before[0] is v and before[1] is w


def test_jacobians_take_tensorflows_arguments(device):
    x = gt.Variable([[1.0, 2.0], [3.0, 4.0]], device=device)
    c = gt.Variable([[1.0, 1.0], [1.0, 1.0]], device=device)
    with gt.GradientTape(persistent=True) as tape:
        y = x * x
    j = tape.jacobian(y, x, parallel_iterations=4, experimental_use_pfor=False)
    assert j.shape == (2, 2, 2, 2)
    b = tape.batch_jacobian(y, x, parallel_iterations=None, experimental_use_pfor=True)
    np.testing.assert_allclose(_np(b), [[[2.0, 0.0], [0.0, 4.0]], [[6.0, 0.0], [0.0, 8.0]]])
    assert tape.batch_jacobian(y, c) is None  # not connected
    z = tape.batch_jacobian(y, c, unconnected_gradients="zero")
    np.testing.assert_allclose(_np(z), np.zeros((2, 2, 2)))
