"""What ``plugtorch train digits --nproc N`` changes when the process is one of N ranks.

The global batch stays ``batch_size`` (each rank takes ``batch_size // N`` samples of it through
a :class:`~plugtorch.distributed.DistributedSampler`), so the hyperparameters mean the same as
on one process; the model is wrapped in DistributedDataParallel; epoch losses and accuracies
are averaged over the ranks; only rank 0 shows progress and writes files.
"""

from __future__ import annotations

from typing import Any

import plugtorch as pt
import plugtorch.distributed as dist
from plugtorch.data import DataLoader, Subset
from plugtorch.distributed import DistributedSampler
from plugtorch.nn.parallel import DistributedDataParallel

__all__ = ["DataParallel", "single_process"]


class DataParallel:
    """The default process group's view of one training run (a group of one when not
    distributed: every method is then the single-process behaviour)."""

    def __init__(self, active: bool) -> None:
        self.active = active
        if active:
            self.rank, self.size = dist.get_rank(), dist.get_world_size()
        else:
            self.rank, self.size = 0, 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def wrap(self, model: Any) -> Any:
        if not self.active:
            return model

        return DistributedDataParallel(model)

    def unwrap(self, model: Any) -> Any:
        return model.module if self.active else model

    def loader(self, dataset: Any, batch_size: int, seed: int, epoch: int) -> DataLoader:
        """This rank's batches of epoch ``epoch`` (from 1): a 1/size share of each global batch."""
        if not self.active:
            loader: DataLoader[Any] = DataLoader(dataset, batch_size, shuffle=True, seed=seed)
            loader.set_epoch(epoch - 1)
            return loader

        if batch_size % self.size:
            raise ValueError(
                f"batch size {batch_size} does not split over {self.size} processes; pick a "
                f"multiple of {self.size}"
            )
        sampler = DistributedSampler(dataset, self.size, self.rank, seed=seed, drop_last=True)
        sampler.set_epoch(epoch)
        return DataLoader(Subset(dataset, list(sampler)), batch_size // self.size)

    def mean(self, value: float) -> float:
        """``value`` averaged over the ranks (a float on every rank)."""
        if not self.active:
            return value

        total = pt.tensor([value], dtype=pt.float64)
        dist.all_reduce(total, op=dist.ReduceOp.AVG)
        return float(total.item())


def single_process() -> DataParallel:
    return DataParallel(False)
