"""gt.optim: every optimizer against its published update equations, step by step.

The references below are written from the papers / PyTorch's documented algorithms in NumPy
float64 (Adam in the paper's bias-corrected form, not the implementation's rearranged one),
and run side by side with the optimizer on the same parameters and gradients.
"""

from __future__ import annotations

import copy
import importlib
import math

import numpy as np
import pytest

import gputensor as gt
from gputensor.backends import get_backend
from testkit import run_docstring_examples

STEPS = 5
SHAPES = [(3,), (2, 2)]


def _host(t):
    return t.cpu().numpy()


def _grad_fn(p):
    """A nonlinear gradient of the current value (so state and parameters interact)."""
    return p ** 3 - 0.5 * p + np.cos(3 * p)


def _start():
    rng = np.random.default_rng(42)
    return [rng.uniform(-1.5, 1.5, size=s) for s in SHAPES]


# -- references, straight from the equations -------------------------------------------------------
def ref_sgd(p, g, st, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    if weight_decay:
        g = g + weight_decay * p
    if momentum:
        if "b" not in st:
            st["b"] = g.copy()
        else:
            st["b"] = momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def ref_adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
             decoupled=False):
    b1, b2 = betas
    t = st["t"] = st.get("t", 0) + 1
    if weight_decay and decoupled:
        p = p - lr * weight_decay * p
    elif weight_decay:
        g = g + weight_decay * p
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    v = st["v"]
    if amsgrad:
        st["vmax"] = v = np.maximum(st.get("vmax", 0.0), v)
    m_hat = st["m"] / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def ref_adamw(p, g, st, weight_decay=1e-2, **kw):
    return ref_adam(p, g, st, weight_decay=weight_decay, decoupled=True, **kw)


def ref_rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                centered=False):
    if weight_decay:
        g = g + weight_decay * p
    st["s"] = alpha * st.get("s", 0.0) + (1 - alpha) * g ** 2
    if centered:
        st["a"] = alpha * st.get("a", 0.0) + (1 - alpha) * g
        d = np.sqrt(st["s"] - st["a"] ** 2) + eps
    else:
        d = np.sqrt(st["s"]) + eps
    if momentum:
        st["b"] = momentum * st.get("b", 0.0) + g / d
        return p - lr * st["b"]
    return p - lr * g / d


def ref_adagrad(p, g, st, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                initial_accumulator_value=0.0, eps=1e-10):
    st["t"] = t = st.get("t", 0) + 1
    if weight_decay:
        g = g + weight_decay * p
    st["s"] = st.get("s", initial_accumulator_value) + g ** 2
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(st["s"]) + eps)


CASES = [
    ("SGD", ref_sgd, dict(lr=0.1)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.9)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", ref_sgd, dict(lr=0.1, weight_decay=0.1)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.7, nesterov=True, weight_decay=0.05)),
    ("Adam", ref_adam, dict(lr=0.1)),
    ("Adam", ref_adam, dict(lr=0.05, betas=(0.5, 0.9), eps=1e-2)),
    ("Adam", ref_adam, dict(lr=0.1, weight_decay=0.2)),
    ("Adam", ref_adam, dict(lr=0.1, betas=(0.8, 0.7), amsgrad=True)),
    ("Adam", ref_adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1, eps=1e-3)),
    ("AdamW", ref_adamw, dict(lr=0.1)),
    ("AdamW", ref_adamw, dict(lr=0.1, weight_decay=0.3, betas=(0.7, 0.8), amsgrad=True)),
    ("RMSprop", ref_rmsprop, dict()),
    ("RMSprop", ref_rmsprop, dict(lr=0.05, alpha=0.8, eps=1e-3)),
    ("RMSprop", ref_rmsprop, dict(lr=0.02, centered=True, alpha=0.9)),
    ("RMSprop", ref_rmsprop, dict(lr=0.02, momentum=0.9, alpha=0.9)),
    ("RMSprop", ref_rmsprop, dict(lr=0.02, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                  initial_accumulator_value=0.5, eps=1e-4)),
]


def _ids(case):
    return case[0] + "-" + ",".join(f"{k}={v}" for k, v in case[2].items())


def _make(name, device, dtype=gt.float64, **kw):
    params = [gt.tensor(a, dtype=dtype, device=device, requires_grad=True) for a in _start()]
    return params, getattr(gt.optim, name)(params, **kw)


def _set_grads(params):
    for p in params:
        p.grad = gt.tensor(_grad_fn(_host(p).astype(np.float64)), dtype=p.dtype,
                           device=p.device)


