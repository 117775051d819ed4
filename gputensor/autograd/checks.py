"""``gradcheck``: derivative rules against central finite differences, in float64."""

from __future__ import annotations

import itertools

import numpy as np


class GradcheckError(RuntimeError):
    """Analytic and numeric gradients disagree; the message names the worst element."""


def _outputs(fn, inputs):
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = [out] if isinstance(out, Tensor) else list(out)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f"]


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Compare the gradients of ``fn(*inputs)`` with central differences, element by element.

    Inputs that require grad must be float64. Returns True, or raises ``GradcheckError``
    naming the worst element with its analytic and numeric values (False when
    ``raise_exception=False``).

    >>> x = gt.tensor([1., 2.], dtype=gt.float64, requires_grad=True)
    >>> gt.autograd.gradcheck(lambda t: (t * t).sum(), (x,))
    True
    """
    from ..tensor import Tensor
    from .engine import run_backward
    from .mode import no_grad

    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check")
    for t in checked:
        if t.dtype != np.float64:
            raise ValueError(f"gradcheck: inputs that require grad must be float64 for central "
                             f"differences, got {t.dtype}")
    outputs = _outputs(fn, inputs)
    worst = (0.0, None)
    for k, out in enumerate(outputs):
        from ..creation import zeros

        n_out = out.numel()
        # analytic: one backward per output element (rows of the Jacobian)
        analytic = [np.zeros((n_out, t.numel())) for t in checked]
        for j in range(n_out):
            seed = zeros(out.shape, dtype=out.dtype, device=out.device)
            seed._data.reshape(-1)[j] = 1.0
            if not out.requires_grad:
                continue
            got = run_backward([out], [seed], retain_graph=True, capture=checked,
                               accumulate=False)
            for a, t in zip(analytic, checked):
                g = got.get(id(t))
                if g is not None:
                    a[j] = np.asarray(g.cpu().numpy(), np.float64).reshape(-1)
        # numeric: perturb each element of each input, both ways
        for a, t in zip(analytic, checked):
            for i, idx in enumerate(itertools.product(*map(range, t.shape))):
                orig = float(t._data[idx])
                with no_grad():
                    t._data[idx] = orig + eps
                    plus = _outputs(fn, inputs)[k].cpu().numpy().astype(np.float64).reshape(-1)
                    t._data[idx] = orig - eps
                    minus = _outputs(fn, inputs)[k].cpu().numpy().astype(np.float64).reshape(-1)
                    t._data[idx] = orig
                numeric = (plus - minus) / (2 * eps)
                err = np.abs(a[:, i] - numeric) - (atol + rtol * np.abs(numeric))
                if err.size and np.nanmax(err) > worst[0] or np.isnan(err).any():
                    j = int(np.nanargmax(err)) if not np.isnan(err).all() else 0
                    worst = (float(np.nan_to_num(err[j], nan=np.inf)),
                             (k, j, checked.index(t), idx, a[j, i], numeric[j]))
    if worst[1] is not None and worst[0] > 0:
        k, j, which, idx, ana, num = worst[1]
        msg = (f"gradcheck: d(output {k})[{j}] / d(input {which}){list(idx)}: analytic "
               f"{ana:.6g}, numeric {num:.6g} (atol={atol}, rtol={rtol})")
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True
