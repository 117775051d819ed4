"""``gt.save`` / ``gt.load``: tensors and state dicts on disk, in a format that runs no code.

A file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays) holding one array per tensor
plus ``__gputensor__``, a JSON manifest (as bytes) describing the saved object: its nesting of
dicts, lists and tuples, its numbers, strings, bools and None, and for each tensor the array
holding it, its dtype, shape, device and ``requires_grad``. Loading reads the arrays with
``allow_pickle=False`` and parses JSON: it never unpickles, imports or calls anything named by
the file. Every array is checked against the manifest (zip CRCs catch flipped bytes), so a
corrupt, truncated or foreign file raises ``ValueError`` naming the path.

What can be saved: ``Tensor`` (any gputensor dtype, any device, any layout; the same tensor
object twice is stored once and loads as one object), NumPy arrays and scalars (of bool,
integer or float dtypes), ``dict``/``OrderedDict`` (keys: str, int, float, bool or None),
``list``, ``tuple``, ``int``, ``float``, ``bool``, ``str`` and ``None``, nested freely: module
and optimizer state dicts, scheduler state, training checkpoints. Tensor subclasses
(``Parameter``, ``Variable``) load as plain tensors that keep ``requires_grad``; a tensor
saved non-contiguous loads with its own memory (transposes keep their column-major order).
"""

from __future__ import annotations

import collections
import json
import os
import secrets
from typing import Any

import numpy as np

from . import dtypes as dt
from .device import Device, device as as_device
from .tensor import Tensor

FORMAT, VERSION = "gputensor", 1
MANIFEST = "__gputensor__"
_KEY_TYPES = (str, int, float, bool, type(None))
_ARRAY_KINDS = "biuf"


# -- saving ---------------------------------------------------------------------------------------
class _Writer:
    """Turns an object into a JSON-able manifest and a dict of named host arrays."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.memo: dict[int, str] = {}  # id(tensor) -> array name: one tensor stored once
        self.active: set[int] = set()  # containers being encoded: catches reference cycles

    def _array(self, arr: np.ndarray) -> str:
        name = f"a{len(self.arrays)}"
        self.arrays[name] = arr
        return name

    def encode(self, obj, where: str):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is not bool:
            return int(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, Tensor):
            return self._tensor(obj)
        if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
            arr = np.asarray(obj)
            if arr.dtype.kind not in _ARRAY_KINDS:
                raise TypeError(f"save: cannot save a NumPy {type(obj).__name__} of dtype "
                                f"{arr.dtype} at {where}; only bool, integer and float dtypes "
                                "are saved")
            return {"t": "ndarray" if isinstance(obj, np.ndarray) else "npscalar",
                    "array": self._array(arr), "dtype": arr.dtype.str, "shape": list(arr.shape)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self.active:
                raise ValueError(f"save: the object contains itself at {where} (a reference "
                                 "cycle); such objects cannot be saved")
            self.active.add(id(obj))
            try:
                return self._container(obj, where)
            finally:
                self.active.discard(id(obj))
        hint = ("; save its state_dict() instead" if hasattr(obj, "state_dict") else "")
        raise TypeError(f"save: cannot save an object of type {type(obj).__name__} at {where}"
                        f"{hint}; gt.save takes tensors, NumPy arrays, dicts, lists, tuples, "
                        "numbers, strings, bools and None")

    def _tensor(self, t: Tensor) -> dict:
        name = self.memo.get(id(t))
        if name is None:
            name = self.memo[id(t)] = self._array(t.detach().cpu().numpy())
        return {"t": "tensor", "array": name, "dtype": t.dtype.name, "shape": list(t.shape),
                "device": str(t.device), "requires_grad": bool(t.requires_grad)}

    def _container(self, obj, where: str) -> dict:
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if not isinstance(k, _KEY_TYPES):
                    raise TypeError(f"save: cannot save a dict key of type {type(k).__name__} "
                                    f"({k!r}) at {where}; keys must be str, int, float, bool "
                                    "or None")
                items.append([k, self.encode(v, f"{where}[{k!r}]")])
            kind = "odict" if isinstance(obj, collections.OrderedDict) else "dict"
            return {"t": kind, "items": items}
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {"t": kind, "items": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]}


def _describe_path(path) -> str:
    if isinstance(path, (str, os.PathLike)):
        return os.fspath(path)
    name = getattr(path, "name", None)
    return name if isinstance(name, str) else repr(path)


def save(obj: Any, path) -> None:
    """Write ``obj`` (a tensor, a state dict, or dicts/lists/tuples of tensors, arrays,
    numbers and strings) to ``path`` (str, ``pathlib.Path`` or a binary file object).
    The file is written whole or not at all.

    >>> import tempfile, os; f = os.path.join(tempfile.mkdtemp(), 'w.gt')
    >>> gt.save({'w': gt.ones(2)}, f); gt.load(f)['w']
    tensor([1., 1.], dtype=float32, device='cpu')
    """
    writer = _Writer()
    root = writer.encode(obj, "obj")  # raises before anything is written
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root},
                          allow_nan=True, separators=(",", ":")).encode()
    arrays = {MANIFEST: np.frombuffer(manifest, dtype=np.uint8), **writer.arrays}
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"save: path must be a str, os.PathLike or a binary file object, got "
                        f"{type(path).__name__}")
    path = os.fspath(path)
    # written next to the target and renamed over it: a failed save leaves no partial file
    tmp = f"{path}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)  # a file object: np.savez adds no '.npz' to the name
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


# -- loading --------------------------------------------------------------------------------------
class _Corrupt(Exception):
    """A problem with the file's content (turned into ``ValueError`` naming the path)."""


