"""``Optimizer``: the base of every update rule (PyTorch's design).

An optimizer holds ``param_groups`` (a list of dicts, each with ``'params'``, a list of
tensors, and its own hyperparameters) and ``state`` (a dict: parameter -> its buffers, e.g.
momentum). ``step()`` updates every parameter that has a ``.grad``, under ``gt.no_grad()``,
with public in-place ops only, so the same code runs on the CPU and on CUDA. Subclasses set
their hyperparameter checks (``_check_group``) and one group's update (``_step_group``).

``state_dict()`` has PyTorch's layout: ``{'state': {index: {name: value}}, 'param_groups':
[{hyperparameters..., 'params': [index, ...]}]}``, parameters being numbered in group order.
Unlike PyTorch its tensors are copies, so the dict stays a snapshot while training goes on.
It holds only tensors, numbers, strings, lists and tuples: ``gt.save`` writes it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable, Iterator, Sequence

from ..autograd import enable_grad, no_grad
from ..creation import zeros_like
from ..tensor import Tensor


def check_number(owner: str, name: str, value, *, low: float | None = 0.0,
                 high: float | None = None, high_open: bool = False,
                 integer: bool = False) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number (an int when ``integer``), and
    ``ValueError`` naming ``owner`` and ``name`` unless ``low <= value`` and ``value <= high``
    (``< high`` when ``high_open``).

    >>> check_number("SGD", "lr", 0.1)
    """
    kind = numbers.Integral if integer else numbers.Real
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be {'an int' if integer else 'a real number'}, "
                        f"got {type(value).__name__} {value!r}")
    if math.isnan(value) or (low is not None and value < low) or (
            high is not None and (value >= high if high_open else value > high)):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        rng = f"[{lo}, {hi})" if high_open else f"[{lo}, {hi}]"
        raise ValueError(f"{owner}: invalid {name}={value!r}; expected a value in {rng}")


