"""Grad mode and the graph record each op leaves behind.

``ops.apply`` calls ``record`` after every op whose inputs require grad while grad mode is
on; the engine that walks these nodes backwards is built on this record.
"""

from __future__ import annotations

import functools
import threading

_local = threading.local()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (thread-local; on by default).

    >>> gt.is_grad_enabled()
    True
    """
    return getattr(_local, "enabled", True)


class _GradMode:
    """Context manager and decorator that sets grad mode inside and restores it after."""

    mode = True

    def __enter__(self):
        self.prev = is_grad_enabled()
        _local.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _local.enabled = self.prev
        return False

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = is_grad_enabled()
            _local.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _local.enabled = prev

        return wrapper


class no_grad(_GradMode):
    """Ops inside do not record the graph (inference, optimizer updates).

    >>> with gt.no_grad():
    ...     y = x * 2
    """

    mode = False


class enable_grad(_GradMode):
    """Ops inside record the graph, even within ``no_grad``.

    >>> with gt.no_grad(), gt.enable_grad():
    ...     y = x * 2          # recorded
    """

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off: takes effect at once, and as a ``with`` block or a
    decorator it is undone at the end.

    >>> with gt.set_grad_enabled(False):
    ...     y = x * 2          # not recorded
    """

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.prev = is_grad_enabled()
        _local.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        _local.enabled = self.prev  # used as a decorator: only the decorated calls switch
        return super().__call__(fn)


class Node:
    """One recorded op application: the op, its inputs, attributes and saved values."""

    __slots__ = ("op", "inputs", "attrs", "saved", "__weakref__")

    def __init__(self, op, inputs, attrs, saved):
        self.op, self.inputs, self.attrs, self.saved = op, inputs, attrs, saved

    def name(self) -> str:
        return f"{self.op.name.capitalize()}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


def record(op, inputs, attrs, arrays, outputs) -> None:
    """Attach a Node to ``outputs`` when some tensor input requires grad."""
    node = Node(op, inputs, attrs, None)
    for out in outputs:
        if out.dtype.kind == "f":
            out._node = node
            out.requires_grad = True
