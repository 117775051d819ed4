"""Elementwise ops: one ``OpDef`` row each, plus the public function made from it.

``_unary``/``_binary`` register a row and return the public ``gt.<name>`` function (a fast
caller from ``unary_caller``/``binary_caller``); ops with attributes (``round(decimals=)``,
``softplus(beta=)``, ``clip``...) are small functions around ``apply``. Tensor methods of the
same names are attached from ``METHODS``; aliases (``sub``, ``clamp``, ``asin``...) are the
same function objects.

dtypes: ``policy="float"`` ops (true division, ``sqrt``, ``exp``, ``sigmoid``...) compute
integers and bools in the default float dtype (float32); comparisons and ``isnan``-style tests
give bool; everything else keeps the promoted input dtype, so float16 in gives float16 out.
Composite forwards (``sigmoid``, ``softplus``, ``gelu``, ``erf``) compute float16 in float32
and round once at the end. Python scalars never widen a tensor's dtype (``ops.apply``).

``cuda`` templates are C expressions over the inputs ``{0}``, ``{1}``, ``{2}`` and, for ops
with attributes, the attributes by name (``{negative_slope}``): fill them in with
``op.cuda.format(*input_names, **attrs)``. Rows whose C form would depend on the dtype or on a
string attribute have none (``round``, ``bitwise_not``, ``nan_to_num``).

Gradients (``vjp``/``save`` of each row, written with gputensor ops so they differentiate
again; the engine undoes broadcasting and casts back). Conventions at the points where a
derivative does not exist, as PyTorch: ``sign``, ``floor``, ``ceil``, ``round``, ``trunc`` and
``floor_divide`` have zero gradient everywhere; ``abs`` and ``relu`` have gradient 0 at 0,
``leaky_relu`` the negative slope at 0; ``maximum``/``minimum`` give the gradient to the
picked operand and half to each on ties; ``clip`` passes it to ``x`` inside ``[min, max]``
(bounds included), to a tensor bound where that bound was picked; ``where`` masks it into
both branches (none to the condition); ``nan_to_num`` gives 0 where a value was replaced;
``remainder`` gives ``1`` and ``-floor(a / b)``; ``pow`` w.r.t. the exponent needs a base
``> 0`` (0 where the base is 0 and the exponent >= 0, NaN for a negative base); ``cast``
casts the gradient back to the input dtype.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import dtypes as dt
from ..creation import as_tensor, zeros_like
from ..tensor import Tensor
from . import OpDef, apply, binary_caller, register, tensor_method, unary_caller

__all__ = [
    # arithmetic
    "add", "subtract", "sub", "multiply", "mul", "divide", "div", "true_divide",
    "floor_divide", "remainder", "pow", "power", "negative", "neg", "positive", "abs",
    "absolute", "sign", "round", "ceil", "floor", "trunc", "square", "sqrt", "rsqrt",
    "reciprocal", "maximum", "minimum", "clip", "clamp", "where", "nan_to_num",
    # exponentials, logarithms, trigonometry
    "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "arcsin",
    "asin", "arccos", "acos", "arctan", "atan", "arctan2", "atan2", "sinh", "cosh", "tanh",
    "erf", "erfc",
    # activations
    "sigmoid", "relu", "gelu", "softplus", "leaky_relu", "elu", "silu",
    # tests, comparisons, logic and bits
    "isnan", "isinf", "isfinite", "equal", "eq", "not_equal", "ne", "less", "lt",
    "less_equal", "le", "greater", "gt", "greater_equal", "ge", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift",
    # conversion
    "cast",
]

_F64 = np.dtype("float64")


def _unary(name, fwd, *, methods=None, doc="", example="", **fields):
    op = register(OpDef(name, fwd, kind="elementwise", arity=1, doc=doc, **fields))

    fn = unary_caller(op)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc}\n\n    >>> {example}\n" if example else doc
    fn.__annotations__ = {"x": "Tensor", "return": "Tensor"}
    fn.op = op
    for m in (name,) if methods is None else methods:
        tensor_method(m)(fn)
    return fn


def _binary(name, fwd, *, methods=None, doc="", example="", **fields):
    op = register(OpDef(name, fwd, kind="elementwise", arity=2, doc=doc, **fields))

    fn = binary_caller(op)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc}\n\n    >>> {example}\n" if example else doc
    fn.__annotations__ = {"a": "Tensor | float", "b": "Tensor | float", "return": "Tensor"}
    fn.op = op
    for m in (name,) if methods is None else methods:
        tensor_method(m)(fn)
    return fn


def _up(x):
    """float16 data as float32 for composite formulas (their result is rounded back once)."""
    return x.astype(dt.float32) if x.dtype == dt.float16 else x


def _down(y, x):
    return y.astype(x.dtype, copy=False)


def _f64(x):
    """Test references: any input as float64 NumPy data."""
    return np.asarray(x, dtype=_F64)


def _int_identity(f):
    """A float-only array function that leaves integer arrays unchanged (ceil, floor, trunc)."""
    return lambda xp, x: getattr(xp, f)(x) if x.dtype.kind == "f" else x.copy()


# -- derivative rules (autodiff) ---------------------------------------------------------------
# ``vjp(ctx, g)`` returns one gradient per input (None where none is needed); the engine sums
# each back to its input's shape (broadcasting) and casts it to its dtype. Rules use gputensor
# ops only, so they run on every backend and, under ``create_graph=True``, are differentiable
# themselves. ``save`` names what a rule reads (``OpDef``): inputs, "others", "out".
_SCALAR = (int, float, bool)
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _zeros(g):
    return zeros_like(g)


def _vjp_zero(ctx, g):
    """Piecewise-constant ops (sign, floor, ceil, round, trunc, floor_divide): zero gradient
    everywhere, as PyTorch (the jumps themselves are ignored)."""
    z = _zeros(g)
    return tuple(z if n else None for n in ctx.needs)


def _vjp_identity(ctx, g):
    return g


def _vjp_add(ctx, g):
    return g, g  # the engine skips inputs that need no gradient


def _vjp_subtract(ctx, g):
    return g, (-g if ctx.needs[1] else None)


def _vjp_multiply(ctx, g):
    x, y = ctx.inputs  # saved only where the other input needs a gradient
    n = ctx.needs
    return (g * y if n[0] else None), (g * x if n[1] else None)


def _vjp_divide(ctx, g):
    x, y = ctx.inputs
    ga = g / y
    return ga, (-(ga * x) / y if ctx.needs[1] else None)


def _vjp_remainder(ctx, g):
    # a % b = a - b * floor(a / b): d/da = 1, d/db = -floor(a / b) (jumps ignored)
    x, y = ctx.inputs
    return g, (-(g * floor_divide(x, y)) if ctx.needs[1] else None)


def _log_any(x):
    """log(x) of a tensor, or of a Python scalar as a Python float (full precision)."""
    if type(x) in _SCALAR:
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)
    return log(x)


def _vjp_pow(ctx, g):
    # d/dx x**y = y * x**(y-1) (0 where y == 0, also at x == 0, as PyTorch);
    # d/dy x**y = x**y * log(x): defined for x > 0; 0 where x == 0 and y >= 0 (as PyTorch);
    # NaN where x < 0 (a negative base has no real logarithm)
    x, y = ctx.inputs
    n = ctx.needs
    gx = gy = None
    if n[0]:
        if type(y) in _SCALAR:
            gx = _zeros(g) if y == 0 else g * (x ** (y - 1) * y)
        else:
            gx = g * where(y == 0, 0.0, x ** (y - 1) * y)
    if n[1]:
        dy = x ** y * _log_any(x)
        if type(x) not in _SCALAR:
            gy = g * where(logical_and(x == 0, y >= 0), 0.0, dy)
        else:
            gy = g * (where(y >= 0, 0.0, dy) if x == 0 else dy)
    return gx, gy


def _vjp_negative(ctx, g):
    return -g


def _vjp_abs(ctx, g):
    return g * sign(ctx.inputs[0])  # 0 at x == 0, as PyTorch


def _vjp_square(ctx, g):
    return g * (ctx.inputs[0] * 2)


def _vjp_sqrt(ctx, g):
    return g / (ctx.out * 2)


def _vjp_rsqrt(ctx, g):
    out = ctx.out
    return g * (out * out * out) * -0.5


def _vjp_reciprocal(ctx, g):
    out = ctx.out
    return -(g * (out * out))


def _vjp_exp(ctx, g):
    return g * ctx.out


def _vjp_exp2(ctx, g):
    return g * ctx.out * _LN2


def _vjp_expm1(ctx, g):
    return g * (ctx.out + 1)


def _vjp_log(ctx, g):
    return g / ctx.inputs[0]


def _vjp_log1p(ctx, g):
    return g / (ctx.inputs[0] + 1)


def _vjp_log2(ctx, g):
    return g / (ctx.inputs[0] * _LN2)


def _vjp_log10(ctx, g):
    return g / (ctx.inputs[0] * _LN10)


def _vjp_sin(ctx, g):
    return g * cos(ctx.inputs[0])


def _vjp_cos(ctx, g):
    return -(g * sin(ctx.inputs[0]))


def _vjp_tan(ctx, g):
    out = ctx.out
    return g * (out * out + 1)


def _vjp_arcsin(ctx, g):
    x = ctx.inputs[0]
    return g / sqrt(1 - x * x)


def _vjp_arccos(ctx, g):
    x = ctx.inputs[0]
    return -(g / sqrt(1 - x * x))


def _vjp_arctan(ctx, g):
    x = ctx.inputs[0]
    return g / (x * x + 1)


def _vjp_sinh(ctx, g):
    return g * cosh(ctx.inputs[0])


def _vjp_cosh(ctx, g):
    return g * sinh(ctx.inputs[0])


def _vjp_tanh(ctx, g):
    out = ctx.out
    if not ctx.create_graph:  # one pass (a fused kernel on CUDA)
        return apply(_TANH_GRAD, out, g)
    return g * (1 - out * out)


def _vjp_arctan2(ctx, g):
    """d atan2(a, b) = (b da - a db) / (a^2 + b^2), taken as 0 at the origin (as PyTorch)
    instead of 0/0; so are its derivatives there (PyTorch: NaN)."""
    a, b = ctx.inputs
    n = ctx.needs
    d = a * a + b * b
    origin = d == 0
    s = where(origin, 0.0, g / where(origin, 1.0, d))
    return (s * b if n[0] else None), (-(s * a) if n[1] else None)


def _vjp_erf(ctx, g):
    x = ctx.inputs[0]
    return g * (exp(-(x * x)) * _TWO_OVER_SQRT_PI)


def _vjp_erfc(ctx, g):
    x = ctx.inputs[0]
    return g * (exp(-(x * x)) * -_TWO_OVER_SQRT_PI)


def _vjp_sigmoid(ctx, g):
    out = ctx.out
    if not ctx.create_graph:
        return apply(_SIGMOID_GRAD, out, g)
    return g * (out * (1 - out))


def _vjp_relu(ctx, g):
    # 0 at x == 0, as PyTorch; one array-module pass when the gradient is not recorded
    if not ctx.create_graph:
        return apply(_RELU_GRAD, ctx.out, g)
    return g * cast(ctx.out > 0, g.dtype)


# Not table rows: activation gradients as one forward each, ``<act>_grad(y or x, g)`` (the
# argument order of the backward kernels), used by the rules only when the gradient itself is
# not recorded (``not ctx.create_graph``; otherwise the rules compose public ops so they
# differentiate again). On NumPy each is the rule's own arithmetic in one function (the mask
# multiply of relu is several times faster than where(mask, g, 0.)); on CUDA the registry's
# backward kernels override them (gputensor/backends/kernels.py: sigmoid_bwd -> sigmoid_grad,
# ...), one fused pass instead of several.
def _grad_op(name, fwd):
    return OpDef(name, fwd, arity=2, kinds="f", samples=())


def _gelu_grad_fwd(xp, x, g):
    cdf = _erfc(xp, x * -_SQRT1_2) * 0.5
    pdf = xp.exp(x * x * -0.5) * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _gelu_tanh_grad_fwd(xp, x, g):
    c = xp.clip(x, -10.0, 10.0)
    c2 = c * c
    t = xp.tanh((c + c2 * c * 0.044715) * _SQRT2_PI)
    du = (c2 * (3 * 0.044715) + 1) * _SQRT2_PI
    return g * ((t + 1) * 0.5 + x * (1 - t * t) * du * 0.5)


def _softplus_grad_fwd(xp, x, g, beta=1.0, threshold=20.0):
    b = x * beta
    return xp.where(b > threshold, g, g * _sigmoid(xp, b))


_RELU_GRAD = _grad_op("relu_grad", lambda xp, y, g: g * (y > 0))
_SIGMOID_GRAD = _grad_op("sigmoid_grad", lambda xp, y, g: g * (y * (1 - y)))
_TANH_GRAD = _grad_op("tanh_grad", lambda xp, y, g: g * (1 - y * y))
_GELU_GRAD = _grad_op("gelu_grad", _gelu_grad_fwd)
_GELU_TANH_GRAD = _grad_op("gelu_tanh_grad", _gelu_tanh_grad_fwd)
_SOFTPLUS_GRAD = _grad_op("softplus_grad", _softplus_grad_fwd)
_LEAKY_RELU_GRAD = _grad_op("leaky_relu_grad", lambda xp, x, g, negative_slope=0.01:
                            xp.where(x > 0, g, g * negative_slope))
GRAD_OPS = (_RELU_GRAD, _SIGMOID_GRAD, _TANH_GRAD, _GELU_GRAD, _GELU_TANH_GRAD,
            _SOFTPLUS_GRAD, _LEAKY_RELU_GRAD)


def _vjp_gelu(ctx, g):
    # d/dx x * Phi(x) = Phi(x) + x * phi(x)
    x = ctx.inputs[0]
    if not ctx.create_graph:
        return apply(_GELU_GRAD, x, g)
    cdf = erfc(x * -_SQRT1_2) * 0.5
    pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


def _vjp_gelu_tanh(ctx, g):
    # y = x/2 (1 + tanh(u)), u = k (c + a c^3), c = x clipped to [-10, 10] (as the forward)
    x = ctx.inputs[0]
    if not ctx.create_graph:
        return apply(_GELU_TANH_GRAD, x, g)
    c = clip(x, -10.0, 10.0)
    c2 = c * c
    t = tanh((c + c2 * c * 0.044715) * _SQRT2_PI)
    du = (c2 * (3 * 0.044715) + 1) * _SQRT2_PI
    return g * ((t + 1) * 0.5 + x * (1 - t * t) * du * 0.5)


def _vjp_softplus(ctx, g):
    if not ctx.create_graph:
        return apply(_SOFTPLUS_GRAD, ctx.inputs[0], g, beta=ctx.attrs.get("beta", 1.0),
                     threshold=ctx.attrs.get("threshold", 20.0))
    b = ctx.inputs[0] * ctx.attrs.get("beta", 1.0)
    return where(b > ctx.attrs.get("threshold", 20.0), g, g * sigmoid(b))


def _vjp_leaky_relu(ctx, g):
    # slope 1 above zero, negative_slope at and below (as PyTorch)
    if not ctx.create_graph:
        return apply(_LEAKY_RELU_GRAD, ctx.inputs[0], g,
                     negative_slope=ctx.attrs.get("negative_slope", 0.01))
    return where(ctx.inputs[0] > 0, g, g * ctx.attrs.get("negative_slope", 0.01))


def _vjp_elu(ctx, g):
    x = ctx.inputs[0]
    alpha = ctx.attrs.get("alpha", 1.0)
    # exp only of x <= 0 (no overflow where x > 0); at x = 0 the rule is the left branch's,
    # and so is its own derivative (minimum would split that tie: alpha / 2)
    return where(x > 0, g, g * (exp(where(x > 0, 0.0, x)) * alpha))


def _vjp_silu(ctx, g):
    x = ctx.inputs[0]
    s = sigmoid(x)
    return g * (s * (x * (1 - s) + 1))


def _vjp_extreme(larger):
    """maximum/minimum: the gradient goes to the operand that was picked; where a == b each
    gets half (PyTorch's choice for maximum/minimum; central differences agree)."""

    def vjp(ctx, g):
        a, b = ctx.inputs
        n = ctx.needs
        half = where(equal(a, b), g * 0.5, 0.0)
        ga = where(greater(a, b) if larger else less(a, b), g, half) if n[0] else None
        gb = where(less(a, b) if larger else greater(a, b), g, half) if n[1] else None
        return ga, gb

    return vjp


def _vjp_clip(ctx, g):
    # clip(x, lo, hi) = min(max(x, lo), hi): each element's gradient goes to exactly one input:
    # x where lo <= x <= hi (bounds included, as PyTorch); lo where x < lo <= hi; hi where
    # x > hi, and everywhere when lo > hi (the result is then hi, as NumPy)
    x, lo, hi = ctx.inputs
    n = ctx.needs
    gx = where(logical_and(x >= lo, x <= hi), g, 0.0) if n[0] else None
    glo = where(logical_and(x < lo, lo <= hi), g, 0.0) if n[1] else None
    ghi = where(logical_or(x > hi, lo > hi), g, 0.0) if n[2] else None
    return gx, glo, ghi


def _vjp_where(ctx, g):
    cond = ctx.inputs[0]
    n = ctx.needs
    return (None, where(cond, g, 0.0) if n[1] else None,
            where(cond, 0.0, g) if n[2] else None)


def _vjp_nan_to_num(ctx, g):
    return where(isfinite(ctx.inputs[0]), g, 0.0)  # replaced values are constants


# NaN-propagating maximum/minimum in C (NumPy semantics; fmax/fmin would drop the NaN)
_CMAX = "(({0}) > ({1}) || ({0}) != ({0}) ? ({0}) : ({1}))"
_CMIN = "(({0}) < ({1}) || ({0}) != ({0}) ? ({0}) : ({1}))"
_CFMOD = "fmod((double)({0}), (double)({1}))"

# -- arithmetic -------------------------------------------------------------------------------
add = _binary("add", "add", vjp=_vjp_add, cuda="(({0}) + ({1}))",
              doc="a + b, broadcasting (logical or for bools).",
              example="gt.add(gt.tensor([1, 2]), 10).tolist()\n    [11, 12]")
subtract = _binary("subtract", "subtract", vjp=_vjp_subtract, kinds="iuf", cuda="(({0}) - ({1}))",
                   methods=("subtract", "sub"), doc="a - b, broadcasting.",
                   example="gt.subtract(gt.tensor([5, 7]), 2).tolist()\n    [3, 5]")
multiply = _binary("multiply", "multiply", vjp=_vjp_multiply, save=("others",),
                   cuda="(({0}) * ({1}))",
                   methods=("multiply", "mul"),
                   doc="a * b, broadcasting (logical and for bools).",
                   example="gt.multiply(gt.tensor([1., 2.]), 3).tolist()\n    [3.0, 6.0]")
divide = _binary("divide", "divide", vjp=_vjp_divide, save=("x*",),
                 policy="float", cuda="(({0}) / ({1}))",
                 domain="nonzero",
                 methods=("divide", "div", "true_divide"),
                 doc="a / b, true division: integers give the default float dtype (float32).",
                 example="gt.divide(gt.tensor([1, 3]), 2).tolist()\n    [0.5, 1.5]")
floor_divide = _binary(
    "floor_divide", "floor_divide", vjp=_vjp_zero, kinds="iuf", domain="nonzero",
    cuda="floor((double)({0}) / (double)({1}))",
    doc="a // b: the floor of the quotient, as NumPy and Python (rounds toward -inf).",
    example="gt.floor_divide(gt.tensor([7, -7]), 2).tolist()\n    [3, -4]")
remainder = _binary(
    "remainder", "remainder", vjp=_vjp_remainder, save=("x*",),
    kinds="iuf", domain="nonzero",
    cuda=(f"({_CFMOD} != 0 && (({_CFMOD} < 0) != (({1}) < 0)) ? {_CFMOD} + ({1}) : {_CFMOD})"),
    doc="a % b with the sign of the divisor, as NumPy and Python (not C's fmod).",
    example="gt.remainder(gt.tensor([7, -7]), 3).tolist()\n    [1, 2]")
pow = _binary(  # noqa: A001  gt.pow, as torch.pow
    "pow", "power", vjp=_vjp_pow, save=("x*",),
    kinds="iuf", domain="positive", cuda="pow({0}, {1})",
    doc="a ** b. Integers to negative integer powers raise ValueError, as in NumPy. "
        "Gradient w.r.t. b is a ** b * log(a): for a > 0; 0 where a == 0 and b >= 0, NaN "
        "where a < 0 (as PyTorch).",
    example="gt.pow(gt.tensor([2., 3.]), 2).tolist()\n    [4.0, 9.0]")
negative = _unary("negative", "negative", vjp=_vjp_negative, kinds="iuf", cuda="(-({0}))",
                  methods=("negative", "neg"), doc="-x (bools are refused: use logical_not).",
                  example="gt.negative(gt.tensor([1, -2])).tolist()\n    [-1, 2]")
positive = _unary("positive", lambda xp, x: +x, vjp=_vjp_identity,
                  kinds="iuf", cuda="({0})",
                  doc="+x: a copy of x.", example="gt.positive(gt.tensor([-1])).tolist()\n"
                                                  "    [-1]")
abs = _unary(  # noqa: A001  gt.abs, as np.abs / torch.abs
    "abs", "absolute", vjp=_vjp_abs, save=("x0",), cuda="(({0}) < 0 ? -({0}) : ({0}))",
    methods=("abs", "absolute"),
    doc="|x|.", example="gt.abs(gt.tensor([-1.5, 2.])).tolist()\n    [1.5, 2.0]")
sign = _unary("sign", "sign", vjp=_vjp_zero, kinds="iuf",
              cuda="(({0}) > 0 ? 1 : (({0}) < 0 ? -1 : ({0})))",
              doc="-1, 0 or 1 by the sign of x (NaN stays NaN).",
              example="gt.sign(gt.tensor([-3., 0., 2.])).tolist()\n    [-1.0, 0.0, 1.0]")
ceil = _unary("ceil", _int_identity("ceil"), vjp=_vjp_zero, kinds="iuf", cuda="ceil({0})",
              doc="The smallest integer >= x (integer tensors are returned unchanged).",
              example="gt.ceil(gt.tensor([1.2, -1.2])).tolist()\n    [2.0, -1.0]")
floor = _unary("floor", _int_identity("floor"), vjp=_vjp_zero, kinds="iuf", cuda="floor({0})",
               doc="The largest integer <= x (integer tensors are returned unchanged).",
               example="gt.floor(gt.tensor([1.8, -1.2])).tolist()\n    [1.0, -2.0]")
trunc = _unary("trunc", _int_identity("trunc"), vjp=_vjp_zero, kinds="iuf", cuda="trunc({0})",
               doc="x rounded toward zero (integer tensors are returned unchanged).",
               example="gt.trunc(gt.tensor([1.8, -1.8])).tolist()\n    [1.0, -1.0]")
square = _unary("square", "square", vjp=_vjp_square, save=("x0",),
                kinds="iuf", cuda="(({0}) * ({0}))", doc="x * x.",
                example="gt.square(gt.tensor([3, -2])).tolist()\n    [9, 4]")
sqrt = _unary("sqrt", "sqrt", vjp=_vjp_sqrt, save=("out",), policy="float", domain="positive",
              cuda="sqrt({0})",
              ref=lambda x: np.sqrt(_f64(x)),
              doc="Square root (NaN below zero); integers give the default float dtype.",
              example="gt.sqrt(gt.tensor([4, 9])).tolist()\n    [2.0, 3.0]")
rsqrt = _unary("rsqrt", lambda xp, x: xp.reciprocal(xp.sqrt(x)), vjp=_vjp_rsqrt,
               save=("out",), policy="float",
               domain="positive", cuda="rsqrt({0})", ref=lambda x: 1 / np.sqrt(_f64(x)),
               doc="1 / sqrt(x).", example="gt.rsqrt(gt.tensor([4.])).tolist()\n    [0.5]")
reciprocal = _unary("reciprocal", "reciprocal", vjp=_vjp_reciprocal, save=("out",),
                    policy="float", domain="nonzero",
                    cuda="(1 / ({0}))", ref=lambda x: 1 / _f64(x),
                    doc="1 / x; integers give the default float dtype (not integer 1 // x).",
                    example="gt.reciprocal(gt.tensor([2, 4])).tolist()\n    [0.5, 0.25]")
maximum = _binary("maximum", "maximum", vjp=_vjp_extreme(True), save=("x*",), cuda=_CMAX,
                  doc="The elementwise larger of a and b (NaN if either is NaN). Gradient: to the "
                      "larger one; where a == b each gets half (as PyTorch).",
                  example="gt.maximum(gt.tensor([1, 5]), 3).tolist()\n    [3, 5]")
minimum = _binary("minimum", "minimum", vjp=_vjp_extreme(False), save=("x*",), cuda=_CMIN,
                  doc="The elementwise smaller of a and b (NaN if either is NaN). Gradient: to the "
                      "smaller one; where a == b each gets half (as PyTorch).",
                  example="gt.minimum(gt.tensor([1, 5]), 3).tolist()\n    [1, 3]")
sub, mul, div, true_divide = subtract, multiply, divide, divide
neg, absolute, power = negative, abs, pow


_ROUND = register(OpDef(
    "round",
    lambda xp, x, decimals=0: (x.round(decimals) if x.dtype != dt.float16 or not decimals
                               else x.astype(dt.float32).round(decimals).astype(x.dtype)),
    kind="elementwise", kinds="iuf", samples=({}, {"decimals": 2}, {"decimals": -1}),
    vjp=_vjp_zero,
    doc="Round half to even."))


@tensor_method("round")
def round(x, decimals: int = 0) -> "Tensor":  # noqa: A001  gt.round, as np.round
    """Round to ``decimals`` decimal places, halves to even as NumPy (``0.5 -> 0``, ``1.5 -> 2``).

    Negative ``decimals`` round to tens, hundreds...; integer tensors stay integers.

    >>> gt.round(gt.tensor([0.5, 1.5, 2.675]), decimals=0).tolist()
    [0.0, 2.0, 3.0]
    """
    try:
        decimals = operator.index(decimals)
    except TypeError:
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}") from None
    return apply(_ROUND, x, decimals=decimals)


