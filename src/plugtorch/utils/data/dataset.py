"""Datasets, as ``torch.utils.data.dataset``: ``Dataset``, ``IterableDataset``,
``TensorDataset``, ``ConcatDataset``, ``ChainDataset``, ``Subset`` and ``random_split``.

Example:
    >>> import numpy as np, plugtorch
    >>> from plugtorch.utils.data import TensorDataset, random_split
    >>> data = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
    >>> train, test = random_split(data, [0.8, 0.2], generator=plugtorch.Generator().manual_seed(0))
    >>> len(train), len(test)
    (8, 2)
"""

from __future__ import annotations

import bisect
import math
import numbers
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from plugtorch.ops.creation import as_tensor
from plugtorch.tensor import Tensor
from plugtorch.utils.data._seeding import make_rng
from plugtorch.utils.data._transport import from_transport, to_transport

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` is the i-th sample, ``len(dataset)`` the count.

    Subclasses implement ``__getitem__`` (and ``__len__`` for samplers and ``len(loader)``;
    as in PyTorch there is no default ``__len__``, so ``len()`` of a dataset without one is a
    ``TypeError``); ``a + b`` concatenates two datasets. A subclass may add
    ``__getitems__(indices)``, which the DataLoader then calls once per batch instead of
    ``__getitem__`` per sample.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return i * i
        >>> [Squares()[i] for i in range(len(Squares()))]
        [0, 1, 4, 9]
        >>> len(Squares() + Squares())
        8
    """

    def __getitem__(self, index: Any) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[Any]) -> ConcatDataset[Any]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset that is a stream: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset, so a
    dataset that does not split its stream by :func:`~plugtorch.utils.data.get_worker_info`
    yields every sample once per worker, as in PyTorch.

    Example:
        >>> from plugtorch.utils.data import get_worker_info
        >>> class Range(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self):
        ...         info = get_worker_info()       # None in the main process
        ...         start, step = (0, 1) if info is None else (info.id, info.num_workers)
        ...         return iter(range(start, self.n, step))
        >>> list(Range(5))
        [0, 1, 2, 3, 4]
    """

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index: Any) -> T_co:
        raise TypeError(
            f"{type(self).__name__} is an IterableDataset: iterate over it instead of indexing"
        )

    def __add__(self, other: Dataset[Any]) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


def _backend_name(backend: Any) -> str:
    return backend if isinstance(backend, str) else str(backend.name)


def _as_tensor(value: Any, backend: Any, position: int, explicit: bool) -> Any:
    if not isinstance(value, Tensor):
        return as_tensor(np.asarray(value), backend=backend)
    if backend is None or value.backend.name == _backend_name(backend):
        return value
    if not explicit:
        # As everywhere in plugtorch: never a silent copy between backends.
        raise ValueError(
            f"TensorDataset: tensor {position} is on backend {value.backend.name!r} but "
            f"tensor 0 is on {_backend_name(backend)!r}; move one with "
            f"t.to({_backend_name(backend)!r}) or pass backend=..."
        )
    return value.to(_backend_name(backend))


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Samples are the rows of tensors that share their first dimension.

    Accepts plugtorch Tensors or anything numpy can turn into an array (converted with
    ``plugtorch.as_tensor`` onto ``backend``, default: the first tensor's backend, else the
    default backend). Tensors on another backend are moved only if ``backend`` is given;
    otherwise mixing backends is an error, as everywhere in plugtorch. ``dataset[i]`` is the
    tuple ``(t[i] for t in tensors)``; the DataLoader gathers whole batches at once from a
    TensorDataset (one indexing per tensor per batch).

    Example:
        >>> ds = TensorDataset(np.ones((3, 2), np.float32), np.array([0, 1, 2]))
        >>> len(ds), ds[1][1].item()
        (3, 1)
    """

    def __init__(self, *tensors: Any, backend: Any = None) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        explicit = backend is not None
        if backend is None:
            backend = next((t.backend.name for t in tensors if isinstance(t, Tensor)), None)
        converted = tuple(
            _as_tensor(t, backend, position, explicit) for position, t in enumerate(tensors)
        )
        for position, tensor in enumerate(converted):
            if len(tensor.shape) == 0:
                raise ValueError(
                    f"TensorDataset: tensor {position} is 0-d; every tensor needs a first "
                    "dimension that indexes samples"
                )
        sizes = [int(t.shape[0]) for t in converted]
        if len(set(sizes)) != 1:
            described = ", ".join(f"tensor {i}: {tuple(t.shape)}" for i, t in enumerate(converted))
            raise ValueError(
                f"TensorDataset: all tensors must have the same size in the first dimension "
                f"(the number of samples), got {described}"
            )
        self.tensors: tuple[Any, ...] = converted

    @property
    def backend(self) -> Any:
        """The backend the tensors live on."""
        return self.tensors[0].backend

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def __getstate__(self) -> dict[str, Any]:
        # Tensors do not pickle; a worker started with "spawn" gets host arrays and rebuilds.
        return {**self.__dict__, "tensors": to_transport(self.tensors)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({**state, "tensors": from_transport(state["tensors"])})


class ConcatDataset(Dataset[T_co]):
    """The samples of several map-style datasets, one after the other.

    ``cumulative_sizes[i]`` is the number of samples in the first ``i + 1`` datasets.

    Example:
        >>> both = ConcatDataset([[1, 2], [3, 4, 5]])
        >>> len(both), both[2], both[-1], both.cumulative_sizes
        (5, 3, 5, [2, 5])
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use ChainDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence: Sequence[Any]) -> list[int]:
        """Running totals of ``len`` over ``sequence``."""
        totals, total = [], 0
        for item in sequence:
            total += len(item)
            totals.append(total)
        return totals

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which >= len(self.datasets):
            raise IndexError(f"index {index} is out of range for {len(self)} samples")
        inner = index if which == 0 else index - self.cumulative_sizes[which - 1]
        return self.datasets[which][inner]  # type: ignore[no-any-return]


class ChainDataset(IterableDataset[Any]):
    """Several iterable datasets, streamed one after the other.

    Example:
        >>> class Count(IterableDataset):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n))
        ...     def __len__(self): return self.n
        >>> chained = ChainDataset([Count(2), Count(3)])
        >>> list(chained), len(chained)
        ([0, 1, 0, 1, 2], 5)
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        total = 0
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            total += len(dataset)  # type: ignore[arg-type]
        return total


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    ``indices`` is kept as given (``subset.indices``); they are checked against
    ``len(dataset)`` once, here, where the dataset has a length. ``subset[[i, j]]`` asks the
    dataset for a list of its indices, as PyTorch does.

    Example:
        >>> evens = Subset(list(range(10)), [0, 2, 4])
        >>> [evens[i] for i in range(len(evens))], evens.indices
        ([0, 2, 4], [0, 2, 4])
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | npt.NDArray[np.integer]) -> None:
        self.dataset = dataset
        self.indices = indices
        positions = np.asarray(indices, dtype=np.int64).reshape(-1)
        size = len(dataset) if hasattr(dataset, "__len__") else None
        if (
            size is not None
            and positions.size
            and (positions.min() < -size or positions.max() >= size)
        ):
            raise IndexError(f"Subset: indices out of range for a dataset of {size} samples")
        if size is not None:
            positions = np.where(positions < 0, positions + size, positions)
        self._positions: npt.NDArray[np.int64] = positions

    @property
    def backend(self) -> Any:
        """The underlying dataset's backend, if it has one."""
        return getattr(self.dataset, "backend", None)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[int(self._positions[i]) for i in index]]
        return self.dataset[int(self._positions[index])]

    def __getitems__(self, indices: Sequence[int]) -> list[Any]:
        positions = [int(self._positions[i]) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return list(getitems(positions))
        return [self.dataset[position] for position in positions]

    def __len__(self) -> int:
        return int(self._positions.size)


def _split_lengths(total: int, lengths: Sequence[int | float]) -> list[int]:
    if not lengths:
        raise ValueError("random_split needs at least one length")
    values = [float(n) for n in lengths]
    if math.isclose(sum(values), 1) and sum(values) <= 1:  # fractions, as PyTorch reads them
        for position, fraction in enumerate(values):
            if not 0 <= fraction <= 1:
                raise ValueError(f"Fraction at index {position} is not between 0 and 1")
        counts = [math.floor(total * fraction) for fraction in values]
        for position in range(total - sum(counts)):  # the remainder, round-robin
            counts[position % len(counts)] += 1
        for position, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"Length of split at index {position} is 0. "
                    "This might result in an empty dataset.",
                    UserWarning,
                    stacklevel=3,
                )
        return counts
    for length in lengths:
        if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative ints or fractions summing to 1, "
                f"got {list(lengths)}"
            )
    counts = [int(n) for n in lengths]
    if sum(counts) != total:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! "
            f"({counts} sum to {sum(counts)}, the dataset has {total} samples)"
        )
    return counts


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: Any = None,
    *,
    seed: int | None = None,
) -> list[Subset[Any]]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1 (the floor of
    each share; the samples left over go round-robin to the first subsets). The permutation
    comes from ``generator`` (a :class:`plugtorch.Generator`; default: the global one), or
    from ``seed`` (plugtorch's shorthand for ``Generator().manual_seed(seed)``-like seeding).

    Example:
        >>> import plugtorch
        >>> a, b = random_split(range(5), [3, 2], generator=plugtorch.Generator().manual_seed(1))
        >>> sorted(list(a) + list(b))
        [0, 1, 2, 3, 4]
    """
    total = len(dataset)
    counts = _split_lengths(total, lengths)
    order = make_rng(seed, generator).permutation(total).tolist()
    subsets: list[Subset[Any]] = []
    offset = 0
    for count in counts:
        subsets.append(Subset(dataset, order[offset : offset + count]))
        offset += count
    return subsets
