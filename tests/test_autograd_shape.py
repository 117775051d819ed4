"""Gradients of the movement, indexing and joining rows (ops/movement.py, ops/join.py) beyond
the table-driven gradcheck: duplicate indices accumulate, views and slices, the multi-output
rows when only some outputs are used, every pad mode, and the saved index safety paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gputensor as gt
from gputensor.ops import OPS, apply
from testkit import host, leaf, rng


def grad_of(fn, x, upstream):
    """x.grad after fn(x).backward(upstream) (a fresh leaf each time)."""
    out = fn(x)
    out.backward(gt.tensor(upstream, dtype=out.dtype, device=x.device))
    return host(x.grad)


def check(fn, x_np, device, np_fn=None):
    """The gradient of fn at x_np for a random upstream gradient equals J^T g, with the
    Jacobian of the (linear) map np_fn (default: fn on NumPy) built column by column."""
    np_fn = np_fn or fn
    out_shape = np.shape(np_fn(x_np))
    g = rng(1).standard_normal(out_shape)
    got = grad_of(fn, leaf(x_np, device), g)
    want = np.zeros(x_np.size)
    for k in range(x_np.size):  # each input element's one-hot, through the map
        e = np.zeros(x_np.size)
        e[k] = 1
        want[k] = np.sum(np.asarray(np_fn(e.reshape(x_np.shape))) * g)
    np.testing.assert_allclose(got.reshape(-1), want, rtol=1e-12, atol=1e-12)


# -- advanced indexing: duplicates accumulate -------------------------------------------------
def test_duplicate_indices_accumulate(device):
    x = leaf(np.arange(5.0), device)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(host(x.grad), [2, 1, 0, 0, 0])
    x.grad = None
    x[gt.tensor([4, -1, 4], device=device)].sum().backward()  # -1 is 4 too
    np.testing.assert_array_equal(host(x.grad), [0, 0, 0, 0, 3])


@pytest.mark.parametrize("index", [
    ([0, 2, 0, 0],),
    (slice(None), [1, 1, 0]),
    ([[0, 1], [1, 1]], [2, 2]),
    (Ellipsis, [3, -1]),
    ([2, 0, 2], slice(1, None)),
    (None, [1, 1], None),
    (np.array([True, False, True]),),
    (np.array([True, False, True]), [0, 0]),
    (1, [0, 0, 3]),
])
def test_advanced_indexing_gradient_matches_add_at(device, index):
    a = rng().standard_normal((3, 4))
    np_index = tuple(np.asarray(i) if isinstance(i, list) else i for i in index)
    check(lambda t: t[index], a, device, lambda v: v[np_index])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_integer_indices_accumulate_like_add_at(data):
    n, m = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    rows = data.draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=8))
    cols = data.draw(st.sampled_from([None, "slice", "array"]))
    a = rng().standard_normal((n, m))
    rows_np = np.array(rows, dtype=np.int64)
    if cols == "array":
        c = np.array(data.draw(st.lists(st.integers(0, m - 1), min_size=len(rows),
                                        max_size=len(rows))), dtype=np.int64)
        index = (rows_np, c)
    elif cols == "slice":
        index = (rows_np, slice(None, None, -1))
    else:
        index = (rows_np,)
    g = rng(1).standard_normal(a[index].shape)
    want = np.zeros_like(a)
    np.add.at(want, index, g)
    x = leaf(a, "cpu")
    out = x[tuple(gt.tensor(i) if isinstance(i, np.ndarray) else i for i in index)]
    out.backward(gt.tensor(g))
    np.testing.assert_allclose(host(x.grad), want, rtol=1e-12, atol=1e-12)


def test_basic_indexing_and_views(device):
    a = rng().standard_normal((4, 5))
    for index in [(1,), (slice(1, None), slice(None, None, 2)), (Ellipsis, None),
                  (slice(None, None, -1),), (slice(-1, 0, -2), 3), (None, 2, slice(1, 3))]:
        check(lambda t: t[index], a, device, lambda v: v[index])
    check(lambda t: t.T, a, device, lambda v: v.T)
    check(lambda t: t.view(5, 4), a, device, lambda v: v.reshape(5, 4))
    check(lambda t: t.T.reshape(-1), a, device, lambda v: v.T.reshape(-1))  # a copy
    check(lambda t: t.ravel(), a, device, np.ravel)
    check(lambda t: t.flatten(), a, device, lambda v: v.flatten())
    check(lambda t: t[None].squeeze(0), a, device, lambda v: v)
    check(lambda t: t.unsqueeze(-1), a, device, lambda v: v[..., None])


def test_gradient_through_a_slice_of_a_view(device):
    x = leaf(np.zeros((3, 4)), device)
    y = x.T[1:, ::2]                       # a view of a view
    y.backward(gt.ones(y.shape, dtype=gt.float64, device=device))
    want = np.zeros((3, 4))
    want.T[1:, ::2] = 1
    np.testing.assert_array_equal(host(x.grad), want)


def test_false_index_gives_zero_gradient(device):
    x = leaf(np.ones(3), device)
    y = x[False]
    assert y.shape == (0, 3)
    y.backward(gt.zeros((0, 3), dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), np.zeros(3))
    x.grad = None
    x[True].backward(gt.ones((1, 3), dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), np.ones(3))


def test_index_changed_after_getitem_does_not_change_the_gradient(device):
    """getitem keeps its own copy of index arrays while recording."""
    x = leaf(np.arange(4.0), device)
    idx = gt.tensor([0, 0, 1], device=device)
    y = x[idx]
    idx[0] = 3                             # in place, after the forward
    y.backward(gt.ones(3, dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), [2, 1, 0, 0])
    host_idx = np.array([2, 2])
    y = x[host_idx]
    host_idx[:] = 0
    x.grad = None
    y.backward(gt.ones(2, dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), [0, 0, 2, 0])


def test_scatter_add_is_twice_differentiable(device):
    """The gradient of indexing is itself recorded (create_graph): its own vjp is getitem."""
    x = leaf(np.arange(4.0), device)
    y = x[[0, 0, 3]]
    v = leaf([1.0, 2.0, 3.0], device)
    (gx,) = gt.autograd.grad(y, x, grad_outputs=v, create_graph=True)
    np.testing.assert_array_equal(host(gx), [3, 0, 0, 3])
    assert gx.grad_fn is not None and gx.grad_fn.name() == "ScatterAddBackward"
    w = gt.tensor([10.0, 20.0, 30.0, 40.0], device=device)
    (gv,) = gt.autograd.grad(gx, v, grad_outputs=w)
    np.testing.assert_array_equal(host(gv), [10, 10, 40])  # w at the indices


# -- gather, take ------------------------------------------------------------------------
def test_gather_and_take_accumulate(device):
    a = rng().standard_normal((3, 4))
    idx = np.array([[0, 0, 3], [1, 1, 1], [2, 0, 2]])
    check(lambda t: gt.gather(t, 1, gt.tensor(idx, device=device)), a, device,
          lambda v: np.take_along_axis(v, idx, axis=1))
    idx0 = np.array([[2, 2, 0, 1]])        # broadcasts over nothing: dim 0 gather
    check(lambda t: gt.gather(t, 0, gt.tensor(idx0, device=device)), a, device,
          lambda v: np.take_along_axis(v, idx0, axis=0))
    col = np.array([[1, 1], [0, 0], [2, 1]])
    b = rng(2).standard_normal((3, 1))     # x broadcasts along dim 1 against the index
    check(lambda t: gt.gather(t, 0, gt.tensor(col, device=device)), b, device,
          lambda v: np.take_along_axis(v, col, axis=0))
    flat = np.array([[0, 11], [11, -1]])
    check(lambda t: gt.take(t, gt.tensor(flat, device=device)), a, device,
          lambda v: np.take(v, flat))
    check(lambda t: gt.take(t, [3, 3, 0], axis=1), a, device,
          lambda v: np.take(v, [3, 3, 0], axis=1))
    check(lambda t: gt.take(t, gt.tensor(2, device=device), axis=0), a, device,
          lambda v: np.take(v, 2, axis=0))


@pytest.mark.parametrize("op", ["take", "gather"])
def test_saved_indices_changed_in_place_make_backward_raise(device, op):
    x = leaf(np.arange(4.0), device)
    idx = gt.tensor([0, 0, 1], device=device)
    y = gt.take(x, idx) if op == "take" else gt.gather(x, 0, idx)
    idx[0] = 3
    with pytest.raises(RuntimeError, match=f"'{op}' was modified by an in-place operation"):
        y.backward(gt.ones(3, dtype=gt.float64, device=device))
    assert x.grad is None


# -- shape rows -------------------------------------------------------------------------------
def test_permutations_and_broadcasts(device):
    a = rng().standard_normal((2, 3, 4))
    check(lambda t: gt.transpose(t, (2, 0, 1)), a, device, lambda v: v.transpose(2, 0, 1))
    check(lambda t: t.permute(1, 2, 0), a, device, lambda v: v.transpose(1, 2, 0))
    check(lambda t: t.transpose(), a, device, lambda v: v.transpose())
    check(lambda t: t.swapaxes(0, -1), a, device, lambda v: v.swapaxes(0, -1))
    check(lambda t: gt.moveaxis(t, (0, 1), (2, 0)), a, device,
          lambda v: np.moveaxis(v, (0, 1), (2, 0)))
    b = rng().standard_normal((3, 1))
    check(lambda t: t.expand(2, -1, 4), b, device, lambda v: np.broadcast_to(v, (2, 3, 4)))
    check(lambda t: gt.broadcast_to(t, (3, 5)), b, device, lambda v: np.broadcast_to(v, (3, 5)))


def test_tile_repeat_flip_roll(device):
    a = rng().standard_normal((2, 3))
    for reps in [(2,), (2, 1, 3), (3, 2), (1,), (0, 2)]:
        check(lambda t: t.tile(reps), a, device, lambda v: np.tile(v, reps))
    for repeats, axis in [(2, None), (3, 1), (2, -2), ((1, 0, 2), 1), ((2, 1), 0),
                          ((0, 1, 2, 0, 1, 3), None)]:
        check(lambda t: gt.repeat(t, repeats, axis=axis), a, device,
              lambda v: np.repeat(v, repeats, axis=axis))
    check(lambda t: t.flip(), a, device, np.flip)
    check(lambda t: t.flip(-1), a, device, lambda v: np.flip(v, -1))
    for shift, axis in [(2, None), (-1, 1), ((1, 5), (0, 1)), (7, 0)]:
        check(lambda t: t.roll(shift, axis), a, device, lambda v: np.roll(v, shift, axis))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("pad_width", [((1, 2), (0, 3)), 2, ((5, 4), (1, 0))])
def test_pad_gradient_every_mode(device, mode, pad_width):
    """Modes that copy an input element several times add the copies' gradients up."""
    a = rng().standard_normal((3, 2))
    check(lambda t: gt.pad(t, pad_width, mode=mode), a, device,
          lambda v: np.pad(v, pad_width, mode=mode))


