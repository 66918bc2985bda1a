"""The MPI process group: collectives on host buffers through mpi4py's non-blocking calls.

Every operation is MPI's own (``Iallreduce``, ``Ibcast``, ``Iallgather``,
``Ireduce_scatter_block``, ``Igather``, ``Iscatter``, ``Ireduce``, ``Ibarrier``, ``Isend`` /
``Irecv``) on numpy views of the tensors' arrays, so nothing is copied element by element and
MPI chooses its algorithm (shared memory on one node, the network across nodes). A
:class:`~plugtorch.distributed._work.Work` polls the request, which is what lets every wait
have a timeout.
"""

from __future__ import annotations

import datetime
import pickle
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from plugtorch.distributed._group import ProcessGroup
from plugtorch.distributed._mpi import load_mpi
from plugtorch.distributed._types import ReduceOp
from plugtorch.distributed._work import Work, poll_until

if TYPE_CHECKING:
    from plugtorch.tensor import Tensor

__all__ = ["MPIProcessGroup"]


class MPIProcessGroup(ProcessGroup):
    """Collectives over an MPI communicator (a duplicate of ``MPI.COMM_WORLD``)."""

    backend_name = "mpi"

    def __init__(self, comm: Any, timeout: datetime.timedelta) -> None:
        super().__init__(comm.Get_rank(), comm.Get_size(), timeout)
        self.MPI = load_mpi()
        self.comm = comm
        # Two int64 per rank, (collective sequence number, op code), read by peers after a
        # timeout with passive-target RMA (no cooperation from the peer's Python code needed).
        self._window = self.MPI.Win.Allocate(16, 8, comm=comm)
        self._position = np.frombuffer(self._window.tomemory(), dtype=np.int64)
        self._position[:] = 0

    # --- diagnosis ---------------------------------------------------------------------------
    def publish(self, sequence: int, code: int) -> None:
        self._position[0] = sequence
        self._position[1] = code

    def peer_positions(self) -> dict[int, tuple[int, int] | None]:
        MPI = self.MPI
        peers = [peer for peer in range(self.size) if peer != self.rank]
        results = {peer: np.zeros(2, dtype=np.int64) for peer in peers}
        self._window.Lock_all(MPI.MODE_NOCHECK)
        requests = {peer: self._window.Rget(results[peer], peer) for peer in peers}
        deadline = time.monotonic() + min(2.0, self.timeout.total_seconds())
        positions: dict[int, tuple[int, int] | None] = {}
        for peer, request in requests.items():
            if poll_until(request.Test, deadline):
                positions[peer] = (int(results[peer][0]), int(results[peer][1]))
            else:
                positions[peer] = None
        if all(position is not None for position in positions.values()):
            self._window.Unlock_all()
        return positions

    def destroy(self) -> None:
        if self.broken is None:
            self._window.Free()
            self.comm.Free()

    # --- buffers -------------------------------------------------------------------------------
    def check_tensor(self, tensor: Tensor, argument: str) -> None:
        capabilities = tensor._backend.capabilities
        if not getattr(capabilities, "host_memory", True):
            raise ValueError(
                f"{argument} is on backend {tensor._backend.name!r}, whose arrays are not in host "
                "memory; the 'mpi' process group needs host tensors. Use "
                "init_process_group('nccl') for GPU tensors, or move it with t.to('numpy')."
            )

    def buffer(self, tensor: Tensor) -> np.ndarray:
        return np.ascontiguousarray(tensor._backend.to_numpy(tensor._data))

    def empty(self, shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
        return np.empty(shape, dtype=like.dtype)

    def stack(self, buffers: list[np.ndarray]) -> np.ndarray:
        return np.stack(buffers)

    def flatten(self, buffers: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(buffers)

    def _op(self, op: ReduceOp, dtype: np.dtype) -> Any:
        MPI = self.MPI
        if dtype == np.bool_:
            logical = {
                ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND, ReduceOp.BAND: MPI.LAND,
                ReduceOp.BXOR: MPI.LXOR,
            }  # fmt: skip
            return logical[op]
        return {
            ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
            ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
            ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR,
        }[op]  # fmt: skip

    def _work(self, description: str, requests: list[Any], **kwargs: Any) -> Work:
        MPI = self.MPI
        name, _, number = description.partition(" #")

        def on_timeout() -> str:
            return self.diagnose(int(number), name) if number else ""

        return Work(
            self, description, lambda: MPI.Request.Testall(requests), on_timeout=on_timeout,
            **kwargs,
        )  # fmt: skip

    # --- collectives: each returns a Work; ``finish`` runs when it has completed -----------------
    def barrier(self, description: str, **kwargs: Any) -> Work:
        return self._work(description, [self.comm.Ibarrier()], **kwargs)

    def broadcast(self, description: str, buffer: np.ndarray, src: int, **kwargs: Any) -> Work:
        return self._work(description, [self.comm.Ibcast(buffer, root=src)], **kwargs)

    def all_reduce(
        self, description: str, send: np.ndarray, recv: np.ndarray, op: ReduceOp, **kwargs: Any
    ) -> Work:
        request = self.comm.Iallreduce(send, recv, self._op(op, send.dtype))
        return self._work(description, [request], **kwargs)

    def reduce(
        self,
        description: str,
        send: np.ndarray,
        recv: np.ndarray | None,
        op: ReduceOp,
        dst: int,
        **kwargs: Any,
    ) -> Work:
        request = self.comm.Ireduce(send, recv, self._op(op, send.dtype), root=dst)
        return self._work(description, [request], **kwargs)

    def all_gather(
        self, description: str, send: np.ndarray, recv: np.ndarray, **kwargs: Any
    ) -> Work:
        return self._work(description, [self.comm.Iallgather(send, recv)], **kwargs)

    def reduce_scatter(
        self, description: str, send: np.ndarray, recv: np.ndarray, op: ReduceOp, **kwargs: Any
    ) -> Work:
        request = self.comm.Ireduce_scatter_block(send, recv, self._op(op, send.dtype))
        return self._work(description, [request], **kwargs)

    def gather(
        self, description: str, send: np.ndarray, recv: np.ndarray | None, dst: int, **kwargs: Any
    ) -> Work:
        return self._work(description, [self.comm.Igather(send, recv, root=dst)], **kwargs)

    def scatter(
        self, description: str, send: np.ndarray | None, recv: np.ndarray, src: int, **kwargs: Any
    ) -> Work:
        return self._work(description, [self.comm.Iscatter(send, recv, root=src)], **kwargs)

    def send(self, description: str, buffer: np.ndarray, dst: int, tag: int) -> Work:
        request = self.comm.Isend(buffer, dest=dst, tag=tag)
        return Work(self, description, request.Test)

    def recv(
        self, description: str, buffer: np.ndarray, src: int | None, tag: int, **kwargs: Any
    ) -> tuple[Work, Any]:
        MPI = self.MPI
        status = MPI.Status()
        source = MPI.ANY_SOURCE if src is None else src
        request = self.comm.Irecv(buffer, source=source, tag=tag)
        return Work(self, description, lambda: request.Test(status), **kwargs), status

    # --- objects (pickled, then sent as bytes with the same timeouts) ---------------------------
    def all_gather_object(self, description: str, obj: Any) -> list[Any]:
        payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8)
        sizes = np.empty(self.size, dtype=np.int64)
        self._work(description, [self.comm.Iallgather(np.array([payload.size]), sizes)]).wait()
        received = np.empty(int(sizes.sum()), dtype=np.uint8)
        request = self.comm.Iallgatherv(payload, [received, sizes])
        self._work(description, [request]).wait()
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return [
            pickle.loads(received[offsets[i] : offsets[i + 1]].tobytes()) for i in range(self.size)
        ]

    def broadcast_object(self, description: str, obj: Any, src: int) -> Any:
        payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8) if self.rank == src else None
        size = np.array([0 if payload is None else payload.size], dtype=np.int64)
        self._work(description, [self.comm.Ibcast(size, root=src)]).wait()
        data = payload.copy() if payload is not None else np.empty(int(size[0]), dtype=np.uint8)
        self._work(description, [self.comm.Ibcast(data, root=src)]).wait()
        return obj if self.rank == src else pickle.loads(data.tobytes())
