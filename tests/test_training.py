"""Keras-style training (gt.nn.training.Trainable on Sequential and on a Module of our own):
compile's names and errors, the losses against NumPy references (no double softmax), fit /
evaluate / predict semantics (History, modes, seeds, validation, devices, verbosity), and
the digits acceptance item (Sequential + adam + sparse categorical cross entropy >= 95%)."""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest

import gputensor as gt
from gputensor.nn import training
from gputensor.nn.training import (BinaryCrossentropy, CategoricalCrossentropy, History,
                                   MeanAbsoluteError, MeanSquaredError,
                                   SparseCategoricalCrossentropy, Trainable)

F = gt.nn.functional
nn = gt.nn


class Affine(nn.Module, Trainable):
    """y = out(x @ w + b), with every forward's training flag recorded."""

    def __init__(self, d_in, d_out, out=None, seed=0, device=None, dtype=gt.float32):
        super().__init__()
        rng = np.random.default_rng(seed)
        w = rng.normal(0, 1 / np.sqrt(d_in), (d_in, d_out))
        self.w = nn.Parameter(gt.tensor(w, dtype=dtype, device=device))
        self.b = nn.Parameter(gt.zeros(d_out, dtype=dtype, device=device))
        self.out = out
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        y = x @ self.w + self.b
        if self.out == "softmax":
            return F.softmax(y, axis=-1)
        if self.out == "sigmoid":
            return gt.sigmoid(y)
        return y


class Lazy(nn.Module, Trainable):
    """Creates its parameter at the first call (as Keras's Dense does)."""

    def __init__(self, units):
        super().__init__()
        self.units = units
        self.register_parameter("w", None)

    def forward(self, x):
        if self.w is None:
            self.w = nn.Parameter(gt.zeros(x.shape[-1], self.units, device=x.device))
        return x @ self.w


