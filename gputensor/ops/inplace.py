"""In-place writes: ``t[idx] = v``, ``copy_``, ``fill_``, ``zero_`` and the ``add_`` family.

Each writes into the tensor's own storage (so views see it) and bumps the version counter
shared with its views, which autodiff checks before using saved tensors. The ``op_`` methods
compute the out-of-place op and write its result back: the result must keep the tensor's
shape (``t.add_(x)`` cannot broadcast ``t`` itself) and be castable to its dtype without
changing kind (``int_t.div_(2)`` and ``int_t += 0.5`` raise ``TypeError``, as in PyTorch).
A refused call changes nothing.

Autograd, as PyTorch:

- A leaf tensor that requires grad refuses in-place changes outside ``gt.no_grad()``.
- On a tensor that is part of the graph (a non-leaf that requires grad), or when the value
  written requires grad, the out-of-place op is recorded as usual, its result is written into
  the tensor's storage, the version counter is bumped, and the tensor is re-linked to the new
  node (``t.grad_fn`` changes): later ops see the updated history and gradients stay correct.
  Where the op's rule keeps its first input (``mul_``, ``pow_``...), the old value is copied
  first so the node keeps it. ``t[idx] = v`` is recorded as the ``index_put`` row (the
  gradient of the old value is zero at ``idx``; ``v`` gets the gradient at ``idx``, summed
  over broadcasting), ``copy_``/``fill_``/``zero_`` as ``index_put`` at ``...``.
- Through a *view* (``t[0].add_(1)``, ``t.T.mul_(2)``, and so ``t[0] += 1``, which Python
  runs as ``t[0].__iadd__(1)`` first): the tensor the view was taken from (through any
  chain of view ops) is re-linked, as PyTorch's CopySlices: its new history is its old one
  with the changed values put where the view looks (``index_put`` at the view's positions),
  and the view becomes the same view of it. Other views of it taken before are taken again
  from the new history when a recorded op next uses them; so is a view that does not
  require grad (taken under ``no_grad()``, or before its base did) when its base does. A
  view of a leaf that requires grad refuses the change (it would change the leaf), as does
  a tensor that shares memory without a view op having made it (``detach()``).
- Changing a tensor that a recorded node saved makes that backward raise ``RuntimeError``
  naming the op (version counters), instead of returning a wrong gradient.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from ..backends import get_backend
from ..creation import _to_array
from ..tensor import Tensor
from . import OpDef, apply, register
from . import elementwise as ew
from . import tensor_method
from .movement import _GETITEM, _index_arrays

__all__ = ["setitem"]


def _value_array(t, value, op: str):
    """``value`` as an array on ``t``'s device, cast to ``t``'s dtype (same-kind casts only)."""
    if isinstance(value, Tensor):
        if value.device != t.device:
            raise RuntimeError(f"{op}: value is on {value.device} but the tensor is on "
                               f"{t.device}; move it with .to({str(t.device)!r})")
        arr = value._data
    elif type(value) in (int, float, bool):
        kind = {bool: "b", int: "i", float: "f"}[type(value)]
        if "biuf".index(kind) > "biuf".index(t.dtype.kind) and not (
                kind == "i" and t.dtype.kind == "u"):
            raise TypeError(f"{op}: cannot write a Python {type(value).__name__} into a "
                            f"{t.dtype} tensor without losing information; cast first")
        return value
    else:
        arr = _to_array(value, None, get_backend(t.device))
    if not np.can_cast(arr.dtype, t.dtype, "same_kind"):
        raise TypeError(f"{op}: the result dtype {arr.dtype} cannot be written into the "
                        f"{t.dtype} tensor in place (only casts within a kind are allowed); "
                        f"use the out-of-place op or cast the tensor first")
    return arr


_NO_KWARGS: dict = {}  # shared, never written


def _check_leaf(t, op: str):
    if t._requires_grad and t._node is None and autograd.is_grad_enabled():
        raise RuntimeError(f"{op}: a leaf tensor that requires grad cannot be changed in "
                           "place; wrap the update in gt.no_grad()")


def _bump(t):
    t._version_counter()[0] += 1


# -- autograd: recording in-place changes -----------------------------------------------------
def _wants_grad(v) -> bool:
    return getattr(v, "_requires_grad", False)


def _tracked(t, values=()) -> bool:
    """Whether an in-place change of ``t`` by ``values`` must be recorded in the graph: also
    for a view that does not require grad (taken under ``no_grad()``, or before its base
    did) of a base that does: the change goes into the base."""
    if not autograd.is_grad_enabled():
        return False
    if t._requires_grad or any(_wants_grad(v) for v in values):
        return True
    return t._view_of is not None and _is_view(t) and _view_root(t)[0]._requires_grad


def _is_view(t) -> bool:
    """``t`` shares the storage of another tensor: it has a base array (or was made by a
    view op that gave back its input's very array) and the version counter it got from its
    base (views made by a view op, recorded or not)."""
    if t._version is None or (t._data.base is None and t._view_of is None):
        return False
    return t._node is None or t._node.op.view


def _view_root(t):
    """The tensor a view was (directly or through other views) taken from, and the view
    ops from it to ``t`` as ``[(op, attrs, output index or None), ...]``."""
    chain = []
    while t._view_of is not None:
        t, *how = t._view_of
        chain.append(how)
    chain.reverse()
    return t, chain


def _check_view(t, op: str):
    """Refuse, before anything changes, a recorded in-place change through a view that
    cannot be recorded: a view of a leaf that requires grad (as PyTorch), or a tensor that
    shares memory with one it does not know (no view op made it)."""
    if not _is_view(t):
        return
    if t._view_of is None:
        raise RuntimeError(
            f"{op}: in-place change of a tensor that shares memory with another while autograd "
            "records it (the tensor or the value requires grad), and no view op made it, so "
            "the other tensor's history cannot be rewritten; clone() it first, or do it under "
            "gt.no_grad()")
    root, _ = _view_root(t)
    if root._requires_grad and root._node is None:
        raise RuntimeError(
            f"{op}: a view of a leaf tensor that requires grad cannot be changed in place "
            "(the change would go into the leaf); clone() the leaf first, or wrap the update "
            "in gt.no_grad()")
    if root._requires_grad and not t._requires_grad:
        retake_view(t)  # taken under no_grad() or before its base required grad: link it


def _replay(x, chain):
    """Apply the view ops of ``chain`` (from ``_view_root``) to ``x``: the same view of it."""
    for op, attrs, i in chain:
        x = apply(op, x, **attrs)
        if i is not None:
            x = x[i]
    return x


def _rebase(view, result) -> None:
    """After ``result`` was written into ``view``: the tensor it was taken from (its root)
    now stands in the graph for its old value with ``result`` put where the view looks, as
    PyTorch's CopySlices; the view becomes that view of the new root. Other views of the
    root taken before are taken again when a recorded op uses them (``retake_view``)."""
    from .movement import reshape

    root, chain = _view_root(view)
    with autograd.no_grad():  # which elements of the root the view holds, as flat positions
        positions = _replay(Tensor._make(get_backend(root._device).xp.arange(
            root._data.size).reshape(root._data.shape), root._device), chain)._data
    if result._data.dtype != root._data.dtype:
        result = ew.cast(result, root.dtype)
    old = Tensor._make(root._data, root._device)  # the root's old history (its data: any)
    old._node, old._out_idx, old._requires_grad = root._node, root._out_idx, root._requires_grad
    new = apply(_INDEX_PUT, reshape(old, (-1,)), result, index=positions)
    _relink(root, reshape(new, root.shape))
    retake_view(view)


def retake_view(view) -> None:
    """Link ``view`` to the view ops applied to its root's current history (after the root
    got a new one; the view's values are the root's memory already)."""
    root, chain = _view_root(view)
    fresh = _replay(root, chain)
    _adopt(view, fresh._node, fresh._out_idx)
    view._hist_version = root._version_counter()[1]


def _relink(t, result) -> None:
    """After ``result`` was written into ``t``: ``t`` now stands for ``result`` in the graph
    (through its root when ``t`` is a view: ``_rebase``)."""
    if t._view_of is not None and _is_view(t):
        return _rebase(t, result)
    if isinstance(result, Tensor) and result._requires_grad and result._node is not None:
        _adopt(t, result._node, result._out_idx)
    else:  # the new value does not depend differentiably on anything: t is a constant now
        _adopt(t, None, 0)
    counter = t._version_counter()
    counter[1] += 1  # a new history for this storage: views taken before it are retaken
    t._hist_version = counter[1]


def _adopt(t, node, idx: int) -> None:
    """``t`` becomes output ``idx`` of ``node`` (None: a constant); ``.grad`` of a tensor
    that retains it follows."""
    old_node, old_idx = t._node, t._out_idx
    t._node, t._out_idx, t._requires_grad = node, idx, node is not None
    if t._retains_grad and old_node is not None:  # .grad follows the newest version
        if old_node.retained:
            old_node.retained.pop(old_idx, None)
        if node is not None:
            t.retain_grad()


def _saves_self(fn) -> bool:
    """Does the op behind public function ``fn`` keep its first input for backward?"""
    op = getattr(fn, "op", None)
    return op is None or op.save_inputs is True or 0 in op.save_inputs


def _snapshot(t, op: str):
    """A copy of ``t``'s current value carrying ``t``'s place in the graph: what an op that
    saves its input keeps, so that writing into ``t`` afterwards does not change it."""
    if t._node is not None and t._version is not None and t._version[1] != t._hist_version:
        autograd.engine.refresh_view(op, t)  # a view taken before its base's new history
    s = Tensor._make(t._data.copy(), t._device)
    if t._requires_grad:
        s._node, s._out_idx, s._requires_grad = t._node, t._out_idx, True
    return s


def _commit(t, result, op: str) -> "Tensor":
    """Write ``result`` (a Tensor the graph recorded) into ``t``, bump, re-link ``t``."""
    _value_array(t, result, op)  # device and dtype-kind checks: raise before any change
    if result.shape != t.shape:
        _shape_error(t, result.shape, op)
    if result.dtype != t.dtype and result._requires_grad:
        result = ew.cast(result, t.dtype)  # recorded: the gradient is cast back
    t._data[...] = result._data
    _bump(t)
    _relink(t, result)
    return t


def _shape_error(t, shape, op: str):
    raise ValueError(f"{op}: the result has shape {shape} but the tensor being updated in "
                     f"place has shape {t.shape}; an in-place op cannot broadcast the tensor "
                     f"itself")


def inplace_op(t, fn, op: str, args=(), kwargs=None, saves_self: bool = True) -> "Tensor":
    """``t = fn(t, *args, **kwargs)`` written into ``t``'s storage; returns ``t``. The one
    path of the ``op_`` methods and augmented operators (``+=``).

    The change is recorded when ``t`` or an operand requires grad. ``saves_self``: whether
    the op keeps its first input for backward: then it is given a copy of the old value
    (also where ``t`` itself is an operand, ``t *= t``).

    >>> t = gt.ones(2); inplace_op(t, gt.multiply, "mul_", (3,)).tolist()
    [3.0, 3.0]
    """
    grad_on = autograd.is_grad_enabled()
    if grad_on:
        _check_leaf(t, op)  # before computing: a refused update does nothing
    kwargs = kwargs or _NO_KWARGS
    if not grad_on or not _tracked(t, args + tuple(kwargs.values()) if kwargs else args):
        if not kwargs and len(args) == 1 and _into(t, fn, args[0]):
            return t
        return update(t, fn(t, *args, **kwargs), op)
    _check_view(t, op)
    if saves_self:
        src = _snapshot(t, op)
        args = tuple(src if a is t else a for a in args)
        kwargs = {k: src if v is t else v for k, v in kwargs.items()}
    else:
        src = t
    return _commit(t, fn(src, *args, **kwargs), op)


def _into(t, fn, other) -> bool:
    """The untracked fast path: run ``fn``'s op with ``out=`` straight into ``t``'s storage
    when that gives exactly what computing it and copying it back would (an op whose forward
    is an array-module function keeping the dtype, an operand of ``t``'s dtype and device or
    a Python scalar that cannot change it). False when it does not apply."""
    op = getattr(fn, "op", None)
    if op is None or not isinstance(op.fwd, str) or op.policy != "same" or op.arity != 2:
        return False
    kind = t._data.dtype.kind
    if isinstance(other, Tensor):
        if (other._device is not t._device and other._device != t._device) \
                or other._data.dtype != t._data.dtype:
            return False
        if other._data is not t._data and other._version is not None \
                and other._version is t._version:
            return False  # overlapping views: not every backend computes those in place
        y = other._data
    elif (type(other) is float and kind == "f") or (type(other) is int and kind in "iuf"):
        y = other
    else:
        return False
    backend = t._device.backend or get_backend(t._device)
    try:
        if backend.ctx is None:
            backend.impl(op)(t._data, y, out=t._data)
        else:
            with backend.ctx:
                backend.impl(op)(t._data, y, out=t._data)
    except (ValueError, TypeError, OverflowError):  # e.g. the operand does not broadcast to t:
        return False                                # the general path says why
    _bump(t)
    return True


def update(t, result, op: str) -> "Tensor":
    """Write an op's ``result`` into ``t`` in place, bump its version; when autograd records
    the change (``t`` or ``result`` requires grad), ``t`` is re-linked to ``result``'s node.

    >>> t = gt.ones(2); update(t, t * 3, "mul_").tolist()
    [3.0, 3.0]
    """
    _check_leaf(t, op)
    if _tracked(t, (result,)):
        if not isinstance(result, Tensor):  # a constant: t's old value gets no gradient
            _put_tracked(t, Ellipsis, result, op)
            return t
        _check_view(t, op)
        return _commit(t, result, op)
    arr = _value_array(t, result, op)
    if getattr(arr, "shape", t.shape) != t.shape:
        _shape_error(t, arr.shape, op)
    t._data[...] = arr
    _bump(t)
    return t


# -- t[idx] = v ---------------------------------------------------------------------------------
def _index_put(xp, x, v, index):
    out = x.copy()
    out[index] = v
    return out


def _index_put_vjp(ctx, g):
    index = ctx.attrs["index"]
    n = ctx.needs
    gx = gv = None
    if n[0]:  # the old value is overwritten at idx: no gradient there
        gx = ew._zeros(g) if index is Ellipsis else apply(_INDEX_PUT, g, 0.0, index=index)
    if n[1]:  # v receives the gradient of the places it was written to
        gv = g if index is Ellipsis else apply(_GETITEM, g, index=index)
        extra = len(ctx.shapes[1]) - gv.ndim
        if extra > 0:  # v had leading 1s that NumPy drops when writing
            gv = gv.reshape((1,) * extra + gv.shape)
        # the engine sums gv down to v's shape (v was broadcast into the indexed places)
    return gx, gv


_INDEX_PUT = register(OpDef(
    "index_put", _index_put, kind="index", arity=2, vjp=_index_put_vjp,
    samples=({"index": (slice(0, 2),), "shapes": [[(3, 4), (4,)], [(3, 4), (2, 4)]]},
             {"index": ([0, 2],), "shapes": [[(3, 4), (2, 1)]]},
             {"index": (Ellipsis, 1), "shapes": [[(2, 3), ()]]},
             {"index": Ellipsis, "shapes": [[(2, 3), (3,)]]}),
    doc="x with v written at index (out of place): what a recorded ``t[idx] = v`` is."))


def _put_tracked(t, index, value, op: str) -> None:
    """``t[index] = value`` recorded in the graph as ``index_put`` (``t`` re-linked)."""
    _check_view(t, op)
    arr = _value_array(t, value, op)
    idx = index if index is Ellipsis else _index_arrays(index, t, op)
    if isinstance(value, Tensor):
        v = value if value.dtype == t.dtype else ew.cast(value, t.dtype)
    elif type(value) in (int, float, bool):
        v = value
    else:
        v = Tensor._make(arr.astype(t.dtype, copy=False), t._device)
    try:
        result = apply(_INDEX_PUT, t, v, index=idx)
    except (ValueError, IndexError) as e:
        raise type(e)(f"{op}: {e}") from None
    t._data[...] = result._data
    _bump(t)
    _relink(t, result)


def setitem(t, index, value) -> None:
    """``t[index] = value``: writes in place, broadcasting ``value``. Under autograd (``t``
    or ``value`` requires grad) it is recorded: gradients reach ``value`` and the rest of
    ``t``'s old value (see the module docstring; through a view too).

    >>> t = gt.zeros(3); t[1:] = 5; t.tolist()
    [0.0, 5.0, 5.0]
    """
    _check_leaf(t, "setitem")
    if _tracked(t, (value,)):
        return _put_tracked(t, index, value, "setitem")
    arr = _value_array(t, value, "setitem")
    idx = _index_arrays(index, t, "setitem")
    try:
        t._data[idx] = arr
    except (ValueError, IndexError) as e:
        raise type(e)(f"setitem: {e}") from None
    _bump(t)


@tensor_method("copy_")
def copy_(t, src) -> "Tensor":
    """Copy ``src`` (broadcast; a tensor on another device is transferred) into ``t`` in place;
    returns ``t``. Under autograd the gradient of ``t`` flows to ``src``.

    >>> t = gt.zeros(2); t.copy_(gt.ones(2)).tolist()
    [1.0, 1.0]
    """
    _check_leaf(t, "copy_")
    if isinstance(src, Tensor) and src.device != t.device:
        src = src.to(t.device)  # copy_ is the explicit transfer-into API, as in PyTorch
    if _tracked(t, (src,)):
        try:
            _put_tracked(t, Ellipsis, src, "copy_")
        except ValueError as e:
            raise ValueError(f"copy_: source of shape {getattr(src, 'shape', ())} cannot be "
                             f"broadcast to {t.shape}") from e
        return t
    arr = src._data if isinstance(src, Tensor) else _value_array(t, src, "copy_")
    try:
        t._data[...] = arr
    except ValueError as e:
        raise ValueError(f"copy_: source of shape {getattr(arr, 'shape', ())} cannot be "
                         f"broadcast to {t.shape}") from e
    _bump(t)
    return t


@tensor_method("fill_")
def fill_(t, value) -> "Tensor":
    """Set every element to ``value`` in place; returns ``t``. A one-element tensor value
    that requires grad gets the summed gradient (as PyTorch).

    >>> gt.zeros(2).fill_(3).tolist()
    [3.0, 3.0]
    """
    _check_leaf(t, "fill_")
    if _tracked(t, (value,)):
        if _wants_grad(value):
            if value.numel() != 1:
                raise ValueError(f"fill_: the value must have one element, got shape "
                                 f"{value.shape}")
            value = value.reshape(())
        elif hasattr(value, "item"):
            value = value.item()
        _put_tracked(t, Ellipsis, value, "fill_")
        return t
    if hasattr(value, "item"):
        value = value.item()
    t._data[...] = _value_array(t, value, "fill_")
    _bump(t)
    return t


@tensor_method("zero_")
def zero_(t) -> "Tensor":
    """Set every element to zero in place; returns ``t``.

    >>> gt.ones(2).zero_().tolist()
    [0.0, 0.0]
    """
    _check_leaf(t, "zero_")
    return fill_(t, False if t.dtype.kind == "b" else 0)


# -- the op_ methods ------------------------------------------------------------------------------
def _method(name: str, fn):
    """The in-place method ``name`` (``t.exp_()``): ``t = fn(t, *args, **kwargs)`` in place."""
    saves = _saves_self(fn)

    def method(self, *args, **kwargs):
        return inplace_op(self, fn, name, args, kwargs, saves)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"In place: ``t = gt.{fn.__name__}(t, ...)`` written into ``t``'s own "
                      f"storage (views see it); returns ``t``.\n\n"
                      f"    >>> t = gt.tensor([4.]); t.{name}(...) is t\n    True\n")
    return tensor_method(name)(method)


_INPLACE = {
    "mul_": ew.multiply,
    "multiply_": ew.multiply, "div_": ew.divide, "divide_": ew.divide,
    "true_divide_": ew.divide, "floor_divide_": ew.floor_divide, "remainder_": ew.remainder,
    "pow_": ew.pow, "neg_": ew.negative, "negative_": ew.negative, "abs_": ew.abs,
    "absolute_": ew.abs, "sign_": ew.sign, "round_": ew.round, "ceil_": ew.ceil,
    "floor_": ew.floor, "trunc_": ew.trunc, "square_": ew.square, "sqrt_": ew.sqrt,
    "rsqrt_": ew.rsqrt, "reciprocal_": ew.reciprocal, "exp_": ew.exp, "exp2_": ew.exp2,
    "expm1_": ew.expm1, "log_": ew.log, "log1p_": ew.log1p, "log2_": ew.log2,
    "log10_": ew.log10, "sin_": ew.sin, "cos_": ew.cos, "tan_": ew.tan, "asin_": ew.arcsin,
    "arcsin_": ew.arcsin, "acos_": ew.arccos, "arccos_": ew.arccos, "atan_": ew.arctan,
    "arctan_": ew.arctan, "atan2_": ew.arctan2, "arctan2_": ew.arctan2, "sinh_": ew.sinh,
    "cosh_": ew.cosh, "tanh_": ew.tanh, "erf_": ew.erf, "erfc_": ew.erfc,
    "sigmoid_": ew.sigmoid, "relu_": ew.relu, "clamp_": ew.clip, "clip_": ew.clip,
    "nan_to_num_": ew.nan_to_num, "eq_": ew.equal, "ne_": ew.not_equal, "lt_": ew.less,
    "le_": ew.less_equal, "gt_": ew.greater, "ge_": ew.greater_equal,
    "logical_and_": ew.logical_and, "logical_or_": ew.logical_or,
    "logical_xor_": ew.logical_xor, "logical_not_": ew.logical_not,
    "bitwise_and_": ew.bitwise_and, "bitwise_or_": ew.bitwise_or,
    "bitwise_xor_": ew.bitwise_xor, "bitwise_not_": ew.bitwise_not,
}
for _name, _fn in _INPLACE.items():
    _method(_name, _fn)


@tensor_method("add_")
def add_(t, other, alpha=1) -> "Tensor":
    """``t += alpha * other`` in place (PyTorch's ``add_``); returns ``t``.

    >>> t = gt.ones(2); t.add_(gt.ones(2), alpha=-0.5).tolist()
    [0.5, 0.5]
    """
    return inplace_op(t, ew.add, "add_", (_scaled(other, alpha),), saves_self=False)


@tensor_method("sub_", "subtract_")
def sub_(t, other, alpha=1) -> "Tensor":
    """``t -= alpha * other`` in place (PyTorch's ``sub_``); returns ``t``.

    >>> t = gt.ones(2); t.sub_(gt.ones(2), alpha=2).tolist()
    [-1.0, -1.0]
    """
    return inplace_op(t, ew.subtract, "sub_", (_scaled(other, alpha),), saves_self=False)


def _scaled(other, alpha):
    if alpha == 1:
        return other
    if type(other) in (int, float, bool):
        return other * alpha
    return ew.multiply(other, alpha)