def test_pad_constant_values_take_no_gradient(device):
    x = leaf(np.ones((2, 2)), device)
    y = gt.pad(x, 1, constant_values=7.0)
    y.backward(gt.ones((4, 4), dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), np.ones((2, 2)))


def test_tf_slice_and_copies(device):
    a = rng().standard_normal((3, 4))
    check(lambda t: gt.slice(t, [1, 1], [-1, 2]), a, device, lambda v: v[1:, 1:3])
    check(lambda t: t.contiguous(), a, device, lambda v: v)
    check(lambda t: t.T.contiguous(), a, device, lambda v: v.T)
    check(lambda t: t.clone(), a, device, lambda v: v)


def test_to_device_sends_the_gradient_back(device):
    """The transfer row's gradient goes to its ``src`` device (same-device call: the row)."""
    x = leaf([1.0, 2.0], device)
    dev = x.device
    y = apply(OPS["to_device"], x, device=dev, src=dev)
    y.backward(gt.tensor([3.0, 4.0], dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), [3, 4])
    assert x.grad.device == dev


@pytest.mark.gpu
def test_cuda_transfer_gradient_returns_to_the_cpu():
    if not gt.cuda.is_available():
        pytest.skip("needs a CUDA device")
    x = leaf([1.0, 2.0], "cpu")
    y = x.cuda()
    y.backward(gt.tensor([3.0, 4.0], dtype=gt.float64, device="cuda"))
    assert x.grad.device == gt.device("cpu")
    np.testing.assert_array_equal(host(x.grad), [3, 4])


