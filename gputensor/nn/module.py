"""``Module`` and ``Parameter``: the PyTorch-style container for layers and their state.

A module registers what is assigned to its attributes: a ``Parameter`` becomes a parameter,
a ``Module`` a child, and a tensor passed to ``register_buffer`` a buffer (state that is
saved but not trained, e.g. BatchNorm's running statistics). Everything else is a plain
attribute. From these three registries come ``parameters()``, ``children()``/``modules()``,
``state_dict()``/``load_state_dict()``, ``to(device)``, ``train()``/``eval()`` and the
``repr`` tree.

>>> import gputensor as gt
>>> class Affine(gt.nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.scale = gt.nn.Parameter(gt.ones(3))
...     def forward(self, x):
...         return x * self.scale
>>> [name for name, _ in Affine().named_parameters()]
['scale']
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

from .. import dtypes as dt
from ..autograd import HookHandle, no_grad
from ..creation import as_tensor, empty, tensor
from ..device import Device, device as as_device
from ..tensor import Tensor

__all__ = ["Module", "Parameter"]


class Parameter(Tensor):
    """A tensor that is a module's trainable state: it requires grad by default and a
    ``Module`` attribute holding one registers it as a parameter.

    ``Parameter(data)`` shares memory with a tensor ``data`` (other data is converted with
    ``gt.tensor``); it is always a leaf.

    >>> p = gt.nn.Parameter(gt.zeros(2)); p.requires_grad, p.is_leaf
    (True, True)
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = empty(0)
        elif not isinstance(data, Tensor):
            data = tensor(data)
        self._data, self._device = data._data, data._device
        self._version = data._version_counter()  # one storage: one version counter
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the keys it did not find and did not expect."""

    missing_keys: list
    unexpected_keys: list


def _move(t: Tensor, new: Tensor) -> None:
    """Make ``t`` hold ``new``'s data in place (its identity, hence every reference to it,
    e.g. an optimizer's, stays valid); the gradient follows to the new device/dtype."""
    if new is t:
        return
    t._data, t._device = new._data, new._device
    t._version = None  # a new storage
    if t.grad is not None:
        g = t.grad.to(new.device)
        if g.dtype != new.dtype:
            g = g.astype(new.dtype)
        t.grad = g


