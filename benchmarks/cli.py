"""``gputensor-bench``: gputensor against NumPy, CuPy and PyTorch on every available device.

Suites (``--suite``, default all; ``--list`` shows what each compares): overhead,
elementwise, reduction, matmul, nn, autodiff, train, kernels. Per device it first measures
the copy bandwidth and matmul rate (the roofline), then times every case with the peers
interleaved (median, p10-p90 spread, first call reported separately), and prints a table;
``--json`` keeps every sample, ``--plot`` draws a bar chart (needs matplotlib).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np

import gputensor as gt

from . import suites as S
from .timing import fmt_time, run_meta


PEERS = ("cupy-cuda12x", "cupy-cuda13x", "cupy", "torch")


def library_versions() -> dict:
    """Installed versions of the peer libraries (None when absent), read from package
    metadata so nothing heavy is imported."""
    from importlib import metadata

    out = {}
    for name in PEERS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def environment() -> dict:
    """Python, library versions and the devices gputensor can use."""
    env = {"python": platform.python_version(), "gputensor": gt.__version__,
           "numpy": np.__version__, "platform": platform.platform(),
           "libraries": library_versions(),
           "cuda_available": gt.cuda.is_available(),
           "cuda_device_count": gt.cuda.device_count()}
    from gputensor.backends import get_backend

    env["devices"] = [get_backend(gt.device(d)).describe() for d in available_devices()]
    return env


def available_devices() -> list[str]:
    """'cpu' and every CUDA device that answers."""
    return ["cpu"] + [f"cuda:{i}" for i in range(gt.cuda.device_count())]


def print_list() -> None:
    for s in S.SUITES.values():
        where = " (CPU only)" if s.cpu_only else (" (CUDA only)" if s.gpu_only else "")
        print(f"{s.name:12} {s.compares}{where}")


def peer_status(devices: list[str]) -> dict:
    """Every peer and whether it runs here ('skipped: ...' when not)."""
    torch = S.optional_torch()
    out = {"numpy": "cpu", "gputensor": ", ".join(devices)}
    cuda = [d for d in devices if d.startswith("cuda")]
    out["cupy"] = ", ".join(cuda) if cuda else "skipped: no CUDA device (or CuPy not installed)"
    out["torch"] = ("skipped: not installed" if torch is None else
                    f"{torch.__version__} (" + ("cpu, cuda" if cuda and torch.cuda.is_available()
                                                else "cpu") + ")")
    return out


def _table_row(r: dict) -> str:
    spread = f"{fmt_time(r['p10_s'])}-{fmt_time(r['p90_s'])}"
    roof = "" if r["roofline_fraction"] is None else (
        f"{r['roofline_fraction']:.1%} " + ("copy" if r["roofline"] == "copy_gbps" else "mm"))
    peak = r.get("peak_bytes")
    peak = "" if peak is None else f"{peak / 2**20:.1f} MiB"
    return (f"  {r['peer']:32} {fmt_time(r['median_s']):>10} {spread:>21} "
            f"{fmt_time(r['warmup_s']):>10} {r['ratio']:>7.2f}x {roof:>11} {peak:>10}")


def run_kernels(device: str, quick: bool) -> tuple[list[dict], str | None]:
    from . import kernels_bench as KB

    if not device.startswith("cuda"):
        return [], "skipped: needs a CUDA GPU"
    reason = KB._no_gpu_reason(device)
    if reason:
        return [], f"skipped: {reason}"
    rep = KB.run(device, quick=quick)
    rows = []
    for k in rep["results"]:
        for peer, r in k.get("peers", {}).items():
            rows.append({"suite": "kernels", "case": f"{k['kernel']} {k['shape']}",
                         "device": device, "peer": peer, "reference": "cupy",
                         "median_s": r.get("median_s"), "p10_s": r.get("p10_s"),
                         "p90_s": r.get("p90_s"), "warmup_s": None, "ratio": None,
                         "roofline": "copy_gbps",
                         "roofline_fraction": r.get("fraction_of_copy"),
                         "samples": r.get("samples", [])})
    return rows, None


def plot(rows: list[dict], path: str) -> bool:
    """A horizontal bar chart of each result's time relative to its reference peer."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"--plot: matplotlib is not installed (pip install matplotlib); {path} not "
              "written", file=sys.stderr)
        return False
    rows = [r for r in rows if r.get("ratio") is not None]
    labels = [f"{r['device']} {r['suite']}: {r['case'][:40]} / {r['peer']}" for r in rows]
    fig, ax = plt.subplots(figsize=(11, max(3, 0.22 * len(rows) + 1)))
    colors = {"gputensor": "tab:blue", "numpy": "tab:gray", "cupy": "tab:green",
              "torch": "tab:orange"}
    ax.barh(range(len(rows)), [r["ratio"] for r in rows],
            color=[colors.get(r["peer"].split(" ")[0], "tab:purple") for r in rows])
    ax.set_yticks(range(len(rows)), labels, fontsize=6)
    ax.invert_yaxis()
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("median time / reference peer's median (lower is faster)")
    ax.set_title("gputensor-bench")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gputensor-bench`` command."""
    parser = argparse.ArgumentParser(prog="gputensor-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None,
                        help="only this device (default: every available one)")
    parser.add_argument("--suite", default="all",
                        help=f"comma list of suites, or all (default): {', '.join(S.SUITES)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--list", action="store_true", help="list the suites and what they "
                        "compare, and exit")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    parser.add_argument("--plot", metavar="PATH", help="bar chart (PNG) via matplotlib")
    args = parser.parse_args(argv)
    if args.list:
        print_list()
        return 0
    try:
        suites = S.parse_suites(args.suite)
    except ValueError as e:
        print(f"gputensor-bench: {e}", file=sys.stderr)
        return 2

    devices = available_devices()
    if args.device == "cuda":
        devices = [d for d in devices if d.startswith("cuda")]
        if not devices:
            from gputensor.backends.cupy_backend import INSTALL_HINT

            print("gputensor-bench: --device cuda asked for, but no CUDA device is available; "
                  f"{INSTALL_HINT}, or run with --device cpu", file=sys.stderr)
            return 2
    elif args.device == "cpu":
        devices = ["cpu"]

    env = environment()
    print(f"gputensor {env['gputensor']} | Python {env['python']} | NumPy {env['numpy']} | "
          f"{env['platform']}")
    print("  libraries: " + ", ".join(f"{k}={v or 'not installed'}"
                                      for k, v in env["libraries"].items()))
    for d in env["devices"]:
        print("  device: " + ", ".join(f"{k}={v}" for k, v in d.items()))
    if not env["cuda_available"]:
        print("  cuda: not available (pip install 'gputensor[cuda12]' on a CUDA machine)")
    peers = peer_status(devices)
    print("  peers: " + "; ".join(f"{k}: {v}" for k, v in peers.items()))

    t_start = time.perf_counter()
    rows, skipped, rooflines = [], [], {}
    for device in devices:
        ctx = S.make_ctx(device, args.quick)
        roof = rooflines[device] = S.roofline(ctx)
        print(f"\n== {device}: copy {roof['copy_gbps']:.1f} GB/s "
              f"({roof['copy_bytes'] >> 20} MiB), float32 matmul {roof['matmul_gflops']:.1f} "
              f"GFLOP/s (n={roof['matmul_n']})")
        print(f"  {'peer':32} {'median':>10} {'p10-p90':>21} {'1st call':>10} "
              f"{'vs ref':>8} {'roofline':>11} {'peak mem':>10}")
        for name in suites:
            suite = S.SUITES[name]
            if name == "kernels":
                krows, why = run_kernels(device, args.quick)
                if why:
                    print(f"[{name}] {why}")
                    skipped.append({"suite": name, "device": device, "reason": why})
                rows.extend(krows)
                continue
            if suite.cpu_only and device != "cpu":
                why = "skipped: CPU only"
                print(f"[{name}] {why}")
                skipped.append({"suite": name, "device": device, "reason": why})
                continue
            for case in suite.build(ctx):
                print(f"[{name}] {case.name} (reference: {case.reference})")
                for r in S.run_case(ctx, name, case, roof):
                    rows.append(r)
                    print(_table_row(r))
    elapsed = time.perf_counter() - t_start
    print(f"\n{len(rows)} results in {elapsed:.1f} s")
    if args.json:
        report = {"meta": run_meta(quick=args.quick, suites=suites, elapsed_s=elapsed),
                  "environment": env, "peers": peers, "roofline": rooflines,
                  "skipped": skipped, "results": rows}
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.json}")
    if args.plot and plot(rows, args.plot):
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
