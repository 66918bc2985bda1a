"""Indexing: ``t[key]``, ``t[key] = v``, ``gather``, ``scatter_add``, ``index_select``, ...

Basic keys (ints, slices with steps, ``None``, ``...``) go to the backend's ``getitem``.
Advanced keys (integer tensors, bool masks, lists) follow NumPy's rules exactly: the core works
out, on the host, which flat element each output takes, checks every index, and runs one
``take`` (whose gradient is one ``index_add``). No compiled kernel ever sees an unchecked index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch.autograd.grad_mode import is_grad_enabled
from plugtorch.backend.protocol import Backend, is_mutable
from plugtorch.ops._prepare import astype, expand_to, normalize_dim, scalar_tensor
from plugtorch.ops.creation import zeros
from plugtorch.ops.elementwise import where
from plugtorch.ops.inplace import assign, check_autograd, check_number, write
from plugtorch.ops.registry import apply, mixed_backend_error, op
from plugtorch.tensor import Tensor

__all__ = [
    "getitem", "setitem", "slice_dim", "gather", "scatter_add", "index_select", "index_add",
    "masked_fill", "take", "nonzero", "select", "narrow", "unbind",
]  # fmt: skip


def _expand_ellipsis(key: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    ellipses = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    used = sum(
        1
        for k in key
        if k is not None
        and k is not Ellipsis
        and not (isinstance(k, Tensor) and k._dtype is dtypes.bool_)
        and not (isinstance(k, np.ndarray) and k.dtype == bool)
    ) + sum(
        (
            k.ndim
            if isinstance(k, (Tensor, np.ndarray)) and (k.dtype == bool or k.dtype is dtypes.bool_)
            else 0
        )
        for k in key
    )
    if used > ndim:
        raise IndexError(f"too many indices for a tensor of dimension {ndim} ({used} given)")
    if ellipses:
        i = ellipses[0]
        return key[:i] + (slice(None),) * (ndim - used) + key[i + 1 :]
    return key + (slice(None),) * (ndim - used)


def _is_basic(key: tuple[Any, ...]) -> bool:
    for k in key:
        if not (k is None or k is Ellipsis or type(k) is slice or type(k) is int):
            if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
                return False
    return True


def _bounds_in_range(k: slice, size: int) -> slice:
    """The same selection with bounds in [-size, size]: the array API leaves others unspecified
    (array-api-strict refuses them), while Python and PyTorch clamp them."""
    if all(b is None or -size <= b <= size for b in (k.start, k.stop)):
        return k
    selected = range(*k.indices(size))
    if not selected:
        return slice(0, 0, 1)
    return slice(selected.start, selected.stop if selected.stop >= 0 else None, selected.step)


def _normalize_basic(key: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[Any, ...]:
    result: list[Any] = []
    axis = 0
    for k in key:
        if k is None:
            result.append(None)
            continue
        if isinstance(k, slice):
            # bounds may be 0-d integer tensors: make them ints (comparing them to None fails)
            bounds = (k.start, k.stop, k.step)
            k = slice(*(None if b is None else b.__index__() for b in bounds))
            result.append(_bounds_in_range(k, shape[axis]))
        else:
            size = shape[axis]
            index = int(k)
            if not -size <= index < size:
                raise IndexError(
                    f"index {index} is out of bounds for dimension {axis} with size {size}"
                )
            result.append(index % size)
        axis += 1
    return tuple(result)


@op("getitem", needs=(), view=True)
def getitem_op(b: Backend, x: Any, *, key: tuple[Any, ...]) -> Any:
    """Basic indexing (ints, slices, None): a view. Gradient: grad placed into zeros at ``key``."""
    return b.getitem(x, key)


@getitem_op.inverse
def _(b: Backend, base: Any, value: Any, *, key: tuple[Any, ...]) -> Any:
    if any(k is None for k in key):  # new axes select nothing: drop them from key and value
        key = tuple(k for k in key if k is not None)
        value = b.reshape(value, _selection_shape(tuple(base.shape), key))
    return b.setitem(base, key, value)


@getitem_op.layout_rule
def _(current: Any, *, key: tuple[Any, ...]) -> Any:
    shape, strides, offset = current
    new_shape: list[int] = []
    new_strides: list[int | None] = []
    axis = 0
    for k in key:
        if k is None:
            new_shape.append(1)
            new_strides.append(None)
            continue
        if isinstance(k, slice):
            start, stop, step = k.indices(shape[axis])
            length = len(range(start, stop, step))
            new_shape.append(length)
            new_strides.append(strides[axis] * step)
            if length:
                offset += start * strides[axis]
        else:
            offset += k * strides[axis]
        axis += 1
    new_shape.extend(shape[axis:])
    new_strides.extend(strides[axis:])
    # an inserted dimension gets the stride PyTorch's unsqueeze gives it
    filled: list[int] = [0] * len(new_strides)
    for i in range(len(new_strides) - 1, -1, -1):
        stride = new_strides[i]
        if stride is None:
            stride = new_shape[i + 1] * filled[i + 1] if i + 1 < len(new_strides) else 1
        filled[i] = stride
    return tuple(new_shape), tuple(filled), offset


@getitem_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    x = ctx.inputs[0]
    return (
        apply(
            getitem_backward_op,
            (g,),
            g._dtype,
            key=ctx.params["key"],
            shape=x.shape,
            dtype=g._dtype,
        ),
    )


@getitem_op.accumulate_rule
def _(ctx: Any, g: Tensor, into: Tensor) -> bool:
    # The engine's own gradient of x: add g at key in place, where the backward rule would
    # build zeros of x's shape, write g into them, and add that whole (a split's pieces, the
    # columns of a fused qkv projection: a full-size temporary, a write and an add per piece).
    key = ctx.params["key"]
    backend = into._backend
    if not is_mutable(backend) or any(k is None for k in key):
        return False
    backend.binary_inplace("add", backend.getitem(into._data, key), g._data)
    return True


@op("getitem_backward", needs=())
def getitem_backward_op(
    b: Backend, g: Any, *, key: tuple[Any, ...], shape: tuple[int, ...], dtype: dtypes.DType
) -> Any:
    """Zeros of ``shape`` with ``g`` written at ``key`` (getitem's gradient). Gradient: getitem."""
    return b.setitem(b.full(shape, 0, dtype), key, g)


@getitem_backward_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    return (apply(getitem_op, (g,), g._dtype, key=ctx.params["key"]),)


def _host_index(k: Any) -> Any:
    if isinstance(k, Tensor):
        host = np.asarray(k._backend.to_numpy(k._data))
        if k._dtype.is_floating_point:
            raise IndexError("tensors used as indices must be integer or bool tensors")
        return host
    if isinstance(k, (list, tuple)):
        host = np.asarray(k)
        if host.dtype.kind == "f":
            raise IndexError("lists used as indices must hold integers or bools")
        return host
    if isinstance(k, np.ndarray):
        return k
    return k


def _check_masks(key: tuple[Any, ...], shape: tuple[int, ...]) -> None:
    """A bool mask must have the shape of the dimensions it indexes (NumPy lets an empty mask
    through as an empty integer index; PyTorch does not)."""

    def width(k: Any) -> int:
        if k is None or k is Ellipsis:
            return 0
        return k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else 1

    consumed = sum(width(k) for k in key)
    axis = 0
    for k in key:
        if k is Ellipsis:
            axis += max(len(shape) - consumed, 0)
            continue
        if isinstance(k, np.ndarray) and k.dtype == bool:
            indexed = shape[axis : axis + k.ndim]
            if k.shape != indexed and k.ndim and len(indexed) == k.ndim:
                raise IndexError(
                    f"the shape of the mask {list(k.shape)} does not match the shape of the "
                    f"indexed tensor {list(shape)} at dimension {axis}"
                )
        axis += width(k)


def _flat_positions(key: tuple[Any, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Flat element numbers selected by an advanced ``key`` (NumPy semantics, checked)."""
    host_key = tuple(_host_index(k) for k in key)
    _check_masks(host_key, shape)
    numbers = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)
    try:
        return np.asarray(numbers[host_key])
    except IndexError as error:
        raise IndexError(f"{error} (tensor shape {shape})") from None


def getitem(input: Tensor, key: Any) -> Tensor:
    """``input[key]`` with NumPy/PyTorch semantics.

    >>> import plugtorch as pt
    >>> x = pt.arange(6).reshape(2, 3)
    >>> x[1, ::2]
    tensor([3, 5])
    >>> x[x > 3]
    tensor([4, 5])
    """
    if not isinstance(key, tuple):
        key = (key,)
    if _is_basic(key):
        full_key = _expand_ellipsis(key, input.ndim)
        normalized = _normalize_basic(full_key, input.shape)
        return apply(getitem_op, (input,), input._dtype, key=normalized)
    positions = _flat_positions(key, input.shape)
    flat = input.reshape(-1)
    index = Tensor._make(
        input._backend.asarray(positions.reshape(-1), dtypes.int64), input._backend, dtypes.int64
    )
    return _take_checked(flat, index, 0).reshape(positions.shape)


def setitem(input: Tensor, key: Any, value: Any) -> None:
    """``input[key] = value`` in place: every alias of ``input`` sees it (basic keys write
    through a view, advanced keys scatter). Differentiable with respect to ``value`` and to the
    untouched elements of ``input``, as PyTorch's ``CopySlices``/``IndexPutBackward``.

    >>> import plugtorch as pt
    >>> x = pt.zeros(2, 3)
    >>> row = x[0]
    >>> x[0, 1] = 5.0
    >>> row
    tensor([0., 5., 0.])
    """
    if not isinstance(key, tuple):
        key = (key,)
    backend = input._backend
    if not isinstance(value, Tensor):
        value = scalar_tensor(check_number(value, "setitem"), backend, input._dtype, ())
    elif value._backend is not backend:
        raise mixed_backend_error("setitem", backend, value._backend)
    recording = is_grad_enabled() and (input.requires_grad or value.requires_grad)
    if recording:
        check_autograd(input)
    if _is_basic(key):
        normalized = _normalize_basic(_expand_ellipsis(key, input.ndim), input.shape)
        if recording:
            target = apply(getitem_op, (input,), input._dtype, key=normalized)
            assign(target, _strip_leading_ones(value, target.ndim))
            return
        selected = _selection_shape(input.shape, normalized)
        write(input, _fit(value, selected, input._dtype)._data, normalized)
        return
    positions = _flat_positions(key, input.shape)
    per_dim = np.unravel_index(positions, input.shape) if input.ndim else ()
    index = tuple(backend.asarray(np.ascontiguousarray(a), dtypes.int64) for a in per_dim)
    if not recording:
        write(input, _fit(value, positions.shape, input._dtype)._data, index)
        return
    stripped = _strip_leading_ones(value, positions.ndim)
    fitted = expand_to(astype(stripped, input._dtype), positions.shape)
    flat = backend.asarray(positions.reshape(-1), dtypes.int64)
    assign(input, apply(index_put_op, (input, fitted), input._dtype, key=index, positions=flat))


def _selection_shape(shape: tuple[int, ...], key: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of ``x[key]`` for a normalized basic key (no array is made)."""
    return getitem_op.layout((shape, (0,) * len(shape), 0), key=key)[0]  # type: ignore[misc]


def _strip_leading_ones(value: Tensor, ndim: int) -> Tensor:
    """``value`` without leading size-1 dimensions beyond ``ndim`` (numpy lets a (1, n) value
    fill an (n,) selection)."""
    shape = value.shape
    while len(shape) > ndim and shape[0] == 1:
        shape = shape[1:]
    return value if shape == value.shape else value.reshape(shape)


@op("index_put", needs=())
def index_put_op(b: Backend, x: Any, values: Any, *, key: tuple[Any, ...], positions: Any) -> Any:
    """``x`` with ``values`` written at the int64 index arrays ``key`` (one per dimension, of
    values' shape; ``positions`` are the same places as flat indices). Gradient: ``grad`` with
    those places zeroed for ``x``; ``grad`` at those places for ``values``."""
    return b.setitem(x, key, values)


@index_put_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    values = ctx.inputs[1]
    params = ctx.params
    zero = zeros(values.shape, dtype=g._dtype, backend=g._backend)
    flat_index = Tensor._make(params["positions"], g._backend, dtypes.int64)
    taken = _take_checked(g.reshape(-1), flat_index, 0)
    return (
        apply(index_put_op, (g, zero), g._dtype, key=params["key"], positions=params["positions"]),
        taken.reshape(values.shape),
    )


def _fit(v: Tensor, shape: tuple[int, ...], dtype: dtypes.DType) -> Tensor:
    """``v`` without autograd, cast to ``dtype`` and broadcast to ``shape``."""
    return expand_to(astype(_strip_leading_ones(v.detach(), len(shape)), dtype), shape)


def slice_dim(input: Tensor, dim: int, start: int, stop: int, step: int = 1) -> Tensor:
    """``input`` sliced along one dimension (a helper for split, cat's gradient, ...)."""
    key = (slice(None),) * dim + (slice(start, stop, step),)
    return getitem(input, key)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, without that dimension (a view).

    >>> import plugtorch as pt
    >>> pt.arange(6).reshape(2, 3).select(1, 2)
    tensor([2, 5])
    """
    if input.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {dim}"
        )
    return getitem(input, (slice(None),) * axis + (index,))


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """``length`` elements along ``dim`` from ``start`` (a view).

    >>> import plugtorch as pt
    >>> pt.arange(5).narrow(0, 1, 3)
    tensor([1, 2, 3])
    """
    if input.ndim == 0:
        raise ValueError("narrow() cannot be applied to a 0-dim tensor.")
    axis = normalize_dim(dim, input.ndim)
    size = input.shape[axis]
    begin = int(start)
    if not -size <= begin <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {begin})"
        )
    begin %= size if size else 1
    if length < 0 or begin + length > size:
        raise ValueError(f"start ({begin}) + length ({length}) exceeds dimension size ({size}).")
    return slice_dim(input, axis, begin, begin + int(length))


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """Every slice along ``dim``, without that dimension (views of ``input``).

    >>> import plugtorch as pt
    >>> pt.unbind(pt.arange(4).reshape(2, 2))
    (tensor([0, 1]), tensor([2, 3]))
    """
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    axis = normalize_dim(dim, input.ndim)
    pieces = tuple(getitem(input, (slice(None),) * axis + (i,)) for i in range(input.shape[axis]))
    return mark_multi_output(pieces, "UnbindBackward0")


def mark_multi_output(pieces: tuple[Tensor, ...], creator: str) -> tuple[Tensor, ...]:
    """Views returned together by one function: PyTorch forbids writing to them in place
    while they require grad (it cannot rebase one of several outputs)."""
    for piece in pieces:
        if piece._view is not None:
            piece._view.creator = creator
    return pieces


# --- gather / scatter ------------------------------------------------------------------------


def _check_index(index: Tensor, size: int, name: str) -> Tensor:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}: index must be an integer tensor")
    if index._dtype.is_floating_point or index._dtype is dtypes.bool_:
        raise TypeError(f"{name}: index must be an integer tensor, got {index._dtype}")
    if index._dtype is not dtypes.int64:
        index = astype(index, dtypes.int64)
    if index.numel():
        b = index._backend
        axes = tuple(range(index.ndim))
        low = int(np.asarray(b.to_numpy(b.min(index._data, axes, False))))
        high = int(np.asarray(b.to_numpy(b.max(index._data, axes, False))))
        if low < 0 or high >= size:
            bad = low if low < 0 else high
            raise IndexError(
                f"{name}: index {bad} is out of range for a dimension of size {size} "
                f"(valid: 0 to {size - 1}; negative indices are not accepted here)"
            )
    return index


@op("take", needs=((1,), ()))
def take_op(b: Backend, x: Any, indices: Any, *, axis: int) -> Any:
    """Select entries along an axis by 1-D indices. Gradient: index_add into zeros."""
    return b.take(x, indices, axis)


@take_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None]:
    x, index = ctx.inputs
    axis = ctx.params["axis"]
    base = zeros(x.shape, dtype=g._dtype, backend=g._backend)
    return index_add(base, axis, index, g, _checked=True), None


def _take_checked(input: Tensor, index: Tensor, axis: int) -> Tensor:
    return apply(take_op, (input, index), input._dtype, axis=axis)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Entries of ``input`` along ``dim`` at the 1-D ``index``. Gradient: ``index_add``.

    >>> import plugtorch as pt
    >>> pt.index_select(pt.tensor([10, 20, 30]), 0, pt.tensor([2, 0]))
    tensor([30, 10])
    """
    axis = normalize_dim(dim, input.ndim)
    if index.ndim > 1:
        raise ValueError("index_select: index must be 1-D (or 0-d)")
    index = _check_index(index.reshape(-1), input.shape[axis] if input.ndim else 1, "index_select")
    return _take_checked(input, index, axis)


def take(input: Tensor, index: Tensor) -> Tensor:
    """Entries of the flattened ``input`` at ``index`` (output has index's shape).

    >>> import plugtorch as pt
    >>> pt.take(pt.tensor([[1, 2], [3, 4]]), pt.tensor([0, 3]))
    tensor([1, 4])
    """
    flat = input.reshape(-1)
    checked = _check_index(index.reshape(-1), flat.shape[0], "take")
    return _take_checked(flat, checked, 0).reshape(index.shape)


@op("index_add", needs=((), (), (1,)))
def index_add_op(b: Backend, x: Any, indices: Any, values: Any, *, axis: int) -> Any:
    """x with values added at indices along axis. Gradient: (grad, None, take(grad))."""
    return b.index_add(x, indices, values, axis)


@index_add_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None, Tensor]:
    x, index, values = ctx.inputs
    return g, None, _take_checked(g, index, ctx.params["axis"])


def index_add(
    input: Tensor,
    dim: int,
    index: Tensor,
    source: Tensor,
    *,
    alpha: float = 1,
    _checked: bool = False,
) -> Tensor:
    """A copy of ``input`` with ``alpha * source`` added at ``index`` along ``dim``.

    >>> import plugtorch as pt
    >>> pt.index_add(pt.zeros(3), 0, pt.tensor([0, 0, 2]), pt.ones(3))
    tensor([2., 0., 1.])
    """
    axis = normalize_dim(dim, input.ndim)
    if not _checked:
        index = _check_index(index, input.shape[axis], "index_add")
        expected = input.shape[:axis] + (index.numel(),) + input.shape[axis + 1 :]
        if index.ndim > 1 or tuple(source.shape) != expected:
            raise ValueError(
                f"index_add: source of shape {source.shape} does not fit: expected {expected} "
                f"(input {input.shape} with dimension {axis} the length of the 1-D index)"
            )
    if alpha != 1:
        source = source * alpha
    source = source.to(input._dtype)
    return apply(index_add_op, (input, index, source), input._dtype, axis=axis)


@op("gather", needs=((1,), ()))
def gather_op(b: Backend, x: Any, indices: Any, *, axis: int) -> Any:
    """out[i][j] = x[i][index[i][j]] along axis. Gradient: scatter_add into zeros."""
    return b.take_along_axis(x, indices, axis)


@gather_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None]:
    x, index = ctx.inputs
    base = zeros(x.shape, dtype=g._dtype, backend=g._backend)
    return scatter_add(base, ctx.params["axis"], index, g, _checked=True), None


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of ``input`` at ``index`` along ``dim`` (``torch.gather``).

    ``index`` has as many dimensions as ``input``; other dimensions must not exceed input's.
    ``sparse_grad=True`` is accepted; the gradient is dense (same values).

    >>> import plugtorch as pt
    >>> pt.gather(pt.tensor([[1, 2], [3, 4]]), 1, pt.tensor([[1], [0]]))
    tensor([[2],
            [3]])
    """
    axis = normalize_dim(dim, input.ndim)
    if index.ndim != input.ndim:
        raise ValueError(
            f"gather: index has {index.ndim} dimensions but input has {input.ndim}; they must match"
        )
    del sparse_grad  # plugtorch has no sparse tensors: the dense gradient has the values
    if not input.ndim:  # 0-d: dims 0 and -1 index the one element, as PyTorch
        return gather(input.reshape(1), 0, index.reshape(1)).reshape(())
    index = _check_index(index, input.shape[axis], "gather")
    if any(index.shape[d] != input.shape[d] for d in range(input.ndim) if d != axis):
        if any(index.shape[d] > input.shape[d] for d in range(input.ndim) if d != axis):
            raise ValueError(f"gather: index shape {index.shape} exceeds input shape {input.shape}")
        key = tuple(
            slice(0, index.shape[d]) if d != axis else slice(None) for d in range(input.ndim)
        )
        input = getitem(input, key)
    return apply(gather_op, (input, index), input._dtype, axis=axis)


@op("scatter_add", needs=((), (), (1,)))
def scatter_add_op(b: Backend, x: Any, indices: Any, values: Any, *, axis: int) -> Any:
    """x with values added at index along axis. Gradient: (grad, None, gather(grad))."""
    return b.scatter_add(x, indices, values, axis)


@scatter_add_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, None, Tensor]:
    x, index, values = ctx.inputs
    return g, None, apply(gather_op, (g, index), g._dtype, axis=ctx.params["axis"])


def scatter_add(
    input: Tensor, dim: int, index: Tensor, src: Tensor, *, _checked: bool = False
) -> Tensor:
    """A copy of ``input`` with ``src`` added at ``index`` along ``dim`` (duplicates add up).

    >>> import plugtorch as pt
    >>> pt.scatter_add(pt.zeros(3), 0, pt.tensor([0, 2, 0]), pt.ones(3))
    tensor([2., 0., 1.])
    """
    axis = normalize_dim(dim, input.ndim)
    if not _checked:
        if not (index.ndim == input.ndim == src.ndim) or any(
            index.shape[d] > src.shape[d] or (d != axis and index.shape[d] > input.shape[d])
            for d in range(index.ndim)
        ):
            raise ValueError(
                f"scatter_add: index {index.shape} must have the dimensions of input "
                f"{input.shape} and src {src.shape}, and no size larger than src's (nor than "
                f"input's outside dimension {axis})"
            )
        index = _check_index(index, input.shape[axis], "scatter_add")
        if index.shape != src.shape:
            key = tuple(slice(0, s) for s in index.shape)
            src = getitem(src, key)
    return apply(scatter_add_op, (input, index, src.to(input._dtype)), input._dtype, axis=axis)


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` wherever ``mask`` (bool, broadcastable) is True.

    >>> import plugtorch as pt
    >>> pt.masked_fill(pt.zeros(3), pt.tensor([True, False, True]), 1.0)
    tensor([1., 0., 1.])
    """
    if not isinstance(mask, Tensor) or mask._dtype is not dtypes.bool_:
        raise TypeError("masked_fill: mask must be a bool tensor")
    if isinstance(value, Tensor):
        value = value.to(input._dtype)
    elif not input._dtype.is_floating_point and isinstance(value, float):
        value = int(value)
    result = where(mask, value, input)
    return result if result._dtype is input._dtype else result.to(input._dtype)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of nonzero elements: an ``(n, ndim)`` int64 tensor, or a tuple of 1-D tensors.

    Computed on the host (output size depends on the data).

    >>> import plugtorch as pt
    >>> pt.nonzero(pt.tensor([0, 3, 0, 4]))
    tensor([[1],
            [3]])
    """
    host = np.asarray(input._backend.to_numpy(input._data))
    found = np.nonzero(host)
    backend = input._backend
    if as_tuple:
        return tuple(
            Tensor._make(backend.asarray(f, dtypes.int64), backend, dtypes.int64) for f in found
        )
    stacked = np.stack(found, axis=1) if found else np.zeros((0, 0), dtype=np.int64)
    return Tensor._make(backend.asarray(stacked, dtypes.int64), backend, dtypes.int64)
