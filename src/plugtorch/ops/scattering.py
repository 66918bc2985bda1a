"""Scatters: ``scatter`` (write ``src`` or a value at an index, optionally adding or multiplying)
and ``scatter_reduce`` (sum, prod, mean, amax or amin of everything sent to each place).

``gather`` reads ``out[i][j] = x[i][index[i][j]]`` (dim 1); a scatter writes the other way,
``out[i][index[i][j]] = src[i][j]``. Arguments are checked here, once (dims, shapes, dtypes,
index ranges), before any primitive sees them. Overwriting scatters are the core's
``index_put`` op; sums and means are ``scatter_add`` compositions; prod, amax and amin are one
op computed on the host with numpy's ``ufunc.at`` (the protocol has no primitive for them).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend
from plugtorch.ops._prepare import normalize_dim
from plugtorch.ops.binary import div, floor_divide
from plugtorch.ops.creation import arange, full, ones, zeros
from plugtorch.ops.elementwise import where
from plugtorch.ops.indexing import _check_index, gather, getitem, index_put_op, scatter_add
from plugtorch.ops.inplace import check_number
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.ops.shape import expand, reshape
from plugtorch.tensor import Tensor

__all__ = ["scatter", "scatter_reduce"]

REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _checked(
    name: str, input: Tensor, dim: int, index: Tensor, src: Tensor | None
) -> tuple[int, Tensor]:
    """The normalised dim and the int64 index, after PyTorch's checks: same number of
    dimensions, ``index.size(d) <= src.size(d)`` for every d and ``<= input.size(d)`` for
    d != dim, equal dtypes, one backend, indices in ``[0, input.size(dim))``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): input must be a Tensor, got {type(input).__name__}")
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): index must be an integer Tensor, got {type(index).__name__}")
    axis = normalize_dim(dim, input.ndim)
    tensors = (index,) if src is None else (index, src)
    for other in tensors:
        if other._backend is not input._backend:
            raise mixed_backend_error(name, input._backend, other._backend)
    if src is not None and src._dtype is not input._dtype:
        raise TypeError(
            f"{name}(): expected self.dtype to be equal to src.dtype, got {input._dtype} and "
            f"{src._dtype}; convert one, e.g. src.to(input.dtype)"
        )
    if index.numel() == 0:
        return axis, _check_index(index, 0, name)
    if index.ndim != input.ndim or (src is not None and src.ndim != index.ndim):
        got = f"index {index.ndim}, self {input.ndim}"
        got += "" if src is None else f", src {src.ndim}"
        raise ValueError(
            f"{name}(): index, self and src must have the same number of dimensions ({got})"
        )
    for d in range(index.ndim):
        too_big = d != axis and index.shape[d] > input.shape[d]
        if too_big or (src is not None and index.shape[d] > src.shape[d]):
            raise ValueError(
                f"{name}(): size does not match at dimension {d}: expected index "
                f"{list(index.shape)} to be no larger than self {list(input.shape)} apart from "
                f"dimension {axis}"
                + ("" if src is None else f" and no larger than src {list(src.shape)}")
            )
    size = input.shape[axis] if input.ndim else 1
    return axis, _check_index(index, size, name)


def _fit_src(src: Tensor, index: Tensor) -> Tensor:
    """The part of ``src`` that ``index`` covers (its leading corner, as PyTorch reads it)."""
    if src.shape == index.shape:
        return src
    return getitem(src, tuple(slice(0, s) for s in index.shape))


