"""``gputensor-bench`` (``python -m benchmarks``): suites, roofline, table, JSON, plot."""

from __future__ import annotations

import json

import pytest

import gputensor as gt
from benchrun import run_module

try:  # installed: the benchmarks ship inside the wheel
    from gputensor.benchmarks import cli, suites
    from gputensor.benchmarks.timing import EventClock, fmt_time, measure, peak_bytes
    from gputensor.benchmarks.timing import git_commit
except ImportError:  # a source checkout: the top-level benchmarks/ folder
    from benchmarks import cli, suites
    from benchmarks.timing import EventClock, fmt_time, measure, peak_bytes
    from benchmarks.timing import git_commit


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
    assert data["meta"]["threads"] == 1  # BLAS pinned (the command restarts itself to pin)


def _table_rows(md: str) -> list[list[str]]:
    """The cells of every Markdown table line (the separator lines left out)."""
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in md.splitlines()
            if line.startswith("| ")]


def test_markdown_of_a_quick_run(tmp_path, capsys):
    md, js = tmp_path / "bench.md", tmp_path / "bench.json"
    assert cli.main(["--quick", "--device", "cpu", "--suite", "overhead,kernels",
                     "--markdown", str(md), "--json", str(js)]) == 0
    assert f"wrote {md}" in capsys.readouterr().out
    text, data = md.read_text(), json.loads(js.read_text())
    assert text == cli.markdown(data)  # the run and --from-json share one code path
    first = text.splitlines()[0]
    commit = git_commit()
    assert first.startswith("Device: cpu (") and "copy " in first and "GFLOP/s" in first
    assert f"Date {data['meta']['date']}, commit " in first
    assert (f"`{commit}`" if commit else "commit unknown") in first
    assert f"Python {data['meta']['python']}, NumPy {data['meta']['numpy']}, PyTorch " in first
    assert "CuPy " in first and "`--quick` run" in first
    assert "**overhead**\n\n| case | NumPy | gputensor |" in text
    rows = _table_rows(text)
    cases = {r["case"] for r in data["results"]}
    assert len(cases) >= 2 and {cli._md(c) for c in cases} <= {r[0].split(" (NumPy: ")[0]
                                                                for r in rows[1:]}
    assert len({len(r) for r in rows}) == 1  # every line has every column
    gt_col = rows[0].index("gputensor")
    for r in rows[1:]:
        assert r[gt_col].endswith("x)") and r[1].endswith("(1.00x)")
    assert "**kernels**: skipped (needs a CUDA GPU)." in text


SYNTHETIC = {
    "meta": {"date": "2026-01-02", "python": "3.12.1", "numpy": "2.1.0", "torch": None,
             "gputensor": "0.1.0", "commit": "abc1234", "quick": False,
             "suites": ["overhead", "kernels"]},
    "environment": {"python": "3.12.1", "gputensor": "0.1.0", "numpy": "2.1.0",
                    "platform": "Linux-x86_64", "cpu": "Test CPU 9000",
                    "libraries": {"cupy-cuda12x": "13.3.0", "torch": None},
                    "devices": [{"device": "cpu", "backend": "numpy", "processor": "x86_64"},
                                {"device": "cuda:0", "backend": "cupy", "gpu": "Test GPU",
                                 "memory_gib": 80.0}]},
    "peers": {},
    "roofline": {"cpu": {"copy_gbps": 40.0, "matmul_gflops": 100.0},
                 "cuda:0": {"copy_gbps": 3000.0, "matmul_gflops": 50000.0}},
    "skipped": [{"suite": "kernels", "device": "cpu", "reason": "skipped: needs a CUDA GPU"}],
    "results": [
        {"suite": "overhead", "case": "a*b, 1000", "device": "cpu", "peer": "numpy",
         "reference": "numpy", "median_s": 1e-6, "ratio": 1.0, "roofline": "copy_gbps",
         "roofline_fraction": 0.5},
        {"suite": "overhead", "case": "a*b, 1000", "device": "cpu", "peer": "gputensor",
         "reference": "numpy", "median_s": 2e-6, "ratio": 2.0, "roofline": "copy_gbps",
         "roofline_fraction": 0.25},
        {"suite": "overhead", "case": "backward", "device": "cpu",
         "peer": "numpy (hand-written)", "reference": "numpy (hand-written)",
         "median_s": 4e-6, "ratio": 1.0, "roofline": None, "roofline_fraction": None},
        {"suite": "overhead", "case": "backward", "device": "cpu", "peer": "gputensor",
         "reference": "numpy (hand-written)", "median_s": 5e-5, "ratio": 12.5,
         "roofline": None, "roofline_fraction": None},
        {"suite": "overhead", "case": "backward", "device": "cpu", "peer": "torch",
         "reference": "numpy (hand-written)", "median_s": 2.5e-5, "ratio": 6.25,
         "roofline": None, "roofline_fraction": None},
        {"suite": "kernels", "case": "relu [1024]", "device": "cuda:0", "peer": "custom",
         "reference": "cupy", "median_s": 1e-5, "ratio": None, "roofline": "copy_gbps",
         "roofline_fraction": 0.8},
        {"suite": "kernels", "case": "relu [1024]", "device": "cuda:0", "peer": "cupy",
         "reference": "cupy", "median_s": 2e-5, "ratio": None, "roofline": "copy_gbps",
         "roofline_fraction": 0.4},
    ],
}

