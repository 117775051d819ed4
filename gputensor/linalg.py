"""``gt.linalg``: placeholder, filled in by the operations work (inv, det, solve, norm)."""

__all__: list[str] = []
