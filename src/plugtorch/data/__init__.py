"""Datasets and loaders: ``plugtorch.data`` is to plugtorch what ``torch.utils.data`` is to torch.

Example:
    >>> import plugtorch
    >>> from plugtorch.data import DataLoader, TensorDataset, load_digits
    >>> images, labels = load_digits(split="train")             # doctest: +SKIP
    >>> loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True, seed=0)
    ... # doctest: +SKIP
"""

from plugtorch.data.dataset import Dataset, Subset, TensorDataset, random_split
from plugtorch.data.digits import load_digits, stratified_split, train_test_split
from plugtorch.data.idx import IDXFormatError, read_idx, write_idx
from plugtorch.data.loader import DataLoader, default_collate
from plugtorch.data.mnist import MNIST, load_mnist
from plugtorch.data.toy import TOY_DATASETS, make_toy

__all__ = [
    "MNIST",
    "TOY_DATASETS",
    "DataLoader",
    "Dataset",
    "IDXFormatError",
    "Subset",
    "TensorDataset",
    "default_collate",
    "load_digits",
    "load_mnist",
    "make_toy",
    "random_split",
    "read_idx",
    "stratified_split",
    "train_test_split",
    "write_idx",
]
