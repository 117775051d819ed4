"""Loss modules (PyTorch's ``nn.MSELoss`` etc.): each wraps its ``gt.nn.functional`` loss
and is called as ``loss(input, target)``.

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (``KLDivLoss`` also takes
``'batchmean'``), checked when the module is made, as are ``label_smoothing``, ``beta`` and
``delta``. A ``weight`` or ``pos_weight`` tensor is a buffer, as in PyTorch: ``to(device)``
moves it and ``state_dict()`` saves it. For Keras-style losses called ``loss(y_true,
y_pred)`` (``from_logits=...``) see ``gt.nn.training``.

>>> import gputensor as gt
>>> gt.nn.MSELoss()(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
2.0
"""

from __future__ import annotations

import operator

import numpy as np

from .. import dtypes as dt
from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "CrossEntropyLoss", "NLLLoss",
           "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]


class _Loss(Module):
    _reductions = F._REDUCTIONS

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = F._reduction(type(self).__name__, reduction, self._reductions)

    def _options(self) -> list[str]:
        """The non-default options for the repr, after ``reduction``."""
        return []

    def extra_repr(self) -> str:
        parts = [] if self.reduction == "mean" else [f"reduction={self.reduction!r}"]
        return ", ".join(parts + self._options())


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` tensor, kept as a buffer."""

    def __init__(self, weight: Tensor | None = None, reduction: str = "mean"):
        super().__init__(reduction)
        w = F._weight_arg(type(self).__name__, "weight", weight)
        if w is not None and w.dtype.kind != "f":  # (a float buffer: checkpoints load into it)
            w = w.astype(dt.get_default_dtype())
        self.register_buffer("weight", w)


class _LabelLoss(_WeightedLoss):
    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean"):
        super().__init__(weight, reduction)
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


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``, reduced (``F.l1_loss``).

    >>> gt.nn.L1Loss()(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
    1.0
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Smooth L1 loss: quadratic below ``beta``, linear above (``F.smooth_l1_loss``).

    >>> gt.nn.SmoothL1Loss(beta=0.5)(gt.tensor([0.]), gt.tensor([2.])).item()
    1.75
    """

    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = F._option(type(self).__name__, "beta", beta)

    def _options(self) -> list[str]:
        return [] if self.beta == 1.0 else [f"beta={self.beta}"]

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss: quadratic below ``delta``, linear above (``F.huber_loss``).

    >>> gt.nn.HuberLoss(delta=0.5)(gt.tensor([0.]), gt.tensor([2.])).item()
    0.875
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = F._option(type(self).__name__, "delta", delta)

    def _options(self) -> list[str]:
        return [] if self.delta == 1.0 else [f"delta={self.delta}"]

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_LabelLoss):
    """Cross entropy of logits (class axis 1) and integer labels or class probabilities
    (``F.cross_entropy``); stable for logits of any size. ``weight``: one per class;
    ``label_smoothing`` in [0, 1]. Labels out of range raise ``IndexError``;
    ``ignore_index`` labels are skipped.

    >>> gt.nn.CrossEntropyLoss()(gt.zeros(1, 2), gt.tensor([1])).item()  # log 2
    0.6931471824645996
    >>> gt.nn.CrossEntropyLoss(gt.tensor([1., 3.]), reduction="sum")(gt.zeros(1, 2),
    ...                                                              gt.tensor([1])).item()
    2.079441547393799
    """

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, ignore_index, reduction)
        self.label_smoothing = F._option(type(self).__name__, "label_smoothing",
                                         label_smoothing)

    def _options(self) -> list[str]:
        return [f"label_smoothing={self.label_smoothing}"] if self.label_smoothing else []

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_LabelLoss):
    """Negative log-likelihood of integer labels under log-probabilities (``F.nll_loss``),
    e.g. after ``LogSoftmax(dim=1)``; ``weight``: one per class.

    >>> gt.nn.NLLLoss()(gt.tensor([[-1., -2.]]), gt.tensor([1])).item()
    2.0
    """

    def __init__(self, weight: Tensor | None = None, *, ignore_index: int = -100,
                 reduction: str = "mean"):
        super().__init__(weight, ignore_index, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities in [0, 1] (``F.binary_cross_entropy``; logs
    clamped at -100 as PyTorch); ``weight`` broadcasts to the input's shape.

    >>> gt.nn.BCELoss()(gt.tensor([0.5]), gt.tensor([1.])).item()
    0.6931471824645996
    """

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean"):
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of logits, in the stable form
    (``F.binary_cross_entropy_with_logits``); ``pos_weight`` weighs the positive targets of
    each class (the last dimension).

    >>> gt.nn.BCEWithLogitsLoss()(gt.tensor([0.]), gt.tensor([1.])).item()
    0.6931471824645996
    >>> gt.nn.BCEWithLogitsLoss(pos_weight=gt.tensor([2.]))(gt.tensor([0.]), gt.tensor([1.])).item()
    1.3862943649291992
    """

    def __init__(self, weight: Tensor | None = None, *, reduction: str = "mean",
                 pos_weight: Tensor | None = None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight",
                             F._weight_arg(type(self).__name__, "pos_weight", pos_weight))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (``F.kl_div``); ``reduction='batchmean'`` gives the KL divergence per sample ('mean',
    the default as in PyTorch, averages over every element).

    >>> p = gt.tensor([[0.25, 0.75]])
    >>> gt.nn.KLDivLoss(reduction="batchmean")(gt.log(p), p).item()
    0.0
    """

    _reductions = F._KL_REDUCTIONS

    def __init__(self, reduction: str = "mean", log_target: bool = False):
        super().__init__(reduction)
        if not isinstance(log_target, (bool, np.bool_)):
            raise TypeError(f"KLDivLoss: log_target must be a bool, got {log_target!r}")
        self.log_target = bool(log_target)

    def _options(self) -> list[str]:
        return ["log_target=True"] if self.log_target else []

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
