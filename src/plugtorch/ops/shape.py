"""Movement ops: reshaping, permuting, joining, splitting, flipping, padding, triangles."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.autograd import grad_mode
from plugtorch.backend.protocol import Backend, is_mutable
from plugtorch.ops import creation
from plugtorch.ops._autocast import PROMOTE, autocast_op
from plugtorch.ops._prepare import (
    astype,
    broadcast_shapes,
    expand_to,
    normalize_dim,
    normalize_dims,
)
from plugtorch.ops.elementwise import where
from plugtorch.ops.indexing import mark_multi_output, slice_dim
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.ops.views import is_contiguous_layout, layout, view_strides
from plugtorch.storage import counter_of
from plugtorch.tensor import Tensor

__all__ = [
    "reshape", "view", "permute", "transpose", "swapaxes", "movedim", "expand", "broadcast_to",
    "squeeze", "unsqueeze", "flatten", "unflatten", "cat", "concat", "stack", "split", "chunk",
    "flip", "roll", "pad", "tril", "triu", "contiguous", "broadcast_tensors",
]  # fmt: skip


def _shape_arg(shape: Sequence[Any]) -> tuple[Any, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _infer_shape(shape: tuple[int, ...], numel: int) -> tuple[int, ...]:
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ValueError(f"only one dimension can be -1 in shape {shape}")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise ValueError(f"invalid shape {shape}: sizes must be >= 0 or -1")
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise ValueError(f"shape {shape} is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1 :]
    elif known != numel:
        raise ValueError(f"shape {shape} is invalid for input of size {numel}")
    return shape


def _reshape_array(b: Backend, x: Any, shape: tuple[int, ...], copy: bool | None) -> Any:
    """Reshape a backend array: on mutable backends ``copy=False`` must give a view (or raise
    ValueError) and ``copy=True`` a fresh array; arrays of immutable backends are values."""
    if is_mutable(b):
        return b.reshape(x, shape, copy=copy)
    return b.reshape(x, shape)


@op("view", needs=(), view=True)
def view_op(b: Backend, x: Any, *, shape: tuple[int, ...]) -> Any:
    """Same memory, new shape (a view). Gradient: reshape back."""
    return _reshape_array(b, x, shape, False)


@view_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (_reshaped_gradient(g, ctx.inputs[0].shape),)


def _reshaped_gradient(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """``g`` reshaped for a reshape's or view's backward: without a graph of the gradient, by
    the backend's reshape alone (an op's dispatch per view costs more than the reshape)."""
    if grad_mode._state.enabled:
        return reshape(g, shape)
    return _alias_of(g, _reshape_array(g._backend, g._data, shape, None))


def _alias_of(g: Tensor, array: Any) -> Tensor:
    """A tensor over ``array``, a view of ``g``'s memory (or a copy), that shares ``g``'s version
    counter as the view op's result would: the engine then copies it before it becomes a leaf's
    ``.grad``, so that no ``.grad`` aliases the incoming gradient (the user's, another leaf's
    ``.grad``, or a broadcast one whose elements share one address)."""
    out = Tensor._make(array, g._backend, g._dtype)
    out._counter = counter_of(g)
    return out


@view_op.inverse
def _(b: Backend, base: Any, value: Any, *, shape: tuple[int, ...]) -> Any:
    return _reshape_array(b, value, tuple(base.shape), None)


@view_op.layout_rule
def _(current: Any, *, shape: tuple[int, ...]) -> Any:
    old_shape, strides, offset = current
    new_strides = view_strides(old_shape, strides, shape)
    if new_strides is None:
        raise RuntimeError("internal error: a view step that is not a view")
    return tuple(shape), new_strides, offset


@op("reshape", needs=())
def reshape_op(b: Backend, x: Any, *, shape: tuple[int, ...]) -> Any:
    """Same elements, new shape, new memory (when a view is impossible). Gradient: reshape
    back."""
    return _reshape_array(b, x, shape, True)


@reshape_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (_reshaped_gradient(g, ctx.inputs[0].shape),)


def _viewable(input: Tensor, shape: tuple[int, ...]) -> bool:
    """On an immutable backend: whether PyTorch's stride rule allows a view (mutable backends
    answer by trying: their ``reshape(copy=False)`` raises when it cannot)."""
    old_shape, strides, _ = layout(input)
    return view_strides(old_shape, strides, shape) is not None


def _view_or_none(input: Tensor, shape: tuple[int, ...]) -> Tensor | None:
    if input._backend.capabilities.mutable:
        try:
            return apply(view_op, (input,), input._dtype, shape=shape)
        except ValueError:
            return None
    if _viewable(input, shape):
        return apply(view_op, (input,), input._dtype, shape=shape)
    return None


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same elements in a new shape (one size may be -1): a view when the memory layout
    allows one, else a copy (as PyTorch, code should not rely on which). Gradient: reshaped
    back.

    >>> import plugtorch as pt
    >>> pt.reshape(pt.arange(6), (2, 3))
    tensor([[0, 1, 2],
            [3, 4, 5]])
    """
    new_shape = _infer_shape(_shape_arg(shape), input.numel())
    if new_shape == input.shape:
        return input
    viewed = _view_or_none(input, new_shape)
    if viewed is not None:
        return viewed
    return apply(reshape_op, (input,), input._dtype, shape=new_shape)


