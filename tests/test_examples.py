"""Smoke tests of examples/: each runs as ``python examples/NAME.py`` (in a subprocess, from a
temporary directory, against this checkout) and shows what it says it shows. The digits
tests are the acceptance checks of the issue: >= 95% test accuracy, seeded, both styles."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run_example(name: str, *args: str, cwd: Path, timeout: float = 120) -> str:
    """Run ``python examples/NAME.py ARGS`` in ``cwd``; returns its stdout (fails on rc != 0)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    # the examples' matrices are small: BLAS worker threads only cost time (up to ~6x on a
    # busy 2-core machine), so one thread unless the environment says otherwise
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    r = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], cwd=cwd,
                       capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, f"{name} failed (rc {r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout


def load_example(name: str):
    """Import examples/NAME.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_has_a_test():
    names = {p.stem for p in EXAMPLES.glob("*.py")}
    tested = {"perceptron", "xor_mlp", "digits_keras", "digits_torch_style", "digits_cnn"}
    assert names == tested


def test_perceptron_and_or_converge_xor_never_does(capsys):
    res = load_example("perceptron").main(quick=True)
    out = capsys.readouterr().out
    for gate in ("AND", "OR"):
        r = res[gate]
        assert r["converged"] and r["errors"][-1] == 0 and r["accuracy"] == 1.0, r
        w1, w2 = r["w"]
        # the learned line separates the gate: check it by hand
        want = [0, 0, 0, 1] if gate == "AND" else [0, 1, 1, 1]
        got = [int(w1 * a + w2 * b + r["b"] > 0) for a, b in [(0, 0), (0, 1), (1, 0), (1, 1)]]
        assert got == want
        assert f"{gate}: converged" in out
    xor = res["XOR"]
    assert len(xor["errors"]) == 25  # quick: 25 epochs, all of them used
    assert min(xor["errors"]) >= 1 and not xor["converged"] and xor["accuracy"] < 1.0
    assert "No such line exists" in out


def test_perceptron_script(tmp_path):
    out = run_example("perceptron", "--epochs", "50", cwd=tmp_path)
    assert "AND: converged" in out and "OR: converged" in out
    assert "XOR: after 50 epochs the perceptron still makes mistakes" in out
    assert "1 1 -> 1  (target 1)" in out  # AND's truth table


def test_xor_mlp_learns_xor_and_saves_png_in_cwd(tmp_path):
    pytest.importorskip("matplotlib")
    out = run_example("xor_mlp", cwd=tmp_path)
    assert "XOR learned: all four inputs right." in out
    png = tmp_path / "xor_loss.png"  # the default: the current directory, not the repo
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"loss curve saved to {png.name}" in out
    assert not (EXAMPLES / "xor_loss.png").exists()


def test_xor_mlp_loss_goes_down_and_out_path(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "sub" / "curve.png"
    target.parent.mkdir()
    res = load_example("xor_mlp").main(out=target, quick=True)
    assert res["solved"] and res["predictions"] == [0, 1, 1, 0]
    losses = res["losses"]
    assert len(losses) == 1000 and losses[-1] < 0.05 < losses[0]
    assert res["plot"] == target and target.read_bytes()[:4] == b"\x89PNG"


def test_xor_mlp_without_matplotlib_says_what_to_install(tmp_path, capsys, monkeypatch):
    module = load_example("xor_mlp")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert module.save_loss_curve([1.0, 0.5], tmp_path / "x.png") is None
    out = capsys.readouterr().out
    assert "matplotlib is not installed" in out and "pip install 'gputensor[plot]'" in out
    assert not (tmp_path / "x.png").exists()


def _accuracy(out: str) -> float:
    m = re.search(r"^test accuracy: ([0-9.]+)$", out, re.M)
    assert m, out
    return float(m.group(1))


def test_digits_keras_style_reaches_95_percent(tmp_path):
    pytest.importorskip("sklearn")
    out = run_example("digits_keras", "--verbose", "0", cwd=tmp_path)
    assert _accuracy(out) >= 0.95, out


def test_digits_torch_style_reaches_95_percent(tmp_path):
    pytest.importorskip("sklearn")
    out = run_example("digits_torch_style", cwd=tmp_path)
    assert _accuracy(out) >= 0.95, out


def test_digits_cnn_learns(tmp_path):
    pytest.importorskip("sklearn")
    out = run_example("digits_cnn", cwd=tmp_path)
    assert _accuracy(out) >= 0.95, out


def test_train_step_benchmark_peers_agree():
    """benchmarks/train_step.py times like with like: one step of every peer from the same
    parameters gives the hand-written NumPy step's loss and updated weights."""
    try:  # installed: the benchmarks ship inside the wheel
        from gputensor.benchmarks import train_step
    except ImportError:  # a source checkout: the top-level benchmarks/ folder
        sys.path.insert(0, str(ROOT))
        from benchmarks import train_step
    for dtype in (np.float32, np.float64):
        losses = train_step.check_agreement(dtype)
        assert "numpy (hand-written)" in losses and len(losses) >= 2


def test_readme_tour_runs_and_prints_what_it_says(tmp_path):
    """The README's short tour, run as written: every ``print`` gives its ``# comment``."""
    pytest.importorskip("sklearn")
    text = (ROOT / "README.md").read_text()
    start = text.index("```python", text.index("## A short tour")) + len("```python")
    code = text[start:text.index("```", start)]
    script = tmp_path / "tour.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    printed = " ".join(r.stdout.split())
    for line in code.splitlines():
        m = re.match(r"print\(.*\)\s+# (.*)$", line.strip())
        if m:
            assert " ".join(m.group(1).split()) in printed, m.group(1)