round.op = _ROUND


# clip: min(max(x, lo), hi), NumPy's order, so lo > hi gives hi. A missing bound is the
# dtype's own extreme as a weak Python scalar: it never changes the result dtype.
_CLIP = register(OpDef(
    "clip", lambda xp, x, lo, hi: xp.minimum(xp.maximum(x, lo), hi), arity=3, kinds="iuf",
    vjp=_vjp_clip, save=("x*",),
    cuda=_CMIN.format(_CMAX.format("{0}", "{1}"), "{2}"),
    ref=lambda x, lo, hi: np.clip(x, lo, hi), doc="Limit values to [lo, hi]."))


def _extreme(dtype: np.dtype, low: bool):
    if dtype.kind == "f":
        return -math.inf if low else math.inf
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return builtins.int(info.min if low else info.max)
    return not low  # bool: refused by the op's dtype check


@tensor_method("clip", "clamp")
def clip(x, min=None, max=None) -> "Tensor":  # noqa: A002  NumPy's and PyTorch's names
    """Limit ``x`` to ``[min, max]``; either bound may be None (unbounded), a scalar or a tensor
    (broadcast). Where ``min > max`` the result is ``max``, as NumPy and PyTorch.

    >>> gt.clip(gt.tensor([-2., 0.5, 3.]), 0, None).tolist()
    [0.0, 0.5, 3.0]
    """
    x = _as_tensor(x)
    if min is None:
        min = _extreme(x.dtype, True)
    if max is None:
        max = _extreme(x.dtype, False)
    return apply(_CLIP, x, min, max)


