"""Making tensors: from data (``tensor``, ``as_tensor``, ``from_numpy``...) and from shapes
(``zeros``, ``arange``, ``eye``...).

Copying rules: ``tensor``/``constant`` always copy; ``as_tensor``/``convert_to_tensor`` reuse
the data when dtype and device already match; ``from_numpy`` always shares the array's memory.
"""

from __future__ import annotations

import builtins
import math
from typing import Sequence

import numpy as np

from . import dtypes as dt
from .backends import Backend, get_backend
from .device import Device, device as as_device
from .tensor import Tensor

ShapeLike = "int | Sequence[int]"


def _is_array_like(x) -> bool:
    return hasattr(x, "__dlpack__") or hasattr(x, "__array__") or hasattr(x, "__cuda_array_interface__")


def _ragged_level(data, level: int = 0):
    """The nesting depth at which ``data`` (nested lists) stops being rectangular, or None."""
    if not isinstance(data, (list, tuple)):
        return None
    lengths = {len(x) if isinstance(x, (list, tuple)) else -1 for x in data}
    if len(lengths) > 1:
        return level + 1
    for x in data:
        found = _ragged_level(x, level + 1)
        if found is not None:
            return found
    return None


def _check_dtype(arr, what: str = "tensor"):
    if arr.dtype not in dt.SUPPORTED:
        raise TypeError(f"{what}: unsupported dtype {arr.dtype}; gputensor holds "
                        f"{dt.ACCEPTED}")


def _to_array(data, dtype, backend: Backend, copy: bool | None = None):
    """``data`` as an array of ``backend`` with ``dtype`` (None: inferred). Internal.

    copy=True always copies, None copies only when needed.
    """
    xp = backend.xp
    if isinstance(data, Tensor):
        arr = data._data
        if data._device != backend.device:
            src = get_backend(data._device)
            arr = src.to_numpy(arr) if backend.device.type == "cpu" else backend.asarray(arr)
            copy = False if dtype is None or arr.dtype == dtype else copy
    elif isinstance(data, (list, tuple, builtins.bool, builtins.int, builtins.float)) or (
            isinstance(data, np.generic)):
        if isinstance(data, complex) or isinstance(data, np.complexfloating):
            raise TypeError("tensor: complex numbers are not supported; gputensor holds "
                            f"{dt.ACCEPTED}")
        try:
            host = np.asarray(data)
        except ValueError as e:
            level = _ragged_level(data)
            if level is not None:
                raise ValueError(f"tensor: ragged nested sequence: the lists at depth {level} "
                                 "have different lengths; every level must be "
                                 "rectangular") from None
            raise ValueError(f"tensor: cannot build a tensor from this data: {e}") from None
        if host.dtype.kind == "O" and _ragged_level(data) is not None:
            raise ValueError(f"tensor: ragged nested sequence: the lists at depth "
                             f"{_ragged_level(data)} have different lengths")
        if not isinstance(data, np.generic):
            # Python floats take the default float dtype, as in PyTorch and TensorFlow
            if host.dtype.kind == "f":
                host = host.astype(dt.get_default_dtype(), copy=False)
            elif host.dtype.kind in "iu" and host.dtype != dt.DEFAULT_INT:
                host = host.astype(dt.DEFAULT_INT)
        _check_dtype(host)
        arr = backend.asarray(host)
        copy = False
    elif isinstance(data, str) or data is None:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}; "
                        f"expected numbers, nested lists, arrays or tensors ({dt.ACCEPTED})")
    elif isinstance(data, np.ndarray):
        _check_dtype(data)
        arr = data if backend.device.type == "cpu" else backend.asarray(data)
        if backend.device.type != "cpu":
            copy = False if dtype is None or np.dtype(dtype) == data.dtype else copy
    elif _is_array_like(data):
        arr = _foreign_array(data, backend)
        _check_dtype(arr)
    else:
        raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}; "
                        "expected numbers, nested lists, arrays or tensors")
    if dtype is not None:
        dtype = dt.as_dtype(dtype)
        if arr.dtype != dtype:
            return arr.astype(dtype)
    if copy:
        return arr.copy()
    return arr


