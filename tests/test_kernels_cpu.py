"""Check (b) of the custom kernels: every kernel's arithmetic, run on the CPU.

Each compile unit of the registry is built by the host C++ compiler through
kernels/cuda_host_emulation.h (one host thread per CUDA thread of a block, real barriers,
emulated warp shuffles) and called through ctypes by the registry entry's own ``run`` code
(tests/kernel_harness.py). Compared with float64 NumPy references on random inputs: sizes
that are not multiples of the block, one element, rows longer than a block, grids smaller
than the number of rows, NaN, +-inf and 1e4. Also: every override against its op's own
forward on the op's samples (strided inputs too), the CUDA backend's resolve path, the
switch, the emulation itself, and (c) a deliberately broken source failing both checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kernel_harness as H
from gputensor.backends import kernels as K
from gputensor.backends.base import Backend
from gputensor.ops import OPS
from gputensor.ops.opdef import Residuals

pytestmark = pytest.mark.skipif(H.cxx() is None, reason="no host C++ compiler found")
KDIR = K.kernel_dir()


@pytest.fixture(scope="module")
def libs():
    return H.build_units(KDIR)


CASES = [(name, d) for name, k in K.REGISTRY.items() for d in k.dtypes]


@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_kernel_arithmetic(libs, name, dtype):
    failures = H.check_kernel(K.REGISTRY[name], dtype, libs)
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("name", ["softmax_fwd", "log_softmax_bwd", "sum_fwd", "var_fwd",
                                  "max_fwd"])
@pytest.mark.parametrize("max_block,max_grid", [(32, 1), (256, 2), (1024, 4)])
def test_row_kernels_with_other_block_sizes(libs, name, max_block, max_grid):
    """One warp per block (the block reductions' single-warp case), 8 and 32 warps, and a
    grid of one block walking every row."""
    failures = H.check_kernel(K.REGISTRY[name], "float32", libs, seed=1, max_block=max_block,
                              max_grid=max_grid)
    assert not failures, "\n".join(failures[:5])


def test_elementwise_broadcasts_like_cupy(libs):
    get = H.launcher_factory(libs)
    y = np.random.default_rng(0).random((3, 1), dtype=np.float32)
    g = np.linspace(-1, 1, 5, dtype=np.float32)
    out = K.call(K.REGISTRY["sigmoid_bwd"], get, H.no_fallback, y, g)
    np.testing.assert_allclose(out, g * y * (1 - y), rtol=1e-6)


def _value(out):
    """A forward's result without the residuals it keeps for its rule (``Residuals``)."""
    return out.out if isinstance(out, Residuals) else out


# -- every override against its op's forward ---------------------------------------------------
@pytest.mark.parametrize("op_name", sorted(K.OVERRIDES))
def test_override_matches_the_op_forward(libs, op_name):
    """``kernels.call`` (as the CUDA backend runs it) on the op's own samples and on strided
    inputs: where the kernel applies it matches the float64 forward, elsewhere it is the
    array-module forward itself. The kernel must apply to some of the samples."""
    op, kernel = K._op(op_name), K.OVERRIDES[op_name]
    fallback = Backend().resolve(op)  # the array-module forward on NumPy
    get = H.launcher_factory(libs)
    launched = 0
    for dtype in kernel.dtypes:
        for attrs, inputs in H.override_cases(op, kernel, dtype):
            before = len(H.HostLauncher.launches)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # var: ddof >= n
                try:
                    want_same = fallback(*inputs, **attrs)
                except Exception as e:  # the kernel path must raise the same
                    with pytest.raises(type(e)):
                        K.call(kernel, get, fallback, *inputs, **attrs)
                    continue
                got = _value(K.call(kernel, get, fallback, *inputs, **attrs))
                want_same = _value(want_same)
            what = (f"{op_name} {dtype} {[a.shape for a in inputs]} {attrs} "
                    f"contiguous={inputs[0].flags.c_contiguous}")
            if len(H.HostLauncher.launches) > before:
                launched += 1
                bad = H.compare(kernel, got, inputs, attrs, dtype, what)
                assert bad is None, bad
            else:
                np.testing.assert_array_equal(got, want_same, err_msg=what)
    assert launched, f"the {kernel.name} kernel applied to none of {op_name}'s samples"


# -- the CUDA backend's path, with the emulation standing in for CuPy -------------------------
def _fake_cuda_backend(monkeypatch, libs):
    return H.fake_cuda_backend(monkeypatch, libs, fast={"x": 1})  # a cache to see dropped


def test_cuda_backend_resolves_overrides_to_kernels(libs, monkeypatch):
    b = _fake_cuda_backend(monkeypatch, libs)
    monkeypatch.setattr(K, "_enabled", True)
    impl = b.impl(OPS["softmax"])
    assert impl.kernel is K.REGISTRY["softmax_fwd"]
    x = np.random.default_rng(0).standard_normal((4, 33)).astype(np.float32)
    before = len(H.HostLauncher.launches)
    y = impl(x, axis=-1)
    assert H.HostLauncher.launches[before:] == ["gt_softmax_fwd_f32"]
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(-1, keepdims=True), rtol=1e-6)
    before = len(H.HostLauncher.launches)
    np.testing.assert_allclose(impl(x, axis=0), OPS["softmax"].fwd(np, x, axis=0))
    assert len(H.HostLauncher.launches) == before  # axis 0: CuPy's routines
    # elementwise, through apply's fast path signature (one array, no attributes)
    s = b.impl(OPS["sigmoid"])
    np.testing.assert_allclose(s(x), 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert H.HostLauncher.launches[-1] == "gt_sigmoid_fwd_f32"
    # an integer input, or an op without a kernel: the array-module forward
    assert b.impl(OPS["relu"])(np.array([-1, 2])).tolist() == [0, 2]
    assert b.impl(OPS["add"]) is np.add


def test_switching_kernels_off(libs, monkeypatch):
    import gputensor as gt
    from gputensor import backends

    b = _fake_cuda_backend(monkeypatch, libs)
    monkeypatch.setitem(backends._backends, "fake", b)
    monkeypatch.setattr(K, "_enabled", True)
    assert gt.cuda.use_custom_kernels() is True
    assert hasattr(b.impl(OPS["softmax"]), "kernel")
    assert gt.cuda.use_custom_kernels(False) is True  # the previous setting
    assert b._impls == {} and b.device.fast == {}  # cached callables dropped
    assert not hasattr(b.impl(OPS["softmax"]), "kernel")
    assert gt.cuda.use_custom_kernels() is False
    assert gt.cuda.use_custom_kernels(True) is False
    assert hasattr(b.impl(OPS["softmax"]), "kernel")


def test_environment_variable_switches_kernels_off():
    code = "import gputensor as gt; print(gt.cuda.use_custom_kernels())"
    for value, want in (("off", "False"), ("OFF", "False"), ("on", "True")):
        env = dict(os.environ, GPUTENSOR_KERNELS=value)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, timeout=120)
        assert out.stdout.strip() == want, (value, out.stderr)


