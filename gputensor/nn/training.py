"""Keras-style training: ``compile`` / ``fit`` / ``evaluate`` / ``predict`` on a model.

``Trainable`` is a mixin for ``gt.nn.Module`` subclasses (``gt.nn.Sequential`` inherits it):

>>> import gputensor as gt
>>> model = gt.nn.Sequential(gt.nn.Dense(16, activation="relu"),
...                          gt.nn.Dense(3, activation="softmax"))           # doctest: +SKIP
>>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
...               metrics=["accuracy"])                                      # doctest: +SKIP
>>> history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.1) # doctest: +SKIP
>>> loss, acc = model.evaluate(x_test, y_test)                               # doctest: +SKIP

Names mean what they mean in Keras:

* Losses by name: ``'sparse_categorical_crossentropy'`` (integer labels),
  ``'categorical_crossentropy'`` (one-hot / probability targets), ``'binary_crossentropy'``,
  ``'mse'``/``'mean_squared_error'``, ``'mae'``/``'mean_absolute_error'``, ``'huber'``,
  ``'kl_divergence'``/``'kld'``. The model's
  outputs are taken as **probabilities** (e.g. a ``Dense(10, activation='softmax')`` head),
  so nothing applies softmax a second time: the cross entropies are the negative
  log-likelihood of ``log(clip(p / sum(p), 1e-7, 1 - 1e-7))`` (Keras' own formula and
  epsilon). For a head that outputs logits, pass a loss object built with
  ``from_logits=True``: ``SparseCategoricalCrossentropy(from_logits=True)``,
  ``CategoricalCrossentropy(from_logits=True)``, ``BinaryCrossentropy(from_logits=True)``
  (this module), which use the stable ``cross_entropy`` / ``log_softmax`` /
  ``binary_cross_entropy_with_logits``.
* Callable losses: ``gt.nn.functional`` losses and ``gt.nn`` loss modules (``CrossEntropyLoss``
  ...) are called PyTorch-style, ``loss(y_pred, y_true)``; any other callable Keras-style,
  ``loss(y_true, y_pred)``. A loss returning per-sample values is averaged.
* Optimizers by name, with Keras' defaults: ``'adam'`` (lr 1e-3), ``'sgd'`` (lr 1e-2),
  ``'rmsprop'`` (lr 1e-3, rho 0.9), ``'adamw'`` (lr 1e-3, weight decay 4e-3); or a
  ``gt.optim`` optimizer instance, or a factory called with the parameters
  (``functools.partial(gt.optim.Adam, lr=1e-2)``). Named optimizers and factories are
  created at the first ``fit``, after one forward pass has built lazy layers (``Dense``
  infers its input size at the first call).
* Metrics: ``'accuracy'``/``'acc'`` (binary, sparse or categorical accuracy, chosen from the
  shapes as Keras does; a binary accuracy thresholds at 0.5, or at 0 when the loss takes
  logits), ``'sparse_categorical_accuracy'``, ``'categorical_accuracy'``,
  ``'binary_accuracy'``, ``'mse'``, ``'mae'`` (and their long names), or callables
  ``metric(y_true, y_pred)``. History keys are the names as given (or the callable's
  ``__name__``).

Data: NumPy arrays, tensors (or anything ``gt.as_tensor`` takes) go to the model's device
once, float data cast to the model's float dtype; a ``gt.data.Dataset`` of ``(x, y)``
samples, or a ``gt.data.DataLoader`` yielding ``(x, y)`` batches, are accepted as ``x`` too.
Training batches run in ``train()`` mode, evaluation and prediction in ``eval()`` mode under
``no_grad``; each method restores the mode the model had.
"""

from __future__ import annotations

import contextlib
import math
import operator
import sys
import time

import numpy as np

from .. import dtypes as dt
from ..autograd import no_grad
from ..creation import as_tensor
from ..device import Device, get_default_device
from ..ops.elementwise import abs as _abs, clip, equal, greater, log, square
from ..ops.join import cat
from ..ops.movement import moveaxis
from ..ops.reduce import argmax, mean
from ..tensor import Tensor
from . import functional as F

__all__ = ["Trainable", "History", "Loss", "SparseCategoricalCrossentropy",
           "CategoricalCrossentropy", "BinaryCrossentropy", "MeanSquaredError",
           "MeanAbsoluteError"]

EPSILON = 1e-7  # Keras' backend.epsilon(): probabilities are clipped to [eps, 1 - eps]


