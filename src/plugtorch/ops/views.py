"""Views: strides and offsets, replaying and inverting view steps, ``diagonal``, ``as_strided``.

A view op (declared with ``view=True``: ``view``, ``getitem``, ``permute``, ``expand``,
``diagonal``, ``as_strided``) returns an array that shares its input's memory. The core knows
three things about each:

* its **forward** on arrays (a real view on mutable backends, a value on immutable ones);
* its **inverse** (``Op.scatter``): the input array with the view's elements replaced, which
  writes through a view on immutable backends and is the gradient of an in-place write through
  a view (PyTorch's ``CopySlices``);
* its **layout** (``Op.layout``): PyTorch's stride arithmetic, which gives ``stride()``,
  ``storage_offset()`` and ``is_contiguous()`` on immutable backends (mutable backends report
  their arrays' real strides) and decides there whether ``view()`` is possible.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from plugtorch import dtypes
from plugtorch.backend.protocol import Backend, MutableBackend, is_mutable
from plugtorch.ops._prepare import normalize_dim
from plugtorch.ops.creation import zeros
from plugtorch.ops.registry import apply, op
from plugtorch.storage import Step
from plugtorch.tensor import Tensor

__all__ = [
    "UntypedStorage",
    "data_ptr",
    "untyped_storage",
    "replay",
    "scatter_through",
    "view_scatter",
    "layout",
    "contiguous_strides",
    "is_contiguous_layout",
    "view_strides",
    "diagonal",
    "as_strided",
]

Layout = tuple[tuple[int, ...], tuple[int, ...], int]  # shape, strides, offset (in elements)


def replay(base: Tensor, chain: Sequence[Step]) -> Tensor:
    """The view ``chain`` applied to ``base`` with autograd (a view's fresh ``grad_fn``)."""
    out = base
    for view_op, params in chain:
        out = apply(view_op, (out,), out._dtype, **params)
    return out


def scatter_through(backend: Backend, root: Any, chain: Sequence[Step], value: Any) -> Any:
    """``root`` with the elements that ``chain`` selects replaced by ``value`` (functional).

    Forward through the chain to get every intermediate array, then back: each step's
    ``scatter`` puts the new view into its input.
    """
    arrays = [root]
    for view_op, params in chain[:-1]:
        arrays.append(view_op.forward(backend, arrays[-1], **params))
    for (view_op, params), source in zip(reversed(chain), reversed(arrays)):
        if view_op.scatter is None:
            raise RuntimeError(f"internal error: view op {view_op.name!r} has no inverse")
        value = view_op.scatter(backend, source, value, **params)
    return value


@op("view_scatter", needs=())
def view_scatter_op(b: Backend, base: Any, value: Any, *, chain: tuple[Any, ...]) -> Any:
    """``base`` with the elements that the view steps ``chain`` select replaced by ``value``
    (PyTorch's ``CopySlices``: the gradient of a write through a view). Gradient: ``grad`` with
    those elements zeroed for ``base``; the same view of ``grad`` for ``value``."""
    return scatter_through(b, base, chain, value)


@view_scatter_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor, Tensor]:
    chain = ctx.params["chain"]
    value = ctx.inputs[1]
    zero = zeros(value.shape, dtype=g._dtype, backend=g._backend)
    return view_scatter(g, zero, chain), replay(g, chain)


def view_scatter(base: Tensor, value: Tensor, chain: tuple[Any, ...]) -> Tensor:
    """``base`` (out of place) with the view ``chain`` of it replaced by ``value``.

    >>> import plugtorch as pt
    >>> x = pt.zeros(2, 3)
    >>> step = x[0]._view.chain
    >>> view_scatter(x, pt.ones(3), step)
    tensor([[1., 1., 1.],
            [0., 0., 0.]])
    """
    return apply(view_scatter_op, (base, value), base._dtype, chain=chain)


# --- strides ------------------------------------------------------------------------------


