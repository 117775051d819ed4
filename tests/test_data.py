"""gt.data: Dataset, TensorDataset, Subset/random_split, DataLoader (batches, shuffling,
seeds, drop_last, device=, collation) and every error path."""

from __future__ import annotations

import numpy as np
import pytest

import gputensor as gt
from gputensor.data import (DataLoader, Dataset, Subset, TensorDataset, default_collate,
                            random_split)


def rows(n=10, d=3):
    x = np.arange(n * d, dtype=np.float32).reshape(n, d)
    y = np.arange(n, dtype=np.int64)
    return x, y


def order_of(loader) -> list[int]:
    """The sample order of one pass over a loader whose second tensor holds the indices."""
    return [int(i) for _, y in loader for i in y.tolist()]


# -- Dataset / TensorDataset --------------------------------------------------------------
def test_dataset_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        Dataset()

    class Half(Dataset):
        def __getitem__(self, i):
            return i

    with pytest.raises(TypeError, match="__len__"):
        Half()


def test_tensor_dataset_rows_and_numpy(device):
    x, y = rows()
    ds = TensorDataset(gt.tensor(x, device=device), y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert xi.tolist() == x[3].tolist() and yi.item() == 3
    assert ds[-1][1].item() == 9
    assert ds.tensors[1].dtype == gt.int64
    assert "10 samples" in repr(ds)


def test_tensor_dataset_shares_numpy_memory():
    x, y = rows()
    ds = TensorDataset(x, y)
    x[0, 0] = 123.0
    assert ds[0][0].tolist()[0] == 123.0


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"different first dimensions \(sizes \[3, 4\]"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="tensor 1 is 0-d"):
        TensorDataset(np.zeros(3), np.float32(1.0))
    ds = TensorDataset(np.zeros(3))
    with pytest.raises(IndexError, match="index 3 is out of range for a dataset of 3"):
        ds[3]
    with pytest.raises(IndexError, match="index -4"):
        ds[-4]
    with pytest.raises(TypeError, match="index must be an int"):
        ds[1.5]


# -- DataLoader: order and sizes -----------------------------------------------------------
@pytest.mark.parametrize("n,bs,drop,sizes", [
    (10, 4, False, [4, 4, 2]), (10, 4, True, [4, 4]), (8, 4, False, [4, 4]),
    (8, 4, True, [4, 4]), (3, 5, False, [3]), (3, 5, True, []), (0, 2, False, []),
    (5, 1, False, [1] * 5)])
def test_loader_batch_sizes(n, bs, drop, sizes):
    x, y = rows(n)
    for shuffle in (False, True):
        loader = DataLoader(TensorDataset(x, y), batch_size=bs, drop_last=drop,
                            shuffle=shuffle, seed=0)
        got = [(len(a), len(b)) for a, b in loader]
        assert got == [(s, s) for s in sizes]
        assert len(loader) == len(sizes)


def test_loader_unshuffled_is_in_order_and_views():
    x, y = rows(10)
    ds = TensorDataset(x, y)
    batches = list(DataLoader(ds, batch_size=4))
    assert order_of(batches) == list(range(10))
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert all(isinstance(b, tuple) and len(b) == 2 for b in batches)
    # the fast path slices the whole tensors: no per-sample copies
    assert np.shares_memory(batches[1][0].numpy(), ds.tensors[0].numpy())


def test_loader_shuffle_rows_stay_paired(device):
    x, y = rows(50)
    loader = DataLoader(TensorDataset(gt.tensor(x, device=device), y), batch_size=8,
                        shuffle=True, seed=1)
    for xb, yb in loader:
        assert xb.device == gt.device(device)
        np.testing.assert_array_equal(xb.cpu().numpy(), x[yb.cpu().numpy()])
    assert sorted(order_of(loader)) == list(range(50))


def test_shuffle_differs_across_epochs_and_is_reproducible_with_int_seed():
    x, y = rows(40)
    a = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=123)
    b = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=123)
    a1, a2 = order_of(a), order_of(a)
    assert a1 != a2  # a new order each epoch
    assert a1 != list(range(40))
    assert [order_of(b), order_of(b)] == [a1, a2]  # the same seed: the same epochs
    c = DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=124)
    assert order_of(c) != a1


def test_shuffle_with_numpy_generator_and_gt_generator():
    x, y = rows(30)
    ds = TensorDataset(x, y)
    g1, g2 = np.random.default_rng(5), np.random.default_rng(5)
    assert order_of(DataLoader(ds, 4, shuffle=True, seed=g1)) == \
        order_of(DataLoader(ds, 4, shuffle=True, seed=g2))
    t1, t2 = gt.Generator().manual_seed(7), gt.Generator().manual_seed(7)
    la, lb = DataLoader(ds, 4, shuffle=True, seed=t1), DataLoader(ds, 4, shuffle=True, seed=t2)
    e1 = order_of(la)
    assert e1 == order_of(lb) and sorted(e1) == list(range(30))
    assert order_of(la) != e1


