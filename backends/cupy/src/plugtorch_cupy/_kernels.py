"""Loading the hand-written CUDA kernels: sources, compilation, launch geometry.

Each ``kernels/*.cu`` file is compiled as one ``cupy.RawModule`` the first time one of its
kernels is used, with ``kernels/common.cuh`` put in front of it (so NVRTC needs no include
path). CuPy keeps the compiled binaries on disk (``CUPY_CACHE_DIR``, by default
``~/.cupy/kernel_cache``): a second process loads them instead of compiling.

:func:`compile_for_arch` compiles a source with CuPy's low-level NVRTC bindings for a named
architecture. It needs no GPU (CuPy's high-level helpers ask the device for its architecture
first), which is how CI checks every kernel for sm_80 and sm_90 on machines without one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "KERNEL_DIR",
    "KERNEL_FILES",
    "COMPILE_OPTIONS",
    "BLOCK",
    "CompileError",
    "source",
    "with_prelude",
    "compile_for_arch",
    "KernelCache",
]

KERNEL_DIR = Path(__file__).with_name("kernels")
KERNEL_FILES: tuple[str, ...] = (
    "reduce.cu",
    "matmul.cu",
    "conv_pool.cu",
    "softmax.cu",
    "layer_norm.cu",
    "adam.cu",
)
"""Every complete kernel file (``fused_elementwise.cu`` is a template: see ``_fused``)."""
COMPILE_OPTIONS: tuple[str, ...] = ("-std=c++14",)
BLOCK = 256
"""Threads per block of every launch (a multiple of the warp size, as block_allreduce needs)."""


class CompileError(RuntimeError):
    """NVRTC refused a kernel source; the message carries its log (file, line, error)."""


def with_prelude(body: str) -> str:
    """``kernels/common.cuh`` followed by ``body``: what NVRTC compiles."""
    return (KERNEL_DIR / "common.cuh").read_text() + "\n" + body


def source(filename: str) -> str:
    """The text NVRTC compiles for ``kernels/filename``: the common prelude, then the file."""
    return with_prelude((KERNEL_DIR / filename).read_text())


def compile_for_arch(text: str, name: str, arch: str, nvrtc: Any = None) -> bytes:
    """Compile CUDA C ``text`` to a CUBIN for ``arch`` (e.g. ``"sm_90"``) without a GPU.

    ``nvrtc`` defaults to ``cupy.cuda.nvrtc``; raises :class:`CompileError` with NVRTC's log.
    """
    if nvrtc is None:
        from cupy.cuda import nvrtc as cupy_nvrtc

        nvrtc = cupy_nvrtc
    program = nvrtc.createProgram(text, name, [], [])
    try:
        try:
            nvrtc.compileProgram(program, [f"--gpu-architecture={arch}", *COMPILE_OPTIONS])
        except nvrtc.NVRTCError as error:
            log = nvrtc.getProgramLog(program)
            raise CompileError(f"{name} for {arch}: {error}\n{log}") from error
        return bytes(nvrtc.getCUBIN(program))
    finally:
        nvrtc.destroyProgram(program)


class KernelCache:
    """Compiled modules and metadata arrays of one backend, made on first use.

    Modules are kept per (device, file) because a loaded module belongs to one device.
    """

    def __init__(self, cupy: Any) -> None:
        self._cupy = cupy
        self._modules: dict[tuple[int, str], Any] = {}
        self._int_arrays: dict[tuple[int, tuple[int, ...], str], Any] = {}
        self._sm_count: dict[int, int] = {}

    def _device(self) -> int:
        return int(self._cupy.cuda.runtime.getDevice())

    def function(self, filename: str, name: str) -> Any:
        """The kernel ``name`` of ``kernels/filename`` on the current device."""
        key = (self._device(), filename)
        module = self._modules.get(key)
        if module is None:
            module = self._cupy.RawModule(code=source(filename), options=COMPILE_OPTIONS)
            self._modules[key] = module
        return module.get_function(name)

    def generated(self, key: str, make_text: Callable[[], str], name: str) -> Any:
        """The kernel ``name`` of a generated source (fused chains), cached under ``key``;
        ``make_text`` runs only when the key is new."""
        cache_key = (self._device(), key)
        module = self._modules.get(cache_key)
        if module is None:
            module = self._cupy.RawModule(code=make_text(), options=COMPILE_OPTIONS)
            self._modules[cache_key] = module
        return module.get_function(name)

    def ints(self, values: Sequence[int], dtype: str = "int32") -> Any:
        """A device array of ``values``, kept for reuse (shapes repeat every training step)."""
        key = (self._device(), tuple(int(v) for v in values), dtype)
        array = self._int_arrays.get(key)
        if array is None:
            array = self._cupy.asarray(key[1], dtype=dtype)
            self._int_arrays[key] = array
        return array

    def sm_count(self) -> int:
        """Streaming multiprocessors of the current device (sizes the grids)."""
        device = self._device()
        if device not in self._sm_count:
            attributes = self._cupy.cuda.runtime.getDeviceProperties(device)
            self._sm_count[device] = int(attributes["multiProcessorCount"])
        return self._sm_count[device]

    def launch(self, kernel: Any, work_items: int, args: tuple[Any, ...]) -> None:
        """Run ``kernel`` over ``work_items`` with a grid-stride loop: enough blocks to fill
        the device (32 per multiprocessor) but no more than the work needs."""
        blocks = max(1, min(-(-work_items // BLOCK), self.sm_count() * 32))
        kernel((blocks,), (BLOCK,), args)
