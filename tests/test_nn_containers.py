"""ModuleList / ModuleDict (registration, the list and dict protocols, state dicts, errors)
and gradient clipping (``gt.nn.utils``) against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gputensor as gt
from gputensor import nn


class Tower(nn.Module):
    """The PyTorch idiom: layers in a ModuleList, heads in a ModuleDict, called in forward."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])
        self.heads = nn.ModuleDict({"score": nn.Linear(3, 1), "cls": nn.Linear(3, 4)})

    def forward(self, x):
        for layer in self.layers:
            x = gt.relu(layer(x))
        return {k: head(x) for k, head in self.heads.items()}


def test_containers_register_their_modules():
    t = Tower()
    names = [n for n, _ in t.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                     "heads.score.weight", "heads.score.bias", "heads.cls.weight",
                     "heads.cls.bias"]
    out = t(gt.ones(2, 3))
    assert out["score"].shape == (2, 1) and out["cls"].shape == (2, 4)
    sum(o.sum() for o in out.values()).backward()
    assert all(p.grad is not None for p in t.parameters())
    other = Tower()
    other.load_state_dict(t.state_dict())
    np.testing.assert_array_equal(other.layers[1].weight.numpy(), t.layers[1].weight.numpy())
    t.to(gt.float64)
    assert t.heads["cls"].weight.dtype == gt.float64


def test_module_list_behaves_as_a_list():
    a, b, c = nn.ReLU(), nn.Tanh(), nn.Sigmoid()
    ml = nn.ModuleList([a, b])
    ml.append(c)
    assert list(ml) == [a, b, c] and len(ml) == 3 and ml[-1] is c
    assert isinstance(ml[1:], nn.ModuleList) and list(ml[1:]) == [b, c]
    ml.insert(0, c)
    assert list(ml) == [c, a, b, c] and list(ml._modules) == ["0", "1", "2", "3"]
    del ml[1]
    assert list(ml) == [c, b, c] and list(ml._modules) == ["0", "1", "2"]
    ml[0] = a
    assert ml[0] is a
    ml += [nn.Identity()]
    assert len(ml) == 4 and len(ml + nn.ModuleList([a])) == 5
    assert len(nn.ModuleList()) == 0
    # negative insert positions as list.insert
    for pos in (-1, -3, 0, 3):
        ml, ref = nn.ModuleList([a, b, c]), [a, b, c]
        x = nn.Identity()
        ml.insert(pos, x)
        ref.insert(pos, x)
        assert list(ml) == ref, pos


def test_module_dict_behaves_as_a_dict():
    a, b = nn.ReLU(), nn.Tanh()
    md = nn.ModuleDict([("a", a), ("b", b)])
    assert list(md) == ["a", "b"] and list(md.keys()) == ["a", "b"] and md["b"] is b
    assert "a" in md and "z" not in md and len(md) == 2
    md["c"] = nn.Sigmoid()
    md.update({"a": b})  # replacing keeps the place
    assert list(md) == ["a", "b", "c"] and md["a"] is b
    assert md.pop("b") is b and list(md) == ["a", "c"]
    del md["a"]
    assert list(md.values())[0].__class__ is nn.Sigmoid
    md.clear()
    assert len(md) == 0


def test_container_errors_name_the_problem():
    with pytest.raises(TypeError, match=r"ModuleList: entry 1 is a function.*gt.nn.ReLU"):
        nn.ModuleList([nn.ReLU(), gt.relu])
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(IndexError, match="ModuleList index 3 is out of range for 1 module"):
        ml[3]
    with pytest.raises(TypeError, match="ModuleList indices must be ints or slices, got str"):
        ml["0"]
    with pytest.raises(IndexError, match=r"ModuleList.insert: index 5 is out of range"):
        ml.insert(5, nn.ReLU())
    with pytest.raises(TypeError, match="ModuleList: assigning to a slice is not supported"):
        ml[0:1] = nn.ReLU()
    md = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match=r"ModuleDict has no module 'b'; it holds \['a'\]"):
        md["b"]
    with pytest.raises(TypeError, match="ModuleDict: entry 'x' is a int"):
        md["x"] = 3
    with pytest.raises(KeyError, match="the key 'keys' is the name of a ModuleDict attribute"):
        md["keys"] = nn.ReLU()
    with pytest.raises(TypeError, match=r"ModuleDict.update: entry 0 is not a \(name, "):
        md.update([nn.ReLU()])
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        ml(gt.ones(1))


# -- gradient clipping -------------------------------------------------------------------------
def _params(grads, device="cpu"):
    ps = []
    for g in grads:
        p = nn.Parameter(gt.zeros(np.shape(g), dtype=gt.float64, device=device))
        p.grad = gt.tensor(g, dtype=gt.float64, device=device)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm_scales_to_the_joint_norm(norm_type, device):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(3, 4), (5,), (2, 2, 2)]]
    ps = _params(grads, device)
    flat = np.concatenate([g.ravel() for g in grads])
    want = np.abs(flat).max() if norm_type == math.inf else (
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type))
    total = nn.utils.clip_grad_norm_(ps, 0.5, norm_type)
    np.testing.assert_allclose(total.item(), want, rtol=1e-12)
    factor = 0.5 / (want + 1e-6)  # PyTorch's factor
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g * factor, rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_and_skips_none():
    p, q = _params([[0.3, 0.4]]) + [nn.Parameter(gt.zeros(2))]
    assert nn.utils.clip_grad_norm_(iter([p, q]), 1.0).item() == pytest.approx(0.5)
    np.testing.assert_allclose(p.grad.numpy(), [0.3, 0.4])
    assert q.grad is None
    assert nn.utils.clip_grad_norm_([q], 1.0).item() == 0.0


def test_clip_grad_value_and_errors():
    (p,) = _params([[3.0, -0.5, -7.0]])
    nn.utils.clip_grad_value_(p, 1.0)
    assert p.grad.tolist() == [1.0, -0.5, -1.0]
    with pytest.raises(ValueError, match="clip_value must be >= 0, got -1.0"):
        nn.utils.clip_grad_value_(p, -1)
    with pytest.raises(ValueError, match="max_norm must be >= 0, got -2.0"):
        nn.utils.clip_grad_norm_(p, -2)
    with pytest.raises(TypeError, match="clip_grad_norm_: expected tensors .*got list"):
        nn.utils.clip_grad_norm_([[1.0]], 1.0)
    with pytest.raises(TypeError, match=r"got a Linear module; pass model.parameters\(\)"):
        nn.utils.clip_grad_norm_(nn.Linear(2, 2), 1.0)
    (inf,) = _params([[math.inf, 1.0]])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        nn.utils.clip_grad_norm_(inf, 1.0, error_if_nonfinite=True)
