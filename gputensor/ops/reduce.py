"""Reductions: one ``OpDef`` row each (kind ``"reduce"``), plus the public function.

Every reduction takes ``axis`` (None for all axes, an int, or a tuple/list of ints; negative
axes count from the end) and ``keepdims``, and also the PyTorch spellings ``dim`` and
``keepdim``; ``normalize_axes`` checks axes once, for all of them.

dtype policies (where the big frameworks disagree, NumPy's behaviour is followed, except
that integers average to the default float dtype rather than NumPy's float64):

- ``sum prod cumsum cumprod``: bool and integer inputs accumulate in, and return, int64.
- ``mean var std logsumexp norm``: bool and integer inputs give the default float dtype
  (float32 unless changed with ``gt.set_default_dtype``).
- ``max min``: keep the dtype and return the values only, as NumPy's ``max`` (PyTorch's
  ``max(dim)`` returns a (values, indices) pair; here ``argmax``/``argmin`` give the indices).
- ``argmax argmin``: int64 indices of the first occurrence.
- ``all any``: bool.

Empty input: ``sum`` gives 0 and ``prod`` 1; ``max min argmax argmin`` of an empty axis raise
``ValueError`` (they have no identity); ``logsumexp`` gives ``-inf``.

Gradients (the rules next to the rows; each re-expands the output gradient to the input's
shape for every ``axis``/``keepdims``): ``max``/``min`` split the gradient evenly among tied
extreme elements (PyTorch's ``amax``/``amin``); ``prod`` and ``cumprod`` are exact with zeros
(no division by x, second derivatives included); ``std`` at a constant slice and the norms at
their kinks use the subgradients documented in ``norm``; ``logsumexp`` gives softmax weights.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import dtypes as dt
from ..creation import arange, as_tensor, ones, ones_like
from ..tensor import TENSOR_TYPES, Tensor
from . import OpDef, apply, apply_with, register, tensor_method
from . import movement as _mv
from .. import autograd as _autograd
from .elementwise import (abs as _abs, cast, equal, exp, isnan, logical_and, logical_or, sign,
                          where)
from .join import concat
from .movement import broadcast_to, flip, moveaxis, reshape, transpose

__all__ = ["sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "all",
           "any", "logsumexp", "norm", "cumsum", "cumprod",
           "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
           "reduce_all", "reduce_any", "reduce_logsumexp"]

#: Raised for an axis out of range: a ValueError and an IndexError (NumPy's own class).
AxisError = getattr(np, "exceptions", np).AxisError


# -- axes: checked once for every reduction -----------------------------------------------
def normalize_axes(op: str, axis, shape: tuple, *, hint: str = "") -> tuple | None:
    """``axis`` (None, an int, or a tuple/list of ints, negative allowed) as a tuple of
    non-negative ints in the order given, or None for all axes.

    Raises ``AxisError`` (a ValueError and IndexError) naming ``op``, the axis and the number
    of dimensions when an axis is out of range, ``ValueError`` for a repeated axis and
    ``TypeError`` for anything that is not an int.

    >>> normalize_axes("sum", (-1, 0), (2, 3, 4))
    (2, 0)
    """
    if axis is None:
        return None
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    ndim = len(shape)
    out = []
    for a in items:
        if isinstance(a, (bool, np.bool_)) or (isinstance(a, Tensor) and a.ndim != 0):
            a = None
        else:
            try:
                a = operator.index(a)
            except TypeError:
                a = None
        if a is None:
            got = (f"a tensor of shape {axis.shape}" if isinstance(axis, Tensor)
                   else repr(axis))
            raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got "
                            f"{got}{hint}")
        if not -ndim <= a < ndim:
            valid = f"valid axes are {-ndim}..{ndim - 1}" if ndim else "it has no axes"
            raise AxisError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                            f"dimension(s) (shape {tuple(shape)}); {valid}")
        out.append(a + ndim if a < 0 else a)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: duplicate axes in axis={axis!r} (for shape {tuple(shape)})")
    return tuple(out)


def _resolve(op: str, axis, keepdims, dim, keepdim):
    """Merge the PyTorch spellings ``dim``/``keepdim`` into ``axis``/``keepdims``."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass only one")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise TypeError(f"{op}: got both keepdims= and keepdim=; pass only one")
        keepdims = keepdim
    return axis, builtins.bool(keepdims)


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _check_nonempty(op: str, shape: tuple, axes) -> None:
    """Reductions without an identity (max, argmax...) refuse an empty reduced axis."""
    if 0 not in shape:
        return
    if axes is None:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {shape}: {op} has no "
                         "identity (no value to return for zero elements)")
    for a in axes:
        if shape[a] == 0:
            raise ValueError(f"{op}: cannot reduce an empty tensor of shape {shape} along "
                             f"axis {a} (size 0): {op} has no identity")


