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

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["MathMethods"]


def _tensor(method_self: Any) -> Tensor:
    """``self`` as the Tensor it is (``MathMethods`` is only ever a base of ``Tensor``)."""
    return method_self


class MathMethods:
    """Elementwise math, reductions, products and movement, as PyTorch's tensor methods."""

    __slots__ = ()

    # --- math methods ----------------------------------------------------------------------------
    def abs(self) -> Tensor:
        return plugtorch.ops.abs(_tensor(self))

    def neg(self) -> Tensor:
        return plugtorch.ops.neg(_tensor(self))

    def sign(self) -> Tensor:
        return plugtorch.ops.sign(_tensor(self))

    def exp(self) -> Tensor:
        return plugtorch.ops.exp(_tensor(self))

    def log(self) -> Tensor:
        return plugtorch.ops.log(_tensor(self))

    def log1p(self) -> Tensor:
        return plugtorch.ops.log1p(_tensor(self))

    def expm1(self) -> Tensor:
        return plugtorch.ops.expm1(_tensor(self))

    def sqrt(self) -> Tensor:
        return plugtorch.ops.sqrt(_tensor(self))

    def rsqrt(self) -> Tensor:
        return plugtorch.ops.rsqrt(_tensor(self))

    def reciprocal(self) -> Tensor:
        return plugtorch.ops.reciprocal(_tensor(self))

    def square(self) -> Tensor:
        return plugtorch.ops.square(_tensor(self))

    def sin(self) -> Tensor:
        return plugtorch.ops.sin(_tensor(self))

    def cos(self) -> Tensor:
        return plugtorch.ops.cos(_tensor(self))

    def tanh(self) -> Tensor:
        return plugtorch.ops.tanh(_tensor(self))

    def sigmoid(self) -> Tensor:
        return plugtorch.ops.sigmoid(_tensor(self))

    def relu(self) -> Tensor:
        return plugtorch.ops.relu(_tensor(self))

    def floor(self) -> Tensor:
        return plugtorch.ops.floor(_tensor(self))

    def ceil(self) -> Tensor:
        return plugtorch.ops.ceil(_tensor(self))

    def round(self) -> Tensor:
        return plugtorch.ops.round(_tensor(self))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return plugtorch.ops.clamp(_tensor(self), min, max)

    clip = clamp

    def pow(self, exponent: Any) -> Tensor:
        return plugtorch.ops.pow(_tensor(self), exponent)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return plugtorch.ops.add(_tensor(self), other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return plugtorch.ops.sub(_tensor(self), other, alpha=alpha)

    def mul(self, other: Any) -> Tensor:
        return plugtorch.ops.mul(_tensor(self), other)

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Tensor:
        return plugtorch.ops.div(_tensor(self), other, rounding_mode=rounding_mode)

    def maximum(self, other: Tensor) -> Tensor:
        return plugtorch.ops.maximum(_tensor(self), other)

    def minimum(self, other: Tensor) -> Tensor:
        return plugtorch.ops.minimum(_tensor(self), other)

    def eq(self, other: Any) -> Tensor:
        return plugtorch.ops.eq(_tensor(self), other)

    def ne(self, other: Any) -> Tensor:
        return plugtorch.ops.ne(_tensor(self), other)

    def lt(self, other: Any) -> Tensor:
        return plugtorch.ops.lt(_tensor(self), other)

    def le(self, other: Any) -> Tensor:
        return plugtorch.ops.le(_tensor(self), other)

    def gt(self, other: Any) -> Tensor:
        return plugtorch.ops.gt(_tensor(self), other)

    def ge(self, other: Any) -> Tensor:
        return plugtorch.ops.ge(_tensor(self), other)

    def logical_and(self, other: Any) -> Tensor:
        return plugtorch.ops.logical_and(_tensor(self), other)

    def logical_or(self, other: Any) -> Tensor:
        return plugtorch.ops.logical_or(_tensor(self), other)

    def logical_not(self) -> Tensor:
        return plugtorch.ops.logical_not(_tensor(self))

    def where(self, condition: Tensor, other: Any) -> Tensor:
        return plugtorch.ops.where(condition, _tensor(self), other)

    # --- reductions ------------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.sum(_tensor(self), dim, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.mean(_tensor(self), dim, keepdim, dtype=dtype)

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Tensor:
        return plugtorch.ops.prod(_tensor(self), dim, keepdim, dtype=dtype)

    def max(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        return plugtorch.ops.max(_tensor(self), dim, keepdim)

    def min(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        return plugtorch.ops.min(_tensor(self), dim, keepdim)

    def amax(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.amax(_tensor(self), dim, keepdim)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.amin(_tensor(self), dim, keepdim)

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.argmax(_tensor(self), dim, keepdim)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.argmin(_tensor(self), dim, keepdim)

    def std(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: builtins.bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return plugtorch.ops.std(_tensor(self), dim, unbiased, keepdim, correction=correction)

    def var(
        self,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: builtins.bool = False,
        *,
        correction: Any = None,
    ) -> Tensor:
        return plugtorch.ops.var(_tensor(self), dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim: Any, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.logsumexp(_tensor(self), dim, keepdim)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.all(_tensor(self), dim, keepdim)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Tensor:
        return plugtorch.ops.any(_tensor(self), dim, keepdim)

    def softmax(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.softmax(_tensor(self), dim)

    def log_softmax(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.log_softmax(_tensor(self), dim)

    # --- linear algebra ------------------------------------------------------------------------
    def matmul(self, other: Tensor) -> Tensor:
        return plugtorch.ops.matmul(_tensor(self), other)

    def mm(self, other: Tensor) -> Tensor:
        return plugtorch.ops.mm(_tensor(self), other)

    def bmm(self, other: Tensor) -> Tensor:
        return plugtorch.ops.bmm(_tensor(self), other)

    def dot(self, other: Tensor) -> Tensor:
        return plugtorch.ops.dot(_tensor(self), other)

    def outer(self, other: Tensor) -> Tensor:
        return plugtorch.ops.outer(_tensor(self), other)

    # --- movement --------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        return plugtorch.ops.reshape(_tensor(self), *shape)

    def view(self, *shape: Any) -> Tensor:
        return plugtorch.ops.view(_tensor(self), *shape)

    def view_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.view(_tensor(self), other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.reshape(_tensor(self), other.shape)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor when its memory is row-major, else a row-major copy."""
        return plugtorch.ops.contiguous(_tensor(self))

    def select(self, dim: builtins.int, index: builtins.int) -> Tensor:
        return plugtorch.ops.select(_tensor(self), dim, index)

    def narrow(self, dim: builtins.int, start: Any, length: builtins.int) -> Tensor:
        return plugtorch.ops.narrow(_tensor(self), dim, start, length)

    def unbind(self, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.unbind(_tensor(self), dim)

    def diagonal(
        self, offset: builtins.int = 0, dim1: builtins.int = 0, dim2: builtins.int = 1
    ) -> Tensor:
        return plugtorch.ops.views.diagonal(_tensor(self), offset, dim1, dim2)

    def as_strided(
        self, size: Any, stride: Any, storage_offset: builtins.int | None = None
    ) -> Tensor:
        return plugtorch.ops.views.as_strided(_tensor(self), size, stride, storage_offset)

    def movedim(self, source: Any, destination: Any) -> Tensor:
        return plugtorch.ops.movedim(_tensor(self), source, destination)

    moveaxis = movedim

    def swapdims(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return plugtorch.ops.transpose(_tensor(self), dim0, dim1)

    swapaxes = swapdims

    def permute(self, *dims: Any) -> Tensor:
        return plugtorch.ops.permute(_tensor(self), *dims)

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        return plugtorch.ops.transpose(_tensor(self), dim0, dim1)

    def t(self) -> Tensor:
        if _tensor(self).ndim > 2:
            raise ValueError("t() expects a tensor with <= 2 dimensions; use .mT or transpose")
        return (
            plugtorch.ops.transpose(_tensor(self), 0, -1)
            if _tensor(self).ndim == 2
            else _tensor(self)
        )

    @property
    def T(self) -> Tensor:
        return plugtorch.ops.permute(_tensor(self), tuple(reversed(range(_tensor(self).ndim))))

    @property
    def mT(self) -> Tensor:
        if _tensor(self).ndim < 2:
            raise ValueError("mT needs a tensor with at least 2 dimensions")
        return plugtorch.ops.transpose(_tensor(self), -2, -1)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        return plugtorch.ops.flatten(_tensor(self), start_dim, end_dim)

    def unflatten(self, dim: builtins.int, sizes: Any) -> Tensor:
        return plugtorch.ops.unflatten(_tensor(self), dim, sizes)

    def squeeze(self, dim: Any = None) -> Tensor:
        return plugtorch.ops.squeeze(_tensor(self), dim)

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        return plugtorch.ops.unsqueeze(_tensor(self), dim)

    def expand(self, *sizes: Any) -> Tensor:
        return plugtorch.ops.expand(_tensor(self), *sizes)

    def expand_as(self, other: Tensor) -> Tensor:
        return plugtorch.ops.expand(_tensor(self), other.shape)

    def broadcast_to(self, shape: Any) -> Tensor:
        return plugtorch.ops.broadcast_to(_tensor(self), shape)

    def split(self, split_size: Any, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.split(_tensor(self), split_size, dim)

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple[Tensor, ...]:
        return plugtorch.ops.chunk(_tensor(self), chunks, dim)

    def flip(self, *dims: Any) -> Tensor:
        """The elements in reverse order along ``dims`` (``x.flip(0, 1)`` or ``x.flip((0, 1))``)."""
        return plugtorch.ops.flip(_tensor(self), dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: Any, dims: Any = None) -> Tensor:
        return plugtorch.ops.roll(_tensor(self), shifts, dims)

    def tril(self, diagonal: builtins.int = 0) -> Tensor:
        return plugtorch.ops.tril(_tensor(self), diagonal)

    def triu(self, diagonal: builtins.int = 0) -> Tensor:
        return plugtorch.ops.triu(_tensor(self), diagonal)

    def gather(
        self, dim: builtins.int, index: Tensor, *, sparse_grad: builtins.bool = False
    ) -> Tensor:
        return plugtorch.ops.gather(_tensor(self), dim, index, sparse_grad=sparse_grad)

    def scatter_add(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        return plugtorch.ops.scatter_add(_tensor(self), dim, index, src)

    def index_select(self, dim: builtins.int, index: Tensor) -> Tensor:
        return plugtorch.ops.index_select(_tensor(self), dim, index)

    def index_add(
        self, dim: builtins.int, index: Tensor, source: Tensor, *, alpha: Any = 1
    ) -> Tensor:
        return plugtorch.ops.index_add(_tensor(self), dim, index, source, alpha=alpha)

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        return plugtorch.ops.masked_fill(_tensor(self), mask, value)

    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        return plugtorch.ops.nonzero(_tensor(self), as_tuple=as_tuple)