class _Reader:
    """Rebuilds the object from a parsed manifest; reads each array once, checked."""

    def __init__(self, npz, names: set):
        self.npz, self.names = npz, names
        self.hosts: dict[str, np.ndarray] = {}
        self.tensors: dict[str, _Pending] = {}

    def host(self, node: dict, dtype: np.dtype) -> np.ndarray:
        name = node.get("array")
        if not isinstance(name, str) or name == MANIFEST or name not in self.names:
            raise _Corrupt(f"the manifest refers to a missing array {name!r}")
        arr = self.hosts.get(name)
        if arr is None:
            arr = self.hosts[name] = self.npz[name]
        shape = node.get("shape")
        if (not isinstance(arr, np.ndarray) or arr.dtype != dtype
                or not isinstance(shape, list) or list(arr.shape) != shape):
            raise _Corrupt(f"array {name!r} has dtype {getattr(arr, 'dtype', '?')} and shape "
                           f"{getattr(arr, 'shape', '?')} but the manifest says {dtype} and "
                           f"{tuple(shape) if isinstance(shape, list) else shape!r}")
        return arr

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict):
            raise _Corrupt(f"unexpected manifest entry of type {type(node).__name__}")
        kind = node.get("t")
        if kind in ("dict", "odict"):
            items = node.get("items")
            if not isinstance(items, list):
                raise _Corrupt("a dict entry without its items")
            out = collections.OrderedDict() if kind == "odict" else {}
            for item in items:
                if (not isinstance(item, list) or len(item) != 2
                        or not isinstance(item[0], _KEY_TYPES)):
                    raise _Corrupt(f"a malformed dict item {item!r:.60}")
                out[item[0]] = self.decode(item[1])
            return out
        if kind in ("list", "tuple"):
            items = node.get("items")
            if not isinstance(items, list):
                raise _Corrupt(f"a {kind} entry without its items")
            out = [self.decode(v) for v in items]
            return tuple(out) if kind == "tuple" else out
        if kind == "tensor":
            return self.tensor(node)
        if kind in ("ndarray", "npscalar"):
            try:
                dtype = np.dtype(node.get("dtype"))
            except TypeError:
                raise _Corrupt(f"unknown dtype {node.get('dtype')!r}") from None
            if dtype.kind not in _ARRAY_KINDS:
                raise _Corrupt(f"unsupported dtype {dtype}")
            arr = self.host(node, dtype).copy()  # a fresh copy per occurrence
            return arr[()] if kind == "npscalar" else arr
        raise _Corrupt(f"unknown manifest entry kind {kind!r}")

    def tensor(self, node: dict) -> "_Pending":
        name = node.get("array")
        if name in self.tensors:
            return self.tensors[name]
        try:
            dtype = dt.as_dtype(node.get("dtype"), "load")
        except TypeError:
            raise _Corrupt(f"unknown tensor dtype {node.get('dtype')!r}") from None
        saved = node.get("device")
        try:
            saved = as_device(saved)
        except (TypeError, ValueError):
            raise _Corrupt(f"unknown device {saved!r}") from None
        arr = self.host(node, dtype)
        self.tensors[name] = t = _Pending(arr, saved, bool(node.get("requires_grad")))
        return t


class _Pending:
    """A tensor read and checked but not yet made (made once the whole file has parsed)."""

    __slots__ = ("arr", "device", "requires_grad")

    def __init__(self, arr: np.ndarray, device: Device, requires_grad: bool):
        self.arr, self.device, self.requires_grad = arr, device, requires_grad


