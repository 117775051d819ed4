"""gputensor: NumPy-like tensors on the CPU (NumPy) or a CUDA GPU (CuPy), with autodiff.

>>> import gputensor as gt
>>> gt.tensor([[1., 2.]]) * 2
tensor([[2., 4.]], dtype=float32, device='cpu')
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import cuda, dtypes, linalg, nn, random
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import GradientTape, UnconnectedGradients, Variable, grad  # noqa: F401
from .autograd import stop_gradient  # noqa: F401
from .creation import (arange, as_tensor, constant, convert_to_tensor, empty, empty_like, eye,
                       from_dlpack, from_numpy, full, full_like, linspace, ones, ones_like,
                       tensor, zeros, zeros_like)
from .device import Device, device, get_default_device, set_default_device
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .ops import OPS
from .ops import operators as _operators
# the public functions of each part of the op table (each module's __all__)
from .ops.elementwise import *  # noqa: F401,F403
from .ops.inplace import *  # noqa: F401,F403
from .ops.join import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.movement import *  # noqa: F401,F403
from .ops.reduce import *  # noqa: F401,F403
from .random import Generator, manual_seed, rand, randint, randn
from .tensor import Tensor
from . import optim  # noqa: F401
from .io import load, save  # noqa: F401
from . import data, datasets  # noqa: F401

_operators.install(Tensor)

bool = bool_  # noqa: A001  gt.bool, as torch.bool / tf.bool
half, double = float16, float64
long, short = int64, int16
range = arange  # noqa: A001  TensorFlow's tf.range(start, limit, delta)
newaxis = None
