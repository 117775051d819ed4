"""In-place ops and autograd (issue 4, "In-place safety").

1. An in-place op on a leaf that requires grad raises unless under ``gt.no_grad()``.
2. On a non-leaf (or with a value that requires grad) it is recorded: the tensor is re-linked
   to the op's node and gradients equal those of the same computation written out of place.
   Through a view, the tensor the view was taken from is re-linked (PyTorch's CopySlices);
   a view of a leaf that requires grad refuses.
3. Changing a tensor a recorded node saved makes backward raise, naming the op.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt

grad = gt.grad


def leaf(data, device, dtype=gt.float64):
    return gt.tensor(data, dtype=dtype, device=device, requires_grad=True)


def host(x):
    return x.cpu().numpy()


def close(got, want):
    np.testing.assert_allclose(host(got), np.asarray(want, np.float64), rtol=1e-12,
                               atol=1e-12)


def version(t) -> int:
    return t._version_counter()[0]


# -- 1. leaves that require grad ---------------------------------------------------------------
LEAF_CHANGES = {
    "add_": lambda w: w.add_(1.0),
    "mul_": lambda w: w.mul_(2.0),
    "exp_": lambda w: w.exp_(),
    "clamp_": lambda w: w.clamp_(0.0, 1.0),
    "__iadd__": lambda w: w.__iadd__(1.0),
    "__imul__": lambda w: w.__imul__(2.0),
    "setitem": lambda w: w.__setitem__(0, 5.0),
    "copy_": lambda w: w.copy_(gt.zeros(3, dtype=gt.float64, device=w.device)),
    "fill_": lambda w: w.fill_(0.0),
    "zero_": lambda w: w.zero_(),
}


@pytest.mark.parametrize("name", list(LEAF_CHANGES))
def test_leaf_requiring_grad_refuses_in_place(name, device):
    w = leaf([1.0, 2.0, 3.0], device)
    v0 = version(w)
    with pytest.raises(RuntimeError, match=rf"{name}: a leaf tensor that requires grad "
                                           r"cannot be changed in place; wrap the update in "
                                           r"gt.no_grad\(\)"):
        LEAF_CHANGES[name](w)
    assert w.tolist() == [1.0, 2.0, 3.0] and version(w) == v0 and w.is_leaf


@pytest.mark.parametrize("name", list(LEAF_CHANGES))
def test_leaf_in_place_allowed_under_no_grad(name, device):
    w = leaf([1.0, 2.0, 3.0], device)
    v0 = version(w)
    with gt.no_grad():
        LEAF_CHANGES[name](w)
    assert version(w) == v0 + 1
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_sgd_step_pattern(device):
    w = leaf([1.0, -2.0], device)
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with gt.no_grad():
            w -= 0.25 * w.grad
        w.grad = None
    close(w, np.array([1.0, -2.0]) * 0.5 ** 3)


# -- 2. recorded in-place changes on non-leaf tensors ----------------------------------------------
# each case: (in-place version, out-of-place version), both taking (x, w) and returning a tensor
CASES = {
    "add_": (lambda x, w: (x * 2).add_(w), lambda x, w: x * 2 + w),
    "add_alpha": (lambda x, w: (x * 2).add_(w, alpha=-3), lambda x, w: x * 2 - 3 * w),
    "sub_": (lambda x, w: (x * 2).sub_(w), lambda x, w: x * 2 - w),
    "mul_": (lambda x, w: (x * 2).mul_(w), lambda x, w: x * 2 * w),
    "div_": (lambda x, w: (x + 3).div_(w), lambda x, w: (x + 3) / w),
    "pow_": (lambda x, w: (x + 3).pow_(w), lambda x, w: (x + 3) ** w),
    "iadd": (lambda x, w: _aug(x * 2, "__iadd__", w), lambda x, w: x * 2 + w),
    "isub": (lambda x, w: _aug(x * 2, "__isub__", w), lambda x, w: x * 2 - w),
    "imul": (lambda x, w: _aug(x * 2, "__imul__", w), lambda x, w: x * 2 * w),
    "itruediv": (lambda x, w: _aug(x + 3, "__itruediv__", w), lambda x, w: (x + 3) / w),
    "ipow": (lambda x, w: _aug(x + 3, "__ipow__", 2.0), lambda x, w: (x + 3) ** 2),
    "imul_self": (lambda x, w: _self_mul(x * w), lambda x, w: (x * w) * (x * w)),
    "chain": (lambda x, w: (x * 1).mul_(w).exp_().add_(x).sigmoid_().mul_(3),
              lambda x, w: gt.sigmoid(gt.exp(x * w) + x) * 3),
    "exp_": (lambda x, w: (x * w).exp_(), lambda x, w: gt.exp(x * w)),
    "tanh_": (lambda x, w: (x * w).tanh_(), lambda x, w: gt.tanh(x * w)),
    "sqrt_": (lambda x, w: (x * x + w).sqrt_(), lambda x, w: gt.sqrt(x * x + w)),
    "relu_": (lambda x, w: (x - w).relu_(), lambda x, w: gt.relu(x - w)),
    "abs_": (lambda x, w: (x - w).abs_(), lambda x, w: gt.abs(x - w)),
    "clamp_": (lambda x, w: (x * 3).clamp_(-1.0, w), lambda x, w: gt.clip(x * 3, -1.0, w)),
    "neg_": (lambda x, w: (x * w).neg_(), lambda x, w: -(x * w)),
    "square_": (lambda x, w: (x + w).square_(), lambda x, w: gt.square(x + w)),
    "atan2_": (lambda x, w: (x * 1).atan2_(w), lambda x, w: gt.arctan2(x, w)),
    "floor_": (lambda x, w: (x * w).floor_() + x, lambda x, w: gt.floor(x * w) + x),
    "remainder_": (lambda x, w: (x * 1).remainder_(w), lambda x, w: gt.remainder(x, w)),
    "setitem_slice": (lambda x, w: _put(x * 2, slice(0, 2), w[1:3]),
                      lambda x, w: gt.concat([w[1:3], (x * 2)[2:]])),
    "setitem_scalar": (lambda x, w: _put(x * 2, 1, 7.0),
                       lambda x, w: x * 2 * gt.tensor([1.0, 0.0, 1.0], dtype=gt.float64,
                                                      device=x.device) +
                       gt.tensor([0.0, 7.0, 0.0], dtype=gt.float64, device=x.device)),
    "setitem_list": (lambda x, w: _put(x * 2, [0, 2], w[0]),
                     lambda x, w: gt.stack([w[0], (x * 2)[1], w[0]])),
    "setitem_mask": (lambda x, w: _put(x * 2, (w > 1.7), w[2] * 10),
                     lambda x, w: gt.where(w > 1.7, w[2] * 10, x * 2)),
    "copy_": (lambda x, w: (x * 2).copy_(w * 3), lambda x, w: w * 3),
    "copy_broadcast": (lambda x, w: (x * 2).copy_(w[0]),
                       lambda x, w: w[0] + gt.zeros(3, dtype=gt.float64, device=x.device)),
    "zero_": (lambda x, w: (x * 2).zero_() + w, lambda x, w: w + 0.0),
}


def _aug(t, dunder, v):
    return getattr(t, dunder)(v)


def _self_mul(t):
    t *= t
    return t


def _put(t, idx, v):
    t[idx] = v
    return t


@pytest.mark.parametrize("name", list(CASES))
def test_in_place_gradients_match_out_of_place(name, device):
    inplace, reference = CASES[name]
    data_x, data_w = [0.5, -1.2, 2.0], [1.5, 2.0, 3.0]
    x, w = leaf(data_x, device), leaf(data_w, device)
    got = inplace(x, w)
    assert got.requires_grad and not got.is_leaf
    seed = gt.tensor([1.0, -2.0, 0.5], dtype=gt.float64, device=device)
    gx, gw = grad(got, [x, w], grad_outputs=seed, allow_unused=True)
    x2, w2 = leaf(data_x, device), leaf(data_w, device)
    want = reference(x2, w2)
    close(got, host(want))
    rx, rw = grad(want, [x2, w2], grad_outputs=seed, allow_unused=True)
    for g, r in ((gx, rx), (gw, rw)):
        if r is None:
            assert g is None or not host(g).any()
        else:
            close(g, host(r))


def test_in_place_relinks_the_tensor(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2
    first = y.grad_fn
    v0 = version(y)
    assert y.add_(1.0) is y
    assert y.grad_fn is not first and y.grad_fn.name() == "AddBackward"
    assert version(y) == v0 + 1 and not y.is_leaf
    y[0] = 5.0
    assert y.grad_fn.name() == "IndexPutBackward"
    y.sum().backward()
    close(x.grad, [0.0, 2.0])


def test_constant_buffer_filled_from_tensors_that_require_grad(device):
    w = leaf([1.0, 2.0, 3.0], device)
    buf = gt.zeros(2, 3, dtype=gt.float64, device=device)
    assert buf.is_leaf and not buf.requires_grad
    buf[0] = w * 2
    buf[1, 1:] = w[:2]
    assert buf.requires_grad and not buf.is_leaf
    close(buf, [[2, 4, 6], [0, 1, 2]])
    (buf * buf).sum().backward()
    close(w.grad, [8 + 2, 16 + 4, 24])


def test_setitem_value_broadcast_gradient_is_summed(device):
    v = leaf([1.0, 2.0], device)  # written into each of 3 rows
    t = gt.zeros(3, 2, dtype=gt.float64, device=device)
    t[:] = v
    t.sum().backward()
    close(v.grad, [3.0, 3.0])
    s = leaf(4.0, device)  # a 0-d value into a slice
    u = gt.zeros(5, dtype=gt.float64, device=device)
    u[1:4] = s
    u.sum().backward()
    assert s.grad.item() == 3.0


def test_setitem_value_with_extra_leading_ones(device):
    v = leaf([[[1.0, 2.0]]], device)  # (1, 1, 2) written into a (2,) row
    t = gt.zeros(2, 2, dtype=gt.float64, device=device)
    t[0] = v
    t.sum().backward()
    assert v.grad.shape == (1, 1, 2)
    close(v.grad, [[[1.0, 1.0]]])


def test_add_into_constant_makes_it_part_of_the_graph(device):
    w = leaf([1.0, 2.0], device)
    t = gt.ones(2, dtype=gt.float64, device=device)
    t.mul_(w)  # the rule keeps t's old value: it was copied before t was written
    t.add_(w)
    t *= w
    t.sum().backward()
    close(t, [2.0, 8.0])  # (1 * w + w) * w = 2 w^2
    close(w.grad, [4.0, 8.0])


def test_value_dtype_is_cast_and_gradient_cast_back(device):
    w = leaf([1.0, 2.0], device, gt.float32)
    t = gt.zeros(2, dtype=gt.float64, device=device)
    t.copy_(w)
    assert t.dtype == gt.float64
    (t * 3).sum().backward()
    assert w.grad.dtype == gt.float32 and w.grad.tolist() == [3.0, 3.0]
    y = gt.zeros(2, dtype=gt.float32, device=device)
    z = leaf([0.5, 0.25], device)  # float64 value added into a float32 tensor
    y.add_(z)
    assert y.dtype == gt.float32
    y.sum().backward()
    assert z.grad.dtype == gt.float64 and z.grad.tolist() == [1.0, 1.0]


def test_fill_with_tensor_value_gets_summed_gradient(device):
    s = leaf(2.0, device)
    t = gt.zeros(2, 3, dtype=gt.float64, device=device)
    t.fill_(s * 3)
    (t * t).sum().backward()
    assert s.grad.item() == 6 * 2 * 6 * 3  # d/ds sum((3s)^2) over 6 elements


def test_zero_and_fill_cut_gradient_of_old_value(device):
    x = leaf([1.0, 2.0], device)
    y = x * 3
    y.fill_(4.0)
    (gx,) = grad((y * x).sum(), x)
    close(gx, [4.0, 4.0])  # only through the second factor


def test_comparison_in_place_makes_tensor_constant(device):
    x = leaf([1.0, 2.0], device)
    y = x * 1
    y.gt_(1.5)
    assert y.tolist() == [0.0, 1.0] and not y.requires_grad and y.grad_fn is None


def test_retain_grad_follows_the_new_version(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2
    y.retain_grad()
    y.mul_(3.0)
    (y * 5).sum().backward()
    close(y.grad, [5.0, 5.0])
    close(x.grad, [30.0, 30.0])


def test_second_order_through_in_place(device):
    x = leaf([0.5, 2.0], device)
    y = x * 1
    y.mul_(x)      # x^2, with x's old value saved by the rule
    y.mul_(x)      # x^3
    (g,) = grad(y.sum(), x, create_graph=True)
    close(g, 3 * np.array([0.5, 2.0]) ** 2)
    (h,) = grad(g.sum(), x)
    close(h, 6 * np.array([0.5, 2.0]))


def test_in_place_under_no_grad_keeps_history(device):
    x = leaf([1.0, 2.0], device)
    y = x * 2
    node = y.grad_fn
    with gt.no_grad():
        y.add_(10.0)
    assert y.grad_fn is node
    y.sum().backward()  # add saved nothing: the gradient is still that of x * 2
    close(x.grad, [2.0, 2.0])


def test_gradient_tape_sees_in_place_changes(device):
    x = gt.Variable([1.0, 2.0], dtype=gt.float64)
    if device != "cpu":
        pytest.skip("Variable placement is covered by the tape tests")
    with gt.GradientTape() as tape:
        y = x * 2
        y.mul_(x)
        s = y.sum()
    close(tape.gradient(s, x), [4.0, 8.0])


def test_untracked_in_place_stays_cheap_and_plain(device):
    t = gt.ones(3, device=device)
    t += 1
    t.mul_(2.0)
    t[0] = 0.0
    assert not t.requires_grad and t.grad_fn is None and t.tolist() == [0.0, 4.0, 4.0]


# -- views ----------------------------------------------------------------------------------------
# each case: (in-place through a view, out-of-place), both taking x (2, 3) and w (3,)
def _iadd_row(x, w):
    y = x * 2
    y[0] += w  # Python: y[0].__iadd__(w), then y.__setitem__(0, ...)
    return y


def _iadd_element(x, w):
    y = x * 2
    y[0, 1] += w[2]  # a 0-d view
    return y


def _chained_setitem(x, w):
    y = x * 2
    y[0][1] = w[0] * 3
    return y


def _two_views(x, w):
    y = x * 2
    a, b = y[0], y[1]  # b is taken before the change through a: it is taken again
    a.mul_(w)
    return b * 3 + a


def _base_changed_after_view(x, w):
    y = x * 2
    v = y[:, 1]
    y.mul_(w)  # the base itself: v shows the new values and follows the new history
    return v * v


def _stale_view_scaled(x, w):
    y = x * 1
    v = y[0]
    y.mul_(3.0)  # v now looks at 3 * x[0]: mul_ keeps that value, with the new history
    v.mul_(w)
    return y


def _stale_view_written(x, w):
    y = x * 1
    v = y[1]
    y.mul_(3.0)
    v[1] = w[1]
    return y


def _view_made_under_no_grad(x, w):
    y = x * 2
    with gt.no_grad():
        v = y[0]  # does not require grad, but changing it changes y
    v.mul_(3.0)
    return y * w


def _view_taken_before_its_base_required_grad(x, w):
    buf = gt.zeros(2, 3, dtype=gt.float64, device=x.device)
    v = buf[0]
    buf[1] = x[1] * w[0]
    v.mul_(3.0)
    v.add_(x[0])
    return buf * buf


def _self_product_of_view(x, w):
    y = x * x  # (exp would keep y itself for its gradient: changing it would raise)
    v = y[:, 1:]
    v.mul_(v)
    return y * w


def _constant_buffer(x, w):
    buf = gt.zeros(2, 3, dtype=gt.float64, device=x.device)
    buf[0].copy_(w)
    buf.T.add_(gt.ones(3, 2, dtype=gt.float64, device=x.device) * x[0, 0])
    return buf


def _row(x, i, value):
    """x with row i replaced (out of place)."""
    rows = [x[0], x[1]]
    rows[i] = value
    return gt.stack(rows)


VIEW_CASES = {
    "add_ on a row": (lambda x, w: _ret((y := x * 2), y[0].add_(w)),
                      lambda x, w: _row(x * 2, 0, x[0] * 2 + w)),
    "y[0] += w": (_iadd_row, lambda x, w: _row(x * 2, 0, x[0] * 2 + w)),
    "y[0, 1] += w[2]": (_iadd_element, lambda x, w: _row(x * 2, 0, gt.stack(
        [x[0, 0] * 2, x[0, 1] * 2 + w[2], x[0, 2] * 2]))),
    "y[0][1] = v": (_chained_setitem, lambda x, w: _row(x * 2, 0, gt.stack(
        [x[0, 0] * 2, w[0] * 3, x[0, 2] * 2]))),
    "mul_ keeps the old row": (lambda x, w: _ret((y := x * 2), y[1].__imul__(w)),
                               lambda x, w: _row(x * 2, 1, x[1] * 2 * w)),
    "column through .T": (lambda x, w: _ret((y := x * 2), y.T[1].mul_(w[:2])),
                          lambda x, w: gt.stack([x[:, 0] * 2, x[:, 1] * 2 * w[:2],
                                                 x[:, 2] * 2], axis=1)),
    "every other of a flat view": (
        lambda x, w: _ret((y := x * 2), y.reshape(6)[::2].exp_()),
        lambda x, w: gt.stack([gt.exp(f) if i % 2 == 0 else f
                               for i, f in enumerate(gt.unstack((x * 2).reshape(6)))]
                              ).reshape(2, 3)),
    "an output of unstack": (lambda x, w: _ret((y := x * 2), gt.unstack(y)[1].sub_(w)),
                             lambda x, w: _row(x * 2, 1, x[1] * 2 - w)),
    "a row of a flipped view": (lambda x, w: _ret((y := x * 2), y.flip(1)[0].mul_(w)),
                                lambda x, w: _row(x * 2, 0, x[0] * 2 * w.flip(0))),
    "views taken before are retaken": (_two_views, lambda x, w: x[1] * 6 + x[0] * 2 * w),
    "base changed after the view": (_base_changed_after_view,
                                    lambda x, w: (x[:, 1] * 2 * w[1]) ** 2),
    "a view taken before its base changed, then mul_": (
        _stale_view_scaled, lambda x, w: _row(x * 3, 0, x[0] * 3 * w)),
    "a view taken before its base changed, then written": (
        _stale_view_written, lambda x, w: _row(x * 3, 1, gt.stack(
            [x[1, 0] * 3, w[1], x[1, 2] * 3]))),
    "a column of a root laid out in Fortran order": (
        lambda x, w: _ret((y := x.T * 2), y[:, 1].mul_(w[0])).T,
        lambda x, w: _row(x * 2, 1, x[1] * 2 * w[0])),
    "zero_ through .T": (lambda x, w: _ret((y := x * w), y.T[0].zero_()),
                         lambda x, w: x * w * gt.tensor([0.0, 1.0, 1.0], dtype=gt.float64,
                                                        device=x.device)),
    "fill_ through a view of a view": (
        lambda x, w: _ret((y := x * 1), y[1][1:].fill_(w[1])),
        lambda x, w: _row(x * 1, 1, gt.stack([x[1, 0], w[1], w[1]]))),
    "a view made under no_grad()": (_view_made_under_no_grad,
                                    lambda x, w: _row(x * 2, 0, x[0] * 6) * w),
    "a view taken before its base required grad": (
        _view_taken_before_its_base_required_grad,
        lambda x, w: gt.stack([x[0], x[1] * w[0]]) ** 2),
    "a view times itself": (_self_product_of_view, lambda x, w: gt.concat(
        [x[:, :1] ** 2, x[:, 1:] ** 4], axis=1) * w),
    "constant buffer, values that need grad": (
        _constant_buffer, lambda x, w: gt.stack([w, w * 0]) + x[0, 0]),
}


def _ret(t, _):
    return t


def _view_leaves(device):
    return (leaf([[0.5, -1.2, 2.0], [1.5, 0.25, -0.75]], device),
            leaf([1.5, 2.0, 3.0], device))


@pytest.mark.parametrize("name", list(VIEW_CASES))
def test_in_place_through_a_view_matches_out_of_place(name, device):
    inplace, reference = VIEW_CASES[name]
    x, w = _view_leaves(device)
    got = inplace(x, w)
    x2, w2 = _view_leaves(device)
    want = reference(x2, w2)
    close(got, host(want))
    seed = gt.tensor(np.linspace(-1.0, 2.0, want.numel()).reshape(want.shape),
                     dtype=gt.float64, device=device)
    g = grad(got, [x, w], grad_outputs=seed, allow_unused=True)
    r = grad(want, [x2, w2], grad_outputs=seed, allow_unused=True)
    for gi, ri in zip(g, r):
        if ri is None:
            assert gi is None or not host(gi).any()
        else:
            close(gi, host(ri))


@pytest.mark.parametrize("name", ["y[0] += w", "mul_ keeps the old row", "column through .T",
                                  "views taken before are retaken", "a view times itself"])
def test_in_place_through_a_view_passes_gradcheck(name, device):
    """First and second derivatives against central differences (an independent check)."""
    inplace, _ = VIEW_CASES[name]
    x, w = _view_leaves(device)
    assert gt.autograd.gradcheck(lambda a, b: inplace(a, b), [x, w])
    assert gt.autograd.gradcheck(lambda a: grad((inplace(a, w) ** 2).sum(), [a],
                                                create_graph=True)[0], [x])


_SLICES = st.builds(slice, st.sampled_from([None, 0, 1, -2]), st.sampled_from([None, 3, -1]),
                    st.sampled_from([None, 1, 2, -1]))


@settings(max_examples=40, deadline=None)
@given(transpose=st.booleans(), index=st.tuples(_SLICES, _SLICES | st.integers(-3, 2)),
       change=st.sampled_from(["mul_", "add_", "div_", "setitem", "exp_"]))
def test_random_in_place_changes_through_views_pass_gradcheck(transpose, index, change):
    """Any basic view of a graph tensor, changed in place by an op whose value needs a
    gradient too: central differences (gradcheck) agree with the rewritten graph."""
    x = gt.tensor(np.linspace(0.5, 2.0, 12).reshape(3, 4), dtype=gt.float64,
                  requires_grad=True)
    w = gt.tensor(1.25, dtype=gt.float64, requires_grad=True)

    def f(x, w):
        y = x * 1.5
        v = (y.T if transpose else y)[index]
        if change == "setitem":
            v[...] = w * 2
        elif change == "exp_":
            v.exp_()
            return y * w
        else:
            getattr(v, change)(w)
        return y * y

    assert gt.autograd.gradcheck(f, [x, w])


def test_in_place_through_a_view_relinks_the_base(device):
    x, w = _view_leaves(device)
    y = x * 2
    row = y[0]
    first = y.grad_fn
    row.add_(w)
    assert y.grad_fn is not first and not y.is_leaf
    assert row.grad_fn.name() == "GetitemBackward"
    close(row, host(x[0] * 2 + w))
    close(y[0], host(row))  # one storage


def test_in_place_through_a_view_under_a_tape(device):
    x = gt.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]), dtype=gt.float64)
    with gt.GradientTape() as tape:
        y = x * 1
        y[:, 0] *= x[:, 1]
        s = y.sum()
    close(tape.gradient(s, x), [[2.0, 2.0], [4.0, 4.0]])


def test_in_place_through_a_view_of_a_leaf_that_requires_grad_raises(device):
    w = leaf([1.0, 2.0, 3.0], device)
    v0 = version(w)
    with gt.no_grad():
        quiet = w[1:]  # made under no_grad(): changing it with grad mode on still refuses

    for change in (lambda: w[0].add_(1.0), lambda: w[1:].mul_(w[1:].detach()),
                   lambda: w.T.__setitem__(0, 5.0), lambda: quiet.mul_(2.0)):
        with pytest.raises(RuntimeError, match=r"a view of a leaf tensor that requires grad "
                                               r"cannot be changed in place"):
            change()
    assert w.tolist() == [1.0, 2.0, 3.0] and version(w) == v0 and w.is_leaf


def test_in_place_on_memory_shared_without_a_view_op_raises(device):
    x, w = _view_leaves(device)
    y = x * 2
    d = y[0].detach()  # shares y's memory, but no view op links it to y's history
    before = host(y).copy()
    with pytest.raises(RuntimeError, match=r"add_: in-place change of a tensor that shares "
                                           r"memory with another .* no view op made it"):
        d.add_(w)
    np.testing.assert_array_equal(host(y), before)


def test_using_memory_shared_without_a_view_op_after_a_recorded_change_raises(device):
    x, w = _view_leaves(device)
    y = x * 2
    v = y[0]
    v._view_of = None  # as if no view op had made it: its history cannot be taken again
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"multiply: an input shares memory with a tensor "
                                           r"that was changed in place"):
        v * 2


def test_views_are_fine_without_grad(device):
    buf = gt.zeros(2, 3, device=device)
    buf[0].add_(1.0)
    buf.T[0] += 2.0
    with gt.no_grad():
        y = leaf([1.0, 2.0], device) * 1
    y[0:1].mul_(3.0)
    assert buf.tolist() == [[3.0, 1.0, 1.0], [2.0, 0.0, 0.0]] and y.tolist() == [3.0, 2.0]


# -- 3. saved tensors changed in place ----------------------------------------------------------
def test_changed_output_saved_by_exp_names_exp(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    z = y + 1  # add saves nothing: the first rule to need a changed value is exp's
    with gt.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"gradient of 'exp' was modified by an in-place "
                                           r"operation \(version 1, saved at version 0\)"):
        z.sum().backward()


def test_changed_input_saved_by_multiply_names_multiply(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 4.0], device)
    y = x.exp()
    z = y * w  # multiply keeps y for the gradient of w
    with gt.no_grad():
        y.mul_(1.0)  # exp did not save this change's victim: only multiply can notice
    with pytest.raises(RuntimeError, match="gradient of 'multiply' was modified by an "
                                           "in-place operation"):
        z.sum().backward()


def test_multiply_by_a_constant_keeps_no_input(device):
    """Only what a gradient needs is kept: ``y * 2`` needs 2 for y's gradient, not y (as
    PyTorch), so changing y afterwards is caught only by the op that saved y (exp here)."""
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    z = y * 2.0
    assert z.grad_fn.saved[1] == 2.0 and not isinstance(z.grad_fn.saved[0], gt.Tensor)
    with gt.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="gradient of 'exp' was modified"):
        z.sum().backward()


def test_recorded_in_place_change_of_saved_output_is_caught(device):
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    y.add_(1.0)  # recorded, but exp's saved output (y itself) changed: PyTorch raises too
    with pytest.raises(RuntimeError, match="gradient of 'exp' was modified"):
        y.sum().backward()


def test_recorded_in_place_change_of_saved_input_is_caught(device):
    x, w = leaf([1.0, 2.0], device), leaf([3.0, 4.0], device)
    y = x * 1
    z = y * w  # keeps y for w's gradient
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="gradient of 'multiply' was modified"):
        z.sum().backward()


def test_changed_through_a_view_is_caught(device):
    x = leaf([1.0, 2.0, 3.0], device)
    y = x.sin()
    z = gt.square(y)  # square keeps y
    with gt.no_grad():
        y[1:].mul_(2.0)  # a view shares y's version counter
    with pytest.raises(RuntimeError, match="gradient of 'square' was modified"):
        z.sum().backward()


def test_snapshot_keeps_old_value_for_the_rule(device):
    x = leaf([1.0, 2.0], device)
    w = leaf([3.0, 5.0], device)
    y = x * 1
    y.mul_(w)  # w's gradient needs y's old value (x), which y no longer holds
    y.add_(100.0)
    y.sum().backward()
    close(w.grad, [1.0, 2.0])
    close(x.grad, [3.0, 5.0])


# -- errors of recorded in-place changes -----------------------------------------------------------
def test_recorded_in_place_shape_change_raises_and_changes_nothing(device):
    x = leaf([1.0, 2.0], device)
    y = x * 1
    node, v0 = y.grad_fn, version(y)
    big = leaf([[1.0, 2.0], [3.0, 4.0]], device)
    with pytest.raises(ValueError, match=r"add_: the result has shape \(2, 2\) but the tensor "
                                         r"being updated in place has shape \(2,\)"):
        y.add_(big)
    assert y.grad_fn is node and version(y) == v0 and y.tolist() == [1.0, 2.0]


def test_recorded_float_into_integer_raises(device):
    w = leaf([0.5, 1.5], device)
    t = gt.zeros(2, dtype=gt.int64, device=device)
    with pytest.raises(TypeError, match="add_: the result dtype float64 cannot be written "
                                        "into the int64 tensor in place"):
        t.add_(w)
    with pytest.raises(TypeError, match="setitem: the result dtype float64 cannot be written "
                                        "into the int64 tensor"):
        t[0] = w[0]
    assert t.tolist() == [0, 0] and not t.requires_grad


def test_recorded_setitem_errors(device):
    y = leaf([1.0, 2.0, 3.0], device) * 1
    node = y.grad_fn
    with pytest.raises(ValueError, match=r"setitem: index_put: could not broadcast"):
        y[0:2] = leaf([1.0, 2.0, 3.0], device)
    with pytest.raises(IndexError, match="setitem: index 5 is out of bounds for axis 0 "
                                         "with size 3"):
        y[5] = 1.0
    assert y.grad_fn is node and y.tolist() == [1.0, 2.0, 3.0]


def test_recorded_copy_and_fill_errors(device):
    y = leaf([1.0, 2.0, 3.0], device) * 1
    with pytest.raises(ValueError, match=r"copy_: source of shape \(2,\) cannot be broadcast "
                                         r"to \(3,\)"):
        y.copy_(leaf([1.0, 2.0], device))
    with pytest.raises(ValueError, match=r"fill_: the value must have one element, got shape "
                                         r"\(2,\)"):
        y.fill_(leaf([1.0, 2.0], device))
    assert y.tolist() == [1.0, 2.0, 3.0]


# -- results that share memory with an input are views ------------------------------------------
def _table_results():
    import sys
    import warnings
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from opcheck import case_inputs, table_cases

    from gputensor.ops import apply

    rng = np.random.default_rng(0)
    for op, attrs, shapes, specs, label in table_cases():
        dtype = "float64" if "f" in op.kinds else "int64" if "i" in op.kinds else "bool"
        xs = [gt.tensor(a) for a in case_inputs(op, shapes, specs, dtype, rng)]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (means of empty samples)
            try:
                out = apply(op, *xs, **attrs)
            except (ValueError, TypeError, IndexError, RuntimeError):
                continue  # (a sample meant for other dtypes or shapes)
        yield label, xs, out if isinstance(out, list) else [out]


def test_every_result_sharing_memory_with_an_input_shares_its_version_counter():
    # otherwise an in-place change through the result would change the input behind the
    # graph's back (a squeeze with nothing to squeeze gave back the input's very array;
    # einsum's transposes and diagonals are NumPy views; contiguous gave back its input)
    checked = 0
    for label, xs, outs in _table_results():
        for o in outs:
            for x in xs:
                if np.shares_memory(o._data, x._data):
                    checked += 1
                    assert o._version is not None and o._version is x._version, label
                    assert o._view_of is not None and o._view_of[0] is x, label
    assert checked > 20  # the view ops of the table


def test_squeeze_with_nothing_to_squeeze_is_a_view(device):
    x = leaf([1.0, 2.0], device)
    y = x * 1
    y.squeeze().mul_(3)  # recorded through y, as any view
    y.sum().backward()
    close(x.grad, [3.0, 3.0])
    x = leaf([1.0, 2.0], device)
    y = x.exp()
    y.squeeze().mul_(0)
    with pytest.raises(RuntimeError, match="'exp' was modified by an in-place operation"):
        y.sum().backward()


def test_einsum_transpose_is_a_copy(device):
    y = leaf([[1.0, 2.0], [3.0, 4.0]], device) * 1
    gt.einsum("ij->ji", y).mul_(2)
    close(y, [[1.0, 2.0], [3.0, 4.0]])
