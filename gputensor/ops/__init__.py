"""The op table and ``apply``, the one function that runs an op.

``apply`` does, once for every op: argument conversion, the device check, dtype promotion
and the op's dtype policy, the backend call, wrapping results as tensors (views share their
base's version counter), and recording the autograd node.
"""

from __future__ import annotations

from typing import Callable

from .. import autograd
from .. import dtypes as dt
from ..backends import get_backend
from ..creation import _to_array
from ..device import get_default_device
from ..tensor import TENSOR_TYPES as _TT
from ..tensor import Tensor
from .opdef import OpDef, Residuals

OPS: dict[str, OpDef] = {}
METHODS: dict[str, Callable] = {}

_new = object.__new__
_grad_mode = autograd.mode._local  # ``.enabled``: is_grad_enabled(), read without a call
record = autograd.record
record_binary = autograd.record_binary
record_unary = autograd.record_unary
# errors a forward may raise for bad input; re-raised with the op's name in front
_OP_ERRORS = (ValueError, TypeError, IndexError, RuntimeError, OverflowError)
_EMPTY: dict = {}  # shared, never written: the attrs of attribute-less calls
_WEAK = (int, float, bool)
_ALL = slice(None)


def register(op: OpDef) -> OpDef:
    """Add a row to the op table (names are unique)."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is declared twice")
    OPS[op.name] = op
    return op


def tensor_method(*names: str):
    """Decorator: also expose a public function as Tensor method(s) ``names``."""

    def deco(fn):
        for n in names or (fn.__name__,):
            METHODS[n] = fn
        return fn

    return deco


def _raise_from(op: OpDef, e: Exception):
    msg = str(e)
    if not msg.startswith(op.name + ":"):
        msg = f"{op.name}: {msg}"
    raise type(e)(msg) from e


def apply(op: OpDef, *inputs, **attrs):
    """Run ``op`` on ``inputs`` (tensors, Python scalars or array-likes) with static ``attrs``.

    Returns a Tensor, or a list of Tensors for ops whose forward returns a tuple or list.
    """
    return apply_with(op, inputs, attrs)


def apply_with(op: OpDef, inputs: tuple, attrs: dict):
    """``apply(op, *inputs, **attrs)`` for callers that hold the tuple and the dict already
    (``attrs`` is kept by the graph: never write to it afterwards)."""
    if inputs:
        a = inputs[0]
        if type(a) in _TT:
            table = a._device.fast.get(op)
            if table is not None:
                if len(inputs) == 1:
                    impl = table.get(a._data.dtype)
                    if impl is not None:
                        return _apply_fast(op, impl, inputs, (a._data,), attrs)
                else:
                    device, dtype, same, args = a._device, a._data.dtype, True, []
                    for b in inputs:
                        if type(b) not in _TT or b._device is not device:
                            break
                        x = b._data
                        args.append(x)
                        if x.dtype is not dtype:
                            same = False
                    else:
                        impl = table.get(dtype) if same else None
                        if impl is None:
                            impl = table.get(tuple([x.dtype for x in args]))
                        if impl is not None:
                            return _apply_fast(op, impl, inputs, args, attrs)
    return _apply(op, inputs, attrs)


def _apply_fast(op: OpDef, impl, inputs, args, attrs):
    """``apply`` of tensor operands (``args``: their arrays) on one device, for an op that
    passed the general path's checks with these dtypes before (they depend on nothing
    else); views share the first operand's version counter as in ``_wrap``."""
    x = args[0]
    try:
        r = impl(*args, **attrs)
    except _OP_ERRORS as e:
        _raise_from(op, e)
    if r.__class__ is tuple or r.__class__ is Residuals:
        return _several(op, r, inputs, args, attrs)
    a = inputs[0]
    t = _new(Tensor)
    t._data = r if r.__class__ is x.__class__ else _as_array(r, a._device)
    t._device = a._device
    t._node = None
    t._requires_grad = False
    if op.view and is_view_of(r, x):
        t._version = a._version_counter()
        t._view_of = (a, op, attrs, None)
    if len(inputs) == 1:
        if a._requires_grad and _grad_mode.enabled:
            record_unary(op, a, x, t, attrs)
        return t
    for i in inputs:
        if i._requires_grad:
            if _grad_mode.enabled:
                record(op, inputs, attrs, args, [t])
            break
    return t


def _several(op: OpDef, r: tuple, inputs, args, attrs):
    """The fast paths' results for an op returning several arrays, or one with residuals
    (never a view op)."""
    device = inputs[0]._device
    cls = args[0].__class__
    kept, single = None, r.__class__ is Residuals
    if single:
        r, kept = (r.out,), r.kept
    outs = [Tensor._make(o if o.__class__ is cls else _as_array(o, device), device) for o in r]
    for i in inputs:
        if i._requires_grad:
            if _grad_mode.enabled:
                record(op, inputs, attrs, args, outs, kept)
            break
    return outs[0] if single else outs


