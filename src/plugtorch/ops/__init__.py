"""Every public op, declared once per module and gathered here.

``REGISTRY`` maps op names to their declarations (forward, backward rule, docstring); the
functions below are the public, PyTorch-named entry points that prepare arguments and call them.
"""

# Tensor methods reach inplace, views and _prepare as plugtorch.ops.<module> at call time.
from plugtorch.ops import (  # noqa: F401
    _prepare,
    activation,
    binary,
    blas,
    contraction,
    counting,
    creation,
    cumulative,
    indexing,
    inplace,
    linalg,
    logic,
    norms,
    numeric,
    predicates,
    reduction,
    repetition,
    sampling,
    scattering,
    shape,
    sorting,
    special,
    unary,
    views,
)
from plugtorch.ops._prepare import astype
from plugtorch.ops.activation import *  # noqa: F403
from plugtorch.ops.binary import *  # noqa: F403
from plugtorch.ops.blas import *  # noqa: F403
from plugtorch.ops.contraction import *  # noqa: F403
from plugtorch.ops.counting import *  # noqa: F403
from plugtorch.ops.creation import *  # noqa: F403
from plugtorch.ops.cumulative import *  # noqa: F403
from plugtorch.ops.indexing import *  # noqa: F403
from plugtorch.ops.linalg import *  # noqa: F403
from plugtorch.ops.logic import *  # noqa: F403
from plugtorch.ops.norms import *  # noqa: F403
from plugtorch.ops.numeric import *  # noqa: F403
from plugtorch.ops.predicates import *  # noqa: F403
from plugtorch.ops.reduction import *  # noqa: F403
from plugtorch.ops.registry import REGISTRY, Op, apply, op
from plugtorch.ops.repetition import *  # noqa: F403
from plugtorch.ops.sampling import *  # noqa: F403
from plugtorch.ops.scattering import *  # noqa: F403
from plugtorch.ops.shape import *  # noqa: F403
from plugtorch.ops.sorting import *  # noqa: F403
from plugtorch.ops.special import *  # noqa: F403
from plugtorch.ops.transfer import clone, to_backend
from plugtorch.ops.unary import *  # noqa: F403
from plugtorch.ops.views import as_strided, diagonal

__all__ = [
    "REGISTRY", "Op", "apply", "op", "astype", "clone", "to_backend", "as_strided", "diagonal",
]  # fmt: skip
__all__ += creation.__all__
__all__ += unary.__all__
__all__ += binary.__all__
__all__ += logic.__all__
__all__ += indexing.__all__
__all__ += linalg.__all__
__all__ += reduction.__all__
__all__ += shape.__all__
__all__ += sorting.__all__
__all__ += cumulative.__all__
__all__ += counting.__all__
__all__ += sampling.__all__
__all__ += predicates.__all__
__all__ += norms.__all__
__all__ += blas.__all__
__all__ += contraction.__all__
__all__ += numeric.__all__
__all__ += repetition.__all__
__all__ += scattering.__all__
__all__ += activation.__all__
__all__ += special.__all__