def contiguous_strides(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major strides (in elements) of ``shape``."""
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * max(shape[i + 1], 1)
    return tuple(strides)


def is_contiguous_layout(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """PyTorch's rule: row-major, ignoring the strides of size-1 dimensions; empty is contiguous."""
    if 0 in shape:
        return True
    expected = 1
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1:
            if stride != expected:
                return False
            expected *= size
    return True


def view_strides(
    old_shape: Sequence[int], old_strides: Sequence[int], new_shape: Sequence[int]
) -> tuple[int, ...] | None:
    """Strides for viewing ``old`` as ``new_shape`` without a copy, or None when impossible.

    PyTorch's rule: the new shape must split or merge runs of old dimensions that are laid out
    contiguously relative to each other (size-1 dimensions do not break a run).
    """
    if not old_shape:
        return tuple(1 for _ in new_shape)
    numel = math.prod(old_shape)
    if numel == 0:
        return (
            tuple(old_strides)
            if tuple(old_shape) == tuple(new_shape)
            else contiguous_strides(new_shape)
        )
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        run_ends = tensor_d == 0 or (
            old_shape[tensor_d - 1] != 1 and old_strides[tensor_d - 1] != tensor_numel * chunk_base
        )
        if run_ends:
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def layout(tensor: Tensor) -> Layout:
    """``(shape, strides, storage_offset)`` of ``tensor`` in elements, as PyTorch reports them.

    Mutable backends report their arrays' real strides. On immutable backends every array that
    is not a view is laid out row-major, and a view's layout follows from its steps.
    """
    backend = tensor._backend
    shape = tuple(tensor.shape)
    if backend.capabilities.mutable:
        start, _ = backend.storage_info(tensor._data)
        itemsize = tensor._dtype.itemsize
        offset = (backend.data_ptr(tensor._data) - start) // itemsize if itemsize else 0
        return shape, tuple(backend.strides(tensor._data)), offset
    storage = tensor._storage
    if storage is None:
        return shape, contiguous_strides(shape), 0
    root_shape = tuple(storage.array.shape)
    current: Layout = (root_shape, contiguous_strides(root_shape), 0)
    for view_op, params in storage.chain_of(tensor):
        if view_op.layout is None:
            raise RuntimeError(f"internal error: view op {view_op.name!r} has no layout rule")
        current = view_op.layout(current, **params)
    return current


# --- identity of memory ---------------------------------------------------------------------


class UntypedStorage:
    """The memory a tensor lives in (PyTorch's ``untyped_storage()``): aliases report the same
    ``data_ptr()``."""

    __slots__ = ("_ptr", "_nbytes", "device")

    def __init__(self, ptr: int, nbytes: int, device: Any) -> None:
        self._ptr = ptr
        self._nbytes = nbytes
        self.device = device

    def data_ptr(self) -> int:
        return self._ptr

    def nbytes(self) -> int:
        return self._nbytes

    def size(self) -> int:
        return self._nbytes

    def __len__(self) -> int:
        return self._nbytes

    def __repr__(self) -> str:
        return f"<UntypedStorage of {self._nbytes} bytes at {self._ptr:#x} on {self.device}>"


def _memory(tensor: Tensor) -> tuple[int, int]:
    """(start, nbytes) of the memory ``tensor`` lives in; synthetic on immutable backends."""
    backend = tensor._backend
    if backend.capabilities.mutable:
        start, nbytes = backend.storage_info(tensor._data)
        return int(start), int(nbytes)
    storage = tensor._storage
    root = tensor._data if storage is None else storage.array
    # Values have no address: the identity of the root array stands in for one.
    size = int(np.prod(tuple(root.shape), dtype=np.int64)) * tensor._dtype.itemsize
    return id(root if storage is None else storage) * 16, size


def data_ptr(tensor: Tensor) -> int:
    """Address of ``tensor``'s first element (PyTorch's ``data_ptr()``)."""
    backend = tensor._backend
    if backend.capabilities.mutable:
        return int(backend.data_ptr(tensor._data))
    start, _ = _memory(tensor)
    return start + layout(tensor)[2] * tensor._dtype.itemsize


def untyped_storage(tensor: Tensor) -> UntypedStorage:
    start, nbytes = _memory(tensor)
    return UntypedStorage(start, nbytes, tensor.device)


# --- diagonal -------------------------------------------------------------------------------


def _diagonal_geometry(
    shape: tuple[int, ...], offset: int, dim1: int, dim2: int
) -> tuple[int, int, int]:
    """(length, row start, column start) of the diagonal ``offset`` of dims ``dim1, dim2``."""
    rows, cols = shape[dim1], shape[dim2]
    if offset >= 0:
        length = max(min(rows, cols - offset), 0)
        return length, 0, offset
    length = max(min(rows + offset, cols), 0)
    return length, -offset, 0


def _diagonal_positions(
    shape: tuple[int, ...], offset: int, dim1: int, dim2: int
) -> tuple[tuple[int, ...], np.ndarray, tuple[int, ...]]:
    """(order moving dim1, dim2 last, flat positions of the diagonal in the last two dims
    flattened, the permuted shape)."""
    order = tuple(d for d in range(len(shape)) if d not in (dim1, dim2)) + (dim1, dim2)
    length, row, col = _diagonal_geometry(shape, offset, dim1, dim2)
    cols = shape[dim2]
    positions = (row + np.arange(length, dtype=np.int64)) * cols + col + np.arange(length)
    return order, positions, tuple(shape[d] for d in order)


@op("diagonal", needs=(), view=True)
def diagonal_op(b: Backend, x: Any, *, offset: int, dim1: int, dim2: int) -> Any:
    """The diagonal of two dimensions, as a new last dimension (a view). Gradient: grad placed
    on the diagonal of zeros."""
    shape = tuple(x.shape)
    if is_mutable(b):
        (_, strides, start) = _strided_layout(b, x, shape)
        new_shape, new_strides, new_offset = _diagonal_layout(
            (shape, strides, start), offset=offset, dim1=dim1, dim2=dim2
        )
        return b.as_strided(x, new_shape, new_strides, new_offset)
    order, positions, permuted = _diagonal_positions(shape, offset, dim1, dim2)
    moved = b.permute_dims(x, order)
    flat = b.reshape(moved, permuted[:-2] + (permuted[-2] * permuted[-1],))
    index = b.asarray(positions, dtypes.int64)
    return b.take(flat, index, len(permuted) - 2)


@diagonal_op.inverse
def _(b: Backend, base: Any, value: Any, *, offset: int, dim1: int, dim2: int) -> Any:
    shape = tuple(base.shape)
    order, positions, permuted = _diagonal_positions(shape, offset, dim1, dim2)
    moved = b.permute_dims(base, order)
    lead = permuted[:-2]
    flat = b.reshape(moved, lead + (permuted[-2] * permuted[-1],))
    grids = np.indices(lead + (len(positions),), sparse=False) if lead else None
    if grids is None:
        key: tuple[Any, ...] = (b.asarray(positions, dtypes.int64),)
    else:
        full_positions = np.broadcast_to(positions, lead + (len(positions),))
        key = tuple(b.asarray(np.ascontiguousarray(g), dtypes.int64) for g in grids[:-1]) + (
            b.asarray(np.ascontiguousarray(full_positions), dtypes.int64),
        )
    written = b.setitem(flat, key, value)
    inverse = [0] * len(order)
    for i, d in enumerate(order):
        inverse[d] = i
    return b.permute_dims(b.reshape(written, permuted), tuple(inverse))


def _diagonal_layout(current: Layout, *, offset: int, dim1: int, dim2: int) -> Layout:
    shape, strides, start = current
    length, row, col = _diagonal_geometry(shape, offset, dim1, dim2)
    keep = [d for d in range(len(shape)) if d not in (dim1, dim2)]
    new_shape = tuple(shape[d] for d in keep) + (length,)
    new_strides = tuple(strides[d] for d in keep) + (strides[dim1] + strides[dim2],)
    if length:
        start += row * strides[dim1] + col * strides[dim2]
    return new_shape, new_strides, start


diagonal_op.layout_rule(_diagonal_layout)


@diagonal_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    source = ctx.inputs[0]
    base = zeros(source.shape, dtype=g._dtype, backend=g._backend)
    return (view_scatter(base, g, ((diagonal_op, ctx.params),)),)


def _strided_layout(b: MutableBackend, x: Any, shape: tuple[int, ...]) -> Layout:
    start, _ = b.storage_info(x)
    itemsize = x.dtype.itemsize
    return shape, tuple(b.strides(x)), (b.data_ptr(x) - start) // itemsize


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal ``offset`` of dimensions ``dim1`` and ``dim2``, appended as the last
    dimension; a view (writes through it reach ``input``). Gradient: grad on a zero diagonal.

    >>> import plugtorch as pt
    >>> x = pt.arange(9.).reshape(3, 3)
    >>> pt.diagonal(x)
    tensor([0., 4., 8.])
    >>> x.diagonal(1)
    tensor([1., 5.])
    """
    d1, d2 = normalize_dim(dim1, input.ndim, "dim1"), normalize_dim(dim2, input.ndim, "dim2")
    if d1 == d2:
        raise ValueError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return apply(diagonal_op, (input,), input._dtype, offset=int(offset), dim1=d1, dim2=d2)


# --- as_strided -------------------------------------------------------------------------------


@op("as_strided", needs=(), view=True)
def as_strided_op(
    b: Backend, x: Any, *, size: tuple[int, ...], stride: tuple[int, ...], storage_offset: int
) -> Any:
    """A view of the input's memory with the given sizes, strides and offset (all in elements,
    the offset from the start of the memory). Gradient: summed back into the memory."""
    assert is_mutable(b)  # the public function refuses immutable backends
    return b.as_strided(x, size, stride, storage_offset)


def _as_strided_layout(
    current: Layout, *, size: tuple[int, ...], stride: tuple[int, ...], storage_offset: int
) -> Layout:
    return size, stride, storage_offset


as_strided_op.layout_rule(_as_strided_layout)


@as_strided_op.inverse
def _(
    b: Backend,
    base: Any,
    value: Any,
    *,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    storage_offset: int,
) -> Any:
    # Only reached for a fresh row-major array (a gradient): write into a copy of it.
    assert is_mutable(b)  # as_strided exists only on mutable backends
    out = b.reshape(base, tuple(base.shape), copy=True)
    b.setitem_inplace(b.as_strided(out, size, stride, storage_offset), (), value)
    return out


@as_strided_op.derivative
def _(ctx: Any, g: Tensor) -> tuple[Tensor]:
    source = ctx.inputs[0]
    params = ctx.params
    start, nbytes = source._backend.storage_info(source._data)
    itemsize = source._dtype.itemsize
    _, in_strides, in_offset = layout(source)
    # Every element of the output reads one memory position; the input's elements are memory
    # positions too: map both to flat memory numbers, add the gradient where they meet.
    out_positions = _positions(params["size"], params["stride"], params["storage_offset"])
    in_positions = _positions(source.shape, in_strides, in_offset)
    memory = zeros((nbytes // itemsize,), dtype=g._dtype, backend=g._backend)
    index = Tensor._make(
        g._backend.asarray(out_positions.reshape(-1), dtypes.int64), g._backend, dtypes.int64
    )
    memory = memory.index_add(0, index, g.reshape(-1))
    taken = Tensor._make(
        g._backend.asarray(in_positions.reshape(-1), dtypes.int64), g._backend, dtypes.int64
    )
    del start
    return (memory[taken].reshape(source.shape),)


def _positions(shape: Sequence[int], strides: Sequence[int], offset: int) -> np.ndarray:
    positions = np.full(tuple(shape), offset, dtype=np.int64)
    for axis, (size, stride) in enumerate(zip(shape, strides)):
        step = np.arange(size, dtype=np.int64) * stride
        positions = positions + step.reshape((-1,) + (1,) * (len(shape) - axis - 1))
    return positions


def as_strided(
    input: Tensor, size: Sequence[int], stride: Sequence[int], storage_offset: int | None = None
) -> Tensor:
    """A view of ``input``'s memory with explicit sizes and strides (``torch.as_strided``).

    Only on backends whose arrays are mutable strided memory (numpy, numba, cupy); the view
    must stay inside the memory. ``storage_offset`` defaults to ``input``'s own.

    >>> import plugtorch as pt
    >>> x = pt.arange(6.)
    >>> pt.as_strided(x, (2, 2), (1, 2))
    tensor([[0., 2.],
            [1., 3.]])
    """
    backend = input._backend
    size_t = tuple(int(s) for s in size)
    stride_t = tuple(int(s) for s in stride)
    if len(size_t) != len(stride_t):
        raise ValueError(
            f"mismatch in length of strides and shape: {len(stride_t)} strides for "
            f"{len(size_t)} dimensions"
        )
    if any(s < 0 for s in size_t) or any(s < 0 for s in stride_t):
        raise ValueError(
            f"as_strided: negative sizes or strides are not supported, got size {size_t} and "
            f"stride {stride_t}"
        )
    _, _, own_offset = layout(input)
    offset = own_offset if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise ValueError(f"as_strided: storage_offset must be >= 0, got {offset}")
    _, nbytes = _memory(input)
    itemsize = input._dtype.itemsize
    needed = offset + sum((s - 1) * st for s, st in zip(size_t, stride_t)) + 1
    if 0 not in size_t and needed * itemsize > nbytes:
        raise ValueError(
            f"setStorage: sizes {list(size_t)}, strides {list(stride_t)}, storage offset "
            f"{offset}, and itemsize {itemsize} requiring a storage size of "
            f"{needed * itemsize} are out of bounds for storage of size {nbytes}"
        )
    if not backend.capabilities.mutable:
        raise NotImplementedError(
            f"as_strided needs a backend whose arrays are strided memory (numpy, numba, cupy); "
            f"{backend.name!r} has arrays that are values. Use view/reshape/indexing instead."
        )
    return apply(
        as_strided_op,
        (input,),
        input._dtype,
        size=size_t,
        stride=stride_t,
        storage_offset=offset,
    )
