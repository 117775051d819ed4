"""``GradientTape``: TensorFlow's way of asking for gradients, on the one graph engine.

Every op on tensors that require grad leaves a ``Node`` (``engine.record``); while a tape is
recording, ``record`` also hands it each new node. ``tape.gradient`` then walks only the
tape's own nodes (``run_backward(..., allowed=...)``), so a value computed before the tape
opened, or inside ``stop_recording()``, is a constant to it even when it came from a
Variable. What is "watched": trainable Variables (and any tensor that requires grad) used by
an op while the tape records, unless ``watch_accessed_variables=False``; and whatever
``tape.watch`` names (a constant is made to require grad while the tape is open).
"""

from __future__ import annotations

import contextlib
import enum
from itertools import repeat

from ..creation import as_tensor, ones_like, zeros, zeros_like
from ..tensor import Tensor
from .engine import _ones, run_backward
from .mode import _local
from .variable import Variable

_NONE, _ZERO = "none", "zero"


class UnconnectedGradients(enum.Enum):
    """TensorFlow's ``tf.UnconnectedGradients``: what ``gradient``/``jacobian`` give for a
    source the target does not depend on (the strings ``'none'``/``'zero'`` work too)."""

    NONE = _NONE
    ZERO = _ZERO


class GradientTape:
    """Record the ops run inside ``with`` and compute gradients of a target afterwards.

    persistent: allow several ``gradient``/``jacobian`` calls (a non-persistent tape frees
      what its graph saved after the first call, and refuses a second one).
    watch_accessed_variables: watch every trainable Variable (and every tensor that requires
      grad) that an op uses while the tape records; when False only ``watch``-ed tensors get
      gradients.

    >>> x = gt.Variable(3.0)
    >>> with gt.GradientTape() as tape:
    ...     y = x * x
    >>> tape.gradient(y, x)
    tensor(6., dtype=float32, device='cpu')

    Nested tapes give higher derivatives: a ``gradient`` computed while another tape records
    is itself recorded on that tape (it runs with ``create_graph=True``).
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._nodes: dict = {}     # node -> None, in creation order
        self._watched: dict = {}   # id -> tensor named by watch()
        self._switched: list = []  # constants whose requires_grad this tape turned on
        self._active = False       # inside its ``with``
        self._used = False         # a non-persistent tape computed its gradient
        self._spent = None         # then: the Variables its records used

    # -- recording --------------------------------------------------------------------------
    def __enter__(self) -> "GradientTape":
        if self._active:
            raise RuntimeError("GradientTape: this tape is already recording; a tape cannot "
                               "be entered twice at once (open a new GradientTape to nest)")
        self._active = True
        self._start()
        for t in self._watched.values():
            self._switch_on(t)
        return self

    def __exit__(self, *exc) -> bool:
        self._stop()
        self._active = False
        self._switch_off()
        return False

    def _start(self) -> None:
        if self not in _local.tapes:
            _local.tapes = _local.tapes + (self,)

    def _stop(self) -> None:
        tapes = _local.tapes
        if tapes and tapes[-1] is self:  # the innermost tape: the usual case
            _local.tapes = tapes[:-1]
        else:
            _local.tapes = tuple(t for t in tapes if t is not self)

    def _record(self, node) -> None:
        """Called by ``engine.record`` for each node made while this tape records."""
        self._nodes[node] = None

    @property
    def _recording(self) -> bool:
        return self in _local.tapes  # (tapes compare by identity)

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops inside are not recorded on this tape (they are constants to it).

        >>> x = gt.Variable(3.0)
        >>> with gt.GradientTape() as tape:
        ...     with tape.stop_recording():
        ...         c = x * 2        # not on the tape
        ...     y = c * x
        >>> tape.gradient(y, x)
        tensor(6., dtype=float32, device='cpu')
        """
        if not self._recording:
            raise RuntimeError("GradientTape.stop_recording: the tape is not recording; use it "
                               "inside the tape's `with` block")
        self._stop()
        try:
            yield
        finally:
            if self._active:
                self._start()

    def reset(self) -> None:
        """Forget everything recorded so far (the tape keeps recording if it was)."""
        self._nodes = {}
        self._used = False
        self._spent = None

    # -- watching ---------------------------------------------------------------------------
    def watch(self, tensor) -> None:
        """Track ``tensor`` (or a list/tuple/dict of them) on this tape: a constant used inside
        then gets a gradient; a tensor computed before the tape opened becomes a source.

        >>> c = gt.tensor(3.0)
        >>> with gt.GradientTape() as tape:
        ...     tape.watch(c)
        ...     y = c * c
        >>> tape.gradient(y, c)
        tensor(6., dtype=float32, device='cpu')
        """
        for t in _flatten(tensor, "watch")[0]:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape.watch: expected a tensor or Variable, got "
                                f"{type(t).__name__}")
            if t._data.dtype.kind != "f":
                raise TypeError(f"GradientTape.watch: only float tensors can be watched (they "
                                f"get gradients), got dtype {t.dtype}")
            self._watched[id(t)] = t
            if self._active:
                self._switch_on(t)

    def _switch_on(self, t) -> None:
        if not t._requires_grad and t._node is None:
            t._requires_grad = True  # a float leaf: allowed (watch checked the dtype)
            self._switched.append(t)

    def _switch_off(self) -> None:
        if not self._switched:
            return
        others = [tape for tape in _local.tapes if tape is not self]
        for t in self._switched:
            if not any(id(t) in tape._watched for tape in others):
                t._requires_grad = False
        self._switched = []

    def watched_variables(self) -> tuple:
        """The Variables this tape watches: named by ``watch`` or used by a recorded op
        (also after a non-persistent tape's ``gradient`` dropped its records)."""
        seen = {k: t for k, t in self._watched.items() if isinstance(t, Variable)}
        for v in self._used_variables() if self._spent is None else self._spent:
            seen.setdefault(id(v), v)
        return tuple(seen.values())

    def _used_variables(self) -> list:
        """The Variables the recorded ops took as inputs (when all accessed ones count)."""
        if not self._watch_accessed:
            return []
        used = {}
        for node in self._nodes:  # (Node.targets, inlined: a tape records many nodes)
            for t in (node.t0, node.t1) if node.tn is None else node.tn:
                if isinstance(t, Variable):
                    used[id(t)] = t
        return list(used.values())

    # -- gradients --------------------------------------------------------------------------
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients: str = _NONE):
        """d(target)/d(sources), with ``sources`` a tensor, or a list, tuple or dict of them;
        the result has the same structure. A non-scalar target is summed (its gradient is
        seeded with ones) unless ``output_gradients`` says otherwise; ``target`` may be a list
        of tensors (their sum). Sources the target does not depend on through this tape, and
        constants that were not watched, get None (zeros with
        ``unconnected_gradients='zero'``).

        >>> x = gt.Variable(2.0)
        >>> with gt.GradientTape() as tape:
        ...     y = (x / 2 * 3) * x ** 2
        >>> tape.gradient(y, x)
        tensor(18., dtype=float32, device='cpu')
        """
        self._check_usable("gradient")
        mode = _unconnected(unconnected_gradients)
        targets, seeds = self._targets(target, output_gradients)
        flat, rebuild = _flatten(sources, "gradient")
        self._check_sources(flat)
        grads = self._run(targets, seeds, flat, retain=None)
        self._finish()
        if mode is _NONE:
            return rebuild(grads)
        return rebuild([_fill_unconnected(g, s, mode) for g, s in zip(grads, flat)])

    def jacobian(self, target, sources, unconnected_gradients: str = _NONE,
                 parallel_iterations=None, experimental_use_pfor: bool = True):
        """The full Jacobian: for each source, a tensor of shape
        ``target.shape + source.shape`` (``sources`` a tensor or a list/tuple/dict of them).
        One backward pass per element of ``target`` (TensorFlow's ``parallel_iterations``
        and ``experimental_use_pfor`` are accepted and change nothing: how it is computed).

        >>> x = gt.Variable([1.0, 2.0])
        >>> with gt.GradientTape() as tape:
        ...     y = x * x
        >>> tape.jacobian(y, x)
        tensor([[2., 0.],
                [0., 4.]], dtype=float32, device='cpu')
        """
        from ..ops.join import stack
        from ..ops.movement import reshape

        self._check_usable("jacobian")
        mode = _unconnected(unconnected_gradients)
        (t,), _ = self._targets(target, None, allow_list=False)
        flat, rebuild = _flatten(sources, "jacobian")
        self._check_sources(flat)
        rows = [[] for _ in flat]
        n = t.numel()
        for j in range(n):
            seed = zeros(t.shape, dtype=t.dtype, device=t.device)
            seed._data.reshape(-1)[j] = 1
            for r, g in zip(rows, self._run([t], [seed], flat, retain=True)):
                r.append(g)
        out = []
        for s, r in zip(flat, rows):
            if s is not None and n == 0:
                out.append(zeros(t.shape + s.shape, dtype=s.dtype, device=s.device))
            elif s is None or not any(g is not None for g in r):
                out.append(None if s is None or mode == _NONE else
                           zeros(t.shape + s.shape, dtype=s.dtype, device=s.device))
            else:
                r = [g if g is not None else zeros_like(s) for g in r]
                out.append(reshape(stack(r), t.shape + s.shape))
        self._finish()
        return rebuild(out)

    def batch_jacobian(self, target, source, unconnected_gradients: str = _NONE,
                       parallel_iterations=None, experimental_use_pfor: bool = True):
        """Per-example Jacobians when example ``b`` of ``target`` depends only on example ``b``
        of ``source``: shape ``(B,) + target.shape[1:] + source.shape[1:]`` (zeros where
        the target does not depend on the source, or None with the default
        ``unconnected_gradients='none'``; the last two arguments as in ``jacobian``)."""
        from ..ops.join import stack
        from ..ops.movement import reshape

        self._check_usable("batch_jacobian")
        mode = _unconnected(unconnected_gradients)
        (t,), _ = self._targets(target, None, allow_list=False)
        self._check_sources([source])
        if t.ndim == 0 or source.ndim == 0 or t.shape[0] != source.shape[0]:
            raise ValueError(f"GradientTape.batch_jacobian: target {t.shape} and source "
                             f"{source.shape} need the same leading (batch) dimension")
        b, inner = t.shape[0], t.shape[1:]
        m = t.numel() // b if b else 0
        rows, connected = [], False
        for j in range(m):
            seed = zeros((b, m), dtype=t.dtype, device=t.device)
            seed._data[:, j] = 1
            (g,) = self._run([t], [reshape(seed, t.shape)], [source], retain=True)
            connected = connected or g is not None
            rows.append(g if g is not None else zeros_like(source))
        self._finish()
        if rows and not connected and mode == _NONE:
            return None
        if not rows:
            return zeros((b,) + inner + source.shape[1:], dtype=source.dtype,
                         device=source.device)
        return reshape(stack(rows, axis=1), (b,) + inner + source.shape[1:])

    # -- internals --------------------------------------------------------------------------
    def _check_usable(self, what: str) -> None:
        if self._used and not self._persistent:
            raise RuntimeError(f"GradientTape.{what}: a non-persistent GradientTape can only "
                               "be used to compute one set of gradients; create it with "
                               "persistent=True to call gradient()/jacobian() more than once")

    def _targets(self, target, output_gradients, allow_list: bool = True):
        targets, _ = _flatten(target, "gradient") if allow_list else ([target], None)
        for t in targets:
            if not isinstance(t, Tensor):
                raise TypeError(f"GradientTape: the target must be a tensor, got "
                                f"{type(t).__name__}")
            if t._data.dtype.kind != "f":
                raise TypeError(f"GradientTape: the target must be a float tensor to be "
                                f"differentiated, got dtype {t.dtype}; cast it first")
        if output_gradients is None:
            return targets, [_ones(t) for t in targets]
        given = _flatten(output_gradients, "gradient")[0]
        if len(given) != len(targets):
            raise ValueError(f"GradientTape.gradient: {len(targets)} target(s) but "
                             f"{len(given)} output_gradients")
        seeds = []
        for t, g in zip(targets, given):
            g = ones_like(t) if g is None else as_tensor(g, dtype=t.dtype, device=t.device)
            if g.shape != t.shape:
                raise ValueError(f"GradientTape.gradient: output_gradients of shape {g.shape} "
                                 f"for a target of shape {t.shape}; they must match")
            seeds.append(g)
        return targets, seeds

    @staticmethod
    def _check_sources(flat) -> None:
        for s in flat:
            if s is not None and not isinstance(s, Tensor):
                raise TypeError(f"GradientTape: sources must be tensors or Variables, got "
                                f"{type(s).__name__}")

    def _allowed(self):
        """The nodes the walk may use: all of the tape's, or (when only ``watch``-ed tensors
        count) those that depend on a watched tensor."""
        if self._watch_accessed:
            return self._nodes
        watched = self._watched
        boundary = {(t._node, t._out_idx) for t in watched.values() if t._node is not None}
        tracked = set()
        for node in self._nodes:  # creation order: inputs' nodes come first
            for e in node.edges:
                if e is not None and (id(e[0]) in watched if e[1] is None else
                                      e[0] in tracked or e in boundary):
                    tracked.add(node)
                    break
        return tracked

    def _run(self, targets, seeds, flat, retain):
        """Gradients of ``targets`` (seeded) for each of ``flat`` (None where none)."""
        allowed = self._allowed()
        # a source gets a gradient when watched, when it is a leaf that requires grad and all
        # accessed tensors count, or when the tape itself computed it
        watched, accessed = self._watched, self._watch_accessed
        capture = []
        for s in flat:
            if s is not None and s._data.dtype.kind == "f":
                node = s._node
                if (node in allowed if node is not None else accessed and s._requires_grad) \
                        or (watched and id(s) in watched):
                    capture.append(s)
        roots, grads = [], []
        for t, g in zip(targets, seeds):  # (a target that is a source: its seed, unwatched)
            if t._requires_grad or any(t is s for s in capture):
                roots.append(t)
                grads.append(g)
        if not capture or not roots:
            return [None] * len(flat)
        # recorded on the tapes still recording (higher derivatives) when there are any;
        # a persistent tape asked inside its own ``with`` records it too (as TensorFlow)
        was_recording = not self._persistent and self._active and self in _local.tapes
        if was_recording:
            self._stop()
        try:
            create = bool(_local.tapes) and _local.enabled
            keep = True if retain else (self._persistent or create)
            captured = run_backward(roots, grads, retain_graph=keep, create_graph=create,
                                    capture=capture, accumulate=False, allowed=allowed)
        finally:
            if was_recording:
                self._start()
        return [None if s is None else captured.get(id(s)) for s in flat]

    def _finish(self) -> None:
        if not self._persistent:
            self._used = True
            self._spent = self._used_variables()  # what watched_variables() says from now on
            self._nodes = {}  # drop the graph (and what it saved) with the tape's last use


