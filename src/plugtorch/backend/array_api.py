"""``ArrayAPIBackend(xp)``: a complete plugtorch backend from any array-API namespace.

Give it a namespace that follows the Python array API standard (``numpy`` 2.x,
``array_api_strict``, ``cupy``, ...) and it provides every required primitive of
:mod:`plugtorch.backend.protocol`. The few primitives the standard lacks (``scatter_add``,
``index_add``, integer-array ``setitem``) run on the host through numpy and come back; a
backend that can do better overrides them. Subclass it to replace hot primitives with your
own kernels (the numpy, numba and cupy backends all start here).
"""

from __future__ import annotations

import functools
import math
from types import ModuleType
from typing import Any, Callable, Sequence

import numpy as np

from plugtorch.backend.protocol import API_VERSION, Capabilities, require_dtype
from plugtorch.dtypes import ALL_DTYPES, DType

__all__ = ["ArrayAPIBackend", "is_half", "half_via_float32", "stable_argsort"]


def is_half(x: Any) -> bool:
    """Whether ``x`` is a float16 or bfloat16 array (ml_dtypes' bfloat16 has numpy kind "V")."""
    dtype = x.dtype
    return dtype.itemsize == 2 and dtype.kind in "fV"


def half_via_float32(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a primitive whose kernels know float32 but not float16/bfloat16: half array
    arguments run in float32 and the float32 results are rounded once to the half dtype.

    The core already sends float32 to the primitives that accumulate (convolution, pooling,
    softmax); this keeps direct calls and the rest (``adam_step``) right on such backends.
    """

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        half = next((a.dtype for a in args if _is_half_array(a)), None)
        if half is None:
            return method(self, *args, **kwargs)
        wide = [_widen(a) for a in args]
        result = method(self, *wide, **{k: _widen(v) for k, v in kwargs.items()})
        if isinstance(result, tuple):
            return tuple(_narrow(r, half) for r in result)
        return _narrow(result, half)

    return run


def _is_half_array(value: Any) -> bool:
    return hasattr(value, "dtype") and hasattr(value.dtype, "itemsize") and is_half(value)


def _widen(value: Any) -> Any:
    return value.astype("float32") if _is_half_array(value) else value


def _narrow(array: Any, half: Any) -> Any:
    return array.astype(half) if getattr(array, "dtype", None) == np.float32 else array


def _is_positive_zero(value: Any) -> bool:
    """``value`` is 0, False or +0.0 (``full`` of it is ``zeros``; -0.0 keeps its sign bit)."""
    if type(value) is float:
        return value == 0.0 and math.copysign(1.0, value) > 0
    return type(value) in (int, bool) and value == 0


def stable_argsort(values: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Indices that sort a numpy array along ``axis`` stably, nan as the largest value.

    numpy sorts nan last and has no descending sort: descending sorts the reversed array
    ascending and maps the positions back, which keeps ties in their input order.

    >>> stable_argsort(np.array([1.0, np.nan, 1.0, 3.0]), 0, True).tolist()
    [1, 3, 0, 2]
    """
    if not descending:
        return np.argsort(values, axis=axis, kind="stable")
    last = values.shape[axis] - 1
    reversed_order = np.argsort(np.flip(values, axis), axis=axis, kind="stable")
    return np.flip(last - reversed_order, axis)


class _Forward:
    """A primitive that is the namespace's function of the same name, called with the same
    arguments: ``exp = _Forward()`` in the class makes ``backend.exp(x)`` call ``xp.exp(x)``.

    The first access looks the function up on ``backend.xp`` and keeps it on the backend (as
    ``functools.cached_property`` does), so a call costs no more than ``xp.exp(x)`` itself. A
    subclass replaces a forward with a method of the same name (and ``super().exp`` from it
    reaches the namespace's function without keeping it, which would hide the method).
    """

    __slots__ = ("name",)

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, backend: Any, owner: type | None = None) -> Any:
        if backend is None:
            return self
        function = getattr(backend.xp, self.name)
        if getattr(type(backend), self.name, None) is self:
            backend.__dict__[self.name] = function
        return function


