"""Elementwise ops: dtype policy, weak scalars, float16, stability, NumPy semantics, errors.

Every row is also run by the table-driven tests/test_ops.py; this file checks what a table
cannot: exact semantics (rounding, signs of remainders, clip bounds), stability at extreme
inputs, the error messages, and broadcasting over random shapes and dtype pairs (hypothesis).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import gputensor as gt
from gputensor.ops import OPS

from opcheck import TOL


def t(data, device, dtype=None):
    return gt.tensor(data, dtype=dtype, device=device)


def host(x):
    return x.cpu().numpy()


# -- dtype policy --------------------------------------------------------------------------
def test_int_true_division_gives_default_float(device):
    out = t([1, 2, 3], device) / t([2, 2, 2], device)
    assert out.dtype == gt.float32
    np.testing.assert_allclose(host(out), [0.5, 1.0, 1.5])
    assert gt.divide(t([1], device, gt.int32), 2).dtype == gt.float32
    gt.set_default_dtype(gt.float64)
    assert (t([1], device) / t([2], device)).dtype == gt.float64


@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "sin", "tanh", "sigmoid", "erf",
                                  "reciprocal", "rsqrt", "exp2", "log2"])
def test_float_policy_on_integers_and_bools(name, device):
    fn = getattr(gt, name)
    got = fn(t([1, 2, 4], device))
    assert got.dtype == gt.float32, name
    np.testing.assert_allclose(host(got), OPS[name].ref(np.array([1, 2, 4])), rtol=1e-6)
    assert fn(t([True, True], device)).dtype == gt.float32


def test_comparisons_and_tests_give_bool(device):
    a = t([1.0, float("nan"), 3.0], device)
    for fn in (gt.equal, gt.not_equal, gt.less, gt.less_equal, gt.greater, gt.greater_equal,
               gt.logical_and, gt.logical_or, gt.logical_xor):
        assert fn(a, 2.0).dtype == gt.bool, fn.__name__
    for fn in (gt.isnan, gt.isinf, gt.isfinite, gt.logical_not):
        assert fn(a).dtype == gt.bool, fn.__name__
    assert host(gt.isnan(a)).tolist() == [False, True, False]
    assert host(gt.isfinite(t([1.0, float("inf"), float("nan")], device))).tolist() == [
        True, False, False]


@pytest.mark.parametrize("x,scalar,want", [
    ("float32", 2.0, "float32"), ("float16", 2.0, "float16"), ("int32", 1, "int32"),
    ("int8", 3, "int8"), ("uint8", 2, "uint8"), ("int32", 2.5, "float32"),
    ("int64", 2.5, "float32"), ("bool", 2, "int64"), ("bool", 1.5, "float32"),
    ("float64", 1, "float64")])
def test_python_scalars_are_weak(x, scalar, want, device):
    a = t([1, 2], device, x)
    for out in (a * scalar, scalar * a, gt.multiply(a, scalar), a + scalar, gt.maximum(a, scalar)):
        assert out.dtype == np.dtype(want), (x, scalar, out.dtype)
    np.testing.assert_allclose(host(a * scalar).astype(float),
                               np.array([1, 2], dtype=x).astype(float) * scalar)


def test_tensor_operands_promote_like_numpy(device):
    a, b = t([1, 2], device, gt.int32), t([1.5, 2.5], device, gt.float16)
    assert (a + b).dtype == np.result_type(np.int32, np.float16)
    assert (t([1], device, gt.float32) + t([1], device, gt.float64)).dtype == gt.float64
    assert (t([1], device, gt.int8) + t([1], device, gt.uint8)).dtype == gt.int16


@pytest.mark.parametrize("name", ["add", "multiply", "divide", "exp", "sqrt", "sigmoid",
                                  "tanh", "gelu", "softplus", "silu", "erf", "log1p", "pow"])
def test_float16_in_float16_out_and_correct(name, device):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.1, 4.0, 50).astype(np.float16)
    y = rng.uniform(0.1, 2.0, 50).astype(np.float16)
    op = OPS[name]
    got = apply_named(name, t(x, device), t(y, device))
    assert got.dtype == gt.float16, name
    want = reference(op, x.astype(np.float64), y.astype(np.float64))
    # within a couple of float16 ulps of the float64 result on the same inputs
    np.testing.assert_allclose(host(got).astype(np.float64), want, rtol=2 * 2.0 ** -10,
                               atol=1e-3, err_msg=name)


def apply_named(name, x, y):
    fn = getattr(gt, name)
    return fn(x, y) if OPS[name].arity == 2 else fn(x)


def reference(op, x, y):
    if op.ref is not None:
        return op.ref(x, y) if op.arity == 2 else op.ref(x)
    fn = getattr(np, op.fwd) if isinstance(op.fwd, str) else (lambda *a: op.fwd(np, *a))
    return fn(x, y) if op.arity == 2 else fn(x)


# -- numerical stability -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_activations_stable_at_large_magnitude(dtype, device):
    x = t([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], device, dtype)
    if dtype == "float16":
        x = t([-6e4, -100.0, -30.0, 0.0, 30.0, 100.0, 6e4], device, dtype)
    big = float(host(x)[-1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow / invalid-value warnings
        sig = host(gt.sigmoid(x)).astype(float)
        sp = host(gt.softplus(x)).astype(float)
        ge = host(gt.gelu(x)).astype(float)
        gtanh = host(gt.gelu(x, approximate="tanh")).astype(float)
        si = host(gt.silu(x)).astype(float)
        el = host(gt.elu(x)).astype(float)
        er = host(gt.erf(x)).astype(float)
    for name, v in [("sigmoid", sig), ("softplus", sp), ("gelu", ge), ("gelu_tanh", gtanh),
                    ("silu", si), ("elu", el), ("erf", er)]:
        assert np.all(np.isfinite(v)), (name, v)
    assert sig[0] == 0.0 and sig[-1] == 1.0 and sig[3] == 0.5
    assert sp[0] == 0.0 and sp[-1] == big and sp[3] == pytest.approx(math.log(2), rel=1e-3)
    assert ge[0] == 0.0 and ge[-1] == big and gtanh[0] == 0.0 and gtanh[-1] == big
    assert si[0] == 0.0 and si[-1] == big
    assert el[0] == -1.0 and el[-1] == big
    assert er[0] == -1.0 and er[-1] == 1.0


def test_sigmoid_keeps_relative_precision_in_the_tail(device):
    x = t([-40.0, -80.0], device, gt.float64)
    np.testing.assert_allclose(host(gt.sigmoid(x)), np.exp([-40.0, -80.0]) / (
        1 + np.exp([-40.0, -80.0])), rtol=1e-14)


def test_softplus_beta_threshold_as_pytorch(device):
    x = t([-2.0, 0.0, 1.0, 3.0, 30.0], device, gt.float64)
    got = host(gt.softplus(x, beta=2.0, threshold=5.0))
    xs = host(x)
    want = np.where(xs * 2 > 5, xs, np.log1p(np.exp(2 * xs)) / 2)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    assert got[3] == 3.0  # 2 * 3 > 5: linear


def test_erf_accuracy_float64(device):
    x = np.concatenate([np.linspace(-7, 7, 2001), [1e-8, -1e-8, 0.5, 1.0, 8.0, 26.0]])
    got = host(gt.erf(t(x, device, gt.float64)))
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=1e-16)
    got_c = host(gt.erfc(t(x, device, gt.float64)))
    want_c = np.array([math.erfc(v) for v in x])
    np.testing.assert_allclose(got_c, want_c, rtol=1e-13, atol=1e-300)
    special = host(gt.erf(t([0.0, float("inf"), -float("inf"), float("nan")], device)))
    assert special[:3].tolist() == [0.0, 1.0, -1.0] and np.isnan(special[3])


def test_gelu_exact_and_tanh(device):
    x = np.linspace(-6, 6, 101)
    exact = host(gt.gelu(t(x, device, gt.float64)))
    np.testing.assert_allclose(exact, [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x],
                               rtol=1e-13, atol=1e-15)
    approx = host(gt.gelu(t(x, device, gt.float64), approximate="tanh"))
    np.testing.assert_allclose(approx, 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))), rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(exact - approx)) < 1e-3  # the approximation is close, not equal
    with pytest.raises(ValueError, match=r"gelu: approximate must be 'none' or 'tanh', got 'tan'"):
        gt.gelu(t([1.0], device), approximate="tan")


# -- NumPy semantics -----------------------------------------------------------------------
def test_round_half_to_even_and_decimals(device):
    x = t([0.5, 1.5, 2.5, -0.5, -1.5, 0.25], device, gt.float64)
    assert host(gt.round(x)).tolist() == [0.0, 2.0, 2.0, -0.0, -2.0, 0.0]
    assert host(x.round(decimals=1)).tolist() == np.round(host(x), 1).tolist()
    assert host(gt.round(t([15, 25, -35], device), decimals=-1)).tolist() == [20, 20, -40]
    assert gt.round(t([1, 2], device, gt.int32)).dtype == gt.int32
    h = gt.round(t([1.23456], device, gt.float16), decimals=2)
    assert h.dtype == gt.float16 and float(host(h)[0]) == pytest.approx(1.23, abs=1e-3)
    with pytest.raises(TypeError, match=r"round: decimals must be an integer, got 1.5"):
        gt.round(x, decimals=1.5)


@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64"])
def test_remainder_and_floor_divide_follow_numpy_signs(dtype, device):
    a = np.array([7, -7, 7, -7, 5, -5, 0], dtype=dtype)
    b = np.array([3, 3, -3, -3, 5, 2, 4], dtype=dtype)
    ta, tb = t(a, device), t(b, device)
    np.testing.assert_array_equal(host(gt.remainder(ta, tb)), np.remainder(a, b))
    np.testing.assert_array_equal(host(ta % tb), a % b)
    np.testing.assert_array_equal(host(gt.floor_divide(ta, tb)), np.floor_divide(a, b))
    np.testing.assert_array_equal(host(ta // tb), a // b)
    assert host(ta % tb).tolist()[:4] == [1, 2, -2, -1]  # sign of the divisor


def test_ceil_floor_trunc_sign(device):
    x = t([-1.5, -0.5, 0.5, 1.5], device)
    assert host(gt.ceil(x)).tolist() == [-1.0, -0.0, 1.0, 2.0]
    assert host(gt.floor(x)).tolist() == [-2.0, -1.0, 0.0, 1.0]
    assert host(gt.trunc(x)).tolist() == [-1.0, -0.0, 0.0, 1.0]
    assert host(gt.sign(t([-3.0, 0.0, 2.0], device))).tolist() == [-1.0, 0.0, 1.0]
    i = t([-3, 4], device, gt.int32)
    for fn in (gt.ceil, gt.floor, gt.trunc):
        out = fn(i)
        assert out.dtype == gt.int32 and host(out).tolist() == [-3, 4]


def test_clip_bounds(device):
    x = t([-3.0, -1.0, 0.5, 2.0, 9.0], device)
    assert host(gt.clip(x, -1, 2)).tolist() == [-1.0, -1.0, 0.5, 2.0, 2.0]
    assert host(gt.clip(x, None, 2)).tolist() == [-3.0, -1.0, 0.5, 2.0, 2.0]
    assert host(gt.clip(x, min=0)).tolist() == [0.0, 0.0, 0.5, 2.0, 9.0]
    assert host(gt.clip(x)).tolist() == host(x).tolist()
    assert gt.clamp is gt.clip and host(x.clamp(max=0)).tolist() == [-3.0, -1.0, 0.0, 0.0, 0.0]
    assert host(gt.clip(x, 3, 1)).tolist() == [1.0] * 5  # min > max: max, as NumPy
    # tensor bounds broadcast
    lo = t([[0.0], [1.0]], device)
    np.testing.assert_array_equal(host(gt.clip(x, lo, 5.0)),
                                  np.clip(host(x), host(lo), 5.0))
    # integer tensors stay integer with an int bound and a missing one
    i = t([-5, 0, 5, 100], device, gt.int8)
    out = gt.clip(i, None, 3)
    assert out.dtype == gt.int8 and host(out).tolist() == [-5, 0, 3, 3]
    assert gt.clip(t([1, 2], device), 0.5, None).dtype == gt.float32
    nan = host(gt.clip(t([float("nan"), 1.0], device), 0.0, 0.5))
    assert np.isnan(nan[0]) and nan[1] == 0.5
    assert gt.clip([1, 5, 9], 2, 6).tolist() == [2, 5, 6]


def test_where_broadcasts_and_promotes(device):
    c = t([[True], [False]], device)
    a = t([1.0, 2.0, 3.0], device)
    out = gt.where(c, a, 0.0)
    assert out.shape == (2, 3) and out.dtype == gt.float32
    assert host(out).tolist() == [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]
    assert gt.where(c, t([1, 2, 3], device, gt.int32), 0).dtype == gt.int32
    assert gt.where(c, t([1, 2, 3], device, gt.int32), 0.5).dtype == gt.float32
    assert gt.where(c, 1.0, 0.0).dtype == gt.float32
    assert host(a.where(t([True, False, True], device), -1.0)).tolist() == [1.0, -1.0, 3.0]
    with pytest.raises(TypeError, match=r"where: condition must be a bool tensor, got dtype "
                                        r"float32"):
        gt.where(a, a, 0.0)
    with pytest.raises(ValueError, match=r"where: .*(broadcast|shape)"):
        gt.where(t([True, False], device), a, 0.0)


def test_maximum_minimum_propagate_nan(device):
    a = t([1.0, float("nan"), 3.0], device)
    b = t([2.0, 0.0, float("nan")], device)
    mx, mn = host(gt.maximum(a, b)), host(gt.minimum(a, b))
    assert mx[0] == 2.0 and np.isnan(mx[1]) and np.isnan(mx[2])
    assert mn[0] == 1.0 and np.isnan(mn[1]) and np.isnan(mn[2])


def test_activations_values(device):
    x = t([-2.0, -0.5, 0.0, 0.5, 2.0], device, gt.float64)
    xs = host(x)
    np.testing.assert_array_equal(host(gt.relu(x)), np.maximum(xs, 0))
    np.testing.assert_allclose(host(gt.leaky_relu(x, 0.1)), np.where(xs >= 0, xs, 0.1 * xs))
    np.testing.assert_allclose(host(gt.elu(x, alpha=0.5)), np.where(xs > 0, xs,
                                                                     0.5 * np.expm1(xs)))
    np.testing.assert_allclose(host(gt.silu(x)), xs / (1 + np.exp(-xs)), rtol=1e-14)
    assert gt.relu(t([-1, 2], device)).dtype == gt.int64
    assert np.isnan(host(gt.relu(t([float("nan")], device)))[0])


def test_logic_and_bits(device):
    a, b = t([True, True, False], device), t([True, False, False], device)
    assert host(gt.logical_xor(a, b)).tolist() == [False, True, False]
    assert host(gt.logical_and(t([2, 0], device), t([1.5, 3.0], device))).tolist() == [True,
                                                                                     False]
    assert host(gt.bitwise_and(t([12], device), 10)).tolist() == [8]
    assert host(gt.bitwise_xor(a, b)).tolist() == [False, True, False]
    assert host(gt.bitwise_not(t([0, 5], device, gt.uint8))).tolist() == [255, 250]
    assert host(gt.left_shift(t([1, 3], device), 2)).tolist() == [4, 12]


def test_nan_to_num(device):
    x = t([float("nan"), float("inf"), -float("inf"), 1.0], device)
    out = host(gt.nan_to_num(x))
    assert out[0] == 0.0 and out[1] == np.finfo(np.float32).max and out[3] == 1.0
    assert host(x.nan_to_num(nan=1.0, posinf=2.0, neginf=-2.0)).tolist() == [1.0, 2.0, -2.0, 1.0]


def test_aliases_are_the_same_objects():
    pairs = [("sub", "subtract"), ("mul", "multiply"), ("div", "divide"),
             ("true_divide", "divide"), ("power", "pow"), ("neg", "negative"),
             ("absolute", "abs"), ("clamp", "clip"), ("asin", "arcsin"), ("acos", "arccos"),
             ("atan", "arctan"), ("atan2", "arctan2"), ("eq", "equal"), ("ne", "not_equal"),
             ("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
             ("bitwise_left_shift", "left_shift"), ("bitwise_right_shift", "right_shift")]
    for alias, name in pairs:
        assert getattr(gt, alias) is getattr(gt, name), alias
    assert gt.Tensor.clamp is gt.Tensor.clip and gt.Tensor.sub is gt.Tensor.subtract


def test_tensor_methods(device):
    x = t([1.0, 4.0], device)
    assert host(x.sqrt()).tolist() == [1.0, 2.0]
    assert host(x.pow(2)).tolist() == [1.0, 16.0]
    assert host(x.clamp(2, 3)).tolist() == [2.0, 3.0]
    assert host(x.maximum(t([2.0, 2.0], device))).tolist() == [2.0, 4.0]
    assert host(x.gt(2)).tolist() == [False, True] and host(x.eq(1)).tolist() == [True, False]
    assert host(x.sigmoid()).shape == (2,) and host(x.atan2(x)).shape == (2,)


def test_every_public_function_is_documented():
    from gputensor.ops import elementwise

    for name in elementwise.__all__:
        fn = getattr(elementwise, name)
        assert fn.__doc__ and ">>>" in fn.__doc__, name


def test_cuda_templates_format_with_inputs_and_attrs():
    from gputensor.ops import elementwise as ew

    rows = {fn.op for fn in map(ew.__dict__.get, ew.__all__) if hasattr(fn, "op")}
    rows |= {ew._CLIP, ew._WHERE, ew._SOFTPLUS, ew._LEAKY_RELU, ew._ELU, ew._GELU,
             ew._GELU_TANH}
    rows = [op for op in rows if op.cuda]
    assert len(rows) > 60
    for op in rows:
        n = op.arity
        for sample in op.samples:
            attrs = {k: v for k, v in sample.items() if k != "shapes"}
            defaults = {"beta": 1.0, "threshold": 20.0, "negative_slope": 0.01, "alpha": 1.0}
            code = op.cuda.format(*[f"in{i}" for i in range(n)], **{**defaults, **attrs})
            assert code.count("(") == code.count(")"), op.name
            assert "{" not in code and all(f"in{i}" in code for i in range(n)), op.name
    assert ew.add.op.cuda.format("a", "b") == "((a) + (b))"


# -- errors --------------------------------------------------------------------------------
def test_unsupported_dtypes_name_op_and_dtype(device):
    f = t([1.0], device)
    with pytest.raises(TypeError, match=r"bitwise_and: unsupported dtype float32; accepted "
                                        r"dtypes are bool, signed integers, unsigned integers"):
        gt.bitwise_and(f, f)
    with pytest.raises(TypeError, match=r"bitwise_not: unsupported dtype float32"):
        ~f
    with pytest.raises(TypeError, match=r"negative: unsupported dtype bool"):
        -t([True], device)
    with pytest.raises(TypeError, match=r"subtract: unsupported dtype bool"):
        t([True], device) - t([False], device)
    with pytest.raises(TypeError, match=r"gelu: unsupported dtype int64; accepted dtypes are "
                                        r"floats"):
        gt.gelu(t([1], device))
    with pytest.raises(TypeError, match=r"clip: unsupported dtype bool"):
        gt.clip(t([True], device), None, None)
    with pytest.raises(TypeError, match=r"left_shift: unsupported dtype float32"):
        gt.left_shift(f, 1)


def test_broadcast_mismatch_names_both_shapes(device):
    a, b = t(np.zeros((2, 3)), device), t(np.zeros(4), device)
    with pytest.raises(ValueError, match=r"add: .*broadcast.*\(2, ?3\).*\(4,?\)"):
        gt.add(a, b)
    with pytest.raises(ValueError, match=r"maximum: .*\(2, ?3\).*\(4,?\)"):
        gt.maximum(a, b)


def test_integer_negative_power_raises(device):
    with pytest.raises(ValueError, match=r"pow: .*negative"):
        t([2, 3], device) ** t([-1, 1], device)


def test_bad_operand_types(device):
    with pytest.raises(TypeError, match=r"add: "):
        gt.add(t([1.0], device), "a")
    with pytest.raises(TypeError, match=r"multiply: "):
        gt.multiply(t([1.0], device), 1j)


# -- hypothesis: broadcasting over random shapes and dtype pairs, against NumPy ------------
_F64 = np.dtype("float64")
DTYPES = ["bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64"]
BINARY = ["add", "subtract", "multiply", "divide", "floor_divide", "remainder", "pow",
          "maximum", "minimum", "arctan2", "equal", "not_equal", "less", "greater_equal",
          "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
          "bitwise_xor"]


def _elements(dtype, positive, hi=20):
    d = np.dtype(dtype)
    if d.kind == "b":
        return st.just(True) if positive else st.booleans()
    if d.kind in "iu":
        return st.integers(1 if positive else (0 if d.kind == "u" else -hi), hi)
    lo = 0.25 if positive else -float(hi)
    return st.floats(lo, float(hi), width=8 * d.itemsize, allow_nan=False,
                     allow_subnormal=False)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_binary_broadcasting_matches_numpy(device, data):
    name = data.draw(st.sampled_from(BINARY), label="op")
    op = OPS[name]
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4,
                                                          max_side=3), label="shapes")
    d1, d2 = data.draw(st.sampled_from(DTYPES)), data.draw(st.sampled_from(DTYPES))
    positive = op.domain in ("nonzero", "positive")
    a = data.draw(hnp.arrays(d1, shapes.input_shapes[0], elements=_elements(d1, False)))
    b = data.draw(hnp.arrays(d2, shapes.input_shapes[1],
                             elements=_elements(d2, positive, 3 if name == "pow" else 20)))
    if name == "pow":  # positive bases too: no NaN from fractional powers of negatives
        a = np.abs(a) if a.dtype.kind != "b" else a
    promoted = np.result_type(a.dtype, b.dtype)
    fn = getattr(gt, name)
    if promoted.kind not in op.kinds:
        with pytest.raises(TypeError, match=rf"{name}: unsupported dtype {promoted}"):
            fn(t(a, device), t(b, device))
        return
    got = fn(t(a, device), t(b, device))
    # integers and bools under the "float" policy: float64 reference (NumPy: float16 for bools)
    ref_dtype = _F64 if op.policy == "float" and promoted.kind != "f" else promoted
    with np.errstate(all="ignore"):
        want = getattr(np, op.fwd)(a.astype(ref_dtype), b.astype(ref_dtype))
    assert got.shape == shapes.result_shape
    if op.policy == "bool":
        assert got.dtype == gt.bool
    elif op.policy == "float" and promoted.kind != "f":
        assert got.dtype == gt.float32
    else:
        assert got.dtype == promoted
    g = host(got)
    if want.dtype.kind in "biu" and g.dtype.kind in "biu":
        np.testing.assert_array_equal(g, want)
    else:
        rtol, atol = max(TOL.get(got.dtype, TOL[np.dtype("float64")]),
                         TOL.get(promoted, TOL[np.dtype("float64")]))
        np.testing.assert_allclose(g.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                   atol=atol * max(1.0, float(np.max(np.abs(want), initial=0))))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                  elements=st.floats(-1e6, 1e6, allow_nan=False)),
       st.sampled_from(["float16", "float32", "float64"]))
def test_unary_float_ops_match_numpy_reference(device, x, dtype):
    x = (np.clip(x, -1e4, 1e4) if dtype == "float16" else x).astype(dtype)
    for name in ("abs", "negative", "square", "sign", "floor", "tanh", "sin", "arctan",
                 "sigmoid", "softplus", "erf", "relu", "silu"):
        if name == "square" and dtype == "float16":
            continue  # overflows to inf in float16, as it must
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = host(getattr(gt, name)(t(x, device)))
        op = OPS[name]
        with np.errstate(all="ignore"):
            want = reference(op, x.astype(np.float64), None)
        rtol, atol = TOL[np.dtype(dtype)]
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=rtol,
                                   atol=atol * max(1.0, float(np.max(np.abs(want), initial=0))),
                                   err_msg=name)
