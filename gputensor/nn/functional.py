"""``gt.nn.functional``: stateless neural-network functions (PyTorch's ``torch.nn.functional``).

Most functions are one op-table row (``kind="composite"``) whose forward is written in
array-module terms, so the same code runs on NumPy and CuPy, plus the public function that
checks its arguments and calls ``apply``. The elementwise activations ``relu sigmoid tanh
gelu leaky_relu`` are the very functions of ``gputensor.ops.elementwise`` (``gt.relu`` etc.),
re-exported. The layers' functions are compositions of differentiable ops around two
windowing rows, ``unfold`` (im2col) and ``fold`` (col2im), each the other's gradient:
``conv2d`` (unfold + one batched matmul), ``max_pool2d`` (unfold + max), ``layer_norm``,
``batch_norm`` (means and rsqrt) and ``embedding`` (``take``).

Conventions shared by the losses:
* ``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (``kl_div`` also
  ``'batchmean'``); the mean of no elements is nan, as in PyTorch.
* Inputs of different roles are not promoted together: integer class labels stay integers,
  and a target is converted to the dtype of the input (``OpDef.promoted=slice(0, 1)``).
* Integer inputs (logits, log-probabilities, probabilities) compute in the default float
  dtype, like ``gt.mean``; float16 inputs compute in float32 internally and return float16.
* Class labels out of range raise ``IndexError`` naming the label and the class count;
  ``ignore_index`` (default -100) labels are skipped and not counted by ``'mean'``.
* ``weight=`` (class weights of ``nll_loss``/``cross_entropy``, element weights of the binary
  cross entropies), ``label_smoothing=`` and ``pos_weight=`` follow PyTorch; with them, and
  in ``l1_loss smooth_l1_loss huber_loss kl_div``, a loss is a composition of gputensor ops
  (gradients of any order, for the weights too), else it is its row.

Gradients: every row but ``one_hot`` has a derivative rule written with gputensor ops. The
losses' gradients are exact closed forms (``cross_entropy`` with labels: ``(softmax -
one_hot) / N`` over the counted labels; ignored labels get 0); float targets (``mse_loss``,
class probabilities, the binary cross entropies) get their gradient too, integer labels and
the dropout noise none. ``binary_cross_entropy``'s input gradient is ``(p - t) /
max(p (1 - p), 1e-12)`` as in PyTorch, finite at p = 0 and 1.

>>> import gputensor as gt
>>> F = gt.nn.functional
>>> F.cross_entropy(gt.zeros(2, 4), gt.tensor([1, 3])).item()  # log(4)
1.3862943649291992
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes as dt
from ..autograd import no_grad
from ..creation import arange, as_tensor, ones
from ..ops import OPS as _OPS
from ..ops import OpDef, apply, register, tensor_method
from ..ops import elementwise as E
from ..ops.opdef import Residuals
# the activations are the elementwise ops themselves (the same objects as gt.relu etc.)
from ..ops.elementwise import abs as _abs
from ..ops.elementwise import (cast, equal, exp, gelu, greater, greater_equal, leaky_relu, less,
                               log, maximum, not_equal, relu, rsqrt, sigmoid, softplus, tanh,
                               where)
from ..ops.join import stack
from ..ops.linalg import matmul
from ..ops.movement import clone, expand_dims, reshape, take
from ..ops.movement import pad as _pad
from ..ops.reduce import max as _max
from ..ops.reduce import mean as _mean
from ..ops.reduce import min as _min
from ..ops.reduce import sum as _sum
from ..random import rand
from ..tensor import Tensor

_SUM = _OPS["sum"]  # rules call the row directly: their axes are already valid

__all__ = ["softmax", "log_softmax", "one_hot", "relu", "sigmoid", "tanh", "gelu", "leaky_relu",
           "dropout", "linear", "mse_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "l1_loss", "smooth_l1_loss", "huber_loss",
           "kl_div", "unfold", "fold", "conv2d", "max_pool2d",
           "layer_norm", "batch_norm", "embedding"]

_REDUCTIONS = ("mean", "sum", "none")
_FIRST = slice(0, 1)  # only input 0 takes part in dtype promotion (labels/targets pass through)
_LOG_FLOOR = 1e-44    # log(max(p, 1e-44)) < -100: with the -100 clamp, exact and warning-free


# -- shared array-module helpers (fwd code: ``xp`` only) --------------------------------------
def _work(xp, x):
    """float16 computes in float32 (the dispatcher casts the result back)."""
    return x.astype(xp.float32) if x.dtype == xp.float16 else x


def _nan(xp, dtype):
    return xp.asarray(xp.nan, dtype=dtype)


def _check_reduction(reduction) -> None:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(xp, loss, reduction):
    """Apply ``reduction`` to per-element losses; the mean of nothing is nan (no warning)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    if loss.size == 0:
        return _nan(xp, loss.dtype)
    return total / loss.size


def _lse_parts(xp, x, axis):
    """``(x - m, exp(x - m), sum(exp(x - m)))`` along ``axis`` with ``m`` the max (stable at
    any size); the first two are new arrays the caller may overwrite.

    A slice whose max is not finite (all -inf, or holding +inf or nan) gets a nan sum, so
    softmax and log_softmax are nan there, as in PyTorch, without floating-point warnings.
    """
    m = x.max(axis=axis, keepdims=True)
    finite = xp.isfinite(m)
    shifted = x - xp.where(finite, m, 0)
    e = xp.exp(shifted)
    return shifted, e, xp.where(finite, e.sum(axis=axis, keepdims=True), xp.nan)


def _normalized(xp, x, axis, log):
    """softmax (``log=False``) or log_softmax of ``x`` along ``axis`` (None: all elements)."""
    x = _work(xp, x)
    if x.size == 0:
        return x.copy()
    shape = x.shape
    if axis is None or x.ndim == 0:
        if x.ndim == 0 and axis not in (None, 0, -1):
            raise np.exceptions.AxisError(f"axis {axis} is out of range for a 0-d tensor")
        x, axis = x.reshape(-1), 0
    shifted, e, s = _lse_parts(xp, x, axis)
    if log:
        shifted -= xp.log(s)
        return shifted.reshape(shape)
    e /= s
    return e.reshape(shape)


def _class_axis(x) -> int:
    if x.ndim == 0:
        raise ValueError("input must have a class axis (shape (C,), (N, C) or (N, C, d1, ...)), "
                         "got a 0-d tensor")
    return 1 if x.ndim >= 2 else 0


def _nll(xp, logp, target, ignore_index, reduction):
    """Negative log-likelihood of integer ``target`` labels under log-probabilities ``logp``."""
    return _nll_and_valid(xp, logp, target, ignore_index, reduction)[0]


def _nll_and_valid(xp, logp, target, ignore_index, reduction):
    """``_nll``, and whether every label was in range and none ignored."""
    _check_reduction(reduction)
    cls = _class_axis(logp)
    n_classes = logp.shape[cls]
    want = logp.shape[:cls] + logp.shape[cls + 1:]
    if target.dtype.kind not in "iu":
        raise TypeError(f"target must hold integer class labels, got dtype {target.dtype}")
    if target.shape != want:
        raise ValueError(f"target shape {target.shape} does not match input shape "
                         f"{logp.shape}: expected target shape {want} (the input without its "
                         f"class axis {cls})")
    if target.dtype != xp.int64:
        target = target.astype(xp.int64)  # comparisons with ignore_index=-100 stay exact
    if _all_labels_valid(xp, target, n_classes, ignore_index):  # the usual case, fewer passes
        if logp.ndim == 2:
            picked = logp[xp.arange(logp.shape[0]), target]
        else:
            picked = xp.squeeze(xp.take_along_axis(logp, xp.expand_dims(target, cls), axis=cls),
                                axis=cls)
        return _reduce(xp, -picked, reduction), True
    keep = target != ignore_index
    bad = keep & ((target < 0) | (target >= n_classes))
    if bool(bad.any()):
        label = int(target[bad].reshape(-1)[0])
        raise IndexError(f"target label {label} is out of range for {n_classes} classes "
                         f"(labels must be in [0, {n_classes - 1}], or ignore_index="
                         f"{ignore_index})")
    if n_classes == 0:  # every label is ignored
        picked = xp.zeros(target.shape, logp.dtype)
    else:
        safe = xp.where(keep, target, 0)
        if logp.ndim == 2:  # (N, C): plain fancy indexing is the cheap way to pick
            picked = logp[xp.arange(logp.shape[0]), safe]
        else:
            picked = xp.take_along_axis(logp, xp.expand_dims(safe, cls), axis=cls)
            picked = xp.squeeze(picked, axis=cls)
    loss = xp.where(keep, -picked, 0)
    if reduction != "mean":
        return _reduce(xp, loss, reduction), False
    count = keep.sum(dtype=loss.dtype)
    return xp.where(count > 0, loss.sum() / xp.maximum(count, 1), _nan(xp, loss.dtype)), False


def _labels_ok(xp, target, shape, cls: int, ignore_index: int) -> bool:
    """Integer labels of the right shape, all in range and none ignored (else the checks of
    ``_nll_and_valid`` say what is wrong)."""
    return (target.dtype.kind in "iu" and target.shape == shape[:cls] + shape[cls + 1:]
            and _all_labels_valid(xp, target, shape[cls], ignore_index))


def _all_labels_valid(xp, target, n_classes: int, ignore_index: int) -> bool:
    """True when there are labels, all in [0, n_classes) and none equal to ignore_index."""
    if target.size == 0:
        return False
    lo, hi = int(target.min()), int(target.max())
    return 0 <= lo and hi < n_classes and not lo <= ignore_index <= hi


def _same_shape(a, b, what: str, fn: str = "") -> None:
    """ValueError unless the shapes are equal (``fn``: the name in front of the message, for
    callers outside a row, whose errors the dispatcher does not name)."""
    if a.shape != b.shape:
        raise ValueError(f"{fn + ': ' if fn else ''}input shape {a.shape} and {what} shape "
                         f"{b.shape} differ; they must be equal (no broadcasting)")


# -- forwards -----------------------------------------------------------------------------
def _softmax_fwd(xp, x, axis=-1):
    return _normalized(xp, x, axis, log=False)


def _log_softmax_fwd(xp, x, axis=-1):
    return _normalized(xp, x, axis, log=True)


