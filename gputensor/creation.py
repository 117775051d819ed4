"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``...) and from shapes
(``zeros``, ``arange``, ``eye``...).

Copying rules:

- ``tensor`` / ``constant`` always copy: the new tensor never shares memory with ``data``.
- ``as_tensor`` / ``convert_to_tensor`` reuse ``data``'s memory when they can: a tensor with
  the right dtype and device is returned as is, a NumPy array (CPU) or a DLPack producer
  (CuPy, PyTorch... on the same device) is wrapped without a copy; a copy is made only to
  change dtype or device, or for Python lists and scalars.
- ``from_numpy`` always shares the NumPy array's memory (writes to either show in both).
- ``from_dlpack`` always shares the producer's memory.

Data from Python (nested lists, tuples, scalars) gets the default dtypes: floats float32, ints
int64, bools bool. NumPy arrays and scalars keep their dtype.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import dtypes as dt
from .backends import Backend, get_backend
from .device import CPU, Device, device as as_device
from .tensor import Tensor

ShapeLike = "int | Sequence[int]"

_SEQ = (list, tuple, builtins.range)
_INT64 = np.iinfo(np.int64)


def _is_array_like(x) -> bool:
    return (hasattr(x, "__dlpack__") or hasattr(x, "__array__")
            or hasattr(x, "__cuda_array_interface__"))


# -- Python data: nested lists and scalars ----------------------------------------------------
def _signature(x):
    """('seq', n) for a sequence or array of length n, ('scalar',) for anything else."""
    if isinstance(x, _SEQ):
        return ("seq", len(x))
    shape = getattr(x, "shape", None)
    if isinstance(shape, tuple) and len(shape) > 0:
        return ("seq", shape[0])
    return ("scalar",)


def _describe(sig) -> str:
    return "a scalar" if sig[0] == "scalar" else f"a sequence of length {sig[1]}"


def _ragged(data, fn: str):
    """A ``ValueError`` naming where nested sequences stop being rectangular, or None.

    Levels are checked breadth first, so the shallowest ragged depth is reported; depth 1
    holds the items of the outermost sequence.
    """
    level, depth = [((), data)], 0
    while level:
        depth += 1
        children = []
        first_path, first_sig = None, None
        for path, x in level:
            if _signature(x)[0] != "seq":
                continue
            for i in builtins.range(len(x)):
                item = x[i]
                sig = _signature(item)
                if first_sig is None:
                    first_path, first_sig = path + (i,), sig
                elif sig != first_sig:
                    where = "".join(f"[{j}]" for j in path + (i,))
                    first = "".join(f"[{j}]" for j in first_path)
                    return ValueError(
                        f"{fn}: ragged nested sequence at depth {depth}: item {where} is "
                        f"{_describe(sig)} but item {first} is {_describe(first_sig)}; every "
                        "level must be rectangular (pad it, or build one tensor per row)")
                if sig[0] == "seq":
                    children.append((path + (i,), item))
        level = children
    return None


def _bad_element(data, fn: str) -> Exception:
    """The error for the first element of ``data`` that no supported dtype can hold."""
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, _SEQ):
            stack.extend(reversed(list(x)))
            continue
        if isinstance(x, (bool, np.bool_, float, np.floating, np.integer)):
            continue
        if isinstance(x, int):
            if _INT64.min <= x <= _INT64.max:
                continue
            return OverflowError(f"{fn}: Python int {x} is out of the int64 range "
                                 f"[{_INT64.min}, {_INT64.max}]; pass dtype=gt.float64 to "
                                 "store it as a float")
        if isinstance(x, (complex, np.complexfloating)):
            what = f"complex number {x!r}: complex numbers are not supported"
        elif isinstance(x, (str, bytes, np.str_, np.bytes_)):
            what = f"string {x!r}: strings are not supported"
        else:
            what = f"{type(x).__name__} {x!r}: not a number"
        return TypeError(f"{fn}: cannot make a tensor holding the {what}; gputensor holds "
                         f"{dt.ACCEPTED}")
    return TypeError(f"{fn}: cannot make a tensor from this data; gputensor holds "
                     f"{dt.ACCEPTED}")


