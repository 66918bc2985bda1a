"""Layer functions: ``linear embedding dropout layer_norm batch_norm flatten pad``."""

from __future__ import annotations

import math
from typing import Any, Sequence

from plugtorch import dtypes
from plugtorch import random as _random
from plugtorch.autograd import grad_mode, no_grad
from plugtorch.backend.protocol import AcceleratedBackend, Backend, is_mutable
from plugtorch.ops._autocast import FLOAT32, LOWER, autocast_op
from plugtorch.ops._precision import apply_in_float32, computes_in_float32
from plugtorch.ops._prepare import astype, broadcast_shapes, normalize_dim
from plugtorch.ops.creation import tensor
from plugtorch.ops.elementwise import rsqrt, where
from plugtorch.ops.indexing import index_select
from plugtorch.ops.registry import apply, op
from plugtorch.ops.shape import flatten, reshape
from plugtorch.tensor import Tensor

__all__ = ["linear", "embedding", "dropout", "layer_norm", "batch_norm", "flatten"]


@op("linear", needs=((1,), (0,), ()))
def linear_op(b: Backend, x: Any, w: Any, bias: Any = None) -> Any:
    """x @ w^T (+ bias) in one op, for x of shape (..., in) and bias of shape (out,): the
    leading dimensions are folded into the rows of one product inside the op (no reshape ops
    around it). Gradients: (g @ w, g^T @ x, sum(g)) over the folded rows."""
    y = b.matmul(_matrix(b, x), b.permute_dims(w, (1, 0)))
    if bias is not None:
        y = add_into_result(b, y, b.broadcast_to(bias, y.shape))
    return y if x.ndim == 2 else b.reshape(y, (*x.shape[:-1], w.shape[0]))


def add_into_result(b: Backend, y: Any, addend: Any) -> Any:
    """``y + addend`` (``addend`` already of ``y``'s shape) where ``y`` is a primitive's fresh
    result that nothing else holds: added in place on a mutable backend (every primitive but
    the views returns new memory there), a new array otherwise. A bias after a product."""
    if is_mutable(b):
        b.binary_inplace("add", y, addend)
        return y
    return b.add(y, addend)


def _matrix(b: Backend, a: Any) -> Any:
    """``a`` of shape (..., n) as a matrix (rows, n)."""
    return a if a.ndim == 2 else b.reshape(a, (math.prod(a.shape[:-1]), a.shape[-1]))


@linear_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    x, w = ctx.inputs[0], ctx.inputs[1]
    needs = [t.requires_grad for t in ctx.inputs]
    if len(needs) == 2:
        needs.append(False)
    if not grad_mode._state.enabled:
        # No graph of the gradient: the three products straight from the backend (a
        # reshape, transpose or product op each costs a dispatch; a linear layer's backward
        # on 3-D inputs ran eight of them).
        b, dtype = g._backend, g._dtype
        rows = _matrix(b, g._data)
        grads = (
            b.reshape(b.matmul(rows, w._data), x.shape) if needs[0] else None,
            b.matmul(b.permute_dims(rows, (1, 0)), _matrix(b, x._data)) if needs[1] else None,
            b.sum(rows, (0,), False) if needs[2] else None,
        )
        made = tuple(None if a is None else Tensor._make(a, b, dtype) for a in grads)
    else:  # differentiable (create_graph)
        # (rows, n) spelt out: a -1 cannot be inferred when n is 0
        g2 = g if g.ndim == 2 else reshape(g, (math.prod(g.shape[:-1]), g.shape[-1]))
        x2 = x if x.ndim == 2 else reshape(x, (math.prod(x.shape[:-1]), x.shape[-1]))
        made = (
            reshape(g2 @ w, x.shape) if needs[0] else None,
            g2.mT @ x2 if needs[1] else None,
            g2.sum(0) if needs[2] else None,
        )
    return made[: len(ctx.inputs)]