def _one_hot_fwd(xp, idx, num_classes=None, dtype=dt.int64):
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be an integer tensor, got dtype {idx.dtype}")
    if idx.size == 0 and num_classes is None:
        raise ValueError("cannot infer num_classes from an empty tensor; pass num_classes=")
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0:
            where = "" if num_classes is None else f" with num_classes={num_classes}"
            raise ValueError(f"index {lo} is negative; class indices must be in "
                             f"[0, num_classes){where}")
        if num_classes is None:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise ValueError(f"index {hi} is out of range for num_classes={num_classes}; "
                             f"indices must be in [0, {num_classes})")
    classes = xp.arange(num_classes)
    return (xp.expand_dims(idx, -1) == classes).astype(dtype)


def _dropout_fwd(xp, x, noise, p=0.5):
    # keep where the uniform noise is >= p, scaled by 1/(1-p): E[out] = x (inverted dropout)
    scale = 1.0 / (1.0 - p) if p < 1 else 0.0
    keep = noise >= p
    return xp.where(keep, x * xp.asarray(scale, dtype=x.dtype), xp.zeros_like(x))


def _linear_fwd(xp, x, weight, bias=None):
    _check_linear_shapes(x.shape, weight.shape, None if bias is None else bias.shape)
    y = xp.matmul(x, weight.T)
    return y if bias is None else y + bias


def _mse_fwd(xp, a, b, reduction="mean"):
    _check_reduction(reduction)
    _same_shape(a, b, "target")
    a = _work(xp, a)
    d = a - b.astype(a.dtype)
    return _reduce(xp, d * d, reduction)


def _nll_fwd(xp, logp, target, ignore_index=-100, reduction="mean"):
    return _nll(xp, _work(xp, logp), target, ignore_index, reduction)


def _cross_entropy_fwd(xp, logits, target, ignore_index=-100, reduction="mean"):
    _check_reduction(reduction)
    cls = _class_axis(logits)
    logits = _work(xp, logits)
    if target.dtype.kind == "f" and target.shape == logits.shape:  # class probabilities
        logp = _normalized(xp, logits, cls, log=True)
        loss = -xp.sum(target.astype(logp.dtype) * logp, axis=cls)
        return _reduce(xp, loss, reduction)
    if target.dtype.kind not in "iu":
        want = logits.shape[:cls] + logits.shape[cls + 1:]
        raise TypeError(f"target must be integer class labels of shape {want} or class "
                        f"probabilities (float) of shape {logits.shape}; got dtype "
                        f"{target.dtype} and shape {target.shape}")
    if logits.size == 0:
        return _nll(xp, _normalized(xp, logits, cls, log=True), target, ignore_index,
                    reduction)
    shifted, e, s = _lse_parts(xp, logits, cls)
    log_s = xp.log(s)
    if logits.ndim == 2 and _labels_ok(xp, target, logits.shape, cls, ignore_index):
        # the usual case: loss_i = log(s_i) - shifted[i, label_i], no log_softmax array
        picked = shifted[xp.arange(logits.shape[0]), target.astype(xp.int64, copy=False)]
        loss, valid = _reduce(xp, log_s[:, 0] - picked, reduction), True
    else:
        shifted -= log_s  # log_softmax
        loss, valid = _nll_and_valid(xp, shifted, target, ignore_index, reduction)
    return Residuals(loss, (e, s, valid))  # the rule's softmax is e / s


def _bce_fwd(xp, p, target, reduction="mean"):
    _check_reduction(reduction)
    _same_shape(p, target, "target")
    p = _work(xp, p)
    t = target.astype(p.dtype)
    outside = ~((p >= 0) & (p <= 1))
    if bool(outside.any()):
        raise ValueError(f"input holds probabilities and must lie in [0, 1]; found "
                         f"{float(p[outside].reshape(-1)[0])!r}; for logits use "
                         f"binary_cross_entropy_with_logits")
    # PyTorch clamps each log at -100, so p = 0 or 1 gives a finite loss of at most 100
    log_p = xp.maximum(xp.log(xp.maximum(p, _LOG_FLOOR)), -100)
    log_q = xp.maximum(xp.log(xp.maximum(1 - p, _LOG_FLOOR)), -100)
    return _reduce(xp, -(t * log_p + (1 - t) * log_q), reduction)


def _bce_logits_fwd(xp, x, target, reduction="mean"):
    _check_reduction(reduction)
    _same_shape(x, target, "target")
    x = _work(xp, x)
    t = target.astype(x.dtype)
    # -[t log s(x) + (1-t) log(1-s(x))] = max(x, 0) - x t + log(1 + exp(-|x|)): no overflow
    loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))
    return _reduce(xp, loss, reduction)


# -- independent float64 NumPy references for the table-driven tests ------------------------
def _softmax_ref(x, axis=-1):
    x = np.asarray(x, np.float64)
    if x.ndim == 0:
        return np.ones(())
    e = np.exp(x)  # naive: fine for the moderate values the tests draw
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax_ref(x, axis=-1):
    return np.log(_softmax_ref(x, axis))


def _one_hot_ref(idx, num_classes=None, dtype=np.int64):
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError("integer indices only")
    if num_classes is None:
        num_classes = int(idx.max()) + 1  # raises on empty input, as one_hot does
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError("index out of range")
    return np.eye(num_classes, dtype=dtype)[idx]


def _dropout_ref(x, noise, p=0.5):
    x = np.asarray(x, np.float64)
    return x * (noise >= p) / (1.0 - p) if p < 1 else np.zeros_like(x)


def _linear_ref(x, weight, bias=None):
    x, weight = np.asarray(x, np.float64), np.asarray(weight, np.float64)
    y = np.einsum("...i,oi->...o", x, weight)
    return y if bias is None else y + bias


def _ref_reduce(loss, reduction, count=None):
    loss = np.asarray(loss, np.float64)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    n = loss.size if count is None else count
    return loss.sum() / n if n else np.float64(np.nan)


def _mse_ref(a, b, reduction="mean"):
    if a.shape != b.shape:
        raise ValueError("shapes differ")
    return _ref_reduce((a.astype(np.float64) - b.astype(np.float64)) ** 2, reduction)


def _ref_labels(logp, target, ignore_index, reduction):
    """Python loop over every label: -logp[n, target[n], d...]."""
    if target.dtype.kind not in "iu":
        raise TypeError("integer labels only")
    moved = np.moveaxis(logp, 1 if logp.ndim >= 2 else 0, -1)  # classes last
    if target.shape != moved.shape[:-1]:
        raise ValueError("target shape")
    loss = np.zeros(target.shape)
    count = 0
    for pos in np.ndindex(*target.shape):
        label = int(target[pos])
        if label == ignore_index:
            continue
        if not 0 <= label < moved.shape[-1]:
            raise IndexError("label out of range")
        loss[pos] = -moved[pos][label]
        count += 1
    return _ref_reduce(loss, reduction, count)


def _nll_ref(logp, target, ignore_index=-100, reduction="mean"):
    return _ref_labels(np.asarray(logp, np.float64), target, ignore_index, reduction)


def _cross_entropy_ref(logits, target, ignore_index=-100, reduction="mean"):
    logits = np.asarray(logits, np.float64)
    cls = 1 if logits.ndim >= 2 else 0
    logp = np.log(np.exp(logits) / np.exp(logits).sum(axis=cls, keepdims=True))
    if target.dtype.kind == "f" and target.shape == logits.shape:
        return _ref_reduce(-(target * logp).sum(axis=cls), reduction)
    return _ref_labels(logp, target, ignore_index, reduction)


def _bce_ref(p, target, reduction="mean"):
    p, t = np.asarray(p, np.float64), np.asarray(target, np.float64)
    if p.shape != t.shape or np.any((p < 0) | (p > 1)):
        raise ValueError("bad input")
    with np.errstate(divide="ignore"):
        loss = -(t * np.clip(np.log(p), -100, None) + (1 - t) * np.clip(np.log1p(-p), -100, None))
    return _ref_reduce(loss, reduction)


def _bce_logits_ref(x, target, reduction="mean"):
    x, t = np.asarray(x, np.float64), np.asarray(target, np.float64)
    if x.shape != t.shape:
        raise ValueError("shapes differ")
    s = 1.0 / (1.0 + np.exp(-x))
    return _ref_reduce(-(t * np.log(s) + (1 - t) * np.log(1 - s)), reduction)


# -- derivative rules (gputensor ops only: they run on any device and are differentiable) ----
# Losses: ``g`` is the gradient of the reduced loss (0-d for 'sum'/'mean') or of each
# element's loss ('none'); ``_coef`` turns it into the factor each element's derivative gets.
# Integer labels and the dropout noise get no gradient (None).
def _coef(g, reduction: str, count):
    """d(result)/d(element loss) times g: g ('none', 'sum') or g / count ('mean'); count is
    a number or a 0-d tensor, at least 1 (the mean of nothing is nan, its gradient empty)."""
    return g / count if reduction == "mean" else g


def _elements(shape, cls=None) -> int:
    """How many losses a 'mean' averages: the elements, without the class axis ``cls``."""
    return max(math.prod(n for i, n in enumerate(shape) if i != cls), 1)


def _norm_axis(ctx):
    axis = ctx.attrs.get("axis", -1)
    return None if axis is None or len(ctx.shapes[0]) == 0 else axis


def _softmax_vjp(ctx, g):
    # d softmax: y * (g - sum(g * y)) along the axis (y = the saved output)
    y = ctx.out
    return y * (g - _sum(g * y, axis=_norm_axis(ctx), keepdims=True))


def _log_softmax_vjp(ctx, g):
    # d log_softmax: g - softmax * sum(g), with softmax = exp(output) (finite at any logits)
    return g - exp(ctx.out) * _sum(g, axis=_norm_axis(ctx), keepdims=True)


def _dropout_vjp(ctx, g):
    p = ctx.attrs.get("p", 0.5)
    keep = cast(greater_equal(ctx.inputs[1], p), g.dtype)
    return g * (keep * (1.0 / (1.0 - p) if p < 1 else 0.0)), None


