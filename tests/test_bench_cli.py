"""``gputensor-bench`` (``python -m benchmarks``): environment report, smoke results, JSON."""

from __future__ import annotations

import json

import pytest

import gputensor as gt
from benchrun import run_module

try:  # installed: the benchmarks ship inside the wheel
    from gputensor.benchmarks import cli
    from gputensor.benchmarks.timing import fmt_time, measure
except ImportError:  # a source checkout: the top-level benchmarks/ folder
    from benchmarks import cli
    from benchmarks.timing import fmt_time, measure


RESULT_KEYS = {"device", "case", "peer", "median_s", "p10_s", "p90_s", "ratio_to_backend",
               "samples"}


def _check_report(data: dict, devices: list[str]):
    assert set(data) == {"environment", "results"}
    env = data["environment"]
    for key in ["python", "gputensor", "numpy", "platform", "libraries", "cuda_available",
                "cuda_device_count", "devices"]:
        assert key in env, key
    assert env["gputensor"] == gt.__version__
    assert env["cuda_available"] == gt.cuda.is_available()
    assert set(env["libraries"]) >= {"cupy-cuda12x", "cupy-cuda13x", "torch"}
    assert [d["device"] for d in env["devices"]] == cli.available_devices()
    assert env["devices"][0]["backend"] == "numpy"
    rows = data["results"]
    assert rows and {r["device"] for r in rows} == set(devices)
    for r in rows:
        assert set(r) == RESULT_KEYS
        assert r["median_s"] > 0 and r["p10_s"] <= r["median_s"] <= r["p90_s"]
        assert r["ratio_to_backend"] > 0 and len(r["samples"]) >= 3
    peers = {r["peer"] for r in rows}
    assert "gputensor" in peers and "numpy" in peers
    # every case is timed for gputensor and its backend, the backend being the 1.0x reference
    for r in rows:
        if r["peer"] in ("numpy", "cupy"):
            assert r["ratio_to_backend"] == 1.0


def test_main_quick_json(tmp_path, capsys):
    path = tmp_path / "bench.json"
    assert cli.main(["--quick", "--device", "cpu", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"gputensor {gt.__version__} | Python" in out and "device: device=cpu" in out
    assert "libraries:" in out and "add 1000 elements" in out and f"wrote {path}" in out
    _check_report(json.loads(path.read_text()), ["cpu"])


def test_python_dash_m_benchmarks(tmp_path):
    path = tmp_path / "bench.json"
    out = run_module(cli.__package__, ["--quick", "--json", str(path)], tmp_path)
    assert out.returncode == 0, out.stderr
    _check_report(json.loads(path.read_text()), cli.available_devices())


@pytest.mark.skipif(gt.cuda.is_available(), reason="checks the no-GPU error path")
def test_device_cuda_without_gpu_fails_clearly(tmp_path, capsys):
    path = tmp_path / "never.json"
    rc = cli.main(["--quick", "--device", "cuda", "--json", str(path)])
    assert rc != 0
    err = capsys.readouterr().err
    assert "--device cuda asked for, but no CUDA device is available" in err
    assert "gputensor[cuda12]" in err and "--device cpu" in err
    assert not path.exists()


def test_bad_arguments_exit_with_usage(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--device", "tpu"])
    assert e.value.code == 2
    assert "invalid choice: 'tpu'" in capsys.readouterr().err


def test_timing_helpers():
    calls = []
    res = measure({"a": lambda: calls.append(1), "b": lambda: None}, repeats=5, number=2,
                  warmup=1)
    assert set(res) == {"a", "b"} and len(calls) == 1 + 5 * 2
    for r in res.values():
        assert len(r["samples"]) == 5 and r["p10"] <= r["median"] <= r["p90"]
    assert fmt_time(2.5e-6) == "2.50 us" and fmt_time(1.5) == "1.50 s"
    assert fmt_time(3e-3) == "3.00 ms" and fmt_time(4e-9) == "4.00 ns"
    assert fmt_time(1e-12) == "0.00 ns"