def test_shuffle_without_seed_follows_manual_seed():
    x, y = rows(30)
    loader = DataLoader(TensorDataset(x, y), 4, shuffle=True)
    gt.manual_seed(11)
    first = [order_of(loader), order_of(loader)]
    gt.manual_seed(11)
    assert [order_of(loader), order_of(loader)] == first
    assert first[0] != first[1]


def test_loader_device_moves_batches(device):
    x, y = rows(6)
    for ds in (TensorDataset(x, y), Subset(TensorDataset(x, y), [5, 4, 3])):
        for shuffle in (False, True):
            for xb, yb in DataLoader(ds, 2, shuffle=shuffle, seed=0, device=device):
                assert xb.device == gt.device(device) and yb.device == gt.device(device)


# -- generic datasets and collation ---------------------------------------------------------
class Pairs(Dataset):
    """Samples of mixed kinds: a tensor, a NumPy array, a Python float and a dict."""

    def __init__(self, n):
        self.n = n
        self.reads = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.reads += 1
        return gt.full((2,), float(i)), np.array([i, -i]), float(i) / 2, {"id": i}


def test_generic_dataset_is_collated_per_field():
    ds = Pairs(5)
    batches = list(DataLoader(ds, batch_size=2))
    assert ds.reads == 5 and len(batches) == 3
    t, a, f, d = batches[0]
    assert t.tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert a.tolist() == [[0, 0], [1, -1]] and a.dtype == gt.int64
    assert f.tolist() == [0.0, 0.5] and f.dtype == gt.get_default_dtype()
    assert d["id"].tolist() == [0, 1]
    shuffled = DataLoader(ds, batch_size=5, shuffle=True, seed=0)
    (t, a, f, d), = list(shuffled)
    assert sorted(d["id"].tolist()) == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(t.numpy()[:, 0], d["id"].numpy())


def test_subclassed_tensor_dataset_keeps_its_getitem():
    class Plus1(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x + 1, y

    x, y = rows(4)
    (xb, yb), = list(DataLoader(Plus1(x, y), batch_size=4))
    np.testing.assert_array_equal(xb.numpy(), x + 1)


def test_collate_fn_and_default_collate_errors():
    loader = DataLoader(Pairs(4), batch_size=3, collate_fn=len)
    assert list(loader) == [3, 1]
    with pytest.raises(ValueError, match="no samples"):
        default_collate([])
    with pytest.raises(TypeError, match="cannot batch samples of type str"):
        default_collate(["a", "b"])
    with pytest.raises(ValueError, match="sequence of 2 fields"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(TypeError, match="mix tensors"):
        default_collate([gt.zeros(1), 1.0])
    with pytest.raises(ValueError, match="dict with keys"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(TypeError, match="collate_fn must be callable"):
        DataLoader(Pairs(2), collate_fn=3)


def test_loader_argument_errors():
    ds = TensorDataset(np.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(TypeError, match="batch_size must be a positive int"):
        DataLoader(ds, batch_size=2.5)
    with pytest.raises(TypeError, match="got a bool"):
        DataLoader(ds, batch_size=True)
    with pytest.raises(TypeError, match="must support len"):
        DataLoader(object())
    with pytest.raises(TypeError, match="seed must be an int, a numpy.random.Generator"):
        DataLoader(ds, seed="x")
    with pytest.raises(ValueError, match="seed must be non-negative"):
        DataLoader(ds, seed=-1)
    assert "batch_size=1" in repr(DataLoader(ds))


# -- Subset / random_split ------------------------------------------------------------------
def test_subset_and_loader_fast_path():
    x, y = rows(10)
    sub = Subset(TensorDataset(x, y), [9, 2, -1])
    assert len(sub) == 3 and sub[0][1].item() == 9 and sub[2][1].item() == 9
    nested = Subset(sub, [1, 0])
    assert [b.tolist() for _, b in DataLoader(nested, batch_size=2)] == [[2, 9]]
    with pytest.raises(IndexError, match="index 10 is out of range"):
        Subset(TensorDataset(x), [10])
    with pytest.raises(TypeError, match="indices must be integers"):
        Subset(TensorDataset(x), [0.5])
    with pytest.raises(IndexError, match="out of range"):
        sub[3]


def test_random_split():
    x, y = rows(10)
    ds = TensorDataset(x, y)
    a, b = random_split(ds, [7, 3], seed=0)
    ia, ib = order_of(DataLoader(a, 10)), order_of(DataLoader(b, 10))
    assert len(ia) == 7 and len(ib) == 3 and sorted(ia + ib) == list(range(10))
    a2, _ = random_split(ds, [7, 3], seed=0)
    assert order_of(DataLoader(a2, 10)) == ia
    parts = random_split(ds, [0.5, 0.3, 0.2], seed=1)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(TensorDataset(np.zeros(11)), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match=r"sum to the dataset's 10 samples"):
        random_split(ds, [5, 4])
    with pytest.raises(ValueError, match="fractions .* sum to 1"):
        random_split(ds, [0.5, 0.6])
    with pytest.raises(ValueError, match="lengths is empty"):
        random_split(ds, [])


def test_exported():
    assert gt.data.DataLoader is DataLoader and gt.data.TensorDataset is TensorDataset
