"""Shape ops and views: reshape/view/flatten/ravel, squeeze/unsqueeze, transposes, broadcasting,
tile/repeat/flip/roll/pad/slice, gather/take; memory sharing and every error path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gputensor as gt
from gputensor.ops.movement import _viewable


def host(t):
    return t.cpu().numpy()


def arange(shape, device, dtype="float32"):
    n = int(np.prod(shape))
    return gt.tensor(np.arange(n, dtype=dtype).reshape(shape), device=device)


# -- view and reshape ---------------------------------------------------------------------
def test_view_shares_memory_both_directions(device):
    base = arange((6,), device)
    v = base.view(2, 3)
    v[0, 1] = 100.0                      # write through the view: the base sees it
    assert host(base)[1] == 100.0
    base[5] = -1.0                       # write through the base: the view sees it
    assert host(v)[1, 2] == -1.0
    assert v._version_counter() is base._version_counter()


def test_view_of_non_contiguous_raises_runtime_error(device):
    t = arange((2, 3), device).T
    with pytest.raises(RuntimeError, match=r"reshape.*contiguous") as e:
        t.view(6)
    assert "(3, 2)" in str(e.value) and "(6,)" in str(e.value)
    assert t.contiguous().view(6).tolist() == [0, 3, 1, 4, 2, 5]
    assert t.reshape(6).tolist() == [0, 3, 1, 4, 2, 5]


def test_view_of_strided_tensor_when_layout_allows(device):
    base = arange((4, 6), device)
    t = base[::2]                        # non-contiguous, but each row is contiguous
    assert not t.is_contiguous()
    v = t.view(2, 2, 3)
    v[1, 0, 0] = 99.0
    assert host(base)[2, 0] == 99.0


def test_reshape_of_transpose_is_a_copy(device):
    x = arange((2, 3), device)
    r = x.T.reshape(-1)
    x[0, 0] = 50.0
    assert host(r)[0] == 0.0
    assert r._version is None or r._version is not x._version
    np.testing.assert_array_equal(host(r), np.arange(6.0).reshape(2, 3).T.reshape(-1))


def test_reshape_of_contiguous_is_a_view(device):
    x = arange((2, 3), device)
    r = gt.reshape(x, (3, 2))
    x[1, 2] = 7.0
    assert host(r)[2, 1] == 7.0
    assert r._version_counter() is x._version_counter()


def test_reshape_spellings_and_inference(device):
    x = arange((2, 3, 4), device)
    assert x.reshape(4, -1).shape == (4, 6)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.reshape([-1]).shape == (24,)
    assert gt.reshape(x, shape=(2, 12)).shape == (2, 12)
    assert gt.reshape(x, -1, 2).shape == (12, 2)
    assert x[0, 0, 0].reshape(1, 1).shape == (1, 1)
    assert gt.zeros(0, 3, device=device).reshape(3, 0, 5).shape == (3, 0, 5)


def test_reshape_errors(device):
    x = arange((2, 3), device)
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match=r"reshape: .*\(2, 3\).*\(4, -1\)"):
        x.reshape(4, -1)
    with pytest.raises(ValueError, match="at most one -1"):
        x.reshape(-1, -1)
    with pytest.raises(ValueError, match=">= 0"):
        x.reshape(-2, -3)
    with pytest.raises(ValueError, match=r"view: .*\(2, 3\).*\(5,\)"):
        x.view(5)
    with pytest.raises(TypeError, match="reshape: shape must be"):
        x.reshape(2.0, 3)
    with pytest.raises(TypeError, match="not both"):
        gt.reshape(x, 6, shape=(6,))


def test_flatten_and_ravel(device):
    x = arange((2, 3, 4), device)
    a = np.arange(24.0).reshape(2, 3, 4)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert x.flatten(-2, -1).shape == (2, 12)
    np.testing.assert_array_equal(host(x.flatten(1)), a.reshape(2, 12))
    assert gt.tensor(3.0, device=device).flatten().shape == (1,)
    f = x.flatten()                      # NumPy's flatten: always a copy
    x[0, 0, 0] = 9.0
    assert host(f)[0] == 0.0
    r = x.ravel()                        # ravel: a view of a contiguous tensor
    x[0, 0, 1] = 8.0
    assert host(r)[1] == 8.0
    np.testing.assert_array_equal(host(x.T.ravel()), host(x).T.ravel())
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match="flatten: axis 3 is out of range"):
        x.flatten(3)


# -- squeeze / unsqueeze / expand_dims -----------------------------------------------------
def test_squeeze(device):
    x = gt.zeros(1, 3, 1, 2, device=device)
    assert x.squeeze().shape == (3, 2)
    assert x.squeeze(0).shape == (3, 1, 2)
    assert x.squeeze(-2).shape == (1, 3, 2)
    assert x.squeeze((0, 2)).shape == (3, 2)
    assert gt.squeeze(x, dim=2).shape == (1, 3, 2)
    assert gt.squeeze(x, axis=(-4, -2)).shape == (3, 2)
    s = x.squeeze()
    x[0, 1, 0, 1] = 4.0
    assert host(s)[1, 1] == 4.0           # a view


def test_squeeze_errors(device):
    x = gt.zeros(1, 3, device=device)
    with pytest.raises(ValueError, match=r"squeeze: cannot squeeze axis 1 .*size is 3"):
        x.squeeze(1)
    with pytest.raises(ValueError, match=r"squeeze: cannot squeeze axis 1 .*size is 3"):
        x.squeeze(-1)
    with pytest.raises(ValueError, match="squeeze: axis 2 is out of range"):
        x.squeeze(2)
    with pytest.raises(IndexError, match="squeeze: axis -3 is out of range"):
        x.squeeze(-3)
    with pytest.raises(ValueError, match="repeated axis"):
        x.squeeze((0, -2))
    with pytest.raises(TypeError, match="both"):
        gt.squeeze(x, 0, dim=0)


@pytest.mark.parametrize("axis", [-3, -2, -1, 0, 1, 2, (0, -1), (-1, -2)])
def test_unsqueeze_and_expand_dims_match_numpy(device, axis):
    x = arange((2, 3), device)
    want = np.expand_dims(np.arange(6.0).reshape(2, 3), axis)
    assert gt.expand_dims(x, axis).shape == want.shape
    if isinstance(axis, int):
        assert x.unsqueeze(axis).shape == want.shape
        assert gt.unsqueeze(x, dim=axis).shape == want.shape
    assert gt.unsqueeze is gt.expand_dims


def test_unsqueeze_errors(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"expand_dims: axis 3 is out of range .*3 dim"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match=r"expand_dims: axis -4 is out of range"):
        x.unsqueeze(-4)
    with pytest.raises(TypeError, match="expand_dims: missing the axis"):
        gt.expand_dims(x)


# -- transposes ----------------------------------------------------------------------------
def test_transpose_numpy_and_pytorch_forms(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(gt.transpose(x)), a.transpose())
    np.testing.assert_array_equal(host(gt.transpose(x, (1, 2, 0))), a.transpose(1, 2, 0))
    np.testing.assert_array_equal(host(gt.transpose(x, axes=(2, 0, 1))), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(host(x.transpose(1, 2, 0)), a.transpose(1, 2, 0))
    np.testing.assert_array_equal(host(x.transpose(0, 2)), a.swapaxes(0, 2))      # swap
    np.testing.assert_array_equal(host(x.transpose(-1, 0)), a.swapaxes(-1, 0))
    m = gt.tensor(a[0], device=device)
    np.testing.assert_array_equal(host(m.transpose(0, 1)), a[0].T)               # swap
    np.testing.assert_array_equal(host(x.permute(2, 0, 1)), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(host(x.permute((2, 0, 1))), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(host(x.permute(-1, 0, 1)), a.transpose(2, 0, 1))
    np.testing.assert_array_equal(host(x.swapaxes(0, -1)), a.swapaxes(0, -1))
    np.testing.assert_array_equal(host(x.swapdims(1, 2)), a.swapaxes(1, 2))
    np.testing.assert_array_equal(host(x.moveaxis(0, -1)), np.moveaxis(a, 0, -1))
    np.testing.assert_array_equal(host(x.movedim((0, 1), (2, 0))),
                                  np.moveaxis(a, (0, 1), (2, 0)))
    np.testing.assert_array_equal(host(x.T), a.T)                                # reverses
    np.testing.assert_array_equal(host(x.mT), a.swapaxes(-1, -2))
    np.testing.assert_array_equal(host(m.T), a[0].T)
    np.testing.assert_array_equal(host(m.t()), a[0].T)                           # PyTorch's t()
    np.testing.assert_array_equal(host(x[0, 0].t()), a[0, 0])                    # 1-D: as is
    assert gt.swapdims is gt.swapaxes and gt.movedim is gt.moveaxis


def test_transpose_is_a_view(device):
    x = arange((2, 3), device)
    t = x.T
    t[2, 1] = 42.0
    assert host(x)[1, 2] == 42.0
    assert t._version_counter() is x._version_counter()


def test_transpose_errors(device):
    x = gt.zeros(2, 3, 4, device=device)
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0, 1\) are not a permutation"):
        x.transpose((0, 0, 1))
    with pytest.raises(ValueError, match=r"permute: axes \(1, 0\) are not a permutation"):
        x.permute(1, 0)
    with pytest.raises(ValueError, match="swapaxes: axis 3 is out of range"):
        x.swapaxes(0, 3)
    with pytest.raises(ValueError, match="moveaxis: source .* same number"):
        x.moveaxis((0, 1), 2)
    with pytest.raises(ValueError, match=r"mT: needs a tensor of at least 2 dimensions.*\(3,\)"):
        gt.zeros(3, device=device).mT
    with pytest.raises(ValueError, match=r"t: expects a tensor of at most 2 dimensions, got "
                                         r"shape \(2, 3, 4\)"):
        x.t()


# -- broadcast_to / expand -----------------------------------------------------------------
def test_broadcast_to_and_expand(device):
    a = np.arange(3.0).reshape(3, 1)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(x.broadcast_to((2, 3, 4))), np.broadcast_to(a, (2, 3, 4)))
    np.testing.assert_array_equal(host(x.expand(2, -1, 4)), np.broadcast_to(a, (2, 3, 4)))
    np.testing.assert_array_equal(host(x.expand((3, 5))), np.broadcast_to(a, (3, 5)))
    e = x.expand(3, 4)
    x[1, 0] = 9.0
    assert host(e)[1].tolist() == [9.0] * 4


def test_broadcast_errors(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"broadcast_to: .*\(2, 3\) to \(4, 3\).*axis 0 has "
                                         r"size 2"):
        x.broadcast_to((4, 3))
    with pytest.raises(ValueError, match="fewer dimensions"):
        x.broadcast_to((3,))
    with pytest.raises(ValueError, match=r"expand: .*axis 1 has size 3"):
        x.expand(2, 4)
    with pytest.raises(ValueError, match="expand: -1 is not allowed for the new leading axis 0"):
        x.expand(-1, 2, 3)
    with pytest.raises(ValueError, match="expand: 1 sizes given"):
        x.expand(3)


# -- tile, repeat, flip, roll, pad, slice ---------------------------------------------------
def test_tile_and_repeat_follow_numpy(device):
    a = np.arange(6.0).reshape(2, 3)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(x.tile(2)), np.tile(a, 2))
    np.testing.assert_array_equal(host(gt.tile(x, (2, 1, 3))), np.tile(a, (2, 1, 3)))
    np.testing.assert_array_equal(host(x.tile(2, 2)), np.tile(a, (2, 2)))
    np.testing.assert_array_equal(host(x.repeat(2)), np.repeat(a, 2))
    np.testing.assert_array_equal(host(x.repeat(2, axis=0)), np.repeat(a, 2, axis=0))
    np.testing.assert_array_equal(host(x.repeat([1, 0, 3], dim=-1)),
                                  np.repeat(a, [1, 0, 3], axis=-1))
    np.testing.assert_array_equal(host(x.repeat_interleave([2], 0)), np.repeat(a, [2], 0))
    assert gt.repeat_interleave is gt.repeat


def test_tile_repeat_errors(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match="tile: reps must be >= 0"):
        x.tile(-1)
    with pytest.raises(ValueError, match="repeat: repeats must be >= 0"):
        x.repeat(-2)
    with pytest.raises(ValueError, match="repeat: 2 repeat counts given for axis 1 of size 3"):
        x.repeat([1, 2], axis=1)
    with pytest.raises(ValueError, match="repeat: 2 repeat counts given for elements 6"):
        x.repeat([1, 2])


def test_flip_and_roll(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(x.flip()), np.flip(a))
    np.testing.assert_array_equal(host(x.flip(0)), np.flip(a, 0))
    np.testing.assert_array_equal(host(x.flip((0, -1))), np.flip(a, (0, -1)))
    np.testing.assert_array_equal(host(x.flip(dims=[1])), np.flip(a, 1))
    np.testing.assert_array_equal(host(x.roll(3)), np.roll(a, 3))
    np.testing.assert_array_equal(host(x.roll(-1, 2)), np.roll(a, -1, 2))
    np.testing.assert_array_equal(host(x.roll((1, 2), (0, -1))), np.roll(a, (1, 2), (0, -1)))
    np.testing.assert_array_equal(host(gt.roll(x, 1, axis=(0, 1))), np.roll(a, 1, (0, 1)))
    np.testing.assert_array_equal(host(x.roll(shifts=2, dims=1)), np.roll(a, 2, 1))
    f = x.flip(0)                        # a view
    x[0, 0, 0] = -5.0
    assert host(f)[1, 0, 0] == -5.0
    with pytest.raises(ValueError, match="roll: a tuple of shifts"):
        x.roll((1, 2))
    with pytest.raises(ValueError, match="roll: 3 shifts given for 2 axes"):
        x.roll((1, 2, 3), (0, 1))
    with pytest.raises(ValueError, match="flip: axis 3 is out of range"):
        x.flip(3)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_match_numpy(device, mode):
    a = np.arange(12.0).reshape(3, 4)
    x = gt.tensor(a, device=device)
    for width in (1, (1, 2), ((2, 1), (0, 3)), [[1, 1]]):
        np.testing.assert_array_equal(host(gt.pad(x, width, mode=mode)),
                                      np.pad(a, width, mode=mode))
    np.testing.assert_array_equal(host(gt.pad(x, 1, constant_values=-1.5)),
                                  np.pad(a, 1, constant_values=-1.5))


def test_pad_errors(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"pad: pad_width .*F\.pad tuple is not accepted"):
        gt.pad(x, (1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"pad: pad_width .*2 pairs for shape \(2, 3\)"):
        gt.pad(x, ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="pad: pad widths must be >= 0"):
        gt.pad(x, -1)
    with pytest.raises(ValueError, match="pad: unknown mode 'mirror'"):
        gt.pad(x, 1, mode="mirror")
    with pytest.raises(TypeError, match="pad: constant_values must be a number"):
        gt.pad(x, 1, constant_values=(1, 2))


def test_tf_slice(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(gt.slice(x, [1, 0, 1], [1, 2, 3])), a[1:2, 0:2, 1:4])
    np.testing.assert_array_equal(host(gt.slice(x, (0, 1, 2), (-1, -1, -1))), a[:, 1:, 2:])
    s = gt.slice(x, [0, 0, 0], [1, 1, 1])   # a view
    x[0, 0, 0] = 77.0
    assert host(s).item() == 77.0
    with pytest.raises(ValueError, match=r"slice: begin \(0, 0\) and size .* one entry per axis"):
        gt.slice(x, [0, 0], [1, 1])
    with pytest.raises(ValueError, match="slice: begin 4 is out of range for axis 1 of size 3"):
        gt.slice(x, [0, 4, 0], [1, 1, 1])
    with pytest.raises(ValueError, match="slice: size 3 at begin 1 runs past axis 1 of size 3"):
        gt.slice(x, [0, 1, 0], [1, 3, 1])


# -- gather / take ---------------------------------------------------------------------------
def test_gather_matches_take_along_axis(device):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    x = gt.tensor(a, device=device)
    for dim in (0, 1, 2, -1):
        n = a.shape[dim]
        shape = list(a.shape)
        shape[dim] = 3
        idx = rng.integers(-n, n, size=shape)
        got = gt.gather(x, dim, gt.tensor(idx, device=device))
        np.testing.assert_array_equal(host(got), np.take_along_axis(a, idx, axis=dim))
        np.testing.assert_array_equal(host(x.gather(dim, gt.tensor(idx, device=device))),
                                      np.take_along_axis(a, idx, axis=dim))
    # the indices keep their dtype (int32 here), the data its own
    idx32 = gt.tensor(np.array([[0], [3], [1], [2]], np.int32), device=device)
    out = gt.gather(x[:, :, 0], 1, idx32)
    assert out.dtype == gt.float32 and out.shape == (4, 1)


def test_take_matches_numpy(device):
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = gt.tensor(a, device=device)
    np.testing.assert_array_equal(host(gt.take(x, [0, 11, -1])), np.take(a, [0, 11, -1]))
    np.testing.assert_array_equal(host(x.take(gt.tensor([[1, 2]], device=device), axis=1)),
                                  np.take(a, [[1, 2]], axis=1))
    np.testing.assert_array_equal(host(gt.take(x, 2, axis=0)), np.take(a, 2, axis=0))
    assert gt.take(x, [], axis=0).shape == (0, 4)


def test_gather_take_errors(device):
    x = gt.zeros(3, 4, device=device)
    with pytest.raises(IndexError, match="gather: index 4 is out of bounds for axis 1 with "
                                         "size 4"):
        gt.gather(x, 1, gt.tensor([[4]], device=device))
    with pytest.raises(IndexError, match="gather: index -4 is out of bounds for axis 0"):
        gt.gather(x, 0, gt.tensor([[-4]], device=device))
    with pytest.raises(IndexError, match="gather: indices must be an integer tensor.*float32"):
        gt.gather(x, 1, gt.tensor([[1.0]], device=device))
    with pytest.raises(ValueError, match=r"gather: index of shape \(2,\) has 1 dimension"):
        gt.gather(x, 0, gt.tensor([0, 1], device=device))
    with pytest.raises(IndexError, match="take: index 12 is out of bounds for the flattened "
                                         "tensor with size 12"):
        gt.take(x, [12])
    with pytest.raises(IndexError, match="take: index -4 is out of bounds for axis 0 with "
                                         "size 3"):
        gt.take(x, [-4], axis=0)
    with pytest.raises(IndexError, match="take: indices must be an integer tensor.*bool"):
        gt.take(x, [True, False])
    with pytest.raises(ValueError, match="take: axis 2 is out of range"):
        gt.take(x, [0], axis=2)


# -- hypothesis: view rule, reshape/transpose round trips ------------------------------------
@st.composite
def strided_arrays(draw):
    """A NumPy view with an arbitrary layout (slices with steps, transposes), and a shape
    with its number of elements."""
    shape = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    a = np.arange(int(np.prod(shape)) * 8, dtype=np.float32)[:int(np.prod(shape))]
    a = a.reshape(shape)
    if a.ndim:
        perm = draw(st.permutations(range(a.ndim)))
        a = a.transpose(perm)
        idx = tuple(slice(None, None, draw(st.sampled_from([1, 1, 2, -1]))) for _ in a.shape)
        a = a[idx]
    n = a.size
    factors = [d for d in range(1, n + 1) if n % d == 0]
    new, left = [], n
    for _ in range(draw(st.integers(0, 3))):
        d = draw(st.sampled_from([f for f in factors if left % f == 0]))
        new.append(d)
        left //= d
    new.append(left)
    if draw(st.booleans()):
        new.insert(draw(st.integers(0, len(new))), 1)
    return a, tuple(new)


@pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.1.0",
                    reason="np.reshape(copy=False) needs NumPy 2.1")
@settings(max_examples=150, deadline=None)
@given(strided_arrays())
def test_view_rule_agrees_with_numpy(case):
    a, new = case
    try:
        np.reshape(a, new, copy=False)
        numpy_can = True
    except ValueError:
        numpy_can = False
    ok = _viewable(a.shape, a.strides, new)
    if ok:  # the promise view() relies on: NumPy's reshape then returns a view
        assert np.shares_memory(a.reshape(new), a) or a.size == 0
    assert ok == numpy_can


@settings(max_examples=60, deadline=None)
@given(strided_arrays())
def test_view_and_reshape_against_numpy(case):
    a, new = case
    t = gt.from_numpy(a)
    np.testing.assert_array_equal(host(t.reshape(new)), a.reshape(new))
    if _viewable(a.shape, a.strides, new):
        v = t.view(new)
        np.testing.assert_array_equal(host(v), a.reshape(new))
        if a.size:
            assert np.shares_memory(host(v), a)
    else:
        with pytest.raises(RuntimeError, match="reshape"):
            t.view(new)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=5), st.data())
def test_permute_and_reshape_round_trips(shape, data):
    a = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    t = gt.tensor(a)
    perm = data.draw(st.permutations(range(len(shape))))
    inverse = tuple(np.argsort(perm))
    p = t.permute(perm)
    np.testing.assert_array_equal(host(p), a.transpose(perm))
    np.testing.assert_array_equal(host(p.permute(inverse)), a)
    np.testing.assert_array_equal(host(gt.transpose(gt.transpose(t))), a)
    np.testing.assert_array_equal(host(p.reshape(-1)), a.transpose(perm).reshape(-1))
    np.testing.assert_array_equal(host(p.reshape(-1).reshape(p.shape).permute(inverse)), a)
    i, j = data.draw(st.integers(0, len(shape) - 1)), data.draw(st.integers(0, len(shape) - 1))
    np.testing.assert_array_equal(host(t.transpose(i, j).transpose(i, j)), a)
    np.testing.assert_array_equal(host(t.moveaxis(i, j)), np.moveaxis(a, i, j))
