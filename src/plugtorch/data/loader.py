"""``DataLoader``: batches from a dataset, optionally shuffled, reproducibly.

Example:
    >>> import numpy as np
    >>> from plugtorch.data import DataLoader, TensorDataset
    >>> data = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> loader = DataLoader(data, batch_size=2, shuffle=True, seed=0)
    >>> len(loader), [tuple(y.shape) for _, y in loader]
    (3, [(2,), (2,), (1,)])
"""

from __future__ import annotations

import collections.abc
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from plugtorch import dtypes
from plugtorch.data._seeding import make_rng, resolve_seed
from plugtorch.data.dataset import Subset, TensorDataset
from plugtorch.ops.creation import as_tensor, tensor
from plugtorch.ops.shape import stack
from plugtorch.tensor import Tensor

__all__ = ["DataLoader", "default_collate"]


def default_collate(batch: Sequence[Any], backend: Any = None) -> Any:
    """Stack a list of samples into a batch, field by field.

    * Tensors are stacked with ``plugtorch.stack`` (they keep their backend);
    * numpy arrays and numpy scalars are stacked by numpy, then made a tensor on ``backend``;
    * Python ``bool`` / ``int`` / ``float`` become a 1-d tensor of ``bool`` / ``int64`` / the
      default float dtype;
    * tuples, lists and named tuples are collated per position, dicts per key, keeping the type;
    * strings are returned as a list.

    Example:
        >>> x, y = default_collate([(np.zeros(2), 1), (np.ones(2), 2)])
        >>> tuple(x.shape), y.tolist()
        ((2, 2), [1, 2])
    """
    if len(batch) == 0:
        raise ValueError("default_collate: cannot collate an empty batch")
    first = batch[0]
    if isinstance(first, Tensor):
        return stack(list(batch))
    if isinstance(first, (np.ndarray, np.generic)):
        return as_tensor(np.stack([np.asarray(item) for item in batch]), backend=backend)
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, bool):
        return tensor(list(batch), dtype=dtypes.bool_, backend=backend)
    if isinstance(first, numbers.Integral):
        return tensor(list(batch), dtype=dtypes.int64, backend=backend)
    if isinstance(first, numbers.Real):
        return tensor([float(item) for item in batch], backend=backend)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([item[key] for item in batch], backend) for key in first}
    if isinstance(first, collections.abc.Sequence):
        width = len(first)
        if any(len(item) != width for item in batch):
            raise ValueError("default_collate: samples in a batch have different lengths")
        fields = [default_collate([item[i] for item in batch], backend) for i in range(width)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # named tuple
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; "
        "return tensors, numpy arrays or numbers from the dataset, or pass collate_fn"
    )


def _tensor_source(dataset: Any) -> tuple[TensorDataset, npt.NDArray[np.int64] | None] | None:
    """The TensorDataset under ``dataset`` (through Subsets) and the index map, if any."""
    mapping: npt.NDArray[np.int64] | None = None
    while isinstance(dataset, Subset):
        mapping = dataset.indices if mapping is None else dataset.indices[mapping]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset):
        return dataset, mapping
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Shuffling is reproducible: epoch ``e`` uses the permutation of
    ``numpy.random.default_rng([seed, e])``, so two loaders with the same ``seed`` give the same
    batches epoch after epoch, and :meth:`set_epoch` restarts from any epoch. With
    ``seed=None`` the seed is drawn once, at construction, from plugtorch's global generator
    (so ``plugtorch.manual_seed`` makes it repeat). A ``generator`` (a numpy Generator) is used
    as is and advanced every epoch instead.

    A :class:`TensorDataset` (or a :class:`Subset` of one) without ``collate_fn`` takes a fast
    path: each batch is one gather per tensor rather than a stack of single samples.

    Example:
        >>> loader = DataLoader(list(range(7)), batch_size=3, drop_last=True)
        >>> len(loader), [b.tolist() for b in loader]
        (2, [[0, 1, 2], [3, 4, 5]])
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        generator: Any = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass either seed or generator, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.epoch = 0
        self.seed: int | None = None
        self._rng: np.random.Generator | None = None
        if self.shuffle:
            if generator is not None:
                self._rng = make_rng(None, generator)
            else:
                self.seed = resolve_seed(seed)

    def __len__(self) -> int:
        count = len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return math.ceil(count / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch ``epoch``'s shuffle (for resuming a run)."""
        self.epoch = int(epoch)

    def _order(self) -> npt.NDArray[np.int64] | None:
        count = len(self.dataset)
        if not self.shuffle:
            return None
        if self._rng is not None:
            return self._rng.permutation(count).astype(np.int64)
        rng = np.random.default_rng([self.seed or 0, self.epoch])
        return rng.permutation(count).astype(np.int64)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        self.epoch += 1
        count = len(self.dataset)
        stop = len(self) * self.batch_size if self.drop_last else count
        source = _tensor_source(self.dataset) if self.collate_fn is None else None
        for start in range(0, stop, self.batch_size):
            end = min(start + self.batch_size, count)
            if source is not None:
                yield self._gather(source, order, start, end)
                continue
            positions: Sequence[int] = (
                range(start, end) if order is None else order[start:end].tolist()
            )
            samples = [self.dataset[i] for i in positions]
            if self.collate_fn is not None:
                yield self.collate_fn(samples)
            else:
                yield default_collate(samples, getattr(self.dataset, "backend", None))

    @staticmethod
    def _gather(
        source: tuple[TensorDataset, npt.NDArray[np.int64] | None],
        order: npt.NDArray[np.int64] | None,
        start: int,
        end: int,
    ) -> tuple[Any, ...]:
        dataset, mapping = source
        if order is None and mapping is None:
            # In order over the whole dataset: a slice, no copy needed.
            return tuple(tensor[start:end] for tensor in dataset.tensors)
        indices = np.arange(start, end, dtype=np.int64) if order is None else order[start:end]
        if mapping is not None:
            indices = mapping[indices]
        index = tensor(indices, dtype=dtypes.int64, backend=dataset.backend.name)
        return tuple(tensor[index] for tensor in dataset.tensors)
