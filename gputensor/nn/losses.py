"""Loss modules (PyTorch's ``nn.MSELoss`` etc.): each wraps its ``gt.nn.functional`` loss
and is called as ``loss(input, target)``.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'``, checked when the module is
made. For Keras-style losses called ``loss(y_true, y_pred)`` (``from_logits=...``) see
``gt.nn.training``.

>>> import gputensor as gt
>>> gt.nn.MSELoss()(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
2.0
"""

from __future__ import annotations

import operator

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss"]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or "
                             f"'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class _LabelLoss(_Loss):
    def __init__(self, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.ignore_index = operator.index(ignore_index)

    def extra_repr(self) -> str:
        parts = [] if self.ignore_index == -100 else [f"ignore_index={self.ignore_index}"]
        base = super().extra_repr()
        return ", ".join(parts + ([base] if base else []))


class MSELoss(_Loss):
    """Mean squared error ``(input - target) ** 2``, reduced (``F.mse_loss``).

    >>> gt.nn.MSELoss(reduction="sum")(gt.tensor([0., 0.]), gt.tensor([1., 2.])).item()
    5.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_LabelLoss):
    """Cross entropy of logits (class axis 1) and integer labels or class probabilities
    (``F.cross_entropy``); stable for logits of any size. Labels out of range raise
    ``IndexError``; ``ignore_index`` labels are skipped.

    >>> gt.nn.CrossEntropyLoss()(gt.zeros(1, 2), gt.tensor([1])).item()  # log 2
    0.6931471824645996
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, ignore_index=self.ignore_index,
                               reduction=self.reduction)


class NLLLoss(_LabelLoss):
    """Negative log-likelihood of integer labels under log-probabilities (``F.nll_loss``),
    e.g. after ``LogSoftmax(dim=1)``.

    >>> gt.nn.NLLLoss()(gt.tensor([[-1., -2.]]), gt.tensor([1])).item()
    2.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross entropy of probabilities in [0, 1] (``F.binary_cross_entropy``; logs
    clamped at -100 as PyTorch).

    >>> gt.nn.BCELoss()(gt.tensor([0.5]), gt.tensor([1.])).item()
    0.6931471824645996
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of logits, in the stable form
    (``F.binary_cross_entropy_with_logits``).

    >>> gt.nn.BCEWithLogitsLoss()(gt.tensor([0.]), gt.tensor([1.])).item()
    0.6931471824645996
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
