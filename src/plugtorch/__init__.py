"""plugtorch: PyTorch-style tensors and autograd over pluggable array backends.

>>> import plugtorch as pt
>>> x = pt.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> y = (x ** 2).sum()
>>> y.backward()
>>> x.grad
tensor([2., 4., 6.])

Importing plugtorch imports no backend; the first tensor made loads the chosen one (see
``plugtorch.use_backend``).
"""

# ruff: noqa: I001 (order matters: Tensor exists before the ops that attach to it)
from plugtorch import dtypes
from plugtorch.dtypes import (
    DType,
    bool_ as bool,  # noqa: A001 (PyTorch's name: plugtorch.bool)
    float32,
    float64,
    get_default_dtype,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
    uint16,
    uint32,
    uint64,
)
from plugtorch.device import Device, device
from plugtorch.tensor import Tensor
from plugtorch import autograd
from plugtorch.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from plugtorch.backend import (
    ArrayAPIBackend,
    BackendError,
    get_backend,
    list_backends,
    register_backend,
    set_backend,
    use_backend,
)
from plugtorch import ops
from plugtorch.ops import *  # noqa: F403
from plugtorch.random import get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from plugtorch.serialization import load, save
from plugtorch import cuda, data, nn, optim, utils

float = float32  # noqa: A001 (PyTorch aliases)
double = float64
long = int64
int = int32  # noqa: A001
half_unsupported = None
del half_unsupported

__version__ = "0.1.0"

__all__ = [
    "ArrayAPIBackend",
    "BackendError",
    "DType",
    "Device",
    "device",
    "Tensor",
    "autograd",
    "cuda",
    "data",
    "nn",
    "optim",
    "utils",
    "load",
    "save",
    "bool",
    "double",
    "dtypes",
    "enable_grad",
    "float",
    "float32",
    "float64",
    "get_backend",
    "get_default_dtype",
    "get_rng_state",
    "initial_seed",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "list_backends",
    "long",
    "manual_seed",
    "no_grad",
    "register_backend",
    "seed",
    "set_backend",
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
