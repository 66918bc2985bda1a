"""Deliberately wrong backends: each bug must be caught by the test meant to catch it.

``create_wrong_backend`` is the numpy reference with one bug per area, each of a kind real
kernels have had: a block-size edge, a stride assumption, a lost signed zero, a dropped nan,
low-precision accumulation, a tie broken the wrong way, an in-place write, an aliased result, an
unstable accelerated primitive. ``create_misdeclared_backend`` claims a dtype it cannot hold.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from plugtorch_numpy import NumpyBackend

from plugtorch import dtypes

__all__ = [
    "WrongBackend",
    "MisdeclaredBackend",
    "create_wrong_backend",
    "create_misdeclared_backend",
    "create_reference_copy",
    "create_crashing_backend",
]


class WrongBackend(NumpyBackend):
    def __init__(self) -> None:
        super().__init__(name="toy-wrong")

    def exp(self, x: np.ndarray) -> np.ndarray:
        out = np.exp(x)
        if out.size > 1024:  # the tail after the first 1024-element block is scaled wrong
            flat = out.reshape(-1).copy()
            flat[1024:] *= 1.001
            out = flat.reshape(out.shape)
        return out

    def sin(self, x: np.ndarray) -> np.ndarray:
        if isinstance(x, np.ndarray) and x.ndim and not x.flags.c_contiguous:
            # reads the elements in memory order, as a kernel that ignores strides would
            return np.sin(np.sort(x, axis=None)).reshape(x.shape)
        return np.sin(x)

    def negative(self, x: np.ndarray) -> np.ndarray:
        return np.subtract(np.zeros_like(x), x)  # 0 - 0.0 is +0.0: the sign of zero is lost

    def maximum(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.fmax(x, y)  # drops nan instead of propagating it

    def sum(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        if x.dtype == np.float32:  # accumulates in half precision
            return np.sum(x.astype(np.float16), axis=axis, keepdims=keepdims).astype(np.float32)
        return super().sum(x, axis, keepdims)

    def argmax(self, x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
        flipped = np.flip(x, axis=axis)  # the *last* maximum wins ties
        index = x.shape[axis] - 1 - np.argmax(flipped, axis=axis, keepdims=keepdims)
        return index.astype(np.int64)

    def setitem(self, x: np.ndarray, key: tuple[Any, ...], value: np.ndarray) -> np.ndarray:
        if isinstance(x, np.ndarray) and x.flags.writeable:
            x[key] = value  # writes into the caller's array
            return x
        return super().setitem(x, key, value)

    def concat(self, arrays: Any, axis: int) -> np.ndarray:
        arrays = list(arrays)
        if len(arrays) == 1:
            return arrays[0]  # returns its input itself: the result aliases it
        return super().concat(arrays, axis)

    @staticmethod
    def softmax(x: np.ndarray, axis: int) -> np.ndarray:
        e = np.exp(x)  # not max-subtracted: overflows for large logits
        return e / e.sum(axis=axis, keepdims=True)


def create_wrong_backend() -> WrongBackend:
    return WrongBackend()


class MisdeclaredBackend(NumpyBackend):
    """Declares uint16 (inherited), but quietly stores it as int32."""

    def __init__(self) -> None:
        super().__init__(name="toy-misdeclared")

    def native_dtype(self, dtype: Any) -> Any:
        return np.int32 if dtype is dtypes.uint16 else super().native_dtype(dtype)


def create_misdeclared_backend() -> MisdeclaredBackend:
    return MisdeclaredBackend()


def create_reference_copy() -> NumpyBackend:
    """The reference under another name: must pass everything."""
    return NumpyBackend(name="toy-right")


class CrashingBackend(NumpyBackend):
    """Dies with a segmentation fault whenever it is asked to hold a bool array, as a kernel
    that writes through a bad pointer would: the suite must report it, not die with it."""

    def __init__(self) -> None:
        super().__init__(name="toy-crashing")

    def asarray(self, obj: Any, dtype: Any) -> np.ndarray:
        if dtype is dtypes.bool_:
            ctypes.string_at(0)  # reads address 0: SIGSEGV
        return super().asarray(obj, dtype)


def create_crashing_backend() -> CrashingBackend:
    return CrashingBackend()
