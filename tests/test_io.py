"""gt.save / gt.load: round trips, devices, and files that are damaged or not ours."""

from __future__ import annotations

import collections
import io
import json
import math
import os
import pathlib
import pickle
import zipfile

import numpy as np
import pytest

import gputensor as gt
from gputensor.io import MANIFEST
from testkit import run_docstring_examples

HAS_GPU = gt.cuda.is_available()

DTYPES = [gt.float16, gt.float32, gt.float64, gt.int8, gt.int16, gt.int32, gt.int64, gt.uint8,
          gt.bool]
SHAPES = [(), (0,), (2, 0, 3), (5,), (3, 4)]


def _host(t):
    return t.cpu().numpy()


def _sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == gt.bool:
        return rng.random(shape) > 0.5
    if dtype.kind == "f":
        return rng.normal(size=shape).astype(dtype)
    return rng.integers(0, 100, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_tensor_round_trip(tmp_path, dtype, shape, device):
    a = _sample(dtype, shape)
    t = gt.tensor(a, device=device)
    gt.save(t, tmp_path / "t.gt")
    back = gt.load(tmp_path / "t.gt")
    assert isinstance(back, gt.Tensor)
    assert back.dtype == dtype and back.shape == shape and back.device == t.device
    np.testing.assert_array_equal(_host(back), a)
    assert not back.requires_grad


def test_special_float_values(tmp_path):
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45, 65504], dtype=np.float32)
    gt.save({"x": gt.tensor(a), "nan": float("nan"), "inf": float("-inf")}, tmp_path / "f")
    back = gt.load(tmp_path / "f")
    np.testing.assert_array_equal(_host(back["x"]), a)
    assert np.signbit(_host(back["x"])[3])
    assert math.isnan(back["nan"]) and back["inf"] == float("-inf")


@pytest.mark.parametrize("view", ["transpose", "step", "broadcast", "column"])
def test_non_contiguous_tensors(tmp_path, view, device):
    base = gt.arange(24, dtype=gt.float64, device=device).reshape(4, 6)
    t = {"transpose": base.T, "step": base[::2, 1::3],
         "broadcast": gt.broadcast_to(base[0], (3, 6)), "column": base[:, 2]}[view]
    gt.save(t, str(tmp_path / "v.gt"))
    back = gt.load(str(tmp_path / "v.gt"))
    np.testing.assert_array_equal(_host(back), _host(t))
    assert back.shape == t.shape and back.dtype == t.dtype


def test_requires_grad_is_kept(tmp_path):
    w = gt.ones(2, 3, requires_grad=True)
    gt.save({"w": w, "frozen": gt.zeros(2)}, tmp_path / "w.gt")
    back = gt.load(tmp_path / "w.gt")
    assert back["w"].requires_grad and back["w"].is_leaf
    assert not back["frozen"].requires_grad


def test_module_like_state_dict(tmp_path, device):
    sd = collections.OrderedDict()
    sd["0.weight"] = gt.randn(4, 3, device=device)
    sd["0.bias"] = gt.zeros(4, device=device)
    sd["2.weight"] = gt.randn(2, 4, dtype=gt.float64, device=device)
    sd["bn.num_batches_tracked"] = gt.tensor(7, device=device)
    gt.save(sd, tmp_path / "model.gt")
    back = gt.load(tmp_path / "model.gt")
    assert type(back) is collections.OrderedDict
    assert list(back) == list(sd)
    for k in sd:
        assert back[k].dtype == sd[k].dtype and back[k].device == sd[k].device
        np.testing.assert_array_equal(_host(back[k]), _host(sd[k]))