def _linear_vjp(ctx, g):
    x, weight = ctx.inputs[0], ctx.inputs[1]
    needs = ctx.needs
    if not ctx.create_graph:  # the common case: the gradients in one array-module call
        grads = apply(_LINEAR_GRADS, g, x, weight, need_x=needs[0], need_w=needs[1],
                      need_b=len(needs) == 3 and needs[2])
        if len(grads) == len(needs):
            return grads
        grads.reverse()
        return [grads.pop() if n else None for n in needs]
    gx = matmul(g, weight) if ctx.needs[0] else None
    gw = None
    if ctx.needs[1]:  # sum over every batch position of outer(g, x)
        if g.ndim == 2:  # (batch, out): no reshapes needed
            gw = matmul(g.T, x)
        else:
            rows = math.prod(g.shape[:-1])  # (not -1: a size-0 dim leaves it open)
            g2 = reshape(g, (rows, weight.shape[0]))
            gw = matmul(g2.T, reshape(x, (rows, weight.shape[1])))
    if len(ctx.needs) == 2:
        return gx, gw
    gb = None
    if ctx.needs[2]:  # the bias gradient: g summed over the batch positions
        gb = apply(_SUM, g, axis=tuple(range(g.ndim - 1)), keepdims=False) if g.ndim > 1 else g
    return gx, gw, gb


def _mse_vjp(ctx, g):
    a, b = ctx.inputs[0], ctx.inputs[1]
    ga = _coef(g, ctx.attrs.get("reduction", "mean"), _elements(ctx.shapes[0])) * 2.0 * (a - b)
    return ga, (-ga if ctx.needs[1] else None)


def _label_coef(ctx, g, target, dtype):
    """Per-label factor (labels' shape with the class axis re-inserted, size 1): g, or g over
    the number of counted labels for 'mean', and 0 for ignored labels."""
    keep = cast(not_equal(target, ctx.attrs.get("ignore_index", -100)), dtype)
    if ctx.attrs.get("reduction", "mean") == "mean":
        g = g / maximum(_sum(keep), 1.0)
    return keep * g


def _one_hot_like(target, shape, cls, dtype):
    """The labels as one-hot rows along the class axis ``cls`` of ``shape`` (no host sync:
    an ignore_index outside [0, C) simply matches no class)."""
    classes = arange(shape[cls], device=target.device)
    classes = reshape(classes, (-1,) + (1,) * (len(shape) - 1 - cls))
    return cast(equal(expand_dims(target, cls), classes), dtype)


def _class_axis_of(shape) -> int:
    return 1 if len(shape) >= 2 else 0


def _nll_vjp(ctx, g):
    target = ctx.inputs[1]
    shape, cls = ctx.shapes[0], _class_axis_of(ctx.shapes[0])
    dtype = g.dtype
    coef = expand_dims(_label_coef(ctx, g, target, dtype), cls)
    return -(_one_hot_like(target, shape, cls, dtype) * coef), None


def _cross_entropy_vjp(ctx, g):
    logits, target = ctx.inputs[0], ctx.inputs[1]
    shape, cls = ctx.shapes[0], _class_axis_of(ctx.shapes[0])
    reduction = ctx.attrs.get("reduction", "mean")
    if target.dtype.kind == "f" and tuple(target.shape) == tuple(shape):  # probabilities
        coef = _coef(g, reduction, _elements(shape, cls))
        if reduction == "none":
            coef = expand_dims(coef, cls)
        gx = gt_ = None
        if ctx.needs[0]:  # loss = -sum(t * logp): d/dlogits = softmax * sum(t) - t
            p = apply(SOFTMAX, logits, axis=cls)
            gx = coef * (p * _sum(target, axis=cls, keepdims=True) - target)
        if ctx.needs[1]:
            gt_ = coef * -apply(LOG_SOFTMAX, logits, axis=cls)
        return gx, gt_
    # integer labels: (softmax - one_hot) per counted label, over their count for 'mean'
    if not ctx.create_graph:  # the common case, one fused array-module op (same formula)
        ignore = ctx.attrs.get("ignore_index", -100)
        if ctx.residuals is not None:  # the forward's exponentials: no softmax again
            e, s, valid = ctx.residuals
            return apply(_CE_GRAD_FROM_PARTS, Tensor._make(e, ctx.device),
                         Tensor._make(s, ctx.device), target, g, axis=cls, reduction=reduction,
                         ignore_index=ignore, valid=valid), None
        return apply(_CE_LABEL_GRAD, logits, target, g, axis=cls, reduction=reduction,
                     ignore_index=ignore), None
    p = apply(SOFTMAX, logits, axis=cls)
    coef = expand_dims(_label_coef(ctx, g, target, p.dtype), cls)
    return (p - _one_hot_like(target, shape, cls, p.dtype)) * coef, None


def _ce_label_grad_fwd(xp, logits, target, g, axis, reduction, ignore_index):
    """The label cross-entropy gradient in one pass of array-module calls: what
    ``_cross_entropy_vjp`` computes with gputensor ops when the gradient is recorded."""
    x = logits.astype(np.float32) if logits.dtype == np.float16 else logits
    p = xp.exp(x - x.max(axis=axis, keepdims=True))
    p /= p.sum(axis=axis, keepdims=True)
    valid = x.ndim == 2 and _all_labels_valid(xp, target, x.shape[1], ignore_index)
    return _ce_grad_from_probs(xp, p, target, g, axis, reduction, ignore_index,
                               valid).astype(logits.dtype, copy=False)


def _ce_grad_from_parts_fwd(xp, e, s, target, g, axis, reduction, ignore_index, valid):
    """The same gradient from what the forward kept (``Residuals``): the softmax is ``e / s``;
    ``valid``: the forward found every label in range and none ignored."""
    return _ce_grad_from_probs(xp, e / s, target, g, axis, reduction, ignore_index, valid)


def _ce_grad_from_probs(xp, p, target, g, axis, reduction, ignore_index, valid):
    """``(p - one_hot(target)) * coef`` written into ``p``: coef is g per counted label, over
    their count for 'mean', 0 for ignored labels."""
    if valid and p.ndim == 2 and axis == 1:  # the usual case: no mask, no one-hot
        p[xp.arange(p.shape[0]), target] -= 1
        p *= (g / target.size if reduction == "mean" else
              g[:, None] if reduction == "none" else g).astype(p.dtype)
        return p
    keep = target != ignore_index
    classes = xp.arange(p.shape[axis]).reshape((-1,) + (1,) * (p.ndim - 1 - axis))
    p -= xp.expand_dims(target, axis) == classes
    coef = keep * g.astype(p.dtype)
    if reduction == "mean":
        coef = coef / xp.maximum(keep.sum(), 1)  # no host sync
    p *= xp.expand_dims(coef, axis)
    return p


def _linear_grads_fwd(xp, g, x, weight, need_x=True, need_w=True, need_b=True):
    """The needed ones of (gx, gw, gb) for ``y = x @ weight.T + b``, as a tuple: what
    ``_linear_vjp`` computes with gputensor ops when the gradient is recorded."""
    out = []
    if need_x:
        out.append(xp.matmul(g, weight))
    if need_w:  # sum over every batch position of outer(g, x)
        rows = math.prod(g.shape[:-1])  # (not -1: a size-0 dim leaves it open)
        g2 = g if g.ndim == 2 else g.reshape(rows, weight.shape[0])
        out.append(xp.matmul(g2.T, x if x.ndim == 2 else x.reshape(rows, weight.shape[1])))
    if need_b:  # g summed over the batch positions (a copy of a 1-D g: results own memory)
        out.append(g.sum(axis=tuple(range(g.ndim - 1))) if g.ndim > 1 else g.copy())
    return tuple(out)


# not a table row: an internal forward used only by linear's derivative rule
_LINEAR_GRADS = OpDef("linear_grads", _linear_grads_fwd, kind="composite", arity=3,
                      kinds="f", samples=())


# not table rows: internal forwards used only by cross_entropy's derivative rule
_CE_LABEL_GRAD = OpDef("cross_entropy_label_grad", _ce_label_grad_fwd, kind="composite",
                       arity=3, kinds="f", promoted=slice(0, 1), samples=())
_CE_GRAD_FROM_PARTS = OpDef("cross_entropy_grad_from_parts", _ce_grad_from_parts_fwd,
                            kind="composite", arity=4, kinds="f", promoted=slice(0, 2),
                            samples=())


def _up32(x):
    return x.astype(dt.float32) if x.dtype == dt.float16 else x


def _bce_vjp(ctx, g):
    p, t = _up32(ctx.inputs[0]), _up32(ctx.inputs[1])
    coef = _coef(g, ctx.attrs.get("reduction", "mean"), _elements(ctx.shapes[0]))
    gp = gt_ = None
    if ctx.needs[0]:  # (p - t) / (p (1 - p)), the denominator kept >= 1e-12 (as PyTorch)
        gp = coef * (p - t) / maximum(p * (1 - p), 1e-12)
    if ctx.needs[1]:  # -(log p - log(1 - p)), the logs clamped at -100 as in the forward
        log_p = maximum(log(maximum(p, _LOG_FLOOR)), -100.0)
        log_q = maximum(log(maximum(1 - p, _LOG_FLOOR)), -100.0)
        gt_ = coef * (log_q - log_p)
    return gp, gt_


def _bce_logits_vjp(ctx, g):
    x, t = ctx.inputs[0], ctx.inputs[1]
    coef = _coef(g, ctx.attrs.get("reduction", "mean"), _elements(ctx.shapes[0]))
    gx = coef * (sigmoid(x) - t) if ctx.needs[0] else None
    return gx, (coef * -x if ctx.needs[1] else None)


# -- the rows -----------------------------------------------------------------------------
def _row(name, fwd, **fields) -> OpDef:
    return register(OpDef(name, fwd, kind="composite", **fields))


_LOSS_SHAPES = [[(7,), (7,)], [(2, 3, 4), (2, 3, 4)], [(), ()], [(0,), (0,)]]
_LABEL_SHAPES = [[(4, 3), (4,)], [(3,), ()], [(2, 3, 5), (2, 5)], [(0, 3), (0,)]]
_PROB_SHAPES = [[(4, 3), (4, 3)], [(3,), (3,)], [(2, 3, 5), (2, 3, 5)], [(0, 3), (0, 3)]]
_BCE_SHAPES = [[(4, 6), (4, 6)], [(2, 3, 4), (2, 3, 4)], [(0,), (0,)]]
# how the table-driven tests draw each input: (dtype or None = the case's, domain or None)
_LABELS = [(None, None), ("int64", "index")]          # in-range integer class labels
_PROBS = [(None, "probability"), (None, "probability")]
_NOISE = [(None, None), (None, "probability")]


def _with_reductions(shapes, **extra) -> tuple[dict, ...]:
    return tuple({"reduction": r, "shapes": shapes, **extra} for r in _REDUCTIONS)


