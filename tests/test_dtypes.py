"""dtypes: spellings, comparisons, refusals, defaults and NumPy-2 promotion with weak scalars."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gputensor as gt
from gputensor import dtypes as dt

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ALL = [np.dtype(n) for n in NAMES]


@pytest.mark.parametrize("name", NAMES)
def test_dtype_objects_compare_with_numpy_and_strings(name):
    d = getattr(gt, name)
    assert d == np.dtype(name) == name
    assert d == getattr(np, name if name != "bool" else "bool_")
    assert str(d) == name and d.name == name
    assert dt.as_dtype(name) is d or dt.as_dtype(name) == d
    assert gt.zeros(1, dtype=name).dtype == d


def test_aliases_are_the_same_objects():
    # (a chain like ``gt.float32 == np.float32 == 'float32'`` also compares NumPy's type with
    # the string, which NumPy answers False; each side equals the gputensor dtype)
    assert gt.bool is gt.bool_ and gt.bool == np.bool_ and gt.bool == "bool"
    assert gt.half == gt.float16 and gt.double == gt.float64
    assert gt.long == gt.int64 and gt.short == gt.int16
    assert gt.float32 == np.float32 and gt.float32 == "float32" and gt.float32 == "f4"
    assert np.float32 == gt.float32 and "float32" == gt.float32
    assert gt.float32 != gt.float64 and gt.float32 != "float64"


@pytest.mark.parametrize("spelling, want", [
    (np.float32, "float32"), ("f4", "float32"), ("<f4", "float32"), (">f4", "float32"),
    (float, "float32"), (int, "int64"), (bool, "bool"), (np.int8, "int8"), ("u1", "uint8"),
    ("float", "float64"),  # NumPy's spelling: 'float' is float64, Python's float is the default
    (np.dtype("int16"), "int16"),
])
def test_as_dtype_spellings(spelling, want):
    d = dt.as_dtype(spelling)
    assert d == want and d.isnative


@pytest.mark.parametrize("spelling, words", [
    (complex, "complex128.*complex numbers are not supported"),
    ("complex64", "complex64.*complex numbers"),
    (np.complex128, "complex128"),
    (str, "strings are not supported"),
    ("U3", "<U3.*strings"),
    (object, "object.*Python objects"),
    (np.uint16, "uint16"),
    ("uint32", "uint32"),
    ("datetime64[s]", "datetime64"),
    ("not-a-dtype", "'not-a-dtype'"),
    (None, "None"),
    ([("a", "f4")], "structured"),
])
def test_unsupported_dtypes_are_type_errors_naming_them(spelling, words):
    with pytest.raises(TypeError, match=f"unsupported dtype .*{words}|{words}"):
        dt.as_dtype(spelling)
    if spelling is not None:
        with pytest.raises(TypeError, match=f"zeros: .*{words}.*accepted: float16"):
            gt.zeros(2, dtype=spelling)
        with pytest.raises(TypeError, match=f"tensor: .*{words}"):
            gt.tensor([1, 2], dtype=spelling)


@pytest.mark.parametrize("data, words", [
    ([1 + 2j], "complex number"), (1j, "complex number"), (["a", "b"], "string 'a'"),
    ("abc", "string 'abc'"), ([None, 1.0], "NoneType None"), ([object()], "object"),
    (np.array([1 + 1j]), "complex128"), (np.array(["x"]), "strings"),
    (np.array([None]), "object"), (np.zeros(2, np.uint16), "uint16"),
])
def test_unsupported_data_is_type_error_naming_it(data, words):
    with pytest.raises(TypeError, match=words):
        gt.tensor(data)


def test_set_default_dtype_errors():
    with pytest.raises(TypeError, match="set_default_dtype: expected a float dtype, got int32"):
        gt.set_default_dtype(gt.int32)
    with pytest.raises(TypeError, match="set_default_dtype: unsupported dtype complex64"):
        gt.set_default_dtype("complex64")
    assert gt.get_default_dtype() == gt.float32


def test_default_dtypes():
    assert gt.get_default_dtype() == gt.float32
    assert gt.tensor(1.5).dtype == gt.float32 and gt.tensor([1.5, 2]).dtype == gt.float32
    assert gt.tensor(1).dtype == gt.int64 and gt.tensor([1, 2]).dtype == gt.int64
    assert gt.tensor(True).dtype == gt.bool and gt.tensor([True]).dtype == gt.bool
    assert gt.tensor([]).dtype == gt.float32
    assert gt.zeros(2).dtype == gt.float32 and gt.ones(2).dtype == gt.float32
    assert gt.full((2,), 3).dtype == gt.int64 and gt.full((2,), 3.0).dtype == gt.float32
    assert gt.full((2,), True).dtype == gt.bool
    assert gt.arange(3).dtype == gt.int64 and gt.arange(3.0).dtype == gt.float32
    assert gt.eye(2).dtype == gt.float32 and gt.linspace(0, 1, 3).dtype == gt.float32
    assert gt.rand(2).dtype == gt.float32 and gt.randint(0, 3, (2,)).dtype == gt.int64
    # NumPy data keeps its dtype
    assert gt.tensor(np.zeros(2)).dtype == gt.float64
    assert gt.tensor(np.float64(1)).dtype == gt.float64


def test_changing_the_default_float_dtype():
    gt.set_default_dtype(gt.float64)
    assert gt.tensor([1.5]).dtype == gt.float64 and gt.zeros(2).dtype == gt.float64
    assert dt.result_type(gt.int32, 1.5) == gt.float64
    gt.set_default_dtype("float16")
    assert gt.ones(1).dtype == gt.float16 and gt.tensor(2.0).dtype == gt.float16
    assert gt.tensor(2).dtype == gt.int64  # ints are not affected


# -- promotion ------------------------------------------------------------------------------
WEAK = [True, False, 0, 1, -3, 2.5, -0.5]


def reference(*operands):
    """NumPy 2's result_type (Python scalars weak), with gputensor's documented exceptions:
    a float result that no strong float operand asked for is the default float dtype
    (NumPy: float64), as when integer tensors meet a Python float, or Python floats meet
    only each other."""
    want = np.result_type(*operands)
    strong_float = any(isinstance(o, np.dtype) and o.kind == "f" for o in operands)
    if want.kind == "f" and not strong_float:
        return dt.get_default_dtype()
    return want


operand = st.one_of(st.sampled_from(ALL), st.sampled_from(WEAK))


@settings(max_examples=400, deadline=None)
@given(st.lists(operand, min_size=1, max_size=4))
def test_promotion_matches_numpy2_table(operands):
    assert dt.result_type(*operands) == reference(*operands)


@settings(max_examples=50, deadline=None)
@given(st.lists(operand, min_size=1, max_size=3), st.sampled_from(["float16", "float64"]))
def test_promotion_follows_the_default_float(operands, default):
    gt.set_default_dtype(default)
    try:
        assert dt.result_type(*operands) == reference(*operands)
    finally:
        gt.set_default_dtype("float32")


@pytest.mark.parametrize("a", ALL)
@pytest.mark.parametrize("b", ALL)
def test_strong_pairs_are_numpy_and_stay_supported(a, b):
    got = dt.result_type(a, b)
    assert got == np.result_type(a, b) and got in dt.SUPPORTED


@pytest.mark.parametrize("ops, want", [
    ((gt.float32, 2.0), "float32"),
    ((gt.float16, 2.0), "float16"),
    ((gt.int32, 1), "int32"),
    ((gt.int8, 1000), "int8"),  # weak: the value does not widen the dtype (NumPy 2)
    ((gt.uint8, 1), "uint8"),
    ((gt.int32, 2.5), "float32"),  # NumPy: float64; gputensor: the default float
    ((gt.bool, 1), "int64"),
    ((gt.bool, 1.0), "float32"),
    ((gt.bool, True), "bool"),
    ((True,), "bool"), ((1,), "int64"), ((1.0,), "float32"), ((True, 1), "int64"),
    ((1, 1.0), "float32"),
    ((gt.int64, gt.float32), "float64"),  # two tensors: NumPy's table
    ((gt.int8, gt.uint8), "int16"),
    ((gt.float16, gt.int16), "float32"),
    ((np.float64(1.0), gt.float32), "float64"),  # NumPy scalars are strong, as in NumPy 2
])
def test_promotion_examples(ops, want):
    assert dt.result_type(*ops) == want


def test_promotion_errors():
    with pytest.raises(TypeError, match="complex numbers are not supported"):
        dt.result_type(gt.float32, 1j)
    with pytest.raises(TypeError, match="strings are not supported"):
        dt.result_type(gt.float32, "a")
    with pytest.raises(TypeError, match="result_type: no operands"):
        dt.result_type()


def test_to_float():
    assert dt.to_float(gt.int32) == gt.float32 and dt.to_float(gt.bool) == gt.float32
    assert dt.to_float(gt.float16) == gt.float16 and dt.to_float(gt.float64) == gt.float64


def test_tensor_arithmetic_uses_weak_scalars(device):
    f32 = gt.ones(3, dtype=gt.float32, device=device)
    assert (f32 * 2.0).dtype == gt.float32 and (2.0 * f32).dtype == gt.float32
    assert (f32 + 1).dtype == gt.float32
    i32 = gt.ones(3, dtype=gt.int32, device=device)
    assert (i32 + 1).dtype == gt.int32 and (1 + i32).dtype == gt.int32
    assert (i32 * 2.5).dtype == gt.float32
    assert (gt.ones(2, dtype=gt.float16, device=device) * 3.0).dtype == gt.float16
    b = gt.tensor([True, False], device=device)
    assert (b + 1).dtype == gt.int64
    assert (i32 + gt.ones(3, dtype=gt.int64, device=device)).dtype == gt.int64
    assert (f32 + gt.ones(3, dtype=gt.float64, device=device)).dtype == gt.float64
    assert (i32 * 2.5).tolist() == [2.5, 2.5, 2.5]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([d for d in ALL if d.kind != "b"]),
       st.sampled_from([d for d in ALL if d.kind != "b"]))
def test_tensor_add_promotes_like_result_type(a, b):
    x, y = gt.ones(2, dtype=a), gt.ones(2, dtype=b)
    assert (x + y).dtype == dt.result_type(a, b)
    assert (x + 1).dtype == dt.result_type(a, 1)
    assert (x + 1.0).dtype == dt.result_type(a, 1.0)
