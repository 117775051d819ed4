"""Custom ops (``gt.autograd.Function``) and ``gt.autograd.gradcheck``."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

import gputensor as gt
from gputensor.autograd import Function, GradcheckError, gradcheck
from testkit import ExpFn


def _np(t):
    return t.cpu().numpy()


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2


class ScaleAdd(Function):
    """Two tensor inputs and a non-tensor one; ctx attributes; needs_input_grad."""

    @staticmethod
    def forward(ctx, a, b, alpha):
        ctx.alpha = alpha
        ctx.seen_needs = ctx.needs_input_grad
        ctx.grad_mode_inside = gt.is_grad_enabled()
        ctx.save_for_backward(a, b)
        return a * b * alpha + a

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g * (b * ctx.alpha + 1) if ctx.needs_input_grad[0] else None
        gb = g * a * ctx.alpha if ctx.needs_input_grad[1] else None
        return ga, gb, None


class SumAndDiff(Function):
    """Two outputs."""

    @staticmethod
    def forward(ctx, a, b):
        return a + b, a - b

    @staticmethod
    def backward(ctx, g_sum, g_diff):
        return g_sum + g_diff, g_sum - g_diff


def test_forward_and_backward(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    y = Cube.apply(x)
    assert y.grad_fn is not None and "Backward" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad), [3.0, 12.0])


def test_ctx_attributes_needs_input_grad_and_no_grad_forward(device):
    a = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = gt.tensor([3.0, 4.0], device=device)
    y = ScaleAdd.apply(a, b, 2.0)
    ctx = y.grad_fn.function[0]
    assert ctx.seen_needs == (True, False, False) and ctx.grad_mode_inside is False
    y.sum().backward()
    np.testing.assert_allclose(_np(a.grad), [7.0, 9.0])
    assert b.grad is None


def test_no_input_requires_grad_gives_a_plain_output(device):
    y = Cube.apply(gt.tensor([2.0], device=device))
    assert not y.requires_grad and y.grad_fn is None and y.tolist() == [8.0]
    x = gt.tensor([2.0], requires_grad=True, device=device)
    with gt.no_grad():
        assert not Cube.apply(x).requires_grad
        # needs_input_grad says which inputs require grad, under no_grad too (as PyTorch)
        seen = []

        class Spy(Function):
            @staticmethod
            def forward(ctx, a, b):
                seen.append(ctx.needs_input_grad)
                return a * b

        y = Spy.apply(x, gt.tensor([3.0], device=device))
        assert seen == [(True, False)] and not y.requires_grad and y.grad_fn is None


def test_two_outputs(device):
    a = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    b = gt.tensor([3.0, 5.0], requires_grad=True, device=device)
    s, d = SumAndDiff.apply(a, b)
    (s * 2 + d * 3).sum().backward()
    np.testing.assert_allclose(_np(a.grad), [5.0, 5.0])
    np.testing.assert_allclose(_np(b.grad), [-1.0, -1.0])
    a.grad = b.grad = None
    s, d = SumAndDiff.apply(a, b)
    s.sum().backward()  # the unused output's gradient arrives as zeros
    np.testing.assert_allclose(_np(b.grad), [1.0, 1.0])


def test_saved_output_and_create_graph(device):
    x = gt.tensor([0.0, 1.0], dtype=gt.float64, requires_grad=True, device=device)
    (g,) = gt.grad(ExpFn.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(_np(g), np.exp([0.0, 1.0]))
    assert g.requires_grad
    (g2,) = gt.grad(g.sum(), x)
    np.testing.assert_allclose(_np(g2), np.exp([0.0, 1.0]))


def test_create_graph_through_saved_inputs(device):
    x = gt.tensor(2.0, dtype=gt.float64, requires_grad=True, device=device)
    (g,) = gt.grad(Cube.apply(x), x, create_graph=True)
    (g2,) = gt.grad(g, x)
    assert (g.item(), g2.item()) == (12.0, 12.0)


def test_works_with_gradient_tape(device):
    v = gt.Variable(2.0, device=device)
    with gt.GradientTape() as tape:
        y = Cube.apply(v)
    assert tape.gradient(y, v).item() == 12.0


def test_nested_tapes_through_a_custom_function(device):
    v = gt.Variable(2.0, dtype=gt.float64, device=device)
    with gt.GradientTape() as outer:
        with gt.GradientTape() as inner:
            y = Cube.apply(v)
        dy = inner.gradient(y, v)
    assert outer.gradient(dy, v).item() == pytest.approx(12.0)


def test_backward_returning_the_wrong_number_of_gradients_raises(device):
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = gt.tensor(1.0, requires_grad=True, device=device)
    b = gt.tensor(2.0, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match="TooFew.backward returned 1 gradient.*2 input"):
        TooFew.apply(a, b).backward()


def test_extra_trailing_nones_are_accepted(device):
    class Extra(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    a = gt.tensor(1.0, requires_grad=True, device=device)
    Extra.apply(a).backward()
    assert a.grad.item() == 2.0


def test_backward_returning_a_gradient_of_the_wrong_shape_raises(device):
    class BadShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a.sum()

        @staticmethod
        def backward(ctx, g):
            return gt.ones(5, device=device)

    a = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=r"BadShape.*\(5,\).*\(2,\)"):
        BadShape.apply(a).backward()


def test_forward_must_return_tensors(device):
    class NotTensor(Function):
        @staticmethod
        def forward(ctx, a):
            return 3

    with pytest.raises(TypeError, match="NotTensor.forward must return a tensor"):
        NotTensor.apply(gt.tensor(1.0, requires_grad=True, device=device))


def test_save_for_backward_takes_only_tensors(device):
    class SavesNumber(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a, 3)
            return a

    with pytest.raises(TypeError, match="save_for_backward.*int"):
        SavesNumber.apply(gt.tensor(1.0, device=device))


def test_changing_a_saved_tensor_in_place_raises_naming_the_function(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 1.0
    y = Cube.apply(h)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="Cube.*in-place"):
        y.sum().backward()


def test_second_backward_needs_retain_graph(device):
    x = gt.tensor(2.0, requires_grad=True, device=device)
    y = Cube.apply(x)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_saved_tensors_are_released_after_backward(device):
    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    h = x * 2
    ref = weakref.ref(h)
    y = Cube.apply(h)
    del h
    assert ref() is not None  # kept by the ctx
    y.sum().backward()
    assert ref() is None


def test_forward_returning_its_input_does_not_relink_it(device):
    class Identity(Function):
        @staticmethod
        def forward(ctx, a):
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 5

    a = gt.tensor([1.0], requires_grad=True, device=device)
    y = Identity.apply(a)
    assert a.is_leaf and y is not a and not y.is_leaf
    y.sum().backward()
    assert a.grad.tolist() == [5.0]


def test_a_leaf_grad_is_never_a_tensor_the_backward_returned_and_keeps(device):
    """A custom backward may hand back a tensor it holds (here its saved input); the leaf's
    ``.grad`` must be a tensor of its own, so that zeroing it (as optimizers do) leaves the
    saved tensor alone."""

    class PassSaved(Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return w, None  # d(sum(x*w))/dx, with g == 1

    x = gt.tensor([1.0, 2.0], requires_grad=True, device=device)
    w = gt.tensor([3.0, 4.0], device=device)
    PassSaved.apply(x, w).sum().backward()
    assert x.grad is not w
    x.grad.zero_()
    assert _np(w).tolist() == [3.0, 4.0]
    assert _np(x.grad).tolist() == [0.0, 0.0]


def test_mark_non_differentiable(device):
    class WithIndex(Function):
        @staticmethod
        def forward(ctx, a):
            mask = (a > 0).astype(a.dtype)
            ctx.mark_non_differentiable(mask)
            return a * 2, mask

        @staticmethod
        def backward(ctx, g, g_mask):
            return g * 2

    a = gt.tensor([1.0, -1.0], requires_grad=True, device=device)
    y, mask = WithIndex.apply(a)
    assert y.requires_grad and not mask.requires_grad
    y.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]


# -- gradcheck --------------------------------------------------------------------------------
class WrongSquare(Function):
    """A deliberately wrong rule: d(x^2)/dx written as 3x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x


