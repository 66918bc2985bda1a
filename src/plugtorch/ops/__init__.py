"""Every public op, declared once per module and gathered here.

``REGISTRY`` maps op names to their declarations (forward, backward rule, docstring); the
functions below are the public, PyTorch-named entry points that prepare arguments and call them.
"""

from plugtorch.ops import _prepare
from plugtorch.ops.creation import *  # noqa: F401,F403
from plugtorch.ops.creation import __all__ as _creation_all
from plugtorch.ops.elementwise import *  # noqa: F401,F403
from plugtorch.ops.elementwise import __all__ as _elementwise_all
from plugtorch.ops.indexing import *  # noqa: F401,F403
from plugtorch.ops.indexing import __all__ as _indexing_all
from plugtorch.ops.linalg import *  # noqa: F401,F403
from plugtorch.ops.linalg import __all__ as _linalg_all
from plugtorch.ops.reduction import *  # noqa: F401,F403
from plugtorch.ops.reduction import __all__ as _reduction_all
from plugtorch.ops.registry import REGISTRY, Op, apply, op
from plugtorch.ops.shape import *  # noqa: F401,F403
from plugtorch.ops.shape import __all__ as _shape_all
from plugtorch.ops.transfer import clone, to_backend

astype = _prepare.astype

__all__ = [
    "REGISTRY",
    "Op",
    "apply",
    "op",
    "astype",
    *_creation_all,
    *_elementwise_all,
    *_indexing_all,
    *_linalg_all,
    *_reduction_all,
    *_shape_all,
    "clone",
    "to_backend",
]
