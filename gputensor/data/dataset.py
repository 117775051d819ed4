"""Map-style datasets: ``Dataset`` (the abstract base), ``TensorDataset``, ``Subset`` and
``random_split``, as in PyTorch's ``torch.utils.data``.

>>> import gputensor as gt, numpy as np
>>> ds = gt.data.TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
>>> len(ds), [t.shape for t in ds[1]]
(4, [(2,), ()])
"""

from __future__ import annotations

import abc
import math
import operator
from collections.abc import Sequence

import numpy as np

from ..creation import as_tensor
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset(abc.ABC):
    """A map-style dataset: ``len(ds)`` samples, ``ds[i]`` is sample ``i`` (0 <= i < len).

    Subclasses implement ``__getitem__`` and ``__len__``; a sample is usually a tuple such as
    ``(x, y)`` of tensors, NumPy arrays or numbers, which ``DataLoader`` batches.

    >>> class Squares(gt.data.Dataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, i): return i, i * i
    >>> Squares()[2]
    (2, 4)
    """

    @abc.abstractmethod
    def __getitem__(self, index):
        """Sample ``index``."""

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of samples."""


def _check_index(index, n: int, who: str) -> int:
    if isinstance(index, bool):
        raise TypeError(f"{who}: index must be an int, got a bool")
    try:
        i = operator.index(index)
    except TypeError:
        raise TypeError(f"{who}: index must be an int, got {type(index).__name__} "
                        f"{index!r}") from None
    if not -n <= i < n:
        raise IndexError(f"{who}: index {i} is out of range for a dataset of {n} samples")
    return i + n if i < 0 else i


class TensorDataset(Dataset):
    """Samples are the rows (first-axis slices) of equally long tensors.

    Accepts tensors, NumPy arrays (wrapped without copying, on the CPU) and anything
    ``gt.as_tensor`` takes. ``ds[i]`` is the tuple ``(t[i] for t in tensors)``; ``DataLoader``
    batches a ``TensorDataset`` by indexing each whole tensor with the batch's indices.

    >>> ds = gt.data.TensorDataset(gt.zeros(5, 3), gt.arange(5))
    >>> len(ds), ds[4][1].item()
    (5, 4)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        ts = tuple(t if isinstance(t, Tensor) else as_tensor(t) for t in tensors)
        for k, t in enumerate(ts):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {k} is 0-d (shape ()); every tensor "
                                 f"needs a first axis indexing the samples")
        sizes = [t.shape[0] for t in ts]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(t.shape) for t in ts)
            raise ValueError(f"TensorDataset: the tensors have different first dimensions "
                             f"(sizes {sizes}, shapes {shapes}); every tensor needs one row "
                             f"per sample")
        self.tensors = ts

    def __getitem__(self, index):
        i = _check_index(index, len(self), "TensorDataset")
        return tuple(t[i] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{t.shape} {t.dtype}" for t in self.tensors)
        return f"TensorDataset({len(self)} samples: {shapes})"


class Subset(Dataset):
    """The samples ``indices`` of ``dataset``, in that order.

    >>> sub = gt.data.Subset(gt.data.TensorDataset(gt.arange(10)), [9, 0])
    >>> len(sub), sub[0][0].item()
    (2, 9)
    """

    def __init__(self, dataset, indices):
        n = len(dataset)
        idx = np.asarray(indices if not isinstance(indices, Tensor) else indices.tolist())
        if idx.size and idx.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be integers, got dtype {idx.dtype}")
        idx = idx.astype(np.int64).reshape(-1)
        bad = idx[(idx < -n) | (idx >= n)]
        if bad.size:
            raise IndexError(f"Subset: index {int(bad[0])} is out of range for a dataset of "
                             f"{n} samples")
        self.dataset = dataset
        self.indices = np.where(idx < 0, idx + n, idx)

    def __getitem__(self, index):
        i = _check_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[i])]

    def __len__(self) -> int:
        return len(self.indices)


def _split_lengths(lengths: Sequence, n: int) -> list[int]:
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in lengths):
        out = [int(v) for v in lengths]
        if any(v < 0 for v in out) or sum(out) != n:
            raise ValueError(f"random_split: lengths {out} must be non-negative and sum to "
                             f"the dataset's {n} samples")
        return out
    fr = [float(v) for v in lengths]
    if any(not 0 <= f <= 1 for f in fr) or not math.isclose(sum(fr), 1.0, abs_tol=1e-6):
        raise ValueError(f"random_split: fractions {lengths} must lie in [0, 1] and sum to 1 "
                         f"(or give integer lengths summing to {n})")
    out = [int(math.floor(n * f)) for f in fr]
    for k in range(n - sum(out)):  # the remainder, one each, round-robin (as PyTorch)
        out[k % len(out)] += 1
    return out


def random_split(dataset, lengths: Sequence, seed=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``.

    ``lengths`` are integers summing to ``len(dataset)`` or fractions summing to 1 (the
    remainder is dealt out one by one, as in PyTorch). ``seed`` is as in ``DataLoader``: an
    int, a ``numpy.random.Generator``, a ``gt.Generator``, or None for the default stream
    (reproducible after ``gt.manual_seed``).

    >>> a, b = gt.data.random_split(gt.data.TensorDataset(gt.arange(10)), [0.8, 0.2], seed=0)
    >>> len(a), len(b)
    (8, 2)
    """
    from .loader import _permutation, _rng_source

    n = len(dataset)
    sizes = _split_lengths(lengths, n)
    perm = _permutation(_rng_source(seed, "random_split"), n)
    out, start = [], 0
    for size in sizes:
        out.append(Subset(dataset, perm[start:start + size]))
        start += size
    return out
