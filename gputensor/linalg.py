"""``gt.linalg``: inverse, determinant, linear solve and norms (NumPy's ``numpy.linalg``).

The functions are those of the op table (``gputensor.ops.linalg`` and ``ops.reduce.norm``);
``matmul``, ``outer``, ``tensordot`` and ``einsum`` are the same objects as ``gt.<name>``.

>>> gt.linalg.det(gt.eye(3)).item()
1.0
"""

from __future__ import annotations

from .ops.linalg import LinAlgError, det, einsum, inv, matmul, outer, solve, tensordot
from .ops.reduce import norm

__all__ = ["inv", "det", "solve", "norm", "matmul", "outer", "tensordot", "einsum",
           "LinAlgError"]
