"""Every row of the op table against NumPy, driven by the table itself.

For each op, each of its ``samples`` (see ``opcheck.table_cases``) and each dtype it accepts,
inputs are drawn from its ``domain`` in several layouts (0-d, empty, broadcasting,
non-contiguous) and the result is compared with the row's reference: ``op.ref`` when given,
else its forward run by NumPy in float64. A new row is covered without editing this file.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import gputensor as gt
from gputensor.ops import OPS, apply

from opcheck import assert_close, case_inputs as _inputs, table_cases

DTYPES = ["float32", "float64", "int64", "float16", "bool"]


def _cases():
    for op, attrs, shapes, specs, label in table_cases():
        for dtype in DTYPES:
            if np.dtype(dtype).kind in op.kinds:
                yield pytest.param(op, attrs, (shapes, specs), dtype, id=f"{label}-{dtype}")


def _reference(op, arrays, attrs):
    if op.ref is not None:
        return op.ref(*arrays, **attrs)
    wide = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    fwd = op.fwd if callable(op.fwd) else (lambda xp, *a, **k: getattr(xp, op.fwd)(*a, **k))
    return fwd(np, *wide, **attrs)


def _run(op, attrs, shapes, dtype, device, strided=False):
    shapes, specs = shapes
    rng = np.random.default_rng(zlib.crc32(f"{op.name}{dtype}{shapes}".encode()))
    arrays = _inputs(op, shapes, specs, dtype, rng)
    tensors = []
    for a in arrays:
        if strided and a.ndim >= 1 and a.size > 1:
            # a non-contiguous view with the same values: every other column of a wider buffer
            wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
            wide[..., ::2] = a
            t = gt.tensor(wide, device=device)[..., ::2]
            assert t.shape == a.shape and not t.is_contiguous()
        else:
            t = gt.tensor(a, device=device)
        tensors.append(t)
    return apply(op, *tensors, **attrs), _reference(op, arrays, attrs)


# The samples include edge inputs (the mean of nothing, var with ddof >= n, 0 ** -1): there
# NumPy, and so gputensor and the reference, warn as well as give nan or inf; the results
# are compared, the warnings are expected.
_EDGE_WARNINGS = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@_EDGE_WARNINGS
@pytest.mark.parametrize("op,attrs,shapes,dtype", list(_cases()))
def test_op_matches_numpy(op, attrs, shapes, dtype, device):
    if _reference_rejects(op, attrs, shapes, dtype):
        # where NumPy refuses (e.g. the max of an empty tensor), gputensor refuses too
        with pytest.raises((ValueError, TypeError, IndexError, RuntimeError)):
            _run(op, attrs, shapes, dtype, device)
        return
    got, want = _run(op, attrs, shapes, dtype, device)
    _compare(op, got, want, dtype)


def _reference_rejects(op, attrs, shapes, dtype) -> bool:
    rng = np.random.default_rng(0)
    try:
        _reference(op, _inputs(op, *shapes, dtype, rng), attrs)
    except Exception:
        return True
    return False


@_EDGE_WARNINGS
@pytest.mark.parametrize("op,attrs,shapes,dtype",
                         [c for c in _cases() if any(len(s) >= 1 for s in c.values[2][0])])
def test_op_non_contiguous(op, attrs, shapes, dtype, device):
    if _reference_rejects(op, attrs, shapes, dtype):
        pytest.skip("NumPy rejects this case (checked by test_op_matches_numpy)")
    got, want = _run(op, attrs, shapes, dtype, device, strided=True)
    _compare(op, got, want, dtype)


def _compare(op, got, want, dtype):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, list) and len(got) == len(want), op.name
        for g, w in zip(got, want):
            assert_close(g, w, dtype, op.name)
        return
    assert isinstance(got, gt.Tensor), op.name
    if op.policy == "same" and op.kind == "elementwise":
        assert got.dtype == np.dtype(dtype), f"{op.name}: dtype {got.dtype} != {dtype}"
    if op.policy == "bool":
        assert got.dtype == gt.bool
    if op.policy == "float":
        assert got.dtype.kind == "f"
    assert_close(got, want, dtype, op.name)


def test_every_op_has_samples_or_is_internal():
    for op in OPS.values():
        assert op.samples or op.name in ("to_device",), f"{op.name} has no test samples"
