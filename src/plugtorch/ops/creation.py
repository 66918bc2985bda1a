"""Making tensors: from data, constants, ranges and random numbers.

Every function takes ``dtype=`` and ``backend=`` (a name or a backend object); without
``backend`` the current choice applies (see :mod:`plugtorch.backend.registry`). ``device=`` is
accepted for PyTorch compatibility and checked against the backend's devices.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch import random as _random
from plugtorch.backend import registry
from plugtorch.backend.protocol import require_dtype
from plugtorch.device import resolve as resolve_device
from plugtorch.tensor import Tensor

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace",
    "eye", "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "randint",
    "rand_like", "randn_like", "randint_like", "randperm", "scalar_tensor",
]  # fmt: skip


def _backend(backend: Any, device: Any = None, current: Any = None) -> Any:
    """The backend a factory makes its tensor on: ``device=`` means exactly what ``backend=``
    means (a backend name, a :class:`~plugtorch.Device`, ``"cuda[:N]"``), except that plain
    ``"cpu"`` is any host backend (``current``, the selected one, or numpy). Naming two
    different backends is an error, never a silent choice."""
    if device is None:
        if backend is None and current is not None:
            return current
        return registry.get_backend(backend)
    chosen = None if backend is None else registry.get_backend(backend)
    # "cpu" keeps a host backend named by backend= (or the like-tensor's)
    host = chosen if chosen is not None else current
    named = resolve_device(device, host if isinstance(device, str) else None)
    if chosen is not None and named is not chosen:
        raise ValueError(
            f"backend={chosen.name!r} and device={device!r} name different backends "
            f"({chosen.name!r} and {named.name!r}); pass only one of them"
        )
    return named


def size_argument(
    size: Sequence[Any], function: str = "size", argument: str = "size"
) -> tuple[int, ...]:
    """A shape (or repeat counts) from ``(2, 3)``, ``((2, 3),)`` or ``([2, 3],)``: ints
    only, none negative."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = []
    for position, item in enumerate(size):
        try:
            shape.append(operator.index(item))  # ints and numpy integers, never 2.5
        except TypeError:
            raise TypeError(
                f"{function}(): argument '{argument}' must be a tuple of ints, but found "
                f"element of type {type(item).__name__} at pos {position}"
            ) from None
    if any(s < 0 for s in shape):
        raise ValueError(
            f"{function}(): trying to create tensor with negative dimension: {tuple(shape)}"
        )
    return tuple(shape)


def _check_python_values(source: np.ndarray, dtype: dtypes.DType) -> None:
    """Python numbers must fit the dtype they are stored in: PyTorch raises "value cannot be
    converted to type ... without overflow" where a cast would wrap (300 as uint8), saturate
    or become INT_MIN (nan as int64). Floats are truncated into integer dtypes when in range;
    a negative int may wrap into an unsigned dtype when its magnitude fits (-1 -> 255), as in
    PyTorch. Bool targets take any number (nonzero is True)."""
    if dtype is dtypes.bool_ or source.size == 0 or source.dtype.kind == "b":
        return
    if dtype.is_floating_point:
        if dtype is dtypes.float64 or source.dtype.kind != "f":
            return
        finite = source[np.isfinite(source)]
        largest = dtypes.finfo(dtype).max
        if finite.size and np.abs(finite).max() <= largest:
            return
        if not finite.size:
            return
        bad = finite[np.abs(finite) > largest][0]
    else:
        info = np.iinfo(dtype.numpy)
        if source.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                outside = ~((source >= info.min) & (source <= info.max))  # nan and inf too
        elif info.min == 0:  # unsigned: a negative int wraps when its magnitude fits
            outside = (source > info.max) | (source < -int(info.max))
        else:
            outside = (source < info.min) | (source > info.max)
        if not outside.any():
            return
        bad = source[outside][0]
    raise ValueError(
        f"value {bad.item()!r} cannot be converted to type {dtype.name} without overflow; "
        f"pick a wider dtype or bring the value into range"
    )