def _foreign_array(data, backend: Backend):
    """An array of ``backend`` from another library's array (CuPy, PyTorch...), no copy when
    it already lives on the same device."""
    if hasattr(data, "__dlpack_device__"):
        kind, index = data.__dlpack_device__()
        on_cpu = int(kind) in (1, 3)  # kDLCPU, kDLCUDAHost
        here = backend.device.type == "cpu"
        if on_cpu == here and (here or index == backend.device.index):
            try:
                return backend.from_dlpack(data)
            except (TypeError, BufferError, RuntimeError):
                pass
        if not on_cpu:
            src = get_backend(Device("cuda", int(index)))
            arr = src.from_dlpack(data)
            return src.to_numpy(arr) if here else backend.asarray(arr)
    if hasattr(data, "__array__"):
        return backend.asarray(np.asarray(data))
    return backend.asarray(data)


def _finish(arr, device: Device, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr, device)
    if requires_grad:
        t.requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Python floats give float32 (the default float dtype), ints int64, bools bool; NumPy arrays
    keep their dtype.

    >>> gt.tensor([[1., 2.]])
    tensor([[1., 2.]], dtype=float32, device='cpu')
    """
    if device is None and isinstance(data, Tensor):
        device = data.device
    dev = as_device(device)
    arr = _to_array(data, dtype, get_backend(dev), copy=True)
    return _finish(arr, dev, requires_grad)


def constant(value, dtype=None, shape=None, name=None, device=None) -> Tensor:
    """TensorFlow's ``tf.constant``: a tensor that never requires grad; ``shape`` broadcasts
    a scalar or reshapes a matching number of elements.

    >>> gt.constant(0, shape=(2, 2))
    tensor([[0, 0],
            [0, 0]], device='cpu')
    """
    t = tensor(value, dtype=dtype, device=device)
    if shape is not None:
        shape = _shape(shape, "constant")
        if t.numel() == 1:
            t = Tensor._make(get_backend(t.device).xp.full(shape, t._data.reshape(()),
                                                           dtype=t.dtype), t.device)
        elif t.numel() == math.prod(shape):
            t = Tensor._make(t._data.reshape(shape), t.device)
        else:
            raise ValueError(f"constant: {t.numel()} values cannot fill shape {shape}")
    t.name = name
    return t


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when dtype and device already match
    (a tensor is returned as is, a CPU NumPy array is wrapped without copying).

    >>> a = np.zeros(3, np.float32); gt.as_tensor(a).numpy() is a
    True
    """
    if isinstance(data, Tensor):
        out = data.to(device) if device is not None else data
        return out if dtype is None else out.astype(dtype)
    dev = as_device(device)
    return _finish(_to_array(data, dtype, get_backend(dev), copy=None), dev, False)


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
        dev = Device("cuda", int(index))
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
    dev = as_device(device)
    xp = get_backend(dev).xp
    dtype = dt.as_dtype(dtype) if dtype is not None else dt.scalar_dtype(fill)
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
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
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
        if v is not None and (not isinstance(v, (int, np.integer)) or v < 0):
            raise ValueError(f"eye: {what} must be a non-negative int, got {v!r}")
    dev = as_device(device)
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
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
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if dtype is None:
        dtype = (dt.DEFAULT_INT if all(isinstance(v, (int, np.integer)) for v in values)
                 else dt.get_default_dtype())
    dtype = dt.as_dtype(dtype)
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
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: the number of values must be a non-negative int, got "
                         f"{num!r}")
    dtype = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype)
    dev = as_device(device)
    with get_backend(dev).context():
        arr = get_backend(dev).xp.linspace(start, stop, int(num), endpoint=endpoint,
                                           dtype=np.float64).astype(dtype)
    return _finish(arr, dev, requires_grad)
