"""The NCCL process group: collectives on CuPy device buffers through ``cupy.cuda.nccl``.

Written against CuPy's documented ``NcclCommunicator`` API (``allReduce``, ``broadcast``,
``reduce``, ``allGather``, ``reduceScatter``, ``send``/``recv`` inside ``groupStart``/
``groupEnd``), whose modules it asks of the CUDA backend (``cuda_runtime.nccl_modules()`` of
plugtorch-cupy) only when ``init_process_group("nccl")`` runs: the core imports no backend
package. The MPI group it is built on does the rendezvous (rank 0's NCCL unique id travels by
MPI), the collectives on Python objects and the timeout diagnosis. Every NCCL call is queued on
the group's own stream after the current stream's work; a CUDA event recorded after it is what
``Work.wait()`` polls, and the current stream waits for it before the results are written into
the tensors.

Not yet run on a GPU: the tests drive it with a fake ``cupy``/``nccl`` pair that records calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plugtorch.device import find_cuda_backend
from plugtorch.distributed._group import ProcessGroup
from plugtorch.distributed._types import ReduceOp
from plugtorch.distributed._work import Work

if TYPE_CHECKING:
    from plugtorch.distributed._mpi_group import MPIProcessGroup
    from plugtorch.tensor import Tensor

__all__ = ["NCCLProcessGroup", "is_nccl_available", "load_nccl"]

NCCL_HINT = (
    "the 'nccl' backend needs CuPy with NCCL on a machine with NVIDIA GPUs: "
    "`pip install cupy-cuda12x nvidia-nccl-cu12`, and the plugtorch-cupy backend"
)


def load_nccl() -> tuple[Any, Any]:
    """``(cupy, cupy.cuda.nccl)`` from the CUDA backend (its ``cuda_runtime.nccl_modules()``:
    the core imports no backend package), or an error that says what is missing."""
    backend, why = find_cuda_backend()
    if backend is None:
        raise ModuleNotFoundError(f"{NCCL_HINT} (no CUDA backend: {why})")
    modules = getattr(backend.cuda_runtime, "nccl_modules", None)
    if modules is None:
        raise ModuleNotFoundError(f"{NCCL_HINT} (backend {backend.name!r} offers no NCCL)")
    try:
        return modules()  # type: ignore[no-any-return]
    except ImportError as error:
        raise ModuleNotFoundError(f"{NCCL_HINT} ({error})") from error


def is_nccl_available() -> bool:
    """Whether a CUDA backend is usable and its NCCL bindings load."""
    try:
        load_nccl()
    except Exception:  # noqa: BLE001 (any failure to load means "not available")
        return False
    return True


class NCCLProcessGroup(ProcessGroup):
    """Collectives among GPUs, one per rank, over an NCCL communicator."""

    backend_name = "nccl"

    def __init__(
        self,
        mpi_group: MPIProcessGroup,
        device_id: Any = None,
        modules: Any = None,
        local_rank: int = 0,
    ) -> None:
        super().__init__(mpi_group.rank, mpi_group.size, mpi_group.timeout)
        self.cupy, self.nccl = modules if modules is not None else load_nccl()
        self.mpi = mpi_group
        self.device = self.cupy.cuda.Device(self._device_index(device_id, local_rank))
        self.device.use()
        unique_id = self.nccl.get_unique_id() if self.rank == 0 else None
        unique_id = mpi_group.broadcast_object(mpi_group.begin("init_process_group"), unique_id, 0)
        self.comm = self.nccl.NcclCommunicator(self.size, unique_id, self.rank)
        self.stream = self.cupy.cuda.Stream(non_blocking=True)
        self.sequence = mpi_group.sequence

    def _device_index(self, device_id: Any, local_rank: int) -> int:
        """The GPU of ``device_id``, else the one of this process's rank on its machine."""
        if device_id is not None:
            return int(getattr(device_id, "index", device_id))
        count = self.cupy.cuda.runtime.getDeviceCount()
        if count == 0:
            raise RuntimeError(f"init_process_group('nccl'): no GPU visible; {NCCL_HINT}")
        return local_rank % count

    # --- bookkeeping: the MPI group holds the diagnosis window --------------------------------
    def publish(self, sequence: int, code: int) -> None:
        self.mpi.publish(sequence, code)

    def peer_positions(self) -> dict[int, tuple[int, int] | None]:
        return self.mpi.peer_positions()

    def mark_broken(self, reason: str) -> None:
        if self.broken is None and hasattr(self, "comm"):
            self.comm.abort()  # NCCL kernels that wait for a peer would never return otherwise
        super().mark_broken(reason)

    def destroy(self) -> None:
        if self.broken is None:
            self.comm.destroy()
        self.mpi.destroy()

    # --- buffers -----------------------------------------------------------------------------
    def check_tensor(self, tensor: Tensor, argument: str) -> None:
        if getattr(tensor._backend.capabilities, "host_memory", True):
            raise ValueError(
                f"{argument} is on backend {tensor._backend.name!r} (host memory); the 'nccl' "
                "process group needs GPU tensors (backend 'cupy'). Move it with t.to('cupy'), "
                "or use init_process_group('mpi') for host tensors."
            )

    def buffer(self, tensor: Tensor) -> Any:
        return self.cupy.ascontiguousarray(tensor._data)

    def empty(self, shape: tuple[int, ...], like: Any) -> Any:
        return self.cupy.empty(shape, dtype=like.dtype)

    def stack(self, buffers: list[Any]) -> Any:
        return self.cupy.stack(buffers)

    def flatten(self, buffers: list[Any]) -> Any:
        return self.cupy.concatenate(buffers)

    def _dtype(self, array: Any) -> int:
        name = str(array.dtype)
        table = {
            "float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
            "int8": "NCCL_INT8", "uint8": "NCCL_UINT8", "int32": "NCCL_INT32",
            "uint32": "NCCL_UINT32", "int64": "NCCL_INT64", "uint64": "NCCL_UINT64",
            "bool": "NCCL_UINT8",
        }  # fmt: skip
        if name not in table:
            raise TypeError(f"NCCL has no {name} type; cast the tensor (e.g. to int32) first")
        return int(getattr(self.nccl, table[name]))

    def _op(self, op: ReduceOp, array: Any) -> int:
        if str(array.dtype) == "bool":  # bytes holding 0/1: or is max, and is min
            op = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN}.get(op, op)
        names = {
            ReduceOp.SUM: "NCCL_SUM", ReduceOp.AVG: "NCCL_SUM", ReduceOp.PRODUCT: "NCCL_PROD",
            ReduceOp.MIN: "NCCL_MIN", ReduceOp.MAX: "NCCL_MAX",
        }  # fmt: skip
        if op not in names:
            raise ValueError(f"NCCL has no {op.name} reduction; use SUM, AVG, PRODUCT, MIN or MAX")
        return int(getattr(self.nccl, names[op]))

    def _launch(self, description: str, calls: Any, grouped: bool = False, **kwargs: Any) -> Work:
        """Queue ``calls(stream_pointer)`` on the group's stream; a Work waits for its event."""
        cuda = self.cupy.cuda
        current = cuda.get_current_stream()
        self.stream.wait_event(current.record())
        if grouped:
            self.nccl.groupStart()
        try:
            calls(self.stream.ptr)
        finally:
            if grouped:
                self.nccl.groupEnd()
        done = self.stream.record()
        finish = kwargs.pop("finish", None)

        def test() -> bool:
            self.comm.check_async_error()
            return bool(done.query())

        def complete() -> None:
            current.wait_event(done)
            if finish is not None:
                finish()

        name, _, number = description.partition(" #")
        return Work(
            self, description, test, finish=complete,
            on_timeout=lambda: self.diagnose(int(number), name) if number else "", **kwargs,
        )  # fmt: skip

    # --- collectives ---------------------------------------------------------------------------
    def barrier(self, description: str, **kwargs: Any) -> Work:
        one = self.cupy.zeros((1,), dtype="float32")  # PyTorch's NCCL barrier: a tiny all-reduce
        return self.all_reduce(description, one, one, ReduceOp.SUM, **kwargs)

    def broadcast(self, description: str, buffer: Any, src: int, **kwargs: Any) -> Work:
        pointer, count, dtype = buffer.data.ptr, buffer.size, self._dtype(buffer)
        return self._launch(
            description,
            lambda stream: self.comm.broadcast(pointer, pointer, count, dtype, src, stream),
            **kwargs,
        )

    def all_reduce(
        self, description: str, send: Any, recv: Any, op: ReduceOp, **kwargs: Any
    ) -> Work:
        args = (send.data.ptr, recv.data.ptr, send.size, self._dtype(send), self._op(op, send))
        return self._launch(
            description, lambda stream: self.comm.allReduce(*args, stream), **kwargs
        )

    def reduce(
        self, description: str, send: Any, recv: Any, op: ReduceOp, dst: int, **kwargs: Any
    ) -> Work:
        target = recv.data.ptr if recv is not None else 0
        args = (send.data.ptr, target, send.size, self._dtype(send), self._op(op, send), dst)
        return self._launch(description, lambda stream: self.comm.reduce(*args, stream), **kwargs)

    def all_gather(self, description: str, send: Any, recv: Any, **kwargs: Any) -> Work:
        args = (send.data.ptr, recv.data.ptr, send.size, self._dtype(send))
        return self._launch(
            description, lambda stream: self.comm.allGather(*args, stream), **kwargs
        )

    def reduce_scatter(
        self, description: str, send: Any, recv: Any, op: ReduceOp, **kwargs: Any
    ) -> Work:
        args = (send.data.ptr, recv.data.ptr, recv.size, self._dtype(send), self._op(op, send))
        return self._launch(
            description, lambda stream: self.comm.reduceScatter(*args, stream), **kwargs
        )

    def gather(self, description: str, send: Any, recv: Any, dst: int, **kwargs: Any) -> Work:
        count, dtype = send.size, self._dtype(send)

        def calls(stream: int) -> None:  # NCCL has no gather: grouped sends to dst
            if self.rank != dst:
                self.comm.send(send.data.ptr, count, dtype, dst, stream)
                return
            for peer in range(self.size):
                if peer == dst:
                    recv[peer] = send.reshape(recv[peer].shape)
                else:
                    self.comm.recv(recv[peer].data.ptr, count, dtype, peer, stream)

        return self._launch(description, calls, grouped=True, **kwargs)

    def scatter(self, description: str, send: Any, recv: Any, src: int, **kwargs: Any) -> Work:
        count, dtype = recv.size, self._dtype(recv)

        def calls(stream: int) -> None:  # NCCL has no scatter: grouped sends from src
            if self.rank != src:
                self.comm.recv(recv.data.ptr, count, dtype, src, stream)
                return
            for peer in range(self.size):
                if peer == src:
                    recv[...] = send[peer].reshape(recv.shape)
                else:
                    self.comm.send(send[peer].data.ptr, count, dtype, peer, stream)

        return self._launch(description, calls, grouped=True, **kwargs)

    def send(self, description: str, buffer: Any, dst: int, tag: int) -> Work:
        args = (buffer.data.ptr, buffer.size, self._dtype(buffer), dst)
        return self._launch(description, lambda stream: self.comm.send(*args, stream), True)

    def recv(
        self, description: str, buffer: Any, src: int | None, tag: int, **kwargs: Any
    ) -> tuple[Work, Any]:
        if src is None:
            raise ValueError("NCCL cannot receive from any rank: pass src= (the sender's rank)")
        args = (buffer.data.ptr, buffer.size, self._dtype(buffer), src)
        work = self._launch(
            description, lambda stream: self.comm.recv(*args, stream), True, **kwargs
        )
        return work, None

    # --- objects go through MPI --------------------------------------------------------------
    def all_gather_object(self, description: str, obj: Any) -> list[Any]:
        return self.mpi.all_gather_object(description, obj)

    def broadcast_object(self, description: str, obj: Any, src: int) -> Any:
        return self.mpi.broadcast_object(description, obj, src)
