"""scikit-learn's 8x8 handwritten digits, and a seeded stratified train/test split.

Example:
    >>> images, labels = load_digits()                       # doctest: +SKIP
    >>> images.shape, images.dtype, labels.dtype             # doctest: +SKIP
    ((1797, 1, 8, 8), dtype('float32'), dtype('int64'))
    >>> train_x, train_y = load_digits(split="train", seed=0)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["load_digits", "stratified_split", "train_test_split"]

_INSTALL_HINT = (
    "load_digits needs scikit-learn, which is not installed; "
    "run `pip install scikit-learn` or `pip install plugtorch[digits]`"
)


def stratified_split(
    labels: npt.ArrayLike, test_size: float = 0.2, seed: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices ``(train, test)`` holding out ``test_size`` of every class, reproducibly.

    The test set has ``round(test_size * n)`` samples; each class contributes its proportional
    share (floors first, the leftover samples go to the classes with the largest remainders,
    ties to the smaller label). Samples within a class are chosen by
    ``numpy.random.default_rng(seed)``. Both index arrays are sorted.

    Example:
        >>> train, test = stratified_split([0, 0, 0, 0, 1, 1, 1, 1], test_size=0.5, seed=0)
        >>> len(train), len(test)
        (4, 4)
    """
    label_array = np.asarray(labels).reshape(-1)
    total = label_array.size
    if not 0.0 <= float(test_size) <= 1.0:
        raise ValueError(f"test_size must lie in [0, 1], got {test_size}")
    classes, counts = np.unique(label_array, return_counts=True)
    wanted = round(float(test_size) * total)
    exact = counts * (wanted / total) if total else counts * 0.0
    per_class = np.floor(exact).astype(np.int64)
    leftover = wanted - int(per_class.sum())
    if leftover > 0:
        # stable sort on -remainder keeps the smaller class label first among ties
        ranking = np.argsort(-(exact - per_class), kind="stable")
        per_class[ranking[:leftover]] += 1
    rng = np.random.default_rng(seed)
    test_parts = []
    for cls, take in zip(classes, per_class):
        members = np.flatnonzero(label_array == cls)
        test_parts.append(rng.permutation(members)[:take])
    test = np.sort(np.concatenate(test_parts)) if test_parts else np.zeros(0, np.int64)
    is_test = np.zeros(total, bool)
    is_test[test] = True
    return np.flatnonzero(~is_test).astype(np.int64), test.astype(np.int64)


def train_test_split(
    *arrays: npt.ArrayLike,
    test_size: float = 0.2,
    seed: int = 0,
    stratify: npt.ArrayLike | None = None,
) -> list[npt.NDArray[Any]]:
    """Split arrays along their first axis into ``[a_train, a_test, b_train, b_test, ...]``.

    With ``stratify`` (labels), every class keeps its proportion (see :func:`stratified_split`);
    without, the held-out samples are a seeded random choice.

    Example:
        >>> x_train, x_test, y_train, y_test = train_test_split(
        ...     np.arange(10), np.arange(10) % 2, test_size=0.4, stratify=np.arange(10) % 2)
        >>> len(x_test), int((y_test == 1).sum())
        (4, 2)
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    values = [np.asarray(a) for a in arrays]
    sizes = {len(v) for v in values}
    if len(sizes) != 1:
        raise ValueError(f"train_test_split: arrays have different lengths {sorted(sizes)}")
    count = sizes.pop()
    groups = np.zeros(count, np.int64) if stratify is None else np.asarray(stratify)
    if len(groups) != count:
        raise ValueError(f"stratify has {len(groups)} labels for {count} samples")
    train, test = stratified_split(groups, test_size, seed)
    result: list[npt.NDArray[Any]] = []
    for value in values:
        result.extend((value[train], value[test]))
    return result


def load_digits(
    split: Literal["all", "train", "test"] = "all",
    test_size: float = 0.2,
    seed: int = 0,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """The 1797 8x8 digit images from scikit-learn: float32 ``(N, 1, 8, 8)`` in ``[0, 1]``,
    int64 labels 0-9, as numpy arrays (wrap them in a ``TensorDataset`` to put them on a
    backend).

    ``split="train"`` / ``"test"`` returns one side of :func:`stratified_split` with
    ``test_size`` and ``seed``, the same samples on every call and machine.

    Raises ImportError naming ``pip install scikit-learn`` if scikit-learn is missing.

    Example:
        >>> x, y = load_digits(split="test", test_size=0.2, seed=0)  # doctest: +SKIP
        >>> x.shape[0], float(x.max()) <= 1.0                        # doctest: +SKIP
        (359, True)
    """
    if split not in ("all", "train", "test"):
        raise ValueError(f"split must be 'all', 'train' or 'test', got {split!r}")
    try:
        from sklearn import datasets as sklearn_datasets
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    bunch = sklearn_datasets.load_digits()
    # Pixel values are integers 0..16.
    images = (np.asarray(bunch.images, np.float32) / 16.0).reshape(-1, 1, 8, 8)
    labels = np.asarray(bunch.target, np.int64)
    if split == "all":
        return images, labels
    train, test = stratified_split(labels, test_size, seed)
    chosen = train if split == "train" else test
    return images[chosen], labels[chosen]