clip.op = _CLIP
clamp = clip


_WHERE = register(OpDef(
    "where", "where", arity=3, promoted=slice(1, None), vjp=_vjp_where, save=("x0",),
    cuda="(({0}) ? ({1}) : ({2}))",
    samples=({"inputs": [("bool", None), (None, None), (None, None)]},),
    doc="Pick from a where cond holds, else from b (broadcasting)."))


def where(condition, x, y) -> "Tensor":
    """``x`` where ``condition`` is true, else ``y``; all three broadcast together.

    ``condition`` must be bool (compare first: ``gt.where(t != 0, a, b)``); ``x`` and ``y``
    are promoted together (tensors or Python scalars).

    >>> gt.where(gt.tensor([True, False]), gt.tensor([1., 2.]), 0.).tolist()
    [1.0, 0.0]
    """
    cdtype = getattr(condition, "dtype", None)
    if cdtype is None:
        cdtype = np.asarray(condition).dtype
    if cdtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got dtype {cdtype}; make "
                        "one with a comparison, e.g. gt.where(t != 0, a, b)")
    return apply(_WHERE, condition, x, y)


@tensor_method("where")
def _where_method(self, condition, other) -> "Tensor":
    """``t.where(condition, other)``: PyTorch's method form of ``gt.where(condition, t, other)``.

    >>> gt.tensor([1., 2.]).where(gt.tensor([True, False]), 0.).tolist()
    [1.0, 0.0]
    """
    return where(condition, self, other)


