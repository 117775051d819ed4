"""Indexing against NumPy: basic and advanced indexing, views, and the IndexError messages;
a hypothesis test draws random index expressions (ints, slices with steps, None, ...,
integer arrays / lists / tensors, boolean masks) and compares results with NumPy's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import gputensor as gt


def host(t):
    return t.cpu().numpy()


def grid(shape, device):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return a, gt.tensor(a, device=device)


def shares_version(view, base) -> bool:
    return view._version is not None and view._version is base._version


# -- examples -----------------------------------------------------------------------------------
EXAMPLES = [
    (1,), (-1,), (slice(None, None, -1),), (slice(3, 0, -2),), (slice(None, None, 2), 1),
    (None,), (None, 1, None), (Ellipsis, 0), (0, Ellipsis, None), (Ellipsis,),
    ([0, 2],), ([[1], [0]], [2, 3]), (slice(1, None), [0, 0, 1]), (Ellipsis, [1, -1]),
    ([0, 2], slice(None), [1, 0]), (1, [0, 3]), (True,), (False,), ([],),
    (slice(None), None, [2]),
]


@pytest.mark.parametrize("index", EXAMPLES, ids=repr)
def test_index_examples_match_numpy(device, index):
    a, t = grid((3, 4, 5), device)
    want = a[index]
    got = t[index]
    assert got.shape == np.shape(want)
    np.testing.assert_array_equal(host(got), want)


def test_index_with_tensors_and_masks(device):
    a, t = grid((3, 4), device)
    idx = gt.tensor([2, 0, -1], device=device)
    np.testing.assert_array_equal(host(t[idx]), a[[2, 0, -1]])
    np.testing.assert_array_equal(host(t[:, idx]), a[:, [2, 0, -1]])
    mask = a > 4
    np.testing.assert_array_equal(host(t[mask]), a[mask])
    np.testing.assert_array_equal(host(t[gt.tensor(mask, device=device)]), a[mask])
    np.testing.assert_array_equal(host(t[:, [True, False, True, False]]), a[:, [0, 2]])
    np.testing.assert_array_equal(host(t[np.array([1, 2], np.int32)]), a[[1, 2]])
    np.testing.assert_array_equal(host(t[np.int64(1), np.int32(-1)]), a[1, -1])
    np.testing.assert_array_equal(host(t[gt.tensor(1, device=device)]), a[1])
    assert gt.newaxis is None and t[gt.newaxis].shape == (1, 3, 4)


def test_int_index_of_every_axis_is_a_0d_view(device):
    _, t = grid((2, 3), device)
    t[1, 2].fill_(-5.0)                  # t[i, j] is a 0-d view, so this writes into t
    t[0].add_(100.0)
    got = host(t)
    assert got[1, 2] == -5.0 and (got[0] >= 100).all()


def test_basic_slicing_is_a_view(device):
    _, t = grid((4, 5), device)
    v = t[1:, ::-2]
    assert shares_version(v, t)
    t[3, 4] = -1.0                       # the base's write shows in the view
    assert host(v)[2, 0] == -1.0
    v[0, 0] = -7.0                       # and the view's write in the base
    assert host(t)[1, 4] == -7.0
    before = t._version_counter()[0]
    v[0, 1] = 3.0
    assert t._version_counter()[0] == before + 1
    w = t[None, ..., 2]
    t[0, 2] = 99.0
    assert host(w)[0, 0] == 99.0


def test_advanced_indexing_is_a_copy(device):
    _, t = grid((4, 5), device)
    for index in ([0, 1], (slice(None), [0, 1]), t._data > 3):
        c = t[index]
        assert not shares_version(c, t)
        first = host(c).copy()
        t.fill_(123.0)
        np.testing.assert_array_equal(host(c), first)


def test_setitem_with_tensor_and_mask_indices(device):
    a, t = grid((3, 4), device)
    t[gt.tensor([0, 2], device=device)] = 0.0
    a[[0, 2]] = 0.0
    t[gt.tensor(a > 5, device=device)] = -1.0
    a[a > 5] = -1.0
    t[:, [1, 3]] = gt.tensor([5.0, 6.0], device=device)
    a[:, [1, 3]] = [5.0, 6.0]
    np.testing.assert_array_equal(host(t), a)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        t[gt.tensor([3], device=device)] = 1.0
    np.testing.assert_array_equal(host(t), a)   # a failed call changes nothing


# -- errors -------------------------------------------------------------------------------------
def test_out_of_range_int_names_index_axis_and_size(device):
    _, t = grid((3, 4), device)
    with pytest.raises(IndexError, match="getitem: index 3 is out of bounds for axis 0 with "
                                         "size 3"):
        t[3]
    with pytest.raises(IndexError, match="getitem: index -5 is out of bounds for axis 1 with "
                                         "size 4"):
        t[0, -5]
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 1 with size 4"):
        t[..., 4]
    with pytest.raises(IndexError, match="index 7 is out of bounds for axis 1 with size 4"):
        t[:, [0, 7]]
    with pytest.raises(IndexError, match="index -9 is out of bounds for axis 0 with size 3"):
        t[gt.tensor([-9], device=device)]
    with pytest.raises(IndexError, match="index 0 is out of bounds for axis 0 with size 0"):
        gt.zeros(0, device=device)[0]


def test_bad_index_kinds(device):
    _, t = grid((3, 4), device)
    with pytest.raises(IndexError, match="getitem: only integers, slices .* got float 1.0"):
        t[1.0]
    with pytest.raises(IndexError, match="got float 0.5"):
        t[0, 0.5]
    with pytest.raises(IndexError, match="integer or bool, got float32"):
        t[gt.tensor([0.0, 1.0], device=device)]
    with pytest.raises(IndexError, match="must hold ints or bools, got float64"):
        t[[0.0, 1.0]]
    with pytest.raises(IndexError, match="got float64"):
        t[np.float64(1)]
    with pytest.raises(IndexError, match="got str"):
        t["a"]
    with pytest.raises(IndexError, match=r"too many indices for a tensor of shape \(3, 4\): 3"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        t[..., 0, ...]
    with pytest.raises(IndexError, match=r"boolean index of shape \(4,\) does not match the "
                                         r"indexed dims \(3,\)"):
        t[np.ones(4, bool)]
    with pytest.raises(IndexError, match="shape mismatch"):
        t[[0, 1], [0, 1, 2]]


# -- hypothesis against NumPy --------------------------------------------------------------------
_slices = st.builds(slice, st.none() | st.integers(-7, 7), st.none() | st.integers(-7, 7),
                    st.sampled_from([None, 1, 2, 3, -1, -2, -3]))


@st.composite
def index_cases(draw):
    """A shape, and an index for it as (NumPy form, gputensor form)."""
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    np_items, gt_items = [], []
    axis, after_ellipsis = 0, False
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["int", "slice", "slice", "none", "ellipsis", "ints",
                                     "mask", "bool"]))
        if kind == "int":
            item = draw(st.integers(-6, 5))
            np_items.append(item), gt_items.append(item)
            axis += 1
        elif kind == "slice":
            item = draw(_slices)
            np_items.append(item), gt_items.append(item)
            axis += 1
        elif kind in ("none", "ellipsis", "bool"):
            item = {"none": None, "ellipsis": Ellipsis}.get(kind, draw(st.booleans()))
            np_items.append(item), gt_items.append(item)
            after_ellipsis |= kind == "ellipsis"
        else:
            if kind == "ints":
                arr_shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=2)))
                arr = np.asarray(draw(st.lists(st.integers(-6, 5), min_size=int(np.prod(
                    arr_shape)), max_size=int(np.prod(arr_shape))))).astype(np.int64)
                arr = arr.reshape(arr_shape)
                axis += 1
            else:
                k = draw(st.integers(0, 2))
                want = shape[axis:axis + k]
                if after_ellipsis or len(want) < k or draw(st.integers(0, 9)) == 0:
                    want = tuple(draw(st.lists(st.integers(0, 3), min_size=k, max_size=k)))
                arr = np.asarray(draw(st.lists(st.booleans(), min_size=int(np.prod(want)),
                                               max_size=int(np.prod(want))))).astype(bool)
                arr = arr.reshape(want)
                axis += k
            form = draw(st.sampled_from(["numpy", "list", "tensor"]))
            np_items.append(arr)
            as_list = form == "list" and arr.size > 0  # an empty list reads as ints
            gt_items.append(arr.tolist() if as_list else
                            gt.tensor(arr) if form == "tensor" else arr)
    if len(np_items) == 1 and draw(st.booleans()):
        return shape, np_items[0], gt_items[0]
    return shape, tuple(np_items), tuple(gt_items)


def _index_on(items, device):
    """Move the tensor parts of an index to ``device``."""
    def move(i):
        return i.to(device) if isinstance(i, gt.Tensor) else i
    return tuple(move(i) for i in items) if isinstance(items, tuple) else move(items)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(index_cases())
def test_indexing_matches_numpy(device, case):
    shape, np_index, gt_index = case
    a, t = grid(shape, device)
    try:
        want = a[np_index]
    except IndexError:
        with pytest.raises(IndexError, match="getitem"):
            t[_index_on(gt_index, device)]
        return
    try:
        got = t[_index_on(gt_index, device)]
    except IndexError as e:
        # NumPy skips the bounds check of index arrays whose broadcast result is empty;
        # gputensor checks every index it is given (the only intended difference)
        assert np.size(want) == 0 and "out of bounds" in str(e), e
        return
    assert got.shape == np.shape(want)
    np.testing.assert_array_equal(host(got), want)
    if np.size(want):  # basic indexing gives a view, advanced indexing a copy, as in NumPy;
        # an int for every axis (none for a 0-d tensor: ``t[()]``) gives a 0-d view too (as
        # in PyTorch; NumPy returns a copy)
        full_int = isinstance(want, np.generic)
        assert shares_version(got, t) == (np.shares_memory(want, a) or full_int)


def test_empty_index_of_a_0d_tensor_is_a_view(device):
    y = gt.tensor(2.0, device=device)
    v = y[()]
    assert shares_version(v, y)
    v.mul_(3)
    assert y.item() == 6.0
    x = gt.tensor(1.0, requires_grad=True, device=device)
    z = x * 1
    z[()].mul_(3)  # recorded through z
    z.backward()
    assert x.grad.item() == 3.0
