"""A pool of large output buffers whose pages are already mapped.

A fresh 40 MB ``np.empty`` comes from ``mmap`` (glibc never keeps chunks above 32 MiB), so
every large result pays page faults on first touch: about 5 ms per 40 MB on one thread,
several times the cost of the arithmetic that fills it (two threads refill an existing 40 MB
buffer in about 0.4 ms, measured on the 2-core machine this was built on). The pool keeps the
owning ``uint8`` arrays of large results and hands a view of one out again once nothing
references it any more.

"Nothing references it" is decided by the reference count of the owning array, not by a
finalizer on the view we returned: numpy collapses view chains, so ``y = result.T[::2]``
references the *owning* array directly and outlives ``result``. A finalizer on ``result``
would then recycle memory that ``y`` still reads. Every view, memoryview, DLPack capsule or
``as_strided`` wrapper keeps a reference to the owner (directly or through its chain), so a
reference count equal to the pool's own reference means the memory is free.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

__all__ = ["BufferPool", "default_pool_bytes"]

_PAGE = 4096


def default_pool_bytes() -> int:
    """``PLUGTORCH_NUMBA_POOL_BYTES`` if set, else 1/8 of physical memory, at most 2 GiB."""
    configured = os.environ.get("PLUGTORCH_NUMBA_POOL_BYTES")
    if configured is not None:
        return int(configured)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - not POSIX
        total = 8 << 30
    return int(min(2 << 30, total // 8))


def _refcount_when_free() -> int:
    # Measured, not assumed: the count ``_is_free`` sees for an owner held only by the pool's
    # list (interpreter versions differ in how many temporary references a call makes).
    probe = [np.empty(1, dtype=np.uint8)]
    return _count(probe, 0)


def _count(owners: list[np.ndarray], index: int) -> int:
    return sys.getrefcount(owners[index])


_FREE_REFCOUNT = _refcount_when_free()


class BufferPool:
    """Size-keyed cache of page-touched buffers for results of at least ``min_bytes``.

    ``empty(shape, dtype)`` behaves like ``np.empty`` (C order); at most ``max_bytes`` of
    owning buffers are kept (``max_bytes=0`` disables the pool). Buffers still referenced
    anywhere are never handed out; free ones are evicted least recently used first.
    """

    def __init__(self, max_bytes: int | None = None, min_bytes: int = 1 << 20) -> None:
        self.max_bytes = default_pool_bytes() if max_bytes is None else max_bytes
        self.min_bytes = min_bytes
        self._owners: OrderedDict[int, list[np.ndarray]] = OrderedDict()  # size -> owners
        self._held = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of owning buffers the pool references (in use by results or free)."""
        return self._held

    def clear(self) -> None:
        """Forget every buffer (results still alive keep their memory)."""
        with self._lock:
            self._owners.clear()
            self._held = 0

    def empty(self, shape: tuple[int, ...] | list[int], dtype: Any) -> np.ndarray:
        buffer = self.take(shape, dtype)
        return np.empty(shape, dtype=dtype) if buffer is None else buffer

    def take(self, shape: tuple[int, ...] | list[int], dtype: Any) -> np.ndarray | None:
        """A pooled buffer like ``empty``'s, or None where ``empty`` would give a fresh
        ``np.empty`` (small, the pool off or full): a caller that can let numpy allocate its
        result (``np.matmul`` without ``out=``, 1-2 % faster on a 128x512x256 float32
        product) does that then."""
        dtype = np.dtype(dtype)
        count = 1
        for size in shape:
            count *= int(size)
        nbytes = count * dtype.itemsize
        if nbytes < self.min_bytes or self.max_bytes <= 0:
            return None
        size = -(-nbytes // _PAGE) * _PAGE
        with self._lock:
            owner = self._take(size)
        if owner is None:
            return None
        return owner[:nbytes].view(dtype).reshape(shape)

    def _take(self, size: int) -> np.ndarray | None:
        owners = self._owners.get(size)
        if owners is not None:
            self._owners.move_to_end(size)
            for index in range(len(owners)):
                if _count(owners, index) <= _FREE_REFCOUNT:
                    self.hits += 1
                    return owners[index]
        self.misses += 1
        if size > self.max_bytes or not self._make_room(size):
            return None
        owner = np.empty(size, dtype=np.uint8)
        self._owners.setdefault(size, []).append(owner)
        self._held += size
        return owner

    def _make_room(self, size: int) -> bool:
        """Drop free buffers, least recently used sizes first, until ``size`` more fits."""
        if self._held + size <= self.max_bytes:
            return True
        for key in list(self._owners):
            owners = self._owners[key]
            index = 0
            while index < len(owners):
                if _count(owners, index) <= _FREE_REFCOUNT:
                    owners.pop(index)
                    self._held -= key
                    if self._held + size <= self.max_bytes:
                        if not owners:
                            del self._owners[key]
                        return True
                else:
                    index += 1
            if not owners:
                del self._owners[key]
        return False
