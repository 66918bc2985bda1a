"""Point-to-point messages (``send``/``recv``/``isend``/``irecv``) and collectives on Python
objects (``all_gather_object``, ``broadcast_object_list``).

Objects travel pickled, as in PyTorch: unpickling runs code chosen by the sender, so use these
only between processes of your own job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plugtorch.distributed._collectives import check_rank, check_tensor
from plugtorch.distributed._init import default_group
from plugtorch.distributed._work import Work

if TYPE_CHECKING:
    from plugtorch.distributed._group import ProcessGroup
    from plugtorch.tensor import Tensor

__all__ = ["all_gather_object", "broadcast_object_list", "irecv", "isend", "recv", "send"]


def _check_peer(pg: ProcessGroup, peer: Any, argument: str) -> int:
    check_rank(pg, peer, argument)
    if peer == pg.rank:
        raise ValueError(f"{argument}={peer} is this process's own rank; send to another rank")
    return peer


def isend(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> Work:
    """Start sending ``tensor`` to rank ``dst``; ``wait()`` on the handle before changing it."""
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    _check_peer(pg, dst, "dst")
    pg.check_usable()
    return pg.send(f"send to rank {dst} (tag {tag})", pg.buffer(tensor), dst, tag)


def send(tensor: Tensor, dst: int, group: ProcessGroup | None = None, tag: int = 0) -> None:
    """Send ``tensor`` to rank ``dst`` (returns when the tensor may be reused)."""
    isend(tensor, dst, group, tag).wait()


def irecv(
    tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0
) -> Work:
    """Start receiving into ``tensor`` from rank ``src`` (any rank when None)."""
    return _irecv(tensor, src, group, tag)[0]


def _irecv(
    tensor: Tensor, src: int | None, group: ProcessGroup | None, tag: int
) -> tuple[Work, Any]:
    pg = default_group(group)
    check_tensor(pg, tensor, "tensor")
    if src is not None:
        _check_peer(pg, src, "src")
    pg.check_usable()
    buffer = pg.empty(tuple(tensor.shape), pg.buffer(tensor))
    source = "any rank" if src is None else f"rank {src}"
    return pg.recv(
        f"recv from {source} (tag {tag})", buffer, src, tag,
        finish=lambda: pg.write(tensor, buffer), outputs=[tensor],
    )  # fmt: skip


def recv(
    tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None, tag: int = 0
) -> int:
    """Receive into ``tensor`` from rank ``src`` (any rank when None); return the sender."""
    work, status = _irecv(tensor, src, group, tag)
    work.wait()
    return int(status.Get_source()) if src is None else src


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list[i]`` with rank ``i``'s ``obj`` (any picklable object)."""
    pg = default_group(group)
    if not isinstance(object_list, list) or len(object_list) != pg.size:
        raise ValueError(f"object_list must be a list of {pg.size} items (one per rank)")
    object_list[:] = pg.all_gather_object(pg.begin("all_gather_object"), obj)


def broadcast_object_list(
    object_list: list[Any], src: int = 0, group: ProcessGroup | None = None, device: Any = None
) -> None:
    """Replace ``object_list``'s items on every rank with rank ``src``'s (same length)."""
    pg = default_group(group)
    check_rank(pg, src, "src")
    if not isinstance(object_list, list):
        raise TypeError(f"object_list must be a list, got {type(object_list).__name__}")
    received = pg.broadcast_object(pg.begin("broadcast_object_list"), list(object_list), src)
    if len(received) != len(object_list):
        raise ValueError(
            f"broadcast_object_list: rank {src} sent {len(received)} objects but this rank's "
            f"object_list has {len(object_list)}; give every rank a list of the same length"
        )
    object_list[:] = received
