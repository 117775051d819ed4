"""Stochastic gradient descent with momentum, Nesterov momentum and weight decay (PyTorch)."""

from __future__ import annotations

from typing import Iterable

from .optimizer import Optimizer, check_number


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's update rule. For each parameter ``p`` with
    gradient ``g``, at step ``t``::

        g = g + weight_decay * p                       (if weight_decay)
        b = g  (t = 1),  b = momentum * b + (1 - dampening) * g  (t > 1)   (if momentum)
        g = g + momentum * b  (nesterov)  or  g = b                        (if momentum)
        p = p - lr * g

    ``nesterov`` needs ``momentum > 0`` and ``dampening == 0``; ``maximize`` steps up the
    gradient (``g = -g`` first).

    >>> w = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w.tolist()
    [0.8, 1.6]
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0,
                 *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_group(self, group: dict) -> None:
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"], low=None)
        check_number("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True requires momentum > 0 and dampening == 0, "
                             f"got momentum={group['momentum']!r} and "
                             f"dampening={group['dampening']!r}")

    def _step_group(self, group: dict) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        dampening, nesterov = group["dampening"], group["nesterov"]
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if group.get("maximize"):
                g = -g
            if wd != 0:
                g = g + wd * p
            if momentum != 0:
                state = self._state(p)
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = g.clone()
                else:
                    buf.mul_(momentum).add_(g, alpha=1 - dampening)
                g = g + momentum * buf if nesterov else buf
            p.sub_(g, alpha=lr)
