"""Sorting functions of the array API standard.

No backend primitive sorts: ``argsort`` runs on the host (numpy's stable sort) and returns the
indices to the backend; ``sort`` gathers with them on the backend, so its gradient flows
(``take_along_axis`` scatters it back).
"""

from __future__ import annotations

import numpy as np

import plugtorch.ops as _ops
from plugtorch import dtypes
from plugtorch.array_api._helpers import as_axis, check_array, host_result, to_host
from plugtorch.tensor import Tensor

__all__ = ["argsort", "sort"]


def _host_argsort(values: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    if not descending:
        return np.argsort(values, axis=axis, kind="stable")
    # stable descending: sort the reversed array, then map positions back and reverse
    flipped = np.flip(values, axis)
    order = np.argsort(flipped, axis=axis, kind="stable")
    return np.flip(values.shape[axis] - 1 - order, axis)


def argsort(
    x: Tensor, /, *, axis: int = -1, descending: bool = False, stable: bool = True
) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (stable; host)."""
    check_array(x, "argsort")
    if x.ndim == 0:
        return _ops.zeros((), dtype=dtypes.int64, backend=x._backend)
    axis = as_axis(axis, x.ndim)
    order = _host_argsort(to_host(x), axis, descending)
    return host_result("argsort", order.astype(np.int64), x, dtypes.int64)


def sort(x: Tensor, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
    """``x`` sorted along ``axis`` (differentiable: a gather by :func:`argsort`)."""
    check_array(x, "sort")
    if x.ndim == 0:
        return _ops.clone(x)
    axis = as_axis(axis, x.ndim)
    order = argsort(x.detach(), axis=axis, descending=descending, stable=stable)
    return _ops.gather(x, axis, order)
