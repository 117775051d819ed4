"""Timing helpers shared by every benchmark: warm-up, interleaved repeats, median and spread."""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import time
from typing import Callable


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_unless_set() -> None:
    """Set the BLAS/OpenMP thread variables to 1 where the environment does not set them;
    call it before NumPy loads (BLAS reads them then)."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")


def blas_threads() -> int | None:
    """The BLAS/OpenMP thread count the environment sets (None: left to the library)."""
    value = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def measure(fns: dict[str, Callable[[], object]], repeats: int = 50, number: int = 1,
            warmup: int = 3, sync: Callable[[], None] | None = None,
            clock=None) -> dict[str, dict]:
    """Time several callables interleaved so machine noise hits all alike, in a new order
    every repeat (a seeded shuffle) so none always runs right after the same peer: the first
    call after another peer's work finds the caches and the allocator as that peer left them,
    which moves a result by several percent.

    Returns, per name, the median and spread of the per-call time in seconds and every sample.
    ``clock``: an object with ``start()`` and ``stop() -> seconds`` (e.g. ``EventClock`` on
    CUDA); by default the wall clock, with ``sync()`` before it is read.

    >>> measure({'noop': lambda: None}, repeats=3)['noop']['median'] >= 0
    True
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    if sync:
        sync()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    items = list(fns.items())
    order = random.Random(0)
    for _ in range(repeats):
        order.shuffle(items)
        for name, fn in items:
            if clock is not None:
                clock.start()
                for _ in range(number):
                    fn()
                samples[name].append(clock.stop() / number)
                continue
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            if sync:
                sync()
            samples[name].append((time.perf_counter() - t0) / number)
    out = {}
    for name, s in samples.items():
        s_sorted = sorted(s)
        out[name] = {"median": statistics.median(s), "p10": s_sorted[len(s) // 10],
                     "p90": s_sorted[(len(s) * 9) // 10], "samples": s}
    return out


class EventClock:
    """Times GPU work with CUDA events on the current stream: ``start()``, the work, then
    ``stop()`` waits for the end event and returns the seconds between the two events."""

    def __init__(self, cupy):
        self.cupy = cupy
        self.begin, self.end = cupy.cuda.Event(), cupy.cuda.Event()

    def start(self) -> None:
        self.cupy.cuda.Device().synchronize()  # earlier work does not count
        self.begin.record()

    def stop(self) -> float:
        self.end.record()
        self.end.synchronize()
        return self.cupy.cuda.get_elapsed_time(self.begin, self.end) / 1e3


def peak_bytes(fn: Callable[[], object], backend) -> int | None:
    """Peak memory allocated while ``fn()`` runs, where the backend can report it: host
    allocations (NumPy registers its arrays with tracemalloc) for the NumPy backend; None for
    CuPy, whose memory pool keeps no peak."""
    if backend.name != "numpy":
        return None
    import tracemalloc

    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1] - base
    if not was_tracing:
        tracemalloc.stop()
    return max(int(peak), 0)


def fmt_time(seconds: float) -> str:
    """A duration with a readable unit: ``fmt_time(2.5e-6) == '2.50 us'``."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.2f} {unit}"
    return f"{seconds / 1e-9:.2f} ns"


def optional_torch():
    """PyTorch with the thread count NumPy's BLAS has (``blas_threads()``, else one) for
    fair comparisons, or None when not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(blas_threads() or 1)
    return torch


def run_meta(**extra) -> dict:
    """What a results file records about the run: date, versions, processor, git commit."""
    import numpy as np

    import gputensor as gt

    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    return {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch_version, "gputensor": gt.__version__,
            "processor": platform.processor() or platform.machine(), "commit": git_commit(),
            **extra}


def git_commit() -> str | None:
    """The short commit of the checkout the benchmarks run from (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    except OSError:
        return None
    return out.stdout.strip() or None
