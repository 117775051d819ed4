"""Layers: ``Module`` subclasses built on ``gt.nn.functional`` and the public ops.

PyTorch layout and defaults throughout (``Linear`` weights are (out, in), images NCHW,
PyTorch's initializers), plus Keras's ``Dense`` (kernel (in, units), Glorot uniform, input
size inferred at the first call). Random initial values come from gputensor's seeded
streams: ``gt.manual_seed(n)`` before building a model makes it reproducible. Layers with
parameters take ``device=`` and ``dtype=`` (default: the default device and float dtype).

An input of the wrong feature size raises ``ValueError`` naming the layer and both sizes:
``Linear(in_features=4, out_features=2): input has 3 features, expected 4``.

>>> import gputensor as gt
>>> model = gt.nn.Sequential(gt.nn.Linear(4, 8), gt.nn.ReLU(), gt.nn.Linear(8, 2))
>>> model(gt.ones(5, 4)).shape
(5, 2)
"""

from __future__ import annotations

import math
import operator
from collections import OrderedDict
from typing import Callable

import numpy as np

from .. import dtypes as dt
from ..autograd import no_grad
from ..creation import as_tensor, empty, ones, zeros
from ..device import device as as_device, get_default_device
from ..ops.elementwise import gelu, leaky_relu, relu, sigmoid, tanh
from ..ops.linalg import matmul
from ..ops.movement import flatten, take
from ..tensor import Tensor
from . import functional as F
from . import init
from .containers import Indexed, check_module
from .module import Module, Parameter
from .training import Trainable

__all__ = ["Identity", "Linear", "Dense", "Sequential", "Flatten", "Dropout", "ReLU", "Sigmoid",
           "Tanh", "Softmax", "LogSoftmax", "GELU", "LeakyReLU", "Conv2d", "MaxPool2d",
           "LayerNorm", "BatchNorm1d", "BatchNorm2d", "Embedding"]


# -- helpers --------------------------------------------------------------------------------
def _size(who: str, what: str, value, minimum: int = 0) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{who}: {what} must be an int, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{who}: {what} must be an int, got {value!r}") from None
    if value < minimum:
        raise ValueError(f"{who}: {what} must be >= {minimum}, got {value}")
    return value


def _float_dtype(who: str, dtype):
    d = dt.get_default_dtype() if dtype is None else dt.as_dtype(dtype, who)
    if d.kind != "f":
        raise TypeError(f"{who}: parameters need a float dtype, got {d}")
    return d


def _param(shape, device, dtype) -> Parameter:
    return Parameter(empty(shape, dtype=dtype, device=device))


def _torch_init(weight: Parameter, bias: Parameter | None, fan_in: int) -> None:
    """PyTorch's default initialization of ``Linear`` and ``Conv2d``, in place: ``weight``
    from ``kaiming_uniform_(a=sqrt(5))``, then ``bias`` (if any) from U[-1/sqrt(fan_in),
    1/sqrt(fan_in)] (zeros when ``fan_in`` is 0)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(bias, -bound, bound)


def _input(x) -> Tensor:
    return x if isinstance(x, Tensor) else as_tensor(x)


def _prob(who: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: p must be a number in [0, 1], got {p!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"{who}: dropout probability p must be between 0 and 1, got {p}")
    return float(p)


class _Label:
    """A layer's name for messages: the class and its settings."""

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


