"""The buffer pool never hands out memory that anything still references; the thread pool
runs every task once and re-raises a task's error."""

from __future__ import annotations

import gc

import numpy as np
import pytest
from plugtorch_numba import NumbaBackend
from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._threads import parallel_blocks, run_chunks

MB = 1 << 20


def test_free_buffer_is_reused():
    pool = BufferPool(max_bytes=64 * MB)
    a = pool.empty((MB,), np.float32)
    address = a.ctypes.data
    del a
    b = pool.empty((1024, 1024), np.float32)
    assert b.ctypes.data == address and pool.hits == 1
    assert b.shape == (1024, 1024) and b.dtype == np.float32 and b.flags.c_contiguous


@pytest.mark.parametrize(
    "keep",
    [
        lambda a: a.T[::2],  # numpy collapses the chain: references the owner directly
        lambda a: a[3:7],
        lambda a: memoryview(a),
        lambda a: np.frombuffer(a, dtype=np.uint8),
        lambda a: np.lib.stride_tricks.as_strided(a, shape=(10,), strides=(0,)),
        lambda a: a.__dlpack__(),
        lambda a: a.reshape(-1).view(np.int32),
    ],
)
def test_referenced_buffer_is_never_handed_out(keep):
    pool = BufferPool(max_bytes=64 * MB)
    a = pool.empty((MB,), np.float32)
    a[:] = 1.0
    kept = keep(a)
    del a
    gc.collect()
    b = pool.empty((MB,), np.float32)
    b[:] = 2.0
    if isinstance(kept, (np.ndarray, memoryview)):
        view = np.asarray(kept)
        assert not np.shares_memory(b, view)
        if view.dtype == np.float32:
            assert np.all(view == 1.0)
        del view
    assert pool.hits == 0 and pool.misses == 2
    del kept
    c = pool.empty((MB,), np.float32)  # now free again
    assert pool.hits == 1 and c.size == MB


def test_results_of_backend_stay_valid():
    nb = NumbaBackend(min_parallel_size=0, min_elementwise_size=0, pool_bytes=64 * MB)
    x = np.ones(MB, np.float32)
    first = nb.add(x, x)
    tail = first.reshape(1024, 1024).T[::3]  # keeps first's memory alive
    del first
    for _ in range(3):
        second = nb.multiply(x, x)
        assert not np.shares_memory(second, tail)
    np.testing.assert_array_equal(tail, 2.0)


def test_cap_evicts_free_buffers_and_small_requests_bypass():
    pool = BufferPool(max_bytes=3 * MB)
    held = [pool.empty((MB // 4,), np.float32) for _ in range(3)]
    extra = pool.empty((MB // 4,), np.float32)  # over the cap: plain allocation
    assert pool.held_bytes == 3 * MB and not any(np.shares_memory(extra, h) for h in held)
    del held
    other = pool.empty((2 * MB // 4,), np.float32)  # evicts free 1 MB buffers to fit
    assert pool.held_bytes <= 3 * MB and other.nbytes == 2 * MB
    small = pool.empty((10,), np.float64)
    assert small.base is None  # below min_bytes: not pooled
    assert BufferPool(max_bytes=0).empty((MB,), np.float32).base is None


def test_disabled_pool_in_backend():
    nb = NumbaBackend(pool_bytes=0)
    x = np.ones((2048, 1024), np.float32)
    assert nb.add(x, x).base is None


def test_thread_pool_runs_each_task_once_and_reraises():
    seen = np.zeros(1000, np.int64)

    def kernel(out, b0, b1):
        out[b0:b1] += 1

    parallel_blocks(kernel, (seen,), 1000, 1 << 30)
    assert np.all(seen == 1)

    def failing(a, b):
        if a > 0:
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        run_chunks(failing, 1 << 22)
