"""The 2-D toy classification sets from the MiniTorch course.

Each set is ``n`` points in the unit square with a binary label. The labelling rules are the
course's (``minitorch/datasets.py``); only the random source differs: points come from numpy's
``Generator`` seeded with ``seed``, so a given ``(name, n, seed)`` always gives the same set.

=========  ==========================================================
name       label 1 where
=========  ==========================================================
simple     ``x1 < 0.5``
diag       ``x1 + x2 < 0.5``
split      ``x1 < 0.2 or x1 > 0.8``
xor        ``(x1 < 0.5 and x2 > 0.5) or (x1 > 0.5 and x2 < 0.5)``
circle     ``(x1 - 0.5)**2 + (x2 - 0.5)**2 > 0.1``
spiral     the point is on the second of two interleaved spirals
=========  ==========================================================

Example:
    >>> X, y = make_toy("xor", n=4, seed=0)
    >>> X.shape, X.dtype, y.dtype
    ((4, 2), dtype('float32'), dtype('int64'))
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["TOY_DATASETS", "make_toy"]

TOY_DATASETS: tuple[str, ...] = ("simple", "diag", "split", "xor", "circle", "spiral")


def _label(name: str, points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    x1, x2 = points[:, 0], points[:, 1]
    if name == "simple":
        return x1 < 0.5
    if name == "diag":
        return x1 + x2 < 0.5
    if name == "split":
        return (x1 < 0.2) | (x1 > 0.8)
    if name == "xor":
        return ((x1 < 0.5) & (x2 > 0.5)) | ((x1 > 0.5) & (x2 < 0.5))
    # circle: outside the circle of radius sqrt(0.1) centred on (0.5, 0.5)
    return (x1 - 0.5) ** 2 + (x2 - 0.5) ** 2 > 0.1


def _spiral(n: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    # The course walks t = 10 * i / (n // 2) for i in 5 .. 5 + n//2 - 1 along
    # (t cos t / 20, t sin t / 20) + 0.5, then mirrors it: (y(-t), x(-t)) + 0.5.
    # For odd n the second arm gets the extra point so that exactly n points come back.
    half = n // 2
    scale = max(half, 1)
    t_first = 10.0 * np.arange(5, 5 + half) / scale
    t_second = 10.0 * np.arange(5, 5 + n - half) / scale
    first = np.stack([t_first * np.cos(t_first) / 20.0, t_first * np.sin(t_first) / 20.0], axis=1)
    # x(-t) = -t cos t / 20 and y(-t) = t sin t / 20 (cos even, sin odd)
    second = np.stack(
        [t_second * np.sin(t_second) / 20.0, -t_second * np.cos(t_second) / 20.0], axis=1
    )
    points = np.concatenate([first, second]) + 0.5
    labels = np.concatenate([np.zeros(half, np.int64), np.ones(n - half, np.int64)])
    return points, labels


def make_toy(
    name: str, n: int = 50, seed: int = 0
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """One of the MiniTorch toy sets: ``X`` float32 of shape ``(n, 2)``, ``y`` int64 of 0/1.

    ``name`` is one of :data:`TOY_DATASETS` (case-insensitive). Points are uniform in
    ``[0, 1)^2`` drawn from ``numpy.random.default_rng(seed)``; ``spiral`` is deterministic and
    ignores ``seed``, as in the course.

    Example:
        >>> X, y = make_toy("simple", n=100, seed=1)
        >>> bool(((X[:, 0] < 0.5) == (y == 1)).all())
        True
    """
    key = name.lower()
    if key not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}; choose one of {', '.join(TOY_DATASETS)}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if key == "spiral":
        points, labels = _spiral(int(n))
    else:
        # Label the float32 points that are returned (promoted exactly to float64), so that the
        # rule holds on X itself even for points within float32 rounding of a boundary.
        points = np.random.default_rng(seed).random((int(n), 2)).astype(np.float32)
        labels = _label(key, points.astype(np.float64)).astype(np.int64)
    return points.astype(np.float32), labels
