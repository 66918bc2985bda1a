"""The buffer pool and in-place writes: memory any alias can reach is never handed out again."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt

pytest.importorskip("numba")


def test_pooled_buffer_reachable_through_a_view_is_not_reused() -> None:
    from plugtorch_numba import NumbaBackend

    backend = NumbaBackend(min_parallel_size=0, min_elementwise_size=0, pool_bytes=1 << 28)
    pt.register_backend("numba-pool-test", backend)
    size = 1 << 19  # 2 MiB of float32: above the pool's 1 MiB threshold
    x = pt.ones(size, backend="numba-pool-test")
    result = x * 3.0  # a pooled buffer
    alias = result.view(2, -1)[1]  # only a view keeps it alive now
    del result
    others = [x * 5.0 for _ in range(4)]  # same size: would take a freed buffer
    alias.add_(1.0)  # written in place, through the view
    assert float(alias.sum().item()) == 4.0 * (size // 2)
    for other in others:
        assert bool((other == 5.0).all()), "a pooled buffer was handed out while still aliased"
    hits_before = backend.pool.hits
    del alias
    _ = x * 7.0
    assert backend.pool.hits > hits_before, "freed buffers are reused again once unreachable"


def test_inplace_kernels_write_into_pooled_memory() -> None:
    from plugtorch_numba import NumbaBackend

    backend = NumbaBackend(min_parallel_size=0, min_elementwise_size=0)
    pt.register_backend("numba-inplace-test", backend)
    x = pt.arange(1 << 20, dtype=pt.float32, backend="numba-inplace-test") * 1.0
    before = x.data_ptr()
    view = x[::2]
    x.mul_(2.0).add_(pt.ones_like(x), alpha=0.5)
    assert x.data_ptr() == before
    expected = np.arange(1 << 20, dtype=np.float32)[::2] * 2.0 + 0.5
    assert np.array_equal(view.numpy(), expected)
