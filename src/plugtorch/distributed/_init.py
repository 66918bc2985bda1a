"""``init_process_group`` and the default group: rendezvous, checks, queries, teardown.

The processes find each other through the MPI launcher (``plugtorch run`` or ``mpiexec``): MPI
gives every process its rank. PyTorch's variables are read and checked against it: ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK`` must agree with MPI when set; ``MASTER_ADDR`` and
``MASTER_PORT`` are accepted and checked for form (MPI needs no address to meet). Before
anything is created, every rank reports what it was asked for to rank 0, which checks that all
agree (same communication backend, the environment's ranks right) and answers every rank with
the verdict, so a mistake fails on every rank with the same message. A rank that never arrives
makes the others fail after ``timeout`` with its number.
"""

from __future__ import annotations

import datetime
import os
import pickle
import sys
import time
from typing import Any

import numpy as np

from plugtorch.distributed._group import ProcessGroup, not_initialized
from plugtorch.distributed._mpi import launcher_rank, load_mpi
from plugtorch.distributed._mpi_group import MPIProcessGroup
from plugtorch.distributed._nccl_group import NCCLProcessGroup
from plugtorch.distributed._types import Backend, DistError
from plugtorch.distributed._work import poll_until

__all__ = [
    "default_group",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_initialized",
]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default_pg_timeout
_VERDICT_BYTES = 4096
_default: ProcessGroup | None = None
_environment: dict[str, Any] = {}


def default_group(group: ProcessGroup | None = None) -> ProcessGroup:
    """``group`` itself, or the default group; raise when there is none."""
    if group is not None:
        return group
    if _default is None:
        raise not_initialized()
    return _default


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return _default is not None


def get_rank(group: ProcessGroup | None = None) -> int:
    """This process's rank in ``group`` (the default group when None), from 0."""
    return default_group(group).rank


def get_world_size(group: ProcessGroup | None = None) -> int:
    """The number of processes in ``group`` (the default group when None)."""
    return default_group(group).size


def get_backend(group: ProcessGroup | None = None) -> str:
    """The communication backend of ``group``: ``"mpi"`` or ``"nccl"``."""
    return default_group(group).backend_name


def _normalise_backend(backend: str | None) -> str:
    name = (backend or Backend.MPI).lower()
    if name == Backend.GLOO:
        return Backend.MPI  # host tensors: PyTorch code written for gloo runs on MPI here
    if name not in Backend.choices:
        raise ValueError(
            f"unknown distributed backend {backend!r}; plugtorch has 'mpi' (host tensors: numpy, "
            "numba, array-API backends; 'gloo' is accepted as its alias) and 'nccl' (CuPy tensors "
            "on NVIDIA GPUs)"
        )
    return name


def _int_variable(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


def _read_environment() -> dict[str, Any]:
    port = os.environ.get("MASTER_PORT")
    if port is not None and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"MASTER_PORT={port!r} is not a port number (1-65535)")
    return {
        "RANK": _int_variable("RANK"),
        "WORLD_SIZE": _int_variable("WORLD_SIZE"),
        "LOCAL_RANK": _int_variable("LOCAL_RANK"),
        "MASTER_ADDR": os.environ.get("MASTER_ADDR"),
        "MASTER_PORT": None if port is None else int(port),
    }


def _check_request(
    mpi_rank: int, size: int, rank: int, world_size: int, environment: dict[str, Any]
) -> str | None:
    """This process's own mistakes: a rank or world size that is not what MPI says."""
    for what, value, truth in (
        ("rank=", rank, mpi_rank),
        ("world_size=", world_size, size),
        ("RANK", environment["RANK"], mpi_rank),
        ("WORLD_SIZE", environment["WORLD_SIZE"], size),
    ):
        if value is None or value == -1 or value == truth:
            continue
        hint = (
            "start the processes with `plugtorch run --nproc-per-node N script.py` or "
            "`mpiexec -n N python script.py`"
            if what.startswith("WORLD") or what.startswith("world")
            else "leave it unset: the MPI launcher assigns ranks"
        )
        shown = f"{what}{value}" if what.endswith("=") else f"{what}={value} in the environment"
        return (
            f"rank {mpi_rank}: {shown}, but the MPI launcher started this process as rank "
            f"{mpi_rank} of {size}; {hint}"
        )
    return None


