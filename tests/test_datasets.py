"""gt.datasets: load_digits (and its error without scikit-learn) and mnist.load_data on small
IDX files written here, gzipped and not, plus every error path."""

from __future__ import annotations

import builtins
import gzip
import struct

import numpy as np
import pytest

import gputensor as gt
from gputensor.datasets import mnist


# -- load_digits ----------------------------------------------------------------------------
def test_load_digits():
    sk = pytest.importorskip("sklearn.datasets")
    x, y = gt.datasets.load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))
    ref_x, ref_y = sk.load_digits(return_X_y=True)
    np.testing.assert_array_equal(x, (ref_x / 16).astype(np.float32))
    np.testing.assert_array_equal(y, ref_y)


def test_load_digits_without_sklearn(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'gputensor\[datasets\]'"):
        gt.datasets.load_digits()


# -- IDX files ------------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I",
                                                                     *arr.shape)
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
             0x0E: ">f8"}[code]
    return head + arr.astype(dtype).tobytes()


def write(path, data: bytes, gz: bool):
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def make_mnist(folder, gz=False, n_train=5, n_test=3, seed=0, names=None):
    rng = np.random.default_rng(seed)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}
    names = names or mnist.FILES
    for key, arr in arrays.items():
        write(folder / names[key], idx_bytes(arr), gz)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_load_data(tmp_path, gz):
    want = make_mnist(tmp_path, gz=gz)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path)
    for key, got in zip(["x_train", "y_train", "x_test", "y_test"],
                        [x_train, y_train, x_test, y_test]):
        assert got.dtype == np.uint8 and got.flags.writeable
        np.testing.assert_array_equal(got, want[key])
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)
    # a str path with ~ works too
    (x2, _), _ = mnist.load_data(str(tmp_path))
    np.testing.assert_array_equal(x2, x_train)


def test_load_data_mixed_gzip_and_dotted_names(tmp_path):
    names = dict(mnist.FILES, x_test="t10k-images.idx3-ubyte")
    want = make_mnist(tmp_path, names=names)
    # gzip one file after the fact: found as NAME.gz, detected by content
    p = tmp_path / mnist.FILES["y_train"]
    write(p, p.read_bytes(), gz=True)
    p.unlink()
    (_, y_train), (x_test, _) = mnist.load_data(tmp_path)
    np.testing.assert_array_equal(y_train, want["y_train"])
    np.testing.assert_array_equal(x_test, want["x_test"])


def test_load_data_from_keras_npz(tmp_path):
    want = make_mnist(tmp_path)
    np.savez(tmp_path / "mnist.npz", **want)
    (x, y), (xt, yt) = mnist.load_data(tmp_path / "mnist.npz")
    np.testing.assert_array_equal(xt, want["x_test"])
    np.savez(tmp_path / "bad.npz", x_train=want["x_train"])
    with pytest.raises(ValueError, match=r"bad.npz.*missing \['y_train', 'x_test', 'y_test'\]"):
        mnist.load_data(tmp_path / "bad.npz")


def test_missing_files(tmp_path):
    make_mnist(tmp_path)
    (tmp_path / mnist.FILES["y_test"]).unlink()
    with pytest.raises(FileNotFoundError) as err:
        mnist.load_data(tmp_path)
    msg = str(err.value)
    assert "missing t10k-labels-idx1-ubyte" in msg and str(tmp_path) in msg
    for name in mnist.FILES.values():
        assert name in msg
    with pytest.raises(FileNotFoundError, match="is not a folder.*train-images-idx3-ubyte"):
        mnist.load_data(tmp_path / "nowhere")


def test_bad_magic_names_the_file(tmp_path):
    make_mnist(tmp_path)
    p = tmp_path / mnist.FILES["x_train"]
    p.write_bytes(b"\x12\x34" + p.read_bytes()[2:])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: not an IDX file: bad magic"):
        mnist.load_data(tmp_path)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_files_name_the_file(tmp_path, gz):
    make_mnist(tmp_path, gz=gz)
    suffix = ".gz" if gz else ""
    p = tmp_path / (mnist.FILES["x_test"] + suffix)
    raw = gzip.decompress(p.read_bytes()) if gz else p.read_bytes()
    write(tmp_path / mnist.FILES["x_test"], raw[:-10], gz)
    with pytest.raises(ValueError, match=r"t10k-images-idx3-ubyte.*truncated IDX file: shape "
                                         r"\(3, 28, 28\) of uint8 needs 2352 data bytes, "
                                         r"the file has 2342"):
        mnist.load_data(tmp_path)
    write(tmp_path / mnist.FILES["x_test"], raw[:10], gz)  # inside the header
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*truncated IDX file: the "
                                         "header"):
        mnist.load_data(tmp_path)
    write(tmp_path / mnist.FILES["x_test"], raw[:3], gz)
    with pytest.raises(ValueError, match="truncated IDX file: 3 bytes"):
        mnist.load_data(tmp_path)
    write(tmp_path / mnist.FILES["x_test"], raw + b"\0", gz)
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.*over-long IDX file"):
        mnist.load_data(tmp_path)


def test_truncated_gzip_stream(tmp_path):
    make_mnist(tmp_path, gz=True)
    p = tmp_path / (mnist.FILES["y_train"] + ".gz")
    p.write_bytes(p.read_bytes()[:-12])
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz: not a readable gzip"):
        mnist.load_data(tmp_path)


def test_wrong_kind_of_idx_and_count_mismatch(tmp_path):
    make_mnist(tmp_path)
    write(tmp_path / mnist.FILES["y_train"], idx_bytes(np.zeros(5, np.int32), 0x0C), False)
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte: expected labels: a uint8 "
                                         r"IDX array of 1 dimension"):
        mnist.load_data(tmp_path)
    write(tmp_path / mnist.FILES["y_train"], idx_bytes(np.zeros((5, 28, 28), np.uint8)), False)
    with pytest.raises(ValueError, match="expected labels"):
        mnist.load_data(tmp_path)
    write(tmp_path / mnist.FILES["y_train"], idx_bytes(np.zeros(4, np.uint8)), False)
    with pytest.raises(ValueError, match="holds 5 images but train-labels-idx1-ubyte holds 4"):
        mnist.load_data(tmp_path)


@pytest.mark.parametrize("code,dtype", [(0x08, np.uint8), (0x09, np.int8), (0x0B, np.int16),
                                        (0x0C, np.int32), (0x0D, np.float32),
                                        (0x0E, np.float64)])
def test_read_idx_every_type(tmp_path, code, dtype):
    arr = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = write(tmp_path / "a-idx3", idx_bytes(arr, code), gz=code % 2 == 0)
    got = mnist.read_idx(p)
    assert got.dtype == dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)
    empty = write(tmp_path / "e", idx_bytes(np.zeros((0, 5), dtype), code), gz=False)
    assert mnist.read_idx(empty).shape == (0, 5)