def _infer_dtype(host: np.ndarray) -> dtypes.DType:
    kind = host.dtype.kind
    if kind == "b":
        return dtypes.bool_
    if kind in "iu":
        return dtypes.from_numpy_dtype(host.dtype) if isinstance(host, np.ndarray) else dtypes.int64
    if kind == "f":
        return dtypes.get_default_dtype()
    if host.dtype.name == "bfloat16":  # an ml_dtypes array
        return dtypes.bfloat16
    raise TypeError(f"can't make a tensor from data of numpy dtype {host.dtype}")


def tensor(
    data: Any,
    dtype: Any = None,
    *,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A new tensor with a copy of ``data`` (nested lists, numbers, numpy arrays, tensors).

    Python floats become ``float32`` (the default dtype), ints ``int64``, bools ``bool``; a
    numpy array keeps its dtype, except that float64 arrays become float64 only if asked
    (as in PyTorch, ``torch.tensor(np.array([1.0]))`` is float64: we follow that).

    >>> import plugtorch as pt
    >>> pt.tensor([[1, 2], [3, 4]]).dtype
    plugtorch.int64
    >>> pt.tensor(2.5)
    tensor(2.5000)
    """
    b = _backend(backend, device)
    if isinstance(data, Tensor):
        source = np.asarray(data._backend.to_numpy(data._data))
        inferred = data._dtype
    else:
        if isinstance(data, np.ndarray):
            source = data
            inferred = dtypes.from_numpy_dtype(data.dtype)
        else:
            source = np.asarray(data)
            if source.dtype == object:
                raise TypeError(
                    "tensor(): data must be numbers or (nested) lists of numbers of one shape"
                )
            inferred = _infer_dtype(source)
            if source.dtype.kind in "iu":
                inferred = dtypes.int64
            if dtype is not None:
                _check_python_values(source, dtypes.as_dtype(dtype))
    target = dtypes.as_dtype(dtype) if dtype is not None else inferred
    require_dtype(b, target)
    result = Tensor._make(b.asarray(source, target), b, target)
    if requires_grad:
        result.requires_grad_()
    return result


def as_tensor(data: Any, dtype: Any = None, *, backend: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but returns ``data`` itself when it already fits.

    >>> import plugtorch as pt
    >>> t = pt.ones(2)
    >>> pt.as_tensor(t) is t
    True
    """
    if isinstance(data, Tensor):
        wanted = _backend(backend, device, data._backend)
        result = data if wanted is data._backend else data.to(wanted)
        return result if dtype is None else result.to(dtypes.as_dtype(dtype))
    if isinstance(data, np.ndarray) and data.dtype.isnative:
        # PyTorch shares a numpy array's memory when the dtype (and device) already fit.
        b = _backend(backend, device)
        fits = dtype is None or dtypes.as_dtype(dtype).numpy == data.dtype
        # (a read-only array is copied: a tensor over it could not be written in place)
        shares = data.flags.writeable and data.dtype.kind in "biuf" and _shares_numpy(b)
        if fits and shares:
            return from_numpy(data, backend=b)
    return tensor(data, dtype, backend=backend, device=device)


def holds_numpy(backend: Any) -> bool:
    """Whether the backend's arrays are numpy arrays (the numpy and numba backends), so that a
    numpy array can be a tensor's storage as it is."""
    return backend.capabilities.host_memory and isinstance(
        backend.full((), 0, dtypes.bool_), np.ndarray
    )


def _shares_numpy(b: Any) -> bool:
    """holds_numpy, and in-place writes reach the array (a mutable backend)."""
    return b.capabilities.mutable and holds_numpy(b)


def from_numpy(array: np.ndarray, *, backend: Any = None) -> Tensor:
    """A tensor from a numpy array, keeping its dtype. It shares the array's memory (writes
    through either reach the other) on backends whose arrays are numpy arrays (numpy, numba);
    others copy it to their own memory.

    >>> import numpy as np, plugtorch as pt
    >>> pt.from_numpy(np.arange(3)).dtype
    plugtorch.int64
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    b = _backend(backend)
    dtype = dtypes.from_numpy_dtype(array.dtype)
    require_dtype(b, dtype)
    if _shares_numpy(b):
        if not array.flags.writeable:
            warnings.warn(
                "from_numpy: the array is not writable; the tensor shares its memory, so an "
                "in-place operation on it will fail (copy it first: np.array(a) or "
                "plugtorch.tensor(a))",
                UserWarning,
                stacklevel=2,
            )
        return Tensor._make(array, b, dtype)
    return Tensor._make(b.asarray(array, dtype), b, dtype)


def full(
    size: Sequence[int],
    fill_value: bool | int | float,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value).

    >>> import plugtorch as pt
    >>> pt.full((2,), 7)
    tensor([7, 7])
    """
    b = _backend(backend, device)
    shape = size_argument((size,), "full")
    if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.bool_, np.number)):
        raise TypeError(
            f"full(): fill_value must be a Python number, got {type(fill_value).__name__}"
        )
    if dtype is None:
        dtype = dtypes.result_type([fill_value])
    dtype = dtypes.as_dtype(dtype)
    _check_python_values(np.asarray(fill_value), dtype)
    require_dtype(b, dtype)
    out = Tensor._make(b.full(shape, fill_value, dtype), b, dtype)
    return out.requires_grad_() if requires_grad else out


