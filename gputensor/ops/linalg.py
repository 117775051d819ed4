"""Linear algebra: matrix products and ``gt.linalg``'s inv / det / solve.

One row per operation. ``mm`` (2-D only), ``dot`` (1-D only) and ``bmm`` (3-D, equal batch)
are PyTorch's strict entry points to the one ``matmul`` row: they check their stricter shape
rules, then run ``matmul``. Shapes are checked in the public functions, so errors name the op
and the shapes (``matmul: shapes (2, 3) and (2, 3) do not align: 3 != 2``).

inv / det / solve compute in float32/float64: integer inputs give the default float dtype
(where NumPy gives float64), float16 is computed in float32 and returned as float16. A
singular matrix raises ``gt.linalg.LinAlgError`` (NumPy's class, a ``ValueError``) on every
backend (CuPy itself does not check).

Gradients: every row has its rule here. ``matmul`` undoes the 1-D promotions (a vector
operand gets a vector gradient) and leaves broadcast batch dims to the engine; ``einsum``'s
gradient of each operand is another einsum (ellipses, implicit outputs, repeated operands,
diagonals such as ``'ii->'`` and labels summed by one operand alone are handled);
``tensordot`` is differentiated as the einsum it is; ``inv``: ``-A^-T g A^-T``; ``det``:
``g adj(A)^T``, the internal ``cofactor`` op, whose own rule keeps det's second derivative
exact at singular and nearly singular A; ``solve``: both operands. The internal
``svd_reduced`` (used by ``norm`` and ``cofactor``) is differentiable for distinct singular
values.
"""

from __future__ import annotations

import math

import functools

import numpy as np

from .. import dtypes as dt
from ..backends import get_backend
from ..creation import as_tensor, eye
from ..tensor import TENSOR_TYPES, Tensor
from . import OpDef, apply, is_view_of, register, tensor_method
from . import movement as _mv
from .elementwise import where
from .join import concat
from .movement import broadcast_to, expand_dims, reshape, squeeze
from .reduce import exclusive_products, normalize_axes
from .reduce import sum as _sum

__all__ = ["matmul", "mm", "dot", "bmm", "outer", "tensordot", "einsum"]

#: Raised for singular matrices (NumPy's class: a ValueError).
LinAlgError = np.linalg.LinAlgError


def _operands(*xs) -> list:
    """Tensors for ``xs``; array-likes go to the device of the first tensor among them."""
    if all(type(x) in TENSOR_TYPES for x in xs):
        return xs
    device = next((x.device for x in xs if isinstance(x, Tensor)), None)
    return [x if isinstance(x, Tensor) else as_tensor(x, device=device) for x in xs]


# -- derivative rules -----------------------------------------------------------------------
def _mT(x: Tensor) -> Tensor:
    """The last two dims swapped (a view)."""
    return apply(_mv._SWAPAXES, x, axis1=x.ndim - 2, axis2=x.ndim - 1)


def _matmul_vjp(ctx, g):
    """a @ b: g @ b^T and a^T @ g with 1-D promotion undone (a vector operand gets a vector
    gradient); broadcast batch dims are summed down by the engine."""
    a, b = ctx.inputs
    na, nb = len(ctx.shapes[0]), len(ctx.shapes[1])
    need_a, need_b = ctx.needs
    ga = gb = None
    if na == 1 and nb == 1:  # dot: a scalar
        return (g * b if need_a else None), (g * a if need_b else None)
    if na == 1:  # (k,) @ (..., k, m) -> (..., m)
        g2 = expand_dims(g, -2)  # (..., 1, m)
        if need_a:
            ga = squeeze(matmul(g2, _mT(b)), -2)
        if need_b:
            gb = matmul(reshape(a, (a.shape[0], 1)), g2)
    elif nb == 1:  # (..., n, k) @ (k,) -> (..., n)
        g2 = expand_dims(g, -1)  # (..., n, 1)
        if need_a:
            ga = matmul(g2, reshape(b, (1, b.shape[0])))
        if need_b:
            gb = squeeze(matmul(_mT(a), g2), -1)
    else:
        if need_a:
            ga = matmul(g, _mT(b))
        if need_b:
            if nb == 2 and na > 2:  # batch @ matrix (a linear layer): one matmul, no batch
                rows = math.prod(a.shape[:-1])  # (not -1: a size-0 dim leaves it open)
                gb = matmul(_mT(reshape(a, (rows, a.shape[-1]))),
                            reshape(g, (rows, g.shape[-1])))
            else:
                gb = matmul(_mT(a), g)
    return ga, gb