def _target(saved: Device, map_location) -> Device:
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        spec = map_location.get(str(saved), map_location.get(saved.type, saved))
        return as_device(spec)
    return as_device(map_location)


def _materialize(obj, made: dict, map_location, where: str):
    """Replace the reader's ``_Pending`` entries by tensors (one tensor per array)."""
    if isinstance(obj, _Pending):
        t = made.get(id(obj))
        if t is None:
            t = made[id(obj)] = _make_tensor(obj.arr, obj.device, obj.requires_grad,
                                             map_location, where)
        return t
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _materialize(v, made, map_location, where)
        return obj
    if isinstance(obj, list):
        obj[:] = [_materialize(v, made, map_location, where) for v in obj]
        return obj
    if isinstance(obj, tuple):
        return tuple(_materialize(v, made, map_location, where) for v in obj)
    return obj


def _make_tensor(arr: np.ndarray, saved: Device, requires_grad: bool, map_location,
                 where: str) -> Tensor:
    from .creation import as_tensor

    target = _target(saved, map_location)
    try:
        t = as_tensor(arr, device=target)
    except RuntimeError as e:
        raise RuntimeError(f"load: {where} holds a tensor saved on {saved}, which cannot be "
                           f"used here ({e}); pass map_location='cpu' (or another device) "
                           "to load it elsewhere") from None
    if requires_grad and t.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def load(path, map_location=None) -> Any:
    """Read an object written by ``gt.save``. Tensors come back on the device they were saved
    from, unless ``map_location`` (a device such as ``'cpu'`` or ``'cuda:0'``, or a dict
    mapping saved device names to devices) says otherwise. A file that is not a valid
    gputensor file (corrupt, truncated, a pickle, another program's ``.npz``) raises
    ``ValueError``; nothing in the file is ever executed.

    >>> import tempfile, os; f = os.path.join(tempfile.mkdtemp(), 't.gt')
    >>> gt.save(gt.arange(3), f); gt.load(f, map_location='cpu')
    tensor([0, 1, 2], dtype=int64, device='cpu')
    """
    if map_location is not None and not isinstance(map_location, (str, Device, dict)):
        raise TypeError(f"load: map_location must be a device ('cpu', 'cuda', 'cuda:N', a "
                        f"gt.device) or a dict of them, got {type(map_location).__name__}")
    if isinstance(map_location, (str, Device)):
        as_device(map_location)  # a malformed device name fails now, tensors or not
    where = _describe_path(path)
    if not hasattr(path, "read") and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load: path must be a str, os.PathLike or a binary file object, got "
                        f"{type(path).__name__}")
    if isinstance(path, (str, os.PathLike)):
        with open(path, "rb") as f:  # missing files raise FileNotFoundError as usual
            obj = _parse(f, where)
    else:
        obj = _parse(path, where)
    return _materialize(obj, {}, map_location, where)


def _parse(f, where: str):
    try:
        npz = np.load(f, allow_pickle=False)
        if not hasattr(npz, "files"):  # an .npy file: np.load gave a plain array
            raise _Corrupt("it holds a single .npy array, not an archive written by gt.save")
        with npz:
            names = set(npz.files)
            if MANIFEST not in names:
                raise _Corrupt(f"a zip/.npz archive without the {MANIFEST!r} manifest "
                               "(not written by gt.save)")
            raw = npz[MANIFEST]
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise _Corrupt("a malformed manifest")
            manifest = json.loads(raw.tobytes().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise _Corrupt("a manifest of another format")
            if manifest.get("version") != VERSION:
                raise _Corrupt(f"format version {manifest.get('version')!r}; this gputensor "
                               f"reads version {VERSION}")
            if "root" not in manifest:
                raise _Corrupt("a manifest without its content")
            return _Reader(npz, names).decode(manifest["root"])
    except _Corrupt as e:
        raise ValueError(f"load: {where} is not a valid gputensor file: {e}") from None
    except ValueError as e:
        if "pickle" not in str(e):
            raise ValueError(f"load: {where} is not a valid gputensor file (corrupt or "
                             f"truncated?): {e}") from None
        raise ValueError(f"load: {where} is not a valid gputensor file: it holds pickled "
                         "data (e.g. from pickle or torch.save), which gt.load never reads, "
                         "since unpickling can run arbitrary code") from None
    except Exception as e:  # BadZipFile, zlib.error, EOFError, a pickle refused, bad JSON...
        raise ValueError(f"load: {where} is not a valid gputensor file (corrupt or "
                         f"truncated?): {type(e).__name__}: {e}") from None