# -- join rows ----------------------------------------------------------------------------------
def test_concat_and_stack_slice_the_gradient_back(device):
    a, b = leaf(np.zeros((2, 3)), device), leaf(np.zeros((1, 3)), device)
    g = rng().standard_normal((3, 3))
    gt.concat([a, b]).backward(gt.tensor(g, device=device))
    np.testing.assert_array_equal(host(a.grad), g[:2])
    np.testing.assert_array_equal(host(b.grad), g[2:])
    a.grad = b.grad = None
    g = rng().standard_normal((2, 3, 2))
    gt.stack([a, a], axis=-1).backward(gt.tensor(g, device=device))  # same input twice: adds
    np.testing.assert_allclose(host(a.grad), g[..., 0] + g[..., 1], rtol=1e-15)
    # a constant (no grad) among the inputs
    c = gt.zeros((2, 3), dtype=gt.float64, device=device)
    a.grad = None
    gt.concat([c, a], axis=1).backward(gt.ones((2, 6), dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(a.grad), np.ones((2, 3)))


def test_split_when_only_some_outputs_are_used(device):
    x = leaf(np.zeros((6, 2)), device)
    pieces = gt.split(x, [1, 2, 3])
    pieces[1].backward(gt.full((2, 2), 5.0, dtype=gt.float64, device=device))
    want = np.zeros((6, 2))
    want[1:3] = 5
    np.testing.assert_array_equal(host(x.grad), want)
    # two pieces into one loss: the unused piece's slot is zeros
    x.grad = None
    out = gt.concat([pieces[2], pieces[0]])
    out.backward(gt.ones((4, 2), dtype=gt.float64, device=device))
    want = np.ones((6, 2))
    want[1:3] = 0
    np.testing.assert_array_equal(host(x.grad), want)


def test_chunk_and_single_piece_split(device):
    x = leaf(np.zeros(5), device)
    gt.chunk(x, 3)[2].backward(gt.ones(1, dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), [0, 0, 0, 0, 1])
    x.grad = None
    (only,) = gt.split(x, 1)               # a split with one piece: one output
    only.backward(gt.full((5,), 2.0, dtype=gt.float64, device=device))
    np.testing.assert_array_equal(host(x.grad), np.full(5, 2.0))


def test_unstack_round_trip(device):
    x = leaf(np.zeros((2, 3, 4)), device)
    parts = gt.unstack(x, axis=1)
    assert len(parts) == 3
    parts[2].backward(gt.ones((2, 4), dtype=gt.float64, device=device))
    want = np.zeros((2, 3, 4))
    want[:, 2] = 1
    np.testing.assert_array_equal(host(x.grad), want)
    x.grad = None
    y = gt.stack(gt.unstack(x, axis=-1)[::-1], axis=-1)    # reversed along the last axis
    g = rng().standard_normal((2, 3, 4))
    y.backward(gt.tensor(g, device=device))
    np.testing.assert_array_equal(host(x.grad), g[..., ::-1])



def test_join_gradients_keep_input_dtypes(device):
    a = gt.tensor([1.0, 2.0], dtype=gt.float32, device=device, requires_grad=True)
    b = gt.tensor([3.0], dtype=gt.float64, device=device, requires_grad=True)
    gt.concat([a, b]).backward(gt.ones(3, dtype=gt.float64, device=device))
    assert a.grad.dtype == gt.float32 and b.grad.dtype == gt.float64
