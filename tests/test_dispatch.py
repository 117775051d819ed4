"""``ops.apply``'s fast paths give exactly what its general path gives: for one operand with
attributes (reductions, views), several operands of one dtype, operands of several dtypes
where only some take part in promotion, ops returning several arrays, and forwards that keep
``Residuals`` for their rule. Also the NumPy backend's direct ``broadcast_to``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gputensor as gt
from gputensor.backends.numpy_backend import _broadcast_to
from gputensor.ops import OPS, OpDef, apply
from gputensor.ops.opdef import Residuals


def _cleared():
    """A CPU device whose fast-path cache is empty, restored afterwards."""
    dev = gt.device("cpu")
    saved = dev.fast
    dev.fast = {}
    return dev, saved


def _twice(fn, cached: bool = True):
    """``fn()`` through the general path (empty cache), then again through the fast path
    (``cached``: the first run must have enabled one)."""
    dev, saved = _cleared()
    try:
        first = fn()
        assert bool(dev.fast) == cached, dev.fast
        second = fn()
    finally:
        dev.fast = saved
    return first, second


def _same(a, b):
    a = a if isinstance(a, (list, tuple)) else [a]
    b = b if isinstance(b, (list, tuple)) else [b]
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert type(x) is type(y) and x.dtype == y.dtype and x.shape == y.shape
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize("call", [
    lambda x, y: gt.sum(x),                        # one operand with attributes
    lambda x, y: gt.sum(x, axis=1, keepdims=True),
    lambda x, y: gt.broadcast_to(x[:1], (4, 3)),   # a view
    lambda x, y: x.T,
    lambda x, y: gt.matmul(x, y.T),                # several operands, one dtype
    lambda x, y: gt.nn.functional.linear(x, y, gt.ones(4)),
    lambda x, y: gt.where(x > 0, x, y),            # a condition outside promotion
    lambda x, y: gt.nn.functional.cross_entropy(x, gt.tensor([0, 2, 1, 0])),  # labels
], ids=["sum", "sum-axis", "broadcast-view", "T", "matmul", "linear", "where", "ce"])
def test_fast_path_gives_what_the_general_path_gives(call):
    rng = np.random.default_rng(0)
    x = gt.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    y = gt.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    first, second = _twice(lambda: call(x, y))
    _same(first, second)


def test_views_with_several_results_stay_on_the_general_path():
    x = gt.tensor(np.arange(12.0, dtype=np.float32).reshape(4, 3))
    first, second = _twice(lambda: gt.split(x, 3, axis=1), cached=False)
    _same(first, second)
    assert all(p._version is x._version_counter() for p in second)


def test_fast_path_views_share_the_version_counter():
    x = gt.zeros(1, 3)
    _twice(lambda: gt.broadcast_to(x, (2, 3)))
    v = gt.broadcast_to(x, (2, 3))  # fast path
    x.add_(1.0)
    assert v._version is x._version and v.numpy().tolist() == [[1.0] * 3] * 2


def test_fast_path_records_the_graph_like_the_general_path():
    x = gt.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    w = gt.tensor([[0.5, 1.0], [2.0, -1.0]], requires_grad=True)
    grads = []
    for _ in range(2):  # the first call runs the general path, the second the fast one
        x.grad = w.grad = None
        (gt.matmul(x, w).sum() + gt.sum(x * x, axis=0).sum()).backward()
        grads.append((x.grad.numpy(), w.grad.numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
    np.testing.assert_allclose(grads[1][0], np.ones((2, 2)) @ w.numpy().T + 2 * x.numpy())


_NODE_FIELDS = ("op", "attrs", "targets", "idxs", "shapes", "dtypes", "saved",
                "saved_versions", "out_arrays", "versions", "n_out", "out_shapes", "device",
                "retained", "hooks", "freed", "function", "residuals")


def _same_nodes(fast, general):
    """Two nodes hold the same record (a saved output: equal arrays, not the same)."""
    for field in _NODE_FIELDS:
        if field == "out_arrays" and general.out_arrays is not None:
            assert len(fast.out_arrays) == len(general.out_arrays)
            for f, g in zip(fast.out_arrays, general.out_arrays):
                np.testing.assert_array_equal(f, g)
            continue
        assert getattr(fast, field) == getattr(general, field), field
    assert fast.seq == general.seq - 1


@pytest.mark.parametrize("name", ["multiply", "add", "divide", "pow", "less"])
@pytest.mark.parametrize("operands", ["grad*grad", "grad*const", "const*grad", "grad*scalar",
                                      "scalar*grad", "node*leaf", "view*grad"])
def test_binary_fast_record_makes_the_node_record_makes(name, operands):
    """``record_binary`` (the operators' fast paths) and the general ``record`` build equal
    nodes for every kind of operand pair."""
    op = OPS[name]
    base = gt.tensor([[1.5, 2.0], [0.5, 3.0]], requires_grad=True)
    leaf = gt.tensor([0.25, 4.0], requires_grad=True)
    const = gt.tensor([2.0, 1.0])
    pairs = {"grad*grad": (leaf, leaf * 1), "grad*const": (leaf, const),
             "const*grad": (const, leaf), "grad*scalar": (leaf, 3.0), "scalar*grad": (2.0, leaf),
             "node*leaf": (base * 2, leaf), "view*grad": ((base * 1)[0], leaf)}
    a, b = pairs[operands]
    x = a._data if isinstance(a, gt.Tensor) else a
    y = b._data if isinstance(b, gt.Tensor) else b
    impl = gt.get_default_device().backend.impl(op)
    fast, general = (gt.Tensor._make(impl(x, y), a.device if isinstance(a, gt.Tensor)
                                     else b.device) for _ in range(2))
    gt.autograd.record_binary(op, a, b, x, y, fast)
    gt.autograd.record(op, (a, b), {}, (x, y), [general])
    if general.grad_fn is None:  # a comparison: no node on either path
        assert fast.grad_fn is None and not fast.requires_grad
        return
    _same_nodes(fast.grad_fn, general.grad_fn)
    assert fast.requires_grad and fast._out_idx == general._out_idx == 0


@pytest.mark.parametrize("name", ["exp", "relu", "negative", "sqrt", "isnan"])
@pytest.mark.parametrize("operand", ["leaf", "node", "view", "const"])
def test_unary_fast_record_makes_the_node_record_makes(name, operand):
    op = OPS[name]
    base = gt.tensor([[1.5, 2.0], [0.5, 3.0]], requires_grad=True)
    a = {"leaf": base, "node": base * 2, "view": (base * 1)[1], "const": base.detach()}[operand]
    impl = gt.get_default_device().backend.impl(op)
    fast, general = (gt.Tensor._make(impl(a._data), a.device) for _ in range(2))
    gt.autograd.record_unary(op, a, a._data, fast)
    gt.autograd.record(op, (a,), {}, (a._data,), [general])
    if general.grad_fn is None:  # a bool result, or no input that requires grad: no node
        assert fast.grad_fn is None and not fast.requires_grad
        return
    _same_nodes(fast.grad_fn, general.grad_fn)


def test_mixed_dtype_fast_path_is_keyed_by_every_dtype():
    """A cached (float32, int64) run must not serve (float32, int32) labels or float64."""
    logits = gt.tensor(np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32))
    for labels in ([0, 1, 3], np.array([0, 1, 3], np.int32)):
        want = -np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(1, keepdims=True))
        want = want[np.arange(3), [0, 1, 3]].mean()
        for _ in range(2):
            got = gt.nn.functional.cross_entropy(logits, gt.tensor(labels))
            assert got.dtype == gt.float32
            np.testing.assert_allclose(got.item(), want, rtol=1e-6)
    got64 = gt.nn.functional.cross_entropy(logits.to(gt.float64), gt.tensor([0, 1, 3]))
    assert got64.dtype == gt.float64


def test_fast_path_errors_name_the_op():
    a, b = gt.ones(2, 3), gt.ones(2, 3)
    gt.matmul(a, b.T)  # enable the fast path for float32 matmul
    with pytest.raises(ValueError, match="matmul"):
        apply(OPS["matmul"], a, b)  # shapes do not align: the forward's error, named


# -- Python float scalars on the binary fast path (cached as 0-d arrays on the CPU) -------------
_SCALAR_OPS = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "pow"]


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(_SCALAR_OPS),
       dtype=st.sampled_from(["float16", "float32", "float64"]),
       s=st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from([0.0, -0.0, 1e300, -1e-300, 1e-8, 65504.0, 65520.0])),
       reflected=st.booleans())
def test_scalar_operand_gives_what_numpy_gives_with_a_python_float(name, dtype, s, reflected):
    """A float scalar goes to the forward as a cached 0-d array of the tensor's dtype: the
    same bits as NumPy's own conversion (NEP 50), signed zeros, NaN and overflow included,
    on the first (general) call, the second (converting) and the third (cached)."""
    data = np.array([-2.0, -0.0, 0.5, 3.0, np.inf], dtype=dtype)
    x = gt.tensor(data)
    fn, ufunc = getattr(gt, name), getattr(np, "power" if name == "pow" else name)
    with np.errstate(all="ignore"):
        want = ufunc(s, data) if reflected else ufunc(data, s)
        for _ in range(3):
            got = fn(s, x) if reflected else fn(x, s)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.numpy(), want)
            assert (np.signbit(got.numpy()) == np.signbit(want)).all()


def test_scalar_cache_tells_signed_zeros_apart_and_stays_bounded():
    x = gt.tensor([1.0, -1.0])
    assert np.signbit((x * 0.0).numpy()).tolist() == [False, True]
    assert np.signbit((x * -0.0).numpy()).tolist() == [True, False]
    for i in range(1000):
        assert (x + (i + 0.5)).tolist() == [i + 1.5, i - 0.5]
    table = x.device.scalars[np.dtype("float32")]
    assert 0 < len(table) <= 256
    assert not any(w.flags.writeable for w in table.values())  # shared: read-only


def test_scalar_operand_is_recorded_as_the_python_scalar():
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    y = x * 3.0  # (the second call takes the fast path, with the cached 0-d array)
    assert y.grad_fn.inputs[1] == 3.0 and type(y.grad_fn.inputs[1]) is float
    assert y.grad_fn.dtypes[1] is None and y.grad_fn.shapes[1] == ()
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# -- ops returning several arrays, and residuals ----------------------------------------------
def _pair_fwd(xp, x, y):
    return x + y, x * y


def _kept_fwd(xp, x, y):
    out = x * y
    return Residuals(out, ("kept", out.sum()))


_seen = []


def _kept_vjp(ctx, g):
    _seen.append(ctx.residuals)
    x, y = ctx.inputs
    return g * y, g * x


_PAIR = OpDef("test_pair", _pair_fwd, arity=2, kinds="f", samples=())
_KEPT = OpDef("test_kept", _kept_fwd, arity=2, kinds="f", vjp=_kept_vjp, save=("x0", "x1"),
              samples=())


def test_an_op_returning_several_arrays_takes_the_fast_path():
    x, y = gt.tensor([1.0, 2.0]), gt.tensor([3.0, 4.0])
    first, second = _twice(lambda: apply(_PAIR, x, y))
    _same(first, second)
    assert [t.tolist() for t in second] == [[4.0, 6.0], [3.0, 8.0]]


def test_residuals_reach_the_rule_on_both_paths_and_are_freed():
    _seen.clear()
    x = gt.tensor([1.0, 2.0], requires_grad=True)
    y = gt.tensor([3.0, 4.0])
    dev, saved = _cleared()
    try:
        for _ in range(2):  # general path, then fast path
            x.grad = None
            out = apply(_KEPT, x, y)
            assert isinstance(out, gt.Tensor) and out.tolist() == [3.0, 8.0]
            node = out.grad_fn
            out.sum().backward()
            assert x.grad.tolist() == [3.0, 4.0]
            assert node.residuals is None  # released with the saved inputs
    finally:
        dev.fast = saved
    assert [k for k, _ in _seen] == ["kept", "kept"] and float(_seen[0][1]) == 11.0


def test_residuals_are_dropped_when_nothing_is_recorded():
    x, y = gt.tensor([1.0, 2.0]), gt.tensor([3.0, 4.0])
    out = apply(_KEPT, x, y)
    assert out.tolist() == [3.0, 8.0] and out.grad_fn is None
    with gt.no_grad():
        assert apply(_KEPT, x.requires_grad_(), y).grad_fn is None


# -- the NumPy backend's broadcast_to -----------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_direct_broadcast_matches_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    if data.draw(st.booleans()) and x.ndim >= 1:
        x = x[..., ::-1]  # not C-contiguous (NumPy's own routine then)
    other = data.draw(hnp.broadcastable_shapes(x.shape, min_dims=x.ndim, max_dims=4,
                                               max_side=4))
    target = np.broadcast_shapes(x.shape, other)  # a shape x broadcasts to
    got, want = _broadcast_to(x, target), np.broadcast_to(x, target)
    assert got.shape == want.shape
    assert [s for s, n in zip(got.strides, target) if n > 1] == \
        [s for s, n in zip(want.strides, target) if n > 1]  # (size-1 axes: any stride)
    np.testing.assert_array_equal(got, want)
    assert not got.flags.writeable
    assert np.shares_memory(got, x) or x.size == 0


@pytest.mark.parametrize("shape, target", [((3,), (4,)), ((2, 3), (3,)), ((3,), (-1, 3))])
def test_direct_broadcast_errors_are_numpys(shape, target):
    with pytest.raises(ValueError) as got:
        _broadcast_to(np.ones(shape), target)
    with pytest.raises(ValueError) as want:
        np.broadcast_to(np.ones(shape), target)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "bool", "complex64"])
@pytest.mark.parametrize("shape", [(), (1,), (2, 3), (0, 4)])
def test_numpy_backend_ones_is_np_ones(dtype, shape):
    from gputensor.backends.base import Backend
    from gputensor.backends.numpy_backend import NumpyBackend

    want = np.ones(shape, dtype=dtype)
    for backend in (NumpyBackend(), Backend()):  # the override and the default
        got = backend.ones(shape, np.dtype(dtype))
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert got.flags.writeable and got.flags.owndata


def test_numpy_backend_ones_refuses_a_negative_shape():
    from gputensor.backends.numpy_backend import NumpyBackend

    with pytest.raises(ValueError, match="negative dimensions"):
        NumpyBackend().ones((2, -1), np.dtype("float32"))


@pytest.mark.parametrize("dtype", ["float16", "float32", "int64", "bool"])
@pytest.mark.parametrize("kw", [{}, {"axis": None}, {"axis": (0,)}, {"axis": (1, 0)},
                                {"axis": ()}, {"axis": (1,), "keepdims": True}])
def test_numpy_backend_sum_is_np_sum(dtype, kw):
    from gputensor.backends.numpy_backend import _sum

    x = (np.arange(12) % 5).reshape(3, 4).astype(dtype)
    got, want = _sum(x, **kw), np.sum(x, **kw)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


class _Counting:
    """A device context (as CUDA's) that counts how often it was entered."""

    def __init__(self):
        self.entered = 0

    def __enter__(self):
        self.entered += 1

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("call", [
    lambda x, y: x + y, lambda x, y: x * 2.0, lambda x, y: gt.exp(x), lambda x, y: x.sum(),
    lambda x, y: gt.matmul(x, y.T)], ids=["add", "scalar", "unary", "sum", "matmul"])
def test_fast_path_makes_the_device_current_where_the_backend_needs_it(call):
    # a backend with a device context (CUDA) gets fast paths too, each run inside it
    from gputensor.backends import get_backend

    x, y = gt.ones(2, 3), gt.full((2, 3), 2.0)
    dev, saved = _cleared()
    backend = get_backend(dev)
    ctx = backend.ctx = _Counting()
    general = []  # the general path looks the impl up; the fast paths do not
    backend.impl = lambda op: general.append(op) or type(backend).impl(backend, op)
    try:
        first = call(x, y)
        n, looked_up = ctx.entered, len(general)  # once per op (matmul's y.T is one more)
        assert dev.fast and n >= 1
        second = call(x, y)
        assert len(general) == looked_up  # the fast paths ran...
        assert ctx.entered == 2 * n  # ...inside the context too
        _same(first, second)
    finally:
        del backend.impl
        backend.ctx = None
        dev.fast = saved
