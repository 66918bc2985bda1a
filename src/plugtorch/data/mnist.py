"""MNIST from IDX files in a folder you name (nothing is downloaded).

Get the four files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``) from a mirror of Yann LeCun's
page and put them in one folder, compressed or not; torchvision's ``root/MNIST/raw`` layout
is also found.

Example:
    >>> from plugtorch.data import DataLoader, MNIST
    >>> train = MNIST("~/data/mnist", train=True)        # doctest: +SKIP
    >>> images, labels = next(iter(DataLoader(train, batch_size=64)))  # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from plugtorch.data.idx import IDXFormatError, read_idx
from plugtorch.utils.data.dataset import TensorDataset

__all__ = ["MNIST", "load_mnist"]

_PREFIX = {True: "train", False: "t10k"}


def _find(root: str, stem: str, kind: str) -> str:
    names = [f"{stem}-{kind}", f"{stem}-{kind.replace('-', '.', 1)}"]  # LeCun and Kaggle names
    folders = [root, os.path.join(root, "MNIST", "raw")]
    candidates = [
        os.path.join(folder, name + suffix)
        for folder in folders
        for name in names
        for suffix in ("", ".gz")
    ]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f"MNIST file {names[0]}[.gz] not found in {root!r} (also looked in MNIST/raw and for "
        f"{names[1]}); download the four MNIST IDX files and pass their folder as root"
    )


def load_mnist(
    root: str | os.PathLike[str], train: bool = True
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """MNIST images as float32 ``(N, 1, 28, 28)`` in ``[0, 1]`` and int64 labels, from ``root``.

    Checks that the images file holds uint8 images, the labels file uint8 labels 0-9, and that
    they agree on the number of samples; raises :class:`~plugtorch.data.IDXFormatError`
    otherwise and :class:`FileNotFoundError` naming the missing file.

    Example:
        >>> x, y = load_mnist("~/data/mnist", train=False)  # doctest: +SKIP
        >>> x.shape, y[:3].tolist()                         # doctest: +SKIP
        ((10000, 1, 28, 28), [7, 2, 1])
    """
    folder = os.path.expanduser(os.fspath(root))
    stem = _PREFIX[bool(train)]
    images_path = _find(folder, stem, "images-idx3-ubyte")
    labels_path = _find(folder, stem, "labels-idx1-ubyte")
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise IDXFormatError(
            f"{images_path}: expected uint8 images of shape (N, rows, cols), got {images.dtype} "
            f"of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise IDXFormatError(
            f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} of shape "
            f"{labels.shape}"
        )
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError(
            f"{images_path} has {images.shape[0]} images but {labels_path} has "
            f"{labels.shape[0]} labels"
        )
    if labels.size and labels.max() > 9:
        raise IDXFormatError(f"{labels_path}: label {int(labels.max())} is not a digit 0-9")
    pixels = (images.astype(np.float32) / 255.0)[:, None, :, :]
    return pixels, labels.astype(np.int64)


class MNIST(TensorDataset):
    """The MNIST training (``train=True``, 60000) or test (10000) set as a TensorDataset.

    ``dataset[i]`` is ``(image, label)``: a float32 ``(1, 28, 28)`` tensor in ``[0, 1]`` and an
    int64 scalar tensor, on ``backend`` (default: the default backend). See :func:`load_mnist`.

    Example:
        >>> test = MNIST("~/data/mnist", train=False)  # doctest: +SKIP
        >>> len(test)                                  # doctest: +SKIP
        10000
    """

    def __init__(
        self, root: str | os.PathLike[str], train: bool = True, backend: Any = None
    ) -> None:
        images, labels = load_mnist(root, train)
        super().__init__(images, labels, backend=backend)
        self.root = os.fspath(root)
        self.train = bool(train)