def blobs(n=120, d=4, k=3, seed=0):
    """k well separated Gaussian blobs: float32 x, int64 labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (k, d))
    y = rng.integers(0, k, n)
    x = centers[y] + rng.normal(0, 0.5, (n, d))
    return x.astype(np.float32), y.astype(np.int64)


def N(t):
    return t.cpu().numpy()


# -- compile --------------------------------------------------------------------------------
def test_fit_and_evaluate_before_compile_raise():
    x, y = blobs()
    m = Affine(4, 3)
    with pytest.raises(RuntimeError, match=r"call model.compile\(.*\) before fit\(\)"):
        m.fit(x, y)
    with pytest.raises(RuntimeError, match=r"compile.*before evaluate\(\)"):
        m.evaluate(x, y)
    assert m.predict(x).shape == (120, 3)  # predict needs no compile


def test_compile_unknown_names_list_the_known_ones():
    m = Affine(4, 3)
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'; known losses: "
                                         r"'binary_crossentropy', 'categorical_crossentropy'"
                                         r".*'sparse_categorical_crossentropy'"):
        m.compile("adam", "hinge")
    with pytest.raises(ValueError, match=r"unknown optimizer 'adagrad'; known optimizers: "
                                         r"'adam', 'adamw', 'rmsprop', 'sgd'"):
        m.compile("adagrad", "mse")
    with pytest.raises(ValueError, match=r"unknown metric 'f1'; known metrics: .*'accuracy'"):
        m.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(ValueError, match="loss is required"):
        m.compile("adam")
    with pytest.raises(TypeError, match="loss must be a name"):
        m.compile("adam", 3)
    with pytest.raises(TypeError, match="optimizer must be a name"):
        m.compile(3, "mse")
    with pytest.raises(TypeError, match="a metric must be a name or a callable"):
        m.compile("adam", "mse", metrics=[3])
    with pytest.raises(ValueError, match="distinct"):
        m.compile("adam", "mse", metrics=["acc", "acc"])
    m.compile("Adam", "MSE", metrics="mae")  # names are case-insensitive; one metric: a str


def test_named_optimizers_use_keras_defaults():
    x, y = blobs()
    for name, cls, lr in [("adam", gt.optim.Adam, 1e-3), ("sgd", gt.optim.SGD, 1e-2),
                          ("rmsprop", gt.optim.RMSprop, 1e-3), ("adamw", gt.optim.AdamW, 1e-3)]:
        m = Affine(4, 3)
        m.compile(name, "sparse_categorical_crossentropy")
        m.fit(x, y, verbose=0)
        opt = m._keras_compiled.optimizer
        assert type(opt) is cls and opt.param_groups[0]["lr"] == lr
        assert {id(p) for p in opt.param_groups[0]["params"]} == {id(m.w), id(m.b)}


# -- losses against NumPy ---------------------------------------------------------------------
def np_probs(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture
def cls_data():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (6, 4))
    labels = rng.integers(0, 4, 6)
    return logits, labels


def test_sparse_categorical_crossentropy_on_probabilities(cls_data):
    logits, labels = cls_data
    p = np_probs(logits)
    want = -np.mean(np.log(np.clip(p, 1e-7, 1 - 1e-7))[np.arange(6), labels])
    loss = SparseCategoricalCrossentropy()
    got = loss(gt.tensor(labels), gt.tensor(p, dtype=gt.float64)).item()
    assert got == pytest.approx(want, rel=1e-12)
    # labels of shape (N, 1), float labels and NumPy inputs are accepted, as in Keras
    assert loss(labels[:, None].astype(np.float64), gt.tensor(p)).item() == \
        pytest.approx(want, rel=1e-6)
    # from_logits: the stable cross entropy, even at logits of magnitude 1e4
    got = SparseCategoricalCrossentropy(from_logits=True)(labels, gt.tensor(logits)).item()
    assert got == pytest.approx(-np.mean(np.log(p)[np.arange(6), labels]), rel=1e-12)
    big = gt.tensor([[1e4, -1e4]])
    assert SparseCategoricalCrossentropy(from_logits=True)([1], big).item() == \
        pytest.approx(2e4)
    # clipping keeps a zero probability finite: -log(1e-7)
    assert loss([1], gt.tensor([[1.0, 0.0]], dtype=gt.float64)).item() == \
        pytest.approx(-np.log(1e-7))


def test_sparse_labels_errors():
    loss = SparseCategoricalCrossentropy()
    p = gt.full((3, 4), 0.25)
    with pytest.raises(IndexError, match="4"):
        loss(gt.tensor([0, 4, 1]), p)
    with pytest.raises(ValueError, match=r"labels of shape \(2,\) do not match predictions of "
                                         r"shape \(3, 4\): expected .* shape \(3,\)"):
        loss(gt.tensor([0, 1]), p)
    with pytest.raises(TypeError, match="labels must be integers"):
        loss(gt.tensor([True, False, True]), p)


def test_sparse_crossentropy_keeps_classes_on_the_last_axis():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 3))
    labels = rng.integers(0, 3, (2, 5))
    p = np_probs(logits)
    want = -np.mean(np.take_along_axis(np.log(p), labels[..., None], -1))
    for loss, pred in [(SparseCategoricalCrossentropy(), p),
                       (SparseCategoricalCrossentropy(from_logits=True), logits)]:
        assert loss(labels, gt.tensor(pred, dtype=gt.float64)).item() == \
            pytest.approx(want, rel=1e-9)


def test_softmax_head_is_not_softmaxed_twice(cls_data):
    """A softmax head with 'sparse_categorical_crossentropy': the loss is -log p[y] of the
    head's own probabilities and its gradient wrt the logits is (softmax - onehot) / N."""
    logits, labels = cls_data
    z = gt.tensor(logits, dtype=gt.float64, requires_grad=True)
    probs = F.softmax(z, axis=-1)
    loss = training._resolve_loss("sparse_categorical_crossentropy")(gt.tensor(labels), probs)
    p = np_probs(logits)
    assert loss.item() == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-9)
    loss.backward()
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(N(z.grad), (p - onehot) / 6, atol=1e-9)


