"""Whether CuPy can run here, and if not, why (in words a user can act on).

Nothing here raises: a missing CuPy, a machine without an NVIDIA driver and a machine without
a visible GPU each give a reason, which ``plugtorch backends`` shows and selecting the backend
raises.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType

__all__ = ["Probe", "probe", "INSTALL_HINT"]

INSTALL_HINT = (
    "pip install 'plugtorch-cupy[cuda12]' (CUDA 12 driver) or 'plugtorch-cupy[cuda13]' "
    "(CUDA 13 driver)"
)


@dataclass(frozen=True)
class Probe:
    """What :func:`probe` found."""

    cupy: ModuleType | None
    device_count: int
    reason: str
    """Empty when usable."""
    kernels_reason: str
    """Empty when NVRTC can compile the backend's own kernels; else why they are off."""


def _visible_devices_note() -> str:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return ""
    return f" (CUDA_VISIBLE_DEVICES={visible!r} limits which GPUs are visible)"


def probe() -> Probe:
    """Import CuPy and count devices; never raises."""
    try:
        import cupy
    except Exception as error:  # noqa: BLE001 (any import failure means: not usable)
        return Probe(
            None,
            0,
            f"CuPy is not installed ({type(error).__name__}: {error}); install it with "
            f"{INSTALL_HINT} on a machine with an NVIDIA GPU",
            "CuPy is not installed",
        )
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # noqa: BLE001 (CUDARuntimeError and friends)
        text = str(error)
        if "InsufficientDriver" in text or "NoDevice" not in text and "driver" in text.lower():
            reason = (
                f"no CUDA driver: CuPy {cupy.__version__} found no usable NVIDIA driver "
                f"({text}); install or update the NVIDIA driver on a machine with a GPU"
            )
        else:
            reason = f"no CUDA device: {text}{_visible_devices_note()}"
        return Probe(cupy, 0, reason, "no CUDA device")
    if count == 0:
        return Probe(cupy, 0, f"no CUDA device visible{_visible_devices_note()}", "no device")
    kernels_reason = ""
    if os.environ.get("PLUGTORCH_CUPY_KERNELS", "1") == "0":
        kernels_reason = "turned off by PLUGTORCH_CUPY_KERNELS=0"
    else:
        try:
            from cupy.cuda import nvrtc

            nvrtc.getVersion()
        except Exception as error:  # noqa: BLE001
            kernels_reason = (
                f"NVRTC is missing ({error}); CuPy's own operations still work. Install "
                "nvidia-cuda-nvrtc-cu12 (or the toolkit) for the hand-written kernels"
            )
    return Probe(cupy, count, "", kernels_reason)
