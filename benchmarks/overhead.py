"""Overhead and large-array benchmarks against NumPy (the floor) and PyTorch CPU.

Measures, in one process, interleaved, median of many repeats, with BLAS and framework
threads pinned to 1:
- ``a + b`` on 1000-element float32 tensors (per-op overhead; target <= 2.0x NumPy),
- large elementwise ops and reductions (4M and 16M elements; target <= 1.05x NumPy),
- ``import gputensor`` time beyond ``import numpy`` (target <= 50 ms), in fresh interpreters.

Run: ``python -m benchmarks.overhead [--quick] [--json PATH]``.
"""

from __future__ import annotations

from .timing import one_thread_unless_set

one_thread_unless_set()  # before NumPy loads

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import gputensor as gt  # noqa: E402

from .timing import fmt_time, measure, optional_torch, run_meta  # noqa: E402


def cases(sizes: list[int]) -> dict[str, dict]:
    """name -> {peer: callable}; every peer does the same work on the same data."""
    torch = optional_torch()
    rng = np.random.default_rng(0)
    out = {}

    def add_case(name, np_fn, gt_fn, torch_fn, *arrays):
        ts = [gt.from_numpy(a) for a in arrays]
        fns = {"numpy": (lambda: np_fn(*arrays)), "gputensor": (lambda: gt_fn(*ts))}
        if torch is not None:
            ths = [torch.from_numpy(a) for a in arrays]
            fns["torch"] = lambda: torch_fn(*ths)
        out[name] = fns

    a = rng.random(1000, dtype=np.float32)
    b = rng.random(1000, dtype=np.float32)
    add_case("a + b, 1000 float32", lambda x, y: x + y, lambda x, y: x + y,
             lambda x, y: x + y, a, b)
    for n in sizes:
        x = rng.random(n, dtype=np.float32)
        y = rng.random(n, dtype=np.float32)
        label = f"{n // (1 << 20)}M" if n >= 1 << 20 else str(n)
        add_case(f"a + b, {label} float32", lambda p, q: p + q, lambda p, q: p + q,
                 lambda p, q: p + q, x, y)
        add_case(f"exp(a), {label} float32", np.exp, gt.exp, lambda p: p.exp(), x)
        if hasattr(gt, "sum"):
            m = x.reshape(-1, 1024)
            add_case(f"sum(a), {label} float32", np.sum, gt.sum, lambda p: p.sum(), x)
            add_case(f"sum(a, axis=-1), {label} float32 ({m.shape[0]}x1024)",
                     lambda p: p.sum(axis=-1), lambda p: gt.sum(p, axis=-1),
                     lambda p: p.sum(dim=-1), m)
            add_case(f"sum(a, axis=0), {label} float32 ({m.shape[0]}x1024)",
                     lambda p: p.sum(axis=0), lambda p: gt.sum(p, axis=0),
                     lambda p: p.sum(dim=0), m)
    return out


def import_overhead(runs: int = 7) -> dict:
    """Median wall time of ``import numpy`` and ``import gputensor`` in fresh interpreters."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time imports from bytecode, as installed

    def once(stmt):
        code = f"import time; t=time.perf_counter(); {stmt}; print(time.perf_counter()-t)"
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env=env)
        return float(r.stdout.strip())

    once("import gputensor")  # writes the bytecode cache if missing
    t_np = statistics.median(once("import numpy") for _ in range(runs))
    t_gt = statistics.median(once("import gputensor") for _ in range(runs))
    return {"import_numpy_s": t_np, "import_gputensor_s": t_gt, "extra_s": t_gt - t_np}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.overhead")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    sizes = [1 << 20] if args.quick else [1 << 22, 1 << 24]
    rows = []
    print(f"{'case':44} {'peer':10} {'median':>11} {'vs numpy':>9}")
    for name, fns in cases(sizes).items():
        small = "1000" in name
        res = measure(fns, repeats=200 if small else (15 if args.quick else 40),
                      number=200 if small else 1, warmup=5)
        ref = res["numpy"]["median"]
        for peer, r in res.items():
            rows.append({"case": name, "peer": peer, "median_s": r["median"],
                         "p10_s": r["p10"], "p90_s": r["p90"], "ratio": r["median"] / ref})
            print(f"{name:44} {peer:10} {fmt_time(r['median']):>11} "
                  f"{r['median'] / ref:>8.2f}x")
    imp = import_overhead()
    print(f"\nimport numpy {imp['import_numpy_s'] * 1e3:.1f} ms, import gputensor "
          f"{imp['import_gputensor_s'] * 1e3:.1f} ms: +{imp['extra_s'] * 1e3:.1f} ms")
    if args.json:
        meta = run_meta(threads=1)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"meta": meta, "results": rows, "import": imp}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
