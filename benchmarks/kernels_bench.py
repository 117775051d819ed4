"""The custom CUDA kernels against the equivalent chain of CuPy routines and PyTorch.

On one CUDA device:

1. The device-to-device copy bandwidth: a large float32 buffer copied with CuPy
   (``cupy.copyto``, an elementwise copy kernel, and a raw ``cudaMemcpy``), timed with CUDA
   events after a synchronize; the larger of the two is the reference ``copy_gbps``
   (bytes read + bytes written per second).
2. Every registry entry (gputensor/backends/kernels.py) on a benchmarkable input: elementwise
   kernels and the fused Adam update on 2^26 float32 elements, row kernels (softmax,
   reductions, cross-entropy, layernorm...) on (4096, 4096) float32 (``--quick``: 2^22 and
   (1024, 1024)), inputs made by the entry's own check maker. Peers on the same device
   arrays, timed interleaved (``timing.measure``, a device synchronize per sample of several
   calls):

   - ``custom``: the kernel (``kernels.call``; ``adam_update`` in place for Adam);
   - ``cupy``: what runs with custom kernels switched off: the overridden op's array-module
     forward on CuPy (``Backend.resolve``), or for entries that override no op the same
     computation written with CuPy routines (softmax backward, Adam);
   - ``torch``: the PyTorch operation (when PyTorch with CUDA is importable and the entry
     has a known equivalent).

   Each is reported as time and effective GB/s: the bytes the fused kernel must move (its
   inputs read, its outputs written) over the time, and that as a fraction of
   ``copy_gbps``.

Targets (kernel issue; reported, not asserted, and only judged at full size): elementwise and
fused kernels at >= 85% of the copy bandwidth at 2^26 float32 elements; softmax,
log_softmax, cross-entropy and layernorm at least as fast as PyTorch on (4096, 4096).

Without a CUDA device it prints that the suite needs a GPU and exits 0 (with ``--json``, a
file saying ``"skipped": true`` and why).

Run: ``python -m benchmarks.kernels_bench [--quick] [--json PATH] [--device cuda:0]
[--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import numpy as np

import gputensor as gt

from .timing import fmt_time, measure, run_meta

ELEMENTS = 1 << 26
ROWS = (4096, 4096)
QUICK_ELEMENTS = 1 << 22
QUICK_ROWS = (1024, 1024)
BANDWIDTH_TARGET = 0.85
TORCH_TARGET = ("softmax_fwd", "log_softmax_fwd", "cross_entropy_fwd", "cross_entropy_bwd",
                "layer_norm_fwd", "layer_norm_bwd")


# -- what a GPU-less machine gets ---------------------------------------------------------------
def skipped(reason: str) -> dict:
    """The report of a run that could not measure anything."""
    return {"suite": "kernels", "skipped": True, "reason": reason, "meta": run_meta(),
            "copy": None, "results": []}


def _no_gpu_reason(device: str) -> str | None:
    if not gt.cuda.is_available():
        return ("the kernel suite needs a CUDA GPU: no CUDA device is available (CuPy not "
                "installed, or no GPU answers)")
    try:
        gt.device(device)
        from gputensor.backends import get_backend

        get_backend(gt.device(device))
    except Exception as e:  # e.g. cuda:3 on a one-GPU machine
        return f"the kernel suite needs a CUDA GPU: {device}: {e}"
    return None


# -- the copy bandwidth ------------------------------------------------------------------------
def _event_times(cp, fn, repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    cp.cuda.Device().synchronize()
    out = []
    for _ in range(repeats):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        out.append(cp.cuda.get_elapsed_time(start, end) / 1e3)
    return out


def copy_bandwidth(cp, nbytes: int, repeats: int) -> dict:
    """Device-to-device copy bandwidth of a ``nbytes`` float32 buffer (read + write bytes per
    second): ``cupy.copyto`` and a raw memcpy, CUDA events after a synchronize."""
    src = cp.ones(nbytes // 4, dtype=cp.float32)
    dst = cp.empty_like(src)
    moved = 2 * src.nbytes
    res = {"bytes": src.nbytes}
    for name, fn in (("copyto", lambda: cp.copyto(dst, src)),
                     ("memcpy", lambda: dst.data.copy_from_device_async(src.data, src.nbytes))):
        t = statistics.median(_event_times(cp, fn, repeats))
        res[f"{name}_s"] = t
        res[f"{name}_gbps"] = moved / t / 1e9
    res["copy_gbps"] = max(res["copyto_gbps"], res["memcpy_gbps"])
    src = dst = None  # (the lambdas hold them too) free them before the pool is emptied
    cp.get_default_memory_pool().free_all_blocks()
    return res


# -- the equivalents ----------------------------------------------------------------------------
def _cupy_chains(cp):
    """CuPy-routine forms of the entries that override no op (``make(*arrays, **attrs)`` ->
    a zero-argument callable)."""
    from gputensor.backends import kernels as K

    def softmax_bwd(y, g, axis=-1):
        return lambda: y * (g - (g * y).sum(axis=axis, keepdims=True))

    def log_softmax_bwd(y, g, axis=-1):
        return lambda: g - cp.exp(y) * g.sum(axis=axis, keepdims=True)

    def adam(p, g, m, v, **hyper):
        return lambda: K.adam_update_xp(cp, p, g, m, v, **hyper)

    return {"softmax_bwd": softmax_bwd, "log_softmax_bwd": log_softmax_bwd, "adam_fwd": adam}


def _torch_peers(torch):
    """PyTorch forms of the entries: ``make(*tensors, **attrs)`` -> a zero-argument callable
    (None where the attributes have no PyTorch equivalent)."""
    F = torch.nn.functional
    aten = torch.ops.aten

    def unary(f):
        return lambda x, **a: (lambda: f(x, **a))

    def adam(p, g, m, v, step=1, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
             weight_decay=0.0, decoupled=False):
        param = torch.nn.Parameter(p.clone())
        param.grad = g.clone()
        cls = torch.optim.AdamW if decoupled else torch.optim.Adam
        try:
            opt = cls([param], lr=lr, betas=(beta1, beta2), eps=eps,
                      weight_decay=weight_decay, fused=True)
        except (TypeError, RuntimeError):
            opt = cls([param], lr=lr, betas=(beta1, beta2), eps=eps,
                      weight_decay=weight_decay, foreach=True)
        return opt.step

    def rows(f):
        return lambda x, axis=-1, keepdims=False, **a: (
            (lambda: f(x, axis, keepdims)) if not a else None)

    def var(unbiased_root):
        def make(x, axis=-1, keepdims=False, ddof=0):
            f = torch.std if unbiased_root else torch.var
            return lambda: f(x, dim=axis, correction=ddof, keepdim=keepdims)
        return make

    def ce_fwd(x, labels, reduction="mean", ignore_index=-100):
        return lambda: F.cross_entropy(x, labels, reduction=reduction,
                                       ignore_index=ignore_index)

    def ce_bwd(x, labels, g, axis=1, reduction="mean", ignore_index=-100):
        # PyTorch's backward of cross_entropy: nll_loss backward, then log_softmax backward
        red = {"none": 0, "mean": 1, "sum": 2}[reduction]
        total = ((labels != ignore_index).sum() if reduction == "mean" else
                 torch.ones((), device=x.device)).to(x.dtype)
        ls = torch.log_softmax(x, -1)  # the forward's saved output

        def fn():
            gn = aten.nll_loss_backward(g, ls, labels, None, red, ignore_index, total)
            return aten._log_softmax_backward_data(gn, ls, -1, x.dtype)
        return fn

    def ln_fwd(x, *affine, normalized_shape=None, eps=1e-5):
        w, b = (list(affine) + [None, None])[:2]
        return lambda: F.layer_norm(x, x.shape[-1:], w, b, eps)

    def ln_bwd(x, g, *weight, normalized_shape=None, eps=1e-5):
        # the kernel's output: dx, then the weight and bias gradients (sum(g xhat), sum(g))
        ns = x.shape[-1:]
        w = weight[0] if weight else torch.ones(ns, dtype=x.dtype, device=x.device)
        b = torch.zeros(ns, dtype=x.dtype, device=x.device)
        _, mean, rstd = aten.native_layer_norm(x, ns, w, b, eps)
        return lambda: aten.native_layer_norm_backward(g, x, ns, mean, rstd, w, b,
                                                       [True, True, True])

    return {
        "sigmoid_fwd": unary(torch.sigmoid), "tanh_fwd": unary(torch.tanh),
        "relu_fwd": unary(torch.relu), "gelu_fwd": unary(F.gelu),
        "gelu_tanh_fwd": lambda x: (lambda: F.gelu(x, approximate="tanh")),
        "softplus_fwd": unary(F.softplus), "leaky_relu_fwd": unary(F.leaky_relu),
        "elu_fwd": unary(F.elu), "silu_fwd": unary(F.silu),
        "sigmoid_bwd": lambda y, g: (lambda: aten.sigmoid_backward(g, y)),
        "tanh_bwd": lambda y, g: (lambda: aten.tanh_backward(g, y)),
        "relu_bwd": lambda y, g: (lambda: aten.threshold_backward(g, y, 0)),
        "gelu_bwd": lambda x, g: (lambda: aten.gelu_backward(g, x)),
        "gelu_tanh_bwd": lambda x, g: (lambda: aten.gelu_backward(g, x, approximate="tanh")),
        "softplus_bwd": lambda x, g, beta=1.0, threshold=20.0: (
            lambda: aten.softplus_backward(g, x, beta, threshold)),
        "leaky_relu_bwd": lambda x, g, negative_slope=0.01: (
            lambda: aten.leaky_relu_backward(g, x, negative_slope, False)),
        "softmax_fwd": lambda x, axis=-1: (lambda: torch.softmax(x, axis)),
        "log_softmax_fwd": lambda x, axis=-1: (lambda: torch.log_softmax(x, axis)),
        "softmax_bwd": lambda y, g, axis=-1: (
            lambda: aten._softmax_backward_data(g, y, axis, y.dtype)),
        "log_softmax_bwd": lambda y, g, axis=-1: (
            lambda: aten._log_softmax_backward_data(g, y, axis, y.dtype)),
        "logsumexp_fwd": rows(lambda x, a, k: torch.logsumexp(x, a, keepdim=k)),
        "sum_fwd": rows(lambda x, a, k: x.sum(a, keepdim=k)),
        "mean_fwd": rows(lambda x, a, k: x.mean(a, keepdim=k)),
        "max_fwd": rows(lambda x, a, k: x.amax(a, keepdim=k)),
        "min_fwd": rows(lambda x, a, k: x.amin(a, keepdim=k)),
        "argmax_fwd": rows(lambda x, a, k: x.argmax(a, keepdim=k)),
        "argmin_fwd": rows(lambda x, a, k: x.argmin(a, keepdim=k)),
        "var_fwd": var(False), "std_fwd": var(True),
        "cross_entropy_fwd": ce_fwd, "cross_entropy_bwd": ce_bwd,
        "layer_norm_fwd": ln_fwd, "layer_norm_bwd": ln_bwd,
        "adam_fwd": adam,
    }


def _optional_cuda_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


# -- one entry ----------------------------------------------------------------------------------
def _nbytes(obj) -> int:
    if isinstance(obj, (tuple, list)):
        return sum(_nbytes(o) for o in obj)
    return int(getattr(obj, "nbytes", 0))


def bench_entry(kernel, cp, backend, torch, shape, opts, copy_gbps) -> dict:
    """Time one registry entry's peers on the same device arrays; a row of the report."""
    from gputensor.backends import kernels as K
    from gputensor.backends.base import Backend

    attrs = dict(kernel.check.attrs[0])
    rng = np.random.default_rng(0)
    host = K.inputs_for(kernel, rng, shape, "float32", False, attrs)
    dev = [cp.asarray(a) for a in host]
    index = backend.device.index
    row = {"kernel": kernel.name, "kind": kernel.kind, "shape": list(shape),
           "dtype": "float32", "attrs": attrs, "peers": {}, "note": None}

    def get(kern, dtype):
        return K.launcher(kern.name, dtype, index)

    def refuse(*a, **k):
        raise NotImplementedError("the kernel does not apply to these inputs")

    if kernel.name == "adam_fwd":
        k = get(kernel, "float32")
        fns = {"custom": lambda: K.adam_update(k, *dev, **attrs)}
    else:
        fns = {"custom": lambda: K.call(kernel, get, refuse, *dev, **attrs)}
    try:
        out = fns["custom"]()
    except NotImplementedError as e:
        row["note"] = str(e)
        return row
    if out is NotImplemented:
        row["note"] = "the kernel does not apply to these inputs"
        return row
    moved = sum(a.nbytes for a in dev) + _nbytes(out)
    if kernel.name == "adam_fwd":
        moved = sum(a.nbytes for a in dev) + 3 * dev[0].nbytes  # p, m, v written back
    row["bytes"] = moved

    chains = _cupy_chains(cp)
    if kernel.overrides:
        fallback = Backend.resolve(backend, K._op(kernel.overrides[0]))
        fns["cupy"] = lambda: fallback(*dev, **attrs)
    elif kernel.name in chains:
        fns["cupy"] = chains[kernel.name](*dev, **attrs)
    if torch is not None:
        make = _torch_peers(torch).get(kernel.name)
        if make is not None:
            try:
                ts = [torch.as_tensor(a, device=f"cuda:{index}") for a in dev]
                fn = make(*ts, **attrs)
                if fn is not None:
                    fn()
                    fns["torch"] = fn
            except Exception as e:  # an equivalent this PyTorch version lacks
                row["note"] = f"torch peer skipped: {type(e).__name__}: {e}"
    res = measure(fns, sync=cp.cuda.Device().synchronize, **opts)
    for peer, r in res.items():
        gbps = moved / r["median"] / 1e9
        row["peers"][peer] = {"median_s": r["median"], "p10_s": r["p10"], "p90_s": r["p90"],
                              "gbps": gbps, "fraction_of_copy": gbps / copy_gbps}
    dev = None  # (the peers hold it too) free it before the pool is emptied
    return row


