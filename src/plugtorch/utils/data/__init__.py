"""``plugtorch.utils.data``: datasets, samplers and the DataLoader, as ``torch.utils.data``.

The submodules keep PyTorch's paths: ``dataset``, ``sampler``, ``dataloader`` and
``distributed``. :mod:`plugtorch.data` re-exports everything here next to plugtorch's own
datasets (digits, MNIST, the toy sets).

Example:
    >>> import numpy as np, plugtorch
    >>> from plugtorch.utils.data import DataLoader, TensorDataset
    >>> data = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    >>> [y.tolist() for _, y in DataLoader(data, batch_size=4)]
    [[0, 1, 2, 3], [4, 5]]
"""

from typing import Any

from plugtorch._lazy import LazyNames
from plugtorch.utils.data._collate import default_collate, default_convert
from plugtorch.utils.data._worker import WorkerInfo, get_worker_info
from plugtorch.utils.data.dataloader import DataLoader
from plugtorch.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from plugtorch.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]


# DistributedSampler is imported on first use (PEP 562): it brings in plugtorch.distributed.
_LAZY = LazyNames(__name__, {"DistributedSampler": "plugtorch.utils.data.distributed"})


def __getattr__(name: str) -> Any:
    return _LAZY.load(name)


def __dir__() -> list[str]:
    return _LAZY.dir()
