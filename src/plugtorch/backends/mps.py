"""``plugtorch.backends.mps``: Apple's Metal GPU. No plugtorch backend targets it, so both
questions PyTorch scripts ask answer False.

>>> import plugtorch as pt
>>> "mps" if pt.backends.mps.is_available() else "cpu"
'cpu'
"""

from __future__ import annotations

__all__ = ["is_available", "is_built", "is_macos_or_newer"]


def is_available() -> bool:
    """Whether an MPS device can be used: never in plugtorch."""
    return False


def is_built() -> bool:
    """Whether plugtorch was built with MPS support: it was not."""
    return False


def is_macos_or_newer(major: int, minor: int) -> bool:
    """PyTorch answers this only for MPS builds; without MPS it is False."""
    return False
