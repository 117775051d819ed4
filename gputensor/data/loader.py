"""``DataLoader``: iterate over a dataset in (optionally shuffled) batches of tensors.

>>> import gputensor as gt
>>> ds = gt.data.TensorDataset(gt.arange(10.).reshape(5, 2), gt.arange(5))
>>> [tuple(t.shape for t in b) for b in gt.data.DataLoader(ds, batch_size=2)]
[((2, 2), (2,)), ((2, 2), (2,)), ((1, 2), (1,))]
"""

from __future__ import annotations

import operator

import numpy as np

from ..creation import as_tensor, tensor
from ..device import device as as_device
from ..ops.join import stack
from ..random import Generator, default_generator, randint
from ..tensor import Tensor
from .dataset import Subset, TensorDataset

__all__ = ["DataLoader", "default_collate"]

_SEED_HIGH = 2**62  # seeds drawn from a gt.Generator for the host-side permutation


# -- random order ---------------------------------------------------------------------------
def _rng_source(seed, who: str):
    """What ``seed`` names: a NumPy Generator (kept and advanced) or a ``gt.Generator``."""
    if seed is None:
        return None  # gt's default CPU stream, looked up at each draw (gt.manual_seed works)
    if isinstance(seed, np.random.Generator) or isinstance(seed, Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{who}: seed must be an int, a numpy.random.Generator, a "
                        f"gt.Generator or None, got {type(seed).__name__} {seed!r}")
    if seed < 0:
        raise ValueError(f"{who}: seed must be non-negative, got {seed}")
    return np.random.default_rng(int(seed))


def _permutation(source, n: int) -> np.ndarray:
    """A random permutation of range(n) (host int64 indices) drawn from ``source``."""
    if isinstance(source, np.random.Generator):
        return source.permutation(n)
    g = source if source is not None else default_generator(as_device("cpu"))
    # one draw from the gt stream (on its own device) seeds the host-side shuffle
    s = randint(0, _SEED_HIGH, (2,), generator=g, device=g.device).tolist()
    return np.random.default_rng(s).permutation(n)


# -- batching -------------------------------------------------------------------------------
def default_collate(samples: list):
    """Batch a list of samples: tensors are stacked on a new first axis, NumPy arrays and
    numbers become one tensor (``gt.as_tensor`` of the stacked array; Python numbers follow
    gt's defaults), and tuples/lists/dicts are batched field by field (a list becomes a
    tuple).

    >>> gt.data.default_collate([(gt.zeros(2), 1), (gt.ones(2), 0)])[1].tolist()
    [1, 0]
    """
    if not samples:
        raise ValueError("default_collate: no samples to batch")
    first = samples[0]
    if isinstance(first, Tensor):
        if not all(isinstance(s, Tensor) for s in samples):
            raise TypeError("default_collate: samples mix tensors and other types in one field")
        return stack(samples)
    if isinstance(first, (tuple, list)):
        n = len(first)
        if any(not isinstance(s, (tuple, list)) or len(s) != n for s in samples):
            raise ValueError(f"default_collate: every sample must be a sequence of {n} "
                             f"fields, like the first")
        return tuple(default_collate([s[k] for s in samples]) for k in range(n))
    if isinstance(first, dict):
        keys = list(first)
        if any(not isinstance(s, dict) or list(s) != keys for s in samples):
            raise ValueError(f"default_collate: every sample must be a dict with keys {keys}")
        return {k: default_collate([s[k] for s in samples]) for k in keys}
    if isinstance(first, (bool, int, float)) and not isinstance(first, np.generic):
        return tensor(samples)
    if isinstance(first, (np.ndarray, np.generic)):
        return as_tensor(np.stack([np.asarray(s) for s in samples]))
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    f"use tensors, NumPy arrays, numbers, or tuples/dicts of them, or pass "
                    f"collate_fn=")


def _to_device(batch, dev):
    if isinstance(batch, Tensor):
        return batch if batch.device == dev else batch.to(dev)
    if isinstance(batch, tuple):
        return tuple(_to_device(b, dev) for b in batch)
    if isinstance(batch, dict):
        return {k: _to_device(v, dev) for k, v in batch.items()}
    return batch


