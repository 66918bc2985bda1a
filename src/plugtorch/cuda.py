"""``plugtorch.cuda.is_available()``: whether an installed backend offers a CUDA device.

PyTorch code often starts with ``device = "cuda" if torch.cuda.is_available() else "cpu"``.
In plugtorch the device comes with the backend, so this asks the installed backends (loading
them, which is why it is a function, not a constant) and never raises.
"""

from __future__ import annotations

from plugtorch.backend.registry import list_backends

__all__ = ["is_available", "device_count", "backend_name"]


def _cuda_backends() -> list:
    return [
        info
        for info in list_backends()
        if info.available and any(d.startswith("cuda") for d in info.devices)
    ]


def is_available() -> bool:
    """True when some installed, working backend has a CUDA device."""
    return bool(_cuda_backends())


def device_count() -> int:
    """Number of CUDA devices offered by the first CUDA backend (0 without one)."""
    found = _cuda_backends()
    return len([d for d in found[0].devices if d.startswith("cuda")]) if found else 0


def backend_name() -> str | None:
    """The name of the first working CUDA backend (e.g. ``"cupy"``), or None."""
    found = _cuda_backends()
    return found[0].name if found else None