# -- activations and other parameter-free layers -------------------------------------------
class Identity(Module):
    """Returns its input unchanged (a placeholder layer).

    >>> gt.nn.Identity()(gt.ones(2)).tolist()
    [1.0, 1.0]
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x


class ReLU(Module):
    """``max(x, 0)`` elementwise. ``inplace`` is accepted for PyTorch code and ignored (the
    result is always a new tensor).

    >>> gt.nn.ReLU()(gt.tensor([-1., 2.])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, inplace: bool = False):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise.

    >>> gt.nn.Sigmoid()(gt.tensor([0.])).tolist()
    [0.5]
    """

    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


class Tanh(Module):
    """``tanh(x)`` elementwise.

    >>> gt.nn.Tanh()(gt.tensor([0.])).tolist()
    [0.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


class GELU(Module):
    """Gaussian error linear unit; ``approximate='tanh'`` for the tanh approximation.

    >>> gt.nn.GELU()(gt.tensor([0.])).tolist()
    [0.0]
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got "
                             f"{approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> gt.nn.LeakyReLU(0.1)(gt.tensor([-1., 2.])).tolist()
    [-0.10000000149011612, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class _AlongDim(Module):
    """Base of ``Softmax`` and ``LogSoftmax``: a layer working along one axis ``dim``
    (default the last), which its repr shows."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Softmax along ``dim`` (default the last axis).

    >>> gt.nn.Softmax()(gt.tensor([[1., 1.]])).tolist()
    [[0.5, 0.5]]
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)


