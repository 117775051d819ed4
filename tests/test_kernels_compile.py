"""Check (a) of the custom kernels: every compile unit of the registry compiles with
``nvcc --ptx`` for sm_80 and sm_90 (every dtype instantiation, since each unit holds the
entry points of all its dtypes), and the PTX defines every entry point the registry expects.
Skips cleanly where nvcc is absent. Also the registry's own consistency and the sources'
header-comment convention (kernels/README.md)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import kernel_harness as H
from gputensor.backends import kernels as K

KDIR = K.kernel_dir()
UNITS = sorted(K.compile_units())
needs_nvcc = pytest.mark.skipif(H.nvcc() is None, reason="nvcc not found (CUDA toolkit)")


@needs_nvcc
@pytest.mark.parametrize("arch", H.ARCHS)
@pytest.mark.parametrize("unit", UNITS)
def test_unit_compiles_to_ptx(unit, arch):
    ok, log, ptx = H.compile_ptx(K.compile_units()[unit], arch, KDIR)
    assert ok, f"nvcc --ptx -arch={arch} failed on {unit}:\n{log}"
    missing = set(K.unit_entries(unit)) - H.ptx_entries(ptx)
    assert not missing, f"{unit} ({arch}): entry points missing from the PTX: {sorted(missing)}"


@needs_nvcc
@pytest.mark.parametrize("unit", UNITS)
def test_unit_compiles_with_includes_expanded(unit):
    """What CuPy compiles: the text with its local includes pasted in, no include path."""
    text = K.expand_includes(K.compile_units()[unit], KDIR)
    ok, log, ptx = H.compile_ptx(text, "sm_80", None)
    assert ok, f"{unit} with expanded includes:\n{log}"
    assert set(K.unit_entries(unit)) <= H.ptx_entries(ptx)


def test_every_source_file_is_a_unit():
    """A .cu file in kernels/ that no registry entry names would escape both checks."""
    raw = {k.source for k in K.REGISTRY.values() if k.kind == "raw"}
    assert {p.name for p in KDIR.glob("*.cu")} == raw
    headers = {k.source for k in K.REGISTRY.values() if k.kind == "elementwise"}
    for h in headers:
        assert (KDIR / h).is_file(), h


def test_registry_is_consistent():
    for name, k in K.REGISTRY.items():
        assert re.fullmatch(r"[a-z0-9_]+_(fwd|bwd)", name), name
        assert set(k.dtypes) <= set(K.DTYPES), (name, k.dtypes)
        for op in k.overrides:
            assert K._op(op).name == op, (name, op)
            assert K.OVERRIDES[op] is k
        if k.kind == "raw":
            sigs = K.signatures((KDIR / k.source).read_text())
            for e in k.entry_points():
                assert e in sigs, f"{name}: {e} is not an extern \"C\" kernel of {k.source}"
                assert e.startswith("gt_"), e
        else:
            assert k.c_expr()  # the expression formats (OpDef cuda strings included)
            if k.expr is None:
                assert K._op(k.overrides[0]).cuda, name
        assert k.launch, f"{name}: describe its launch configuration"


def test_every_override_has_float32_and_float64():
    for op, k in K.OVERRIDES.items():
        assert "f" in K._op(op).kinds, op
        assert "float32" in k.dtypes and "float64" in k.dtypes, op


def test_signatures_parse_every_parameter():
    for unit, text in K.compile_units().items():
        sigs = K.signatures(text)
        assert set(K.unit_entries(unit)) <= set(sigs), unit
        for name, kinds in sigs.items():
            assert all(k == "ptr" or k in K.SCALAR_TYPES.values() for k in kinds), name


def test_signature_parser_rejects_unknown_types():
    text = 'extern "C" __global__ void gt_x_fwd_f32(const float* x, size_t n) {}'
    with pytest.raises(ValueError, match="size_t"):
        K.signatures(text)
    text = 'extern "C" __global__ void __launch_bounds__(256) gt_y_fwd_f32(float* y, long long n)'
    assert K.signatures(text) == {"gt_y_fwd_f32": ["ptr", np.int64]}


@pytest.mark.parametrize("path", sorted(KDIR.glob("*.cu")), ids=lambda p: p.name)
def test_source_header_comment(path: Path):
    """kernels/README.md: each file opens with a comment naming its entry points, dtypes,
    launch configuration and owning op."""
    head = path.read_text().split("#include")[0].lower()
    for word in ("entry points", "launch", "owning op", "_f16", "_f32", "_f64"):
        assert word in head, f"{path.name}: the header comment does not mention {word!r}"


def test_readme_lists_every_kernel():
    readme = (KDIR / "README.md").read_text()
    for k in K.REGISTRY.values():
        assert k.source in readme, k.source
        assert k.name in readme, f"kernels/README.md does not list {k.name}"


def test_includes_are_expanded_once():
    text = K.expand_includes('#include "softmax.cu"\n#include "common.cuh"\n', KDIR)
    assert "#include \"" not in text
    assert text.count("struct gt_half {") == 1
    assert "#pragma once" not in text


def test_register_rejects_duplicates_and_bad_entries():
    k = K.REGISTRY["softmax_fwd"]
    with pytest.raises(ValueError, match="registered twice"):
        K.register(k)
    with pytest.raises(ValueError, match="kind"):
        K.register(K.Kernel("x_fwd", "fused", "x.cu"))
    with pytest.raises(ValueError, match="needs entries and run"):
        K.register(K.Kernel("y_fwd", "raw", "y.cu"))
    with pytest.raises(ValueError, match="overridden by"):
        K.register(K.Kernel("z_fwd", "elementwise", "activations.cuh", overrides=("softmax",)))
    assert "x_fwd" not in K.REGISTRY and "z_fwd" not in K.REGISTRY