@autocast_op(cpu=LOWER, cuda=LOWER)
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` over the last dimension of ``input`` (one op).

    >>> import plugtorch as pt
    >>> linear(pt.ones(2, 3), pt.ones(4, 3), pt.zeros(4)).shape
    (2, 4)
    """
    try:
        fits = weight.ndim == 2 and input.ndim > 0 and input.shape[-1] == weight.shape[1]
    except AttributeError:
        raise TypeError(
            f"linear() expects tensors, got {type(input).__name__} and {type(weight).__name__}"
        ) from None
    if not fits:
        raise ValueError(
            f"linear: input {input.shape} and weight {weight.shape} do not fit "
            f"(expected input (..., {weight.shape[-1]}) and weight (out, in))"
        )
    if bias is not None:
        if not isinstance(bias, Tensor):
            raise TypeError(f"linear() expects a tensor bias, got {type(bias).__name__}")
        # A 1-D input is one row of the product (PyTorch's addmm): a (1, out) bias fits it too.
        result = (*input.shape[:-1], weight.shape[0]) if input.ndim > 1 else (1, weight.shape[0])
        try:
            fits = broadcast_shapes(tuple(bias.shape), result) == result
        except ValueError:
            fits = False
        if not fits:
            shown = (*input.shape[:-1], weight.shape[0])  # the result's shape, 1-D input too
            raise ValueError(
                f"linear: bias of shape {bias.shape} does not broadcast to the result {shown} "
                f"(expected bias ({weight.shape[0]},))"
            )
    dtype = dtypes.promote_types(input._dtype, weight._dtype)
    inputs: tuple[Tensor, ...] = (astype(input, dtype), astype(weight, dtype))
    if bias is not None and tuple(bias.shape) == (weight.shape[0],):
        inputs += (astype(bias, dtype),)
    y = apply_in_float32(linear_op, inputs, dtype)  # half: float32 sums, rounded once
    if bias is None or len(inputs) == 3:
        return y
    # Any other bias that broadcasts to the result, as PyTorch's ((1,), (), (rows, out)): the
    # broadcasting add, whose gradient sums back to the bias's shape.
    out = y + astype(bias, dtype)
    return out if out.ndim == y.ndim else reshape(out, y.shape)  # 1-D input, (1, out) bias


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` at the integer indices ``input``: shape ``input.shape + (dim,)``.

    The row at ``padding_idx`` gets no gradient. Gradient: ``index_add`` into ``weight``.

    >>> import plugtorch as pt
    >>> embedding(pt.tensor([[1, 0]]), pt.arange(6.0).reshape(3, 2))
    tensor([[[2., 3.],
             [0., 1.]]])
    """
    flat = reshape(input, (-1,))
    rows = index_select(weight, 0, flat)
    if padding_idx is not None:
        padding_idx = normalize_dim(padding_idx, weight.shape[0], "padding_idx")
        rows = where(reshape(flat == padding_idx, (-1, 1)), rows.detach(), rows)
    return reshape(rows, tuple(input.shape) + (weight.shape[1],))


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (inverted dropout: no rescaling at evaluation). The identity when not ``training``.

    The mask comes from plugtorch's global seeded generator, so it is the same on every backend.
    With ``inplace=True`` the result is written into ``input`` (every alias sees it).

    >>> import plugtorch as pt
    >>> dropout(pt.ones(3), p=0.5, training=False)
    tensor([1., 1., 1.])
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must lie in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        keep = _random.generator().random(tuple(input.shape)) >= p
        scale = keep.astype(input._dtype.numpy) * (1.0 / (1.0 - p))
        out = input * tensor(scale, dtype=input._dtype, backend=input._backend)
    return input.copy_(out) if inplace else out


@op("layer_norm", primitive="layer_norm", state=True)
def layer_norm_op(
    b: AcceleratedBackend, x: Any, *affine: Any, eps: float, parts: str, dims: int
) -> Any:
    """The last ``dims`` dimensions of x to mean 0 and variance 1, then * weight + bias, by
    the backend's layer_norm primitive on x as (rows, features) (it also returns each row's
    mean and 1/std, for the backward).

    Gradient: the layer_norm_backward primitive, else the decomposition's: with
    ``xhat = (x - mean) * rstd`` and ``h = grad * weight``, ``grad_x = rstd * (h - mean(h) -
    xhat * mean(h * xhat))``, ``grad_weight = sum(grad * xhat)`` and ``grad_bias = sum(grad)``
    over the leading dimensions.
    """
    rows = _rows(x.shape, dims)
    weight = b.reshape(affine[0], rows[1:]) if "w" in parts else None
    bias = b.reshape(affine[-1], rows[1:]) if "b" in parts else None
    y, state = b.layer_norm(b.reshape(x, rows), weight, bias, eps)
    return b.reshape(y, x.shape), state


def _rows(shape: tuple[int, ...], dims: int) -> tuple[int, int]:
    """``shape`` as (rows, features): the last ``dims`` dimensions are the features."""
    size = 1
    for side in shape[len(shape) - dims :]:
        size *= side
    total = 1
    for side in shape:
        total *= side
    return total // size, size


@layer_norm_op.decomposition
def _(x: Tensor, *affine: Tensor, eps: float, parts: str, dims: int) -> Tensor:
    axes = tuple(range(x.ndim - dims, x.ndim))
    mean = x.mean(axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(axes, keepdim=True)
    out = centered * rsqrt(var + eps)
    if "w" in parts:
        out = out * affine[0]
    if "b" in parts:
        out = out + affine[-1]
    return out


@layer_norm_op.backward_primitive("layer_norm_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any, ...]:
    parts = ctx.params["parts"]
    x = ctx.inputs[0]._data
    rows = _rows(x.shape, ctx.params["dims"])
    weight = b.reshape(ctx.inputs[1]._data, rows[1:]) if "w" in parts else None
    mean, rstd = ctx.state
    wanted = (needs[0], "w" in parts and needs[1], "b" in parts and needs[-1])
    gx, gw, gb = b.layer_norm_backward(
        b.reshape(g._data, rows), b.reshape(x, rows), weight, mean, rstd, wanted
    )
    shape = ctx.inputs[1]._data.shape if parts else ()
    grads: tuple[Any, ...] = (None if gx is None else b.reshape(gx, x.shape),)
    if "w" in parts:
        grads += (None if gw is None else b.reshape(gw, shape),)
    if "b" in parts:
        grads += (None if gb is None else b.reshape(gb, shape),)
    return grads


@autocast_op(cpu=None, cuda=FLOAT32)
@computes_in_float32("input", "weight", "bias")
def layer_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions to mean 0, variance 1
    (biased variance), then scale by ``weight`` and shift by ``bias``:
    ``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    One op (the backend's fused ``layer_norm`` primitive where it has one). Gradient:
    ``rstd * (h - mean(h) - xhat * mean(h * xhat))`` with ``h = grad * weight``.

    >>> import plugtorch as pt
    >>> layer_norm(pt.tensor([[1.0, 3.0]]), 2)
    tensor([[-1.0000,  1.0000]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape:
        raise ValueError(f"layer_norm: input {input.shape} does not end in {shape}")
    affine = [t for t in (weight, bias) if t is not None]
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} of shape {value.shape} does not match normalized_shape {shape}"
            )
    dtype = input._dtype
    for value in affine:
        dtype = dtypes.promote_types(dtype, value._dtype)
    if not dtype.is_floating_point:
        dtype = dtypes.get_default_dtype()
    inputs = tuple(astype(t, dtype) for t in (input, *affine))
    params: dict[str, Any] = {
        "eps": float(eps),
        "parts": ("w" if weight is not None else "") + ("b" if bias is not None else ""),
        "dims": len(shape),
    }
    if input.numel() == 0:  # nothing to normalise: the decomposition gives PyTorch's result
        return layer_norm_op.decompose(*inputs, **params)  # type: ignore[misc]
    return apply(layer_norm_op, inputs, dtype, **params)


@computes_in_float32("input", "weight", "bias")
def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dimension 1) over the batch and any spatial dimensions.

    In training, batch statistics are used (biased variance) and the running statistics, if
    given, are updated in place: ``running = (1 - momentum) * running + momentum * batch``
    with the unbiased variance, as PyTorch. In evaluation the running statistics are used.

    >>> import plugtorch as pt
    >>> batch_norm(pt.tensor([[1.0], [3.0]]), None, None, training=True)
    tensor([[-1.0000],
            [ 1.0000]])
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm expects (N, C, ...), got {input.shape}")
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training or running_mean is None or running_var is None:
        count = input.numel() // input.shape[1]
        if training and count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"of shape {input.shape}"
            )
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if training and running_mean is not None and running_var is not None:
            with no_grad():
                unbiased = reshape(var.detach(), (-1,)) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(reshape(mean.detach(), (-1,)) * momentum)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
        out = centered * rsqrt(var + eps)
    else:
        mean = reshape(running_mean, shape)
        out = (input - mean) * rsqrt(reshape(running_var, shape) + eps)
    if weight is not None:
        out = out * reshape(weight, shape)
    if bias is not None:
        out = out + reshape(bias, shape)
    return out
