"""The wheel: it holds the library, the kernel sources and the benchmarks, declares the
``gputensor-bench`` command and the extras, and imports from outside the source tree."""

from __future__ import annotations

import email.parser
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["setup.py", "pyproject.toml", "README.md", "gputensor", "kernels", "benchmarks"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the sources, so the checkout gets no build/ folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                          "--no-build-isolation", "-q", str(src), "-w", str(tmp / "dist")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    wheels = list((tmp / "dist").glob("gputensor-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def _dist_info(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as z:
        (path,) = [n for n in z.namelist() if n.endswith(".dist-info/" + name)]
        return z.read(path).decode()


def test_wheel_holds_kernels_and_benchmarks(wheel):
    names = _names(wheel)
    for need in ["gputensor/__init__.py", "gputensor/kernels/__init__.py",
                 "gputensor/kernels/common.cuh", "gputensor/benchmarks/__init__.py",
                 "gputensor/benchmarks/cli.py", "gputensor/benchmarks/timing.py",
                 "gputensor/benchmarks/__main__.py"]:
        assert need in names, f"{need} is missing from the wheel"


def test_wheel_holds_every_source_file(wheel):
    """Every module and kernel source of the checkout ships (a new subpackage missing from
    setup.py's package list would fail here)."""
    names = _names(wheel)
    expected = set()
    for folder, prefix in [("gputensor", "gputensor"), ("kernels", "gputensor/kernels"),
                           ("benchmarks", "gputensor/benchmarks")]:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".cu", ".cuh", ".h"} and "__pycache__" not in path.parts:
                expected.add(f"{prefix}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - names)
    assert not missing, f"not in the wheel: {missing}"
    assert not any(n.startswith(("tests/", "kernels/", "benchmarks/")) for n in names)


def test_entry_point_and_metadata(wheel):
    entry = _dist_info(wheel, "entry_points.txt")
    assert "[console_scripts]" in entry
    assert "gputensor-bench = gputensor.benchmarks.cli:main" in entry
    meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert meta["Requires-Python"] == ">=3.10"
    requires = meta.get_all("Requires-Dist")
    plain = [r for r in requires if "extra ==" not in r]
    # the required dependencies stay minimal: numpy, and tqdm for training progress bars
    assert sorted(r.split(">")[0].split("=")[0] for r in plain) == ["numpy", "tqdm"], plain
    extras = set(meta.get_all("Provides-Extra"))
    assert {"cuda12", "cuda13", "test", "plot"} <= extras
    text = " ".join(requires)
    assert "cupy-cuda12x" in text and "cupy-cuda13x" in text and "pytest" in text
    assert "hypothesis" in text and "matplotlib" in text


def test_unpacked_wheel_imports_outside_the_checkout(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    code = (
        "import json, sys\n"
        "import gputensor, gputensor.kernels as k, gputensor.benchmarks.cli as cli\n"
        "assert gputensor.__file__.startswith(sys.argv[1]), gputensor.__file__\n"
        "assert (k.kernel_dir() / 'common.cuh').is_file()\n"
        "assert 'cupy' not in sys.modules\n"
        "rc = cli.main(['--quick', '--device', 'cpu', '--json', sys.argv[2]])\n"
        "print(rc, json.load(open(sys.argv[2]))['environment']['gputensor'])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    env.pop("GPUTENSOR_KERNEL_DIR", None)
    out = subprocess.run([sys.executable, "-c", code, str(site), str(tmp_path / "r.json")],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "0 " + _version()


def _version() -> str:
    import gputensor

    return gputensor.__version__


def test_installed_command_pins_threads_from_any_working_directory(wheel, tmp_path):
    """``gputensor-bench`` as pip installs it restarts itself to pin the BLAS threads, as the
    same script: a source checkout (here a decoy package) in the working directory is not
    picked up on the way."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    script = tmp_path / "bin" / "gputensor-bench"
    script.parent.mkdir()
    script.write_text("import sys\nfrom gputensor.benchmarks.cli import main\n"
                      "sys.exit(main())\n")  # what pip's console-script wrapper does
    decoy = tmp_path / "work" / "gputensor"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("raise ImportError('the decoy checkout was imported')\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                        "MKL_NUM_THREADS")}
    env["PYTHONPATH"] = str(site)
    out_json = tmp_path / "r.json"
    out = subprocess.run([sys.executable, str(script), "--quick", "--device", "cpu", "--suite",
                          "overhead", "--json", str(out_json)], capture_output=True,
                         text=True, env=env, cwd=str(decoy.parent), timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out_json.read_text())["meta"]["threads"] == 1
