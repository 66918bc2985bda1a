"""Every public op, declared once per module and gathered here.

``REGISTRY`` maps op names to their declarations (forward, backward rule, docstring); the
functions below are the public, PyTorch-named entry points that prepare arguments and call them.
"""

from plugtorch.ops import creation, elementwise, indexing, linalg, reduction, shape
from plugtorch.ops import counting, cumulative, sampling, sorting
from plugtorch.ops import norms, predicates
from plugtorch.ops._prepare import astype
from plugtorch.ops.creation import *  # noqa: F403
from plugtorch.ops.elementwise import *  # noqa: F403
from plugtorch.ops.indexing import *  # noqa: F403
from plugtorch.ops.linalg import *  # noqa: F403
from plugtorch.ops.reduction import *  # noqa: F403
from plugtorch.ops.registry import REGISTRY, Op, apply, op
from plugtorch.ops.shape import *  # noqa: F403
from plugtorch.ops.sorting import *  # noqa: F403
from plugtorch.ops.cumulative import *  # noqa: F403
from plugtorch.ops.counting import *  # noqa: F403
from plugtorch.ops.sampling import *  # noqa: F403
from plugtorch.ops.predicates import *  # noqa: F403
from plugtorch.ops.norms import *  # noqa: F403
from plugtorch.ops.transfer import clone, to_backend
from plugtorch.ops.views import as_strided, diagonal
from plugtorch.ops import inplace  # noqa: E402,F401  (declares view_scatter and overwritten)

__all__ = [
    "REGISTRY", "Op", "apply", "op", "astype", "clone", "to_backend", "as_strided", "diagonal",
]  # fmt: skip
__all__ += creation.__all__
__all__ += elementwise.__all__
__all__ += indexing.__all__
__all__ += linalg.__all__
__all__ += reduction.__all__
__all__ += shape.__all__
__all__ += sorting.__all__ + cumulative.__all__ + counting.__all__ + sampling.__all__
__all__ += predicates.__all__ + norms.__all__
