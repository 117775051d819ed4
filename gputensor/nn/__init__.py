"""Neural-network building blocks (PyTorch's ``torch.nn``, with Keras's ``Dense``).

- ``Module``/``Parameter`` (``module.py``): the container for layers and their state;
  ``ModuleList``/``ModuleDict`` (``containers.py``) hold sub-modules without a forward.
- Layers (``layers.py``): ``Linear Dense Sequential Flatten Dropout ReLU Sigmoid Tanh Softmax
  LogSoftmax GELU LeakyReLU Identity Conv2d MaxPool2d LayerNorm BatchNorm1d BatchNorm2d
  Embedding``.
- Loss modules (``losses.py``): ``MSELoss L1Loss SmoothL1Loss HuberLoss CrossEntropyLoss
  NLLLoss BCELoss BCEWithLogitsLoss KLDivLoss``.
- ``gt.nn.functional``: the stateless functions; ``gt.nn.init``: initializers.

>>> import gputensor as gt
>>> gt.nn.Sequential(gt.nn.Linear(2, 1), gt.nn.Sigmoid())(gt.ones(3, 2)).shape
(3, 1)
"""

from . import functional  # noqa: F401
from . import init  # noqa: F401
from . import utils  # noqa: F401
from .containers import ModuleDict, ModuleList  # noqa: F401
from .layers import (GELU, BatchNorm1d, BatchNorm2d, Conv2d, Dense, Dropout,  # noqa: F401
                     Embedding, Flatten, Identity, LayerNorm, LeakyReLU, Linear, LogSoftmax,
                     MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss,  # noqa: F401
                     KLDivLoss, L1Loss, MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module, Parameter  # noqa: F401

__all__ = ["functional", "init", "utils", "Module", "Parameter", "ModuleList", "ModuleDict",
           "Identity", "Linear", "Dense",
           "Sequential", "Flatten", "Dropout", "ReLU", "Sigmoid", "Tanh", "Softmax",
           "LogSoftmax", "GELU", "LeakyReLU", "Conv2d", "MaxPool2d", "LayerNorm", "BatchNorm1d",
           "BatchNorm2d", "Embedding", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss",
           "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]