def _targets(index: Tensor, axis: int, shape: tuple[int, ...]) -> tuple[tuple[Any, ...], Any]:
    """Per-dimension int64 coordinate arrays of the places ``index`` writes to (index's shape)
    and the same places as flat element numbers of ``shape`` (1-D), both backend arrays."""
    backend = index._backend
    coordinates = []
    flat = None
    stride = 1
    for d in reversed(range(index.ndim)):
        if d == axis:
            coordinate = index
        else:
            line = arange(index.shape[d], dtype=dtypes.int64, backend=backend)
            view = (1,) * d + (index.shape[d],) + (1,) * (index.ndim - d - 1)
            coordinate = expand(reshape(line, view), index.shape)
        coordinates.append(coordinate)
        term = coordinate * stride
        flat = term if flat is None else flat + term
        stride *= shape[d]
    key = tuple(c._data for c in reversed(coordinates))
    assert flat is not None
    return key, reshape(flat, (-1,))._data


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """A copy of ``input`` with ``src`` (a tensor, or the number ``value``) written at
    ``index`` along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for ``dim=1``.

    ``index`` has ``input``'s number of dimensions and no size larger than ``src``'s (nor than
    ``input``'s outside ``dim``); ``src`` must have ``input``'s dtype. Where an index repeats,
    one of the values is kept (PyTorch leaves the choice unspecified). ``reduce="add"`` or
    ``"multiply"`` combines instead of overwriting (prefer :func:`scatter_reduce`).
    Gradient: ``grad`` with the written places zeroed for ``input``, ``gather(grad)`` for
    ``src``.

    >>> import plugtorch as pt
    >>> pt.scatter(pt.zeros(2, 3), 1, pt.tensor([[2], [0]]), pt.tensor([[5.0], [7.0]]))
    tensor([[0., 0., 5.],
            [7., 0., 0.]])
    >>> pt.zeros(3).scatter(0, pt.tensor([0, 2]), 1.5)
    tensor([1.5000, 0.0000, 1.5000])
    """
    if value is None and not isinstance(src, Tensor):
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError(
            "scatter(): give exactly one of src (a Tensor) and value (a number), e.g. "
            "x.scatter(0, index, src) or x.scatter(0, index, 1.0)"
        )
    if reduce is not None and reduce not in ("add", "multiply"):
        raise ValueError(f"reduce argument must be either add or multiply, got {reduce!r}")
    if input.ndim == 0:
        return _scatter_0d(input, dim, index, src, value, reduce)
    axis, index = _checked("scatter", input, dim, index, src)
    if src is None:
        number = check_number(value, "scatter")
        values = full(index.shape, number, dtype=input._dtype, backend=input._backend)
    else:
        values = _fit_src(src, index)
        if reduce is not None:
            warnings.warn(
                "The reduce argument of torch.scatter with Tensor src is deprecated and will be "
                "removed in a future PyTorch release. Use torch.scatter_reduce instead for "
                "more reduction options.",
                UserWarning,
                stacklevel=2,
            )
    if index.numel() == 0:
        return input.clone()
    if reduce == "add":
        return scatter_add(input, axis, index, values, _checked=True)
    if reduce == "multiply":
        return scatter_reduce(input, axis, index, values, "prod")
    key, positions = _targets(index, axis, input.shape)
    return apply(index_put_op, (input, values), input._dtype, key=key, positions=positions)


def _scatter_0d(
    input: Tensor, dim: int, index: Tensor, src: Any, value: Any, reduce: str | None
) -> Tensor:
    """A 0-d ``input`` scatters as its one-element 1-D view (dims 0 and -1, as PyTorch)."""
    normalize_dim(dim, 0)
    if isinstance(index, Tensor) and index.ndim == 0:
        index = reshape(index, (1,))
    if isinstance(src, Tensor) and src.ndim == 0:
        src = reshape(src, (1,))
    flat = scatter(reshape(input, (1,)), 0, index, src, value=value, reduce=reduce)
    return reshape(flat, ())


# --- scatter_reduce ----------------------------------------------------------------------------


def _host_identity(reduce: str, dtype: dtypes.DType) -> Any:
    """What a place that receives nothing starts from when ``include_self=False``."""
    if reduce == "prod":
        return 1
    if dtype.is_floating_point:
        return -np.inf if reduce == "amax" else np.inf
    limits = np.iinfo(dtype.numpy) if dtype is not dtypes.bool_ else None
    if limits is None:
        return reduce == "amin"  # bool: amax starts from False, amin from True
    return limits.min if reduce == "amax" else limits.max


_UFUNCS = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


@op("scatter_reduce", saves_output=True, needs=((0, 1, 2), (), (0, 1, 2)))
def scatter_reduce_op(
    b: Backend, x: Any, indices: Any, values: Any, *, axis: int, reduce: str, include_self: bool
) -> Any:
    """x with values combined into index along axis by prod, amax or amin (nan propagates),
    computed on the host with numpy's ufunc.at. Gradient: PyTorch's (prod: the product of the
    others, exact at zeros; amax/amin: split evenly among the elements equal to the result)."""
    host = np.array(b.to_numpy(x), copy=True)
    index = np.asarray(b.to_numpy(indices))
    grids = np.indices(index.shape, sparse=True)
    places = tuple(index if d == axis else grids[d] for d in range(index.ndim))
    if not include_self:
        host[places] = _host_identity(reduce, _dtype_of(host))
    _UFUNCS[reduce].at(host, places, np.asarray(b.to_numpy(values)))
    return b.asarray(host, _dtype_of(host))


def _dtype_of(host: np.ndarray) -> dtypes.DType:
    return dtypes.as_dtype(host.dtype)


def _scattered(input: Tensor, axis: int, index: Tensor) -> Tensor:
    """Bool mask of the places of ``input`` that ``index`` sends something to."""
    hits = zeros(input.shape, dtype=dtypes.int64, backend=input._backend)
    one = ones(index.shape, dtype=dtypes.int64, backend=input._backend)
    return scatter_add(hits, axis, index, one, _checked=True) > 0


