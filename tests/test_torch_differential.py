"""Differential test against PyTorch, in float64: for every row below, on seeded random data of
random shapes (and a few hand-picked edge inputs), gputensor's forward values, first-order
gradients (``gt.grad`` and ``.backward()``) and second-order gradients (the gradient of a random
projection of the first-order one, through ``create_graph=True``) must equal torch.autograd's.
Why: torch is an independent implementation of the same derivative rules, so any disagreement
is a bug on one side or a deliberate NumPy-semantics difference; the rows avoid the latter and
say so in a comment. Adding an op is one ``op(...)`` line."""

from __future__ import annotations

import itertools
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

import gputensor as gt
from testkit import host, leaf

torch = pytest.importorskip("torch")

DRAWS = 5  # random examples per row


def F(m):
    """``m.nn.functional`` of gputensor or torch: most rows spell an op the same for both."""
    return m.nn.functional


@dataclass
class Op:
    name: str
    fn: object          # fn(m, *args), m is gt or torch; may return a tensor or a list of them
    spec: object        # "ab,Bb|abc,c": see draw(); or a callable rng -> list of arrays
    tfn: object = None  # torch's side, where its spelling differs: tfn(torch, *args)
    data: str = "normal"  # a DATA key, or one per operand, comma separated
    tol: float = 1e-9
    second: bool = True  # compare second-order gradients too


def op(name, fn, spec, tfn=None, **kw):
    return pytest.param(Op(name, fn, spec, tfn, **kw), id=name)


def draw(op_, rng):
    """The arguments of one example. A string spec lists operand shapes, alternatives split by
    '|': a lowercase letter is a size drawn from 1..4 (the same letter, the same size), its
    uppercase that size or 1 (broadcasting), a digit a literal size, '.' a 0-d operand."""
    if callable(op_.spec):
        return op_.spec(rng)
    alternatives = op_.spec.split("|")
    spec = alternatives[int(rng.integers(len(alternatives)))]
    size = {c: int(rng.integers(1, 5)) for c in "abcdefgh"}
    shapes = [tuple(int(c) if c.isdigit() else size[c] if c.islower() else
                    int(rng.choice([size[c.lower()], 1])) for c in s.strip("."))
              for s in spec.split(",")]
    return [DATA[k](rng, s) for k, s in zip(op_.data.split(",") * len(shapes), shapes)]


DATA = {
    "normal": lambda r, s: r.standard_normal(s),
    "pos": lambda r, s: r.uniform(0.5, 2.0, s),
    "unit": lambda r, s: r.uniform(-0.9, 0.9, s),
    # BCE's probabilities stay inside (0, 1): at 0 and 1 gputensor's target gradient uses the
    # logs clamped at -100, as both forwards do; torch's is inf there
    "prob": lambda r, s: r.uniform(0.05, 0.95, s),
    "grid": lambda r, s: r.choice([-1.0, 0.0, 0.5, 2.0], s),  # ties and zeros all but certain
    "cond": lambda r, s: r.standard_normal(s) + 3 * np.eye(s[-1]),  # well conditioned square
}


def idx(*shape_and_ranges):
    """A spec for x plus integer index arrays: idx((4, 3), (-4, 4, 6)) is a (4, 3) x and 6
    indices in [-4, 4) (duplicates all but certain)."""
    x, *ranges = shape_and_ranges
    return lambda r: [r.standard_normal(x)] + [r.integers(lo, hi, n) for lo, hi, n in ranges]


def fixed(*arrays):
    """A spec of hand-picked float inputs."""
    return lambda r: [np.array(a, dtype=np.float64) for a in arrays]


