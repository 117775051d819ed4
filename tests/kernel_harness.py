"""The two GPU-free checks of the custom kernels, as functions the tests call.

- ``compile_ptx``: a compile unit through ``nvcc --ptx -arch=sm_XX`` (the compile check).
- ``build_host`` / ``HostLauncher`` / ``check_kernel``: a compile unit built by the host
  C++ compiler with ``kernels/cuda_host_emulation.h`` into a shared library with one
  ``extern "C"`` launcher per entry point, called through ctypes; ``HostLauncher`` is the
  NumPy twin of ``kernels.CupyLauncher``, so a registry entry's own ``run`` code launches the
  kernel (the arithmetic check).

Both take a ``kernel_dir`` so a test can feed them a broken copy of the sources. Built
libraries are cached for the process (a temporary folder, keyed by the text of the unit,
of every header and of the build flags).
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import types
from pathlib import Path

import numpy as np

from gputensor.backends import kernels as K

ARCHS = ("sm_80", "sm_90")
# hidden visibility: the libraries of two source trees (a test's broken copy) loaded in one
# process must not bind to each other's template instantiations or emulation state
CXX_FLAGS = ["-std=c++20", "-O1", "-pthread", "-fPIC", "-shared", "-fno-fast-math",
             "-fvisibility=hidden", "-fvisibility-inlines-hidden"]
_EXPORT = '__attribute__((visibility("default")))'

EMULATION = "cuda_host_emulation.h"


def nvcc() -> str | None:
    """The nvcc executable: on PATH, under $CUDA_HOME / $CUDA_PATH, or /usr/local/cuda."""
    found = shutil.which("nvcc")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if root and (Path(root) / "bin" / "nvcc").is_file():
            return str(Path(root) / "bin" / "nvcc")
    return None


def cxx() -> str | None:
    """The host C++ compiler ($CXX, else g++ / c++ / clang++ on PATH)."""
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


_tmp = None
_lock = threading.Lock()


def workdir() -> Path:
    """A temporary folder for this process's builds (removed at exit)."""
    global _tmp
    with _lock:
        if _tmp is None:
            _tmp = Path(tempfile.mkdtemp(prefix="gt-kernels-"))
            atexit.register(shutil.rmtree, _tmp, True)
    return _tmp


def _key(*parts: str) -> str:
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:16]


def _headers(kernel_dir: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(kernel_dir.glob("*.cuh"))) + \
        "".join(p.read_text(encoding="utf-8") for p in sorted(kernel_dir.glob("*.h")))


# -- the compile check ------------------------------------------------------------------------
def compile_ptx(text: str, arch: str, kernel_dir: Path | None) -> tuple[bool, str, str]:
    """(ok, compiler output, ptx text) of ``nvcc --ptx -arch=<arch>`` on a unit's text
    (``kernel_dir`` None: no include path, for text whose includes are expanded)."""
    exe = nvcc()
    if exe is None:
        raise RuntimeError("nvcc not found")
    headers = _headers(kernel_dir) if kernel_dir else ""
    d = workdir() / ("ptx-" + _key(text, arch, str(kernel_dir), headers))
    d.mkdir(exist_ok=True)
    src, out = d / "unit.cu", d / "unit.ptx"
    src.write_text(text, encoding="utf-8")
    include = ["-I", str(kernel_dir)] if kernel_dir else []
    r = subprocess.run([exe, "--ptx", f"-arch={arch}", "-std=c++17", *include, str(src),
                        "-o", str(out)], capture_output=True, text=True, timeout=300)
    ok = r.returncode == 0 and out.is_file()
    return ok, r.stdout + r.stderr, out.read_text() if ok else ""


def ptx_entries(ptx: str) -> set[str]:
    """The kernel names (``.entry``) defined in PTX text."""
    return set(re.findall(r"\.entry\s+(\w+)\s*\(", ptx))


