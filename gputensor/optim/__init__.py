"""``gt.optim``: optimizers (PyTorch's update rules) and learning-rate schedulers.

>>> w = gt.zeros(2, requires_grad=True)
>>> opt = gt.optim.Adam([w], lr=1e-2)
>>> ((w - 1) ** 2).sum().backward(); opt.step(); opt.zero_grad()
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler,
                           MultiStepLR, OneCycleLR, ReduceLROnPlateau, StepLR)
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "LRScheduler",
           "StepLR", "MultiStepLR", "ExponentialLR", "LambdaLR", "CosineAnnealingLR",
           "OneCycleLR", "ReduceLROnPlateau"]
