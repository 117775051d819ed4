"""The custom kernels on a GPU (``gpu`` marker: skipped without CuPy and a device).

Every registry entry against its float64 NumPy reference on the device (relative error below
1e-5 for float32, float16 within its precision), odd sizes, more than 2^24 elements, and
every override against the CuPy-routine path (custom kernels switched off).
"""

from __future__ import annotations

import numpy as np
import pytest

import kernel_harness as H
from gputensor.backends import kernels as K

pytestmark = pytest.mark.gpu

CASES = [(name, d) for name, k in K.REGISTRY.items() for d in k.dtypes]
ODD_ELEMENTWISE = ((1,), (31,), (1025,), (3, 4097), (7, 1, 5))
ODD_ROWS = ((1, 1), (3, 1025), (2, 4097), (257, 33), (5, 32 * 1024 + 1))


@pytest.fixture(scope="module")
def cp():
    import cupy

    return cupy


def _get(kernel, dtype):
    import cupy

    return K.launcher(kernel.name, dtype, cupy.cuda.Device().id)


def _run(cp, kernel, inputs, attrs):
    dev = [cp.asarray(a) for a in inputs]
    out = K.call(kernel, _get, H.no_fallback, *dev, **attrs)
    assert isinstance(out, cp.ndarray)
    return cp.asnumpy(out)


@pytest.mark.parametrize("name,dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_kernel_on_device(cp, name, dtype):
    kernel = K.REGISTRY[name]
    rng = np.random.default_rng(0)
    odd = ODD_ELEMENTWISE if kernel.kind == "elementwise" else ODD_ROWS
    failures = []
    for shape in tuple(kernel.check.shapes) + odd:
        for attrs in kernel.check.attrs:
            for special in (False, True):
                inputs = K.inputs_for(kernel, rng, shape, dtype, special, attrs)
                what = f"{name} {dtype} shape={shape} attrs={attrs} special={special}"
                with np.errstate(all="ignore"):
                    out = _run(cp, kernel, inputs, attrs)
                bad = H.compare(kernel, out, inputs, attrs, dtype, what)
                if bad:
                    failures.append(bad)
    assert not failures, "\n".join(failures[:5])


LARGE = [n for n in ("sigmoid_fwd", "gelu_tanh_fwd", "relu_bwd", "softplus_fwd")] + \
        [n for n in ("softmax_fwd", "log_softmax_fwd", "sum_fwd", "max_fwd", "var_fwd",
                     "logsumexp_fwd", "softmax_bwd", "cross_entropy_fwd")]


@pytest.mark.parametrize("name", LARGE)
def test_more_than_2_24_elements(cp, name):
    kernel = K.REGISTRY[name]
    shape = (2**24 + 3,) if kernel.kind == "elementwise" else (4097, 4099)
    rng = np.random.default_rng(1)
    attrs = {} if kernel.kind == "elementwise" else \
        {"reduction": "none"} if name == "cross_entropy_fwd" else {"axis": -1}
    inputs = K.inputs_for(kernel, rng, shape, "float32", False, attrs)
    out = _run(cp, kernel, inputs, attrs)
    bad = H.compare(kernel, out, inputs, attrs, "float32", f"{name} {shape}")
    assert bad is None, bad


@pytest.mark.parametrize("op_name", sorted(K.OVERRIDES))
@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_custom_kernel_matches_cupy_routines(cp, op_name, dtype):
    """The same op through ``apply`` with custom kernels on and off (GPUTENSOR_KERNELS)."""
    import gputensor as gt
    from gputensor.backends import get_backend
    from gputensor.ops import apply

    op, kernel = K._op(op_name), K.OVERRIDES[op_name]
    if dtype not in kernel.dtypes:
        pytest.skip(f"{kernel.name} has no {dtype}")
    backend = get_backend(gt.device("cuda"))
    old = gt.cuda.use_custom_kernels(True)
    try:
        assert getattr(backend.impl(op), "kernel", None) is kernel
        cases = H.override_cases(op, kernel, dtype, default_shapes=((64, 1000), (3, 5, 7),
                                                                    (4097,), (1, 1)))
        for attrs, inputs in cases:
            ts = [gt.tensor(a, device="cuda") for a in inputs]
            gt.cuda.use_custom_kernels(True)
            try:
                a = _as_numpy(apply(op, *ts, **attrs))
            except Exception as e:
                gt.cuda.use_custom_kernels(False)
                with pytest.raises(type(e)):
                    apply(op, *ts, **attrs)
                continue
            gt.cuda.use_custom_kernels(False)
            b = _as_numpy(apply(op, *ts, **attrs))
            what = f"{op_name} {dtype} {[t.shape for t in ts]} {attrs}"
            assert a.dtype == b.dtype and a.shape == b.shape, what
            rtol = {"float16": 4e-3, "float32": 2e-5, "float64": 1e-12}[dtype]
            scale = np.abs(inputs[0].astype(np.float64)).sum() if op_name == "sum" else 1.0
            np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol,
                                       atol=rtol * scale, equal_nan=True, err_msg=what)
    finally:
        gt.cuda.use_custom_kernels(old)


def _as_numpy(t):
    return t[0].numpy() if isinstance(t, list) else t.numpy()


def test_launchers_are_cached_per_dtype_and_device(cp):
    k = K.REGISTRY["softmax_fwd"]
    dev = cp.cuda.Device().id
    assert K.launcher(k.name, "float32", dev) is K.launcher(k.name, "float32", dev)
    assert K.launcher(k.name, "float32", dev) is not K.launcher(k.name, "float64", dev)


def test_run_calls_a_kernel_directly(cp):
    y = cp.asarray(np.linspace(0.01, 0.99, 101, dtype=np.float32))
    g = cp.ones_like(y)
    dx = K.run("sigmoid_bwd", y, g)
    np.testing.assert_allclose(cp.asnumpy(dx), cp.asnumpy(y * (1 - y)), rtol=1e-6)
    with pytest.raises(TypeError, match="no kernel"):
        K.run("sigmoid_bwd", y.astype(cp.int32), g.astype(cp.int32))