_EVERY_AXIS = {"axis": None, "keepdims": False}  # shared by the nodes: never written


def _reduce(op: OpDef, x, axis, keepdims, dim, keepdim, dtype=None, *, nonempty=False,
            hint="", **attrs):
    """The body shared by the axis reductions: spellings, axes, dtype=, then ``apply``."""
    if (axis is None and not keepdims and dim is None and keepdim is None and dtype is None
            and not attrs and type(x) in TENSOR_TYPES and not (nonempty and x._data.size == 0)):
        return apply_with(op, (x,), _EVERY_AXIS)  # all axes: nothing to resolve
    x = _tensor(x)
    axis, keepdims = _resolve(op.name, axis, keepdims, dim, keepdim)
    axes = normalize_axes(op.name, axis, x.shape, hint=hint)
    if nonempty:
        _check_nonempty(op.name, x.shape, axes)
    if dtype is None:
        return apply(op, x, axis=axes, keepdims=keepdims, **attrs)
    dtype = dt.as_dtype(dtype)
    return cast(apply(op, cast(x, dtype), axis=axes, keepdims=keepdims, **attrs), dtype)


# -- derivative rules -----------------------------------------------------------------------
# A reduction's output gradient ``g`` has the output's shape; each rule first re-expands it
# to the input's shape (the engine only sums broadcast dims down, it never expands).
def _keep_shape(shape: tuple, axes) -> tuple:
    """The output shape with keepdims=True (reduced axes kept with size 1)."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _kept(g: Tensor, shape: tuple, axes) -> Tensor:
    """``g`` reshaped to the keepdims shape (a no-op when it already has it)."""
    k = _keep_shape(shape, axes)
    return g if g.shape == k else apply(_mv._RESHAPE, g, shape=k)


def _expand(g: Tensor, shape: tuple, axes) -> Tensor:
    """``g`` of a reduction over ``axes`` broadcast back to the input ``shape`` (a view)."""
    shape = tuple(shape)
    if g.shape == shape:
        return g
    if g.ndim != len(shape) and axes is not None and sorted(axes) != list(range(len(axes))):
        g = _kept(g, shape, axes)  # reduced axes not leading: put their size-1 dims back
    return apply(_mv._BROADCAST_TO, g, shape=shape)


def _count(shape: tuple, axes) -> int:
    """How many elements each output element reduces."""
    n = 1
    for i, s in enumerate(shape):
        if axes is None or i in axes:
            n *= s
    return n


def _has_zero(x: Tensor) -> bool:
    """Whether ``x`` holds an exact zero (one device-to-host read)."""
    return builtins.bool((x == 0).any().item())


def _axes(ctx) -> tuple | None:
    """The op's ``axis`` attribute normalised (rows may be applied with raw attributes)."""
    axis = ctx.attrs.get("axis")
    if axis is None or (type(axis) is tuple and builtins.all(
            type(a) is int and a >= 0 for a in axis)):
        return axis
    return normalize_axes("reduce", axis, ctx.shapes[0])


def _sum_vjp(ctx, g):
    return _expand(g, ctx.shapes[0], _axes(ctx))


def _mean_vjp(ctx, g):
    shape, axes = ctx.shapes[0], _axes(ctx)
    n = _count(shape, axes)
    return _expand(g * (1.0 / n if n else 1.0), shape, axes)


def exclusive_products(t: Tensor) -> Tensor:
    """``out[..., i] = prod(t[..., j] for j != i)`` along the last axis, without dividing
    (exact with zeros): the exclusive cumulative products from the left times those from the
    right. Differentiable (cumprod, concat and flip all have rules)."""
    n = t.shape[-1]
    if n == 1:
        return ones_like(t)

    one = ones(t.shape[:-1] + (1,), dtype=t.dtype, device=t.device)
    left = cumprod(concat([one, t[..., :n - 1]], axis=-1), axis=-1)
    r = flip(t, axis=-1)
    right = flip(cumprod(concat([one, r[..., :n - 1]], axis=-1), axis=-1), axis=-1)
    return left * right


def _prod_vjp(ctx, g):
    """d prod / d x_i = the product of the other elements. Without zeros in ``x`` that is
    out / x_i (exact, and so are its derivatives); with a zero anywhere the products of the
    others are formed directly from exclusive cumulative products, without dividing: at a
    lone zero the gradient is the product of the rest, everywhere else in that slice 0, and
    the rule stays exactly differentiable (second derivatives included)."""
    x, axes, shape = ctx.inputs[0], _axes(ctx), ctx.shapes[0]
    if axes == () or x.numel() == 0:
        return _expand(g, shape, axes)
    gk = _kept(g, shape, axes)
    if not _has_zero(x):
        return gk * _kept(ctx.out, shape, axes) / x
    nd = x.ndim
    red = list(range(nd)) if axes is None else sorted(axes)
    keep = [i for i in range(nd) if i not in red]
    perm = keep + red
    xt = transpose(x, axes=tuple(perm)) if perm != list(range(nd)) else x
    moved = xt.shape
    m = _count(shape, axes)
    others = reshape(exclusive_products(reshape(xt, moved[:len(keep)] + (m,))), moved)
    if perm != list(range(nd)):
        inverse = [0] * nd
        for i, a in enumerate(perm):
            inverse[a] = i
        others = transpose(others, axes=tuple(inverse))
    return gk * others


