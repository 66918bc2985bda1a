"""Running sums and products along a dimension: ``cumsum`` and ``cumprod``.

Each is one op: the backend's optional ``cumulative_sum`` / ``cumulative_prod`` primitive
when it declares one, otherwise numpy's ``cumsum`` / ``cumprod`` on the host (``to_numpy`` and
``asarray``; free on host backends). Their backward rules are written with differentiable ops,
so gradients of gradients work. As PyTorch, bool and integer inputs accumulate in int64 unless
``dtype=`` says otherwise, and a 0-d tensor accepts dim 0 or -1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.ops._precision import apply_in_float32
from plugtorch.ops._prepare import astype, normalize_dim
from plugtorch.ops.creation import arange
from plugtorch.ops.elementwise import where
from plugtorch.ops.reduction import all as all_
from plugtorch.ops.reduction import sum as sum_
from plugtorch.ops.registry import op
from plugtorch.ops.shape import flip, movedim, reshape, unsqueeze
from plugtorch.ops.sorting import check_int, check_tensor
from plugtorch.tensor import Tensor

__all__ = ["cumsum", "cumprod"]


def _host_scan(b: Backend, x: Any, axis: int, scan: Any) -> Any:
    """The fallback of a backend without the primitive: numpy's scan on the host."""
    host = np.asarray(b.to_numpy(x))
    return b.asarray(scan(host, axis=axis, dtype=host.dtype), dtypes.from_numpy_dtype(host.dtype))


def _reversed_cumsum(t: Tensor, axis: int) -> Tensor:
    """``out[i] = sum(t[i:])`` along ``axis``: the running sum from the end."""
    return flip(cumsum(flip(t, (axis,)), axis), (axis,))


@op("cumsum", needs=(), primitive="cumulative_sum")
def cumsum_op(b: AcceleratedBackend, x: Any, *, axis: int) -> Any:
    """Running sum along ``axis``. Gradient: the running sum of grad from the end."""
    return b.cumulative_sum(x, axis)


@cumsum_op.fallback
def _(b: Backend, x: Any, *, axis: int) -> Any:
    return _host_scan(b, x, axis, np.cumsum)


@cumsum_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    # d out_k / d x_i = 1 for k >= i: each input collects the gradients of the sums it is in
    return (_reversed_cumsum(g, ctx.params["axis"]),)


@op("cumprod", saves_output=True, needs=((0,),), primitive="cumulative_prod")
def cumprod_op(b: AcceleratedBackend, x: Any, *, axis: int) -> Any:
    """Running product along ``axis``. Gradient: exact with zeros in the input (below)."""
    return b.cumulative_prod(x, axis)


@cumprod_op.fallback
def _(b: Backend, x: Any, *, axis: int) -> Any:
    return _host_scan(b, x, axis, np.cumprod)


@cumprod_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (_cumprod_grad(ctx.inputs[0], ctx.output, g, ctx.params["axis"]),)


def _cumprod_grad(x: Tensor, out: Tensor, g: Tensor, axis: int) -> Tensor:
    """``grad_i = sum_{k >= i} g_k * prod_{j <= k, j != i} x_j`` along ``axis``.

    Without zeros that is ``reversed_cumsum(g * out) / x``. With zeros, let ``z`` be the first
    zero of a row: before it the same formula holds over ``k < z`` (every later product has
    the zero in it); at ``z`` the products skip x_z, so they are the running product with x_z
    replaced by 1; after ``z`` every product keeps x_z and the gradient is 0.
    """
    if bool(all_(x != 0)):
        return _reversed_cumsum(g * out, axis) / x
    if grad_mode.is_grad_enabled():
        return _cumprod_grad_differentiable(x, g, axis)
    is_zero = x == 0
    zeros_so_far = cumsum(is_zero, axis)
    before = zeros_so_far == 0
    first_zero = is_zero & (zeros_so_far == 1)
    before_grad = _reversed_cumsum(where(before, g * out, 0.0), axis) / where(before, x, 1.0)
    skipping_zero = cumprod(where(first_zero, 1.0, x), axis)
    at_zero_grad = _reversed_cumsum(g * skipping_zero, axis)
    return where(first_zero, at_zero_grad, where(before, before_grad, 0.0))


def _cumprod_grad_differentiable(x: Tensor, g: Tensor, axis: int) -> Tensor:
    """The same gradient as a function whose own derivative is right: a term that is zero
    because it holds a zero x_z still depends on x_z. Every omitted product is formed
    (``products[i, k] = prod_{j <= k, j != i} x_j``): O(n^2), taken, as PyTorch does, only
    when a graph of the gradient is being built."""
    size = x.shape[axis]
    rows = movedim(x, axis, -1)
    positions = arange(size, backend=x._backend)
    column, row = reshape(positions, (1, size)), reshape(positions, (size, 1))
    omitted = where(column == row, 1.0, unsqueeze(rows, -2))  # row i: x with x_i set to 1
    products = cumprod(omitted, -1)
    terms = where(column >= row, unsqueeze(movedim(g, axis, -1), -2) * products, 0.0)
    return movedim(sum_(terms, -1), -1, axis)


def _scan(name: str, scan_op: Any, input: Tensor, dim: Any, dtype: Any) -> Tensor:
    check_tensor(input, name)
    axis = normalize_dim(check_int(dim, name, "dim"), input.ndim)
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    elif not input._dtype.is_floating_point:
        input = astype(input, dtypes.int64)
    # float16/bfloat16 scan in float32, each output rounded once (PyTorch's accumulate type)
    if input.ndim == 0:  # one element: the scan of a 1-element row
        row = reshape(input, (1,))
        return reshape(apply_in_float32(scan_op, (row,), input._dtype, axis=0), ())
    return apply_in_float32(scan_op, (input,), input._dtype, axis=axis)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim``: ``y_i = x_1 + x_2 + ... + x_i``.

    ``dtype`` casts the input first (to avoid overflow); bools and integers sum in int64 by
    default. Gradient: ``grad_i = sum_{k >= i} grad_out_k``, the running sum of the gradient
    from the end.

    >>> import plugtorch as pt
    >>> pt.cumsum(pt.tensor([13, 7, 3, 10]), dim=0)
    tensor([13, 20, 23, 33])
    """
    return _scan("cumsum", cumsum_op, input, dim, dtype)


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``: ``y_i = x_1 * x_2 * ... * x_i``.

    ``dtype`` casts the input first; bools and integers multiply in int64 by default.
    Gradient: ``grad_i = sum_{k >= i} grad_out_k * prod_{j <= k, j != i} x_j``, exact when
    the input holds zeros (no division by them).

    >>> import plugtorch as pt
    >>> pt.cumprod(pt.tensor([2.0, 3.0, 0.0, 4.0]), dim=0)
    tensor([2., 6., 0., 0.])
    """
    return _scan("cumprod", cumprod_op, input, dim, dtype)