# -- the arithmetic check: host builds ---------------------------------------------------------
_PARAM = re.compile(r"^(.*?)(\w+)\s*$", re.S)
_CTYPES = {np.int32: ctypes.c_int, np.uint32: ctypes.c_uint, np.int64: ctypes.c_longlong,
           np.uint64: ctypes.c_ulonglong, np.float32: ctypes.c_float,
           np.float64: ctypes.c_double}


class BuildError(RuntimeError):
    """The host compiler rejected a unit (the message holds its output)."""


def host_source(text: str) -> str:
    """A unit's text plus one launcher per ``extern "C" __global__`` entry point:
    ``int gt_launch_<name>(gx, gy, gz, bx, by, bz, <the kernel's parameters>)``."""
    parts = [text, "\n// -- host launchers (tests/kernel_harness.py) --",
             f'extern "C" {_EXPORT} const char* gt_emu_message() {{ return gt_emu::message; }}']
    for name, params in K._SIGNATURE.findall(text):
        decls, names = [], []
        for i, p in enumerate(q.strip() for q in params.split(",") if q.strip()):
            ctype = _PARAM.match(p).group(1).strip()
            decls.append(f"{ctype} a{i}")
            names.append(f"a{i}")
        head = ", ".join(["unsigned gx", "unsigned gy", "unsigned gz", "unsigned bx",
                          "unsigned by", "unsigned bz"] + decls)
        parts.append(f'extern "C" {_EXPORT} int gt_launch_{name}({head}) {{\n'
                     f"    return gt_emu::launch(dim3(gx, gy, gz), dim3(bx, by, bz), "
                     f"[&] {{ {name}({', '.join(names)}); }});\n}}")
    return "\n".join(parts) + "\n"


class HostLibrary:
    """A built unit: ``fn(name)`` gives the ctypes launcher of an entry point."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lib = ctypes.CDLL(str(path))
        self.signatures = K.signatures(text)
        self.lib.gt_emu_message.restype = ctypes.c_char_p
        self._fns = {}

    def fn(self, name: str):
        f = self._fns.get(name)
        if f is None:
            if name not in self.signatures:
                raise KeyError(f"entry point {name} is not in {self.path.name}")
            f = getattr(self.lib, f"gt_launch_{name}")
            f.argtypes = [ctypes.c_uint] * 6 + [
                ctypes.c_void_p if k == "ptr" else _CTYPES[k] for k in self.signatures[name]]
            f.restype = ctypes.c_int
            self._fns[name] = f
        return f

    def message(self) -> str:
        return self.lib.gt_emu_message().decode()


_built: dict[str, HostLibrary] = {}


def build_host(text: str, kernel_dir: Path, defines: tuple = ()) -> HostLibrary:
    """Build a unit's text with the host compiler through the emulation header (cached)."""
    exe = cxx()
    if exe is None:
        raise RuntimeError("no host C++ compiler found")
    flags = CXX_FLAGS + [f"-D{d}" for d in defines]
    key = _key(text, _headers(kernel_dir), str(kernel_dir), " ".join(flags))
    with _lock:
        lib = _built.get(key)
    if lib is not None:
        return lib
    d = workdir() / ("host-" + key)
    d.mkdir(exist_ok=True)
    src, out = d / "unit.cpp", d / "unit.so"
    full = host_source(text)
    src.write_text(full, encoding="utf-8")
    r = subprocess.run([exe, *flags, "-include", str(kernel_dir / EMULATION),
                        "-I", str(kernel_dir), str(src), "-o", str(out)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise BuildError(f"host build failed:\n{r.stdout}{r.stderr}")
    lib = HostLibrary(out, full)
    with _lock:
        _built[key] = lib
    return lib


def build_units(kernel_dir: Path | None = None, parallel: bool = True) -> dict[str, HostLibrary]:
    """Every compile unit of the registry built for the host (in parallel)."""
    from concurrent.futures import ThreadPoolExecutor

    kdir = Path(kernel_dir or K.kernel_dir())
    units = K.compile_units(kdir)
    if not parallel:
        return {u: build_host(t, kdir) for u, t in units.items()}
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1)) as pool:
        futures = {u: pool.submit(build_host, t, kdir) for u, t in units.items()}
        return {u: f.result() for u, f in futures.items()}


