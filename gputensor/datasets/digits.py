"""The 8x8 handwritten digits bundled with scikit-learn (1797 images of 10 classes)."""

from __future__ import annotations

import numpy as np

__all__ = ["load_digits"]

_EXTRA = "pip install 'gputensor[datasets]'"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits as NumPy arrays ``(x, y)``.

    ``x`` is float32 of shape (1797, 64): each row is an 8x8 image (row-major) with the
    original pixel values 0..16 divided by 16, so in [0, 1]; reshape to (-1, 1, 8, 8) for a
    CNN. ``y`` is int64 of shape (1797,), the digit 0..9. The data ship with scikit-learn
    (no download); without scikit-learn an ``ImportError`` says how to install it.

    >>> x, y = gt.datasets.load_digits()
    >>> float(x.max()), int(y[:10].sum())
    (1.0, 45)
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as e:
        raise ImportError(f"load_digits needs scikit-learn, which is not installed: "
                          f"{_EXTRA} (or pip install scikit-learn)") from e
    x, y = _sk_load_digits(return_X_y=True)
    return (np.asarray(x, dtype=np.float32) / np.float32(16.0),
            np.asarray(y, dtype=np.int64))
