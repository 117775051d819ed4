"""The interface every backend implements."""

from __future__ import annotations

import contextlib
import functools

import numpy as np


class Backend:
    """Owns an array module (``xp``) for one device, plus transfers and random state.

    Subclasses set ``xp``, ``device`` and ``name``, and implement the transfer hooks.
    """

    xp = np
    device = None
    name = "abstract"
    ctx = None  # a context manager making the device current, or None when not needed
    # whether ops' fast paths hand float Python scalars to the forward as cached 0-d arrays
    # (``ops._weak``): NumPy ufuncs take those in half the time
    scalars_as_arrays = False

    def __init__(self):
        self._impls = {}

    # -- ops ------------------------------------------------------------------------------
    def impl(self, op):
        """The callable that runs ``op`` here: ``impl(*arrays, **attrs)`` (cached per op)."""
        f = self._impls.get(op)
        if f is None:
            f = self._impls[op] = self.resolve(op)
        return f

    def fast_impl(self, op):
        """``impl(op)`` for callers that do not make the device current themselves (the
        dispatcher's fast paths): the impl itself where no context is needed, else the impl
        run inside ``ctx`` (CUDA: the arrays' GPU made current)."""
        ctx, impl = self.ctx, self.impl(op)
        if ctx is None:
            return impl

        def current(*args, **attrs):
            with ctx:
                return impl(*args, **attrs)

        return current

    def resolve(self, op):
        """Build the callable for ``op``: its array-module forward bound to ``xp``.

        A ``fwd`` given as a string names the array-module function itself (``'add'``).
        Backends with custom kernels override this to return them where they exist.
        """
        if isinstance(op.fwd, str):
            return getattr(self.xp, op.fwd)
        return functools.partial(op.fwd, self.xp)

    # -- arrays -------------------------------------------------------------------------
    def ones(self, shape: tuple, dtype):
        """An array of ones (every backward starts from one): ``xp.ones`` by default."""
        return self.xp.ones(shape, dtype=dtype)

    def asarray(self, data, dtype=None):
        """An array of this backend holding ``data`` (copied only when needed)."""
        raise NotImplementedError

    def to_numpy(self, arr) -> np.ndarray:
        """A host NumPy array with the values of ``arr``."""
        raise NotImplementedError

    def receive(self, arr, src: "Backend"):
        """This backend's array with the values of ``arr``, an array of backend ``src``
        (the transfer between devices; ``arr`` itself when nothing needs to move)."""
        raise NotImplementedError

    def from_dlpack(self, obj):
        """An array of this backend sharing memory with a DLPack producer."""
        return self.xp.from_dlpack(obj)

    def context(self):
        """A context manager that makes this backend's device current."""
        return self.ctx if self.ctx is not None else contextlib.nullcontext()

    def synchronize(self) -> None:
        """Wait for queued work to finish (no-op on the CPU)."""

    # -- random ---------------------------------------------------------------------------
    def new_generator(self, seed):
        """A fresh random generator of this backend's array module seeded with ``seed``."""
        raise NotImplementedError

    # -- facts ----------------------------------------------------------------------------
    def describe(self) -> dict:
        """Name, library versions and device facts, for ``gputensor-bench`` and bug reports."""
        return {"device": str(self.device), "backend": self.name}
