"""Activations: ``relu gelu sigmoid tanh silu softmax log_softmax``, numerically stable.

``softmax`` and ``log_softmax`` (``plugtorch.ops.activation``) and ``erf``
(``plugtorch.ops.special``) are declared with the ops: tensors have them as methods, and PyTorch
has them at top level too. They are exported here as well.
"""

from __future__ import annotations

import math
from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import AcceleratedBackend
from plugtorch.ops import elementwise as _elementwise
from plugtorch.ops._prepare import astype
from plugtorch.ops.activation import log_softmax, softmax
from plugtorch.ops.registry import apply, op
from plugtorch.ops.special import erf
from plugtorch.ops.unary import _dtype_of
from plugtorch.tensor import Tensor

_default = dtypes.get_default_dtype

__all__ = ["relu", "gelu", "sigmoid", "tanh", "silu", "softmax", "log_softmax", "erf"]


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise. Gradient: ``grad`` where ``x > 0``, else 0. With
    ``inplace=True`` the result is written into ``input`` (every alias sees it) and returned.

    >>> import plugtorch as pt
    >>> relu(pt.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    >>> x = pt.tensor([-1.0, 2.0]); _ = relu(x, inplace=True); x
    tensor([0., 2.])
    """
    return input.relu_() if inplace else _elementwise.relu(input)


def sigmoid(input: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))``, stable for large ``|x|``.

    >>> import plugtorch as pt
    >>> sigmoid(pt.tensor([0.0]))
    tensor([0.5000])
    """
    return _elementwise.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent.

    >>> import plugtorch as pt
    >>> tanh(pt.tensor([0.0]))
    tensor([0.])
    """
    return _elementwise.tanh(input)


@op("silu", needs=((0,),), primitive="silu")
def silu_op(b: AcceleratedBackend, x: Any) -> Any:
    """x * sigmoid(x) in one pass, by the backend's silu primitive. Gradient: through the
    decomposition, s * (1 + x * (1 - s))."""
    return b.silu(x)


@silu_op.decomposition
def _(x: Tensor) -> Tensor:
    return x * _elementwise.sigmoid(x)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    >>> import plugtorch as pt
    >>> silu(pt.tensor([0.0]))
    tensor([0.])
    """
    x = input if _dtype_of(input, "silu").is_floating_point else astype(input, _default())
    out = apply(silu_op, (x,), x._dtype)
    return input.copy_(out) if inplace else out


# --- gelu ----------------------------------------------------------------------------------


_TANH_SCALE = math.sqrt(2 / math.pi)


@op("gelu", needs=((0,),), primitive="gelu")
def gelu_op(b: AcceleratedBackend, x: Any, *, approximate: str) -> Any:
    """x * Phi(x) (Phi the normal CDF; ``approximate="tanh"``: its tanh form), by the
    backend's gelu primitive. Gradient: the gelu_backward primitive, else the decomposition's,
    grad * (Phi(x) + x * phi(x)) (tanh form: its derivative)."""
    return b.gelu(x, approximate)


@gelu_op.decomposition
def _(x: Tensor, *, approximate: str) -> Tensor:
    if approximate == "tanh":
        inner = _TANH_SCALE * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + _elementwise.tanh(inner))
    return x * (0.5 * (1 + erf(x * (1 / math.sqrt(2.0)))))


@gelu_op.backward_primitive("gelu_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any]:
    return (b.gelu_backward(g._data, ctx.inputs[0]._data, ctx.params["approximate"]),)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)`` (Phi the normal CDF, through :func:`erf`);
    ``approximate="tanh"`` uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, as
    PyTorch. One op (the backend's fused ``gelu`` primitive where it has one).

    Gradient ``grad * (Phi(x) + x * phi(x))`` (tanh form: the derivative of that formula).

    >>> import plugtorch as pt
    >>> gelu(pt.tensor([0.0, 10.0]))
    tensor([ 0., 10.])
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    dtype = _dtype_of(input, "gelu")
    x = input if dtype.is_floating_point else astype(input, _default())
    return apply(gelu_op, (x,), x._dtype, approximate=approximate)
