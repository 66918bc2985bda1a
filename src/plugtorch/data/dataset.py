"""Datasets: the ``Dataset`` protocol, ``TensorDataset``, ``Subset`` and ``random_split``.

Example:
    >>> import numpy as np, plugtorch
    >>> from plugtorch.data import TensorDataset, random_split
    >>> data = TensorDataset(np.zeros((10, 3), np.float32), np.arange(10))
    >>> train, test = random_split(data, [0.8, 0.2], seed=0)
    >>> len(train), len(test)
    (8, 2)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from plugtorch.data._seeding import make_rng
from plugtorch.ops.creation import as_tensor
from plugtorch.tensor import Tensor

__all__ = ["Dataset", "Subset", "TensorDataset", "random_split"]

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` is the i-th sample, ``len(dataset)`` the count.

    Subclasses implement ``__getitem__`` and ``__len__``.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return i * i
        >>> [Squares()[i] for i in range(len(Squares()))]
        [0, 1, 4, 9]
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


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


def _backend_name(backend: Any) -> str:
    return backend if isinstance(backend, str) else str(backend.name)


class TensorDataset(Dataset[tuple[Any, ...]]):
    """Samples are the rows of tensors that share their first dimension.

    Accepts plugtorch Tensors or anything numpy can turn into an array (converted with
    ``plugtorch.as_tensor`` onto ``backend``, default: the first tensor's backend, else the
    default backend). Tensors on another backend are moved only if ``backend`` is given;
    otherwise mixing backends is an error, as everywhere in plugtorch. ``dataset[i]`` is the
    tuple ``(t[i] for t in tensors)``; the :class:`~plugtorch.data.DataLoader` gathers whole
    batches at once from a TensorDataset.

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

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order.

    Example:
        >>> evens = Subset(list(range(10)), [0, 2, 4])
        >>> [evens[i] for i in range(len(evens))]
        [0, 2, 4]
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | npt.NDArray[np.integer]) -> None:
        self.dataset = dataset
        index_array = np.asarray(indices, dtype=np.int64).reshape(-1)
        size = len(dataset)
        if index_array.size and (index_array.min() < -size or index_array.max() >= size):
            raise IndexError(f"Subset: indices out of range for a dataset of {size} samples")
        self.indices: npt.NDArray[np.int64] = np.where(
            index_array < 0, index_array + size, index_array
        )

    @property
    def backend(self) -> Any:
        """The underlying dataset's backend, if it has one."""
        return getattr(self.dataset, "backend", None)

    def __getitem__(self, index: int) -> T_co:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return int(self.indices.size)


def _split_lengths(total: int, lengths: Sequence[int | float]) -> list[int]:
    if not lengths:
        raise ValueError("random_split needs at least one length")
    if all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in lengths):
        counts = [int(n) for n in lengths]
        if any(n < 0 for n in counts) or sum(counts) != total:
            raise ValueError(
                f"random_split: lengths {counts} must be non-negative and sum to the dataset "
                f"size {total}"
            )
        return counts
    fractions = [float(f) for f in lengths]
    if any(f < 0 or f > 1 for f in fractions) or not math.isclose(
        sum(fractions), 1.0, abs_tol=1e-6
    ):
        raise ValueError(f"random_split: fractions {fractions} must lie in [0, 1] and sum to 1")
    counts = [math.floor(total * f) for f in fractions]
    # Hand the remainder out round-robin, as PyTorch does.
    for position in range(total - sum(counts)):
        counts[position % len(counts)] += 1
    return counts


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    seed: int | None = None,
    generator: Any = None,
) -> list[Subset[Any]]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1 (the remainder
    of the rounding goes round-robin to the first subsets). The permutation comes from
    ``numpy.random.default_rng(seed)``, or ``generator``, or, with neither, a seed drawn from
    plugtorch's global generator.

    Example:
        >>> a, b = random_split(list(range(5)), [3, 2], seed=0)
        >>> sorted([a[i] for i in range(3)] + [b[i] for i in range(2)])
        [0, 1, 2, 3, 4]
    """
    total = len(dataset)
    counts = _split_lengths(total, lengths)
    order = make_rng(seed, generator).permutation(total)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[start:stop]) for start, stop in itertools.pairwise(bounds)]
