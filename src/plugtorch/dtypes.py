"""Data types and type promotion.

A :class:`DType` is a small immutable value (``plugtorch.float32`` and friends). Backends map
each one to their own dtype object; the core never touches a backend's dtype directly.

Promotion follows PyTorch (which, for the dtypes here, agrees with the array API standard's
table, plus PyTorch's rules for Python scalars and 0-d tensors):

* categories rank ``bool < integer < floating``;
* within a category the wider type wins (``int8 + int32 -> int32``), and signed meets
  unsigned ``uint8 + int8 -> int16`` (``uint64`` with a signed type gives ``int64``, a
  combination the array API standard leaves undefined);
* a Python scalar only contributes its *category*: ``int32_tensor + 2 -> int32``,
  ``int32_tensor + 2.5 -> default float (float32)``, ``float32_tensor + 2.5 -> float32``;
* a 0-d tensor counts like a dimensioned one only if it is of a *higher* category than all
  dimensioned operands (``float32[3] + float64 0-d -> float32`` but ``int64[3] + float64 0-d ->
  float64``);
* the two 16-bit floating types are not ordered: ``float16 + bfloat16 -> float32`` (neither
  holds the other: float16 has more precision, bfloat16 more range).

``float16`` is numpy's ``float16``; ``bfloat16`` is the ``ml_dtypes`` package's (numpy has
none). The core imports ``ml_dtypes`` only when a bfloat16 value meets numpy, so plugtorch
imports and works without it and says what to install when bfloat16 is used without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

__all__ = [
    "DType",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "ALL_DTYPES",
    "FLOATING",
    "LOW_PRECISION",
    "INTEGRAL",
    "promote_types",
    "result_type",
    "result_type_of",
    "can_cast",
    "get_default_dtype",
    "set_default_dtype",
    "as_dtype",
    "from_numpy_dtype",
    "finfo",
    "iinfo",
]

# Category ranks: used by promotion and by "is this a float?" checks.
BOOL, INTEGER, FLOATING_KIND = 0, 1, 2


@dataclass(frozen=True, slots=True, eq=False)  # singletons: identity eq and hash
class DType:
    """A plugtorch data type, e.g. ``plugtorch.float32``."""

    name: str
    category: int  # BOOL, INTEGER or FLOATING_KIND (ranked for promotion)
    bits: int
    signed: bool

    @property
    def kind(self) -> str:
        """NumPy's one-letter kind: ``"b"``, ``"i"``, ``"u"`` or ``"f"`` (libraries such as
        scikit-learn test ``dtype.kind``)."""
        if self.category == INTEGER:
            return "i" if self.signed else "u"
        return "b" if self.category == BOOL else "f"

    @property
    def is_floating_point(self) -> bool:
        return self.category == FLOATING_KIND

    @property
    def is_integer(self) -> bool:
        return self.category == INTEGER

    @property
    def is_bool(self) -> bool:
        return self.category == BOOL

    @property
    def itemsize(self) -> int:
        return max(self.bits // 8, 1)

    @property
    def numpy(self) -> np.dtype:
        """The equivalent numpy dtype (the reference mapping used by host transfers);
        bfloat16's is ``ml_dtypes.bfloat16``."""
        found = _NUMPY_DTYPES.get(self)
        return found if found is not None else _bfloat16_numpy()

    def __repr__(self) -> str:
        return f"plugtorch.{self.name}"

    def __reduce__(self) -> str:  # pickle as the module-level singleton
        return _PUBLIC_NAMES[self.name]


bool_ = DType("bool", BOOL, 8, False)
int8 = DType("int8", INTEGER, 8, True)
int16 = DType("int16", INTEGER, 16, True)
int32 = DType("int32", INTEGER, 32, True)
int64 = DType("int64", INTEGER, 64, True)
uint8 = DType("uint8", INTEGER, 8, False)
uint16 = DType("uint16", INTEGER, 16, False)
uint32 = DType("uint32", INTEGER, 32, False)
uint64 = DType("uint64", INTEGER, 64, False)
float16 = DType("float16", FLOATING_KIND, 16, True)
bfloat16 = DType("bfloat16", FLOATING_KIND, 16, True)
float32 = DType("float32", FLOATING_KIND, 32, True)
float64 = DType("float64", FLOATING_KIND, 64, True)