def _outer_vjp(ctx, g):
    a, b = ctx.inputs
    ga = gb = None
    if ctx.needs[0]:
        ga = reshape(matmul(g, reshape(b, (-1,))), ctx.shapes[0])
    if ctx.needs[1]:
        gb = reshape(matmul(reshape(a, (-1,)), g), ctx.shapes[1])
    return ga, gb


# einsum: the gradient of each operand is another einsum of the output gradient and the other
# operands. Subscripts are first made explicit (ellipses replaced by letters, the implicit
# output spelled out); labels an operand sums on its own are broadcast back, and labels it
# repeats (a diagonal) are put back on the diagonal with identity matrices.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@functools.lru_cache(maxsize=512)
def _einsum_explicit(subscripts: str, shapes: tuple) -> tuple:
    """(input terms, output term) with every dimension named by one letter."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    free = [c for c in _LETTERS if c not in spec]
    n_ell = [len(s) - (len(t) - 3) if "..." in t else 0 for t, s in zip(terms, shapes)]
    width = max(n_ell, default=0)
    ell = "".join(free[:width])
    out_terms = [t.replace("...", ell[width - n:]) for t, n in zip(terms, n_ell)]
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts: dict = {}
        for t in terms:
            for c in t.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return tuple(out_terms), out


def _einsum_grads(terms, out: str, operands, g, needs) -> list:
    """The gradient of each operand (None where not needed) of einsum(terms -> out)."""
    grads = []
    for i, term in enumerate(terms):
        if not needs[i]:
            grads.append(None)
            continue
        x = operands[i]
        others = [t for j, t in enumerate(terms) if j != i]
        available = set(out).union(*others)
        unique = "".join(dict.fromkeys(term))
        size = {c: x.shape[term.index(c)] for c in unique}
        target = "".join(c for c in unique if c in available)
        spec = ",".join([out] + others) + "->" + target
        if spec == f"{out}->{out}":
            h = g
        else:
            h = apply(_EINSUM, g, *[operands[j] for j in range(len(terms)) if j != i],
                      subscripts=spec)
        # labels x broadcast (size 1) against the others: sum them back here
        wide = tuple(k for k, c in enumerate(target) if size[c] == 1 and h.shape[k] != 1)
        if wide:
            h = _sum(h, axis=wide, keepdims=True)
        # labels only x sums over: broadcast along them
        if len(target) != len(unique):
            h = reshape(h, tuple(size[c] if c in target else 1 for c in unique))
            h = broadcast_to(h, tuple(size[c] for c in unique))
        # repeated labels (a diagonal): h[i, ...] lands on x[i, i, ...] through identities
        if len(unique) != len(term):
            fresh = [c for c in _LETTERS if c not in "".join(terms) + out]
            spelled, eyes = "", []
            for c in term:
                if c in spelled:
                    f = fresh.pop(0)
                    eyes.append(c + f)
                    spelled += f
                else:
                    spelled += c
            eye_ts = [eye(size[e[0]], dtype=h.dtype, device=h.device) for e in eyes]
            h = apply(_EINSUM, h, *eye_ts, subscripts=",".join([unique] + eyes) + "->" + spelled)
        grads.append(h)
    return grads


def _einsum_vjp(ctx, g):
    ops = ctx.inputs
    terms, out = _einsum_explicit(ctx.attrs["subscripts"], tuple(ctx.shapes))
    return tuple(_einsum_grads(terms, out, ops, g, ctx.needs))


def _tensordot_vjp(ctx, g):
    """tensordot is einsum with generated subscripts; its rule is einsum's."""
    axes, (sa, sb) = ctx.attrs.get("axes", 2), ctx.shapes
    if isinstance(axes, (int, np.integer)):
        pa, pb = range(len(sa) - int(axes), len(sa)), range(int(axes))
    else:
        pa, pb = (normalize_axes("tensordot", ax, sh) for ax, sh in zip(axes, (sa, sb)))
    ta = _LETTERS[:len(sa)]
    tb = list(_LETTERS[len(sa):len(sa) + len(sb)])
    for i, j in zip(pa, pb):
        tb[j] = ta[i]
    tb = "".join(tb)
    out = "".join(c for k, c in enumerate(ta) if k not in pa)
    out += "".join(c for k, c in enumerate(tb) if k not in pb)
    return tuple(_einsum_grads((ta, tb), out, ctx.inputs, g, ctx.needs))


def _inv_vjp(ctx, g):
    """d inv(A) = -A^-1 dA A^-1, so the gradient is -A^-T g A^-T."""
    inv_t = _mT(ctx.out)
    return -matmul(matmul(inv_t, g), inv_t)


