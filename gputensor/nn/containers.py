"""Module containers (PyTorch's): ``ModuleList`` and ``ModuleDict`` hold sub-modules so their
parameters are registered (seen by ``parameters()``, ``state_dict()``, ``to()``), without a
forward of their own; ``Indexed`` is the list protocol ``ModuleList`` and ``Sequential``
share.
"""

from __future__ import annotations

import operator
from typing import Iterable, Iterator

from .module import Module


def check_module(m, where, owner: str) -> Module:
    """``m`` itself when it is a Module, else a TypeError naming the entry and ``owner``."""
    if not isinstance(m, Module):
        hint = (" (wrap a function such as gt.relu in a module: gt.nn.ReLU())"
                if callable(m) else "")
        raise TypeError(f"{owner}: entry {where!r} is a {type(m).__name__}, not a "
                        f"gt.nn.Module{hint}")
    return m


class Indexed:
    """The list protocol of a module whose children are named "0", "1", ...: ``len``,
    iteration, indexing (an int gives the module, a slice a new container of the same
    type), item assignment and deletion (renumbering), ``append``, ``extend``, ``insert``.
    A mixin for Module subclasses."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def _key(self, idx) -> str:
        n, name = len(self), type(self).__name__
        try:
            i = operator.index(idx)
        except TypeError:
            raise TypeError(f"{name} indices must be ints or slices, got "
                            f"{type(idx).__name__}") from None
        if not -n <= i < n:
            raise IndexError(f"{name} index {i} is out of range for {n} module(s)")
        return list(self._modules)[i % n]

    def _sliced(self, idx: slice):
        return type(self)(list(self._modules.values())[idx])

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._sliced(idx)
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module: Module) -> None:
        if isinstance(idx, slice):
            raise TypeError(f"{type(self).__name__}: assigning to a slice is not supported; "
                            "assign one index at a time, or use insert/extend")
        self._modules[self._key(idx)] = check_module(module, idx, type(self).__name__)

    def __delitem__(self, idx) -> None:
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for k in keys:
            del self._modules[k]
        items = list(self._modules.items())  # renumber so names stay "0", "1", ...
        if all(k.isdigit() for k, _ in items):
            self._renumber([m for _, m in items])

    def _renumber(self, modules: list) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def append(self, module: Module):
        """Add ``module`` at the end; returns self.

        >>> len(gt.nn.ModuleList().append(gt.nn.ReLU()))
        1
        """
        self.add_module(str(len(self)), check_module(module, len(self), type(self).__name__))
        return self

    def extend(self, modules: Iterable[Module]):
        """Append each of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module):
        """Insert ``module`` before position ``index``; returns self."""
        mods = list(self._modules.values())
        n = len(mods)
        i = operator.index(index)
        if not -n <= i <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {i} is out of range for "
                             f"{n} module(s)")
        mods.insert(i, check_module(module, index, type(self).__name__))  # (as list.insert)
        self._renumber(mods)
        return self


class ModuleList(Indexed, Module):
    """A list of sub-modules, registered (so ``parameters()`` sees them) and indexed like a
    Python list; it has no ``forward``: the owner decides how to call them.

    >>> layers = gt.nn.ModuleList([gt.nn.Linear(2, 2) for _ in range(3)])
    >>> len(layers), len(list(layers.parameters())), len(layers[1:])
    (3, 6, 2)
    """

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __iadd__(self, modules: Iterable[Module]) -> "ModuleList":
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> "ModuleList":
        return ModuleList([*self, *other])


class ModuleDict(Module):
    """A dict of named sub-modules, registered (so ``parameters()`` sees them), in insertion
    order; it has no ``forward``. Takes a dict or an iterable of (name, module) pairs.

    >>> heads = gt.nn.ModuleDict({"a": gt.nn.Linear(2, 1), "b": gt.nn.Linear(2, 3)})
    >>> list(heads), heads["b"].out_features, "a" in heads
    (['a', 'b'], 3, True)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no module {key!r}; it holds "
                           f"{list(self._modules)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        if isinstance(key, str) and hasattr(type(self), key):  # (m.keys must stay the method)
            raise KeyError(f"ModuleDict: the key {key!r} is the name of a ModuleDict "
                           "attribute; choose another name")
        self.add_module(key, check_module(module, key, "ModuleDict"))

    def __delitem__(self, key: str) -> None:
        self[key]  # (the KeyError naming what there is)
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove the module ``key`` and return it."""
        m = self[key]
        del self._modules[key]
        return m

    def clear(self) -> None:
        """Remove every module."""
        self._modules.clear()

    def update(self, modules) -> None:
        """Add or replace modules from a dict (or ModuleDict) or (name, module) pairs."""
        pairs = modules.items() if hasattr(modules, "items") else modules
        for i, pair in enumerate(pairs):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"ModuleDict.update: entry {i} is not a (name, module) pair")
            self[pair[0]] = pair[1]