def test_nested_structure_with_plain_values(tmp_path):
    t = gt.arange(3)
    obj = {
        "state": {0: {"step": 3, "buf": t}, 1: {}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                          "nesterov": False, "fused": None, "name": "head"}],
        "big": 2 ** 70, "neg": -5, "pi": 3.141592653589793, "empty": [], "unit": (),
        2.5: "float key", None: "none key", True: "bool key", "text": "héllo ✓",
        "arrays": [np.arange(4, dtype=np.int16), np.float32(1.5), np.bool_(True)],
    }
    path = tmp_path / "nested.gt"
    gt.save(obj, path)
    back = gt.load(path)
    assert list(back) == list(obj)
    assert back["state"][0]["step"] == 3 and back["state"][1] == {}
    assert list(back["state"]) == [0, 1]  # int keys stay ints
    assert back["param_groups"] == [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                                      "nesterov": False, "fused": None, "name": "head"}]
    assert type(back["param_groups"][0]["betas"]) is tuple
    assert back["big"] == 2 ** 70 and back["neg"] == -5 and back["pi"] == obj["pi"]
    assert back["empty"] == [] and back["unit"] == ()
    assert back[2.5] == "float key" and back[None] == "none key" and back[True] == "bool key"
    assert back["text"] == "héllo ✓"
    arr, scalar, flag = back["arrays"]
    assert arr.dtype == np.int16 and arr.tolist() == [0, 1, 2, 3]
    assert type(scalar) is np.float32 and scalar == 1.5 and type(flag) is np.bool_
    assert back["state"][0]["buf"].tolist() == [0, 1, 2]


def test_scalars_and_lists_at_top_level(tmp_path):
    for obj in (3, "x", None, [1, gt.ones(1)], (gt.zeros(2), 2.0)):
        gt.save(obj, tmp_path / "o.gt")
        back = gt.load(tmp_path / "o.gt")
        assert type(back) is type(obj)
        assert repr(back) == repr(obj)


def test_shared_tensor_loads_as_one_object(tmp_path):
    t = gt.ones(3)
    gt.save({"a": t, "b": [t, t.clone()]}, tmp_path / "s.gt")
    back = gt.load(tmp_path / "s.gt")
    assert back["a"] is back["b"][0] and back["a"] is not back["b"][1]
    with zipfile.ZipFile(tmp_path / "s.gt") as z:
        assert len(z.namelist()) == 3  # the manifest and two arrays


def test_loaded_tensors_own_writable_memory(tmp_path):
    gt.save(gt.zeros(3), tmp_path / "z.gt")
    a, b = gt.load(tmp_path / "z.gt"), gt.load(tmp_path / "z.gt")
    a[0] = 5.0
    assert b.tolist() == [0.0, 0.0, 0.0] and a.tolist() == [5.0, 0.0, 0.0]


