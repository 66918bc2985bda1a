"""plugtorch's GPU backend: CuPy arrays, hand-written CUDA kernels for the hot paths.

``import plugtorch_cupy`` works everywhere, with or without CuPy, a driver or a GPU; the
backend then reports ``is_available() == (False, reason)`` and plugtorch refuses to select it
with that reason. See ``backends/cupy/README.md`` for the design and the kernels.
"""

from __future__ import annotations

from typing import Any

from plugtorch_cupy._backend import KERNEL_PRIMITIVES, CupyBackend
from plugtorch_cupy._probe import probe

__all__ = ["CupyBackend", "KERNEL_PRIMITIVES", "create_backend", "probe"]
__version__ = "0.1.0"


def create_backend() -> Any:
    """Entry point of the ``plugtorch.backends`` group: the backend of GPU 0.

    On a machine with several GPUs it is pinned to GPU 0 (every call runs with GPU 0
    current); ``plugtorch.device("cuda:1")`` gives GPU 1's backend, ``cupy:1``.
    """
    backend = CupyBackend()
    if backend.cuda_runtime.device_count() > 1:
        return backend.cuda_runtime.backend_for(0)
    return backend
