"""plugtorch's reference backend: numpy, simple and obviously right.

Every other backend is compared with this one. It is :class:`ArrayAPIBackend` over numpy, with
the few primitives the array API standard lacks done natively (``scatter_add``, ``index_add``,
``setitem``) instead of through a host round trip, and the accelerated nn primitives
(convolution, pooling, softmax) written with numpy in :mod:`plugtorch_numpy.conv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch.backend.array_api import ArrayAPIBackend
from plugtorch_numpy import conv as _conv

__all__ = ["NumpyBackend", "create_backend"]
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
    }
)


class NumpyBackend(ArrayAPIBackend):
    """The reference backend: numpy arrays on the host."""

    def __init__(self, name: str = "numpy") -> None:
        super().__init__(np, name=name, host_memory=True, primitives=NATIVE_PRIMITIVES)

    conv2d = staticmethod(_conv.conv2d)
    conv2d_backward = staticmethod(_conv.conv2d_backward)
    max_pool2d = staticmethod(_conv.max_pool2d)
    max_pool2d_backward = staticmethod(_conv.max_pool2d_backward)
    avg_pool2d = staticmethod(_conv.avg_pool2d)
    avg_pool2d_backward = staticmethod(_conv.avg_pool2d_backward)
    softmax = staticmethod(_conv.softmax)
    log_softmax = staticmethod(_conv.log_softmax)

    def asarray(self, obj: Any, dtype: Any) -> np.ndarray:
        return np.array(obj, dtype=self.native_dtype(dtype), copy=True)

    def to_numpy(self, x: np.ndarray) -> np.ndarray:
        return x

    def astype(self, x: np.ndarray, dtype: Any) -> np.ndarray:
        return x.astype(self.native_dtype(dtype))

    def getitem(self, x: np.ndarray, key: tuple[Any, ...]) -> np.ndarray:
        return x[key]

    def setitem(self, x: np.ndarray, key: tuple[Any, ...], value: np.ndarray) -> np.ndarray:
        out = np.array(x, copy=True)  # ufuncs give numpy scalars for 0-d input: make an array
        out[key] = value
        return out

    def index_add(self, x: np.ndarray, indices: np.ndarray, values: np.ndarray, axis: int):
        out = x.copy()
        np.add.at(out, (slice(None),) * axis + (indices,), values)
        return out

    def scatter_add(self, x: np.ndarray, indices: np.ndarray, values: np.ndarray, axis: int):
        out = x.copy()
        grids = list(np.indices(indices.shape, sparse=True))
        grids[axis] = indices
        np.add.at(out, tuple(grids), values)
        return out

    def take_along_axis(self, x: np.ndarray, indices: np.ndarray, axis: int) -> np.ndarray:
        return np.take_along_axis(x, indices, axis=axis)

    def matmul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.matmul(x, y)


def create_backend() -> NumpyBackend:
    """Entry point of the ``plugtorch.backends`` group."""
    return NumpyBackend()
