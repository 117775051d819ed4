"""``gputensor-bench`` (``python -m benchmarks``): suites, roofline, table, JSON, plot."""

from __future__ import annotations

import json

import pytest

import gputensor as gt
from benchrun import run_module

try:  # installed: the benchmarks ship inside the wheel
    from gputensor.benchmarks import cli, suites
    from gputensor.benchmarks.timing import EventClock, fmt_time, measure, peak_bytes
except ImportError:  # a source checkout: the top-level benchmarks/ folder
    from benchmarks import cli, suites
    from benchmarks.timing import EventClock, fmt_time, measure, peak_bytes


RESULT_KEYS = {"suite", "case", "device", "peer", "reference", "median_s", "p10_s", "p90_s",
               "warmup_s", "ratio", "roofline", "roofline_fraction", "peak_bytes", "samples"}


def _check_report(data: dict, devices: list[str], suite_names: list[str]):
    assert set(data) == {"meta", "environment", "peers", "roofline", "skipped", "results"}
    assert {"date", "gputensor", "commit", "numpy", "python"} <= set(data["meta"])
    assert data["meta"]["suites"] == suite_names
    env = data["environment"]
    for key in ["python", "gputensor", "numpy", "platform", "libraries", "cuda_available",
                "cuda_device_count", "devices"]:
        assert key in env, key
    assert env["gputensor"] == gt.__version__
    assert env["cuda_available"] == gt.cuda.is_available()
    assert set(env["libraries"]) >= {"cupy-cuda12x", "cupy-cuda13x", "torch"}
    assert [d["device"] for d in env["devices"]] == cli.available_devices()
    assert set(data["peers"]) == {"numpy", "cupy", "torch", "gputensor"}
    if not gt.cuda.is_available():
        assert data["peers"]["cupy"].startswith("skipped")
    for d in devices:
        roof = data["roofline"][d]
        assert roof["copy_gbps"] > 0 and roof["matmul_gflops"] > 0
    rows = data["results"]
    assert rows and {r["device"] for r in rows} == set(devices)
    ran = {r["suite"] for r in rows} | {s["suite"] for s in data["skipped"]}
    assert ran == set(suite_names)
    for r in rows:
        assert set(r) == RESULT_KEYS
        assert r["median_s"] > 0 and r["p10_s"] <= r["median_s"] <= r["p90_s"]
        assert r["warmup_s"] > 0 and r["ratio"] > 0 and len(r["samples"]) >= 3
        assert r["roofline"] in (None, "copy_gbps", "matmul_gflops")
        assert (r["roofline_fraction"] is None) == (r["roofline"] is None)
        if r["peer"] == r["reference"]:
            assert r["ratio"] == 1.0
    assert {"gputensor", "numpy"} <= {r["peer"] for r in rows}


def test_quick_subset_json_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path, png = tmp_path / "bench.json", tmp_path / "bench.png"
    names = ["overhead", "matmul", "nn", "kernels"]
    assert cli.main(["--quick", "--device", "cpu", "--suite", ",".join(names), "--json",
                     str(path), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"gputensor {gt.__version__} | Python" in out and "device: device=cpu" in out
    assert "copy" in out and "GFLOP/s" in out and "a + b, 1000 float32" in out
    assert f"wrote {path}" in out and f"wrote {png}" in out
    if not gt.cuda.is_available():
        assert "[kernels] skipped: needs a CUDA GPU" in out
    data = json.loads(path.read_text())
    _check_report(data, ["cpu"], names)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_python_dash_m_benchmarks_full_quick(tmp_path):
    """The whole --quick run, as a user runs it; it must stay well under 60 s."""
    path = tmp_path / "bench.json"
    out = run_module(cli.__package__, ["--quick", "--json", str(path)], tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(path.read_text())
    _check_report(data, cli.available_devices(), list(suites.SUITES))
    assert data["meta"]["elapsed_s"] < 60


def test_wrong_suite_lists_the_valid_ones(capsys):
    assert cli.main(["--suite", "overhead,bogus"]) != 0
    err = capsys.readouterr().err
    assert "unknown suite 'bogus'" in err
    for name in suites.SUITES:
        assert name in err
    with pytest.raises(ValueError, match="valid suites"):
        suites.parse_suites(",")
    assert suites.parse_suites(None) == list(suites.SUITES)


def test_list(capsys):
    assert cli.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name, s in suites.SUITES.items():
        assert name in out and s.compares in out


def test_plot_without_matplotlib_says_so(tmp_path, monkeypatch, capsys):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    assert cli.plot([], str(tmp_path / "x.png")) is False
    assert "matplotlib is not installed" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


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


def test_peak_bytes_sees_numpy_allocations():
    import numpy as np
    from gputensor.backends import get_backend

    cpu = get_backend(gt.device("cpu"))
    assert peak_bytes(lambda: np.ones(1 << 20), cpu) >= 8 << 20  # one 8 MiB array
    assert peak_bytes(lambda: None, type("B", (), {"name": "cupy"})()) is None


def test_measure_with_an_event_clock():
    """On CUDA the samples come from events; a stand-in module checks the plumbing."""
    class FakeEvent:
        now = 0.0

        def __init__(self):
            self.t = 0.0

        def record(self):
            FakeEvent.now += 1.0
            self.t = FakeEvent.now

        def synchronize(self):
            pass

    class FakeCuda:
        Event = FakeEvent

        class Device:
            def synchronize(self):
                pass

        @staticmethod
        def get_elapsed_time(a, b):
            return (b.t - a.t) * 1e3  # milliseconds, as CuPy returns

    class FakeCupy:
        cuda = FakeCuda

    res = measure({"x": lambda: None}, repeats=3, number=2, clock=EventClock(FakeCupy))
    assert res["x"]["samples"] == [0.5, 0.5, 0.5]  # 1 s between events over 2 calls
