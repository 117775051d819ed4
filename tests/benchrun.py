"""Run a benchmark module as ``python -m`` the way a user would, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_module(module: str, args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """``python -m module *args``: from the checkout when ``module`` is the top-level
    ``benchmarks`` package, else from the installed package (run outside the checkout, since
    ``python -m`` puts the working directory first on sys.path)."""
    env = dict(os.environ)
    if module.split(".")[0] == "benchmarks":
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
        cwd = ROOT
    else:
        cwd = tmp_path
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          text=True, env=env, cwd=str(cwd), timeout=300)