ALL_DTYPES: tuple[DType, ...] = (
    bool_,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
    float16,
    bfloat16,
    float32,
    float64,
)
FLOATING: tuple[DType, ...] = (float16, bfloat16, float32, float64)
INTEGRAL: tuple[DType, ...] = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)
LOW_PRECISION: tuple[DType, ...] = (float16, bfloat16)
"""The 16-bit floating types: stored in 16 bits, computed and accumulated in float32 where
PyTorch does (sums, means, matmul, softmax, norms)."""

_BY_NAME = {d.name: d for d in ALL_DTYPES}
_NUMPY_DTYPES = {
    d: np.dtype("bool" if d is bool_ else d.name) for d in ALL_DTYPES if d is not bfloat16
}
_PUBLIC_NAMES = {d.name: ("bool_" if d is bool_ else d.name) for d in ALL_DTYPES}
_FROM_NUMPY = {numpy_dtype: d for d, numpy_dtype in _NUMPY_DTYPES.items()}

ML_DTYPES_HINT = (
    "bfloat16 needs the ml_dtypes package (numpy has no bfloat16 of its own): pip install ml-dtypes"
)


def _bfloat16_numpy() -> np.dtype:
    """``ml_dtypes.bfloat16`` as a numpy dtype, imported on first use."""
    try:
        import ml_dtypes
    except ImportError as error:
        raise ImportError(ML_DTYPES_HINT) from error
    found = np.dtype(ml_dtypes.bfloat16)
    _NUMPY_DTYPES[bfloat16] = found
    _FROM_NUMPY[found] = bfloat16
    return found


_default_float = float32


def get_default_dtype() -> DType:
    """The dtype of floating tensors made from Python floats (``float32`` unless changed)."""
    return _default_float


def set_default_dtype(dtype: DType) -> None:
    """Set the default floating dtype (any floating dtype, as in PyTorch)."""
    global _default_float
    dtype = as_dtype(dtype)
    if not dtype.is_floating_point:
        raise TypeError(f"set_default_dtype needs a floating dtype, got {dtype}")
    _default_float = dtype


def as_dtype(value: Any) -> DType:
    """Turn a DType, a name (``"float32"``), a numpy dtype or a Python type into a DType."""
    if isinstance(value, DType):
        return value
    if value is float:
        return _default_float
    if value is int:
        return int64
    if value is bool:
        return bool_
    if isinstance(value, str):
        found = _BY_NAME.get(value)
        if found is not None:
            return found
    else:
        try:
            return from_numpy_dtype(np.dtype(value))
        except TypeError:
            pass
    known = ", ".join(d.name for d in ALL_DTYPES)
    raise TypeError(f"unknown dtype {value!r}; plugtorch supports {known}")


def from_numpy_dtype(dtype: np.dtype) -> DType:
    """The DType for a numpy dtype; raises TypeError for types plugtorch does not support."""
    dtype = np.dtype(dtype)
    found = _FROM_NUMPY.get(dtype)
    if found is None and dtype.name == "bfloat16":  # an ml_dtypes array: ml_dtypes is there
        _bfloat16_numpy()
        found = _FROM_NUMPY.get(dtype)
    if found is None:
        known = ", ".join(d.name for d in ALL_DTYPES)
        raise TypeError(f"numpy dtype {dtype} is not supported by plugtorch (supported: {known})")
    return found


# --- promotion ------------------------------------------------------------------------------

_SIGNED_BY_BITS = {8: int8, 16: int16, 32: int32, 64: int64}


