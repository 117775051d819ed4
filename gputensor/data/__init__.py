"""``gt.data``: datasets and batching (PyTorch's ``torch.utils.data``, map-style).

``Dataset`` (abstract: ``__getitem__``/``__len__``), ``TensorDataset`` (rows of equally
long tensors or NumPy arrays), ``Subset``/``random_split``, and ``DataLoader`` (batches,
seeded shuffling, ``drop_last``, ``device=``).

>>> import gputensor as gt, numpy as np
>>> loader = gt.data.DataLoader(gt.data.TensorDataset(np.ones((10, 3)), np.arange(10)),
...                             batch_size=4, shuffle=True, seed=0)
>>> [x.shape for x, y in loader]
[(4, 3), (4, 3), (2, 3)]
"""

from .dataset import Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader",
           "default_collate"]