def _step_both_and_compare(opt, params, opt2, params2):
    """One step of ``opt`` on fresh gradients and of ``opt2`` on copies of them; the two
    parameter lists must stay identical (``opt2`` took over ``opt``'s state_dict)."""
    for p, q in zip(params, params2):
        _set_grads([p])
        q.grad = p.grad.clone()
    opt.step()
    opt2.step()
    for p, q in zip(params, params2):
        np.testing.assert_array_equal(_host(p), _host(q))


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_published_equations(case, device):
    name, ref, kw = case
    params, opt = _make(name, device, **kw)
    ref_p = _start()
    ref_state = [{} for _ in ref_p]
    for step in range(STEPS):
        _set_grads(params)
        opt.step()
        ref_p = [ref(p, _grad_fn(p), st, **kw) for p, st in zip(ref_p, ref_state)]
        for got, want in zip(params, ref_p):
            np.testing.assert_allclose(_host(got), want, rtol=1e-11, atol=1e-13,
                                       err_msg=f"{name} {kw} step {step + 1}")
            assert got.is_leaf and got.requires_grad and got.dtype == gt.float64


@pytest.mark.parametrize("case", CASES[::3], ids=[_ids(c) for c in CASES[::3]])
def test_float32_parameters_and_state_keep_their_dtype(case, device):
    name, ref, kw = case
    params, opt = _make(name, device, dtype=gt.float32, **kw)
    ref_p = _start()
    ref_state = [{} for _ in ref_p]
    for _ in range(3):
        _set_grads(params)
        opt.step()
        ref_p = [ref(p, _grad_fn(p), st, **kw) for p, st in zip(ref_p, ref_state)]
    for got, want in zip(params, ref_p):
        assert got.dtype == gt.float32 and str(got.device) == str(gt.device(device))
        np.testing.assert_allclose(_host(got), want, rtol=1e-4, atol=1e-5)
    for st in opt.state.values():
        for v in st.values():
            if isinstance(v, gt.Tensor):
                assert v.dtype == gt.float32 and v.device == params[0].device


def test_sgd_first_step_by_hand():
    # lr 0.1, momentum 0.9, nesterov, weight decay 0.5: p = 2, g = 1
    # d = 1 + 0.5 * 2 = 2; buffer b = 2; nesterov: d + 0.9 * b = 3.8; p = 2 - 0.38 = 1.62
    w = gt.tensor([2.0], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.5)
    w.grad = gt.tensor([1.0], dtype=gt.float64)
    opt.step()
    assert w.tolist() == pytest.approx([1.62])
    np.testing.assert_allclose(_host(opt.state[w]["momentum_buffer"]), [2.0])


