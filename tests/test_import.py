"""``import gputensor``: never imports CuPy, and costs little on top of NumPy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_import_does_not_import_cupy():
    out = _python(
        "import sys\n"
        "import gputensor as gt\n"
        "print('cupy' in sys.modules, any(m.startswith('cupy') for m in sys.modules),"
        " 'torch' in sys.modules)\n"
        "gt.tensor([1.0, 2.0]) * 2; gt.zeros(3); gt.rand(2); gt.device('cuda')\n"
        "print('cupy' in sys.modules)\n")
    assert out.splitlines() == ["False False False", "False"], out


def test_import_with_a_cupy_that_fails_to_load(tmp_path):
    # a broken CuPy install (e.g. missing CUDA libraries) is not an error until CUDA is used
    (tmp_path / "cupy").mkdir()
    (tmp_path / "cupy" / "__init__.py").write_text("raise ImportError('libcudart.so: cannot "
                                                   "open shared object file')\n")
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT), os.environ.get("PYTHONPATH",
                                                                                   "")])}
    code = ("import gputensor as gt\n"
            "print(gt.cuda.is_available(), gt.cuda.device_count(), gt.ones(2).tolist())\n"
            "try:\n    gt.zeros(1, device='cuda')\n"
            "except RuntimeError as e:\n    print('RuntimeError', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "False 0 [1.0, 1.0]"
    assert lines[1].startswith("RuntimeError no CUDA device is available") and "cuda12" in lines[1]


def test_import_time_on_top_of_numpy():
    timer = ("import time; t0 = time.perf_counter(); import {mods}; "
             "print(time.perf_counter() - t0)")
    numpy_only = min(float(_python(timer.format(mods="numpy"))) for _ in range(3))
    both = min(float(_python(timer.format(mods="numpy, gputensor"))) for _ in range(3))
    extra = both - numpy_only
    print(f"\nimport gputensor costs {extra * 1e3:.1f} ms on top of numpy "
          f"({numpy_only * 1e3:.1f} ms); target < 50 ms, measured by the benchmarks")
    assert extra < 1.0
