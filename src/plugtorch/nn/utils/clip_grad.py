"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` and the two halves of the
former, ``get_total_norm`` and ``clip_grads_with_norm_`` (PyTorch's semantics).

The gradients are changed in place (``grad.mul_(...)``, ``grad.clamp_(...)``), so every alias
of a ``.grad`` tensor sees the clipped values, as in PyTorch.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Iterable, Union

from plugtorch import dtypes
from plugtorch.autograd import no_grad
from plugtorch.ops.creation import tensor
from plugtorch.ops.elementwise import clamp
from plugtorch.ops.linalg import dot
from plugtorch.ops.shape import stack
from plugtorch.tensor import Tensor

__all__ = [
    "clip_grad_norm_",
    "clip_grad_norm",
    "clip_grad_value_",
    "get_total_norm",
    "clip_grads_with_norm_",
]

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters: TensorOrTensors) -> list[Tensor]:
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def vector_norm(values: Tensor, ord: float) -> Tensor:
    """The ``ord``-norm of all elements of ``values`` as one vector (a 0-d tensor), as
    ``torch.linalg.vector_norm``: ``max|x|`` for ``inf``, ``min|x|`` for ``-inf``, the
    number of non-zeros for 0, else ``(sum |x|**ord)**(1/ord)``."""
    if ord == 2 and values.dtype in (dtypes.float32, dtypes.float64):
        # sum(x * x) as one dot product: one pass over the gradient, no temporaries (abs,
        # square and sum were three passes and two gradient-sized arrays; clipping the LSTM
        # model's 5M gradients took 14 of its ~170 ms per step at two threads)
        flat = values.reshape(-1)
        return dot(flat, flat).sqrt()
    magnitude = values.abs()
    if math.isinf(ord):
        if values.numel() == 0:
            raise RuntimeError(
                "linalg.vector_norm cannot compute the inf norm on an empty tensor because the "
                "operation does not have an identity"
            )
        return magnitude.amax() if ord > 0 else magnitude.amin()
    if ord == 0:
        return (values != 0).sum().to(values.dtype)
    if ord == 2:
        return (magnitude * magnitude).sum().sqrt()
    if ord == 1:
        return magnitude.sum()
    return (magnitude**ord).sum() ** (1.0 / ord)


def get_total_norm(
    tensors: TensorOrTensors,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of the norms of ``tensors`` (as if all were one vector).

    ``foreach`` is accepted for PyTorch compatibility; every backend takes the same path.

    >>> import plugtorch as pt
    >>> get_total_norm([pt.tensor([3.0]), pt.tensor([4.0])])
    tensor(5.)
    """
    values = _as_list(tensors)
    norm_type = float(norm_type)
    if not values:
        return tensor(0.0)
    with no_grad():
        first = values[0]
        norms = [vector_norm(t.detach(), norm_type) for t in values]
        norms = [n.to(first.backend) if n.backend is not first.backend else n for n in norms]
        dtype = functools.reduce(dtypes.promote_types, (n.dtype for n in norms))
        total = vector_norm(stack([n.to(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients of ``parameters`` in place by ``min(1, max_norm / (total_norm +
    1e-6))``, given a ``total_norm`` from :func:`get_total_norm`.

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0], requires_grad=True)
    >>> (w * 10).sum().backward()
    >>> clip_grads_with_norm_([w], 1.0, pt.tensor(10.0)); w.grad
    tensor([1.0000])
    """
    grads = _grads(parameters)
    if not grads:
        return
    with no_grad():
        coefficient = clamp(float(max_norm) / (total_norm + 1e-6), max=1.0)
        for grad in grads:
            scale = (
                coefficient if coefficient.backend is grad.backend else coefficient.to(grad.backend)
            )
            grad.mul_(scale.to(grad.dtype))


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients of ``parameters`` in place so that their total
    ``norm_type``-norm (all gradients seen as one vector) is at most ``max_norm``:
    ``g *= min(1, max_norm / (total_norm + 1e-6))``.

    Returns the total norm before clipping (a 0-d tensor). ``norm_type`` may be ``inf``;
    ``error_if_nonfinite=True`` raises when the norm is nan or infinite instead of scaling by
    it. ``foreach`` is accepted for PyTorch compatibility.

    >>> import plugtorch as pt
    >>> w = pt.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w / 2).sum().backward()          # grad = w, norm 5
    >>> clip_grad_norm_([w], max_norm=1.0)
    tensor(5.)
    >>> w.grad
    tensor([0.6000, 0.8000])
    """
    parameters = _as_list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated spelling of :func:`clip_grad_norm_` (warns, as PyTorch does).

    >>> import plugtorch as pt, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clip_grad_norm([pt.zeros(1, requires_grad=True)], 1.0)
    tensor(0.)
    """
    warnings.warn(
        "`plugtorch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`plugtorch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient of ``parameters`` in place to ``[-clip_value, clip_value]``.

    >>> import plugtorch as pt
    >>> w = pt.tensor([1.0, 2.0], requires_grad=True)
    >>> (w * pt.tensor([-5.0, 0.5])).sum().backward()
    >>> clip_grad_value_([w], 1.0); w.grad
    tensor([-1.0000,  0.5000])
    """
    clip_value = float(clip_value)
    with no_grad():
        for grad in _grads(parameters):
            grad.clamp_(min=-clip_value, max=clip_value)
