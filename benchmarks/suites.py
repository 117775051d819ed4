"""The suites of ``gputensor-bench``: each builds cases (``peer -> callable`` doing the same
work on the same data) for one device; :func:`run_suite` times them interleaved
(``timing.measure``), reports the first call (warm-up, kernel compilation) separately, and
places each result on the device's roofline (copy bandwidth for memory-bound work, the
measured matmul rate for matmuls).

Peers: NumPy on the CPU, CuPy on CUDA (the backend's own array module, the 1.0x reference),
PyTorch on the same device when importable (else listed as skipped), and gputensor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import gputensor as gt

from .timing import EventClock, measure, optional_torch, peak_bytes


@dataclass
class Case:
    """One comparison: every peer does the same work; ``nbytes`` (minimal memory traffic) or
    ``flops`` place it on the roofline; ``number`` calls per sample for tiny work."""
    name: str
    fns: dict[str, Callable[[], object]]
    reference: str
    nbytes: int = 0
    flops: int = 0
    number: int = 1


@dataclass
class Suite:
    name: str
    compares: str
    build: Callable[["Ctx"], list[Case]]
    cpu_only: bool = False
    gpu_only: bool = False


@dataclass
class Ctx:
    """What a suite needs to build cases on one device."""
    device: str
    quick: bool
    xp: object = None
    backend: object = None
    torch: object = None
    tdev: str = "cpu"
    notes: list = field(default_factory=list)

    @property
    def ref(self) -> str:
        return self.backend.name  # 'numpy' or 'cupy'

    def peers(self, np_fn, gt_fn, torch_fn, *arrays, torch_ok=True) -> dict:
        """numpy/cupy, gputensor and torch callables on copies of the same NumPy arrays."""
        xs = [self.xp.asarray(a) for a in arrays]
        ts = [gt.tensor(a, device=self.device) for a in arrays]
        fns = {self.ref: lambda: np_fn(*xs), "gputensor": lambda: gt_fn(*ts)}
        if self.torch is not None and torch_ok and torch_fn is not None:
            ths = [self.torch.from_numpy(np.ascontiguousarray(a)).to(self.tdev) for a in arrays]
            fns["torch"] = lambda: torch_fn(*ths)
        return fns


def _rng():
    return np.random.default_rng(0)


def _f32(*shape):
    return _rng().random(shape, dtype=np.float32)


def _label(n: int) -> str:
    return f"{n >> 20}M" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n:,}"


def _elements(ctx: Ctx) -> int:
    if ctx.quick:
        return 1 << 22  # 16 MiB: past most caches, still quick
    return 1 << 26 if ctx.ref == "cupy" else 1 << 24


# -- suites ---------------------------------------------------------------------------------
def overhead(ctx: Ctx) -> list[Case]:
    a, b = _f32(1000), _f32(1000)
    cases = [Case("a + b, 1000 float32", ctx.peers(lambda x, y: x + y, lambda x, y: x + y,
                                                   lambda x, y: x + y, a, b),
                  ctx.ref, nbytes=3 * 4000, number=50 if ctx.quick else 200)]
    ga = gt.tensor(a, device=ctx.device, requires_grad=True)
    gb = gt.tensor(b, device=ctx.device)
    xa, xb = ctx.xp.asarray(a), ctx.xp.asarray(b)
    fns = {ctx.ref: lambda: xa + xb, "gputensor": lambda: ga + gb}
    if ctx.torch is not None:
        ta = ctx.torch.from_numpy(a).to(ctx.tdev).requires_grad_()
        tb = ctx.torch.from_numpy(b).to(ctx.tdev)
        fns["torch"] = lambda: ta + tb
    cases.append(Case("a + b, 1000 float32, a.requires_grad (graph recorded)", fns, ctx.ref,
                      nbytes=3 * 4000, number=50 if ctx.quick else 200))
    if ctx.ref == "numpy":  # reuse: benchmarks/autodiff_overhead.py (CPU tensors)
        from .autodiff_overhead import case_small_backward

        fns = case_small_backward()
        fns.pop("gputensor (tape)", None)
        cases.append(Case("c = a*b + a; c.sum().backward(), 1000 float32", fns,
                          "numpy (hand-written)", number=10 if ctx.quick else 50))
    return cases


def elementwise(ctx: Ctx) -> list[Case]:
    n = _elements(ctx)
    a, b = _f32(n), _f32(n)
    lab = _label(n)

    def chain(x, y, exp, tanh):
        return tanh(exp(x * y + x) * 0.5 - y)  # mul, add, exp, mul, sub, tanh

    xp = ctx.xp
    return [
        Case(f"a + b, {lab} float32", ctx.peers(lambda x, y: x + y, lambda x, y: x + y,
                                                lambda x, y: x + y, a, b), ctx.ref,
             nbytes=3 * 4 * n),
        Case(f"exp(a), {lab} float32", ctx.peers(xp.exp, gt.exp, lambda x: x.exp(), a),
             ctx.ref, nbytes=2 * 4 * n),
        Case(f"6-op chain tanh(exp(a*b + a)*0.5 - b), {lab} float32",
             ctx.peers(lambda x, y: chain(x, y, xp.exp, xp.tanh),
                       lambda x, y: chain(x, y, gt.exp, gt.tanh),
                       lambda x, y: chain(x, y, lambda t: t.exp(), lambda t: t.tanh()), a, b),
             ctx.ref, nbytes=3 * 4 * n),  # fused minimum: read a, b, write the result
    ]


def reduction(ctx: Ctx) -> list[Case]:
    n = _elements(ctx)
    m = _f32(n // 1024, 1024)
    shape = f"{m.shape[0]}x1024 float32"
    return [
        Case(f"sum(a), {shape}", ctx.peers(lambda x: x.sum(), gt.sum, lambda x: x.sum(), m),
             ctx.ref, nbytes=4 * n),
        Case(f"sum(a, axis=-1), {shape}",
             ctx.peers(lambda x: x.sum(axis=-1), lambda x: gt.sum(x, axis=-1),
                       lambda x: x.sum(dim=-1), m), ctx.ref, nbytes=4 * n),
        Case(f"sum(a, axis=0), {shape}",
             ctx.peers(lambda x: x.sum(axis=0), lambda x: gt.sum(x, axis=0),
                       lambda x: x.sum(dim=0), m), ctx.ref, nbytes=4 * n),
    ]


def matmul_sizes(ctx: Ctx) -> tuple[int, tuple[int, int]]:
    if ctx.quick:
        return 256, (16, 64)
    return (8192, (256, 512)) if ctx.ref == "cupy" else (1024, (64, 256))


def matmul(ctx: Ctx) -> list[Case]:
    n, (bt, m) = matmul_sizes(ctx)
    mm = (lambda x, y: x @ y)
    return [
        Case(f"a @ b, {n}x{n} float32", ctx.peers(mm, mm, mm, _f32(n, n), _f32(n, n)),
             ctx.ref, flops=2 * n ** 3),
        Case(f"batched a @ b, {bt}x{m}x{m} float32",
             ctx.peers(mm, mm, mm, _f32(bt, m, m), _f32(bt, m, m)), ctx.ref,
             flops=2 * bt * m ** 3),
    ]


def nn(ctx: Ctx) -> list[Case]:
    rows, cols = (1024, 256) if ctx.quick else ((8192, 4096) if ctx.ref == "cupy"
                                                 else (4096, 1024))
    xp, F = ctx.xp, gt.nn.functional
    x = _f32(rows, cols)
    labels = _rng().integers(0, cols, rows).astype(np.int64)
    w, bias = _f32(cols), _f32(cols)
    tF = ctx.torch.nn.functional if ctx.torch is not None else None

    def np_softmax(z):
        e = xp.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def np_ce(z, y):
        zs = z - z.max(axis=-1, keepdims=True)
        lse = xp.log(xp.exp(zs).sum(axis=-1))
        return (lse - xp.take_along_axis(zs, y[:, None], axis=-1)[:, 0]).mean()

    def np_ln(z, w_, b_):
        mu = z.mean(axis=-1, keepdims=True)
        var = z.var(axis=-1, keepdims=True)
        return (z - mu) / xp.sqrt(var + 1e-5) * w_ + b_

    shape = f"{rows}x{cols} float32"
    return [
        Case(f"softmax(x, -1), {shape}",
             ctx.peers(np_softmax, F.softmax, tF and (lambda z: tF.softmax(z, -1)), x),
             ctx.ref, nbytes=2 * x.nbytes),
        Case(f"cross_entropy(x, labels), {shape}",
             ctx.peers(np_ce, F.cross_entropy, tF and tF.cross_entropy, x, labels),
             ctx.ref, nbytes=x.nbytes),
        Case(f"layer_norm(x, ({cols},)), {shape}",
             ctx.peers(np_ln, lambda z, w_, b_: F.layer_norm(z, (cols,), w_, b_),
                       tF and (lambda z, w_, b_: tF.layer_norm(z, (cols,), w_, b_)),
                       x, w, bias), ctx.ref, nbytes=2 * x.nbytes),
    ]


def autodiff(ctx: Ctx) -> list[Case]:
    """Forward + backward of the 784-256-10 MLP (batch 128; no parameter update)."""
    from . import train_step as T

    init = T.init_params(np.float32)
    x_np, y_np = T.make_batch(np.float32)
    F = gt.nn.functional
    p_np = {k: v.copy() for k, v in init.items()}
    fns = {}
    if ctx.ref == "numpy":  # hand-written: the training step with lr=0 (the update is 4 axpys)
        fns["numpy (hand-written)"] = lambda: T.numpy_step(p_np, x_np, y_np, lr=0.0)
    p = {k: gt.tensor(v, device=ctx.device, requires_grad=True) for k, v in init.items()}
    x, y = gt.tensor(x_np, device=ctx.device), gt.tensor(y_np, device=ctx.device)

    def gputensor():
        for t in p.values():
            t.grad = None
        h = F.relu(F.linear(x, p["W1"], p["b1"]))
        F.cross_entropy(F.linear(h, p["W2"], p["b2"]), y).backward()

    fns["gputensor"] = gputensor
    if ctx.torch is not None:
        torch = ctx.torch
        tp = {k: torch.from_numpy(v).to(ctx.tdev).requires_grad_() for k, v in init.items()}
        tx, ty = torch.from_numpy(x_np).to(ctx.tdev), torch.from_numpy(y_np).to(ctx.tdev)
        tF = torch.nn.functional

        def pytorch():
            for t in tp.values():
                t.grad = None
            h = tF.relu(tF.linear(tx, tp["W1"], tp["b1"]))
            tF.cross_entropy(tF.linear(h, tp["W2"], tp["b2"]), ty).backward()

        fns["torch"] = pytorch
    ref = "numpy (hand-written)" if ctx.ref == "numpy" else "gputensor"
    return [Case("MLP 784-256-10 forward + backward, batch 128 float32", fns, ref,
                 flops=_mlp_flops(T.BATCH), number=2 if ctx.quick else 10)]


def _mlp_flops(batch: int) -> int:
    """Matmul FLOPs of one forward + backward of the 784-256-10 MLP: each layer's forward
    and weight gradient, and the input gradient of the second layer only (the first layer's
    input is data: nobody computes its gradient)."""
    return 2 * batch * (2 * 784 * 256 + 3 * 256 * 10)


def train(ctx: Ctx) -> list[Case]:
    """Reuses benchmarks/train_step.py (CPU): one SGD step of the 784-256-10 MLP."""
    from . import train_step as T

    T.check_agreement(np.float32)
    fns, _ = T.peers(np.float32)
    return [Case("MLP 784-256-10 training step (SGD), batch 128 float32", fns,
                 "numpy (hand-written)", flops=_mlp_flops(T.BATCH),
                 number=2 if ctx.quick else 10)]


SUITES: dict[str, Suite] = {s.name: s for s in [
    Suite("overhead", "tiny ops (1000 elements) with and without grad tracking, and a tiny "
          "forward+backward: gputensor vs NumPy/CuPy vs PyTorch", overhead),
    Suite("elementwise", "a + b, exp(a) and a 6-op chain on large float32 arrays: gputensor "
          "vs NumPy/CuPy vs PyTorch; fraction of copy bandwidth", elementwise),
    Suite("reduction", "sum: full, last axis, first axis: gputensor vs NumPy/CuPy vs "
          "PyTorch; fraction of copy bandwidth", reduction),
    Suite("matmul", "square and batched float32 matmul: gputensor vs NumPy/CuPy vs PyTorch; "
          "fraction of the measured matmul rate", matmul),
    Suite("nn", "softmax, cross-entropy, layernorm: gputensor.nn.functional vs the same "
          "written in NumPy/CuPy vs torch.nn.functional", nn),
    Suite("autodiff", "forward+backward of an MLP 784-256-10: gputensor autograd vs the "
          "backward hand-written in NumPy vs PyTorch autograd", autodiff),
    Suite("train", "an MLP 784-256-10 SGD training step (digits-shaped data, batch 128): "
          "gputensor nn+optim, raw tensors+autograd vs hand-written NumPy vs PyTorch (CPU)",
          train, cpu_only=True),
    Suite("kernels", "custom CUDA kernels vs the CuPy routine chain vs PyTorch "
          "(benchmarks/kernels_bench.py; needs a CUDA GPU)", None, gpu_only=True),
]}


# -- running --------------------------------------------------------------------------------
def make_ctx(device: str, quick: bool) -> Ctx:
    from gputensor.backends import get_backend

    backend = get_backend(gt.device(device))
    torch = optional_torch()
    tdev = "cpu"
    if backend.name == "cupy" and torch is not None:
        if torch.cuda.is_available():
            tdev = "cuda:" + (device.split(":")[1] if ":" in device else "0")
        else:
            torch = None
    return Ctx(device=device, quick=quick, xp=backend.xp, backend=backend, torch=torch,
               tdev=tdev)


def _sync(ctx: Ctx):
    def sync():
        ctx.backend.synchronize()
        if ctx.torch is not None and ctx.tdev != "cpu":
            ctx.torch.cuda.synchronize()
    return sync


def roofline(ctx: Ctx) -> dict:
    """The device's copy bandwidth (bytes read + written per second) and float32 matmul
    rate, measured first; every result is reported as a fraction of one of them."""
    xp, sync = ctx.xp, _sync(ctx)
    n = max(_elements(ctx), 1 << 24)  # 64 MiB at least: larger than the caches
    src = xp.asarray(_f32(n))
    dst = xp.empty_like(src)
    reps = 5 if ctx.quick else 20
    t_copy = measure({"copy": lambda: xp.copyto(dst, src)}, repeats=reps, sync=sync)
    k, _ = matmul_sizes(ctx)
    a, b = xp.asarray(_f32(k, k)), xp.asarray(_f32(k, k))
    t_mm = measure({"mm": lambda: a @ b}, repeats=reps, sync=sync)
    return {"copy_gbps": 2 * src.nbytes / t_copy["copy"]["median"] / 1e9,
            "copy_bytes": int(src.nbytes),
            "matmul_gflops": 2 * k ** 3 / t_mm["mm"]["median"] / 1e9, "matmul_n": k}


def run_case(ctx: Ctx, suite: str, case: Case, roof: dict) -> list[dict]:
    sync = _sync(ctx)
    warm = {}
    for peer, fn in case.fns.items():  # first call: allocation, kernel compilation
        t0 = time.perf_counter()
        fn()
        sync()
        warm[peer] = time.perf_counter() - t0
    peaks = {peer: (peak_bytes(fn, ctx.backend) if peer in ("numpy", "gputensor") or
                    peer.startswith("numpy") else None) for peer, fn in case.fns.items()}
    repeats = 5 if ctx.quick else 30
    clock = EventClock(ctx.xp) if ctx.backend.name == "cupy" else None
    res = measure(case.fns, repeats=repeats, number=case.number, warmup=2, sync=sync,
                  clock=clock)
    ref = res[case.reference]["median"]
    rows = []
    for peer, r in res.items():
        row = {"suite": suite, "case": case.name, "device": ctx.device, "peer": peer,
               "reference": case.reference, "median_s": r["median"], "p10_s": r["p10"],
               "p90_s": r["p90"], "warmup_s": warm[peer], "ratio": r["median"] / ref,
               "roofline": None, "roofline_fraction": None, "peak_bytes": peaks[peer],
               "samples": r["samples"]}
        if case.flops:
            row["roofline"] = "matmul_gflops"
            row["roofline_fraction"] = case.flops / r["median"] / 1e9 / roof["matmul_gflops"]
        elif case.nbytes:
            row["roofline"] = "copy_gbps"
            row["roofline_fraction"] = case.nbytes / r["median"] / 1e9 / roof["copy_gbps"]
        rows.append(row)
    return rows


def parse_suites(text: str | None) -> list[str]:
    """``'all'``/None -> every suite; else a comma list, each checked (ValueError names the
    valid ones)."""
    if text is None or text.strip() == "all":
        return list(SUITES)
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in names if s not in SUITES]
    if bad or not names:
        raise ValueError(f"unknown suite {', '.join(map(repr, bad)) or repr(text)}; valid "
                         f"suites: {', '.join(SUITES)} (or all)")
    return names
