"""CUDA C/C++ kernel sources of the CUDA backend (installed as ``gputensor.kernels``).

The registry describing them (entry points, dtypes, launch, the ops they override, the
checks) is ``gputensor/backends/kernels.py``; conventions are in README.md here.
"""

from __future__ import annotations

import os
from pathlib import Path


def kernel_dir() -> Path:
    """Where the kernel sources are: ``$GPUTENSOR_KERNEL_DIR``, else this package's folder.

    >>> (kernel_dir() / "common.cuh").exists()
    True
    """
    override = os.environ.get("GPUTENSOR_KERNEL_DIR")
    return Path(override) if override else Path(__file__).resolve().parent


def sources() -> list[Path]:
    """Every kernel source file (``*.cu``), sorted by name."""
    return sorted(kernel_dir().glob("*.cu"))


def headers() -> list[Path]:
    """Every header (``*.cuh`` device helpers, ``*.h`` host emulation), sorted by name.

    >>> [p.name for p in headers()][:2]
    ['activations.cuh', 'common.cuh']
    """
    d = kernel_dir()
    return sorted([*d.glob("*.cuh"), *d.glob("*.h")])


def read(name: str) -> str:
    """The text of one kernel source or header, e.g. ``read('common.cuh')``."""
    path = kernel_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"kernel source {name!r} not found in {kernel_dir()}")
    return path.read_text(encoding="utf-8")
