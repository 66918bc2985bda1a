"""Creation functions of the array API standard.

``device=`` picks the backend: a :class:`~plugtorch.device.Device` (``x.device``) means that
device's backend, ``None`` the selected backend (``plugtorch.set_backend`` and friends).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import check_array, from_host, to_host
from plugtorch.backend import registry
from plugtorch.device import Device
from plugtorch.device import device as make_device
from plugtorch.ops.creation import holds_numpy
from plugtorch.tensor import Tensor

__all__ = [
    "arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like",
    "linspace", "meshgrid", "ones", "ones_like", "tril", "triu", "zeros", "zeros_like",
    "backend_for_device",
]  # fmt: skip

Shape = int | Sequence[int]


def backend_for_device(device: Any) -> Any:
    """The backend a ``device=`` argument names (``None``: the selected backend)."""
    if device is None:
        return registry.get_backend()
    if isinstance(device, Device):
        return registry.get_backend(device.backend)
    if isinstance(device, str):
        return registry.get_backend(make_device(device).backend)
    if hasattr(device, "capabilities"):
        return device
    raise ValueError(f"unknown device {device!r}; use x.device or an entry of info.devices()")


def _shape(shape: Shape) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    result = tuple(int(s) for s in shape)
    if any(s < 0 for s in result):
        raise ValueError(f"negative dimension in shape {result}")
    return result


def _dtype(dtype: Any, default: dtypes.DType) -> dtypes.DType:
    return default if dtype is None else dtypes.as_dtype(dtype)


def _fill_dtype(value: Any) -> dtypes.DType:
    if isinstance(value, bool):
        return dtypes.bool_
    if isinstance(value, int):
        return dtypes.int64
    if isinstance(value, float):
        return dtypes.get_default_dtype()
    if isinstance(value, complex):
        raise TypeError("plugtorch has no complex dtypes (see docs/array-api.md)")
    raise TypeError(f"fill_value must be a Python scalar, got {type(value).__name__}")


def asarray(
    obj: Any,
    /,
    *,
    dtype: Any = None,
    device: Any = None,
    copy: bool | None = None,
) -> Tensor:
    """An array from a tensor, a Python scalar, nested sequences, a buffer or a DLPack object.

    ``copy=None`` reuses ``obj`` when it already fits (for a tensor: autograd history kept),
    ``copy=False`` raises ``ValueError`` where a copy would be needed, ``copy=True`` always copies.
    """
    backend = backend_for_device(device) if device is not None else None
    target = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(obj, Tensor):
        needs_move = backend is not None and backend is not obj._backend
        needs_cast = target is not None and target is not obj._dtype
        if copy is False and (needs_move or needs_cast):
            raise ValueError("asarray(copy=False): a copy is needed to change dtype or device")
        out = obj
        if needs_move:
            out = _ops.to_backend(out, backend)
        if target is not None and needs_cast:
            out = _ops.astype(out, target)
        if copy and out is obj:
            out = _ops.clone(obj)
        return out
    backend = backend if backend is not None else registry.get_backend()
    if isinstance(obj, np.ndarray) or hasattr(obj, "__dlpack__") or hasattr(obj, "__array__"):
        host = np.asarray(obj)
        if copy is False:
            wanted = host if target is None else host.astype(target.numpy, copy=False)
            if wanted is not host and target is not None and host.dtype != target.numpy:
                raise ValueError("asarray(copy=False): a copy is needed to change dtype")
            if not holds_numpy(backend):
                raise ValueError(f"asarray(copy=False): backend {backend.name!r} must copy")
            return Tensor._make(host, backend, dtypes.from_numpy_dtype(host.dtype))
        if host.dtype.kind == "f" and target is None:
            target = dtypes.from_numpy_dtype(host.dtype)
        return _ops.tensor(host, target, backend=backend)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        host = (
            np.frombuffer(obj, dtype=np.uint8)
            if not isinstance(obj, memoryview)
            else (np.asarray(obj))
        )
        if copy is False:
            raise ValueError("asarray(copy=False) of a buffer: plugtorch always copies buffers")
        return _ops.tensor(host, target, backend=backend)
    if copy is False:
        raise ValueError("asarray(copy=False) of Python objects: a copy is always needed")
    if isinstance(obj, complex) or (isinstance(obj, (list, tuple)) and _contains_complex(obj)):
        raise TypeError("plugtorch has no complex dtypes (see docs/array-api.md)")
    if isinstance(obj, (list, tuple)) and _contains_tensor(obj):
        obj = _nested_host(obj)
    if target is None and isinstance(obj, float):
        target = dtypes.get_default_dtype()
    if target is not None and isinstance(obj, (list, tuple)):
        # convert on the host straight to the target: no detour through int64 or float64
        obj = np.asarray(obj, dtype=target.numpy)
    if target is not None and target.is_integer and not isinstance(obj, (list, tuple)):
        info = np.iinfo(target.numpy)
        if isinstance(obj, int) and not info.min <= obj <= info.max:
            raise OverflowError(f"{obj} does not fit in {target}")
    return _ops.tensor(obj, target, backend=backend)


def _contains_complex(obj: Sequence[Any]) -> bool:
    return any(
        isinstance(o, complex) or (isinstance(o, (list, tuple)) and _contains_complex(o))
        for o in obj
    )


def _contains_tensor(obj: Sequence[Any]) -> bool:
    return any(
        isinstance(o, Tensor) or (isinstance(o, (list, tuple)) and _contains_tensor(o)) for o in obj
    )


def _nested_host(obj: Any) -> Any:
    if isinstance(obj, Tensor):
        return to_host(obj)[()] if obj.ndim == 0 else to_host(obj)
    if isinstance(obj, (list, tuple)):
        return [_nested_host(o) for o in obj]
    return obj


def arange(
    start: int | float,
    /,
    stop: int | float | None = None,
    step: int | float = 1,
    *,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Evenly spaced values in ``[start, stop)``."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        dtype = dtypes.result_type([start, stop, step])
    dtype = dtypes.as_dtype(dtype)
    backend = backend_for_device(device)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if dtype.is_floating_point:
        # compute on the host in float64 so the length is ceil((stop - start) / step)
        count = max(math.ceil((stop - start) / step), 0)
        host = start + np.arange(count, dtype=np.float64) * step
        return from_host(host.astype(dtype.numpy), backend, dtype)
    if (step > 0 and stop <= start) or (step < 0 and stop >= start):
        return _ops.zeros(0, dtype=dtype, backend=backend)  # the standard: empty, no error
    return _ops.arange(start, stop, step, dtype=dtype, backend=backend)


def empty(shape: Shape, *, dtype: Any = None, device: Any = None) -> Tensor:
    """An array of ``shape`` (plugtorch fills it with zeros)."""
    return zeros(shape, dtype=dtype, device=device)


def empty_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """An array like ``x`` (filled with zeros)."""
    return zeros_like(x, dtype=dtype, device=device)


def zeros(shape: Shape, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Zeros of ``shape`` (default floating dtype)."""
    dtype = _dtype(dtype, dtypes.get_default_dtype())
    return _ops.zeros(_shape(shape), dtype=dtype, backend=backend_for_device(device))