def test_categorical_and_binary_crossentropy(cls_data):
    logits, labels = cls_data
    p, onehot = np_probs(logits), np.eye(4)[labels]
    want = -np.mean(np.sum(onehot * np.log(p), -1))
    assert CategoricalCrossentropy()(onehot, gt.tensor(p, dtype=gt.float64)).item() == \
        pytest.approx(want, rel=1e-9)
    assert CategoricalCrossentropy(from_logits=True)(
        onehot, gt.tensor(logits, dtype=gt.float64)).item() == pytest.approx(want, rel=1e-9)
    with pytest.raises(ValueError, match="integer labels need 'sparse_categorical"):
        CategoricalCrossentropy()(labels, gt.tensor(p))
    q = 1 / (1 + np.exp(-logits[:, :1]))
    t = (labels[:, None] % 2).astype(np.float64)
    bce = -np.mean(t * np.log(q) + (1 - t) * np.log(1 - q))
    # integer targets of shape (N,) against predictions (N, 1) are matched, as in Keras
    assert BinaryCrossentropy()(labels % 2, gt.tensor(q)).item() == pytest.approx(bce, rel=1e-9)
    assert BinaryCrossentropy(from_logits=True)(t, gt.tensor(logits[:, :1])).item() == \
        pytest.approx(bce, rel=1e-9)
    one = gt.tensor([[1.0]], dtype=gt.float64)
    assert BinaryCrossentropy()([[1.0]], one).item() == pytest.approx(-np.log(1 - 1e-7),
                                                                       abs=1e-12)
    with pytest.raises(ValueError, match=r"targets of shape \(6, 2\) do not match"):
        BinaryCrossentropy()(np.zeros((6, 2)), gt.tensor(q))
    assert "from_logits=True" in repr(BinaryCrossentropy(from_logits=True))


def test_regression_losses():
    a, b = np.array([[1.0], [2.0], [4.0]]), np.array([0.0, 2.0, 1.0])
    assert MeanSquaredError()(b, gt.tensor(a)).item() == pytest.approx(10 / 3)
    assert MeanAbsoluteError()(b, gt.tensor(a)).item() == pytest.approx(4 / 3)
    assert training._resolve_loss("mean_squared_error")(b, gt.tensor(a)).item() == \
        pytest.approx(10 / 3)
    # Huber (delta 1): errors 1, 0, 3 -> 0.5, 0, 2.5; Keras's names resolve
    e = np.array([1.0, 0.0, 3.0])
    want = np.where(np.abs(e) <= 1, 0.5 * e ** 2, np.abs(e) - 0.5).mean()
    assert training._resolve_loss("huber")(b, gt.tensor(a)).item() == pytest.approx(want)
    assert training.Huber(delta=2.0)(b, gt.tensor(a)).item() == pytest.approx(
        np.where(np.abs(e) <= 2, 0.5 * e ** 2, 2 * (np.abs(e) - 1)).mean())
    with pytest.raises(ValueError, match="Huber: delta must be positive, got -1.0"):
        training.Huber(-1.0)
    y, p = np.array([[0.2, 0.8], [0.0, 1.0]]), np.array([[0.5, 0.5], [0.1, 0.9]])
    yc, pc = np.clip(y, 1e-7, 1), np.clip(p, 1e-7, 1)
    for name in ("kld", "kl_divergence"):
        got = training._resolve_loss(name)(y, gt.tensor(p, dtype=gt.float64)).item()
        assert got == pytest.approx((yc * np.log(yc / pc)).sum(-1).mean(), rel=1e-12)


# -- fit / evaluate / predict ---------------------------------------------------------------
def test_fit_learns_and_history_holds_every_epoch():
    x, y = blobs()
    m = Affine(4, 3, out="softmax")
    m.compile(gt.optim.SGD(m.parameters(), lr=0.5), "sparse_categorical_crossentropy",
              metrics=["accuracy", "sparse_categorical_accuracy"])
    before = m.evaluate(x, y)
    h = m.fit(x, y, epochs=5, batch_size=16, verbose=0, validation_data=(x[:30], y[:30]))
    assert isinstance(h, History) and h.epoch == [0, 1, 2, 3, 4]
    assert list(h.history) == ["loss", "accuracy", "sparse_categorical_accuracy", "val_loss",
                               "val_accuracy", "val_sparse_categorical_accuracy"]
    assert all(len(v) == 5 and all(isinstance(f, float) for f in v)
               for v in h.history.values())
    assert h.history["loss"][-1] < h.history["loss"][0] < before[0]
    assert h.history["accuracy"][-1] == h.history["sparse_categorical_accuracy"][-1] >= 0.95
    assert h.params["epochs"] == 5 and h.params["steps"] == 8
    assert "History(epochs=5" in repr(h)