def _rendezvous(MPI: Any, request: dict[str, Any], timeout: datetime.timedelta) -> None:
    """Every rank sends its request to rank 0; rank 0 checks them and sends back the verdict."""
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    deadline = time.monotonic() + timeout.total_seconds()
    tag = 0x7074  # 'pt'
    if rank == 0:
        buffers = {peer: np.zeros(_VERDICT_BYTES, dtype=np.uint8) for peer in range(1, size)}
        receives = {peer: world.Irecv(buffers[peer], source=peer, tag=tag) for peer in buffers}
        poll_until(lambda: MPI.Request.Testall(list(receives.values())), deadline)
        missing = [peer for peer, request in receives.items() if not request.Test()]
        if missing:
            raise DistError(
                f"init_process_group: rank(s) {', '.join(map(str, missing))} of {size} did not "
                f"join within {timeout} (they failed or are still starting; raise timeout= if "
                "start-up is slow)"
            )
        requests = [request] + [_unpack(buffers[peer]) for peer in sorted(buffers)]
        verdict = _verdict(requests)
        payload = _pack(verdict)
        sends = [world.Isend(payload, dest=peer, tag=tag) for peer in range(1, size)]
        poll_until(lambda: MPI.Request.Testall(sends), deadline)
    else:
        send = world.Isend(_pack(request), dest=0, tag=tag)
        answer = np.zeros(_VERDICT_BYTES, dtype=np.uint8)
        receive = world.Irecv(answer, source=0, tag=tag)
        if not poll_until(lambda: MPI.Request.Testall([send, receive]), deadline):
            raise DistError(
                f"init_process_group: rank 0 did not answer rank {rank} within {timeout} (rank 0 "
                "failed, or has not called init_process_group)"
            )
        verdict = _unpack(answer)
    if verdict is not None:
        raise ValueError(verdict)


def _verdict(requests: list[dict[str, Any]]) -> str | None:
    """None when every rank asked for the same thing consistently, else the error message."""
    backends = {request["backend"] for request in requests}
    if len(backends) > 1:
        listing = ", ".join(f"rank {i}: {r['backend']!r}" for i, r in enumerate(requests))
        return (
            f"init_process_group: the ranks asked for different backends ({listing}); every "
            "rank must use the same one"
        )
    for request in requests:
        if request["problem"] is not None:
            return f"init_process_group: {request['problem']}"
    return None


def _pack(value: Any) -> np.ndarray:
    data = pickle.dumps(value)[: _VERDICT_BYTES - 4]
    buffer = np.zeros(_VERDICT_BYTES, dtype=np.uint8)
    buffer[:4] = np.frombuffer(np.uint32(len(data)).tobytes(), dtype=np.uint8)
    buffer[4 : 4 + len(data)] = np.frombuffer(data, dtype=np.uint8)
    return buffer


def _unpack(buffer: np.ndarray) -> Any:
    length = int(np.frombuffer(buffer[:4].tobytes(), dtype=np.uint32)[0])
    return pickle.loads(buffer[4 : 4 + length].tobytes())


def init_process_group(
    backend: str | None = None,
    init_method: str | None = None,
    timeout: datetime.timedelta | None = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the default process group (``torch.distributed.init_process_group``).

    ``backend`` is ``"mpi"`` (host tensors; ``"gloo"`` is accepted for it) or ``"nccl"`` (CuPy
    tensors). ``init_method`` may be None or ``"env://"``; ``rank`` and ``world_size``, and the
    variables ``RANK``/``WORLD_SIZE``, must match what the MPI launcher assigned when given.
    ``timeout`` (default 30 minutes) bounds every collective and the rendezvous itself.

    Start one process per rank with ``plugtorch run --nproc-per-node N script.py``.
    """
    global _default
    if _default is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = _normalise_backend(backend)
    if init_method not in (None, "env://"):
        raise ValueError(
            f"init_method={init_method!r} is not supported: plugtorch's processes meet through "
            "the MPI launcher; use init_method=None or 'env://' and start them with "
            "`plugtorch run` or `mpiexec`"
        )
    if store is not None:
        raise ValueError("store= is not supported: the MPI launcher does the rendezvous")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")
    environment = _read_environment()
    MPI = load_mpi()
    world = MPI.COMM_WORLD
    mpi_rank, size = world.Get_rank(), world.Get_size()
    problem = _check_request(mpi_rank, size, rank, world_size, environment)
    _rendezvous(MPI, {"backend": name, "problem": problem}, timeout)
    launched = launcher_rank()
    if environment["LOCAL_RANK"] is None:
        environment["LOCAL_RANK"] = launched[2] if launched is not None else 0
    _environment.clear()
    _environment.update(environment)
    mpi_group = MPIProcessGroup(world.Dup(), timeout)
    group: ProcessGroup = mpi_group
    if name == Backend.NCCL:
        group = NCCLProcessGroup(mpi_group, device_id=device_id, local_rank=local_rank())
    _default = group
    if size > 1:
        _abort_on_uncaught_error(MPI)


def _abort_on_uncaught_error(MPI: Any) -> None:
    """An uncaught exception in any rank ends the whole MPI job (the others would wait forever
    in their next collective), as ``python -m mpi4py`` does."""
    previous = sys.excepthook
    if getattr(previous, "plugtorch_aborts", False):
        return

    def excepthook(kind: Any, value: Any, tb: Any) -> None:
        previous(kind, value, tb)
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(1)

    excepthook.plugtorch_aborts = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook


def local_rank() -> int:
    """This process's rank on its machine (``LOCAL_RANK``, else the MPI launcher's)."""
    if "LOCAL_RANK" in _environment:
        return int(_environment["LOCAL_RANK"])
    launched = launcher_rank()
    return launched[2] if launched is not None else 0


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free the default group (or ``group``); ``init_process_group`` may be called again."""
    global _default
    target = default_group(group)
    target.destroy()
    if target is _default:
        _default = None