def _extreme_vjp(ctx, g):
    """max/min: the gradient goes to the elements equal to the result, split evenly among
    tied elements (as PyTorch's ``amax``/``amin``); where the result is NaN, to the NaNs."""
    x, axes = ctx.inputs[0], _axes(ctx)
    shape = ctx.shapes[0]
    out = _kept(ctx.out, shape, axes)
    mask = logical_or(equal(x, out), isnan(x))
    count = sum(mask, axis=axes, keepdims=True, dtype=g.dtype)
    return where(mask, _kept(g, shape, axes) / count, 0.0)


def _var_factor(shape, axes, ddof) -> float:
    n = _count(shape, axes) - ddof
    return 1.0 / n if n > 0 else float("nan")


def _var_vjp(ctx, g):
    x, axes = ctx.inputs[0], _axes(ctx)
    shape = ctx.shapes[0]
    c = x - mean(x, axis=axes, keepdims=True)
    return _kept(g, shape, axes) * c * (2.0 * _var_factor(shape, axes, ctx.attrs.get("ddof", 0)))


def _std_vjp(ctx, g):
    """d std = (x - mean) / ((n - ddof) std); where std is 0 (all elements equal) the
    gradient is 0 (a subgradient, as PyTorch)."""
    x, axes = ctx.inputs[0], _axes(ctx)
    shape = ctx.shapes[0]
    out = _kept(ctx.out, shape, axes)
    c = x - mean(x, axis=axes, keepdims=True)
    scale = _kept(g, shape, axes) / where(out == 0, 1.0, out)
    return c * scale * _var_factor(shape, axes, ctx.attrs.get("ddof", 0))


def _logsumexp_vjp(ctx, g):
    """g * softmax(x) over the axes: exp(x - out), stable because out >= max(x); a slice of
    only -inf gives 0."""
    x, axes = ctx.inputs[0], _axes(ctx)
    shape = ctx.shapes[0]
    out = _kept(ctx.out, shape, axes)
    out = where(out == -np.inf, 0.0, out)
    return _kept(g, shape, axes) * exp(x - out)


def _split_ties(values: Tensor, target: Tensor, axes) -> Tensor:
    """1/count where ``values`` equals ``target`` (broadcast), 0 elsewhere: ties split."""
    mask = logical_or(equal(values, target), isnan(values))
    count = sum(mask, axis=axes, keepdims=True, dtype=target.dtype)
    return where(mask, 1.0 / count, 0.0)


def _norm_vjp(ctx, g):
    """Gradients of every norm ``norm`` computes; at points where the norm is not
    differentiable a subgradient is used: 0 at x = 0 for the 2-norm, the Frobenius norm and
    other p-norms, sign(x) (0 at x_i = 0) for the 1-norm; inf/-inf norms and the matrix 1/inf
    norms split the gradient evenly among the tied maximal (minimal) entries, rows or
    columns; ord=0 (a count) has gradient 0; the matrix 2/-2/'nuc' norms use the singular
    vectors of the largest/smallest/all singular values (through an SVD)."""
    x, out = ctx.inputs[0], ctx.out
    ord_, axes = ctx.attrs.get("ord"), _axes(ctx)
    shape = ctx.shapes[0]
    nd = len(shape)
    if axes is None:
        if ord_ is None or nd not in (1, 2):
            ord_ = None
        axes = tuple(range(nd))
    ok = _kept(out, shape, axes)
    gk = _kept(g, shape, axes)
    if ord_ is None or ord_ in ("fro", "f") or (ord_ == 2 and len(axes) == 1):
        return x * (gk / where(ok == 0, 1.0, ok))  # 2-norm / Frobenius: x / |x|
    if len(axes) == 1:  # vector norms
        if ord_ == 0:
            return broadcast_to(gk * 0.0, shape)
        if ord_ == 1:
            return sign(x) * gk
        if ord_ in (np.inf, -np.inf):
            ax = _abs(x)
            return sign(x) * (_split_ties(ax, ok, axes) * gk)
        p = float(ord_)
        r = _abs(x) / where(ok == 0, 1.0, ok)
        if p >= 1:
            return sign(x) * r ** (p - 1.0) * gk
        # |x|^(p-1) is infinite at x = 0: the subgradient 0; for p < 0 one zero makes the
        # slice's norm 0 (and about |x_i| nearby), so the whole slice's gradient is 0
        zero = (x == 0) | (ok == 0)
        return where(zero, 0.0, sign(x) * where(zero, 1.0, r) ** (p - 1.0) * gk)
    row, col = axes  # matrix norms
    if ord_ in (1, -1, np.inf, -np.inf):
        # 1: the largest column sum (sum over rows); inf: the largest row sum
        inner, outer = (row, col) if ord_ in (1, -1) else (col, row)
        sums = sum(_abs(x), axis=inner, keepdims=True)
        return sign(x) * (_split_ties(sums, ok, (outer,)) * gk)
    from .linalg import svd_reduced
    from .linalg import matmul as _matmul

    xm = moveaxis(x, (row, col), (-2, -1))
    u, _, vh = svd_reduced(xm)
    if ord_ == 2:
        u, vh = u[..., :, :1], vh[..., :1, :]
    elif ord_ == -2:
        u, vh = u[..., :, -1:], vh[..., -1:, :]
    return moveaxis(_matmul(u, vh), (-2, -1), (row, col)) * gk


