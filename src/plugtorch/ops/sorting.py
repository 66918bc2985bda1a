"""Ordering: ``sort argsort msort topk kthvalue searchsorted``.

No required primitive sorts. ``argsort`` is one op: the backend's optional ``argsort``
primitive when it declares one (a GPU sorts where its data is), otherwise a stable numpy sort
on the host (``to_numpy`` and ``asarray``, both required primitives; free on host backends).
``sort``, ``topk`` and ``kthvalue`` are built on it: their values are gathered with the
indices (``gather``), so the gradient is scattered back to the positions the values came from.

The order is PyTorch's: nan sorts as the largest value (last ascending, first descending),
-0.0 equals 0.0, and every sort is stable, ties keeping their input order (PyTorch's
``stable=False`` permits any order of ties; a stable one is among them, and it makes every
backend agree).

``searchsorted`` is a binary search written in required primitives (``take_along_axis``,
comparisons, ``where``), run for all values at once on the backend, with no host trip.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from plugtorch import dtypes, return_types
from plugtorch.backend.array_api import stable_argsort
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.ops._prepare import astype, normalize_dim, scalar_tensor
from plugtorch.ops.creation import full
from plugtorch.ops.indexing import gather_op, slice_dim
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.ops.shape import reshape, squeeze
from plugtorch.ops.transfer import clone
from plugtorch.tensor import Tensor

__all__ = ["argsort", "sort", "msort", "topk", "kthvalue", "searchsorted"]


def check_tensor(value: Any, name: str, what: str = "input") -> Tensor:
    """``value`` when it is a tensor, else PyTorch's TypeError naming the argument."""
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name}(): argument '{what}' must be a plugtorch Tensor, not {type(value).__name__}"
        )
    return value


def check_flag(value: Any, name: str, what: str) -> bool:
    """A bool argument (``descending``, ``largest``, ...); other types raise TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument '{what}' must be bool, not {type(value).__name__}")
    return bool(value)


def check_int(value: Any, name: str, what: str) -> int:
    """An integer argument (Python int or anything with ``__index__``, not a bool)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}(): argument '{what}' must be int, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name}(): argument '{what}' must be int, not {type(value).__name__}"
        ) from None


# --- argsort: the one sorting op -------------------------------------------------------------


@op("argsort", differentiable=False, needs=(), primitive="argsort")
def argsort_op(b: AcceleratedBackend, x: Any, *, axis: int, descending: bool) -> Any:
    """Indices that sort ``x`` along ``axis``: stable, nan largest. No gradient (indices)."""
    return b.argsort(x, axis, descending)


@argsort_op.fallback
def _(b: Backend, x: Any, *, axis: int, descending: bool) -> Any:
    # numpy's stable sort on the host: to_numpy and asarray are required primitives
    order = stable_argsort(np.asarray(b.to_numpy(x)), axis, descending)
    return b.asarray(order, dtypes.int64)


def _sort_axis(name: str, input: Tensor, dim: Any) -> int:
    check_tensor(input, name)
    return normalize_dim(check_int(dim, name, "dim"), input.ndim)


def _order(input: Tensor, axis: int, descending: bool) -> Tensor:
    """argsort of a tensor with at least one dimension (0-d callers handle themselves)."""
    if input._dtype is dtypes.bool_:  # the primitive orders numbers (the standard's rule)
        input = astype(input, dtypes.uint8)
    return apply(argsort_op, (input,), dtypes.int64, axis=axis, descending=descending)


def _zero_index(input: Tensor) -> Tensor:
    """The index of the one element of a 0-d tensor (PyTorch's answer for every 0-d sort)."""
    return full((), 0, dtype=dtypes.int64, backend=input._backend)


def _check_k(name: str, input: Tensor, axis: int, k: Any, low: int, message: str) -> int:
    """``k`` as an int in ``[low, size of axis]`` (a 0-d tensor has one element), else
    PyTorch's message as an IndexError."""
    k = check_int(k, name, "k")
    size = input.shape[axis] if input.ndim else 1
    if not low <= k <= size:
        raise IndexError(
            f"{name}(): {message}: k={k} for dimension {axis} of size {size} (expected "
            f"{low} <= k <= {size})"
        )
    return k


def _sorted_slice(
    input: Tensor, axis: int, descending: bool, start: int, stop: int
) -> tuple[Tensor, Tensor]:
    """Values and indices of the sorted positions ``start:stop`` along ``axis``; the values
    are gathered with the indices, so their gradient goes back where they came from."""
    indices = slice_dim(_order(input, axis, descending), axis, start, stop)
    return apply(gather_op, (input, indices), input._dtype, axis=axis), indices


