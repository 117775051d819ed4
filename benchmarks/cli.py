"""``gputensor-bench``: gputensor against NumPy, CuPy and PyTorch on every available device.

Suites (``--suite``, default all; ``--list`` shows what each compares): overhead,
elementwise, reduction, matmul, nn, autodiff, train, kernels. Per device it first measures
the copy bandwidth and matmul rate (the roofline), then times every case with the peers
interleaved (median, p10-p90 spread, first call reported separately), and prints a table;
``--json`` keeps every sample, ``--plot`` draws a bar chart (needs matplotlib),
``--markdown`` writes the results as a Markdown section (device, date, commit, versions, one
table per suite), for the README; ``--from-json FILE --markdown PATH`` makes the same section
from a file written by ``--json`` without running anything.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time

import numpy as np

import gputensor as gt

from . import suites as S
from .timing import THREAD_VARS, blas_threads, fmt_time, run_meta


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


def cpu_model() -> str:
    """The CPU's model name where the system says it (Linux: /proc/cpuinfo), else the
    processor architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name") and ":" in line:
                    name = " ".join(line.split(":", 1)[1].split())
                    if name:
                        return name
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """Python, library versions and the devices gputensor can use."""
    env = {"python": platform.python_version(), "gputensor": gt.__version__,
           "numpy": np.__version__, "platform": platform.platform(), "cpu": cpu_model(),
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


# -- Markdown ---------------------------------------------------------------------------------
PEER_NAMES = {"numpy": "NumPy", "cupy": "CuPy", "gputensor": "gputensor",
              "custom": "gputensor kernel", "torch": "PyTorch"}  # also the column order
GPUTENSOR_PEERS = ("gputensor", "custom")  # whose fraction of roofline the table shows


def _md(text) -> str:
    """``text`` with the characters Markdown would read as markup (or a table's ``|``)
    escaped."""
    out = str(text)
    for ch in "\\`*[]<|":
        out = out.replace(ch, "\\" + ch)
    # '_' inside a word (requires_grad, x86_64) is no markup; at a word's edge it may be
    return re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", out)


def _peer_title(peer: str) -> str:
    """'numpy (hand-written)' -> 'NumPy (hand-written)', 'torch' -> 'PyTorch'."""
    base, sep, note = peer.partition(" (")
    return PEER_NAMES.get(base, base) + sep + note


def _device_line(device: str, env: dict, roof: dict | None) -> str:
    desc = next((d for d in env.get("devices", []) if d.get("device") == device), {})
    if device.startswith("cuda"):
        facts = [desc.get("gpu") or "GPU"]
        if desc.get("memory_gib"):
            facts.append(f"{desc['memory_gib']} GiB")
    else:
        facts = [env.get("cpu") or desc.get("processor") or "CPU"]
        if desc.get("processor") and desc["processor"] != facts[0]:
            facts.append(desc["processor"])
        if env.get("platform"):
            facts.append(env["platform"])
    text = f"{device} ({', '.join(facts)}"
    if roof:
        text += (f"; copy {roof['copy_gbps']:.1f} GB/s, float32 matmul "
                 f"{roof['matmul_gflops']:.1f} GFLOP/s")
    return _md(text + ")")


def _versions(meta: dict, env: dict) -> str:
    libs = env.get("libraries", {})
    torch = meta.get("torch") or libs.get("torch")
    cupy = next((f"{v} ({k})" for k, v in libs.items() if k.startswith("cupy") and v), None)
    cupy = cupy or next((d["cupy"] for d in env.get("devices", []) if d.get("cupy")), None)
    return (f"Python {meta.get('python') or env.get('python')}, "
            f"NumPy {meta.get('numpy') or env.get('numpy')}, "
            f"PyTorch {torch or 'not installed'}, CuPy {cupy or 'not installed'}")


def _ratio(row: dict, case_rows: list[dict]) -> float | None:
    """The row's median over its reference's (JSON rows carry it, except the kernels')."""
    if row.get("ratio") is not None:
        return row["ratio"]
    ref = next((r for r in case_rows if r["peer"] == row.get("reference")), None)
    if ref is None or not ref.get("median_s") or row.get("median_s") is None:
        return None
    return row["median_s"] / ref["median_s"]


def _cell(row: dict | None, case_rows: list[dict]) -> str:
    if row is None or row.get("median_s") is None:
        return "-"
    ratio = _ratio(row, case_rows)
    return fmt_time(row["median_s"]) + ("" if ratio is None else f" ({ratio:.2f}x)")


def _roof_cell(row: dict | None) -> str:
    if row is None or row.get("roofline_fraction") is None:
        return "-"
    return f"{row['roofline_fraction']:.1%} " + ("mm" if row.get("roofline") == "matmul_gflops"
                                                 else "copy")


def _suite_table(rows: list[dict]) -> list[str]:
    """One Markdown table: a line per case, a column per peer, each cell the median and its
    ratio to the case's reference; then gputensor's fraction of the roofline where reported.
    A peer 'X (note)' shares X's column (the note goes to the case) unless the case also has
    a plain X or another 'X (...)' already took it."""
    cases: dict[str, list[dict]] = {}
    for r in rows:
        cases.setdefault(r["case"], []).append(r)
    columns: list[str] = []
    lines = []
    for name, case_rows in cases.items():
        plain = {r["peer"] for r in case_rows}
        cells, notes = {}, []
        for r in case_rows:
            base = r["peer"].partition(" (")[0]
            shared = r["peer"] == base or (base not in plain and base not in cells)
            key = base if shared else r["peer"]
            if key != r["peer"]:  # 'numpy (hand-written)' -> 'NumPy: hand-written'
                notes.append(f"{_peer_title(base)}: {r['peer'][len(base) + 2:].rstrip(')')}")
            cells[key] = r
            if key not in columns:
                columns.append(key)
        lines.append((name + (f" ({', '.join(notes)})" if notes else ""), case_rows, cells))
    order = list(PEER_NAMES)
    columns.sort(key=lambda c: (order.index(c.partition(" (")[0]) if c.partition(" (")[0]
                                in order else len(order)))
    show_roof = any(r.get("roofline_fraction") is not None for r in rows
                    if r["peer"] in GPUTENSOR_PEERS)
    head = ["case"] + [_peer_title(c) for c in columns] + (["gputensor roofline"]
                                                           if show_roof else [])
    out = ["| " + " | ".join(_md(h) for h in head) + " |",
           "|" + "---|" + "---:|" * (len(head) - 1)]
    for name, case_rows, cells in lines:
        row = [_md(name)] + [_cell(cells.get(c), case_rows) for c in columns]
        if show_roof:
            row.append(_roof_cell(next((cells[p] for p in GPUTENSOR_PEERS if p in cells),
                                       None)))
        out.append("| " + " | ".join(row) + " |")
    return out


def markdown(report: dict) -> str:
    """A report (what ``--json`` writes) as a Markdown section: one line naming the devices,
    date, commit, versions and whether the run was --quick, a line saying how to read the
    cells, then per device one table per suite (or why the suite was skipped)."""
    meta, env = report.get("meta", {}), report.get("environment", {})
    results, skipped = report.get("results", []), report.get("skipped", [])
    roofs = report.get("roofline", {})
    devices = list(roofs)
    for r in results + skipped:
        if r["device"] not in devices:
            devices.append(r["device"])
    suites = list(meta.get("suites") or [])
    for r in results + skipped:
        if r["suite"] not in suites:
            suites.append(r["suite"])
    commit = meta.get("commit")
    head = ("Devices: " if len(devices) > 1 else "Device: ") + "; ".join(
        _device_line(d, env, roofs.get(d)) for d in devices)
    head += (f". Date {meta.get('date', 'unknown')}, commit "
             + (f"`{commit}`" if commit else "unknown")
             + f", gputensor {meta.get('gputensor') or env.get('gputensor')}; "
             + _versions(meta, env) + "; "
             + ("`--quick` run (small sizes, few repeats)." if meta.get("quick")
                else "full run (not `--quick`)."))
    out = [head, "",
           "Each cell: median time (ratio to the case's reference peer, 1.00x; lower is "
           "faster). gputensor roofline: its fraction of the device's measured copy bandwidth "
           "(copy) or float32 matmul rate (mm)."]
    for device in devices:
        for suite in suites:
            rows = [r for r in results if r["device"] == device and r["suite"] == suite]
            why = [s["reason"] for s in skipped if s["device"] == device
                   and s["suite"] == suite]
            where = f" on {device}" if len(devices) > 1 else ""
            if rows:
                out += ["", f"**{suite}**{where}", ""] + _suite_table(rows)
            for reason in why:
                reason = reason.removeprefix("skipped: ")
                out += ["", f"**{suite}**{where}: skipped ({_md(reason)})."]
    return "\n".join(out) + "\n"


def write_outputs(report: dict, json_path=None, markdown_path=None, plot_path=None) -> None:
    """Write the report as JSON, Markdown ('-': standard output) and a bar chart, as asked."""
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {json_path}")
    if markdown_path == "-":
        print(markdown(report), end="")
    elif markdown_path:
        with open(markdown_path, "w", encoding="utf-8") as f:
            f.write(markdown(report))
        print(f"wrote {markdown_path}")
    if plot_path and plot(report.get("results", []), plot_path):
        print(f"wrote {plot_path}")


def _pin_threads(n: int) -> None:
    """Run with ``n`` BLAS/OpenMP threads: BLAS reads the variables when NumPy loads it, so
    when they say otherwise the command starts again (same arguments) with them set;
    PyTorch follows them through ``set_num_threads`` (``timing.optional_torch``)."""
    import os

    if all(os.environ.get(v) == str(n) for v in THREAD_VARS):
        return
    os.environ.update({v: str(n) for v in THREAD_VARS})
    sys.stdout.flush()
    if os.path.basename(sys.argv[0]) in ("cli.py", "__main__.py"):  # python -m ...
        os.execv(sys.executable, [sys.executable, "-m", __spec__.name, *sys.argv[1:]])
    # the gputensor-bench script: run it again as it is (-m would put the working directory,
    # perhaps a source checkout, ahead of the installed package)
    os.execv(sys.executable, [sys.executable, sys.argv[0], *sys.argv[1:]])


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
    parser.add_argument("--markdown", metavar="PATH", help="also write the results as a "
                        "Markdown section: devices, date, commit, versions, one table per "
                        "suite (- for standard output)")
    parser.add_argument("--from-json", metavar="FILE", help="run nothing: read the results "
                        "from a file written by --json (for --markdown, default standard "
                        "output, and --plot)")
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="BLAS/OpenMP and PyTorch threads on the CPU (default 1: on a "
                        "shared machine multi-threaded ratios are noise); 0 leaves them as "
                        "the environment sets them")
    args = parser.parse_args(argv)
    if argv is None and args.threads > 0 and not args.list and not args.from_json:
        _pin_threads(args.threads)  # may restart the command with the settings in place
    if args.list:
        print_list()
        return 0
    if args.from_json:
        given = [opt for opt, on in (("--json", args.json), ("--quick", args.quick),
                                     ("--device", args.device),
                                     ("--suite", args.suite != "all")) if on]
        if given:
            parser.error(f"--from-json runs nothing; it does not go with {', '.join(given)}")
        try:
            with open(args.from_json, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, ValueError) as e:
            print(f"gputensor-bench: cannot read {args.from_json}: {e}", file=sys.stderr)
            return 2
        write_outputs(report, markdown_path=args.markdown or ("-" if not args.plot else None),
                      plot_path=args.plot)
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
    report = {"meta": run_meta(quick=args.quick, suites=suites, elapsed_s=elapsed,
                               threads=blas_threads()),
              "environment": env, "peers": peers, "roofline": rooflines,
              "skipped": skipped, "results": rows}
    write_outputs(report, args.json, args.markdown, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