def _flat_axis(ctx):
    """(axis to work on, the shape the op computed on): None flattens, 0-d counts as (1,)."""
    axis, shape = ctx.attrs.get("axis"), ctx.shapes[0]
    if axis is None:
        return 0, (_count(shape, None),)
    shape = shape or (1,)
    return normalize_axes("cumulative", axis, shape)[0], shape


def _rev_cumsum(v: Tensor, axis: int) -> Tensor:
    """sum(v[k] for k >= i) along ``axis``."""
    return flip(cumsum(flip(v, axis=axis), axis=axis), axis=axis)


def _cumsum_vjp(ctx, g):
    axis, _ = _flat_axis(ctx)
    gx = _rev_cumsum(g, axis)
    return gx if gx.shape == ctx.shapes[0] else reshape(gx, ctx.shapes[0])


def _cumprod_vjp(ctx, g):
    """d/dx_i sum_k g_k y_k = sum_{k>=i} g_k prod_{j<=k, j!=i} x_j.

    Without zeros: reverse-cumsum(g * y) / x, O(n). With zeros, first derivatives use the
    O(n) first-zero form (before the first zero the division form holds; at the first zero
    it is reverse-cumsum(g * cumprod(x with that zero set to 1)); after it 0). That form is
    not the exact derivative of itself, so when the gradient is being recorded
    (create_graph) an exact O(n^2) form is used instead: the products of all but x_i of
    each prefix, from one cumprod of an (n, n) masked copy, as PyTorch does."""
    x, out = ctx.inputs[0], ctx.out
    axis, work = _flat_axis(ctx)
    shape = ctx.shapes[0]
    if x.shape != work:
        x = reshape(x, work)
    if x.numel() == 0:
        return reshape(g, shape)
    if not _has_zero(x):
        gx = _rev_cumsum(g * out, axis) / x
    elif not _autograd.is_grad_enabled():
        zero = x == 0
        seen = cumsum(zero, axis=axis)
        before, first = seen == 0, logical_and(zero, seen == 1)
        t0 = _rev_cumsum(g * out, axis) / where(before, x, 1.0)
        t1 = _rev_cumsum(g * cumprod(where(first, 1.0, x), axis=axis), axis)
        gx = where(before, t0, where(first, t1, 0.0))
    else:
        n = work[axis]
        xm, gm = moveaxis(x, axis, -1), moveaxis(g, axis, -1)
        i = arange(n, device=x.device)
        diag = equal(reshape(i, (n, 1)), i)
        upper = reshape(i, (n, 1)) <= i  # k >= i
        a = where(diag, 1.0, reshape(xm, xm.shape[:-1] + (1, n)))  # a[.., i, j]
        c = cumprod(a, axis=-1)  # prod_{j <= k, j != i} x_j
        gk = reshape(gm, gm.shape[:-1] + (1, n))
        gx = moveaxis(sum(where(upper, c * gk, 0.0), axis=-1), -1, axis)
    return gx if gx.shape == shape else reshape(gx, shape)


# -- test samples: axis None, int, negative, tuple, empty tuple, keepdims; 0-d and empty ----
_AXIS_SAMPLES = (
    {},
    {"axis": 1, "shapes": [[(2, 3, 4)], [(3, 0)], [(0, 3)]]},
    {"axis": -1, "keepdims": True, "shapes": [[(2, 3, 4)], [(5,)]]},
    {"axis": (0, 2), "shapes": [[(2, 3, 4)]]},
    {"axis": (0, -1), "keepdims": True, "shapes": [[(2, 3, 4)]]},
    {"axis": (), "shapes": [[(2, 3)]]},
    {"keepdims": True, "shapes": [[()], [(2, 3)]]},
)


