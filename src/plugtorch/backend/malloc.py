"""Keep freed result memory mapped: glibc ``mallopt`` settings for many mid-sized arrays.

For host-memory backends (numpy, numba). glibc serves allocations above its mmap threshold
(128 KiB at start, moving up to 32 MiB as such blocks are freed) with fresh ``mmap`` calls,
and trims the top of the heap whenever more than twice that is free there. Either way, the
next result of that size touches new pages and pays a page fault per 4 KiB. On this VM class
a fault costs about 5 us: a digits-CNN training step (batch 32) took 85-190 faults, 0.3-0.4 ms
of its 2 ms; the numpy backend's GPT step (issue #17, 166 MiB of fresh results per step)
took 192 ms with glibc's defaults and 156 ms with the thresholds below. Fixing the thresholds
(arrays below 32 MiB come from the heap, and up to 128 MiB of free heap is kept) removes
them: 0.01 faults per step.

The settings are per process (they also speed up plain numpy, and PyTorch, in the same
process), applied once by the first backend that asks. ``PLUGTORCH_MALLOPT=0`` (or the older
``PLUGTORCH_NUMBA_MALLOPT=0``) leaves glibc's defaults alone. On anything but glibc (macOS,
musl, Windows) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["ENV", "tune_malloc"]

ENV = "PLUGTORCH_MALLOPT"
_LEGACY_ENV = "PLUGTORCH_NUMBA_MALLOPT"  # the name when only the numba backend did this
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20

_done: bool | None = None


def _disabled() -> bool:
    return any(os.environ.get(name, "1").strip() == "0" for name in (ENV, _LEGACY_ENV))


def tune_malloc() -> bool:
    """Apply the thresholds once per process; True when glibc accepted them (False when
    disabled by ``PLUGTORCH_MALLOPT=0`` or not on glibc)."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if _disabled():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _done