def test_evaluate_matches_a_direct_computation():
    x, y = blobs(50)
    m = Affine(4, 3, out="softmax", dtype=gt.float64)
    m.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    p = N(m(gt.tensor(x, dtype=gt.float64)))
    want_loss = -np.mean(np.log(np.clip(p, 1e-7, 1 - 1e-7))[np.arange(50), y])
    want_acc = np.mean(p.argmax(-1) == y)
    for bs in (7, 50, 64):  # uneven last batches are weighted by their size
        loss, acc = m.evaluate(x, y, batch_size=bs)
        assert loss == pytest.approx(want_loss, rel=1e-12) and acc == pytest.approx(want_acc)
    assert m.evaluate(x, y, return_dict=True).keys() == {"loss", "accuracy"}
    m.compile("sgd", "sparse_categorical_crossentropy")
    assert isinstance(m.evaluate(x, y), float)  # no metrics: the loss alone, as Keras


def test_numpy_and_tensor_inputs_agree_and_predict_is_a_tensor():
    x, y = blobs(40)
    m = Affine(4, 3, out="softmax")
    out_np = m.predict(x, batch_size=16)
    out_t = m.predict(gt.tensor(x), batch_size=7)
    assert isinstance(out_np, gt.Tensor) and out_np.shape == (40, 3)
    np.testing.assert_allclose(N(out_np), N(out_t), rtol=1e-6)
    np.testing.assert_allclose(N(out_np), N(m(gt.tensor(x))), rtol=1e-6)
    assert not out_np.requires_grad
    m.compile("sgd", "sparse_categorical_crossentropy", ["acc"])
    assert m.evaluate(x, y) == pytest.approx(m.evaluate(gt.tensor(x), gt.tensor(y)))
    # float64 data is cast to the model's float32 (the parameters stay float32)
    m.fit(x.astype(np.float64), y, verbose=0)
    assert m.w.dtype == gt.float32 and m.predict(x.astype(np.float64)).dtype == gt.float32


def test_modes_train_for_fit_eval_for_validation_and_restored():
    x, y = blobs(20)
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "sparse_categorical_crossentropy")
    m.eval()
    m.modes.clear()
    m.fit(x, y, batch_size=10, epochs=1, verbose=0, validation_data=(x[:5], y[:5]))
    # the probe forward that builds the optimizer (eval), 2 training steps, 1 validation batch
    assert m.modes == [False, True, True, False]
    assert m.training is False  # restored
    m.train()
    m.modes.clear()
    m.evaluate(x, y, batch_size=10)
    m.predict(x, batch_size=10)
    assert m.modes == [False] * 4 and m.training is True


def test_seed_makes_fit_reproducible():
    x, y = blobs()

    def train(seed):
        m = Affine(4, 3, out="softmax")
        m.compile("adam", "sparse_categorical_crossentropy")
        m.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=seed)
        return N(m.w)

    np.testing.assert_array_equal(train(3), train(3))
    assert not np.array_equal(train(3), train(4))
    gt.manual_seed(5)
    a = train(None)
    gt.manual_seed(5)
    np.testing.assert_array_equal(a, train(None))


def test_shuffle_false_keeps_order():
    x, y = blobs(12)
    seen = []

    def spy(y_true, y_pred):
        seen.extend(N(y_true).tolist())
        return gt.mean(y_pred) * 0

    m = Affine(4, 3)
    m.compile("sgd", spy)  # a Keras-order callable loss(y_true, y_pred)
    m.fit(x, y, batch_size=5, verbose=0, shuffle=False)
    assert seen == y.tolist()
    seen.clear()
    m.fit(x, y, batch_size=5, verbose=0, seed=0)
    assert sorted(seen) == sorted(y.tolist()) and seen != y.tolist()


def test_validation_split_holds_out_the_last_samples():
    x, y = blobs(40)
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    h = m.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
    assert h.params["steps"] == 4  # 30 training samples
    val = m.evaluate(x[30:], y[30:])
    assert h.history["val_loss"][-1] == pytest.approx(val[0], rel=1e-6)
    assert h.history["val_accuracy"][-1] == pytest.approx(val[1])
    for bad in (1.0, -0.1, "0.2", True):
        with pytest.raises(ValueError, match="validation_split must be a number in"):
            m.fit(x, y, validation_split=bad)
    with pytest.raises(ValueError, match="leaves an empty"):
        m.fit(x[:2], y[:2], validation_split=0.1, verbose=0)


