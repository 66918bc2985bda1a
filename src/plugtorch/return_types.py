"""Named tuples returned by ops that give values and their indices (``torch.return_types``).

As in PyTorch, each is a tuple (``values, indices = torch.sort(x)`` unpacks it) whose fields
also have names (``torch.sort(x).indices``), and each op has its own type, named after it.

>>> import plugtorch as pt
>>> result = pt.topk(pt.tensor([1.0, 3.0, 2.0]), 2)
>>> result
plugtorch.return_types.topk(
values=tensor([3., 2.]),
indices=tensor([1, 2]))
>>> values, indices = result
>>> isinstance(result, pt.return_types.topk) and isinstance(result, tuple)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["sort", "topk", "kthvalue", "max", "min"]


def _show(result: Any) -> str:
    """PyTorch's layout: the type's dotted name, then one field per line."""
    fields = ",\n".join(f"{name}={value!r}" for name, value in zip(result._fields, result))
    return f"plugtorch.return_types.{type(result).__name__}(\n{fields})"


class sort(NamedTuple):  # noqa: N801 (PyTorch's name: torch.return_types.sort)
    """What :func:`plugtorch.sort` returns: the sorted values and where they came from."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _show(self)


class topk(NamedTuple):  # noqa: N801 (PyTorch's name)
    """What :func:`plugtorch.topk` returns: the k largest (or smallest) values and indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _show(self)


class kthvalue(NamedTuple):  # noqa: N801 (PyTorch's name)
    """What :func:`plugtorch.kthvalue` returns: the k-th smallest values and their indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _show(self)


class max(NamedTuple):  # noqa: N801, A001 (PyTorch's name: torch.return_types.max)
    """What :func:`plugtorch.max` returns with a ``dim``: the largest values and their (first)
    indices.

    >>> import plugtorch as pt
    >>> pt.max(pt.tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1).indices
    tensor([1, 0])
    """

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _show(self)


class min(NamedTuple):  # noqa: N801, A001 (PyTorch's name)
    """What :func:`plugtorch.min` returns with a ``dim``: the smallest values and their (first)
    indices."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        return _show(self)
