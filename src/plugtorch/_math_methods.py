"""PyTorch's ``Tensor`` methods for math, reductions, linear algebra and movement.

Like :class:`~plugtorch._tensor_methods.TensorMethods`, a base of :class:`Tensor` so that
``tensor.py`` stays about the tensor's own state (data, dtype, memory, autograd, conversion,
operators). Every method is a forward to the public function in :mod:`plugtorch.ops`, reached
through the package at call time because the ops are built on top of ``Tensor``.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import plugtorch
from plugtorch._tensor_methods import tensor_of

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["MathMethods"]


class MathMethods:
    """Elementwise math, reductions, products and movement, as PyTorch's tensor methods."""

    __slots__ = ()

    # --- math methods ----------------------------------------------------------------------------
    def abs(self) -> Tensor:
        return plugtorch.ops.abs(tensor_of(self))

    def neg(self) -> Tensor:
        return plugtorch.ops.neg(tensor_of(self))

    def sign(self) -> Tensor:
        return plugtorch.ops.sign(tensor_of(self))

    def exp(self) -> Tensor:
        return plugtorch.ops.exp(tensor_of(self))

    def log(self) -> Tensor:
        return plugtorch.ops.log(tensor_of(self))

    def log1p(self) -> Tensor:
        return plugtorch.ops.log1p(tensor_of(self))

    def expm1(self) -> Tensor:
        return plugtorch.ops.expm1(tensor_of(self))

    def sqrt(self) -> Tensor:
        return plugtorch.ops.sqrt(tensor_of(self))

    def rsqrt(self) -> Tensor:
        return plugtorch.ops.rsqrt(tensor_of(self))

    def reciprocal(self) -> Tensor:
        return plugtorch.ops.reciprocal(tensor_of(self))

    def square(self) -> Tensor:
        return plugtorch.ops.square(tensor_of(self))

    def sin(self) -> Tensor:
        return plugtorch.ops.sin(tensor_of(self))

    def cos(self) -> Tensor:
        return plugtorch.ops.cos(tensor_of(self))

    def tanh(self) -> Tensor:
        return plugtorch.ops.tanh(tensor_of(self))

    def sigmoid(self) -> Tensor:
        return plugtorch.ops.sigmoid(tensor_of(self))

    def relu(self) -> Tensor:
        return plugtorch.ops.relu(tensor_of(self))

    def floor(self) -> Tensor:
        return plugtorch.ops.floor(tensor_of(self))

    def ceil(self) -> Tensor:
        return plugtorch.ops.ceil(tensor_of(self))

    def round(self) -> Tensor:
        return plugtorch.ops.round(tensor_of(self))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return plugtorch.ops.clamp(tensor_of(self), min, max)

    clip = clamp

    def pow(self, exponent: Any) -> Tensor:
        return plugtorch.ops.pow(tensor_of(self), exponent)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return plugtorch.ops.add(tensor_of(self), other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return plugtorch.ops.sub(tensor_of(self), other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return plugtorch.ops.mul(tensor_of(self), other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return plugtorch.ops.div(tensor_of(self), other, rounding_mode=rounding_mode)

    def maximum(self, other: Tensor) -> Tensor:
        return plugtorch.ops.maximum(tensor_of(self), other)

    def minimum(self, other: Tensor) -> Tensor:
        return plugtorch.ops.minimum(tensor_of(self), other)

    def eq(self, other: Any) -> Tensor:
        return plugtorch.ops.eq(tensor_of(self), other)

    def ne(self, other: Any) -> Tensor:
        return plugtorch.ops.ne(tensor_of(self), other)

    def lt(self, other: Any) -> Tensor:
        return plugtorch.ops.lt(tensor_of(self), other)

    def le(self, other: Any) -> Tensor:
        return plugtorch.ops.le(tensor_of(self), other)

    def gt(self, other: Any) -> Tensor:
        return plugtorch.ops.gt(tensor_of(self), other)

    def ge(self, other: Any) -> Tensor:
        return plugtorch.ops.ge(tensor_of(self), other)

    def logical_and(self, other: Any) -> Tensor:
        return plugtorch.ops.logical_and(tensor_of(self), other)

    def logical_or(self, other: Any) -> Tensor:
        return plugtorch.ops.logical_or(tensor_of(self), other)

    def logical_not(self) -> Tensor:
        return plugtorch.ops.logical_not(tensor_of(self))

    def where(self, condition: Tensor, other: Any) -> Tensor:
        return plugtorch.ops.where(condition, tensor_of(self), other)

    # --- reductions ------------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.sum(tensor_of(self), dim, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.mean(tensor_of(self), dim, keepdim, dtype=dtype)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.prod(tensor_of(self), dim, keepdim, dtype=dtype)

    def max(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        return plugtorch.ops.max(tensor_of(self), dim, keepdim)

    def min(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        return plugtorch.ops.min(tensor_of(self), dim, keepdim)

    def amax(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.amax(tensor_of(self), dim, keepdim)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.amin(tensor_of(self), dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.argmax(tensor_of(self), dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.argmin(tensor_of(self), dim, keepdim)

    def std(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: builtins.bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return plugtorch.ops.std(tensor_of(self), dim, unbiased, keepdim, correction=correction)

    def var(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: builtins.bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return plugtorch.ops.var(tensor_of(self), dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim: Any, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.logsumexp(tensor_of(self), dim, keepdim)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.all(tensor_of(self), dim, keepdim)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.any(tensor_of(self), dim, keepdim)

    def softmax(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.softmax(tensor_of(self), dim)

    def log_softmax(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.log_softmax(tensor_of(self), dim)

    # --- linear algebra ------------------------------------------------------------------------
    def matmul(self, other: Tensor) -> Tensor:
        return plugtorch.ops.matmul(tensor_of(self), other)

    def mm(self, other: Tensor) -> Tensor:
        return plugtorch.ops.mm(tensor_of(self), other)

    def bmm(self, other: Tensor) -> Tensor:
        return plugtorch.ops.bmm(tensor_of(self), other)

    def dot(self, other: Tensor) -> Tensor:
        return plugtorch.ops.dot(tensor_of(self), other)

    def outer(self, other: Tensor) -> Tensor:
        return plugtorch.ops.outer(tensor_of(self), other)

    # --- movement --------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return plugtorch.ops.reshape(tensor_of(self), *shape)

    def view(self, *shape: Any) -> Tensor:
        return plugtorch.ops.view(tensor_of(self), *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.view(tensor_of(self), other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.reshape(tensor_of(self), other.shape)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor when its memory is row-major, else a row-major copy."""
        return plugtorch.ops.contiguous(tensor_of(self))

    def select(self, dim: builtins.int, index: builtins.int) -> Tensor:
        return plugtorch.ops.select(tensor_of(self), dim, index)

    def narrow(self, dim: builtins.int, start: Any, length: builtins.int) -> Tensor:
        return plugtorch.ops.narrow(tensor_of(self), dim, start, length)

    def unbind(self, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.unbind(tensor_of(self), dim)

    def diagonal(
        self, offset: builtins.int = 0, dim1: builtins.int = 0, dim2: builtins.int = 1
    ) -> Tensor:
        return plugtorch.ops.views.diagonal(tensor_of(self), offset, dim1, dim2)

    def as_strided(
        self, size: Any, stride: Any, storage_offset: builtins.int | None = None
    ) -> Tensor:
        return plugtorch.ops.views.as_strided(tensor_of(self), size, stride, storage_offset)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return plugtorch.ops.movedim(tensor_of(self), source, destination)

    moveaxis = movedim

    def swapdims(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return plugtorch.ops.transpose(tensor_of(self), dim0, dim1)

    swapaxes = swapdims

    def permute(self, *dims: Any) -> Tensor:
        return plugtorch.ops.permute(tensor_of(self), *dims)

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return plugtorch.ops.transpose(tensor_of(self), dim0, dim1)

    def t(self) -> Tensor:
        if tensor_of(self).ndim > 2:
            raise ValueError("t() expects a tensor with <= 2 dimensions; use .mT or transpose")
        return (
            plugtorch.ops.transpose(tensor_of(self), 0, -1)
            if tensor_of(self).ndim == 2
            else tensor_of(self)
        )

    @property
    def T(self) -> Tensor:
        return plugtorch.ops.permute(tensor_of(self), tuple(reversed(range(tensor_of(self).ndim))))

    @property
    def mT(self) -> Tensor:
        if tensor_of(self).ndim < 2:
            raise ValueError("mT needs a tensor with at least 2 dimensions")
        return plugtorch.ops.transpose(tensor_of(self), -2, -1)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        return plugtorch.ops.flatten(tensor_of(self), start_dim, end_dim)

    def unflatten(self, dim: builtins.int, sizes: Any) -> Tensor:
        return plugtorch.ops.unflatten(tensor_of(self), dim, sizes)

    def squeeze(self, dim: Any = None) -> Tensor:
        return plugtorch.ops.squeeze(tensor_of(self), dim)

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.unsqueeze(tensor_of(self), dim)

    def expand(self, *sizes: Any) -> Tensor:
        return plugtorch.ops.expand(tensor_of(self), *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.expand(tensor_of(self), other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return plugtorch.ops.broadcast_to(tensor_of(self), shape)

    def split(self, split_size: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.split(tensor_of(self), split_size, dim)

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.chunk(tensor_of(self), chunks, dim)

    def flip(self, *dims: Any) -> Tensor:
        """The elements in reverse order along ``dims`` (``x.flip(0, 1)`` or ``x.flip((0, 1))``)."""
        return plugtorch.ops.flip(tensor_of(self), dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return plugtorch.ops.roll(tensor_of(self), shifts, dims)

    def tril(self, diagonal: builtins.int = 0) -> Tensor:
        return plugtorch.ops.tril(tensor_of(self), diagonal)

    def triu(self, diagonal: builtins.int = 0) -> Tensor:
        return plugtorch.ops.triu(tensor_of(self), diagonal)

    def gather(
        self, dim: builtins.int, index: Tensor, *, sparse_grad: builtins.bool = False
    ) -> Tensor:
        return plugtorch.ops.gather(tensor_of(self), dim, index, sparse_grad=sparse_grad)

    def scatter_add(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        return plugtorch.ops.scatter_add(tensor_of(self), dim, index, src)

    def index_select(self, dim: builtins.int, index: Tensor) -> Tensor:
        return plugtorch.ops.index_select(tensor_of(self), dim, index)

    def index_add(
        self, dim: builtins.int, index: Tensor, source: Tensor, *, alpha: Any = 1
    ) -> Tensor:
        return plugtorch.ops.index_add(tensor_of(self), dim, index, source, alpha=alpha)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return plugtorch.ops.masked_fill(tensor_of(self), mask, value)

    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        return plugtorch.ops.nonzero(tensor_of(self), as_tuple=as_tuple)
