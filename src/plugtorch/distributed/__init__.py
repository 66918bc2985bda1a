"""Data-parallel training across processes: ``torch.distributed``'s API on MPI and NCCL.

plugtorch writes no transport of its own. Tensors in host memory (numpy, numba, array-API
backends) travel through MPI (``mpi4py`` over the ``mpich`` wheel); CuPy tensors on GPUs through
NCCL (``cupy.cuda.nccl``). Both are imported only when a process group is created, so
``import plugtorch.distributed`` needs neither.

Start one process per rank with the launcher, which sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK`` as ``torchrun`` does::

    plugtorch run --nproc-per-node 2 train.py --epochs 3

and in ``train.py``::

    import plugtorch.distributed as dist
    dist.init_process_group("mpi")
    model = plugtorch.nn.parallel.DistributedDataParallel(model)

A single process works too (a group of one):

>>> import plugtorch as pt
>>> import plugtorch.distributed as dist
>>> dist.init_process_group("mpi")
>>> dist.get_rank(), dist.get_world_size()
(0, 1)
>>> t = pt.tensor([1.0, 2.0])
>>> work = dist.all_reduce(t, async_op=True)
>>> work.wait()
True
>>> dist.destroy_process_group()

See ``docs/distributed.md`` for several machines, GPUs and what scaling to expect.
"""

from plugtorch.distributed._collectives import (
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    barrier,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from plugtorch.distributed._group import ProcessGroup
from plugtorch.distributed._init import (
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_initialized,
)
from plugtorch.distributed._mpi import is_available as is_mpi_available
from plugtorch.distributed._nccl_group import is_nccl_available
from plugtorch.distributed._p2p import (
    all_gather_object,
    broadcast_object_list,
    irecv,
    isend,
    recv,
    send,
)
from plugtorch.distributed._types import Backend, DistBackendError, DistError, ReduceOp
from plugtorch.distributed._work import Work
from plugtorch.distributed.sampler import DistributedSampler

__all__ = [
    "Backend",
    "DistBackendError",
    "DistError",
    "DistributedSampler",
    "ProcessGroup",
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "gather",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "irecv",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "is_nccl_available",
    "isend",
    "recv",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
    "send",
]


def is_available() -> bool:
    """True: the package is always importable (a backend may still be missing; see
    ``is_mpi_available`` and ``is_nccl_available``)."""
    return True
