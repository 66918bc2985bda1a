"""``DistributedSampler``: each rank's share of a dataset's indices for one epoch.

PyTorch's semantics: with ``n`` samples and ``R`` replicas every rank gets
``num_samples = ceil(n / R)`` indices (``ceil((n - R) / R)`` with ``drop_last=True`` when
``R`` does not divide ``n``); ``total_size = num_samples * R``. The epoch's order is a
permutation seeded by ``seed + epoch`` (the same on every rank, so call :meth:`set_epoch` at
the start of each epoch) or ``range(n)`` without shuffling; it is padded by repeating its
start (or cut, with ``drop_last``) to ``total_size``, and rank ``r`` takes positions
``r, r + R, r + 2R, ...``. Together the ranks see every sample once per epoch (plus the padding
repeats). The permutation is numpy's PCG64, not PyTorch's generator: the same seed gives a
different (equally valid) order than in PyTorch.

>>> sampler = DistributedSampler(range(10), num_replicas=3, rank=0, shuffle=False)
>>> list(sampler), len(sampler)
([0, 3, 6, 9], 4)
>>> list(DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False))  # 1 is padding
[2, 5, 8, 1]
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from plugtorch.distributed._init import default_group

__all__ = ["DistributedSampler"]


class DistributedSampler:
    """Restrict data loading to this rank's subset of ``dataset`` (``len(dataset)`` is used).

    ``num_replicas`` and ``rank`` default to the default process group's world size and rank.
    Use it with ``DataLoader(dataset, sampler=sampler)`` where the loader takes a sampler, or
    ``Subset(dataset, list(sampler))``.
    """

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            group = default_group()
            num_replicas = group.size if num_replicas is None else num_replicas
            rank = group.rank if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas must be a positive int, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = bool(drop_last)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        count = len(dataset)
        if self.drop_last and count % num_replicas != 0:
            self.num_samples = math.ceil((count - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(count / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        count = len(self.dataset)
        if self.shuffle:
            generator = np.random.Generator(np.random.PCG64(self.seed + self.epoch))
            indices = generator.permutation(count).tolist()
        else:
            indices = list(range(count))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding > 0 and not indices:
                raise ValueError("DistributedSampler: the dataset is empty, nothing to pad with")
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use epoch ``epoch``'s permutation next (call it before each epoch's loader)."""
        self.epoch = int(epoch)