def _row(name, fwd, **fields):
    fields.setdefault("samples", _AXIS_SAMPLES)
    return register(OpDef(name, fwd, kind="reduce", **fields))


_SUM = _row("sum", "sum", policy="sum", vjp=_sum_vjp, doc="Sum of elements over axes.")
_PROD = _row("prod", "prod", policy="sum", domain="unit", vjp=_prod_vjp, save=("x0", "out"),
             doc="Product of elements over axes.")
_MEAN = _row("mean", "mean", policy="float", vjp=_mean_vjp, doc="Arithmetic mean over axes.")
_MAX = _row("max", "max", vjp=_extreme_vjp, save=("x0", "out"),
            doc="Largest element over axes.")
_MIN = _row("min", "min", vjp=_extreme_vjp, save=("x0", "out"),
            doc="Smallest element over axes.")
_ALL = _row("all", "all", policy="bool", doc="True where every element is nonzero.")
_ANY = _row("any", "any", policy="bool", doc="True where some element is nonzero.")
_VAR = _row("var", "var", policy="float", vjp=_var_vjp, save=("x0",),
            doc="Variance (ddof=0 by default).",
            samples=_AXIS_SAMPLES + ({"axis": 1, "ddof": 1, "shapes": [[(2, 3, 4)]]},))
_STD = _row("std", "std", policy="float", vjp=_std_vjp, save=("x0", "out"),
            doc="Standard deviation (ddof=0 by default).",
            samples=_AXIS_SAMPLES + ({"axis": (0, 1), "ddof": 1, "shapes": [[(2, 3, 4)]]},))

_ARG_SAMPLES = (
    {},
    {"axis": 1, "shapes": [[(2, 3, 4)], [(0, 3)], [(3, 0)]]},
    {"axis": -1, "keepdims": True, "shapes": [[(2, 3, 4)]]},
    {"keepdims": True, "shapes": [[(2, 3)]]},
)
_ARGMAX = _row("argmax", "argmax", policy="index", samples=_ARG_SAMPLES,
               doc="Index of the first largest element.")
_ARGMIN = _row("argmin", "argmin", policy="index", samples=_ARG_SAMPLES,
               doc="Index of the first smallest element.")