def _det_vjp(ctx, g):
    """d det(A) / dA = adj(A)^T, the cofactor matrix (an op of its own, so that the second
    derivative has a rule that stays exact at singular and nearly singular A)."""
    return reshape(g, g.shape + (1, 1)) * apply(_COFACTOR, ctx.inputs[0])


def _cofactor_vjp(ctx, g):
    """The gradient of <G, adj(A)^T> (det's second derivative), chosen per matrix. For a
    well conditioned A (``_conditioned``) it is tr(A^-1 G) C - C G^T A^-T with C = adj(A)^T,
    written with ops that are themselves differentiable everywhere near A. Nearly singular,
    that form cancels catastrophically (terms of size det |A^-1|^2), so there it comes from
    an SVD (``_cofactor_vjp_svd``), exact at singular A too."""
    a = ctx.inputs[0]
    n = a.shape[-1]
    if n < 2:  # adj of a 1x1 (or 0x0) matrix is constant
        return g * 0.0
    xp = get_backend(a.device).xp
    by_inverse = _conditioned(xp, _lapack(a._data).reshape(-1, n, n))
    if bool(by_inverse.all()):
        return _cofactor_vjp_inverse(a, g)
    if not bool(by_inverse.any()):
        return _cofactor_vjp_svd(a, g)
    # a batch of both kinds: each form on its own matrices, then back in batch order
    first, rest = xp.flatnonzero(by_inverse), xp.flatnonzero(~by_inverse)
    af, gf = reshape(a, (-1, n, n)), reshape(g, (-1, n, n))
    pick = [as_tensor(i, device=a.device) for i in (first, rest)]
    parts = concat([_cofactor_vjp_inverse(af[pick[0]], gf[pick[0]]),
                    _cofactor_vjp_svd(af[pick[1]], gf[pick[1]])], axis=0)
    order = as_tensor(xp.argsort(xp.concatenate([first, rest])), device=a.device)
    return reshape(parts[order], a.shape)


def _cofactor_vjp_inverse(a, g):
    c, inv_t = apply(_COFACTOR, a), _mT(apply(_INV, a))
    trace = _sum(inv_t * g, axis=(-2, -1), keepdims=True)  # tr(A^-1 G)
    return trace * c - matmul(matmul(c, _mT(g)), inv_t)


def _cofactor_vjp_svd(a, g):
    """From A = U S V^T and M = U^T G V without dividing by any singular value:
    det(U) det(V) U B V^T with B_kl = -M_lk P_kl (k != l), B_kk = sum_{i != k} M_ii P_ik,
    P_kl = prod_{j != k, l} s_j. Differentiating it again goes through the SVD's rule
    (distinct singular values)."""
    n = a.shape[-1]
    u, s, vh = svd_reduced(a)
    sgn = apply(_DET, u) * apply(_DET, vh)
    m = matmul(matmul(_mT(u), g), _mT(vh))
    diag = eye(n, dtype=bool, device=a.device)
    # P_kl: row k holds s with s_k left out, so its exclusive products leave out k and l
    p = where(diag, 0.0, exclusive_products(where(diag, 1.0, expand_dims(s, -2))))
    m_diag = _sum(where(diag, m, 0.0), axis=-1)
    b = where(diag, matmul(p, expand_dims(m_diag, -1)), 0.0) - p * _mT(m)
    return reshape(sgn, sgn.shape + (1, 1)) * matmul(matmul(u, b), vh)


def _solve_vjp(ctx, g):
    """x = A^-1 b: gb = A^-T g, gA = -gb x^T (vector b: an outer product per batch)."""
    a, x = ctx.inputs[0], ctx.out
    vector = len(ctx.shapes[1]) == 1
    at = _mT(a)
    if vector:
        gb = squeeze(apply(_SOLVE, at, expand_dims(g, -1)), -1)
        ga = -(expand_dims(gb, -1) * expand_dims(x, -2)) if ctx.needs[0] else None
    else:
        gb = apply(_SOLVE, at, g)
        ga = -matmul(gb, _mT(x)) if ctx.needs[0] else None
    return ga, (gb if ctx.needs[1] else None)