def test_path_kinds_and_file_objects(tmp_path):
    t = gt.arange(5.0)
    gt.save(t, str(tmp_path / "a"))
    gt.save(t, pathlib.Path(tmp_path / "b"))
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]  # no '.npz' added, no temp files left
    assert gt.load(pathlib.Path(tmp_path / "a")).tolist() == gt.load(str(tmp_path / "b")).tolist()
    buf = io.BytesIO()
    gt.save({"t": t}, buf)
    buf.seek(0)
    assert gt.load(buf)["t"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_save_overwrites(tmp_path):
    path = tmp_path / "x.gt"
    gt.save(gt.ones(2), path)
    gt.save(gt.zeros(3), path)
    assert gt.load(path).tolist() == [0.0, 0.0, 0.0]


def test_optimizer_state_dict_round_trip(tmp_path):
    w = gt.tensor([1.0, -2.0], dtype=gt.float64, requires_grad=True)
    opt = gt.optim.Adam([w], lr=0.1)
    for _ in range(2):
        w.grad = w * 3
        opt.step()
    gt.save(opt.state_dict(), tmp_path / "opt.gt")
    sd = gt.load(tmp_path / "opt.gt")
    want = opt.state_dict()
    assert sd["param_groups"] == want["param_groups"]
    assert sd["state"][0]["step"] == 2
    np.testing.assert_array_equal(_host(sd["state"][0]["exp_avg"]),
                                  _host(want["state"][0]["exp_avg"]))


# -- devices ---------------------------------------------------------------------------------------
def _rewrite(src, dst, edit):
    """Copy a gt.save file, changing its manifest with ``edit(manifest)``."""
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    manifest = json.loads(arrays[MANIFEST].tobytes())
    edit(manifest)
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    with open(dst, "wb") as f:
        np.savez(f, **arrays)


def _as_cuda(manifest):
    manifest["root"]["device"] = "cuda:0"


@pytest.mark.skipif(HAS_GPU, reason="checks the error given where no GPU is available")
def test_cuda_tensor_without_gpu_needs_map_location(tmp_path):
    gt.save(gt.arange(3.0), tmp_path / "cpu.gt")
    _rewrite(tmp_path / "cpu.gt", tmp_path / "cuda.gt", _as_cuda)
    with pytest.raises(RuntimeError, match=r"cuda:0.*map_location='cpu'"):
        gt.load(tmp_path / "cuda.gt")
    for loc in ("cpu", gt.device("cpu"), {"cuda:0": "cpu"}, {"cuda": "cpu"}):
        back = gt.load(tmp_path / "cuda.gt", map_location=loc)
        assert back.device == "cpu" and back.tolist() == [0.0, 1.0, 2.0]


def test_map_location(tmp_path, device):
    gt.save({"a": gt.ones(2, device=device)}, tmp_path / "m.gt")
    assert gt.load(tmp_path / "m.gt", map_location="cpu")["a"].device == "cpu"
    assert gt.load(tmp_path / "m.gt", map_location=device)["a"].device == gt.device(device)
    assert gt.load(tmp_path / "m.gt", map_location={"cuda:7": "cpu"})["a"].device == \
        gt.device(device)


@pytest.mark.gpu
def test_cpu_file_onto_gpu(tmp_path):
    gt.save(gt.arange(4.0), tmp_path / "c.gt")
    back = gt.load(tmp_path / "c.gt", map_location="cuda")
    assert back.device == "cuda:0" and back.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_bad_map_location(tmp_path):
    gt.save(gt.ones(1), tmp_path / "o.gt")
    with pytest.raises(TypeError, match="map_location"):
        gt.load(tmp_path / "o.gt", map_location=3)
    with pytest.raises(ValueError, match="device"):
        gt.load(tmp_path / "o.gt", map_location="gpu")


# -- what cannot be saved --------------------------------------------------------------------------
class _WithStateDict:
    def state_dict(self):
        return {}


@pytest.mark.parametrize("obj, pattern", [
    ({1, 2}, "type set at obj"),
    ({"a": [1, object()]}, r"type object at obj\['a'\]\[1\]"),
    (_WithStateDict(), "state_dict"),
    ({(1, 2): gt.ones(1)}, "key of type tuple"),
    (np.array([1 + 2j]), "complex128"),
    (np.array([{}], dtype=object), "object"),
    (b"bytes", "bytes"),
])
def test_unsupported_objects_raise_type_error(tmp_path, obj, pattern):
    path = tmp_path / "bad.gt"
    with pytest.raises(TypeError, match=pattern):
        gt.save(obj, path)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_reference_cycle_is_refused(tmp_path):
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="cycle"):
        gt.save({"a": a}, tmp_path / "c.gt")
    shared = [1]
    gt.save([shared, shared], tmp_path / "ok.gt")  # shared, not cyclic: fine
    assert gt.load(tmp_path / "ok.gt") == [[1], [1]]


def test_bad_path_type():
    with pytest.raises(TypeError, match="path"):
        gt.save(gt.ones(1), 3)
    with pytest.raises(TypeError, match="path"):
        gt.load(3)


