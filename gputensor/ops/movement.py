"""Movement ops: copies, views, shape changes, transfers and indexing. No arithmetic, no kernels.

Rows with ``view=True`` return the array module's view when it gives one; the dispatcher
then shares the base tensor's version counter with the result, so in-place writes through
either are seen by autodiff. Which calls give views follows NumPy: ``reshape``/``view``/
``ravel``, ``squeeze``/``expand_dims``, ``transpose``/``permute``/``swapaxes``/``moveaxis``,
``broadcast_to``/``expand``, ``flip``, ``slice`` and basic indexing; ``flatten``, ``tile``,
``repeat``, ``roll``, ``pad``, ``gather``, ``take`` and advanced indexing copy.

The public functions check their arguments first (so errors name the op, the shapes and the
axes, and a failed call changes nothing), then run one op-table row through ``apply``.

Each row carries its derivative rule (``vjp``), written with gputensor ops: shape changes
reshape the gradient back, permutations apply the inverse permutation, ``broadcast_to``
leaves the summing to the engine, copies (``tile``, ``repeat``, ``pad``'s edge, reflect,
symmetric and wrap modes) add their copies' gradients up, and indexing (``getitem``,
``slice``, ``gather``, ``take``) scatters the gradient with the internal ``scatter_add`` row,
where positions named several times ACCUMULATE (NumPy's ``add.at``). ``scatter_add``'s own
rule is ``getitem``, so every gradient here can be differentiated again.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator

import numpy as np

from ..autograd import is_grad_enabled
from ..backends import get_backend
from ..creation import arange, as_tensor
from ..tensor import Tensor
from . import OpDef, apply, register, tensor_method

__all__ = ["contiguous", "clone", "getitem", "reshape", "view", "flatten", "ravel", "squeeze",
           "expand_dims", "unsqueeze", "transpose", "permute", "swapaxes", "swapdims",
           "moveaxis", "movedim", "broadcast_to", "expand", "tile", "repeat",
           "repeat_interleave", "flip", "roll", "pad", "slice", "gather", "take"]

_slice = builtins.slice  # this module defines TensorFlow's ``slice``
_AxisError = np.exceptions.AxisError  # both a ValueError and an IndexError, as in NumPy

# -- derivative rules shared by several rows ------------------------------------------------
# Each rule gets ``ctx`` (the graph node, gputensor.autograd.engine.Node) and the output
# gradient ``g`` and is written with gputensor ops only, so it runs on every device and, under
# create_graph=True, is itself recorded. Rows here call ``apply`` on other rows directly: the
# attributes are known to be valid, so the public functions' checks are skipped.
def _identity_vjp(ctx, g):
    return g


def _reshape_back_vjp(ctx, g):
    """Rows that only change the shape (reshape, flatten, ravel, squeeze, expand_dims)."""
    return apply(_RESHAPE, g, shape=ctx.shapes[0])


def _to_device_vjp(ctx, g):
    return g.to(ctx.attrs["src"])


_CONTIGUOUS = register(OpDef("contiguous", lambda xp, x: x.copy(order="C"),
                             kind="movement", vjp=_identity_vjp,
                             doc="A row-major copy (``contiguous()`` returns a contiguous "
                                 "tensor itself without applying it)."))
_CLONE = register(OpDef("clone", lambda xp, x: x.copy(), kind="movement", vjp=_identity_vjp,
                        doc="A copy with its own memory."))
# Device transfers are done by Tensor.to, which records this row with attrs ``device`` (the
# target) and ``src`` (where the input lives): the gradient travels back to ``src``.
TO_DEVICE = register(OpDef("to_device", lambda xp, x, device, src=None: x, kind="movement",
                           vjp=_to_device_vjp, samples=()))


@tensor_method("contiguous")
def contiguous(x) -> "Tensor":
    """``x`` if it is row-major contiguous, else a contiguous copy.

    >>> gt.ones(2, 3).T.contiguous().is_contiguous()
    True
    """
    if x.is_contiguous():
        return x
    return apply(_CONTIGUOUS, x)


@tensor_method("clone")
def clone(x) -> "Tensor":
    """A copy of ``x`` with its own memory (recorded by autograd).

    >>> gt.clone(gt.ones(2)).tolist()
    [1.0, 1.0]
    >>> a = gt.zeros(2); b = a.clone(); b.numpy()[0] = 5; a.tolist()
    [0.0, 0.0]
    """
    return apply(_CLONE, x)


# -- argument helpers (shared with join.py) -----------------------------------------------
def _tensor(x):
    """``x`` as a Tensor (array-likes are wrapped without copying when possible)."""
    if isinstance(x, Tensor):
        return x
    return as_tensor(x)


def _is_int(v) -> bool:
    if isinstance(v, (list, tuple)):
        return False
    try:
        operator.index(v)
        return True
    except TypeError:
        return False


def _ints(op: str, what: str, value) -> tuple:
    """An int or a sequence of ints (or a 1-D integer tensor) as a tuple of Python ints."""
    if _is_int(value):
        return (operator.index(value),)
    try:
        return tuple(operator.index(v) for v in value)
    except TypeError:
        raise TypeError(f"{op}: {what} must be an int or a sequence of ints, "
                        f"got {value!r}") from None


def _varargs(args: tuple):
    """``f(x, 2, 3)`` and ``f(x, (2, 3))`` alike: the one sequence argument, else the tuple."""
    if len(args) == 1 and not _is_int(args[0]):
        return args[0]
    return args


def _pick(op: str, value, alias, names: str = "axis and dim"):
    """The value of an argument that has two spellings (``axis=``/``dim=``)."""
    if alias is None:
        return value
    if value is not None:
        raise TypeError(f"{op}: got both {names}; pass one of them")
    return alias


def _axis(op: str, axis, ndim: int) -> int:
    """``axis`` normalised to ``0 <= axis < ndim``; out of range raises ``AxisError``
    (a ValueError and an IndexError) naming the axis and the dimension count."""
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{op}: axis must be an int, got {axis!r}") from None
    if not -ndim <= a < ndim:
        valid = f"valid axes are {-ndim}..{ndim - 1}" if ndim else "a 0-d tensor has no axes"
        raise _AxisError(f"{op}: axis {a} is out of range for a tensor of {ndim} "
                         f"dimension(s); {valid}")
    return a % ndim


def _axes(op: str, axes, ndim: int) -> tuple:
    """An int or a sequence of axes, normalised, without repeats."""
    out = tuple(_axis(op, a, ndim) for a in _ints(op, "axis", axes))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {tuple(_ints(op, 'axis', axes))}")
    return out


def _prod(shape) -> int:
    return math.prod(shape)


# -- reshape, view, flatten, ravel ----------------------------------------------------------
_RESHAPE = register(OpDef(
    "reshape", lambda xp, x, shape: x.reshape(shape), kind="movement", view=True,
    vjp=_reshape_back_vjp,
    samples=({"shape": (3, -1), "shapes": [[(2, 3, 2)]]},
             {"shape": (-1,), "shapes": [[(2, 3, 4)]]},
             {"shape": (2, 1, 3), "shapes": [[(6,)], [(3, 2)]]},
             {"shape": (1, 1), "shapes": [[()]]},
             {"shape": (), "shapes": [[(1,)]]},
             {"shape": (2, 0, 3), "shapes": [[(0, 6)]]}),
    doc="A new shape with the same elements: a view when the layout allows, else a copy."))


def _new_shape(op: str, old: tuple, new: tuple) -> tuple:
    """``new`` with its ``-1`` inferred; ValueError naming both shapes when it cannot hold
    the elements of ``old``."""
    n = _prod(old)
    free = [i for i, s in enumerate(new) if s == -1]
    if len(free) > 1 or any(s < -1 for s in new):
        raise ValueError(f"{op}: invalid shape {new}: sizes must be >= 0, with at most one "
                         "-1 (inferred)")
    known = _prod(s for s in new if s != -1)
    if free:
        if known == 0 or n % known:
            raise ValueError(f"{op}: cannot reshape a tensor of shape {old} ({n} elements) "
                             f"into shape {new}: no size for -1 fits")
        new = new[:free[0]] + (n // known,) + new[free[0] + 1:]
    elif known != n:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {old} ({n} elements) into "
                         f"shape {new} ({known} elements)")
    return new


def _shape_arg(op: str, dims: tuple, shape):
    if shape is not None:
        if dims:
            raise TypeError(f"{op}: pass the shape either positionally or as shape=, not both")
        return _ints(op, "shape", shape)
    return _ints(op, "shape", _varargs(dims))


@tensor_method("reshape")
def reshape(x, *dims, shape=None) -> "Tensor":
    """``x`` with a new shape holding the same elements; one size may be ``-1`` (inferred).

    Returns a view when the layout allows (as NumPy), else a copy: the reshape of a transpose
    is a copy. ``t.reshape(2, 3)`` and ``gt.reshape(t, (2, 3))`` are the same.

    >>> gt.arange(6).reshape(2, -1).shape
    (2, 3)
    """
    x = _tensor(x)
    new = _new_shape("reshape", x.shape, _shape_arg("reshape", dims, shape))
    return apply(_RESHAPE, x, shape=new)


def _viewable(shape: tuple, strides: tuple, new: tuple) -> bool:
    """Whether ``new`` can be a view of an array with ``shape``/``strides`` (any units): each
    run of old dims that are contiguous with each other must map onto a run of new dims."""
    if _prod(shape) == 0 or not shape:
        return True
    view_d = len(new) - 1
    base_stride = strides[-1]
    old_n = new_n = 1
    for d in range(len(shape) - 1, -1, -1):
        old_n *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != old_n * base_stride):
            while view_d >= 0 and (new_n < old_n or new[view_d] == 1):
                new_n *= new[view_d]
                view_d -= 1
            if new_n != old_n:
                return False
            if d > 0:
                base_stride, old_n, new_n = strides[d - 1], 1, 1
    return view_d == -1


@tensor_method("view")
def view(x, *dims, shape=None) -> "Tensor":
    """PyTorch's ``view``: ``reshape`` that always shares memory with ``x`` (writes through
    either show in the other), and raises ``RuntimeError`` where that is impossible (e.g. on
    a transpose); use ``reshape()`` or ``contiguous()`` there.

    >>> gt.arange(6).view(3, 2).shape
    (3, 2)
    """
    new = _new_shape("view", x.shape, _shape_arg("view", dims, shape))
    arr = x._data
    if not _viewable(arr.shape, arr.strides, new):
        strides = tuple(s // arr.itemsize for s in arr.strides)
        raise RuntimeError(f"view: a non-contiguous tensor of shape {x.shape} (strides "
                           f"{strides}) cannot be viewed as shape {new} without copying; use "
                           "reshape() (copies when needed) or call contiguous() first")
    return apply(_RESHAPE, x, shape=new)


def _flatten(xp, x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1).copy()
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.flatten().reshape(x.shape[:s] + (_prod(x.shape[s:e + 1]),) + x.shape[e + 1:])


_FLATTEN = register(OpDef(
    "flatten", _flatten, kind="movement", vjp=_reshape_back_vjp,
    samples=({"start_dim": 0, "end_dim": -1, "shapes": [[()], [(0, 3)], [(2, 3, 4)]]},
             {"start_dim": 1, "end_dim": 2, "shapes": [[(2, 3, 4, 2)]]},
             {"start_dim": -2, "end_dim": -1, "shapes": [[(2, 3, 4)]]}),
    doc="Merge dims start_dim..end_dim into one; always a copy (NumPy's flatten)."))


@tensor_method("flatten")
def flatten(x, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
    """Dims ``start_dim..end_dim`` (inclusive, default all) merged into one; a 0-d tensor gives
    shape ``(1,)``. Always a copy, as NumPy's ``flatten`` (``ravel`` gives a view).

    >>> gt.zeros(2, 3, 4).flatten(1).shape
    (2, 12)
    """
    x = _tensor(x)
    n = max(x.ndim, 1)
    s, e = _axis("flatten", start_dim, n), _axis("flatten", end_dim, n)
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor of shape {x.shape}")
    return apply(_FLATTEN, x, start_dim=s, end_dim=e)


_RAVEL = register(OpDef("ravel", lambda xp, x: xp.ravel(x), kind="movement", view=True,
                        vjp=_reshape_back_vjp,
                        samples=({"shapes": [[()], [(0,)], [(2, 3, 4)]]},),
                        doc="The elements as 1-D: a view when contiguous, else a copy."))


@tensor_method("ravel")
def ravel(x) -> "Tensor":
    """The elements of ``x`` in row-major order as a 1-D tensor; a view when ``x`` is
    contiguous (NumPy's ``ravel``), else a copy.

    >>> gt.ones(2, 3).ravel().shape
    (6,)
    """
    return apply(_RAVEL, _tensor(x))


# -- squeeze, expand_dims ---------------------------------------------------------------------
_SQUEEZE = register(OpDef(
    "squeeze", lambda xp, x, axis=None: xp.squeeze(x, axis=axis), kind="movement", view=True,
    vjp=_reshape_back_vjp,
    samples=({"axis": None, "shapes": [[()], [(1, 3, 1)], [(2, 3)]]},
             {"axis": (0,), "shapes": [[(1, 3, 1)]]},
             {"axis": (0, 2), "shapes": [[(1, 3, 1)]]},
             {"axis": -1, "shapes": [[(2, 1)]]}),
    doc="Remove dims of size 1."))


@tensor_method("squeeze")
def squeeze(x, axis=None, *, dim=None) -> "Tensor":
    """``x`` without its size-1 dims (``axis`` None: all of them; an int or a tuple: those,
    which must have size 1, else ValueError). A view.

    >>> gt.zeros(1, 3, 1).squeeze(-1).shape
    (1, 3)
    """
    x = _tensor(x)
    axis = _pick("squeeze", axis, dim)
    if axis is not None:
        axis = _axes("squeeze", axis, x.ndim)
        for a in axis:
            if x.shape[a] != 1:
                raise ValueError(f"squeeze: cannot squeeze axis {a} of a tensor of shape "
                                 f"{x.shape}: its size is {x.shape[a]}, not 1")
    return apply(_SQUEEZE, x, axis=axis)


_EXPAND_DIMS = register(OpDef(
    "expand_dims", lambda xp, x, axis: xp.expand_dims(x, axis), kind="movement", view=True,
    vjp=_reshape_back_vjp,
    samples=({"axis": 0, "shapes": [[()], [(0,)], [(2, 3)]]},
             {"axis": -1, "shapes": [[(2, 3)]]},
             {"axis": (0, 3), "shapes": [[(2, 3)]]}),
    doc="Insert dims of size 1."))


@tensor_method("unsqueeze")
def expand_dims(x, axis=None, *, dim=None) -> "Tensor":
    """``x`` with a size-1 dim inserted at ``axis`` (an int or a tuple), counted in the
    result: ``-1`` appends (NumPy, TensorFlow and PyTorch agree). ``unsqueeze`` is the same
    function. A view.

    >>> gt.zeros(2, 3).unsqueeze(-1).shape
    (2, 3, 1)
    """
    x = _tensor(x)
    axis = _pick("expand_dims", axis, dim)
    if axis is None:
        raise TypeError("expand_dims: missing the axis (or dim) to insert")
    axes = _ints("expand_dims", "axis", axis)
    _axes("expand_dims", axes, x.ndim + len(axes))
    return apply(_EXPAND_DIMS, x, axis=axes[0] if _is_int(axis) else axes)


unsqueeze = expand_dims


# -- transpose, permute, swapaxes, moveaxis, T, mT ------------------------------------------
def _transpose_vjp(ctx, g):
    axes = ctx.attrs.get("axes")
    if axes is None:  # reversing the dims is its own inverse
        return apply(_TRANSPOSE, g, axes=None)
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return apply(_TRANSPOSE, g, axes=tuple(inverse))


_TRANSPOSE = register(OpDef(
    "transpose", lambda xp, x, axes=None: xp.transpose(x, axes), kind="movement", view=True,
    vjp=_transpose_vjp,
    samples=({"axes": None, "shapes": [[()], [(0, 3)], [(3, 4)], [(2, 3, 4)]]},
             {"axes": (1, 0, 2), "shapes": [[(2, 3, 4)]]},
             {"axes": (2, 0, 1), "shapes": [[(2, 3, 4)]]}),
    doc="Permute the dims (default: reverse them)."))


def _perm(op: str, axes, ndim: int) -> tuple:
    perm = _ints(op, "axes", axes)
    norm = tuple(_axis(op, a, ndim) for a in perm) if len(perm) == ndim else ()
    if len(perm) != ndim or sorted(norm) != list(range(ndim)):
        raise ValueError(f"{op}: axes {perm} are not a permutation of the {ndim} axes of the "
                         "tensor")
    return norm


@tensor_method("transpose")
def transpose(x, *dims, axes=None) -> "Tensor":
    """NumPy's transpose: ``transpose(x)`` reverses the dims, ``transpose(x, axes)`` permutes
    them. Two ints swap those two dims, as PyTorch's ``t.transpose(0, 1)``. A view.

    >>> gt.zeros(2, 3, 4).transpose().shape, gt.zeros(2, 3, 4).transpose(0, 2).shape
    ((4, 3, 2), (4, 3, 2))
    """
    x = _tensor(x)
    if axes is not None and dims:
        raise TypeError("transpose: pass the axes either positionally or as axes=, not both")
    if len(dims) == 2 and _is_int(dims[0]) and _is_int(dims[1]):
        return swapaxes(x, dims[0], dims[1])
    if axes is None and dims and not (len(dims) == 1 and dims[0] is None):
        axes = _varargs(dims)
    if axes is not None:
        axes = _perm("transpose", axes, x.ndim)
    return apply(_TRANSPOSE, x, axes=axes)


@tensor_method("permute")
def permute(x, *dims) -> "Tensor":
    """PyTorch's ``permute``: result dim ``i`` is ``x``'s dim ``dims[i]``. A view.

    >>> gt.zeros(2, 3, 4).permute(2, 0, 1).shape
    (4, 2, 3)
    """
    x = _tensor(x)
    return apply(_TRANSPOSE, x, axes=_perm("permute", _varargs(dims), x.ndim))


_SWAPAXES = register(OpDef(
    "swapaxes", lambda xp, x, axis1, axis2: xp.swapaxes(x, axis1, axis2), kind="movement",
    view=True, vjp=lambda ctx, g: apply(_SWAPAXES, g, **ctx.attrs),  # its own inverse
    samples=({"axis1": 0, "axis2": -1, "shapes": [[(3, 4)], [(2, 3, 4)]]},),
    doc="Swap two dims."))


@tensor_method("swapaxes", "swapdims")
def swapaxes(x, axis1: int, axis2: int) -> "Tensor":
    """``x`` with dims ``axis1`` and ``axis2`` swapped (``swapdims`` is the same). A view.

    >>> gt.zeros(2, 3, 4).swapaxes(0, -1).shape
    (4, 3, 2)
    """
    x = _tensor(x)
    return apply(_SWAPAXES, x, axis1=_axis("swapaxes", axis1, x.ndim),
                 axis2=_axis("swapaxes", axis2, x.ndim))


swapdims = swapaxes

_MOVEAXIS = register(OpDef(
    "moveaxis", lambda xp, x, source, destination: xp.moveaxis(x, source, destination),
    kind="movement", view=True,
    vjp=lambda ctx, g: apply(_MOVEAXIS, g, source=ctx.attrs["destination"],
                             destination=ctx.attrs["source"]),
    samples=({"source": 0, "destination": -1, "shapes": [[(2, 3, 4)]]},
             {"source": (0, 1), "destination": (2, 0), "shapes": [[(2, 3, 4)]]}),
    doc="Move dims to new positions, keeping the order of the others."))


@tensor_method("moveaxis", "movedim")
def moveaxis(x, source, destination) -> "Tensor":
    """``x`` with dim(s) ``source`` moved to position(s) ``destination`` (``movedim`` is the
    same). A view.

    >>> gt.zeros(2, 3, 4).moveaxis(0, -1).shape
    (3, 4, 2)
    """
    x = _tensor(x)
    src = _axes("moveaxis", source, x.ndim)
    dst = _axes("moveaxis", destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} must name "
                         "the same number of axes")
    return apply(_MOVEAXIS, x, source=src, destination=dst)


movedim = moveaxis


def _T(self) -> "Tensor":
    """The transpose: all dims reversed, as NumPy's ``.T`` (for 2-D, rows and columns)."""
    return apply(_TRANSPOSE, self, axes=None)


def _mT(self) -> "Tensor":
    """The last two dims swapped (a batch of matrix transposes)."""
    if self.ndim < 2:
        raise ValueError(f"mT: needs a tensor of at least 2 dimensions, got shape {self.shape}")
    return apply(_SWAPAXES, self, axis1=self.ndim - 2, axis2=self.ndim - 1)


def _t(self) -> "Tensor":
    """PyTorch's ``t()``: a 2-D tensor transposed; 0-D and 1-D tensors as they are. A view.

    >>> gt.zeros(2, 3).t().shape
    (3, 2)
    """
    if self.ndim > 2:
        raise ValueError(f"t: expects a tensor of at most 2 dimensions, got shape {self.shape}; "
                         "use transpose(dim0, dim1) or mT")
    return apply(_TRANSPOSE, self, axes=None)


tensor_method("T")(property(_T))
tensor_method("mT")(property(_mT))
tensor_method("t")(_t)


# -- broadcast_to, expand ---------------------------------------------------------------------
_BROADCAST_TO = register(OpDef(
    "broadcast_to", lambda xp, x, shape: xp.broadcast_to(x, shape), kind="movement", view=True,
    vjp=_identity_vjp,  # the engine sums the gradient back to the input's shape
    samples=({"shape": (2, 3, 4), "shapes": [[()], [(3, 1)], [(4,)]]},
             {"shape": (0, 3), "shapes": [[(1, 3)]]}),
    doc="A read-only view repeating size-1 dims (and adding leading dims)."))


def _check_broadcast(op: str, shape: tuple, target: tuple):
    if any(s < 0 for s in target):
        raise ValueError(f"{op}: invalid target shape {target}: sizes must be >= 0")
    if len(target) < len(shape):
        raise ValueError(f"{op}: cannot broadcast shape {shape} to {target}, which has fewer "
                         "dimensions")
    lead = len(target) - len(shape)
    for i, s in enumerate(shape):
        if s != 1 and s != target[lead + i]:
            raise ValueError(f"{op}: cannot broadcast shape {shape} to {target}: axis {i} has "
                             f"size {s}, which is neither 1 nor {target[lead + i]}")


@tensor_method("broadcast_to")
def broadcast_to(x, shape) -> "Tensor":
    """``x`` repeated along its size-1 dims (and new leading dims) to ``shape``, without
    copying: a read-only view on the CPU.

    >>> gt.zeros(3, 1).broadcast_to((2, 3, 4)).shape
    (2, 3, 4)
    """
    x = _tensor(x)
    target = _ints("broadcast_to", "shape", shape)
    _check_broadcast("broadcast_to", x.shape, target)
    return apply(_BROADCAST_TO, x, shape=target)


@tensor_method("expand")
def expand(x, *sizes) -> "Tensor":
    """PyTorch's ``expand``: ``broadcast_to`` where ``-1`` keeps an existing dim's size.

    >>> gt.zeros(3, 1).expand(2, -1, 4).shape
    (2, 3, 4)
    """
    x = _tensor(x)
    target = list(_ints("expand", "sizes", _varargs(sizes)))
    lead = len(target) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(target)} sizes given for a tensor of shape {x.shape}; "
                         f"need at least {x.ndim}")
    for i, s in enumerate(target):
        if s == -1:
            if i < lead:
                raise ValueError(f"expand: -1 is not allowed for the new leading axis {i}")
            target[i] = x.shape[i - lead]
    target = tuple(target)
    _check_broadcast("expand", x.shape, target)
    return apply(_BROADCAST_TO, x, shape=target)


