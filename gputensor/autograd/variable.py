"""``Variable``: TensorFlow's mutable, named model state, as a ``Tensor`` subclass.

A Variable is a tensor (ops, operators, ``np.asarray`` and every function that takes a tensor
accept it; what they return is a plain ``Tensor``) that keeps its identity while its value
changes through ``assign`` / ``assign_add`` / ``assign_sub``. A trainable float Variable
requires grad, so both ``GradientTape`` (which watches it when an op uses it) and
``backward()``/``.grad`` see it.

Its repr follows TensorFlow's:
``<gt.Variable 'w' shape=(2,) dtype=float32, device='cpu', numpy=array([1., 2.], dtype=float32)>``.
"""

from __future__ import annotations

import numpy as np

from ..creation import tensor
from ..tensor import Tensor


class Variable(Tensor):
    """A named tensor whose value is updated in place (model weights, counters).

    initial_value: anything ``gt.tensor`` takes (copied), or a callable returning it.
    trainable: float Variables then require grad (integer and bool ones never do).
    name: a label (default ``'Variable'``). dtype, device: as for ``gt.tensor``.

    >>> v = gt.Variable([1.0, 2.0], name='w')
    >>> v.assign_add([1.0, 1.0])
    <gt.Variable 'w' shape=(2,) dtype=float32, device='cpu', numpy=array([2., 3.], dtype=float32)>
    >>> (v * 2).__class__.__name__
    'Tensor'
    """

    __slots__ = ()

    def __init__(self, initial_value=None, trainable: bool = True, name: str | None = None,
                 dtype=None, device=None):
        if initial_value is None:
            raise ValueError("Variable: an initial_value is required")
        if callable(initial_value) and not isinstance(initial_value, Tensor):
            initial_value = initial_value()
        if isinstance(initial_value, Tensor):
            initial_value = initial_value.detach()
        t = tensor(initial_value, dtype=dtype, device=device)
        self._data, self._device = t._data, t._device
        self._trainable = bool(trainable)
        self.name = "Variable" if name is None else str(name)
        if self._trainable and t._data.dtype.kind == "f":
            self._requires_grad = True

    @property
    def trainable(self) -> bool:
        """Whether gradients are computed for this Variable (it requires grad)."""
        return self._trainable

    # -- reading ----------------------------------------------------------------------------
    def value(self) -> Tensor:
        """The current value as a new plain tensor (a copy, differentiable w.r.t. the
        Variable)."""
        from ..ops.movement import clone

        return clone(self)

    read_value = value

    # -- writing ----------------------------------------------------------------------------
    def assign(self, value, read_value: bool = True) -> "Variable":
        """Set the value in place (same shape; same-kind dtype casts); returns the Variable.

        >>> v = gt.Variable([1.0, 2.0]); v.assign([5.0, 6.0]).tolist()
        [5.0, 6.0]
        """
        arr = self._checked(value, "assign")
        self._data[...] = arr
        return self._bumped()

    def assign_add(self, delta, read_value: bool = True) -> "Variable":
        """Add ``delta`` (same shape) in place; returns the Variable."""
        arr = self._checked(delta, "assign_add")
        xp = self._device.backend.xp
        xp.add(self._data, arr, out=self._data, casting="unsafe")
        return self._bumped()

    def assign_sub(self, delta, read_value: bool = True) -> "Variable":
        """Subtract ``delta`` (same shape) in place; returns the Variable."""
        arr = self._checked(delta, "assign_sub")
        xp = self._device.backend.xp
        xp.subtract(self._data, arr, out=self._data, casting="unsafe")
        return self._bumped()

    def _checked(self, value, op: str):
        """``value`` as an array (or Python scalar) of this Variable's shape; nothing is
        written when this raises."""
        from ..ops.inplace import _value_array

        if isinstance(value, Tensor) and value._requires_grad:
            value = value.detach()
        arr = _value_array(self, value, f"Variable.{op}")
        shape = tuple(getattr(arr, "shape", ()))
        if shape != self.shape:
            raise ValueError(f"Variable.{op}: cannot assign a value of shape {shape} to the "
                             f"Variable {self.name!r} of shape {self.shape}; shapes must be "
                             "equal")
        return arr

    def _bumped(self) -> "Variable":
        self._version_counter()[0] += 1  # saved copies of the old value now refuse backward
        return self

    # -- printing ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        arr = self._host()
        return (f"<gt.Variable '{self.name}' shape={self.shape} dtype={self.dtype}, "
                f"device='{self._device}', numpy={np.array_repr(arr)}>")

    __str__ = __repr__
