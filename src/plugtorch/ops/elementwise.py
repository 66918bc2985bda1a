"""Elementwise ops, gathered: :mod:`~plugtorch.ops.unary` (functions of one tensor),
:mod:`~plugtorch.ops.binary` (arithmetic) and :mod:`~plugtorch.ops.logic` (comparisons, logic,
``where``, ``clamp``).
"""

from plugtorch.ops import binary, logic, unary
from plugtorch.ops.binary import *  # noqa: F403
from plugtorch.ops.logic import *  # noqa: F403
from plugtorch.ops.unary import *  # noqa: F403

__all__ = list(unary.__all__)
__all__ += binary.__all__
__all__ += logic.__all__