# -- tile, repeat, flip, roll, pad --------------------------------------------------------------
def _sum_axes(g, axes):
    from .reduce import sum as _sum

    return _sum(g, axis=axes) if axes else g


def _tile_vjp(ctx, g):
    # out dim i holds reps[i] copies of x dim i: view it as (reps[i], n_i) pairs and sum reps
    shape, reps = ctx.shapes[0], ctx.attrs["reps"]
    m = max(len(shape), len(reps))
    shape_m = (1,) * (m - len(shape)) + tuple(shape)
    reps_m = (1,) * (m - len(reps)) + tuple(reps)
    split = tuple(v for r, n in zip(reps_m, shape_m) for v in (r, n))
    g = apply(_RESHAPE, g, shape=split)
    return apply(_RESHAPE, _sum_axes(g, tuple(range(0, 2 * m, 2))), shape=shape)


_TILE = register(OpDef(
    "tile", lambda xp, x, reps: xp.tile(x, reps), kind="movement", vjp=_tile_vjp,
    samples=({"reps": (2,), "shapes": [[()], [(0,)], [(3,)], [(2, 3)]]},
             {"reps": (2, 1, 3), "shapes": [[(2, 3)]]}),
    doc="Repeat the whole tensor along each dim (NumPy's tile)."))