# -- the NumPy launcher -------------------------------------------------------------------------
class HostLauncher:
    """``k`` of ``Kernel.run`` on the host: NumPy arrays, kernels run by the emulation.

    Small blocks and grids by default, so that rows longer than a block and grids smaller
    than the number of rows (the kernels' stride loops) are exercised by small inputs.
    """

    xp = np
    launches: list = []  # names of every launch in this process (coverage checks)

    def __init__(self, lib: HostLibrary, kernel: K.Kernel, dtype: str, max_block: int = 64,
                 max_grid: int = 3):
        self.lib, self.kernel, self.dtype = lib, kernel, dtype
        self.max_block, self.max_grid = max_block, max_grid
        self._suffix = K.DTYPES[dtype][0]

    def __call__(self, entry: str, grid, block, *args):
        name = f"{entry}_{self._suffix}"
        f = self.lib.fn(name)
        kinds = self.lib.signatures[name]
        if len(args) != len(kinds):
            raise TypeError(f"{name} takes {len(kinds)} arguments, got {len(args)}")
        conv = []
        for a, k in zip(args, kinds):
            if k == "ptr":
                if not (isinstance(a, np.ndarray) and a.flags.c_contiguous):
                    raise TypeError(f"{name}: array arguments must be C-contiguous arrays")
                conv.append(a.ctypes.data)
            else:
                conv.append(k(a).item())
        rc = f(*K._dims(grid), *K._dims(block), *conv)
        if rc != 0:
            raise RuntimeError(f"{name}: emulated launch failed: {self.lib.message()}")
        HostLauncher.launches.append(name)

    def elementwise(self, *arrays, **params):
        k = self.kernel
        arrays = [np.ascontiguousarray(a) for a in np.broadcast_arrays(*arrays)]
        out = np.empty(arrays[0].shape, dtype=arrays[0].dtype)
        n = out.size
        if n:
            block = min(64, self.max_block)
            grid = min(-(-n // block), self.max_grid)
            values = [float(params.get(p, d)) for p, d in k.params.items()]
            self(f"gt_{k.name}", grid, block, *arrays, out, n, *values)
        return out


def launcher_factory(libs: dict[str, HostLibrary], **opts):
    """``get_launcher(kernel, dtype)`` for ``kernels.call`` backed by the built ``libs``."""

    def get(kernel, dtype):
        return HostLauncher(libs[kernel.unit()], kernel, dtype, **opts)

    return get


def fake_cuda_backend(monkeypatch, libs: dict[str, HostLibrary], fast: dict | None = None):
    """A ``CupyBackend`` whose array module is NumPy and whose kernels launch on the built
    ``libs`` through the emulation (``kernels.launcher`` patched for the test), so the CUDA
    backend's own kernel paths run without a GPU. ``fast``: the device's fast-path cache."""
    from gputensor.backends.base import Backend
    from gputensor.backends.cupy_backend import CupyBackend

    b = object.__new__(CupyBackend)
    Backend.__init__(b)
    b.xp = np
    b.device = types.SimpleNamespace(index=0, fast={} if fast is None else fast)
    get = launcher_factory(libs)
    monkeypatch.setattr(K, "launcher", lambda name, dtype, device: get(K.REGISTRY[name], dtype))
    return b


def no_fallback(*arrays, **attrs):
    raise AssertionError("the kernel did not apply to a check case (its run returned "
                         "NotImplemented)")


# -- the arithmetic check of one registry entry -------------------------------------------------
def expected(kernel: K.Kernel, inputs, attrs, dtype) -> np.ndarray:
    """The float64 reference rounded through the output dtype (float16 overflow included)."""
    ref = K.reference(kernel, *inputs, **attrs)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.asarray(ref).astype(dtype).astype(np.float64)


def compare(kernel, out, inputs, attrs, dtype, what="") -> str | None:
    """None when ``out`` matches the reference within the entry's tolerance, else a report."""
    want = expected(kernel, inputs, attrs, dtype)
    got = np.asarray(out, dtype=np.float64)
    if got.shape != want.shape:
        return f"{what}: shape {got.shape} != reference {want.shape}"
    rtol = kernel.check.rtol[np.dtype(dtype).name]
    scale = kernel.check.scale(*inputs, **attrs) if kernel.check.scale else 1.0
    atol = rtol * np.broadcast_to(np.asarray(scale, dtype=np.float64), want.shape)
    with np.errstate(invalid="ignore"):
        ok = (np.abs(got - want) <= atol + rtol * np.abs(want)) | (got == want) | \
             (np.isnan(got) & np.isnan(want))
    if ok.all():
        return None
    i = np.argwhere(~ok)[0]
    return (f"{what}: {int((~ok).sum())} of {ok.size} elements differ; first at {tuple(i)}: "
            f"kernel {got[tuple(i)]!r}, reference {want[tuple(i)]!r} (rtol {rtol})")


def check_kernel(kernel: K.Kernel, dtype: str, libs: dict[str, HostLibrary], seed: int = 0,
                 **opts) -> list[str]:
    """Run every check case of ``kernel`` (shapes x attrs x with/without special values) in
    the emulation; return the failures (empty: the kernel's arithmetic matches)."""
    rng = np.random.default_rng(seed)
    get = launcher_factory(libs, **opts)
    failures = []
    for shape in kernel.check.shapes:
        for attrs in kernel.check.attrs:
            for special in (False, True):
                inputs = K.inputs_for(kernel, rng, shape, dtype, special, attrs)
                what = f"{kernel.name} {dtype} shape={shape} attrs={attrs} special={special}"
                with np.errstate(all="ignore"):
                    out = K.call(kernel, get, no_fallback, *inputs, **attrs)
                bad = compare(kernel, out, inputs, attrs, dtype, what)
                if bad:
                    failures.append(bad)
    return failures


# -- inputs covering an overridden op ------------------------------------------------------------
DEFAULT_SHAPES = ((3, 5), (2, 3, 70), (7,), (1, 1))


def override_cases(op, kernel: K.Kernel, dtype: str, seed: int = 3,
                   default_shapes=DEFAULT_SHAPES):
    """(attrs, inputs) pairs covering an op a kernel overrides: the op's own samples (an
    internal op without samples: the kernel's check attrs and shapes), each input set also
    with a strided first input (same values, not contiguous)."""
    rng = np.random.default_rng(seed)
    for sample in list(op.samples) or list(kernel.check.attrs):
        attrs = {k: v for k, v in sample.items() if k not in ("shapes", "inputs")}
        if "shapes" in sample:
            shape_sets = [[tuple(s) for s in shapes] for shapes in sample["shapes"]]
        else:
            shape_sets = [[s] for s in (default_shapes if op.samples else kernel.check.shapes)]
        for shapes in shape_sets:
            if kernel.check.make is not None:
                inputs = list(kernel.check.make(rng, shapes[0], dtype, False, attrs))
                if len(shapes) > 1 and shapes[1] != inputs[1].shape:  # class probabilities
                    inputs[1] = rng.random(shapes[1]).astype(dtype)
            else:
                x = rng.standard_normal(shapes[0]) * 2
                if op.domain == "positive":
                    x = np.abs(x) + 0.1
                inputs = [x.astype(dtype)]
                for i in range(1, len(kernel.inputs)):  # (y, g) of a backward kernel
                    s = shapes[i] if i < len(shapes) else shapes[0]
                    inputs.append((rng.standard_normal(s) * 2).astype(dtype))
            yield attrs, tuple(inputs)
            x = inputs[0]
            if x.ndim:
                yield attrs, (np.repeat(x, 2, axis=-1)[..., ::2], *inputs[1:])
