"""The tensor collectives of ``torch.distributed``, with PyTorch's signatures and semantics.

Each function checks its arguments once (tensor types, list lengths, shapes, dtypes, ranks,
the reduce op against the dtype), hands contiguous buffers of the tensors' arrays to the process
group, and writes results back into the output tensors in place when the operation completes:
at once for ``async_op=False`` (the default), at ``work.wait()`` for ``async_op=True``.

With ``n`` ranks holding ``x_0 .. x_{n-1}``:

=================  ==========================================================================
``all_reduce``     every rank's tensor becomes ``op(x_0, ..., x_{n-1})``
``reduce``         only rank ``dst``'s tensor does
``broadcast``      every tensor becomes ``x_src``
``all_gather``     ``tensor_list[i] = x_i`` on every rank
``reduce_scatter`` rank ``r``'s output is ``op`` over ranks of ``input_list[r]``
``gather``         ``gather_list[i] = x_i`` on rank ``dst``
``scatter``        rank ``r``'s tensor becomes ``scatter_list[r]`` of rank ``src``
=================  ==========================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from plugtorch.distributed._init import default_group
from plugtorch.distributed._types import ReduceOp
from plugtorch.distributed._work import Work
from plugtorch.tensor import Tensor

if TYPE_CHECKING:
    from plugtorch.distributed._group import ProcessGroup
    from plugtorch.tensor import Tensor

__all__ = [
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "gather",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
]


def check_tensor(group: ProcessGroup, tensor: Any, argument: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{argument} must be a plugtorch Tensor, got {type(tensor).__name__}")
    group.check_tensor(tensor, argument)


def check_rank(group: ProcessGroup, rank: Any, argument: str) -> int:
    if not isinstance(rank, int) or isinstance(rank, bool) or not 0 <= rank < group.size:
        raise ValueError(
            f"{argument}={rank!r} is not a rank of this process group (0 to {group.size - 1})"
        )
    return rank


def _check_op(op: Any, tensor: Tensor) -> ReduceOp:
    if not isinstance(op, ReduceOp):
        raise TypeError(f"op must be a plugtorch.distributed.ReduceOp, got {op!r}")
    dtype = tensor.dtype
    if op is ReduceOp.AVG and not dtype.is_floating_point:
        raise ValueError(f"ReduceOp.AVG needs a floating point tensor; this one is {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.is_floating_point:
        raise ValueError(f"ReduceOp.{op.name} needs an integer or bool tensor; this one is {dtype}")
    return op


def _check_list(
    group: ProcessGroup, tensors: Any, like: Tensor, argument: str, what: str
) -> list[Tensor]:
    if not isinstance(tensors, (list, tuple)) or len(tensors) != group.size:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(
            f"{argument} must be a list of {group.size} tensors (one per rank), got {got}"
        )
    for i, item in enumerate(tensors):
        check_tensor(group, item, f"{argument}[{i}]")
        if item.shape != like.shape or item.dtype is not like.dtype:
            raise ValueError(
                f"{argument}[{i}] has shape {tuple(item.shape)} and dtype {item.dtype}, but "
                f"{what} has shape {tuple(like.shape)} and dtype {like.dtype}; they must match"
            )
    return list(tensors)


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def barrier(
    group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None
) -> Work | None:
    """Block until every rank of the group has called ``barrier``."""
    pg = default_group(group)
    return _finish(pg.barrier(pg.begin("barrier")), async_op)


def broadcast(
    tensor: Tensor, src: int, group: ProcessGroup | None = None, async_op: bool = False
) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank (in place)."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    check_rank(pg, src, "src")
    buffer = pg.buffer(tensor)
    if pg.rank != src:
        buffer = pg.empty(buffer.shape, buffer)

    def finish() -> None:
        if pg.rank != src:
            pg.write(tensor, buffer)

    work = pg.broadcast(pg.begin("broadcast"), buffer, src, finish=finish, outputs=[tensor])
    return _finish(work, async_op)


def all_reduce(
    tensor: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``tensor`` over all ranks with ``op``; every rank gets the result in place.

    >>> import plugtorch as pt, plugtorch.distributed as dist
    >>> dist.init_process_group("mpi")  # one process here; start more with plugtorch run
    >>> t = pt.tensor([1.0, 2.0])
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)
    >>> t  # the sum over 1 rank
    tensor([1., 2.])
    >>> dist.destroy_process_group()
    """
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    _check_op(op, tensor)
    send = pg.buffer(tensor)
    recv = pg.empty(send.shape, send)

    def finish() -> None:
        pg.write(tensor, recv / pg.size if op is ReduceOp.AVG else recv)

    work = pg.all_reduce(pg.begin("all_reduce"), send, recv, op, finish=finish, outputs=[tensor])
    return _finish(work, async_op)