def view(input: Tensor, *shape: Any) -> Tensor:
    """The same memory seen with a new shape (one size may be -1): writes through the result
    reach ``input``. Raises when the memory layout does not allow it (use :func:`reshape`).

    >>> import plugtorch as pt
    >>> x = pt.zeros(4)
    >>> x.view(2, 2)[0, 1] = 5.0
    >>> x
    tensor([0., 5., 0., 0.])
    """
    new_shape = _infer_shape(_shape_arg(shape), input.numel())
    viewed = _view_or_none(input, new_shape)
    if viewed is None:
        raise ValueError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return viewed


def contiguous(input: Tensor) -> Tensor:
    """``input`` itself when its memory is row-major, else a row-major copy.

    >>> import plugtorch as pt
    >>> x = pt.ones(2, 3)
    >>> x.contiguous() is x, x.T.contiguous().is_contiguous()
    (True, True)
    """
    shape, strides, _ = layout(input)
    if is_contiguous_layout(shape, strides):
        return input
    return apply(reshape_op, (input,), input._dtype, shape=input.shape)


@op("permute", needs=(), view=True)
def permute_op(b: Backend, x: Any, *, dims: tuple[int, ...]) -> Any:
    """Reorder dimensions (a view). Gradient: the inverse permutation."""
    return b.permute_dims(x, dims)


def _inverse_permutation(dims: tuple[int, ...]) -> tuple[int, ...]:
    inverse = [0] * len(dims)
    for i, d in enumerate(dims):
        inverse[d] = i
    return tuple(inverse)


@permute_op.inverse
def _(b: Backend, base: Any, value: Any, *, dims: tuple[int, ...]) -> Any:
    return b.permute_dims(value, _inverse_permutation(dims))


@permute_op.layout_rule
def _(current: Any, *, dims: tuple[int, ...]) -> Any:
    shape, strides, offset = current
    return tuple(shape[d] for d in dims), tuple(strides[d] for d in dims), offset


@permute_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    dims = _inverse_permutation(ctx.params["dims"])
    if grad_mode._state.enabled:
        return (permute(g, dims),)
    return (_alias_of(g, g._backend.permute_dims(g._data, dims)),)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions: output dimension ``i`` is input dimension ``dims[i]``.

    >>> import plugtorch as pt
    >>> pt.permute(pt.zeros(2, 3, 4), (2, 0, 1)).shape
    (4, 2, 3)
    """
    order = tuple(normalize_dim(d, input.ndim) for d in _shape_arg(dims))
    if sorted(order) != list(range(input.ndim)):
        raise ValueError(f"permute: {order} is not a permutation of {input.ndim} dimensions")
    if order == tuple(range(input.ndim)):
        return input
    return apply(permute_op, (input,), input._dtype, dims=order)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions.

    >>> import plugtorch as pt
    >>> pt.transpose(pt.zeros(2, 3), 0, 1).shape
    (3, 2)
    """
    if input.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = normalize_dim(dim0, input.ndim), normalize_dim(dim1, input.ndim)
    order = list(range(input.ndim))
    order[d0], order[d1] = order[d1], order[d0]
    return permute(input, tuple(order))


swapaxes = transpose


def movedim(input: Tensor, source: int, destination: int) -> Tensor:
    """Move dimension ``source`` to position ``destination``.

    >>> import plugtorch as pt
    >>> pt.movedim(pt.zeros(2, 3, 4), 0, -1).shape
    (3, 4, 2)
    """
    src, dst = normalize_dim(source, input.ndim), normalize_dim(destination, input.ndim)
    order = [d for d in range(input.ndim) if d != src]
    order.insert(dst, src)
    return permute(input, tuple(order))


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying; -1 keeps a size. Gradient: summed back.

    >>> import plugtorch as pt
    >>> pt.expand(pt.tensor([[1], [2]]), (2, 3))
    tensor([[1, 1, 1],
            [2, 2, 2]])
    """
    target = _shape_arg(sizes)
    lead = len(target) - input.ndim
    if lead < 0:
        raise ValueError(f"expand: target shape {target} has fewer dimensions than {input.shape}")
    shape = tuple(
        input.shape[i - lead] if (s == -1 and i >= lead) else int(s) for i, s in enumerate(target)
    )
    return expand_to(input, shape)


def broadcast_to(input: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape`` (NumPy's name for :func:`expand`).

    >>> import plugtorch as pt
    >>> pt.broadcast_to(pt.tensor([1, 2]), (2, 2)).shape
    (2, 2)
    """
    return expand(input, tuple(shape))


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """All tensors broadcast to their common shape.

    >>> import plugtorch as pt
    >>> [t.shape for t in pt.broadcast_tensors(pt.zeros(2, 1), pt.zeros(3))]
    [(2, 3), (2, 3)]
    """
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand_to(t, shape) for t in tensors)


