"""PyTorch's ``Tensor`` methods for value tests, the error function, norms and diagonals.

:class:`Tensor` inherits :class:`SurfaceMethods`. Every method forwards to the public function
(``plugtorch.ops.predicates``, ``plugtorch.ops.norms``, ``plugtorch.ops.special``), where it
is declared and documented once. Those modules are reached through the package at call time:
they are built on top of ``Tensor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import plugtorch

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["SurfaceMethods"]


class SurfaceMethods:
    """``isnan isinf isfinite isposinf isneginf isreal erf erfc nelement norm diag`` as
    methods."""

    __slots__ = ()

    def isnan(self: Any) -> Tensor:
        """See :func:`plugtorch.isnan`."""
        return plugtorch.ops.isnan(self)

    def isinf(self: Any) -> Tensor:
        """See :func:`plugtorch.isinf`."""
        return plugtorch.ops.isinf(self)

    def isfinite(self: Any) -> Tensor:
        """See :func:`plugtorch.isfinite`."""
        return plugtorch.ops.isfinite(self)

    def isposinf(self: Any) -> Tensor:
        """See :func:`plugtorch.isposinf`."""
        return plugtorch.ops.isposinf(self)

    def isneginf(self: Any) -> Tensor:
        """See :func:`plugtorch.isneginf`."""
        return plugtorch.ops.isneginf(self)

    def isreal(self: Any) -> Tensor:
        """See :func:`plugtorch.isreal`."""
        return plugtorch.ops.isreal(self)

    def erf(self: Any) -> Tensor:
        """See :func:`plugtorch.erf`."""
        return plugtorch.ops.erf(self)

    def erfc(self: Any) -> Tensor:
        """See :func:`plugtorch.erfc`."""
        return plugtorch.ops.erfc(self)

    def nelement(self: Any) -> int:
        """The number of elements (an alias of ``numel``).

        >>> import plugtorch as pt
        >>> pt.zeros(2, 3).nelement()
        6
        """
        return int(self.numel())

    def norm(
        self: Any,
        p: float | str | None = "fro",
        dim: int | Sequence[int] | None = None,
        keepdim: bool = False,
        dtype: Any = None,
    ) -> Tensor:
        """See :func:`plugtorch.norm`."""
        return plugtorch.ops.norm(self, p, dim, keepdim, dtype)

    def diag(self: Any, diagonal: int = 0) -> Tensor:
        """See :func:`plugtorch.diag`."""
        return plugtorch.ops.diag(self, diagonal)
