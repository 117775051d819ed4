"""``Tensor``: an array of one backend, its device, and its autograd link.

Arithmetic, reductions and shape methods are thin calls into the op table (``gputensor.ops``),
attached at import from ``ops.METHODS``; this file holds only what is about the tensor itself:
properties, conversion, transfers, printing and the Python protocols.
"""

from __future__ import annotations

import numpy as np

from . import dtypes as dt
from .backends import get_backend
from .device import Device, device as as_device


_new = object.__new__
_AUTOGRAD: list = []


def _autograd():
    """The autograd package (imported on first use: it imports this module)."""
    if not _AUTOGRAD:
        from . import autograd

        _AUTOGRAD.append(autograd)
    return _AUTOGRAD[0]


class _Size(int):
    """``t.size``: the element count (NumPy), and callable for the shape (PyTorch).

    >>> t = gt.zeros(2, 3); t.size, t.size(), t.size(1)
    (6, (2, 3), 3)
    """

    def __new__(cls, shape):
        n = 1
        for s in shape:
            n *= s
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        if dim is None:
            return self.shape
        try:
            return self.shape[dim]
        except IndexError:
            raise IndexError(f"size: dimension {dim} is out of range for a tensor of "
                             f"{len(self.shape)} dimension(s)") from None


class Tensor:
    """An n-dimensional array on a device, with optional gradient tracking.

    Build one with ``gt.tensor``, ``gt.zeros``, ``gt.from_numpy``... rather than directly.

    >>> gt.tensor([[1., 2.]])
    tensor([[1., 2.]], dtype=float32, device='cpu')
    """

    # Every tensor sets _data, _device, _node (its grad_fn) and _requires_grad, in slots: a
    # recorded op's output sets the last two, and as slots that makes no instance dict. The
    # rest keep these class-level defaults until changed, which keeps creating a tensor cheap
    # (it happens once per op).
    __slots__ = ("_data", "_device", "_node", "_requires_grad", "__dict__", "__weakref__")
    __array_ufunc__ = None  # NumPy defers to our reflected operators: ndarray + Tensor works
    _grad = None  # ``.grad`` (the property checks what users assign; the engine writes here)
    # [data version, history version], shared by the views of one storage: in-place writes
    # bump the first (saved-tensor checks), recorded in-place ops the second (stale views)
    _version = None
    _retains_grad = False
    _out_idx = 0  # which output of its grad_fn this tensor is
    _hist_version = 0  # the storage's history version when grad_fn was set
    _hooks = None  # a leaf's gradient hooks (a non-leaf's live on its node)
    # a view made by a view op: (the tensor it was taken from, op, attrs, output index or
    # None); what an in-place change through the view needs to rewrite the base's history
    _view_of = None
    name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        TENSOR_TYPES.add(cls)  # subclasses (Parameter, Variable) take the ops' fast paths too

    def __init__(self, data, dtype=None, device=None, requires_grad: bool = False):
        from .creation import tensor

        t = tensor(data, dtype=dtype, device=device)
        self._data, self._device = t._data, t._device
        self.requires_grad = requires_grad

    def __new__(cls, *args, **kwargs):
        # a new leaf that does not require grad, whatever a subclass's __init__ sets (the
        # ops' fast paths and ``_make`` bypass this and set the slots themselves)
        t = _new(cls)
        t._node = None
        t._requires_grad = False
        return t

    @classmethod
    def _make(cls, data, device: Device) -> "Tensor":
        """Wrap a backend array without copying or checking (internal fast path)."""
        t = _new(cls)
        t._data = data
        t._device = device
        t._node = None
        t._requires_grad = False
        return t

    def _version_counter(self) -> list:
        """The version counter of this tensor's storage, created on first need."""
        if self._version is None:
            self._version = [0, 0]  # [data version, history version]
        return self._version

    # -- properties -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """The shape, a tuple of ints."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self) -> _Size:
        """Number of elements; ``t.size()`` / ``t.size(dim)`` give the shape as in PyTorch."""
        return _Size(self._data.shape)

    def numel(self) -> int:
        """Number of elements.

        >>> gt.zeros(2, 3).numel()
        6
        """
        return int(self._data.size)

    def dim(self) -> int:
        """Number of dimensions (PyTorch spelling of ``ndim``)."""
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The element type, e.g. ``gt.float32``."""
        return self._data.dtype

    @property
    def device(self) -> Device:
        """The device the data lives on."""
        return self._device

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements."""
        return self._data.nbytes

    @property
    def is_cuda(self) -> bool:
        """True for tensors on a CUDA device."""
        return self._device.type == "cuda"

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = bool(flag)
        if flag and self._data.dtype.kind != "f":
            raise RuntimeError(f"only float tensors can require grad, got dtype "
                               f"{self._data.dtype}")
        if not flag and self._node is not None:
            raise RuntimeError("requires_grad can only be turned off on leaf tensors; "
                               "use detach() for a non-leaf tensor")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return self.

        >>> w = gt.zeros(3).requires_grad_()
        """
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The gradient that ``backward()`` accumulated here (None until then, and for
        non-leaves unless ``retain_grad()``). Assigning checks it as PyTorch does: a tensor
        of this tensor's shape, dtype and device, or None.

        >>> w = gt.tensor([1., 2.], requires_grad=True); (w * 3).sum().backward(); w.grad
        tensor([3., 3.], dtype=float32, device='cpu')
        """
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        """True unless the tensor was produced by a recorded op."""
        return self._node is None

    @property
    def grad_fn(self):
        """The graph node that produced this tensor (None for leaves)."""
        return self._node

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends
        on (only of ``inputs`` when given); ``retain_graph`` defaults to ``create_graph``.

        >>> w = gt.tensor(2., requires_grad=True); (10 * w ** 2 + 50).backward(); w.grad
        tensor(40., dtype=float32, device='cpu')
        """
        if inputs is None:
            _autograd().engine.backward_one(self, gradient, retain_graph, create_graph)
        else:
            _autograd().backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook):
        """Call ``hook(grad)`` each time this tensor's gradient is computed, before it flows
        on (or, for a leaf, into ``.grad``); a tensor returned replaces the gradient. Returns
        a handle whose ``remove()`` takes the hook off.

        >>> x = gt.tensor([1., 2.], requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 10)
        >>> (x * 3).sum().backward(); x.grad
        tensor([30., 30.], dtype=float32, device='cpu')
        """
        return _autograd().add_hook(self, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` of this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self._requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self._node is not None:
            if self._node.retained is None:
                self._node.retained = {}
            import weakref

            self._node.retained[self._out_idx] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor."""
        return self._retains_grad and self._node is not None

    @property
    def data(self) -> "Tensor":
        """PyTorch's ``.data``: this tensor's values outside the graph (``detach()``: the
        memory is shared, so ``p.data -= lr * p.grad`` updates ``p`` without recording it).
        Assigning a tensor replaces the values (it may have another shape or dtype); a
        graph that saved the old ones then refuses backward.

        >>> p = gt.tensor([1., 2.], requires_grad=True)
        >>> p.data -= 0.5; p
        tensor([0.5, 1.5], dtype=float32, device='cpu', requires_grad=True)
        """
        return self.detach()

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: assign a tensor, got {type(value).__name__}")
        if value._device != self._device:
            raise RuntimeError(f"data: the new values are on {value.device} but the tensor is "
                               f"on {self.device}; move them with .to() first")
        if value._data is self._data:  # p.data -= x: the values changed in place already
            return
        if self._requires_grad and value._data.dtype.kind != "f":
            raise RuntimeError(f"data: a tensor that requires grad holds floats; cannot give "
                               f"it values of dtype {value.dtype}")
        old = self._version_counter()
        self._data = value._data
        self._version = [old[0] + 1, old[1] + 1]  # its own storage now, newer than any saved
        self._hist_version = self._version[1]
        self.__dict__.pop("_view_of", None)

    def __getstate__(self):
        """What pickling and ``copy`` keep: the data, device and attributes, without the
        link of a view to the tensor it was taken from (a runtime link: the copy owns its
        data)."""
        state = dict(getattr(self, "__dict__", ()))
        state.pop("_view_of", None)
        return state, {"_data": self._data, "_device": self._device, "_node": self._node,
                       "_requires_grad": self._requires_grad}

    def detach(self) -> "Tensor":
        """The same data (shared memory) cut off from the graph.

        >>> x = gt.ones(2, requires_grad=True); x.detach().requires_grad
        False
        """
        t = Tensor._make(self._data, self._device)
        t._version = self._version_counter()
        return t

    def detach_(self) -> "Tensor":
        """Cut this tensor off the graph in place: it becomes a leaf that does not require
        grad. A view that requires grad refuses (its history is its base's): use detach().

        >>> y = gt.ones(2, requires_grad=True) * 2; y.detach_().requires_grad, y.is_leaf
        (False, True)
        """
        if self._view_of is not None and self._requires_grad:
            raise RuntimeError("detach_: a view cannot be detached in place (its history is "
                               "the tensor it was taken from); use detach() instead")
        node = self._node
        if node is not None and node.retained:
            node.retained.pop(self._out_idx, None)
        self._node, self._out_idx = None, 0
        self._requires_grad = self._retains_grad = False
        return self

    # -- conversion -----------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array, sharing memory (CPU tensors only).

        >>> gt.tensor([1, 2]).numpy()
        array([1, 2])
        """
        if self._device.type != "cpu":
            raise TypeError(f"numpy: cannot convert a {self._device} tensor to a NumPy "
                            "array directly; call .cpu() first (t.cpu().numpy())")
        return self._data

    def __array__(self, dtype=None, copy=None):
        """NumPy's array protocol: ``np.asarray(t)`` shares memory with a CPU tensor."""
        arr = self.numpy()
        if dtype is not None and arr.dtype != dtype:
            if copy is False:
                raise ValueError(f"__array__: converting {arr.dtype} to {np.dtype(dtype)} "
                                 "needs a copy, but copy=False was asked for")
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    def item(self):
        """The value of a one-element tensor as a Python number.

        >>> gt.tensor([2.5]).item()
        2.5
        """
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a Python "
                             f"scalar, got shape {self.shape}")
        return self._host().reshape(()).item()

    def tolist(self):
        """Nested Python lists (a Python number for a 0-d tensor).

        >>> gt.tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return self._host().tolist()

    def _host(self) -> np.ndarray:
        return get_backend(self._device).to_numpy(self._data)

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    # -- devices and dtypes ---------------------------------------------------------------
    def to(self, *args, **kwargs) -> "Tensor":
        """Move to a device and/or convert dtype; returns self when nothing changes.

        >>> gt.ones(2).to('cpu').to(gt.float64).dtype
        dtype('float64')
        """
        target_device = kwargs.pop("device", None)
        target_dtype = kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)  # PyTorch's flag: transfers here are ordered anyway
        if kwargs:
            raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
        for a in args:
            if isinstance(a, (Device, str)) and not _is_dtype_name(a):
                target_device = a
            elif isinstance(a, Tensor):
                target_device, target_dtype = a.device, a.dtype
            elif a is not None:
                target_dtype = a
        if target_dtype is not None:
            try:
                target_dtype = dt.as_dtype(target_dtype, "to")
            except TypeError as e:
                raise TypeError(f"{e}; to() takes a device ('cpu', 'cuda', 'cuda:N'), a dtype "
                                "or a tensor") from None
        out = self
        if target_device is not None:
            out = _transfer(out, as_device(target_device))
        if target_dtype is not None:
            out = out.astype(target_dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> "Tensor":
        """This tensor on the CPU (self if it is already there)."""
        return _transfer(self, as_device("cpu"))

    def cuda(self, device: int | str | None = None) -> "Tensor":
        """This tensor on a CUDA device (``cuda:0`` unless ``device`` says otherwise)."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        target = as_device(device)
        if target.type != "cuda":
            raise ValueError(f"cuda: expected a CUDA device (an index, 'cuda' or 'cuda:N'), "
                             f"got {device!r}; use .to(device) or .cpu() for other devices")
        return _transfer(self, target)

    def type(self, dtype=None):
        """The dtype's name, or a converted copy when ``dtype`` is given (PyTorch)."""
        return str(self.dtype) if dtype is None else self.astype(dtype)

    def is_contiguous(self) -> bool:
        """True when the elements lie in row-major order without gaps."""
        return bool(self._data.flags.c_contiguous)

    # -- Python protocols -----------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self._data.size} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, got "
                            f"dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __complex__(self):
        raise TypeError("gputensor has no complex dtypes")

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        arr = self._host()
        prefix = "tensor("
        if arr.size == 0:
            body = f"[], size={arr.shape}" if arr.ndim > 1 else "[]"
        else:
            body = np.array2string(arr, separator=", ", prefix=prefix, threshold=200, edgeitems=3)
        extra = f", dtype={arr.dtype}, device='{self._device}'"
        if self._node is not None:
            extra += f", grad_fn={self._node!r}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"{prefix}{body}{extra})"

    def __str__(self) -> str:
        return repr(self)

    def __format__(self, spec: str) -> str:
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return repr(self)