def test_datasets_and_loaders_as_inputs():
    x, y = blobs(30)
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    ds = gt.data.TensorDataset(x, y)
    loader = gt.data.DataLoader(ds, batch_size=8, shuffle=True, seed=0)
    h = m.fit(loader, epochs=2, verbose=0, validation_data=ds)
    assert len(h.history["val_loss"]) == 2
    m.fit(ds, batch_size=4, verbose=0, validation_data=loader)
    a = m.evaluate(ds)
    assert a == pytest.approx(m.evaluate(x, y))
    assert m.predict(loader).shape == (30, 3)  # batches (x, y): the x part
    np.testing.assert_allclose(N(m.predict(ds)), N(m.predict(x)), rtol=1e-6)
    with pytest.raises(ValueError, match="y must be None when x is a DataLoader"):
        m.fit(loader, y)
    with pytest.raises(ValueError, match="validation_split needs arrays"):
        m.fit(loader, validation_split=0.2)
    with pytest.raises(ValueError, match="validation_data must be a tuple"):
        m.fit(x, y, validation_data=(x,))


def test_optimizer_instances_factories_and_lazy_models():
    x, y = blobs(30)
    lazy = Lazy(3)
    assert list(lazy.parameters()) == []
    lazy.compile("sgd", F.cross_entropy)  # a PyTorch-order loss(input, target)
    lazy.fit(x, y, verbose=0)
    assert lazy.w.shape == (4, 3) and float(gt.abs(lazy.w).sum()) > 0
    late = Lazy(3)
    late.compile(functools.partial(gt.optim.SGD, lr=0.1), nn.CrossEntropyLoss())
    late.fit(x, y, verbose=0)
    assert late._keras_compiled.optimizer.param_groups[0]["lr"] == 0.1
    m = Affine(4, 3)
    other = Affine(4, 3)
    m.compile(gt.optim.SGD(other.parameters(), lr=0.1), "sparse_categorical_crossentropy")
    with pytest.raises(RuntimeError, match="the optimizer does not hold 2 of the model's "
                                           "parameters"):
        m.fit(x, y, verbose=0)
    m.compile(lambda params: 3, "mse")
    with pytest.raises(TypeError, match="returned int, not an optimizer"):
        m.fit(x, np.zeros((30, 3)), verbose=0)


def test_accuracy_is_chosen_from_the_shapes():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 2)).astype(np.float32)
    yb = (x[:, 0] > 0).astype(np.float32)
    # binary: a sigmoid head of one unit, 0/1 targets of shape (N,)
    m = Affine(2, 1, out="sigmoid")
    m.compile(gt.optim.SGD(m.parameters(), lr=1.0), "binary_crossentropy", ["accuracy"])
    m.fit(x, yb, epochs=20, batch_size=16, verbose=0)
    p = N(m.predict(x))[:, 0]
    assert m.evaluate(x, yb)[1] == pytest.approx(np.mean((p > 0.5) == (yb > 0.5)))
    assert m.evaluate(x, yb)[1] >= 0.9
    # the same with logits: the threshold is 0
    m = Affine(2, 1)
    m.compile("sgd", BinaryCrossentropy(from_logits=True), ["accuracy", "binary_accuracy"])
    logit = N(m.predict(x))[:, 0]
    acc, bin_acc = m.evaluate(x, yb)[1:]
    assert acc == pytest.approx(np.mean((logit > 0) == (yb > 0.5)))
    assert bin_acc == pytest.approx(np.mean((logit > 0.5) == (yb > 0.5)))
    # categorical: one-hot targets
    xs, ys = blobs(40)
    onehot = np.eye(3, dtype=np.float32)[ys]
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "categorical_crossentropy", ["accuracy", "categorical_accuracy", "mse"])
    p = N(m.predict(xs))
    loss, acc, cat_acc, mse = m.evaluate(xs, onehot)
    assert acc == cat_acc == pytest.approx(np.mean(p.argmax(-1) == ys))
    assert mse == pytest.approx(np.mean((p - onehot) ** 2), rel=1e-5)


