"""benchmarks/kernels_bench.py: without a GPU it exits 0 with a 'skipped' report; its per-entry
code runs with the host emulation standing in for CuPy; its PyTorch equivalents compute what
the kernels compute (on PyTorch's CPU tensors); on a GPU (``gpu`` marker) a quick run."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

import gputensor as gt
import kernel_harness as H
from benchrun import run_module
from gputensor.backends import kernels as K
from gputensor.backends.base import Backend

try:  # installed: the benchmarks ship inside the wheel
    from gputensor.benchmarks import kernels_bench as KB
except ImportError:  # a source checkout: the top-level benchmarks/ folder
    from benchmarks import kernels_bench as KB

META_KEYS = {"date", "python", "numpy", "gputensor", "commit"}


def _check_skipped(report: dict):
    assert report["suite"] == "kernels" and report["skipped"] is True
    assert "needs a CUDA GPU" in report["reason"]
    assert META_KEYS <= set(report["meta"])
    assert report["results"] == [] and report["copy"] is None


@pytest.mark.skipif(gt.cuda.is_available(), reason="checks the no-GPU path")
def test_without_a_gpu_it_skips_and_exits_0(tmp_path):
    path = tmp_path / "kernels.json"
    out = run_module(KB.__name__, ["--quick", "--json", str(path)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "needs a CUDA GPU" in out.stdout and "skipped" in out.stdout
    _check_skipped(json.loads(path.read_text()))


@pytest.mark.skipif(gt.cuda.is_available(), reason="checks the no-GPU path")
def test_main_without_json_and_with_a_missing_device(capsys):
    assert KB.main(["--quick"]) == 0
    assert "needs a CUDA GPU" in capsys.readouterr().out
    _check_skipped(KB.skipped("x needs a CUDA GPU"))


# -- the per-entry code, with the emulation standing in for CuPy ----------------------------
class _FakeCupy:
    """NumPy under CuPy's names, enough for bench_entry."""

    cuda = types.SimpleNamespace(Device=lambda *a: types.SimpleNamespace(synchronize=lambda: None))

    def __getattr__(self, name):
        return getattr(np, name)


BENCHED = ["sigmoid_fwd", "relu_bwd", "softplus_bwd", "softmax_fwd", "softmax_bwd",
           "log_softmax_bwd", "sum_fwd", "cross_entropy_fwd", "cross_entropy_bwd", "adam_fwd"]


@pytest.mark.skipif(H.cxx() is None, reason="no host C++ compiler found")
@pytest.mark.parametrize("name", BENCHED)
def test_bench_entry_runs_every_peer(name, monkeypatch):
    from gputensor.backends.cupy_backend import CupyBackend

    libs = H.build_units(K.kernel_dir())
    monkeypatch.setattr(K, "launcher", lambda n, dtype, device: H.HostLauncher(
        libs[K.REGISTRY[n].unit()], K.REGISTRY[n], dtype))
    b = object.__new__(CupyBackend)
    Backend.__init__(b)
    b.xp = np
    b.device = types.SimpleNamespace(index=0, fast={})
    kernel = K.REGISTRY[name]
    shape = (300,) if kernel.kind == "elementwise" or name == "adam_fwd" else (6, 70)
    before = len(H.HostLauncher.launches)
    row = KB.bench_entry(kernel, _FakeCupy(), b, None, shape,
                         dict(repeats=2, number=1, warmup=1), copy_gbps=100.0)
    assert len(H.HostLauncher.launches) > before  # the custom peer ran the kernel
    assert set(row["peers"]) == {"custom", "cupy"}, row
    assert row["bytes"] >= 2 * 4 * int(np.prod(shape)) or name.endswith("_fwd")
    for r in row["peers"].values():
        assert r["median_s"] > 0 and r["gbps"] > 0
        assert r["fraction_of_copy"] == pytest.approx(r["gbps"] / 100.0)
    assert KB.judge(row, full_size=False) == {"target": None, "met": None}
    judged = KB.judge(row, full_size=True)
    if kernel.kind == "elementwise" or name == "adam_fwd":
        assert judged["met"] == (row["peers"]["custom"]["fraction_of_copy"] >= 0.85)
    elif name in KB.TORCH_TARGET:
        assert judged["target"] and judged["met"] is None  # no torch peer here


def test_bench_entry_reports_a_kernel_that_does_not_apply(monkeypatch):
    kernel = K.REGISTRY["softmax_fwd"]
    monkeypatch.setattr(K, "launcher", lambda *a: None)
    monkeypatch.setattr(K, "call", lambda kern, get, fallback, *a, **k: fallback(*a, **k))
    b = types.SimpleNamespace(device=types.SimpleNamespace(index=0))
    row = KB.bench_entry(kernel, _FakeCupy(), b, None, (3, 5), {}, 1.0)
    assert row["peers"] == {} and "does not apply" in row["note"]


# -- the PyTorch equivalents compute what the kernels compute -------------------------------
def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.mark.skipif(_torch() is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("name", sorted(set(KB._torch_peers(_torch()) if _torch() else ())
                                        & set(K.REGISTRY)))
def test_torch_equivalent_matches_the_kernel_reference(name):
    torch = _torch()
    kernel = K.REGISTRY[name]
    rng = np.random.default_rng(0)
    shape = (50,) if kernel.kind == "elementwise" or name == "adam_fwd" else (4, 30)
    for attrs in kernel.check.attrs:
        inputs = K.inputs_for(kernel, rng, shape, "float64", False, attrs)
        ts = [torch.from_numpy(np.array(a)) for a in inputs]
        fn = KB._torch_peers(torch)[name](*ts, **attrs)
        if fn is None:
            continue  # attributes PyTorch has no form for
        out = fn()
        if name == "adam_fwd":  # the optimizer's parameter, one step from zero state
            (param,) = fn.__self__.param_groups[0]["params"]
            p, g = inputs[0], inputs[1]
            want = K._adam_ref(p, g, np.zeros_like(p), np.zeros_like(p), **{**attrs, "step": 1})[0]
            np.testing.assert_allclose(param.detach().numpy(), want, rtol=1e-10, atol=1e-12)
            continue
        want = K.reference(kernel, *inputs, **attrs)
        if name == "layer_norm_bwd":  # dx rows, then the weight and bias gradients
            dx, dw, db = out
            out = torch.cat([dx.reshape(-1, dx.shape[-1]), dw[None], db[None]])
        got = np.asarray(out.detach().numpy(), dtype=np.float64)
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-9, atol=1e-9,
                                   err_msg=f"{name} {attrs}")


# -- on a GPU --------------------------------------------------------------------------------
@pytest.mark.gpu
def test_quick_run_on_the_gpu(tmp_path):
    path = tmp_path / "k.json"
    assert KB.main(["--quick", "--json", str(path), "--only", "sigmoid_fwd", "softmax_fwd",
                    "adam_fwd", "sum_fwd"]) == 0
    report = json.loads(path.read_text())
    assert report["skipped"] is False and report["copy"]["copy_gbps"] > 0
    assert {r["kernel"] for r in report["results"]} == {"sigmoid_fwd", "softmax_fwd",
                                                        "adam_fwd", "sum_fwd"}
    for r in report["results"]:
        assert {"custom", "cupy"} <= set(r["peers"]), r
