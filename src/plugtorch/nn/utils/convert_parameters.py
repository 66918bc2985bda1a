"""``parameters_to_vector`` and ``vector_to_parameters``: one flat vector for all
parameters, and back (PyTorch's semantics)."""

from __future__ import annotations

from typing import Iterable

from plugtorch.ops.shape import cat, reshape
from plugtorch.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_backend(param: Tensor, backend: object) -> object:
    if backend is None:
        return param.backend
    if param.backend is not backend:
        raise TypeError(
            "Found two parameters on different devices (backends "
            f"{backend.name!r} and {param.backend.name!r}), this is currently not supported; "  # type: ignore[attr-defined]
            "move them to one backend first, e.g. model.to('numpy')"
        )
    return backend


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All ``parameters`` flattened and joined into one vector (differentiable).

    >>> import plugtorch as pt
    >>> parameters_to_vector([pt.ones(2, 2), pt.zeros(1)])
    tensor([1., 1., 1., 1., 0.])
    """
    backend = None
    pieces = []
    for param in parameters:
        backend = _check_same_backend(param, backend)
        pieces.append(reshape(param, (-1,)))
    if not pieces:
        raise ValueError("parameters_to_vector() needs at least one parameter")
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into ``parameters`` (each takes ``numel()`` values
    in order, viewed as its shape); sets each parameter's ``.data`` as PyTorch does.

    >>> import plugtorch as pt
    >>> a, b = pt.zeros(2), pt.zeros(1, 1)
    >>> vector_to_parameters(pt.tensor([1.0, 2.0, 3.0]), [a, b]); a, b
    (tensor([1., 2.]), tensor([[3.]]))
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected plugtorch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() != needed:
        raise ValueError(
            f"vector_to_parameters: vec must be 1-D with {needed} elements (the parameters' "
            f"total), got shape {tuple(vec.shape)}"
        )
    backend = None
    pointer = 0
    for param in params:
        backend = _check_same_backend(param, backend)
        count = param.numel()
        param.data = reshape(vec[pointer : pointer + count], param.shape).detach()
        pointer += count
