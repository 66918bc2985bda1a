"""Where the data utilities get their randomness, as PyTorch's do.

A ``generator`` argument (a :class:`plugtorch.Generator`, or a numpy ``Generator``) is used and
advanced; without one, a fresh seed is drawn from the global generator, so
``plugtorch.manual_seed(0)`` before building a loader or a split makes the whole run repeat.
plugtorch also accepts ``seed=`` (an int) where PyTorch needs a seeded ``Generator``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from plugtorch.random import numpy_generator

__all__ = ["draw_seed", "make_rng", "resolve_seed"]

SEED_BOUND = 2**63


def draw_seed(generator: Any = None) -> int:
    """A 63-bit seed drawn from ``generator`` (None: the global generator), advancing it."""
    return int(numpy_generator(generator).integers(SEED_BOUND))


def resolve_seed(seed: int | None) -> int:
    """``seed`` itself if given, else one drawn from plugtorch's global generator."""
    if seed is None:
        return draw_seed(None)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return int(seed)


def make_rng(seed: int | None = None, generator: Any = None) -> np.random.Generator:
    """The numpy Generator to draw from: ``generator``'s own stream if one is given (shared,
    so it advances), else a new one seeded by ``seed`` or, without either, by a seed drawn
    from the global generator."""
    if generator is not None and seed is not None:
        raise ValueError("pass either seed or generator, not both")
    if generator is not None:
        return numpy_generator(generator)
    return np.random.default_rng(resolve_seed(seed))
