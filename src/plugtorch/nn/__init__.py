"""``plugtorch.nn``: modules, layers, losses, initialisation, as ``torch.nn``.

>>> import plugtorch as pt
>>> from plugtorch import nn
>>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
>>> model(pt.ones(3, 2)).shape
(3, 1)
"""

from typing import Any

from plugtorch._lazy import LazyNames
from plugtorch.nn import functional, init, utils
from plugtorch.nn.module import Module
from plugtorch.nn.modules import *  # noqa: F403
from plugtorch.nn.modules import __all__ as _layers
from plugtorch.nn.parameter import Buffer, Parameter

# "parallel" is imported on first use, by __getattr__ below.
__all__ = ["Buffer", "Module", "Parameter", "functional", "init", "parallel", "utils"]  # noqa: F405
__all__ += _layers


# ``nn.parallel`` (DistributedDataParallel) is imported on first use (PEP 562), as is
# ``plugtorch.distributed`` under it.
_LAZY = LazyNames(__name__, {"parallel": "plugtorch.nn.parallel"})


def __getattr__(name: str) -> Any:
    return _LAZY.load(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
