"""Custom CUDA kernels of the CUDA backend: the registry, and building them through CuPy.

One ``Kernel`` entry per kernel says everything about it: its source in ``kernels/``, its
entry points (``gt_<op>_<fwd|bwd>`` plus a dtype suffix ``_f16 _f32 _f64``), the dtypes it
has, its kind (``'elementwise'``: a ``cupy.ElementwiseKernel`` built from a C expression;
``'raw'``: ``extern "C"`` kernels of a ``.cu`` file, built with ``cupy.RawModule``), how it
is launched (``run``), which op-table entries it overrides on CUDA, and what the checks feed
it (``check``, with the NumPy ``reference``).

Three consumers read the registry, so adding a kernel is one source plus one entry:

- ``CupyBackend.resolve(op)`` asks ``override(op, backend)``: when custom kernels are on (the
  environment variable ``GPUTENSOR_KERNELS`` is not ``off``, and ``set_enabled`` /
  ``gt.cuda.use_custom_kernels`` did not switch them off) and an entry overrides ``op.name``,
  the op runs the kernel where it applies (dtype, axis, attributes) and the array-module
  forward elsewhere. The NumPy backend never looks here.
- tests/test_kernels_compile.py compiles every compile unit (``compile_units()``) with
  ``nvcc --ptx`` for sm_80 and sm_90 and finds every entry point in the PTX.
- tests/test_kernels_cpu.py builds every unit with the host compiler through
  ``kernels/cuda_host_emulation.h`` and runs every entry's ``run`` on NumPy arrays through
  ctypes (the same ``run`` code the GPU path uses) against its reference, and every override
  against the op's own forward on the op's samples.

CuPy is imported only when a kernel is first launched. Caches: one ``CupyLauncher`` per
(kernel, dtype, device) (``launcher``), one ``cupy.RawModule`` per (source file, device) holding
every dtype's entry points, one ``cupy.ElementwiseKernel`` per elementwise kernel and dtype;
CuPy keeps the binaries in its on-disk cache too.
"""

from __future__ import annotations

import functools
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

# -- settings -------------------------------------------------------------------------------
ENV = "GPUTENSOR_KERNELS"
_OFF = ("off", "0", "false", "no")
_enabled = os.environ.get(ENV, "on").strip().lower() not in _OFF


def enabled() -> bool:
    """Whether the CUDA backend runs custom kernels (``$GPUTENSOR_KERNELS`` != 'off')."""
    return _enabled


def set_enabled(flag: bool) -> bool:
    """Switch custom kernels on or off for every CUDA device; returns the previous setting.

    Off, every op runs its array-module forward (CuPy's routines), so the two paths can be
    compared on one GPU. The backends' cached callables are dropped, so it takes effect at
    the next op.
    """
    global _enabled
    old, _enabled = _enabled, bool(flag)
    if old != _enabled:
        from . import live_backends

        for b in live_backends():
            if b.name != "numpy":
                b._impls.clear()
                if b.device is not None:
                    b.device.fast.clear()
    return old


# -- dtypes ---------------------------------------------------------------------------------
# dtype name -> (entry-point suffix, C storage type, C accumulation type)
DTYPES = {"float16": ("f16", "gt_half", "float"),
          "float32": ("f32", "float", "float"),
          "float64": ("f64", "double", "double")}
_FLOATS = ("float16", "float32", "float64")


def suffix(dtype) -> str:
    """The entry-point suffix of a dtype: ``suffix('float32') == 'f32'``."""
    return DTYPES[np.dtype(dtype).name][0]


