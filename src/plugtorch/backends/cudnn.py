"""``plugtorch.backends.cudnn``: the cuDNN switches, with PyTorch's defaults.

plugtorch's GPU backend writes its own convolution kernels rather than calling cuDNN, so
``is_available()`` is False and the flags change nothing: convolutions are deterministic
already (``deterministic=True`` is what you get), ``benchmark`` has no algorithms to choose
between, and ``allow_tf32`` has no TensorFloat32 path to allow. They are plain module
attributes, so scripts that set and read them run unchanged.

>>> import plugtorch as pt
>>> pt.backends.cudnn.enabled, pt.backends.cudnn.benchmark, pt.backends.cudnn.deterministic
(True, False, False)
>>> with pt.backends.cudnn.flags(enabled=False):
...     pt.backends.cudnn.enabled
False
>>> pt.backends.cudnn.enabled
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = [
    "allow_tf32",
    "benchmark",
    "benchmark_limit",
    "deterministic",
    "enabled",
    "flags",
    "is_acceptable",
    "is_available",
    "version",
]

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Whether cuDNN can be used: plugtorch's backends do not call it."""
    return False


def version() -> int | None:
    """cuDNN's version, or None as in a PyTorch build without cuDNN."""
    return None


def is_acceptable(tensor: object) -> bool:
    """Whether cuDNN would handle ``tensor``: never, it is not used."""
    return False


@contextmanager
def flags(
    enabled: bool = False,
    benchmark: bool = False,
    benchmark_limit: int = 10,
    deterministic: bool = False,
    allow_tf32: bool = True,
) -> Iterator[None]:
    """Set the flags inside the ``with`` block and restore them after (PyTorch's defaults for
    the arguments, as in ``torch.backends.cudnn.flags``)."""
    saved = _current_flags()
    _set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        _set_flags(*saved)


def _current_flags() -> tuple[bool, bool, int, bool, bool]:
    return enabled, benchmark, benchmark_limit, deterministic, allow_tf32


def _set_flags(
    new_enabled: bool,
    new_benchmark: bool,
    new_benchmark_limit: int,
    new_deterministic: bool,
    new_allow_tf32: bool,
) -> None:
    global enabled, benchmark, benchmark_limit, deterministic, allow_tf32
    enabled = bool(new_enabled)
    benchmark = bool(new_benchmark)
    benchmark_limit = int(new_benchmark_limit)
    deterministic = bool(new_deterministic)
    allow_tf32 = bool(new_allow_tf32)
