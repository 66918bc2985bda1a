"""PyTorch's ``Tensor`` methods for ordering, running sums, counting and sampling.

:class:`Tensor` inherits :class:`SortingMethods`. Every method forwards to the public function
of :mod:`plugtorch.ops` (``sorting``, ``cumulative``, ``counting``, ``sampling``), where the op
is declared and documented once; the in-place ones (``cumsum_``, ``cumprod_``) write through
``Tensor._assign``. ``plugtorch.ops`` is reached through the package at call time: it is built
on top of ``Tensor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import plugtorch

if TYPE_CHECKING:
    from plugtorch import return_types
    from plugtorch.tensor import Tensor

__all__ = ["SortingMethods"]


class SortingMethods:
    """``sort argsort msort topk kthvalue cumsum cumprod bincount histc unique
    unique_consecutive multinomial`` as methods."""

    __slots__ = ()

    def sort(
        self: Any, dim: int = -1, descending: bool = False, *, stable: bool = False
    ) -> return_types.sort:
        """See :func:`plugtorch.sort`."""
        return plugtorch.ops.sort(self, dim, descending, stable=stable)

    def argsort(
        self: Any, dim: int = -1, descending: bool = False, *, stable: bool = False
    ) -> Tensor:
        """See :func:`plugtorch.argsort`."""
        return plugtorch.ops.argsort(self, dim, descending, stable=stable)

    def msort(self: Any) -> Tensor:
        """See :func:`plugtorch.msort`."""
        return plugtorch.ops.msort(self)

    def topk(
        self: Any, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True
    ) -> return_types.topk:
        """See :func:`plugtorch.topk`."""
        return plugtorch.ops.topk(self, k, dim, largest, sorted)

    def kthvalue(
        self: Any, k: int, dim: int | None = None, keepdim: bool = False
    ) -> return_types.kthvalue:
        """See :func:`plugtorch.kthvalue`."""
        return plugtorch.ops.kthvalue(self, k, dim, keepdim)

    def cumsum(self: Any, dim: int, *, dtype: Any = None) -> Tensor:
        """See :func:`plugtorch.cumsum`."""
        return plugtorch.ops.cumsum(self, dim, dtype=dtype)

    def cumprod(self: Any, dim: int, *, dtype: Any = None) -> Tensor:
        """See :func:`plugtorch.cumprod`."""
        return plugtorch.ops.cumprod(self, dim, dtype=dtype)

    def cumsum_(self: Any, dim: int, *, dtype: Any = None) -> Tensor:
        """In-place :meth:`cumsum` (the result is cast back to this tensor's dtype).

        >>> import plugtorch as pt
        >>> t = pt.tensor([1.0, 2.0, 3.0])
        >>> t.cumsum_(0)
        tensor([1., 3., 6.])
        """
        return self._assign(plugtorch.ops.cumsum(self, dim, dtype=dtype))

    def cumprod_(self: Any, dim: int, *, dtype: Any = None) -> Tensor:
        """In-place :meth:`cumprod` (the result is cast back to this tensor's dtype)."""
        return self._assign(plugtorch.ops.cumprod(self, dim, dtype=dtype))

    def bincount(self: Any, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
        """See :func:`plugtorch.bincount`."""
        return plugtorch.ops.bincount(self, weights, minlength)

    def histc(self: Any, bins: int = 100, min: Any = 0, max: Any = 0) -> Tensor:  # noqa: A002
        """See :func:`plugtorch.histc`."""
        return plugtorch.ops.histc(self, bins, min, max)

    def unique(
        self: Any,
        sorted: bool = True,
        return_inverse: bool = False,
        return_counts: bool = False,
        dim: int | None = None,
    ) -> Any:
        """See :func:`plugtorch.unique`."""
        return plugtorch.ops.unique(self, sorted, return_inverse, return_counts, dim)

    def unique_consecutive(
        self: Any, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ) -> Any:
        """See :func:`plugtorch.unique_consecutive`."""
        return plugtorch.ops.unique_consecutive(self, return_inverse, return_counts, dim)

    def multinomial(
        self: Any, num_samples: int, replacement: bool = False, *, generator: Any = None
    ) -> Tensor:
        """See :func:`plugtorch.multinomial`."""
        return plugtorch.ops.multinomial(self, num_samples, replacement, generator=generator)
