"""Random numbers: seeding, reproducibility (in and across processes), Generator streams,
the sampling functions' ranges and moments, and their errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gputensor as gt

ROOT = Path(__file__).resolve().parents[1]


def host(t):
    return t.cpu().numpy()


def test_manual_seed_is_set_seed(device):
    assert gt.random.set_seed is gt.manual_seed and gt.random.manual_seed is gt.manual_seed
    gt.manual_seed(123)
    a = host(gt.rand(5, device=device))
    gt.random.set_seed(123)
    b = host(gt.rand(5, device=device))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("draw", [
    lambda d: gt.rand(3, 4, device=d), lambda d: gt.randn(7, device=d),
    lambda d: gt.randint(0, 100, (6,), device=d), lambda d: gt.random.uniform((5,), device=d),
    lambda d: gt.random.normal((5,), mean=2.0, stddev=3.0, device=d),
    lambda d: gt.rand(4, dtype=gt.float16, device=d),
    lambda d: gt.randn(4, dtype=gt.float64, device=d),
])
def test_same_seed_same_numbers(draw, device):
    gt.manual_seed(7)
    first = [host(draw(device)), host(draw(device))]
    gt.manual_seed(7)
    again = [host(draw(device)), host(draw(device))]
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # the stream moves on
    gt.manual_seed(8)
    assert not np.array_equal(host(draw(device)), first[0])


SCRIPT = """
import gputensor as gt
{seed}
print(gt.rand(4, device={device!r}).tolist(), gt.randint(0, 1000, (4,), device={device!r}).tolist(),
      gt.randn(3, dtype=gt.float64, device={device!r}).tolist())