def _check_range(host: np.ndarray, dtype: np.dtype, fn: str) -> None:
    """Refuse Python numbers an integer ``dtype`` cannot hold, as NumPy does for Python ints."""
    if host.size == 0 or dtype.kind not in "iu" or host.dtype.kind not in "iuf":
        return
    if host.dtype.kind == "f" and not np.isfinite(host).all():
        raise ValueError(f"{fn}: cannot convert nan or inf to {dtype}")
    info = np.iinfo(dtype)
    lo, hi = host.min(), host.max()
    if lo < info.min or hi > info.max:
        bad = lo if lo < info.min else hi
        raise OverflowError(f"{fn}: value {bad} is out of range for {dtype} "
                            f"[{info.min}, {info.max}]")


def _from_python(data, dtype: np.dtype | None, fn: str) -> np.ndarray:
    """A fresh host array from Python data (nested sequences or scalars, NumPy scalars)."""
    if isinstance(data, (complex, str, bytes)):
        raise _bad_element(data, fn)
    try:
        host = np.asarray(data)
    except ValueError as e:
        raise _ragged(data, fn) or ValueError(
            f"{fn}: cannot build a tensor from this data: {e}") from None
    except OverflowError:
        raise _bad_element(data, fn) from None
    kind = host.dtype.kind
    if kind not in "biuf":
        if kind == "O":
            err = _ragged(data, fn)
            if err is not None:
                raise err
            if dtype is not None and dtype.kind == "f":  # e.g. ints beyond int64 as floats
                try:
                    return np.asarray(data, dtype=dtype)
                except (TypeError, ValueError, OverflowError):
                    pass
        raise _bad_element(data, fn)
    if isinstance(data, np.generic):
        return host
    if host.dtype == np.uint64 and (dtype is None or dtype.kind != "f"):
        raise OverflowError(f"{fn}: Python int {host.max()} is out of the int64 range "
                            f"[{_INT64.min}, {_INT64.max}]; pass dtype=gt.float64 to store "
                            "it as a float")
    if dtype is None:
        # Python floats take the default float dtype, ints int64, as in PyTorch and TensorFlow
        if kind == "f" and host.dtype != dt.get_default_dtype():
            host = host.astype(dt.get_default_dtype())
        elif kind in "iu" and host.dtype != dt.DEFAULT_INT:
            host = host.astype(dt.DEFAULT_INT)
    else:
        _check_range(host, dtype, fn)
    return host


