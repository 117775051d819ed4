"""Joining and splitting: concat/cat, stack, unstack/unbind, split, chunk; round trips and every
error message."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gputensor as gt


def host(t):
    return t.cpu().numpy()


def rand(shape, device, dtype="float32", seed=0):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return a, gt.tensor(a, device=device)


# -- concat -------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concat_matches_numpy(device, axis):
    shapes = [[4, 3, 2], [4, 3, 2], [4, 3, 2]]
    for k, s in enumerate(shapes):
        s[axis] = k + 1
    arrays = [rand(s, device, seed=k) for k, s in enumerate(shapes)]
    got = gt.concat([t for _, t in arrays], axis=axis)
    np.testing.assert_array_equal(host(got), np.concatenate([a for a, _ in arrays], axis=axis))
    assert gt.cat([t for _, t in arrays], dim=axis).shape == got.shape


def test_concat_aliases_promotion_and_inputs(device):
    assert gt.cat is gt.concat and gt.concatenate is gt.concat
    a = gt.tensor([1, 2], device=device)                       # int64
    b = gt.tensor([0.5], dtype=gt.float32, device=device)
    out = gt.concat([a, b])
    assert out.dtype == gt.dtypes.result_type(gt.int64, gt.float32)   # as a + b would
    assert gt.concat([b, b.astype(gt.float16)]).dtype == gt.float32
    assert out.tolist() == [1.0, 2.0, 0.5]
    c = gt.concat((a, [7, 8]))                                 # lists join a tensor's device
    assert c.tolist() == [1, 2, 7, 8] and c.device == a.device
    assert gt.concat([a]).tolist() == [1, 2]
    empty = gt.zeros(0, 2, device=device)
    assert gt.concat([empty, gt.ones(1, 2, device=device)]).shape == (1, 2)


def test_concat_is_a_copy(device):
    a = gt.zeros(2, device=device)
    out = gt.concat([a, a])
    a[0] = 1.0
    assert out.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_concat_errors(device):
    a, b = gt.zeros(2, 3, device=device), gt.zeros(2, 4, device=device)
    with pytest.raises(ValueError, match=r"concat: sizes must match except along axis 0, but "
                                         r"axis 1 has size 3 in tensor 0 \(shape \(2, 3\)\) "
                                         r"and 4 in tensor 1"):
        gt.concat([a, b])
    with pytest.raises(ValueError, match="concat: sizes must match except along axis 1, but "
                                         "axis 0 has size 2"):
        gt.concat([a, gt.zeros(3, 3, device=device)], axis=-1)
    with pytest.raises(ValueError, match="concat: expected a non-empty sequence"):
        gt.concat([])
    with pytest.raises(ValueError, match=r"concat: tensor 1 has 1 dimension\(s\)"):
        gt.concat([a, gt.zeros(3, device=device)])
    with pytest.raises(ValueError, match="concat: zero-dimensional tensors cannot be"):
        gt.concat([gt.tensor(1.0, device=device), gt.tensor(2.0, device=device)])
    with pytest.raises(ValueError, match="concat: axis 2 is out of range"):
        gt.concat([a, a], axis=2)
    with pytest.raises(TypeError, match="concat: expected a sequence of tensors, got a single"):
        gt.concat(a)


# -- stack / unstack ----------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_stack_and_unstack_round_trip(device, axis):
    arrays = [rand((2, 3), device, seed=k) for k in range(4)]
    got = gt.stack([t for _, t in arrays], axis=axis)
    want = np.stack([a for a, _ in arrays], axis=axis)
    np.testing.assert_array_equal(host(got), want)
    parts = gt.unstack(got, axis=axis)
    assert isinstance(parts, list) and len(parts) == 4
    for p, (a, _) in zip(parts, arrays):
        np.testing.assert_array_equal(host(p), a)
    np.testing.assert_array_equal(host(gt.stack(parts, axis=axis)), want)
    assert [host(p).tolist() for p in got.unbind(dim=axis)] == [a.tolist() for a, _ in arrays]


def test_stack_of_scalars_and_unstack_views(device):
    s = gt.stack([gt.tensor(1.0, device=device), gt.tensor(2.0, device=device)])
    assert s.shape == (2,) and s.tolist() == [1.0, 2.0]
    x = gt.zeros(2, 3, device=device)
    rows = gt.unstack(x)
    rows[1][2] = 5.0                       # the pieces are views of x
    assert host(x)[1, 2] == 5.0
    assert rows[0]._version_counter() is x._version_counter()
    assert gt.unstack(gt.zeros(0, 3, device=device)) == []
    assert gt.unbind is gt.unstack


def test_stack_unstack_errors(device):
    a = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape, but "
                                         r"tensor 0 has shape \(2, 3\) and tensor 2 has shape "
                                         r"\(3, 2\)"):
        gt.stack([a, a, gt.zeros(3, 2, device=device)])
    with pytest.raises(ValueError, match="stack: expected a non-empty sequence"):
        gt.stack([])
    with pytest.raises(ValueError, match="stack: axis 3 is out of range"):
        gt.stack([a, a], axis=3)
    with pytest.raises(ValueError, match="unstack: cannot unstack a 0-d tensor"):
        gt.unstack(gt.tensor(1.0, device=device))
    with pytest.raises(ValueError, match="unstack: axis -3 is out of range"):
        gt.unstack(a, axis=-3)


# -- split / chunk --------------------------------------------------------------------------------
def test_split_by_count_and_sizes(device):
    a, x = rand((6, 4), device)
    parts = gt.split(x, 3)
    assert [p.shape for p in parts] == [(2, 4)] * 3
    for p, w in zip(parts, np.split(a, 3)):
        np.testing.assert_array_equal(host(p), w)
    parts = gt.split(x, [1, 0, 3], axis=-1)
    assert [p.shape for p in parts] == [(6, 1), (6, 0), (6, 3)]
    np.testing.assert_array_equal(host(parts[2]), a[:, 1:])
    assert [p.shape for p in x.split([2, -1])] == [(2, 4), (4, 4)]
    assert [p.shape for p in x.split(2, dim=1)] == [(6, 2), (6, 2)]
    np.testing.assert_array_equal(host(gt.concat(gt.split(x, [1, 2, 3]))), a)


def test_split_pieces_are_views(device):
    x = gt.zeros(4, device=device)
    first, second = gt.split(x, 2)
    second[0] = 3.0
    assert x.tolist() == [0.0, 0.0, 3.0, 0.0]
    assert second._version_counter() is x._version_counter()


def test_split_errors(device):
    x = gt.zeros(7, 2, device=device)
    with pytest.raises(ValueError, match="split: cannot split axis 0 of size 7 into 3 equal "
                                         "pieces"):
        gt.split(x, 3)
    with pytest.raises(ValueError, match=r"split: sizes \[3, 3\] sum to 6 but axis 0 has size "
                                         r"7"):
        gt.split(x, [3, 3])
    with pytest.raises(ValueError, match=r"split: sizes \[1, 2\] sum to 3 but axis 1 has size "
                                         r"2"):
        gt.split(x, [1, 2], axis=-1)
    with pytest.raises(ValueError, match=r"split: sizes \[9, -1\] sum to 9 but axis 0"):
        gt.split(x, [9, -1])
    with pytest.raises(ValueError, match="split: sizes must be >= 0 with at most one -1"):
        gt.split(x, [-1, -1, 9])
    with pytest.raises(ValueError, match="split: the number of pieces must be positive"):
        gt.split(x, 0)
    with pytest.raises(ValueError, match="split: cannot split a 0-d tensor"):
        gt.split(gt.tensor(1.0, device=device), 1)
    with pytest.raises(ValueError, match="split: axis 2 is out of range"):
        gt.split(x, 1, axis=2)


@pytest.mark.parametrize("length,chunks", [(5, 3), (6, 4), (6, 3), (1, 4), (7, 7), (0, 3)])
def test_chunk_sizes_like_pytorch(device, length, chunks):
    x = gt.arange(length, device=device)
    parts = x.chunk(chunks)
    size = -(-length // chunks) if length else 0
    want = ([size] * (length // size) + ([length % size] if length % size else [])
            if length else [0] * chunks)
    assert [p.shape[0] for p in parts] == want
    if length:
        assert gt.concat(parts).tolist() == list(range(length))


def test_chunk_along_axis_and_errors(device):
    a, x = rand((3, 5), device)
    parts = gt.chunk(x, 2, dim=-1)
    assert [p.shape for p in parts] == [(3, 3), (3, 2)]
    np.testing.assert_array_equal(host(parts[1]), a[:, 3:])
    assert [p.shape for p in gt.chunk(x, 3, axis=0)] == [(1, 5)] * 3
    with pytest.raises(ValueError, match="chunk: the number of chunks must be positive, got 0"):
        x.chunk(0)
    with pytest.raises(ValueError, match="chunk: cannot chunk a 0-d tensor"):
        gt.chunk(gt.tensor(1.0, device=device), 2)


# -- hypothesis: round trips ---------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=4), st.data())
def test_split_concat_and_unstack_stack_round_trips(shape, data):
    a = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    t = gt.tensor(a)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[axis]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=3)))
    sizes = np.diff([0] + cuts + [n]).tolist()
    parts = gt.split(t, sizes, axis=axis)
    for p, w in zip(parts, np.split(a, cuts, axis=axis)):
        np.testing.assert_array_equal(host(p), w)
    np.testing.assert_array_equal(host(gt.concat(parts, axis=axis)), a)
    if n:
        np.testing.assert_array_equal(host(gt.stack(gt.unstack(t, axis), axis)), a)
        chunks = data.draw(st.integers(1, n + 1))
        np.testing.assert_array_equal(host(gt.concat(t.chunk(chunks, axis), axis)), a)
