"""Sorting functions of the array API standard, over :mod:`plugtorch.ops.sorting`.

``argsort`` is the core's stable sort (the backend's ``argsort`` primitive, or the host);
``sort`` gathers with its indices on the backend, so its gradient flows (``take_along_axis``
scatters it back). nan sorts as the largest value, as in PyTorch and numpy.
"""

from __future__ import annotations

import plugtorch.ops as _ops
from plugtorch.array_api._helpers import as_axis, check_array
from plugtorch.tensor import Tensor

__all__ = ["argsort", "sort"]


def argsort(
    x: Tensor, /, *, axis: int = -1, descending: bool = False, stable: bool = True
) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (always stable)."""
    check_array(x, "argsort")
    axis = as_axis(axis, x.ndim)
    return _ops.argsort(x, axis, descending, stable=stable)


def sort(x: Tensor, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
    """``x`` sorted along ``axis`` (differentiable: a gather by :func:`argsort`)."""
    check_array(x, "sort")
    axis = as_axis(axis, x.ndim)
    return _ops.sort(x, axis, descending, stable=stable).values