def test_gradcheck_passes_on_a_correct_function(device):
    x = gt.tensor([0.5, -1.0, 2.0], dtype=gt.float64, requires_grad=True, device=device)
    assert gradcheck(Cube.apply, (x,))
    assert gradcheck(ExpFn.apply, x)


def test_gradcheck_names_the_worst_element(device):
    x = gt.tensor([0.5, -1.0, 2.0], dtype=gt.float64, requires_grad=True, device=device)
    with pytest.raises(GradcheckError, match=r"output\)\[2\] / d\(input 0\)\[2\]: analytic 6, "
                                             r"numeric 4") as info:
        gradcheck(WrongSquare.apply, (x,))
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False
    np.testing.assert_array_equal(_np(x), [0.5, -1.0, 2.0])  # inputs restored


def test_gradcheck_names_the_input_position(device):
    c = gt.tensor([1.0], dtype=gt.float64, device=device)
    x = gt.tensor([[1.0, 3.0]], dtype=gt.float64, requires_grad=True, device=device)
    with pytest.raises(GradcheckError, match=r"d\(input 1\)\[0, 1\]: analytic 9, numeric 6"):
        gradcheck(lambda a, b: WrongSquare.apply(b) * a, (c, x))


def test_gradcheck_rejects_non_float64(device):
    x = gt.tensor([1.0], requires_grad=True, device=device)
    with pytest.raises(ValueError, match="input 0.*float32.*float64"):
        gradcheck(Cube.apply, (x,))


def test_gradcheck_needs_an_input_that_requires_grad(device):
    x = gt.tensor([1.0], dtype=gt.float64, device=device)
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(Cube.apply, (x,))


def test_gradcheck_several_outputs(device):
    a = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True, device=device)
    b = gt.tensor([0.5, 0.25], dtype=gt.float64, requires_grad=True, device=device)
    assert gradcheck(SumAndDiff.apply, (a, b))
    assert gradcheck(lambda p, q: (p * q, gt.sin(p), 7), (a, b))

    class WrongSecond(Function):
        @staticmethod
        def forward(ctx, p):
            return p * 2, p * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 4

    with pytest.raises(GradcheckError, match="output 1"):
        gradcheck(WrongSecond.apply, (a,))


def test_gradcheck_non_contiguous_input(device):
    base = gt.tensor(np.arange(1.0, 13.0).reshape(3, 4), dtype=gt.float64, device=device)
    x = base.T.requires_grad_()
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t * t).sum(axis=0), (x,))
    with pytest.raises(GradcheckError):
        gradcheck(WrongSquare.apply, (x,))


def test_gradcheck_of_a_function_that_returns_its_input(device):
    x = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True, device=device)
    assert gradcheck(lambda t: t, (x,))


def test_gradcheck_fn_must_return_tensors(device):
    x = gt.tensor([1.0], dtype=gt.float64, requires_grad=True, device=device)
    with pytest.raises(TypeError, match="gradcheck: fn must return"):
        gradcheck(lambda t: 3.0, (x,))
    with pytest.raises(ValueError, match="no float tensor"):
        gradcheck(lambda t: (t > 0,), (x,))