# -- damaged and foreign files ---------------------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.gt"
    gt.save({"w": gt.tensor(np.full(1000, 7.25, np.float32)), "n": 3}, path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        gt.load(tmp_path / "nope.gt")


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1])
def test_truncated_file(saved, keep):
    data = saved.read_bytes()
    n = keep if isinstance(keep, int) and keep >= 0 else (
        len(data) - 1 if keep == -1 else int(len(data) * keep))
    saved.write_bytes(data[:n])
    with pytest.raises(ValueError, match=f"{saved.name}.*not a valid gputensor file"):
        gt.load(saved)


def test_corrupted_array_bytes(saved):
    data = bytearray(saved.read_bytes())
    at = bytes(data).index(np.full(4, 7.25, np.float32).tobytes()) + 100
    data[at] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{saved.name}.*(corrupt|CRC)"):
        gt.load(saved)


def test_corrupted_manifest_bytes(saved):
    data = bytearray(saved.read_bytes())
    at = bytes(data).index(b'"format"')
    data[at + 2] ^= 0x20
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=saved.name):
        gt.load(saved)


@pytest.mark.parametrize("edit, pattern", [
    (lambda m: m["root"]["items"][0][1].update(dtype="float64"), "manifest says float64"),
    (lambda m: m["root"]["items"][0][1].update(shape=[10, 100]), r"manifest says .*\(10, 100\)"),
    (lambda m: m["root"]["items"][0][1].update(array="a9"), "missing array 'a9'"),
    (lambda m: m["root"]["items"][0][1].update(array=MANIFEST), "missing array"),
    (lambda m: m["root"]["items"][0][1].update(device="tpu"), "unknown device"),
    (lambda m: m["root"]["items"][0][1].update(dtype="complex64"), "dtype"),
    (lambda m: m["root"].update(t="pickle"), "unknown manifest entry kind 'pickle'"),
    (lambda m: m["root"].update(items=5), "without its items"),
    (lambda m: m.update(version=99), "version 99"),
    (lambda m: m.update(format="other"), "another format"),
    (lambda m: m.pop("root"), "without its content"),
])
def test_mismatched_manifest(saved, tmp_path, edit, pattern):
    bad = tmp_path / "bad.gt"
    _rewrite(saved, bad, edit)
    with pytest.raises(ValueError, match=f"bad.gt.*{pattern}"):
        gt.load(bad)


def test_foreign_npz_and_npy(tmp_path):
    with open(tmp_path / "plain.npz", "wb") as f:
        np.savez(f, x=np.arange(3))
    with pytest.raises(ValueError, match="plain.npz.*manifest"):
        gt.load(tmp_path / "plain.npz")
    with open(tmp_path / "one.npy", "wb") as f:
        np.save(f, np.arange(3))
    with pytest.raises(ValueError, match="one.npy.*single .npy array"):
        gt.load(tmp_path / "one.npy")
    (tmp_path / "text.gt").write_text("hello")
    with pytest.raises(ValueError, match="text.gt"):
        gt.load(tmp_path / "text.gt")


RAN = []


def _record(*args):
    RAN.append(args)
    return args


class _Boom:
    def __reduce__(self):
        return (_record, ("code ran",))


def test_pickle_file_is_refused_without_running_it(tmp_path):
    RAN.clear()
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _Boom()}))
    pickle.loads(path.read_bytes())  # the payload does run under pickle...
    assert RAN == [("code ran",)]
    RAN.clear()
    with pytest.raises(ValueError, match="evil.pt.*pickled data"):
        gt.load(path)  # ...but never under gt.load
    assert RAN == []


def test_pickled_array_inside_an_archive_is_refused(saved, tmp_path):
    RAN.clear()
    with np.load(saved, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["a0"] = np.array([_Boom()], dtype=object)  # np.savez pickles object arrays
    bad = tmp_path / "evil.gt"
    with open(bad, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ValueError, match="evil.gt.*pickled"):
        gt.load(bad)
    assert RAN == []


def test_docstring_examples():
    from gputensor import io as gio

    run_docstring_examples(gio)
