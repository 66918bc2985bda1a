"""Moving batches between processes: tensors travel as host arrays with their backend's name.

A plugtorch Tensor holds a backend's array and does not pickle. A DataLoader worker hands its
batch to :func:`to_transport`, which replaces every tensor inside lists, tuples, named tuples
and dicts by a :class:`TensorPayload` (a numpy array, the dtype, the backend name,
``requires_grad``); the main process calls :func:`from_transport` to rebuild each tensor on
the same backend. Other values pass through unchanged.

>>> import plugtorch as pt
>>> sent = to_transport({"x": pt.ones(2), "n": 3})
>>> type(sent["x"]).__name__, from_transport(sent)["x"].tolist()
('TensorPayload', [1.0, 1.0])
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch.ops.creation import as_tensor
from plugtorch.tensor import Tensor

__all__ = ["TensorPayload", "from_transport", "to_transport"]


@dataclass(frozen=True)
class TensorPayload:
    """A tensor on its way between processes."""

    array: np.ndarray
    dtype: str
    backend: str
    requires_grad: bool


def to_transport(value: Any) -> Any:
    """``value`` with every tensor (in lists, tuples, named tuples, dicts) made a payload."""
    if isinstance(value, Tensor):
        host = np.asarray(value.detach().numpy())
        return TensorPayload(host, value.dtype.name, value.backend.name, value.requires_grad)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(to_transport(item) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(to_transport(item) for item in value)
    if isinstance(value, dict):
        return _map_values(value, to_transport)
    if isinstance(value, Mapping):
        return {key: to_transport(item) for key, item in value.items()}
    return value


def from_transport(value: Any) -> Any:
    """The inverse of :func:`to_transport`: payloads become tensors on their backend again."""
    if isinstance(value, TensorPayload):
        tensor = as_tensor(value.array, dtype=dtypes.as_dtype(value.dtype), backend=value.backend)
        return tensor.requires_grad_(True) if value.requires_grad else tensor
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(from_transport(item) for item in value))
    if isinstance(value, (list, tuple)):
        return type(value)(from_transport(item) for item in value)
    if isinstance(value, dict):
        return _map_values(value, from_transport)
    return value


def _map_values(value: dict[Any, Any], convert: Callable[[Any], Any]) -> dict[Any, Any]:
    """A copy of the dict (same type: OrderedDict, defaultdict, ...) with converted values."""
    result = copy.copy(value)
    for key, item in value.items():
        result[key] = convert(item)
    return result
