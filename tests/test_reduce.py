"""Reductions against NumPy: random axes (hypothesis), dtype policies, empty input, ties,
logsumexp stability, PyTorch/TensorFlow spellings and every error path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gputensor as gt
from gputensor.ops.reduce import normalize_axes

from opcheck import assert_close

FIXTURE_OK = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


def T(a, device, dtype=None):
    return gt.tensor(np.asarray(a), dtype=dtype, device=device)


def N(t):
    return t.cpu().numpy()


# -- hypothesis: every reduction over random shapes, axes, keepdims and dtypes ---------------
def _np_logsumexp(a, axis, keepdims):
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a.astype(np.float64)), axis=axis, keepdims=keepdims))


NP_REF = {
    "sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max, "min": np.min,
    "all": np.all, "any": np.any, "var": np.var, "std": np.std, "logsumexp": _np_logsumexp,
}
FLOAT_OUT = {"mean", "var", "std", "logsumexp"}


@st.composite
def reduction_case(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=4)))
    ndim = len(shape)
    if draw(st.booleans()) or ndim == 0:
        axis = None
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1,
                             max_size=ndim))
        axes = [a - ndim if draw(st.booleans()) else a for a in axes]  # some negative
        axis = axes[0] if len(axes) == 1 and draw(st.booleans()) else tuple(axes)
    return (draw(st.sampled_from(sorted(NP_REF))), shape, axis, draw(st.booleans()),
            draw(st.sampled_from(["float32", "float64", "int64", "int32", "bool"])),
            draw(st.integers(0, 2**32 - 1)))


def _data(rng, shape, dtype, op):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if op in ("prod",):
        return rng.integers(-3, 4, size=shape).astype(dtype)  # int64 cannot overflow
    return (rng.standard_normal(shape) * 3).astype(dtype)


@FIXTURE_OK
@given(reduction_case())
def test_reductions_match_numpy(device, case):
    name, shape, axis, keepdims, dtype, seed = case
    a = _data(np.random.default_rng(seed), shape, dtype, name)
    fn = getattr(gt, name)
    axes = () if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    reduced_empty = a.size == 0 and (axis is None or any(shape[x] == 0 for x in axes))
    if name in ("max", "min") and reduced_empty:
        with pytest.raises(ValueError, match=f"{name}: cannot reduce an empty tensor"):
            fn(T(a, device), axis=axis, keepdims=keepdims)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean/var of empty slices: nan
        want = NP_REF[name](a, axis=axis, keepdims=keepdims)
        got = fn(T(a, device), axis=axis, keepdims=keepdims)
    assert got.shape == np.shape(want)
    if name in FLOAT_OUT:
        assert got.dtype == (a.dtype if a.dtype.kind == "f" else gt.float32)
    elif name in ("sum", "prod"):
        assert got.dtype == (a.dtype if a.dtype.kind == "f" else gt.int64)
    elif name in ("all", "any"):
        assert got.dtype == gt.bool
    else:
        assert got.dtype == a.dtype
    assert_close(got, want, dtype if dtype != "int32" else "int64", name)


@FIXTURE_OK
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_argmax_argmin_match_numpy_with_ties(device, shape, data):
    a = np.random.default_rng(data.draw(st.integers(0, 99))).integers(0, 3, size=shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    for name in ("argmax", "argmin"):
        got = getattr(gt, name)(T(a, device), axis=axis, keepdims=keepdims)
        want = getattr(np, name)(a, axis=axis, keepdims=keepdims)
        assert got.dtype == gt.int64
        np.testing.assert_array_equal(N(got), want)


@FIXTURE_OK
@given(shape=st.lists(st.integers(0, 4), min_size=0, max_size=3), data=st.data())
def test_cumsum_cumprod_match_numpy(device, shape, data):
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1))) if ndim else None
    dtype = data.draw(st.sampled_from(["float64", "int64", "bool"]))
    a = _data(np.random.default_rng(data.draw(st.integers(0, 99))), shape, dtype, "prod")
    for name in ("cumsum", "cumprod"):
        got = getattr(gt, name)(T(a, device), axis=axis)
        want = getattr(np, name)(a, axis=axis)
        assert got.dtype == (gt.float64 if dtype == "float64" else gt.int64)
        assert_close(got, want, dtype, name)


# -- argmax/argmin: first occurrence ----------------------------------------------------------
def test_argmax_first_occurrence(device):
    x = T([1, 3, 3, 0, 3], device)
    assert gt.argmax(x).item() == 1
    assert gt.argmin(T([2, 0, 1, 0], device)).item() == 1
    m = T([[5, 5, 1], [0, 2, 2]], device)
    assert gt.argmax(m, axis=1).tolist() == [0, 1]
    assert gt.argmax(m, axis=0).tolist() == [0, 0, 1]
    assert m.argmax(dim=1, keepdim=True).tolist() == [[0], [1]]
    f = T([[np.inf, 1.0, np.inf]], device)
    assert gt.argmax(f).item() == 0
    assert gt.argmax(T(7.0, device)).item() == 0  # 0-d


# -- policies ------------------------------------------------------------------------------
def test_int_mean_var_std_give_default_float(device):
    x = T([1, 2, 3, 4], device)
    assert gt.mean(x).dtype == gt.float32 and gt.mean(x).item() == 2.5
    assert gt.var(x).dtype == gt.float32 and gt.var(x).item() == 1.25
    assert gt.std(T([True, False], device)).dtype == gt.float32
    gt.set_default_dtype(gt.float64)
    assert gt.mean(x).dtype == gt.float64
    assert gt.mean(T([1.0, 2.0], device, gt.float32)).dtype == gt.float32  # floats keep


def test_sum_prod_cumsum_of_ints_and_bools_give_int64(device):
    assert gt.sum(T([True, True, False], device)).item() == 2
    assert gt.sum(T([True], device)).dtype == gt.int64
    assert gt.sum(T([1, 2], device, gt.int32)).dtype == gt.int64
    assert gt.prod(T([True, True], device)).dtype == gt.int64
    assert gt.cumsum(T([1, 2], device, gt.int8)).dtype == gt.int64
    assert gt.cumprod(T([1.0, 2.0], device, gt.float16)).dtype == gt.float16
    assert gt.sum(T([1.0, 2.0], device, gt.float16)).dtype == gt.float16


def test_max_min_keep_dtype_and_return_values_only(device):
    x = T([[1, 5], [7, 2]], device, gt.int32)
    out = x.max(1)  # NumPy: values only, not PyTorch's (values, indices)
    assert isinstance(out, gt.Tensor) and out.dtype == gt.int32 and out.tolist() == [5, 7]
    assert gt.min(x, dim=0).tolist() == [1, 2]
    assert gt.max(T([True, False], device)).dtype == gt.bool


def test_all_any_return_bool(device):
    x = T([[1.0, 0.0], [2.0, 3.0]], device)
    assert gt.all(x, axis=1).tolist() == [False, True]
    assert gt.any(x, axis=0).dtype == gt.bool
    assert x.any().item() is True


def test_dtype_argument(device):
    x = T([1, 2, 3], device, gt.int32)
    out = gt.sum(x, dtype=gt.float64)
    assert out.dtype == gt.float64 and out.item() == 6.0
    assert gt.mean(x, dtype="float64").dtype == gt.float64
    assert gt.cumsum(x, dtype=gt.int32).dtype == gt.int32
    assert gt.prod(T([1.5, 2.0], device), dtype=gt.int64).item() == 2


def test_var_std_ddof_spellings(device):
    a = np.random.default_rng(0).standard_normal((3, 5))
    x = T(a, device)
    np.testing.assert_allclose(N(gt.var(x, axis=1)), np.var(a, axis=1))
    for kw in ({"ddof": 1}, {"correction": 1}, {"unbiased": True}):
        np.testing.assert_allclose(N(gt.var(x, axis=1, **kw)), np.var(a, axis=1, ddof=1))
        np.testing.assert_allclose(N(x.std(dim=0, keepdim=True, **kw)),
                                   np.std(a, axis=0, ddof=1, keepdims=True))
    np.testing.assert_allclose(N(gt.std(x, unbiased=False)), np.std(a))


# -- empty input ---------------------------------------------------------------------------
def test_empty_sum_prod_identity(device):
    e = gt.zeros(0, device=device)
    assert gt.sum(e).item() == 0.0 and gt.sum(e).dtype == gt.float32
    assert gt.prod(e).item() == 1.0
    assert gt.sum(gt.zeros(0, 3, dtype=gt.int64, device=device), axis=0).tolist() == [0, 0, 0]
    assert gt.all(e).item() is True and gt.any(e).item() is False
    assert gt.logsumexp(e).item() == -np.inf
    assert gt.logsumexp(gt.zeros(2, 0, device=device), axis=1).tolist() == [-np.inf] * 2
    assert gt.cumsum(e).shape == (0,)


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin"])
def test_empty_max_raises(device, name):
    fn = getattr(gt, name)
    with pytest.raises(ValueError, match=rf"{name}: cannot reduce an empty tensor of shape "
                                         rf"\(0,\).*no identity"):
        fn(gt.zeros(0, device=device))
    with pytest.raises(ValueError, match=rf"{name}: .*shape \(2, 0\) along axis 1 .*no "
                                         "identity"):
        fn(gt.zeros(2, 0, device=device), axis=-1)
    # an empty tensor whose reduced axis is not empty gives an empty result
    assert fn(gt.zeros(0, 3, device=device), axis=1).shape == (0,)


# -- logsumexp stability ---------------------------------------------------------------------
def test_logsumexp_stable_at_1e4(device):
    a = np.array([[1e4, 1e4, 1e4 - 1], [-1e4, -1e4 - 2, -1e4]])
    want = np.array([1e4 + np.log(2 + np.exp(-1.0)), -1e4 + np.log(2 + np.exp(-2.0))])
    for dtype in (gt.float32, gt.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow, no log(0) warnings
            got = gt.logsumexp(T(a, device, dtype), axis=1)
        assert got.dtype == dtype
        np.testing.assert_allclose(N(got), want, rtol=1e-6)
    got = gt.logsumexp(T(a, device), axis=-1, keepdims=True)
    assert got.shape == (2, 1)


def test_logsumexp_infinities(device):
    a = np.array([[-np.inf, -np.inf], [0.0, -np.inf], [np.inf, 1.0], [np.nan, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = N(gt.logsumexp(T(a, device), dim=1))
    np.testing.assert_array_equal(got, [-np.inf, 0.0, np.inf, np.nan])


def test_logsumexp_int_and_float16(device):
    assert gt.logsumexp(T([0, 0], device)).dtype == gt.float32
    got = gt.logsumexp(T([6e4, 6e4], device, gt.float16))
    assert got.dtype == gt.float16 and np.isfinite(got.item())
    np.testing.assert_allclose(got.item(), 6e4 + np.log(2), rtol=1e-3)


# -- norm ----------------------------------------------------------------------------------
NORM_CASES = [
    ((5,), {}), ((5,), {"ord": 1}), ((5,), {"ord": np.inf}), ((5,), {"ord": -np.inf}),
    ((5,), {"ord": 0}), ((5,), {"ord": 3}), ((5,), {"ord": 0.5}),
    ((3, 4), {}), ((3, 4), {"ord": "fro"}), ((3, 4), {"ord": "nuc"}), ((3, 4), {"ord": 2}),
    ((3, 4), {"ord": -2}), ((3, 4), {"ord": 1}), ((3, 4), {"ord": -1}),
    ((3, 4), {"ord": np.inf}), ((3, 4), {"ord": -np.inf}),
    ((3, 4), {"axis": 1}), ((3, 4), {"ord": 1, "axis": 0, "keepdims": True}),
    ((2, 3, 4), {}), ((2, 3, 4), {"axis": (1, 2)}), ((2, 3, 4), {"ord": 2, "axis": (2, 0)}),
    ((2, 3, 4), {"ord": "fro", "axis": (-1, -2), "keepdims": True}),
    ((), {}), ((0,), {}),
]


@pytest.mark.parametrize("shape,kw", NORM_CASES)
def test_norm_matches_numpy(device, shape, kw):
    a = np.random.default_rng(1).standard_normal(shape)
    want = np.linalg.norm(a, **kw)
    got = gt.norm(T(a, device), **kw)
    assert got.shape == np.shape(want) and got.dtype == gt.float64
    np.testing.assert_allclose(N(got), want, rtol=1e-10, atol=1e-12)
    assert gt.linalg.norm is gt.norm


def test_norm_dtypes(device):
    assert gt.norm(T([3, 4], device)).dtype == gt.float32
    assert gt.norm(T([3, 4], device)).item() == 5.0
    h = gt.norm(T([[300.0, 400.0]], device, gt.float16), ord=2)  # squares overflow float16
    assert h.dtype == gt.float16 and h.item() == 500.0
    assert T([[3.0, 4.0]], device).norm(dim=1).tolist() == [5.0]


# -- spellings, aliases, methods --------------------------------------------------------------
def test_dim_keepdim_spellings(device):
    a = np.arange(24.0).reshape(2, 3, 4)
    x = T(a, device)
    np.testing.assert_array_equal(N(x.sum(dim=1, keepdim=True)), a.sum(1, keepdims=True))
    np.testing.assert_array_equal(N(gt.mean(x, dim=(0, -1))), a.mean((0, 2)))
    np.testing.assert_array_equal(N(x.max(-1)), a.max(-1))
    np.testing.assert_array_equal(N(gt.sum(x, [0, 2])), a.sum((0, 2)))
    np.testing.assert_array_equal(N(gt.sum(x, np.int64(1))), a.sum(1))
    np.testing.assert_array_equal(N(gt.cumsum(x, dim=2)), a.cumsum(2))
    assert gt.sum([1, 2, 3]).item() == 6  # array-likes are accepted


def test_tf_aliases_are_the_same_objects():
    for tf, ours in [("reduce_sum", "sum"), ("reduce_mean", "mean"), ("reduce_max", "max"),
                     ("reduce_min", "min"), ("reduce_prod", "prod"), ("reduce_all", "all"),
                     ("reduce_any", "any"), ("reduce_logsumexp", "logsumexp")]:
        assert getattr(gt, tf) is getattr(gt, ours)
    for name in ["sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "all",
                 "any", "logsumexp", "norm", "cumsum", "cumprod"]:
        assert getattr(gt.Tensor, name) is getattr(gt, name), name
        assert getattr(gt, name).__doc__ and ">>>" in getattr(gt, name).__doc__
        assert gt.OPS[name].kind == "reduce"


def test_sum_of_4m_float32_goes_straight_to_the_backend(device):
    a = np.random.default_rng(0).standard_normal(4 * 1024 * 1024).astype(np.float32)
    t = T(a, device)
    got = gt.sum(t)
    assert got.dtype == gt.float32 and got.shape == ()
    if device == "cpu":  # the very same NumPy call on the very same array: bit-identical
        assert got.item() == np.sum(a)
        m = a.reshape(2048, 2048)
        np.testing.assert_array_equal(N(gt.sum(T(m, device), axis=0)), np.sum(m, axis=0))
    else:
        np.testing.assert_allclose(got.item(), np.sum(a, dtype=np.float64), rtol=1e-5)


# -- errors ----------------------------------------------------------------------------------
def test_axis_out_of_range(device):
    x = gt.zeros(2, 3, 4, device=device)
    for exc in (IndexError, ValueError):
        with pytest.raises(exc, match=r"sum: axis 3 is out of range for a tensor with 3 "
                                      r"dimension\(s\) \(shape \(2, 3, 4\)\); valid axes are "
                                      r"-3\.\.2"):
            gt.sum(x, axis=3)
    with pytest.raises(IndexError, match="mean: axis -4 is out of range"):
        x.mean(dim=(0, -4))
    with pytest.raises(IndexError, match="max: axis 0 is out of range .* 0 dimension"):
        gt.max(gt.tensor(1.0, device=device), axis=0)
    with pytest.raises(IndexError, match="argmax: axis 2 is out of range"):
        gt.argmax(gt.zeros(2, 3, device=device), axis=2)
    with pytest.raises(IndexError, match="cumsum: axis -3 is out of range"):
        gt.cumsum(gt.zeros(2, 3, device=device), axis=-3)
    with pytest.raises(IndexError, match="norm: axis 5 is out of range"):
        gt.norm(x, axis=5)


def test_duplicate_and_bad_axes(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(ValueError, match=r"sum: duplicate axes in axis=\(1, -1\)"):
        gt.sum(x, axis=(1, -1))
    with pytest.raises(TypeError, match="prod: axis must be None, an int or a tuple of ints, "
                                        "got 1.5"):
        gt.prod(x, axis=1.5)
    with pytest.raises(TypeError, match="axis must be .* got True"):
        gt.sum(x, axis=True)
    with pytest.raises(TypeError, match="max: axis must be .*use gt.maximum"):
        gt.max(x, gt.ones(2, 3, device=device))
    with pytest.raises(TypeError, match=r"argmax: axis must be an int or None .* \(0, 1\)"):
        gt.argmax(x, axis=(0, 1))
    with pytest.raises(TypeError, match=r"cumprod: axis must be an int or None .*\(0,\)"):
        gt.cumprod(x, axis=(0,))


def test_spelling_conflicts(device):
    x = gt.zeros(2, 3, device=device)
    with pytest.raises(TypeError, match="sum: got both axis=0 and dim=1; pass only one"):
        gt.sum(x, 0, dim=1)
    with pytest.raises(TypeError, match="mean: got both keepdims= and keepdim="):
        x.mean(keepdims=True, keepdim=True)
    with pytest.raises(TypeError, match="var: got ddof= and unbiased=; .*pass only one"):
        gt.var(x, ddof=1, unbiased=True)
    with pytest.raises(ValueError, match="std: ddof must be a non-negative number, got -1"):
        gt.std(x, ddof=-1)


def test_norm_errors(device):
    x = gt.ones(2, 3, 4, device=device)
    with pytest.raises(ValueError, match="norm: ord='fro' is not a vector norm"):
        gt.norm(gt.ones(3, device=device), ord="fro")
    with pytest.raises(ValueError, match="norm: ord=3 is not a matrix norm.*'nuc'"):
        gt.norm(gt.ones(2, 2, device=device), ord=3)
    with pytest.raises(ValueError, match=r"norm: ord=2 needs a 1-D or 2-D tensor, got shape "
                                         r"\(2, 3, 4\); give axis="):
        gt.norm(x, ord=2)
    with pytest.raises(ValueError, match=r"norm: axis=\(0, 1, 2\) names 3 axes"):
        gt.norm(x, axis=(0, 1, 2))


def test_normalize_axes_helper():
    assert normalize_axes("sum", None, (2, 3)) is None
    assert normalize_axes("sum", -1, (2, 3)) == (1,)
    assert normalize_axes("sum", [1, -2], (2, 3)) == (1, 0)
    assert normalize_axes("sum", (), ()) == ()


def test_mean_of_no_elements_is_nan_without_a_warning(device):
    # as PyTorch (NumPy warns "Mean of empty slice")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(gt.mean(gt.zeros(0, device=device)).item())
        out = gt.zeros((0, 3), device=device).mean(axis=0)
        assert out.shape == (3,) and np.isnan(out.cpu().numpy()).all()
        assert gt.zeros((0, 3), device=device).mean(axis=1).shape == (0,)
        assert gt.mean(gt.zeros(0, dtype=gt.float16, device=device)).dtype == gt.float16