@scatter_reduce_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, None, Tensor | None]:
    x, index, src = ctx.inputs
    params = ctx.params
    axis, reduce, include_self = params["axis"], params["reduce"], params["include_self"]
    result = ctx.output
    if reduce == "prod":
        # PyTorch's rule: divide the product by each factor, with zeros handled exactly
        masked_x = where(x == 0, 1.0, x)
        grad_x = g * _reduce(masked_x, axis, index, src, reduce, include_self) / masked_x
        src_zero = src == 0
        none = zeros(x.shape, dtype=x.dtype, backend=x.backend)
        zeros_per_place = gather(
            scatter_add(none, axis, index, src_zero.to(x.dtype), _checked=True), axis, index
        )
        single_zero = src_zero & (zeros_per_place == 1)
        without_zero = _reduce(x, axis, index, where(single_zero, 1.0, src), reduce, include_self)
        grad_src = where(
            single_zero,
            gather(g * without_zero, axis, index),
            gather(g * result, axis, index) / where(src_zero, 1.0, src),
        )
    else:
        # amax/amin: the gradient is split evenly among the elements equal to the result
        x_is_result = x == result
        if not include_self:
            x_is_result = x_is_result & ~_scattered(x, axis, index)
        src_is_result = src == gather(result, axis, index)
        hits = src_is_result.to(g.dtype)
        count = scatter_add(x_is_result.to(g.dtype), axis, index, hits, _checked=True)
        share = g / count
        grad_x = where(x_is_result, share, 0.0)
        grad_src = where(src_is_result, gather(share, axis, index), 0.0)
    if not include_self:
        grad_x = where(_scattered(x, axis, index), 0.0, grad_x)
    return (grad_x if x.requires_grad else None), None, (grad_src if src.requires_grad else None)


def _reduce(
    input: Tensor, axis: int, index: Tensor, src: Tensor, reduce: str, include_self: bool
) -> Tensor:
    """``scatter_reduce`` on checked arguments (``src`` already cut to index's shape)."""
    if reduce in ("prod", "amax", "amin"):
        return apply(
            scatter_reduce_op,
            (input, index, src),
            input._dtype,
            axis=axis,
            reduce=reduce,
            include_self=include_self,
        )
    if reduce == "mean" and input._dtype is dtypes.bool_:
        raise TypeError(
            "scatter_reduce(): reduce='mean' is not defined for bool tensors; convert to an "
            "integer or floating dtype first, e.g. input.long()"
        )
    nothing = False if input._dtype is dtypes.bool_ else 0  # keeps the dtype
    base = input if include_self else where(_scattered(input, axis, index), nothing, input)
    total = scatter_add(base, axis, index, src, _checked=True)
    if reduce == "sum":
        return total
    start = full(input.shape, int(include_self), dtype=input._dtype, backend=input._backend)
    one = ones(index.shape, dtype=input._dtype, backend=input._backend)
    count = scatter_add(start, axis, index, one, _checked=True)
    count = where(count == 0, 1, count)  # places that receive nothing keep their value
    return div(total, count) if input._dtype.is_floating_point else floor_divide(total, count)


def scatter_reduce(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Tensor,
    reduce: str,
    *,
    include_self: bool = True,
) -> Tensor:
    """A copy of ``input`` where each place that ``index`` names (along ``dim``) becomes the
    ``reduce`` of the ``src`` values sent to it: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"``
    or ``"amin"``; with ``include_self`` (the default) ``input``'s own value takes part.

    ``out[i][index[i][j]] = reduce(input[i][index[i][j]], src[i][j], ...)`` for ``dim=1``.
    Places that receive nothing keep ``input``'s value. An integer mean rounds down (floor), as
    PyTorch. Gradients as PyTorch: sum and mean pass ``grad`` (divided by the count); prod the
    product of the other factors (exact at zeros); amax/amin split ``grad`` evenly among the
    elements equal to the result.

    >>> import plugtorch as pt
    >>> src = pt.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    >>> index = pt.tensor([0, 1, 0, 1, 2, 1])
    >>> pt.scatter_reduce(pt.tensor([1.0, 2.0, 3.0, 4.0]), 0, index, src, reduce="sum")
    tensor([ 5., 14.,  8.,  4.])
    >>> pt.scatter_reduce(pt.tensor([1.0, 2.0, 3.0, 4.0]), 0, index, src, "amax",
    ...                   include_self=False)
    tensor([3., 6., 5., 4.])
    """
    if reduce not in REDUCTIONS:
        raise ValueError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce!r}"
        )
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): src must be a Tensor, got {type(src).__name__}")
    if input.ndim == 0:
        normalize_dim(dim, 0)
        flat_index = reshape(index, (1,)) if index.ndim == 0 else index
        flat_src = reshape(src, (1,)) if src.ndim == 0 else src
        out = scatter_reduce(
            reshape(input, (1,)), 0, flat_index, flat_src, reduce, include_self=include_self
        )
        return reshape(out, ())
    axis, index = _checked("scatter_reduce", input, dim, index, src)
    if index.numel() == 0:
        return input.clone()
    return _reduce(input, axis, index, _fit_src(src, index), reduce, include_self)
