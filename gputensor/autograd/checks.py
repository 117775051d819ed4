"""``gradcheck``: derivative rules against central finite differences, in float64."""

from __future__ import annotations

import numpy as np

from ..creation import zeros


class GradcheckError(RuntimeError):
    """Analytic and numeric gradients disagree; the message names the worst element."""


def _outputs(fn, inputs) -> list:
    """The float tensors ``fn(*inputs)`` returns (a tensor, or a tuple/list of values)."""
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out) if isinstance(out, (tuple, list)) \
        else None
    if outs is None:
        raise TypeError(f"gradcheck: fn must return a tensor or a tuple/list of tensors, got "
                        f"{type(out).__name__}")
    return [o for o in outs if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _flat64(t) -> np.ndarray:
    return np.array(t._host(), dtype=np.float64).reshape(-1)  # a copy: fn may return an input


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Compare the gradients of ``fn(*inputs)`` with central differences, element by element.

    Every input that requires grad is checked and must be float64 (central differences in
    lower precision are too coarse to mean anything); inputs may be non-contiguous views.
    ``fn`` may return a tensor or several (a tuple or list); each float output is checked
    against each checked input: the full Jacobian, analytic (one backward pass per output
    element) against numeric (``(f(x + eps) - f(x - eps)) / 2 eps`` per input element).
    An element fails when ``|analytic - numeric| > atol + rtol * |numeric|``.

    Returns True, or raises ``GradcheckError`` (a ``RuntimeError``) naming the worst element
    with its analytic and numeric values (returns False when ``raise_exception=False``).

    >>> x = gt.tensor([1., 2.], dtype=gt.float64, requires_grad=True)
    >>> gt.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    from ..tensor import Tensor
    from .engine import run_backward

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [(pos, t) for pos, t in enumerate(inputs)
               if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check (create the "
                         "inputs with requires_grad=True)")
    for pos, t in checked:
        if t.dtype != np.float64:
            raise ValueError(f"gradcheck: input {pos} requires grad but has dtype {t.dtype}; "
                             "gradcheck needs float64 inputs (central differences in lower "
                             "precision are too coarse): pass t.to(gt.float64)")
    tensors = [t for _, t in checked]
    outputs = _outputs(fn, inputs)
    if not outputs:
        raise ValueError("gradcheck: fn returned no float tensor; nothing to differentiate")

    # analytic Jacobians: analytic[k][c] has shape (outputs[k].numel(), checked[c].numel())
    analytic = []
    for out in outputs:
        n_out = out.numel()
        rows = [np.zeros((n_out, t.numel())) for t in tensors]
        if out.requires_grad:
            for j in range(n_out):
                seed = zeros(out.shape, dtype=out.dtype, device=out.device)
                seed._data.reshape(-1)[j] = 1.0
                got = run_backward([out], [seed], retain_graph=True, capture=tensors,
                                   accumulate=False)
                for r, (pos, t) in zip(rows, checked):
                    g = got.get(id(t))
                    if g is not None:
                        if g.shape != t.shape:
                            raise GradcheckError(f"gradcheck: the gradient for input {pos} "
                                                 f"has shape {g.shape}, the input has shape "
                                                 f"{t.shape}")
                        r[j] = _flat64(g)
        analytic.append(rows)
    out_shapes = [o.shape for o in outputs]
    del outputs

    # numeric Jacobians, one input element at a time (all outputs per evaluation); the input
    # is perturbed in its own storage, so non-contiguous views work as they are
    worst = None  # (excess, k, pos, out_index, in_index, analytic, numeric)
    for c, (pos, t) in enumerate(checked):
        data = t._data
        for i, idx in enumerate(np.ndindex(*t.shape)):
            orig = float(data[idx])
            try:
                data[idx] = orig + eps
                plus = [_flat64(o) for o in _outputs(fn, inputs)]
                data[idx] = orig - eps
                minus = [_flat64(o) for o in _outputs(fn, inputs)]
            finally:
                data[idx] = orig
            for k, (p, m) in enumerate(zip(plus, minus)):
                numeric = (p - m) / (2 * eps)
                a = analytic[k][c][:, i]
                err = np.abs(a - numeric) - (atol + rtol * np.abs(numeric))
                err = np.where(np.isnan(a) | np.isnan(numeric), np.inf, err)
                if err.size == 0:
                    continue
                j = int(np.argmax(err))
                if err[j] > 0 and (worst is None or err[j] > worst[0]):
                    worst = (float(err[j]), k, pos, j, idx, float(a[j]), float(numeric[j]),
                             len(plus))
    if worst is None:
        return True
    _, k, pos, j, idx, ana, num, n_outputs = worst
    out_idx = [int(v) for v in np.unravel_index(j, out_shapes[k])]
    where = f"output {k}" if n_outputs > 1 else "output"
    msg = (f"gradcheck: Jacobian mismatch, worst element d({where}){out_idx} / d(input "
           f"{pos}){list(idx)}: analytic {ana:.8g}, numeric {num:.8g} (difference "
           f"{abs(ana - num):.3g}; atol={atol}, rtol={rtol}, eps={eps})")
    if raise_exception:
        raise GradcheckError(msg)
    return False
