"""What every process group has: rank, size, timeout, collective sequence numbers, a broken flag.

The MPI and NCCL groups (``_mpi_group.py``, ``_nccl_group.py``) add the operations. Each
collective gets a sequence number (``all_reduce #12``) that every rank also publishes in a small
MPI window, so that a rank whose collective times out can say which ranks have not reached it
and what they are doing instead.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from plugtorch.autograd.grad_mode import no_grad
from plugtorch.distributed._types import DistBackendError, ReduceOp
from plugtorch.tensor import Tensor

if TYPE_CHECKING:
    from plugtorch.distributed._work import Work

__all__ = ["OP_CODES", "ProcessGroup", "not_initialized"]

# Collective names as published in the diagnosis window (index = code).
OP_CODES = (
    "none",
    "init_process_group",
    "barrier",
    "broadcast",
    "all_reduce",
    "reduce",
    "all_gather",
    "all_gather_object",
    "reduce_scatter",
    "gather",
    "scatter",
    "broadcast_object_list",
    "gather_object",
)


class ProcessGroup:
    """A set of ranks that run collectives together (``torch.distributed.ProcessGroup``)."""

    backend_name = "undefined"

    def __init__(self, rank: int, size: int, timeout: datetime.timedelta) -> None:
        self.rank = rank
        self.size = size
        self.timeout = timeout
        self.sequence = 0
        self.broken: str | None = None

    def __repr__(self) -> str:
        return f"<ProcessGroup {self.backend_name} rank {self.rank} of {self.size}>"

    # --- bookkeeping shared by the backends ---------------------------------------------------
    def check_usable(self) -> None:
        if self.broken is not None:
            raise DistBackendError(
                f"the process group is broken by an earlier error and cannot be used: {self.broken}"
            )

    def mark_broken(self, reason: str) -> None:
        if self.broken is None:
            self.broken = reason

    def begin(self, op_name: str) -> str:
        """Count a collective, publish it for timeout diagnoses, return its description."""
        self.check_usable()
        self.sequence += 1
        self.publish(self.sequence, OP_CODES.index(op_name))
        return f"{op_name} #{self.sequence}"

    def publish(self, sequence: int, code: int) -> None:
        """Make (sequence, op code) readable by the other ranks (a no-op without a window)."""

    def peer_positions(self) -> dict[int, tuple[int, int] | None]:
        """Every other rank's published (sequence, op code); None for a rank that did not answer."""
        return {}

    def diagnose(self, sequence: int, op_name: str) -> str:
        """Which ranks have not joined collective ``sequence`` and what they are doing."""
        positions = self.peer_positions()
        behind, desynced, silent = [], [], []
        for peer, position in sorted(positions.items()):
            if position is None:
                silent.append(peer)
                continue
            peer_sequence, code = position
            peer_op = OP_CODES[code] if 0 <= code < len(OP_CODES) else f"op {code}"
            if peer_sequence < sequence:
                behind.append(f"rank {peer} (last entered {peer_op} #{peer_sequence})")
            elif peer_sequence == sequence and peer_op != op_name:
                desynced.append(f"rank {peer} called {peer_op} as collective #{sequence}")
        parts = []
        if behind:
            parts.append("not joined by " + ", ".join(behind) + ": it is slow, hung or has stopped")
        if desynced:
            parts.append(
                "; ".join(desynced) + f" where this rank called {op_name}: the ranks called "
                "collectives in different orders"
            )
        if silent:
            ranks = ", ".join(str(peer) for peer in silent)
            parts.append(f"rank(s) {ranks} did not answer (dead, or stuck outside MPI)")
        if not parts and positions:
            parts.append(
                "every rank entered it, so the operation itself stalled (different tensor "
                "sizes or dtypes on different ranks?)"
            )
        return "; ".join(parts)

    def destroy(self) -> None:
        """Free what the group holds (communicators, windows)."""

    # --- what a backend implements -------------------------------------------------------------
    def check_tensor(self, tensor: Tensor, argument: str) -> None:
        raise NotImplementedError

    def buffer(self, tensor: Tensor) -> Any:
        """The tensor's values as a contiguous buffer the library can read (no element loop)."""
        raise NotImplementedError

    def empty(self, shape: tuple[int, ...], like: Any) -> Any:
        raise NotImplementedError

    def stack(self, buffers: list[Any]) -> Any:
        """One contiguous buffer holding ``buffers`` one after another (dimension 0)."""
        raise NotImplementedError

    def flatten(self, buffers: list[Any]) -> Any:
        """One 1-d buffer holding the (1-d) ``buffers`` one after another."""
        raise NotImplementedError

    def write(self, tensor: Tensor, buffer: Any) -> None:
        """Store ``buffer``'s values into ``tensor`` in place (``Tensor._assign``)."""
        made = Tensor._make(
            tensor._backend.asarray(buffer, tensor._dtype), tensor._backend, tensor._dtype
        )
        with no_grad():
            tensor._assign(made.reshape(tensor.shape))

    # --- the operations (buffers as ``buffer`` returns them; each returns a ``Work``) ----------
    def barrier(self, description: str, **kwargs: Any) -> Work:
        raise NotImplementedError

    def broadcast(self, description: str, buffer: Any, src: int, **kwargs: Any) -> Work:
        raise NotImplementedError

    def all_reduce(
        self, description: str, send: Any, recv: Any, op: ReduceOp, **kwargs: Any
    ) -> Work:
        raise NotImplementedError

    def reduce(
        self, description: str, send: Any, recv: Any, op: ReduceOp, dst: int, **kwargs: Any
    ) -> Work:
        raise NotImplementedError

    def all_gather(self, description: str, send: Any, recv: Any, **kwargs: Any) -> Work:
        raise NotImplementedError

    def reduce_scatter(
        self, description: str, send: Any, recv: Any, op: ReduceOp, **kwargs: Any
    ) -> Work:
        raise NotImplementedError

    def gather(self, description: str, send: Any, recv: Any, dst: int, **kwargs: Any) -> Work:
        raise NotImplementedError

    def scatter(self, description: str, send: Any, recv: Any, src: int, **kwargs: Any) -> Work:
        raise NotImplementedError

    def send(self, description: str, buffer: Any, dst: int, tag: int) -> Work:
        raise NotImplementedError

    def recv(
        self, description: str, buffer: Any, src: int | None, tag: int, **kwargs: Any
    ) -> tuple[Work, Any]:
        raise NotImplementedError

    def all_gather_object(self, description: str, obj: Any) -> list[Any]:
        raise NotImplementedError

    def broadcast_object(self, description: str, obj: Any, src: int) -> Any:
        raise NotImplementedError


def not_initialized() -> ValueError:
    return ValueError(
        "Default process group has not been initialized, please make sure to call "
        "init_process_group (or start the script with `plugtorch run --nproc-per-node N`)."
    )