"""


def _run(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("seed", ["gt.manual_seed(2024)", "gt.random.set_seed(2024)", ""])
def test_same_seed_same_numbers_across_processes(seed, device):
    code = SCRIPT.format(seed=seed, device=device)
    first = _run(code)
    assert first == _run(code)
    here = str(device)
    if seed:
        gt.manual_seed(2024)
    else:  # no seed: every process starts from the same fixed default seed
        gt.manual_seed(gt.random._DEFAULT_SEED)
    want = (f"{gt.rand(4, device=here).tolist()} {gt.randint(0, 1000, (4,), device=here).tolist()}"
            f" {gt.randn(3, dtype=gt.float64, device=here).tolist()}\n")
    assert first == want


def test_generator_streams_are_independent_of_the_global_one():
    gt.manual_seed(5)
    ref = gt.rand(6).tolist()
    gt.manual_seed(5)
    g = gt.Generator().manual_seed(5)
    from_g = gt.rand(3, generator=g).tolist()
    mixed = gt.rand(3).tolist() + gt.rand(3, generator=g).tolist() + gt.rand(3).tolist()
    # the global stream is untouched by draws from g, and g gives the same numbers as a fresh
    # global stream with the same seed
    assert mixed[:3] == ref[:3] and mixed[6:] == ref[3:]
    assert from_g == ref[:3] and mixed[3:6] == ref[3:]
    g.manual_seed(5)
    assert gt.rand(3, generator=g).tolist() == ref[:3]


def test_generator_api():
    g = gt.Generator()
    assert g.device == "cpu" and g.initial_seed() == gt.random._DEFAULT_SEED
    assert gt.Generator(seed=11).initial_seed() == 11
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    assert "Generator(device='cpu', seed=3)" == repr(g)
    two = [gt.Generator(seed=9), gt.Generator(seed=9)]
    assert gt.randn(4, generator=two[0]).tolist() == gt.randn(4, generator=two[1]).tolist()
    assert gt.randint(0, 10, (5,), generator=two[0]).tolist() == gt.randint(
        0, 10, (5,), generator=two[1]).tolist()
    gt.manual_seed(0)  # does not reset explicit generators
    assert gt.rand(2, generator=two[0]).tolist() == gt.rand(2, generator=two[1]).tolist()


@pytest.mark.parametrize("seed, err, words", [
    (-1, ValueError, r"seed must be in \[0, 2\*\*64\), got -1"),
    (2**64, ValueError, "seed must be in"),
    (1.5, TypeError, "seed must be an int, got float 1.5"),
    ("1", TypeError, "seed must be an int, got str"),
    (True, TypeError, "seed must be an int, got bool"),
])
def test_seed_errors(seed, err, words):
    with pytest.raises(err, match=f"manual_seed: {words}"):
        gt.manual_seed(seed)
    with pytest.raises(err, match=f"manual_seed: {words}"):
        gt.Generator().manual_seed(seed)


def test_numpy_integer_seeds_work():
    gt.manual_seed(np.int64(4))
    a = gt.rand(2).tolist()
    gt.manual_seed(4)
    assert gt.rand(2).tolist() == a
    gt.manual_seed(2**64 - 1)


def test_generator_device_mismatch():
    with pytest.raises(RuntimeError, match="random: generator is for cpu but the tensor is "
                                           "requested on cuda:0"):
        gt.rand(3, generator=gt.Generator("cpu"), device="cuda")


# -- shapes, dtypes, ranges, moments ---------------------------------------------------------
def test_rand_randn_shapes_and_dtypes(device):
    for fn in (gt.rand, gt.randn):
        assert fn(2, 3, device=device).shape == (2, 3)
        assert fn((2, 3), device=device).shape == (2, 3)
        assert fn([4], device=device).shape == (4,)
        assert fn(device=device).shape == ()
        assert fn(0, device=device).shape == (0,)
        for d in (gt.float16, gt.float32, gt.float64):
            t = fn(5, dtype=d, device=device)
            assert t.dtype == d and t.device == device
        assert fn(2, requires_grad=True, device=device).requires_grad
        with pytest.raises(TypeError, match=f"{fn.__name__}: dtype must be a float dtype, got "
                                            "int32"):
            fn(2, dtype=gt.int32, device=device)
        with pytest.raises(ValueError, match=f"{fn.__name__}: negative dimension"):
            fn(-1, device=device)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_rand_range_and_moments(dtype, device):
    gt.manual_seed(1)
    x = host(gt.rand(200_000, dtype=dtype, device=device)).astype(np.float64)
    assert x.min() >= 0 and x.max() < 1
    assert abs(x.mean() - 0.5) < 0.005 and abs(x.var() - 1 / 12) < 0.002
    assert len(np.unique(x)) > (1000 if dtype == "float16" else 100_000)


def test_float16_rand_never_reaches_one(device):
    gt.manual_seed(0)
    x = host(gt.rand(2_000_000, dtype=gt.float16, device=device))
    assert x.dtype == np.float16 and x.max() < 1 and x.min() >= 0


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_randn_moments(dtype, device):
    gt.manual_seed(2)
    x = host(gt.randn(200_000, dtype=dtype, device=device)).astype(np.float64)
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    assert abs(np.mean(np.abs(x) < 1) - 0.6827) < 0.005


def test_uniform_range_and_moments(device):
    gt.manual_seed(3)
    x = host(gt.random.uniform((100_000,), minval=-2, maxval=5, device=device))
    assert x.dtype == np.float32 and x.min() >= -2 and x.max() < 5
    assert abs(x.mean() - 1.5) < 0.05 and abs(x.var() - 49 / 12) < 0.05
    assert gt.random.uniform(3, device=device).shape == (3,)
    assert gt.random.uniform([2, 2], device=device).shape == (2, 2)
    h = host(gt.random.uniform((100_000,), 1, 2, dtype=gt.float16, device=device))
    assert h.dtype == np.float16 and h.min() >= 1 and h.max() < 2
    d = host(gt.random.uniform((10,), dtype=gt.float64, device=device))
    assert d.dtype == np.float64


def test_uniform_upper_bound_survives_rounding():
    # float32 rounding of minval + (maxval - minval) * u can land on maxval itself
    gt.manual_seed(0)
    x = gt.random.uniform((1_000_000,), minval=1.0, maxval=1.0000001).numpy()
    assert x.max() < np.float32(1.0000001) and x.min() >= 1.0


def test_normal_moments(device):
    gt.manual_seed(4)
    x = host(gt.random.normal((200_000,), mean=5.0, stddev=0.5, device=device))
    assert x.dtype == np.float32
    assert abs(x.mean() - 5.0) < 0.01 and abs(x.std() - 0.5) < 0.01
    assert (host(gt.random.normal((4,), stddev=0.0)) == 0).all()
    assert gt.random.normal((2,), dtype=gt.float16).dtype == gt.float16


def test_uniform_normal_tf_signature():
    x = gt.random.uniform((1000,), 0, None, gt.float64, None, "u")  # tf.random.uniform order
    assert x.dtype == gt.float64 and 0 <= x.numpy().min() and x.numpy().max() < 1
    assert gt.random.normal((3,), 0.0, 1.0, gt.float32, 5, "n").shape == (3,)


def test_uniform_normal_op_seed():
    a = gt.random.uniform((4,), seed=1).tolist()
    assert gt.random.uniform((4,), seed=1).tolist() == a
    assert gt.random.normal((4,), seed=1).tolist() == gt.random.normal((4,), seed=1).tolist()


@pytest.mark.parametrize("call, err, words", [
    (lambda: gt.random.uniform((2,), minval=5, maxval=2), ValueError,
     r"uniform: maxval \(2.0\) must be greater than minval \(5.0\)"),
    (lambda: gt.random.uniform((2,), minval=1, maxval=1), ValueError, "must be greater"),
    (lambda: gt.random.uniform((2,), maxval=float("inf")), ValueError, "must be finite"),
    (lambda: gt.random.uniform((2,), maxval="1"), TypeError, "uniform: maxval must be a number"),
    (lambda: gt.random.uniform((2,), dtype=gt.int32), TypeError,
     "uniform: dtype must be a float dtype, got int32"),
    (lambda: gt.random.normal((2,), stddev=-1), ValueError,
     "normal: stddev must be non-negative, got -1"),
    (lambda: gt.random.normal((2,), mean=float("nan")), ValueError, "must be finite"),
    (lambda: gt.random.normal((2,), mean=None), TypeError, "normal: mean must be a number"),
    (lambda: gt.random.normal((-2,)), ValueError, "normal: negative dimension"),
])
def test_uniform_normal_errors(call, err, words):
    with pytest.raises(err, match=words):
        call()


def test_randint_forms(device):
    gt.manual_seed(5)
    for t in (gt.randint(0, 10, (1000,), device=device),
              gt.randint(10, (1000,), device=device),
              gt.randint(10, size=(1000,), device=device),
              gt.randint(0, 10, 1000, device=device),
              gt.randint(low=0, high=10, size=(1000,), device=device)):
        x = host(t)
        assert t.dtype == gt.int64 and x.shape == (1000,) and x.min() >= 0 and x.max() <= 9
        assert set(x.tolist()) == set(range(10))
    x = host(gt.randint(-3, 3, (2, 500), device=device))
    assert x.shape == (2, 500) and x.min() == -3 and x.max() == 2
    assert gt.randint(0, 5, (3,), dtype=gt.int8, device=device).dtype == gt.int8
    assert gt.randint(0, 256, (3,), dtype=gt.uint8, device=device).dtype == gt.uint8
    assert gt.randint(0, 2, (3,), dtype=gt.bool, device=device).dtype == gt.bool
    assert gt.randint(0, 5, (3,), dtype=gt.float32, device=device).dtype == gt.float32
    assert gt.randint(0, 5, (), device=device).shape == ()
    assert gt.randint(np.int64(0), np.int32(4), (2,)).shape == (2,)
    big = host(gt.randint(2**40, 2**40 + 5, (100,), device=device))
    assert big.min() >= 2**40 and big.max() < 2**40 + 5


@pytest.mark.parametrize("call, err, words", [
    (lambda: gt.randint(5, 5, (3,)), ValueError, r"randint: high \(5\) must be greater than "
                                                 r"low \(5\)"),
    (lambda: gt.randint(0, 10), TypeError, "randint: missing the size argument"),
    (lambda: gt.randint(0.5, 10, (2,)), TypeError, "randint: low must be an int, got float"),
    (lambda: gt.randint(0, "9", (2,)), TypeError, "randint: high must be an int, got str"),
    (lambda: gt.randint(0, 300, (2,), dtype=gt.uint8), ValueError,
     r"randint: \[0, 300\) does not fit dtype uint8 \[0, 255\]"),
    (lambda: gt.randint(-1, 3, (2,), dtype=gt.uint8), ValueError, "does not fit dtype uint8"),
    (lambda: gt.randint(0, 2**40, (2,), dtype=gt.int32), ValueError, "does not fit dtype int32"),
    (lambda: gt.randint(0, 3, (2,), dtype=gt.bool), ValueError, "does not fit dtype bool"),
    (lambda: gt.randint(0, 2**64, (2,)), ValueError, "does not fit dtype int64"),
    (lambda: gt.randint(0, 2**64, (2,), dtype=gt.float64), ValueError, "does not fit int64"),
    (lambda: gt.randint(0, 3, (-1,)), ValueError, "randint: negative dimension"),
    (lambda: gt.randint(0, 3, (2,), dtype="complex64"), TypeError,
     "randint: unsupported dtype complex64"),
])
def test_randint_errors(call, err, words):
    with pytest.raises(err, match=words):
        call()


def test_random_respects_default_device_and_dtype():
    gt.set_default_dtype(gt.float64)
    assert gt.rand(2).dtype == gt.float64 and gt.randn(2).dtype == gt.float64
    assert gt.random.uniform((2,)).dtype == gt.float64
    assert gt.randint(0, 3, (2,)).dtype == gt.int64


def test_cuda_random_without_gpu_is_runtime_error():
    if gt.cuda.is_available():
        pytest.skip("checks the no-GPU error path")
    with pytest.raises(RuntimeError, match="no CUDA device is available"):
        gt.rand(2, device="cuda")
    with pytest.raises(RuntimeError, match="no CUDA device is available"):
        gt.rand(2, generator=gt.Generator("cuda"))
