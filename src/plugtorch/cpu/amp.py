"""``plugtorch.cpu.amp``: the deprecated spellings ``torch.cpu.amp.autocast`` and
``torch.cpu.amp.GradScaler`` (both warn with ``FutureWarning`` and use ``plugtorch.amp``)."""

from __future__ import annotations

import warnings
from typing import Any

from plugtorch import amp as _amp
from plugtorch import dtypes

__all__ = ["autocast", "GradScaler"]


class autocast(_amp.autocast):  # noqa: N801 (PyTorch's name)
    """``plugtorch.amp.autocast("cpu", ...)`` under its old name (defaults: bfloat16, on).

    >>> import warnings, plugtorch as pt
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     with pt.cpu.amp.autocast():
    ...         pt.ones(2, 2).matmul(pt.ones(2, 2)).dtype
    plugtorch.bfloat16
    """

    def __init__(
        self, enabled: bool = True, dtype: Any = dtypes.bfloat16, cache_enabled: bool = True
    ) -> None:
        warnings.warn(
            "`plugtorch.cpu.amp.autocast(args...)` is deprecated. Please use "
            "`plugtorch.amp.autocast('cpu', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``plugtorch.amp.GradScaler("cpu", ...)`` under its old name."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        warnings.warn(
            "`plugtorch.cpu.amp.GradScaler(args...)` is deprecated. Please use "
            "`plugtorch.amp.GradScaler('cpu', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        super().__init__("cpu", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