def squeeze(input: Tensor, dim: int | Sequence[int] | None = None) -> Tensor:
    """Remove dimensions of size 1 (all of them, or those in ``dim`` that have size 1).

    >>> import plugtorch as pt
    >>> pt.squeeze(pt.zeros(1, 3, 1)).shape
    (3,)
    """
    if dim is None:
        dims = {i for i, s in enumerate(input.shape) if s == 1}
    else:
        wanted = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {normalize_dim(d, input.ndim) for d in wanted}
        dims = {d for d in dims if input.ndim and input.shape[d] == 1}  # 0-d: dims 0, -1 ok
    return reshape(input, tuple(s for i, s in enumerate(input.shape) if i not in dims))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim``.

    >>> import plugtorch as pt
    >>> pt.unsqueeze(pt.zeros(3), 0).shape
    (1, 3)
    """
    position = normalize_dim(dim, input.ndim + 1)
    shape = list(input.shape)
    shape.insert(position, 1)
    return reshape(input, tuple(shape))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one.

    >>> import plugtorch as pt
    >>> pt.flatten(pt.zeros(2, 3, 4), 1).shape
    (2, 12)
    """
    if input.ndim == 0:
        return reshape(input, (1,))
    start, end = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    if start > end:
        raise ValueError("flatten: start_dim must not come after end_dim")
    shape = input.shape
    merged = math.prod(shape[start : end + 1])
    return reshape(input, shape[:start] + (merged,) + shape[end + 1 :])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1).

    >>> import plugtorch as pt
    >>> pt.unflatten(pt.zeros(2, 12), 1, (3, 4)).shape
    (2, 3, 4)
    """
    d = normalize_dim(dim, input.ndim)
    inner = _infer_shape(tuple(sizes), input.shape[d])
    return reshape(input, input.shape[:d] + inner + input.shape[d + 1 :])


@op("cat", needs=())
def cat_op(b: Backend, *arrays: Any, axis: int) -> Any:
    """Join along an existing axis. Gradient: the matching slice of grad for each input."""
    return b.concat(arrays, axis)


@cat_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor | None, ...]:
    axis = ctx.params["axis"]
    grads: list[Tensor | None] = []
    start = 0
    for tensor in ctx.inputs:
        size = tensor.shape[axis]
        grads.append(slice_dim(g, axis, start, start + size) if tensor.requires_grad else None)
        start += size
    return tuple(grads)


@autocast_op(cpu=PROMOTE, cuda=None)
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dimension (dtypes promote).

    >>> import plugtorch as pt
    >>> pt.cat([pt.zeros(2), pt.ones(1)])
    tensor([0., 0., 1.])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat() needs at least one tensor")
    backend = tensors[0]._backend
    for t in tensors:
        if t._backend is not backend:
            raise mixed_backend_error("cat", backend, t._backend)
    first = next((t for t in tensors if t.ndim), tensors[0])
    if first.ndim == 0:
        raise ValueError("cat(): zero-dimensional tensors cannot be concatenated; use stack()")
    tensors = [t for t in tensors if t.ndim]
    axis = normalize_dim(dim, first.ndim)
    for t in tensors:
        same = t.ndim == first.ndim and all(
            a == b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        )
        if not same:
            raise ValueError(
                f"cat(): sizes must match except in dimension {axis}, got {first.shape} and "
                f"{t.shape}"
            )
    dtype = tensors[0]._dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t._dtype)
    tensors = [astype(t, dtype) for t in tensors]
    if len(tensors) == 1:
        return tensors[0]
    return apply(cat_op, tuple(tensors), dtype, axis=axis)


concat = cat


@autocast_op(cpu=PROMOTE, cuda=None)
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dimension.

    >>> import plugtorch as pt
    >>> pt.stack([pt.zeros(2), pt.ones(2)]).shape
    (2, 2)
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack expects tensors of equal shape, got {shape} and {t.shape}")
    axis = normalize_dim(dim, len(shape) + 1)
    expanded = [unsqueeze(t, axis) for t in tensors]
    if len(expanded) == 1:
        return expanded[0]
    return cat(expanded, axis)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of a given size (last may be smaller) or of the listed sizes.

    >>> import plugtorch as pt
    >>> [t.shape for t in pt.split(pt.arange(5), 2)]
    [(2,), (2,), (1,)]
    """
    axis = normalize_dim(dim, tensor.ndim)
    if not tensor.ndim:
        raise ValueError("split expects at least a 1-dimensional tensor, got a 0-d one")
    length = tensor.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise ValueError("split size must be positive")
        sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != length:
            raise ValueError(f"split sizes {sizes} do not add up to dimension size {length}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(slice_dim(tensor, axis, start, start + size))
        start += size
    name = (
        "SplitBackward0" if isinstance(split_size_or_sections, int) else ("SplitWithSizesBackward0")
    )
    return mark_multi_output(tuple(pieces), name)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` nearly equal pieces (as ``torch.chunk``).

    >>> import plugtorch as pt
    >>> len(pt.chunk(pt.arange(6), 3))
    3
    """
    if chunks <= 0:
        raise ValueError("chunks must be positive")
    length = input.shape[normalize_dim(dim, input.ndim)]
    size = max(-(-length // chunks), 1)
    return split(input, size, dim)


@op("flip", needs=())
def flip_op(b: Backend, x: Any, *, dims: tuple[int, ...]) -> Any:
    """Reverse the order along dims. Gradient: flip back."""
    return b.flip(x, dims)


@flip_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (flip(g, ctx.params["dims"]),)


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """Reverse the order of elements along ``dims``.

    >>> import plugtorch as pt
    >>> pt.flip(pt.arange(3), 0)
    tensor([2, 1, 0])
    """
    axes = normalize_dims(dims, input.ndim)
    if not axes:
        return input
    return apply(flip_op, (input,), input._dtype, dims=axes)


def roll(
    input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None
) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts`` (flattened when ``dims`` is None).

    >>> import plugtorch as pt
    >>> pt.roll(pt.arange(4), 1)
    tensor([3, 0, 1, 2])
    """
    if dims is None or not input.ndim:  # a 0-d tensor rolls as one element (dims 0 or -1)
        return reshape(roll(flatten(input), shifts, 0), input.shape)
    shift_list = [shifts] if isinstance(shifts, int) else list(shifts)
    dim_list = [dims] if isinstance(dims, int) else list(dims)
    if len(shift_list) != len(dim_list):
        raise ValueError("roll: shifts and dims must have the same length")
    result = input
    for shift, d in zip(shift_list, dim_list):
        axis = normalize_dim(d, input.ndim)
        length = input.shape[axis]
        if length == 0:
            continue
        shift %= length
        if shift:
            result = cat(
                [
                    slice_dim(result, axis, length - shift, length),
                    slice_dim(result, axis, 0, length - shift),
                ],
                axis,
            )
    return result


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> Tensor:
    """Pad the last dimensions: ``pad = (left, right, top, bottom, ...)`` as ``F.pad``.

    Only ``mode="constant"``; negative padding crops. Composite (cat with constant blocks).

    >>> import plugtorch as pt
    >>> pt.pad(pt.ones(2), (1, 2))
    tensor([0., 1., 1., 0., 0.])
    """
    if mode != "constant":
        raise NotImplementedError(f"pad mode {mode!r}: only 'constant' is supported")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad {tuple(pad)} must have an even length of at most 2*{input.ndim}")
    result = input
    for i in range(len(pad) // 2):
        axis = input.ndim - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        length = result.shape[axis]
        result = slice_dim(result, axis, max(-before, 0), length - max(-after, 0))
        parts = []
        for amount in (before, after):
            shape = list(result.shape)
            shape[axis] = max(amount, 0)
            fill = creation.full(tuple(shape), value, dtype=input._dtype, backend=input._backend)
            parts.append(fill)
        if before > 0 or after > 0:
            result = cat([parts[0], result, parts[1]], axis)
    return result


def _triangle(input: Tensor, diagonal: int, lower: bool) -> Tensor:
    if input.ndim < 2:
        raise ValueError("tril/triu need a tensor with at least 2 dimensions")
    rows, cols = input.shape[-2:]
    mask = np.tri(rows, cols, k=diagonal if lower else diagonal - 1, dtype=bool)
    keep = creation.tensor(mask if lower else ~mask, backend=input._backend)
    zero = False if input._dtype is dtypes.bool_ else 0  # a zero that keeps the dtype
    return where(keep, input, zero)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Lower triangle of the last two dimensions (elements above ``diagonal`` become 0).

    >>> import plugtorch as pt
    >>> pt.tril(pt.ones(2, 2))
    tensor([[1., 0.],
            [1., 1.]])
    """
    return _triangle(input, diagonal, True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Upper triangle of the last two dimensions (elements below ``diagonal`` become 0).

    >>> import plugtorch as pt
    >>> pt.triu(pt.ones(2, 2))
    tensor([[1., 1.],
            [0., 1.]])
    """
    return _triangle(input, diagonal, False)