class Optimizer:
    """Base class: ``params`` is an iterable of tensors (or ``Parameter``s), or of dicts
    (param groups) each with ``'params'`` and per-group hyperparameters overriding
    ``defaults``.

    >>> w = gt.ones(2, dtype=gt.float64, requires_grad=True)
    >>> opt = gt.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.tolist()
    [0.8, 0.8]
    """

    def __init__(self, params: Iterable, defaults: dict):
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of tensors or of param-group "
                            f"dicts, got a single Tensor; pass [tensor]")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered collection (list, tuple, "
                            "generator); a set has no fixed order, so state_dict() would not "
                            "map back to the same parameters")
        if isinstance(params, dict):
            params = [params]
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of tensors or of param-group "
                            f"dicts, got {type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got an empty parameter list")
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict = {}
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    # -- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (a dict with ``'params'``; missing hyperparameters take
        the optimizer's defaults), e.g. to train layers unfrozen later.

        >>> a, b = gt.ones(2, requires_grad=True), gt.ones(2, requires_grad=True)
        >>> opt = gt.optim.SGD([a], lr=0.1); opt.add_param_group({'params': [b], 'lr': 0.01})
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a param group must be a dict with a 'params' entry, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a param group needs a 'params' entry, got keys "
                             f"{sorted(map(str, param_group))}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be an ordered collection, not a "
                            "set (its order changes between runs)")
        else:
            params = list(params)
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize tensors, but params[{i}] is a "
                                f"{type(p).__name__}")
            if p.dtype.kind != "f":
                raise ValueError(f"{name}: can only optimize floating-point tensors, but "
                                 f"params[{i}] has dtype {p.dtype}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (params[{i}] was "
                                 "computed from others); optimize the leaf it came from, or "
                                 "pass t.detach().requires_grad_()")
            if id(p) in seen:
                raise ValueError(f"{name}: params[{i}] appears twice in one param group")
            seen.add(id(p))
        for group in self.param_groups:
            if any(id(q) in seen for q in group["params"]):
                raise ValueError(f"{name}: some parameters appear in more than one param group")
        group = dict(param_group)
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict) -> None:
        """Raise ``ValueError`` naming any invalid hyperparameter of ``group``."""

    # -- stepping ---------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: drop them (``set_to_none=True``, the default: frees memory
        and lets ``step`` skip the parameter) or fill them with zeros in place.

        >>> w = gt.ones(2, requires_grad=True); opt = gt.optim.SGD([w], lr=0.1)
        >>> w.sum().backward(); opt.zero_grad(); w.grad is None
        True
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None or g.requires_grad:  # a create_graph gradient
                    p.grad = g = g.detach()
                with no_grad():
                    g.zero_()

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient; returns ``closure()``'s value (the
        closure re-evaluates the model and returns the loss) or None.

        >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=0.5)
        >>> (2 * w).sum().backward(); opt.step(); w.tolist()
        [0.0]
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def apply_gradients(self, grads_and_vars: Iterable) -> None:
        """TensorFlow's update: apply each ``(gradient, variable)`` pair (a ``GradientTape``'s
        gradients zipped with the variables), one step of this optimizer's rule. Only those
        variables move; a None gradient leaves its variable alone; ``.grad`` is untouched. A
        variable the optimizer was not given yet joins it (a new group with the defaults).

        >>> w = gt.Variable([1.0, 2.0]); opt = gt.optim.SGD([w], lr=0.5)
        >>> with gt.GradientTape() as tape:
        ...     loss = (w * w).sum()
        >>> opt.apply_gradients(zip(tape.gradient(loss, [w]), [w])); w.tolist()
        [0.0, 0.0]
        """
        name = type(self).__name__
        pairs = []
        for i, pair in enumerate(grads_and_vars):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(f"{name}.apply_gradients: expected (gradient, variable) pairs, "
                                f"got {type(pair).__name__} at position {i}")
            g, v = pair
            if not isinstance(v, Tensor):
                raise TypeError(f"{name}.apply_gradients: pair {i} holds a "
                                f"{type(v).__name__}, not a variable (tensor)")
            if g is not None and (not isinstance(g, Tensor) or g.shape != v.shape):
                got = f"shape {g.shape}" if isinstance(g, Tensor) else type(g).__name__
                raise ValueError(f"{name}.apply_gradients: the gradient of pair {i} has {got} "
                                 f"for a variable of shape {v.shape}")
            pairs.append((g, v))
        known = {id(p) for group in self.param_groups for p in group["params"]}
        new = {id(v): v for _, v in pairs if id(v) not in known}
        if new:
            self.add_param_group({"params": list(new.values())})
        params = [p for group in self.param_groups for p in group["params"]]
        kept = [p.grad for p in params]
        try:
            for p in params:
                p.grad = None
            for g, v in pairs:
                if g is not None:
                    v.grad = g.detach()
            self.step()
        finally:
            for p, g in zip(params, kept):
                p.grad = g

    def _step_group(self, group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _state(self, p: Tensor) -> dict:
        """The state dict of parameter ``p`` (created empty on first use)."""
        s = self.state.get(p)
        if s is None:
            s = self.state[p] = {}
        return s

    def _grads_and_state(self, group: dict,
                         buffers: Sequence[str]) -> Iterator[tuple[Tensor, Tensor, dict]]:
        """Yield ``(p, p.grad, state)`` for each parameter of ``group`` that has a gradient
        (negated when the group says ``maximize``). A state seen for the first time is
        filled with ``step`` 0 and one zero tensor shaped like ``p`` per name in ``buffers``
        (in that order): the start of every step of the optimizers that keep per-parameter
        averages (Adam, RMSprop)."""
        maximize = group.get("maximize", False)
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            if maximize:
                g = -g
            state = self._state(p)
            if not state:
                state["step"] = 0
                for name in buffers:
                    state[name] = zeros_like(p)
            yield p, g, state

    # -- saving -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """The optimizer's state and hyperparameters, parameters referred to by index:
        ``{'state': {i: {...}}, 'param_groups': [{..., 'params': [i, ...]}]}`` (tensors are
        copies). Save it with ``gt.save``; restore with ``load_state_dict``.

        >>> w = gt.ones(2, requires_grad=True); sorted(gt.optim.SGD([w]).state_dict())
        ['param_groups', 'state']
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = ids
            groups.append(packed)
        state = {}
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    s = self.state.get(p)
                    if s:
                        state[index[id(p)]] = {k: v.clone() if isinstance(v, Tensor) else v
                                               for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state (momentum buffers, step counts) saved by
        ``state_dict()`` of an optimizer over parameters of the same shapes, in the same
        groups. Tensors are copied onto each parameter's device (floating ones cast to its
        dtype). A mismatch raises ``ValueError`` and changes nothing.

        >>> w = gt.ones(2, requires_grad=True); opt = gt.optim.SGD([w], lr=0.1)
        >>> opt.load_state_dict(opt.state_dict())
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}.load_state_dict: expected a dict (from state_dict()), got "
                            f"{type(state_dict).__name__}")
        missing = {"state", "param_groups"} - set(state_dict)
        if missing:
            raise ValueError(f"{name}.load_state_dict: the dict lacks {sorted(missing)}; "
                             "expected the keys 'state' and 'param_groups' of state_dict()")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the loaded state dict has "
                             f"{len(saved_groups)} parameter group(s) but the optimizer has "
                             f"{len(self.param_groups)}")
        by_index: dict = {}
        new_groups = []
        for k, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(f"{name}.load_state_dict: param_groups[{k}] is not a dict "
                                 "with a 'params' entry")
            ids = list(saved["params"])
            if len(ids) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: param group {k} of the loaded "
                                 f"state dict has {len(ids)} parameter(s) but the optimizer's "
                                 f"has {len(group['params'])}")
            by_index.update(zip(ids, group["params"]))
            new = {**group, **saved, "params": group["params"]}
            self._check_group(new)
            new_groups.append(new)
        new_state = {}
        with no_grad():
            for i, s in dict(state_dict["state"]).items():
                p = by_index.get(i)
                if p is None:
                    raise ValueError(f"{name}.load_state_dict: state for parameter index "
                                     f"{i!r}, which no param group lists")
                new_state[p] = {k: self._load_value(p, i, k, v) for k, v in dict(s).items()}
        self.param_groups[:] = new_groups
        self.state = new_state

    def _load_value(self, p: Tensor, i, key: str, v):
        if not isinstance(v, Tensor):
            return v
        if key == "step":  # PyTorch keeps the step count as a tensor
            return int(v.item())
        if v.shape != p.shape:
            raise ValueError(f"{type(self).__name__}.load_state_dict: state {key!r} of "
                             f"parameter {i} has shape {v.shape} but the parameter has shape "
                             f"{p.shape}")
        out = v.to(device=p.device, dtype=p.dtype if v.dtype.kind == "f" else None)
        return out.clone() if out is v else out

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        return "\n".join(lines + [")"])
