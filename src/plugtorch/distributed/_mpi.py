"""The one place that imports ``mpi4py``: lazily, with the install command when it is missing.

plugtorch's hard dependency is numpy; MPI comes from two optional wheels, ``mpi4py`` (the
bindings) and ``mpich`` (the MPI library and its ``mpiexec``), both pinned in
``requirements/dev.txt``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from typing import Any

__all__ = ["INSTALL_HINT", "is_available", "load_mpi", "mpiexec_path", "launcher_rank"]

INSTALL_HINT = (
    "plugtorch.distributed needs MPI: `pip install mpi4py mpich` (the versions pinned in "
    "requirements/dev.txt; `make setup` installs them)"
)


def load_mpi() -> Any:
    """``mpi4py.MPI``, initialised on first use (thread level MULTIPLE, mpi4py's default)."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ModuleNotFoundError(f"{INSTALL_HINT} ({error})") from error
    return MPI


def is_available() -> bool:
    """Whether ``mpi4py`` can be imported (without initialising MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def mpiexec_path() -> str:
    """The ``mpiexec`` of the MPI wheel installed next to this Python, else the one on PATH."""
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.exists(beside):
        return beside
    found = shutil.which("mpiexec")
    if found is None:
        raise FileNotFoundError(
            f"no mpiexec found beside {sys.executable} or on PATH; {INSTALL_HINT}"
        )
    return found


# The variables MPI launchers set in every process they start (MPICH's Hydra, Open MPI, Slurm):
# (rank, size, local rank).
_LAUNCHER_VARIABLES = (
    ("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID"),
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK"),
    ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK"),
)


def launcher_rank() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) as the MPI launcher told this process, without MPI."""
    for rank_name, size_name, local_name in _LAUNCHER_VARIABLES:
        if rank_name in os.environ and size_name in os.environ:
            rank = int(os.environ[rank_name])
            local = int(os.environ.get(local_name, rank))
            return rank, int(os.environ[size_name]), local
    return None
