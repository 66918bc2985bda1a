"""Softmax and log-softmax for the numpy reference backend (``OPTIONAL_PRIMITIVES`` in
:mod:`plugtorch.backend.protocol`): stable, the row maximum subtracted first."""

from __future__ import annotations

import numpy as np

__all__ = ["softmax", "log_softmax"]


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    # The max is subtracted even when it is +-inf or nan, as PyTorch: such rows become nan.
    with np.errstate(invalid="ignore"):
        return x - np.max(x, axis=axis, keepdims=True)


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``exp(x - max) / sum(exp(x - max))`` along ``axis``."""
    e = np.exp(_shifted(x, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``(x - max) - log(sum(exp(x - max)))`` along ``axis``."""
    z = _shifted(x, axis)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