def test_adam_first_step_moves_by_lr():
    # after bias correction the first Adam step is lr * sign(g) (up to eps)
    w = gt.tensor([1.0, -3.0, 0.5], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.Adam([w], lr=0.01)
    w.grad = gt.tensor([4.0, -0.001, 123.0], dtype=gt.float64)
    opt.step()
    np.testing.assert_allclose(_host(w), [0.99, -2.99, 0.49], rtol=1e-6)
    assert opt.state[w]["step"] == 1


def test_steps_with_autograd_gradients(device):
    w = gt.tensor([1.0, 2.0], dtype=gt.float64, device=device, requires_grad=True)
    opt = gt.optim.SGD([w], lr=0.25)
    (w * w).sum().backward()  # g = 2w
    opt.step()
    np.testing.assert_allclose(_host(w), [0.5, 1.0])
    assert w.is_leaf and w.grad_fn is None


def test_gradient_with_history_leaves_parameter_a_leaf():
    w = gt.tensor([1.0, 2.0], dtype=gt.float64, requires_grad=True)
    (g,) = gt.grad((w ** 3).sum(), [w], create_graph=True)
    w.grad = g
    gt.optim.Adam([w], lr=0.1).step()
    assert w.is_leaf and w.requires_grad
    for name in ("SGD", "RMSprop", "AdamW"):
        getattr(gt.optim, name)([w], lr=0.1).step()
        assert w.grad_fn is None


# -- zero_grad, skipping, groups, closure ----------------------------------------------------------
def test_zero_grad_set_to_none(device):
    params, opt = _make("SGD", device, lr=0.1)
    _set_grads(params)
    opt.zero_grad()
    assert all(p.grad is None for p in params)
    opt.zero_grad()  # no gradients: nothing to do


def test_zero_grad_to_zeros_in_place(device):
    params, opt = _make("SGD", device, lr=0.1)
    _set_grads(params)
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(params, grads):
        assert p.grad is g
        assert not _host(g).any()


def test_zero_grad_detaches_a_gradient_with_history():
    w = gt.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gt.grad((w ** 3).sum(), [w], create_graph=True)
    w.grad = g
    gt.optim.SGD([w]).zero_grad(set_to_none=False)
    assert w.grad.grad_fn is None and not w.grad.requires_grad
    assert w.grad.tolist() == [0.0, 0.0]
    assert g.tolist() == [0.0, 0.0]  # zeroed in place, as PyTorch's detach_ + zero_


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_parameters_without_grad_are_skipped(name):
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    params, opt = _make(name, "cpu", lr=0.1, **kw)
    before = _host(params[1]).copy()
    params[0].grad = gt.ones_like(params[0])
    opt.step()
    np.testing.assert_array_equal(_host(params[1]), before)
    assert params[1] not in opt.state and params[0] in opt.state


def test_param_groups_have_their_own_hyperparameters():
    a = gt.tensor([1.0], dtype=gt.float64, requires_grad=True)
    b = gt.tensor([1.0], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["momentum"] == 0.0 and opt.param_groups[1]["lr"] == 0.5
    a.grad = gt.ones_like(a)
    b.grad = gt.ones_like(b)
    opt.step()
    assert a.tolist() == pytest.approx([0.9]) and b.tolist() == pytest.approx([0.5])


def test_add_param_group():
    a = gt.ones(2, requires_grad=True)
    b = gt.ones(3, requires_grad=True)
    opt = gt.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one param group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="'params'"):
        opt.add_param_group({"lr": 0.1})
    with pytest.raises(TypeError, match="dict"):
        opt.add_param_group([b])
    assert len(opt.param_groups) == 2


def test_generator_of_parameters_and_variables():
    v = gt.Variable([1.0, 2.0])
    opt = gt.optim.SGD((p for p in [v]), lr=0.5)
    v.grad = gt.ones(2)
    opt.step()
    assert v.tolist() == [0.5, 1.5]


def test_step_with_closure():
    w = gt.tensor([3.0], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.SGD([w], lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    with gt.no_grad():  # the closure still records (as PyTorch's enable_grad)
        loss = opt.step(closure)
    assert loss.item() == 9.0 and calls == [9.0]
    assert w.tolist() == pytest.approx([2.4])
    assert opt.step() is None


def test_repr_lists_groups():
    w = gt.ones(1, requires_grad=True)
    text = repr(gt.optim.SGD([w], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


# -- state_dict ------------------------------------------------------------------------------------
STATEFUL = [c for c in CASES
            if c[2].get("momentum") or c[0] in ("Adam", "AdamW", "RMSprop", "Adagrad")]


@pytest.mark.parametrize("case", STATEFUL, ids=[_ids(c) for c in STATEFUL])
def test_state_dict_round_trip_mid_training(case, device):
    name, _, kw = case
    params, opt = _make(name, device, **kw)
    for _ in range(3):
        _set_grads(params)
        opt.step()
    sd = opt.state_dict()
    assert sorted(sd) == ["param_groups", "state"]
    assert sd["param_groups"][0]["params"] == [0, 1] and sorted(sd["state"]) == [0, 1]
    frozen = copy.deepcopy(sd)

    # a second optimizer, fresh parameters with the same values, different hyperparameters
    params2 = [gt.tensor(_host(p), device=device, requires_grad=True) for p in params]
    opt2 = getattr(gt.optim, name)(params2, lr=123.0)
    opt2.load_state_dict(frozen)
    assert opt2.param_groups[0]["lr"] == kw.get("lr", opt.defaults["lr"])
    for _ in range(3):
        _step_both_and_compare(opt, params, opt2, params2)
    # state_dict() was a snapshot: training on did not change it
    for i, st in sd["state"].items():
        for k, v in st.items():
            if isinstance(v, gt.Tensor):
                np.testing.assert_array_equal(_host(v), _host(frozen["state"][i][k]))
    for p in params2:  # the loaded tensors are the new optimizer's own, on the right device
        for v in opt2.state[p].values():
            if isinstance(v, gt.Tensor):
                assert v.device == p.device and v.shape == p.shape


def test_state_dict_steps_are_counted():
    params, opt = _make("Adam", "cpu", lr=0.1)
    for _ in range(4):
        _set_grads(params)
        opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["step"] == 4
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)


def test_state_dict_through_gt_save(tmp_path):
    params, opt = _make("Adam", "cpu", lr=0.1, amsgrad=True)
    for _ in range(2):
        _set_grads(params)
        opt.step()
    gt.save(opt.state_dict(), tmp_path / "opt.gt")
    params2 = [gt.tensor(_host(p), requires_grad=True) for p in params]
    opt2 = gt.optim.Adam(params2)
    opt2.load_state_dict(gt.load(tmp_path / "opt.gt"))
    assert opt2.param_groups[0]["amsgrad"] is True
    _step_both_and_compare(opt, params, opt2, params2)


def test_load_state_dict_mismatches_raise_and_change_nothing():
    params, opt = _make("SGD", "cpu", lr=0.1, momentum=0.9)
    _set_grads(params)
    opt.step()
    sd = opt.state_dict()
    other = gt.optim.SGD([gt.ones(3, requires_grad=True)], lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match="param group 0 .* 2 parameter.* has 1"):
        other.load_state_dict(sd)  # 1 group of 2 params vs 1 group of 1
    two = gt.optim.SGD([{"params": [gt.ones(3, requires_grad=True)]},
                        {"params": [gt.ones(2, 2, requires_grad=True)]}], lr=0.5)
    with pytest.raises(ValueError, match="1 parameter group.* optimizer has 2"):
        two.load_state_dict(sd)
    swapped = gt.optim.SGD([gt.ones(2, 2, requires_grad=True), gt.ones(3, requires_grad=True)],
                           lr=0.5, momentum=0.9)
    with pytest.raises(ValueError, match="shape"):
        swapped.load_state_dict(sd)
    assert swapped.param_groups[0]["lr"] == 0.5 and not swapped.state
    with pytest.raises(ValueError, match="'param_groups'"):
        opt.load_state_dict({"state": {}})
    with pytest.raises(TypeError, match="dict"):
        opt.load_state_dict([1, 2])
    bad = copy.deepcopy(sd)
    bad["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr"):
        opt.load_state_dict(bad)
    bad = copy.deepcopy(sd)
    bad["state"][7] = {}
    with pytest.raises(ValueError, match="index 7"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.1


@pytest.mark.parametrize("name, kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, amsgrad=True)), ("AdamW", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.2))])
def test_maximize_ascends_as_minimizing_the_negated_objective(name, kw):
    # PyTorch's maximize=True: the step of -g; so maximizing f walks where minimizing -f does
    start = np.random.default_rng(1).standard_normal(4)
    runs = []
    for maximize in (True, False):
        w = gt.tensor(start, requires_grad=True)
        opt = getattr(gt.optim, name)([w], maximize=maximize, **kw)
        for _ in range(5):
            f = -((w - 1.0) ** 2).sum()
            opt.zero_grad()
            (f if maximize else -f).backward()
            opt.step()
        runs.append(w.detach().numpy())
        assert opt.state_dict()["param_groups"][0]["maximize"] is maximize
    np.testing.assert_array_equal(runs[0], runs[1])


# -- schedulers ------------------------------------------------------------------------------------
def _two_group_sgd(lrs=(0.5, 0.2)):
    return gt.optim.SGD([{"params": [gt.ones(1, requires_grad=True)], "lr": lr} for lr in lrs])


def test_steplr_sequence_matches_closed_form():
    opt = _two_group_sgd()
    sched = gt.optim.StepLR(opt, step_size=3, gamma=0.5)
    for epoch in range(12):
        want = [lr0 * 0.5 ** (epoch // 3) for lr0 in (0.5, 0.2)]
        assert sched.get_last_lr() == pytest.approx(want, rel=1e-15)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(want, rel=1e-15)
        opt.step()
        sched.step()
    assert sched.last_epoch == 12


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_sequence_matches_closed_form(eta_min):
    opt = _two_group_sgd()
    sched = gt.optim.CosineAnnealingLR(opt, T_max=7, eta_min=eta_min)
    for epoch in range(20):  # past T_max the cosine rises again, as PyTorch's
        want = [eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * epoch / 7)) / 2
                for lr0 in (0.5, 0.2)]
        assert sched.get_last_lr() == pytest.approx(want, rel=1e-12, abs=1e-15)
        sched.step()
    sched = gt.optim.CosineAnnealingLR(_two_group_sgd(), T_max=4, eta_min=eta_min)
    for _ in range(4):
        sched.step()
    assert sched.get_last_lr() == pytest.approx([eta_min, eta_min], abs=1e-15)


def test_scheduler_drives_the_update():
    w = gt.tensor([0.0], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.SGD([w], lr=1.0)
    sched = gt.optim.StepLR(opt, step_size=1, gamma=0.1)
    for _ in range(3):
        w.grad = gt.tensor([-1.0], dtype=gt.float64)
        opt.step()
        sched.step()
    assert w.tolist() == pytest.approx([1.11])


def test_scheduler_exports_and_state_dict():
    assert gt.optim.StepLR is gt.optim.lr_scheduler.StepLR
    assert gt.optim.CosineAnnealingLR is gt.optim.lr_scheduler.CosineAnnealingLR
    opt = _two_group_sgd()
    sched = gt.optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        sched.step()
    sd = sched.state_dict()
    assert sd["last_epoch"] == 4 and "optimizer" not in sd
    opt_sd = opt.state_dict()
    assert opt_sd["param_groups"][0]["initial_lr"] == 0.5
    # resume: a new optimizer and scheduler from the saved states continue the same sequence
    opt2 = _two_group_sgd((9.0, 9.0))
    opt2.load_state_dict(opt_sd)
    sched2 = gt.optim.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(sd)
    for _ in range(3):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
    # resumed at last_epoch=5 (the rates come with the optimizer's state): epoch 6 is a
    # multiple of step_size, so the step made on creation scales them, as PyTorch's
    opt3 = _two_group_sgd((0.05, 0.02))
    for g in opt3.param_groups:
        g["initial_lr"] = 0.5
    sched3 = gt.optim.StepLR(opt3, step_size=2, last_epoch=5)
    assert sched3.last_epoch == 6
    assert sched3.get_last_lr() == pytest.approx([0.005, 0.002], rel=1e-15)


@pytest.mark.parametrize("make, want", [
    (lambda o: gt.optim.MultiStepLR(o, milestones=[4, 2, 4], gamma=0.5),
     lambda e: 0.5 ** ((e >= 2) + 2 * (e >= 4))),
    (lambda o: gt.optim.ExponentialLR(o, gamma=0.8), lambda e: 0.8 ** e),
    (lambda o: gt.optim.LambdaLR(o, lambda e: 1.0 / (1 + e)), lambda e: 1.0 / (1 + e)),
], ids=["multistep", "exponential", "lambda"])
def test_more_schedulers_follow_their_closed_forms(make, want):
    opt = _two_group_sgd()
    sched = make(opt)
    for epoch in range(8):
        assert sched.get_last_lr() == pytest.approx([lr0 * want(epoch) for lr0 in (0.5, 0.2)],
                                                    rel=1e-14)
        opt.step()
        sched.step()


def test_lambda_lr_takes_one_function_per_group():
    sched = gt.optim.LambdaLR(_two_group_sgd(), [lambda e: 1.0, lambda e: 2.0 ** e])
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.5, 0.4])
    assert "lr_lambdas" not in sched.state_dict()  # (code is never saved)


def test_schedulers_chain_and_keep_a_rate_set_by_hand():
    # PyTorch's chainable rules: each step scales the current rate by its factor
    opt = _two_group_sgd()
    step, exp = gt.optim.StepLR(opt, step_size=2, gamma=0.5), gt.optim.ExponentialLR(opt, 0.9)
    for epoch in range(1, 6):
        step.step()
        exp.step()
        want = [lr0 * 0.5 ** (epoch // 2) * 0.9 ** epoch for lr0 in (0.5, 0.2)]
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(want, rel=1e-14)
    opt = _two_group_sgd()
    sched = gt.optim.StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 1.0  # by hand, between epochs
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.5, 0.1])
    # cosine from a rate set by hand keeps its shape relative to eta_min
    opt = _two_group_sgd()
    cos = gt.optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.1)
    opt.param_groups[0]["lr"] = 0.9
    cos.step()
    assert cos.get_last_lr()[0] == pytest.approx(0.1 + 0.8 * (1 + math.cos(math.pi / 4)) / 2)


@pytest.mark.parametrize("three_phase", [False, True])
def test_one_cycle_follows_its_phases_and_cycles_momentum(three_phase):
    opt = gt.optim.SGD([gt.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    n, peak = 21, 2.0
    sched = gt.optim.OneCycleLR(opt, max_lr=peak, total_steps=n, pct_start=0.25,
                                three_phase=three_phase)
    lo, floor, up = peak / 25, peak / 25 / 1e4, 0.25 * n - 1
    phases = ([(up, lo, peak, 0.95, 0.85), (2 * up, peak, lo, 0.85, 0.95),
               (n - 1, lo, floor, 0.95, 0.95)] if three_phase else
              [(up, lo, peak, 0.95, 0.85), (n - 1, peak, floor, 0.85, 0.95)])

    def cos(a, b, pct):
        return b + (a - b) * (1 + math.cos(math.pi * pct)) / 2

    for t in range(n):
        start = 0.0
        for i, (end, a, b, ma, mb) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                pct = (t - start) / (end - start)
                want_lr, want_m = cos(a, b, pct), cos(ma, mb, pct)
                break
            start = end
        assert sched.get_last_lr() == pytest.approx([want_lr], rel=1e-12)
        assert opt.param_groups[0]["momentum"] == pytest.approx(want_m, rel=1e-12)
        if t < n - 1:
            opt.step()
            sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(floor)
    sched.step()  # step n-1 -> n is allowed (PyTorch); one more is past the schedule
    with pytest.raises(ValueError, match="stepped 22 times, past total_steps=21"):
        sched.step()


def test_one_cycle_moves_adam_beta1_and_checks_its_arguments():
    opt = gt.optim.Adam([gt.ones(1, requires_grad=True)], lr=0.1, betas=(0.9, 0.99))
    gt.optim.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with"):
        gt.optim.OneCycleLR(gt.optim.Adagrad([gt.ones(1, requires_grad=True)]), max_lr=1.0,
                            total_steps=5)
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        gt.optim.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="anneal_strategy must be 'cos' or 'linear'"):
        gt.optim.OneCycleLR(opt, max_lr=1.0, total_steps=5, anneal_strategy="step")
    with pytest.raises(ValueError, match="expected 1 max_lr values"):
        gt.optim.OneCycleLR(opt, max_lr=[1.0, 2.0], total_steps=5)


def test_reduce_on_plateau():
    opt = _two_group_sgd()
    sched = gt.optim.ReduceLROnPlateau(opt, patience=2, factor=0.5, min_lr=[0.0, 0.08])
    rates = []
    for loss in [5.0, 4.0, 4.0, 4.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]:
        opt.step()
        sched.step(gt.tensor(loss))
        rates.append(sched.get_last_lr())
    # 4.0 three times without beating 4.0: halved at the 3rd; then 3.0 improves, then three
    # more bad epochs halve again, and again; group 1 stops at its min_lr
    assert rates[3] == pytest.approx([0.5, 0.2]) and rates[4] == pytest.approx([0.25, 0.1])
    assert rates[8] == pytest.approx([0.125, 0.08]) and rates[11] == pytest.approx(
        [0.0625, 0.08])
    # 'max' mode with a cooldown, and a state dict round trip
    opt = _two_group_sgd()
    sched = gt.optim.ReduceLROnPlateau(opt, mode="max", patience=0, cooldown=1, factor=0.1)
    for acc in [0.5, 0.4, 0.4, 0.4]:
        sched.step(acc)
    assert sched.get_last_lr() == pytest.approx([0.005, 0.002])  # epochs 2 and 4 reduce
    again = gt.optim.ReduceLROnPlateau(_two_group_sgd(), mode="max")
    again.load_state_dict(sched.state_dict())
    assert again.best == 0.5 and again.cooldown_counter == sched.cooldown_counter


def test_scheduler_errors():
    opt = _two_group_sgd()
    with pytest.raises(ValueError, match="step_size"):
        gt.optim.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="step_size"):
        gt.optim.StepLR(opt, step_size=2.5)
    with pytest.raises(ValueError, match="gamma"):
        gt.optim.StepLR(opt, step_size=2, gamma=-1)
    with pytest.raises(ValueError, match="T_max"):
        gt.optim.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(TypeError, match="Optimizer"):
        gt.optim.StepLR([gt.ones(1)], step_size=1)
    with pytest.raises(KeyError, match="initial_lr"):
        gt.optim.StepLR(_two_group_sgd(), step_size=1, last_epoch=3)
    with pytest.raises(ValueError, match="milestones entry"):
        gt.optim.MultiStepLR(opt, milestones=[2, -1])
    with pytest.raises(ValueError, match="expected 2 lr_lambda functions .* got 3"):
        gt.optim.LambdaLR(opt, [lambda e: 1.0] * 3)
    with pytest.raises(TypeError, match="LambdaLR: expected a gt.optim Optimizer, got list"):
        gt.optim.LambdaLR([gt.ones(1)], lambda e: 1.0)
    with pytest.raises(TypeError, match="lr_lambda must be callable, got float"):
        gt.optim.LambdaLR(opt, 0.5)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'up'"):
        gt.optim.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="threshold_mode must be 'rel' or 'abs'"):
        gt.optim.ReduceLROnPlateau(opt, threshold_mode="pct")
    with pytest.raises(ValueError, match=r"invalid factor=1.0; expected a value in \[0.0, 1.0\)"):
        gt.optim.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="expected 2 min_lr values"):
        gt.optim.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(TypeError, match="ReduceLROnPlateau: expected a gt.optim Optimizer"):
        gt.optim.ReduceLROnPlateau([gt.ones(1)])
    sched = gt.optim.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="bogus"):
        sched.load_state_dict({"bogus": 1})
    with pytest.raises(TypeError, match="dict"):
        sched.load_state_dict(3)


# -- convergence -----------------------------------------------------------------------------------
CONVERGE = [
    ("SGD", dict(lr=0.1), 300),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), 200),
    ("Adam", dict(lr=0.1), 300),
    ("Adam", dict(lr=0.1, amsgrad=True), 300),
    ("AdamW", dict(lr=0.1, weight_decay=1e-4), 300),
    ("RMSprop", dict(lr=0.01), 300),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True), 300),
    ("Adagrad", dict(lr=0.5), 300),
]


