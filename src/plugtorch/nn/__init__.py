"""``plugtorch.nn``: modules, layers, losses, initialisation, as ``torch.nn``.

>>> import plugtorch as pt
>>> from plugtorch import nn
>>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
>>> model(pt.ones(3, 2)).shape
(3, 1)
"""

from plugtorch.nn import functional, init, utils
from plugtorch.nn.module import Module
from plugtorch.nn.modules import *  # noqa: F403
from plugtorch.nn.modules import __all__ as _layers
from plugtorch.nn.parameter import Buffer, Parameter
from plugtorch.nn import parallel  # noqa: E402 (after Module: DistributedDataParallel is one)

__all__ = ["Buffer", "Module", "Parameter", "functional", "init", "parallel", "utils"]
__all__ += _layers