def _check_grad(t: Tensor, g) -> None:
    """Refuse a ``.grad`` that is not a tensor of ``t``'s shape, dtype and device: a later
    backward would broadcast into it, or accumulate in another dtype."""
    if not isinstance(g, Tensor):
        raise TypeError(f"grad: assigned grad expected to be a tensor or None, got "
                        f"{type(g).__name__}")
    if g._data.shape != t._data.shape:
        raise RuntimeError(f"grad: cannot assign a gradient of shape {g.shape} to a tensor "
                           f"of shape {t.shape}; they must be the same")
    if g._data.dtype != t._data.dtype:
        raise RuntimeError(f"grad: cannot assign a gradient of dtype {g.dtype} to a tensor "
                           f"of dtype {t.dtype}; they must be the same")
    if g._device != t._device:
        raise RuntimeError(f"grad: cannot assign a gradient on {g.device} to a tensor on "
                           f"{t.device}; move it with .to() first")


TENSOR_TYPES = {Tensor}  # Tensor and its subclasses: exact-type checks of the fast paths


def _is_dtype_name(s) -> bool:
    """True for strings NumPy reads as a dtype ('float32', but also 'complex64', which
    ``to`` then refuses by name), False for device strings."""
    if not isinstance(s, str):
        return False
    try:
        np.dtype(s)
        return True
    except TypeError:
        return False


def _transfer(t: Tensor, target: Device) -> Tensor:
    """``t`` on ``target`` (itself if already there), recorded for autodiff."""
    if t._device == target:
        return t
    arr = get_backend(target).receive(t._data, get_backend(t._device))
    out = Tensor._make(arr, target)
    if t._requires_grad:
        autograd = _autograd()
        if autograd.is_grad_enabled():
            from .ops.movement import TO_DEVICE

            autograd.record(TO_DEVICE, [t], {"device": target, "src": t._device}, [t._data],
                            [out])
    return out
