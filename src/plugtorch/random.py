"""Random numbers: seeded generators on the host, shared by every backend.

Random tensors are drawn with numpy's PCG64 generator and moved to the backend, so the same
seed gives the same numbers on every backend (a model initialised on ``numpy`` and on ``numba``
starts from identical weights). ``manual_seed`` resets the global generator
(:data:`default_generator`); seeded runs repeat exactly. A :class:`Generator` is an
independent stream, as ``torch.Generator``: samplers, ``random_split`` and the ``DataLoader``
take one through their ``generator=`` argument.

The numbers differ from PyTorch's (a different algorithm), the guarantees are the same: one
seed, one sequence.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import plugtorch  # the layers above, at call time: get_state builds a tensor

__all__ = [
    "Generator",
    "default_generator",
    "generator",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "numpy_generator",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # the seed of a fresh torch.Generator
_UINT64 = 1 << 64
_STATE_BYTES = 40  # PCG64: 16 bytes state, 16 bytes increment, has_uint32, uinteger


def _as_seed(seed: Any) -> int:
    """PyTorch's rule: any int in [-2**63, 2**64), negative ones taken modulo 2**64."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    value = int(seed)
    if not -(1 << 63) <= value < _UINT64:
        raise RuntimeError(f"Overflow when unpacking long: seed {value} is outside [-2**63, 2**64)")
    return value % _UINT64


class Generator:
    """An independent, seedable stream of random numbers (``torch.Generator``).

    ``device`` is accepted for PyTorch compatibility; numbers are always drawn on the host and
    moved to the backend. A new generator starts from PyTorch's default seed, so two fresh
    generators give the same numbers.

    Example:
        >>> import plugtorch as pt
        >>> g = pt.Generator().manual_seed(42)
        >>> g.initial_seed()
        42
        >>> state = g.get_state()
        >>> a = g.numpy().random()
        >>> b = g.set_state(state).numpy().random()
        >>> a == b
        True
    """

    __slots__ = ("device", "_seed", "_numpy")

    def __init__(self, device: Any = "cpu") -> None:
        self.device = device
        self._seed = _DEFAULT_SEED
        # Made on first draw: numpy.random takes a while to import, and `import plugtorch`
        # should not pay for it.
        self._numpy: np.random.Generator | None = None

    def _stream(self) -> np.random.Generator:
        if self._numpy is None:
            self._numpy = np.random.Generator(np.random.PCG64(self._seed))
        return self._numpy

    def __repr__(self) -> str:
        return f"<plugtorch.Generator initial_seed={self._seed}>"

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator (so calls chain)."""
        self._seed = _as_seed(seed)
        self._numpy = None  # the stream restarts from the seed on the next draw
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        value = int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0])
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """The seed the stream last started from."""
        return self._seed

    def numpy(self) -> np.random.Generator:
        """The numpy ``Generator`` that draws this stream's numbers (shared, not a copy)."""
        return self._stream()

    def get_state(self) -> Any:
        """The stream's position as a uint8 tensor of 40 bytes (give it to :meth:`set_state`)."""
        state = self._stream().bit_generator.state
        words = (
            state["state"]["state"],
            state["state"]["inc"],
            state["has_uint32"],
            state["uinteger"],
        )
        raw = b"".join(
            int(word).to_bytes(size, "little") for word, size in zip(words, (16, 16, 4, 4))
        )
        return plugtorch.ops.creation.tensor(list(raw), dtype="uint8")

    def set_state(self, new_state: Any) -> Generator:
        """Restore a position from :meth:`get_state`; returns the generator."""
        raw = bytes(np.asarray(getattr(new_state, "tolist", lambda: new_state)(), np.uint8))
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(
                f"Generator.set_state: expected a uint8 tensor of {_STATE_BYTES} bytes from "
                f"get_state(), got {len(raw)} bytes"
            )
        fields = (raw[0:16], raw[16:32], raw[32:36], raw[36:40])
        state_word, increment, has_uint32, uinteger = (
            int.from_bytes(field, "little") for field in fields
        )
        self._stream().bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": state_word, "inc": increment},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        return self


default_generator = Generator()
default_generator.manual_seed(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global generator; returns it (``plugtorch.default_generator``).

    >>> import plugtorch as pt
    >>> _ = pt.manual_seed(0); a = pt.rand(2)
    >>> _ = pt.manual_seed(0); b = pt.rand(2)
    >>> bool((a == b).all())
    True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed last given to ``manual_seed``."""
    return default_generator.initial_seed()


def generator() -> np.random.Generator:
    """The global numpy ``Generator`` used by rand, randn, randint, dropout, ..."""
    return default_generator.numpy()


def numpy_generator(source: Generator | np.random.Generator | None) -> np.random.Generator:
    """The numpy Generator behind ``source``: a plugtorch :class:`Generator`, a numpy one, or
    None for the global generator (what a ``generator=`` argument accepts).

    >>> numpy_generator(None) is generator()
    True
    """
    if source is None:
        return default_generator.numpy()
    if isinstance(source, Generator):
        return source.numpy()
    if isinstance(source, np.random.Generator):
        return source
    raise TypeError(
        f"generator must be a plugtorch.Generator (or a numpy.random.Generator), got "
        f"{type(source).__name__}"
    )


def get_rng_state() -> Any:
    """The global generator's state (a uint8 tensor you can pass to ``set_rng_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Restore a state from ``get_rng_state``."""
    default_generator.set_state(new_state)
