"""``default_collate`` and ``default_convert``: how samples become batches, as in PyTorch.

Example:
    >>> import numpy as np
    >>> x, y = default_collate([(np.zeros(2), 1), (np.ones(2), 2)])
    >>> tuple(x.shape), y.tolist(), y.dtype
    ((2, 2), [1, 2], plugtorch.int64)
"""

from __future__ import annotations

import collections.abc
import numbers
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from plugtorch import dtypes
from plugtorch.ops.creation import as_tensor, tensor
from plugtorch.ops.shape import stack
from plugtorch.tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_string_array(value: np.ndarray | np.generic) -> bool:
    return value.dtype.char in "SaUO"


def default_collate(batch: Sequence[Any], backend: Any = None) -> Any:
    """Stack a list of samples into a batch, field by field (PyTorch's rules).

    * tensors are stacked (``plugtorch.stack``; they keep their backend);
    * numpy arrays and numpy scalars become tensors and are stacked;
    * Python ``float`` becomes a float64 tensor, ``int`` an int64 tensor, ``bool`` a bool one;
    * strings and bytes are returned as a list;
    * dicts are collated per key (keeping the mapping type), named tuples per field; other
      sequences per position, giving a list (a tuple of fields gives a list, as in PyTorch).

    ``backend`` (plugtorch's addition) is where numpy arrays and numbers become tensors
    (default: the current backend).

    Example:
        >>> batch = default_collate([{"w": 0.5, "name": "a"}, {"w": 1.5, "name": "b"}])
        >>> batch["w"].dtype, batch["name"]
        (plugtorch.float64, ['a', 'b'])
    """
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty batch")
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, (np.ndarray, np.generic)) and not isinstance(first, (np.str_, np.bytes_)):
        if _is_string_array(first):
            raise TypeError(_ERROR.format(first.dtype))
        return as_tensor(np.stack([np.asarray(item) for item in batch]), backend=backend)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, bool):
        return tensor(list(batch), dtype=dtypes.bool_, backend=backend)
    if isinstance(first, numbers.Integral):
        return tensor(list(batch), dtype=dtypes.int64, backend=backend)
    if isinstance(first, numbers.Real):
        return tensor([float(item) for item in batch], dtype=dtypes.float64, backend=backend)
    if isinstance(first, collections.abc.Mapping):
        collated = {key: default_collate([item[key] for item in batch], backend) for key in first}
        try:
            return cast(Any, type(first))(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # named tuple
        return type(first)(*(default_collate(list(field), backend) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        width = len(first)
        if any(len(item) != width for item in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field), backend) for field in zip(*batch)]
        if isinstance(first, tuple):
            return fields
        try:
            return cast(Any, type(first))(fields)
        except TypeError:
            return fields
    raise TypeError(_ERROR.format(type(first)))


def default_convert(data: Any, backend: Any = None) -> Any:
    """Make numpy arrays (inside dicts, named tuples and sequences too) tensors, leaving
    everything else as it is: the DataLoader's conversion when ``batch_size=None``.

    Example:
        >>> default_convert({"x": np.arange(2), "label": "cat"})["x"].tolist()
        [0, 1]
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if _is_string_array(data) else as_tensor(np.asarray(data), backend=backend)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(value, backend) for key, value in data.items()}
        try:
            return cast(Any, type(data))(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item, backend) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item, backend) for item in data]
    if isinstance(data, collections.abc.Sequence):
        items = [default_convert(item, backend) for item in data]
        try:
            return cast(Any, type(data))(items)
        except TypeError:
            return items
    return data
