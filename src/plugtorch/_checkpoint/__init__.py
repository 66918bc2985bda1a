"""The parts of :mod:`plugtorch.serialization`: what a checkpoint holds (``structure``), how
its bytes are read with every size bounded before it is trusted (``reader``), and how it is
written atomically (``writer``)."""

from plugtorch._checkpoint.errors import (
    CheckpointDeviceError,
    CheckpointError,
    CheckpointNotFoundError,
)

__all__ = ["CheckpointDeviceError", "CheckpointError", "CheckpointNotFoundError"]
