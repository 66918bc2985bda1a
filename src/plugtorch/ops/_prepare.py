"""Argument preparation shared by the public ops: the one place that promotes and broadcasts.

Primitives are strict (same shape, same dtype), so before an elementwise op the core casts
its operands to the result dtype (``astype``, differentiable) and makes broadcasting explicit
(``expand``, whose backward is the only rule that sums a gradient back to a smaller shape).
"""

from __future__ import annotations

from typing import Any, Sequence

from plugtorch import dtypes
from plugtorch.backend import registry
from plugtorch.backend.protocol import Backend, require_dtype
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.storage import CONSTANT_COUNTER
from plugtorch.tensor import Tensor

__all__ = [
    "broadcast_shapes",
    "normalize_dim",
    "normalize_dims",
    "astype",
    "expand_to",
    "scalar_tensor",
    "scalar_dtype",
    "prepare_elementwise",
    "reduced_shape",
]

_SCALARS = (bool, int, float)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """The shape all ``shapes`` broadcast to (NumPy/PyTorch rules), or a ValueError naming them."""
    ndim = max((len(s) for s in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        offset = ndim - len(shape)
        for i, size in enumerate(shape):
            current = result[offset + i]
            if size == current or size == 1:
                continue
            if current == 1:
                result[offset + i] = size
            else:
                listed = " and ".join(str(tuple(s)) for s in shapes)
                raise ValueError(
                    f"shapes {listed} cannot be broadcast together: dimension {i - len(shape)} "
                    f"has sizes {current} and {size} (sizes must match or one must be 1)"
                )
    return tuple(result)


def normalize_dim(dim: int, ndim: int, name: str = "dim") -> int:
    """A dimension in ``range(ndim)`` from one that may be negative; IndexError otherwise."""
    bound = max(ndim, 1)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{name} must be an int, got {type(dim).__name__}")
    if not -bound <= dim < bound:
        raise IndexError(
            f"{name} {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected a value in [{-bound}, {bound - 1}])"
        )
    return dim % bound if ndim else 0


def normalize_dims(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Sorted, unique, non-negative dims; ``None`` means all. A 0-d tensor accepts dims 0 and
    -1 (as PyTorch) and has no dimension to reduce: ``()``."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        axis = normalize_dim(dim, ndim)
        return (axis,) if ndim else ()
    if isinstance(dim, str) or not isinstance(dim, Sequence):
        raise TypeError(f"dim must be an int or a tuple of ints, got {type(dim).__name__}")
    dims = tuple(sorted({normalize_dim(d, ndim) for d in dim}))
    if len(dims) != len(tuple(dim)):
        raise ValueError(f"dim {tuple(dim)} names a dimension twice")
    return dims if ndim else ()


def reduced_shape(shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> tuple[int, ...]:
    if keepdim:
        return tuple(1 if i in dims else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in dims)


# --- astype and expand: the two ops that make promotion and broadcasting explicit ---------


@op("astype", needs=())
def astype_op(backend: Backend, x: Any, *, dtype: dtypes.DType) -> Any:
    """Convert to another dtype. Gradient: cast back (only floating dtypes carry gradients)."""
    return backend.astype(x, dtype)


@astype_op.derivative
def _(ctx: Any, grad: Tensor) -> tuple[Tensor | None]:
    source = ctx.inputs[0]
    return (astype(grad, source.dtype),)


def astype(x: Tensor, dtype: dtypes.DType) -> Tensor:
    """``x`` converted to ``dtype`` (a no-op when it already has it)."""
    if x._dtype is dtype:
        return x
    if dtype not in x._backend.capabilities.dtypes:
        require_dtype(x._backend, dtype)
    return apply(astype_op, (x,), dtype, dtype=dtype)


@op("expand", needs=(), view=True)
def expand_op(backend: Backend, x: Any, *, shape: tuple[int, ...]) -> Any:
    """Broadcast to a larger shape (a view). Gradient: sum over the broadcast dimensions."""
    return backend.broadcast_to(x, shape)


@expand_op.inverse
def _(backend: Backend, base: Any, value: Any, *, shape: tuple[int, ...]) -> Any:
    raise RuntimeError(
        "unsupported operation: more than one element of the written-to tensor refers to a "
        "single memory location. Please clone() the tensor before performing the operation."
    )


@expand_op.layout_rule
def _(current: Any, *, shape: tuple[int, ...]) -> Any:
    source_shape, strides, offset = current
    lead = len(shape) - len(source_shape)
    new_strides = tuple(
        0 if i < lead or (source_shape[i - lead] == 1 and size != 1) else strides[i - lead]
        for i, size in enumerate(shape)
    )
    return tuple(shape), new_strides, offset


@expand_op.derivative
def _(ctx: Any, grad: Tensor) -> tuple[Tensor]:
    source_shape = ctx.inputs[0].shape
    lead = grad.ndim - len(source_shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(source_shape) if size == 1 and grad.shape[lead + i] != 1
    )
    if dims:
        grad = grad.sum(dims)
    return (grad.reshape(source_shape),)


def expand_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``x`` broadcast to ``shape`` (a no-op when it already has it)."""
    if x.shape == shape:
        return x
    broadcast_shapes(x.shape, shape)  # raises a clear error when impossible
    return apply(expand_op, (x,), x._dtype, shape=shape)


# Broadcast constants are read-only views and primitives never mutate inputs, so the same
# constant array can be reused: `x * 0.5` in a loop costs a dict lookup, not an allocation.
_CONSTANTS: dict[tuple[Any, ...], Any] = {}
_CONSTANTS_LIMIT = 512


def scalar_tensor(value: Any, backend: Any, dtype: dtypes.DType, shape: tuple[int, ...]) -> Tensor:
    """A Python scalar as a tensor of ``shape`` (a zero-stride view where the backend allows)."""
    # -0.0 == 0.0, so the key carries the sign of a zero (x * -0.0 is not x * 0.0)
    key = (id(backend), dtype, type(value), value, shape, value == 0 and str(value)[0] == "-")
    data = _CONSTANTS.get(key)
    if data is None:
        data = backend.full((), value, dtype)
        if shape:
            data = backend.broadcast_to(data, shape)
        if len(_CONSTANTS) >= _CONSTANTS_LIMIT:
            _CONSTANTS.clear()
        _CONSTANTS[key] = data
    constant = Tensor._make(data, backend, dtype)
    constant._counter = CONSTANT_COUNTER
    return constant


def scalar_dtype(tensor: Tensor, value: Any) -> dtypes.DType | None:
    """The result dtype of ``tensor (op) python scalar`` when the scalar does not promote."""
    kind = tensor._dtype.category
    scalar_type = type(value)
    if scalar_type is float:
        return tensor._dtype if kind == 2 else None
    if scalar_type is int:
        return tensor._dtype if kind >= 1 else None
    if scalar_type is bool:
        return tensor._dtype
    return None


def _operand_backend(name: str, operands: Sequence[Any]) -> Any:
    backend = None
    for operand in operands:
        if isinstance(operand, Tensor):
            if backend is None:
                backend = operand._backend
            elif operand._backend is not backend:
                raise mixed_backend_error(name, backend, operand._backend)
        elif not isinstance(operand, _SCALARS):
            raise TypeError(
                f"{name}: unsupported operand type {type(operand).__name__}; expected a "
                "plugtorch Tensor or a Python number (wrap arrays with plugtorch.tensor())"
            )
    return backend if backend is not None else registry.get_backend()


def prepare_elementwise(
    name: str, operands: Sequence[Any], dtype: dtypes.DType | None = None
) -> tuple[list[Tensor], dtypes.DType]:
    """Tensors of one backend, one dtype and one shape, from tensors and Python scalars.

    The common dtype follows PyTorch's promotion (``dtypes.result_type``) unless ``dtype``
    forces one.
    """
    first = operands[0]
    if len(operands) == 2:
        second = operands[1]
        if (
            isinstance(first, Tensor)
            and isinstance(second, Tensor)
            and first._dtype is second._dtype
            and (dtype is None or dtype is first._dtype)
        ):
            if first._backend is not second._backend:
                raise mixed_backend_error(name, first._backend, second._backend)
            if first.shape == second.shape:
                return [first, second], first._dtype
        elif dtype is None:
            # tensor (op) scalar and scalar (op) tensor: the hot path of most models
            if isinstance(first, Tensor) and type(second) in _SCALARS:
                common = scalar_dtype(first, second)
                if common is not None:
                    constant = scalar_tensor(second, first._backend, common, first.shape)
                    return [first, constant], common
            elif isinstance(second, Tensor) and type(first) in _SCALARS:
                common = scalar_dtype(second, first)
                if common is not None:
                    constant = scalar_tensor(first, second._backend, common, second.shape)
                    return [constant, second], common
    backend = _operand_backend(name, operands)
    if dtype is None:
        dtype = dtypes.result_type(
            (o._dtype, o.ndim) if isinstance(o, Tensor) else o for o in operands
        )
    shape = broadcast_shapes(*(o.shape for o in operands if isinstance(o, Tensor)))
    prepared = []
    for operand in operands:
        if isinstance(operand, Tensor):
            prepared.append(expand_to(astype(operand, dtype), shape))
        else:
            prepared.append(scalar_tensor(operand, backend, dtype, shape))
    return prepared, dtype