def leibniz_det(m, a):
    """det as the Leibniz polynomial in torch, exact to every order at any A: the reference at
    singular A, where torch.linalg.det's second derivative is NaN once the rank is n - 2 or
    less (the zero matrix, diag(1e-9, 1e-9, 1))."""
    n = a.shape[-1]
    sign = np.zeros((n,) * n)
    for p in itertools.permutations(range(n)):
        sign[p] = np.linalg.det(np.eye(n)[list(p)])
    rows = [a[..., i, :] for i in range(n)]
    letters = "ijklmn"[:n]
    return torch.einsum(f"{letters}," + ",".join(f"...{c}" for c in letters) + "->...",
                        torch.tensor(sign), *rows)


CLASS_W = np.array([0.5, 2.0, 1.0, 1.5])  # class weights of the weighted-loss rows
KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def _quiet(fn):
    """``fn()`` with torch's UserWarnings (kl_div's 'mean') silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn()


_normal = np.random.default_rng(0).standard_normal  # for the rank-deficient matrices below


OPS = [
    # -- elementwise unary ---------------------------------------------------------------
    # same name on both sides, one word each, grouped by the domain they take
    *[op(n, lambda m, x, n=n: getattr(m, n)(x), "abc|.") for n in
      "abs exp exp2 expm1 square sin cos arctan sinh cosh tanh erf erfc sigmoid".split()],
    *[op(n, lambda m, x, n=n: getattr(m, n)(x), "abc", data="pos") for n in
      "log log1p log2 log10 sqrt rsqrt reciprocal".split()],
    *[op(n, lambda m, x, n=n: getattr(m, n)(x), "abc", data="unit") for n in
      "tan arcsin arccos".split()],
    op("neg", lambda m, x: -x, "abc|."),
    op("pow_scalar", lambda m, x: x ** 3 + m.pow(x * x + 0.5, 1.5), "ab"),
    op("rpow", lambda m, x: 2.0 ** x, "ab"),
    op("relu", lambda m, x: F(m).relu(x), "abc"),
    op("gelu", lambda m, x: F(m).gelu(x), "abc"),
    op("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh"), "abc"),
    op("softplus", lambda m, x: m.softplus(3 * x, beta=2.0, threshold=4.0), "abc",
       tfn=lambda t, x: F(t).softplus(3 * x, beta=2.0, threshold=4.0)),
    op("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2), "abc"),
    op("elu", lambda m, x: m.elu(x, 0.7), "abc", tfn=lambda t, x: F(t).elu(x, 0.7)),
    op("silu", lambda m, x: m.silu(x), "abc", tfn=lambda t, x: F(t).silu(x)),
    op("piecewise_constant", lambda m, x: [m.sign(x), m.floor(x), m.ceil(x), m.round(3 * x),
                                          m.trunc(2 * x)], "abc"),
    # -- elementwise binary, broadcasting ---------------------------------------------------
    op("add_sub_mul", lambda m, a, b: [a + b + 1.5, a - b - (2.0 - a), a * b * 3.0, m.add(a, b),
                                       m.subtract(a, b), m.multiply(a, b)],
       "abc,Bc|ab,AB|a,ba|.,ab"),
    op("div", lambda m, a, b: a / b + 1.0 / b, "abc,Bc|ab,AB|a,ba|ab,.", data="normal,pos"),
    op("pow", lambda m, a, b: m.pow(a, b), "abc,Bc|ab,AB|.,ab", data="pos,normal"),
    op("maximum", lambda m, a, b: m.maximum(a, b), "abc,Bc|ab,AB|a,ba"),
    op("minimum", lambda m, a, b: m.minimum(a, b), "abc,Bc|ab,AB|a,ba"),
    op("atan2", lambda m, a, b: m.atan2(a, b), "abc,Bc|ab,AB"),
    op("remainder", lambda m, a, b: m.remainder(a, b), "abc,Bc|ab,AB", data="normal,pos"),
    op("where", lambda m, a, b, c: m.where(c > 0, a, b), "abc,Bc,AbC|ab,.,Ab"),
    op("clip_scalar", lambda m, x: m.clip(x, -0.5, 0.7), "abc"),
    op("clip_tensor", lambda m, x, lo, hi: m.clip(x, lo, hi), "abc,Bc,aBC"),
    # -- reductions -----------------------------------------------------------------------
    op("sum", lambda m, x: [m.sum(x), m.sum(x, dim=-1), m.sum(x, dim=(0, 2), keepdim=True)],
       "abc"),
    op("mean", lambda m, x: [m.mean(x), m.mean(x, dim=(1, -1), keepdim=True)], "abc|abcd"),
    op("prod", lambda m, x: [m.prod(x), m.prod(x, dim=1), m.prod(x, dim=0, keepdim=True)],
       "abc"),
    # gputensor splits a max/min tie evenly over the tied entries, as torch.amax/amin do (torch's
    # max(x, dim) sends it all to one index: never the reference), and a maximum/minimum tie
    # half and half, as torch does; ties are compared in the edge rows below
    op("max", lambda m, x: [m.max(x), m.max(x, dim=1), m.max(x, dim=(0, 2), keepdim=True)],
       "abc", tfn=lambda t, x: [t.amax(x), t.amax(x, 1), t.amax(x, (0, 2), keepdim=True)]),
    op("min", lambda m, x: [m.min(x), m.min(x, dim=-1, keepdim=True)], "abc",
       tfn=lambda t, x: [t.amin(x), t.amin(x, -1, keepdim=True)]),
    # spelled with ddof: gt.std's default is NumPy's ddof=0, torch.std's correction=1
    op("var_std", lambda m, x: [m.var(x, dim=1, ddof=0), m.std(x, dim=(0, 2), ddof=1),
                                m.std(x, ddof=0)], "2bc",
       tfn=lambda t, x: [t.var(x, 1, correction=0), t.std(x, (0, 2), correction=1),
                         t.std(x, correction=0)]),
    op("logsumexp", lambda m, x: [m.logsumexp(x, dim=1), m.logsumexp(x, dim=(0, 2),
                                                                      keepdim=True)], "abc"),
    op("cumsum", lambda m, x: [m.cumsum(x, dim=0), m.cumsum(x, dim=-1)], "abc|a"),
    op("cumprod", lambda m, x: [m.cumprod(x, dim=0), m.cumprod(x, dim=-1)], "abc|a"),
    op("softmax", lambda m, x: [F(m).softmax(x, dim=-1), F(m).softmax(x, dim=0)], "abc|a"),
    op("log_softmax", lambda m, x: [F(m).log_softmax(x, dim=1), F(m).log_softmax(x, dim=-1)],
       "abc|ab"),
    # (gt.norm is gt.linalg.norm; ord and axis/dim are the 2nd and 3rd arguments of both)
    op("norm_vector", lambda m, x: [m.linalg.norm(x), m.linalg.norm(x, 1, -1),
                                    m.linalg.norm(x, np.inf, 0), m.linalg.norm(x, 3, 1)], "abc"),
    op("norm_matrix", lambda m, x: [m.linalg.norm(x, "fro", (0, 1)),
                                    m.linalg.norm(x, "nuc", (1, 2))], "abc", tol=1e-8),
    # -- movement -------------------------------------------------------------------------
    op("reshape", lambda m, x: [x.reshape(-1), x.reshape(x.shape[0], -1, 1)], "abc"),
    op("transpose", lambda m, x: [x.transpose(0, 2), x.permute(1, 2, 0), x.mT], "abc"),
    op("transpose_numpy", lambda m, x: m.transpose(x, (2, 0, 1)), "abc",
       tfn=lambda t, x: x.permute(2, 0, 1)),
    op("expand", lambda m, x: x.expand(2, 4, -1), "1c|4c"),
    op("broadcast_to", lambda m, x: m.broadcast_to(x, (3, 4, x.shape[-1])), "1c|4c"),
    op("slice", lambda m, x: [x[1:, ::2], x[..., None, :-1], x[0], x[:, 1:3, -1]], "a3c"),
    # NumPy's negative step; torch has none, so its side flips
    op("slice_negative_step", lambda m, x: x[::-1, 1::-1], "a3",
       tfn=lambda t, x: t.flip(x, (0,))[:, :2].flip(1)),
    op("squeeze_unsqueeze", lambda m, x: [m.squeeze(x, 1), m.unsqueeze(x, 0), m.unsqueeze(x, -1)],
       "a1c"),
    op("flip", lambda m, x: [m.flip(x, dims=(0, 2)), m.flip(x, dims=(1,))], "abc"),
    op("roll", lambda m, x: m.roll(x, shifts=(1, -2), dims=(0, 2)), "abc"),
    # index arrays with duplicates (their gradients accumulate) and negative entries
    op("index_duplicates", lambda m, x, i: [x[i], x[:, i[:3]], x[i, 1:]],
       idx((4, 3), (-3, 3, 6))),
    op("index_two_arrays", lambda m, x, i, j: [x[i, :, j], x[1:, i]], idx((4, 3, 5), (-3, 3, 5),
                                                                         (0, 5, 5))),
    # NumPy counts the int in x[1, :, i] as an advanced index, separated from i by a slice, so
    # the indexed axis goes first; torch keeps it in place: its side transposes
    op("index_int_slice_array", lambda m, x, i: x[1, :, i], idx((2, 3, 4), (-4, 4, 5)),
       tfn=lambda t, x, i: x[1][:, i].mT),
    op("index_bool_mask", lambda m, x, k: x[k > 0], "abc,ab"),
    op("gather", lambda m, x, i: m.gather(x, 1, i), lambda r: [r.standard_normal((3, 4)),
                                                               r.integers(0, 4, (3, 6))]),
    op("take", lambda m, x, i: m.take(x, i), idx((3, 4), (0, 12, 7))),
    op("flatten_movedim", lambda m, x: [m.flatten(x, 1), m.movedim(x, 0, -1)], "abcd"),
    op("tile_repeat", lambda m, x: [m.tile(x, (2, 1, 3)), m.repeat_interleave(x, 2, dim=1)],
       "abc"),
    op("pad", lambda m, x: m.pad(x, ((1, 0), (0, 2)), constant_values=1.5), "ab",
       tfn=lambda t, x: F(t).pad(x, (0, 2, 1, 0), value=1.5)),
    # -- join -----------------------------------------------------------------------------
    op("concat", lambda m, a, b: m.cat([a, b, a], dim=1), "abc,adc"),
    op("stack", lambda m, a, b: [m.stack([a, b], dim=0), m.stack([b, a, b], dim=-1)], "ab,ab"),
    op("split", lambda m, x: m.split(x * 2.0, [1, 3, 0], dim=1), "a4c"),
    op("chunk_unbind", lambda m, x: [*m.chunk(x, 2, dim=1), *m.unbind(x, 0)], "a3c"),
    # -- linalg ---------------------------------------------------------------------------
    op("matmul", lambda m, a, b: m.matmul(a, b), "a,a|ab,b|a,ab|ab,bc|abc,cd|Abc,acd|bc,abcd"),
    op("mm_dot_outer_tensordot", lambda m, a, b: [m.mm(a, b), m.dot(a[0], b[:, 0]),
                                                  m.outer(a[:, 0], b[0]), m.tensordot(a, b, 1)],
       "ab,bc"),
    op("bmm", lambda m, a, b: m.bmm(a, b), "abc,acd"),
    op("matmul_operator", lambda m, a, b: a @ b @ a.mT, "abc,Acc"),
    op("einsum", lambda m, a, b: [m.einsum("ij,jk->ik", a[0], b), m.einsum("bij,jk->bki", a, b),
                                  m.einsum("bij->j", a)], "abc,cd"),
    op("einsum_diagonal", lambda m, a, b: [m.einsum("ii->i", a), m.einsum("ii,i->", a, b)],
       "aa,a"),
    op("inv", lambda m, a: m.linalg.inv(a), "aa|baa", data="cond", tol=1e-8),
    op("det", lambda m, a: m.linalg.det(a), "aa|baa", data="cond", tol=1e-8),
    # NumPy 2 reads a >= 2-D b as a (batch of) matrix, torch as a batch of vectors when
    # b.shape == A.shape[:-1]: "solve" never draws such a b, "solve_numpy2_rule" expands it
    op("solve", lambda m, a, b: m.linalg.solve(a, b), "aa,a|aa,ac|baa,a|baa,bac|Baa,bac",
       data="cond,normal", tol=1e-8),
    op("solve_numpy2_rule", lambda m, a, b: m.linalg.solve(a, b), "aaa,aa", data="cond,normal",
       tfn=lambda t, a, b: t.linalg.solve(a, b.expand(a.shape)), tol=1e-8),
    # -- nn.functional --------------------------------------------------------------------
    op("linear", lambda m, x, w, b: [F(m).linear(x, w, b), F(m).linear(x, w)], "ab,cb,c|dab,cb,c"),
    op("cross_entropy", lambda m, x, y: [F(m).cross_entropy(x, y, reduction=r)
                                         for r in ("mean", "sum", "none")],
       lambda r: [r.standard_normal((5, 4)), np.r_[r.integers(0, 4, 4), -100]]),
    op("cross_entropy_kdim", lambda m, x, y: F(m).cross_entropy(x, y),
       lambda r: [r.standard_normal((2, 4, 3)), r.integers(0, 4, (2, 3))]),
    op("cross_entropy_probs", lambda m, x, p: [F(m).cross_entropy(x, p, reduction=r)
                                               for r in ("mean", "none")], "ab,ab",
       data="normal,prob"),
    op("nll_loss", lambda m, x, y: F(m).nll_loss(F(m).log_softmax(x, dim=1), y, reduction="sum"),
       lambda r: [r.standard_normal((5, 3)), r.integers(0, 3, 5)]),
    op("mse_loss", lambda m, a, b: [F(m).mse_loss(a, b), F(m).mse_loss(a, b, reduction="none")],
       "abc,abc"),
    op("binary_cross_entropy", lambda m, p, y: [F(m).binary_cross_entropy(p, y),
                                                F(m).binary_cross_entropy(p, y, reduction="none")],
       "ab,ab", data="prob"),
    op("bce_with_logits", lambda m, x, y: F(m).binary_cross_entropy_with_logits(x, y),
       "abc,abc", data="normal,prob"),
    # weights are constants: torch has no derivative for the weights of these losses
    op("cross_entropy_weight_smoothing", lambda m, x, y: [
        F(m).cross_entropy(x, y, m.tensor(CLASS_W, device=x.device), reduction=r,
                           label_smoothing=s)
        for r in ("mean", "sum", "none") for s in (0.0, 0.2)],
       lambda r: [r.standard_normal((5, 4)), np.r_[r.integers(0, 4, 4), -100]]),
    op("cross_entropy_smoothing_kdim", lambda m, x, y: [
        F(m).cross_entropy(x, y, label_smoothing=0.3),
        F(m).cross_entropy(x, y, m.tensor(CLASS_W, device=x.device), ignore_index=1,
                           label_smoothing=0.1, reduction="none")],
       lambda r: [r.standard_normal((2, 4, 3)), r.integers(0, 4, (2, 3))]),
    op("cross_entropy_probs_weight_smoothing", lambda m, x, p: [
        F(m).cross_entropy(x, p, m.tensor(CLASS_W, device=x.device), reduction=r,
                           label_smoothing=s)
        for r in ("mean", "none") for s in (0.0, 0.25)],
       lambda r: [r.standard_normal((3, 4)), r.uniform(0.05, 0.95, (3, 4))]),
    op("nll_loss_weight", lambda m, x, y: [
        F(m).nll_loss(F(m).log_softmax(x, dim=1), y, m.tensor(CLASS_W, device=x.device),
                      reduction=r) for r in ("mean", "sum", "none")],
       lambda r: [r.standard_normal((5, 4)), np.r_[r.integers(0, 4, 4), -100]]),
    op("binary_cross_entropy_weight", lambda m, p, y: [
        F(m).binary_cross_entropy(p, y, m.tensor(CLASS_W[:3], device=p.device), reduction=r)
        for r in ("mean", "none")], "a3,a3", data="prob"),
    op("bce_with_logits_weight_pos_weight", lambda m, x, y: [
        F(m).binary_cross_entropy_with_logits(x, y, m.tensor(CLASS_W[:3], device=x.device)),
        F(m).binary_cross_entropy_with_logits(x, y, pos_weight=m.tensor(CLASS_W[1:],
                                                                         device=x.device)),
        F(m).binary_cross_entropy_with_logits(x, y, m.tensor(CLASS_W[:3], device=x.device),
                                              reduction="none",
                                              pos_weight=m.tensor(CLASS_W[1:],
                                                                  device=x.device))],
       "ba3,ba3", data="normal,prob"),
    op("l1_loss", lambda m, a, b: [F(m).l1_loss(a, b), F(m).l1_loss(a, b, reduction="none")],
       "abc,abc"),
    op("smooth_l1_loss", lambda m, a, b: [F(m).smooth_l1_loss(a, b),
                                          F(m).smooth_l1_loss(a, b, reduction="sum", beta=0.5),
                                          F(m).smooth_l1_loss(a, b, reduction="none", beta=0.0)],
       "abc,abc"),
    op("huber_loss", lambda m, a, b: [F(m).huber_loss(a, b),
                                      F(m).huber_loss(a, b, reduction="none", delta=0.7)],
       "abc,abc"),
    # torch warns that its 'mean' (over every element) will become 'batchmean' one day
    op("kl_div", lambda m, x, y: [F(m).kl_div(x, y, reduction=r) for r in KL_REDUCTIONS]
       + [F(m).kl_div(x, y, reduction="batchmean", log_target=True)], "abc,abc",
       tfn=lambda t, x, y: _quiet(lambda: [F(t).kl_div(x, y, reduction=r)
                                           for r in KL_REDUCTIONS]
                                  + [F(t).kl_div(x, y, reduction="batchmean",
                                                 log_target=True)]), data="normal,prob"),
    # -- hand-picked edge inputs ------------------------------------------------------------
    op("max_min_ties", lambda m, x: [m.max(x), m.max(x, dim=1), m.min(x, dim=0, keepdim=True)],
       fixed([[1.0, 3.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0], [3.0, -1.0, 3.0, -1.0]]),
       tfn=lambda t, x: [t.amax(x), t.amax(x, 1), t.amin(x, 0, keepdim=True)]),
    op("maximum_ties", lambda m, a, b: [m.maximum(a, b), m.minimum(b, a)],
       fixed([1.0, 2.0, -3.0, 0.0], [1.0, 0.0, -3.0, 5.0])),
    # x tied with a bound: both give x the gradient; lo > hi: both give hi. lo == hi is left out:
    # with x outside, gputensor gives lo the gradient (the bound it ties to), torch gives none
    op("clip_scalar_ties", lambda m, x: m.clip(x, -1.0, 1.0), fixed([-1.0, 1.0, 0.5, -2.0, 2.0])),
    op("clip_tensor_ties", lambda m, x, lo, hi: m.clip(x, lo, hi), fixed(*zip(*[
        c for c in itertools.product([-1.0, 0.0, 1.0], repeat=3) if c[1] != c[2]]))),
    op("prod_zeros", lambda m, x: [m.prod(x, dim=1), m.prod(x[0]), m.prod(x[1]), m.prod(x)],
       fixed([[0.0, 2.0, 3.0, -1.5], [0.0, 0.0, 4.0, 2.0], [1.0, 2.0, -3.0, 0.5]])),
    op("cumprod_zeros", lambda m, x: [m.cumprod(x, dim=1), m.cumprod(x, dim=0)],
       fixed([[2.0, 0.0, 3.0, 0.0], [0.0, 0.0, 4.0, 2.0], [1.0, -2.0, 0.0, 0.5]])),
    # kinks at 0 where the two agree by design (elu's second derivative at 0 is left out:
    # gputensor takes the x <= 0 branch at both orders, torch mixes alpha and 0)
    op("kinks_at_zero", lambda m, x: [F(m).relu(x), m.abs(x) * x, F(m).leaky_relu(x, 0.2),
                                      m.clip(x, 0.0, 1.0), m.maximum(x, 0 * x), m.sign(x)],
       fixed([0.0, -0.0, 1.0, -1.0])),
    # -inf entries (masked attention), and a row -inf throughout (softmax NaN, logsumexp -inf)
    op("masked_softmax", lambda m, x, k: [F(m).softmax(m.where(k, -np.inf, x), dim=1),
                                          F(m).log_softmax(m.where(k, -np.inf, x), dim=1),
                                          m.logsumexp(m.where(k, -np.inf, x), dim=1)],
       lambda r: [r.standard_normal((4, 4)), np.array([[1, 0, 1, 0], [0, 0, 0, 0],
                                                       [1, 1, 1, 0], [1, 1, 1, 1]], bool)]),
    op("empty", lambda m, a, b: [a @ b, m.sum(a, dim=1), m.cumsum(a, dim=1), m.prod(a, dim=1),
                                 F(m).linear(a, b.mT)], "a0,0c"),
    op("max_min_random_ties", lambda m, x: [m.max(x, dim=(0, 2)), m.min(x, dim=1, keepdim=True),
                                            m.maximum(x, x[0]), m.minimum(x[:, :1], x)], "abc",
       tfn=lambda t, x: [t.amax(x, (0, 2)), t.amin(x, 1, keepdim=True), t.maximum(x, x[0]),
                         t.minimum(x[:, :1], x)], data="grid"),
    op("norm_inf_ties", lambda m, x: [m.linalg.norm(x, np.inf, 1), m.linalg.norm(x, -np.inf, 0)],
       "ab", data="grid"),
    op("prod_random_zeros", lambda m, x: [m.prod(x, dim=1), m.prod(x), m.cumprod(x, dim=-1)],
       "abc", data="grid"),
    # atan2's gradient at the origin is 0 on both sides (not 0/0); its second derivative
    # there is 0 in gputensor and NaN in torch, so only the first order is compared
    op("atan2_origin", lambda m, a, b: m.atan2(a, b), fixed([0.0, 0.0, 1.0], [0.0, -0.0, 0.0]),
       second=False),
    op("logsumexp_large", lambda m, x: [m.logsumexp(x, dim=0), F(m).softmax(x, dim=0)],
       fixed([1000.0, 1000.0, -1000.0, 999.0])),
    *[op(f"det_singular_{k}", lambda m, a: m.linalg.det(a), fixed(a), tfn=leibniz_det, tol=1e-7)
      for k, a in [("rank2", _normal((3, 2)) @ _normal((2, 3))), ("zeros", np.zeros((3, 3))),
                   ("rank1", _normal((3, 1)) @ _normal((1, 3))), ("tiny", np.diag([1e-9, 1e-9, 1])),
                   ("rank2_4x4", _normal((4, 2)) @ _normal((2, 4))),
                   ("exact", np.arange(1.0, 10.0).reshape(3, 3)),
                   ("batch", np.stack([np.ones((3, 3)), np.eye(3)]))]],
]


def _args(m, arrays, device):
    if m is gt:
        return [leaf(a, device) if a.dtype.kind == "f" else gt.tensor(a, device=device)
                for a in arrays]
    return [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]


def _outs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _np(t, like):
    """gputensor or torch tensor (None: an unused input, zeros) as NumPy."""
    if t is None:
        return np.zeros(like.shape)
    return t.detach().numpy(force=True) if isinstance(t, torch.Tensor) else host(t)


def _close(got, want, like, tol, what):
    got, want = _np(got, like), _np(want, like)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != torch's {want.shape}"
    scale = np.abs(want[np.isfinite(want)]).max(initial=0.0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * (1 + scale), err_msg=what)


def _grad(lib, outs, leaves, seeds, create_graph=False):
    """d <outs, seeds> / d leaves, None where unused (or where nothing requires grad)."""
    pairs = [(o, s) for o, s in zip(outs, seeds) if o is not None and o.requires_grad]
    if not pairs:
        return [None] * len(leaves)
    grad = gt.grad if lib is gt else torch.autograd.grad
    return list(grad([o for o, _ in pairs], leaves, grad_outputs=[s for _, s in pairs],
                     create_graph=create_graph, allow_unused=True))


def check(op_, arrays, device, rng):
    g_args, t_args = _args(gt, arrays, device), _args(torch, arrays, device)
    g_out = _outs(op_.fn(gt, *g_args))
    t_out = _outs((op_.tfn or op_.fn)(torch, *t_args))
    assert len(g_out) == len(t_out)
    for i, (g, t) in enumerate(zip(g_out, t_out)):
        assert g.dtype == gt.float64, f"output {i}: dtype {g.dtype}"
        _close(g, t, t, op_.tol, f"forward, output {i}")
        assert g.requires_grad == t.requires_grad, f"output {i}: requires_grad differs"
    lv = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    g_leaves, t_leaves = [g_args[i] for i in lv], [t_args[i] for i in lv]
    seeds = [rng.standard_normal(tuple(t.shape)) for t in t_out]
    g_seeds = [gt.tensor(s, device=device) for s in seeds]
    g1 = _grad(gt, g_out, g_leaves, g_seeds, create_graph=True)
    t1 = _grad(torch, t_out, t_leaves, [torch.tensor(s) for s in seeds], create_graph=True)
    for i, g, t in zip(lv, g1, t1):
        _close(g, t, arrays[i], op_.tol, f"gt.grad, input {i}")
    # .backward() on a fresh graph, once per output, accumulates the same gradient into .grad
    b_args = _args(gt, arrays, device)
    for o, s in zip(_outs(op_.fn(gt, *b_args)), g_seeds):
        if o.requires_grad:
            o.backward(s, retain_graph=True)
    for i, t in zip(lv, t1):
        _close(b_args[i].grad, t, arrays[i], op_.tol, f".backward(), input {i}")
    if not op_.second:
        return
    # second order: the gradient of <first-order gradient, v> for a random v
    vs = [rng.standard_normal(arrays[i].shape) for i in lv]
    g2 = _grad(gt, g1, g_leaves, [gt.tensor(v, device=device) for v in vs])
    t2 = _grad(torch, t1, t_leaves, [torch.tensor(v) for v in vs])
    for i, g, t in zip(lv, g2, t2):
        _close(g, t, arrays[i], op_.tol * 10, f"second order, input {i}")


@pytest.mark.parametrize("op_", OPS)
def test_matches_torch(op_, device):
    rng = np.random.default_rng(zlib.crc32(op_.name.encode()))
    for k in range(DRAWS):
        arrays = draw(op_, rng)
        shapes = [a.shape for a in arrays]
        try:
            check(op_, arrays, device, rng)
        except AssertionError as e:
            raise AssertionError(f"{op_.name}, draw {k}, input shapes {shapes}: {e}") from None