def _unconnected(mode) -> str:
    if mode is _NONE:
        return mode
    m = str(getattr(mode, "value", mode)).lower()
    if m not in (_NONE, _ZERO):
        raise ValueError(f"GradientTape: unconnected_gradients must be 'none' or 'zero', got "
                         f"{mode!r}")
    return m


def _fill_unconnected(g, s, mode):
    if g is None and mode == _ZERO and s is not None:
        return zeros_like(s)
    return g


def _first(xs):
    return xs[0]


def _flatten(structure, what: str):
    """A tensor, list, tuple or dict (nested) as a flat list, and a function that builds the
    same structure from a list of the same length."""
    if isinstance(structure, Tensor) or structure is None:
        return [structure], _first
    if type(structure) is list and all(map(isinstance, structure, repeat(Tensor))):
        return structure, list  # the common flat case
    if isinstance(structure, dict):
        keys = list(structure)
        parts = [_flatten(structure[k], what) for k in keys]
    elif isinstance(structure, (list, tuple)):
        keys = None
        parts = [_flatten(x, what) for x in structure]
    else:
        return [structure], _first  # checked by the caller (a clear TypeError)
    flat, sizes = [], []
    for p, _ in parts:
        flat.extend(p)
        sizes.append(len(p))

    def rebuild(xs):
        items, i = [], 0
        for (_, build), n in zip(parts, sizes):
            items.append(build(xs[i:i + n]))
            i += n
        if keys is not None:
            return type(structure)(zip(keys, items)) if type(structure) is not dict else \
                dict(zip(keys, items))
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):
            return type(structure)(*items)  # a namedtuple
        return type(structure)(items)

    return flat, rebuild