def ones(shape: Shape, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Ones of ``shape`` (default floating dtype)."""
    dtype = _dtype(dtype, dtypes.get_default_dtype())
    return _ops.ones(_shape(shape), dtype=dtype, backend=backend_for_device(device))


def full(
    shape: Shape, fill_value: bool | int | float, *, dtype: Any = None, device: Any = None
) -> Tensor:
    """``fill_value`` everywhere; the dtype follows the value unless given."""
    dtype = _dtype(dtype, _fill_dtype(fill_value))
    return _ops.full(_shape(shape), fill_value, dtype=dtype, backend=backend_for_device(device))


def _like_backend(x: Tensor, device: Any) -> Any:
    return x._backend if device is None else backend_for_device(device)


def zeros_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Zeros with the shape (and by default dtype and device) of ``x``."""
    check_array(x, "zeros_like")
    dtype = _dtype(dtype, x._dtype)
    return _ops.zeros(x.shape, dtype=dtype, backend=_like_backend(x, device))


def ones_like(x: Tensor, /, *, dtype: Any = None, device: Any = None) -> Tensor:
    """Ones with the shape (and by default dtype and device) of ``x``."""
    check_array(x, "ones_like")
    dtype = _dtype(dtype, x._dtype)
    return _ops.ones(x.shape, dtype=dtype, backend=_like_backend(x, device))


def full_like(
    x: Tensor, /, fill_value: bool | int | float, *, dtype: Any = None, device: Any = None
) -> Tensor:
    """``fill_value`` with the shape (and by default dtype and device) of ``x``."""
    check_array(x, "full_like")
    dtype = _dtype(dtype, x._dtype)
    return _ops.full(x.shape, fill_value, dtype=dtype, backend=_like_backend(x, device))


def eye(
    n_rows: int,
    n_cols: int | None = None,
    /,
    *,
    k: int = 0,
    dtype: Any = None,
    device: Any = None,
) -> Tensor:
    """Ones on the ``k``-th diagonal, zeros elsewhere."""
    dtype = _dtype(dtype, dtypes.get_default_dtype())
    host = np.eye(n_rows, n_cols, k=k, dtype=dtype.numpy)
    return from_host(host, backend_for_device(device), dtype)


def linspace(
    start: int | float,
    stop: int | float,
    /,
    num: int,
    *,
    dtype: Any = None,
    device: Any = None,
    endpoint: bool = True,
) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    if isinstance(start, complex) or isinstance(stop, complex):
        raise TypeError("plugtorch has no complex dtypes (see docs/array-api.md)")
    dtype = _dtype(dtype, dtypes.get_default_dtype())
    host = np.linspace(start, stop, num, endpoint=endpoint, dtype=np.float64)
    return from_host(host.astype(dtype.numpy), backend_for_device(device), dtype)


def meshgrid(*arrays: Tensor, indexing: str = "xy") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D arrays (``indexing="xy"`` swaps the first two axes)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', got {indexing!r}")
    if not arrays:
        return ()
    dtype = arrays[0]._dtype
    if any(a._dtype is not dtype for a in arrays):
        raise ValueError("meshgrid(): all arrays must have the same dtype")
    sizes = [a.shape[0] if a.ndim else 1 for a in arrays]
    if indexing == "xy" and len(arrays) > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    shape = tuple(sizes)
    result = []
    for i, a in enumerate(arrays):
        position = i
        if indexing == "xy" and len(arrays) > 1 and i < 2:
            position = 1 - i
        view = [1] * len(arrays)
        view[position] = sizes[position]
        result.append(_ops.broadcast_to(_ops.reshape(a, tuple(view)), shape))
    return tuple(result)


def tril(x: Tensor, /, *, k: int = 0) -> Tensor:
    """The lower triangle of the last two axes (above the ``k``-th diagonal set to zero)."""
    return _ops.tril(check_array(x, "tril"), k)


def triu(x: Tensor, /, *, k: int = 0) -> Tensor:
    """The upper triangle of the last two axes."""
    return _ops.triu(check_array(x, "triu"), k)


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Tensor:
    """An array from any object with ``__dlpack__`` (numpy, CuPy, another plugtorch tensor)."""
    if isinstance(x, Tensor):
        return asarray(x, device=device, copy=copy)
    try:
        host = np.from_dlpack(x, copy=copy)
    except TypeError:
        host = np.from_dlpack(x)
    backend = backend_for_device(device)
    dtype = dtypes.from_numpy_dtype(host.dtype)
    if copy is not True and holds_numpy(backend):
        return Tensor._make(host, backend, dtype)
    return from_host(host, backend, dtype)