def _svd_vjp(ctx, gs):
    """Reduced SVD A = U diag(S) Vh (m x n, k = min(m, n)); PyTorch's formula, valid when the
    singular values are distinct (and nonzero where m != n):
    gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh, E_jk = S_k^2 - S_j^2
    (1 on the diagonal), plus (I - U U^T) gU S^-1 Vh when m > n, or
    U S^-1 gVh (I - V V^T) when m < n."""
    gu, gsv, gvh = gs
    u, s, vh = ctx.out
    m, n = ctx.shapes[0][-2:]
    k = s.shape[-1]
    if k == 0:
        return None
    s_row, s_col = expand_dims(s, -2), expand_dims(s, -1)
    uhgu = matmul(_mT(u), gu)
    uhgu = uhgu - _mT(uhgu)
    vhgv = matmul(vh, _mT(gvh))
    vhgv = vhgv - _mT(vhgv)
    s2 = s * s
    diag = eye(k, dtype=dt.bool_, device=s.device)
    e = where(diag, 1.0, expand_dims(s2, -2) - expand_dims(s2, -1))
    ga = (uhgu * s_row + s_col * vhgv) / e + expand_dims(gsv, -1) * eye(k, dtype=s.dtype,
                                                                        device=s.device)
    if m > n:
        ga = matmul(u, ga)
        gu_sinv = gu / where(s_row == 0, 1.0, s_row)
        ga = ga + gu_sinv - matmul(u, matmul(_mT(u), gu_sinv))
        return matmul(ga, vh)
    if m < n:
        ga = matmul(ga, vh)
        sinv_gvh = gvh / where(s_col == 0, 1.0, s_col)
        ga = ga + sinv_gvh - matmul(matmul(sinv_gvh, _mT(vh)), vh)
        return matmul(u, ga)
    return matmul(matmul(u, ga), vh)


# -- matmul and its strict PyTorch entry points ---------------------------------------------
_MATMUL = register(OpDef(
    "matmul", "matmul", kind="linalg", arity=2, vjp=_matmul_vjp,
    save=("x0", "x1"),
    doc="Matrix product with NumPy's rules (1-D promotion, batch broadcasting).",
    samples=({"shapes": [[(2, 3), (3, 4)], [(3,), (3,)], [(3,), (3, 4)], [(2, 3), (3,)],
                         [(5, 2, 3), (3,)], [(2, 1, 3, 4), (5, 4, 2)], [(0, 3), (3, 2)],
                         [(2, 0), (0, 3)]]},)))


def _check_matmul(op: str, sa: tuple, sb: tuple) -> None:
    if not sa or not sb:
        raise ValueError(f"{op}: shapes {sa} and {sb}: 0-d tensors cannot be "
                         "matrix-multiplied; use multiply (*) for scalars")
    ka = sa[-1]
    kb = sb[-2] if len(sb) >= 2 else sb[0]
    if ka != kb:
        raise ValueError(f"{op}: shapes {sa} and {sb} do not align: {ka} != {kb}")
    if len(sa) < 3 or len(sb) < 3:
        return  # at most one operand has batch dims: nothing to broadcast
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"{op}: shapes {sa} and {sb}: the batch dimensions {sa[:-2]} and "
                         f"{sb[:-2]} cannot be broadcast together") from None


@tensor_method("matmul")
def matmul(a, b) -> Tensor:
    """Matrix product ``a @ b`` with NumPy's rules.

    1-D operands are promoted (a vector on the left is a row, on the right a column, and the
    added axis is removed again); leading batch axes broadcast: ``(5, 2, 3) @ (3,)`` gives
    ``(5, 2)``. Integer tensors give an integer result. 0-d operands are refused.

    >>> gt.matmul(gt.ones(5, 2, 3), gt.ones(3)).shape
    (5, 2)
    """
    a, b = _operands(a, b)
    _check_matmul("matmul", a.shape, b.shape)
    return apply(_MATMUL, a, b)


@tensor_method("mm")
def mm(a, b) -> Tensor:
    """Product of two 2-D tensors (matrices) only, as PyTorch's ``mm``; see ``matmul``.

    >>> gt.mm(gt.ones(2, 3), gt.ones(3, 4)).shape
    (2, 4)
    """
    a, b = _operands(a, b)
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected 2-D tensors (matrices), got shapes {a.shape} and "
                         f"{b.shape}; mm is 2-D only, use matmul (or @) for other shapes")
    _check_matmul("mm", a.shape, b.shape)
    return apply(_MATMUL, a, b)


@tensor_method("dot")
def dot(a, b) -> Tensor:
    """Inner product of two 1-D tensors (vectors) only, as PyTorch's ``dot``: a 0-d result.

    >>> gt.dot(gt.tensor([1., 2.]), gt.tensor([3., 4.])).item()
    11.0
    """
    a, b = _operands(a, b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected 1-D tensors (vectors), got shapes {a.shape} and "
                         f"{b.shape}; dot is 1-D only, use matmul (or @) for matrices")
    _check_matmul("dot", a.shape, b.shape)
    return apply(_MATMUL, a, b)