# -- the emulation itself ------------------------------------------------------------------
_EMU_TESTS = r"""
#include "common.cuh"
extern "C" __global__ void gt_test_shuffles(int* out) {
    const int t = threadIdx.x;
    out[t * 4 + 0] = __shfl_xor_sync(GT_FULL_MASK, t, 5);
    out[t * 4 + 1] = __shfl_down_sync(GT_FULL_MASK, t, 3);
    out[t * 4 + 2] = __shfl_up_sync(GT_FULL_MASK, t, 2, 16);
    out[t * 4 + 3] = __shfl_sync(GT_FULL_MASK, t, 7, 8);
}
extern "C" __global__ void gt_test_block_sum(const float* x, float* out) {
    float v = gt_block_sum(x[blockIdx.x * blockDim.x + threadIdx.x]);
    __shared__ float seen[1];
    if (threadIdx.x == 0) seen[0] = v;
    __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = seen[0] - v;  // every thread got the total
    if (threadIdx.x == 0) out[blockIdx.x * blockDim.x] = v;
}
extern "C" __global__ void gt_test_divergent(int* out) {
    if (threadIdx.x < 32) __syncthreads();
    out[threadIdx.x] = 1;
}
extern "C" __global__ void gt_test_half(const unsigned short* h, float* f, const float* x,
                                        unsigned short* hx, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        f[i] = gt_half_to_float(h[i]);
        hx[i] = gt_float_to_half(x[i]);
    }
}
"""


class _Raw:
    """Launches the test kernels above by their full names (no registry, no dtype suffix)."""

    def __init__(self, lib: H.HostLibrary):
        self.lib = lib

    def __call__(self, name, grid, block, *args):
        kinds = self.lib.signatures[name]
        conv = [a.ctypes.data if k == "ptr" else k(a).item() for a, k in zip(args, kinds)]
        if self.lib.fn(name)(*K._dims(grid), *K._dims(block), *conv) != 0:
            raise RuntimeError(self.lib.message())


@pytest.fixture(scope="module")
def emu():
    return _Raw(H.build_host(_EMU_TESTS, KDIR, defines=("GT_EMU_TIMEOUT_S=1",)))