@tensor_method("tile")
def tile(x, *reps) -> "Tensor":
    """NumPy's ``tile``: ``x`` repeated ``reps[i]`` times along dim ``i`` (shorter ``reps`` get
    leading 1s, longer ones add leading dims). A copy.

    >>> gt.tensor([1, 2]).tile(2).tolist()
    [1, 2, 1, 2]
    """
    x = _tensor(x)
    r = _ints("tile", "reps", _varargs(reps))
    if any(n < 0 for n in r):
        raise ValueError(f"tile: reps must be >= 0, got {r}")
    return apply(_TILE, x, reps=r)


def _repeat_vjp(ctx, g):
    shape, repeats, axis = ctx.shapes[0], ctx.attrs["repeats"], ctx.attrs.get("axis")
    if axis is not None:
        axis %= len(shape)
    lead = () if axis is None else tuple(shape[:axis])
    n = _prod(shape) if axis is None else shape[axis]
    tail = () if axis is None else tuple(shape[axis + 1:])
    if _is_int(repeats):  # each element's copies are adjacent: (..., n, repeats, ...) summed
        g = apply(_RESHAPE, g, shape=lead + (n, repeats) + tail)
        g = _sum_axes(g, (len(lead) + 1,))
    else:  # per-element counts: scatter-add each copy onto the element it came from
        owner = _on_device(g, np.repeat(np.arange(n), repeats))
        g = apply(_SCATTER_ADD, g, shape=lead + (n,) + tail,
                  index=(_slice(None),) * len(lead) + (owner,))
    return apply(_RESHAPE, g, shape=shape)


