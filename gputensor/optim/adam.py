"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), PyTorch's update rules.

On a backend that provides a fused Adam kernel, the step of each parameter is one call to it
(see ``fused_adam_step``); otherwise it is a few public in-place ops, on any device.
"""

from __future__ import annotations

import math
from typing import Iterable

from ..backends import get_backend
from ..ops.elementwise import maximum, sqrt
from .optimizer import Optimizer, check_number


def fused_adam_step(device):
    """The backend's fused Adam/AdamW kernel for ``device``, or None where there is none.

    The hook is an attribute ``fused_adam_step`` of the device's backend, called once per
    parameter as ``fn(p, grad, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps,
    weight_decay, decoupled)`` (tensors; ``step`` already incremented; ``decoupled`` True for
    AdamW). It must update ``p``, ``exp_avg`` and ``exp_avg_sq`` in place exactly as
    ``Adam._step_group`` does, and bump their version counters. The CUDA backend has one
    (kernels/adam.cu) while custom kernels are on; the NumPy backend has none.

    >>> fused_adam_step(gt.device('cpu')) is None
    True
    """
    return getattr(get_backend(device), "fused_adam_step", None)


class Adam(Optimizer):
    """Adam. For each parameter ``p`` with gradient ``g``, at step ``t`` (from 1)::

        g = g + weight_decay * p                          (L2 penalty; AdamW decays p instead)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)  and use v_max below        (if amsgrad)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    ``fused``: None uses the backend's fused kernel where one exists (never with amsgrad),
    False never does, True requires it. ``maximize`` steps up the gradient (``g = -g``
    first).

    >>> w = gt.tensor([1.0, -2.0], dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); [round(x, 6) for x in w.tolist()]
    [0.9, -1.9]
    """

    _decoupled = False

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False,
                 fused: bool | None = None, *, maximize: bool = False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, fused=fused, maximize=maximize))

    def _check_group(self, group: dict) -> None:
        name = type(self).__name__
        check_number(name, "lr", group["lr"])
        check_number(name, "eps", group["eps"])
        check_number(name, "weight_decay", group["weight_decay"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            check_number(name, f"betas[{i}]", b, high=1.0, high_open=True)
        if group["fused"] and group["amsgrad"]:
            raise ValueError(f"{name}: fused=True does not support amsgrad=True")

    def _step_group(self, group: dict) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        wd, amsgrad, use_fused = group["weight_decay"], group["amsgrad"], group["fused"]
        buffers = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if amsgrad else [])
        for p, g, state in self._grads_and_state(group, buffers):
            state["step"] = t = state["step"] + 1
            m, v = state["exp_avg"], state["exp_avg_sq"]
            fused = None if amsgrad or use_fused is False else fused_adam_step(p.device)
            if fused is not None:
                fused(p, g, m, v, step=t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                      weight_decay=wd, decoupled=self._decoupled)
                continue
            if use_fused:
                raise RuntimeError(f"{type(self).__name__}: fused=True but there is no fused "
                                   f"Adam kernel for {p.device}; use fused=None")
            if wd != 0:
                if self._decoupled:
                    p.mul_(1 - lr * wd)
                else:
                    g = g + wd * p
            m.mul_(beta1).add_(g, alpha=1 - beta1)
            v.mul_(beta2).add_(g * g, alpha=1 - beta2)
            if amsgrad:
                vmax = state["max_exp_avg_sq"]
                vmax.copy_(maximum(vmax, v))
                v = vmax
            denom = sqrt(v) / math.sqrt(1 - beta2 ** t) + eps
            p.sub_(m / denom, alpha=lr / (1 - beta1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay: before the Adam step (without an L2 term in ``g``),
    ``p = p * (1 - lr * weight_decay)``. Default ``weight_decay`` 1e-2 (PyTorch).

    >>> w = gt.tensor([1.0], dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward(); opt.step(); [round(x, 6) for x in w.tolist()]
    [0.85]
    """

    _decoupled = True

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False,
                 fused: bool | None = None, *, maximize: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, fused=fused, maximize=maximize)
