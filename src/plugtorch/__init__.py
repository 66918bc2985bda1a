"""plugtorch: PyTorch-style tensors and autograd over pluggable array backends.

>>> import plugtorch as pt
>>> x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])

Importing plugtorch imports no backend; the first tensor made loads the chosen one (see
``plugtorch.use_backend``). It loads the core (tensors, autograd, ops, backend registry) and
leaves the rest (``nn``, ``optim``, ``utils.data``, ``save``/``load``, ...) to first use
(PEP 562): ``plugtorch.nn`` and ``from plugtorch import nn`` work as before.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from plugtorch import autograd, dtypes, ops
from plugtorch.autograd import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from plugtorch.backend import (
    ArrayAPIBackend,
    BackendError,
    get_backend,
    list_backends,
    register_backend,
    set_backend,
    use_backend,
)
from plugtorch.device import Device, device, get_default_device, set_default_device
from plugtorch.dtypes import (
    DType,
    bfloat16,
    can_cast,
    finfo,
    float16,
    float32,
    float64,
    get_default_dtype,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    promote_types,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)
from plugtorch.dtypes import (
    bool_ as bool,  # noqa: A001 (PyTorch's name: plugtorch.bool)
)
from plugtorch.dtypes import (
    result_type_of as result_type,
)
from plugtorch.ops import *  # noqa: F403
from plugtorch.tensor import Tensor

if _TYPE_CHECKING:  # mypy does not follow ``__all__ += ops.__all__``: the same names, by module
    from plugtorch.ops import astype, clone, to_backend  # noqa: F401
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
    from plugtorch.ops.repetition import *  # noqa: F403
    from plugtorch.ops.sampling import *  # noqa: F403
    from plugtorch.ops.scattering import *  # noqa: F403
    from plugtorch.ops.shape import *  # noqa: F403
    from plugtorch.ops.sorting import *  # noqa: F403
    from plugtorch.ops.special import *  # noqa: F403
    from plugtorch.ops.unary import *  # noqa: F403
    from plugtorch.ops.views import as_strided, diagonal  # noqa: F401
from plugtorch import return_types
from plugtorch._lazy import LazyNames
from plugtorch._settings import (
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    get_num_interop_threads,
    get_num_threads,
    is_deterministic_algorithms_warn_only_enabled,
    set_deterministic_debug_mode,
    set_float32_matmul_precision,
    set_num_interop_threads,
    set_num_threads,
    use_deterministic_algorithms,
)
from plugtorch.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

if _TYPE_CHECKING:  # what __getattr__ below loads, for type checkers
    from plugtorch import (  # noqa: F401
        accelerator,
        amp,
        array_api,
        backends,
        compiler,
        cpu,
        cuda,
        data,
        distributed,
        linalg,
        nn,
        onnx,
        optim,
        profiler,
        serialization,
        testing,
        utils,
    )
    from plugtorch.amp import (
        GradScaler,
        autocast,
        clear_autocast_cache,
        get_autocast_dtype,
        is_autocast_cache_enabled,
        is_autocast_enabled,
        set_autocast_cache_enabled,
        set_autocast_dtype,
        set_autocast_enabled,
    )
    from plugtorch.compiler import compile  # noqa: A004 (PyTorch's name: plugtorch.compile)
    from plugtorch.serialization import load, save

float = float32  # noqa: A001 (PyTorch aliases)
double = float64
half = float16
long = int64
int = int32  # noqa: A001

__version__ = "0.1.0"

__all__ = [
    "ArrayAPIBackend",
    "BackendError",
    "DType",
    "Device",
    "Generator",
    "device",
    "GradScaler",
    "Tensor",
    "accelerator",
    "amp",
    "autocast",
    "autograd",
    "backends",
    "compile",
    "compiler",
    "cpu",
    "cuda",
    "data",
    "nn",
    "onnx",
    "optim",
    "profiler",
    "return_types",
    "linalg",
    "utils",
    "load",
    "save",
    "are_deterministic_algorithms_enabled",
    "default_generator",
    "get_default_device",
    "get_deterministic_debug_mode",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "get_num_threads",
    "inference_mode",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_inference_mode_enabled",
    "set_default_device",
    "set_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "set_num_interop_threads",
    "set_num_threads",
    "use_deterministic_algorithms",
    "bfloat16",
    "bool",
    "can_cast",
    "clear_autocast_cache",
    "double",
    "dtypes",
    "enable_grad",
    "finfo",
    "float",
    "float16",
    "float32",
    "float64",
    "get_backend",
    "get_autocast_dtype",
    "get_default_dtype",
    "get_rng_state",
    "half",
    "iinfo",
    "initial_seed",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_autocast_cache_enabled",
    "is_autocast_enabled",
    "is_grad_enabled",
    "list_backends",
    "long",
    "manual_seed",
    "promote_types",
    "no_grad",
    "register_backend",
    "result_type",
    "seed",
    "set_backend",
    "set_autocast_cache_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
    "set_default_dtype",
    "set_grad_enabled",
    "set_rng_state",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "use_backend",
]
__all__ += ops.__all__

# Loaded on first use: name -> the module that provides it.
_LAZY = LazyNames(
    __name__,
    {
        "accelerator": "plugtorch.accelerator",
        "amp": "plugtorch.amp",
        "array_api": "plugtorch.array_api",
        "backends": "plugtorch.backends",
        "compiler": "plugtorch.compiler",
        "cpu": "plugtorch.cpu",
        "cuda": "plugtorch.cuda",
        "data": "plugtorch.data",
        "distributed": "plugtorch.distributed",
        "linalg": "plugtorch.linalg",
        "nn": "plugtorch.nn",
        "onnx": "plugtorch.onnx",
        "optim": "plugtorch.optim",
        "profiler": "plugtorch.profiler",
        "serialization": "plugtorch.serialization",
        "testing": "plugtorch.testing",
        "utils": "plugtorch.utils",
        "compile": "plugtorch.compiler",
        "GradScaler": "plugtorch.amp",
        "autocast": "plugtorch.amp",
        "clear_autocast_cache": "plugtorch.amp",
        "get_autocast_dtype": "plugtorch.amp",
        "is_autocast_cache_enabled": "plugtorch.amp",
        "is_autocast_enabled": "plugtorch.amp",
        "set_autocast_cache_enabled": "plugtorch.amp",
        "set_autocast_dtype": "plugtorch.amp",
        "set_autocast_enabled": "plugtorch.amp",
        "load": "plugtorch.serialization",
        "save": "plugtorch.serialization",
    },
)


def __getattr__(name: str) -> _Any:
    return _LAZY.load(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
