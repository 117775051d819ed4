"""Every differentiable row of the op table against central differences (gradcheck, float64),
driven by the table: a new row is covered without editing this file.

Inputs are drawn as in ``test_ops`` (the row's samples, shapes, domains and per-input specs);
float inputs require grad, integer and bool inputs (labels, indices, conditions) do not. Rows
whose outputs are never float (comparisons, argmax) have no gradient and are skipped.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import gputensor as gt
from gputensor.ops import apply

from opcheck import case_inputs, table_cases

# rows that have float outputs but, by definition, no gradient through them
NOT_DIFFERENTIABLE: set[str] = set()


def _cases():
    for op, attrs, shapes, specs, label in table_cases():
        if "f" not in op.kinds or any(0 in s for s in shapes):
            continue
        yield pytest.param(op, attrs, shapes, specs, id=label)


def _make(op, attrs, shapes, specs, device):
    rng = np.random.default_rng(zlib.crc32(f"grad{op.name}{shapes}{attrs}".encode()))
    arrays = case_inputs(op, shapes, specs, "float64", rng)
    return [gt.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]


@pytest.mark.parametrize("op,attrs,shapes,specs", list(_cases()))
def test_gradcheck(op, attrs, shapes, specs, device):
    inputs = _make(op, attrs, shapes, specs, device)
    with gt.no_grad():
        probe = apply(op, *[t.detach() for t in inputs], **attrs)
    outs = probe if isinstance(probe, list) else [probe]
    if not any(o.dtype.kind == "f" for o in outs) or op.name in NOT_DIFFERENTIABLE:
        pytest.skip(f"{op.name} has no gradient (output dtype {outs[0].dtype})")
    assert op.vjp is not None, f"{op.name}: a float-valued op needs a derivative rule (vjp)"
    assert gt.autograd.gradcheck(lambda *ts: apply(op, *ts, **attrs), inputs)


@pytest.mark.parametrize("op,attrs,shapes,specs", list(_cases()))
def test_second_order_runs(op, attrs, shapes, specs, device):
    """With create_graph=True the gradient is itself recorded (rules use gputensor ops):
    its own gradient exists and matches central differences of the first gradient."""
    inputs = _make(op, attrs, shapes, specs, device)
    with gt.no_grad():
        probe = apply(op, *[t.detach() for t in inputs], **attrs)
    outs = probe if isinstance(probe, list) else [probe]
    if (not any(o.dtype.kind == "f" for o in outs) or op.name in NOT_DIFFERENTIABLE
            or op.vjp is None):
        pytest.skip(f"{op.name} has no gradient")
    float_inputs = [t for t in inputs if t.requires_grad]

    def first_grad(*ts):
        out = apply(op, *ts, **attrs)
        out = out[0] if isinstance(out, list) else out
        cand = [t for t in ts if t.requires_grad]
        gs = gt.grad((out * out).sum(), cand, create_graph=True, allow_unused=True)
        total = None
        for g in gs:
            if g is not None:
                total = g.sum() if total is None else total + g.sum()
        return total if total is not None else (out * 0).sum()

    if float_inputs:
        assert gt.autograd.gradcheck(first_grad, inputs, atol=1e-4, rtol=1e-3)
