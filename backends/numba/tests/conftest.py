"""Fixtures for the numba backend tests: a backend that always takes the kernel path."""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from plugtorch_numba import NumbaBackend  # noqa: E402
from plugtorch_numpy import NumpyBackend  # noqa: E402


@pytest.fixture(autouse=True)
def _threads_split_whatever_openblas_does(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernels split over threads in every test, as if OpenBLAS's threads never spun
    (``_blas.spinning``): which path a test takes must not depend on how recently an earlier
    test ran a product. test_matmul.py tests the spinning path itself."""
    from plugtorch_numba import _blas

    monkeypatch.setattr(_blas, "spinning", lambda: False)


@pytest.fixture(scope="session")
def nb() -> NumbaBackend:
    """Kernels even for tiny inputs, so every size exercises the compiled path."""
    return NumbaBackend(min_parallel_size=0, min_elementwise_size=0)


@pytest.fixture(scope="session")
def ref() -> NumpyBackend:
    return NumpyBackend()


def layouts(base: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The same logical 2-D shape in several memory layouts built from ``base`` (2-D)."""
    m, n = base.shape
    wide = np.empty((m, 2 * n), dtype=base.dtype)
    wide[:, ::2] = base
    return {
        "contiguous": base,
        "transposed": np.ascontiguousarray(base.T).T,
        "step": wide[:, ::2],
        "broadcast": np.broadcast_to(base[:1], base.shape),
        "flipped": base[::-1],
    }