_REPEAT = register(OpDef(
    "repeat", lambda xp, x, repeats, axis=None: xp.repeat(x, repeats, axis),
    kind="movement", vjp=_repeat_vjp,
    samples=({"repeats": 2, "axis": None, "shapes": [[()], [(0,)], [(2, 3)]]},
             {"repeats": (1, 0, 2), "axis": 1, "shapes": [[(2, 3)]]},
             {"repeats": 3, "axis": -1, "shapes": [[(2, 3)]]}),
    doc="Repeat each element (NumPy's repeat)."))


@tensor_method("repeat", "repeat_interleave")
def repeat(x, repeats, axis=None, *, dim=None) -> "Tensor":
    """NumPy's ``repeat`` (PyTorch's ``repeat_interleave``): each element repeated
    ``repeats`` times (an int, or one count per element along ``axis``); ``axis=None``
    flattens first. A copy. Note: PyTorch's ``Tensor.repeat`` tiles; here use ``tile``.

    >>> gt.tensor([1, 2]).repeat(2).tolist()
    [1, 1, 2, 2]
    """
    x = _tensor(x)
    axis = _pick("repeat", axis, dim)
    if axis is not None:
        axis = _axis("repeat", axis, x.ndim)
    n = x.numel() if axis is None else x.shape[axis]
    counts = _ints("repeat", "repeats", repeats)
    if any(c < 0 for c in counts):
        raise ValueError(f"repeat: repeats must be >= 0, got {counts}")
    if len(counts) not in (1, n):
        where = "elements" if axis is None else f"axis {axis} of size"
        raise ValueError(f"repeat: {len(counts)} repeat counts given for {where} {n}; "
                         f"pass one int or {n} counts")
    return apply(_REPEAT, x, repeats=counts[0] if len(counts) == 1 else counts, axis=axis)