@tensor_method("bmm")
def bmm(a, b) -> Tensor:
    """Batched matrix product of ``(B, n, k)`` and ``(B, k, m)`` tensors (no broadcasting).

    >>> gt.bmm(gt.ones(4, 2, 3), gt.ones(4, 3, 5)).shape
    (4, 2, 5)
    """
    a, b = _operands(a, b)
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: expected 3-D tensors (batches of matrices), got shapes "
                         f"{a.shape} and {b.shape}; use matmul (or @) for other shapes")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: shapes {a.shape} and {b.shape} "
                         f"({a.shape[0]} != {b.shape[0]}); bmm does not broadcast, matmul "
                         "does")
    _check_matmul("bmm", a.shape, b.shape)
    return apply(_MATMUL, a, b)


# -- outer, tensordot, einsum ---------------------------------------------------------------
_OUTER = register(OpDef(
    "outer", "outer", kind="linalg", arity=2, vjp=_outer_vjp,
    save=("x0", "x1"),
    doc="Outer product of the flattened inputs.",
    samples=({"shapes": [[(3,), (4,)], [(2, 2), (3,)], [(0,), (3,)], [(), (2,)]]},)))


@tensor_method("outer")
def outer(a, b) -> Tensor:
    """Outer product ``out[i, j] = a[i] * b[j]``; inputs are flattened first (NumPy).

    >>> gt.outer(gt.tensor([1, 2]), gt.tensor([1, 10, 100])).tolist()
    [[1, 10, 100], [2, 20, 200]]
    """
    a, b = _operands(a, b)
    return apply(_OUTER, a, b)


_TENSORDOT = register(OpDef(
    "tensordot", "tensordot", kind="linalg", arity=2,
    vjp=_tensordot_vjp, save=("x0", "x1"),
    doc="Sum of products over the given axes of a and b.",
    samples=({"axes": 1, "shapes": [[(2, 3), (3, 4)]]},
             {"axes": 2, "shapes": [[(2, 3, 4), (3, 4, 5)]]},
             {"axes": 0, "shapes": [[(2,), (3,)]]},
             {"axes": ((0,), (1,)), "shapes": [[(3, 2), (4, 3)]]},
             {"axes": ((1, 0), (0, 1)), "shapes": [[(2, 3, 4), (3, 2)]]})))


def tensordot(a, b, axes=2) -> Tensor:
    """Sum of products over axes: ``axes=n`` pairs the last n axes of ``a`` with the first n
    of ``b``; ``axes=(axes_a, axes_b)`` names them (ints or sequences, negative allowed).

    >>> gt.tensordot(gt.ones(2, 3, 4), gt.ones(3, 4, 5), axes=2).shape
    (2, 5)
    """
    a, b = _operands(a, b)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, (bool, np.bool_)):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={n} must be between 0 and the smaller number "
                             f"of dimensions of shapes {a.shape} and {b.shape}")
        pa, pb = tuple(range(a.ndim - n, a.ndim)), tuple(range(n))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        pa = normalize_axes("tensordot", axes[0], a.shape)
        pb = normalize_axes("tensordot", axes[1], b.shape)
        if pa is None or pb is None or len(pa) != len(pb):
            raise ValueError(f"tensordot: axes={axes!r} must name as many axes of a as of b")
    else:
        raise TypeError(f"tensordot: axes must be an int or a pair (axes_a, axes_b), got "
                        f"{axes!r}")
    for i, j in zip(pa, pb):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: shapes {a.shape} and {b.shape} do not align: axis "
                             f"{i} of a has size {a.shape[i]} but axis {j} of b has size "
                             f"{b.shape[j]}")
    return apply(_TENSORDOT, a, b, axes=(pa, pb))


def _einsum_fwd(xp, *operands, subscripts):
    r = xp.einsum(subscripts, *operands)
    for x in operands:  # a transpose or a diagonal comes back as a view: einsum is no view op
        if is_view_of(r, x):
            return r.copy()
    return r


_EINSUM = register(OpDef(
    "einsum", _einsum_fwd, kind="linalg", arity=None,
    vjp=_einsum_vjp, save=("x*",),
    doc="Einstein summation over the operands, as numpy.einsum.",
    samples=({"subscripts": "ij,jk->ik", "shapes": [[(2, 3), (3, 4)]]},
             {"subscripts": "bij,bjk->bik", "shapes": [[(2, 2, 3), (2, 3, 4)]]},
             {"subscripts": "ii->", "shapes": [[(3, 3)]]},
             {"subscripts": "ij->ji", "shapes": [[(2, 3)], [(0, 2)]]},
             {"subscripts": "i,i->", "shapes": [[(4,), (4,)]]},
             {"subscripts": "i,j->ij", "shapes": [[(2,), (3,)]]},
             {"subscripts": "...ij,...jk->...ik", "shapes": [[(2, 2, 3), (3, 4)]]},
             {"subscripts": "ij,jk,kl->il", "shapes": [[(2, 3), (3, 4), (4, 2)]]})))


