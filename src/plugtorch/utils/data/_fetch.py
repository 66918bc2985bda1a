"""Turning indices into batches: the same code in the main process and in every worker.

A map-style fetcher gets a list of indices (or one index without auto-batching) and returns
``collate_fn`` of the samples; for a plain :class:`TensorDataset` (or a :class:`Subset` of
one) with the default collation it gathers each tensor's rows at once instead. An iterable
fetcher pulls ``batch_size`` samples from its dataset's stream and raises ``StopIteration``
at the end (after a last, shorter batch unless ``drop_last``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from plugtorch import dtypes
from plugtorch.ops.creation import tensor
from plugtorch.utils.data._collate import default_collate, default_convert
from plugtorch.utils.data.dataset import Subset, TensorDataset

__all__ = ["make_fetcher"]

_DEFAULTS = (default_collate, default_convert)


def _with_backend(collate_fn: Callable[..., Any], dataset: Any) -> Callable[[Any], Any]:
    """The default collation makes new tensors on the dataset's backend, if it has one."""
    backend = getattr(dataset, "backend", None)
    if collate_fn in _DEFAULTS and backend is not None:
        return lambda data: collate_fn(data, backend)
    return collate_fn


def _tensor_source(dataset: Any) -> tuple[TensorDataset, npt.NDArray[np.int64] | None] | None:
    """The plain TensorDataset under ``dataset`` (through plain Subsets) and the index map;
    None when a class on the way changes how samples are made."""
    mapping: npt.NDArray[np.int64] | None = None
    while type(dataset) is Subset:
        positions = dataset._positions
        mapping = positions if mapping is None else positions[mapping]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset) and (
        type(dataset).__getitem__ is TensorDataset.__getitem__
        and getattr(type(dataset), "__getitems__", None) is None
    ):
        return dataset, mapping
    return None


class _MapFetcher:
    def __init__(
        self, dataset: Any, auto_collation: bool, collate_fn: Callable[[Any], Any]
    ) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate = _with_backend(collate_fn, dataset)
        fast = auto_collation and collate_fn is default_collate
        self.source = _tensor_source(dataset) if fast else None

    def fetch(self, index: Any) -> Any:
        if not self.auto_collation:
            return self.collate(self.dataset[index])
        if self.source is not None:
            return self._gather(index)
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            samples = getitems(index)
        else:
            samples = [self.dataset[i] for i in index]
        return self.collate(samples)

    def _gather(self, indices: Sequence[int]) -> list[Any]:
        dataset, mapping = self.source  # type: ignore[misc]
        positions = np.asarray(indices, dtype=np.int64)
        if mapping is not None:
            positions = mapping[positions]
        size = len(dataset)
        if positions.size and (positions.min() < -size or positions.max() >= size):
            raise IndexError(f"index out of range for a TensorDataset of {size} samples")
        positions = np.where(positions < 0, positions + size, positions)
        # a gather copies, as PyTorch's stack does: changing a batch never changes the data
        index = tensor(positions, dtype=dtypes.int64, backend=dataset.backend.name)
        return [t[index] for t in dataset.tensors]


class _IterableFetcher:
    def __init__(
        self,
        dataset: Any,
        auto_collation: bool,
        collate_fn: Callable[[Any], Any],
        drop_last: bool,
        batch_size: int | None,
    ) -> None:
        self.iterator: Iterator[Any] = iter(dataset)
        self.auto_collation = auto_collation
        self.collate = _with_backend(collate_fn, dataset)
        self.drop_last = drop_last
        self.batch_size = batch_size or 1
        self.ended = False

    def fetch(self, index: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate(next(self.iterator))
        samples = []
        for _ in range(self.batch_size):
            try:
                samples.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            raise StopIteration
        return self.collate(samples)


def make_fetcher(
    iterable: bool,
    dataset: Any,
    auto_collation: bool,
    collate_fn: Callable[[Any], Any],
    drop_last: bool,
    batch_size: int | None,
) -> _MapFetcher | _IterableFetcher:
    """The fetcher for a dataset of either kind."""
    if iterable:
        return _IterableFetcher(dataset, auto_collation, collate_fn, drop_last, batch_size)
    return _MapFetcher(dataset, auto_collation, collate_fn)
