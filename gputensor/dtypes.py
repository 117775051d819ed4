"""The dtypes gputensor supports and its type-promotion rules.

dtypes are NumPy ``np.dtype`` objects, so ``gt.float32 == np.float32 == 'float32'``
holds and CuPy understands them unchanged. Promotion follows NumPy 2 (NEP 50): tensors are
"strong", Python scalars are "weak" and never widen a tensor's dtype
(``float32 tensor * 2.0`` stays float32, ``int32 tensor + 1`` stays int32). Where NumPy would
produce float64 from integers (``int / int``, ``sqrt(int)``, ``int_tensor * 2.5``) gputensor
produces the default float dtype (float32), as PyTorch and TensorFlow do.
"""

from __future__ import annotations

import builtins

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

SUPPORTED = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_)
_SUPPORTED_SET = frozenset(SUPPORTED)
ACCEPTED = "float16, float32, float64, int8, int16, int32, int64, uint8, bool"

DEFAULT_INT = int64
_state = {"float": float32}


def get_default_dtype() -> np.dtype:
    """The dtype of float tensors made from Python floats (float32 unless changed).

    >>> gt.get_default_dtype()
    dtype('float32')
    """
    return _state["float"]


def set_default_dtype(dtype) -> None:
    """Set the default float dtype (float16, float32 or float64).

    >>> gt.set_default_dtype(gt.float64); gt.tensor([1.5]).dtype
    dtype('float64')
    >>> gt.set_default_dtype(gt.float32)
    """
    d = as_dtype(dtype, "set_default_dtype")
    if d.kind != "f":
        raise TypeError(f"set_default_dtype: expected a float dtype, got {d}")
    _state["float"] = d


def _kind_name(d: np.dtype) -> str:
    """A few words on why an unsupported NumPy dtype is refused."""
    return {"c": "complex numbers are not supported", "U": "strings are not supported",
            "S": "byte strings are not supported", "O": "Python objects are not supported",
            "V": "structured/void dtypes are not supported", "M": "datetimes are not supported",
            "m": "timedeltas are not supported"}.get(d.kind, "not one of gputensor's dtypes")


def as_dtype(dtype, fn: str | None = None) -> np.dtype:
    """Normalise a dtype spelling (``gt.float32``, ``np.float32``, ``'float32'``, ``float``).

    Python's ``float`` means the default float dtype and ``int`` int64; byte-swapped spellings
    (``'>f4'``) mean the native dtype. Anything else raises ``TypeError`` naming the dtype;
    ``fn`` (a function name) prefixes the message.

    >>> gt.dtypes.as_dtype('int32')
    dtype('int32')
    """
    if dtype is builtins.float:
        return _state["float"]
    if dtype is builtins.int:
        return DEFAULT_INT
    if dtype is None:
        raise TypeError(f"{fn + ': ' if fn else ''}dtype None is not a dtype; accepted: "
                        f"{ACCEPTED}")
    try:
        d = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{fn + ': ' if fn else ''}unsupported dtype {dtype!r}; accepted: "
                        f"{ACCEPTED}") from None
    if d not in _SUPPORTED_SET:
        if d.byteorder not in "=|" and d.newbyteorder("=") in _SUPPORTED_SET:
            return d.newbyteorder("=")
        raise TypeError(f"{fn + ': ' if fn else ''}unsupported dtype {d} "
                        f"({_kind_name(d)}); accepted: {ACCEPTED}")
    return d


def scalar_dtype(value) -> np.dtype:
    """The dtype a lone Python scalar gets: bool, the default int, or the default float.

    >>> gt.dtypes.scalar_dtype(2.5)
    dtype('float32')
    """
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, (builtins.int, np.integer)):
        return DEFAULT_INT
    if isinstance(value, (builtins.float, np.floating)):
        return _state["float"]
    what = ("complex numbers are" if isinstance(value, (complex, np.complexfloating))
            else "strings are" if isinstance(value, (str, bytes)) else
            f"{type(value).__name__} values are")
    raise TypeError(f"unsupported value {value!r} of type {type(value).__name__}: {what} not "
                    f"supported; gputensor holds {ACCEPTED}")


def result_type(*operands) -> np.dtype:
    """Promote the dtypes of tensors (strong) and Python scalars (weak), NumPy-2 style.

    Operands are dtypes (or anything with a ``.dtype``: tensors, arrays, NumPy scalars), which
    are strong, and Python ``bool``/``int``/``float`` values, which are weak: a weak scalar
    never widens a strong dtype of its own kind. Exceptions to NumPy, as in PyTorch and TF:
    a Python float meeting integers or bools gives the default float dtype (NumPy: float64),
    and Python floats alone give the default float dtype.

    >>> gt.dtypes.result_type(gt.float32, 2.0), gt.dtypes.result_type(gt.int32, 1)
    (dtype('float32'), dtype('int32'))
    """
    strong, weak = [], []
    for op in operands:
        if isinstance(op, np.dtype):
            strong.append(op)
        elif type(op) in (builtins.bool, builtins.int, builtins.float):
            weak.append(op)
        elif hasattr(op, "dtype"):
            strong.append(as_dtype(op.dtype, "result_type"))
        else:
            scalar_dtype(op)  # raises TypeError naming what is refused
            raise TypeError(f"result_type: unsupported operand {op!r}")
    if strong:
        out = strong[0] if len(strong) == 1 else np.result_type(*strong)
    else:
        out = None
    for w in weak:
        wd = scalar_dtype(w)
        kind = wd.kind
        if out is None:
            out = wd
        elif kind == "i" and out.kind == "b":
            out = DEFAULT_INT
        elif kind == "f" and out.kind in "biu":
            out = _state["float"]
    if out is None:
        raise TypeError("result_type: no operands")
    return out


def to_float(dtype: np.dtype) -> np.dtype:
    """``dtype`` if it is a float dtype, else the default float dtype (for ``/``, ``sqrt``...)."""
    return dtype if dtype.kind == "f" else _state["float"]