def _stack_tensors(items, backend: Backend, fn: str):
    """One array of ``backend`` from a list of tensors of equal shape (no trip via the host
    for tensors already on the device)."""
    arrays = [_to_array(t, None, backend, fn=fn) for t in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        first = arrays[0].shape
        i = next(i for i, a in enumerate(arrays) if a.shape != first)
        raise ValueError(f"{fn}: ragged nested sequence at depth 1: item [{i}] is a tensor of "
                         f"shape {arrays[i].shape} but item [0] has shape {first}; every level "
                         "must be rectangular")
    with backend.context():
        return backend.xp.stack(arrays)


def _byteswapped(arr: np.ndarray) -> bool:
    """True for a non-native byte order whose native form is a supported dtype ('>f4')."""
    return arr.dtype.byteorder not in "=|" and arr.dtype.newbyteorder("=") in dt.SUPPORTED


def _native(arr: np.ndarray) -> np.ndarray:
    """``arr`` in native byte order (a copy only when it is byte-swapped)."""
    return arr.astype(arr.dtype.newbyteorder("=")) if _byteswapped(arr) else arr


def _check_dtype(arr, what: str = "tensor"):
    if arr.dtype not in dt.SUPPORTED:
        raise TypeError(f"{what}: unsupported dtype {arr.dtype} ({dt._kind_name(arr.dtype)}); "
                        f"gputensor holds {dt.ACCEPTED}")


def _to_array(data, dtype, backend: Backend, copy: bool | None = None, fn: str = "tensor"):
    """``data`` as an array of ``backend`` with ``dtype`` (None: inferred). Internal.

    copy=True always copies, None copies only when needed.
    """
    if dtype is not None:
        dtype = dt.as_dtype(dtype, fn)
    if isinstance(data, Tensor):
        arr = backend.receive(data._data, get_backend(data._device))
        if arr is not data._data:
            copy = False
    elif (isinstance(data, (list, tuple)) and data
          and all(isinstance(x, Tensor) for x in data)):
        arr, copy = _stack_tensors(data, backend, fn), False
    elif isinstance(data, (*_SEQ, builtins.bool, builtins.int, builtins.float, complex, str,
                           bytes, np.generic)):
        arr, copy = backend.asarray(_from_python(data, dtype, fn)), False
    elif data is None:
        raise TypeError(f"{fn}: cannot make a tensor from None; expected numbers, nested "
                        f"lists, arrays or tensors ({dt.ACCEPTED})")
    elif isinstance(data, np.ndarray):
        native = _native(data)
        _check_dtype(native, fn)
        arr = backend.receive(native, get_backend(CPU))
        if arr is not data:
            copy = False
    elif _is_array_like(data):
        arr = _foreign_array(data, backend)
        _check_dtype(arr, fn)
    else:
        raise TypeError(f"{fn}: cannot make a tensor from {type(data).__name__}; "
                        "expected numbers, nested lists, arrays or tensors")
    if dtype is not None and arr.dtype != dtype:
        with backend.context():
            return arr.astype(dtype)
    if copy:
        with backend.context():
            return arr.copy()
    return arr


def _foreign_array(data, backend: Backend):
    """An array of ``backend`` from another library's array (CuPy, PyTorch...), no copy when
    it already lives on the same device."""
    if hasattr(data, "__dlpack_device__"):
        kind, index = data.__dlpack_device__()
        # kDLCPU and kDLCUDAHost are host memory; kDLCUDA is a GPU
        src = get_backend(CPU if int(kind) in (1, 3) else as_device(f"cuda:{int(index)}"))
        try:
            return backend.receive(src.from_dlpack(data), src)  # no copy on the same device
        except (TypeError, BufferError, RuntimeError):
            pass
    if hasattr(data, "__array__"):
        return backend.asarray(np.asarray(data))
    return backend.asarray(data)


def _data_device(data, device):
    """``device``, or when None the device of ``data``'s tensors (a tensor or a list of them)."""
    if device is None:
        if isinstance(data, Tensor):
            return data.device
        if isinstance(data, (list, tuple)) and data and isinstance(data[0], Tensor):
            return data[0].device
    return as_device(device)


def _finish(arr, device: Device, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr, device)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Always copies: the result never shares memory with ``data`` (use ``as_tensor`` or
    ``from_numpy`` to share). Python floats give float32 (the default float dtype), ints
    int64, bools bool; NumPy arrays keep their dtype. ``device`` defaults to the device of
    ``data`` when it is a tensor (or a list of tensors), else to the default device.

    >>> gt.tensor([[1., 2.]])
    tensor([[1., 2.]], dtype=float32, device='cpu')
    """
    dev = _data_device(data, device)
    arr = _to_array(data, dtype, get_backend(dev), copy=True)
    return _finish(arr, dev, requires_grad)


def constant(value, dtype=None, shape=None, name=None, device=None) -> Tensor:
    """TensorFlow's ``tf.constant``: a tensor that never requires grad; ``shape`` broadcasts
    a scalar or reshapes a matching number of elements.

    >>> gt.constant(0, shape=(2, 2))
    tensor([[0, 0],
            [0, 0]], dtype=int64, device='cpu')
    """
    dev = _data_device(value, device)
    backend = get_backend(dev)
    t = _finish(_to_array(value, dtype, backend, copy=True, fn="constant"), dev, False)
    if shape is not None:
        shape = _shape((shape,), "constant")
        if t.numel() == 1:
            with backend.context():
                arr = backend.xp.broadcast_to(t._data.reshape(()), shape).copy()
            t = Tensor._make(arr, t.device)
        elif t.numel() == math.prod(shape):
            t = Tensor._make(t._data.reshape(shape), t.device)
        else:
            raise ValueError(f"constant: {t.numel()} values cannot fill shape {shape}")
    t.name = name
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when dtype and device already match:
    a tensor is returned as is, a NumPy array (for the CPU) or a DLPack producer on the same
    device (CuPy, PyTorch...) is wrapped without copying. It copies only to change dtype or
    device, and for Python lists and scalars. Never requires grad.

    >>> a = np.zeros(3, np.float32); gt.as_tensor(a).numpy() is a
    True
    """
    if isinstance(data, Tensor):
        out = data.to(device) if device is not None else data
        return out if dtype is None else out.astype(dt.as_dtype(dtype, "as_tensor"))
    dev = _data_device(data, device)
    return _finish(_to_array(data, dtype, get_backend(dev), copy=None, fn="as_tensor"), dev,
                   False)


def convert_to_tensor(value, dtype=None, device=None) -> Tensor:
    """TensorFlow's ``tf.convert_to_tensor``: ``as_tensor`` under its TF name.

    >>> gt.convert_to_tensor([1., 2.]).shape
    (2,)
    """
    return as_tensor(value, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array: writes to either show in both.

    >>> a = np.arange(3.); t = gt.from_numpy(a); a[0] = 7; t[0].item()
    7.0
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if _byteswapped(array):
        raise TypeError(f"from_numpy: the array is byte-swapped ({array.dtype.str}), so its "
                        "memory cannot be shared; use gt.tensor(array) to copy it")
    _check_dtype(array, "from_numpy")
    return Tensor._make(array, as_device("cpu"))


def from_dlpack(obj) -> Tensor:
    """A tensor sharing memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX...).

    >>> gt.from_dlpack(np.arange(3)).tolist()
    [0, 1, 2]
    """
    if not hasattr(obj, "__dlpack__"):
        raise TypeError(f"from_dlpack: {type(obj).__name__} does not implement __dlpack__")
    kind, index = obj.__dlpack_device__()
    if int(kind) in (1, 3):
        dev = as_device("cpu")
    elif int(kind) == 2:
        dev = as_device(f"cuda:{int(index)}")
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {int(kind)}; "
                           "gputensor supports CPU (1) and CUDA (2)")
    arr = get_backend(dev).from_dlpack(obj)
    _check_dtype(arr, "from_dlpack")
    return Tensor._make(arr, dev)


# -- from shapes ------------------------------------------------------------------------------
def _shape(shape, fn: str) -> tuple:
    """Normalise ``(2, 3)``, ``[2, 3]``, ``2`` or varargs ``(2, 3)`` given as a tuple."""
    if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
        shape = shape[0]
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    try:
        shape = tuple(int(operator_index(s)) for s in shape)
    except TypeError:
        raise TypeError(f"{fn}: shape must be ints, got {shape!r}") from None
    if any(s < 0 for s in shape):
        raise ValueError(f"{fn}: negative dimension in shape {shape}")
    return shape


def operator_index(s):
    import operator

    if isinstance(s, Tensor):
        return s.__index__()
    return operator.index(s)


def _filled(fn: str, shape, fill, dtype, device, requires_grad) -> Tensor:
    if isinstance(fill, Tensor):
        fill = fill.item()
    if dtype is not None:
        dtype = dt.as_dtype(dtype, fn)
    if fill is not None:
        try:
            fill_dtype = dt.scalar_dtype(fill)
        except TypeError as e:
            raise TypeError(f"{fn}: fill value: {e}") from None
        dtype = fill_dtype if dtype is None else dtype
        if dtype.kind in "iu" and not isinstance(fill, (float, np.floating)):
            info = np.iinfo(dtype)
            if not info.min <= fill <= info.max:
                raise OverflowError(f"{fn}: fill value {fill} is out of range for {dtype} "
                                    f"[{info.min}, {info.max}]")
        if dtype.kind in "iu" and isinstance(fill, (float, np.floating)) and not math.isfinite(
                fill):
            raise ValueError(f"{fn}: cannot fill an {dtype} tensor with {fill}")
    dev = as_device(device)
    xp = get_backend(dev).xp
    with get_backend(dev).context():
        if fill is None:
            arr = xp.empty(shape, dtype=dtype)
        else:
            arr = xp.full(shape, fill, dtype=dtype)
    return _finish(arr, dev, requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros; ``gt.zeros(2, 3)`` and ``gt.zeros((2, 3))`` are the same.

    >>> gt.zeros(2).tolist()
    [0.0, 0.0]
    """
    return _filled("zeros", _shape(shape, "zeros"), 0.0 if dtype is None else 0, dtype,
                   device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones.

    >>> gt.ones(2, dtype=gt.int32).tolist()
    [1, 1]
    """
    return _filled("ones", _shape(shape, "ones"), 1.0 if dtype is None else 1, dtype,
                   device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (values are whatever the memory held).

    >>> gt.empty(2, 3).shape
    (2, 3)
    """
    dtype = dt.get_default_dtype() if dtype is None else dtype
    return _filled("empty", _shape(shape, "empty"), None, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value unless given.

    >>> gt.full((2,), 7).tolist()
    [7, 7]
    """
    return _filled("full", _shape((shape,), "full"), fill_value, dtype, device, requires_grad)


def _like(fn, t: Tensor, dtype, device, requires_grad, fill):
    if not isinstance(t, Tensor):
        t = as_tensor(t)
    return _filled(fn, t.shape, fill, t.dtype if dtype is None else dtype,
                   t.device if device is None else device, requires_grad)


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and, unless given, dtype and device) of ``t``.

    >>> gt.zeros_like(gt.ones(2)).tolist()
    [0.0, 0.0]
    """
    return _like("zeros_like", t, dtype, device, requires_grad, 0)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and, unless given, dtype and device) of ``t``.

    >>> gt.ones_like(gt.zeros(2)).tolist()
    [1.0, 1.0]
    """
    return _like("ones_like", t, dtype, device, requires_grad, 1)


def full_like(t: Tensor, fill_value, dtype=None, device=None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with the shape (and, unless given, dtype and device) of ``t``.

    >>> gt.full_like(gt.zeros(2), 3).tolist()
    [3.0, 3.0]
    """
    return _like("full_like", t, dtype, device, requires_grad, fill_value)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uninitialised, with the shape (and, unless given, dtype and device) of ``t``.

    >>> gt.empty_like(gt.zeros(2)).shape
    (2,)
    """
    return _like("empty_like", t, dtype, device, requires_grad, None)


def eye(n: int, m: int | None = None, dtype=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """The identity matrix, ``n`` x ``m`` (square by default).

    >>> gt.eye(2).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    for v, what in ((n, "n"), (m, "m")):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            raise TypeError(f"eye: {what} must be an int, got {type(v).__name__} {v!r}")
        if v is not None and v < 0:
            raise ValueError(f"eye: {what} must be non-negative, got {v}")
    dev = as_device(device)
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype, "eye")
    with get_backend(dev).context():
        arr = get_backend(dev).xp.eye(n, m, dtype=dtype)
    return _finish(arr, dev, requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False,
           limit=None, delta=None, stop=None) -> Tensor:
    """Evenly spaced values in ``[start, end)``; ``arange(n)`` counts from 0. Also spelled
    ``gt.range`` with TensorFlow's ``range(start, limit, delta)``.

    >>> gt.arange(0, 1, 0.25).tolist()
    [0.0, 0.25, 0.5, 0.75]
    """
    end = end if end is not None else (limit if limit is not None else stop)
    step = delta if delta is not None else step
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if any(not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool)
           for v in values):
        raise TypeError(f"arange: start, end and step must be numbers, got {values}")
    start, end, step = values
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"arange: start, end and step must be finite, got start={start}, "
                         f"end={end}, step={step}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        dtype = (dt.DEFAULT_INT if all(isinstance(v, (int, np.integer)) for v in values)
                 else dt.get_default_dtype())
    dtype = dt.as_dtype(dtype, "arange")
    dev = as_device(device)
    n = max(0, math.ceil((end - start) / step))
    with get_backend(dev).context():
        xp = get_backend(dev).xp
        # computed in float64 / int64 and cast, so float32 ranges do not drift
        base = xp.arange(n, dtype=np.float64 if dtype.kind == "f" else np.int64)
        arr = (base * step + start).astype(dtype)
    return _finish(arr, dev, requires_grad)


def linspace(start, stop, num: int | None = None, *, steps: int | None = None, dtype=None,
             device=None, requires_grad: bool = False, endpoint: bool = True) -> Tensor:
    """``num`` (PyTorch: ``steps``) evenly spaced values from ``start`` to ``stop`` inclusive.

    >>> gt.linspace(0, 1, 3).tolist()
    [0.0, 0.5, 1.0]
    """
    num = steps if num is None else num
    if num is None:
        num = 50
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool):
        raise TypeError(f"linspace: the number of values must be an int, got "
                        f"{type(num).__name__} {num!r}")
    if num < 0:
        raise ValueError(f"linspace: the number of values must be non-negative, got {num}")
    start, stop = (v.item() if isinstance(v, Tensor) else v for v in (start, stop))
    for v in (start, stop):
        if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
            raise TypeError(f"linspace: start and stop must be numbers, got {v!r}")
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype, "linspace")
    dev = as_device(device)
    xp = get_backend(dev).xp
    with get_backend(dev).context():
        arr = xp.linspace(start, stop, int(num), endpoint=endpoint, dtype=np.float64)
        if dtype.kind in "iu":
            arr = xp.floor(arr)  # NumPy rounds toward -inf for integer dtypes
        arr = arr.astype(dtype)
    return _finish(arr, dev, requires_grad)