def test_callable_metric_and_per_sample_loss():
    x, y = blobs(20)
    m = Affine(4, 3, out="softmax")

    def per_sample(y_true, y_pred):
        return -gt.log(y_pred[gt.arange(len(y_true)), y_true])

    def mean_top(y_true, y_pred):
        return gt.max(y_pred, axis=-1)

    m.compile("sgd", per_sample, metrics=[mean_top])
    loss, top = m.evaluate(x, y)
    p = N(m.predict(x))
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(20), y])), rel=1e-5)
    assert top == pytest.approx(p.max(-1).mean(), rel=1e-5)
    assert "mean_top" in m.fit(x, y, verbose=0).history


def test_fit_argument_errors():
    x, y = blobs(10)
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="x has 10 samples but y has 9"):
        m.fit(x, y[:9])
    with pytest.raises(ValueError, match="y is required"):
        m.fit(x)
    with pytest.raises(ValueError, match="epochs must be >= 0"):
        m.fit(x, y, epochs=-1)
    with pytest.raises(TypeError, match="batch_size must be an int"):
        m.fit(x, y, batch_size=2.5)
    with pytest.raises(ValueError, match="verbose must be 0, 1, 2 or 'auto'"):
        m.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="no samples"):
        m.fit(x[:0], y[:0])
    with pytest.raises(ValueError, match=r"labels of shape \(10, 2\) do not match"):
        m.fit(x, np.zeros((10, 2), np.int64), verbose=0)
    with pytest.raises(ValueError, match="first axis"):
        m.predict(np.float32(1.0))
    with pytest.raises(TypeError, match="must be numeric"):
        m.predict(np.array(["a"]))
    assert m.fit(x, y, epochs=0).history == {}


def test_verbosity(capsys):
    x, y = blobs(20)
    m = Affine(4, 3, out="softmax")
    m.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    m.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    m.evaluate(x, y)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    m.fit(x, y, epochs=2, verbose=2, validation_split=0.2)
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - ")
    assert "loss: " in lines[0] and "accuracy: " in lines[0] and "val_accuracy: " in lines[0]
    assert out.err == ""
    m.fit(x, y, epochs=2, verbose="auto")
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "loss: " in err and "100%" in err


@pytest.mark.parametrize("dtype", [gt.float32, gt.float64])
def test_fit_on_device(device, dtype):
    x, y = blobs(40)
    m = Affine(4, 3, out="softmax", device=device, dtype=dtype)
    m.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    h = m.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.2)
    assert h.history["loss"][-1] < h.history["loss"][0]
    assert m.w.device == gt.device(device) and m.w.dtype == dtype
    out = m.predict(x)
    assert out.device == gt.device(device) and out.dtype == dtype
    # tensors on the CPU are moved to the model's device
    assert len(m.evaluate(gt.tensor(x), gt.tensor(y))) == 2


def test_lazy_sequential_on_device(device):
    x, y = blobs(40)
    model = nn.Sequential(nn.Dense(8, activation="relu"), nn.Dense(3, activation="softmax"))
    model.to(device)
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    model.fit(x, y, epochs=2, verbose=0)
    assert all(p.device == gt.device(device) for p in model.parameters())
    assert len(list(model.parameters())) == 4


# -- acceptance: the Keras tutorial model on digits -------------------------------------------
def test_sequential_digits_reaches_95_percent():
    pytest.importorskip("sklearn")
    x, y = gt.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    gt.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Dense(64, activation="relu"),
                          nn.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    h = model.fit(x[train].reshape(-1, 8, 8), y[train], epochs=30, batch_size=32, verbose=0,
                  seed=0)
    loss, acc = model.evaluate(x[test].reshape(-1, 8, 8), y[test])
    assert acc >= 0.95, (acc, h.history["accuracy"][-1])
    assert h.history["loss"][-1] < 0.2
    assert time.perf_counter() - start < 30
    probs = model.predict(x[test].reshape(-1, 8, 8))
    np.testing.assert_allclose(N(probs).sum(-1), 1, rtol=1e-5)
    assert np.mean(N(probs).argmax(-1) == y[test]) == pytest.approx(acc)
