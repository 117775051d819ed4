"""Neural-network building blocks; ``gt.nn.functional`` holds the stateless functions."""

from . import functional  # noqa: F401