@pytest.mark.parametrize("case", CONVERGE, ids=[f"{c[0]}-{c[1]}" for c in CONVERGE])
def test_least_squares_converges(case, device):
    name, kw, steps = case
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 3))
    x_true = np.array([1.0, -2.0, 0.5])
    a_t = gt.tensor(a, device=device)
    b_t = gt.tensor(a @ x_true, device=device)
    w = gt.zeros(3, dtype=gt.float64, device=device, requires_grad=True)
    opt = getattr(gt.optim, name)([w], **kw)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((a_t @ w - b_t) ** 2).mean()
        loss.backward()
        opt.step()
    assert np.abs(_host(w) - x_true).max() < 1e-2, f"{name} {kw}: {_host(w)}"


# -- hyperparameter and parameter errors -----------------------------------------------------------
BAD = [
    ("SGD", dict(lr=-0.1), ValueError, "lr"),
    ("SGD", dict(lr=float("nan")), ValueError, "lr"),
    ("SGD", dict(lr="0.1"), TypeError, "lr"),
    ("SGD", dict(momentum=-0.5), ValueError, "momentum"),
    ("SGD", dict(weight_decay=-1e-4), ValueError, "weight_decay"),
    ("SGD", dict(nesterov=True), ValueError, "nesterov.*momentum > 0"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, "dampening"),
    ("Adam", dict(lr=-1e-3), ValueError, "lr"),
    ("Adam", dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    ("Adam", dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    ("Adam", dict(betas=0.9), ValueError, "betas"),
    ("Adam", dict(eps=-1e-8), ValueError, "eps"),
    ("Adam", dict(weight_decay=-0.1), ValueError, "weight_decay"),
    ("Adam", dict(fused=True, amsgrad=True), ValueError, "amsgrad"),
    ("AdamW", dict(betas=(0.9, 1.5)), ValueError, r"AdamW.*betas\[1\]"),
    ("RMSprop", dict(alpha=1.5), ValueError, "alpha"),
    ("RMSprop", dict(alpha=-0.1), ValueError, "alpha"),
    ("RMSprop", dict(eps=-1.0), ValueError, "eps"),
    ("RMSprop", dict(momentum=-0.1), ValueError, "momentum"),
    ("RMSprop", dict(lr=-0.1), ValueError, "RMSprop.*lr"),
    ("Adagrad", dict(lr_decay=-0.1), ValueError, "Adagrad.*lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), ValueError, "initial_accumulator_value"),
    ("Adagrad", dict(eps="small"), TypeError, "eps"),
]


@pytest.mark.parametrize("case", BAD, ids=[f"{c[0]}-{c[1]}" for c in BAD])
def test_invalid_hyperparameters(case):
    name, kw, exc, pattern = case
    with pytest.raises(exc, match=pattern):
        getattr(gt.optim, name)([gt.ones(2, requires_grad=True)], **kw)
    with pytest.raises(exc, match=pattern):  # a group's own values are checked as well
        getattr(gt.optim, name)([{"params": [gt.ones(2, requires_grad=True)], **kw}])


def test_invalid_params():
    w = gt.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        gt.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        gt.optim.SGD(w, lr=0.1)
    with pytest.raises(TypeError, match="set"):
        gt.optim.SGD({w}, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] is a list"):
        gt.optim.SGD([w, [1.0]], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        gt.optim.SGD(3, lr=0.1)
    with pytest.raises(ValueError, match="int64"):
        gt.optim.SGD([gt.arange(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        gt.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        gt.optim.SGD([w, w], lr=0.1)


# -- the fused Adam hook ---------------------------------------------------------------------------
def test_fused_adam_hook_is_used_when_a_backend_has_one(monkeypatch):
    backend = get_backend(gt.device("cpu"))
    calls = []

    def fake(p, g, m, v, **kw):
        calls.append(kw)
        p.sub_(kw["lr"])

    monkeypatch.setattr(backend, "fused_adam_step", fake, raising=False)
    w = gt.zeros(2, dtype=gt.float64, requires_grad=True)
    opt = gt.optim.AdamW([w], lr=0.5, weight_decay=0.1)
    w.grad = gt.ones_like(w)
    opt.step()
    assert w.tolist() == [-0.5, -0.5]
    assert calls == [dict(step=1, lr=0.5, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1,
                          decoupled=True)]
    gt.optim.Adam([w], lr=0.5, fused=False).step()  # opted out: the op-by-op path
    gt.optim.Adam([w], lr=0.5, amsgrad=True).step()  # amsgrad: never fused
    assert len(calls) == 1
    gt.optim.Adam([w], lr=0.5, fused=True).step()
    assert len(calls) == 2


def test_fused_true_without_a_kernel_raises():
    w = gt.zeros(2, requires_grad=True)
    w.grad = gt.ones_like(w)
    opt = gt.optim.Adam([w], fused=True)
    with pytest.raises(RuntimeError, match="no fused Adam kernel"):
        opt.step()


# -- the docstring examples ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["", ".optimizer", ".sgd", ".adam", ".rmsprop", ".adagrad",
                                  ".lr_scheduler"])
def test_docstring_examples(name):
    run_docstring_examples(importlib.import_module(f"gputensor.optim{name}"),
                           module_globals=True)


# -- TensorFlow's custom training loop: tape gradients, apply_gradients ----------------------
@pytest.mark.parametrize("make", [lambda ps: gt.optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: gt.optim.Adam(ps, lr=0.01),
                                  lambda ps: gt.optim.RMSprop(ps, lr=0.01)])
def test_apply_gradients_is_the_step_backward_would_take(make, device):
    """A GradientTape + apply_gradients loop moves the parameters exactly as the
    backward() + step() loop does, for three steps of each rule."""
    def model():
        gt.manual_seed(3)
        return gt.nn.Sequential(gt.nn.Linear(3, 4), gt.nn.Tanh(), gt.nn.Linear(4, 2)).to(device)

    x = gt.tensor(np.linspace(-1, 1, 15).reshape(5, 3), device=device)
    y = gt.tensor([0, 1, 1, 0, 1], device=device)
    torch_style, tf_style = model(), model()
    opt_a, opt_b = make(list(torch_style.parameters())), make(tf_style.trainable_variables)
    for _ in range(3):
        opt_a.zero_grad()
        gt.nn.functional.cross_entropy(torch_style(x), y).backward()
        opt_a.step()
        with gt.GradientTape() as tape:
            loss = gt.nn.functional.cross_entropy(tf_style(x), y)
        grads = tape.gradient(loss, tf_style.trainable_variables)
        opt_b.apply_gradients(zip(grads, tf_style.trainable_variables))
    for p, q in zip(torch_style.parameters(), tf_style.parameters()):
        np.testing.assert_allclose(p.cpu().numpy(), q.cpu().numpy(), rtol=1e-6, atol=1e-7)
    assert all(q.grad is None for q in tf_style.parameters())  # .grad untouched


def test_apply_gradients_moves_only_the_given_variables():
    a = gt.Variable([1.0, 1.0])
    b = gt.Variable([1.0])
    opt = gt.optim.SGD([a], lr=0.5)
    b.grad = gt.tensor([9.0])  # a gradient from elsewhere: neither used nor dropped
    opt.apply_gradients([(gt.tensor([2.0, 4.0]), a), (None, b)])
    assert a.tolist() == [0.0, -1.0] and b.tolist() == [1.0] and b.grad.tolist() == [9.0]
    opt.apply_gradients([(gt.tensor([2.0]), b)])  # b was not given yet: it joins
    assert b.tolist() == [0.0] and len(opt.param_groups) == 2


def test_apply_gradients_errors():
    w = gt.Variable([1.0, 2.0])
    opt = gt.optim.SGD([w], lr=0.1)
    with pytest.raises(TypeError, match=r"SGD.apply_gradients: expected \(gradient, variable\) "
                                        r"pairs, got Variable at position 0"):
        opt.apply_gradients([w])
    with pytest.raises(TypeError, match="pair 0 holds a float, not a variable"):
        opt.apply_gradients([(w, 1.0)])
    with pytest.raises(ValueError, match=r"the gradient of pair 0 has shape \(3,\) for a "
                                         r"variable of shape \(2,\)"):
        opt.apply_gradients([(gt.ones(3), w)])
    assert w.tolist() == [1.0, 2.0]


def test_trainable_variables_are_the_parameters_that_require_grad():
    m = gt.nn.Sequential(gt.nn.Linear(2, 3), gt.nn.Linear(3, 1))
    m[0].weight.requires_grad_(False)  # frozen
    names = [n for n, p in m.named_parameters() if p.requires_grad]
    assert [id(p) for p in m.trainable_variables] == [
        id(p) for n, p in m.named_parameters() if n in names]
    assert len(m.trainable_variables) == 3
