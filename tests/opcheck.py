"""Helpers that run any op-table row against NumPy: input generation by domain, tolerances."""

from __future__ import annotations

import numpy as np

import gputensor as gt

TOL = {  # dtype -> (rtol, atol)
    np.dtype("float16"): (2e-2, 2e-2),
    np.dtype("float32"): (2e-5, 2e-6),
    np.dtype("float64"): (1e-10, 1e-12),
}


def make_input(rng: np.random.Generator, shape, dtype, domain: str) -> np.ndarray:
    """Random NumPy data of ``shape``/``dtype`` inside an op's domain."""
    dtype = np.dtype(dtype)
    if domain == "index":  # valid positions (and class labels) for any axis of size >= 2
        return rng.integers(0, 2, size=shape).astype(dtype)
    if domain == "probability":
        return rng.uniform(0.0, 1.0, size=shape).astype(dtype)
    if domain == "invertible":  # square (..., n, n) inputs: diagonally dominant, invertible
        x = make_input(rng, shape, dtype, "any")
        if len(shape) >= 2 and shape[-1] == shape[-2]:
            x = x + (6 * shape[-1] * np.eye(shape[-1])).astype(dtype)
        return x
    if dtype.kind == "b":
        if domain in ("positive", "nonzero"):
            return np.ones(shape, bool)
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        lo, hi = {"positive": (1, 6), "nonzero": (1, 6), "unit": (0, 2)}.get(domain, (-5, 6))
        if dtype.kind == "u":
            lo = max(lo, 0)
        x = rng.integers(lo, hi, size=shape)
        if domain == "nonzero" and dtype.kind == "i":
            x = x * rng.choice([-1, 1], size=shape)
        return x.astype(dtype)
    if domain == "positive":
        x = rng.uniform(0.2, 3.0, size=shape)
    elif domain == "unit":
        x = rng.uniform(-0.9, 0.9, size=shape)
    elif domain == "nonzero":
        x = rng.uniform(0.3, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    else:
        x = rng.standard_normal(shape) * 2
    return np.asarray(x).astype(dtype)


def assert_close(got, want, dtype, what: str = ""):
    """Compare a gputensor result with a NumPy reference within ``dtype``'s tolerance."""
    got_np = got.cpu().numpy() if isinstance(got, gt.Tensor) else np.asarray(got)
    want = np.asarray(want)
    assert got_np.shape == want.shape, f"{what}: shape {got_np.shape} != {want.shape}"
    if want.dtype.kind in "biu" and got_np.dtype.kind in "biu":
        np.testing.assert_array_equal(got_np, want, err_msg=what)
        return
    # the coarser of the input and output precisions sets the tolerance
    tols = [TOL[d] for d in (np.dtype(dtype), got_np.dtype) if d in TOL]
    rtol, atol = max(tols) if tols else TOL[np.dtype("float64")]
    np.testing.assert_allclose(got_np.astype(np.float64), want.astype(np.float64), rtol=rtol,
                               atol=atol * max(1.0, float(np.max(np.abs(want), initial=0))),
                               err_msg=what, equal_nan=True)


# default input shapes per arity: 0-d, empty, plain, broadcasting
DEFAULT_SHAPES = {
    1: [[()], [(0,)], [(7,)], [(2, 3, 4)]],
    2: [[(), ()], [(0, 3), (3,)], [(5,), (5,)], [(2, 3), (3,)], [(2, 1), (1, 4)],
        [(4, 3), ()]],
    3: [[(2, 3), (2, 3), (2, 3)], [(2, 1), (3,), ()], [(0,), (0,), (0,)]],
}


def table_cases():
    """(op, attrs, input shapes, per-input specs, label) for every sample of every op row.

    A row's ``samples`` are dicts of attributes, optionally with ``shapes`` (a list of input
    shape lists) and ``inputs`` = [(dtype or None, domain or None), ...] for inputs of another
    role than the data (labels, indices, a condition, probabilities).
    """
    from gputensor.ops import OPS

    for op in OPS.values():
        for i, sample in enumerate(op.samples):
            attrs = {k: v for k, v in sample.items() if k not in ("shapes", "inputs")}
            specs = sample.get("inputs")
            for shapes in sample.get("shapes") or DEFAULT_SHAPES.get(op.arity or 2):
                label = f"{op.name}-s{i}-" + "_".join("x".join(map(str, s)) for s in shapes)
                yield op, attrs, shapes, specs, label


def case_inputs(op, shapes, specs, dtype, rng):
    """NumPy inputs for one case: ``dtype`` and the op's domain unless a spec says otherwise."""
    specs = specs or [(None, None)] * len(shapes)
    return [make_input(rng, s, d or dtype, dom or op.domain) for s, (d, dom) in zip(shapes, specs)]