def reduce(
    tensor: Tensor,
    dst: int,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``tensor`` over all ranks with ``op`` into rank ``dst``'s ``tensor``."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    check_rank(pg, dst, "dst")
    _check_op(op, tensor)
    send = pg.buffer(tensor)
    recv = pg.empty(send.shape, send) if pg.rank == dst else None

    def finish() -> None:
        if recv is not None:
            pg.write(tensor, recv / pg.size if op is ReduceOp.AVG else recv)

    work = pg.reduce(pg.begin("reduce"), send, recv, op, dst, finish=finish, outputs=[tensor])
    return _finish(work, async_op)


def all_gather(
    tensor_list: list[Tensor],
    tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Fill ``tensor_list[i]`` with rank ``i``'s ``tensor``, on every rank."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    outputs = _check_list(pg, tensor_list, tensor, "tensor_list", "tensor")
    send = pg.buffer(tensor)
    recv = pg.empty((pg.size, *send.shape), send)

    def finish() -> None:
        for i, output in enumerate(outputs):
            pg.write(output, recv[i])

    work = pg.all_gather(pg.begin("all_gather"), send, recv, finish=finish, outputs=outputs)
    return _finish(work, async_op)


def all_gather_into_tensor(
    output_tensor: Tensor,
    input_tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Gather every rank's ``input_tensor`` into ``output_tensor`` (ranks stacked or concatenated
    along dimension 0: its shape is ``(world_size, *input.shape)`` or
    ``(world_size * input.shape[0], ...)``)."""
    pg = default_group(group)
    check_tensor(pg, input_tensor, "input_tensor")
    check_tensor(pg, output_tensor, "output_tensor")
    _check_stacked(pg, output_tensor, input_tensor, "output_tensor", "input_tensor")
    send = pg.buffer(input_tensor)
    recv = pg.empty((pg.size, *send.shape), send)
    return _finish(
        pg.all_gather(
            pg.begin("all_gather"), send, recv,
            finish=lambda: pg.write(output_tensor, recv), outputs=[output_tensor],
        ),
        async_op,
    )  # fmt: skip


def _check_stacked(
    pg: ProcessGroup, big: Tensor, small: Tensor, big_name: str, small_name: str
) -> None:
    stacked = (pg.size, *small.shape)
    concatenated = (pg.size * small.shape[0], *small.shape[1:]) if small.ndim else stacked
    if tuple(big.shape) not in (stacked, concatenated) or big.dtype is not small.dtype:
        raise ValueError(
            f"{big_name} must have shape {stacked} or {concatenated} and dtype {small.dtype} "
            f"({pg.size} ranks times {small_name}), got {tuple(big.shape)} and {big.dtype}"
        )


def reduce_scatter(
    output: Tensor,
    input_list: list[Tensor],
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Rank ``r``'s ``output`` becomes ``op`` over all ranks of their ``input_list[r]``."""
    pg = default_group(group)
    check_tensor(pg, output, "output")
    inputs = _check_list(pg, input_list, output, "input_list", "output")
    _check_op(op, output)
    send = pg.stack([pg.buffer(item) for item in inputs])
    return _reduce_scatter(pg, output, send, op, async_op)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,
    op: ReduceOp = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """``reduce_scatter`` with the inputs stacked (or concatenated along dim 0) in ``input``."""
    pg = default_group(group)
    check_tensor(pg, output, "output")
    check_tensor(pg, input, "input")
    _check_stacked(pg, input, output, "input", "output")
    _check_op(op, output)
    return _reduce_scatter(pg, output, pg.buffer(input), op, async_op)


def _reduce_scatter(
    pg: ProcessGroup, output: Tensor, send: Any, op: ReduceOp, async_op: bool
) -> Work | None:
    recv = pg.empty(tuple(output.shape), send)

    def finish() -> None:
        pg.write(output, recv / pg.size if op is ReduceOp.AVG else recv)

    work = pg.reduce_scatter(
        pg.begin("reduce_scatter"), send, recv, op, finish=finish, outputs=[output]
    )
    return _finish(work, async_op)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int = 0,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Rank ``dst`` gets every rank's ``tensor`` in ``gather_list`` (None on other ranks)."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    check_rank(pg, dst, "dst")
    outputs: list[Tensor] = []
    if pg.rank == dst:
        if gather_list is None:
            raise ValueError("gather_list must be given on the destination rank (dst)")
        outputs = _check_list(pg, gather_list, tensor, "gather_list", "tensor")
    elif gather_list:
        raise ValueError("gather_list must NOT be given on ranks other than dst")
    send = pg.buffer(tensor)
    recv = pg.empty((pg.size, *send.shape), send) if pg.rank == dst else None

    def finish() -> None:
        if recv is None:  # not dst: nothing received, no outputs
            return
        for i, output in enumerate(outputs):
            pg.write(output, recv[i])

    work = pg.gather(pg.begin("gather"), send, recv, dst, finish=finish, outputs=outputs)
    return _finish(work, async_op)


def scatter(
    tensor: Tensor,
    scatter_list: Sequence[Tensor] | None = None,
    src: int = 0,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Rank ``r``'s ``tensor`` becomes ``scatter_list[r]`` of rank ``src``."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    check_rank(pg, src, "src")
    send = None
    if pg.rank == src:
        if scatter_list is None:
            raise ValueError("scatter_list must be given on the source rank (src)")
        inputs = _check_list(pg, scatter_list, tensor, "scatter_list", "tensor")
        send = pg.stack([pg.buffer(item) for item in inputs])
    elif scatter_list:
        raise ValueError("scatter_list must NOT be given on ranks other than src")
    recv = pg.empty(tuple(tensor.shape), pg.buffer(tensor))
    return _finish(
        pg.scatter(
            pg.begin("scatter"), send, recv, src,
            finish=lambda: pg.write(tensor, recv), outputs=[tensor],
        ),
        async_op,
    )  # fmt: skip
