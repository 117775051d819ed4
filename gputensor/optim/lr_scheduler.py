"""Learning-rate schedulers (PyTorch's API): call ``scheduler.step()`` once per epoch, after
``optimizer.step()``; each sets every param group's ``'lr'`` from its closed form.

On creation a scheduler records each group's starting ``'lr'`` as ``'initial_lr'`` (kept if
already there, as when resuming) and applies epoch 0; ``get_last_lr()`` gives the current
rates, ``state_dict()``/``load_state_dict()`` save and restore the schedule's position.
"""

from __future__ import annotations

import math

from .optimizer import Optimizer, check_number


class LRScheduler:
    """Base class: subclasses give ``_lr(base_lr, epoch)``, the rate at ``epoch``.

    >>> w = gt.ones(1, requires_grad=True); opt = gt.optim.SGD([w], lr=1.0)
    >>> gt.optim.StepLR(opt, step_size=2).get_last_lr()
    [1.0]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a gt.optim Optimizer, got "
                            f"{type(optimizer).__name__}")
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
        self.step()

    def _lr(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list:
        """The rates of every param group at the current epoch (``last_epoch``)."""
        return [self._lr(base, self.last_epoch) for base in self.base_lrs]

    def step(self) -> None:
        """Advance one epoch and set the param groups' learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

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
        return {k: (list(v) if isinstance(v, list) else v)
                for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict()`` returned (the optimizer's own ``'lr'`` values come
        with the optimizer's state dict)."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict, got "
                            f"{type(state_dict).__name__}")
        unknown = set(state_dict) - set(self.__dict__)
        if unknown or "optimizer" in state_dict:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected key(s) "
                             f"{sorted(map(str, unknown | ({'optimizer'} & set(state_dict))))}")
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``.

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

    def _lr(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the base rate down to ``eta_min`` over ``T_max`` epochs:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2`` (it rises
    again after ``T_max``, as PyTorch's).

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

    def _lr(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2
