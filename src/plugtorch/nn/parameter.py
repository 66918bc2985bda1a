"""``Parameter``: a tensor that a :class:`~plugtorch.nn.Module` registers as learnable."""

from __future__ import annotations

from typing import Any

from plugtorch.ops.creation import tensor, zeros
from plugtorch.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is registered when assigned to a module
    attribute (``self.weight = Parameter(...)``). It shares ``data``'s memory: writes through
    either are seen by both.

    >>> import plugtorch as pt
    >>> p = Parameter(pt.zeros(2))
    >>> p.requires_grad, p.is_leaf
    (True, True)
    """

    __slots__ = ()

    def __new__(cls, data: Any = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            data = zeros(0)
        elif not isinstance(data, Tensor):
            data = tensor(data)
        self = cls._alias(data)
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce__(self) -> Any:
        raise TypeError("plugtorch never pickles tensors; use plugtorch.save(state_dict, path)")


class Buffer(Tensor):
    """Marks a tensor to register as a buffer when assigned to a module attribute (as
    ``torch.nn.Buffer``); the module stores a plain tensor.

    >>> import plugtorch as pt
    >>> Buffer(pt.zeros(1)).persistent
    True
    """

    __slots__ = ("persistent",)
    persistent: bool

    def __new__(cls, data: Tensor, *, persistent: bool = True) -> Buffer:
        self = cls._alias(data)
        self.persistent = persistent
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Buffer:
        copied = super().__deepcopy__(memo)
        copied.persistent = self.persistent  # type: ignore[attr-defined]
        return copied  # type: ignore[return-value]
