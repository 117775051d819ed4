"""Elementwise ops: one ``OpDef`` row each, plus the public function made from it.

``_unary``/``_binary`` register a row and return the public ``gt.<name>`` function; the Tensor
method of the same name is attached from ``METHODS``.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as dt
from . import OpDef, apply, binary_caller, register, tensor_method, unary_caller

__all__ = ["add", "subtract", "sub", "multiply", "mul", "divide", "div", "true_divide", "cast"]


def _unary(name, fwd, *, method=True, doc="", example="", **fields):
    op = register(OpDef(name, fwd, kind="elementwise", arity=1, doc=doc, **fields))

    fn = unary_caller(op)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc}\n\n    >>> {example}\n" if example else doc
    fn.__annotations__ = {"x": "Tensor", "return": "Tensor"}
    fn.op = op
    if method:
        tensor_method(name)(fn)
    return fn


def _binary(name, fwd, *, method=True, doc="", example="", **fields):
    op = register(OpDef(name, fwd, kind="elementwise", arity=2, doc=doc, **fields))

    fn = binary_caller(op)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{doc}\n\n    >>> {example}\n" if example else doc
    fn.__annotations__ = {"a": "Tensor | float", "b": "Tensor | float", "return": "Tensor"}
    fn.op = op
    if method:
        tensor_method(name)(fn)
    return fn


# -- arithmetic -------------------------------------------------------------------------------
add = _binary("add", "add", cuda="{0} + {1}",
              doc="a + b, broadcasting.", example="gt.add(gt.tensor([1, 2]), 10).tolist()")
subtract = _binary("subtract", "subtract", kinds="iuf",
                   cuda="{0} - {1}", doc="a - b, broadcasting.")
multiply = _binary("multiply", "multiply", cuda="{0} * {1}",
                   doc="a * b, broadcasting.")
divide = _binary("divide", "divide", policy="float",
                 cuda="{0} / {1}", domain="nonzero",
                 doc="a / b (true division: integers give the default float dtype).")
sub, mul, div = subtract, multiply, divide
true_divide = divide
tensor_method("sub")(subtract)
tensor_method("mul")(multiply)
tensor_method("div")(divide)


def cast(x, dtype) -> "Tensor":
    """``x`` converted to ``dtype`` (TensorFlow's ``tf.cast``); returns ``x`` if it matches.

    >>> gt.cast(gt.tensor([1.5]), gt.int32).tolist()
    [1]
    """
    from ..tensor import Tensor

    dtype = dt.as_dtype(dtype)
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    return apply(_CAST, x, dtype=dtype)


_CAST = register(OpDef("cast", lambda xp, x, dtype: x.astype(dtype), kind="elementwise",
                       policy="any", samples=({"dtype": dt.float64}, {"dtype": dt.int32}),
                       doc="Convert to another dtype."))