_NAN_TO_NUM = register(OpDef(
    "nan_to_num",
    lambda xp, x, nan=0.0, posinf=None, neginf=None: xp.nan_to_num(
        x, nan=nan, posinf=posinf, neginf=neginf),
    samples=({}, {"nan": 1.0, "posinf": 5.0, "neginf": -5.0}), vjp=_vjp_nan_to_num, save=("x0",),
    doc="Replace NaN and infinities by finite numbers."))


@tensor_method("nan_to_num")
def nan_to_num(x, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> "Tensor":
    """NaN -> ``nan``, +inf -> ``posinf``, -inf -> ``neginf`` (defaults: 0 and the dtype's
    largest finite values), as NumPy; integer tensors are returned as copies.

    >>> gt.nan_to_num(gt.tensor([float('nan'), 1.]), nan=-1.).tolist()
    [-1.0, 1.0]
    """
    return apply(_NAN_TO_NUM, x, nan=nan, posinf=posinf, neginf=neginf)


nan_to_num.op = _NAN_TO_NUM


# -- exponentials, logarithms, trigonometry ----------------------------------------------------
_MATH_SAVE = {"exp": "out", "exp2": "out", "expm1": "out", "tan": "out", "tanh": "out"}


def _math(name, domain="any", c=None, method_alias=None, example=""):
    np_fn = getattr(np, name)
    return _unary(name, name, policy="float", domain=domain, cuda=f"{c or name}({{0}})",
                  vjp=globals()[f"_vjp_{name}"], save=(_MATH_SAVE.get(name, "x0"),),
                  ref=lambda x: np_fn(_f64(x)),  # NumPy computes bools in float16
                  methods=(name,) if method_alias is None else (name, method_alias),
                  doc=f"{name}(x), elementwise; integers give the default float dtype.",
                  example=example)


exp = _math("exp", example="gt.exp(gt.tensor([0.])).tolist()\n    [1.0]")
exp2 = _math("exp2", example="gt.exp2(gt.tensor([3])).tolist()\n    [8.0]")
expm1 = _math("expm1", example="gt.expm1(gt.tensor([0.])).tolist()\n    [0.0]")
log = _math("log", domain="positive", example="gt.log(gt.tensor([1.])).tolist()\n    [0.0]")
log1p = _math("log1p", domain="positive",
              example="gt.log1p(gt.tensor([0.])).tolist()\n    [0.0]")
log2 = _math("log2", domain="positive", example="gt.log2(gt.tensor([8])).tolist()\n    [3.0]")
log10 = _math("log10", domain="positive",
              example="gt.log10(gt.tensor([1.])).tolist()\n    [0.0]")
sin = _math("sin", example="gt.sin(gt.tensor([0.])).tolist()\n    [0.0]")
cos = _math("cos", example="gt.cos(gt.tensor([0.])).tolist()\n    [1.0]")
tan = _math("tan", example="gt.tan(gt.tensor([0.])).tolist()\n    [0.0]")
arcsin = _math("arcsin", domain="unit", c="asin", method_alias="asin",
               example="gt.arcsin(gt.tensor([0.])).tolist()\n    [0.0]")
arccos = _math("arccos", domain="unit", c="acos", method_alias="acos",
               example="gt.arccos(gt.tensor([1.])).tolist()\n    [0.0]")
arctan = _math("arctan", c="atan", method_alias="atan",
               example="gt.arctan(gt.tensor([0.])).tolist()\n    [0.0]")
sinh = _math("sinh", example="gt.sinh(gt.tensor([0.])).tolist()\n    [0.0]")
cosh = _math("cosh", example="gt.cosh(gt.tensor([0.])).tolist()\n    [1.0]")
tanh = _math("tanh", example="gt.tanh(gt.tensor([0.])).tolist()\n    [0.0]")
arctan2 = _binary("arctan2", "arctan2", policy="float", vjp=_vjp_arctan2, save=("x*",),
                  cuda="atan2({0}, {1})",
                  ref=lambda a, b: np.arctan2(_f64(a), _f64(b)),
                  methods=("arctan2", "atan2"),
                  doc="The angle of the point (b, a): atan(a / b) in the right quadrant.",
                  example="gt.arctan2(gt.tensor([0.]), gt.tensor([1.])).tolist()\n    [0.0]")
asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2


# erf/erfc: neither NumPy nor CuPy's main namespace has them, so they are built from xp calls
# with the rational approximations of Cephes (S. L. Moshier, public domain; the ones SciPy
# uses): relative error ~1e-16 in float64. Each branch runs on clipped inputs (no overflow or
# division warnings) and ``where`` picks the right one.
_ERF_T = (9.60497373987051638749E0, 9.00260197203842689217E1, 2.23200534594684319226E3,
          7.00332514112805075473E3, 5.55923013010394962768E4)
_ERF_U = (1.0, 3.35617141647503099647E1, 5.21357949780152679795E2, 4.59432382970980127987E3,
          2.26290000613890934246E4, 4.92673942608635921086E4)
_ERFC_P = (2.46196981473530512524E-10, 5.64189564831068821977E-1, 7.46321056442269912687E0,
           4.86371970985681366614E1, 1.96520832956077098242E2, 5.26445194995477358631E2,
           9.34528527171957607540E2, 1.02755188689515710272E3, 5.57535335369399327526E2)
_ERFC_Q = (1.0, 1.32281951154744992508E1, 8.67072140885989742329E1, 3.54937778887819891062E2,
           9.75708501743205489753E2, 1.82390916687909736289E3, 2.24633760818710981792E3,
           1.65666309194161350182E3, 5.57535340817727675546E2)
_ERFC_R = (5.64189583547755073984E-1, 1.27536670759978104416E0, 5.01905042251180477414E0,
           6.16021097993053585195E0, 7.40974269950448939160E0, 2.97886665372100240670E0)
_ERFC_S = (1.0, 2.26052863220117276590E0, 9.39603524938001434673E0, 1.20489539808096656605E1,
           1.70814450747565897222E1, 9.60896809063285878198E0, 3.36907645100081516050E0)


def _poly(x, coeffs):
    acc = coeffs[0]
    for c in coeffs[1:]:
        acc = acc * x + c
    return acc


def _erf_small(xp, x):
    """erf(x) for |x| <= 1 (x is clipped there)."""
    x = xp.clip(x, -1.0, 1.0)
    z = x * x
    return x * _poly(z, _ERF_T) / _poly(z, _ERF_U)


def _erfc_large(xp, ax):
    """erfc(|x|) for |x| >= 1; beyond 30 it is 0 in every float dtype."""
    ax = xp.clip(ax, 1.0, 30.0)
    near = _poly(ax, _ERFC_P) / _poly(ax, _ERFC_Q)
    far = _poly(ax, _ERFC_R) / _poly(ax, _ERFC_S)
    return xp.exp(-ax * ax) * xp.where(ax < 8.0, near, far)


def _erf(xp, x):
    y = _up(x)
    ax = xp.abs(y)
    big = 1.0 - _erfc_large(xp, ax)
    big = xp.where(y < 0, -big, big)
    return _down(xp.where(ax <= 1.0, _erf_small(xp, y), big), x)


def _erfc(xp, x):
    y = _up(x)
    ax = xp.abs(y)
    big = _erfc_large(xp, ax)
    big = xp.where(y < 0, 2.0 - big, big)
    return _down(xp.where(ax < 1.0, 1.0 - _erf_small(xp, y), big), x)


_math_erf = np.vectorize(math.erf, otypes=[_F64])
_math_erfc = np.vectorize(math.erfc, otypes=[_F64])

erf = _unary("erf", _erf, policy="float", vjp=_vjp_erf, save=("x0",), cuda="erf({0})",
             ref=lambda x: _math_erf(_f64(x)),
             doc="The error function 2/sqrt(pi) * integral of exp(-t^2) from 0 to x.",
             example="gt.erf(gt.tensor([0., 1e4])).tolist()\n    [0.0, 1.0]")
erfc = _unary("erfc", _erfc, policy="float", vjp=_vjp_erfc, save=("x0",), cuda="erfc({0})",
              ref=lambda x: _math_erfc(_f64(x)),
              doc="1 - erf(x), accurate also where erf(x) is close to 1.",
              example="gt.erfc(gt.tensor([0.])).tolist()\n    [1.0]")


# -- activations ------------------------------------------------------------------------------
def _sigmoid(xp, x):
    y = _up(x)
    e = xp.exp(-xp.abs(y))  # in (0, 1]: never overflows, unlike exp(-x)
    r = 1.0 / (1.0 + e)
    return _down(xp.where(y >= 0, r, e * r), x)


def _sigmoid_ref(x):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-_f64(x)))