def argsort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> Tensor:
    """Indices that sort ``input`` along ``dim`` (int64), as ``sort(...).indices``.

    Ties keep their input order whatever ``stable`` says (stable sorting is always allowed);
    nan sorts as the largest value. Not differentiable (indices).

    >>> import plugtorch as pt
    >>> pt.argsort(pt.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]), dim=1)
    tensor([[1, 2, 0],
            [0, 2, 1]])
    >>> pt.argsort(pt.tensor([1, 3, 1, 2]), descending=True)
    tensor([1, 3, 0, 2])
    """
    axis = _sort_axis("argsort", input, dim)
    descending = check_flag(descending, "argsort", "descending")
    check_flag(stable, "argsort", "stable")
    if input.ndim == 0:
        return _zero_index(input)
    return _order(input, axis, descending)


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False
) -> return_types.sort:
    """``(values, indices)``: ``input`` sorted along ``dim``, and where each value came from.

    ``values = gather(input, dim, indices)``, so the gradient of ``values`` is scattered back
    to ``indices`` (each input element receives the gradient of the place it was sorted to).
    Ties keep their input order; nan sorts as the largest value, -0.0 equals 0.0.

    >>> import plugtorch as pt
    >>> values, indices = pt.sort(pt.tensor([2.0, float("nan"), -1.0, 2.0]), descending=True)
    >>> values
    tensor([nan,  2.,  2., -1.])
    >>> indices
    tensor([1, 0, 3, 2])
    """
    axis = _sort_axis("sort", input, dim)
    descending = check_flag(descending, "sort", "descending")
    check_flag(stable, "sort", "stable")
    if input.ndim == 0:
        return return_types.sort(clone(input), _zero_index(input))
    indices = _order(input, axis, descending)
    values = apply(gather_op, (input, indices), input._dtype, axis=axis)
    return return_types.sort(values, indices)


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension: ``sort(input, dim=0).values``.

    >>> import plugtorch as pt
    >>> pt.msort(pt.tensor([[3, 0], [1, 2]]))
    tensor([[1, 0],
            [3, 2]])
    """
    return sort(input, dim=0).values


def topk(
    input: Tensor, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True
) -> return_types.topk:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements
    along ``dim`` (the last one by default), largest first.

    Ties are taken in input order and nan counts as the largest value; the result is always
    sorted (``sorted=False`` permits any order). Gradient: scattered back to ``indices``.

    >>> import plugtorch as pt
    >>> pt.topk(pt.arange(1.0, 6.0), 3)
    plugtorch.return_types.topk(
    values=tensor([5., 4., 3.]),
    indices=tensor([4, 3, 2]))
    """
    axis = _sort_axis("topk", input, -1 if dim is None else dim)
    largest = check_flag(largest, "topk", "largest")
    check_flag(sorted, "topk", "sorted")
    k = _check_k("topk", input, axis, k, 0, "selected index k out of range")
    if input.ndim == 0:
        return return_types.topk(clone(input), _zero_index(input))
    return return_types.topk(*_sorted_slice(input, axis, largest, 0, k))


def kthvalue(
    input: Tensor, k: int, dim: int | None = None, keepdim: bool = False
) -> return_types.kthvalue:
    """``(values, indices)`` of the ``k``-th smallest element (``k`` from 1) along ``dim``
    (the last one by default); ``keepdim`` keeps ``dim`` with size 1.

    nan counts as the largest value; among equal values the first in input order is the
    one returned. Gradient: to the element at ``indices``.

    >>> import plugtorch as pt
    >>> pt.kthvalue(pt.arange(1.0, 6.0), 4)
    plugtorch.return_types.kthvalue(
    values=tensor(4.),
    indices=tensor(3))
    """
    axis = _sort_axis("kthvalue", input, -1 if dim is None else dim)
    keepdim = check_flag(keepdim, "kthvalue", "keepdim")
    k = _check_k("kthvalue", input, axis, k, 1, "selected number k out of range")
    if input.ndim == 0:
        return return_types.kthvalue(clone(input), _zero_index(input))
    values, indices = _sorted_slice(input, axis, False, k - 1, k)
    if not keepdim:
        values, indices = squeeze(values, axis), squeeze(indices, axis)
    return return_types.kthvalue(values, indices)


# --- searchsorted: a binary search in primitives ---------------------------------------------


@op("searchsorted", differentiable=False, needs=())
def searchsorted_op(b: Backend, boundaries: Any, values: Any, *sorter: Any, right: bool) -> Any:
    """For each row of ``values`` (R, m), the insertion points into the same row of
    ``boundaries`` (R, n): PyTorch's binary search (a value that compares false with every
    boundary, such as nan, goes to the end). ``sorter`` (R, n) orders an unsorted row."""
    n = boundaries.shape[-1]
    shape = values.shape
    start = b.full(shape, 0, dtypes.int64)
    end = b.full(shape, n, dtypes.int64)
    one = b.full(shape, 1, dtypes.int64)
    last = b.full(shape, max(n - 1, 0), dtypes.int64)
    for _ in range(n.bit_length()):  # a range of n positions halves to nothing in that many
        active = b.less(start, end)
        middle = b.floor_divide(b.add(start, end), b.add(one, one))
        probe = b.minimum(middle, last)
        if sorter:
            probe = b.take_along_axis(sorter[0], probe, 1)
        pivot = b.take_along_axis(boundaries, probe, 1)
        # lower bound: move right while not (pivot >= value); upper bound: not (pivot > value)
        at_or_after = b.greater(pivot, values) if right else b.greater_equal(pivot, values)
        start = b.where(
            b.logical_and(active, b.logical_not(at_or_after)), b.add(middle, one), start
        )
        end = b.where(b.logical_and(active, at_or_after), middle, end)
    return start


