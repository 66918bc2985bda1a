"""plugtorch-strict: a plugtorch backend over ``array_api_strict``.

``array_api_strict`` is the array API standard's own strict implementation: it refuses anything
the standard does not promise. That makes it a good way to show (and check) that plugtorch needs
nothing beyond the standard from a backend: :class:`~plugtorch.backend.ArrayAPIBackend` turns the
namespace into a complete backend, and this package only adds

* a name (``"strict"``) and the entry point that registers it;
* the device mapping (plugtorch's ``"cpu"`` is array-api-strict's ``CPU_DEVICE``);
* ``is_available`` with a reason a user can act on;
* the optional primitives the standard has functions for (``argsort``, ``cumulative_sum``,
  ``cumulative_prod``): ``ArrayAPIBackend`` implements them with those functions, so declaring
  them is all it takes (the conformance suite checks them against the core's fallback).

See ``docs/backend-authoring.md`` in the plugtorch repository for the walk-through.
"""

from __future__ import annotations

from typing import Any

from plugtorch.backend import ArrayAPIBackend

__all__ = ["StrictBackend", "create_backend", "STANDARD_PRIMITIVES"]
__version__ = "0.1.0"

# Optional primitives array_api_strict computes with the standard's own functions.
STANDARD_PRIMITIVES = frozenset({"argsort", "cumulative_sum", "cumulative_prod"})


class StrictBackend(ArrayAPIBackend):
    """plugtorch's primitives, computed by ``array_api_strict``."""

    def __init__(self, name: str = "strict") -> None:
        import array_api_strict

        super().__init__(
            array_api_strict,
            name=name,
            devices=("cpu",),
            host_memory=True,
            primitives=STANDARD_PRIMITIVES,
        )
        self._device = array_api_strict.Device("CPU_DEVICE")

    def is_available(self) -> tuple[bool, str]:
        try:
            import array_api_strict  # noqa: F401
        except ImportError as error:  # pragma: no cover - the package depends on it
            return False, f"array-api-strict is not importable ({error}): pip install it"
        return True, ""

    def full(self, shape: tuple[int, ...], value: Any, dtype: Any) -> Any:
        return self.xp.full(shape, value, dtype=self.native_dtype(dtype), device=self._device)


def create_backend() -> StrictBackend:
    """Entry point of the ``plugtorch.backends`` group (``strict = plugtorch_strict:...``)."""
    return StrictBackend()
