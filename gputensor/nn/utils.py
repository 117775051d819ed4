"""Gradient clipping (PyTorch's ``torch.nn.utils``): call between ``backward()`` and
``optimizer.step()``; the parameters' ``.grad`` are changed in place."""

from __future__ import annotations

import math
from typing import Iterable

from ..autograd import no_grad
from ..creation import tensor
from ..ops.elementwise import clip
from ..ops.join import stack
from ..ops.reduce import norm
from ..tensor import Tensor


def _grads(parameters, fn: str) -> list:
    """The ``.grad`` tensors of ``parameters`` (one tensor or an iterable), skipping None."""
    if hasattr(parameters, "parameters") and not isinstance(parameters, Tensor):
        raise TypeError(f"{fn}: expected parameters, got a {type(parameters).__name__} module; "
                        "pass model.parameters()")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: expected tensors (parameters), got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale the gradients so that their joint ``norm_type`` norm (of all of them as one
    vector; ``inf`` for the largest magnitude) is at most ``max_norm``; returns the norm
    before clipping.

    >>> w = gt.nn.Parameter(gt.zeros(2)); w.grad = gt.tensor([3., 4.])
    >>> gt.nn.utils.clip_grad_norm_([w], 1.0).item(), [round(g, 4) for g in w.grad.tolist()]
    (5.0, [0.6, 0.8])
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be >= 0, got {max_norm}")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return tensor(0.0)
    with no_grad():
        device = grads[0].device  # (gradients on several devices: their norms meet here)
        per = stack([norm(g.reshape(-1), norm_type).to(device) for g in grads])
        total = norm(per, norm_type)
        if error_if_nonfinite and not math.isfinite(total.item()):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                               "gradients is non-finite, so it cannot be clipped; pass "
                               "error_if_nonfinite=False to scale by it anyway")
        # as PyTorch: a factor min(1, max_norm / (total + 1e-6)), applied to every gradient
        factor = clip(max_norm / (total + 1e-6), None, 1.0)
        for g in grads:
            g.mul_(factor.to(g.device).astype(g.dtype))
    return total


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element into ``[-clip_value, clip_value]`` in place.

    >>> w = gt.nn.Parameter(gt.zeros(2)); w.grad = gt.tensor([3., -0.5])
    >>> gt.nn.utils.clip_grad_value_([w], 1.0); w.grad.tolist()
    [1.0, -0.5]
    """
    clip_value = float(clip_value)
    if not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clip_(-clip_value, clip_value)
