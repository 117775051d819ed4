"""The fused Adam/AdamW kernel (kernels/adam.cu) run on the CPU through the host emulation:
several steps in place against a float64 NumPy reference of the same update and against
``gt.optim.Adam``'s op path, and the optimizer hook ``CupyBackend.fused_adam_step`` with the
emulation standing in for CuPy (the registry's one-step check is in test_kernels_cpu.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
import kernel_harness as H
from gputensor.backends import kernels as K

pytestmark = pytest.mark.skipif(H.cxx() is None, reason="no host C++ compiler found")

ADAM = K.REGISTRY["adam_fwd"]
RTOL = {"float16": 5e-3, "float32": 2e-5, "float64": 1e-12}
HYPER = [dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8),
         dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1),
         dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.05, decoupled=True)]
IDS = ["adam", "adam-l2", "adamw"]


@pytest.fixture(scope="module")
def lib():
    return H.build_host(K.compile_units()["adam.cu"], K.kernel_dir())


def _reference_steps(p, grads, hyper):
    """float64 NumPy: Adam/AdamW for len(grads) steps from zero state."""
    p = p.astype(np.float64)
    m, v = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, 1):
        p, m, v = K._adam_ref(p, g.astype(np.float64), m, v, step=t, **hyper)
    return p, m, v


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("hyper", HYPER, ids=IDS)
def test_several_steps_in_place_match_numpy(lib, dtype, hyper):
    rng = np.random.default_rng(0)
    shape = (3, 101)  # not a multiple of the block; grid of 3 blocks walks it
    p0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(5)]
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    k = H.HostLauncher(lib, ADAM, dtype)
    for t, g in enumerate(grads, 1):
        before = len(H.HostLauncher.launches)
        out = K.adam_update(k, p, g, m, v, step=t, **hyper)
        assert out[0] is p and out[1] is m and out[2] is v  # in place
        assert H.HostLauncher.launches[before:] == [f"gt_adam_fwd_{K.suffix(dtype)}"]
    want = _reference_steps(p0, grads, hyper)
    for got, ref, what in zip((p, m, v), want, "pmv"):
        np.testing.assert_allclose(got.astype(np.float64), ref, rtol=RTOL[dtype],
                                   atol=RTOL[dtype], err_msg=f"{what} {dtype}")


def test_array_module_fallback_matches_the_kernel(lib):
    rng = np.random.default_rng(1)
    p0 = rng.standard_normal(257).astype(np.float32)
    grads = [rng.standard_normal(257).astype(np.float32) for _ in range(4)]
    k = H.HostLauncher(lib, ADAM, "float32")
    a = [p0.copy(), np.zeros_like(p0), np.zeros_like(p0)]
    b = [p0.copy(), np.zeros_like(p0), np.zeros_like(p0)]
    for t, g in enumerate(grads, 1):
        K.adam_update(k, a[0], g, a[1], a[2], step=t, **HYPER[1])
        K.adam_update_xp(np, b[0], g, b[1], b[2], step=t, **HYPER[1])
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=2e-5, atol=1e-6)


def test_kernel_declines_strided_state_and_changes_nothing(lib):
    k = H.HostLauncher(lib, ADAM, "float32")
    p = np.ones((4, 6), np.float32)[:, ::2]
    m, v, g = np.zeros_like(p), np.zeros_like(p), np.ones_like(p)
    assert K.adam_update(k, p, g, m, v, step=1, **HYPER[0]) is NotImplemented
    assert (p == 1).all() and (m == 0).all()
    # a strided or other-dtype gradient is made contiguous / cast (one copy) and accepted
    p = np.ones(3, np.float32)
    m, v = np.zeros_like(p), np.zeros_like(p)
    g = np.arange(6, dtype=np.float64)[::2]
    K.adam_update(k, p, g, m, v, step=1, **HYPER[0])
    np.testing.assert_allclose(m, 0.1 * g, rtol=1e-6)


# -- the optimizer hook, with the emulation standing in for CuPy -------------------------------
def _fake_cuda_backend(monkeypatch, lib):
    from gputensor.optim import adam as adam_mod

    b = H.fake_cuda_backend(monkeypatch, {ADAM.unit(): lib})
    monkeypatch.setattr(adam_mod, "get_backend", lambda device: b)
    return b


def _train(opt_cls, dtype, steps=5, fused=None, **kw):
    rng = np.random.default_rng(2)
    w = gt.tensor(rng.standard_normal((7, 33)).astype(dtype), requires_grad=True)
    b = gt.tensor(rng.standard_normal(33).astype(dtype), requires_grad=True)
    x = gt.tensor(rng.standard_normal((5, 7)).astype(dtype))
    opt = opt_cls([w, b], fused=fused, **kw)
    for _ in range(steps):
        opt.zero_grad()
        (gt.tanh(x @ w + b) ** 2).sum().backward()
        opt.step()
    return w, b, opt


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opt_cls,kw", [(gt.optim.Adam, dict(lr=0.05)),
                                        (gt.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
                                        (gt.optim.AdamW, dict(lr=0.05, weight_decay=0.1))],
                         ids=["adam", "adam-l2", "adamw"])
def test_optimizer_through_the_cuda_hook_matches_the_op_path(lib, monkeypatch, dtype, opt_cls,
                                                             kw):
    w0, b0, _ = _train(opt_cls, dtype, fused=False, **kw)  # the op path, before patching
    b = _fake_cuda_backend(monkeypatch, lib)
    monkeypatch.setattr(K, "_enabled", True)
    assert b.fused_adam_step is not None
    before = len(H.HostLauncher.launches)
    w1, b1, opt = _train(opt_cls, dtype, fused=True, **kw)
    launched = H.HostLauncher.launches[before:]
    assert launched == [f"gt_adam_fwd_{K.suffix(dtype)}"] * 10  # 2 params x 5 steps
    rtol = RTOL[dtype] * 10
    np.testing.assert_allclose(w1.numpy(), w0.numpy(), rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b1.numpy(), b0.numpy(), rtol=rtol, atol=rtol)
    st = opt._state(w1)
    assert st["step"] == 5
    assert w1._version_counter()[0] >= 5 and st["exp_avg"]._version_counter()[0] >= 5


def test_hook_is_none_while_kernels_are_off(lib, monkeypatch):
    b = _fake_cuda_backend(monkeypatch, lib)
    monkeypatch.setattr(K, "_enabled", False)
    assert b.fused_adam_step is None
    with pytest.raises(RuntimeError, match="no fused Adam kernel"):
        _train(gt.optim.Adam, "float32", steps=1, fused=True, lr=0.1)
    w, _, _ = _train(gt.optim.Adam, "float32", steps=2, lr=0.1)  # the op path
    assert np.isfinite(w.numpy()).all()


def test_hook_falls_back_to_array_routines_for_strided_state(lib, monkeypatch):
    b = _fake_cuda_backend(monkeypatch, lib)
    monkeypatch.setattr(K, "_enabled", True)
    p = gt.tensor(np.ones((4, 6), np.float32))[:, ::2]
    m, v = gt.zeros_like(p), gt.zeros_like(p)
    g = gt.ones_like(p)
    before = len(H.HostLauncher.launches)
    b.fused_adam_step(p, g, m, v, step=1, lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8,
                      weight_decay=0.0, decoupled=False)
    assert not p._data.flags.c_contiguous
    assert len(H.HostLauncher.launches) == before  # no launch: CuPy's routines
    np.testing.assert_allclose(p.numpy(), 0.9, rtol=1e-5)
    np.testing.assert_allclose(m.numpy(), 0.1, rtol=1e-6)


def test_numpy_backend_has_no_hook():
    from gputensor.optim.adam import fused_adam_step

    assert fused_adam_step(gt.device("cpu")) is None
