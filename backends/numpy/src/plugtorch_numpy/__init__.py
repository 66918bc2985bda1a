"""plugtorch's reference backend: numpy, simple and obviously right.

Every other backend is compared with this one. It is :class:`ArrayAPIBackend` over numpy (which
already does the primitives the array API standard lacks, ``scatter_add``, ``index_add`` and
array-key ``setitem``, in numpy), with 0-d results kept as arrays, views where the protocol's
mutable tier asks for them, and the accelerated nn primitives (convolution and pooling in
:mod:`plugtorch_numpy.conv`, softmax in :mod:`plugtorch_numpy.softmax`, the fused layers -- layer
norm, GELU, cross-entropy, the activations' gradients -- in :mod:`plugtorch_numpy.nn`, attention
in :mod:`plugtorch_numpy.attention`, the LSTM layer in :mod:`plugtorch_numpy.recurrent`, the
fused SGD step in :mod:`plugtorch_numpy.optim`) written with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch.backend.array_api import ArrayAPIBackend, is_half, stable_argsort
from plugtorch.backend.malloc import tune_malloc
from plugtorch.dtypes import ALL_DTYPES
from plugtorch_numpy import attention as _attention
from plugtorch_numpy import conv as _conv
from plugtorch_numpy import nn as _nn
from plugtorch_numpy import optim as _optim
from plugtorch_numpy import recurrent as _recurrent
from plugtorch_numpy import softmax as _softmax

__all__ = ["INPLACE_UFUNCS", "NumpyBackend", "create_backend", "as_array", "is_half"]
__version__ = "0.1.0"

# Optional primitives (see plugtorch.backend.protocol.OPTIONAL_PRIMITIVES) done natively here.
NATIVE_PRIMITIVES = frozenset(
    {
        "conv2d",
        "conv2d_backward",
        "max_pool2d",
        "max_pool2d_backward",
        "avg_pool2d",
        "avg_pool2d_backward",
        "softmax",
        "log_softmax",
        "argsort",
        "cumulative_sum",
        "cumulative_prod",
        "layer_norm",
        "layer_norm_backward",
        "gelu",
        "gelu_backward",
        "cross_entropy",
        "cross_entropy_backward",
        "lstm_layer",
        "lstm_layer_backward",
        "softmax_backward",
        "relu",
        "relu_backward",
        "scaled_dot_product_attention",
        "scaled_dot_product_attention_backward",
        "sgd_step",
        "sgd_step_inplace",
    }
)


INPLACE_UFUNCS = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
}
_CHUNK = 1 << 16  # elements per block of add_scaled_inplace's small scratch buffer


_ndarray = np.ndarray


def as_array(result: Any) -> np.ndarray:
    """numpy gives scalars, not arrays, for 0-d results; a mutable backend must return arrays
    (a scalar cannot be written in place, nor viewed)."""
    return result if result.__class__ is _ndarray else np.asarray(result)


def _unary(ufunc: Any) -> Any:
    def primitive(self: Any, x: np.ndarray) -> np.ndarray:
        result = ufunc(x)
        return result if result.__class__ is _ndarray else np.asarray(result)

    primitive.__name__ = ufunc.__name__
    return primitive


def _binary(ufunc: Any) -> Any:
    def primitive(self: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = ufunc(x, y)
        return result if result.__class__ is _ndarray else np.asarray(result)

    primitive.__name__ = ufunc.__name__
    return primitive


def _reduction(function: Any, typed: bool) -> Any:
    def primitive(self: Any, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        if typed and is_half(x):  # accumulate in float32, round once (as PyTorch)
            result = function(x, axis=axis, keepdims=keepdims, dtype=np.float32).astype(x.dtype)
        elif typed:
            result = function(x, axis=axis, keepdims=keepdims, dtype=x.dtype)
        else:
            result = function(x, axis=axis, keepdims=keepdims)
        return result if result.__class__ is _ndarray else np.asarray(result)

    primitive.__name__ = function.__name__
    return primitive


def _root(x: np.ndarray) -> np.ndarray:
    """The array that owns the memory ``x`` views."""
    while isinstance(x.base, np.ndarray):
        x = x.base
    return x


class NumpyBackend(ArrayAPIBackend):
    """The reference backend: numpy arrays on the host, mutable strided memory (protocol 1.1:
    views share memory and parameters are updated where they lie)."""

    def __init__(self, name: str = "numpy") -> None:
        # bfloat16 through ml_dtypes, imported when first used (the error names the package)
        super().__init__(
            np,
            name=name,
            dtypes=ALL_DTYPES,
            host_memory=True,
            primitives=NATIVE_PRIMITIVES,
            mutable=True,
        )
        self.malloc_tuned = tune_malloc()
        """Whether glibc's mmap and trim thresholds were raised, so that the many mid-sized
        temporaries of a step reuse mapped pages instead of faulting in fresh ones (GPT step
        192 -> 156 ms, LeNet-5 20.5 -> 15.2 ms; see :mod:`plugtorch.backend.malloc`)."""

    # Elementwise and reductions: numpy's own functions, with 0-d results kept as arrays.
    negative = _unary(np.negative)
    abs = _unary(np.abs)
    sign = _unary(np.sign)
    exp = _unary(np.exp)
    log = _unary(np.log)
    log1p = _unary(np.log1p)
    expm1 = _unary(np.expm1)
    sqrt = _unary(np.sqrt)
    sin = _unary(np.sin)
    cos = _unary(np.cos)
    tanh = _unary(np.tanh)
    floor = _unary(np.floor)
    ceil = _unary(np.ceil)
    round = _unary(np.round)
    logical_not = _unary(np.logical_not)
    bitwise_invert = _unary(np.bitwise_invert)
    add = _binary(np.add)
    subtract = _binary(np.subtract)
    multiply = _binary(np.multiply)
    divide = _binary(np.divide)
    floor_divide = _binary(np.floor_divide)
    remainder = _binary(np.remainder)
    pow = _binary(np.pow)
    maximum = _binary(np.maximum)
    minimum = _binary(np.minimum)
    logical_and = _binary(np.logical_and)
    logical_or = _binary(np.logical_or)
    logical_xor = _binary(np.logical_xor)
    bitwise_and = _binary(np.bitwise_and)
    bitwise_or = _binary(np.bitwise_or)
    bitwise_xor = _binary(np.bitwise_xor)
    equal = _binary(np.equal)
    not_equal = _binary(np.not_equal)
    less = _binary(np.less)
    less_equal = _binary(np.less_equal)
    greater = _binary(np.greater)
    greater_equal = _binary(np.greater_equal)
    sum = _reduction(np.sum, typed=True)
    prod = _reduction(np.prod, typed=True)
    max = _reduction(np.max, typed=False)
    min = _reduction(np.min, typed=False)
    all = _reduction(np.all, typed=False)
    any = _reduction(np.any, typed=False)

    conv2d = staticmethod(_conv.conv2d)
    conv2d_backward = staticmethod(_conv.conv2d_backward)
    max_pool2d = staticmethod(_conv.max_pool2d)
    max_pool2d_backward = staticmethod(_conv.max_pool2d_backward)
    avg_pool2d = staticmethod(_conv.avg_pool2d)
    avg_pool2d_backward = staticmethod(_conv.avg_pool2d_backward)
    softmax = staticmethod(_softmax.softmax)
    log_softmax = staticmethod(_softmax.log_softmax)
    layer_norm = staticmethod(_nn.layer_norm)
    layer_norm_backward = staticmethod(_nn.layer_norm_backward)
    gelu = staticmethod(_nn.gelu)
    gelu_backward = staticmethod(_nn.gelu_backward)
    cross_entropy = staticmethod(_nn.cross_entropy)
    cross_entropy_backward = staticmethod(_nn.cross_entropy_backward)
    softmax_backward = staticmethod(_nn.softmax_backward)
    relu = staticmethod(_nn.relu)
    relu_backward = staticmethod(_nn.relu_backward)
    scaled_dot_product_attention = staticmethod(_attention.scaled_dot_product_attention)
    scaled_dot_product_attention_backward = staticmethod(
        _attention.scaled_dot_product_attention_backward
    )
    lstm_layer = staticmethod(_recurrent.lstm_layer)
    lstm_layer_backward = staticmethod(_recurrent.lstm_layer_backward)
    sgd_step = _optim.sgd_step
    sgd_step_inplace = _optim.sgd_step_inplace

    def to_numpy(self, x: np.ndarray) -> np.ndarray:
        return x

    def getitem(self, x: np.ndarray, key: tuple[Any, ...]) -> np.ndarray:
        return x[key + (Ellipsis,)]  # the Ellipsis keeps an all-int key a 0-d view, not a copy

    def argmax(self, x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
        return as_array(np.argmax(x, axis=axis, keepdims=keepdims)).astype(np.int64, copy=False)

    def argmin(self, x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
        return as_array(np.argmin(x, axis=axis, keepdims=keepdims)).astype(np.int64, copy=False)

    def where(self, condition: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return as_array(np.where(condition, x, y))

    def flip(self, x: np.ndarray, axis: tuple[int, ...]) -> np.ndarray:
        return np.flip(x, axis).copy()  # numpy's flip is a view; the protocol's is new memory

    # --- the mutable tier (protocol 1.1) ---------------------------------------------------
    def setitem_inplace(self, x: np.ndarray, key: tuple[Any, ...], value: np.ndarray) -> None:
        x[key] = value

    def binary_inplace(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        ufunc = INPLACE_UFUNCS.get(name)
        if ufunc is not None:
            ufunc(x, y, out=x)  # numpy buffers overlapping operands itself
        else:
            x[...] = getattr(self, name)(x, y)

    def add_scaled_inplace(self, x: np.ndarray, y: np.ndarray, alpha: float) -> None:
        if is_half(x):  # x + alpha * y in float32, rounded once (as PyTorch's add_)
            x[...] = (x.astype(np.float32) + np.float32(alpha) * y.astype(np.float32)).astype(
                x.dtype
            )
            return
        flat_x = np.reshape(x, -1, copy=False) if x.flags.c_contiguous else None
        flat_y = np.reshape(y, -1, copy=False) if y.flags.c_contiguous else None
        if flat_x is None or flat_y is None or x.size <= _CHUNK:
            x += alpha * y
            return
        scratch = np.empty(_CHUNK, dtype=x.dtype)
        for start in range(0, flat_x.size, _CHUNK):
            stop = min(start + _CHUNK, flat_x.size)
            block = scratch[: stop - start]
            np.multiply(flat_y[start:stop], alpha, out=block)
            np.add(flat_x[start:stop], block, out=flat_x[start:stop])

    def strides(self, x: np.ndarray) -> tuple[int, ...]:
        itemsize = x.itemsize
        return tuple([s // itemsize for s in x.strides])

    def data_ptr(self, x: np.ndarray) -> int:
        return int(x.__array_interface__["data"][0])

    def storage_info(self, x: np.ndarray) -> tuple[int, int]:
        root = _root(x)
        return int(root.__array_interface__["data"][0]), int(root.nbytes)

    def as_strided(
        self,
        x: np.ndarray,
        shape: tuple[int, ...],
        strides: tuple[int, ...],
        storage_offset: int,
    ) -> np.ndarray:
        root = _root(x)
        buffer = root if root.flags.c_contiguous else root.T
        itemsize = x.itemsize
        return np.ndarray(
            shape,
            dtype=x.dtype,
            buffer=buffer,
            offset=storage_offset * itemsize,
            strides=tuple(s * itemsize for s in strides),
        )

    def matmul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if is_half(x):  # float32 products and sums, rounded once (ml_dtypes gives float32)
            return np.matmul(x.astype(np.float32), y.astype(np.float32)).astype(x.dtype)
        return super().matmul(x, y)

    # numpy has no descending sort (the standard's argsort keyword): the shared host one.
    def argsort(self, x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
        return stable_argsort(x, axis, descending)


def create_backend() -> NumpyBackend:
    """Entry point of the ``plugtorch.backends`` group."""
    return NumpyBackend()
