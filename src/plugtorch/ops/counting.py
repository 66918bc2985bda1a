"""Counting and sets: ``bincount``, ``histc``, ``unique``, ``unique_consecutive``.

Their output sizes depend on the values, so the core reads values on the host once (to check
them, and for ``unique`` and ``histc`` to compute the result with numpy) and returns tensors on
the input's backend. ``bincount`` counts on the backend with ``index_add`` once the core has
checked the values. None of them is differentiable, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from plugtorch import dtypes
from plugtorch.ops._prepare import astype, normalize_dim
from plugtorch.ops.creation import full
from plugtorch.ops.indexing import index_add
from plugtorch.ops.registry import mixed_backend_error
from plugtorch.ops.sorting import check_flag, check_int, check_tensor
from plugtorch.tensor import Tensor

__all__ = ["bincount", "histc", "unique", "unique_consecutive"]


def _host(input: Tensor) -> np.ndarray:
    return np.asarray(input._backend.to_numpy(input._data))


def _result(values: np.ndarray, like: Tensor, dtype: dtypes.DType, creator: str) -> Tensor:
    """A host result as a tensor on ``like``'s backend, marked as not differentiable."""
    out = Tensor._make(like._backend.asarray(values, dtype), like._backend, dtype)
    if like.requires_grad:
        out._nondiff = creator
    return out


