"""Where the data utilities get their randomness: numpy Generators, seeded reproducibly.

An explicit ``seed`` or ``generator`` always wins. Without one, a seed is drawn from plugtorch's
global generator, so ``plugtorch.manual_seed(0)`` before building a loader or a split makes the
whole run repeat exactly, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from plugtorch import random as plugtorch_random

__all__ = ["make_rng", "resolve_seed"]

_SEED_BOUND = 2**63 - 1


def _seed_from_global() -> int:
    # Draw from (and so advance) the global generator, as torch's DataLoader does: after
    # plugtorch.manual_seed(s) the whole run repeats, and two loaders built in a row differ.
    return int(plugtorch_random.generator().integers(_SEED_BOUND))


def resolve_seed(seed: int | None) -> int:
    """``seed`` itself if given, else one drawn from plugtorch's global generator."""
    if seed is None:
        return _seed_from_global()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int or None, got {type(seed).__name__}")
    return int(seed)


def make_rng(seed: int | None = None, generator: Any = None) -> np.random.Generator:
    """A numpy Generator: ``generator`` if it is one, else one seeded by :func:`resolve_seed`.

    A plugtorch generator object is accepted if it exposes ``initial_seed()``.
    """
    if generator is not None and seed is not None:
        raise ValueError("pass either seed or generator, not both")
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is not None:
        initial_seed = getattr(generator, "initial_seed", None)
        if callable(initial_seed):
            return np.random.default_rng(int(initial_seed()) % _SEED_BOUND)
        raise TypeError(
            f"generator must be a numpy.random.Generator, got {type(generator).__name__}"
        )
    return np.random.default_rng(resolve_seed(seed))