repeat_interleave = repeat

_FLIP = register(OpDef(
    "flip", lambda xp, x, axis=None: xp.flip(x, axis), kind="movement", view=True,
    vjp=lambda ctx, g: apply(_FLIP, g, **ctx.attrs),
    samples=({"axis": None, "shapes": [[()], [(0,)], [(2, 3, 4)]]},
             {"axis": 0, "shapes": [[(3, 4)]]},
             {"axis": (0, -1), "shapes": [[(2, 3, 4)]]}),
    doc="Reverse the order of elements along axes (a view)."))


@tensor_method("flip")
def flip(x, axis=None, *, dims=None) -> "Tensor":
    """``x`` with the order of elements reversed along ``axis`` (None: all axes; an int or a
    tuple). A view.

    >>> gt.tensor([1, 2, 3]).flip().tolist()
    [3, 2, 1]
    """
    x = _tensor(x)
    axis = _pick("flip", axis, dims, "axis and dims")
    if axis is not None:
        axis = _axes("flip", axis, x.ndim)
    return apply(_FLIP, x, axis=axis)


def _roll_vjp(ctx, g):
    shift = ctx.attrs["shift"]
    back = -shift if _is_int(shift) else tuple(-s for s in shift)
    return apply(_ROLL, g, shift=back, axis=ctx.attrs.get("axis"))


_ROLL = register(OpDef(
    "roll", lambda xp, x, shift, axis=None: xp.roll(x, shift, axis), kind="movement",
    vjp=_roll_vjp,
    samples=({"shift": 2, "axis": None, "shapes": [[()], [(0,)], [(2, 3, 4)]]},
             {"shift": -1, "axis": 1, "shapes": [[(3, 4)]]},
             {"shift": (1, 5), "axis": (0, 2), "shapes": [[(2, 3, 4)]]}),
    doc="Shift elements cyclically along axes."))


@tensor_method("roll")
def roll(x, shift=None, axis=None, *, shifts=None, dims=None) -> "Tensor":
    """Elements shifted cyclically by ``shift`` along ``axis`` (None: over the flattened
    tensor, keeping its shape). ``shift`` and ``axis`` may be tuples of equal length. A copy.

    >>> gt.tensor([1, 2, 3]).roll(1).tolist()
    [3, 1, 2]
    """
    x = _tensor(x)
    shift = _pick("roll", shift, shifts, "shift and shifts")
    if shift is None:
        raise TypeError("roll: missing the shift (or shifts)")
    axis = _pick("roll", axis, dims, "axis and dims")
    s = _ints("roll", "shift", shift)
    if axis is None:
        if len(s) != 1:
            raise ValueError(f"roll: a tuple of shifts {s} needs a tuple of axes of the same "
                             "length")
        return apply(_ROLL, x, shift=s[0], axis=None)
    a = tuple(_axis("roll", v, x.ndim) for v in _ints("roll", "axis", axis))
    if len(s) != len(a) and len(s) != 1:
        raise ValueError(f"roll: {len(s)} shifts given for {len(a)} axes; pass one shift per "
                         "axis")
    s = s * len(a) if len(s) == 1 else s
    return apply(_ROLL, x, shift=s, axis=a)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad(xp, x, pad_width, mode="constant", constant_values=0):
    if mode == "constant":
        return xp.pad(x, pad_width, mode="constant", constant_values=constant_values)
    return xp.pad(x, pad_width, mode=mode)


@functools.lru_cache(maxsize=64)
def _pad_sources(shape: tuple, pad_width: tuple, mode: str) -> np.ndarray:
    """For each element of the padded result, the flat position in the input it copies
    (host data, computed by padding the input's positions the same way)."""
    return np.pad(np.arange(_prod(shape)).reshape(shape), pad_width, mode=mode).reshape(-1)


def _pad_vjp(ctx, g):
    shape, pad_width, mode = ctx.shapes[0], ctx.attrs["pad_width"], ctx.attrs["mode"]
    if mode == "constant":  # the padding is constant: the gradient is the interior
        return apply(_GETITEM, g, index=tuple(_slice(b, b + n)
                                              for (b, _), n in zip(pad_width, shape)))
    # edge/reflect/symmetric/wrap copy input elements several times: their gradients add up
    src = _on_device(g, _pad_sources(tuple(shape), pad_width, mode))
    flat = apply(_RESHAPE, g, shape=(-1,))
    return apply(_RESHAPE, apply(_SCATTER_ADD, flat, shape=(_prod(shape),), index=(src,)),
                 shape=shape)


