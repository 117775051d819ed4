"""In-place methods (``add_``, ``clamp_``, ``exp_``..., ``fill_``, ``zero_``, ``copy_``):
storage written in place, visible through views, version counter bumped, leaf tensors that
require grad protected, and refused calls change nothing."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt


def t(data, device, dtype=None):
    return gt.tensor(data, dtype=dtype, device=device)


def host(x):
    return x.cpu().numpy()


def version(x) -> int:
    return x._version_counter()[0]


# method, args, NumPy equivalent on float32 data
CASES = [
    ("add_", (2.0,), lambda a: a + 2),
    ("sub_", (2.0,), lambda a: a - 2),
    ("mul_", (3.0,), lambda a: a * 3),
    ("div_", (4.0,), lambda a: a / 4),
    ("pow_", (2,), lambda a: a ** 2),
    ("clamp_", (-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
    ("clip_", (None, 0.0), lambda a: np.minimum(a, 0)),
    ("neg_", (), lambda a: -a),
    ("abs_", (), np.abs),
    ("exp_", (), np.exp),
    ("sigmoid_", (), lambda a: 1 / (1 + np.exp(-a))),
    ("relu_", (), lambda a: np.maximum(a, 0)),
    ("floor_", (), np.floor),
    ("round_", (), np.round),
    ("tanh_", (), np.tanh),
    ("square_", (), np.square),
    ("remainder_", (0.75,), lambda a: np.remainder(a, 0.75)),
    ("gt_", (0.0,), lambda a: (a > 0).astype(a.dtype)),
]


@pytest.mark.parametrize("name,args,ref", CASES, ids=[c[0] for c in CASES])
def test_inplace_method_writes_storage_and_bumps_version(name, args, ref, device):
    data = np.array([[-1.5, -0.25, 0.0], [0.3, 1.0, 2.5]], np.float32)
    a = t(data, device)
    view = a[:, 1:]  # a non-contiguous view sharing storage
    v0 = version(a)
    out = getattr(a, name)(*args)
    assert out is a
    want = ref(data.copy())
    np.testing.assert_allclose(host(a), want, rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(host(view), want[:, 1:], rtol=1e-6, err_msg=name)
    assert version(a) == v0 + 1 and version(view) == v0 + 1
    assert a.dtype == gt.float32


def test_inplace_on_a_view_writes_the_base(device):
    a = t(np.arange(6.0).reshape(2, 3), device)
    row = a[1]
    row.mul_(10)
    assert host(a).tolist() == [[0.0, 1.0, 2.0], [30.0, 40.0, 50.0]]
    col = a[:, ::2]
    col.zero_()
    assert host(a).tolist() == [[0.0, 1.0, 0.0], [0.0, 40.0, 0.0]]
    a.T.add_(1)  # transpose view
    assert host(a).tolist() == [[1.0, 2.0, 1.0], [1.0, 41.0, 1.0]]


def test_add_sub_alpha(device):
    a = t([1.0, 2.0], device)
    a.add_(t([2.0, 4.0], device), alpha=0.5)
    assert host(a).tolist() == [2.0, 4.0]
    a.sub_(1.0, alpha=2)
    assert host(a).tolist() == [0.0, 2.0]
    a.subtract_(t([1.0, 1.0], device))
    assert host(a).tolist() == [-1.0, 1.0]


def test_fill_zero_copy(device):
    a = t(np.zeros((2, 2)), device, gt.float32)
    v0 = version(a)
    a.fill_(7)
    assert host(a).tolist() == [[7.0, 7.0]] * 2 and version(a) == v0 + 1
    a.copy_(t([1.0, 2.0], device))  # broadcast source
    assert host(a).tolist() == [[1.0, 2.0]] * 2
    a.zero_()
    assert host(a).tolist() == [[0.0, 0.0]] * 2 and version(a) == v0 + 3
    with pytest.raises(ValueError, match=r"copy_: source of shape \(3,\) cannot be broadcast "
                                         r"to \(2, 2\)"):
        a.copy_(t([1.0, 2.0, 3.0], device))
    b = t([True, True], device)
    assert host(b.zero_()).tolist() == [False, False]


def test_integer_tensor_refuses_float_results(device):
    a = t([4, 6], device)
    v0 = version(a)
    with pytest.raises(TypeError, match=r"div_: the result dtype float32 cannot be written "
                                        r"into the int64 tensor in place"):
        a.div_(2)
    with pytest.raises(TypeError, match=r"sqrt_: .*float32.*int64"):
        a.sqrt_()
    with pytest.raises(TypeError, match=r"fill_: cannot write a Python float into a int64"):
        a.fill_(0.5)
    assert host(a).tolist() == [4, 6] and version(a) == v0  # nothing changed
    a.floor_divide_(4)
    assert host(a).tolist() == [1, 1] and a.dtype == gt.int64
    a.clamp_(min=2)
    assert host(a).tolist() == [2, 2] and a.dtype == gt.int64


def test_inplace_result_must_keep_the_shape(device):
    a = t([1.0, 2.0], device)
    with pytest.raises(ValueError, match=r"mul_: the result has shape \(3, 2\) but the tensor "
                                         r"being updated in place has shape \(2,\)"):
        a.mul_(t(np.ones((3, 2)), device))
    assert host(a).tolist() == [1.0, 2.0]


def test_leaf_requiring_grad_refuses_inplace_unless_no_grad(device):
    w = t([1.0, -2.0], device).requires_grad_()
    v0 = version(w)
    for name, args in [("add_", (1.0,)), ("mul_", (2.0,)), ("clamp_", (0, 1)), ("exp_", ()),
                       ("fill_", (0.0,)), ("zero_", ()), ("copy_", (t([0.0, 0.0], device),))]:
        with pytest.raises(RuntimeError, match=rf"{name}: a leaf tensor that requires grad "
                                               r"cannot be changed in place; wrap the update "
                                               r"in gt.no_grad\(\)"):
            getattr(w, name)(*args)
    assert host(w.detach()).tolist() == [1.0, -2.0] and version(w) == v0
    with gt.no_grad():
        w.mul_(2).add_(1).clamp_(max=2.5)
    assert host(w.detach()).tolist() == [2.5, -3.0] and w.requires_grad
    assert version(w) == v0 + 3


def test_inplace_with_other_tensor_broadcasts(device):
    a = t(np.ones((2, 3)), device)
    a.mul_(t([1.0, 2.0, 3.0], device)).add_(t([[10.0], [20.0]], device))
    assert host(a).tolist() == [[11.0, 12.0, 13.0], [21.0, 22.0, 23.0]]


def test_comparison_and_logical_inplace(device):
    a = t([1.0, 2.0, 3.0], device)
    a.ge_(2)
    assert host(a).tolist() == [0.0, 1.0, 1.0] and a.dtype == gt.float32
    m = t([True, False], device)
    m.logical_not_()
    assert host(m).tolist() == [False, True]
    m.bitwise_or_(t([True, False], device))
    assert host(m).tolist() == [True, True]


def test_setitem_bumps_version_and_broadcasts(device):
    a = t(np.zeros((2, 3)), device)
    v0 = version(a)
    a[:, 1] = t([5.0, 6.0], device)
    a[0] = 1
    assert host(a).tolist() == [[1.0, 1.0, 1.0], [0.0, 6.0, 0.0]]
    assert version(a) == v0 + 2


def test_inplace_on_zero_d_results(device):
    a, b = t([1.0, 2.0], device), t([3.0, 4.0], device)
    a + b  # a first general run enables apply's fast path for float32 add
    s = t(1.0, device) + t(2.0, device)
    s += 1
    s.mul_(2)
    assert s.item() == 8.0 and s.shape == ()
