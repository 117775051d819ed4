"""MNIST from local IDX files, returned like ``keras.datasets.mnist.load_data()``.

Nothing is downloaded: put the four standard files (from the MNIST distribution, gzipped or
not) in a folder and pass the folder. Fashion-MNIST uses the same file names and format, so
its folder loads the same way.

>>> (x_train, y_train), (x_test, y_test) = gt.datasets.mnist.load_data(
...     "~/data/mnist")  # doctest: +SKIP
>>> x_train.shape, x_train.dtype, y_train.dtype  # doctest: +SKIP
((60000, 28, 28), dtype('uint8'), dtype('uint8'))
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

__all__ = ["load_data", "read_idx", "FILES"]

FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

# IDX type codes (the third byte of the magic number) -> big-endian dtypes
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is a gzip file (by content, not by name)."""
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: not a readable gzip file (truncated or corrupt?): "
                         f"{e}") from None


def read_idx(path) -> np.ndarray:
    """Read one IDX file (gzipped or not) into a NumPy array of its stored type and shape.

    Raises ``ValueError`` naming the file when the magic number is not an IDX one or the data
    are shorter or longer than the header's shape promises.

    >>> gt.datasets.mnist.read_idx("t10k-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
    (10000,)
    """
    path = Path(os.fspath(path)).expanduser()
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, shorter than the "
                         f"4-byte magic number")
    zero, code, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or code not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file: bad magic number 0x{raw[:4].hex()} "
                         f"(expected 0x0000TTNN: type code TT in "
                         f"{sorted(hex(c) for c in _IDX_TYPES)}, NN dimensions)")
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(f"{path}: truncated IDX file: the header of {ndim} dimension(s) "
                         f"needs {head} bytes, the file has {len(raw)}")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[code]
    need = math.prod(shape) * dtype.itemsize
    got = len(raw) - head
    if got != need:
        what = "truncated" if got < need else "over-long"
        raise ValueError(f"{path}: {what} IDX file: shape {shape} of {dtype.name} needs "
                         f"{need} data bytes, the file has {got}")
    arr = np.frombuffer(raw, dtype, offset=head).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)  # native order, writable


def _find(folder: Path, name: str) -> Path | None:
    # the standard names, also the variant with a dot ("train-images.idx3-ubyte")
    for base in (name, name.replace("-idx", ".idx")):
        for cand in (base, base + ".gz"):
            p = folder / cand
            if p.is_file():
                return p
    return None


def _load_npz(path: Path):
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in FILES if k not in f.files]
        if missing:
            raise ValueError(f"{path}: expected the arrays {list(FILES)} (Keras' mnist.npz "
                             f"layout), missing {missing}")
        arrays = {k: f[k] for k in FILES}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _check(arr: np.ndarray, path: Path, ndim: int, what: str) -> None:
    if arr.dtype != np.uint8 or arr.ndim != ndim:
        raise ValueError(f"{path}: expected {what}: a uint8 IDX array of {ndim} dimension(s), "
                         f"got {arr.dtype} of shape {arr.shape}")


def load_data(path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ``((x_train, y_train), (x_test, y_test))`` NumPy arrays, like Keras.

    ``path`` is a folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally gzipped
    (``.gz``); or Keras' ``mnist.npz`` file itself. Images are uint8 of shape (n, 28, 28)
    with pixel values 0..255 (scale them, e.g. ``x / 255``); labels are uint8 of shape (n,),
    the digit 0..9, as in Keras (``y.astype('int64')`` for an int64 copy; the losses and
    ``fit`` accept uint8 labels as they are).

    Errors: ``FileNotFoundError`` naming the folder and the expected files when any is
    missing; ``ValueError`` naming the file for a bad magic number, a truncated file or
    images and labels of different counts.

    >>> (x, y), _ = gt.datasets.mnist.load_data("~/data/mnist")  # doctest: +SKIP
    """
    folder = Path(os.fspath(path)).expanduser()
    if folder.is_file() and folder.suffix == ".npz":
        return _load_npz(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"mnist.load_data: {str(folder)!r} is not a folder; expected "
                                f"a folder holding {', '.join(FILES.values())} (each "
                                f"optionally .gz), or Keras' mnist.npz")
    found = {k: _find(folder, name) for k, name in FILES.items()}
    missing = [FILES[k] for k, p in found.items() if p is None]
    if missing:
        raise FileNotFoundError(
            f"mnist.load_data: missing {', '.join(missing)} (or .gz) in {str(folder)!r}; "
            f"expected the files {', '.join(FILES.values())}, each optionally gzipped (.gz). "
            f"They are not downloaded: fetch them from an MNIST mirror first")
    out = []
    for split in ("train", "test"):
        xp, yp = found[f"x_{split}"], found[f"y_{split}"]
        x, y = read_idx(xp), read_idx(yp)
        _check(x, xp, 3, "images")
        _check(y, yp, 1, "labels")
        if len(x) != len(y):
            raise ValueError(f"mnist.load_data: {xp.name} holds {len(x)} images but "
                             f"{yp.name} holds {len(y)} labels")
        out.append((x, y))
    return out[0], out[1]
