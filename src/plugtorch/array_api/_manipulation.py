"""Manipulation functions of the array API standard, composed from plugtorch's movement ops
(all differentiable)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

import plugtorch.ops as _ops
from plugtorch.array_api._helpers import as_axes, as_axis, check_array, promote_all, to_host
from plugtorch.ops._prepare import broadcast_shapes as _broadcast_shapes
from plugtorch.tensor import Tensor

__all__ = [
    "broadcast_arrays", "broadcast_shapes", "broadcast_to", "concat", "expand_dims", "flip",
    "moveaxis", "permute_dims", "repeat", "reshape", "roll", "squeeze", "stack", "tile",
    "unstack",
]  # fmt: skip


def broadcast_arrays(*arrays: Tensor) -> tuple[Tensor, ...]:
    """The arrays broadcast to one shape (views)."""
    return tuple(_ops.broadcast_tensors(*arrays))


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to."""
    return _broadcast_shapes(*shapes)


def broadcast_to(x: Tensor, /, shape: tuple[int, ...]) -> Tensor:
    """``x`` broadcast to ``shape`` (a view; the gradient sums back)."""
    check_array(x, "broadcast_to")
    return _ops.broadcast_to(x, tuple(shape))


def _same_dtype(name: str, arrays: Sequence[Tensor]) -> list[Tensor]:
    arrays = list(arrays)
    if not arrays:
        raise ValueError(f"{name}() needs at least one array")
    return promote_all(name, *arrays)


def concat(arrays: Sequence[Tensor], /, *, axis: int | None = 0) -> Tensor:
    """Join arrays along an existing axis (flattened first when ``axis`` is None)."""
    arrays = _same_dtype("concat", arrays)
    if axis is None:
        arrays = [_ops.reshape(a, (-1,)) for a in arrays]
        axis = 0
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("concat(): 0-d arrays cannot be concatenated; use stack()")
    return _ops.cat(arrays, axis) if len(arrays) > 1 else _ops.clone(arrays[0])


def stack(arrays: Sequence[Tensor], /, *, axis: int = 0) -> Tensor:
    """Join arrays of one shape along a new axis."""
    return _ops.stack(_same_dtype("stack", arrays), axis)


def expand_dims(x: Tensor, /, axis: int | tuple[int, ...] = 0) -> Tensor:
    """Insert axes of size 1 at the positions ``axis`` names in the result."""
    check_array(x, "expand_dims")
    ndim = x.ndim + (1 if isinstance(axis, int) else len(axis))
    positions = (axis,) if isinstance(axis, int) else tuple(axis)
    normalized = []
    for p in positions:
        if not -ndim <= p < ndim:
            raise IndexError(f"axis {p} is out of range for a result with {ndim} dimensions")
        normalized.append(p % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"expand_dims(): axis {axis} names a position twice")
    sizes = iter(x.shape)
    shape = tuple(1 if i in normalized else next(sizes) for i in range(ndim))
    return _ops.reshape(x, shape)


def squeeze(x: Tensor, /, axis: int | tuple[int, ...]) -> Tensor:
    """Remove the named axes, which must have size 1."""
    check_array(x, "squeeze")
    axes = as_axes(axis, x.ndim) or ()
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze(): axis {a} has size {x.shape[a]}, not 1")
    return _ops.reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in axes))


def flip(x: Tensor, /, *, axis: int | tuple[int, ...] | None = None) -> Tensor:
    """Reverse the order of elements along ``axis`` (all axes by default)."""
    check_array(x, "flip")
    axes = as_axes(axis, x.ndim)
    axes = tuple(range(x.ndim)) if axes is None else axes
    return _ops.flip(x, axes) if axes else _ops.clone(x)


def moveaxis(
    x: Tensor, source: int | tuple[int, ...], destination: int | tuple[int, ...], /
) -> Tensor:
    """Move axes to new positions, the others keeping their order."""
    check_array(x, "moveaxis")
    src = as_axes(source, x.ndim) or ()
    dst = as_axes(destination, x.ndim) or ()
    if len(src) != len(dst):
        raise ValueError("moveaxis(): source and destination must have the same length")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return _ops.permute(x, tuple(order))


def permute_dims(x: Tensor, /, axes: tuple[int, ...]) -> Tensor:
    """Reorder the axes (a view)."""
    check_array(x, "permute_dims")
    if len(axes) != x.ndim:
        raise ValueError(f"permute_dims(): axes {axes} do not match {x.ndim} dimensions")
    return _ops.permute(x, tuple(axes))


def reshape(x: Tensor, /, shape: tuple[int, ...], *, copy: bool | None = None) -> Tensor:
    """``x`` with a new shape (one size may be -1)."""
    check_array(x, "reshape")
    out = _ops.reshape(x, tuple(shape))
    return _ops.clone(out) if copy else out


def roll(
    x: Tensor, /, shift: int | tuple[int, ...], *, axis: int | tuple[int, ...] | None = None
) -> Tensor:
    """Rotate elements along ``axis`` (the flattened array when None)."""
    check_array(x, "roll")
    if axis is not None and isinstance(shift, int) and not isinstance(axis, int):
        shift = (shift,) * len(axis)
    if axis is not None and not isinstance(axis, int):
        if isinstance(shift, int) or len(shift) != len(axis):
            raise ValueError("roll(): shift and axis must have the same length")
    return _ops.roll(x, shift if isinstance(shift, int) else tuple(shift), axis)


def repeat(x: Tensor, repeats: int | Tensor, /, *, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None)."""
    check_array(x, "repeat")
    if axis is None:
        x, axis = _ops.reshape(x, (-1,)), 0
    axis = as_axis(axis, x.ndim)
    counts = to_host(repeats) if isinstance(repeats, Tensor) else repeats
    if np.any(np.asarray(counts) < 0):
        raise ValueError("repeat(): repeats must be non-negative")
    positions = np.repeat(np.arange(x.shape[axis]), counts)
    index = _ops.tensor(positions, "int64", backend=x._backend)
    return _ops.index_select(x, axis, index)


def tile(x: Tensor, repetitions: tuple[int, ...], /) -> Tensor:
    """``x`` repeated ``repetitions[i]`` times along each axis (composite: broadcast, reshape)."""
    check_array(x, "tile")
    reps = tuple(repetitions)
    ndim = max(x.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + tuple(x.shape)
    interleaved = tuple(s for pair in zip((1,) * ndim, shape) for s in pair)
    expanded = tuple(s for pair in zip(reps, shape) for s in pair)
    base = _ops.reshape(x, interleaved)
    out = _ops.broadcast_to(base, expanded)
    return _ops.reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def unstack(x: Tensor, /, *, axis: int = 0) -> tuple[Tensor, ...]:
    """The slices of ``x`` along ``axis``."""
    check_array(x, "unstack")
    axis = as_axis(axis, x.ndim)
    moved = _ops.movedim(x, axis, 0)
    return tuple(moved[i] for i in range(moved.shape[0]))