sigmoid = _unary("sigmoid", _sigmoid, policy="float", vjp=_vjp_sigmoid, save=("out",),
                 cuda="(1 / (1 + exp(-({0}))))",
                 ref=_sigmoid_ref,
                 doc="1 / (1 + exp(-x)), computed without overflow for any x.",
                 example="gt.sigmoid(gt.tensor([0., -1e4, 1e4])).tolist()\n"
                         "    [0.5, 0.0, 1.0]")
relu = _unary("relu", lambda xp, x: xp.maximum(x, 0), kinds="iuf", vjp=_vjp_relu, save=("out",),
              cuda="(({0}) < 0 ? 0 : ({0}))", ref=lambda x: np.where(x < 0, 0, x).astype(x.dtype),
              doc="max(x, 0) (NaN stays NaN).",
              example="gt.relu(gt.tensor([-1., 2.])).tolist()\n    [0.0, 2.0]")


_SQRT1_2 = 0.7071067811865476
_SQRT2_PI = 0.7978845608028654


def _gelu_erf(xp, x):
    y = _up(x)
    return _down(0.5 * y * _erfc(xp, -y * _SQRT1_2), x)


def _gelu_tanh(xp, x):
    y = _up(x)
    c = xp.clip(y, -10.0, 10.0)  # tanh's argument saturates beyond; this avoids overflow of c**3
    return _down(0.5 * y * (1.0 + xp.tanh(_SQRT2_PI * (c + 0.044715 * c * c * c))), x)