# Callers for one and two operands without attributes (the operators and elementwise
# functions), with a fast path. It skips the checks only where an earlier general run of this
# op with this dtype on this device passed them all and needed no conversion:
# ``Device.fast[op][dtype]`` holds that run's impl. Recording for autodiff is the same call
# the general path makes.
def unary_caller(op: OpDef):
    """A function ``f(a)`` equal to ``apply(op, a)``, faster in the common case."""
    if op.view:
        return lambda a: apply(op, a)

    def call(a):
        if type(a) in _TT:
            x = a._data
            impl = a._device.fast.get(op, _EMPTY).get(x.dtype)
            if impl is not None:
                try:
                    r = impl(x)
                except _OP_ERRORS as e:
                    _raise_from(op, e)
                t = _new(Tensor)
                t._data = r if r.__class__ is x.__class__ else _as_array(r, a._device)
                t._device = a._device
                t._node = None
                t._requires_grad = False
                if a._requires_grad and _grad_mode.enabled:
                    record_unary(op, a, x, t)
                return t
        return _apply(op, (a,), _EMPTY)

    return call


def binary_caller(op: OpDef):
    """A function ``f(a, b)`` equal to ``apply(op, a, b)``, faster in the common cases: two
    tensors of one dtype and device, or a tensor and a Python scalar that cannot change its
    dtype (a float with a float tensor, or an int)."""

    def call(a, b):
        if type(a) in _TT:
            arr, device = a._data, a._device
            if type(b) in _TT:
                if b._device is not device or b._data.dtype is not arr.dtype:
                    return _apply(op, (a, b), _EMPTY)
                x, y = arr, b._data
                grad = a._requires_grad or b._requires_grad
            elif type(b) is float and arr.dtype.kind == "f" or type(b) is int:
                x, y, grad = arr, _weak(b, arr, device), a._requires_grad
            else:
                return _apply(op, (a, b), _EMPTY)
        elif type(b) in _TT and (type(a) is float and b._data.dtype.kind == "f"
                                 or type(a) is int):
            arr, device = b._data, b._device
            x, y, grad = _weak(a, arr, device), arr, b._requires_grad
        else:
            return _apply(op, (a, b), _EMPTY)
        impl = device.fast.get(op, _EMPTY).get(arr.dtype)
        if impl is None:
            return _apply(op, (a, b), _EMPTY)
        try:
            r = impl(x, y)
        except _OP_ERRORS as e:
            _raise_from(op, e)
        t = _new(Tensor)
        t._data = r if r.__class__ is arr.__class__ else _as_array(r, device)
        t._device = device
        t._node = None
        t._requires_grad = False
        if grad and _grad_mode.enabled:  # (a scalar is recorded as the Python number)
            record_binary(op, a, b, x if type(a) in _TT else a, y if type(b) in _TT else b, t)
        return t

    return call


def _weak(s, arr, device):
    """The Python scalar ``s`` as the fast paths hand it to the forward: for a float with a
    float array, on a backend that asks for it (``Backend.scalars_as_arrays``), the 0-d
    array of ``arr``'s dtype NumPy would convert it to (NEP 50), kept in ``Device.scalars``:
    a ufunc takes it in half the time of a Python float. Zeros (``0.0`` and ``-0.0`` are one
    dict key), NaN and values the dtype cannot hold are converted each time."""
    if type(s) is not float:
        return s
    table = device.scalars.get(arr.dtype)
    w = None if table is None else table.get(s)
    if w is None:
        backend = device.backend
        if arr.dtype.kind != "f" or backend is None or not backend.scalars_as_arrays:
            return s
        if table is None:
            table = device.scalars[arr.dtype] = {}
        w = backend.xp.asarray(s, dtype=arr.dtype)
        if s != 0.0 and abs(w) < _INF:  # (False for NaN too)
            if len(table) >= _SCALARS_KEPT:
                table.clear()
            w.flags.writeable = False  # shared: no result may write into it
            table[s] = w
    return w


_INF = float("inf")
_SCALARS_KEPT = 256  # per device and dtype; a loop over many distinct scalars starts over


def _as_array(r, device):
    """A 0-d array for the scalar NumPy returns from a ufunc on 0-d inputs."""
    return device.backend.xp.asarray(r)


