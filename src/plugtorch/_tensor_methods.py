"""More of PyTorch's ``Tensor`` methods: factories from a tensor, formatting, sorting, scans,
scatters, repeats, norms and elementwise math.

:class:`Tensor` inherits :class:`TensorMethods`, so ``tensor.py`` stays about the tensor's own
state. Every method is a one-line forward to the public function in :mod:`plugtorch.ops`
(where the op is declared and documented once); ``plugtorch.ops`` is reached through the
package at call time because it is built on top of ``Tensor``.
"""

from __future__ import annotations

import builtins
import warnings
from typing import TYPE_CHECKING, Any

import plugtorch

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["TensorMethods"]


def tensor_of(method_self: Any) -> Tensor:
    """``self`` of a Tensor mixin's method as the Tensor it is (the mixins here and in
    ``_math_methods.py`` are only ever bases of ``Tensor``)."""
    return method_self


class TensorMethods:
    """PyTorch's tensor methods beyond arithmetic, movement and reductions."""

    __slots__ = ()

    # --- formatting ------------------------------------------------------------------------
    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); any other tensor only
        with an empty format (``f"{t}"``), as in PyTorch."""
        tensor: Any = self
        if tensor.ndim == 0:
            return builtins.format(tensor.item(), format_spec)
        if not format_spec:
            return str(tensor)
        raise TypeError(
            f"unsupported format string {format_spec!r} passed to Tensor.__format__: only 0-d "
            f"tensors format as numbers, this one has shape {tuple(tensor.shape)}; format "
            "t.item() (one element) or t.tolist() instead"
        )

    # --- new tensors like this one ------------------------------------------------------------
    def new_tensor(
        self,
        data: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        *,
        backend: Any = None,
    ) -> Tensor:
        """A new tensor holding a copy of ``data``, with this tensor's dtype and backend unless
        ``dtype``/``device`` say otherwise (``data``'s own dtype is not used, as PyTorch).

        >>> import plugtorch as pt
        >>> pt.zeros(2).new_tensor([1, 2])
        tensor([1., 2.])
        """
        dtype, target = plugtorch.ops.creation.like_arguments(
            tensor_of(self), dtype, backend, device
        )
        source = data
        if isinstance(data, plugtorch.Tensor):
            warnings.warn(
                "To copy construct from a tensor, it is recommended to use "
                "sourceTensor.detach().clone() or "
                "sourceTensor.detach().clone().requires_grad_(True), rather than "
                "tensor.new_tensor(sourceTensor).",
                UserWarning,
                stacklevel=2,
            )
            source = data.detach()
        return plugtorch.ops.tensor(source, dtype, backend=target, requires_grad=requires_grad)

    def new_full(
        self,
        size: Any,
        fill_value: Any,
        *,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        backend: Any = None,
    ) -> Tensor:
        """A tensor of ``size`` filled with ``fill_value``, with this tensor's dtype and backend
        unless ``dtype``/``device`` say otherwise.

        >>> import plugtorch as pt
        >>> pt.ones(2, dtype=pt.int32).new_full((2, 2), 7)
        tensor([[7, 7],
                [7, 7]], dtype=plugtorch.int32)
        """
        dtype, target = plugtorch.ops.creation.like_arguments(
            tensor_of(self), dtype, backend, device
        )
        return plugtorch.ops.full(
            size, fill_value, dtype=dtype, backend=target, requires_grad=requires_grad
        )

    def new_zeros(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        backend: Any = None,
    ) -> Tensor:
        """Zeros of ``size`` (a tuple or separate ints), with this tensor's dtype and backend
        unless ``dtype``/``device`` say otherwise.

        >>> import plugtorch as pt
        >>> pt.ones(1, dtype=pt.float64).new_zeros(2, 3).dtype
        plugtorch.float64
        """
        shape = plugtorch.ops.creation.size_argument(size, "new_zeros")
        return self.new_full(
            shape, 0, dtype=dtype, device=device, requires_grad=requires_grad, backend=backend
        )

    def new_ones(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        backend: Any = None,
    ) -> Tensor:
        """Ones of ``size``, with this tensor's dtype and backend unless told otherwise.

        >>> import plugtorch as pt
        >>> pt.zeros(1, dtype=pt.int64).new_ones((2,))
        tensor([1, 1])
        """
        shape = plugtorch.ops.creation.size_argument(size, "new_ones")
        return self.new_full(
            shape, 1, dtype=dtype, device=device, requires_grad=requires_grad, backend=backend
        )

    def new_empty(
        self,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        backend: Any = None,
    ) -> Tensor:
        """A tensor of ``size`` like :meth:`new_zeros` (plugtorch never hands out
        uninitialised memory).

        >>> import plugtorch as pt
        >>> pt.ones(3).new_empty(2).shape
        (2,)
        """
        shape = plugtorch.ops.creation.size_argument(size, "new_empty")
        return self.new_full(
            shape, 0, dtype=dtype, device=device, requires_grad=requires_grad, backend=backend
        )

    # --- scatters ---------------------------------------------------------------------------
    def scatter(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Any = None,
        *,
        value: Any = None,
        reduce: str | None = None,
    ) -> Tensor:
        """See :func:`plugtorch.scatter` (``src`` a tensor, or a number as ``value``)."""
        return plugtorch.ops.scatter(tensor_of(self), dim, index, src, value=value, reduce=reduce)

    def scatter_(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Any = None,
        *,
        value: Any = None,
        reduce: str | None = None,
    ) -> Tensor:
        """In place :meth:`scatter` (every alias sees it).

        >>> import plugtorch as pt
        >>> x = pt.zeros(2, 3)
        >>> x.scatter_(1, pt.tensor([[0], [2]]), 1.0, reduce="add")
        tensor([[1., 0., 0.],
                [0., 0., 1.]])
        """
        result = plugtorch.ops.scatter(tensor_of(self), dim, index, src, value=value, reduce=reduce)
        return tensor_of(self)._assign(result, same_kind=False)

    def scatter_add_(self, dim: builtins.int, index: Tensor, src: Tensor) -> Tensor:
        """In place :func:`plugtorch.scatter_add`."""
        result = plugtorch.ops.scatter_add(tensor_of(self), dim, index, src)
        return tensor_of(self)._assign(result, same_kind=False)

    def scatter_reduce(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        """See :func:`plugtorch.scatter_reduce`."""
        return plugtorch.ops.scatter_reduce(
            tensor_of(self),
            dim,
            index,
            src,
            reduce,
            include_self=include_self,
        )

    def scatter_reduce_(
        self,
        dim: builtins.int,
        index: Tensor,
        src: Tensor,
        reduce: str,
        *,
        include_self: builtins.bool = True,
    ) -> Tensor:
        """In place :func:`plugtorch.scatter_reduce`."""
        result = self.scatter_reduce(dim, index, src, reduce, include_self=include_self)
        return tensor_of(self)._assign(result, same_kind=False)

    # --- repeats ----------------------------------------------------------------------------
    def repeat(self, *sizes: Any) -> Tensor:
        """Copies of this tensor side by side, ``sizes[d]`` times along each dimension (more
        sizes than dimensions add leading ones). Gradient: the sum over the copies.

        >>> import plugtorch as pt
        >>> pt.tensor([1, 2]).repeat(2, 1)
        tensor([[1, 2],
                [1, 2]])
        """
        return plugtorch.ops.repetition.repeat(tensor_of(self), *sizes)

    def tile(self, *dims: Any) -> Tensor:
        """See :func:`plugtorch.tile` (``dims`` as a tuple or as separate ints)."""
        counts = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        return plugtorch.ops.tile(tensor_of(self), tuple(counts))

    def repeat_interleave(
        self, repeats: Any = None, dim: builtins.int | None = None, *, output_size: Any = None
    ) -> Tensor:
        """See :func:`plugtorch.repeat_interleave`."""
        return plugtorch.ops.repeat_interleave(
            tensor_of(self), repeats, dim, output_size=output_size
        )

    # --- fused products: beta * self + alpha * product ----------------------------------------
    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """See :func:`plugtorch.addmm`."""
        return plugtorch.ops.addmm(tensor_of(self), mat1, mat2, beta=beta, alpha=alpha)

    def addmm_(self, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In place :func:`plugtorch.addmm` (the result must keep this tensor's shape)."""
        return tensor_of(self)._assign(self.addmm(mat1, mat2, beta=beta, alpha=alpha))

    def addmv(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """See :func:`plugtorch.addmv`."""
        return plugtorch.ops.addmv(tensor_of(self), mat, vec, beta=beta, alpha=alpha)

    def addmv_(self, mat: Tensor, vec: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In place :func:`plugtorch.addmv`."""
        return tensor_of(self)._assign(self.addmv(mat, vec, beta=beta, alpha=alpha))

    def baddbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """See :func:`plugtorch.baddbmm`."""
        return plugtorch.ops.baddbmm(tensor_of(self), batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In place :func:`plugtorch.baddbmm`."""
        return tensor_of(self)._assign(self.baddbmm(batch1, batch2, beta=beta, alpha=alpha))

    def addbmm(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """See :func:`plugtorch.addbmm`."""
        return plugtorch.ops.addbmm(tensor_of(self), batch1, batch2, beta=beta, alpha=alpha)

    def addbmm_(self, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        """In place :func:`plugtorch.addbmm`."""
        return tensor_of(self)._assign(self.addbmm(batch1, batch2, beta=beta, alpha=alpha))

    # --- numeric helpers and comparisons --------------------------------------------------------
    def lerp(self, end: Tensor, weight: Any) -> Tensor:
        """See :func:`plugtorch.lerp`."""
        return plugtorch.ops.lerp(tensor_of(self), end, weight)

    def nan_to_num(self, nan: Any = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
        """See :func:`plugtorch.nan_to_num`."""
        return plugtorch.ops.nan_to_num(tensor_of(self), nan, posinf, neginf)

    def nan_to_num_(self, nan: Any = 0.0, posinf: Any = None, neginf: Any = None) -> Tensor:
        """In place :func:`plugtorch.nan_to_num`."""
        return tensor_of(self)._assign(self.nan_to_num(nan, posinf, neginf))

    def isclose(
        self, other: Tensor, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: builtins.bool = False
    ) -> Tensor:
        """See :func:`plugtorch.isclose`."""
        return plugtorch.ops.isclose(tensor_of(self), other, rtol, atol, equal_nan)

    def allclose(
        self, other: Tensor, rtol: Any = 1e-05, atol: Any = 1e-08, equal_nan: builtins.bool = False
    ) -> builtins.bool:
        """See :func:`plugtorch.allclose`."""
        return plugtorch.ops.allclose(tensor_of(self), other, rtol, atol, equal_nan)

    def equal(self, other: Tensor) -> builtins.bool:
        """See :func:`plugtorch.equal`."""
        return plugtorch.ops.equal(tensor_of(self), other)
