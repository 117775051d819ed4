"""``gt.Variable``: a Tensor subclass with identity-preserving in-place updates."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt


def _np(t):
    return t.cpu().numpy()


def test_creation_defaults(device):
    v = gt.Variable([1.0, 2.0], device=device)
    assert isinstance(v, gt.Tensor) and isinstance(v, gt.Variable)
    assert v.dtype == gt.float32 and v.shape == (2,) and str(v.device).startswith(device)
    assert v.trainable and v.requires_grad and v.is_leaf and v.grad is None
    assert v.name == "Variable"


def test_creation_options(device):
    v = gt.Variable(1, dtype=gt.float64, name="step", device=device)
    assert v.dtype == gt.float64 and v.name == "step" and v.shape == ()
    f = gt.Variable(3.0, trainable=False, device=device)
    assert not f.trainable and not f.requires_grad
    i = gt.Variable([1, 2], device=device)  # integer Variables never require grad
    assert i.dtype == gt.int64 and i.trainable and not i.requires_grad
    c = gt.Variable(lambda: gt.ones(2, device=device))  # a callable initial value
    assert c.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="initial_value"):
        gt.Variable()


def test_initial_value_is_copied(device):
    t = gt.tensor([1.0, 2.0], device=device)
    v = gt.Variable(t)
    v.assign([5.0, 6.0])
    assert t.tolist() == [1.0, 2.0]
    w = gt.Variable(t * gt.tensor(1.0, requires_grad=True, device=device))
    assert w.is_leaf and w.grad_fn is None


def test_ops_on_variables_give_plain_tensors(device):
    v = gt.Variable([1.0, 2.0], device=device)
    w = gt.Variable([3.0, 4.0], device=device)
    for r in (v + w, v * 2, 2 * v, -v, gt.exp(v), v.sum(), v[0], gt.matmul(v, w),
              gt.stack([v, w]), v.reshape(2, 1)):
        assert type(r) is gt.Tensor
    np.testing.assert_allclose(_np(v * w), [3.0, 8.0])
    assert gt.matmul(v, w).item() == 11.0


def test_numpy_interop(device):
    v = gt.Variable([1.0, 2.0])
    assert isinstance(np.asarray(v), np.ndarray)
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert np.add(v.numpy(), 1).tolist() == [2.0, 3.0]
    assert float(gt.Variable(2.5)) == 2.5 and gt.Variable(2.5).item() == 2.5


def test_assign_keeps_identity_and_returns_the_variable(device):
    v = gt.Variable([1.0, 2.0], device=device)
    data_id = id(v._data)
    assert v.assign([3.0, 4.0]) is v
    assert v.tolist() == [3.0, 4.0]
    assert v.assign_add([1.0, 1.0]) is v
    assert v.tolist() == [4.0, 5.0]
    assert v.assign_sub(gt.tensor([0.5, 0.5], device=device)) is v
    assert v.tolist() == [3.5, 4.5]
    assert id(v._data) == data_id and v.requires_grad and v.is_leaf


def test_assign_0d_from_python_scalar(device):
    v = gt.Variable(1.0, device=device)
    v.assign(2.0).assign_add(0.5).assign_sub(1)
    assert v.item() == 1.5


def test_assign_updates_views(device):
    v = gt.Variable([1.0, 2.0, 3.0], device=device)
    view = v[1:]
    v.assign([7.0, 8.0, 9.0])
    assert view.tolist() == [8.0, 9.0]


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_assign_of_another_shape_raises(method, device):
    v = gt.Variable([1.0, 2.0], name="w", device=device)
    with pytest.raises(ValueError, match=r"shape \(3,\).*'w'.*shape \(2,\)"):
        getattr(v, method)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"shape \(\).*shape \(2,\)"):
        getattr(v, method)(1.0)  # no broadcasting, as in TensorFlow
    assert v.tolist() == [1.0, 2.0]  # a refused call changes nothing


def test_assign_dtype_rules(device):
    v = gt.Variable([1.0, 2.0], device=device)
    v.assign(np.array([3.0, 4.0], dtype=np.float64))  # same kind: cast
    assert v.dtype == gt.float32 and v.tolist() == [3.0, 4.0]
    i = gt.Variable([1, 2], device=device)
    with pytest.raises(TypeError, match="assign"):
        i.assign([1.5, 2.5])
    assert i.tolist() == [1, 2]
    i.assign_add([1, 1])
    assert i.tolist() == [2, 3] and i.dtype == gt.int64


def test_assign_bumps_the_version_so_stale_graphs_refuse_backward(device):
    v = gt.Variable([1.0, 2.0], device=device)
    y = (v * v).sum()  # multiply saved v
    v.assign([3.0, 4.0])
    with pytest.raises(RuntimeError, match="multiply.*in-place"):
        y.backward()


def test_assign_inside_a_recording_tape_is_not_recorded(device):
    v = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        v.assign_add(1.0)
        y = v * v
    assert tape.gradient(y, v).item() == 6.0


def test_value_and_read_value_copy(device):
    v = gt.Variable([1.0, 2.0], device=device)
    r = v.value()
    assert type(r) is gt.Tensor and r.tolist() == [1.0, 2.0]
    v.assign([5.0, 5.0])
    assert r.tolist() == [1.0, 2.0]  # a snapshot
    assert v.read_value().tolist() == [5.0, 5.0]


def test_value_is_differentiable(device):
    v = gt.Variable(3.0, device=device)
    with gt.GradientTape() as tape:
        y = v.value() * v.read_value()
    assert tape.gradient(y, v).item() == 6.0


def test_backward_and_grad_with_a_variable(device):
    v = gt.Variable([1.0, 2.0], device=device)
    (v * v).sum().backward()
    np.testing.assert_allclose(_np(v.grad), [2.0, 4.0])
    with gt.no_grad():
        v -= 0.5 * v.grad  # the usual SGD step works on a Variable too
    assert type(v) is gt.Variable and v.tolist() == [0.0, 0.0]


def test_in_place_operator_on_a_trainable_variable_needs_no_grad(device):
    v = gt.Variable([1.0], device=device)
    with pytest.raises(RuntimeError, match="no_grad"):
        v += 1.0


def test_repr(device):
    v = gt.Variable([1.0, 2.0], name="w", device=device)
    r = repr(v)
    assert r.startswith("<gt.Variable 'w' shape=(2,) dtype=float32, device=")
    assert "numpy=array([1., 2.], dtype=float32)>" in r
    assert str(v) == r
    assert repr(gt.Variable(3.0)) == ("<gt.Variable 'Variable' shape=() dtype=float32, "
                                      "device='cpu', numpy=array(3., dtype=float32)>")


def test_variable_is_hashable_and_usable_as_a_dict_key(device):
    v = gt.Variable(1.0, device=device)
    w = gt.Variable(1.0, device=device)
    d = {v: "v", w: "w"}
    assert d[v] == "v" and d[w] == "w"
