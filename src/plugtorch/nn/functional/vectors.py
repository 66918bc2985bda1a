"""Encodings and rescalings of vectors: ``one_hot normalize``.

``one_hot`` compares each class index with ``arange(num_classes)`` (not differentiable: its
result is int64); ``normalize`` divides by the ``p``-norm clamped below at ``eps``, composed of
differentiable ops (:func:`plugtorch.linalg.vector_norm`, ``clamp``, division).
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.ops import logic, norms, shape
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._prepare import astype
from plugtorch.ops.creation import arange
from plugtorch.tensor import Tensor

__all__ = ["one_hot", "normalize"]


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices of shape ``(*)`` as an int64 tensor of shape ``(*, num_classes)`` with a 1
    at each index and 0 elsewhere; ``num_classes=-1`` infers ``max(tensor) + 1``.

    The indices must be int64 (``.long()`` converts), non-negative and smaller than
    ``num_classes``; an empty tensor needs an explicit ``num_classes``.

    >>> import plugtorch as pt
    >>> pt.nn.functional.one_hot(pt.tensor([0, 2]))
    tensor([[1, 0, 0],
            [0, 0, 1]])
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'tensor' must be Tensor, not {type(tensor).__name__}")
    if tensor._dtype != dtypes.int64:
        raise TypeError(
            f"one_hot is only applicable to index tensor of type LongTensor (int64), got "
            f"{tensor._dtype}; convert with .long()"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise TypeError(f"one_hot(): num_classes must be an int, got {num_classes!r}")
    if num_classes < -1:
        raise ValueError(f"one_hot(): num_classes must be -1 (infer) or >= 0, got {num_classes}")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise ValueError(
                "one_hot(): Can not infer total number of classes from empty tensor; pass "
                "num_classes"
            )
    else:
        if int(tensor.min().item()) < 0:
            raise ValueError("one_hot(): Class values must be non-negative.")
        largest = int(tensor.max().item())
        if num_classes == -1:
            num_classes = largest + 1
        elif largest >= num_classes:
            raise ValueError(
                f"one_hot(): Class values must be smaller than num_classes ({num_classes}), "
                f"got {largest}"
            )
    classes = arange(num_classes, dtype=dtypes.int64, backend=tensor._backend)
    return astype(logic.eq(shape.unsqueeze(tensor.detach(), -1), classes), dtypes.int64)


@autocast_op(cpu=None, cuda=FLOAT32)
def normalize(
    input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """``input / max(||input||_p, eps)`` with the ``p``-norm taken over ``dim`` (kept), so every
    slice along ``dim`` gets norm 1 (an all-zero slice stays zero).

    Gradient: through the norm, the clamp and the division (the norm's gradient is 0 at 0).

    >>> import plugtorch as pt
    >>> pt.nn.functional.normalize(pt.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6000, 0.8000],
            [0.0000, 0.0000]])
    """
    if out is not None:
        raise TypeError("normalize(): out= is not supported; assign the result instead")
    denominator = logic.clamp(norms.vector_norm(input, p, dim, keepdim=True), min=eps)
    return input / denominator.expand(input.shape)
