"""What ``plugtorch.cuda`` asks of this backend: devices, synchronisation, memory figures.

The ``cuda_runtime`` attribute of the cupy backend is a :class:`CupyRuntime`. Device indices
are CuPy's (``CUDA_VISIBLE_DEVICES`` applies). Memory figures come from CuPy's memory pool:
``memory_allocated`` is the bytes held by live arrays (``MemoryPool.used_bytes``).
CuPy keeps no peak, so the first call of ``max_memory_allocated`` or
``reset_peak_memory_stats`` installs a memory hook that follows every allocation of the
calling thread from then on; before that call the peak is the current use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CupyRuntime", "PinnedBackend"]


def _install_peak_hook(cupy: Any) -> Any:
    """A CuPy memory hook, installed for the calling thread, that keeps the largest number of
    bytes held by arrays seen on each device since it was installed."""

    class PeakHook(cupy.cuda.memory_hook.MemoryHook):  # type: ignore[misc, name-defined]
        name = "plugtorch_peak"

        def __init__(self) -> None:
            super().__init__()
            self.used: dict[int, int] = {}
            self.peak: dict[int, int] = {}

        def malloc_postprocess(self, **event: Any) -> None:
            if not event["mem_ptr"]:  # the allocation failed
                return
            device = event["device_id"]
            used = self.used.get(device, 0) + event["mem_size"]
            self.used[device] = used
            self.peak[device] = max(self.peak.get(device, 0), used)

        def free_postprocess(self, **event: Any) -> None:
            device = event["device_id"]
            self.used[device] = self.used.get(device, 0) - event["mem_size"]

    hook = PeakHook()
    hook.__enter__()  # stays installed: the figures must follow every later allocation
    return hook


class CupyRuntime:
    """Device queries and memory figures over CuPy, for ``plugtorch.cuda``."""

    def __init__(self, cupy: Any, device_count: int, make_backend: Any) -> None:
        self._cupy = cupy
        self._count = device_count
        self._make_backend = make_backend
        self._backends: dict[int, Any] = {}
        self._peak: Any = None

    def device_count(self) -> int:
        return self._count

    def current_device(self) -> int:
        return int(self._cupy.cuda.runtime.getDevice())

    def set_device(self, index: int) -> None:
        self._cupy.cuda.runtime.setDevice(index)

    def backend_for(self, index: int) -> Any:
        """The backend whose arrays live on GPU ``index`` (made once, then reused)."""
        if index not in self._backends:
            self._backends[index] = self._make_backend(index)
        return self._backends[index]

    def synchronize(self, index: int) -> None:
        with self._cupy.cuda.Device(index):
            self._cupy.cuda.runtime.deviceSynchronize()

    def _pool_used(self, index: int) -> int:
        with self._cupy.cuda.Device(index):
            return int(self._cupy.get_default_memory_pool().used_bytes())

    def memory_allocated(self, index: int) -> int:
        return self._pool_used(index)

    def _peak_hook(self) -> Any:
        if self._peak is None:
            self._peak = _install_peak_hook(self._cupy)
        return self._peak

    def max_memory_allocated(self, index: int) -> int:
        hook = self._peak_hook()
        current = self._pool_used(index)
        hook.used[index] = current
        return max(hook.peak.get(index, 0), current)

    def reset_peak_memory_stats(self, index: int) -> None:
        hook = self._peak_hook()
        current = self._pool_used(index)
        hook.used[index] = current
        hook.peak[index] = current

    def empty_cache(self) -> None:
        self._cupy.get_default_memory_pool().free_all_blocks()
        self._cupy.get_default_pinned_memory_pool().free_all_blocks()

    def get_device_name(self, index: int) -> str:
        name = self._cupy.cuda.runtime.getDeviceProperties(index)["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def nccl_modules(self) -> tuple[Any, Any]:
        """``(cupy, cupy.cuda.nccl)`` for ``init_process_group("nccl")``: the core's NCCL
        group drives CuPy's ``NcclCommunicator`` but imports no backend package itself. An
        ``ImportError`` (with CuPy's reason) when CuPy cannot load NCCL."""
        from cupy.cuda import nccl

        if not getattr(nccl, "available", True):
            raise ImportError("CuPy is installed but cannot load the NCCL library")
        return self._cupy, nccl


class PinnedBackend:
    """The cupy backend bound to one GPU of a machine with several: every primitive runs
    with that GPU current (``with cupy.cuda.Device(index)``), so results land there whatever
    ``plugtorch.cuda.set_device`` chose. On a machine with one GPU none is needed."""

    def __init__(self, base: Any, index: int, name: str) -> None:
        self._base = base
        self._device = base.cupy.cuda.Device(index)
        self.name = name
        self.index = index
        self.api_version = base.api_version
        caps = base.capabilities
        self.capabilities = type(caps)(
            dtypes=caps.dtypes,
            devices=(f"cuda:{index}",),
            primitives=caps.primitives,
            host_memory=False,
            dlpack=caps.dlpack,
        )
        self.cuda_runtime = base.cuda_runtime

    def __repr__(self) -> str:
        return f"<plugtorch backend {self.name!r} (CuPy on cuda:{self.index})>"

    def is_available(self) -> tuple[bool, str]:
        return self._base.is_available()

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._base, attribute)
        if not callable(value):
            return value
        device = self._device

        def on_device(*args: Any, **kwargs: Any) -> Any:
            with device:
                return value(*args, **kwargs)

        return on_device
