"""Sampling indices from categorical distributions: ``multinomial``.

Random numbers come from the seeded host generator (``plugtorch.random``), as for every
random function: one seed gives the same samples on every backend. The core reads the
probabilities once, checks them as PyTorch does, samples with numpy and returns int64 indices
on the input's backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch import dtypes
from plugtorch import random as _random
from plugtorch.backend.array_api import stable_argsort
from plugtorch.ops.sorting import check_flag, check_int, check_tensor
from plugtorch.tensor import Tensor

__all__ = ["multinomial"]

_MAX_CATEGORIES = 2**24  # PyTorch's bound: float32 represents every integer up to it


def _check_distribution(
    probabilities: np.ndarray, num_samples: int, replacement: bool
) -> np.ndarray:
    """Each row's total (rows (m, n)), after PyTorch's checks of the values."""
    if not np.all(np.isfinite(probabilities)) or np.any(probabilities < 0):
        raise ValueError(
            "multinomial(): probability tensor contains either `inf`, `nan` or element < 0"
        )
    totals = probabilities.sum(axis=-1)
    if np.any(totals <= 0):
        raise ValueError(
            "multinomial(): invalid multinomial distribution (sum of probabilities <= 0)"
        )
    if not replacement and np.any(np.count_nonzero(probabilities, axis=-1) < num_samples):
        raise ValueError(
            "multinomial(): invalid multinomial distribution (with replacement=False, not "
            f"enough non-negative category to sample): {num_samples} samples need as many "
            "nonzero probabilities in every row"
        )
    return totals


def _draw(
    rng: np.random.Generator, probabilities: np.ndarray, totals: np.ndarray, count: int,
    replacement: bool,
) -> np.ndarray:  # fmt: skip
    rows = probabilities.shape[0]
    if not replacement:
        # Weighted sampling without replacement in draw order: the k largest p_i / E_i with
        # E_i ~ Exp(1) (the order in which independent exponential clocks with rates p_i
        # ring); zero probabilities get key 0 and come last.
        keys = probabilities / rng.exponential(size=probabilities.shape)
        return stable_argsort(keys, 1, True)[:, :count]
    # With replacement: invert each row's cumulative distribution at uniform draws.
    cdf = np.cumsum(probabilities, axis=-1) / totals[:, None]
    cdf[:, -1] = 1.0  # rounding must not leave a gap below 1
    uniform = rng.random((rows, count))
    drawn = np.empty((rows, count), dtype=np.int64)
    for row in range(rows):
        # side="right": a category of probability 0 has an empty interval and is never hit
        drawn[row] = np.searchsorted(cdf[row], uniform[row], side="right")
    return drawn


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None
) -> Tensor:
    """``num_samples`` category indices per row of ``input``, index ``i`` drawn with
    probability ``input[..., i] / sum(input[..., :])``.

    ``input`` is 1-D (one distribution: a result of shape ``(num_samples,)``) or 2-D (one per
    row: ``(rows, num_samples)``) of non-negative, finite weights with a nonzero sum; they
    need not sum to 1. Without ``replacement`` an index is drawn at most once per row, in the
    order drawn, so ``num_samples`` may not exceed the number of nonzero weights. Numbers come
    from ``generator`` (a :class:`plugtorch.Generator`) or the global one. int64, no gradient.

    >>> import plugtorch as pt
    >>> weights = pt.tensor([0.0, 10.0, 3.0, 0.0])
    >>> sorted(pt.multinomial(weights, 2).tolist())
    [1, 2]
    >>> set(pt.multinomial(weights, 6, replacement=True).tolist()) <= {1, 2}
    True
    """
    check_tensor(input, "multinomial")
    if not input._dtype.is_floating_point:
        raise TypeError(
            f"multinomial only supports floating-point dtypes for input, got: {input._dtype}"
        )
    if input.ndim not in (1, 2):
        raise ValueError(
            f"multinomial(): prob_dist must be 1 or 2 dim, got {input.ndim} dimensions"
        )
    num_samples = check_int(num_samples, "multinomial", "num_samples")
    replacement = check_flag(replacement, "multinomial", "replacement")
    rng = _random.numpy_generator(generator)
    categories = input.shape[-1]
    if num_samples <= 0:
        raise ValueError(f"multinomial(): cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > categories:
        raise ValueError(
            "multinomial(): cannot sample n_sample > prob_dist.size(-1) samples without "
            f"replacement ({num_samples} samples, {categories} categories)"
        )
    if categories > _MAX_CATEGORIES:
        raise ValueError(
            f"multinomial(): number of categories cannot exceed 2^24, got {categories}"
        )
    backend = input._backend
    rows = 1 if input.ndim == 1 else input.shape[0]
    host = np.asarray(backend.to_numpy(input._data), dtype=np.float64).reshape(rows, categories)
    if host.shape[0] == 0:
        drawn = np.zeros((0, num_samples), dtype=np.int64)
    else:
        totals = _check_distribution(host, num_samples, replacement)
        drawn = _draw(rng, host, totals, num_samples, replacement)
    result = drawn.reshape(num_samples) if input.ndim == 1 else drawn
    out = Tensor._make(backend.asarray(result, dtypes.int64), backend, dtypes.int64)
    if input.requires_grad:
        out._nondiff = "multinomial"
    return out