def _side(side: Any, right: Any) -> bool:
    right = check_flag(right, "searchsorted", "right")
    if side is None:
        return right
    if side not in ("left", "right"):
        raise ValueError(
            f"torch.searchsorted(): side can only be 'left' or 'right' but got {side!r}"
        )
    if right and side == "left":
        raise ValueError(
            "torch.searchsorted(): side and right can't be set to opposites, got side of left "
            "while right was True"
        )
    return side == "right"


def _sorter(sorter: Any, boundaries: Tensor) -> Tensor | None:
    if sorter is None:
        return None
    check_tensor(sorter, "searchsorted", "sorter")
    if sorter._backend is not boundaries._backend:
        raise mixed_backend_error("searchsorted", boundaries._backend, sorter._backend)
    if not sorter._dtype.is_integer:
        raise TypeError(
            f"torch.searchsorted(): sorter must be a tensor of long dtype, got {sorter._dtype}"
        )
    if sorter.shape != boundaries.shape:
        raise ValueError(
            f"torch.searchsorted(): boundary and sorter must have the same size, but got "
            f"boundary tensor {list(boundaries.shape)} and got sorter tensor {list(sorter.shape)}"
        )
    sorter = astype(sorter, dtypes.int64)
    if sorter.numel():
        host = np.asarray(sorter._backend.to_numpy(sorter._data))
        if host.min() < 0 or host.max() >= boundaries.shape[-1]:
            raise IndexError(
                f"torch.searchsorted(): sorter index out of range: its values must be in "
                f"[0, {boundaries.shape[-1] - 1}]"
            )
    return sorter


def searchsorted(
    sorted_sequence: Tensor,
    values: Tensor | bool | int | float,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where to insert ``values`` into the innermost dimension of ``sorted_sequence`` to
    keep it sorted: the first such index (``right=False`` / ``side="left"``) or the last.

    1-D ``sorted_sequence``: ``values`` of any shape (or a number). N-D: ``values`` has the
    same leading dimensions, one row of values per row of boundaries. ``sorter`` (int64, the
    shape of ``sorted_sequence``) gives the order of an unsorted sequence (``argsort``'s
    result). Left: ``s[i-1] < v <= s[i]``; right: ``s[i-1] <= v < s[i]``. A value that
    compares false with everything (nan) gets the size of the innermost dimension. Result
    int64 (``out_int32=True``: int32). Not differentiable.

    >>> import plugtorch as pt
    >>> boundaries = pt.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
    >>> pt.searchsorted(boundaries, pt.tensor([[3, 6, 9], [3, 6, 9]]))
    tensor([[1, 3, 4],
            [1, 2, 4]])
    >>> pt.searchsorted(boundaries, pt.tensor([[3, 6, 9], [3, 6, 9]]), right=True)
    tensor([[2, 3, 5],
            [1, 3, 4]])
    """
    check_tensor(sorted_sequence, "searchsorted", "sorted_sequence")
    use_right = _side(side, right)
    check_flag(out_int32, "searchsorted", "out_int32")
    boundaries = sorted_sequence
    if boundaries.ndim == 0:
        raise ValueError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got 0 "
            "dimension"
        )
    if isinstance(values, Tensor):
        if values._backend is not boundaries._backend:
            raise mixed_backend_error("searchsorted", boundaries._backend, values._backend)
        common = dtypes.promote_types(boundaries._dtype, values._dtype)
    elif isinstance(values, (bool, int, float)):
        common = dtypes.result_type([(boundaries._dtype, boundaries.ndim), values])
        values = scalar_tensor(values, boundaries._backend, common, ())
    else:
        raise TypeError(
            f"searchsorted(): argument 'values' must be a Tensor or a number, not "
            f"{type(values).__name__}"
        )
    if boundaries.ndim > 1 and values.ndim == 0:
        raise ValueError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({boundaries.ndim}) and input "
            "value's dim(0)"
        )
    if boundaries.ndim > 1 and (
        values.ndim != boundaries.ndim or values.shape[:-1] != boundaries.shape[:-1]
    ):
        raise ValueError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(boundaries.shape)} and input value tensor "
            f"{list(values.shape)}"
        )
    order = _sorter(sorter, boundaries)
    n = boundaries.shape[-1]
    if boundaries.ndim == 1:  # every value searches the one row
        rows, row_shape = 1, (1, values.numel())
    else:
        rows = int(np.prod(boundaries.shape[:-1], dtype=np.int64))
        row_shape = (rows, values.shape[-1])
    inputs = [
        reshape(astype(boundaries, common), (rows, n)),
        reshape(astype(values, common), row_shape),
    ]
    if order is not None:
        inputs.append(reshape(order, (rows, n)))
    found = apply(searchsorted_op, tuple(inputs), dtypes.int64, right=use_right)
    found = reshape(found, values.shape)
    return astype(found, dtypes.int32) if out_int32 else found