def _logsumexp_fwd(xp, x, axis=None, keepdims=False):
    if x.size == 0:  # a sum of no exponentials: log(0) = -inf
        return xp.full(xp.sum(x, axis=axis, keepdims=keepdims).shape, -np.inf, dtype=x.dtype)
    # shift by the maximum so exp never overflows; rows of -inf (or inf/nan) shift by 0
    m = xp.max(x, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.sum(xp.exp(x - m), axis=axis, keepdims=True)
    zero = s == 0  # only where every element is -inf; avoids log(0)'s warning
    out = xp.where(zero, xp.full_like(s, -np.inf), xp.log(xp.where(zero, xp.ones_like(s), s)))
    out = out + m
    if keepdims:
        return out
    return out.reshape(()) if axis is None else xp.squeeze(out, axis=axis)


def _logsumexp_ref(x, axis=None, keepdims=False):
    with np.errstate(divide="ignore", over="ignore"):
        return np.log(np.sum(np.exp(x.astype(np.float64)), axis=axis, keepdims=keepdims))


_LOGSUMEXP = _row("logsumexp", _logsumexp_fwd, policy="float", vjp=_logsumexp_vjp,
                  save=("x0", "out"), ref=_logsumexp_ref,
                  doc="log(sum(exp(x))) over axes, computed stably.")


def _norm_fwd(xp, x, ord=None, axis=None, keepdims=False):
    with np.errstate(divide="ignore"):  # (a zero to a negative power: inf, then norm 0)
        if x.dtype == np.float16:  # linalg has no float16 (squares overflow it): in float32
            return xp.linalg.norm(x.astype(np.float32), ord, axis, keepdims).astype(x.dtype)
        return xp.linalg.norm(x, ord, axis, keepdims)


def _norm_ref(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x.astype(np.float64), ord, axis, keepdims)


_NORM = _row("norm", _norm_fwd, policy="float", vjp=_norm_vjp, save=("x0", "out"),
             ref=_norm_ref,
             doc="Vector or matrix norm (numpy.linalg.norm).",
             samples=(
                 {},
                 {"ord": 1, "axis": 1, "shapes": [[(3, 4)], [(2, 3, 4)]]},
                 {"ord": np.inf, "axis": -1, "keepdims": True, "shapes": [[(3, 4)]]},
                 {"ord": -np.inf, "axis": 0, "shapes": [[(3, 4)]]},
                 {"ord": 0, "axis": 0, "shapes": [[(5,)]]},
                 {"ord": 3, "shapes": [[(5,)]]},
                 {"ord": "fro", "shapes": [[(3, 4)]]},
                 {"ord": "nuc", "shapes": [[(3, 4)]]},
                 {"ord": 2, "shapes": [[(3, 4)]]},
                 {"ord": 1, "axis": (1, 2), "shapes": [[(2, 3, 4)]]},
                 {"ord": -np.inf, "axis": (0, 1), "keepdims": True, "shapes": [[(3, 4)]]},
                 {"keepdims": True, "shapes": [[(3, 4)], [()]]},
                 {"ord": -2, "shapes": [[(4, 3)]]},
                 {"ord": np.inf, "axis": (0, 1), "shapes": [[(3, 4)]]},
                 {"ord": -1, "axis": (1, 0), "shapes": [[(3, 4)]]},
                 {"ord": "nuc", "axis": (2, 0), "keepdims": True, "shapes": [[(3, 2, 4)]]},
                 {"ord": 2, "axis": (-1, -2), "shapes": [[(2, 4, 3)]]},
                 {"ord": 0.5, "axis": -1, "shapes": [[(2, 3)]]},
                 {"ord": -1.5, "axis": 0, "shapes": [[(3, 2)]]},
             ))


def _cum(name):
    """The array module's cumsum/cumprod; a 0-d input counts as one element (NumPy)."""
    def fwd(xp, x, axis=None):
        return getattr(xp, name)(x.reshape(1) if x.ndim == 0 else x, axis=axis)

    return fwd


_CUM_SAMPLES = (
    {},
    {"axis": 0, "shapes": [[(3, 4)], [(0, 3)], [()]]},
    {"axis": -1, "shapes": [[(2, 3, 4)], [(3, 0)]]},
    {"axis": 1, "shapes": [[(2, 3, 4)]]},
)
_CUMSUM = _row("cumsum", _cum("cumsum"), policy="sum", vjp=_cumsum_vjp, samples=_CUM_SAMPLES,
               doc="Cumulative sum along an axis (flattened when axis is None).")
_CUMPROD = _row("cumprod", _cum("cumprod"), policy="sum", domain="unit", vjp=_cumprod_vjp,
                save=("x0", "out"), samples=_CUM_SAMPLES,
                doc="Cumulative product along an axis (flattened when axis is None).")


# -- public functions -----------------------------------------------------------------------
_MAX_HINT = "; for the elementwise maximum/minimum of two tensors use gt.maximum / gt.minimum"


@tensor_method("sum")
def sum(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None,  # noqa: A001
        dtype=None) -> Tensor:
    """Sum over ``axis`` (all axes when None); bool and integer inputs give int64.

    ``dtype`` converts the input first and the result to it (as NumPy's ``dtype=``).

    >>> gt.sum(gt.tensor([[1, 2], [3, 4]]), axis=0).tolist()
    [4, 6]
    """
    return _reduce(_SUM, x, axis, keepdims, dim, keepdim, dtype)


@tensor_method("prod")
def prod(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None,
         dtype=None) -> Tensor:
    """Product over ``axis``; bool and integer inputs give int64; empty input gives 1.

    Gradient: the product of the other elements, exact when ``x`` holds zeros (at a lone
    zero it is the product of the rest, elsewhere in that slice 0; never a division by 0).

    >>> gt.prod(gt.tensor([1., 2., 3.])).item()
    6.0
    """
    return _reduce(_PROD, x, axis, keepdims, dim, keepdim, dtype)


@tensor_method("mean")
def mean(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None,
         dtype=None) -> Tensor:
    """Mean over ``axis``. Integer and bool tensors give the default float dtype (float32).

    >>> gt.mean(gt.tensor([1, 2])).item(), gt.mean(gt.tensor([1, 2])).dtype
    (1.5, dtype('float32'))
    """
    return _reduce(_MEAN, x, axis, keepdims, dim, keepdim, dtype)


@tensor_method("max")
def max(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """Largest element over ``axis``, same dtype; values only, as NumPy's ``max``.

    Unlike PyTorch's ``max(dim)`` no (values, indices) pair is returned: use ``argmax`` for
    the indices. An empty reduced axis raises ``ValueError`` (max has no identity).

    Gradient: split evenly among the elements equal to the maximum (ties), as PyTorch's
    ``amax``: the maximum of ``[1, 3, 3]`` gives ``[0, 0.5, 0.5]``; a NaN maximum sends
    it to the NaNs.

    >>> gt.max(gt.tensor([[1, 5], [7, 2]]), axis=1).tolist()
    [5, 7]
    """
    return _reduce(_MAX, x, axis, keepdims, dim, keepdim, nonempty=True, hint=_MAX_HINT)


@tensor_method("min")
def min(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``, same dtype; values only (see ``max``, ``argmin``).

    Gradient: split evenly among the tied minimal elements (as ``max``).

    >>> gt.min(gt.tensor([[1, 5], [7, 2]]), axis=1).tolist()
    [1, 2]
    """
    return _reduce(_MIN, x, axis, keepdims, dim, keepdim, nonempty=True, hint=_MAX_HINT)


def _arg(op: OpDef, x, axis, keepdims, dim, keepdim) -> Tensor:
    x = _tensor(x)
    axis, keepdims = _resolve(op.name, axis, keepdims, dim, keepdim)
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{op.name}: axis must be an int or None (one axis, or the flattened "
                        f"tensor), got {axis!r}")
    axes = normalize_axes(op.name, axis, x.shape)
    _check_nonempty(op.name, x.shape, axes)
    return apply(op, x, axis=None if axes is None else axes[0], keepdims=keepdims)


@tensor_method("argmax")
def argmax(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """int64 index of the largest element along ``axis`` (of the flattened tensor when
    None); the first one on ties, as NumPy.

    >>> gt.argmax(gt.tensor([1, 3, 3])).item()
    1
    """
    return _arg(_ARGMAX, x, axis, keepdims, dim, keepdim)


@tensor_method("argmin")
def argmin(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """int64 index of the smallest element along ``axis``; the first one on ties.

    >>> gt.argmin(gt.tensor([[3, 1], [0, 0]]), axis=1).tolist()
    [1, 0]
    """
    return _arg(_ARGMIN, x, axis, keepdims, dim, keepdim)


def _ddof(op: str, ddof, correction, unbiased):
    given = [(n, v) for n, v in (("ddof", ddof), ("correction", correction),
                                 ("unbiased", unbiased)) if v is not None]
    if len(given) > 1:
        raise TypeError(f"{op}: got {' and '.join(n + '=' for n, _ in given)}; they mean the "
                        "same thing (ddof=1 == correction=1 == unbiased=True), pass only one")
    if not given:
        return 0
    name, v = given[0]
    if name == "unbiased":
        return 1 if v else 0
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer,
                                                                np.floating)) or v < 0:
        raise ValueError(f"{op}: {name} must be a non-negative number, got {v!r}")
    return v


@tensor_method("var")
def var(x, axis=None, keepdims: bool = False, *, ddof=None, correction=None, unbiased=None,
        dim=None, keepdim=None, dtype=None) -> Tensor:
    """Variance over ``axis``: mean((x - mean(x))**2) * n / (n - ddof).

    ``ddof`` defaults to 0 as in NumPy (PyTorch defaults to 1); ``correction=`` and
    ``unbiased=True`` are the PyTorch spellings. Integer inputs give the default float dtype.

    >>> gt.var(gt.tensor([1., 2., 3., 4.])).item(), gt.var(gt.tensor([1., 3.]), ddof=1).item()
    (1.25, 2.0)
    """
    return _reduce(_VAR, x, axis, keepdims, dim, keepdim, dtype,
                   ddof=_ddof("var", ddof, correction, unbiased))


@tensor_method("std")
def std(x, axis=None, keepdims: bool = False, *, ddof=None, correction=None, unbiased=None,
        dim=None, keepdim=None, dtype=None) -> Tensor:
    """Standard deviation over ``axis``: ``sqrt(var(x, ...))``; ``ddof`` defaults to 0.

    Gradient: ``(x - mean) / ((n - ddof) * std)``; 0 where std is 0 (a constant slice).

    >>> gt.std(gt.tensor([1., 3.])).item()
    1.0
    """
    return _reduce(_STD, x, axis, keepdims, dim, keepdim, dtype,
                   ddof=_ddof("std", ddof, correction, unbiased))


@tensor_method("all")
def all(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """True where every element over ``axis`` is nonzero (bool result; True when empty).

    >>> gt.all(gt.tensor([[1, 0], [1, 1]]), axis=1).tolist()
    [False, True]
    """
    return _reduce(_ALL, x, axis, keepdims, dim, keepdim)


@tensor_method("any")
def any(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """True where some element over ``axis`` is nonzero (bool result; False when empty).

    >>> gt.any(gt.tensor([[1, 0], [0, 0]]), axis=1).tolist()
    [True, False]
    """
    return _reduce(_ANY, x, axis, keepdims, dim, keepdim)


@tensor_method("logsumexp")
def logsumexp(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, shifted by the maximum so that inputs of any
    magnitude (1e4, -inf) are exact; empty input gives -inf. Integers give the default float.

    >>> round(gt.logsumexp(gt.tensor([1e4, 1e4], dtype=gt.float64)).item() - 1e4, 4)
    0.6931
    """
    return _reduce(_LOGSUMEXP, x, axis, keepdims, dim, keepdim)


_VECTOR_ORDS = "None, 2, 1, inf, -inf, 0 or any other number p"
_MATRIX_ORDS = ("None, 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")


@tensor_method("norm")
def norm(x, ord=None, axis=None, keepdims: bool = False, *, dim=None,  # noqa: A002
         keepdim=None) -> Tensor:
    """Vector or matrix norm, as ``numpy.linalg.norm`` (also ``gt.linalg.norm``).

    ``axis`` None: the 2-norm of the flattened tensor when ``ord`` is None, else a vector
    norm of a 1-D or a matrix norm of a 2-D tensor. An int ``axis`` gives vector norms
    (ord: None/2, 1, inf, -inf, 0, any p), a pair of axes matrix norms (ord: None/'fro',
    'nuc', 1, -1, 2, -2, inf, -inf). Note PyTorch's ``norm(p=2)`` of a matrix is the
    flattened 2-norm while NumPy's (followed here) is the largest singular value.

    Gradient, with these subgradients where the norm has a kink: 2-norm, Frobenius and other
    p-norms: 0 at ``x == 0`` (and, for p < 1, 0 at zero elements); 1-norm: ``sign(x)`` (0 at
    zero elements); inf/-inf norms and the matrix 1/-1/inf/-inf norms: split evenly among
    the tied largest (smallest) elements, column sums or row sums; ord=0 (a count): 0;
    matrix 2/-2/'nuc': ``u1 v1^T`` / ``uk vk^T`` / ``U V^T`` from an SVD (assumes distinct
    singular values).

    >>> gt.norm(gt.tensor([3., 4.])).item()
    5.0
    """
    x = _tensor(x)
    axis, keepdims = _resolve("norm", axis, keepdims, dim, keepdim)
    axes = normalize_axes("norm", axis, x.shape)
    n = x.ndim if axes is None else len(axes)
    if axes is None and ord is None:
        pass  # 2-norm of everything
    elif n == 1:
        if ord is not None and (isinstance(ord, (str, bool, np.bool_)) or not isinstance(
                ord, (int, float, np.integer, np.floating))):
            raise ValueError(f"norm: ord={ord!r} is not a vector norm; vector norms (one "
                             f"axis) take ord = {_VECTOR_ORDS}")
    elif n == 2:
        if isinstance(ord, (bool, np.bool_)) or ord not in (None, "fro", "f", "nuc", 1, -1,
                                                             2, -2, np.inf, -np.inf):
            raise ValueError(f"norm: ord={ord!r} is not a matrix norm; matrix norms (two "
                             f"axes) take ord = {_MATRIX_ORDS}")
    elif axes is None:
        raise ValueError(f"norm: ord={ord!r} needs a 1-D or 2-D tensor, got shape {x.shape}; "
                         "give axis= (an int for vector norms, a pair for matrix norms)")
    else:
        raise ValueError(f"norm: axis={axis!r} names {n} axes; give one axis (vector norm) "
                         "or two (matrix norm)")
    return apply(_NORM, x, ord=ord, axis=axes, keepdims=keepdims)


def _cumulative(op: OpDef, x, axis, dim, dtype) -> Tensor:
    x = _tensor(x)
    axis, _ = _resolve(op.name, axis, False, dim, None)
    if axis is not None:
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{op.name}: axis must be an int or None (None flattens), got "
                            f"{axis!r}")
        # NumPy treats a 0-d tensor as one element here, so axis 0 / -1 are valid for it
        axis = normalize_axes(op.name, axis, x.shape or (1,))[0]
    if dtype is None:
        return apply(op, x, axis=axis)
    dtype = dt.as_dtype(dtype)
    return cast(apply(op, cast(x, dtype), axis=axis), dtype)


@tensor_method("cumsum")
def cumsum(x, axis=None, *, dim=None, dtype=None) -> Tensor:
    """Cumulative sum along ``axis``; None flattens first (NumPy). Integers give int64.

    >>> gt.cumsum(gt.tensor([[1, 2], [3, 4]]), axis=1).tolist()
    [[1, 3], [3, 7]]
    """
    return _cumulative(_CUMSUM, x, axis, dim, dtype)


@tensor_method("cumprod")
def cumprod(x, axis=None, *, dim=None, dtype=None) -> Tensor:
    """Cumulative product along ``axis``; None flattens first (NumPy). Integers give int64.

    Gradient: exact with zeros in ``x`` (O(n) first-zero form; an O(n^2) form while
    recording a graph for higher derivatives, as PyTorch).

    >>> gt.cumprod(gt.tensor([1, 2, 3])).tolist()
    [1, 2, 6]
    """
    return _cumulative(_CUMPROD, x, axis, dim, dtype)


# TensorFlow names: the same functions (``axis``/``keepdims`` are already our parameters)
reduce_sum = sum
reduce_mean = mean
reduce_max = max
reduce_min = min
reduce_prod = prod
reduce_all = all
reduce_any = any
reduce_logsumexp = logsumexp