def _fast_tensors(dataset):
    """(tensors, index map or None) when ``dataset`` is a TensorDataset, or a Subset of one,
    whose rows can be gathered by indexing the whole tensors; else None."""
    if type(dataset).__getitem__ is TensorDataset.__getitem__:
        return dataset.tensors, None
    if type(dataset).__getitem__ is Subset.__getitem__:
        inner = _fast_tensors(dataset.dataset)
        if inner is not None:
            tensors, idx = inner
            return tensors, (dataset.indices if idx is None else idx[dataset.indices])
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    * A ``TensorDataset`` (or a ``Subset`` of one) is batched by indexing each whole tensor
      with the batch's indices, without per-sample Python work: unshuffled batches of a
      ``TensorDataset`` are views (slices) of its tensors, shuffled ones fresh tensors. Its
      batches are tuples ``(x, y, ...)``, one tensor per dataset tensor.
    * Any other dataset is read sample by sample and batched by ``collate_fn``
      (``default_collate``: a tuple sample gives a tuple of batched tensors).
    * ``shuffle=True`` draws a new order at each pass (epoch). ``seed`` makes the orders
      reproducible: an int (a fresh NumPy generator owned by the loader), a
      ``numpy.random.Generator`` or a ``gt.Generator`` (drawn from), or None: gt's default
      CPU stream, so ``gt.manual_seed`` fixes the order.
    * ``drop_last=True`` drops the final batch when it is smaller than ``batch_size``.
    * ``device``: batches are moved there (rows are gathered on the data's own device first).

    >>> ds = gt.data.TensorDataset(gt.arange(6), gt.arange(6) * 10)
    >>> loader = gt.data.DataLoader(ds, batch_size=4, shuffle=True, seed=0)
    >>> len(loader), sorted(sum((x.tolist() for x, _ in loader), []))
    (2, [0, 1, 2, 3, 4, 5])
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, seed=None, device=None, *, collate_fn=None):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(f"DataLoader: dataset must support len() and indexing (a "
                            f"gt.data.Dataset), got {type(dataset).__name__}")
        if isinstance(batch_size, bool):
            raise TypeError("DataLoader: batch_size must be a positive int, got a bool")
        try:
            batch_size = operator.index(batch_size)
        except TypeError:
            raise TypeError(f"DataLoader: batch_size must be a positive int, got "
                            f"{batch_size!r}") from None
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.device = as_device(device) if device is not None else None
        self.collate_fn = collate_fn
        self._source = _rng_source(seed, "DataLoader")

    def __len__(self) -> int:
        """The number of batches per pass."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}"
                + (f", device='{self.device}'" if self.device is not None else "") + ")")

    def _order(self, n: int):
        return _permutation(self._source, n) if self.shuffle else None

    def __iter__(self):
        n = len(self.dataset)
        bs = self.batch_size
        stop = n - n % bs if self.drop_last else n
        order = self._order(n)
        fast = _fast_tensors(self.dataset) if self.collate_fn is None else None
        if fast is not None:
            batches = self._tensor_batches(fast, order, stop)
        else:
            batches = self._sample_batches(order, stop)
        dev = self.device
        for batch in batches:
            yield batch if dev is None else _to_device(batch, dev)

    def _tensor_batches(self, fast, order, stop):
        tensors, idx = fast
        bs = self.batch_size
        if order is None and idx is None:  # plain slices: views, no copies
            for s in range(0, stop, bs):
                yield tuple(t[s:s + bs] for t in tensors)
            return
        if order is not None:
            idx = order if idx is None else idx[order]
        # the index array goes to each data device once per pass; batches slice it there
        on_dev = {}
        for t in tensors:
            if t.device not in on_dev:
                on_dev[t.device] = as_tensor(idx, device=t.device)
        for s in range(0, stop, bs):
            yield tuple(t[on_dev[t.device][s:s + bs]] for t in tensors)

    def _sample_batches(self, order, stop):
        ds, bs = self.dataset, self.batch_size
        collate = self.collate_fn or default_collate
        for s in range(0, stop, bs):
            ids = range(s, min(s + bs, stop)) if order is None else order[s:s + bs].tolist()
            yield collate([ds[i] for i in ids])
