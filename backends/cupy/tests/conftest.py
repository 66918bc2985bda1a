"""Shared helpers of the cupy backend's tests: what this machine can run."""

from __future__ import annotations

import pytest
from plugtorch_cupy import probe

FOUND = probe()


def nvrtc_or_skip():
    """CuPy's low-level NVRTC bindings, or a skip that says plainly why they are missing."""
    if FOUND.cupy is None:
        pytest.skip(
            "kernel compile check skipped: CuPy is not installed, so no NVRTC "
            "(pip install 'plugtorch-cupy[cuda12]')"
        )
    try:
        from cupy.cuda import nvrtc

        nvrtc.getVersion()
    except Exception as error:  # noqa: BLE001
        pytest.skip(
            f"kernel compile check skipped: no CUDA compiler (NVRTC) is installed ({error}); "
            "pip install nvidia-cuda-nvrtc-cu12"
        )
    return nvrtc


requires_gpu = pytest.mark.skipif(
    bool(FOUND.reason), reason=f"needs a CUDA GPU: {FOUND.reason or 'available'}"
)
