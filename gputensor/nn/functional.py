"""Placeholder: filled in by the operations work."""

__all__: list[str] = []
