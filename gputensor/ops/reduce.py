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
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from .. import dtypes as dt
from ..creation import as_tensor
from ..tensor import Tensor
from . import OpDef, apply, register, tensor_method
from .elementwise import cast

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


def _reduce(op: OpDef, x, axis, keepdims, dim, keepdim, dtype=None, *, nonempty=False,
            hint="", **attrs):
    """The body shared by the axis reductions: spellings, axes, dtype=, then ``apply``."""
    x = _tensor(x)
    axis, keepdims = _resolve(op.name, axis, keepdims, dim, keepdim)
    axes = normalize_axes(op.name, axis, x.shape, hint=hint)
    if nonempty:
        _check_nonempty(op.name, x.shape, axes)
    if dtype is None:
        return apply(op, x, axis=axes, keepdims=keepdims, **attrs)
    dtype = dt.as_dtype(dtype)
    return cast(apply(op, cast(x, dtype), axis=axes, keepdims=keepdims, **attrs), dtype)


# -- test samples: axis None, int, negative, tuple, empty tuple, keepdims; 0-d and empty ----
_AXIS_SAMPLES = (
    {},
    {"axis": 1, "shapes": [[(2, 3, 4)], [(3, 0)], [(0, 3)]]},
    {"axis": -1, "keepdims": True, "shapes": [[(2, 3, 4)], [(5,)]]},
    {"axis": (0, 2), "shapes": [[(2, 3, 4)]]},
    {"axis": [0, -1], "keepdims": True, "shapes": [[(2, 3, 4)]]},
    {"axis": (), "shapes": [[(2, 3)]]},
    {"keepdims": True, "shapes": [[()], [(2, 3)]]},
)


def _row(name, fwd, **fields):
    fields.setdefault("samples", _AXIS_SAMPLES)
    return register(OpDef(name, fwd, kind="reduce", **fields))


_SUM = _row("sum", "sum", policy="sum", doc="Sum of elements over axes.")
_PROD = _row("prod", "prod", policy="sum", domain="unit", doc="Product of elements over axes.")
_MEAN = _row("mean", "mean", policy="float", doc="Arithmetic mean over axes.")
_MAX = _row("max", "max", doc="Largest element over axes.")
_MIN = _row("min", "min", doc="Smallest element over axes.")
_ALL = _row("all", "all", policy="bool", doc="True where every element is nonzero.")
_ANY = _row("any", "any", policy="bool", doc="True where some element is nonzero.")
_VAR = _row("var", "var", policy="float", doc="Variance (ddof=0 by default).",
            samples=_AXIS_SAMPLES + ({"axis": 1, "ddof": 1, "shapes": [[(2, 3, 4)]]},))
_STD = _row("std", "std", policy="float", doc="Standard deviation (ddof=0 by default).",
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


_LOGSUMEXP = _row("logsumexp", _logsumexp_fwd, policy="float", ref=_logsumexp_ref,
                  doc="log(sum(exp(x))) over axes, computed stably.")


def _norm_fwd(xp, x, ord=None, axis=None, keepdims=False):
    if x.dtype == np.float16:  # linalg has no float16 (and squares overflow it): use float32
        return xp.linalg.norm(x.astype(np.float32), ord, axis, keepdims).astype(x.dtype)
    return xp.linalg.norm(x, ord, axis, keepdims)


def _norm_ref(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x.astype(np.float64), ord, axis, keepdims)


_NORM = _row("norm", _norm_fwd, policy="float", ref=_norm_ref,
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
_CUMSUM = _row("cumsum", _cum("cumsum"), policy="sum", samples=_CUM_SAMPLES,
               doc="Cumulative sum along an axis (flattened when axis is None).")
_CUMPROD = _row("cumprod", _cum("cumprod"), policy="sum", domain="unit", samples=_CUM_SAMPLES,
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

    >>> gt.max(gt.tensor([[1, 5], [7, 2]]), axis=1).tolist()
    [5, 7]
    """
    return _reduce(_MAX, x, axis, keepdims, dim, keepdim, nonempty=True, hint=_MAX_HINT)


@tensor_method("min")
def min(x, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:  # noqa: A001
    """Smallest element over ``axis``, same dtype; values only (see ``max``, ``argmin``).

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
