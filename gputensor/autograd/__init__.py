"""Automatic differentiation: one graph engine (``engine.py``) behind both user APIs.

- PyTorch style: ``t.backward()`` / ``.grad``, ``gt.grad``, ``no_grad`` / ``enable_grad`` /
  ``set_grad_enabled``, ``t.register_hook``, custom ops with ``Function``.
- TensorFlow style: ``GradientTape``, ``Variable``, ``stop_gradient``.
- ``gradcheck``: derivative rules against central differences in float64.
"""

from .engine import (HookHandle, Node, add_hook, backward, grad, record,  # noqa: F401
                     record_binary, record_unary, run_backward, sum_to)
from .mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401
                   set_grad_enabled, stop_gradient)
from .tape import GradientTape, UnconnectedGradients  # noqa: F401
from .variable import Variable  # noqa: F401

_LAZY = {"Function": "function", "FunctionCtx": "function", "gradcheck": "checks",
         "GradcheckError": "checks"}


def __getattr__(name):  # the parts built on ops are imported on first use (ops import us)
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'gputensor.autograd' has no attribute {name!r}")
