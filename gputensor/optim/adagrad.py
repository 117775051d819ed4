"""Adagrad (Duchi, Hazan & Singer, 2011), PyTorch's update rule."""

from __future__ import annotations

from typing import Iterable

from ..ops.elementwise import sqrt
from .optimizer import Optimizer, check_number


class Adagrad(Optimizer):
    """Adagrad. For each parameter ``p`` with gradient ``g``, at step ``t`` (from 1)::

        g = g + weight_decay * p                       (if weight_decay)
        s = s + g**2            (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    ``maximize`` steps up the gradient (``g = -g`` first).

    >>> w = gt.tensor([1.0, -2.0], dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); [round(x, 6) for x in w.tolist()]
    [0.9, -1.9]
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def _check_group(self, group: dict) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_number("Adagrad", key, group[key])

    def _step_group(self, group: dict) -> None:
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        wd, start = group["weight_decay"], group["initial_accumulator_value"]
        for p, g, state in self._grads_and_state(group, ["sum"]):
            if state["step"] == 0 and start:
                state["sum"].fill_(start)
            state["step"] = t = state["step"] + 1
            if wd != 0:
                g = g + wd * p
            s = state["sum"]
            s.add_(g * g)
            p.sub_(g / (sqrt(s) + eps), alpha=lr / (1 + (t - 1) * lr_decay))