_GELU = register(OpDef(
    "gelu", _gelu_erf, kinds="f", vjp=_vjp_gelu, save=("x0",),
    cuda="(0.5 * ({0}) * erfc(-({0}) * 0.7071067811865476))",
    ref=lambda x: 0.5 * _f64(x) * (1 + _math_erf(_f64(x) * _SQRT1_2)),
    doc="GELU, exact form x * Phi(x)."))
_GELU_TANH = register(OpDef(
    "gelu_tanh", _gelu_tanh, kinds="f", vjp=_vjp_gelu_tanh, save=("x0",),
    cuda="(0.5 * ({0}) * (1 + tanh(0.7978845608028654 * (({0}) + 0.044715 * ({0}) * ({0}) "
         "* ({0})))))",
    ref=lambda x: 0.5 * _f64(x) * (1 + np.tanh(_SQRT2_PI * (_f64(x) + 0.044715 * _f64(x) ** 3))),
    doc="GELU, tanh approximation."))
_gelu_exact_call, _gelu_tanh_call = unary_caller(_GELU), unary_caller(_GELU_TANH)


def gelu(x, approximate: str = "none") -> "Tensor":
    """GELU: ``x * Phi(x)`` with the exact normal CDF by default (as PyTorch), or its tanh
    approximation with ``approximate='tanh'``. Float tensors only.

    The exact form uses ``erfc`` (built from array-module calls, see ``gt.erf``): accurate to
    float64 rounding, and free of overflow for any input.

    >>> gt.gelu(gt.tensor([0., 1e4])).tolist()
    [0.0, 10000.0]
    """
    if approximate == "none":
        return _gelu_exact_call(x)
    if approximate == "tanh":
        return _gelu_tanh_call(x)
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def _softplus(xp, x, beta=1.0, threshold=20.0):
    y = _up(x)
    b = y * beta
    # log(1 + e^b) = log1p(e^-|b|) + max(b, 0): no overflow for large |b|
    soft = (xp.log1p(xp.exp(-xp.abs(b))) + xp.maximum(b, 0.0)) / beta
    return _down(xp.where(b > threshold, y, soft), x)