# -- the registry ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """What the CPU (emulated) and GPU checks feed a kernel.

    shapes: input shapes (every input of an elementwise kernel has the shape; for row kernels
      the rows are the last axis). attrs: attribute dicts, each run with every shape.
    make: ``make(rng, shape, dtype, special, attrs) -> tuple of arrays`` (None:
      ``make_inputs``: one random float array per input, with nan/inf/extreme values when
      ``special``). ``inputs_for`` picks the one to use.
    extreme: the large magnitude planted among the special values (1e4: softmax logits).
    rtol: relative tolerance per dtype name against the float64 reference; absolute
      tolerance is ``rtol`` times ``scale(inputs)`` (default 1: outputs of order one).
    """

    shapes: tuple = ((1,), (63,), (64,), (1000,), (3, 77), (2, 3, 5))
    attrs: tuple = ({},)
    make: Callable | None = None
    extreme: float = 1e4
    rtol: dict = field(default_factory=lambda: {"float16": 2e-3, "float32": 1e-5,
                                                "float64": 1e-12})
    scale: Callable | None = None


ROW_SHAPES = ((1, 1), (1,), (5, 1), (3, 63), (4, 64), (2, 300), (9, 1000), (2, 3, 33))


@dataclass(frozen=True, eq=False)
class Kernel:
    """One registry entry (see the module docstring and kernels/README.md).

    name: registry key, ``<op>_<fwd|bwd>``; entry points are ``gt_<name>_<suffix>``.
    kind: 'elementwise' (``expr``) or 'raw' (``source`` + ``run``).
    source: the file in kernels/: the ``.cu`` of a raw kernel, the preamble header of an
      elementwise one.
    entries: raw kernels: the entry points ``run`` launches, without the dtype suffix.
    dtypes: dtype names it has (float16 computes in float32).
    overrides: op names whose forward it replaces on CUDA (internal OpDefs too, by name).
    run: raw kernels: ``run(k, *arrays, **attrs)`` with ``k`` a launcher (``k.xp``,
      ``k(entry, grid, block, *args)``, ``k.max_block``, ``k.max_grid``); returns the result,
      or ``NotImplemented`` where the kernel does not apply (the op's forward runs instead).
    inputs / output / expr / params: elementwise kernels: argument names, the C expression
      over ``{input}`` and ``{param}`` (None: the overridden OpDef's ``cuda`` string, over
      ``{0}``...), and the scalar attributes with their defaults.
    reference: NumPy reference in float64, ``reference(*arrays, **attrs)``; None: the first
      overridden op's forward on float64 NumPy arrays.
    launch: the launch configuration in words (kernels/README.md lists it).
    """

    name: str
    kind: str
    source: str
    entries: tuple = ()
    dtypes: tuple = _FLOATS
    overrides: tuple = ()
    run: Callable | None = None
    inputs: tuple = ("x",)
    output: str = "y"
    expr: str | None = None
    params: dict = field(default_factory=dict)
    reference: Callable | None = None
    check: Check = Check()
    launch: str = ""

    def entry_points(self, dtype=None) -> list[str]:
        """Full entry-point names, for one dtype or all of this kernel's dtypes."""
        names = (f"gt_{self.name}",) if self.kind == "elementwise" else self.entries
        dts = self.dtypes if dtype is None else (np.dtype(dtype).name,)
        return [f"{e}_{DTYPES[d][0]}" for d in dts for e in names]

    def unit(self) -> str:
        """The compile unit holding this kernel: its .cu file, or its elementwise group."""
        return self.source if self.kind == "raw" else f"elementwise:{self.source}"

    def c_expr(self) -> str:
        """The elementwise C expression with inputs and params converted to ``A``."""
        expr = self.expr
        if expr is None:
            expr = _op(self.overrides[0]).cuda
        names = {n: f"((A){n})" for n in (*self.inputs, *self.params)}
        return expr.format(*(names[n] for n in self.inputs), **names)

    def operation(self, dtype) -> str:
        """The elementwise operation (CuPy's ``operation``; also the body of the generated
        kernel the checks compile): ``typedef <acc> A; <output> = (T)(<expr>);``."""
        acc = DTYPES[np.dtype(dtype).name][2]
        return f"typedef {acc} A; {self.output} = (T)({self.c_expr()});"


REGISTRY: dict[str, Kernel] = {}
OVERRIDES: dict[str, Kernel] = {}


def register(kernel: Kernel) -> Kernel:
    """Add an entry (names unique; an op is overridden by at most one kernel)."""
    if kernel.name in REGISTRY:
        raise ValueError(f"kernel {kernel.name!r} is registered twice")
    if kernel.kind not in ("elementwise", "raw"):
        raise ValueError(f"kernel {kernel.name!r}: kind must be 'elementwise' or 'raw'")
    if kernel.kind == "raw" and (kernel.run is None or not kernel.entries):
        raise ValueError(f"kernel {kernel.name!r}: a raw kernel needs entries and run")
    for op in kernel.overrides:
        if op in OVERRIDES:
            raise ValueError(f"op {op!r} is overridden by {OVERRIDES[op].name!r} and "
                             f"{kernel.name!r}")
    for op in kernel.overrides:
        OVERRIDES[op] = kernel
    REGISTRY[kernel.name] = kernel
    return kernel


def _op(name: str):
    from ..ops import OPS

    op = OPS.get(name)
    if op is None:  # internal rows (not in the public table) are found by name elsewhere
        from ..nn import functional as F
        from ..ops import elementwise as E  # the activation gradients (relu_grad...)

        op = next((v for mod in (F, E) for v in vars(mod).values()
                   if getattr(v, "name", None) == name and hasattr(v, "fwd")), None)
    if op is None:
        raise KeyError(f"no op named {name!r}")
    return op


# -- sources: reading, includes, compile units ----------------------------------------------
def kernel_dir() -> Path:
    """Where the kernel sources are: ``$GPUTENSOR_KERNEL_DIR``, else the installed
    ``gputensor.kernels`` package, else the checkout's top-level ``kernels/`` folder."""
    override = os.environ.get("GPUTENSOR_KERNEL_DIR")
    if override:
        return Path(override)
    try:
        import gputensor.kernels as installed  # the wheel ships kernels/ under this name
    except ImportError:
        return Path(__file__).resolve().parents[2] / "kernels"
    return installed.kernel_dir()


_kernel_dir = kernel_dir


_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[ \t]*$', re.M)


def expand_includes(text: str, kernel_dir=None, _seen=None) -> str:
    """``text`` with its local ``#include "x"`` lines replaced by the files' text (once each,
    as #pragma once), so NVRTC needs no include path and CuPy's cache key covers headers."""
    kdir = kernel_dir or _kernel_dir()
    seen = set() if _seen is None else _seen

    def sub(m):
        name = m.group(1)
        if name in seen:
            return f"// {name} (already included)"
        seen.add(name)
        body = (kdir / name).read_text(encoding="utf-8")
        return expand_includes(body, kdir, seen).replace("#pragma once", "")

    return _INCLUDE.sub(sub, text)


_GENERATED = string.Template("""\
// generated by gputensor/backends/kernels.py (elementwise_source) from the registry:
// one grid-stride kernel per elementwise entry and dtype, around the entry's operation.
#include "common.cuh"
#include "$source"
$kernels""")


def elementwise_source(source: str, kernels=None) -> str:
    """The compile unit of the elementwise entries whose preamble is ``source``: for each
    entry and dtype a kernel ``gt_<name>_<suffix>(const T* <in>_ptr..., T* <out>_ptr,
    long long n, double <param>...)`` running the entry's operation on contiguous arrays."""
    kernels = kernels or [k for k in REGISTRY.values()
                          if k.kind == "elementwise" and k.source == source]
    parts = []
    for k in kernels:
        for d in k.dtypes:
            suffix_, ctype, _ = DTYPES[d]
            args = [f"const {ctype}* __restrict__ {n}_ptr" for n in k.inputs]
            args += [f"{ctype}* __restrict__ {k.output}_ptr", "long long n"]
            args += [f"double {p}" for p in k.params]
            loads = " ".join(f"const T {n} = {n}_ptr[i];" for n in k.inputs)
            parts.append(
                f'extern "C" __global__ void gt_{k.name}_{suffix_}({", ".join(args)}) {{\n'
                f"    typedef {ctype} T;\n"
                f"    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; "
                f"i < n; i += (long long)blockDim.x * gridDim.x) {{\n"
                f"        {loads} T {k.output};\n"
                f"        {k.operation(d)}\n"
                f"        {k.output}_ptr[i] = {k.output};\n"
                f"    }}\n}}\n")
    return _GENERATED.substitute(source=source, kernels="\n".join(parts))


def compile_units(kernel_dir=None) -> dict[str, str]:
    """Every compile unit of the registry: name -> source text (with ``#include`` lines
    left in: compile with ``-I kernel_dir``). Raw entries share their ``.cu`` file's unit;
    the elementwise entries of one preamble share one generated unit."""
    kdir = kernel_dir or _kernel_dir()
    units = {}
    for k in REGISTRY.values():
        u = k.unit()
        if u not in units:
            units[u] = ((kdir / k.source).read_text(encoding="utf-8") if k.kind == "raw"
                        else elementwise_source(k.source))
    return units


def unit_entries(unit: str) -> list[str]:
    """Every entry point the registry expects in a compile unit."""
    names = [e for k in REGISTRY.values() if k.unit() == unit for e in k.entry_points()]
    return sorted(set(names))


_SIGNATURE = re.compile(r'extern\s+"C"\s+__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s+)?'
                        r"(\w+)\s*\(([^)]*)\)")
SCALAR_TYPES = {"int": np.int32, "unsigned": np.uint32, "unsigned int": np.uint32,
                "long long": np.int64, "long long int": np.int64,
                "unsigned long long": np.uint64, "float": np.float32, "double": np.float64}


def signatures(text: str) -> dict[str, list]:
    """The ``extern "C" __global__`` entry points of a source and their parameters: name ->
    list of ``'ptr'`` (a pointer: an array) or a NumPy scalar type (``np.int64`` for
    ``long long``...). The kernels' Python callers convert arguments with it."""
    out = {}
    for name, params in _SIGNATURE.findall(text):
        kinds = []
        for p in (p.strip() for p in params.split(",") if p.strip()):
            if "*" in p:
                kinds.append("ptr")
                continue
            words = [w for w in p.replace("const", " ").split() if w != "__restrict__"]
            ctype = " ".join(words[:-1])
            if ctype not in SCALAR_TYPES:
                raise ValueError(f"kernel {name}: parameter type {ctype!r} is not one of "
                                 f"{sorted(SCALAR_TYPES)} (or a pointer)")
            kinds.append(SCALAR_TYPES[ctype])
        out[name] = kinds
    return out


# -- launching on CUDA (CuPy) ---------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _unit_text(source: str) -> tuple[str, dict]:
    """(expanded text, signatures) of a raw source, read once per process."""
    text = expand_includes((_kernel_dir() / source).read_text(encoding="utf-8"))
    return text, signatures(text)


@functools.lru_cache(maxsize=None)
def _raw_module(source: str, device: int):
    """The CuPy module of a raw source for one device, compiled on first use (CuPy also
    keeps the binary in its on-disk cache, keyed by the expanded text)."""
    import cupy

    with cupy.cuda.Device(device):
        return cupy.RawModule(code=_unit_text(source)[0], options=("--std=c++17",))


class CupyLauncher:
    """Launches one kernel's entry points for one dtype on one CUDA device (``k`` of
    ``Kernel.run``). Compiles on first use (CuPy also caches the binary on disk)."""

    max_block = 1024
    max_grid = 1 << 20

    def __init__(self, kernel: Kernel, dtype: str, device: int):
        import cupy

        self.xp = cupy
        self.kernel, self.dtype, self.device = kernel, dtype, device
        self._suffix = DTYPES[dtype][0]
        self._functions = {}
        self._elementwise = None

    def __call__(self, entry: str, grid, block, *args):
        name = f"{entry}_{self._suffix}"
        f = self._functions.get(name)
        if f is None:
            sigs = _unit_text(self.kernel.source)[1]
            if name not in sigs:
                raise RuntimeError(f"kernel {self.kernel.name}: entry point {name} is not in "
                                   f"{self.kernel.source}")
            fn = _raw_module(self.kernel.source, self.device).get_function(name)
            f = self._functions[name] = (fn, sigs[name])
        fn, kinds = f
        if len(args) != len(kinds):
            raise TypeError(f"{name} takes {len(kinds)} arguments, got {len(args)}")
        conv = tuple(a if k == "ptr" else k(a) for a, k in zip(args, kinds))
        fn(_dims(grid), _dims(block), conv)

    def elementwise(self, *arrays, **params):
        """Run an elementwise kernel (broadcasting and strides handled by CuPy)."""
        k = self.kernel
        if self._elementwise is None:
            ins = ", ".join([f"T {n}" for n in k.inputs] + [f"float64 {p}" for p in k.params])
            pre = expand_includes(f'#include "common.cuh"\n#include "{k.source}"\n')
            self._elementwise = self.xp.ElementwiseKernel(
                ins, f"T {k.output}", k.operation(self.dtype), name=f"gt_{k.name}",
                preamble=pre)
        values = [float(params.get(p, d)) for p, d in k.params.items()]
        return self._elementwise(*arrays, *values)


def _dims(d) -> tuple:
    return (int(d), 1, 1) if np.isscalar(d) else tuple(int(v) for v in d) + (1,) * (3 - len(d))


@functools.lru_cache(maxsize=None)
def launcher(name: str, dtype: str, device: int) -> CupyLauncher:
    """The cached launcher of kernel ``name`` for ``dtype`` on CUDA device ``device``."""
    return CupyLauncher(REGISTRY[name], dtype, device)


# -- running an entry: the shared path of the CUDA backend and the CPU check ----------------
def call(kernel: Kernel, get_launcher: Callable, fallback: Callable, *arrays, **attrs):
    """Run ``kernel`` on ``arrays`` where it applies, else ``fallback(*arrays, **attrs)``.

    ``get_launcher(kernel, dtype_name)`` gives the launcher (CuPy's on CUDA, the emulation's
    in the CPU check).
    """
    x = arrays[0] if arrays else None
    name = getattr(getattr(x, "dtype", None), "name", None)
    if name in kernel.dtypes and all(getattr(a, "dtype", None) == x.dtype for a in arrays
                                     if kernel.kind == "elementwise"):
        k = get_launcher(kernel, name)
        if kernel.kind == "elementwise":
            if set(attrs) <= set(kernel.params):
                return k.elementwise(*arrays, **attrs)
        else:
            out = kernel.run(k, *arrays, **attrs)
            if out is not NotImplemented:
                return out
    return fallback(*arrays, **attrs)


def override(op, backend):
    """The CUDA callable of ``op`` when a registry entry overrides it and kernels are on,
    else None (``CupyBackend.resolve`` then uses the array-module forward)."""
    kernel = OVERRIDES.get(op.name)
    if kernel is None or not _enabled:
        return None
    from .base import Backend

    fallback = Backend.resolve(backend, op)
    device = backend.device.index

    def get(kern, dtype):
        return launcher(kern.name, dtype, device)

    def impl(*arrays, **attrs):
        return call(kernel, get, fallback, *arrays, **attrs)

    impl.__name__ = f"gt_{kernel.name}"
    impl.kernel = kernel
    return impl


def run(name: str, *arrays, **attrs):
    """Run registry kernel ``name`` on CuPy arrays of the current device (for rules that call
    a kernel directly, e.g. a derivative rule using ``sigmoid_bwd``)."""
    kernel = REGISTRY[name]
    import cupy

    device = cupy.cuda.Device().id

    def missing(*a, **k):
        raise TypeError(f"kernel {name}: no kernel for these inputs "
                        f"({[getattr(v, 'dtype', type(v)) for v in a]}, {k})")

    return call(kernel, lambda kern, d: launcher(kern.name, d, device), missing,
                *arrays, **attrs)


# -- helpers of the row kernels' run functions ----------------------------------------------
def _pow2(n: int) -> int:
    return 1 << max(int(n) - 1, 0).bit_length()


def row_block(k, cols: int) -> int:
    """Threads per block for rows of ``cols``: about 4 elements per thread, a power of two in
    [32, k.max_block] (block-stride loops cover longer rows)."""
    return min(max(_pow2((cols + 3) // 4), 32), k.max_block)


def _last_axis(x, axis, whole_ok: bool):
    """(rows, cols) when ``axis`` selects the last axis of ``x`` (``None``: every element,
    when ``whole_ok`` or ``x`` is 1-D), else None. Empty and 0-d inputs: None."""
    nd = x.ndim
    if nd == 0 or x.size == 0:
        return None
    if axis is None:
        return (1, x.size) if (whole_ok or nd == 1) else None
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            return None
        axis = axis[0]
    try:
        axis = int(axis)
    except TypeError:
        return None
    if axis not in (-1, nd - 1):
        return None
    cols = x.shape[-1]
    return x.size // cols, cols


# Rows longer than this with fewer than LONG_ROWS_MIN_ROWS rows stay with CuPy's reduction
# (several blocks per row); one block per row would leave most of the GPU idle.
LONG_ROW = 1 << 16
LONG_ROWS_MIN_ROWS = 64


def _contiguous(xp, x):
    # a strided input is copied once (one extra read and write of it) so rows are contiguous
    return x if x.flags.c_contiguous else xp.ascontiguousarray(x)


def _run_rows_map(entry: str):
    """run() of a row-wise kernel whose output has the input's shape (softmax, log_softmax)."""

    def run_(k, x, axis=-1):
        rc = _last_axis(x, axis, whole_ok=True)
        if rc is None:
            return NotImplemented
        rows, cols = rc
        x = _contiguous(k.xp, x)
        y = k.xp.empty_like(x)
        k(entry, (min(rows, k.max_grid),), (row_block(k, cols),), x, y, rows, cols)
        return y

    return run_


def _run_rows_bwd(entry: str):
    """run() of a row-wise backward (y, g) -> dx over the last axis."""

    def run_(k, y, g, axis=-1):
        if y.shape != g.shape or y.dtype != g.dtype:
            return NotImplemented
        rc = _last_axis(y, axis, whole_ok=True)
        if rc is None:
            return NotImplemented
        rows, cols = rc
        y, g = _contiguous(k.xp, y), _contiguous(k.xp, g)
        dx = k.xp.empty_like(y)
        k(entry, (min(rows, k.max_grid),), (row_block(k, cols),), y, g, dx, rows, cols)
        return dx

    return run_


def _run_rows_reduce(entry: str, extra=None):
    """run() of a reduction over the last axis: attrs axis, keepdims (+ ``extra``)."""

    def run_(k, x, axis=None, keepdims=False, **more):
        rc = _last_axis(x, axis, whole_ok=False)
        if rc is None:
            return NotImplemented
        rows, cols = rc
        if cols > LONG_ROW and rows < LONG_ROWS_MIN_ROWS:
            return NotImplemented
        args = () if extra is None else extra(cols, **more)
        if args is NotImplemented:
            return NotImplemented
        x = _contiguous(k.xp, x)
        out = k.xp.empty(x.shape[:-1], dtype=x.dtype)
        k(entry, (min(rows, k.max_grid),), (row_block(k, cols),), x, out, rows, cols, *args)
        return out.reshape(x.shape[:-1] + (1,)) if keepdims else out

    return run_


def _var_args(root: int):
    def extra(cols, ddof=0, **more):
        if more or not isinstance(ddof, (int, float, np.integer, np.floating)) or \
                cols - ddof <= 0:
            return NotImplemented  # the array-module path gives NumPy's inf/nan and warning
        return (float(ddof), root)

    return extra


# -- references (float64 NumPy) -------------------------------------------------------------
def _f64(a):
    return np.asarray(a, dtype=np.float64)


def _softmax_bwd_ref(y, g, axis=-1):
    y, g = _f64(y), _f64(g)
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def _log_softmax_bwd_ref(y, g, axis=-1):
    y, g = _f64(y), _f64(g)
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


def _row_scale(x, keepdims=False, **attrs):
    """Absolute tolerance scale of a sum over the last axis: the sum of magnitudes."""
    x = _f64(x)
    s = np.sum(np.abs(np.where(np.isfinite(x), x, 0)), axis=-1, keepdims=keepdims)
    return np.maximum(s, 1.0)


def make_inputs(kernel: Kernel, rng, shape, dtype, special: bool):
    """Random inputs of ``kernel`` (one float array per input, standard normal) with, when
    ``special``, nan, +-inf and +-``check.extreme`` planted in the first input: spread over
    the elements for elementwise kernels; for row kernels whole rows of them (a nan row, an
    inf row, a -inf row, one extreme row) when there are enough rows."""
    dt = np.dtype(dtype)
    arrays = [rng.standard_normal(shape).astype(dt) for _ in kernel.inputs]
    if not special or arrays[0].size == 0:
        return tuple(arrays)
    x = arrays[0].reshape(-1, shape[-1]) if len(shape) else arrays[0].reshape(1, 1)
    big = kernel.check.extreme
    if kernel.kind == "elementwise" or x.shape[0] < 5:
        flat = x.reshape(-1)
        for i, v in enumerate((np.nan, np.inf, -np.inf, big, -big, 0.0, -0.0)):
            if i * 7 < flat.size:
                flat[i * 7] = v
    else:
        x[0, x.shape[1] // 2] = np.nan
        x[1, 0] = np.inf
        x[2, :] = -np.inf
        x[3, :] = big * rng.standard_normal(x.shape[1])  # 1e4-size logits
        x[4, -1] = -np.inf
    return tuple(arrays)


def inputs_for(kernel: Kernel, rng, shape, dtype, special: bool, attrs: dict):
    """The check inputs of ``kernel`` for one case (its ``check.make``, else ``make_inputs``)."""
    if kernel.check.make is not None:
        return kernel.check.make(rng, shape, dtype, special, attrs)
    return make_inputs(kernel, rng, shape, dtype, special)


def reference(kernel: Kernel, *arrays, **attrs):
    """The float64 NumPy result the checks compare ``kernel`` with."""
    from ..ops.opdef import Residuals

    a64 = [_f64(a) if getattr(a, "dtype", np.dtype("O")).kind == "f" else a for a in arrays]
    with np.errstate(all="ignore"):
        if kernel.reference is not None:
            return _f64(kernel.reference(*a64, **attrs))
        op = _op(kernel.overrides[0])
        fwd = getattr(np, op.fwd) if isinstance(op.fwd, str) else functools.partial(op.fwd, np)
        out = fwd(*a64, **attrs)
        return _f64(out.out if isinstance(out, Residuals) else out)


# -- the kernels ------------------------------------------------------------------------------
_ACT = "activations.cuh"
_ACT_LAUNCH = "cupy.ElementwiseKernel (CuPy picks grid/block; any strides and broadcasting)"


def _act(name, overrides=(), expr=None, inputs=("x",), output="y", params=None,
         reference=None, shapes=None):
    return register(Kernel(
        name, "elementwise", _ACT, overrides=overrides, expr=expr, inputs=inputs,
        output=output, params=params or {}, reference=reference, launch=_ACT_LAUNCH,
        check=Check(**({} if shapes is None else {"shapes": shapes}),
                    attrs=({},) if not params else ({}, {k: v * 0.5 + 0.25 for k, v in
                                                         params.items()}))))


def _sigmoid_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


# forwards: the OpDef's cuda string where it is exact enough, else an explicit expression
_act("sigmoid_fwd", ("sigmoid",), expr="gt_sigmoid({x})")  # the OpDef's form underflows early
_act("tanh_fwd", ("tanh",))
_act("relu_fwd", ("relu",))
_act("gelu_fwd", ("gelu",))
_act("gelu_tanh_fwd", ("gelu_tanh",))
_act("softplus_fwd", ("softplus",), expr="gt_softplus({x}, {beta}, {threshold})",
     params={"beta": 1.0, "threshold": 20.0})
_act("leaky_relu_fwd", ("leaky_relu",), params={"negative_slope": 0.01})
_act("elu_fwd", ("elu",), params={"alpha": 1.0})
_act("silu_fwd", ("silu",))
# backward passes (y: the forward's output, x: its input, g: the output gradient); they
# override the internal gradient ops of ops/elementwise.py (<act>_grad(y or x, g)) that the
# derivative rules call when the gradient is not recorded (not create_graph)
_act("sigmoid_bwd", ("sigmoid_grad",), expr="{g} * {y} * (A(1) - {y})", inputs=("y", "g"),
     output="dx", reference=lambda y, g: g * y * (1 - y))
_act("tanh_bwd", ("tanh_grad",), expr="{g} * (A(1) - {y} * {y})", inputs=("y", "g"),
     output="dx", reference=lambda y, g: g * (1 - y * y))
_act("relu_bwd", ("relu_grad",), expr="{g} * (A)({y} > A(0))", inputs=("y", "g"),
     output="dx", reference=lambda y, g: g * (y > 0))
_act("gelu_bwd", ("gelu_grad",), expr="gt_gelu_bwd({x}, {g})", inputs=("x", "g"), output="dx",
     reference=lambda x, g: g * (0.5 * (1 + _erf(x / np.sqrt(2)))
                                 + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)))
_act("gelu_tanh_bwd", ("gelu_tanh_grad",), expr="gt_gelu_tanh_bwd({x}, {g})",
     inputs=("x", "g"), output="dx", reference=lambda x, g: _gelu_tanh_bwd_ref(x, g))
_act("softplus_bwd", ("softplus_grad",), expr="gt_softplus_bwd({x}, {g}, {beta}, {threshold})",
     inputs=("x", "g"), output="dx", params={"beta": 1.0, "threshold": 20.0},
     reference=lambda x, g, beta=1.0, threshold=20.0:
         np.where(x * beta > threshold, g, g * _sigmoid_ref(x * beta)))
_act("leaky_relu_bwd", ("leaky_relu_grad",),
     expr="({x} > A(0) ? {g} : {g} * {negative_slope})", inputs=("x", "g"),
     output="dx", params={"negative_slope": 0.01},
     reference=lambda x, g, negative_slope=0.01: np.where(x > 0, g, g * negative_slope))


def _erf(x):
    import math

    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _gelu_tanh_bwd_ref(x, g):
    c = np.clip(x, -10, 10)
    k = np.sqrt(2 / np.pi)
    t = np.tanh(k * (c + 0.044715 * c ** 3))
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * c * c))


_ROW_LAUNCH = ("grid (min(rows, 2^20)), block: about 4 elements per thread, a power of two "
               "in [32, 1024]; one block per row, block-stride loop along it")
_ROWS = Check(shapes=ROW_SHAPES, attrs=({"axis": -1},))
_REDUCE_CHECK = Check(shapes=ROW_SHAPES, attrs=({"axis": -1}, {"axis": -1, "keepdims": True}),
                      scale=_row_scale)


def _raw(name, source, entry, run, overrides=(), reference=None, check=_ROWS, inputs=("x",)):
    return register(Kernel(name, "raw", source, entries=(entry,), run=run, overrides=overrides,
                           reference=reference, check=check, launch=_ROW_LAUNCH,
                           inputs=inputs))


_raw("softmax_fwd", "softmax.cu", "gt_softmax_fwd", _run_rows_map("gt_softmax_fwd"),
     overrides=("softmax",))
_raw("log_softmax_fwd", "softmax.cu", "gt_log_softmax_fwd", _run_rows_map("gt_log_softmax_fwd"),
     overrides=("log_softmax",))
_raw("softmax_bwd", "softmax.cu", "gt_softmax_bwd", _run_rows_bwd("gt_softmax_bwd"),
     reference=_softmax_bwd_ref, inputs=("y", "g"))
_raw("log_softmax_bwd", "softmax.cu", "gt_log_softmax_bwd", _run_rows_bwd("gt_log_softmax_bwd"),
     reference=_log_softmax_bwd_ref, inputs=("y", "g"))
_raw("logsumexp_fwd", "softmax.cu", "gt_logsumexp_fwd", _run_rows_reduce("gt_logsumexp_fwd"),
     overrides=("logsumexp",), check=_REDUCE_CHECK)
# sum, mean, max, min, argmax, argmin, var, std (reduce.cu): the reductions block at the end

# -- fused softmax cross-entropy with integer labels --------------------------------------------
def _ce_rows(xp, logits, target):
    """(rows, cols, int64 labels) when the classes are the last axis of 2-D (N, C) or 1-D (C,)
    logits and ``target`` holds integer labels of shape (N,) / (); else None."""
    if target.dtype.kind not in "iu" or logits.size == 0:
        return None
    if not ((logits.ndim == 2 and target.shape == logits.shape[:1]) or
            (logits.ndim == 1 and target.shape == ())):
        return None
    cols = logits.shape[-1]
    labels = target if target.dtype == np.int64 else target.astype(xp.int64)
    return logits.size // cols, cols, labels


def _acc_dtype(dtype):
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def _run_ce_fwd(k, logits, target, ignore_index=-100, reduction="mean"):
    xp = k.xp
    rc = _ce_rows(xp, logits, target) if reduction in ("mean", "sum", "none") else None
    if rc is None:
        return NotImplemented
    rows, cols, labels = rc
    keep = labels != ignore_index
    if bool((keep & ((labels < 0) | (labels >= cols))).any()):
        return NotImplemented  # the array-module forward raises its IndexError
    x = _contiguous(xp, logits)
    loss = xp.empty(rows, dtype=_acc_dtype(x.dtype))
    k("gt_cross_entropy_fwd", (min(rows, k.max_grid),), (row_block(k, cols),), x,
      _contiguous(xp, labels.reshape(-1)), loss, rows, cols, int(ignore_index))
    loss = loss.reshape(target.shape)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.sum(loss)
    count = xp.sum(keep, dtype=loss.dtype)  # as nn/functional.py _nll: no host sync
    return xp.where(count > 0, xp.sum(loss) / xp.maximum(count, 1),
                    xp.asarray(xp.nan, dtype=loss.dtype))


def _run_ce_bwd(k, logits, target, g, axis=-1, reduction="mean", ignore_index=-100):
    xp = k.xp
    rc = _ce_rows(xp, logits, target)
    if rc is None or axis not in (-1, logits.ndim - 1) or not hasattr(g, "dtype"):
        return NotImplemented
    rows, cols, labels = rc
    acc = _acc_dtype(logits.dtype)
    keep = target != ignore_index
    coef = keep * g.astype(acc)
    if reduction == "mean":
        coef = coef / xp.maximum(keep.sum(), 1)
    coef = xp.ascontiguousarray(xp.broadcast_to(coef, target.shape), dtype=acc).reshape(-1)
    x = _contiguous(xp, logits)
    dx = xp.empty_like(x)
    k("gt_cross_entropy_bwd", (min(rows, k.max_grid),), (row_block(k, cols),), x,
      _contiguous(xp, labels.reshape(-1)), coef, dx, rows, cols)
    return dx


def _ce_inputs(rng, shape, dtype, special, attrs, grad=False):
    """Logits of ``shape`` (classes on axis 1, or 0 for 1-D), labels in range (one of them
    ignore_index when ``special``), and for the gradient an output gradient ``g`` (0-d, or
    per label for reduction='none')."""
    x = make_inputs(REGISTRY["softmax_fwd"], rng, shape, dtype, special)[0]
    cls = 1 if len(shape) >= 2 else 0
    lshape = tuple(shape[:cls]) + tuple(shape[cls + 1:])
    labels = rng.integers(0, shape[cls], lshape).astype(np.int64)
    if special and labels.size >= 2:
        labels.reshape(-1)[1] = attrs.get("ignore_index", -100)
    if not grad:
        return x, labels
    gshape = lshape if attrs.get("reduction", "mean") == "none" else ()
    return x, labels, np.asarray(rng.standard_normal(gshape) + 2).astype(dtype)


_CE_SHAPES = ((1, 1), (5, 1), (3, 63), (4, 64), (2, 300), (9, 1000), (7, 3), (1,), (4,))
_reductions = ("mean", "sum", "none")
register(Kernel(
    "cross_entropy_fwd", "raw", "cross_entropy.cu", entries=("gt_cross_entropy_fwd",),
    run=_run_ce_fwd, overrides=("cross_entropy",), inputs=("x", "labels"), launch=_ROW_LAUNCH,
    check=Check(shapes=_CE_SHAPES, attrs=tuple({"reduction": r} for r in _reductions),
                make=_ce_inputs)))
register(Kernel(
    "cross_entropy_bwd", "raw", "cross_entropy.cu", entries=("gt_cross_entropy_bwd",),
    run=_run_ce_bwd, overrides=("cross_entropy_label_grad",), inputs=("x", "labels", "g"),
    launch=_ROW_LAUNCH,
    check=Check(shapes=_CE_SHAPES[:-2],
                attrs=tuple({"axis": 1, "reduction": r, "ignore_index": -100}
                            for r in _reductions),
                make=functools.partial(_ce_inputs, grad=True))))


# -- fused Adam / AdamW update (the optimizer's kernel; part: adam + backward wiring + bench) --
ADAM_BLOCK = 256
_ADAM_LAUNCH = ("grid (min(ceil(n / 256), 2^20)), block (256); grid-stride loop; p, m, v "
                "updated in place")


def adam_scalars(step, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False) -> tuple:
    """The scalar arguments of ``gt_adam_fwd`` after ``n``: (decay, l2, beta1, beta2, eps,
    step_size, bc2_sqrt), the bias corrections folded in once per step (kernels/adam.cu)."""
    import math

    wd = float(weight_decay)
    return (1.0 - lr * wd if decoupled else 1.0, 0.0 if decoupled else wd, float(beta1),
            float(beta2), float(eps), lr / (1.0 - beta1 ** step),
            math.sqrt(1.0 - beta2 ** step))


def adam_update(k, p, g, m, v, *, step, lr, beta1, beta2, eps, weight_decay=0.0,
                decoupled=False):
    """One fused Adam/AdamW step on arrays, in place: ``p``, ``m`` and ``v`` (one dtype,
    C-contiguous, one shape) are updated by one launch of ``gt_adam_fwd``; ``g`` is cast to
    their dtype and made contiguous if needed (one extra copy of it). Returns ``(p, m, v)``,
    or ``NotImplemented`` (nothing changed) where the kernel does not apply."""
    xp = k.xp
    if not (p.dtype == m.dtype == v.dtype and p.shape == g.shape == m.shape == v.shape
            and p.flags.c_contiguous and m.flags.c_contiguous and v.flags.c_contiguous):
        return NotImplemented
    if g.dtype != p.dtype:
        g = g.astype(p.dtype)
    g = _contiguous(xp, g)
    n = p.size
    if n:
        block = min(ADAM_BLOCK, k.max_block)
        k("gt_adam_fwd", (min(-(-n // block), k.max_grid),), (block,), p, g, m, v, n,
          *adam_scalars(step, lr, beta1, beta2, eps, weight_decay, decoupled))
    return p, m, v


def adam_update_xp(xp, p, g, m, v, *, step, lr, beta1, beta2, eps, weight_decay=0.0,
                   decoupled=False):
    """The same update in place with array-module routines (where the kernel does not
    apply: strided state, other dtypes); the order of Adam._step_group."""
    import math

    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    m *= beta1
    m += (1 - beta1) * g
    v *= beta2
    v += (1 - beta2) * (g * g)
    denom = xp.sqrt(v) / math.sqrt(1 - beta2 ** step) + eps
    p -= (lr / (1 - beta1 ** step)) * (m / denom)
    return p, m, v


def _run_adam(k, p, g, m, v, **hyper):
    """The registry's run: the functional form (updates copies of p, m and v and returns
    them), so the checks can compare with the reference; the optimizer calls
    ``adam_update`` in place (CupyBackend.fused_adam_step)."""
    return adam_update(k, p.copy(), g, m.copy(), v.copy(), **hyper)


def _adam_ref(p, g, m, v, *, step, lr, beta1, beta2, eps, weight_decay=0.0, decoupled=False):
    """float64 NumPy: (p, m, v) after one step, stacked (the checks compare all three)."""
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    p = p - lr / (1 - beta1 ** step) * m / (np.sqrt(v) / np.sqrt(1 - beta2 ** step) + eps)
    return np.stack([p, m, v])


def _adam_inputs(rng, shape, dtype, special, attrs):
    """p, g standard normal; m of order 0.1 and v >= 0 (a state a few steps in); nan, +-inf
    and +-1e4 planted in g when ``special``."""
    p, g = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    m = (0.1 * rng.standard_normal(shape)).astype(dtype)
    v = (0.01 * np.abs(rng.standard_normal(shape))).astype(dtype)
    if special:
        flat = g.reshape(-1)
        for i, val in enumerate((np.nan, np.inf, -np.inf, 1e4, -1e4, 0.0)):
            if i * 7 < flat.size:
                flat[i * 7] = val
    return p, g, m, v


_ADAM_ATTRS = (
    dict(step=1, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
    dict(step=7, lr=0.1, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1),
    dict(step=1000, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.05,
         decoupled=True),
)
register(Kernel(
    "adam_fwd", "raw", "adam.cu", entries=("gt_adam_fwd",), run=_run_adam,
    inputs=("p", "g", "m", "v"), reference=_adam_ref, launch=_ADAM_LAUNCH,
    check=Check(shapes=((1,), (63,), (64,), (1000,), (3, 77), (2, 3, 5)), attrs=_ADAM_ATTRS,
                make=_adam_inputs)))


__all__ = ["Kernel", "Check", "REGISTRY", "OVERRIDES", "register", "enabled", "set_enabled",
           "override", "call", "run", "launcher", "compile_units", "unit_entries",
           "elementwise_source", "expand_includes", "signatures", "make_inputs", "inputs_for",
           "reference",
           "suffix", "row_block", "kernel_dir", "ENV", "adam_update", "adam_update_xp",
           "adam_scalars"]


# -- reductions (part: reductions): sum mean max min argmax argmin var std (reduce.cu) ----------
# The input (C order, made contiguous when strided: one extra copy) is viewed as
# (outer, n, inner) with the reduced axes (any single axis, or a run of adjacent axes in any
# order, or all of them) in the middle; ``reduce_plan`` picks the layout: "rows" (inner == 1:
# one block per row), "cols" (inner > 1: coalesced column tiles), "two_level" (rows longer
# than 64 elements per thread of the largest block, fewer than LONG_ROWS_MIN_ROWS of them:
# partials of several blocks per row, then a second launch; sum/mean/max/min only), or None
# (the array-module path: empty or 0-d input, axis=(), non-adjacent axes, long rows of
# var/std/argmax/argmin, long columns with few outputs). keepdims is a reshape here.
_REDUCE_LAUNCH = ("rows: grid (min(rows, 2^20)), block as the row kernels; columns: one block "
                  "per tile of cw (<= 32) adjacent outputs, blockDim/cw thread groups striding "
                  "the reduced axis (power-of-two block in [32, 1024]); long rows: "
                  "gt_reduce_part (one block per 32 elements per thread) + gt_reduce_final")
_RED_CODES = {"sum": 0, "max": 1, "min": 2, "mean": 3}


def reduce_layout(x, axis):
    """``(outer, n, inner, keepdims shape, output shape)`` viewing ``x`` as (outer, n, inner)
    with the reduced ``axis`` (None: all; an int; a tuple/list of adjacent axes, any order)
    as n; None when that view does not exist (0-d or empty ``x``, ``axis=()``, axes that
    are not adjacent, repeated or out of range)."""
    nd, shape = x.ndim, tuple(x.shape)
    if nd == 0 or x.size == 0:
        return None
    if axis is None:
        axes = list(range(nd))
    else:
        items = axis if isinstance(axis, (tuple, list)) else (axis,)
        try:
            axes = [int(a) for a in items]
        except TypeError:
            return None
        if not axes or any(not -nd <= a < nd for a in axes):
            return None
        axes = sorted(a % nd for a in axes)
        if axes != list(range(axes[0], axes[0] + len(axes))):
            return None  # repeated or not adjacent
    a0, a1 = axes[0], axes[-1] + 1
    outer, n, inner = (int(np.prod(shape[:a0], dtype=np.int64)),
                       int(np.prod(shape[a0:a1], dtype=np.int64)),
                       int(np.prod(shape[a1:], dtype=np.int64)))
    keep = tuple(1 if a0 <= i < a1 else s for i, s in enumerate(shape))
    drop = shape[:a0] + shape[a1:]
    return outer, n, inner, keep, drop


def long_row(k) -> int:
    """Rows longer than this are "long": 64 elements per thread of ``k``'s largest block
    (65536 on CUDA; 4096 with the CPU check's 64-thread blocks, so the check reaches it)."""
    return 64 * k.max_block


def reduce_plan(k, x, axis, two_level: bool = True):
    """``(kind, outer, n, inner, keep, drop)`` for reducing ``x`` over ``axis`` with
    launcher ``k``: kind "rows", "cols" or "two_level" (see above), or None (NotImplemented:
    the array-module path). ``two_level``: whether the op has the long-row scheme."""
    lay = reduce_layout(x, axis)
    if lay is None:
        return None
    outer, n, inner, keep, drop = lay
    long_ = n > long_row(k)
    if inner == 1:
        kind = "rows" if not long_ or outer >= LONG_ROWS_MIN_ROWS else \
            "two_level" if two_level else None
    else:
        cw = min(32, _pow2(inner))
        few = outer * -(-inner // cw) < LONG_ROWS_MIN_ROWS
        kind = None if long_ and few else "cols"
    return None if kind is None else (kind, outer, n, inner, keep, drop)


def _cols_block(k, n: int, inner: int) -> tuple[int, int]:
    """(cw, threads) of the columns kernels: cw adjacent outputs per tile (32, or the next
    power of two >= inner), and a power-of-two number of thread groups along n (about 4
    elements each) such that the block has 32..max_block threads."""
    cw = min(32, _pow2(inner))
    groups = min(max(_pow2(-(-n // 4)), max(32 // cw, 1)), k.max_block // cw)
    return cw, cw * groups


def _run_reduce(rows_entry: str, cols_entry: str, cols_args=(), extra=None, code=None,
                index=False):
    """run() of a reduction over any adjacent axes (``reduce_plan``): ``rows_entry(x, out,
    rows, cols, *extra)``, ``cols_entry(x, out, outer, n, inner, cw, *cols_args or *extra)``,
    and with ``code`` (sum 0, max 1, min 2, mean 3) the two-level gt_reduce_part/final.
    ``index``: int64 output (argmax, argmin)."""

    def run_(k, x, axis=None, keepdims=False, **more):
        if extra is None and more:
            return NotImplemented
        plan = reduce_plan(k, x, axis, two_level=code is not None)
        if plan is None:
            return NotImplemented
        kind, outer, n, inner, keep, drop = plan
        args = () if extra is None else extra(n, **more)
        if args is NotImplemented:
            return NotImplemented
        xp = k.xp
        x = _contiguous(xp, x)
        out = xp.empty(outer * inner, dtype=np.int64 if index else x.dtype)
        if kind == "rows":
            k(rows_entry, (min(outer, k.max_grid),), (row_block(k, n),), x, out, outer, n,
              *args)
        elif kind == "cols":
            cw, block = _cols_block(k, n, inner)
            grid = min(outer * -(-inner // cw), k.max_grid)
            k(cols_entry, (grid,), (block,), x, out, outer, n, inner, cw,
              *(cols_args or args))
        else:  # two levels: partials in the accumulation dtype, then one block per row
            block = k.max_block
            chunk = block * 32
            parts = -(-n // chunk)
            part = xp.empty(outer * parts, dtype=_acc_dtype(x.dtype))
            k("gt_reduce_part", (min(outer * parts, k.max_grid),), (block,), x, part, outer,
              n, chunk, parts, 0 if code == 3 else code)
            k("gt_reduce_final", (min(outer, k.max_grid),), (row_block(k, parts),), part,
              out, outer, parts, n, code)
        return out.reshape(keep if keepdims else drop)

    return run_


def _abs_scale(reduce):
    """Absolute tolerance scale: the sum (or mean) of magnitudes over the reduced axes."""

    def scale(x, axis=None, keepdims=False, **attrs):
        a = np.abs(np.where(np.isfinite(x), _f64(x), 0))
        return np.maximum(reduce(a, axis=axis, keepdims=keepdims), 1.0)

    return scale


def _arg_inputs(rng, shape, dtype, special, attrs):
    """Random values; with ``special``, rounded to integers too (ties everywhere: the first
    occurrence must win) besides the nan/inf rows of ``make_inputs``."""
    (x,) = make_inputs(REGISTRY["argmax_fwd"], rng, shape, dtype, special)
    if special:
        with np.errstate(invalid="ignore"):
            x = np.where(np.isfinite(x), np.round(x), x).astype(dtype)
    return (x,)


# shapes: one element, odd sizes, rows longer than a (64-thread) block, columns narrower than
# a tile (inner 5), wider (33: two tiles, 100) and summing over axes (1, 0); (2, 5000): long
# rows (two levels) in the CPU check. Kept small: every case is an emulated launch.
_RED_SHAPES = ((1, 1), (5, 1), (3, 63), (9, 100), (2, 3, 33), (2, 7, 5))
_RED_ATTRS = ({"axis": -1}, {"axis": 0, "keepdims": True}, {"axis": 1},
              {"axis": (1, 0), "keepdims": True}, {"axis": None})
_SUM_CHECK = Check(shapes=_RED_SHAPES + ((2, 5000),), attrs=_RED_ATTRS,
                   scale=_abs_scale(np.sum))
_MEAN_CHECK = Check(shapes=_RED_SHAPES + ((2, 5000),), attrs=_RED_ATTRS,
                    scale=_abs_scale(np.mean))
_EXT_CHECK = Check(shapes=_RED_SHAPES + ((2, 5000),), attrs=_RED_ATTRS)
# var/std/argmax/argmin have no two-level scheme: no all-axes cases (the GPU check's longest
# shapes, (5, 32769), would have none of their kernels apply); the op samples cover axis=None
_VAR_CHECK = Check(shapes=_RED_SHAPES, attrs=(
    {"axis": -1}, {"axis": 0, "keepdims": True, "ddof": 0.5}, {"axis": 1, "ddof": 0.5},
    {"axis": -1, "keepdims": True}))
_ARG_CHECK = Check(shapes=_RED_SHAPES,
                   attrs=({"axis": -1}, {"axis": 0, "keepdims": True}, {"axis": 1}),
                   make=_arg_inputs, rtol={"float16": 0.0, "float32": 0.0, "float64": 0.0})
_RED_ENTRIES = ("gt_reduce_cols", "gt_reduce_part", "gt_reduce_final")


def _red(name, op, check):
    code = _RED_CODES[op]
    return register(Kernel(
        name, "raw", "reduce.cu", entries=(f"gt_{name}",) + _RED_ENTRIES,
        run=_run_reduce(f"gt_{name}", "gt_reduce_cols", (code,), code=code),
        overrides=(op,), check=check, launch=_REDUCE_LAUNCH))


_red("sum_fwd", "sum", _SUM_CHECK)
_red("mean_fwd", "mean", _MEAN_CHECK)
_red("max_fwd", "max", _EXT_CHECK)
_red("min_fwd", "min", _EXT_CHECK)
for _name, _root in (("var", 0), ("std", 1)):
    register(Kernel(
        f"{_name}_fwd", "raw", "reduce.cu", entries=("gt_var_fwd", "gt_var_cols"),
        run=_run_reduce("gt_var_fwd", "gt_var_cols", extra=_var_args(_root)),
        overrides=(_name,), check=_VAR_CHECK, launch=_REDUCE_LAUNCH))
for _name, _max in (("argmax", 1), ("argmin", 0)):
    register(Kernel(
        f"{_name}_fwd", "raw", "reduce.cu", entries=(f"gt_{_name}_fwd", "gt_arg_cols"),
        run=_run_reduce(f"gt_{_name}_fwd", "gt_arg_cols", (_max,), index=True),
        overrides=(_name,), check=_ARG_CHECK, launch=_REDUCE_LAUNCH))
del _name, _root, _max
__all__ += ["reduce_layout", "reduce_plan", "long_row"]


# -- layer norm (kernels/layernorm.cu) and fused bias + activation (elementwise) ---------------
def _ln_layout(x, normalized_shape):
    """(rows, cols) of a layer norm over the last axes ``normalized_shape`` (None: the last
    axis) of ``x``, flattened into one row each; None where the kernel does not apply (0-d,
    empty, no axes normalized, or a few very long rows)."""
    if x.ndim == 0 or x.size == 0:
        return None
    ns = (x.shape[-1],) if normalized_shape is None else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or x.ndim < k or tuple(x.shape[x.ndim - k:]) != ns:
        return None
    cols = int(np.prod(ns))
    rows = x.size // cols
    if cols > LONG_ROW and rows < LONG_ROWS_MIN_ROWS:
        return None
    return rows, cols


def _ln_flat(xp, a):
    return _contiguous(xp, a).reshape(-1)


def _run_ln_fwd(k, x, *affine, normalized_shape=None, eps=1e-5):
    rc = _ln_layout(x, normalized_shape)
    if rc is None or len(affine) > 2:
        return NotImplemented
    rows, cols = rc
    if any(getattr(a, "dtype", None) != x.dtype or a.size != cols for a in affine):
        return NotImplemented
    xp = k.xp
    x = _contiguous(xp, x)
    w = _ln_flat(xp, affine[0]) if affine else x  # x: a pointer the kernel does not read
    b = _ln_flat(xp, affine[1]) if len(affine) > 1 else x
    y = xp.empty_like(x)
    k("gt_layer_norm_fwd", (min(rows, k.max_grid),), (row_block(k, cols),), x, w, b, y, rows,
      cols, float(eps), int(len(affine) > 0), int(len(affine) > 1))
    return y


LN_BWD_BLOCKS = 256  # the backward's grid: bounds the (blocks, 2, cols) partial sums


def _run_ln_bwd(k, x, g, *weight, normalized_shape=None, eps=1e-5):
    rc = _ln_layout(x, normalized_shape)
    if rc is None or len(weight) > 1 or getattr(g, "shape", None) != x.shape:
        return NotImplemented
    rows, cols = rc
    if any(getattr(a, "dtype", None) != x.dtype for a in (g, *weight)) or \
            any(w.size != cols for w in weight):
        return NotImplemented
    xp = k.xp
    x, g = _contiguous(xp, x), _contiguous(xp, g)
    w = _ln_flat(xp, weight[0]) if weight else x
    grid = min(rows, k.max_grid, LN_BWD_BLOCKS)
    out = xp.empty((rows + 2, cols), dtype=x.dtype)  # dx rows, then sum(g xhat), sum(g)
    part = xp.empty((grid, 2, cols), dtype=_acc_dtype(x.dtype))
    k("gt_layer_norm_bwd", (grid,), (row_block(k, cols),), x, g, w, out, part, rows, cols,
      float(eps), int(bool(weight)))
    out[rows:] = part.sum(axis=0).astype(x.dtype)
    return out


def _ln_inputs(rng, shape, dtype, special, attrs, grad=False):
    """x (row kernels' special values), and affine inputs of normalized_shape: a weight and,
    depending on the shape, a bias; with ``special`` 0, 1 or 2 of them by the shape, so each
    form is checked (the override cases, not special, always get the weight the op's
    samples list second). For the gradient: g and the weight when the forward had one."""
    shape = tuple(shape)
    x = make_inputs(REGISTRY["softmax_fwd"], rng, shape, dtype, special)[0]
    ns = attrs.get("normalized_shape")
    ns = shape[-1:] if ns is None else tuple(ns)
    pick = len(shape) + (shape[-1] if shape else 0)
    n_affine = pick % 3 if special else 1 + pick % 2
    affine = [rng.standard_normal(ns).astype(dtype) for _ in range(n_affine)]
    if not grad:
        return (x, *affine)
    return (x, rng.standard_normal(shape).astype(dtype), *affine[:1])


def _ln_ref(*arrays, **attrs):
    return _op("layer_norm").ref(*arrays, **attrs)


_LN_ATTRS = ({}, {"eps": 0.25})
register(Kernel(
    "layer_norm_fwd", "raw", "layernorm.cu", entries=("gt_layer_norm_fwd",), run=_run_ln_fwd,
    overrides=("layer_norm",), inputs=("x", "w", "b"), reference=_ln_ref, launch=_ROW_LAUNCH,
    check=Check(shapes=ROW_SHAPES, attrs=_LN_ATTRS, make=_ln_inputs)))
register(Kernel(
    "layer_norm_bwd", "raw", "layernorm.cu", entries=("gt_layer_norm_bwd",), run=_run_ln_bwd,
    overrides=("layer_norm_grad",), inputs=("x", "g", "w"),
    launch="grid (min(rows, 256)), block as the row kernels; the weight and bias sums are "
           "per-block partials summed by CuPy",
    check=Check(shapes=ROW_SHAPES, attrs=_LN_ATTRS,
                make=functools.partial(_ln_inputs, grad=True))))


def _bias_inputs(rng, shape, dtype, special, attrs):
    """x (elementwise special values) and a bias of the last axis's size."""
    x = make_inputs(REGISTRY["sigmoid_fwd"], rng, shape, dtype, special)[0]
    return x, rng.standard_normal(tuple(shape)[-1:]).astype(dtype)


for _act_name, _expr in (
        ("relu", "(({x} + {b}) < A(0) ? A(0) : ({x} + {b}))"),
        ("sigmoid", "gt_sigmoid({x} + {b})"),
        ("tanh", "tanh({x} + {b})"),
        ("gelu", "(A(0.5) * ({x} + {b}) * erfc(({x} + {b}) * A(-0.7071067811865476)))")):
    register(Kernel(
        f"bias_act_{_act_name}_fwd", "elementwise", _ACT, overrides=(f"bias_{_act_name}",),
        expr=_expr, inputs=("x", "b"), launch=_ACT_LAUNCH + "; b broadcast over the last axis",
        check=Check(make=_bias_inputs)))
del _act_name, _expr
