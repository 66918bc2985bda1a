"""Repeating a tensor: ``Tensor.repeat`` and ``tile`` (whole copies side by side) and
``repeat_interleave`` (each element repeated in place).

All three are compositions of differentiable ops (``reshape``/``expand`` for whole copies,
``index_select`` for per-element counts), so their gradients sum over the copies with no rule
of their own. Counts are checked here, before any backend sees them.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.ops._prepare import normalize_dim
from plugtorch.ops.creation import arange, size_argument
from plugtorch.ops.indexing import index_select
from plugtorch.ops.registry import mixed_backend_error
from plugtorch.ops.shape import expand, reshape
from plugtorch.tensor import Tensor

# `repeat` is a Tensor method only, as in PyTorch (torch.repeat does not exist).
__all__ = ["tile", "repeat_interleave"]


def _counts(sizes: Sequence[Any], function: str) -> tuple[int, ...]:
    """Repeat counts from ``(2, 3)``, ``((2, 3),)`` or a shape: ints, none negative."""
    return size_argument(sizes, function, "repeats")


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """``input`` copied ``sizes[d]`` times along each dimension (``Tensor.repeat``; the data
    is copied, unlike ``expand``). ``sizes`` may name more dimensions than ``input`` has: new
    leading dimensions of size 1 are added first. Gradient: the sum over the copies.

    >>> import plugtorch as pt
    >>> pt.tensor([1, 2, 3]).repeat(2, 2)
    tensor([[1, 2, 3, 1, 2, 3],
            [1, 2, 3, 1, 2, 3]])
    """
    counts = _counts(sizes, "repeat")
    if len(counts) < input.ndim:
        raise ValueError(
            f"Number of dimensions of repeat dims ({len(counts)}) can not be smaller than number "
            f"of dimensions of tensor ({input.ndim}); give one count per dimension, e.g. "
            f"x.repeat({', '.join(['1'] * input.ndim)})"
        )
    shape = (1,) * (len(counts) - input.ndim) + tuple(input.shape)
    interleaved: list[int] = []  # (1, s0, 1, s1, ...) expanded to (r0, s0, r1, s1, ...)
    expanded: list[int] = []
    for count, size in zip(counts, shape):
        interleaved += [1, size]
        expanded += [count, size]
    spread = expand(reshape(input, tuple(interleaved)), tuple(expanded))
    return reshape(spread, tuple(c * s for c, s in zip(counts, shape)))


def tile(input: Tensor, dims: Sequence[int]) -> Tensor:
    """``input`` repeated ``dims[d]`` times along each dimension; with fewer ``dims`` than
    dimensions, leading 1s are assumed (``tile(x, (2,))`` of a matrix repeats its columns).
    Gradient: the sum over the copies.

    >>> import plugtorch as pt
    >>> pt.tile(pt.tensor([[1, 2], [3, 4]]), (2,))
    tensor([[1, 2, 1, 2],
            [3, 4, 3, 4]])
    """
    if isinstance(dims, int):
        raise TypeError("tile(): argument 'dims' must be a tuple of ints, e.g. tile(x, (2,))")
    counts = _counts((dims,), "tile")
    return repeat(input, (1,) * (input.ndim - len(counts)) + counts)


def _repeat_counts(repeats: Tensor, size: int) -> np.ndarray:
    """Host int64 counts of a repeats tensor for a dimension of ``size``, after PyTorch's
    checks (an integer tensor, 0-d or 1-D, one count per element or one for all, >= 0)."""
    if repeats._dtype.is_floating_point or repeats._dtype is dtypes.bool_:
        raise TypeError(
            f"repeat_interleave(): repeats must be an integer tensor, got {repeats._dtype}"
        )
    if repeats.ndim > 1:
        raise ValueError(
            f"repeat_interleave(): repeats must be 0-dim or 1-dim tensor, got {repeats.ndim} "
            "dimensions"
        )
    counts = np.asarray(repeats._backend.to_numpy(repeats._data), dtype=np.int64).reshape(-1)
    if counts.size == 1:
        counts = np.full(size, counts[0], dtype=np.int64)
    elif counts.size != size:
        raise ValueError(
            f"repeat_interleave(): repeats must have the same size as input along dim, but got "
            f"repeats.size(0) = {counts.size} and input.size(dim) = {size}"
        )
    if (counts < 0).any():
        raise ValueError("repeat_interleave(): repeats can not be negative")
    return counts


def repeat_interleave(
    input: Tensor,
    repeats: int | Tensor | None = None,
    dim: int | None = None,
    *,
    output_size: int | None = None,
) -> Tensor:
    """Each element (``dim=None``: of the flattened input) or each slice along ``dim``
    repeated ``repeats`` times in place; ``repeats`` is an int or an integer tensor with one
    count per slice (or one count for all). ``output_size``, when given, must be the total
    (PyTorch uses it to skip a device sync). ``repeat_interleave(counts)`` alone gives
    ``[0, 0, ..., 1, ...]``: each position ``i`` repeated ``counts[i]`` times. Gradient: the sum
    over the copies of each element.

    >>> import plugtorch as pt
    >>> pt.repeat_interleave(pt.tensor([[1, 2], [3, 4]]), 2)
    tensor([1, 1, 2, 2, 3, 3, 4, 4])
    >>> pt.repeat_interleave(pt.tensor([[1, 2], [3, 4]]), pt.tensor([1, 2]), dim=0)
    tensor([[1, 2],
            [3, 4],
            [3, 4]])
    >>> pt.repeat_interleave(pt.tensor([2, 0, 1]))
    tensor([0, 0, 2])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"repeat_interleave(): input must be a Tensor, got {type(input)}")
    if repeats is None:  # the one-argument form: input holds the counts
        positions = arange(input.numel(), dtype=dtypes.int64, backend=input._backend)
        return repeat_interleave(positions, input, 0, output_size=output_size)
    if dim is None:
        input, axis = reshape(input, (-1,)), 0
    else:
        axis = normalize_dim(dim, input.ndim)
        if input.ndim == 0:
            input = reshape(input, (1,))
    size = input.shape[axis]
    if isinstance(repeats, Tensor):
        if repeats._backend is not input._backend:
            raise mixed_backend_error("repeat_interleave", input._backend, repeats._backend)
        counts = _repeat_counts(repeats, size)
    else:
        (count,) = _counts((repeats,), "repeat_interleave")
        counts = np.full(size, count, dtype=np.int64)
    total = int(counts.sum())
    if output_size is not None and operator.index(output_size) != total:
        raise ValueError(
            f"repeat_interleave(): output_size {output_size} does not match the sum of repeats "
            f"({total}); leave it out or pass the total"
        )
    if counts.size and (counts == counts[0]).all():
        return _repeat_each(input, axis, int(counts[0]))
    picks = np.repeat(np.arange(size, dtype=np.int64), counts)
    index = Tensor._make(input._backend.asarray(picks, dtypes.int64), input._backend, dtypes.int64)
    return index_select(input, axis, index)


def _repeat_each(input: Tensor, axis: int, count: int) -> Tensor:
    """Every slice along ``axis`` repeated ``count`` times: unsqueeze, expand, merge."""
    shape = tuple(input.shape)
    spread = expand(
        reshape(input, shape[: axis + 1] + (1,) + shape[axis + 1 :]),
        shape[: axis + 1] + (count,) + shape[axis + 1 :],
    )
    return reshape(spread, shape[:axis] + (shape[axis] * count,) + shape[axis + 1 :])