def _apply(op: OpDef, inputs, attrs):
    """The general path of ``apply``: conversions, promotion, devices, views, the graph."""
    # -- device: every tensor input on one device -------------------------------------------
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    if tensors:
        device = tensors[0]._device
        for t in tensors:
            if t._device is not device and t._device != device:
                raise RuntimeError(f"{op.name}: expected all tensors on one device, got "
                                   f"{device} and {t._device}; move them with .to(device)")
    else:
        device = get_default_device()
    backend = get_backend(device)

    # -- dtype: promote strong (tensor) and weak (Python scalar) operands, then the policy ---
    if len(tensors) == len(inputs) and op.promoted == _ALL:
        args = [t._data for t in tensors]
        promoted = args[0].dtype
        mixed = False
        for a in args:
            if a.dtype != promoted:
                promoted, mixed = dt.result_type(*(a.dtype for a in args)), True
                break
    else:
        args = [x._data if isinstance(x, Tensor) else
                x if type(x) in _WEAK else _convert(op, x, backend) for x in inputs]
        part = args[op.promoted]
        promoted = dt.result_type(*(a if type(a) in _WEAK else a.dtype for a in part))
        mixed = True
    if promoted.kind not in op.kinds:
        raise TypeError(f"{op.name}: unsupported dtype {promoted}; accepted dtypes are "
                        f"{_kinds_text(op.kinds)}")
    compute = op.compute_dtype(promoted)
    if mixed or compute != promoted:
        for i in range(len(args))[op.promoted]:
            a = args[i]
            if type(a) not in _WEAK and a.dtype != compute:
                args[i] = a.astype(compute)

    # -- the backend call -------------------------------------------------------------------
    impl = backend.impl(op)
    try:
        if backend.ctx is None:
            out = impl(*args, **attrs)
        else:
            with backend.ctx:
                out = impl(*args, **attrs)
    except _OP_ERRORS as e:
        _raise_from(op, e)
    kept = None
    if out.__class__ is Residuals:
        out, kept = out

    # -- results as tensors, then the graph record ------------------------------------------
    if (compute is promoted and op.policy != "any"
            and _expected(op, out, op.out_dtype(compute))):
        key = _fast_key(op, inputs, compute)
        if key is not None:  # (the forward's Residuals come back on the fast paths too)
            device.fast.setdefault(op, {})[key] = backend.fast_impl(op)
    result = _wrap_all(op, out, device, backend, compute, tensors[0] if op.view and tensors
                       else None, attrs)
    for t in tensors:
        if t._requires_grad and autograd.is_grad_enabled():
            autograd.record(op, inputs, attrs, args,
                            result if isinstance(result, list) else [result], kept)
            break
    return result


def _expected(op: OpDef, out, want) -> bool:
    """The forward gave what the fast paths wrap without checking: an array (or NumPy
    scalar) of dtype ``want``, or a tuple of them from an op that is not a view."""
    if type(out) is tuple:
        return not op.view and all(getattr(o, "dtype", None) is want for o in out)
    return getattr(out, "dtype", None) is want


def _fast_key(op: OpDef, inputs, compute):
    """The ``Device.fast`` key under which this run's checks hold for every later call, or
    None: the compute dtype when the operands were tensors of it or weak scalars, or the
    tuple of operand dtypes when they were tensors none of which needed a conversion (ops
    whose other operands take no part in promotion: labels, indices, conditions)."""
    if op.fast_ok and all(type(x) in _WEAK or (type(x) in _TT and x._data.dtype is compute)
                          for x in inputs):
        return compute
    if len(inputs) > 1 and all(type(x) in _TT for x in inputs) and all(
            x._data.dtype is compute for x in inputs[op.promoted]):
        return tuple([x._data.dtype for x in inputs])
    return None


def _wrap_all(op, out, device, backend, compute, base, attrs=_EMPTY):
    """Backend result(s) as Tensor(s) of the op's output dtype; a list for tuple results.
    ``base``: the input a view op's results may be views of (None for other ops)."""
    want = op.out_dtype(compute) if op.out_dtype is not None else None
    if isinstance(out, (tuple, list)):
        return [_wrap(o, device, backend, want, base, None if base is None else (op, attrs, i))
                for i, o in enumerate(out)]
    return _wrap(out, device, backend, want, base, None if base is None else (op, attrs, None))


def _wrap(arr, device, backend, want, base, how=None):
    """``arr`` as a Tensor of dtype ``want``; a view of ``base`` (taken by ``how``: op, attrs,
    output index) shares its version counter and remembers where it came from."""
    xp = backend.xp
    if not isinstance(arr, xp.ndarray):
        arr = xp.asarray(arr)
    if want is not None and arr.dtype != want:
        arr = arr.astype(want)
    t = Tensor._make(arr, device)
    if base is not None and is_view_of(arr, base._data):
        t._version = base._version_counter()
        t._view_of = (base, *how)
    return t


def is_view_of(r, x) -> bool:
    """Whether the array ``r`` an op returned shares ``x``'s memory as a view: its base is
    ``x`` or ``x``'s base (NumPy and CuPy collapse chains of views), or it is ``x`` itself
    (a squeeze with nothing to squeeze). A copy made through a temporary (reshape of a
    transpose, advanced indexing) has another base.

    >>> a = np.ones((2, 3)); is_view_of(a.T, a), is_view_of(a.T.copy(), a)
    (True, False)
    """
    return r is x or r.base is not None and (r.base is x or r.base is x.base)


def _convert(op: OpDef, x, backend):
    """An array-like operand (list, NumPy array, NumPy scalar) as an array of ``backend``."""
    try:
        return _to_array(x, None, backend)
    except (TypeError, ValueError) as e:
        _raise_from(op, e)


def _kinds_text(kinds: str) -> str:
    names = {"b": "bool", "i": "signed integers", "u": "unsigned integers", "f": "floats"}
    return ", ".join(names[k] for k in kinds)
