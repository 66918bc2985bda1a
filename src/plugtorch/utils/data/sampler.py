"""Samplers, as ``torch.utils.data.sampler``: the order in which a DataLoader visits indices.

Random samplers take PyTorch's ``generator`` (a :class:`plugtorch.Generator`; a numpy
``Generator`` works too). Without one, each pass draws a fresh seed from the global generator,
so ``plugtorch.manual_seed`` makes the order repeat, as in PyTorch. The numbers differ from
PyTorch's (another random algorithm); the distributions and guarantees are the same.

Example:
    >>> import plugtorch
    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    >>> order = RandomSampler(range(5), generator=plugtorch.Generator().manual_seed(0))
    >>> sorted(order)
    [0, 1, 2, 3, 4]
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any, Generic, TypeVar

import numpy as np

from plugtorch.ops.creation import tensor
from plugtorch.random import numpy_generator
from plugtorch.tensor import Tensor
from plugtorch.utils.data._seeding import draw_seed

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]

T_co = TypeVar("T_co", covariant=True)


def _stream(generator: Any) -> np.random.Generator:
    """The numbers for one pass: ``generator``'s stream, or a fresh one seeded from the
    global generator (PyTorch's rule when no generator is given)."""
    if generator is not None:
        return numpy_generator(generator)
    return np.random.default_rng(draw_seed(None))


def _positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) > 0


class Sampler(Generic[T_co]):
    """Base class: a sampler is iterable (``__iter__``) and usually sized (``__len__``).

    ``data_source`` is accepted and ignored, as in PyTorch.
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, every time.

    >>> list(SequentialSampler("abc"))
    [0, 1, 2]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Random indices into ``data_source``: a fresh permutation each pass, or, with
    ``replacement=True``, ``num_samples`` independent uniform draws.

    Without replacement, ``num_samples`` larger than the dataset concatenates whole
    permutations (then a part of one), as in PyTorch. ``num_samples`` defaults to
    ``len(data_source)`` and must be positive.

    >>> import plugtorch
    >>> g = plugtorch.Generator().manual_seed(0)
    >>> len(list(RandomSampler(range(3), replacement=True, num_samples=7, generator=g)))
    7
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Any = None,
    ) -> None:
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError(
                f"replacement should be a boolean value, but got replacement={self.replacement}"
            )
        if not _positive_int(self.num_samples):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields."""
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = _stream(self.generator)
        if self.replacement:
            for start in range(0, self.num_samples, 32):
                count = min(32, self.num_samples - start)
                yield from rng.integers(0, n, size=count).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a fresh random order each pass, without replacement.

    >>> sorted(SubsetRandomSampler([7, 3, 5]))
    [3, 5, 7]
    """

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        for position in _stream(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` with probability
    ``weights[i] / sum(weights)`` (weights need not sum to 1), with or without replacement.

    Each pass raises ``RuntimeError`` as ``torch.multinomial`` does for negative or
    non-finite weights, an all-zero total, or more draws without replacement than there
    are non-zero weights.

    >>> import plugtorch
    >>> g = plugtorch.Generator().manual_seed(0)
    >>> set(WeightedRandomSampler([0.0, 1.0, 0.0], 5, generator=g))
    {1}
    """

    def __init__(
        self,
        weights: Sequence[float] | Tensor,
        num_samples: int,
        replacement: bool = True,
        generator: Any = None,
    ) -> None:
        if not _positive_int(num_samples):
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        host = weights.detach().numpy() if isinstance(weights, Tensor) else weights
        values = np.asarray(host, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(
                "weights should be a 1d sequence but given weights have shape "
                f"{tuple(values.shape)}"
            )
        self._values = values
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    @property
    def weights(self) -> Tensor:
        """The weights as a float64 tensor, as PyTorch keeps them."""
        return tensor(self._values, dtype="float64")

    def _probabilities(self) -> np.ndarray:
        values = self._values
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        total = values.sum()
        if values.size == 0 or total <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement:
            if self.num_samples > values.size:
                raise RuntimeError(
                    "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
                )
            if self.num_samples > np.count_nonzero(values):
                raise RuntimeError(
                    "invalid multinomial distribution (with replacement=False, not enough "
                    "non-negative category to sample)"
                )
        return values / total

    def __iter__(self) -> Iterator[int]:
        probabilities = self._probabilities()
        rng = _stream(self.generator)
        drawn = rng.choice(
            probabilities.size, size=self.num_samples, replace=self.replacement, p=probabilities
        )
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter,
    or dropped with ``drop_last``).

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    """

    def __init__(self, sampler: Sampler[int] | Iterable[int], batch_size: int, drop_last: bool):
        if not _positive_int(batch_size):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]
        if self.drop_last:
            return count // self.batch_size
        return (count + self.batch_size - 1) // self.batch_size
