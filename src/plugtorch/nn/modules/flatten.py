"""``torch.nn.modules.flatten``: :class:`~plugtorch.nn.Flatten` and :class:`Unflatten`.

>>> import plugtorch as pt
>>> from plugtorch.nn.modules.flatten import Flatten
>>> Flatten()(pt.zeros(2, 3, 4)).shape
(2, 12)
"""

from __future__ import annotations

from collections.abc import Sequence

from plugtorch.nn.module import Module
from plugtorch.nn.modules.linear import Flatten
from plugtorch.tensor import Tensor

__all__ = ["Flatten", "Unflatten"]


class Unflatten(Module):
    """Split dimension ``dim`` into the shape ``unflattened_size`` (one entry may be -1), the
    inverse of :class:`Flatten`.

    >>> import plugtorch as pt
    >>> Unflatten(1, (2, 5))(pt.zeros(3, 10)).shape
    (3, 2, 5)
    >>> Unflatten(1, (2, 5))
    Unflatten(dim=1, unflattened_size=(2, 5))
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if isinstance(unflattened_size, (str, bytes)) or not isinstance(unflattened_size, Sequence):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple or list of ints, got "
                f"{unflattened_size!r}"
            )
        for size in unflattened_size:
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(
                    f"Unflatten: unflattened_size must hold ints, got {type(size).__name__}"
                )
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