class ArrayAPIBackend:
    """A backend over the array-API namespace ``xp``.

    >>> import numpy
    >>> from plugtorch.dtypes import float32
    >>> backend = ArrayAPIBackend(numpy, name="mynumpy")
    >>> ones = backend.full((2,), 1.0, float32)
    >>> backend.to_numpy(backend.add(ones, ones))
    array([2., 2.], dtype=float32)
    """

    api_version: tuple[int, int] = API_VERSION

    def __init__(
        self,
        xp: ModuleType,
        name: str | None = None,
        *,
        dtypes: Sequence[DType] | None = None,
        devices: Sequence[str] = ("cpu",),
        host_memory: bool = True,
        primitives: frozenset[str] = frozenset(),
        mutable: bool = False,
    ) -> None:
        self.xp = xp
        self.name = name or xp.__name__.split(".")[0]
        if dtypes is None:
            dtypes = tuple(d for d in ALL_DTYPES if hasattr(xp, d.name))
        self._dtypes = {d: getattr(xp, d.name) for d in dtypes if hasattr(xp, d.name)}
        self.capabilities = Capabilities(
            dtypes=tuple(dtypes),
            devices=tuple(devices),
            primitives=primitives,
            host_memory=host_memory,
            dlpack=True,
            mutable=mutable,
        )

    def __repr__(self) -> str:
        return f"<plugtorch backend {self.name!r} over {self.xp.__name__}>"

    def is_available(self) -> tuple[bool, str]:
        return True, ""

    def native_dtype(self, dtype: DType) -> Any:
        """The namespace's dtype object for a plugtorch dtype."""
        found = self._dtypes.get(dtype)
        if found is not None:
            return found
        require_dtype(self, dtype)
        # declared but not an attribute of the namespace: numpy's bfloat16 is ml_dtypes'
        found = self._dtypes[dtype] = dtype.numpy
        return found

    # --- transfer and creation -----------------------------------------------------------
    def asarray(self, obj: Any, dtype: DType) -> Any:
        return self.xp.asarray(obj, dtype=self.native_dtype(dtype), copy=True)

    def to_numpy(self, x: Any) -> np.ndarray:
        try:
            return np.from_dlpack(x)
        except (TypeError, AttributeError, BufferError, RuntimeError):
            return np.asarray(x)

    def astype(self, x: Any, dtype: DType) -> Any:
        return self.xp.astype(x, self.native_dtype(dtype))

    def full(self, shape: tuple[int, ...], value: Any, dtype: DType) -> Any:
        if _is_positive_zero(value):  # numpy: calloc'd zeros took 47 us where full took 85
            return self.xp.zeros(shape, dtype=self.native_dtype(dtype))  # (1.5 MB float32)
        return self.xp.full(shape, value, dtype=self.native_dtype(dtype))

    def arange(self, start: float, stop: float, step: float, dtype: DType) -> Any:
        return self.xp.arange(start, stop, step, dtype=self.native_dtype(dtype))

    # --- elementwise ---------------------------------------------------------------------
    negative = _Forward()
    abs = _Forward()
    sign = _Forward()
    exp = _Forward()
    log = _Forward()
    log1p = _Forward()
    expm1 = _Forward()
    sqrt = _Forward()
    sin = _Forward()
    cos = _Forward()
    tanh = _Forward()
    floor = _Forward()
    ceil = _Forward()
    round = _Forward()
    logical_not = _Forward()
    bitwise_invert = _Forward()
    add = _Forward()
    subtract = _Forward()
    multiply = _Forward()
    divide = _Forward()
    floor_divide = _Forward()
    remainder = _Forward()
    pow = _Forward()
    maximum = _Forward()
    minimum = _Forward()
    logical_and = _Forward()
    logical_or = _Forward()
    logical_xor = _Forward()
    bitwise_and = _Forward()
    bitwise_or = _Forward()
    bitwise_xor = _Forward()
    equal = _Forward()
    not_equal = _Forward()
    less = _Forward()
    less_equal = _Forward()
    greater = _Forward()
    greater_equal = _Forward()
    where = _Forward()

    # --- reductions ----------------------------------------------------------------------
    def sum(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

    def prod(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)

    def max(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.max(x, axis=axis, keepdims=keepdims)

    def min(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.min(x, axis=axis, keepdims=keepdims)

    def all(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.all(x, axis=axis, keepdims=keepdims)

    def any(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return self.xp.any(x, axis=axis, keepdims=keepdims)

    def argmax(self, x: Any, axis: int, keepdims: bool) -> Any:
        return self.xp.astype(self.xp.argmax(x, axis=axis, keepdims=keepdims), self.xp.int64)

    def argmin(self, x: Any, axis: int, keepdims: bool) -> Any:
        return self.xp.astype(self.xp.argmin(x, axis=axis, keepdims=keepdims), self.xp.int64)

    # --- movement and indexing -----------------------------------------------------------
    def reshape(self, x: Any, shape: tuple[int, ...], copy: bool | None = None) -> Any:
        if copy is None:
            return self.xp.reshape(x, shape)
        return self.xp.reshape(x, shape, copy=copy)

    permute_dims = _Forward()
    broadcast_to = _Forward()

    def concat(self, arrays: Sequence[Any], axis: int) -> Any:
        return self.xp.concat(list(arrays), axis=axis)

    def getitem(self, x: Any, key: tuple[Any, ...]) -> Any:
        return x[key]

    def setitem(self, x: Any, key: tuple[Any, ...], value: Any) -> Any:
        basic = all(k is None or isinstance(k, (int, slice)) for k in key)
        if basic:
            out = self.xp.asarray(x, copy=True)
            out[key] = value
            return out
        # Integer-array and mask assignment are not in the standard: do it on the host.
        host = np.array(self.to_numpy(x), copy=True)
        host_key = tuple(
            k if isinstance(k, (int, slice)) or k is None else self.to_numpy(k) for k in key
        )
        host[host_key] = self.to_numpy(value)
        return self.xp.asarray(host)

    def flip(self, x: Any, axis: tuple[int, ...]) -> Any:
        return self.xp.flip(x, axis=axis)

    def take(self, x: Any, indices: Any, axis: int) -> Any:
        return self.xp.take(x, indices, axis=axis)

    def take_along_axis(self, x: Any, indices: Any, axis: int) -> Any:
        if hasattr(self.xp, "take_along_axis"):
            return self.xp.take_along_axis(x, indices, axis=axis)
        host = np.take_along_axis(self.to_numpy(x), self.to_numpy(indices), axis=axis)
        return self.xp.asarray(host)

    def index_add(self, x: Any, indices: Any, values: Any, axis: int) -> Any:
        host = np.array(self.to_numpy(x), copy=True)
        index: tuple[Any, ...] = (slice(None),) * axis + (self.to_numpy(indices),)
        np.add.at(host, index, self.to_numpy(values))  # type: ignore[arg-type]
        return self.xp.asarray(host)

    def scatter_add(self, x: Any, indices: Any, values: Any, axis: int) -> Any:
        host = np.array(self.to_numpy(x), copy=True)
        idx = self.to_numpy(indices)
        grids: list[Any] = list(np.indices(idx.shape, sparse=True))
        grids[axis] = idx
        np.add.at(host, tuple(grids), self.to_numpy(values))
        return self.xp.asarray(host)

    # --- linear algebra --------------------------------------------------------------------
    matmul = _Forward()

    # --- optional primitives in the standard's own functions ---------------------------------
    # Used only when declared in ``primitives=`` (a namespace may order nan differently from
    # PyTorch; the conformance suite's "accelerated" area checks a declared one).
    def argsort(self, x: Any, axis: int, descending: bool) -> Any:
        order = self.xp.argsort(x, axis=axis, descending=descending, stable=True)
        return self.xp.astype(order, self.xp.int64)

    def cumulative_sum(self, x: Any, axis: int) -> Any:
        return self.xp.cumulative_sum(x, axis=axis, dtype=x.dtype)

    def cumulative_prod(self, x: Any, axis: int) -> Any:
        return self.xp.cumulative_prod(x, axis=axis, dtype=x.dtype)
