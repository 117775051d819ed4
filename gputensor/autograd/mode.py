"""Grad mode: whether ops record the graph (thread-local; on by default)."""

from __future__ import annotations

import functools
import inspect
import threading

import numpy as np

from ..creation import as_tensor


class _Local(threading.local):
    """Per-thread autodiff state: grad mode and the GradientTapes recording in this thread."""

    enabled = True
    tapes = ()

    def __init__(self):
        self.saved_modes = []  # the modes grad-mode blocks restore on exit


_local = _Local()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (thread-local; on by default).

    >>> gt.is_grad_enabled()
    True
    """
    return _local.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode inside and restores it after.

    One instance may be entered several times, nested or from several threads: each entry
    restores the mode that was on before it. Usable bare as a decorator too (``@gt.no_grad``).
    """

    mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or a function, as a bare "
                            f"decorator), got {type(orig_func).__name__}")
        return cls()(orig_func)

    def __enter__(self):
        _local.saved_modes.append(_local.enabled)  # per thread; blocks nest, so a stack
        _local.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _local.enabled = _local.saved_modes.pop()
        return False

    def __call__(self, fn):
        mode = self.mode
        if inspect.isgeneratorfunction(fn):
            return _generator_under(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return _run_under(mode, fn, *args, **kwargs)

        return wrapper


def _run_under(mode: bool, call, *args, **kwargs):
    """``call(*args, **kwargs)`` with grad mode ``mode``, the mode before restored after."""
    prev = _local.enabled
    _local.enabled = mode
    try:
        return call(*args, **kwargs)
    finally:
        _local.enabled = prev


def _generator_under(fn, mode: bool):
    """A decorated generator function: its body runs with grad mode ``mode`` each time it
    is resumed, and the caller's mode is back while it is suspended (as PyTorch)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)  # (a generator function's call runs none of the body)
        try:
            value = _run_under(mode, gen.send, None)
            while True:
                try:
                    sent = yield value
                except GeneratorExit:
                    _run_under(mode, gen.close)
                    raise
                except BaseException as e:  # thrown in by the caller: into the body
                    value = _run_under(mode, gen.throw, e)
                else:
                    value = _run_under(mode, gen.send, sent)
        except StopIteration as stop:
            return stop.value

    return wrapper


class no_grad(_GradMode):
    """Ops inside do not record the graph (inference, optimizer updates).

    >>> x = gt.ones(2, requires_grad=True)
    >>> with gt.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Ops inside record the graph, even within ``no_grad``.

    >>> x = gt.ones(2, requires_grad=True)
    >>> with gt.no_grad(), gt.enable_grad():
    ...     y = x * 2          # recorded
    >>> y.requires_grad
    True
    """

    mode = True


class inference_mode(_GradMode):
    """PyTorch's ``inference_mode``: for code that only evaluates, ops record no graph
    (``mode=False``: they record as usual). gputensor has no separate inference tensors, so
    it is ``no_grad`` under PyTorch's name; a context manager and a decorator.

    >>> x = gt.ones(2, requires_grad=True)
    >>> with gt.inference_mode():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False

    def __new__(cls, mode=True):
        if callable(mode):  # a bare decorator: @gt.inference_mode
            return object.__new__(cls)(mode)
        return object.__new__(cls)

    def __init__(self, mode: bool = True):
        self.mode = not bool(mode)


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: takes effect at once, and as a ``with`` block or a
    decorator it is undone at the end.

    >>> x = gt.ones(2, requires_grad=True)
    >>> with gt.set_grad_enabled(False):
    ...     y = x * 2          # not recorded
    >>> y.requires_grad
    False
    """

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool, got "
                            f"{type(mode).__name__}")
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        self.thread = threading.get_ident()
        _local.enabled = self.mode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if threading.get_ident() == self.thread:
            _local.enabled = self.prev
        return False

    def __call__(self, fn):
        _local.enabled = self.prev  # used as a decorator: only the decorated calls switch
        return super().__call__(fn)


def stop_gradient(x):
    """TensorFlow's ``stop_gradient``: ``x`` as a constant to autodiff (``Tensor.detach``;
    the memory is shared).

    >>> x = gt.Variable(3.0)
    >>> with gt.GradientTape() as tape:
    ...     y = x * gt.stop_gradient(x)
    >>> tape.gradient(y, x)
    tensor(3., dtype=float32, device='cpu')
    """
    return as_tensor(x).detach()
