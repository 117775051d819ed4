"""Python operators on tensors: each dunder is one call into a public op.

``install`` attaches these and every ``ops.METHODS`` entry to ``Tensor`` once, at import.
"""

from __future__ import annotations

from . import METHODS
from . import elementwise as ew
from . import inplace
from .movement import getitem


def _binary(fn):
    forward = fn  # fn(a, b) called as a method: a is self

    def reflected(self, other):
        return fn(other, self)

    def augmented(self, other):
        return inplace.update(self, fn(self, other), f"__i{fn.__name__}__")

    return forward, reflected, augmented


# dunder stem -> public op; a, __ra__ and __ia__ forms are made from each
BINARY = {
    "add": ew.add,
    "sub": ew.subtract,
    "mul": ew.multiply,
    "truediv": ew.divide,
}
UNARY = {}


def install(cls) -> None:
    """Attach public ops as methods and Python operators to ``cls`` (the Tensor class)."""
    for name, fn in METHODS.items():
        if name not in cls.__dict__:
            setattr(cls, name, fn)
    for stem, fn in BINARY.items():
        fwd, ref, aug = _binary(fn)
        setattr(cls, f"__{stem}__", fwd)
        setattr(cls, f"__r{stem}__", ref)
        setattr(cls, f"__i{stem}__", aug)
    for stem, fn in UNARY.items():
        setattr(cls, f"__{stem}__", fn)
    cls.__getitem__ = getitem
    cls.__setitem__ = inplace.setitem