def zeros(
    *size: Any,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of zeros (default dtype float32).

    >>> import plugtorch as pt
    >>> pt.zeros(2, 3).shape
    (2, 3)
    """
    return full(
        size_argument(size, "zeros"),
        0,
        dtype=dtype or dtypes.get_default_dtype(),
        backend=backend,
        device=device,
        requires_grad=requires_grad,
    )


def ones(
    *size: Any,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of ones (default dtype float32).

    >>> import plugtorch as pt
    >>> pt.ones(2)
    tensor([1., 1.])
    """
    return full(
        size_argument(size, "ones"),
        1,
        dtype=dtype or dtypes.get_default_dtype(),
        backend=backend,
        device=device,
        requires_grad=requires_grad,
    )


def empty(
    *size: Any,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """An uninitialised tensor; plugtorch fills it with zeros so results never depend on garbage.

    >>> import plugtorch as pt
    >>> pt.empty(3).shape
    (3,)
    """
    return zeros(*size, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad)


def like_arguments(input: Tensor, dtype: Any, backend: Any, device: Any) -> tuple[Any, Any]:
    """The dtype and backend of a tensor made like ``input``: ``input``'s own unless
    ``dtype``, ``backend`` or ``device`` name others (the ``*_like`` and ``new_*`` rule)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"expected a Tensor as input, got {type(input).__name__}")
    return (dtype or input._dtype), _backend(backend, device, input._backend)


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Zeros with the shape (and by default dtype and backend) of ``input``.

    >>> import plugtorch as pt
    >>> pt.zeros_like(pt.ones(2, dtype=pt.int32))
    tensor([0, 0], dtype=plugtorch.int32)
    """
    d, b = like_arguments(input, dtype, backend, device)
    return full(input.shape, 0, dtype=d, backend=b, requires_grad=requires_grad)


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Ones with the shape (and by default dtype and backend) of ``input``.

    >>> import plugtorch as pt
    >>> pt.ones_like(pt.zeros(2))
    tensor([1., 1.])
    """
    d, b = like_arguments(input, dtype, backend, device)
    return full(input.shape, 1, dtype=d, backend=b, requires_grad=requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` with the shape (and by default dtype and backend) of ``input``.

    >>> import plugtorch as pt
    >>> pt.full_like(pt.zeros(2), 3)
    tensor([3., 3.])
    """
    d, b = like_arguments(input, dtype, backend, device)
    return full(input.shape, fill_value, dtype=d, backend=b, requires_grad=requires_grad)


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Like :func:`zeros_like` (plugtorch never hands out uninitialised memory).

    >>> import plugtorch as pt
    >>> pt.empty_like(pt.ones(2)).shape
    (2,)
    """
    return zeros_like(
        input, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad
    )


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` (inclusive) to ``end`` (exclusive) spaced by ``step``.

    Integers give int64, any float argument gives the default float dtype.

    >>> import plugtorch as pt
    >>> pt.arange(3)
    tensor([0, 1, 2])
    """
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"arange(): {name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ValueError(f"arange(): unsupported range: {start} -> {end}")
    if step == 0 or not math.isfinite(step):
        raise ValueError(f"arange(): step must be nonzero and finite, got {step}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ValueError(
            f"arange(): upper bound and larger bound inconsistent with step sign "
            f"(start {start}, end {end}, step {step})"
        )
    if dtype is None:
        dtype = dtypes.result_type([start, end, step])
    dtype = dtypes.as_dtype(dtype)
    b = _backend(backend, device)
    require_dtype(b, dtype)
    out = Tensor._make(b.arange(start, end, step, dtype), b, dtype)
    return out.requires_grad_() if requires_grad else out


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> import plugtorch as pt
    >>> pt.linspace(0, 1, 3)
    tensor([0.0000, 0.5000, 1.0000])
    """
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace(): steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise ValueError(f"linspace(): number of steps must be non-negative, got {steps}")
    host = np.linspace(start, end, int(steps), dtype=np.float64)
    return tensor(host, dtype, backend=backend, device=device, requires_grad=requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """The ``n x m`` identity matrix.

    >>> import plugtorch as pt
    >>> pt.eye(2)
    tensor([[1., 0.],
            [0., 1.]])
    """
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    rows, cols = size_argument((n, n if m is None else m), "eye")
    return tensor(
        np.eye(rows, cols), dtype, backend=backend, device=device, requires_grad=requires_grad
    )


def _random_tensor(
    host: np.ndarray,
    dtype: dtypes.DType,
    backend: Any,
    device: Any,
    requires_grad: bool,
    current: Any = None,
) -> Tensor:
    b = _backend(backend, device, current)
    require_dtype(b, dtype)
    out = Tensor._make(b.asarray(host, dtype), b, dtype)
    return out.requires_grad_() if requires_grad else out


def _float_dtype(dtype: Any) -> dtypes.DType:
    result = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if not result.is_floating_point:
        raise TypeError(f"expected a floating dtype, got {result}")
    return result


def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform random numbers in ``[0, 1)`` from the global seeded generator (or
    ``generator``, a :class:`plugtorch.Generator`): one seed, the same numbers on every backend.

    >>> import plugtorch as pt
    >>> _ = pt.manual_seed(0)
    >>> pt.rand(2).shape
    (2,)
    """
    d = _float_dtype(dtype)
    stream = _random.numpy_generator(generator)
    if d in dtypes.LOW_PRECISION:
        # PyTorch draws 16-bit uniforms on the grid k / 2**digits, so none rounds up to 1.0
        steps = 2.0 ** (11 if d is dtypes.float16 else 8)
        host = np.floor(stream.random(size_argument(size, "rand")) * steps) / steps
    else:
        host = stream.random(size_argument(size, "rand"), dtype=d.numpy)
    return _random_tensor(host, d, backend, device, requires_grad)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal random numbers from the global seeded generator (or ``generator``).

    >>> import plugtorch as pt
    >>> pt.randn(2, 3).shape
    (2, 3)
    """
    d = _float_dtype(dtype)
    stream = _random.numpy_generator(generator)
    drawn = d if d not in dtypes.LOW_PRECISION else dtypes.float32  # then rounded once
    host = stream.standard_normal(size_argument(size, "randn"), dtype=drawn.numpy)
    return _random_tensor(host, d, backend, device, requires_grad)


def _integer_bound(value: Any, name: str) -> int:
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"randint(): {name} must be an int, got {type(value).__name__}")
    return int(value)


def _randint_host(
    low: int, high: int, shape: tuple[int, ...], dtype: dtypes.DType, generator: Any
) -> np.ndarray:
    if low >= high:
        raise ValueError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if dtype is dtypes.bool_:
        fits = 0 <= low and high <= 2
    elif dtype.is_floating_point:
        fits = True
    else:
        info = np.iinfo(dtype.numpy)
        fits = info.min <= low and high - 1 <= info.max
    if not fits:
        raise ValueError(
            f"randint(): [{low}, {high}) does not fit dtype {dtype.name}; pick a wider dtype"
        )
    if high - 1 > np.iinfo(np.int64).max or low < np.iinfo(np.int64).min:
        raise ValueError(f"randint(): bounds [{low}, {high}) must fit in int64")
    stream = _random.numpy_generator(generator)
    return stream.integers(low, high, size=shape, dtype=np.int64)


def randint(
    low: int,
    high: Any = None,
    size: Sequence[int] | None = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Random integers in ``[low, high)``, int64 by default, as ``torch.randint``: both
    ``randint(low, high, size)`` and ``randint(high, size)`` (``low`` is then 0).

    >>> import plugtorch as pt
    >>> pt.randint(0, 10, (3,)).dtype
    plugtorch.int64
    >>> int(pt.randint(1, (2, 2)).sum())  # randint(high, size): [0, 1) is all zeros
    0
    """
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError(
                "randint() missing required argument 'size' (a tuple of ints): "
                "randint(high, size) or randint(low, high, size)"
            )
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    shape = size_argument((size,), "randint")
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    lower, upper = _integer_bound(low, "low"), _integer_bound(high, "high")
    host = _randint_host(lower, upper, shape, d, generator)
    return _random_tensor(host, d, backend, device, requires_grad)


def randint_like(
    input: Tensor,
    low: int = 0,
    high: int | None = None,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Random integers in ``[low, high)`` with the shape (and by default dtype and backend) of
    ``input``; ``randint_like(input, high)`` draws from ``[0, high)``.

    >>> import plugtorch as pt
    >>> pt.randint_like(pt.zeros(3), 5).dtype
    plugtorch.float32
    """
    if high is None:
        low, high = 0, low
    d, _ = like_arguments(input, dtype, None, None)
    host = _randint_host(
        _integer_bound(low, "low"), _integer_bound(high, "high"), input.shape, d, None
    )
    return _random_tensor(host, d, backend, device, requires_grad, input._backend)


def rand_like(
    input: Tensor,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform ``[0, 1)`` with the shape (and by default dtype and backend) of ``input``.

    >>> import plugtorch as pt
    >>> pt.rand_like(pt.zeros(2)).shape
    (2,)
    """
    d, b = like_arguments(input, dtype, backend, device)
    return rand(input.shape, dtype=d, backend=b, requires_grad=requires_grad)


def randn_like(
    input: Tensor,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal with the shape (and by default dtype and backend) of ``input``.

    >>> import plugtorch as pt
    >>> pt.randn_like(pt.zeros(2)).shape
    (2,)
    """
    d, b = like_arguments(input, dtype, backend, device)
    return randn(input.shape, dtype=d, backend=b, requires_grad=requires_grad)


def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of ``0..n-1`` (int64 by default).

    >>> import plugtorch as pt
    >>> sorted(pt.randperm(4).tolist())
    [0, 1, 2, 3]
    """
    (count,) = size_argument((n,), "randperm")
    host = _random.numpy_generator(generator).permutation(count).astype(np.int64)
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.int64
    return _random_tensor(host, d, backend, device, requires_grad)


def scalar_tensor(
    value: float,
    *,
    dtype: Any = None,
    backend: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A 0-d tensor holding ``value`` (default float dtype).

    >>> import plugtorch as pt
    >>> pt.scalar_tensor(3).ndim
    0
    """
    d = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    return full((), value, dtype=d, backend=backend, device=device, requires_grad=requires_grad)
