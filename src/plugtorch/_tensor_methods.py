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
        dtype, target = plugtorch.ops.creation.like_arguments(self, dtype, backend, device)
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
        dtype, target = plugtorch.ops.creation.like_arguments(self, dtype, backend, device)
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
