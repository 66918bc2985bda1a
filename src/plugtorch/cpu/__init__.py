"""``plugtorch.cpu``: PyTorch's CPU namespace (``plugtorch.cpu.amp`` for old autocast code)."""

from plugtorch.cpu import amp

__all__ = ["amp", "is_available", "device_count"]


def is_available() -> bool:
    """The CPU is always there (as ``torch.cpu.is_available()``).

    >>> is_available()
    True
    """
    return True


def device_count() -> int:
    """One CPU device, as PyTorch counts it."""
    return 1
