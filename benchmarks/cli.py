"""``gputensor-bench``: the environment, then a smoke benchmark on every available device.

The full suites (overhead, elementwise, reductions, matmul, nn, autodiff, train, kernels)
grow here; for now it times a few representative ops against NumPy (and CuPy on CUDA).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys

import numpy as np

import gputensor as gt

from .timing import fmt_time, measure


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


def smoke(device: str, size: int = 1 << 20, repeats: int = 20) -> list[dict]:
    """Time ``a + b``, ``exp(a)`` and ``a @ a.T`` style work against the backend's own module."""
    from gputensor.backends import get_backend

    backend = get_backend(gt.device(device))
    xp = backend.xp
    gt.manual_seed(0)
    a, b = gt.rand(size, device=device), gt.rand(size, device=device)
    xa, xb = a._data, b._data
    small_a, small_b = gt.rand(1000, device=device), gt.rand(1000, device=device)
    sa, sb = small_a._data, small_b._data
    cases = {
        "add 1000 elements": {"gputensor": lambda: small_a + small_b,
                              backend.name: lambda: xp.add(sa, sb)},
        f"add {size} elements": {"gputensor": lambda: a + b, backend.name: lambda: xp.add(xa, xb)},
        f"multiply {size} elements": {"gputensor": lambda: a * b,
                                      backend.name: lambda: xp.multiply(xa, xb)},
    }
    rows = []
    for case, fns in cases.items():
        res = measure(fns, repeats=repeats, number=10 if "1000" in case else 1,
                      sync=backend.synchronize)
        ref = res[backend.name]["median"]
        for peer, r in res.items():
            rows.append({"device": device, "case": case, "peer": peer, "median_s": r["median"],
                         "p10_s": r["p10"], "p90_s": r["p90"],
                         "ratio_to_backend": r["median"] / ref, "samples": r["samples"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gputensor-bench`` command."""
    parser = argparse.ArgumentParser(prog="gputensor-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None,
                        help="only this device (default: every available one)")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--json", metavar="PATH", help="also write every result as JSON")
    args = parser.parse_args(argv)

    env = environment()
    print(f"gputensor {env['gputensor']} | Python {env['python']} | NumPy {env['numpy']} | "
          f"{env['platform']}")
    print("  libraries: " + ", ".join(f"{k}={v or 'not installed'}"
                                      for k, v in env["libraries"].items()))
    for d in env["devices"]:
        print("  device: " + ", ".join(f"{k}={v}" for k, v in d.items()))
    if not env["cuda_available"]:
        print("  cuda: not available (pip install 'gputensor[cuda12]' on a CUDA machine)")

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

    size = 1 << 16 if args.quick else 1 << 22
    rows = []
    print(f"\n{'device':8} {'case':28} {'peer':10} {'median':>12} {'vs backend':>11}")
    for device in devices:
        for r in smoke(device, size=size, repeats=10 if args.quick else 30):
            rows.append(r)
            print(f"{r['device']:8} {r['case']:28} {r['peer']:10} "
                  f"{fmt_time(r['median_s']):>12} {r['ratio_to_backend']:>10.2f}x")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"environment": env, "results": rows}, f, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