def _check_einsum(subscripts: str, operands) -> None:
    lhs = subscripts.replace(" ", "").split("->")[0]
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but "
                         f"{len(operands)} were given")
    sizes: dict = {}
    for k, (term, t) in enumerate(zip(terms, operands)):
        if "." in term:
            continue  # ellipsis broadcasting: left to the array module
        if len(term) != t.ndim:
            raise ValueError(f"einsum: operand {k} has {t.ndim} dimension(s) (shape "
                             f"{t.shape}) but its subscripts {term!r} name {len(term)}")
        for label, n in zip(term, t.shape):
            seen = sizes.setdefault(label, (n, k))
            if seen[0] != n and 1 not in (seen[0], n):
                raise ValueError(f"einsum: label {label!r} has size {seen[0]} in operand "
                                 f"{seen[1]} (shape {operands[seen[1]].shape}) but {n} in "
                                 f"operand {k} (shape {t.shape})")


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation, as ``numpy.einsum``: ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    The operands may also be given as one list (PyTorch's ``einsum(eq, [a, b])``).

    >>> gt.einsum('ii->', gt.eye(3)).item()
    3.0
    """
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: the first argument must be the subscripts string "
                        f"(e.g. 'ij,jk->ik'), got {type(subscripts).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError(f"einsum: no operands given for subscripts {subscripts!r}")
    operands = _operands(*operands)
    _check_einsum(subscripts, operands)
    return apply(_EINSUM, *operands, subscripts=subscripts)


# -- inv, det, solve (gt.linalg) ------------------------------------------------------------
def _lapack(a):
    """LAPACK/cuSOLVER have no float16: compute it in float32 (the caller casts back)."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _check_finite(op: str, xp, out, *inputs) -> None:
    """A singular matrix gives inf/nan on backends that do not check (CuPy): say so."""
    if not bool(xp.isfinite(out).all()) and all(bool(xp.isfinite(x).all()) for x in inputs):
        raise LinAlgError(f"{op}: matrix is singular (not invertible); shape "
                          f"{inputs[0].shape}")


def _inv_fwd(xp, a):
    x = _lapack(a)
    if x.size == 0:
        out = xp.zeros(x.shape, x.dtype)
    else:
        try:
            out = xp.linalg.inv(x)
        except LinAlgError:
            raise LinAlgError(f"inv: matrix is singular (not invertible); shape "
                              f"{a.shape}") from None
        _check_finite("inv", xp, out, x)
    return out.astype(a.dtype, copy=False)


def _det_fwd(xp, a):
    return xp.linalg.det(_lapack(a)).astype(a.dtype, copy=False)


def _cofactor_fwd(xp, a):
    """adj(A)^T, per matrix: det(A) A^-T where det(A) != 0 (exact to rounding even nearly
    singular: the inverse's large errors lie along what det scales away), else from an SVD
    A = U S V^T as det(U) det(V) U diag(prod_{j != i} s_j) V^T, exact at singular A. A
    matrix with NaN or inf entries gives NaN."""
    x = _lapack(a)
    n = x.shape[-1]
    if x.size == 0 or n == 1:
        return xp.ones(x.shape, a.dtype)
    flat = x.reshape(-1, n, n)
    with np.errstate(all="ignore"):  # (NaN entries give NaN)
        det = xp.linalg.det(flat)
    direct = (det != 0) | ~xp.isfinite(flat).all(axis=(-2, -1))
    if bool(direct.all()):
        out = _det_inv_t(xp, flat, det)
    else:
        out = xp.empty_like(flat)
        if bool(direct.any()):
            out[direct] = _det_inv_t(xp, flat[direct], det[direct])
        out[~direct] = _svd_cofactor(xp, flat[~direct])
    return out.reshape(x.shape).astype(a.dtype, copy=False)


def _det_inv_t(xp, x, det):
    with np.errstate(all="ignore"):  # (NaN entries give NaN)
        return det[:, None, None] * xp.swapaxes(xp.linalg.inv(x), -1, -2)


def _svd_cofactor(xp, x):
    n = x.shape[-1]
    u, s, vh = xp.linalg.svd(x)
    others = xp.where(xp.eye(n, dtype=bool), 1, s[..., None, :]).prod(axis=-1)
    sgn = xp.linalg.det(u) * xp.linalg.det(vh)
    return ((u * others[..., None, :]) @ vh) * sgn[..., None, None]


def _conditioned(xp, x):
    """Per matrix of the batch ``x`` (B, n, n): True where formulas through the inverse lose
    at most about eps^(2/3) to cancellation (1-norm condition number below eps^(-1/3):
    about 1.7e5 in float64, 200 in float32), and where an entry is NaN or inf (NaN either
    way); False for singular and badly conditioned matrices."""
    finite = xp.isfinite(x).all(axis=(-2, -1))
    with np.errstate(all="ignore"):
        regular = finite & (xp.linalg.det(x) != 0)
    out = ~finite
    if bool(regular.any()):
        y = x[regular]
        cond = _norm1(xp, y) * _norm1(xp, xp.linalg.inv(y))
        out[regular] = cond < float(np.finfo(x.dtype).eps) ** (-1 / 3)
    return out


def _norm1(xp, x):
    """The matrix 1-norm (largest column sum of magnitudes) of each matrix of a batch."""
    return xp.abs(x).sum(axis=-2).max(axis=-1)


def _cofactor_ref(a):
    """adj(A)^T by signed minors, in float64 (the test reference)."""
    a = np.asarray(a, np.float64)
    n = a.shape[-1]
    out = np.ones(a.shape)
    if n > 1:
        for i in range(n):
            for j in range(n):
                minor = np.delete(np.delete(a, i, -2), j, -1)
                out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


def _solve_fwd(xp, a, b):
    """NumPy 2 rules: ``b`` is a vector only when 1-D, else a (batch of) (n, k) matrices;
    batch axes broadcast. Written with explicit broadcasting so CuPy sees full batches."""
    dtype = a.dtype
    x, y = _lapack(a), _lapack(b)
    vector = y.ndim == 1
    if vector:
        y = y[:, None]
    batch = np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    if x.shape[:-2] != batch:  # real copies: cuSOLVER wants whole, contiguous batches
        x = xp.ascontiguousarray(xp.broadcast_to(x, batch + x.shape[-2:]))
    if y.shape[:-2] != batch:
        y = xp.ascontiguousarray(xp.broadcast_to(y, batch + y.shape[-2:]))
    if x.size == 0 or y.size == 0:
        out = xp.zeros(batch + y.shape[-2:], x.dtype)
    else:
        try:
            out = xp.linalg.solve(x, y)
        except LinAlgError:
            raise LinAlgError(f"solve: matrix a is singular (not invertible); shape "
                              f"{a.shape}") from None
        _check_finite("solve", xp, out, x, y)
    return (out[..., 0] if vector else out).astype(dtype, copy=False)


def _wide(*arrays):
    return [x.astype(np.float64) for x in arrays]


_SQUARE = [[(3, 3)], [(2, 3, 3)], [(1, 1)], [(0, 0)]]
_INV = register(OpDef("inv", _inv_fwd, kind="linalg", kinds="iuf", policy="float",
                      vjp=_inv_vjp, save=("out",),
                      domain="invertible", samples=({"shapes": _SQUARE},),
                      ref=lambda a: np.linalg.inv(*_wide(a)),
                      doc="Inverse of a square matrix (or of each in a batch)."))
_DET = register(OpDef("det", _det_fwd, kind="linalg", kinds="iuf", policy="float",
                      vjp=_det_vjp, save=("x0",),
                      domain="invertible", samples=({"shapes": _SQUARE},),
                      ref=lambda a: np.linalg.det(*_wide(a)),
                      doc="Determinant of a square matrix (or of each in a batch)."))
_COFACTOR = register(OpDef("cofactor", _cofactor_fwd, kind="linalg", kinds="f",
                           vjp=_cofactor_vjp, save=("x0",),
                           samples=({"shapes": [[(3, 3)], [(2, 4, 4)], [(2, 2)], [(1, 1)],
                                                [(0, 0)]]},),
                           ref=_cofactor_ref,
                           doc="The cofactor matrix adj(A)^T (det's gradient)."))
_SOLVE = register(OpDef("solve", _solve_fwd, kind="linalg", arity=2, kinds="iuf",
                        vjp=_solve_vjp, save=("x0", "out"),
                        policy="float", domain="invertible",
                        samples=({"shapes": [[(3, 3), (3,)], [(3, 3), (3, 2)],
                                             [(2, 3, 3), (2, 3, 1)], [(2, 3, 3), (3,)],
                                             [(2, 3, 3), (3, 2)], [(0, 0), (0,)]]},),
                        ref=lambda a, b: np.linalg.solve(*_wide(a, b)),
                        doc="Solution x of a @ x = b."))


def _check_square(op: str, shape: tuple, what: str = "") -> None:
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{op}: expected a square matrix{what} or a batch of them (shape "
                         f"(..., n, n)), got shape {shape}")


@tensor_method("inverse")
def inv(a) -> Tensor:
    """Inverse of a square matrix, or of each matrix of a batch ``(..., n, n)``.

    A singular matrix raises ``gt.linalg.LinAlgError`` (a ValueError). Integer inputs give
    the default float dtype.

    >>> gt.linalg.inv(gt.tensor([[2., 0.], [0., 4.]])).tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    (a,) = _operands(a)
    _check_square("inv", a.shape)
    return apply(_INV, a)


@tensor_method("det")
def det(a) -> Tensor:
    """Determinant of a square matrix, or of each matrix of a batch ``(..., n, n)``.

    Gradient: the cofactor matrix ``det(A) A^-T``. For a singular or badly conditioned A
    it is computed from an SVD instead of the inverse: nonzero for rank n-1 (the
    determinant still moves to first order), zero for lower rank; no error and no NaN.
    Second derivatives are exact there too.

    >>> gt.linalg.det(gt.tensor([[1., 2.], [3., 4.]])).item()
    -2.0
    """
    (a,) = _operands(a)
    _check_square("det", a.shape)
    return apply(_DET, a)


def solve(a, b) -> Tensor:
    """The ``x`` with ``a @ x == b`` for a square ``a`` (``(..., n, n)``).

    ``b`` is a vector when it is 1-D (shape ``(n,)``), otherwise a matrix ``(..., n, k)``;
    batch axes broadcast (NumPy 2 rules). A singular ``a`` raises ``gt.linalg.LinAlgError``.

    >>> gt.linalg.solve(gt.tensor([[2., 0.], [0., 4.]]), gt.tensor([2., 2.])).tolist()
    [1.0, 0.5]
    """
    a, b = _operands(a, b)
    _check_square("solve", a.shape, " a")
    n = a.shape[-1]
    if b.ndim == 0:
        raise ValueError(f"solve: b must be a vector (n,) or matrices (..., n, k), got a 0-d "
                         f"tensor (a has shape {a.shape})")
    rows = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if rows != n:
        want = f"({n},) or (..., {n}, k)"
        raise ValueError(f"solve: shapes {a.shape} and {b.shape} do not align: a has {n} "
                         f"rows but b has {rows} (b must have shape {want})")
    if b.ndim > 1:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise ValueError(f"solve: shapes {a.shape} and {b.shape}: the batch dimensions "
                             f"{a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast "
                             "together") from None
    return apply(_SOLVE, a, b)


# -- reduced SVD: used by the derivative rules of norm (2, -2, 'nuc') and det -----------------
def _svd_fwd(xp, a):
    """U (..., m, k), S (..., k), Vh (..., k, n), k = min(m, n), with a sign convention that
    does not depend on the backend: the largest-magnitude entry of each column of U is
    positive (the matching row of Vh flips with it)."""
    x = _lapack(a)
    m, n = x.shape[-2:]
    k = min(m, n)
    if x.size == 0:
        batch = x.shape[:-2]
        return (xp.zeros(batch + (m, k), a.dtype), xp.zeros(batch + (k,), a.dtype),
                xp.zeros(batch + (k, n), a.dtype))
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    pick = xp.take_along_axis(u, xp.argmax(xp.abs(u), axis=-2)[..., None, :], axis=-2)
    flip = xp.where(pick < 0, -1.0, 1.0).astype(u.dtype)  # (..., 1, k)
    u, vh = u * flip, vh * xp.swapaxes(flip, -1, -2)
    return tuple(t.astype(a.dtype, copy=False) for t in (u, s, vh))


_SVD = register(OpDef("svd", _svd_fwd, kind="linalg", kinds="f", vjp=_svd_vjp, save=("out",),
                      samples=({"shapes": [[(3, 3)], [(4, 3)], [(2, 4)], [(2, 3, 2)],
                                           [(0, 3)]]},),
                      doc="Reduced singular value decomposition (U, S, Vh)."))


def svd_reduced(a) -> list:
    """``[U, S, Vh]`` with ``a == U @ diag(S) @ Vh``, ``k = min(m, n)`` singular values in
    descending order (NumPy's ``svd(a, full_matrices=False)``), signs fixed so that the
    largest-magnitude entry of each column of U is positive. Differentiable when the
    singular values are distinct. Internal for now (the derivative rules of ``norm`` and
    ``det`` use it); not exported as ``gt.linalg.svd``.

    >>> [t.shape for t in svd_reduced(gt.ones(4, 3))]
    [(4, 3), (3,), (3, 3)]
    """
    (a,) = _operands(a)
    if a.ndim < 2:
        raise ValueError(f"svd: expected a matrix or a batch of them (shape (..., m, n)), got "
                         f"shape {a.shape}")
    return apply(_SVD, a)