_SOFTMAX_SAMPLES = ({"axis": -1}, {"axis": 0, "shapes": [[(3, 4)], [(2, 3, 4)], [(5,)]]},
                    {"axis": 1, "shapes": [[(2, 3, 4)], [(4, 0)], [(0, 3)]]},
                    {"axis": None, "shapes": [[(2, 3)], [()]]})

SOFTMAX = _row("softmax", _softmax_fwd, kinds="iuf", policy="float",
               vjp=_softmax_vjp, save=("out",),
               samples=_SOFTMAX_SAMPLES, ref=_softmax_ref,
               doc="exp(x) / sum(exp(x)) along an axis, computed stably.")
LOG_SOFTMAX = _row("log_softmax", _log_softmax_fwd, kinds="iuf", policy="float",
                   vjp=_log_softmax_vjp, save=("out",),
                   samples=_SOFTMAX_SAMPLES, ref=_log_softmax_ref,
                   doc="x - logsumexp(x) along an axis, computed stably.")
ONE_HOT = _row("one_hot", _one_hot_fwd, kinds="iu", policy="any", domain="unit",
               samples=({"num_classes": 3}, {},
                        {"num_classes": 2, "dtype": dt.float32,
                         "shapes": [[(7,)], [(2, 3)], [()]]}),
               ref=_one_hot_ref, doc="One-hot encoding of integer class indices.")
DROPOUT = _row("dropout", _dropout_fwd, arity=2, kinds="f", promoted=_FIRST,
               vjp=_dropout_vjp, save=("x1",),
               samples=tuple({"p": p, "shapes": _LOSS_SHAPES, "inputs": _NOISE}
                             for p in (0.5, 0.25, 1.0)),
               ref=_dropout_ref,
               doc="Inverted dropout given uniform noise: x / (1-p) where noise >= p, else 0.")
LINEAR = _row("linear", _linear_fwd, arity=None, kinds="iuf",
              vjp=_linear_vjp, save=("x0", "x1"),
              samples=({"shapes": [[(4, 3), (2, 3), (2,)], [(3,), (2, 3), (2,)],
                                   [(2, 5, 3), (4, 3), (4,)], [(0, 3), (2, 3), (2,)],
                                   [(2, 0), (3, 0), (3,)]]},
                       {"shapes": [[(4, 3), (2, 3)], [(3,), (5, 3)]]}),
              ref=_linear_ref, doc="x @ weight.T + bias (PyTorch layout: weight (out, in)).")
MSE_LOSS = _row("mse_loss", _mse_fwd, arity=2, kinds="iuf", policy="float",
                vjp=_mse_vjp, save=("x0", "x1"),
                samples=_with_reductions(_LOSS_SHAPES), ref=_mse_ref,
                doc="Mean squared error.")
NLL_LOSS = _row("nll_loss", _nll_fwd, arity=2, kinds="iuf", policy="float", promoted=_FIRST,
                vjp=_nll_vjp, save=("x1",),
                domain="unit",
                samples=_with_reductions(_LABEL_SHAPES, inputs=_LABELS)
                + ({"ignore_index": 1, "shapes": [[(6, 3), (6,)]], "inputs": _LABELS},),
                ref=_nll_ref, doc="Negative log-likelihood of integer labels.")
CROSS_ENTROPY = _row("cross_entropy", _cross_entropy_fwd, arity=2, kinds="iuf",
                     policy="float", promoted=_FIRST, domain="unit",
                     vjp=_cross_entropy_vjp, save=("x0", "x1"),
                     samples=_with_reductions(_LABEL_SHAPES, inputs=_LABELS)
                     + _with_reductions(_PROB_SHAPES, inputs=_NOISE)
                     + ({"ignore_index": 0, "shapes": [[(6, 3), (6,)]], "inputs": _LABELS},),
                     ref=_cross_entropy_ref,
                     doc="Cross entropy of logits against labels or class probabilities.")
BINARY_CROSS_ENTROPY = _row("binary_cross_entropy", _bce_fwd, arity=2, kinds="iuf",
                            policy="float", promoted=_FIRST, domain="unit",
                            vjp=_bce_vjp, save=("x0", "x1"),
                            samples=_with_reductions(_BCE_SHAPES, inputs=_PROBS),
                            ref=_bce_ref,
                            doc="Binary cross entropy of probabilities (logs clamped at -100).")
BINARY_CROSS_ENTROPY_WITH_LOGITS = _row(
    "binary_cross_entropy_with_logits", _bce_logits_fwd, arity=2, kinds="iuf", policy="float",
    promoted=_FIRST, vjp=_bce_logits_vjp, save=("x0", "x1"),
    samples=_with_reductions(_LOSS_SHAPES, inputs=_NOISE),
    ref=_bce_logits_ref,
    doc="Binary cross entropy of logits, in the stable form.")


