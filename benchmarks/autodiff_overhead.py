"""Autodiff overhead against a hand-written NumPy forward+backward (the floor for a
NumPy-backed engine) and PyTorch CPU, in one process, interleaved, median of many repeats,
with BLAS and framework threads pinned to 1.

Cases (each peer does the same work on the same data):
1. ``c = a*b + a; c.sum().backward()`` on 1000-element float32 tensors (per-op and
   per-backward overhead). The hand-written version computes ``c``, its sum, and the
   gradients ``ga = g*b + g``, ``gb = g*a`` with ``g = ones`` (what the graph does).
   ``gputensor (tape)`` is the same with two Variables and a ``GradientTape``.
2. Build and backward a 10,000-step scalar chain ``x = x*1.0001 + 0.0001`` (20,000 recorded
   ops). The hand-written reference runs forward and backward on NumPy 0-d float32 arrays,
   each result kept a 0-d array (``np.asarray`` of the ufunc's result, as a NumPy-backed
   tensor must hold it): the forward records the factor of each multiply on a Python list,
   the backward is a reverse loop ``g = g * factor``. Two more rows are for information:
   the same on NumPy float32 scalars (what NumPy hands back from 0-d ufuncs when nobody
   wraps them), and gputensor with the cycle collector switched off (the part of the time
   that the collector's full passes over a growing graph take).

Targets (reported, not asserted): at most 4x the hand-written time for both cases.

Run: ``python -m benchmarks.autodiff_overhead [--quick] [--json PATH]``.
"""

from __future__ import annotations

from .timing import one_thread_unless_set

one_thread_unless_set()  # before NumPy loads

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import gputensor as gt  # noqa: E402

from .timing import fmt_time, measure, optional_torch, run_meta  # noqa: E402

TARGET = 4.0
CHAIN = 10_000


def case_small_backward() -> dict:
    """Case 1: ``c = a*b + a; c.sum().backward()`` on 1000 float32 elements."""
    rng = np.random.default_rng(0)
    a_np = rng.random(1000, dtype=np.float32)
    b_np = rng.random(1000, dtype=np.float32)

    def numpy_hand():
        c = a_np * b_np + a_np
        s = c.sum()
        g = np.ones_like(c)  # d s / d c
        ga = g * b_np + g
        gb = g * a_np
        return s, ga, gb

    a = gt.tensor(a_np, requires_grad=True)
    b = gt.tensor(b_np, requires_grad=True)

    def gputensor():
        a.grad = b.grad = None
        c = a * b + a
        c.sum().backward()

    va, vb = gt.Variable(a_np), gt.Variable(b_np)

    def gputensor_tape():
        with gt.GradientTape() as tape:
            c = va * vb + va
            s = c.sum()
        return tape.gradient(s, [va, vb])

    fns = {"numpy (hand-written)": numpy_hand, "gputensor": gputensor,
           "gputensor (tape)": gputensor_tape}
    torch = optional_torch()
    if torch is not None:
        ta = torch.from_numpy(a_np.copy()).requires_grad_()
        tb = torch.from_numpy(b_np.copy()).requires_grad_()

        def pytorch():
            ta.grad = tb.grad = None
            c = ta * tb + ta
            c.sum().backward()

        fns["torch"] = pytorch
        pytorch()
        np.testing.assert_allclose(ta.grad.numpy(), numpy_hand()[1], rtol=1e-6)
    # every peer computes the same gradients, so the timings compare like with like
    _, ga, gb = numpy_hand()
    gputensor()
    np.testing.assert_allclose(a.grad.numpy(), ga, rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), gb, rtol=1e-6)
    tga, tgb = gputensor_tape()
    np.testing.assert_allclose(tga.numpy(), ga, rtol=1e-6)
    return fns


def case_scalar_chain(n: int = CHAIN) -> dict:
    """Case 2: build and backward ``x = x*1.0001 + 0.0001``, ``n`` steps, float32 0-d."""

    asarray, multiply, add = np.asarray, np.multiply, np.add
    m, c = np.asarray(1.0001, dtype=np.float32), np.asarray(0.0001, dtype=np.float32)

    def numpy_hand():
        x = np.asarray(1.0, dtype=np.float32)
        factors = []
        for _ in range(n):
            factors.append(m)  # what the multiply's backward needs
            x = asarray(add(asarray(multiply(x, m)), c))
        g = np.ones((), dtype=np.float32)
        for f in reversed(factors):
            g = asarray(multiply(g, f))  # the add passes g through; the multiply scales it
        return x, g

    ms, cs = np.float32(1.0001), np.float32(0.0001)

    def numpy_scalars():
        x = np.float32(1.0)
        factors = []
        for _ in range(n):
            factors.append(ms)
            x = x * ms + cs
        g = np.float32(1.0)
        for f in reversed(factors):
            g = g * f
        return x, g

    x0 = gt.tensor(1.0, requires_grad=True)

    def gputensor():
        x0.grad = None
        x = x0
        for _ in range(n):
            x = x * 1.0001 + 0.0001
        x.backward()

    def gputensor_no_gc():
        gc.disable()
        try:
            gputensor()
        finally:
            gc.enable()

    fns = {"numpy (hand-written)": numpy_hand, "gputensor": gputensor,
           "numpy scalars (hand-written, info)": numpy_scalars,
           "gputensor, cycle collector off (info)": gputensor_no_gc}
    torch = optional_torch()
    if torch is not None:
        t0 = torch.tensor(1.0, requires_grad=True)

        def pytorch():
            t0.grad = None
            x = t0
            for _ in range(n):
                x = x * 1.0001 + 0.0001
            x.backward()

        fns["torch"] = pytorch
    _, g = numpy_hand()
    gputensor()
    np.testing.assert_allclose(x0.grad.item(), float(g), rtol=1e-3)
    return fns


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.autodiff_overhead")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    cases = [
        ("c = a*b + a; c.sum().backward(), 1000 float32", case_small_backward(),
         dict(repeats=30 if args.quick else 200, number=20 if args.quick else 50, warmup=20)),
        (f"{CHAIN:,}-step scalar chain x = x*1.0001 + 0.0001, build + backward",
         case_scalar_chain(), dict(repeats=3 if args.quick else 15, number=1, warmup=1)),
    ]
    rows = []
    print(f"{'case / peer':58} {'median':>11} {'vs hand-written':>16}")
    for name, fns, opts in cases:
        print(name)
        res = measure(fns, **opts)
        ref = res["numpy (hand-written)"]["median"]
        for peer, r in res.items():
            ratio = r["median"] / ref
            rows.append({"case": name, "peer": peer, "median_s": r["median"],
                         "p10_s": r["p10"], "p90_s": r["p90"], "ratio": ratio})
            mark = "" if peer.startswith("numpy") or "info" in peer else (
                "  (target <= 4x)" if ratio <= TARGET else "  (over the 4x target)")
            print(f"  {peer:56} {fmt_time(r['median']):>11} {ratio:>15.2f}x{mark}")
    if args.json:
        meta = run_meta(threads=1, target_ratio=TARGET)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
