"""Norms and diagonals: ``vector_norm norm diag``, composites of differentiable ops.

``vector_norm(x, ord)`` is ``(sum |x|**ord)**(1/ord)`` over ``dim``; ``ord=inf``/``-inf`` the
largest/smallest ``|x|``, ``ord=0`` the count of non-zeros. Gradient: as PyTorch, ``0`` (not
nan) for an all-zero vector, ties of ``inf``/``-inf`` share the gradient. ``norm`` is PyTorch's
older spelling (``p='fro'`` by default). ``plugtorch.array_api.linalg.vector_norm`` uses them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from plugtorch import dtypes
from plugtorch.ops import binary, logic, reduction, shape, unary, views
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._precision import computes_in_float32
from plugtorch.ops._prepare import astype, normalize_dims
from plugtorch.ops.creation import eye, full
from plugtorch.tensor import Tensor

__all__ = ["vector_norm", "norm", "diag"]

Dim = int | Sequence[int] | None


def _floating(input: Any, name: str, dtype: Any) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if dtype is not None:
        wanted = dtypes.as_dtype(dtype)
        if not wanted.is_floating_point:
            raise TypeError(f"{name}(): dtype must be floating point, got {wanted}")
        input = astype(input, wanted)
    if not input._dtype.is_floating_point:
        raise TypeError(
            f"{name}(): input dtype should be floating point, but got {input._dtype}; "
            "convert first with .float()"
        )
    return input


def _root(total: Tensor, power: float) -> Tensor:
    """``total ** (1 / power)``, with gradient 0 (not nan) where ``total`` is 0."""
    zero = logic.eq(total, 0)
    safe = logic.where(zero, 1.0, total)
    root = unary.sqrt(safe) if power == 2 else binary.pow(safe, 1.0 / power)
    return logic.where(zero, 0.0, root)


@computes_in_float32("x")
def vector_norm(
    x: Tensor,
    ord: float = 2,  # noqa: A002 (PyTorch's name)
    dim: Dim = None,
    keepdim: bool = False,
    *,
    dtype: Any = None,
) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when None):
    ``(sum |x|**ord)**(1/ord)``; ``inf``/``-inf``: ``max``/``min`` of ``|x|``; ``0``: the
    number of non-zeros. Floating-point input only (``dtype`` converts first).

    Gradient ``grad * sign(x) * |x|**(ord-1) / norm**(ord-1)``; 0 where the norm is 0.

    >>> import plugtorch as pt
    >>> pt.linalg.vector_norm(pt.tensor([3.0, -4.0]))
    tensor(5.)
    >>> pt.linalg.vector_norm(pt.tensor([3.0, -4.0]), ord=float("inf"))
    tensor(4.)
    """
    x = _floating(x, "linalg.vector_norm", dtype)
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        raise TypeError(f"linalg.vector_norm(): ord must be a number, got {ord!r}")
    dims = normalize_dims(dim, x.ndim)
    if ord in (math.inf, -math.inf) and any(x.shape[d] == 0 for d in dims):
        raise ValueError(
            f"linalg.vector_norm(): cannot compute the {ord} norm of an empty tensor: the "
            "operation has no identity"
        )
    magnitude = unary.abs(x)
    if ord == math.inf:
        return reduction.amax(magnitude, dims, keepdim)
    if ord == -math.inf:
        return reduction.amin(magnitude, dims, keepdim)
    if ord == 0:
        return reduction.sum(astype(logic.ne(x, 0), x._dtype), dims, keepdim)
    if ord == 1:
        return reduction.sum(magnitude, dims, keepdim)
    if ord == 2:
        return _root(reduction.sum(x * x, dims, keepdim), 2)
    return _root(reduction.sum(binary.pow(magnitude, float(ord)), dims, keepdim), float(ord))


@autocast_op(cpu=None, cuda=FLOAT32)
def norm(
    input: Tensor,
    p: float | str | None = "fro",
    dim: Dim = None,
    keepdim: bool = False,
    dtype: Any = None,
) -> Tensor:
    """PyTorch's ``torch.norm``: ``p='fro'`` (the default) is the 2-norm of all elements or of
    the one or two dimensions ``dim``; a number ``p`` is :func:`vector_norm` of ``p`` over
    ``dim``. ``p='nuc'`` is not supported (its singular values need
    ``plugtorch.array_api.linalg.matrix_norm(x, ord='nuc')``).

    >>> import plugtorch as pt
    >>> pt.norm(pt.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor(5.)
    >>> pt.tensor([[3.0, 4.0], [1.0, 0.0]]).norm(p=1, dim=1)
    tensor([7., 1.])
    """
    if p is None or p == "fro":
        if dim is not None and not isinstance(dim, int) and len(tuple(dim)) > 2:
            raise ValueError(f"norm(): the Frobenius norm takes at most 2 dims, got {dim}")
        return vector_norm(input, 2, dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        raise ValueError(
            f"norm(): p={p!r} is not supported; use 'fro' or a number (for the nuclear norm: "
            "plugtorch.array_api.linalg.matrix_norm(x, ord='nuc'))"
        )
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D ``input`` as the ``diagonal``-th diagonal of a square matrix of zeros (size
    ``n + |diagonal|``); a 2-D ``input``'s ``diagonal``-th diagonal as a 1-D tensor
    (``diagonal > 0`` above the main diagonal, ``< 0`` below). Gradient: the inverse placement.

    >>> import plugtorch as pt
    >>> pt.diag(pt.tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    >>> pt.diag(pt.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    tensor([2.])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"diag(): argument 'input' must be Tensor, not {type(input).__name__}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, numbers.Integral):
        raise TypeError(f"diag(): diagonal must be an int, got {diagonal!r}")
    k = int(diagonal)
    if input.ndim == 2:
        return views.diagonal(input, k, 0, 1).clone()  # a copy, as PyTorch (not a view)
    if input.ndim != 1:
        raise ValueError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    n = input.shape[0]
    mask = astype(eye(n, backend=input._backend), dtypes.bool_)
    zero = full((), 0, dtype=input._dtype, backend=input._backend)
    square = logic.where(mask, shape.unsqueeze(input, 0), zero)
    return shape.pad(square, (k, 0, 0, k) if k >= 0 else (0, -k, -k, 0))
