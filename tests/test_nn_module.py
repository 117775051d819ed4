"""gt.nn.Module and gt.nn.Parameter: registration, traversal, modes, devices and dtypes,
state dicts (round trip and every error), and the repr tree."""

from __future__ import annotations

import importlib
from collections import OrderedDict

import numpy as np
import pytest

import gputensor as gt
from gputensor import nn
from testkit import run_docstring_examples


class Block(nn.Module):
    """A module with a parameter, a child, a buffer, a non-persistent buffer and a plain
    attribute."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(gt.ones(3))
        self.fc = nn.Linear(3, 2)
        self.register_buffer("steps", gt.zeros((), dtype=gt.int64))
        self.register_buffer("cache", gt.zeros(2), persistent=False)
        self.note = "plain"

    def forward(self, x):
        return self.fc(x * self.scale)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(2, 1))

    def forward(self, x):
        return self.head(self.block(x))


def N(t) -> np.ndarray:
    return t.cpu().numpy()


# -- Parameter ----------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad_and_shares_memory():
    data = gt.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, gt.Tensor) and p.requires_grad and p.is_leaf
    data.numpy()[0] = 5.0
    assert p.tolist() == [5.0, 0.0, 0.0]
    assert not nn.Parameter([1.0, 2.0], requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)


def test_parameter_repr():
    r = repr(nn.Parameter(gt.tensor([1.0, 2.0])))
    assert r.startswith("Parameter containing:\ntensor([1., 2.]")
    assert "requires_grad=True" in r


def test_parameter_of_int_data_cannot_require_grad():
    with pytest.raises(RuntimeError, match="only float tensors can require grad"):
        nn.Parameter(gt.tensor([1, 2]))


def test_ops_on_parameters_give_plain_tensors_with_gradients():
    p = nn.Parameter(gt.tensor([1.0, 2.0]))
    y = (p * p).sum()
    assert type(y) is gt.Tensor
    y.backward()
    assert p.grad.tolist() == [2.0, 4.0]


# -- registration and traversal -----------------------------------------------------------
def test_attributes_register_parameters_children_and_buffers():
    b = Block()
    assert [n for n, _ in b.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in b.named_buffers()] == ["steps", "cache"]
    assert list(b.children()) == [b.fc]
    assert b.note == "plain" and "note" not in dict(b.named_parameters())
    assert isinstance(b.scale, nn.Parameter)
    assert "scale" in dir(b) and "fc" in dir(b)


def test_named_modules_and_modules():
    net = Net()
    names = [n for n, _ in net.named_modules()]
    assert names == ["", "block", "block.fc", "head", "head.0", "head.1"]
    assert list(net.modules())[0] is net
    assert [n for n, _ in net.named_children()] == ["block", "head"]


def test_shared_parameters_and_modules_are_listed_once():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    seq = nn.Sequential(a, b, a)
    params = list(seq.parameters())
    assert len(params) == 3  # a.weight, a.bias, b.bias
    assert len({id(p) for p in params}) == 3
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert len(list(seq.modules())) == 3


def test_replacing_a_child_or_parameter_keeps_its_place():
    # the transfer-learning idiom ``model.head = Linear(...)``: a Sequential keeps running
    # its layers in the declared order, and state_dict/named_parameters keep theirs (PyTorch)
    seq = nn.Sequential(OrderedDict(hidden=nn.Linear(3, 4), head=nn.Linear(4, 2),
                                    act=nn.Softmax(-1)))
    new_head = nn.Linear(4, 2)
    seq.head = new_head
    assert [n for n, _ in seq.named_children()] == ["hidden", "head", "act"]
    assert seq[1] is new_head
    np.testing.assert_allclose(N(seq(gt.ones(1, 3)).sum()), 1.0, rtol=1e-6)  # softmax last
    lin = nn.Linear(2, 3)
    lin.weight = nn.Parameter(gt.zeros(3, 2))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert list(lin.state_dict()) == ["weight", "bias"]


def test_parameters_non_recursive():
    b = Block()
    assert [n for n, _ in b.named_parameters(recurse=False)] == ["scale"]


def test_reassigning_a_name_moves_it_between_registries():
    m = nn.Module()
    m.x = nn.Parameter(gt.ones(1))
    m.x = nn.Linear(1, 1)
    assert "x" not in m._parameters and m._modules["x"] is m.x
    m.x = None
    assert m.x is None and list(m.children()) == []
    del m.x
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'x'"):
        m.x


def test_assigning_a_tensor_to_a_parameter_name_is_refused():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign a Tensor as parameter 'weight'"):
        lin.weight = gt.ones(2, 2)
    lin.bias = None
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]


def test_buffers_take_tensors_or_none():
    b = Block()
    b.steps = gt.ones((), dtype=gt.int64)
    assert b.steps.item() == 1 and "steps" in b.state_dict()
    with pytest.raises(TypeError, match="cannot assign a int as buffer 'steps'"):
        b.steps = 3
    with pytest.raises(TypeError, match="Tensor or None expected"):
        b.register_buffer("other", [1, 2])


def test_register_errors():
    m = nn.Module()
    m.plain = 1
    with pytest.raises(KeyError, match="already has an attribute of that name"):
        m.register_parameter("plain", nn.Parameter(gt.ones(1)))
    with pytest.raises(KeyError, match="contain no '.'"):
        m.register_buffer("a.b", gt.ones(1))
    with pytest.raises(TypeError, match="gt.nn.Parameter or None expected"):
        m.register_parameter("w", gt.ones(1))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("c", "not a module")
    m.register_buffer("buf", gt.ones(1))
    with pytest.raises(KeyError, match="already has a buffer"):
        m.register_parameter("buf", nn.Parameter(gt.ones(1)))


def test_assigning_before_super_init_names_the_fix():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gt.ones(1))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first in Bad"):
        Bad()


def test_call_runs_forward_and_missing_forward_is_named():
    b = Block()
    x = gt.ones(4, 3)
    assert np.allclose(N(b(x)), N(b.forward(x)))

    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward has no forward"):
        NoForward()(x)


def test_apply_visits_children_first():
    seen = []
    Net().apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Block", "ReLU", "Linear", "Sequential", "Net"]


# -- modes and gradients --------------------------------------------------------------------
def test_train_and_eval_set_the_flag_everywhere():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.block.train(False)
    assert net.training and not net.block.fc.training
    with pytest.raises(TypeError, match="mode must be a bool"):
        net.train("yes")


def test_zero_grad_to_none_or_zeros():
    lin = nn.Linear(3, 2)
    lin(gt.ones(4, 3)).sum().backward()
    assert lin.weight.grad is not None
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad.tolist() == [[0.0] * 3] * 2
    lin.zero_grad()
    assert lin.weight.grad is None and lin.bias.grad is None


def test_requires_grad_freezes():
    lin = nn.Linear(2, 2).requires_grad_(False)
    assert not any(p.requires_grad for p in lin.parameters())


# -- devices and dtypes ---------------------------------------------------------------------
def test_to_dtype_converts_in_place_keeping_identity():
    net = Net()
    params = list(net.parameters())
    net(gt.ones(2, 3)).sum().backward()
    assert net.to(gt.float64) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == gt.float64 and isinstance(p, nn.Parameter) for p in params)
    assert all(p.grad.dtype == gt.float64 for p in params)
    assert net.block.steps.dtype == gt.int64  # integer buffers keep their dtype
    assert net.block.cache.dtype == gt.float64
    out = net(gt.ones(2, 3, dtype=gt.float64))
    assert out.dtype == gt.float64
    out.sum().backward()  # the graph reaches the same Parameter objects
    assert params[0].grad is not None
    net.float()
    assert params[0].dtype == gt.float32
    net.half()
    assert params[0].dtype == gt.float16
    net.double()
    assert params[0].dtype == gt.float64


def test_to_rejects_int_dtypes_and_unknown_keywords():
    with pytest.raises(TypeError, match="only float dtypes"):
        nn.Linear(2, 2).to(gt.int64)
    with pytest.raises(TypeError, match="unexpected keyword"):
        nn.Linear(2, 2).to(copy=True)


def test_to_device(device):
    net = Net()
    params = list(net.parameters())
    net.to(device)
    assert all(p.device == gt.device(device) for p in net.parameters())
    assert all(b.device == gt.device(device) for b in net.buffers())
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    out = net(gt.ones(2, 3, device=device))
    assert out.device == gt.device(device)
    out.sum().backward()
    assert params[0].grad.device == gt.device(device)
    net.to(device=device, dtype=gt.float64)
    assert params[0].dtype == gt.float64
    net.cpu()
    assert params[0].device == gt.device("cpu")


def test_optimizer_state_survives_a_move():
    """A reference to a parameter taken before ``to`` (as an optimizer holds) sees the new
    data and its in-place updates reach the module."""
    lin = nn.Linear(2, 1)
    held = list(lin.parameters())
    lin.to(gt.float64)
    with gt.no_grad():
        held[0].fill_(1.0)
        held[1].fill_(0.0)
    assert lin(gt.ones(1, 2, dtype=gt.float64)).item() == 2.0


# -- state dicts ----------------------------------------------------------------------------
def test_state_dict_keys_and_sharing():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["block.scale", "block.steps", "block.fc.weight", "block.fc.bias",
                        "head.1.weight", "head.1.bias"]
    assert not sd["block.scale"].requires_grad  # detached ...
    sd["block.scale"].numpy()[0] = 7.0  # ... but sharing memory
    assert net.block.scale.tolist()[0] == 7.0
    assert net.state_dict(keep_vars=True)["block.scale"] is net.block.scale


def test_state_dict_lists_a_shared_module_under_every_path():
    # as PyTorch, so checkpoints of models that reuse a layer load both ways
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    sd = seq.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(N(sd["2.weight"]), N(lin.weight))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]  # (listed once)
    lin2 = nn.Linear(2, 2)
    result = nn.Sequential(lin2, nn.ReLU(), lin2).load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(N(lin2.weight), N(lin.weight))
    with pytest.raises(RuntimeError, match="missing key.*'2.weight'"):
        seq.load_state_dict({"0.weight": sd["0.weight"], "0.bias": sd["0.bias"]})


def test_state_dict_round_trip_restores_outputs():
    gt.manual_seed(1)
    a = Net()
    gt.manual_seed(2)
    b = Net()
    x = gt.randn(4, 3)
    assert not np.allclose(N(a(x)), N(b(x)))
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(N(a(x)), N(b(x)))
    # copies, not shared: changing a afterwards leaves b alone
    with gt.no_grad():
        a.block.scale.fill_(3.0)
    assert b.block.scale.tolist() == [1.0, 1.0, 1.0]


def test_load_state_dict_accepts_numpy_and_casts():
    lin = nn.Linear(2, 2).double()
    sd = {"weight": np.eye(2, dtype=np.float32), "bias": [1, 2]}
    lin.load_state_dict(sd)
    assert lin.weight.dtype == gt.float64 and lin.weight.tolist() == [[1, 0], [0, 1]]
    assert lin.bias.tolist() == [1.0, 2.0]


def test_load_state_dict_missing_keys_are_named():
    lin = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match=r"loading state_dict into Linear:\n  missing "
                                           r"key\(s\): 'bias'"):
        lin.load_state_dict({"weight": gt.zeros(2, 2)})


def test_load_state_dict_unexpected_keys_are_named():
    lin = nn.Linear(2, 2)
    sd = dict(lin.state_dict(), extra=gt.zeros(1), more=gt.zeros(1))
    with pytest.raises(RuntimeError, match=r"unexpected key\(s\): 'extra', 'more'"):
        lin.load_state_dict(sd)


def test_load_state_dict_shape_mismatch_names_key_and_shapes():
    lin = nn.Linear(2, 3)
    sd = lin.state_dict()
    sd["weight"] = gt.zeros(4, 2)
    with pytest.raises(RuntimeError, match=r"size mismatch for 'weight': the checkpoint has "
                                           r"shape \(4, 2\), the model's parameter has shape "
                                           r"\(3, 2\)"):
        lin.load_state_dict(sd)
    with pytest.raises(RuntimeError, match="size mismatch"):  # even when not strict
        lin.load_state_dict(sd, strict=False)


def test_load_state_dict_reports_all_problems_at_once_and_changes_nothing():
    lin = nn.Linear(2, 3)
    before = {k: N(v).copy() for k, v in lin.state_dict().items()}
    sd = {"weight": gt.zeros(3, 3), "extra": gt.ones(1)}
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict(sd)
    msg = str(info.value)
    assert "'bias'" in msg and "'extra'" in msg and "(3, 3)" in msg
    for k, v in lin.state_dict().items():
        np.testing.assert_array_equal(N(v), before[k])
    good = {"weight": gt.ones(3, 2), "bias": "not a tensor"}
    with pytest.raises((TypeError, RuntimeError)):
        lin.load_state_dict(good)
    np.testing.assert_array_equal(N(lin.weight), before["weight"])


def test_load_state_dict_not_strict_returns_the_keys():
    lin = nn.Linear(2, 2)
    result = lin.load_state_dict({"weight": gt.ones(2, 2), "junk": gt.ones(1)}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    assert lin.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_load_state_dict_type_error():
    with pytest.raises(TypeError, match="expected a dict"):
        nn.Linear(2, 2).load_state_dict([1, 2])


def test_load_state_dict_into_another_device(device):
    src = nn.Linear(3, 2)
    dst = nn.Linear(3, 2).to(device)
    dst.load_state_dict(src.state_dict())
    assert dst.weight.device == gt.device(device)
    np.testing.assert_array_equal(N(dst.weight), N(src.weight))


def test_buffers_round_trip_but_non_persistent_ones_are_not_saved():
    b = Block()
    sd = b.state_dict()
    assert "steps" in sd and "cache" not in sd
    sd["steps"] = gt.tensor(5)
    b.load_state_dict(sd)
    assert b.steps.item() == 5


# -- repr -----------------------------------------------------------------------------------
def test_repr_tree():
    assert repr(Net()) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (fc): Linear(in_features=3, out_features=2, bias=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Linear(in_features=2, out_features=1, bias=True)\n"
        "  )\n"
        ")")
    assert repr(nn.Module()) == "Module()"
    assert repr(nn.Linear(2, 3, bias=False)) == "Linear(in_features=2, out_features=3, bias=False)"


# -- forward hooks ----------------------------------------------------------------------------
def test_forward_hooks_see_and_replace_inputs_and_outputs():
    lin = nn.Linear(2, 2, dtype=gt.float64)
    calls = []
    pre1 = lin.register_forward_pre_hook(lambda m, args: calls.append(("pre", m)) or None)
    pre2 = lin.register_forward_pre_hook(lambda m, args: args[0] * 2)  # one value: wrapped
    post = lin.register_forward_hook(lambda m, args, out: calls.append(("post", args[0])))
    x = gt.ones(1, 2, dtype=gt.float64)
    out = lin(x)
    np.testing.assert_allclose(N(out), N(x * 2) @ N(lin.weight).T + N(lin.bias))
    assert [c[0] for c in calls] == ["pre", "post"] and calls[0][1] is lin
    assert N(calls[1][1]).tolist() == [[2.0, 2.0]]  # the hook sees the replaced input
    # a forward hook's return value replaces the output, and gradients flow through it
    lin.register_forward_hook(lambda m, args, out: out * 3)
    x = gt.ones(1, 2, dtype=gt.float64, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(N(x.grad), 6 * N(lin.weight).sum(0, keepdims=True))
    for h in (pre1, pre2, post):
        h.remove()
    calls.clear()
    np.testing.assert_allclose(N(lin(gt.ones(1, 2, dtype=gt.float64))),
                               3 * (N(lin.weight).sum(1) + N(lin.bias))[None])
    assert calls == []


def test_forward_hook_keeps_activations_of_a_submodule():
    # the feature-extraction idiom
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    kept = {}
    handle = net[1].register_forward_hook(lambda m, args, out: kept.update(relu=out))
    net(gt.ones(5, 3))
    assert kept["relu"].shape == (5, 4) and (N(kept["relu"]) >= 0).all()
    handle.remove()
    handle.remove()  # (a second remove does nothing)
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        net.register_forward_hook(3)


# -- the docstring examples ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["", ".module", ".layers", ".init", ".losses", ".functional",
                                  ".containers", ".utils", ".training"])
def test_docstring_examples(name):
    run_docstring_examples(importlib.import_module(f"gputensor.nn{name}"))
