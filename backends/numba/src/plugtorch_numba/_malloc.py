"""Keep freed result memory mapped: glibc ``mallopt`` settings for many mid-sized arrays.

glibc serves allocations above its mmap threshold (128 KiB at start, moving up to 32 MiB as
such blocks are freed) with fresh ``mmap`` calls, and trims the top of the heap whenever
more than 128 KiB is free there. Either way, the next result of that size touches new pages
and pays a page fault per 4 KiB. On this VM class a fault costs about 5 us: a digits-CNN
training step (batch 32) took 85-190 faults, 0.3-0.4 ms of its 2 ms. Fixing the thresholds
(arrays below 32 MiB come from the heap, and up to 128 MiB of free heap is kept) removes
them: 0.01 faults per step. Larger arrays go through the backend's buffer pool instead
(``_buffers.py``).

The settings are per process, so they also speed up numpy (and the numpy backend) in the
same process; ``PLUGTORCH_NUMBA_MALLOPT=0`` leaves glibc's defaults alone. On anything but
glibc (macOS, musl, Windows) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

__all__ = ["tune_malloc"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 128 << 20

_done: bool | None = None


def tune_malloc() -> bool:
    """Apply the thresholds once per process; True when glibc accepted them."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("PLUGTORCH_NUMBA_MALLOPT", "1") == "0":
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
