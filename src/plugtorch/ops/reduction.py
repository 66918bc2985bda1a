"""Reductions: ``sum mean prod amax amin max min argmax argmin std var logsumexp all any``.

``dim`` may be an int, a tuple of ints or ``None`` (all dimensions); ``keepdim`` keeps reduced
dimensions with size 1, as in PyTorch.
"""

from __future__ import annotations

from typing import Any, Sequence

from plugtorch import dtypes, return_types
from plugtorch.backend.protocol import Backend
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._precision import apply_in_float32, computes_in_float32
from plugtorch.ops._prepare import astype, expand_to, normalize_dim, normalize_dims, reduced_shape
from plugtorch.ops.elementwise import exp, log, maximum, minimum, ne, sqrt, where
from plugtorch.ops.indexing import gather
from plugtorch.ops.registry import apply, op
from plugtorch.ops.shape import reshape, squeeze
from plugtorch.tensor import Tensor

__all__ = [
    "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
    "std", "var", "logsumexp", "all", "any", "count_nonzero",
]  # fmt: skip

Dim = int | Sequence[int] | None


def _restore(grad: Tensor, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """A reduced gradient broadcast back to the input's shape."""
    if not keepdim:
        grad = reshape(grad, reduced_shape(shape, dims, True))
    return expand_to(grad, shape)


@op("sum", needs=())
def sum_op(b: Backend, x: Any, *, dims: tuple[int, ...], keepdim: bool) -> Any:
    """Sum over dims. Gradient: grad broadcast back over the reduced dimensions."""
    return b.sum(x, dims, keepdim)


@sum_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    params = ctx.params
    return (_restore(g, ctx.inputs[0].shape, params["dims"], params["keepdim"]),)


def sum(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum of elements over ``dim`` (all by default). Bools and integers sum as ``int64``;
    float16 and bfloat16 accumulate in float32 and round the result once, as PyTorch.

    Gradient: ``grad`` broadcast back over the reduced dimensions.

    >>> import plugtorch as pt
    >>> pt.sum(pt.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=0)
    tensor([4., 6.])
    """
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    elif not input._dtype.is_floating_point:
        input = astype(input, dtypes.int64)
    dims = normalize_dims(dim, input.ndim)
    return apply_in_float32(sum_op, (input,), input._dtype, dims=dims, keepdim=keepdim)


def _count(shape: tuple[int, ...], dims: tuple[int, ...]) -> int:
    count = 1
    for d in dims:
        count *= shape[d]
    return count


def mean(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim`` (composite: ``sum / count``). Needs a floating dtype;
    float16 and bfloat16 sum and divide in float32 and round once, as PyTorch.

    >>> import plugtorch as pt
    >>> pt.mean(pt.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(2.5000)
    """
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    if not input._dtype.is_floating_point:
        raise TypeError(
            f"mean() needs a floating point tensor, got {input._dtype}; "
            "convert first, e.g. t.float().mean(), or pass dtype=plugtorch.float32"
        )
    if input._dtype in dtypes.LOW_PRECISION:
        return astype(mean(astype(input, dtypes.float32), dim, keepdim), input._dtype)
    dims = normalize_dims(dim, input.ndim)
    return sum(input, dims, keepdim) / _count(input.shape, dims)


@op("prod", saves_output=True, needs=((0,),))
def prod_op(b: Backend, x: Any, *, dims: tuple[int, ...], keepdim: bool) -> Any:
    """Product over dims. Gradient: grad * (product of the other elements), zeros handled."""
    return b.prod(x, dims, keepdim)


@prod_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    dims, keepdim = ctx.params["dims"], ctx.params["keepdim"]
    is_zero = x == 0
    safe = where(is_zero, 1.0, x)
    zeros = sum(is_zero, dims, keepdim=True)
    product_of_nonzero = _restore(prod(safe, dims, keepdim=True), x.shape, dims, True)
    output = _restore(ctx.output, x.shape, dims, keepdim)
    zeros = _restore(zeros, x.shape, dims, True)
    # No zero: out / x. One zero: the zero's slot gets the product of the rest. More: 0.
    others = where(is_zero, where(zeros == 1, product_of_nonzero, 0.0), output / safe)
    return (_restore(g, x.shape, dims, keepdim) * others,)


@autocast_op(cpu=FLOAT32, cuda=FLOAT32)
def prod(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product of elements over ``dim``. Gradient handles zeros exactly.

    >>> import plugtorch as pt
    >>> pt.prod(pt.tensor([1.0, 2.0, 3.0]))
    tensor(6.)
    """
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    elif not input._dtype.is_floating_point:
        input = astype(input, dtypes.int64)
    dims = normalize_dims(dim, input.ndim)
    return apply_in_float32(prod_op, (input,), input._dtype, dims=dims, keepdim=keepdim)


def _extreme_backward(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    dims, keepdim = ctx.params["dims"], ctx.params["keepdim"]
    output = _restore(ctx.output, x.shape, dims, keepdim)
    hits = (x == output).to(g.dtype)
    count = _restore(sum(hits, dims, keepdim=True), x.shape, dims, True)
    return (_restore(g, x.shape, dims, keepdim) * hits / count,)


@op("amax", saves_output=True, needs=((0,),))
def amax_op(b: Backend, x: Any, *, dims: tuple[int, ...], keepdim: bool) -> Any:
    """Largest element over dims. Gradient: shared equally by the elements that are the max."""
    return b.max(x, dims, keepdim)


amax_op.derivative(_extreme_backward)


@op("amin", saves_output=True, needs=((0,),))
def amin_op(b: Backend, x: Any, *, dims: tuple[int, ...], keepdim: bool) -> Any:
    """Smallest element over dims. Gradient: shared equally by the elements that are the min."""
    return b.min(x, dims, keepdim)


amin_op.derivative(_extreme_backward)


def _check_nonempty(name: str, input: Tensor, dims: tuple[int, ...]) -> None:
    for d in dims:
        if input.shape[d] == 0:
            raise IndexError(f"{name}(): cannot reduce over an empty dimension {d}")
    if not dims and input.numel() == 0:
        raise IndexError(f"{name}(): cannot reduce an empty tensor")


def amax(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """Largest value over ``dim``; nan if any element is nan. Ties share the gradient.

    >>> import plugtorch as pt
    >>> pt.amax(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
    tensor([5., 3.])
    """
    dims = normalize_dims(dim, input.ndim)
    _check_nonempty("amax", input, dims)
    if input._dtype is dtypes.bool_:  # the array API orders numbers only: bools as 0 and 1
        return astype(amax(astype(input, dtypes.uint8), dims, keepdim), dtypes.bool_)
    return apply(amax_op, (input,), input._dtype, dims=dims, keepdim=keepdim)


def amin(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim``; nan if any element is nan. Ties share the gradient.

    >>> import plugtorch as pt
    >>> pt.amin(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
    tensor([1., 2.])
    """
    dims = normalize_dims(dim, input.ndim)
    _check_nonempty("amin", input, dims)
    if input._dtype is dtypes.bool_:  # the array API orders numbers only: bools as 0 and 1
        return astype(amin(astype(input, dtypes.uint8), dims, keepdim), dtypes.bool_)
    return apply(amin_op, (input,), input._dtype, dims=dims, keepdim=keepdim)


def _arg(name: str, primitive: str, input: Tensor, dim: int | None, keepdim: bool) -> Tensor:
    if input._dtype is dtypes.bool_:  # the array API orders numbers only: bools as 0 and 1
        input = astype(input, dtypes.uint8)
    if dim is None:
        flat = reshape(input, (-1,))
        _check_nonempty(name, flat, (0,))
        data = getattr(input._backend, primitive)(flat._data, 0, False)
        result = Tensor._make(data, input._backend, dtypes.int64)
        result._nondiff = name if input.requires_grad else None
        if keepdim:
            result = reshape(result, (1,) * input.ndim)
        return result
    axis = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return reshape(argmax(reshape(input, (1,))), ())
    _check_nonempty(name, input, (axis,))
    data = getattr(input._backend, primitive)(input._data, axis, keepdim)
    result = Tensor._make(data, input._backend, dtypes.int64)
    if input.requires_grad:
        result._nondiff = name
    return result


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) largest value over ``dim`` (flattened if None). Not differentiable.

    >>> import plugtorch as pt
    >>> pt.argmax(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
    tensor([1, 0])
    """
    return _arg("argmax", "argmax", input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the (first) smallest value over ``dim`` (flattened if None). Not differentiable.

    >>> import plugtorch as pt
    >>> pt.argmin(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
    tensor([0, 1])
    """
    return _arg("argmin", "argmin", input, dim, keepdim)


def _max_min(name: str, input: Tensor, dim: Any, keepdim: bool, other: Any) -> Any:
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        return maximum(input, other) if name == "max" else minimum(input, other)
    if dim is None:
        return amax(input) if name == "max" else amin(input)
    axis = normalize_dim(dim, input.ndim)
    indices = (argmax if name == "max" else argmin)(input, axis, keepdim=True)
    values = gather(input, axis, indices) if input.ndim else input
    if not keepdim and input.ndim:
        values, indices = squeeze(values, axis), squeeze(indices, axis)
    result = return_types.max if name == "max" else return_types.min
    return result(values, indices)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    """Largest value: of all elements, or ``(values, indices)`` along ``dim``, or elementwise
    against another tensor (``max(a, b)``), as in PyTorch.

    Along ``dim`` the gradient goes to the returned index; over everything, ties share it.

    >>> import plugtorch as pt
    >>> pt.max(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1).values
    tensor([5., 3.])
    """
    return _max_min("max", input, dim, keepdim, other)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001
    """Smallest value: of all elements, or ``(values, indices)`` along ``dim``, or elementwise.

    >>> import plugtorch as pt
    >>> pt.min(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1).indices
    tensor([0, 1])
    """
    return _max_min("min", input, dim, keepdim, other)


@computes_in_float32("input")
def var(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | float | None = None,
) -> Tensor:
    """Variance over ``dim`` with Bessel's correction by default (composite).

    ``sum((x - mean)**2) / (N - correction)``; ``unbiased=False`` means ``correction=0``.

    >>> import plugtorch as pt
    >>> pt.var(pt.tensor([1.0, 2.0, 3.0, 4.0]))
    tensor(1.6667)
    """
    if correction is None:
        correction = 0 if unbiased is False else 1
    dims = normalize_dims(dim, input.ndim)
    centered = input - mean(input, dims, keepdim=True)
    divisor = _count(input.shape, dims) - correction
    squares = sum(centered * centered, dims, keepdim)
    return squares / divisor if divisor > 0 else squares / 0.0


@computes_in_float32("input")
def std(
    input: Tensor,
    dim: Dim = None,
    unbiased: bool | None = None,
    keepdim: bool = False,
    *,
    correction: int | float | None = None,
) -> Tensor:
    """Standard deviation over ``dim`` (composite: ``sqrt(var)``).

    >>> import plugtorch as pt
    >>> pt.std(pt.tensor([1.0, 3.0]))
    tensor(1.4142)
    """
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


@computes_in_float32("input")
def logsumexp(input: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably by subtracting the max (composite).

    >>> import plugtorch as pt
    >>> pt.logsumexp(pt.tensor([1000.0, 1000.0], dtype=pt.float64), dim=0)
    tensor(1000.6931, dtype=plugtorch.float64)
    """
    if not input._dtype.is_floating_point:
        input = astype(input, dtypes.get_default_dtype())
    dims = normalize_dims(dim, input.ndim)
    shift = amax(input.detach(), dims, keepdim=True)
    shift = where(shift.abs() == float("inf"), 0.0, shift)
    total = log(sum(exp(input - shift), dims, keepdim=True)) + shift
    if not keepdim:
        total = reshape(total, reduced_shape(input.shape, dims, False))
    return total


def _logic_reduce(primitive: str, input: Tensor, dim: Dim, keepdim: bool) -> Tensor:
    if input._dtype is not dtypes.bool_:
        input = ne(input, 0)
    dims = normalize_dims(dim, input.ndim)
    data = getattr(input._backend, primitive)(input._data, dims, keepdim)
    return Tensor._make(data, input._backend, dtypes.bool_)


def all(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``dim`` is nonzero. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.all(pt.tensor([True, False]))
    tensor(False)
    """
    return _logic_reduce("all", input, dim, keepdim)


def any(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``dim`` is nonzero. Not differentiable.

    >>> import plugtorch as pt
    >>> pt.any(pt.tensor([True, False]))
    tensor(True)
    """
    return _logic_reduce("any", input, dim, keepdim)


def count_nonzero(input: Tensor, dim: Dim = None) -> Tensor:
    """Number of nonzero elements over ``dim`` (int64).

    >>> import plugtorch as pt
    >>> pt.count_nonzero(pt.tensor([0, 1, 2]))
    tensor(2)
    """
    return sum(ne(input, 0), dim)