# --- bincount --------------------------------------------------------------------------------


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each value ``0, 1, ..., max(input)`` occurs in the 1-D integer ``input``.

    ``out[n] += weights[i]`` for each ``n = input[i]`` (``+= 1`` without weights). The result
    has ``max(max(input) + 1, minlength)`` bins; int64 without weights, float32 with float32
    weights, else float64. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.bincount(pt.tensor([4, 3, 6, 3, 4]))
    tensor([0, 0, 0, 2, 2, 0, 1])
    >>> pt.bincount(pt.tensor([4, 3, 6, 3, 4]), pt.linspace(0, 1, 5))
    tensor([0.0000, 0.0000, 0.0000, 1.0000, 1.0000, 0.0000, 0.5000])
    """
    check_tensor(input, "bincount")
    if not input._dtype.is_integer:
        raise TypeError(
            f"bincount only supports 1-d non-negative integral inputs, got a {input._dtype} "
            "tensor; convert it with .long()"
        )
    if input.ndim != 1:
        raise ValueError(
            "bincount only supports 1-d non-negative integral inputs, got a tensor of shape "
            f"{tuple(input.shape)}"
        )
    minlength = check_int(minlength, "bincount", "minlength")
    if minlength < 0:
        raise ValueError(f"bincount(): minlength should be >= 0, got {minlength}")
    dtype = dtypes.int64
    if weights is not None:
        check_tensor(weights, "bincount", "weights")
        if weights._backend is not input._backend:
            raise mixed_backend_error("bincount", input._backend, weights._backend)
        if weights.shape != input.shape:
            raise ValueError(
                "bincount(): weights should be 1-d and have the same length as input, got "
                f"weights of shape {tuple(weights.shape)} for input of shape {tuple(input.shape)}"
            )
        dtype = dtypes.float32 if weights._dtype is dtypes.float32 else dtypes.float64
    bins = minlength
    if input.numel():
        host = _host(input)
        if host.min() < 0:
            raise ValueError(
                f"bincount only supports 1-d non-negative integral inputs, got the value "
                f"{host.min()}"
            )
        bins = max(int(host.max()) + 1, minlength)
    counts = full((bins,), 0, dtype=dtype, backend=input._backend)
    if not input.numel():
        return counts
    if weights is None:
        added = full(input.shape, 1, dtype=dtype, backend=input._backend)
    else:
        added = astype(weights.detach(), dtype)
    result = index_add(counts, 0, astype(input, dtypes.int64), added, _checked=True)
    if weights is not None and weights.requires_grad:
        result._nondiff = "bincount"
    return result


# --- histc -----------------------------------------------------------------------------------


def _bound(value: Any, what: str) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"histc(): argument '{what}' must be a number, not {type(value).__name__}")
    return float(value)


def histc(input: Tensor, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
    """Histogram of ``input`` in ``bins`` equal-width bins between ``min`` and ``max``.

    ``min == max`` (the default 0, 0) means the data's smallest and largest values (nan in
    the data then raises); elements below ``min``, above ``max`` and nan are ignored; the
    last bin includes ``max``. The bin edges are ``linspace(min, max, bins + 1)`` in the
    input's dtype and an element on an edge belongs to the bin that starts there. The result
    has the input's (floating) dtype. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.histc(pt.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
    tensor([0., 2., 1., 0.])
    """
    check_tensor(input, "histc")
    if not input._dtype.is_floating_point:
        raise TypeError(
            f"histc() needs a floating point tensor, got {input._dtype}; convert it with .float()"
        )
    bins = check_int(bins, "histc", "bins")
    if bins <= 0:
        raise ValueError(f"torch.histc(): bins must be > 0, but got {bins}")
    low, high = _bound(min, "min"), _bound(max, "max")
    host = _host(input).reshape(-1)
    if low == high and host.size:
        low, high = float(host.min()), float(host.max())
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"torch.histc(): range of [{low}, {high}] is not finite")
    if not low < high:
        raise ValueError(f"torch.histc(): max must be larger than min, got min={low}, max={high}")
    edges = np.linspace(low, high, bins + 1).astype(host.dtype)
    inside = host[(host >= edges[0]) & (host <= edges[-1])]  # nan compares false: dropped
    position = np.searchsorted(edges, inside, side="right") - 1
    counts = np.bincount(np.minimum(position, bins - 1), minlength=bins)
    return _result(counts.astype(host.dtype), input, input._dtype, "histc")


# --- unique ----------------------------------------------------------------------------------


class UniqueRows(NamedTuple):
    """The distinct rows of a 2-D host array, as :func:`unique_rows` finds them."""

    values: np.ndarray  # the distinct rows, (k, width)
    first: np.ndarray  # the index of each one's first occurrence, (k,)
    inverse: np.ndarray  # for each input row, the index of its value among ``values``, (n,)
    counts: np.ndarray  # how many input rows equal each value, (k,)


def unique_rows(rows: np.ndarray, sort: bool = True) -> UniqueRows:
    """The distinct rows of ``rows`` (n, width), in sorted order (lexicographic, nan after
    every number; a stable sort, so ties keep their first occurrence first) or, with
    ``sort=False``, runs of equal consecutive rows. Rows are equal when every element is
    ``==`` (so each nan is distinct and -0.0 equals 0.0), as PyTorch and the array API."""
    count = rows.shape[0]
    order = np.lexsort(rows.T[::-1]) if sort and count else np.arange(count)
    arranged = rows[order]
    starts_new = np.ones(count, dtype=bool)
    if count > 1:
        starts_new[1:] = np.any(arranged[1:] != arranged[:-1], axis=1)
    starts = np.flatnonzero(starts_new)
    inverse = np.empty(count, dtype=np.int64)
    inverse[order] = np.cumsum(starts_new) - 1
    counts = np.diff(np.append(starts, count)).astype(np.int64)
    return UniqueRows(arranged[starts], order[starts].astype(np.int64), inverse, counts)


def _unique(
    name: str, input: Tensor, sort: bool, return_inverse: Any, return_counts: Any, dim: Any
) -> Any:
    check_tensor(input, name)
    return_inverse = check_flag(return_inverse, name, "return_inverse")
    return_counts = check_flag(return_counts, name, "return_counts")
    host = _host(input)
    if dim is None:
        found = unique_rows(host.reshape(-1, 1), sort)
        values = found.values.reshape(-1)
        inverse = found.inverse.reshape(input.shape)
    else:
        if input.ndim == 0:
            raise IndexError(f"{name}(): dim {dim} is out of range for a 0-d tensor")
        axis = normalize_dim(check_int(dim, name, "dim"), input.ndim)
        _check_empty_dims(name, input.shape, axis)
        moved = np.moveaxis(host, axis, 0)
        width = int(np.prod(moved.shape[1:], dtype=np.int64))
        found = unique_rows(moved.reshape(moved.shape[0], width), sort)
        values = np.moveaxis(found.values.reshape((-1,) + moved.shape[1:]), 0, axis)
        inverse = found.inverse
    output = _result(values, input, input._dtype, name)
    if not (return_inverse or return_counts):
        return output
    extras = [inverse] if return_inverse else []
    if return_counts:
        extras.append(found.counts)
    return (output, *(_result(e, input, dtypes.int64, name) for e in extras))


def _check_empty_dims(name: str, shape: tuple[int, ...], axis: int) -> None:
    """PyTorch's rules for unique along a dim of a tensor with no elements."""
    if shape[axis] == 0 and sum(size == 0 for size in shape) > 1:
        raise ValueError(
            f"{name}(): Number of zero sized dimensions is more than one, so unique cannot be "
            f"applied (shape {tuple(shape)})"
        )
    if shape[axis] != 0 and 0 in shape:
        raise ValueError(
            f"{name}(): There are 0 sized dimensions, and they aren't selected, so unique "
            f"cannot be applied (shape {tuple(shape)}, dim {axis})"
        )


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements of ``input`` (flattened), or its distinct slices along ``dim``,
    in ascending order.

    With ``return_inverse``, also the index of each input element (or slice) among them
    (input's shape, or ``(input.size(dim),)``); with ``return_counts``, how often each
    occurs. Returns a tensor, or a tuple ``(output, inverse?, counts?)``. Always sorted
    (PyTorch sorts whatever ``sorted`` says); each nan is distinct. Not differentiable.

    >>> import plugtorch as pt
    >>> output, inverse = pt.unique(pt.tensor([1, 3, 2, 3]), return_inverse=True)
    >>> output, inverse
    (tensor([1, 2, 3]), tensor([0, 2, 1, 2]))
    >>> pt.unique(pt.tensor([[1, 3], [2, 3], [1, 3]]), dim=0, return_counts=True)
    (tensor([[1, 3],
            [2, 3]]), tensor([2, 1]))
    """
    check_flag(sorted, "unique", "sorted")
    return _unique("unique", input, True, return_inverse, return_counts, dim)


def unique_consecutive(
    input: Tensor, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
) -> Any:
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept
    once, as C++'s ``std::unique``; ``return_inverse`` and ``return_counts`` as in
    :func:`unique`. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.unique_consecutive(pt.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_counts=True)
    (tensor([1, 2, 3, 1, 2]), tensor([2, 2, 1, 2, 1]))
    """
    return _unique("unique_consecutive", input, False, return_inverse, return_counts, dim)
