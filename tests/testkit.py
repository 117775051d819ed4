"""Small helpers several test files share: the runner of the docstring examples, autograd
leaves with their NumPy views, and a custom Function more than one file exercises."""

from __future__ import annotations

import doctest
import inspect
from collections.abc import Callable

import numpy as np

import gputensor as gt
from gputensor.autograd import Function

# the names every docstring example may use without importing them
DOCTEST_GLOBALS = {"gt": gt, "np": np}


def run_docstring_examples(*objects, globs: dict | None = None, module_globals: bool = False,
                           reset: Callable[[], None] | None = None) -> doctest.TestResults:
    """Run the ``>>>`` examples in the docstrings of ``objects`` (modules, classes, functions)
    and fail naming every docstring whose examples went wrong, with doctest's report of each.

    The one runner behind each package's ``test_docstring_examples``, so that the examples in
    the documentation stay true. An example sees ``gt``, ``np`` and ``globs``; with
    ``module_globals`` also the names of the module it is in (those three win: ``gputensor.gt``
    is the comparison op). ``reset`` runs after each docstring, for examples that change
    process-wide state such as the default dtype or device. Returns (failed, attempted).
    """
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    names = {**DOCTEST_GLOBALS, **(globs or {})}
    failed, attempted, reports = 0, 0, []
    for obj in objects:
        base = vars(inspect.getmodule(obj)) if module_globals else {}
        for test in finder.find(obj, globs={**base, **names}):
            report: list[str] = []
            try:
                result = runner.run(test, out=report.append)
            finally:
                if reset is not None:
                    reset()
            failed, attempted = failed + result.failed, attempted + result.attempted
            if result.failed:
                reports.append(f"-- {test.name}:\n{''.join(report)}")
    assert failed == 0, (f"{failed} of {attempted} docstring example(s) are wrong, in "
                         f"{len(reports)} docstring(s):\n" + "\n".join(reports))
    return doctest.TestResults(failed, attempted)


# -- autograd leaves ----------------------------------------------------------------------------
def host(t):
    """A tensor's values as a NumPy array (copied to the host from any device)."""
    return t.cpu().numpy()


def leaf(a, device, dtype="float64"):
    """A fresh leaf that requires grad, from array-like data converted to ``dtype`` by NumPy."""
    return gt.tensor(np.asarray(a, dtype=dtype), device=device, requires_grad=True)


def rng(seed=0):
    """A seeded NumPy generator, so every test draws the same data."""
    return np.random.default_rng(seed)


# -- custom Functions ---------------------------------------------------------------------------
class ExpFn(Function):
    """Saves its output (no cycle: the ctx keeps the array, not the linked tensor)."""

    @staticmethod
    def forward(ctx, x):
        y = gt.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y