def _softplus_ref(x, beta=1.0, threshold=20.0):
    x = _f64(x)
    return np.where(x * beta > threshold, x, np.logaddexp(0.0, x * beta) / beta)


_SOFTPLUS = register(OpDef(
    "softplus", _softplus, kinds="f", ref=_softplus_ref, vjp=_vjp_softplus, save=("x0",),
    cuda=("(({0}) * {beta} > {threshold} ? ({0}) : (log1p(exp(-fabs(({0}) * {beta}))) "
          "+ fmax(({0}) * {beta}, 0.0)) / {beta})"),
    samples=({}, {"beta": 2.0, "threshold": 3.0}), doc="log(1 + exp(x)), stable."))


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> "Tensor":
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``
    (PyTorch's definition); stable for inputs of any magnitude. Float tensors only.

    >>> gt.softplus(gt.tensor([0., -1e4, 1e4])).tolist()
    [0.6931471824645996, 0.0, 10000.0]
    """
    return apply(_SOFTPLUS, x, beta=float(beta), threshold=float(threshold))


_LEAKY_RELU = register(OpDef(
    "leaky_relu", lambda xp, x, negative_slope=0.01: xp.where(x >= 0, x, x * negative_slope),
    kinds="f", cuda="(({0}) < 0 ? ({0}) * {negative_slope} : ({0}))",
    vjp=_vjp_leaky_relu, save=("x0",),
    ref=lambda x, negative_slope=0.01: np.where(_f64(x) >= 0, _f64(x),
                                                _f64(x) * negative_slope),
    samples=({}, {"negative_slope": 0.2}), doc="x, or x * negative_slope below zero."))


def leaky_relu(x, negative_slope: float = 0.01) -> "Tensor":
    """``x`` where ``x >= 0``, else ``negative_slope * x``. Float tensors only.

    >>> gt.leaky_relu(gt.tensor([-2., 3.]), 0.5).tolist()
    [-1.0, 3.0]
    """
    return apply(_LEAKY_RELU, x, negative_slope=float(negative_slope))


_ELU = register(OpDef(
    "elu",
    # expm1 of min(x, 0): the branch not taken never overflows
    lambda xp, x, alpha=1.0: xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0.0))),
    kinds="f", cuda="(({0}) > 0 ? ({0}) : {alpha} * expm1({0}))",
    vjp=_vjp_elu, save=("x0",),
    ref=lambda x, alpha=1.0: np.where(_f64(x) > 0, _f64(x), alpha * np.expm1(_f64(x))),
    samples=({}, {"alpha": 0.5}), doc="x above zero, alpha * (exp(x) - 1) below."))


def elu(x, alpha: float = 1.0) -> "Tensor":
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``. Float tensors only.

    >>> gt.elu(gt.tensor([0., 2.])).tolist()
    [0.0, 2.0]
    """
    return apply(_ELU, x, alpha=float(alpha))


silu = _unary("silu", lambda xp, x: x * _sigmoid(xp, x), kinds="f", methods=(), vjp=_vjp_silu,
              save=("x0",),
              cuda="(({0}) / (1 + exp(-({0}))))",
              ref=lambda x: _f64(x) * _sigmoid_ref(x),
              doc="x * sigmoid(x) (also called swish); stable for any x. Float tensors only.",
              example="gt.silu(gt.tensor([0., 1e4])).tolist()\n    [0.0, 10000.0]")


# -- tests, comparisons, logic and bits -------------------------------------------------------
# (x - x) is 0 for finite x and NaN for inf/NaN: the C forms work for integers too
isnan = _unary("isnan", "isnan", policy="bool", cuda="(({0}) != ({0}))",
               doc="True where x is NaN.",
               example="gt.isnan(gt.tensor([1., float('nan')])).tolist()\n    [False, True]")
isinf = _unary("isinf", "isinf", policy="bool", cuda="(({0}) == ({0}) && ({0}) - ({0}) != 0)",
               doc="True where x is +inf or -inf.",
               example="gt.isinf(gt.tensor([1., float('inf')])).tolist()\n    [False, True]")
isfinite = _unary("isfinite", "isfinite", policy="bool", cuda="(({0}) - ({0}) == 0)",
                  doc="True where x is neither infinite nor NaN.",
                  example="gt.isfinite(gt.tensor([1., float('inf')])).tolist()\n"
                          "    [True, False]")


def _compare(name, c, alias, out):
    return _binary(name, name, policy="bool", cuda=f"(({{0}}) {c} ({{1}}))",
                   methods=(name, alias) if name != "equal" else (alias,),
                   doc=f"a {c} b elementwise, as a bool tensor (broadcasting).",
                   example=f"gt.{name}(gt.tensor([1, 2, 3]), 2).tolist()\n    {out}")


# ``equal`` is NumPy's elementwise equal, not torch.equal; only ``t.eq`` is a method.
equal = _compare("equal", "==", "eq", "[False, True, False]")
not_equal = _compare("not_equal", "!=", "ne", "[True, False, True]")
less = _compare("less", "<", "lt", "[True, False, False]")
less_equal = _compare("less_equal", "<=", "le", "[True, True, False]")
greater = _compare("greater", ">", "gt", "[False, False, True]")
greater_equal = _compare("greater_equal", ">=", "ge", "[False, True, True]")
eq, ne, lt, le, gt, ge = equal, not_equal, less, less_equal, greater, greater_equal

logical_and = _binary("logical_and", "logical_and", policy="bool",
                      cuda="(({0}) != 0 && ({1}) != 0)", doc="a and b (nonzero is true).",
                      example="gt.logical_and(gt.tensor([True, False]), True).tolist()\n"
                              "    [True, False]")
logical_or = _binary("logical_or", "logical_or", policy="bool",
                     cuda="(({0}) != 0 || ({1}) != 0)", doc="a or b (nonzero is true).",
                     example="gt.logical_or(gt.tensor([True, False]), False).tolist()\n"
                             "    [True, False]")
logical_xor = _binary("logical_xor", "logical_xor", policy="bool",
                      cuda="((({0}) != 0) != (({1}) != 0))", doc="a xor b (nonzero is true).",
                      example="gt.logical_xor(gt.tensor([True, False]), True).tolist()\n"
                              "    [False, True]")
logical_not = _unary("logical_not", "logical_not", policy="bool", cuda="(({0}) == 0)",
                     doc="not x (nonzero is true).",
                     example="gt.logical_not(gt.tensor([0, 2])).tolist()\n    [True, False]")
bitwise_and = _binary("bitwise_and", "bitwise_and", kinds="biu", cuda="(({0}) & ({1}))",
                      doc="a & b on the bits of integers; logical and for bools.",
                      example="gt.bitwise_and(gt.tensor([12]), 10).tolist()\n    [8]")
bitwise_or = _binary("bitwise_or", "bitwise_or", kinds="biu", cuda="(({0}) | ({1}))",
                     doc="a | b on the bits of integers; logical or for bools.",
                     example="gt.bitwise_or(gt.tensor([12]), 10).tolist()\n    [14]")
bitwise_xor = _binary("bitwise_xor", "bitwise_xor", kinds="biu", cuda="(({0}) ^ ({1}))",
                      doc="a ^ b on the bits of integers; logical xor for bools.",
                      example="gt.bitwise_xor(gt.tensor([12]), 10).tolist()\n    [6]")
bitwise_not = _unary("bitwise_not", "invert", kinds="biu",  # C's ~ is wrong for bools: no cuda
                     doc="~x on the bits of integers; logical not for bools.",
                     example="gt.bitwise_not(gt.tensor([True, False])).tolist()\n"
                             "    [False, True]")
left_shift = _binary("left_shift", "left_shift", kinds="iu", domain="positive",
                     cuda="(({0}) << ({1}))", methods=("bitwise_left_shift",),
                     doc="a << b on integers.",
                     example="gt.left_shift(gt.tensor([1, 3]), 2).tolist()\n    [4, 12]")
right_shift = _binary("right_shift", "right_shift", kinds="iu", domain="positive",
                      cuda="(({0}) >> ({1}))", methods=("bitwise_right_shift",),
                      doc="a >> b on integers (arithmetic shift for signed ones).",
                      example="gt.right_shift(gt.tensor([8, -8]), 2).tolist()\n    [2, -2]")
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift  # NumPy 2 / PyTorch names


# -- conversion -------------------------------------------------------------------------------
@tensor_method("astype")
def cast(x, dtype) -> "Tensor":
    """``x`` converted to ``dtype`` (TensorFlow's ``tf.cast``, ``Tensor.astype``); returns
    ``x`` itself when the dtype already matches.

    >>> gt.cast(gt.tensor([1.5]), gt.int32).tolist()
    [1]
    >>> gt.tensor([1.7]).astype(gt.int32)
    tensor([1], dtype=int32, device='cpu')
    """
    dtype = dt.as_dtype(dtype)
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    return apply(_CAST, x, dtype=dtype)


_CAST = register(OpDef("cast", lambda xp, x, dtype: x.astype(dtype), kind="elementwise",
                       policy="any", samples=({"dtype": dt.float64}, {"dtype": dt.int32}),
                       vjp=_vjp_identity,  # the engine casts the gradient back
                       doc="Convert to another dtype."))


def _as_tensor(x):
    if isinstance(x, Tensor):
        return x
    return as_tensor(x)
