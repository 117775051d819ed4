"""``gt.datasets``: small real datasets, read locally (nothing is downloaded at run time).

- ``load_digits()``: scikit-learn's bundled 8x8 handwritten digits (needs the ``datasets``
  extra: ``pip install 'gputensor[datasets]'``).
- ``mnist.load_data(path)``: MNIST from the standard IDX files in a local folder, returned
  like ``keras.datasets.mnist.load_data()``.

>>> import gputensor as gt
>>> x, y = gt.datasets.load_digits()
>>> x.shape, x.dtype, y.dtype
((1797, 64), dtype('float32'), dtype('int64'))
"""

from . import mnist
from .digits import load_digits

__all__ = ["load_digits", "mnist"]