class LogSoftmax(_AlongDim):
    """log(softmax) along ``dim`` (default the last axis), computed stably.

    >>> gt.nn.LogSoftmax()(gt.tensor([[0., 0.]])).shape
    (1, 2)
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)


class Flatten(Module):
    """Flatten axes ``start_dim`` .. ``end_dim`` into one (default: all but the batch axis).

    ``input_shape`` (Keras) declares the per-sample shape when this is the first layer of a
    ``Sequential``, which then builds its lazy layers at once.

    >>> gt.nn.Flatten()(gt.ones(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *, input_shape=None):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim
        self.input_shape = None if input_shape is None else tuple(input_shape)

    def forward(self, x: Tensor) -> Tensor:
        return flatten(_input(x), self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability ``p`` and
    the others scaled by 1 / (1 - p); in eval mode the identity. The masks come from the
    input device's seeded stream (``gt.manual_seed``).

    >>> d = gt.nn.Dropout(0.5).eval(); d(gt.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        self.p = _prob("Dropout", p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


# -- Linear, Dense --------------------------------------------------------------------------
class Linear(_Label, Module):
    """``y = x @ weight.T + bias`` with ``weight`` (out_features, in_features).

    PyTorch's initialization: ``weight`` from ``kaiming_uniform_(a=sqrt(5))`` and ``bias``
    from U[-1/sqrt(in), 1/sqrt(in)]: both within ``1 / sqrt(in_features)``.

    >>> gt.nn.Linear(3, 2)(gt.ones(4, 3)).shape
    (4, 2)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.in_features = _size("Linear", "in_features", in_features)
        self.out_features = _size("Linear", "out_features", out_features)
        dtype = _float_dtype("Linear", dtype)
        self.weight = _param((self.out_features, self.in_features), device, dtype)
        if bias:
            self.bias = _param((self.out_features,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's scheme, from the seeded stream)."""
        _torch_init(self.weight, self.bias, self.in_features)

    def forward(self, x: Tensor) -> Tensor:
        x = _input(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = "a 0-d input" if x.ndim == 0 else f"input has {x.shape[-1]} features"
            raise ValueError(f"{self._label()}: {got}, expected {self.in_features} "
                             f"(input shape {x.shape})")
        params = self._parameters  # one dict read instead of two Module.__getattr__ calls
        return F.linear(x, params["weight"], params["bias"])

    def _label(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features})"

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


_ACTIVATIONS: dict[str, Callable | None] = {
    "linear": None, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "softmax": lambda x: F.softmax(x, -1), "log_softmax": lambda x: F.log_softmax(x, -1),
    "gelu": gelu, "leaky_relu": leaky_relu,
}


def _activation(who: str, activation):
    if activation is None:
        return None, None
    if isinstance(activation, str):
        if activation.lower() not in _ACTIVATIONS:
            raise ValueError(f"{who}: unknown activation {activation!r}; known: None, "
                             f"{', '.join(repr(k) for k in _ACTIVATIONS)} or a callable")
        name = activation.lower()
        return _ACTIVATIONS[name], name
    if callable(activation):
        return activation, getattr(activation, "__name__", type(activation).__name__)
    raise TypeError(f"{who}: activation must be None, a name or a callable, got "
                    f"{activation!r}")


def _initializer(who: str, what: str, spec):
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec in init.INITIALIZERS:
        return init.INITIALIZERS[spec]
    raise ValueError(f"{who}: unknown {what} {spec!r}; known: "
                     f"{', '.join(repr(k) for k in init.INITIALIZERS)} or a callable that "
                     f"fills a tensor in place")


class Dense(_Label, Module):
    """Keras's fully connected layer: ``activation(x @ kernel + bias)`` with ``kernel`` of
    shape (in_features, units) (Keras's layout) and ``bias`` (units,).

    The input size is inferred at the first call (as Keras): before it the layer has no
    parameters (``built`` is False, ``parameters()`` is empty), so build it first — call it
    on an input, give ``input_dim``/``input_shape``, call ``build(input_shape)``, or let
    ``Sequential.build`` / ``fit`` do it — before handing ``parameters()`` to an optimizer.
    ``load_state_dict`` builds an unbuilt layer from the checkpoint's shapes. The
    parameters are created on the layer's device and dtype (the defaults when it was made,
    or what ``to()`` set since).

    ``activation``: None / 'linear', 'relu', 'sigmoid', 'tanh', 'softmax' (last axis),
    'log_softmax', 'gelu', 'leaky_relu', or a callable. Initializers: Keras's names
    ('glorot_uniform' — U[-b, b], b = sqrt(6 / (in + units)) — 'glorot_normal',
    'he_uniform', 'he_normal', 'zeros', 'ones', 'random_uniform', 'random_normal') or a
    callable filling a tensor in place; 'glorot_normal' and 'he_normal' draw plain normals
    of Keras's standard deviation (Keras's are truncated at two standard deviations).

    >>> layer = gt.nn.Dense(3, activation="relu")
    >>> layer(gt.ones(2, 5)).shape, layer.kernel.shape
    ((2, 3), (5, 3))
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", *,
                 input_dim: int | None = None, input_shape=None, device=None, dtype=None):
        super().__init__()
        self.units = _size("Dense", "units", units)
        self.activation, self._activation_name = _activation("Dense", activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializer("Dense", "kernel_initializer",
                                               kernel_initializer)
        self.bias_initializer = _initializer("Dense", "bias_initializer", bias_initializer)
        self.in_features = None
        self._device = get_default_device() if device is None else as_device(device)
        self._dtype = _float_dtype("Dense", dtype)
        self.register_parameter("kernel", None)
        self.register_parameter("bias", None)
        if input_shape is None and input_dim is not None:
            input_shape = (input_dim,)  # Keras's shorthand (input_shape wins when both)
        self.input_shape = None if input_shape is None else tuple(input_shape)
        if input_shape is not None:  # (a Sequential it starts builds all its layers)
            self.build((None,) + self.input_shape)

    @property
    def built(self) -> bool:
        """Whether the parameters exist (after the first call or ``build``)."""
        return self.in_features is not None

    def build(self, input_shape) -> None:
        """Create ``kernel`` (in_features, units) and ``bias`` for inputs of ``input_shape``
        (its last entry is in_features; a batch entry may be None). Does nothing if built
        for the same size.

        >>> layer = gt.nn.Dense(2); layer.build((None, 4)); layer.kernel.shape
        (4, 2)
        """
        shape = tuple(input_shape)
        if not shape or shape[-1] is None:
            raise ValueError(f"{self._label()}: cannot build from input shape {shape}: the "
                             f"last axis (the features) must be known")
        n = _size("Dense", "the input's last axis", shape[-1])
        if self.built:
            if n != self.in_features:
                raise ValueError(f"{self._label()}: already built for {self.in_features} "
                                 f"input features, cannot build for {n}")
            return
        self.kernel = _param((n, self.units), self._device, self._dtype)
        self.kernel_initializer(self.kernel)
        if self.use_bias:
            self.bias = _param((self.units,), self._device, self._dtype)
            self.bias_initializer(self.bias)
        self.in_features = n

    def forward(self, x: Tensor) -> Tensor:
        x = _input(x)
        if x.ndim == 0:
            raise ValueError(f"{self._label()}: input must have a feature axis, got a 0-d "
                             f"tensor")
        if not self.built:
            self.build(x.shape)
        elif x.shape[-1] != self.in_features:
            raise ValueError(f"{self._label()}: input has {x.shape[-1]} features, expected "
                             f"{self.in_features} (input shape {x.shape})")
        y = matmul(x, self.kernel)
        if self.bias is not None:
            fused = F.BIAS_ACT.get(self._activation_name)
            if fused is not None and self.activation is _ACTIVATIONS[self._activation_name]:
                return F.bias_act(y, self.bias, self._activation_name)  # one op: act(y + b)
            y = y + self.bias
        return y if self.activation is None else self.activation(y)

    def _converted(self, fn) -> None:
        probe = fn(empty(0, dtype=self._dtype, device=self._device))
        self._device, self._dtype = probe.device, probe.dtype

    def _prepare_load(self, prefix: str, state_dict) -> None:
        kernel = state_dict.get(prefix + "kernel") if hasattr(state_dict, "get") else None
        if not self.built and kernel is not None and len(getattr(kernel, "shape", ())) == 2:
            self.build((None, kernel.shape[0]))

    def _label(self) -> str:
        return f"Dense(units={self.units}, in_features={self.in_features})"

    def extra_repr(self) -> str:
        s = f"units={self.units}, in_features={self.in_features}"
        if self._activation_name is not None:
            s += f", activation={self._activation_name!r}"
        if not self.use_bias:
            s += ", use_bias=False"
        return s


# -- Sequential -----------------------------------------------------------------------------
class Sequential(Indexed, Trainable, Module):
    """Modules applied one after another. Built from modules as arguments, one list of
    modules (Keras), or an ``OrderedDict`` of name -> module; children are named "0", "1",
    ... otherwise. Supports ``len``, iteration, indexing (an int gives the module, a slice a
    new ``Sequential``), ``append``/``add``, ``extend`` and ``insert``; and Keras-style
    ``compile``/``fit``/``evaluate``/``predict`` (``gt.nn.training.Trainable``), which it
    does not need for plain use.

    ``build(input_shape)`` creates the parameters of lazy layers (``Dense``) with one
    forward pass; it runs by itself when the first layer declares ``input_shape``.

    >>> model = gt.nn.Sequential(gt.nn.Flatten(), gt.nn.Dense(4, activation="relu"))
    >>> model(gt.ones(2, 3, 3)).shape, len(model)
    ((2, 4), 2)
    """

    def __init__(self, *args):
        super().__init__()
        if "_parameters" not in self.__dict__:  # a mixin __init__ that did not chain
            Module.__init__(self)
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for name, m in args[0].items():
                self.add_module(str(name), check_module(m, name, "Sequential"))
        else:
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                args = tuple(args[0])
            for i, m in enumerate(args):
                self.add_module(str(i), check_module(m, i, "Sequential"))
        first = next(iter(self._modules.values()), None)
        shape = getattr(first, "input_shape", None)
        if shape is not None:
            self.build((None,) + tuple(shape))

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    # -- container protocol (``Indexed``; a slice keeps the names) -------------------------
    def _sliced(self, idx: slice) -> "Sequential":
        return Sequential(OrderedDict(list(self._modules.items())[idx]))

    def add(self, module: Module) -> None:
        """Keras's ``model.add(layer)``: add ``module`` at the end."""
        self.append(module)

    # -- lazy layers ----------------------------------------------------------------------
    def build(self, input_shape) -> "Sequential":
        """Build lazy layers for inputs of ``input_shape`` (with the batch axis; None counts
        as 1) by one forward pass of zeros in eval mode without gradients (running stats
        are not touched); the training flags are restored. Returns self.

        >>> model = gt.nn.Sequential(gt.nn.Dense(3)).build((None, 5))
        >>> model[0].kernel.shape
        (5, 3)
        """
        shape = tuple(1 if d is None else _size("Sequential.build", "input_shape entry", d)
                      for d in input_shape)
        device, dtype = self._placement()
        first = next(iter(self._modules.values()), None)
        if isinstance(first, Embedding):
            x = zeros(shape, dtype=dt.int64, device=device)
        else:
            x = zeros(shape, dtype=dtype, device=device)
        flags = [(m, m.training) for m in self.modules()]
        try:
            self.eval()
            with no_grad():
                self(x)
        finally:
            for m, flag in flags:
                m.__dict__["training"] = flag
        return self

    def _placement(self):
        """The device and float dtype of the first parameter, or of the first lazy layer,
        or the defaults."""
        for p in self.parameters():
            if p.dtype.kind == "f":
                return p.device, p.dtype
        for m in self.modules():
            if isinstance(m, Dense):
                return m._device, m._dtype
        return get_default_device(), dt.get_default_dtype()


# -- convolution and pooling ----------------------------------------------------------------
class Conv2d(_Label, Module):
    """2-D convolution over (N, C, H, W) inputs (or (C, H, W)); ``weight`` is
    (out_channels, in_channels, kh, kw), ``bias`` (out_channels,). ``padding``: an int, a
    pair, 'valid' or 'same' (stride 1). Computed as im2col (``F.unfold``) + matmul.

    PyTorch's initialization: both within ``1 / sqrt(in_channels * kh * kw)``.

    >>> gt.nn.Conv2d(1, 4, 3, padding=1)(gt.ones(2, 1, 8, 8)).shape
    (2, 4, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in_channels = _size("Conv2d", "in_channels", in_channels, 1)
        self.out_channels = _size("Conv2d", "out_channels", out_channels, 1)
        self.kernel_size = F._pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride = F._pair("Conv2d", "stride", stride, 1)
        self.dilation = F._pair("Conv2d", "dilation", dilation, 1)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'valid' or "
                                 f"'same', got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride "
                                 f"{self.stride}")
            self.padding = padding
        else:
            self.padding = F._pair("Conv2d", "padding", padding, 0)
        dtype = _float_dtype("Conv2d", dtype)
        self.weight = _param((self.out_channels, self.in_channels) + self.kernel_size,
                             device, dtype)
        if bias:
            self.bias = _param((self.out_channels,), device, dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's scheme, from the seeded stream)."""
        kh, kw = self.kernel_size
        _torch_init(self.weight, self.bias, self.in_channels * kh * kw)

    def forward(self, x: Tensor) -> Tensor:
        x = _input(x)
        if x.ndim not in (3, 4):
            raise ValueError(f"{self._label()}: input must be (N, C, H, W) or (C, H, W), got "
                             f"shape {x.shape}")
        c = x.shape[-3]
        if c != self.in_channels:
            raise ValueError(f"{self._label()}: input has {c} channels, expected "
                             f"{self.in_channels} (input shape {x.shape})")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s


class MaxPool2d(_Label, Module):
    """2-D max pooling over (N, C, H, W) inputs: the maximum of each ``kernel_size`` window,
    moved by ``stride`` (default ``kernel_size``); ``padding`` (at most half the kernel)
    pads with -inf.

    >>> gt.nn.MaxPool2d(2)(gt.ones(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        k = F._pair("MaxPool2d", "kernel_size", kernel_size, 1)
        F._pair("MaxPool2d", "stride", self.stride, 1)
        p = F._pair("MaxPool2d", "padding", padding, 0)
        F._pair("MaxPool2d", "dilation", dilation, 1)
        if any(2 * a > b for a, b in zip(p, k)):
            raise ValueError(f"MaxPool2d: padding {padding} must be at most half the kernel "
                             f"size {kernel_size}")

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(_input(x), self.kernel_size, self.stride, self.padding,
                            self.dilation)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}")


# -- normalization ----------------------------------------------------------------------------
class LayerNorm(_Label, Module):
    """Normalize over the last ``len(normalized_shape)`` axes (mean 0, biased variance 1),
    then scale by ``weight`` (ones) and shift by ``bias`` (zeros) when
    ``elementwise_affine``.

    >>> gt.nn.LayerNorm(4)(gt.randn(2, 4)).shape
    (2, 4)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = F._normalized_shape("LayerNorm", normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = _float_dtype("LayerNorm", dtype)
        if self.elementwise_affine:
            self.weight = Parameter(ones(self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(self.normalized_shape, dtype=dtype,
                                            device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        x = _input(x)
        k = len(self.normalized_shape)
        if x.ndim < k or tuple(x.shape[x.ndim - k:]) != self.normalized_shape:
            raise ValueError(f"{self._label()}: input shape {x.shape} does not end with the "
                             f"normalized shape {self.normalized_shape}")
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class _BatchNorm(_Label, Module):
    _ndims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None):
        super().__init__()
        who = type(self).__name__
        self.num_features = _size(who, "num_features", num_features, 1)
        self.eps = float(eps)
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{who}: momentum must be in [0, 1] or None, got {momentum}")
        self.momentum = momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = _float_dtype(who, dtype)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(ones(c, dtype=dtype, device=device))
            self.bias = Parameter(zeros(c, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", zeros(c, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(c, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked",
                                 zeros((), dtype=dt.int64, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def forward(self, x: Tensor) -> Tensor:
        x = _input(x)
        if x.ndim not in self._ndims:
            raise ValueError(f"{self._label()}: expected input of shape {self._layout}, got "
                             f"shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self._label()}: input has {x.shape[1]} features (channels), "
                             f"expected {self.num_features} (input shape {x.shape})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative average over the batches seen
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or not self.track_running_stats
        stats = not self.training or self.track_running_stats
        return F.batch_norm(x, self.running_mean if stats else None,
                            self.running_var if stats else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs per feature C.

    Training mode: normalize with the batch's mean and (biased) variance and update the
    running statistics in place: ``running = (1 - momentum) running + momentum stat``
    (unbiased variance; ``momentum=None``: the cumulative average). Eval mode: normalize
    with the running statistics. ``affine``: learnable ``weight`` (ones) and ``bias``
    (zeros); ``track_running_stats=False``: always batch statistics.

    >>> bn = gt.nn.BatchNorm1d(3); bn(gt.randn(8, 3)).shape
    (8, 3)
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs per channel C (as ``BatchNorm1d``).

    >>> gt.nn.BatchNorm2d(3)(gt.randn(2, 3, 4, 4)).shape
    (2, 3, 4, 4)
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"


# -- embedding --------------------------------------------------------------------------------
class Embedding(_Label, Module):
    """A lookup table: integer indices -> rows of ``weight`` (num_embeddings,
    embedding_dim), initialized from N(0, 1) as in PyTorch. The result has shape
    ``indices.shape + (embedding_dim,)``; an index outside [0, num_embeddings) raises
    ``IndexError`` naming it.

    >>> gt.nn.Embedding(10, 3)(gt.tensor([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = _size("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = _size("Embedding", "embedding_dim", embedding_dim)
        dtype = _float_dtype("Embedding", dtype)
        self.weight = _param((self.num_embeddings, self.embedding_dim), device, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh initial values from N(0, 1) (the seeded stream)."""
        init.normal_(self.weight)

    def forward(self, indices: Tensor) -> Tensor:
        if not isinstance(indices, Tensor):
            indices = as_tensor(indices, device=self.weight.device)
        F._check_embedding_input(self._label(), indices, self.num_embeddings)
        return take(self.weight, indices, axis=0)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
