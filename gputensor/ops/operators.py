"""Python operators on tensors: each dunder is one call into a public op.

``install`` attaches these and every ``ops.METHODS`` entry to ``Tensor`` once, at import.
The forward dunders *are* the public functions (``Tensor.__add__ is gt.add``), so ``a + b``
takes ``binary_caller``'s fast path; reflected forms swap the operands; augmented forms
(``a += b``) compute the op and write the result into ``a``'s storage with
``inplace.inplace_op`` (visible through views, version counter bumped; ``int += float`` raises
``TypeError`` as in PyTorch; under autograd ``a`` is re-linked to the op's node, see
``ops.inplace``). ``&``, ``|``, ``^`` and ``~`` are logical on bools and bitwise
on integers (they are the ``bitwise_*`` ops, which NumPy defines that way for bools).
"""

from __future__ import annotations

from . import METHODS
from . import elementwise as ew
from . import inplace
from .movement import getitem


def _matmul(a, b):
    """``a @ b`` through ``gputensor.ops.linalg.matmul`` (``install`` binds it: linalg
    imports after this module)."""
    return _MATMUL[0](a, b)


_MATMUL: list = []


_matmul.__name__ = "matmul"


def _binary(stem, fn):
    forward = fn  # fn(a, b) called as a method: a is self
    name = f"__i{stem}__"

    def reflected(self, other):
        return fn(other, self)

    saves = inplace._saves_self(fn)

    def augmented(self, other):
        return inplace.inplace_op(self, fn, name, (other,), saves_self=saves)

    reflected.__name__, augmented.__name__ = f"__r{stem}__", name
    return forward, reflected, augmented


# dunder stem -> public op; the a, __ra__ and __ia__ forms are made from each
BINARY = {
    "add": ew.add,
    "sub": ew.subtract,
    "mul": ew.multiply,
    "truediv": ew.divide,
    "floordiv": ew.floor_divide,
    "mod": ew.remainder,
    "pow": ew.pow,
    "matmul": _matmul,
    "and": ew.bitwise_and,
    "or": ew.bitwise_or,
    "xor": ew.bitwise_xor,
    "lshift": ew.left_shift,
    "rshift": ew.right_shift,
}
# comparisons have no reflected forms: Python itself turns ``2 < t`` into ``t > 2``
COMPARE = {
    "lt": ew.less,
    "le": ew.less_equal,
    "gt": ew.greater,
    "ge": ew.greater_equal,
}
UNARY = {
    "neg": ew.negative,
    "pos": ew.positive,
    "abs": ew.abs,
    "invert": ew.bitwise_not,
}


def _not_comparable(other) -> bool:
    return other is None or isinstance(other, (str, bytes))


def __eq__(self, other):
    """``t == other`` elementwise, a bool tensor; ``t == None`` is False (identity)."""
    if _not_comparable(other):
        return NotImplemented
    return ew.equal(self, other)


def __ne__(self, other):
    """``t != other`` elementwise, a bool tensor; ``t != None`` is True (identity)."""
    if _not_comparable(other):
        return NotImplemented
    return ew.not_equal(self, other)


def __divmod__(self, other):
    """``divmod(t, other)``: ``(t // other, t % other)``."""
    return ew.floor_divide(self, other), ew.remainder(self, other)


def __rdivmod__(self, other):
    return ew.floor_divide(other, self), ew.remainder(other, self)


def __round__(self, ndigits=None):
    """``round(t)`` / ``round(t, n)``: a tensor rounded half to even (as NumPy arrays)."""
    return ew.round(self, 0 if ndigits is None else ndigits)


def install(cls) -> None:
    """Attach public ops as methods and Python operators to ``cls`` (the Tensor class)."""
    from . import linalg

    _MATMUL[:] = [linalg.matmul]
    for name, fn in METHODS.items():
        if name not in cls.__dict__:
            setattr(cls, name, fn)
    binary = dict(BINARY)
    if getattr(linalg, "matmul", None) is not None:
        binary["matmul"] = linalg.matmul  # bound directly once it exists
    for stem, fn in binary.items():
        fwd, ref, aug = _binary(stem, fn)
        setattr(cls, f"__{stem}__", fwd)
        setattr(cls, f"__r{stem}__", ref)
        setattr(cls, f"__i{stem}__", aug)
    for stem, fn in COMPARE.items():
        setattr(cls, f"__{stem}__", fn)
    for stem, fn in UNARY.items():
        setattr(cls, f"__{stem}__", fn)
    for fn in (__eq__, __ne__, __divmod__, __rdivmod__, __round__):
        setattr(cls, fn.__name__, fn)
    cls.__hash__ = object.__hash__  # defining __eq__ must not make tensors unhashable
    cls.__getitem__ = getitem
    cls.__setitem__ = inplace.setitem
