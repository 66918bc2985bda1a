"""Process-wide settings PyTorch scripts set first: matmul precision, determinism, threads.

Each keeps PyTorch's name, accepted values and errors, and is honoured where plugtorch has the
corresponding choice:

* ``set_float32_matmul_precision``: recorded and linked to
  ``plugtorch.backends.cuda.matmul.allow_tf32`` as in PyTorch; the CPU backends always
  multiply float32 in float32 ("highest"), which every setting allows.
* ``use_deterministic_algorithms``: recorded for backends to consult
  (:func:`are_deterministic_algorithms_enabled`); the numpy, numba and strict backends are
  deterministic already (same input, same bits).
* ``set_num_threads``: caps the threads of the numba backend's kernels and, where the
  ``threadpoolctl`` package is installed, of the BLAS library numpy uses.
"""

from __future__ import annotations

import numbers
import os
import warnings

__all__ = [
    "are_deterministic_algorithms_enabled",
    "get_deterministic_debug_mode",
    "get_float32_matmul_precision",
    "get_num_interop_threads",
    "get_num_threads",
    "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode",
    "set_float32_matmul_precision",
    "set_num_interop_threads",
    "set_num_threads",
    "use_deterministic_algorithms",
]

_PRECISIONS = ("highest", "high", "medium")
_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}

_float32_matmul_precision = "highest"
_deterministic = False
_deterministic_warn_only = False
_num_threads: int | None = None
_num_interop_threads: int | None = None


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# --- float32 matmul precision ---------------------------------------------------------------


def set_float32_matmul_precision(precision: str) -> None:
    """Set the internal precision of float32 matrix products: ``"highest"`` (the default),
    ``"high"`` or ``"medium"``.

    ``"high"`` and ``"medium"`` allow faster reduced-precision algorithms (TensorFloat32,
    bfloat16) where a device has them; the result dtype stays float32. Setting it also sets
    ``plugtorch.backends.cuda.matmul.allow_tf32`` (True unless ``"highest"``), as in PyTorch.
    plugtorch's CPU backends always compute float32 products in float32.

    >>> import plugtorch as pt
    >>> pt.set_float32_matmul_precision("high")
    >>> pt.get_float32_matmul_precision(), pt.backends.cuda.matmul.allow_tf32
    ('high', True)
    >>> pt.set_float32_matmul_precision("highest")
    """
    global _float32_matmul_precision
    if precision not in _PRECISIONS:
        raise RuntimeError(
            f"Invalid precision {precision!r}: set_float32_matmul_precision takes one of "
            f"{', '.join(repr(p) for p in _PRECISIONS)}"
        )
    _float32_matmul_precision = precision


def get_float32_matmul_precision() -> str:
    """The value last given to :func:`set_float32_matmul_precision` (``"highest"`` at start).

    >>> import plugtorch as pt
    >>> pt.get_float32_matmul_precision()
    'highest'
    """
    return _float32_matmul_precision


# --- determinism ----------------------------------------------------------------------------


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Require operations to give the same bits for the same input (``mode=True``).

    As in PyTorch, an operation that only has a nondeterministic implementation then raises
    ``RuntimeError`` (or warns, with ``warn_only=True``). The numpy, numba and strict backends
    have no such operation; a backend with one (atomic GPU scatter-add, say) consults
    :func:`are_deterministic_algorithms_enabled`.

    >>> import plugtorch as pt
    >>> pt.use_deterministic_algorithms(True)
    >>> pt.are_deterministic_algorithms_enabled()
    True
    >>> pt.use_deterministic_algorithms(False)
    """
    global _deterministic, _deterministic_warn_only
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms expects a bool, got {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"warn_only must be a bool, got {type(warn_only).__name__}")
    _deterministic = mode
    _deterministic_warn_only = warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """True after ``use_deterministic_algorithms(True)``."""
    return _deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """True after ``use_deterministic_algorithms(True, warn_only=True)``."""
    return _deterministic_warn_only


def set_deterministic_debug_mode(debug_mode: str | int) -> None:
    """The same switch as :func:`use_deterministic_algorithms`, spelled ``"default"`` (0, off),
    ``"warn"`` (1) or ``"error"`` (2).

    >>> import plugtorch as pt
    >>> pt.set_deterministic_debug_mode("warn")
    >>> pt.get_deterministic_debug_mode()
    1
    >>> pt.set_deterministic_debug_mode(0)
    """
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                f"but got {debug_mode}"
            )
        level = _DEBUG_MODES[debug_mode]
    elif isinstance(debug_mode, numbers.Integral) and not isinstance(debug_mode, bool):
        level = int(debug_mode)
        if level not in (0, 1, 2):
            raise RuntimeError(
                f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
            )
    else:
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode).__name__}")
    use_deterministic_algorithms(level > 0, warn_only=level == 1)


def get_deterministic_debug_mode() -> int:
    """0 when determinism is off, 1 when it warns, 2 when it raises."""
    if not _deterministic:
        return 0
    return 1 if _deterministic_warn_only else 2


# --- threads --------------------------------------------------------------------------------


def _thread_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} expects an int, got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name}: Expected a positive number of threads, got {value}")
    return int(value)


def set_num_threads(num: int) -> None:
    """Use at most ``num`` threads for the work inside one operation on the CPU.

    Caps the numba backend's kernels and, where ``threadpoolctl`` is installed, the BLAS
    library numpy calls (both backends' matmul).

    >>> import plugtorch as pt
    >>> pt.set_num_threads(1)
    >>> pt.get_num_threads()
    1
    """
    global _num_threads
    _num_threads = _thread_count(num, "set_num_threads")
    try:
        import threadpoolctl
    except ImportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # threadpoolctl warns about libraries it cannot set
        threadpoolctl.threadpool_limits(_num_threads, user_api="blas")


def get_num_threads() -> int:
    """The thread count from :func:`set_num_threads`, else the number of usable CPU cores."""
    return _num_threads if _num_threads is not None else _cpu_count()


def set_num_interop_threads(num: int) -> None:
    """Record the number of threads for running independent operations side by side.

    plugtorch runs operations one after the other, so the value is only reported back by
    :func:`get_num_interop_threads`; as in PyTorch it may be set once, before any work.
    """
    global _num_interop_threads
    count = _thread_count(num, "set_num_interop_threads")
    if _num_interop_threads is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started "
            "or set_num_interop_threads called"
        )
    _num_interop_threads = count


def get_num_interop_threads() -> int:
    """The value from :func:`set_num_interop_threads`, else the number of usable CPU cores."""
    return _num_interop_threads if _num_interop_threads is not None else _cpu_count()
