"""The one error type a checkpoint problem raises."""

from __future__ import annotations

__all__ = ["CheckpointDeviceError", "CheckpointError", "CheckpointNotFoundError"]


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read (missing, truncated, foreign, crafted) or an object
    that cannot be saved; the message names the file and the problem."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist (also a FileNotFoundError)."""


class CheckpointDeviceError(CheckpointError, RuntimeError):
    """A tensor was saved on a device this machine does not have (say ``cuda:0`` on a CPU-only
    machine) and no ``map_location`` moves it; a RuntimeError too, as PyTorch raises."""
