"""``softmax`` and ``log_softmax``: the activations that normalize along one dimension.

Both are ops with a direct backward rule (one op each way instead of the five of a composite);
both subtract the row maximum (detached: it does not change the result) so logits of size 1e4
stay finite. A backend that declares the ``softmax`` / ``log_softmax`` primitive computes the
forward; otherwise the fallback below does, in required primitives. softmax's gradient is one
op too (``softmax_backward``: the backend's primitive when it declares one). ``nn.functional``
exports both, as PyTorch does.
"""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import AcceleratedBackend, Backend
from plugtorch.ops._autocast import FLOAT32, autocast_op
from plugtorch.ops._precision import computes_in_float32
from plugtorch.ops._prepare import astype, normalize_dim
from plugtorch.ops.registry import apply, op
from plugtorch.ops.unary import exp
from plugtorch.tensor import Tensor

__all__ = ["softmax", "log_softmax"]


def _shifted(b: Backend, x: Any, axis: int) -> Any:
    """``x - max(x)`` along ``axis``. Like PyTorch, the max is subtracted even when it is
    +-inf or nan, so a row holding +inf (or only -inf, or a nan) gives nan everywhere:
    ``softmax([1, inf])`` is ``[nan, nan]``."""
    shift = b.max(x, (axis,), True)
    return b.subtract(x, b.broadcast_to(shift, x.shape))


@op("softmax", saves_output=True, needs=(), primitive="softmax")
def softmax_op(b: AcceleratedBackend, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    """exp(x) / sum(exp(x)) along axis, max-subtracted. Gradient: s * (g - sum(g * s))."""
    return b.softmax(x, axis)


@softmax_op.fallback
def _(b: Backend, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    e = b.exp(_shifted(b, x, axis))
    return b.divide(e, b.broadcast_to(b.sum(e, (axis,), True), e.shape))


@softmax_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    axis = ctx.params["axis"]
    return (apply(softmax_backward_op, (g, ctx.output), g._dtype, axis=axis),)


@op("softmax_backward", primitive="softmax_backward")
def softmax_backward_op(b: AcceleratedBackend, g: Any, s: Any, *, axis: int) -> Any:
    """s * (g - sum(g * s, axis)) in one op (softmax's gradient, s its output), by the
    backend's softmax_backward primitive. Gradients: through the decomposition."""
    return b.softmax_backward(g, s, axis)


@softmax_backward_op.decomposition
def _(g: Tensor, s: Tensor, *, axis: int) -> Tensor:
    return s * (g - (g * s).sum(axis, keepdim=True))


@op("log_softmax", saves_output=True, needs=(), primitive="log_softmax")
def log_softmax_op(b: AcceleratedBackend, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    """x - logsumexp(x) along axis, max-subtracted. Gradient: g - softmax(x) * sum(g)."""
    return b.log_softmax(x, axis)


@log_softmax_op.fallback
def _(b: Backend, x: Any, *, axis: int, dtype: dtypes.DType) -> Any:
    z = _shifted(b, x, axis)
    total = b.log(b.sum(b.exp(z), (axis,), True))
    return b.subtract(z, b.broadcast_to(total, z.shape))


@log_softmax_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    axis = ctx.params["axis"]
    return (g - exp(ctx.output) * g.sum(axis, keepdim=True),)


def _softmax_input(input: Tensor, dim: int | None, dtype: Any, name: str) -> tuple[Tensor, int]:
    if dim is None:
        raise TypeError(f"{name}: pass dim explicitly (PyTorch's implicit choice is deprecated)")
    if dtype is not None:
        input = astype(input, dtypes.as_dtype(dtype))
    elif not input._dtype.is_floating_point:
        input = astype(input, dtypes.get_default_dtype())
    return input, normalize_dim(dim, input.ndim)


@autocast_op(cpu=None, cuda=FLOAT32)
@computes_in_float32("input")
def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``; finite for any finite logits.

    Gradient ``s * (grad - sum(grad * s, dim))``.

    >>> import plugtorch as pt
    >>> pt.softmax(pt.tensor([0.0, 1e4]), dim=0)
    tensor([0., 1.])
    """
    x, axis = _softmax_input(input, dim, dtype, "softmax")
    if 0 in x.shape:
        return x.clone()  # nothing to normalise (PyTorch returns an empty tensor)
    if x.ndim == 0:
        return apply(softmax_op, (x.reshape(1),), x._dtype, axis=0, dtype=x._dtype).reshape(())
    return apply(softmax_op, (x,), x._dtype, axis=axis, dtype=x._dtype)


@autocast_op(cpu=None, cuda=FLOAT32)
@computes_in_float32("input")
def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``dim``; finite for any finite logits.

    Gradient ``grad - softmax(x) * sum(grad, dim)``.

    >>> import plugtorch as pt
    >>> pt.log_softmax(pt.tensor([0.0, 1e4]), dim=0)
    tensor([-10000.,      0.])
    """
    x, axis = _softmax_input(input, dim, dtype, "log_softmax")
    if 0 in x.shape:
        return x.clone()  # nothing to normalise (PyTorch returns an empty tensor)
    if x.ndim == 0:
        out = apply(log_softmax_op, (x.reshape(1),), x._dtype, axis=0, dtype=x._dtype)
        return out.reshape(())
    return apply(log_softmax_op, (x,), x._dtype, axis=axis, dtype=x._dtype)
