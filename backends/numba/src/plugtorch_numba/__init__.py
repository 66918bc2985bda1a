"""plugtorch's parallel CPU backend: numpy arrays, hot primitives compiled with numba.

``import plugtorch_numba`` never fails for a missing or broken numba: the backend then reports
``is_available() == (False, reason)``. The JIT cache directory is set before numba is imported
(see :mod:`plugtorch_numba._cache`).
"""

from __future__ import annotations

from plugtorch_numba._cache import configure_cache_dir

configure_cache_dir()

from plugtorch_numba._backend import NumbaBackend  # noqa: E402 (after the cache setup)

__all__ = ["NumbaBackend", "create_backend"]
__version__ = "0.1.0"


def create_backend() -> NumbaBackend:
    """Entry point of the ``plugtorch.backends`` group."""
    return NumbaBackend()