def test_emulated_warp_shuffles(emu):
    out = np.zeros((64, 4), np.int32)
    emu("gt_test_shuffles", 1, 64, out)
    t = np.arange(64)
    lane, base = t % 32, t - t % 32
    np.testing.assert_array_equal(out[:, 0], base + (lane ^ 5))
    np.testing.assert_array_equal(out[:, 1], np.where(lane + 3 < 32, t + 3, t))
    np.testing.assert_array_equal(out[:, 2], np.where(lane % 16 >= 2, t - 2, t))
    np.testing.assert_array_equal(out[:, 3], base + (lane // 8) * 8 + 7)


@pytest.mark.parametrize("block", [32, 96, 1024])
def test_emulated_block_reduction_and_shared_memory(emu, block):
    grid = 3
    x = np.random.default_rng(block).integers(-50, 50, grid * block).astype(np.float32)
    out = np.full(grid * block, np.nan, np.float32)
    emu("gt_test_block_sum", grid, block, x, out)
    out = out.reshape(grid, block)
    np.testing.assert_array_equal(out[:, 0], x.reshape(grid, block).sum(1))
    np.testing.assert_array_equal(out[:, 1:], 0)


def test_emulation_reports_a_divergent_barrier(emu):
    with pytest.raises(RuntimeError, match="barrier timeout"):
        emu("gt_test_divergent", 1, 64, np.zeros(64, np.int32))


def test_emulation_rejects_blocks_it_cannot_run(emu):
    with pytest.raises(RuntimeError, match="multiple of 32"):
        emu("gt_test_shuffles", 1, 48, np.zeros((48, 4), np.int32))


def test_half_conversions_are_exact(emu):
    """gt_half's software conversions (the host side of every float16 kernel) agree with
    NumPy bit for bit: all 65536 half values, and float32 values around every rounding
    boundary (ties to even, subnormals, overflow to inf)."""
    h = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    rng = np.random.default_rng(0)
    edges = np.array([0.0, -0.0, 65504, 65519.996, 65520, -65520, 2.0**-24, 2.0**-25,
                      2.0**-25 * 1.0000001, 3 * 2.0**-26, 2.0**-14, 2.0**-14 * (1 - 2**-11),
                      1 + 2**-11, 1 + 3 * 2**-11, np.inf, -np.inf, 1e-30, 1e30], np.float32)
    bits = rng.integers(0, 1 << 32, 200_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    halves = h.view(np.float16).astype(np.float32)
    with np.errstate(invalid="ignore"):
        # ties (1 + 2^-11: halfway to the next half) and near-ties
        x = np.concatenate([edges, bits, halves, halves * np.float32(1 + 2**-11),
                            halves * np.float32(1 + 2**-12)])
    x = np.resize(x, max(len(x), len(h)))
    n = len(x)
    hh = np.resize(h, n)
    f = np.empty(n, np.float32)
    hx = np.empty(n, np.uint16)
    emu("gt_test_half", 64, 64, hh, f, x, hx, n)
    want = hh.view(np.float16).astype(np.float32)
    assert np.array_equal(f.view(np.uint32), want.view(np.uint32))
    with np.errstate(over="ignore"):
        want_h = x.astype(np.float16)
    nan = np.isnan(x)
    np.testing.assert_array_equal(hx[~nan], want_h.view(np.uint16)[~nan])
    assert np.isnan(hx[nan].view(np.float16)).all()


# -- (c) a broken line fails both checks -----------------------------------------------------------
def _broken_copy(tmp_path, file, old, new):
    d = tmp_path / "kernels"
    if not d.exists():
        shutil.copytree(KDIR, d)
    text = (KDIR / file).read_text()
    assert text.count(old) >= 1, old
    (d / file).write_text(text.replace(old, new, 1))
    return d


def test_a_syntax_error_fails_both_checks(tmp_path):
    d = _broken_copy(tmp_path, "softmax.cu", "s = gt_block_sum(s);", "s = gt_block_sum(s)")
    text = K.compile_units(d)["softmax.cu"]
    if H.nvcc() is not None:
        ok, log, _ = H.compile_ptx(text, "sm_80", d)
        assert not ok and "error" in log
    with pytest.raises(H.BuildError, match="error"):
        H.build_host(text, d)


@pytest.mark.parametrize("file,old,new,kernel", [
    ("softmax.cu", "((A)xr[j] - m) - ls", "((A)xr[j] - m) + ls", "log_softmax_fwd"),
    ("softmax.cu", "for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp",
     "for (long long j = threadIdx.x; j < cols - 1; j += blockDim.x) s += exp", "softmax_fwd"),
    ("reduce.cu", "m2 += m2b + delta * delta * n * frac;", "m2 += m2b + delta * n * frac;",
     "var_fwd"),
    ("common.cuh", "for (int o = 16; o > 0; o >>= 1) v += __shfl_xor",
     "for (int o = 8; o > 0; o >>= 1) v += __shfl_xor", "sum_fwd"),
    ("activations.cuh", "return g * (cdf + x * pdf);", "return g * (cdf - x * pdf);",
     "gelu_bwd"),
    ("cross_entropy.cu", "if (j == label) p -= A(1);", "if (j == label) p += A(1);",
     "cross_entropy_bwd"),
], ids=["log_softmax-operator", "softmax-loop-bound", "welford-merge", "warp-sum-levels",
        "gelu_bwd-operator", "cross_entropy_bwd-onehot"])
def test_a_wrong_operator_fails_the_arithmetic_check(tmp_path, libs, file, old, new, kernel):
    """The broken source still compiles (nvcc accepts it), and the arithmetic check fails
    on it while it passes on the intact source."""
    d = _broken_copy(tmp_path, file, old, new)
    k = K.REGISTRY[kernel]
    text = K.compile_units(d)[k.unit()]
    if H.nvcc() is not None:
        ok, log, _ = H.compile_ptx(text, "sm_80", d)
        assert ok, log
    broken = {k.unit(): H.build_host(text, d)}
    assert H.check_kernel(k, "float32", broken), f"the broken {file} passed the check"
    assert not H.check_kernel(k, "float32", libs)
