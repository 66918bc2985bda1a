"""``plugtorch.data``: plugtorch's datasets (digits, MNIST, the MiniTorch toy sets, IDX files)
next to everything in :mod:`plugtorch.utils.data` (the same objects, re-exported here).

Example:
    >>> import plugtorch
    >>> from plugtorch.data import DataLoader, TensorDataset, load_digits
    >>> images, labels = load_digits(split="train")             # doctest: +SKIP
    >>> loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True, seed=0)
    ... # doctest: +SKIP
"""

from plugtorch.data.digits import load_digits, stratified_split, train_test_split
from plugtorch.data.idx import IDXFormatError, read_idx, write_idx
from plugtorch.data.mnist import MNIST, load_mnist
from plugtorch.data.toy import TOY_DATASETS, make_toy
from plugtorch.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

__all__ = [
    "MNIST",
    "TOY_DATASETS",
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IDXFormatError",
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
    "load_digits",
    "load_mnist",
    "make_toy",
    "random_split",
    "read_idx",
    "stratified_split",
    "train_test_split",
    "write_idx",
]
