"""Random numbers: one seeded generator, on the host, shared by every backend.

Random tensors are drawn with numpy's PCG64 generator and moved to the backend, so the same
seed gives the same numbers on every backend (a model initialised on ``numpy`` and on ``numba``
starts from identical weights). ``manual_seed`` resets it; seeded runs repeat exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["manual_seed", "seed", "initial_seed", "generator", "get_rng_state", "set_rng_state"]

_initial_seed = 0
_generator = np.random.Generator(np.random.PCG64(_initial_seed))


def manual_seed(seed: int) -> np.random.Generator:
    """Seed the global generator; returns it.

    >>> import plugtorch as pt
    >>> _ = pt.manual_seed(0); a = pt.rand(2)
    >>> _ = pt.manual_seed(0); b = pt.rand(2)
    >>> bool((a == b).all())
    True
    """
    global _generator, _initial_seed
    _initial_seed = int(seed)
    _generator = np.random.Generator(np.random.PCG64(_initial_seed))
    return _generator


def seed() -> int:
    """Seed the generator from the operating system's entropy; returns the seed."""
    value = int(np.random.SeedSequence().generate_state(1)[0])
    manual_seed(value)
    return value


def initial_seed() -> int:
    """The seed last given to ``manual_seed``."""
    return _initial_seed


def generator() -> np.random.Generator:
    """The global generator (numpy ``Generator``) used by rand, randn, randint, dropout, ..."""
    return _generator


def get_rng_state() -> dict:
    """The generator's state (a dict you can pass to ``set_rng_state``)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from ``get_rng_state``."""
    _generator.bit_generator.state = state