# -- argument checks ----------------------------------------------------------------------
def _as_tensor(x, device=None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return as_tensor(x, device=device)


def _axis(fn: str, x: Tensor, axis, dim):
    """The axis of ``axis=``/``dim=`` checked against ``x`` (None: all elements)."""
    if dim is not None:
        if axis is not None and axis != -1 and axis != dim:
            raise TypeError(f"{fn}: got axis={axis} and dim={dim}; give only one")
        axis = dim
    if axis is None:
        return None
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{fn}: axis must be an int or None, got {axis!r}") from None
    n = max(x.ndim, 1)  # a 0-d tensor has the one axis -1 == 0, as in PyTorch
    if not -n <= axis < n:
        raise np.exceptions.AxisError(
            f"{fn}: axis {axis} is out of range for a tensor of shape {x.shape} "
            f"({x.ndim} dimension(s)); valid axes are {-n}..{n - 1}")
    return axis


def _reduction(fn: str, reduction, allowed: tuple = _REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        names = ", ".join(map(repr, allowed[:-1])) + f" or {allowed[-1]!r}"
        raise ValueError(f"{fn}: reduction must be {names}, got {reduction!r}")
    return reduction


def _check_linear_shapes(x, w, b) -> None:
    if len(w) != 2:
        raise ValueError(f"weight must be 2-D (out_features, in_features), got shape {w}")
    if len(x) == 0:
        raise ValueError(f"input must have at least 1 dimension (..., in_features), got "
                         f"shape {x}")
    if x[-1] != w[1]:
        raise ValueError(f"input shape {x} and weight shape {w} do not match: the input has "
                         f"{x[-1]} features, the weight (out_features, in_features) expects "
                         f"{w[1]}")
    if b is not None and tuple(b) != (w[0],):
        raise ValueError(f"bias shape {b} does not match weight shape {w}: expected "
                         f"({w[0]},)")


# -- public functions ---------------------------------------------------------------------
@tensor_method("softmax")
def softmax(x: Tensor, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim``); ``axis=None`` uses all elements.

    Stable for inputs of any magnitude (the max is subtracted first). A slice that is all
    -inf, or holds +inf or nan, gives nan, as PyTorch does. Integer inputs give the default
    float dtype.

    >>> gt.nn.functional.softmax(gt.tensor([1., 1.])).tolist()
    [0.5, 0.5]
    """
    x = _as_tensor(x)
    return apply(SOFTMAX, x, axis=_axis("softmax", x, axis, dim))


@tensor_method("log_softmax")
def log_softmax(x: Tensor, axis: int | None = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (``dim``): the log of ``softmax``, computed stably.

    All -inf slices (and slices holding +inf or nan) give nan, as in PyTorch.

    >>> gt.nn.functional.log_softmax(gt.tensor([1e4, 1e4])).tolist()
    [-0.6931471824645996, -0.6931471824645996]
    """
    x = _as_tensor(x)
    return apply(LOG_SOFTMAX, x, axis=_axis("log_softmax", x, axis, dim))


def one_hot(indices: Tensor, num_classes: int | None = None, *, dtype=dt.int64) -> Tensor:
    """One-hot encoding: a new last axis of length ``num_classes`` (int64 by default).

    ``num_classes=None`` infers ``max(indices) + 1``. Indices must be integers (else
    ``TypeError``) in ``[0, num_classes)`` (else ``ValueError`` naming the index).

    >>> gt.nn.functional.one_hot(gt.tensor([0, 2])).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    indices = _as_tensor(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be an integer tensor (class indices), got "
                        f"dtype {indices.dtype}")
    if num_classes is not None:
        if isinstance(num_classes, bool):
            raise TypeError("one_hot: num_classes must be an int or None, got a bool")
        try:
            num_classes = operator.index(num_classes)
        except TypeError:
            raise TypeError(f"one_hot: num_classes must be an int or None, got "
                            f"{num_classes!r}") from None
        if num_classes < 0:
            raise ValueError(f"one_hot: num_classes must be non-negative, got {num_classes}")
    return apply(ONE_HOT, indices, num_classes=num_classes, dtype=dt.as_dtype(dtype))


def dropout(x: Tensor, p: float = 0.5, training: bool = True, generator=None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1/(1-p).

    Returns ``x`` itself when ``training`` is False or ``p == 0``; ``p == 1`` gives zeros.
    The mask is drawn from ``generator`` or the default stream of ``x``'s device, so
    ``gt.manual_seed`` makes it reproducible.

    >>> gt.manual_seed(0); y = gt.nn.functional.dropout(gt.ones(4), p=0.5)
    """

    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout: p must be a number in [0, 1], got {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p}")
    x = _as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"dropout: input must be a float tensor, got dtype {x.dtype}")
    if not training or p == 0:
        return x
    noise = rand(x.shape, dtype=dt.float32, device=x.device, generator=generator)
    return apply(DROPOUT, x, noise, p=float(p))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` with PyTorch's layout: ``weight`` is (out_features, in_features).

    >>> gt.nn.functional.linear(gt.ones(2, 3), gt.ones(4, 3), gt.zeros(4)).shape
    (2, 4)
    """
    x, weight = _as_tensor(x), _as_tensor(weight)  # (the forward checks the shapes)
    if bias is None:
        return apply(LINEAR, x, weight)
    return apply(LINEAR, x, weight, _as_tensor(bias))


def _loss(op: OpDef, fn: str, input, target, reduction, **attrs) -> Tensor:
    """``op`` (a loss row) of ``input`` and ``target``, the target moved to the input's
    device and ``reduction`` checked in ``fn``'s name: the body the loss functions share."""
    input = _as_tensor(input)
    target = _as_tensor(target, input.device)
    return apply(op, input, target, **attrs, reduction=_reduction(fn, reduction))


# -- losses composed of gputensor ops -----------------------------------------------------
# The options the rows do not take (class and element weights, label smoothing, pos_weight)
# and the regression and KL losses are compositions of differentiable ops, so their
# gradients (of any order, for the weights too) and CUDA come from those ops. Without the
# options, the functions call their row as before. The conventions are the rows': integer
# inputs compute in the default float dtype, float16 in float32 (rounded once at the end).
_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")
# softplus's threshold (PyTorch's 20 would round): above 50, softplus(x) - x < 2e-22, under
# one float64 ulp of x
_EXACT_SOFTPLUS = 50.0


# the losses' numeric options: (test, what the value must be), one place for the functions,
# the loss modules and the Keras-style losses
_OPTIONS = {"beta": (lambda b: b >= 0, "non-negative"), "delta": (lambda d: d > 0, "positive"),
            "label_smoothing": (lambda s: 0 <= s <= 1, "between 0.0 and 1.0")}


def _option(fn: str, what: str, value) -> float:
    """The loss option ``what`` (a key of ``_OPTIONS``) as a float: TypeError unless a real
    number, ValueError unless its rule holds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {what} must be a real number, got {value!r}")
    ok, rule = _OPTIONS[what]
    if not ok(value):
        raise ValueError(f"{fn}: {what} must be {rule}, got {value!r}")
    return float(value)


def _weight_arg(fn: str, what: str, w, x: Tensor | None = None, cls: int | None = None):
    """None, or ``w`` (a tensor, NumPy array or list of real numbers; TypeError naming
    ``what`` otherwise) as a tensor on ``x``'s device. With ``x``, its shape is checked:
    ``(C,)`` for the classes on axis ``cls``, else broadcasting to ``x``'s shape."""
    if w is None:
        return None
    if not isinstance(w, (Tensor, np.ndarray, list, tuple)):
        hint = (" (the options after it, such as reduction and ignore_index, are keyword-only)"
                if isinstance(w, (int, str)) and what == "weight" else "")
        raise TypeError(f"{fn}: {what} must be a tensor or None, got {type(w).__name__} "
                        f"{w!r}{hint}")
    w = _as_tensor(w, None if x is None else x.device)
    if w.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: {what} must hold real numbers, got dtype {w.dtype}")
    if x is None:
        return w
    if w.device != x.device:
        raise RuntimeError(f"{fn}: {what} is on {w.device} but the input on {x.device}; move "
                           f"it with .to({str(x.device)!r})")
    if cls is not None:
        c = x.shape[cls]
        if w.shape != (c,):
            raise ValueError(f"{fn}: {what} shape {w.shape} does not match the {c} classes "
                             f"of the input of shape {x.shape}: expected ({c},)")
        return w
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        hint = (f"; pos_weight holds one weight per class and broadcasts over the last "
                f"dimension: shape ({x.shape[-1]},)" if what == "pos_weight" and x.ndim else "")
        raise ValueError(f"{fn}: {what} shape {w.shape} does not broadcast to the input "
                         f"shape {x.shape}{hint}")
    return w


def _operands(fn: str, input, target) -> tuple[Tensor, Tensor, object]:
    """(input in the dtype the loss computes in, target on the input's device, the result's
    dtype): integers compute in the default float dtype, float16 in float32."""
    x = _as_tensor(input)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: unsupported dtype {x.dtype}; accepted dtypes are signed "
                        f"integers, unsigned integers, floats")
    out = x.dtype if x.dtype.kind == "f" else dt.get_default_dtype()
    return cast(x, dt.float32 if out == dt.float16 else out), _as_tensor(target, x.device), out


def _reduce_loss(loss: Tensor, reduction: str, count=None) -> Tensor:
    """``_reduce`` for a loss made of gputensor ops: 'mean' divides the sum by ``count`` (a
    number or a 0-d tensor; None: the number of elements), and a count of 0 gives nan
    without a warning, as the mean of nothing in PyTorch."""
    if reduction == "none":
        return loss
    total = _sum(loss)
    if reduction == "sum":
        return total
    if count is None:
        count = loss.size
    if not isinstance(count, Tensor):
        return total / count if count else total * math.nan
    zero = equal(count, 0)
    return where(zero, math.nan, total / where(zero, 1.0, count))


def _label_loss(row: OpDef, fn: str, input, target, weight, ignore_index: int, reduction: str,
                smoothing: float = 0.0) -> Tensor:
    """``row`` (nll_loss or cross_entropy) with class weights and label smoothing, as
    PyTorch: each label's loss ``-logp[label]`` (the row's, which checks the labels) times
    its class weight, ``(1 - smoothing)`` of it plus ``smoothing / C`` of the weighted
    ``-sum(logp)`` over the classes; 'mean' divides by the summed weights of the counted
    labels."""
    x, t, out = _operands(fn, input, target)
    per = apply(row, x, t, ignore_index=ignore_index, reduction="none")
    cls = _class_axis(x)
    labels = cast(t, dt.int64)
    keep = not_equal(labels, ignore_index)
    w = _weight_arg(fn, "weight", weight, x, cls)
    if w is None:
        counted = cast(keep, x.dtype)
    else:  # (C,) -> (C, 1, ..., 1): broadcasts along the class axis
        w = reshape(cast(w, x.dtype), (-1,) + (1,) * (x.ndim - 1 - cls))
        picked = _sum(_one_hot_like(labels, x.shape, cls, x.dtype) * w, axis=cls)
        counted = where(keep, picked, 0.0)
    loss = per * counted
    if smoothing:
        logp = x if row is NLL_LOSS else log_softmax(x, cls)
        spread = -_sum(logp if w is None else logp * w, axis=cls)
        loss = (loss * (1.0 - smoothing)
                + where(keep, spread, 0.0) * (smoothing / max(x.shape[cls], 1)))
    return cast(_reduce_loss(loss, reduction, _sum(counted)), out)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error ``(input - target) ** 2``, reduced; shapes must be equal.

    >>> gt.nn.functional.mse_loss(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
    2.0
    """
    return _loss(MSE_LOSS, "mse_loss", input, target, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: ``-weight[c] * input[n, c]`` with ``c = target[n]``, for
    log-probabilities ``input``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); ``target`` holds integer labels of the
    input's shape without the class axis. ``weight``: one weight per class, shape (C,);
    'mean' divides by the summed weights of the counted labels. Labels equal to
    ``ignore_index`` are skipped (and not counted by the mean); others outside [0, C) raise
    ``IndexError``.

    >>> gt.nn.functional.nll_loss(gt.tensor([[-1., -2.]]), gt.tensor([1])).item()
    2.0
    """
    ignore_index = operator.index(ignore_index)
    if weight is None:
        return _loss(NLL_LOSS, "nll_loss", input, target, reduction, ignore_index=ignore_index)
    return _label_loss(NLL_LOSS, "nll_loss", input, target, weight, ignore_index,
                       _reduction("nll_loss", reduction))


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits ``input`` (class axis 1, or 0 for 1-D input) and ``target``.

    ``target`` is either integer class labels (the input's shape without the class axis;
    ``ignore_index`` labels skipped) or class probabilities of the input's own shape
    (float). Equal to ``nll_loss(log_softmax(input, 1), target, weight)``; stable for any
    logits. ``weight``: one weight per class, shape (C,); with labels 'mean' divides by the
    summed weights of the counted labels, with probabilities by N. ``label_smoothing`` in
    [0, 1] mixes the target with the uniform distribution: ``(1 - s) target + s / C``.

    >>> gt.nn.functional.cross_entropy(gt.tensor([[0., 0.]]), gt.tensor([0])).item()  # log 2
    0.6931471824645996
    """
    fn = "cross_entropy"
    ignore_index = operator.index(ignore_index)
    smoothing = _option(fn, "label_smoothing", label_smoothing)
    if weight is None and not smoothing:
        return _loss(CROSS_ENTROPY, fn, input, target, reduction, ignore_index=ignore_index)
    reduction = _reduction(fn, reduction)
    x = _as_tensor(input)
    t = _as_tensor(target, x.device)
    if not (t.dtype.kind == "f" and t.shape == x.shape and x.ndim):
        return _label_loss(CROSS_ENTROPY, fn, x, t, weight, ignore_index, reduction, smoothing)
    # class probabilities: -sum(weight * target * log_softmax(input)) over the classes
    x, t, out = _operands(fn, x, t)
    cls = _class_axis(x)
    w = _weight_arg(fn, "weight", weight, x, cls)
    t = cast(t, x.dtype)
    if smoothing:
        t = t * (1.0 - smoothing) + smoothing / x.shape[cls]
    if w is not None:
        t = t * reshape(cast(w, x.dtype), (-1,) + (1,) * (x.ndim - 1 - cls))
    loss = -_sum(log_softmax(x, cls) * t, axis=cls)
    return cast(_reduce_loss(loss, reduction), out)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
                         reduction: str = "mean") -> Tensor:
    """``-weight (t log p + (1-t) log(1-p))`` for probabilities ``p`` in [0, 1], logs clamped
    at -100 as PyTorch.

    Shapes must be equal; ``weight`` must broadcast to the input's shape ('mean' still
    divides by the number of elements). A probability outside [0, 1] (or nan) raises
    ``ValueError``.

    >>> gt.nn.functional.binary_cross_entropy(gt.tensor([0.5]), gt.tensor([1.])).item()
    0.6931471824645996
    """
    fn = "binary_cross_entropy"
    if weight is None:
        return _loss(BINARY_CROSS_ENTROPY, fn, input, target, reduction)
    reduction = _reduction(fn, reduction)
    x, t, out = _operands(fn, input, target)
    per = apply(BINARY_CROSS_ENTROPY, x, t, reduction="none")  # checks shapes and range
    w = cast(_weight_arg(fn, "weight", weight, x), x.dtype)
    return cast(_reduce_loss(per * w, reduction), out)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, *, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``binary_cross_entropy(sigmoid(input), target, weight)`` in a form stable for any
    logits: ``weight ((1 - t) x + (1 + (pos_weight - 1) t) softplus(-x))``.

    ``weight`` and ``pos_weight`` must broadcast to the input's shape; ``pos_weight`` weighs
    the positive targets, one weight per class along the last dimension, as PyTorch.

    >>> gt.nn.functional.binary_cross_entropy_with_logits(gt.tensor([0.]), gt.tensor([1.])).item()
    0.6931471824645996
    """
    fn = "binary_cross_entropy_with_logits"
    if weight is None and pos_weight is None:
        return _loss(BINARY_CROSS_ENTROPY_WITH_LOGITS, fn, input, target, reduction)
    reduction = _reduction(fn, reduction)
    x, t, out = _operands(fn, input, target)
    _same_shape(x, t, "target", fn)
    w = _weight_arg(fn, "weight", weight, x)
    pw = _weight_arg(fn, "pos_weight", pos_weight, x)
    if pw is None:
        loss = apply(BINARY_CROSS_ENTROPY_WITH_LOGITS, x, t, reduction="none")
    else:
        t = cast(t, x.dtype)
        scale = (cast(pw, x.dtype) - 1.0) * t + 1.0
        loss = (1.0 - t) * x + scale * softplus(-x, threshold=_EXACT_SOFTPLUS)
    if w is not None:
        loss = loss * cast(w, x.dtype)
    return cast(_reduce_loss(loss, reduction), out)


def _difference_loss(fn: str, input, target, reduction: str, loss) -> Tensor:
    """``loss(input - target)`` elementwise (equal shapes, the target in the input's
    dtype), reduced by the already checked ``reduction``: the regression losses' body."""
    x, t, out = _operands(fn, input, target)
    _same_shape(x, t, "target", fn)
    return cast(_reduce_loss(loss(x - cast(t, x.dtype)), reduction), out)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error ``|input - target|``, reduced; shapes must be equal.

    >>> gt.nn.functional.l1_loss(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
    1.0
    """
    return _difference_loss("l1_loss", input, target, _reduction("l1_loss", reduction), _abs)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Smooth L1: ``0.5 d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta``, with
    ``d = input - target`` (``beta = 0``: the L1 loss); ``beta`` must be non-negative.

    >>> gt.nn.functional.smooth_l1_loss(gt.tensor([0., 0.]), gt.tensor([0.5, 3.])).item()
    1.3125
    """
    fn = "smooth_l1_loss"
    reduction = _reduction(fn, reduction)
    beta = _option(fn, "beta", beta)

    def loss(d):
        a = _abs(d)
        return a if beta == 0 else where(less(a, beta), d * d * 0.5 / beta, a - 0.5 * beta)

    return _difference_loss(fn, input, target, reduction, loss)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """Huber loss: ``0.5 d**2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``,
    with ``d = input - target`` (``smooth_l1_loss`` times ``delta``); ``delta`` must be
    positive.

    >>> gt.nn.functional.huber_loss(gt.tensor([0., 0.]), gt.tensor([0.5, 3.]), delta=2.).item()
    2.0625
    """
    fn = "huber_loss"
    reduction = _reduction(fn, reduction)
    delta = _option(fn, "delta", delta)

    def loss(d):
        a = _abs(d)
        return where(less(a, delta), d * d * 0.5, (a - 0.5 * delta) * delta)

    return _difference_loss(fn, input, target, reduction, loss)


def kl_div(input: Tensor, target: Tensor, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence pointwise, ``target (log target - input)`` for
    log-probabilities ``input`` (``log_target``: the target is given as log-probabilities
    too). As PyTorch, 'mean' averages over every element; 'batchmean' divides the sum by
    the batch size (``input.shape[0]``), which is the KL divergence per sample. A target of
    0 contributes 0.

    >>> p = gt.tensor([[0.5, 0.5]])
    >>> gt.nn.functional.kl_div(gt.log(p), p, reduction="batchmean").item()
    0.0
    """
    fn = "kl_div"
    reduction = _reduction(fn, reduction, _KL_REDUCTIONS)
    if not isinstance(log_target, (bool, np.bool_)):
        raise TypeError(f"{fn}: log_target must be a bool, got {log_target!r}")
    x, t, out = _operands(fn, input, target)
    _same_shape(x, t, "target", fn)
    t = cast(t, x.dtype)
    if log_target:
        loss = exp(t) * (t - x)
    else:  # xlogy(t, t) - t x: 0 where t == 0, nan where t < 0 (as PyTorch, no warning)
        pos = greater(t, 0)
        own = where(pos, t * log(where(pos, t, 1.0)), where(equal(t, 0), 0.0, math.nan))
        loss = own - t * x
    if reduction == "batchmean":
        return cast(_reduce_loss(loss, "mean", x.shape[0] if x.ndim else 1), out)
    return cast(_reduce_loss(loss, reduction), out)


# == convolution, pooling, normalization, embedding ========================================
# Two more rows, ``unfold`` (im2col) and ``fold`` (col2im), carry the windowing: each is the
# other's adjoint, so each one's derivative rule is the other and every gradient can be
# differentiated again. ``conv2d`` is ``unfold`` + ``matmul``; ``max_pool2d`` is a window
# view (``reshape`` or ``unfold``) + ``max``; ``layer_norm``/``batch_norm`` are means and
# ``rsqrt``; ``embedding`` is ``take``: all composites of differentiable ops.
def _conv_out(size: int, k: int, d: int, p: int, s: int) -> int:
    """Output length of a window of ``k`` taps (dilation ``d``) sliding by ``s`` over ``size``
    elements padded by ``p`` on both sides (PyTorch's formula)."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _windows(fn, hw, kernel_size, dilation, padding, stride) -> tuple[int, int]:
    oh, ow = (_conv_out(n, k, d, p, s) for n, k, d, p, s
              in zip(hw, kernel_size, dilation, padding, stride))
    if oh < 1 or ow < 1:
        span = tuple(d * (k - 1) + 1 for k, d in zip(kernel_size, dilation))
        padded = tuple(n + 2 * p for n, p in zip(hw, padding))
        raise ValueError(f"{fn}: the kernel window {span} (kernel_size {kernel_size}, "
                         f"dilation {dilation}) is larger than the padded input {padded} "
                         f"(input {tuple(hw)}, padding {padding})")
    return oh, ow


def _unfold_fwd(xp, x, kernel_size, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    if x.ndim != 4:
        raise ValueError(f"input must be 4-D (N, C, H, W), got shape {x.shape}")
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh, ow = _windows("unfold", (h, w), kernel_size, dilation, padding, stride)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):  # one strided copy per kernel tap
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                                 j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)


def _fold_fwd(xp, cols, output_size, kernel_size, dilation=(1, 1), padding=(0, 0),
              stride=(1, 1)):
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (output_size, kernel_size, dilation,
                                                      padding, stride)
    if cols.ndim != 3:
        raise ValueError(f"input must be 3-D (N, C * kh * kw, L), got shape {cols.shape}")
    n, ckk, length = cols.shape
    oh, ow = _windows("fold", (h, w), kernel_size, dilation, padding, stride)
    if ckk % (kh * kw) or length != oh * ow:
        raise ValueError(f"input shape {cols.shape} does not match kernel_size "
                         f"{kernel_size} and output_size {output_size}: expected (N, C * "
                         f"{kh * kw}, {oh * ow})")
    c = ckk // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):  # overlapping windows add up
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, i, j]
    return xp.ascontiguousarray(out[:, :, ph:ph + h, pw:pw + w])


def _unfold_ref(x, kernel_size, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """A loop over every output element, reading the unpadded input directly."""
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        raise ValueError("window larger than the input")
    out = np.zeros((n, c, kh, kw, oh, ow), x.dtype)
    for b, ch, i, j, y, z in np.ndindex(*out.shape):
        r, q = y * sh + i * dh - ph, z * sw + j * dw - pw
        if 0 <= r < h and 0 <= q < w:
            out[b, ch, i, j, y, z] = x[b, ch, r, q]
    return out.reshape(n, c * kh * kw, oh * ow)


def _fold_ref(cols, output_size, kernel_size, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (output_size, kernel_size, dilation,
                                                      padding, stride)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    n, ckk, length = cols.shape
    if oh < 1 or ow < 1 or ckk % (kh * kw) or length != oh * ow:
        raise ValueError("shapes do not match")
    c = ckk // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, oh, ow).astype(np.float64)
    out = np.zeros((n, c, h, w))
    for b, ch, i, j, y, z in np.ndindex(*cols.shape):
        r, q = y * sh + i * dh - ph, z * sw + j * dw - pw
        if 0 <= r < h and 0 <= q < w:
            out[b, ch, r, q] += cols[b, ch, i, j, y, z]
    return out


def _window_attrs(ctx) -> dict:
    return {k: ctx.attrs[k] for k in ("kernel_size", "dilation", "padding", "stride")
            if k in ctx.attrs}


def _unfold_vjp(ctx, g):
    return apply(FOLD, g, output_size=tuple(ctx.shapes[0][2:]), **_window_attrs(ctx))


def _fold_vjp(ctx, g):
    return apply(UNFOLD, g, **_window_attrs(ctx))


_WINDOW_SAMPLES = (
    {"kernel_size": (2, 3)},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 2)},
    {"kernel_size": (2, 2), "dilation": (2, 1), "padding": (1, 0), "stride": (1, 2)},
)
UNFOLD = register(OpDef("unfold", _unfold_fwd, kind="movement", vjp=_unfold_vjp,
              samples=tuple({**a, "shapes": [[(2, 3, 5, 6)], [(1, 1, 4, 7)], [(0, 2, 4, 4)]]}
                            for a in _WINDOW_SAMPLES),
              ref=_unfold_ref,
              doc="im2col: every kernel window of an (N, C, H, W) input as a column."))
FOLD = register(OpDef("fold", _fold_fwd, kind="movement", kinds="iuf", vjp=_fold_vjp,
            samples=({"output_size": (5, 6), "kernel_size": (2, 3),
                      "shapes": [[(2, 12, 16)], [(0, 6, 16)]]},
                     {"output_size": (4, 5), "kernel_size": (3, 2), "stride": (2, 1),
                      "padding": (1, 2), "shapes": [[(2, 12, 16)]]},
                     {"output_size": (4, 4), "kernel_size": (2, 2), "dilation": (2, 1),
                      "padding": (1, 0), "stride": (1, 2), "shapes": [[(1, 8, 8)]]}),
            ref=_fold_ref,
            doc="col2im: sum columns of kernel windows back into an (N, C, H, W) tensor."))


def _pair(fn: str, what: str, value, minimum: int = 0) -> tuple[int, int]:
    """An int or a pair of ints as a pair, each at least ``minimum``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        if isinstance(items, bool) or len(items) != 2 or any(
                isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items):
            raise TypeError
    except TypeError:
        raise TypeError(f"{fn}: {what} must be an int or a pair of ints, got {value!r}") from None
    pair = (int(items[0]), int(items[1]))
    if min(pair) < minimum:
        raise ValueError(f"{fn}: {what} must be >= {minimum}, got {value!r}")
    return pair


def _check_4d(fn: str, x: Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(f"{fn}: input must be 4-D (N, C, H, W), got shape {x.shape}")


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """im2col (PyTorch's ``F.unfold``): the (C, kh, kw) window at each of the L output
    positions of an (N, C, H, W) input, as the columns of an (N, C * kh * kw, L) tensor.
    Zero padding; differentiable (its gradient is ``fold``).

    >>> gt.nn.functional.unfold(gt.ones(1, 2, 3, 3), 2).shape
    (1, 8, 4)
    """
    x = _as_tensor(input)
    _check_4d("unfold", x)
    attrs = dict(kernel_size=_pair("unfold", "kernel_size", kernel_size, 1),
                 dilation=_pair("unfold", "dilation", dilation, 1),
                 padding=_pair("unfold", "padding", padding, 0),
                 stride=_pair("unfold", "stride", stride, 1))
    _windows("unfold", x.shape[2:], **attrs)
    return apply(UNFOLD, x, **attrs)


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """col2im (PyTorch's ``F.fold``), the adjoint of ``unfold``: columns (N, C * kh * kw, L)
    summed back into an (N, C, H, W) tensor with ``(H, W) = output_size``; values of
    overlapping windows add up.

    >>> gt.nn.functional.fold(gt.ones(1, 4, 4), (3, 3), 2)[0, 0].tolist()
    [[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]
    """
    x = _as_tensor(input)
    if x.ndim != 3:
        raise ValueError(f"fold: input must be 3-D (N, C * kh * kw, L), got shape {x.shape}")
    attrs = dict(output_size=_pair("fold", "output_size", output_size, 0),
                 kernel_size=_pair("fold", "kernel_size", kernel_size, 1),
                 dilation=_pair("fold", "dilation", dilation, 1),
                 padding=_pair("fold", "padding", padding, 0),
                 stride=_pair("fold", "stride", stride, 1))
    return apply(FOLD, x, **attrs)


def _same_padding(fn, hw, kernel_size, dilation, stride):
    """'valid' -> no padding; 'same' -> per-side pads keeping H, W (stride 1 only)."""
    if stride != (1, 1):
        raise ValueError(f"{fn}: padding='same' needs stride 1, got stride {stride}")
    pads = []
    for k, d in zip(kernel_size, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))  # the extra one after, as PyTorch
    return tuple(pads)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
           dilation=1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of an (N, C, H, W) input with an
    (O, C, kh, kw) weight and an optional (O,) bias; the result is (N, O, oh, ow) with
    ``oh = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1``. A 3-D (C, H, W) input
    gives a 3-D result. ``padding`` is an int, a pair, ``'valid'`` (0) or ``'same'``
    (stride 1; an odd total pads one more after). Computed as ``unfold`` (im2col) and one
    batched matmul.

    >>> gt.nn.functional.conv2d(gt.ones(1, 1, 3, 3), gt.ones(1, 1, 2, 2)).tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    """
    x, weight = _as_tensor(input), _as_tensor(weight)
    if x.ndim == 3:
        return conv2d(reshape(x, (1,) + x.shape), weight, bias, stride, padding,
                      dilation)[0]
    _check_4d("conv2d", x)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be 4-D (out_channels, in_channels, kh, kw), "
                         f"got shape {weight.shape}")
    n, c, h, w = x.shape
    o, wc, kh, kw = weight.shape
    if c != wc:
        raise ValueError(f"conv2d: input of shape {x.shape} has {c} channels but the weight "
                         f"of shape {weight.shape} expects {wc}")
    if bias is not None:
        bias = _as_tensor(bias)
        if bias.shape != (o,):
            raise ValueError(f"conv2d: bias shape {bias.shape} does not match weight shape "
                             f"{weight.shape}: expected ({o},)")
    stride = _pair("conv2d", "stride", stride, 1)
    dilation = _pair("conv2d", "dilation", dilation, 1)
    kernel = (kh, kw)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"conv2d: padding must be an int, a pair, 'valid' or 'same', "
                             f"got {padding!r}")
        if padding == "valid":
            padding = (0, 0)
        else:
            pads = _same_padding("conv2d", (h, w), kernel, dilation, stride)
            if any(a != b for a, b in pads):  # uneven: pad explicitly, then none
                x = _pad(x, ((0, 0), (0, 0)) + pads)
                h, w = x.shape[2:]
            padding = tuple(a for a, _ in pads) if all(a == b for a, b in pads) else (0, 0)
    padding = _pair("conv2d", "padding", padding, 0)
    oh, ow = _windows("conv2d", (h, w), kernel, dilation, padding, stride)
    cols = apply(UNFOLD, x, kernel_size=kernel, dilation=dilation, padding=padding,
                 stride=stride)                                   # (N, C kh kw, L)
    out = matmul(reshape(weight, (o, c * kh * kw)), cols)          # (N, O, L)
    if bias is not None:
        out = out + reshape(bias, (o, 1))
    return reshape(out, (n, o, oh, ow))


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1) -> Tensor:
    """2-D max pooling of an (N, C, H, W) (or (C, H, W)) input over ``kernel_size`` windows
    moved by ``stride`` (default: ``kernel_size``); ``padding`` (at most half the kernel, as
    PyTorch) pads with -inf. The gradient goes to the maximal element of each window (split
    evenly among exact ties). Computed as ``unfold`` + ``max``.

    >>> gt.nn.functional.max_pool2d(gt.arange(16.).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    x = _as_tensor(input)
    if x.ndim == 3:
        return max_pool2d(reshape(x, (1,) + x.shape), kernel_size, stride, padding,
                          dilation)[0]
    _check_4d("max_pool2d", x)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"max_pool2d: input must be a numeric tensor, got dtype {x.dtype}")
    kernel = _pair("max_pool2d", "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else _pair("max_pool2d", "stride", stride, 1)
    padding = _pair("max_pool2d", "padding", padding, 0)
    dilation = _pair("max_pool2d", "dilation", dilation, 1)
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"max_pool2d: padding {padding} must be at most half the kernel "
                         f"size {kernel}")
    n, c, h, w = x.shape
    oh, ow = _windows("max_pool2d", (h, w), kernel, dilation, padding, stride)
    if padding != (0, 0):
        low = -math.inf if x.dtype.kind == "f" else int(np.iinfo(x.dtype).min)
        x = _pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2),
                 constant_values=low)
    # each channel as its own image: the windows become the middle axis, reduced by max
    # (faster, forward and backward, than a max over two strided axes of a reshaped view)
    cols = apply(UNFOLD, reshape(x, (n * c, 1) + x.shape[2:]), kernel_size=kernel,
                 dilation=dilation, padding=(0, 0), stride=stride)  # (N C, kh kw, L)
    return reshape(_max(cols, axis=1), (n, c, oh, ow))


def _normalized_shape(fn: str, normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape,
                                                                         bool):
        return (int(normalized_shape),)
    try:
        shape = tuple(operator.index(v) for v in normalized_shape)
    except TypeError:
        raise TypeError(f"{fn}: normalized_shape must be an int or a tuple of ints, got "
                        f"{normalized_shape!r}") from None
    if any(v < 0 for v in shape):
        raise ValueError(f"{fn}: normalized_shape must not be negative, got {shape}")
    return shape


# -- layer_norm: one row (forward and a fused gradient), overridden by a kernel on CUDA -----
def _ln_rows(shape, normalized_shape) -> tuple[int, int, tuple]:
    """(rows, cols, normalized shape) of a layer norm over the last axes of ``shape``
    (``normalized_shape`` None: the last axis)."""
    if normalized_shape is None:
        normalized_shape = tuple(shape[-1:])
    ns = tuple(normalized_shape)
    k = len(ns)
    if len(shape) < k or tuple(shape[len(shape) - k:]) != ns:
        raise ValueError(f"input shape {tuple(shape)} does not end with normalized_shape {ns}")
    return math.prod(shape[:len(shape) - k]), math.prod(ns), ns


def _ln_stats(xp, a, eps):
    """(x - mean) * rsqrt(var + eps) of the rows of a 2-D array (biased variance)."""
    c = a - a.mean(axis=1, keepdims=True)
    rstd = xp.reciprocal(xp.sqrt((c * c).mean(axis=1, keepdims=True) + eps))
    return c * rstd, rstd


def _layer_norm_fwd(xp, x, *affine, normalized_shape=None, eps=1e-5):
    """Inputs ``x`` and optionally ``weight`` (then ``bias``), both of ``normalized_shape``;
    float16 computes in float32 and rounds once."""
    rows, cols, _ = _ln_rows(x.shape, normalized_shape)
    if rows * cols == 0:
        return xp.empty(x.shape, dtype=x.dtype)
    y, _ = _ln_stats(xp, _work(xp, x).reshape(rows, cols), eps)
    if affine:
        y = y * _work(xp, affine[0]).reshape(1, cols)
    if len(affine) > 1:
        y = y + _work(xp, affine[1]).reshape(1, cols)
    return y.reshape(x.shape).astype(x.dtype, copy=False)


def _layer_norm_ref(x, *affine, normalized_shape=None, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    if normalized_shape is None:
        normalized_shape = x.shape[-1:]
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    with np.errstate(all="ignore"):
        y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True)
                                                             + eps)
    for i, t in enumerate(affine):
        y = y * t if i == 0 else y + t
    return y


def _ln_grad_fwd(xp, x, g, *weight, normalized_shape=None, eps=1e-5):
    """The layer-norm gradients in one pass of array-module calls, packed as one
    (rows + 2, cols) array: the rows of dx (``x`` seen as (rows, cols)), then
    sum(g * xhat) (the weight's gradient) and sum(g) (the bias's) over the rows. What
    ``_layer_norm_vjp`` computes with gputensor ops when the gradient is recorded."""
    rows, cols, _ = _ln_rows(x.shape, normalized_shape)
    a = _work(xp, x).reshape(rows, cols)
    out = xp.zeros((rows + 2, cols), dtype=a.dtype)
    if rows * cols == 0:
        return out.astype(x.dtype, copy=False)
    xh, rstd = _ln_stats(xp, a, eps)
    g2 = _work(xp, g).reshape(rows, cols)
    gw = g2 * _work(xp, weight[0]).reshape(1, cols) if weight else g2
    out[:rows] = rstd * (gw - gw.mean(axis=1, keepdims=True)
                         - xh * (gw * xh).mean(axis=1, keepdims=True))
    out[rows] = (g2 * xh).sum(axis=0)
    out[rows + 1] = g2.sum(axis=0)
    return out.astype(x.dtype, copy=False)


# not a table row: the internal forward of layer_norm's derivative rule (inputs x, g and the
# weight when there is one); the layer_norm_bwd kernel overrides it on CUDA
_LN_GRAD = OpDef("layer_norm_grad", _ln_grad_fwd, kind="composite", arity=None, kinds="f",
                 samples=())


def _layer_norm_vjp(ctx, g):
    x = ctx.inputs[0]
    n_in = len(ctx.needs)
    w = ctx.inputs[1] if n_in > 1 else None
    eps = ctx.attrs.get("eps", 1e-5)
    rows, cols, ns = _ln_rows(ctx.shapes[0], ctx.attrs.get("normalized_shape"))
    if not ctx.create_graph:  # one fused op: dx, and the weight and bias sums
        packed = apply(_LN_GRAD, x, g, *(() if w is None else (w,)), normalized_shape=ns,
                       eps=eps)
        dx = reshape(packed[:rows], x.shape) if ctx.needs[0] else None
        # copies, so the parameters' gradients do not keep the whole buffer alive
        dw = reshape(clone(packed[rows]), ns) if n_in > 1 and ctx.needs[1] else None
        db = reshape(clone(packed[rows + 1]), ns) if n_in > 2 and ctx.needs[2] else None
        return (dx, dw, db)[:n_in]
    k = len(ns)
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    xf, gf = _up32(x), _up32(g)
    c = xf - _mean(xf, axis=axes, keepdims=True)
    rstd = rsqrt(_mean(c * c, axis=axes, keepdims=True) + eps)
    xh = c * rstd
    gw = gf * w if w is not None else gf
    dx = dw = db = None
    if ctx.needs[0]:
        dx = rstd * (gw - _mean(gw, axis=axes, keepdims=True)
                     - xh * _mean(gw * xh, axis=axes, keepdims=True))
    if n_in > 1 and ctx.needs[1]:
        dw = _sum(gf * xh, axis=lead) if lead else gf * xh
    if n_in > 2 and ctx.needs[2]:
        db = _sum(gf, axis=lead) if lead else gf
    return (dx, dw, db)[:n_in]


_LN_SAMPLES = (
    {"normalized_shape": (4,), "shapes": [[(2, 3, 4), (4,), (4,)], [(5, 4)], [(4,), (4,)],
                                          [(0, 4), (4,), (4,)], [(3, 0, 4), (4,)]]},
    {"normalized_shape": (3, 4), "eps": 1e-3,
     "shapes": [[(2, 3, 4), (3, 4), (3, 4)], [(3, 4), (3, 4)], [(3, 4)]]},
    {"normalized_shape": (1,), "shapes": [[(3, 1), (1,), (1,)]]},
    {"normalized_shape": (), "shapes": [[()], [(2,)]]},
    {"shapes": [[(2, 5)], [(3, 6), (6,), (6,)], [(1, 70), (70,), (70,)]]},  # the last axis
)
LAYER_NORM = _row("layer_norm", _layer_norm_fwd, arity=None, kinds="iuf", policy="float",
                  vjp=_layer_norm_vjp, save=("x0", "x1"), samples=_LN_SAMPLES,
                  ref=_layer_norm_ref,
                  doc="(x - mean) / sqrt(var + eps) * weight + bias over the last axes.")


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalize over the last ``len(normalized_shape)`` axes: ``(x - mean) / sqrt(var +
    eps) * weight + bias`` with the biased variance, as PyTorch's ``F.layer_norm``. One op
    (a fused kernel on CUDA); float16 computes in float32.

    >>> gt.nn.functional.layer_norm(gt.tensor([[1., 3.]]), 2).tolist()
    [[-0.9999949932098389, 0.9999949932098389]]
    """
    x = _as_tensor(input)
    shape = _normalized_shape("layer_norm", normalized_shape)
    k = len(shape)
    if x.ndim < k or tuple(x.shape[x.ndim - k:]) != shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end with "
                         f"normalized_shape {shape}")
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {what} shape {tuple(t.shape)} does not match "
                             f"normalized_shape {shape}")
    if x.dtype.kind != "f":
        x = cast(x, dt.get_default_dtype())
    if weight is None and bias is not None:  # a unit weight: the same one op
        weight = ones(shape, dtype=bias.dtype, device=bias.device)
    affine = () if weight is None else (weight,) if bias is None else (weight, bias)
    return apply(LAYER_NORM, x, *affine, normalized_shape=shape, eps=float(eps))


# -- fused bias + activation: act(x + b), b broadcast over the last axis -------------------
# Internal rows (not in the public table), used by gt.nn.Dense for these activations; the
# bias_act_<act>_fwd kernels override them on CUDA (one elementwise pass instead of two).
# The forward is the activation's own forward on x + b (rounded to the dtype as the two-op
# path does); the rules are the activation's rules (db: the engine sums over the batch axes).
def _bias_act_fwd(act: str):
    f = _OPS[act].fwd
    if isinstance(f, str):
        return lambda xp, x, b: getattr(xp, f)(x + b)
    return lambda xp, x, b: f(xp, x + b)


class _ShiftedCtx:
    """The activation rule's view of a bias-activation node: its input is x + b."""

    def __init__(self, ctx):
        self.inputs = [ctx.inputs[0] + ctx.inputs[1]]
        self.create_graph = ctx.create_graph


def _bias_act_vjp(rule, shifted: bool = False):
    def vjp(ctx, g):
        gs = rule(_ShiftedCtx(ctx) if shifted else ctx, g)
        return (gs if ctx.needs[0] else None), (gs if ctx.needs[1] else None)

    return vjp


def _bias_act_row(act: str, rule, shifted: bool = False) -> OpDef:
    return OpDef(f"bias_{act}", _bias_act_fwd(act), kind="composite", arity=2, kinds="f",
                 vjp=_bias_act_vjp(rule, shifted), save=("x0", "x1") if shifted else ("out",),
                 samples=())


def _make_bias_act_rows():
    return (_bias_act_row("relu", E._vjp_relu), _bias_act_row("sigmoid", E._vjp_sigmoid),
            _bias_act_row("tanh", E._vjp_tanh), _bias_act_row("gelu", E._vjp_gelu, True))


_BIAS_RELU, _BIAS_SIGMOID, _BIAS_TANH, _BIAS_GELU = _make_bias_act_rows()
BIAS_ACT = {"relu": _BIAS_RELU, "sigmoid": _BIAS_SIGMOID, "tanh": _BIAS_TANH,
            "gelu": _BIAS_GELU}


def bias_act(x: Tensor, bias: Tensor, activation: str) -> Tensor:
    """``activation(x + bias)`` as one op (one fused kernel on CUDA), ``bias`` broadcast over
    the last axis; ``activation`` is one of ``BIAS_ACT`` ('relu', 'sigmoid', 'tanh', 'gelu'
    (the exact erf form)). Internal: used by ``gt.nn.Dense``.

    >>> gt.nn.functional.bias_act(gt.tensor([[-1., 2.]]), gt.tensor([0.5, 0.5]), "relu").tolist()
    [[0.0, 2.5]]
    """
    op = BIAS_ACT.get(activation)
    if op is None:
        raise ValueError(f"bias_act: activation must be one of {sorted(BIAS_ACT)}, got "
                         f"{activation!r}")
    return apply(op, x, bias)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalization of an (N, C) or (N, C, L...) input per channel C, as PyTorch's
    ``F.batch_norm``. ``training``: normalize with the batch mean and biased variance and,
    when running stats are given, update them in place (without recording):
    ``running = (1 - momentum) running + momentum stat`` with the unbiased variance. Else
    normalize with ``running_mean``/``running_var``.

    >>> gt.nn.functional.batch_norm(gt.tensor([[0.], [2.]]), None, None, training=True).tolist()
    [[-0.9999949932098389], [0.9999949932098389]]
    """

    x = _as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C) or (N, C, L...), got shape "
                         f"{x.shape}")
    c = x.shape[1]
    for t, what in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != (c,):
            raise ValueError(f"batch_norm: {what} shape {tuple(t.shape)} does not match the "
                             f"{c} channels of the input of shape {x.shape}: expected ({c},)")
    if x.dtype.kind != "f":
        x = cast(x, dt.get_default_dtype())
    axes = (0,) + tuple(range(2, x.ndim))
    count = x.numel() // max(c, 1)
    per_channel = (1, c) + (1,) * (x.ndim - 2)
    if training or running_mean is None or running_var is None:
        if count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input of shape {x.shape}")
        mu = _mean(x, axis=axes, keepdims=True)
        centered = x - mu
        var = _mean(centered * centered, axis=axes, keepdims=True)
        if training and running_mean is not None and running_var is not None:
            with no_grad():
                m = float(momentum)
                running_mean.mul_(1.0 - m).add_(reshape(mu, (c,)).detach(), alpha=m)
                unbiased = reshape(var, (c,)).detach() * (count / (count - 1))
                running_var.mul_(1.0 - m).add_(unbiased, alpha=m)
        y = centered * rsqrt(var + eps)
    else:
        y = (x - reshape(running_mean, per_channel)) * rsqrt(
            reshape(running_var, per_channel) + eps)
    if weight is not None:
        y = y * reshape(weight, per_channel)
    if bias is not None:
        y = y + reshape(bias, per_channel)
    return y


def embedding(input: Tensor, weight: Tensor) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer indices ``input``: the result
    has shape ``input.shape + (dim,)``. An index outside [0, num_embeddings) raises
    ``IndexError`` naming it.

    >>> gt.nn.functional.embedding(gt.tensor([2, 0]), gt.eye(3)).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """

    idx = _as_tensor(input, getattr(weight, "device", None))
    weight = _as_tensor(weight)
    _check_embedding_input("embedding", idx, weight.shape[0] if weight.ndim else 0)
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {weight.shape}")
    return take(weight, idx, axis=0)


def _check_embedding_input(who: str, idx: Tensor, n: int) -> None:
    """TypeError for non-integer indices, IndexError naming an index outside [0, n)."""
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be an integer tensor, got dtype {idx.dtype}")
    if idx.numel() == 0:
        return

    lo, hi = stack([_min(idx), _max(idx)]).tolist()  # one host sync
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise IndexError(f"{who}: index {bad} is out of range for num_embeddings={n} "
                         f"(indices must be in [0, {n - 1}])")
