"""Learning-rate schedulers (PyTorch's API and update rules): call ``scheduler.step()`` once
per epoch, after ``optimizer.step()`` (``ReduceLROnPlateau.step(metric)`` with the value it
watches).

As PyTorch's, most schedulers are chainable: each ``step()`` changes every param group's
current ``'lr'`` by the schedule's factor for that epoch, so two schedulers on one optimizer
compose, and a rate set by hand carries on from where it was set. ``LambdaLR`` sets
``initial_lr * lambda(epoch)``. On creation a scheduler records each group's starting
``'lr'`` as ``'initial_lr'`` (kept if already there, as when resuming) and applies epoch 0;
``get_last_lr()`` gives the current rates, ``state_dict()``/``load_state_dict()`` save and
restore the schedule's position (the rates themselves are in the optimizer's state dict).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Callable

from .optimizer import Optimizer, check_number


def _check_optimizer(name: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected a gt.optim Optimizer, got "
                        f"{type(optimizer).__name__}")


def _per_group(name: str, what: str, value, optimizer: Optimizer) -> list:
    """``value`` for each param group: a list or tuple of one per group, or one for all
    (``what`` names them in the error)."""
    n = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise ValueError(f"{name}: expected {n} {what} (one per param group), got "
                         f"{len(values)}")
    return values


class LRScheduler:
    """Base class: subclasses give ``get_lr()``, the rates for ``last_epoch`` (just
    advanced), from the groups' current rates or from ``base_lrs``.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> gt.optim.StepLR(opt, step_size=2).get_last_lr()
    [1.0]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        check_number(name, "last_epoch", last_epoch, low=-1, integer=True)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{name}: param group {i} has no 'initial_lr'; resuming with "
                               f"last_epoch={last_epoch} needs the optimizer's state from a run "
                               "that had a scheduler (or last_epoch=-1)")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list = []
        self._initial = True  # the step that applies epoch ``last_epoch + 1`` on creation
        try:
            self.step()
        finally:
            del self._initial

    _initial = False

    def _lrs(self) -> list:
        """The groups' current rates."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_lr(self) -> list:
        """The rates of every param group at the current epoch (``last_epoch``)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the param groups' learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._lrs()

    def get_last_lr(self) -> list:
        """The learning rates the last ``step()`` set, one per param group.

        >>> w = gt.ones(1, requires_grad=True)
        >>> gt.optim.StepLR(gt.optim.SGD([w], lr=0.5), 1).get_last_lr()
        [0.5]
        """
        return list(self._last_lr)

    def state_dict(self) -> dict:
        """Everything but the optimizer (numbers and lists): ``gt.save`` writes it.

        >>> w = gt.ones(1, requires_grad=True)
        >>> gt.optim.StepLR(gt.optim.SGD([w]), 3).state_dict()['last_epoch']
        0
        """
        return {k: (list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
                for k, v in self.__dict__.items() if k not in self._not_saved}

    _not_saved = ("optimizer",)

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's own ``'lr'`` values come
        with the optimizer's state dict)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict, got "
                            f"{type(state_dict).__name__}")
        unknown = (set(state_dict) - set(self.__dict__)) | (set(state_dict)
                                                            & set(self._not_saved))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected key(s) "
                             f"{sorted(map(str, unknown))}")
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (from ``base_lr``:
    ``base_lr * gamma ** (epoch // step_size)``).

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.StepLR(opt, step_size=2, gamma=0.5)
    >>> [(s.get_last_lr()[0], s.step())[0] for _ in range(5)]
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1):
        check_number("StepLR", "step_size", step_size, low=1, integer=True)
        check_number("StepLR", "gamma", gamma)
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class MultiStepLR(LRScheduler):
    """Multiply the rate by ``gamma`` at each epoch of ``milestones`` (a milestone listed
    twice multiplies twice).

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> [(s.get_last_lr()[0], s.step())[0] for _ in range(5)]
    [1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer: Optimizer, milestones, gamma: float = 0.1,
                 last_epoch: int = -1):
        milestones = list(milestones)
        for m in milestones:
            check_number("MultiStepLR", "milestones entry", m, low=0, integer=True)
        check_number("MultiStepLR", "gamma", gamma)
        self.milestones, self.gamma = Counter(sorted(milestones)), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        k = self.milestones.get(self.last_epoch, 0)
        return self._lrs() if not k else [lr * self.gamma ** k for lr in self._lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the rate by ``gamma`` every epoch.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.ExponentialLR(opt, gamma=0.5)
    >>> [(s.get_last_lr()[0], s.step())[0] for _ in range(3)]
    [1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_number("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        if self._initial:  # (also when resuming: the rates come with the optimizer)
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class LambdaLR(LRScheduler):
    """Set each group's rate to ``initial_lr * lr_lambda(epoch)``; ``lr_lambda`` is one
    function or a list of one per param group. Its functions are not in ``state_dict()``
    (code is never saved): give them again when resuming.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> [(s.get_last_lr()[0], s.step())[0] for _ in range(3)]
    [1.0, 0.5, 0.3333333333333333]
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable | list, last_epoch: int = -1):
        _check_optimizer("LambdaLR", optimizer)
        lambdas = _per_group("LambdaLR", "lr_lambda functions", lr_lambda, optimizer)
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got "
                                f"{type(f).__name__}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate down to ``eta_min`` over ``T_max`` epochs
    (``eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2`` when nothing
    else changes the rate; it rises again after ``T_max``, as PyTorch's). Each step scales
    the distance of the current rate to ``eta_min`` (PyTorch's recursive form).

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.CosineAnnealingLR(opt, T_max=2)
    >>> [(round(s.get_last_lr()[0], 6), s.step())[0] for _ in range(3)]
    [1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,  # noqa: N803
                 last_epoch: int = -1):
        check_number("CosineAnnealingLR", "T_max", T_max, low=1, integer=True)
        check_number("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        e, t, lo = self.last_epoch, self.T_max, self.eta_min
        if self._initial:  # (also when resuming: the rates come with the optimizer)
            return self._lrs()
        if (e - 1 - t) % (2 * t) == 0:  # the bottom, where the ratio below would be 0/0
            return [lr + (base - lo) * (1 - math.cos(math.pi / t)) / 2
                    for lr, base in zip(self._lrs(), self.base_lrs)]
        ratio = (1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
        return [lo + ratio * (lr - lo) for lr in self._lrs()]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped once per batch: the rate rises from
    ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of ``total_steps``
    (or ``epochs * steps_per_epoch``), then anneals to ``initial_lr / final_div_factor``
    (``three_phase``: back to the initial rate first, then down); ``anneal_strategy`` 'cos'
    or 'linear'. With ``cycle_momentum`` the momentum (Adam's ``betas[0]``) moves inversely
    between ``max_momentum`` and ``base_momentum``. ``max_lr`` (and the momenta) may be one
    value per param group. Stepping past ``total_steps`` raises ``ValueError``.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> s = gt.optim.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4,
    ...                         anneal_strategy="linear")
    >>> [(round(s.get_last_lr()[0], 4), s.step())[0] for _ in range(4)]
    [0.04, 1.0, 0.6667, 0.3333]
    """

    def __init__(self, optimizer: Optimizer, max_lr, total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum=0.85, max_momentum=0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1):
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
            check_number(name, "epochs", epochs, low=1, integer=True)
            check_number(name, "steps_per_epoch", steps_per_epoch, low=1, integer=True)
            total_steps = epochs * steps_per_epoch
        check_number(name, "total_steps", total_steps, low=1, integer=True)
        check_number(name, "pct_start", pct_start, high=1.0)
        check_number(name, "div_factor", div_factor)
        check_number(name, "final_div_factor", final_div_factor)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        self.cycle_momentum = bool(cycle_momentum)
        up = float(pct_start * total_steps) - 1
        if three_phase:  # (start, end) keys of each phase's lr and momentum, and its last step
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                            (total_steps - 1, "initial_lr", "min_lr", "max_momentum",
                             "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (total_steps - 1, "max_lr", "min_lr", "base_momentum",
                             "max_momentum")]
        groups = optimizer.param_groups
        max_lrs = self._numbers(name, "max_lr", max_lr, optimizer)
        if last_epoch == -1:
            for group, lr in zip(groups, max_lrs):
                group["initial_lr"] = lr / div_factor
                group["max_lr"], group["min_lr"] = lr, lr / div_factor / final_div_factor
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with "
                                 f"'momentum' or 'betas' (got {type(optimizer).__name__}); "
                                 "pass cycle_momentum=False")
            self._betas = "betas" in optimizer.defaults
            if last_epoch == -1:
                lows = self._numbers(name, "base_momentum", base_momentum, optimizer)
                highs = self._numbers(name, "max_momentum", max_momentum, optimizer)
                for group, lo, hi in zip(groups, lows, highs):
                    self._set_momentum(group, hi)
                    group["base_momentum"], group["max_momentum"] = lo, hi
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _numbers(name: str, what: str, value, optimizer: Optimizer) -> list:
        values = _per_group(name, f"{what} values", value, optimizer)
        for v in values:
            check_number(name, what, v)
        return values

    def _set_momentum(self, group: dict, m: float) -> None:
        if self._betas:
            group["betas"] = (m, *group["betas"][1:])
        else:
            group["momentum"] = m

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, past total_steps="
                             f"{self.total_steps}; make total_steps (or epochs * "
                             "steps_per_epoch) cover every step")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self._phases):
                if t <= end or i == len(self._phases) - 1:
                    pct = (t - start) / (end - start)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau:
    """Multiply the rate by ``factor`` when the watched metric stopped improving for more
    than ``patience`` epochs: ``step(metric)`` once per epoch. ``mode``: 'min' (a loss) or
    'max' (an accuracy); an improvement beats the best by ``threshold``, relative
    (``threshold_mode='rel'``) or absolute ('abs'); after a reduction ``cooldown`` epochs
    pass before counting again; rates never go below ``min_lr`` (one value or one per
    group), and changes smaller than ``eps`` are skipped.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> s = gt.optim.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
    ...     s.step(loss)
    >>> s.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list = 0.0, eps: float = 1e-8):
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        check_number(name, "factor", factor, high=1.0, high_open=True)
        check_number(name, "patience", patience, low=0, integer=True)
        check_number(name, "cooldown", cooldown, low=0, integer=True)
        check_number(name, "threshold", threshold)
        check_number(name, "eps", eps)
        min_lrs = _per_group(name, "min_lr values", min_lr, optimizer)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.min_lrs, self.eps = cooldown, min_lrs, eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def _better(self, value: float) -> bool:
        """PyTorch's test: below best * (1 - threshold) ('rel') or best - threshold ('abs')
        in 'min' mode; above best * (1 + threshold) or best + threshold in 'max' mode."""
        t, best = self.threshold, self.best
        if self.mode == "min":
            return value < (best * (1 - t) if self.threshold_mode == "rel" else best - t)
        return value > (best * (1 + t) if self.threshold_mode == "rel" else best + t)

    def step(self, metrics) -> None:
        """Record this epoch's value of the watched metric (a number or a one-element
        tensor) and reduce the rates if it has not improved for too long."""
        value = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch += 1
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, low)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    get_last_lr = LRScheduler.get_last_lr
    state_dict = LRScheduler.state_dict
    load_state_dict = LRScheduler.load_state_dict
    _not_saved = ("optimizer",)