def judge(row: dict, full_size: bool) -> dict:
    """The issue's target for a row, and whether it is met (None: not judged)."""
    name, peers = row["kernel"], row["peers"]
    if "custom" not in peers or not full_size:
        return {"target": None, "met": None}
    if name in TORCH_TARGET:
        if "torch" not in peers:
            return {"target": "<= PyTorch time at (4096, 4096)", "met": None}
        return {"target": "<= PyTorch time at (4096, 4096)",
                "met": peers["custom"]["median_s"] <= peers["torch"]["median_s"]}
    if row["kind"] == "elementwise" or name == "adam_fwd":
        return {"target": f">= {BANDWIDTH_TARGET:.0%} of copy bandwidth at 2^26 float32",
                "met": peers["custom"]["fraction_of_copy"] >= BANDWIDTH_TARGET}
    return {"target": None, "met": None}


def run(device: str = "cuda", quick: bool = False, only=None) -> dict:
    """Measure everything on ``device``; the report (see the module docstring)."""
    import cupy as cp

    from gputensor.backends import get_backend
    from gputensor.backends import kernels as K

    backend = get_backend(gt.device(device))
    torch = _optional_cuda_torch()
    n = QUICK_ELEMENTS if quick else ELEMENTS
    rows_shape = QUICK_ROWS if quick else ROWS
    opts = dict(repeats=5, number=3, warmup=2) if quick else dict(repeats=20, number=10,
                                                                    warmup=3)
    with backend.context():
        copy = copy_bandwidth(cp, 4 * n, repeats=10 if quick else 50)
        print(f"device-to-device copy: {copy['copy_gbps']:.0f} GB/s (copyto "
              f"{copy['copyto_gbps']:.0f}, memcpy {copy['memcpy_gbps']:.0f}; "
              f"{copy['bytes'] / 2**20:.0f} MiB buffer)")
        print(f"{'kernel':24} {'shape':>14} {'peer':>7} {'median':>11} {'GB/s':>8} "
              f"{'of copy':>8}")
        results = []
        was = K.enabled()
        K.set_enabled(True)
        try:
            for name, kernel in K.REGISTRY.items():
                if only and name not in only:
                    continue
                shape = (n,) if kernel.kind == "elementwise" or name == "adam_fwd" \
                    else rows_shape
                try:
                    row = bench_entry(kernel, cp, backend, torch, shape, opts,
                                      copy["copy_gbps"])
                except Exception as e:  # one entry failing must not lose the others
                    row = {"kernel": name, "kind": kernel.kind, "shape": list(shape),
                           "dtype": "float32", "peers": {},
                           "note": f"error: {type(e).__name__}: {e}"}
                row.update(judge(row, not quick))
                results.append(row)
                _print_row(row)
                cp.get_default_memory_pool().free_all_blocks()
        finally:
            K.set_enabled(was)
    props = backend.describe()
    return {"suite": "kernels", "skipped": False, "reason": None,
            "meta": run_meta(device=device, gpu=props.get("gpu"), cupy=props.get("cupy"),
                             cuda_runtime=props.get("cuda_runtime"), quick=quick,
                             torch_cuda=torch is not None),
            "copy": copy, "results": results}


