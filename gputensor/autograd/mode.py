"""Grad mode: whether ops record the graph (thread-local; on by default)."""

from __future__ import annotations

import functools
import threading

class _Local(threading.local):
    """Per-thread autodiff state: grad mode and the GradientTapes recording in this thread."""

    enabled = True
    tapes = ()


_local = _Local()


def is_grad_enabled() -> bool:
    """Whether ops currently record the graph (thread-local; on by default).

    >>> gt.is_grad_enabled()
    True
    """
    return _local.enabled


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