SYNTHETIC_MD = """\
Devices: cpu (Test CPU 9000, x86_64, Linux-x86_64; copy 40.0 GB/s, float32 matmul 100.0 \
GFLOP/s); cuda:0 (Test GPU, 80.0 GiB; copy 3000.0 GB/s, float32 matmul 50000.0 GFLOP/s). \
Date 2026-01-02, commit `abc1234`, gputensor 0.1.0; Python 3.12.1, NumPy 2.1.0, PyTorch not \
installed, CuPy 13.3.0 (cupy-cuda12x); full run (not `--quick`).

Each cell: median time (ratio to the case's reference peer, 1.00x; lower is faster). \
gputensor roofline: its fraction of the device's measured copy bandwidth (copy) or float32 \
matmul rate (mm).

**overhead** on cpu

| case | NumPy | gputensor | PyTorch | gputensor roofline |
|---|---:|---:|---:|---:|
| a\\*b, 1000 | 1.00 us (1.00x) | 2.00 us (2.00x) | - | 25.0% copy |
| backward (NumPy: hand-written) | 4.00 us (1.00x) | 50.00 us (12.50x) | 25.00 us (6.25x) | - |

**kernels** on cpu: skipped (needs a CUDA GPU).

**kernels** on cuda:0

| case | CuPy | gputensor kernel | gputensor roofline |
|---|---:|---:|---:|
| relu \\[1024\\] | 20.00 us (1.00x) | 10.00 us (0.50x) | 80.0% copy |
"""


def test_markdown_from_json(tmp_path, capsys):
    """A hand-made report: peers in fixed column order, a 'numpy (hand-written)' reference
    in the NumPy column, ratios computed where the rows lack them (kernels), skipped suites
    listed; from the function and from ``--from-json``."""
    assert cli.markdown(SYNTHETIC) == SYNTHETIC_MD
    src, out = tmp_path / "in.json", tmp_path / "out.md"
    src.write_text(json.dumps(SYNTHETIC))
    assert cli.main(["--from-json", str(src), "--markdown", str(out)]) == 0
    assert out.read_text() == SYNTHETIC_MD
    assert cli.main(["--from-json", str(src)]) == 0  # no --markdown: standard output
    assert capsys.readouterr().out.endswith(SYNTHETIC_MD)
    with pytest.raises(SystemExit) as e:
        cli.main(["--from-json", str(src), "--quick"])
    assert e.value.code == 2 and "does not go with --quick" in capsys.readouterr().err
    assert cli.main(["--from-json", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


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


def test_measure_varies_the_peer_order():
    order = []
    measure({k: (lambda k=k: order.append(k)) for k in "abc"}, repeats=12, warmup=0)
    rounds = ["".join(order[i:i + 3]) for i in range(0, 36, 3)]
    assert all(sorted(r) == ["a", "b", "c"] for r in rounds)  # each peer once per repeat
    predecessors = {r[r.index("a") - 1] for r in rounds if r[0] != "a"}
    assert predecessors == {"b", "c"}  # not always after the same peer


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
