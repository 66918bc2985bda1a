"""``plugtorch.cuda.amp``: the deprecated spellings ``torch.cuda.amp.autocast`` and
``torch.cuda.amp.GradScaler`` (both warn with ``FutureWarning`` and use ``plugtorch.amp``
with ``device_type="cuda"``; without a working CUDA backend they warn and disable themselves,
as PyTorch's do without CUDA)."""

from __future__ import annotations

import warnings
from typing import Any

from plugtorch import amp as _amp
from plugtorch import dtypes

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]


class autocast(_amp.autocast):  # noqa: N801 (PyTorch's name)
    """``plugtorch.amp.autocast("cuda", ...)`` under its old name (defaults: float16, on)."""

    def __init__(
        self, enabled: bool = True, dtype: Any = dtypes.float16, cache_enabled: bool = True
    ) -> None:
        warnings.warn(
            "`plugtorch.cuda.amp.autocast(args...)` is deprecated. Please use "
            "`plugtorch.amp.autocast('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``plugtorch.amp.GradScaler("cuda", ...)`` under its old name."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`plugtorch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
            "`plugtorch.amp.GradScaler('cuda', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__(
            "cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled
        )


def custom_fwd(fwd: Any = None, *, cast_inputs: Any = None) -> Any:
    """``plugtorch.amp.custom_fwd(device_type="cuda", ...)`` under its old name."""
    warnings.warn(
        "`plugtorch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
        "`plugtorch.amp.custom_fwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd: Any = None) -> Any:
    """``plugtorch.amp.custom_bwd(device_type="cuda")`` under its old name."""
    warnings.warn(
        "`plugtorch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
        "`plugtorch.amp.custom_bwd(args..., device_type='cuda')` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return _amp.custom_bwd(bwd, device_type="cuda")
