"""``OpDef``: everything gputensor knows about one operation, in one row.

A row holds the forward in array-module terms (``fwd(xp, *arrays, **attrs)`` runs on NumPy
and CuPy alike), the dtype policy checked once by the dispatcher, an optional CUDA C
expression for kernels and fusion, the derivative rule (filled in by the autodiff work), and
what the table-driven tests need to exercise it (input domain and example attributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import dtypes as dt


# -- dtype policies: (compute dtype from promoted input dtype, output dtype from compute dtype)
def _same(d: np.dtype) -> np.dtype:
    return d


def _bool(d: np.dtype) -> np.dtype:
    return dt.bool_


def _index(d: np.dtype) -> np.dtype:
    return dt.int64


def _sum_dtype(d: np.dtype) -> np.dtype:
    """Sums and products of bools and integers accumulate in int64, as NumPy and PyTorch."""
    return d if d.kind == "f" else dt.int64


POLICIES: dict[str, tuple[Callable, Callable]] = {
    "same": (_same, _same),          # add, neg, max, reshape...
    "float": (dt.to_float, _same),   # div, sqrt, exp, mean: integers compute as default float
    "bool": (_same, _bool),          # comparisons, isnan
    "index": (_same, _index),        # argmax
    "sum": (_sum_dtype, _same),      # sum, prod, cumsum
    "any": (_same, None),            # the forward decides (cast, one_hot)
}


class Residuals(NamedTuple):
    """What a forward may return to hand its derivative rule intermediate arrays it computed
    anyway (softmax probabilities, say) instead of recomputing them: ``apply`` passes ``out``
    on and, when it records the op, keeps ``kept`` for the rule as ``ctx.residuals`` (None
    when the forward returned a plain result, e.g. a CUDA kernel's)."""

    out: Any
    kept: Any


@dataclass(eq=False)
class OpDef:
    """One operation. See the module docstring; ``ops.apply`` is the only caller of ``fwd``.

    Fields:
      name: public name (NumPy's where it has one).
      fwd: ``fwd(xp, *arrays, **attrs) -> array | tuple``.
      kind: 'elementwise' | 'reduce' | 'movement' | 'index' | 'linalg' | 'composite' | 'join'.
      arity: number of tensor inputs (None: variadic, as ``concat``).
      kinds: accepted input dtype kinds, from 'b' (bool) 'i' 'u' 'f'.
      policy: dtype policy name from POLICIES.
      view: the output shares memory with input 0 (when the array module gives a view).
      promoted: which inputs take part in promotion (``where``'s condition and ``gather``'s
        indices do not); the others pass through unchanged.
      cuda: C expression template over ``{0}``, ``{1}``...; None when there is none.
      vjp / save: derivative rule and what it needs kept (autodiff): "x0", "x1"... (those
        inputs), "x*" (all), "others" (each input only when another one needs a gradient:
        a product's rule reads b for a's gradient and a for b's), "out" (the outputs).
      domain: input values the tests draw: 'any' 'positive' 'unit' 'nonzero' 'int' 'bool'.
      samples: example attribute dicts the table-driven tests call the op with.
      ref: independent NumPy reference for tests (defaults to ``fwd`` on float64 NumPy).
    """

    name: str
    fwd: Callable[..., Any]
    kind: str = "elementwise"
    arity: int | None = 1
    kinds: str = "biuf"
    policy: str = "same"
    view: bool = False
    promoted: slice = field(default_factory=lambda: slice(None))
    cuda: str | None = None
    vjp: Callable[..., Any] | None = None
    save: tuple[str, ...] = ()
    domain: str = "any"
    samples: tuple[dict, ...] = ({},)
    ref: Callable[..., Any] | None = None
    doc: str = ""
    compute_dtype: Callable = field(init=False, repr=False)
    out_dtype: Callable = field(init=False, repr=False)

    def __post_init__(self):
        self.compute_dtype, self.out_dtype = POLICIES[self.policy]
        # apply's fast path may skip the checks only when they depend on dtype alone
        self.fast_ok = self.policy != "any" and self.promoted == slice(None)
        # ``save`` read once for the engine: keep the outputs? which inputs (True: all)?
        self.save_out = "out" in self.save
        self.save_others = "others" in self.save
        self.save_inputs = True if "x*" in self.save or self.save_others else tuple(
            int(s[1:]) for s in self.save if s[0] == "x" and s[1:].isdigit())

    def __repr__(self) -> str:
        return f"OpDef({self.name!r}, kind={self.kind!r})"
