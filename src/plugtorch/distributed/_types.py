"""``ReduceOp``, the error classes and ``Backend`` names, as ``torch.distributed`` spells them."""

from __future__ import annotations

import enum

__all__ = ["Backend", "DistBackendError", "DistError", "ReduceOp"]


class ReduceOp(enum.Enum):
    """How ``all_reduce``, ``reduce`` and ``reduce_scatter`` combine the ranks' values.

    ``SUM``, ``PRODUCT``, ``MIN`` and ``MAX`` for every dtype; ``AVG`` (the sum divided by the
    number of ranks) for floating point tensors; ``BAND``, ``BOR`` and ``BXOR`` for integer and
    bool tensors. On bool tensors ``SUM`` and ``MAX`` are a logical or, ``PRODUCT`` and ``MIN``
    a logical and.

    >>> from plugtorch.distributed import ReduceOp
    >>> ReduceOp.SUM
    <ReduceOp.SUM: 'sum'>
    """

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"


class DistError(RuntimeError):
    """An error in ``plugtorch.distributed`` (PyTorch's ``torch.distributed.DistError``)."""

    __module__ = "plugtorch.distributed"


class DistBackendError(DistError):
    """The communication library failed or a collective timed out; the process group that
    raised it is broken from then on (PyTorch's ``torch.distributed.DistBackendError``)."""

    __module__ = "plugtorch.distributed"


class Backend:
    """The communication backends ``init_process_group`` accepts: ``"mpi"`` for tensors in host
    memory (numpy, numba, any host array-API backend), ``"nccl"`` for CuPy tensors on GPUs."""

    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"  # named so that PyTorch code gets a clear error, not an unknown-name one
    choices = (MPI, NCCL)