def promote_types(a: DType, b: DType) -> DType:
    """The smallest dtype both ``a`` and ``b`` convert to (PyTorch's ``promote_types``)."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == FLOATING_KIND:
        if a.bits == b.bits:  # float16 and bfloat16: neither holds the other
            return float32
        return a if a.bits > b.bits else b
    if a.category == BOOL:
        return a
    if a.signed == b.signed:
        return a if a.bits >= b.bits else b
    signed, unsigned = (a, b) if a.signed else (b, a)
    if signed.bits > unsigned.bits:
        return signed
    return _SIGNED_BY_BITS.get(unsigned.bits * 2, int64)


def _scalar_kind(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (int, np.integer)):
        return INTEGER
    if isinstance(value, (float, np.floating)):
        return FLOATING_KIND
    raise TypeError(f"unsupported operand type {type(value).__name__}")


def _default_for_kind(kind: int) -> DType:
    return (bool_, int64, _default_float)[kind]


def result_type(operands: Iterable[tuple[DType, int] | bool | int | float]) -> DType:
    """PyTorch's result type for a mix of tensors and Python scalars.

    Each operand is either ``(dtype, ndim)`` for a tensor or a Python scalar.
    """
    dimensioned: DType | None = None
    zero_dim: DType | None = None
    scalar_kind = -1
    for operand in operands:
        if isinstance(operand, tuple):
            dtype, ndim = operand
            if ndim > 0:
                dimensioned = dtype if dimensioned is None else promote_types(dimensioned, dtype)
            else:
                zero_dim = dtype if zero_dim is None else promote_types(zero_dim, dtype)
        else:
            scalar_kind = max(scalar_kind, _scalar_kind(operand))
    result = dimensioned
    if zero_dim is not None and (result is None or zero_dim.category > result.category):
        result = zero_dim
    if result is None:
        return _default_for_kind(scalar_kind)
    if scalar_kind > result.category:
        return _default_for_kind(scalar_kind)
    return result


def result_type_of(tensor1: Any, tensor2: Any) -> DType:
    """The dtype arithmetic on ``tensor1`` and ``tensor2`` (tensors or Python numbers) gives,
    by PyTorch's rules (``torch.result_type``; plugtorch exports it under that name).

    >>> import plugtorch as pt
    >>> pt.result_type(pt.ones(2, dtype=pt.float16), 2.5), pt.result_type(pt.ones(2), 1)
    (plugtorch.float16, plugtorch.float32)
    """
    operands: list[tuple[DType, int] | bool | int | float] = []
    for value in (tensor1, tensor2):
        dtype = getattr(value, "dtype", None)
        operands.append((dtype, value.ndim) if isinstance(dtype, DType) else value)
    return result_type(operands)


def can_cast(from_: DType, to: DType) -> bool:
    """Whether PyTorch's casting rules allow an in-place result of ``from_`` to be written
    into ``to`` (``torch.can_cast``): never floating into integral or bool, never a number
    into bool; anything else, narrowing included.

    >>> import plugtorch as pt
    >>> pt.can_cast(pt.float64, pt.bfloat16), pt.can_cast(pt.float16, pt.int32)
    (True, False)
    """
    source, target = as_dtype(from_), as_dtype(to)
    return source.category <= target.category


class finfo:  # noqa: N801 (PyTorch's name: torch.finfo)
    """Machine limits of a floating dtype, as ``torch.finfo``: ``bits``, ``eps`` (the gap
    between 1 and the next value), ``max``, ``min``, ``tiny`` and ``smallest_normal`` (the
    smallest positive normal number), ``resolution`` (``10 ** -precision_digits``) and
    ``dtype`` (the name).

    >>> import plugtorch as pt
    >>> pt.finfo(pt.float16).max, pt.finfo(pt.bfloat16).eps
    (65504.0, 0.0078125)
    """

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type: Any = None) -> None:  # noqa: A002 (PyTorch's argument name)
        dtype = _default_float if type is None else as_dtype(type)
        if not dtype.is_floating_point:
            raise TypeError(f"{dtype} is not supported by plugtorch.finfo (it is not floating)")
        mantissa, exponent = _FLOAT_FORMATS[dtype.name]
        max_exponent = 2 ** (exponent - 1) - 1
        self.bits = dtype.bits
        self.eps = 2.0**-mantissa
        self.max = (2.0 - 2.0**-mantissa) * 2.0**max_exponent
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0 ** (1 - max_exponent)
        self.resolution = 10.0 ** -int(mantissa * 0.30102999566398120)  # floor(digits)
        self.dtype = dtype.name

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


# name: (explicit mantissa bits, exponent bits) of the IEEE-style formats
_FLOAT_FORMATS = {"float16": (10, 5), "bfloat16": (7, 8), "float32": (23, 8), "float64": (52, 11)}


def iinfo(dtype: DType) -> np.iinfo:
    """Machine limits of an integer dtype (numpy's ``iinfo`` of the same type: ``bits``,
    ``min``, ``max``).

    >>> import plugtorch as pt
    >>> pt.iinfo(pt.uint8).max
    255
    """
    dtype = as_dtype(dtype)
    if not (dtype.is_integer or dtype.is_bool):
        raise TypeError(f"{dtype} is not supported by plugtorch.iinfo (use plugtorch.finfo)")
    return np.iinfo(dtype.numpy)
