"""``__array_namespace_info__()``: what the selected backend offers, reported truthfully."""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.array_api._creation import backend_for_device
from plugtorch.array_api._data_types import isdtype
from plugtorch.backend import registry
from plugtorch.device import Device

__all__ = ["__array_namespace_info__", "Info"]


class Info:
    """The inspection namespace of the array API standard.

    Answers come from the backend selected when called (``plugtorch.set_backend``,
    ``PLUGTORCH_BACKEND``, ...): its devices and the dtypes it declares in ``capabilities``.
    """

    __module__ = "plugtorch.array_api"

    def capabilities(self) -> dict[str, Any]:
        """Boolean indexing and data-dependent shapes work on every backend (see the docs)."""
        return {
            "boolean indexing": True,
            "data-dependent shapes": True,
            "max dimensions": None,
        }

    def default_device(self) -> Device:
        backend = registry.get_backend()
        return Device(backend.name, backend.capabilities.devices[0])

    def devices(self) -> tuple[Device, ...]:
        backend = registry.get_backend()
        return tuple(Device(backend.name, name) for name in backend.capabilities.devices)

    def default_dtypes(self, *, device: Any = None) -> dict[str, Any]:
        self._check_device(device)
        return {
            "real floating": dtypes.get_default_dtype(),
            "complex floating": None,
            "integral": dtypes.int64,
            "indexing": dtypes.int64,
        }

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, dtypes.DType]:
        backend = self._check_device(device)
        supported = backend.capabilities.dtypes
        return {
            d.name: d
            for d in dtypes.ALL_DTYPES
            # the standard has no 16-bit floats: its "real floating" is float32 and float64
            if d in supported
            and d not in dtypes.LOW_PRECISION
            and (kind is None or isdtype(d, kind))
        }

    def _check_device(self, device: Any) -> Any:
        return backend_for_device(device)


def __array_namespace_info__() -> Info:  # noqa: N807 (the standard's name)
    """The inspection namespace (capabilities, devices, default dtypes, dtypes by kind)."""
    return Info()