class Module:
    """Base class of every layer and model: subclass it, assign parameters and sub-modules
    in ``__init__`` (after ``super().__init__()``), and write ``forward``; calling the module
    calls ``forward``.

    >>> class Net(gt.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = gt.nn.Linear(4, 2)
    ...     def forward(self, x):
    ...         return gt.relu(self.fc(x))
    >>> Net()(gt.ones(3, 4)).shape
    (3, 2)
    """

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_pre_hooks"] = []  # (hook,) per registration (what a handle removes)
        d["_forward_hooks"] = []

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} has no forward(); define "
                                  "forward(self, ...) in the subclass")

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if d.get("_forward_pre_hooks") or d.get("_forward_hooks"):
            return self._call_hooked(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_hooked(self, args: tuple, kwargs: dict):
        for (hook,) in tuple(self._forward_pre_hooks):
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for (hook,) in tuple(self._forward_hooks):
            new = hook(self, args, out)
            if new is not None:
                out = new
        return out

    def register_forward_pre_hook(self, hook: Callable) -> HookHandle:
        """``hook(module, args)`` runs before each ``forward``; a returned value (a tuple, or
        one value) replaces the positional arguments. ``handle.remove()`` takes it off.

        >>> m = gt.nn.Identity(); h = m.register_forward_pre_hook(lambda mod, a: (a[0] * 2,))
        >>> m(gt.ones(1)).tolist()
        [2.0]
        """
        return self._add_hook(self._forward_pre_hooks, hook, "register_forward_pre_hook")

    def register_forward_hook(self, hook: Callable) -> HookHandle:
        """``hook(module, args, output)`` runs after each ``forward`` (e.g. to keep a layer's
        activations); a returned value replaces the output. ``handle.remove()`` takes it off.

        >>> seen = []; m = gt.nn.ReLU()
        >>> h = m.register_forward_hook(lambda mod, a, out: seen.append(out.shape))
        >>> _ = m(gt.ones(2)); h.remove(); _ = m(gt.ones(3)); seen
        [(2,)]
        """
        return self._add_hook(self._forward_hooks, hook, "register_forward_hook")

    def _add_hook(self, hooks: list, hook, fn: str) -> HookHandle:
        if not callable(hook):
            raise TypeError(f"{fn}: the hook must be callable, got {type(hook).__name__}")
        entry = (hook,)
        hooks.append(entry)
        return HookHandle(hooks, entry)

    # -- registration ---------------------------------------------------------------------
    def _registries(self, name: str):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__() is called: "
                                 f"call super().__init__() first in "
                                 f"{type(self).__name__}.__init__")
        d = self.__dict__
        return d["_parameters"], d["_buffers"], d["_modules"]

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Module)):
            params, buffers, modules = self._registries(name)
            own = params if isinstance(value, Parameter) else modules
            for reg in (params, buffers, modules):  # a name lives in one registry only; in
                if reg is not own:                  # its own a replaced value keeps its place
                    reg.pop(name, None)             # (a Sequential's order, state_dict's)
            self.__dict__.pop(name, None)
            self._non_persistent.discard(name)
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
            else:
                self.add_module(name, value)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} as parameter "
                                f"{name!r} of {type(self).__name__} (gt.nn.Parameter or None "
                                f"expected)")
            self._parameters[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign a {type(value).__name__} as child module "
                                f"{name!r} of {type(self).__name__} (Module or None expected)")
            self._modules[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign a {type(value).__name__} as buffer {name!r} "
                                f"of {type(self).__name__} (Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            r = d.get(reg)
            if r is not None and name in r:
                return r[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for reg in ("_parameters", "_buffers", "_modules"):
            r = self.__dict__.get(reg)
            if r is not None and name in r:
                del r[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        extra = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(extra))

    def _check_name(self, name, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name must be non-empty and contain no '.', got {name!r}")
        params, buffers, modules = self._registries(name)
        taken = [r for r, reg in (("parameter", params), ("buffer", buffers),
                                  ("module", modules)) if name in reg and r != what]
        if taken or (name in self.__dict__ and name not in params and name not in buffers
                     and name not in modules):
            kind = f"a {taken[0]}" if taken else "an attribute"
            raise KeyError(f"cannot register {what} {name!r}: {type(self).__name__} already "
                           f"has {kind} of that name")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one, e.g. ``bias=False``).

        >>> m = gt.nn.Module(); m.register_parameter("w", gt.nn.Parameter(gt.ones(2)))
        """
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign a {type(param).__name__} as parameter {name!r} "
                            f"(gt.nn.Parameter or None expected; wrap a tensor with "
                            f"gt.nn.Parameter(t))")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: a tensor that is state but not trained (running statistics). It is
        moved by ``to()`` and saved by ``state_dict()`` unless ``persistent=False``.

        >>> m = gt.nn.Module(); m.register_buffer("count", gt.zeros(()))
        """
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign a {type(tensor).__name__} as buffer {name!r} "
                            f"(Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a child module under ``name`` (as assigning ``self.name = module`` does).

        >>> m = gt.nn.Module(); m.add_module("fc", gt.nn.Linear(2, 2))
        """
        self._check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # -- traversal ------------------------------------------------------------------------
    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for this module and every module below it, each once.

        >>> [n for n, _ in gt.nn.Sequential(gt.nn.Linear(2, 2)).named_modules()]
        ['', '0']
        """
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                           remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        """This module and every module below it, each once.

        >>> len(list(gt.nn.Sequential(gt.nn.Linear(2, 2), gt.nn.ReLU()).modules()))
        3
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for the direct children, each once.

        >>> [n for n, _ in gt.nn.Sequential(gt.nn.ReLU()).named_children()]
        ['0']
        """
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator["Module"]:
        """The direct child modules.

        >>> len(list(gt.nn.Sequential(gt.nn.ReLU(), gt.nn.ReLU()).children()))
        2
        """
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool = True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_prefix, m in mods:
            for name, v in m.__dict__[registry].items():
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                seen.add(id(v))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by several modules comes once,
        under its first name.

        >>> [n for n, _ in gt.nn.Linear(2, 3).named_parameters()]
        ['weight', 'bias']
        """
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter of this module and its sub-modules, each once (what an optimizer
        takes).

        >>> sum(p.numel() for p in gt.nn.Linear(2, 3).parameters())
        9
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    @property
    def trainable_variables(self) -> list:
        """TensorFlow's name: the parameters that require grad, in ``parameters()`` order
        (what ``GradientTape.gradient`` and ``Optimizer.apply_gradients`` take).

        >>> len(gt.nn.Linear(2, 3).trainable_variables)
        2
        """
        return [p for p in self.parameters() if p.requires_grad]

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs.

        >>> [n for n, _ in gt.nn.BatchNorm1d(2).named_buffers()]
        ['running_mean', 'running_var', 'num_batches_tracked']
        """
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module and its sub-modules.

        >>> len(list(gt.nn.BatchNorm1d(2).buffers()))
        3
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[["Module"], Any]) -> "Module":
        """Call ``fn`` on every sub-module (children first) and on this module; returns self.

        >>> gt.nn.Sequential(gt.nn.Linear(2, 2)).apply(lambda m: None).__class__.__name__
        'Sequential'
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- modes and gradients --------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode=True``) or evaluation mode on every module; returns self.
        It changes what Dropout and BatchNorm do.

        >>> gt.nn.Dropout(0.5).train(False).training
        False
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode (``train(False)``); returns self.

        >>> gt.nn.Dropout().eval().training
        False
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Turn gradient tracking of every parameter on or off (freezing); returns self.

        >>> gt.nn.Linear(2, 2).requires_grad_(False).weight.requires_grad
        False
        """
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of every parameter: set ``.grad`` to None (default) or fill it
        with zeros in place.

        >>> m = gt.nn.Linear(2, 1); m(gt.ones(1, 2)).sum().backward(); m.zero_grad()
        >>> m.weight.grad is None
        True
        """
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    p.grad.zero_()

    # -- devices and dtypes ---------------------------------------------------------------
    def _convert(self, fn: Callable[[Tensor], Tensor]) -> "Module":
        """Replace the data of every parameter and buffer by ``fn(data)`` in place
        (Parameters keep their identity, so optimizers built on them stay valid)."""
        with no_grad():
            for m in self.modules():
                for t in list(m._parameters.values()) + list(m._buffers.values()):
                    if t is not None:
                        _move(t, fn(t))
                m._converted(fn)
        return self

    def _converted(self, fn: Callable[[Tensor], Tensor]) -> None:
        """Hook for modules that keep device/dtype state of their own (lazy layers)."""

    def to(self, *args, **kwargs) -> "Module":
        """Move parameters and buffers to a device and/or convert the floating-point ones to
        a float dtype, in place; returns self. Takes what ``Tensor.to`` takes.

        >>> gt.nn.Linear(2, 2).to("cpu").to(gt.float64).weight.dtype
        dtype('float64')
        """
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, Device) or (isinstance(a, str) and not _is_dtype(a)):
                device = a
            elif a is not None:
                dtype = a
        if device is not None:
            device = as_device(device)
        if dtype is not None:
            dtype = dt.as_dtype(dtype, "to")
            if dtype.kind != "f":
                raise TypeError(f"Module.to: only float dtypes are accepted (parameters and "
                                f"buffers are converted to it), got {dtype}")

        def fn(t: Tensor) -> Tensor:
            if device is not None:
                t = t.to(device)
            if dtype is not None and t.dtype.kind == "f" and t.dtype != dtype:
                t = t.astype(dtype)
            return t

        return self._convert(fn)

    def cpu(self) -> "Module":
        """Move every parameter and buffer to the CPU; returns self.

        >>> gt.nn.Linear(2, 2).cpu().weight.device
        device(type='cpu')
        """
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> "Module":
        """Move every parameter and buffer to a CUDA device; returns self."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        return self.to(device)

    def double(self) -> "Module":
        """Float parameters and buffers as float64 (e.g. for ``gt.autograd.gradcheck``).

        >>> gt.nn.Linear(2, 2).double().weight.dtype
        dtype('float64')
        """
        return self.to(dt.float64)

    def float(self) -> "Module":
        """Float parameters and buffers as float32."""
        return self.to(dt.float32)

    def half(self) -> "Module":
        """Float parameters and buffers as float16."""
        return self.to(dt.float16)

    # -- state ----------------------------------------------------------------------------
    def state_dict(self, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """An ordered dict of dotted name -> tensor of every parameter and persistent buffer,
        under every name it has (a module used twice appears under both paths, as in
        PyTorch). The tensors share memory with the module (detached unless ``keep_vars``).

        >>> list(gt.nn.Linear(2, 3).state_dict())
        ['weight', 'bias']
        """
        out = OrderedDict() if destination is None else destination
        # every path to a module shared by several parents gets its tensors, as PyTorch
        # writes them (checkpoints load both ways)
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip("."),
                                                remove_duplicate=False):
            dot = f"{mod_prefix}." if mod_prefix else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[dot + name] = p if keep_vars else p.detach()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[dot + name] = b if keep_vars else b.detach()
        return out

    def _prepare_load(self, prefix: str, state_dict: dict) -> None:
        """Hook run before ``load_state_dict`` compares keys (lazy layers build here)."""

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> _IncompatibleKeys:
        """Copy ``state_dict``'s tensors (or arrays) into the parameters and buffers in place.

        With ``strict=True`` the keys must match ``self.state_dict()`` exactly; any missing
        or unexpected key raises ``RuntimeError`` naming every one. A shape mismatch always
        raises, naming the key and both shapes. Nothing is changed when it raises. Values are
        moved to each parameter's device and cast to its dtype. Returns
        ``(missing_keys, unexpected_keys)``.

        >>> a, b = gt.nn.Linear(2, 2), gt.nn.Linear(2, 2)
        >>> b.load_state_dict(a.state_dict())
        _IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"load_state_dict: expected a dict of name -> tensor, got "
                            f"{type(state_dict).__name__}")
        for mod_prefix, m in self.named_modules():
            m._prepare_load(f"{mod_prefix}." if mod_prefix else "", state_dict)
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors, values = [], {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if shape != target.shape:
                errors.append(f"size mismatch for {key!r}: the checkpoint has shape {shape}, "
                              f"the model's parameter has shape {target.shape}")
                continue
            values[key] = value
        if strict:
            if missing:
                errors.insert(0, "missing key(s): " + ", ".join(repr(k) for k in missing))
            if unexpected:
                errors.insert(1 if missing else 0,
                              "unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        if errors:
            raise RuntimeError(f"error(s) loading state_dict into {type(self).__name__}:\n  "
                               + "\n  ".join(errors))
        converted = {}
        for key, value in values.items():  # convert everything before changing anything
            target = own[key]
            if not isinstance(value, Tensor):
                try:
                    value = as_tensor(value)
                except (TypeError, ValueError) as e:
                    raise TypeError(f"load_state_dict: value for {key!r} is not a tensor or "
                                    f"array: {e}") from None
            with no_grad():
                value = value.detach().to(target.device)
                if value.dtype != target.dtype:
                    value = value.astype(target.dtype)
            converted[key] = value
        with no_grad():
            for key, value in converted.items():
                own[key].copy_(value)
        return _IncompatibleKeys(missing, unexpected)

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (its settings)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        extra = self.extra_repr()
        if extra:
            lines.extend(extra.split("\n"))
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _is_dtype(s: str) -> bool:
    try:
        np.dtype(s)
        return True
    except TypeError:
        return False