# -- helpers ----------------------------------------------------------------------------------
def _tensor_on(y, like: Tensor) -> Tensor:
    if isinstance(y, Tensor):
        return y if y.device == like.device else y.to(like.device)
    return as_tensor(y, device=like.device)


def _class_axis_1(t: Tensor) -> Tensor:
    """Keras keeps classes on the last axis; gt's losses (PyTorch's) on axis 1."""
    return moveaxis(t, -1, 1) if t.ndim > 2 else t


def _log_probs(p: Tensor) -> Tensor:
    """log of the probabilities ``p`` (last axis), renormalized and clipped as in Keras."""
    p = p / p.sum(axis=-1, keepdims=True)
    return log(clip(p, EPSILON, 1.0 - EPSILON))


def _labels(y: Tensor, pred: Tensor, who: str) -> Tensor:
    """Integer class labels of shape ``pred.shape[:-1]`` (a trailing axis of 1 is dropped)."""
    if y.ndim == pred.ndim and y.ndim >= 1 and y.shape[-1] == 1:
        y = y.reshape(y.shape[:-1])
    if y.shape != pred.shape[:-1]:
        raise ValueError(f"{who}: labels of shape {y.shape} do not match predictions of shape "
                         f"{pred.shape}: expected integer class labels of shape "
                         f"{pred.shape[:-1]} (or {pred.shape[:-1] + (1,)})")
    if y.dtype.kind == "f":
        y = y.astype(dt.int64)  # Keras accepts float labels such as 3.0
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{who}: labels must be integers, got dtype {y.dtype}")
    return y


def _targets(y: Tensor, pred: Tensor, who: str) -> Tensor:
    """``y`` as a float target of exactly ``pred``'s shape and dtype; a trailing axis of 1 on
    either side is matched, as Keras does."""
    if y.shape != pred.shape:
        if y.shape + (1,) == pred.shape or y.shape == pred.shape + (1,):
            y = y.reshape(pred.shape)
        else:
            raise ValueError(f"{who}: targets of shape {y.shape} do not match predictions of "
                             f"shape {pred.shape}")
    return y if y.dtype == pred.dtype else y.astype(pred.dtype)


def _unknown(value, known, what: str, also: str):
    raise ValueError(f"compile: unknown {what} {value!r}; known {what.replace('loss', 'losse')}s: "
                     f"{', '.join(repr(k) for k in sorted(known))}; {also}")