_PAD = register(OpDef(
    "pad", _pad, kind="movement", vjp=_pad_vjp,
    samples=({"pad_width": ((1, 2), (0, 1)), "mode": "constant", "constant_values": 0,
              "shapes": [[(2, 3)], [(0, 3)]]},
             {"pad_width": ((1, 1), (2, 2)), "mode": "reflect", "shapes": [[(3, 4)]]},
             {"pad_width": ((2, 0),), "mode": "edge", "shapes": [[(3,)]]},
             {"pad_width": ((1, 1), (1, 1)), "mode": "constant", "constant_values": 1,
              "shapes": [[(2, 3)]]}),
    doc="Pad with a constant or by reflecting or repeating the edges (NumPy's pad)."))


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> "Tensor":
    """NumPy's ``pad``: ``pad_width`` is an int (every side of every axis), a ``(before,
    after)`` pair (every axis), or one pair per axis; ``mode`` is ``'constant'`` (with the
    scalar ``constant_values``), ``'edge'``, ``'reflect'``, ``'symmetric'`` or ``'wrap'``.
    PyTorch's flat ``F.pad`` tuple (last axis first) is not accepted: write the pairs.

    >>> gt.pad(gt.tensor([1, 2]), 1).tolist()
    [0, 1, 2, 0]
    """
    x = _tensor(x)
    n = x.ndim
    bad = (f"pad: pad_width must be an int, a (before, after) pair, or one pair per axis "
           f"({n} pairs for shape {x.shape}), got {pad_width!r}; PyTorch's flat F.pad tuple is "
           "not accepted")
    if _is_int(pad_width):
        pairs = ((operator.index(pad_width),) * 2,) * n
    else:
        try:
            items = list(pad_width)
        except TypeError:
            raise TypeError(bad) from None
        if items and all(_is_int(v) for v in items):
            if len(items) > 2:
                raise ValueError(bad)
            items = [items]
        try:
            pairs = [_ints("pad", "pad_width", p) for p in items]
        except TypeError:
            raise TypeError(bad) from None
        pairs = [p * 2 if len(p) == 1 else p for p in pairs]
        if len(pairs) == 1:
            pairs = pairs * n
        if len(pairs) != n or any(len(p) != 2 for p in pairs):
            raise ValueError(bad)
        pairs = tuple(tuple(p) for p in pairs)
    if any(v < 0 for p in pairs for v in p):
        raise ValueError(f"pad: pad widths must be >= 0, got {pairs}")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; accepted modes are {_PAD_MODES}")
    if mode != "constant":
        return apply(_PAD, x, pad_width=pairs, mode=mode)
    if hasattr(constant_values, "item"):
        constant_values = constant_values.item()
    if type(constant_values) not in (int, float, bool):
        raise TypeError(f"pad: constant_values must be a number, got {constant_values!r}")
    return apply(_PAD, x, pad_width=pairs, mode=mode, constant_values=constant_values)


# -- TensorFlow's slice ---------------------------------------------------------------------
def _tf_slice(xp, x, begin, size):
    return x[tuple(_slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))]


def _tf_slice_vjp(ctx, g):
    index = tuple(_slice(b, None if s == -1 else b + s)
                  for b, s in zip(ctx.attrs["begin"], ctx.attrs["size"]))
    return apply(_SCATTER_ADD, g, shape=ctx.shapes[0], index=index)


_SLICE = register(OpDef(
    "slice", _tf_slice, kind="movement", view=True, vjp=_tf_slice_vjp,
    samples=({"begin": (1, 0), "size": (1, -1), "shapes": [[(3, 4)]]},
             {"begin": (0, 1, 2), "size": (2, 1, 2), "shapes": [[(2, 3, 4)]]},
             {"begin": (), "size": (), "shapes": [[()]]}),
    doc="TensorFlow's slice: a box of ``size`` starting at ``begin``."))


def slice(x, begin, size) -> "Tensor":  # noqa: A001  TensorFlow's name
    """TensorFlow's ``slice``: the box of ``x`` starting at index ``begin`` with extent
    ``size`` per dim (``-1``: to the end). A view.

    >>> gt.slice(gt.arange(6).reshape(2, 3), [0, 1], [-1, 2]).tolist()
    [[1, 2], [4, 5]]
    """
    x = _tensor(x)
    b, s = _ints("slice", "begin", begin), _ints("slice", "size", size)
    if len(b) != x.ndim or len(s) != x.ndim:
        raise ValueError(f"slice: begin {b} and size {s} must each have one entry per axis of "
                         f"the tensor of shape {x.shape}")
    for i, (n, bi, si) in enumerate(zip(x.shape, b, s)):
        if not 0 <= bi <= n:
            raise ValueError(f"slice: begin {bi} is out of range for axis {i} of size {n}")
        if si != -1 and not 0 <= si <= n - bi:
            raise ValueError(f"slice: size {si} at begin {bi} runs past axis {i} of size {n} "
                             f"(at most {n - bi}, or -1 for the rest)")
    return apply(_SLICE, x, begin=b, size=s)


# -- gather, take --------------------------------------------------------------------------
def _int_indices(op: str, idx):
    if idx.dtype.kind not in "iu":
        raise IndexError(f"{op}: indices must be an integer tensor, got dtype {idx.dtype}")


def _gather(xp, x, index, dim):
    _int_indices("gather", index)
    if index.ndim != x.ndim:
        raise ValueError(f"gather: index has {index.ndim} dimension(s) but the input has "
                         f"{x.ndim}; they must match")
    return xp.take_along_axis(x, index, axis=dim)


def _no_bool(indices):
    # NumPy's take reads bool indices as 0/1; gputensor, like PyTorch, refuses them
    if indices.dtype.kind == "b":
        raise IndexError("take: bool indices")
    return indices


def _take(xp, x, indices, axis=None):
    _int_indices("take", indices)
    return xp.take(x, indices, axis=axis)


def _gather_vjp(ctx, g):
    # out[..., i, ...] = x[..., index[..., i, ...], ...]: scatter-add g back through the same
    # positions (repeated indices, and index dims broadcast over size-1 input dims, add up)
    shape, index = ctx.shapes[0], ctx.inputs[1]
    nd = len(shape)
    dim = ctx.attrs["dim"] % nd
    pos = tuple(index._data if i == dim else
                arange(shape[i], device=g.device)._data.reshape((1,) * i + (-1,)
                                                                 + (1,) * (nd - i - 1))
                for i in range(nd))
    return apply(_SCATTER_ADD, g, shape=shape, index=pos), None