def _print_row(row: dict) -> None:
    shape = "x".join(str(s) for s in row["shape"])
    if not row["peers"]:
        print(f"{row['kernel']:24} {shape:>14}  -- {row['note']}")
        return
    for i, (peer, r) in enumerate(row["peers"].items()):
        name = row["kernel"] if i == 0 else ""
        mark = ""
        if peer == "custom" and row.get("met") is not None:
            mark = "  target met" if row["met"] else f"  target missed ({row['target']})"
        print(f"{name:24} {shape if i == 0 else '':>14} {peer:>7} "
              f"{fmt_time(r['median_s']):>11} {r['gbps']:>8.0f} "
              f"{r['fraction_of_copy']:>7.0%}{mark}")
    if row.get("note"):
        print(f"{'':24} note: {row['note']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels_bench",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, fewer repeats")
    parser.add_argument("--json", metavar="PATH", help="write the report as JSON")
    parser.add_argument("--device", default="cuda", help="CUDA device (default: cuda)")
    parser.add_argument("--only", nargs="*", metavar="NAME", help="registry entries to run")
    args = parser.parse_args(argv)
    reason = _no_gpu_reason(args.device)
    if reason is not None:
        print(f"kernels_bench: {reason}; skipped")
        report = skipped(reason)
    else:
        report = run(args.device, quick=args.quick, only=set(args.only or ()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
