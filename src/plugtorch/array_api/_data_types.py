"""Data types and data-type functions of the array API standard.

The dtype objects are plugtorch's own (``plugtorch.array_api.float32 is plugtorch.float32``).
plugtorch has no complex dtypes, so ``complex64`` and ``complex128`` are absent (see
docs/array-api.md).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._creation import backend_for_device
from plugtorch.array_api._helpers import check_array, standard_result_type
from plugtorch.dtypes import (
    bool_ as bool,  # noqa: A001 (the standard's name)
)
from plugtorch.dtypes import (
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from plugtorch.tensor import Tensor

__all__ = [
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float32", "float64",
    "astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
    "finfo_object", "iinfo_object",
]  # fmt: skip

_KINDS = {
    "bool": lambda d: d.is_bool,
    "signed integer": lambda d: d.is_integer and d.signed,
    "unsigned integer": lambda d: d.is_integer and not d.signed,
    "integral": lambda d: d.is_integer,
    "real floating": lambda d: d.is_floating_point,
    "complex floating": lambda d: False,
    "numeric": lambda d: not d.is_bool,
}


def astype(x: Tensor, dtype: Any, /, *, copy: builtins.bool = True, device: Any = None) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between floating dtypes)."""
    check_array(x, "astype")
    target = dtypes.as_dtype(dtype)
    out = x
    if device is not None:
        out = _ops.to_backend(out, backend_for_device(device))
    if target is not out._dtype:
        return _ops.astype(out, target)
    if copy and out is x:
        return _ops.clone(x)
    return out


def can_cast(from_: Any, to: Any, /) -> builtins.bool:
    """True when the standard's promotion of ``from_`` and ``to`` is ``to``."""
    source = from_._dtype if isinstance(from_, Tensor) else dtypes.as_dtype(from_)
    target = dtypes.as_dtype(to)
    if source is target:
        return True
    if source.category != target.category:
        return False  # the standard casts within a kind only
    try:
        return standard_result_type(source, target) is target
    except TypeError:
        return False


def isdtype(dtype: Any, kind: Any) -> builtins.bool:
    """Whether ``dtype`` is of ``kind``: a dtype, a kind name or a tuple of these."""
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, dtypes.DType):
        return dtype is kind
    if isinstance(kind, str):
        try:
            return _KINDS[kind](dtypes.as_dtype(dtype))
        except KeyError:
            raise ValueError(f"unknown dtype kind {kind!r}; one of {sorted(_KINDS)}") from None
    raise TypeError(f"kind must be a dtype, a kind name or a tuple of these, got {kind!r}")


def result_type(*arrays_and_dtypes: Any) -> dtypes.DType:
    """The dtype the standard's promotion gives; Python scalars take the arrays' dtype."""
    types = []
    scalars = []
    for item in arrays_and_dtypes:
        if isinstance(item, Tensor):
            types.append(item._dtype)
        elif isinstance(item, dtypes.DType):
            types.append(item)
        elif isinstance(item, (int, float, complex)):  # bool is an int
            scalars.append(item)
        else:
            types.append(dtypes.as_dtype(item))
    if not types:
        raise ValueError("result_type() needs at least one array or dtype")
    result = standard_result_type(*types)
    for scalar in scalars:
        if isinstance(scalar, complex):
            raise TypeError("plugtorch has no complex dtypes (see docs/array-api.md)")
        if isinstance(scalar, float) and not result.is_floating_point:
            result = dtypes.get_default_dtype()
        elif isinstance(scalar, int) and not isinstance(scalar, type(True)) and result.is_bool:
            result = dtypes.int64
    return result


@dataclass(frozen=True)
class finfo_object:  # noqa: N801 (the standard's name)
    """Machine limits of a floating dtype."""

    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: dtypes.DType


@dataclass(frozen=True)
class iinfo_object:  # noqa: N801 (the standard's name)
    """Machine limits of an integer dtype."""

    bits: int
    max: int
    min: int
    dtype: dtypes.DType


def _dtype_of(value: Any) -> dtypes.DType:
    return value._dtype if isinstance(value, Tensor) else dtypes.as_dtype(value)


def finfo(type: Any, /) -> finfo_object:  # noqa: A002 (the standard's name)
    """Limits of a floating dtype (or of an array's dtype)."""
    dtype = _dtype_of(type)
    if not dtype.is_floating_point:
        raise ValueError(f"finfo needs a floating dtype, got {dtype}")
    info = np.finfo(dtype.numpy)
    return finfo_object(
        bits=int(info.bits),
        eps=float(info.eps),
        max=float(info.max),
        min=float(info.min),
        smallest_normal=float(info.smallest_normal),
        dtype=dtype,
    )


def iinfo(type: Any, /) -> iinfo_object:  # noqa: A002 (the standard's name)
    """Limits of an integer dtype (or of an array's dtype)."""
    dtype = _dtype_of(type)
    if not dtype.is_integer:
        raise ValueError(f"iinfo needs an integer dtype, got {dtype}")
    info = np.iinfo(dtype.numpy)
    return iinfo_object(bits=int(info.bits), max=int(info.max), min=int(info.min), dtype=dtype)