def _take_vjp(ctx, g):
    shape, axis, idx = ctx.shapes[0], ctx.attrs.get("axis"), ctx.inputs[1]._data
    if axis is None:  # positions in the flattened input
        flat = apply(_SCATTER_ADD, g, shape=(_prod(shape),), index=(idx,))
        return apply(_RESHAPE, flat, shape=shape), None
    axis %= len(shape)
    return apply(_SCATTER_ADD, g, shape=shape, index=(_slice(None),) * axis + (idx,)), None


_IDX = [(None, None), ("int64", "index")]  # test inputs: data, then in-range int64 indices
_GATHER = register(OpDef(
    "gather", _gather, kind="index", arity=2, promoted=_slice(0, 1), domain="positive",
    vjp=_gather_vjp, save=("x1",),
    samples=({"dim": 0, "shapes": [[(6, 4), (3, 4)], [(6, 4), (0, 4)]], "inputs": _IDX},
             {"dim": -1, "shapes": [[(2, 6), (2, 5)], [(2, 3, 6), (2, 3, 2)]], "inputs": _IDX}),
    ref=lambda x, index, dim: np.take_along_axis(x, index, axis=dim),
    doc="out[..., i, ...] = x[..., index[..., i, ...], ...] along dim (take_along_axis)."))

_TAKE = register(OpDef(
    "take", _take, kind="index", arity=2, promoted=_slice(0, 1), domain="positive",
    vjp=_take_vjp, save=("x1",),
    samples=({"axis": None, "shapes": [[(6,), (2, 3)], [(2, 3), (4,)], [(6,), ()]],
              "inputs": _IDX},
             {"axis": 1, "shapes": [[(2, 6), (4,)], [(2, 6, 3), (2, 2)]], "inputs": _IDX}),
    ref=lambda x, indices, axis=None: np.take(x, _no_bool(indices), axis=axis),
    doc="Elements at integer positions along an axis, or of the flattened tensor."))


def _index_tensor(op: str, idx, like):
    """Indices as an integer tensor on ``like``'s device."""
    if not isinstance(idx, Tensor):
        idx = as_tensor(idx, device=like.device)
        if idx.numel() == 0 and idx.dtype.kind == "f":
            idx = idx.astype("int64")
    if idx.device != like.device:
        raise RuntimeError(f"{op}: indices are on {idx.device} but the tensor is on "
                           f"{like.device}; move them with .to({str(like.device)!r})")
    _int_indices(op, idx)
    return idx


def _check_bounds(op: str, arr, n: int, axis) -> None:
    """IndexError naming an index of ``arr`` outside ``-n..n-1`` (one host sync on a GPU)."""
    if arr.size == 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if lo < -n or hi >= n:
        where = "the flattened tensor" if axis is None else f"axis {axis}"
        raise IndexError(f"{op}: index {hi if hi >= n else lo} is out of bounds for {where} "
                         f"with size {n}")


@tensor_method("gather")
def gather(x, dim: int, index) -> "Tensor":
    """PyTorch's ``gather`` (NumPy's ``take_along_axis``): along ``dim``, the elements of
    ``x`` at the positions in ``index``, which has ``x``'s number of dims (its other sizes
    broadcast against ``x``'s).

    >>> gt.gather(gt.tensor([[1, 2], [3, 4]]), 1, gt.tensor([[1], [0]])).tolist()
    [[2], [3]]
    """
    x = _tensor(x)
    d = _axis("gather", dim, x.ndim)
    index = _index_tensor("gather", index, x)
    if index.ndim != x.ndim:
        raise ValueError(f"gather: index of shape {index.shape} has {index.ndim} dimension(s) "
                         f"but the input of shape {x.shape} has {x.ndim}; they must match")
    _check_bounds("gather", index._data, x.shape[d], d)
    return apply(_GATHER, x, index, dim=d)


@tensor_method("take")
def take(x, indices, axis=None) -> "Tensor":
    """NumPy's ``take``: the elements at ``indices`` along ``axis`` (None: of the flattened
    tensor); the result has the indices' shape in place of that axis. A copy.

    >>> gt.take(gt.tensor([[1, 2], [3, 4]]), [0, 3]).tolist()
    [1, 4]
    """
    x = _tensor(x)
    idx = _index_tensor("take", indices, x)
    if axis is None:
        _check_bounds("take", idx._data, x.numel(), None)
    else:
        axis = _axis("take", axis, x.ndim)
        _check_bounds("take", idx._data, x.shape[axis], axis)
    return apply(_TAKE, x, idx, axis=axis)


# -- indexing -----------------------------------------------------------------------------
_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None (gt.newaxis) and integer "
              "or boolean arrays are valid indices")


def _index_arrays(index, x, op: str = "getitem"):
    """``index`` with tensors, lists and NumPy arrays inside replaced by arrays of ``x``'s
    backend, after checking every part against ``x.shape``: IndexError naming the index and
    the axis for out-of-range integers, float indices, and masks of the wrong shape."""
    items = index if isinstance(index, tuple) else (index,)
    conv = [_index_item(i, x, op) for i in items]
    _check_index(op, conv, x.shape)
    return tuple(conv) if isinstance(index, tuple) else conv[0]


def _index_item(i, x, op: str):
    if i is None or i is Ellipsis or isinstance(i, (_slice, int)):
        return i  # Python bools are ints: NumPy treats them as 0-d masks
    if isinstance(i, Tensor):
        if i.device != x.device:
            raise RuntimeError(f"{op}: index on {i.device} for a tensor on {x.device}; move it "
                               f"with .to({str(x.device)!r})")
        arr = i._data
    elif isinstance(i, np.generic):
        if i.dtype.kind == "b":
            return bool(i)
        if i.dtype.kind in "iu":
            return int(i)
        raise IndexError(f"{op}: {_BAD_INDEX}, got {type(i).__name__} {i!r}")
    elif isinstance(i, (list, tuple, np.ndarray)):
        try:
            host = np.asarray(i)
        except ValueError:
            raise IndexError(f"{op}: index lists must be rectangular, got {i!r}") from None
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype(np.int64)  # [] is an empty integer index, as in NumPy
        if host.dtype.kind not in "biu":
            raise IndexError(f"{op}: {_BAD_INDEX}; index arrays must hold ints or bools, got "
                             f"{host.dtype} from {i!r}")
        arr = get_backend(x.device).asarray(host)
    elif hasattr(i, "__index__"):
        return operator.index(i)
    else:
        raise IndexError(f"{op}: {_BAD_INDEX}, got {type(i).__name__} {i!r}")
    if arr.dtype.kind not in "biu":
        raise IndexError(f"{op}: tensors used as indices must be integer or bool, got "
                         f"{arr.dtype}")
    return arr


