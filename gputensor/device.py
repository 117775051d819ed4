"""Devices: ``gt.device('cpu' | 'cuda' | 'cuda:N')`` and the process-wide default device."""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^(cpu|cuda)(?::(\d+))?$")  # 'cpu:0' is accepted too, as in PyTorch
_ACCEPTED = "'cpu', 'cuda' or 'cuda:N' (N a device index)"


class Device:
    """A place where tensors live. Compares equal to its string form.

    >>> gt.device('cuda:1').index
    1
    """

    __slots__ = ("type", "index", "_str", "backend", "fast", "scalars")

    def __init__(self, type: str, index: int | None = None):
        if type not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {type!r}; expected {_ACCEPTED}")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)
                                  or index < 0 or (type == "cpu" and index != 0)):
            raise ValueError(f"device: invalid index {index!r} for {type!r}; expected "
                             f"{_ACCEPTED}")
        self.type = type
        self.index = index if type == "cuda" else None
        if type == "cuda" and self.index is None:
            self.index = 0
        self._str = "cpu" if type == "cpu" else f"cuda:{self.index}"
        self.backend = None  # set by backends.get_backend once the backend exists
        self.fast = {}  # (op, dtype) -> impl: ``ops.apply``'s cache of checks already passed
        # {dtype: {float: 0-d array}}: Python scalars converted for the fast paths, where
        # the backend takes those faster (``Backend.scalars_as_arrays``; else stays empty)
        self.scalars = {}

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + ("" if self.index is None else
                                               f", index={self.index}") + ")"

    def __str__(self) -> str:
        return self._str

    def __eq__(self, other) -> bool:
        if isinstance(other, Device):
            return self._str == other._str
        if isinstance(other, str):
            try:
                return device(other)._str == self._str
            except ValueError:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._str)

    # one Device object per device: copies and pickles of tensors share it
    def __copy__(self) -> "Device":
        return self

    def __deepcopy__(self, memo) -> "Device":
        return self

    def __reduce__(self):
        return device, (self._str,)


_cache: dict[str, Device] = {}


def device(spec: "str | Device | None" = None) -> Device:
    """Parse a device spelling; ``None`` gives the default device.

    >>> gt.device('cpu')
    device(type='cpu')
    """
    if spec is None:
        return _default[0]
    if isinstance(spec, Device):
        return _cache.setdefault(spec._str, spec)  # the one shared object for this device
    if isinstance(spec, str):
        found = _cache.get(spec)
        if found is not None:
            return found
        m = _PATTERN.match(spec.strip())
        if m and not (m.group(1) == "cpu" and m.group(2) is not None and int(m.group(2))):
            d = Device(m.group(1), None if m.group(2) is None else int(m.group(2)))
            d = _cache.setdefault(d._str, d)  # one object per device: 'cuda' is 'cuda:0'
            _cache[spec] = d
            return d
        raise ValueError(f"device: malformed device string {spec!r}; expected {_ACCEPTED}")
    if hasattr(spec, "type") and hasattr(spec, "index"):  # e.g. a torch.device
        return device(str(spec))
    raise TypeError(f"device: expected a string like {_ACCEPTED}, got {type(spec).__name__}")


CPU = _cache["cpu"] = Device("cpu")
_default = [CPU]


def set_default_device(spec: "str | Device") -> None:
    """Make new tensors live on ``spec`` unless told otherwise; checks the device exists.

    >>> gt.set_default_device('cpu')
    """
    from .backends import get_backend

    d = device(spec)
    get_backend(d)  # fail now, not at the first tensor
    _default[0] = d


def get_default_device() -> Device:
    """The device new tensors are created on (``cpu`` unless set).

    >>> gt.get_default_device()
    device(type='cpu')
    """
    return _default[0]
