"""RMSprop (Hinton's lecture 6e), PyTorch's update rule, with momentum and the centered form."""

from __future__ import annotations

from typing import Iterable

from ..creation import zeros_like
from ..ops.elementwise import sqrt
from .optimizer import Optimizer, check_number


class RMSprop(Optimizer):
    """RMSprop. For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                       (if weight_decay)
        s = alpha * s + (1 - alpha) * g**2
        a = alpha * a + (1 - alpha) * g;  d = sqrt(s - a**2) + eps    (centered)
                                          d = sqrt(s) + eps           (otherwise)
        b = momentum * b + g / d;  p = p - lr * b      (if momentum)
        p = p - lr * g / d                             (otherwise)

    ``maximize`` steps up the gradient (``g = -g`` first).

    >>> w = gt.tensor([1.0], dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.RMSprop([w], lr=0.01, alpha=0.75)
    >>> (w * w).sum().backward(); opt.step(); [round(x, 6) for x in w.tolist()]
    [0.98]
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_group(self, group: dict) -> None:
        check_number("RMSprop", "lr", group["lr"])
        check_number("RMSprop", "alpha", group["alpha"], high=1.0)
        check_number("RMSprop", "eps", group["eps"])
        check_number("RMSprop", "weight_decay", group["weight_decay"])
        check_number("RMSprop", "momentum", group["momentum"])

    def _step_group(self, group: dict) -> None:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        wd, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
        buffers = ["square_avg"]
        if momentum > 0:
            buffers.append("momentum_buffer")
        if centered:
            buffers.append("grad_avg")
        for p, g, state in self._grads_and_state(group, buffers):
            state["step"] += 1
            if wd != 0:
                g = g + wd * p
            s = state["square_avg"]
            s.mul_(alpha).add_(g * g, alpha=1 - alpha)
            if centered:
                a = state.get("grad_avg")
                if a is None:
                    a = state["grad_avg"] = zeros_like(p)
                a.mul_(alpha).add_(g, alpha=1 - alpha)
                d = sqrt(s - a * a) + eps
            else:
                d = sqrt(s) + eps
            if momentum > 0:
                buf = state.get("momentum_buffer")
                if buf is None:  # momentum turned on for a group after its first step
                    buf = state["momentum_buffer"] = zeros_like(p)
                buf.mul_(momentum).add_(g / d)
                p.sub_(buf, alpha=lr)
            else:
                p.sub_(g / d, alpha=lr)
