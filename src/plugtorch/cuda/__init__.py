"""``plugtorch.cuda``: PyTorch's ``torch.cuda`` functions, answered by the CUDA backend.

PyTorch code often starts with ``device = "cuda" if torch.cuda.is_available() else "cpu"``. In
plugtorch a GPU is reached through a backend that offers CUDA devices (``plugtorch-cupy``,
backend ``cupy``); these functions ask it, and behave as PyTorch's do on a machine without
CUDA when there is none: ``is_available()`` is False, ``device_count()`` 0, the memory figures
0, ``manual_seed`` and ``empty_cache`` do nothing, and the calls that need a device
(``current_device``, ``set_device``, ``synchronize``, ``get_device_name``,
``reset_peak_memory_stats``) raise :class:`CudaUnavailableError` saying why and what to install.

A CUDA backend provides the device side as an attribute ``cuda_runtime`` with the methods
``device_count current_device set_device backend_for synchronize memory_allocated
max_memory_allocated reset_peak_memory_stats empty_cache get_device_name`` (see
``plugtorch_cupy._runtime``).

Random numbers: plugtorch draws every random tensor on the host from one seeded generator, the
same on every backend (so a seed gives the same weights on the CPU and on the GPU). With a
CUDA backend present, ``manual_seed`` and ``manual_seed_all`` therefore seed that generator,
as ``plugtorch.manual_seed`` does; without one they are silently ignored, as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plugtorch import random as _random
from plugtorch._lazy import LazyNames
from plugtorch.backend import registry
from plugtorch.device import (
    CudaUnavailableError,
    Device,
    backend_for_device,
    checked_cuda_index,
    cuda_runtime,
    find_cuda_backend,
)
from plugtorch.dtypes import bfloat16

if TYPE_CHECKING:
    from plugtorch.cuda import amp

__all__ = [
    "CudaUnavailableError",
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "memory_allocated",
    "max_memory_allocated",
    "reset_peak_memory_stats",
    "empty_cache",
    "get_device_name",
    "backend_name",
    "backend_for_device",
    "is_bf16_supported",
    "amp",
]


def _index(runtime: Any, device: Any, what: str) -> int:
    """A device index from None (the current device), an int, ``"cuda:N"`` or a Device."""
    if device is None:
        return int(runtime.current_device())
    if isinstance(device, Device):
        if device.type != "cuda":
            raise ValueError(f"{what}: expected a CUDA device, got {device}")
        index = device.index
    elif isinstance(device, str):
        kind, _, text = device.partition(":")
        if kind != "cuda" or (text and not text.isdigit()):
            raise ValueError(f"{what}: expected 'cuda' or 'cuda:N', got {device!r}")
        index = int(text) if text else None
    elif isinstance(device, int) and not isinstance(device, bool):
        index = device
    else:
        raise TypeError(f"{what}: expected an int, 'cuda:N' or a device, got {device!r}")
    return checked_cuda_index(runtime, index, what)


def is_available() -> bool:
    """True when an installed, working backend offers a CUDA device (never raises).

    >>> import plugtorch as pt
    >>> isinstance(pt.cuda.is_available(), bool)
    True
    """
    return find_cuda_backend()[0] is not None


def device_count() -> int:
    """Number of CUDA devices (0 without a working CUDA backend)."""
    backend, _ = find_cuda_backend()
    return 0 if backend is None else int(backend.cuda_runtime.device_count())


def backend_name() -> str | None:
    """The name of the working CUDA backend (e.g. ``"cupy"``), or None."""
    backend, _ = find_cuda_backend()
    return None if backend is None else backend.name


def current_device() -> int:
    """Index of the current CUDA device (the one ``"cuda"`` means)."""
    return int(cuda_runtime("current_device()").current_device())


def set_device(device: Any) -> None:
    """Make ``device`` (an int, ``"cuda:N"`` or a device) the current CUDA device; a negative
    index does nothing, as in PyTorch."""
    if isinstance(device, int) and not isinstance(device, bool) and device < 0:
        return
    runtime = cuda_runtime("set_device()")
    runtime.set_device(_index(runtime, device, "set_device()"))


def synchronize(device: Any = None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has finished."""
    runtime = cuda_runtime("synchronize()")
    runtime.synchronize(_index(runtime, device, "synchronize()"))


def manual_seed(seed: int) -> None:
    """Seed the generator CUDA tensors draw from (plugtorch's one host generator); silently
    ignored without CUDA, as in PyTorch.

    >>> import plugtorch as pt
    >>> pt.cuda.manual_seed(0)  # never an error, GPU or not
    """
    if is_available():
        _random.manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the generator of every CUDA device (one host generator serves them all)."""
    manual_seed(seed)


def _memory_figure(name: str, device: Any) -> int:
    """The runtime's ``name`` figure for ``device``; 0 without CUDA, as in PyTorch."""
    backend, _ = find_cuda_backend()
    if backend is None:
        return 0
    runtime = backend.cuda_runtime
    return int(getattr(runtime, name)(_index(runtime, device, f"{name}()")))


def memory_allocated(device: Any = None) -> int:
    """Bytes held by tensors on ``device`` (0 without CUDA, as in PyTorch)."""
    return _memory_figure("memory_allocated", device)


def max_memory_allocated(device: Any = None) -> int:
    """The most bytes held by tensors on ``device`` since the peak was last reset (0 without
    CUDA). See the backend's documentation for when it starts counting."""
    return _memory_figure("max_memory_allocated", device)


def reset_peak_memory_stats(device: Any = None) -> None:
    """Start the peak of :func:`max_memory_allocated` again from the current use."""
    runtime = cuda_runtime("reset_peak_memory_stats()")
    runtime.reset_peak_memory_stats(_index(runtime, device, "reset_peak_memory_stats()"))


def empty_cache() -> None:
    """Return the memory the backend's pool keeps for reuse to the driver (nothing to do
    without CUDA)."""
    backend, _ = find_cuda_backend()
    if backend is not None:
        backend.cuda_runtime.empty_cache()


def get_device_name(device: Any = None) -> str:
    """The name of a CUDA device, e.g. ``"NVIDIA H200"``."""
    runtime = cuda_runtime("get_device_name()")
    return str(runtime.get_device_name(_index(runtime, device, "get_device_name()")))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Whether the CUDA backend holds bfloat16 (False without one, as PyTorch without CUDA;
    CuPy has no bfloat16 arrays, so the cupy backend says False too).

    >>> isinstance(is_bf16_supported(), bool)
    True
    """
    name = backend_name()
    return name is not None and bfloat16 in registry.get_backend(name).capabilities.dtypes


# torch.cuda.amp, loaded on first use: it builds on plugtorch.amp, which asks this package
# whether CUDA is there (PEP 562, as the package root's lazy names).
_LAZY = LazyNames(__name__, {"amp": "plugtorch.cuda.amp"})


def __getattr__(name: str) -> Any:
    return _LAZY.load(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