def _check_index(op: str, items: list, shape: tuple) -> None:
    ndim = len(shape)
    if sum(i is Ellipsis for i in items) > 1:
        raise IndexError(f"{op}: an index can only have a single ellipsis ('...')")

    def width(i):  # how many dims of the tensor an index item consumes
        if i is None or i is Ellipsis or isinstance(i, bool):
            return 0
        if hasattr(i, "dtype") and i.dtype.kind == "b":
            return i.ndim
        return 1

    used = sum(width(i) for i in items)
    if used > ndim:
        raise IndexError(f"{op}: too many indices for a tensor of shape {shape}: {used} "
                         f"dimension(s) indexed but it has {ndim}")
    axis = 0
    for i in items:
        if i is Ellipsis:
            axis += ndim - used
        elif i is None or isinstance(i, bool):
            continue
        elif isinstance(i, _slice):
            axis += 1
        elif hasattr(i, "dtype"):
            if i.dtype.kind == "b":
                want = shape[axis:axis + i.ndim]
                if i.shape != want and i.size:  # NumPy lets empty masks through
                    raise IndexError(f"{op}: boolean index of shape {i.shape} does not match "
                                     f"the indexed dims {want} (axes {axis}..{axis + i.ndim - 1}"
                                     f") of the tensor of shape {shape}")
                axis += i.ndim
            else:
                _check_bounds(op, i, shape[axis], axis)
                axis += 1
        else:
            n = shape[axis]
            if not -n <= i < n:
                raise IndexError(f"{op}: index {i} is out of bounds for axis {axis} with "
                                 f"size {n}")
            axis += 1


_GETITEM = register(OpDef(
    "getitem", lambda xp, x, index: x[index], kind="index", view=True,
    vjp=lambda ctx, g: apply(_SCATTER_ADD, g, shape=ctx.shapes[0], index=ctx.attrs["index"]),
    samples=({"index": 0, "shapes": [[(3,)], [(3, 4)]]},
             {"index": (_slice(None, None, -1),), "shapes": [[(0,)], [(5,)], [(4, 3)]]},
             {"index": (Ellipsis, _slice(1, None, 2), None), "shapes": [[(2, 5)], [(2, 3, 4)]]},
             {"index": (_slice(-1, 0, -2), 1), "shapes": [[(5, 3)]]},
             {"index": (None,), "shapes": [[()]]},
             {"index": (Ellipsis,), "shapes": [[()]]}),
    doc="NumPy indexing."))


def getitem(x, index) -> "Tensor":
    """``x[index]`` with NumPy's rules: ints, slices (with steps, negative too), ``None``
    (``gt.newaxis``), ``...``, integer and boolean arrays, lists or tensors, and mixes of
    them. Basic indexing (no arrays) returns a view; an out-of-range int raises IndexError.

    >>> gt.arange(6).reshape(2, 3)[:, ::2].tolist()
    [[0, 2], [3, 5]]

    The gradient of advanced indexing adds up over repeated indices: ``x[[0, 0]].sum()``
    gives ``x.grad[0] == 2``.
    """
    index = _index_arrays(index, x)
    if _all_ints(index, x.ndim):
        # NumPy gives a copy for x[i, j] down to one element; x[i, j, ...] is the same value as
        # a 0-d view, so that t[0].add_(1) changes t, as in PyTorch
        index = (*index, Ellipsis) if isinstance(index, tuple) else (index, Ellipsis)
    if x._requires_grad and is_grad_enabled():
        # the gradient uses the index later: keep our own copy of index arrays, which may be
        # the memory of a tensor (or NumPy array) the caller changes after this call
        index = (tuple(_own(i) for i in index) if isinstance(index, tuple) else _own(index))
    return apply(_GETITEM, x, index=index)


def _all_ints(index, ndim: int) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return len(items) == ndim and all(  # (x[()] of a 0-d x too: NumPy gives a copy)
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items)


def _own(item):
    return item.copy() if hasattr(item, "dtype") else item


# -- scatter-add: the derivative of indexing ------------------------------------------------
def _scatter_add(xp, g, shape, index):
    """zeros(shape) with ``g`` added at ``index`` (any NumPy index). Positions an integer
    array index names more than once get the SUM of their values (``add.at``); indexes
    without integer arrays never repeat a position and are a plain assignment."""
    items = index if isinstance(index, tuple) else (index,)
    out = xp.zeros(shape, dtype=g.dtype)
    if any(i is False for i in items):  # x[False] selects nothing: nothing flows back
        return out
    # a Python True is a 0-d mask that adds a size-1 axis, exactly as None (add.at wants that)
    items = tuple(None if i is True else xp.asarray(i) if isinstance(i, (list, np.ndarray))
                  else i for i in items)
    if any(getattr(i, "dtype", None) is not None and i.dtype.kind in "iu" for i in items):
        xp.add.at(out, items, g)
    else:
        out[items] = g
    return out


def _scatter_add_vjp(ctx, g):
    index = ctx.attrs["index"]
    items = index if isinstance(index, tuple) else (index,)
    if any(isinstance(i, list) for i in items):
        index = _index_arrays(index, g, "scatter_add")
    return apply(_GETITEM, g, index=index)


def _on_device(like, host: np.ndarray):
    """Host index data (NumPy) as an array on ``like``'s device, for an op's attributes."""

    return get_backend(like.device).asarray(host)


# internal (no public function): the gradient of getitem, gather, take, slice, repeat and pad
_SCATTER_ADD = register(OpDef(
    "scatter_add", _scatter_add, kind="index", kinds="f", vjp=_scatter_add_vjp,
    samples=({"shape": (5,), "index": ([0, 0, 3, 0],), "shapes": [[(4,)], [()]]},
             {"shape": (4, 3), "index": (_slice(1, 3), [2, 2]), "shapes": [[(2, 2)]]},
             {"shape": (3, 4), "index": 1, "shapes": [[(4,)]]},
             {"shape": (2, 5), "index": (Ellipsis, _slice(None, None, -2)),
              "shapes": [[(2, 3)]]},
             {"shape": (3,), "index": ([True, False, True],), "shapes": [[(2,)]]},
             {"shape": (3, 2), "index": (None, [1, 1]), "shapes": [[(1, 2, 2)]]}),
    doc="zeros(shape) with g added at index; repeated positions accumulate (add.at)."))
