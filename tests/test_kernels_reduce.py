"""Wiring of the reduction kernels (kernels/reduce.cu) that the automatic checks of
tests/test_kernels_cpu.py do not pin down: which layout (rows, columns, two levels) a given
shape and axis selects, which entry point runs, and where the array-module path is kept
(``NotImplemented``). Kernels run in the host emulation (tests/kernel_harness.py)."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import kernel_harness as H
from gputensor.backends import kernels as K

pytestmark = pytest.mark.skipif(H.cxx() is None, reason="no host C++ compiler found")
CUDA = types.SimpleNamespace(max_block=1024, max_grid=1 << 20)  # the CuPy launcher's limits


@pytest.fixture(scope="module")
def lib():
    return H.build_host(K.compile_units()["reduce.cu"], K.kernel_dir())


def _call(lib, name, x, **attrs):
    """(result, entry points launched) of kernel ``name`` through ``kernels.call``; the
    fallback is NumPy's own function."""
    kernel = K.REGISTRY[name]
    op = K._op(kernel.overrides[0])

    def fallback(a, **kw):
        return getattr(np, op.fwd)(a, **kw)

    before = len(H.HostLauncher.launches)
    get = lambda kern, dtype: H.HostLauncher(lib, kern, dtype)  # noqa: E731
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = K.call(kernel, get, fallback, x, **attrs)
    return out, H.HostLauncher.launches[before:]


@pytest.mark.parametrize("shape,axis,want", [
    ((2, 3, 4), 1, (2, 3, 4, (2, 1, 4), (2, 4))),
    ((2, 3, 4), (2, 1), (2, 12, 1, (2, 1, 1), (2,))),
    ((2, 3, 4), [-3, -2], (1, 6, 4, (1, 1, 4), (4,))),
    ((2, 3, 4), None, (1, 24, 1, (1, 1, 1), ())),
    ((5,), 0, (1, 5, 1, (1,), ())),
    ((2, 3, 4), (0, 2), None),  # not adjacent
    ((2, 3, 4), (), None),  # no axis: the identity, left to the array module
    ((2, 3, 4), (1, 1), None),
    ((2, 3, 4), 3, None),
    ((), None, None),
    ((3, 0), 0, None),
])
def test_reduce_layout(shape, axis, want):
    assert K.reduce_layout(np.zeros(shape), axis) == want


@pytest.mark.parametrize("shape,axis,two_level,kind", [
    ((4096, 1024), 0, True, "cols"),  # axis 0 of a matrix: coalesced column tiles
    ((4096, 1024), 1, True, "rows"),
    ((4096, 1024), None, True, "two_level"),  # 2^22 elements: several blocks, then one
    ((4096, 1024), None, False, None),  # var/argmax: CuPy's reduction
    ((8, 100_000), -1, True, "two_level"),
    ((100, 100_000), -1, False, "rows"),  # enough rows for one block each
    ((200_000, 4), 0, True, None),  # long columns, one tile: CuPy's reduction
    ((200_000, 4096), 0, True, "cols"),
    ((16, 32, 8), (0, 1), True, "cols"),
])
def test_reduce_plan_on_cuda_limits(shape, axis, two_level, kind):
    x = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), shape, (0,) * len(shape))
    plan = K.reduce_plan(CUDA, x, axis, two_level)
    assert (plan and plan[0]) == kind


@pytest.mark.parametrize("name,shape,attrs,entries", [
    ("sum_fwd", (4, 70), {"axis": 0}, ["gt_reduce_cols_f32"]),
    ("sum_fwd", (4, 70), {"axis": 1}, ["gt_sum_fwd_f32"]),
    ("mean_fwd", (3, 4, 5), {"axis": (0, 1), "keepdims": True}, ["gt_reduce_cols_f32"]),
    ("max_fwd", (2, 5000), {"axis": None}, ["gt_reduce_part_f32", "gt_reduce_final_f32"]),
    ("mean_fwd", (2, 5000), {"axis": -1}, ["gt_reduce_part_f32", "gt_reduce_final_f32"]),
    ("var_fwd", (6, 40), {"axis": 0, "ddof": 1}, ["gt_var_cols_f32"]),
    ("std_fwd", (6, 40), {"axis": 1}, ["gt_var_fwd_f32"]),
    ("argmax_fwd", (6, 40), {"axis": 0}, ["gt_arg_cols_f32"]),
    ("argmin_fwd", (6, 40), {"axis": None, "keepdims": True}, ["gt_argmin_fwd_f32"]),
    # the array-module path: non-adjacent axes, no axis, long rows without a two-level
    # scheme, ddof >= n, attributes the kernel does not know, integer input
    ("sum_fwd", (2, 3, 4), {"axis": (0, 2)}, []),
    ("sum_fwd", (2, 3), {"axis": ()}, []),
    ("var_fwd", (2, 5000), {"axis": -1}, []),
    ("argmax_fwd", (2, 5000), {"axis": None}, []),
    ("var_fwd", (3, 2), {"axis": 1, "ddof": 2}, []),
    ("sum_fwd", (3, 2), {"axis": 1, "dtype": np.float64}, []),
])
def test_entry_selected_and_result(lib, name, shape, attrs, entries):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out, launched = _call(lib, name, x, **attrs)
    assert launched == entries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ddof >= n
        ref = K.reference(K.REGISTRY[name], x, **attrs)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-4)


def test_integer_input_is_left_to_the_array_module(lib):
    out, launched = _call(lib, "sum_fwd", np.arange(6).reshape(2, 3), axis=0)
    assert launched == [] and out.tolist() == [3, 5, 7]


@pytest.mark.parametrize("name", ["argmax_fwd", "argmin_fwd"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arg_first_occurrence_and_first_nan(lib, name, dtype):
    """As NumPy: ties give the first index, and the first NaN wins over everything; rows
    (axis -1) and columns (axis 0 of the transpose, a strided input) alike; int64 output."""
    nan, inf = np.nan, np.inf
    x = np.array([[1, nan, 3, nan], [2, 2, 1, 2], [-inf, -inf, -inf, -inf],
                  [inf, 5, inf, -inf], [0.0, -0.0, 0.0, -1]], dtype=dtype)
    fn = np.argmax if name == "argmax_fwd" else np.argmin
    for arr, axis in ((x, -1), (x.T, 0), (np.ascontiguousarray(x.T), 0)):
        out, launched = _call(lib, name, arr, axis=axis)
        assert launched and out.dtype == np.int64
        np.testing.assert_array_equal(out, fn(arr, axis=axis))


def test_long_rows_two_level_keeps_nan_and_inf(lib):
    x = np.ones((3, 9000), np.float32)
    x[0, 8999] = np.nan
    x[1, 4100] = np.inf
    x[2, 17] = -np.inf
    for name, fn in (("sum_fwd", np.sum), ("max_fwd", np.max), ("min_fwd", np.min),
                     ("mean_fwd", np.mean)):
        out, launched = _call(lib, name, x, axis=1)
        assert launched == ["gt_reduce_part_f32", "gt_reduce_final_f32"], name
        np.testing.assert_array_equal(out, fn(x, axis=1))


def test_float16_partials_accumulate_in_float32(lib):
    """A float16 sum of 10000 ones is 10000 (float16 partials would stop at 2048)."""
    x = np.ones(10_000, np.float16)
    out, launched = _call(lib, "sum_fwd", x)
    assert launched == ["gt_reduce_part_f16", "gt_reduce_final_f16"]
    assert out.dtype == np.float16 and float(out) == 10_000
