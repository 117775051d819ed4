"""Loss modules: each equals its gt.nn.functional loss for every reduction, checks its
reduction when made, passes ignore_index through, keeps the functional's errors and
stability, and runs on the device."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gputensor as gt
from gputensor import nn

F = nn.functional
REDUCTIONS = ["mean", "sum", "none"]


def N(t) -> np.ndarray:
    return t.cpu().numpy()


def _data(device):
    rng = np.random.default_rng(0)
    logits = gt.tensor(rng.standard_normal((5, 4)), device=device)
    labels = gt.tensor(rng.integers(0, 4, 5), device=device)
    probs = gt.tensor(rng.uniform(0.05, 0.95, (5, 4)), device=device)
    targets = gt.tensor(rng.uniform(0, 1, (5, 4)), device=device)
    return logits, labels, probs, targets


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_modules_equal_their_functional(reduction, device):
    logits, labels, probs, targets = _data(device)
    logp = F.log_softmax(logits, 1)
    cases = [
        (nn.MSELoss(reduction=reduction), (logits, targets), F.mse_loss),
        (nn.CrossEntropyLoss(reduction=reduction), (logits, labels), F.cross_entropy),
        (nn.CrossEntropyLoss(reduction=reduction), (logits, probs), F.cross_entropy),
        (nn.NLLLoss(reduction=reduction), (logp, labels), F.nll_loss),
        (nn.BCELoss(reduction=reduction), (probs, targets), F.binary_cross_entropy),
        (nn.BCEWithLogitsLoss(reduction=reduction), (logits, targets),
         F.binary_cross_entropy_with_logits),
    ]
    for module, args, fn in cases:
        got = module(*args)
        want = fn(*args, reduction=reduction)
        assert got.shape == want.shape, repr(module)
        assert got.device == gt.device(device)
        np.testing.assert_array_equal(N(got), N(want), err_msg=repr(module))


def test_closed_forms():
    assert nn.MSELoss()(gt.tensor([1.0, 2.0]), gt.tensor([1.0, 4.0])).item() == 2.0
    assert math.isclose(nn.CrossEntropyLoss()(gt.zeros(2, 4), gt.tensor([1, 3])).item(),
                        math.log(4), rel_tol=1e-6)
    assert nn.NLLLoss(reduction="sum")(gt.tensor([[-1.0, -2.0], [-3.0, -4.0]]),
                                       gt.tensor([1, 0])).item() == 5.0
    assert math.isclose(nn.BCELoss()(gt.tensor([0.5]), gt.tensor([1.0])).item(), math.log(2),
                        rel_tol=1e-6)
    assert math.isclose(nn.BCEWithLogitsLoss()(gt.tensor([0.0]), gt.tensor([1.0])).item(),
                        math.log(2), rel_tol=1e-6)


def test_ignore_index_is_passed_through():
    logits = gt.tensor([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    labels = gt.tensor([0, -1, 1])
    got = nn.CrossEntropyLoss(ignore_index=-1)(logits, labels).item()
    want = F.cross_entropy(logits[[0, 2]], labels[[0, 2]]).item()
    assert math.isclose(got, want, rel_tol=1e-6)
    logp = F.log_softmax(logits, 1)
    assert math.isclose(nn.NLLLoss(ignore_index=-1)(logp, labels).item(),
                        F.nll_loss(logp[[0, 2]], labels[[0, 2]]).item(), rel_tol=1e-6)


def test_stable_at_large_logits():
    x = gt.tensor([[1e4, -1e4, 0.0]])
    assert nn.CrossEntropyLoss()(x, gt.tensor([0])).item() == 0.0
    assert math.isclose(nn.CrossEntropyLoss()(x, gt.tensor([1])).item(), 2e4, rel_tol=1e-6)
    y = nn.BCEWithLogitsLoss(reduction="none")(gt.tensor([1e4, -1e4]), gt.tensor([0.0, 0.0]))
    assert N(y).tolist() == [1e4, 0.0]


def test_gradients_flow_through_the_modules(device):
    logits, labels, _, targets = _data(device)
    x = logits.detach().requires_grad_()
    assert gt.autograd.gradcheck(lambda t: nn.CrossEntropyLoss()(t, labels), [x])
    assert gt.autograd.gradcheck(lambda t: nn.BCEWithLogitsLoss(reduction="sum")(t, targets),
                                 [x])
    assert gt.autograd.gradcheck(lambda t: nn.MSELoss()(t, targets), [x])


def test_bad_reduction_is_refused_when_made():
    for cls in (nn.MSELoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss, nn.BCEWithLogitsLoss):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: reduction must be 'mean', "
                                             r"'sum' or 'none', got 'avg'"):
            cls(reduction="avg")


def test_errors_of_the_functional_come_through():
    with pytest.raises(IndexError, match="target label 5 is out of range for 3 classes"):
        nn.CrossEntropyLoss()(gt.zeros(2, 3), gt.tensor([0, 5]))
    with pytest.raises(ValueError, match="must lie in \\[0, 1\\]"):
        nn.BCELoss()(gt.tensor([1.5]), gt.tensor([1.0]))
    with pytest.raises(ValueError, match="shape"):
        nn.MSELoss()(gt.zeros(3), gt.zeros(4))


def test_loss_reprs_and_use_in_a_model():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(ignore_index=0, reduction="sum")) == (
        "CrossEntropyLoss(ignore_index=0, reduction='sum')")
    assert repr(nn.BCELoss(reduction="none")) == "BCELoss(reduction='none')"
    assert list(nn.MSELoss().parameters()) == []

    class WithLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.loss = nn.CrossEntropyLoss()

    assert [n for n, _ in WithLoss().named_modules()] == ["", "fc", "loss"]