# -- losses -----------------------------------------------------------------------------------
class Loss:
    """A Keras-style loss: ``loss(y_true, y_pred)`` -> the mean over the samples (a 0-d tensor).

    >>> gt.nn.training.MeanSquaredError()(gt.tensor([1., 2.]), gt.tensor([1., 4.])).item()
    2.0
    """

    name = "loss"

    def __init__(self, from_logits: bool = False):
        self.from_logits = bool(from_logits)

    def __call__(self, y_true, y_pred) -> Tensor:
        y_pred = y_pred if isinstance(y_pred, Tensor) else as_tensor(y_pred)
        return self.call(_tensor_on(y_true, y_pred), y_pred)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        """The loss of tensors on one device (subclasses implement this)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class SparseCategoricalCrossentropy(Loss):
    """Cross entropy of integer class labels and predictions over the last axis.

    Predictions are probabilities (the loss is ``nll(log(clip(p / sum p)))``, no second
    softmax) unless ``from_logits=True`` (then the stable ``cross_entropy`` of logits).
    Labels of shape ``pred.shape[:-1]`` or with a trailing axis of 1; out-of-range labels
    raise ``IndexError``.

    >>> loss = gt.nn.training.SparseCategoricalCrossentropy()
    >>> round(loss(gt.tensor([0]), gt.tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """

    name = "sparse_categorical_crossentropy"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        labels = _labels(y_true, y_pred, self.name)
        if self.from_logits:
            return F.cross_entropy(_class_axis_1(y_pred), labels)
        return F.nll_loss(_class_axis_1(_log_probs(y_pred)), labels)


class CategoricalCrossentropy(Loss):
    """Cross entropy of one-hot (or probability) targets and predictions over the last axis:
    ``mean(-sum(y * log p, -1))``; probabilities unless ``from_logits=True``.

    >>> loss = gt.nn.training.CategoricalCrossentropy()
    >>> round(loss(gt.tensor([[1., 0.]]), gt.tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """

    name = "categorical_crossentropy"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: targets of shape {y_true.shape} do not match "
                             f"predictions of shape {y_pred.shape} (one-hot targets have the "
                             f"predictions' shape; integer labels need "
                             f"'sparse_categorical_crossentropy')")
        y = y_true if y_true.dtype == y_pred.dtype else y_true.astype(y_pred.dtype)
        logp = F.log_softmax(y_pred, axis=-1) if self.from_logits else _log_probs(y_pred)
        return mean(-(y * logp).sum(axis=-1))


class BinaryCrossentropy(Loss):
    """Binary cross entropy of 0/1 (or probability) targets, elementwise, averaged.

    Predictions are probabilities, clipped to [1e-7, 1 - 1e-7] as in Keras, unless
    ``from_logits=True`` (then ``binary_cross_entropy_with_logits``).

    >>> loss = gt.nn.training.BinaryCrossentropy()
    >>> round(loss(gt.tensor([1.]), gt.tensor([0.5])).item(), 4)
    0.6931
    """

    name = "binary_crossentropy"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y = _targets(y_true, y_pred, self.name)
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(y_pred, y)
        return F.binary_cross_entropy(clip(y_pred, EPSILON, 1.0 - EPSILON), y)


class MeanSquaredError(Loss):
    """``mean((y_pred - y_true) ** 2)``.

    >>> gt.nn.training.MeanSquaredError()(gt.tensor([0.]), gt.tensor([3.])).item()
    9.0
    """

    name = "mean_squared_error"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return F.mse_loss(y_pred, _targets(y_true, y_pred, self.name))


class MeanAbsoluteError(Loss):
    """``mean(|y_pred - y_true|)``.

    >>> gt.nn.training.MeanAbsoluteError()(gt.tensor([0.]), gt.tensor([-3.])).item()
    3.0
    """

    name = "mean_absolute_error"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return mean(_abs(y_pred - _targets(y_true, y_pred, self.name)))


class Huber(Loss):
    """Keras's Huber loss: ``0.5 e**2`` where ``|e| <= delta``, else
    ``delta * (|e| - 0.5 delta)``, with ``e = y_pred - y_true``, averaged.

    >>> gt.nn.training.Huber()(gt.tensor([0., 0.]), gt.tensor([0.5, 3.])).item()
    1.3125
    """

    name = "huber"

    def __init__(self, delta: float = 1.0):
        super().__init__()
        self.delta = F._option("Huber", "delta", delta)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return F.huber_loss(y_pred, _targets(y_true, y_pred, self.name), delta=self.delta)

    def __repr__(self) -> str:
        return f"Huber(delta={self.delta})"


class KLDivergence(Loss):
    """Keras's Kullback-Leibler divergence of probability distributions over the last
    axis: ``sum(y * log(y / p), -1)`` with both clipped to [1e-7, 1], averaged over the
    rest.

    >>> loss = gt.nn.training.KLDivergence()
    >>> round(loss(gt.tensor([[1., 0.]]), gt.tensor([[0.5, 0.5]])).item(), 4)
    0.6931
    """

    name = "kl_divergence"

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y = clip(_targets(y_true, y_pred, self.name), EPSILON, 1.0)
        p = clip(y_pred, EPSILON, 1.0)
        return mean((y * log(y / p)).sum(axis=-1))


_LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "kl_divergence": KLDivergence, "kld": KLDivergence,
}


class _TorchOrder:
    """A PyTorch-style loss ``fn(input, target)`` called as ``loss(y_true, y_pred)``."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, y_true, y_pred):
        return self.fn(y_pred, y_true)


def _is_torch_order(fn) -> bool:
    if fn in (F.mse_loss, F.nll_loss, F.cross_entropy, F.binary_cross_entropy,
              F.binary_cross_entropy_with_logits):
        return True
    try:
        from .module import Module
    except ImportError:  # the Module class is not there (yet)
        return False
    return isinstance(fn, Module)


def _resolve_loss(loss):
    if isinstance(loss, str):
        cls = _LOSSES.get(loss.lower())
        if cls is None:
            _unknown(loss, _LOSSES, "loss", "or a loss object or callable")
        return cls()
    if isinstance(loss, Loss):
        return loss
    if loss is None:
        raise ValueError(f"compile: loss is required: a name ({', '.join(sorted(_LOSSES))}), "
                         f"a loss object or a callable")
    if callable(loss):
        return _TorchOrder(loss) if _is_torch_order(loss) else loss
    raise TypeError(f"compile: loss must be a name, a loss object or a callable, got "
                    f"{type(loss).__name__} {loss!r}")


def _binary_from_logits(loss) -> bool:
    if isinstance(loss, BinaryCrossentropy):
        return loss.from_logits
    return isinstance(loss, _TorchOrder) and (
        loss.fn is F.binary_cross_entropy_with_logits
        or type(loss.fn).__name__ == "BCEWithLogitsLoss")


# -- metrics ----------------------------------------------------------------------------------
def _as_float(b: Tensor) -> Tensor:
    return b.astype(dt.float64)  # exact sums of correct predictions


def sparse_categorical_accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    labels = _labels(y_true, y_pred, "sparse_categorical_accuracy")
    return mean(_as_float(equal(argmax(y_pred, axis=-1), labels)))


def categorical_accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    if y_true.shape != y_pred.shape:
        raise ValueError(f"categorical_accuracy: targets of shape {y_true.shape} do not match "
                         f"predictions of shape {y_pred.shape}")
    return mean(_as_float(equal(argmax(y_pred, axis=-1), argmax(y_true, axis=-1))))


def _binary_accuracy(threshold: float):
    def binary_accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
        y = _targets(y_true, y_pred, "binary_accuracy")
        return mean(_as_float(equal(greater(y_pred, threshold), greater(y, 0.5))))
    return binary_accuracy


def _mse_metric(y_true: Tensor, y_pred: Tensor) -> Tensor:
    return mean(square(y_pred - _targets(y_true, y_pred, "mse")))


def _mae_metric(y_true: Tensor, y_pred: Tensor) -> Tensor:
    return mean(_abs(y_pred - _targets(y_true, y_pred, "mae")))


_METRICS = {
    "accuracy": None, "acc": None,  # chosen from the shapes at the first batch
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "binary_accuracy": _binary_accuracy(0.5),
    "mse": _mse_metric, "mean_squared_error": _mse_metric,
    "mae": _mae_metric, "mean_absolute_error": _mae_metric,
}


class _Metric:
    def __init__(self, name: str, fn):
        self.name, self.fn = name, fn

    def __call__(self, y_true: Tensor, y_pred: Tensor, loss) -> Tensor:
        if self.fn is None:  # 'accuracy': Keras' choice by shapes
            if y_pred.ndim <= 1 or y_pred.shape[-1] == 1:
                self.fn = _binary_accuracy(0.0 if _binary_from_logits(loss) else 0.5)
            elif y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
                self.fn = sparse_categorical_accuracy
            else:
                self.fn = categorical_accuracy
        v = self.fn(y_true, y_pred)
        if not isinstance(v, Tensor):
            v = as_tensor(v, device=y_pred.device)
        return v if v.ndim == 0 else mean(v)


def _resolve_metrics(metrics) -> list[_Metric]:
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile: metrics must be a list of names or callables, got "
                        f"{type(metrics).__name__}")
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m.lower() not in _METRICS:
                _unknown(m, _METRICS, "metric", "or a callable metric(y_true, y_pred)")
            out.append(_Metric(m, _METRICS[m.lower()]))
        elif callable(m):
            out.append(_Metric(getattr(m, "name", None) or getattr(m, "__name__", "metric"),
                               m))
        else:
            raise TypeError(f"compile: a metric must be a name or a callable, got {m!r}")
    names = [m.name for m in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"compile: metric names must be distinct and not 'loss', got {names}")
    return out


# -- optimizers -------------------------------------------------------------------------------
# name -> (gt.optim class name, Keras' default arguments in gt.optim's spelling)
_OPTIMIZERS = {
    "adam": ("Adam", {"lr": 1e-3}),
    "sgd": ("SGD", {"lr": 1e-2}),
    "rmsprop": ("RMSprop", {"lr": 1e-3, "alpha": 0.9}),
    "adamw": ("AdamW", {"lr": 1e-3, "weight_decay": 4e-3}),
}


def _is_optimizer(obj) -> bool:
    return (not isinstance(obj, type) and callable(getattr(obj, "step", None))
            and callable(getattr(obj, "zero_grad", None)))


def _check_optimizer_spec(opt):
    if isinstance(opt, str):
        if opt.lower() not in _OPTIMIZERS:
            _unknown(opt, _OPTIMIZERS, "optimizer",
                     "or a gt.optim optimizer or a factory called with the parameters")
        return opt.lower()
    if _is_optimizer(opt) or callable(opt):
        return opt
    raise TypeError(f"compile: optimizer must be a name ({', '.join(sorted(_OPTIMIZERS))}), "
                    f"a gt.optim optimizer or a factory called with the parameters, got "
                    f"{type(opt).__name__} {opt!r}")


def _optimizer_params(opt) -> set[int] | None:
    groups = getattr(opt, "param_groups", None)
    if groups is None:
        return None
    return {id(p) for g in groups for p in g["params"]}


# -- the compiled state -------------------------------------------------------------------
class _Compiled:
    def __init__(self, optimizer, loss, metrics):
        self.optimizer_spec = optimizer
        self.optimizer = optimizer if _is_optimizer(optimizer) else None
        self.checked = False  # the optimizer was checked against the model's parameters
        self.loss = loss
        self.metrics = metrics


class History:
    """What ``fit`` returns: ``history`` maps 'loss', each metric name, and their 'val_'
    forms to one float per epoch; ``epoch`` lists the epoch indices; ``params`` the settings.

    >>> h = gt.nn.training.History(); h.history
    {}
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.params: dict = {}

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


# -- data ---------------------------------------------------------------------------------
def _check_int(v, what: str, who: str, low: int) -> int:
    if isinstance(v, bool):
        raise TypeError(f"{who}: {what} must be an int, got a bool")
    try:
        v = operator.index(v)
    except TypeError:
        raise TypeError(f"{who}: {what} must be an int, got {type(v).__name__} {v!r}") from None
    if v < low:
        raise ValueError(f"{who}: {what} must be >= {low}, got {v}")
    return v


def _to_tensor(a, dev, fdtype, who: str, what: str) -> Tensor:
    """``a`` on ``dev``; float data in ``fdtype``; at least 1-D (samples on axis 0)."""
    if isinstance(a, Tensor):
        t = a.detach() if a.requires_grad else a  # data, not something to differentiate
        if t.dtype.kind == "f" and t.dtype != fdtype:
            t = t.astype(fdtype)
        if t.device != dev:
            t = t.to(dev)
    else:
        arr = np.asarray(a)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{who}: {what} must be numeric (a NumPy array or tensor), got "
                            f"dtype {arr.dtype}")
        if arr.dtype.kind == "f" and arr.dtype != fdtype:
            arr = arr.astype(fdtype)
        t = as_tensor(arr, device=dev)
    if t.ndim == 0:
        raise ValueError(f"{who}: {what} must have a first axis indexing the samples, got a "
                         f"0-d value")
    return t


def _is_loader(x) -> bool:
    from ..data import DataLoader

    return isinstance(x, DataLoader)


def _is_dataset(x) -> bool:
    from ..data import Dataset

    return isinstance(x, Dataset)


class _Feed:
    """Batches of one source (arrays, Dataset or DataLoader) for one of fit/evaluate/predict,
    normalized to ``(x, y)`` (or ``(x,)``) tensors on the model's device."""

    def __init__(self, loader, dev, fdtype, convert: bool, who: str):
        self.loader, self.dev, self.fdtype, self.convert = loader, dev, fdtype, convert
        self.who = who

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            if isinstance(batch, Tensor):
                batch = (batch,)
            if self.convert:
                batch = tuple(b if b is None else _to_tensor(b, self.dev, self.fdtype,
                                                              self.who, "a batch")
                              for b in batch)
            yield batch


def _feed(x, y, who: str, batch_size: int, shuffle: bool, seed, dev, fdtype,
          need_y: bool) -> _Feed:
    from ..data import DataLoader, TensorDataset

    if _is_loader(x) or _is_dataset(x):
        if y is not None:
            raise ValueError(f"{who}: y must be None when x is a {type(x).__name__} (it "
                             f"yields the targets itself)")
        if _is_dataset(x):
            x = DataLoader(x, batch_size=batch_size, shuffle=shuffle, seed=seed)
        return _Feed(x, dev, fdtype, convert=True, who=who)
    if x is None:
        raise ValueError(f"{who}: x is required")
    xt = _to_tensor(x, dev, fdtype, who, "x")
    if y is None:
        if need_y:
            raise ValueError(f"{who}: y is required when x is an array or tensor")
        ds = TensorDataset(xt)
    else:
        yt = _to_tensor(y, dev, fdtype, who, "y")
        if len(xt) != len(yt):
            raise ValueError(f"{who}: x has {len(xt)} samples but y has {len(yt)}; they must "
                             f"have the same first dimension")
        ds = TensorDataset(xt, yt)
    if len(ds) == 0:
        raise ValueError(f"{who}: no samples (x has shape {xt.shape})")
    return _Feed(DataLoader(ds, batch_size=batch_size, shuffle=shuffle, seed=seed), dev,
                 fdtype, convert=False, who=who)


def _progress(*args, **kwargs):
    """tqdm's progress bar, imported on first use (it costs ~30 ms of ``import gputensor``)."""
    from tqdm import tqdm as _tqdm

    return _tqdm(*args, **kwargs)


def _fmt(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


# -- the mixin ----------------------------------------------------------------------------
class Trainable:
    """Mixin that gives a ``gt.nn.Module`` Keras-style ``compile``/``fit``/``evaluate``/
    ``predict`` (see the module docstring for the accepted names). The model works without
    ever calling ``compile``.

    >>> class Net(gt.nn.Module, gt.nn.training.Trainable): ...  # doctest: +SKIP
    """

    # -- public API ----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None) -> None:
        """Set the optimizer, loss and metrics for ``fit`` and ``evaluate``.

        Unknown names raise ``ValueError`` listing the known ones. Compiling again starts a
        fresh optimizer (from a name or factory).

        >>> model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])  # doctest: +SKIP
        """
        cfg = _Compiled(_check_optimizer_spec(optimizer), _resolve_loss(loss),
                        _resolve_metrics(metrics))
        object.__setattr__(self, "_keras_compiled", cfg)

    def fit(self, x=None, y=None, batch_size: int | None = 32, epochs: int = 1,
            verbose: int | str = 1, *, validation_split: float = 0.0, validation_data=None,
            shuffle: bool = True, seed=None) -> History:
        """Train for ``epochs`` passes over ``(x, y)``; returns a ``History``.

        ``batch_size`` (None: 32) and ``shuffle`` (a new order each epoch, reproducible with
        ``seed``: an int, a NumPy or gt Generator, or None for gt's default stream) apply to
        arrays and Datasets; a DataLoader brings its own. ``validation_split`` holds out the
        last fraction of the arrays (before shuffling), as Keras; ``validation_data`` is
        ``(x_val, y_val)``, a Dataset or a DataLoader, evaluated after each epoch into
        ``val_loss`` / ``val_<metric>``. ``verbose``: 0 silent, 1 (or 'auto') a tqdm bar per
        epoch showing the running loss and metrics, 2 one line per epoch.

        >>> history = model.fit(x, y, epochs=10, validation_split=0.2)  # doctest: +SKIP
        >>> history.history["val_loss"][-1]                              # doctest: +SKIP
        """
        cfg = self._keras_cfg("fit")
        epochs = _check_int(epochs, "epochs", "fit", 0)
        batch_size = 32 if batch_size is None else _check_int(batch_size, "batch_size", "fit", 1)
        verbose = _check_verbose(verbose, "fit")
        if isinstance(validation_split, bool) or not isinstance(
                validation_split, (int, float, np.integer, np.floating)) or not (
                0 <= validation_split < 1):
            raise ValueError(f"fit: validation_split must be a number in [0, 1), got "
                             f"{validation_split!r}")
        dev, fdtype = self._keras_placement(x)
        if validation_split and validation_data is None:
            if _is_loader(x) or _is_dataset(x):
                raise ValueError(f"fit: validation_split needs arrays or tensors; with a "
                                 f"{type(x).__name__} pass validation_data")
            if y is None:
                raise ValueError("fit: y is required when x is an array or tensor")
            xt = _to_tensor(x, dev, fdtype, "fit", "x")
            yt = _to_tensor(y, dev, fdtype, "fit", "y")
            if len(xt) != len(yt):
                raise ValueError(f"fit: x has {len(xt)} samples but y has {len(yt)}; they "
                                 f"must have the same first dimension")
            split_at = int(math.ceil(len(xt) * (1.0 - validation_split)))
            if split_at == 0 or split_at == len(xt):
                raise ValueError(f"fit: validation_split={validation_split} of {len(xt)} "
                                 f"samples leaves an empty training or validation set")
            x, y = xt[:split_at], yt[:split_at]
            validation_data = (xt[split_at:], yt[split_at:])
        train = _feed(x, y, "fit", batch_size, shuffle, seed, dev, fdtype, need_y=True)
        val = None
        if validation_data is not None:
            if _is_loader(validation_data) or _is_dataset(validation_data):
                vx, vy = validation_data, None
            elif isinstance(validation_data, (tuple, list)) and len(validation_data) == 2:
                vx, vy = validation_data
            else:
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val), a "
                                 "Dataset or a DataLoader")
            val = _feed(vx, vy, "fit", batch_size, False, None, dev, fdtype, need_y=True)

        history = History()
        history.params = {"epochs": epochs, "batch_size": batch_size, "verbose": verbose,
                          "steps": _safe_len(train)}
        was_training = self.training
        try:
            for epoch in range(epochs):
                start = time.perf_counter()
                bar = _progress(total=_safe_len(train), desc=f"Epoch {epoch + 1}/{epochs}",
                                unit="batch", disable=verbose != 1, leave=True)
                try:
                    logs = self._keras_run(train, cfg, "fit", train=True, bar=bar)
                    if val is not None:
                        vlogs = self._keras_run(val, cfg, "fit", train=False)
                        logs.update({f"val_{k}": v for k, v in vlogs.items()})
                    bar.set_postfix_str(_fmt(logs), refresh=False)
                finally:
                    bar.close()
                if verbose == 2:
                    print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - start:.1f}s"
                          f" - {_fmt(logs)}", file=sys.stdout, flush=True)
                for k, v in logs.items():
                    history.history.setdefault(k, []).append(v)
                history.epoch.append(epoch)
        finally:
            self.train() if was_training else self.eval()
        return history

    def evaluate(self, x=None, y=None, batch_size: int | None = 32, verbose: int | str = 0,
                 return_dict: bool = False):
        """Loss and metrics on ``(x, y)`` in eval mode: ``[loss, *metrics]``, or the loss
        alone (a float) when compiled without metrics, or a dict with ``return_dict=True``.

        >>> loss, acc = model.evaluate(x_test, y_test)  # doctest: +SKIP
        """
        cfg = self._keras_cfg("evaluate")
        batch_size = (32 if batch_size is None
                      else _check_int(batch_size, "batch_size", "evaluate", 1))
        verbose = _check_verbose(verbose, "evaluate")
        dev, fdtype = self._keras_placement(x)
        feed = _feed(x, y, "evaluate", batch_size, False, None, dev, fdtype, need_y=True)
        bar = _progress(total=_safe_len(feed), desc="Evaluate", unit="batch",
                        disable=verbose != 1, leave=True)
        was_training = self.training
        try:
            logs = self._keras_run(feed, cfg, "evaluate", train=False, bar=bar)
            bar.set_postfix_str(_fmt(logs), refresh=False)
        finally:
            bar.close()
            self.train() if was_training else self.eval()
        if verbose == 2:
            print(f"Evaluate - {_fmt(logs)}", file=sys.stdout, flush=True)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size: int | None = 32, verbose: int | str = 0) -> Tensor:
        """The model's outputs for ``x``, batch by batch in eval mode without gradients,
        concatenated into one tensor on the model's device (Keras returns NumPy; call
        ``.numpy()`` on a CPU result). Needs no ``compile``.

        >>> probs = model.predict(x_test)  # doctest: +SKIP
        """
        batch_size = (32 if batch_size is None
                      else _check_int(batch_size, "batch_size", "predict", 1))
        verbose = _check_verbose(verbose, "predict")
        dev, fdtype = self._keras_placement(x)
        feed = _feed(x, None, "predict", batch_size, False, None, dev, fdtype, need_y=False)
        was_training = self.training
        outs = []
        try:
            self.eval()
            with no_grad():
                for batch in _progress(feed, total=_safe_len(feed), desc="Predict",
                                       unit="batch", disable=verbose != 1):
                    outs.append(self(batch[0]))
        finally:
            self.train() if was_training else self.eval()
        if not outs:
            raise ValueError("predict: no samples")
        return outs[0] if len(outs) == 1 else cat(outs, axis=0)

    # -- internals (prefixed so that they do not collide with a model's own names) ------------
    def _keras_cfg(self, who: str) -> _Compiled:
        cfg = self.__dict__.get("_keras_compiled")
        if cfg is None:
            raise RuntimeError(f"{who}: the model must be compiled first: call "
                               f"model.compile(optimizer=..., loss=..., metrics=...) before "
                               f"{who}()")
        return cfg

    def _keras_placement(self, x):
        """(device, float dtype) of the model: those of its parameters; before lazy layers
        are built, where they will build (their ``_device``/``_dtype``); else the input
        tensor's device (or the default device) and the default float dtype."""
        dev = fdtype = None
        for p in self.parameters():
            if dev is None:
                dev = p.device
            if p.dtype.kind == "f":
                fdtype = p.dtype
                break
        if dev is None:  # unbuilt lazy layers (gt.nn.Dense) record where they will build
            for m in self.modules():
                d, t = m.__dict__.get("_device"), m.__dict__.get("_dtype")
                if isinstance(d, Device):
                    dev = d
                    fdtype = t if isinstance(t, np.dtype) and t.kind == "f" else None
                    break
        if dev is None:
            dev = x.device if isinstance(x, Tensor) else get_default_device()
        return dev, (fdtype or dt.get_default_dtype())

    def _keras_optimizer(self, cfg: _Compiled, xb: Tensor):
        """The compiled optimizer, created on first use after a forward pass (in eval mode,
        no gradients, one sample) has built any lazy layer."""
        if cfg.optimizer is not None and cfg.checked:
            return cfg.optimizer
        was_training = self.training
        try:
            self.eval()
            with no_grad():
                self(xb[:1])
        finally:
            self.train() if was_training else self.eval()
        params = [p for p in self.parameters() if p.requires_grad]
        if not params:
            raise ValueError("fit: the model has no trainable parameters")
        spec = cfg.optimizer_spec
        if cfg.optimizer is None:
            if isinstance(spec, str):
                from .. import optim

                cls_name, kwargs = _OPTIMIZERS[spec]
                cfg.optimizer = getattr(optim, cls_name)(params, **kwargs)
            else:
                opt = spec(params)
                if not _is_optimizer(opt):
                    raise TypeError(f"fit: the optimizer factory {spec!r} returned "
                                    f"{type(opt).__name__}, not an optimizer")
                cfg.optimizer = opt
        held = _optimizer_params(cfg.optimizer)
        if held is not None:
            missing = [p.shape for p in params if id(p) not in held]
            if missing:
                raise RuntimeError(
                    f"fit: the optimizer does not hold {len(missing)} of the model's "
                    f"parameters (shapes {missing[:4]}); it was probably created before lazy "
                    f"layers were built: pass the optimizer by name (e.g. 'adam') or as a "
                    f"factory, or call the model on an input before creating the optimizer")
        cfg.checked = True
        return cfg.optimizer

    def _keras_run(self, feed: _Feed, cfg: _Compiled, who: str, train: bool, bar=None) -> dict:
        """One pass over ``feed``: train steps (``train=True``) or evaluation; returns the
        sample-weighted means of the loss and metrics."""
        opt = None
        sums: dict[str, Tensor] = {}
        count = 0
        last = time.monotonic()
        names = ["loss"] + [m.name for m in cfg.metrics]
        self.train() if train else self.eval()
        with (contextlib.nullcontext() if train else no_grad()):
            for batch in feed:
                if len(batch) < 2:
                    raise ValueError(f"{who}: each batch must be (x, y), got "
                                     f"{len(batch)} item(s)")
                xb, yb = batch[0], batch[1]
                if train and opt is None:
                    opt = self._keras_optimizer(cfg, xb)
                pred = self(xb)
                loss = cfg.loss(yb, pred)
                if not isinstance(loss, Tensor):
                    raise TypeError(f"{who}: the loss returned {type(loss).__name__}, not a "
                                    f"tensor")
                if loss.ndim:
                    loss = mean(loss)  # per-sample values: Keras averages them
                if train:
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                n = len(xb)
                with no_grad():
                    pd = pred.detach()
                    yt = _tensor_on(yb, pd)
                    values = [loss.detach()] + [m(yt, pd, cfg.loss) for m in cfg.metrics]
                    for k, v in zip(names, values):
                        v = v.astype(dt.float64) * n
                        sums[k] = v if k not in sums else sums[k] + v
                count += n
                if bar is not None:
                    bar.update(1)
                    now = time.monotonic()
                    if not bar.disable and now - last > 0.2:
                        last = now
                        bar.set_postfix_str(_fmt({k: s.item() / count
                                                  for k, s in sums.items()}), refresh=False)
        if count == 0:
            raise ValueError(f"{who}: no samples to {'train on' if train else 'evaluate'}")
        return {k: s.item() / count for k, s in sums.items()}


def _check_verbose(verbose, who: str) -> int:
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"{who}: verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


def _safe_len(obj):
    try:
        return len(obj)
    except TypeError:
        return None
