"""Automatic mixed precision: ``autocast`` and ``GradScaler`` (PyTorch's ``torch.amp``).

>>> import plugtorch as pt
>>> with pt.amp.autocast("cpu", dtype=pt.bfloat16):
...     y = pt.nn.functional.linear(pt.ones(2, 3), pt.ones(4, 3))
>>> y.dtype
plugtorch.bfloat16
"""

from plugtorch.amp.autocast_mode import (
    autocast,
    clear_autocast_cache,
    custom_bwd,
    custom_fwd,
    get_autocast_dtype,
    is_autocast_available,
    is_autocast_cache_enabled,
    is_autocast_enabled,
    set_autocast_cache_enabled,
    set_autocast_dtype,
    set_autocast_enabled,
)
from plugtorch.amp.grad_scaler import GradScaler

__all__ = [
    "GradScaler",
    "autocast",
    "clear_autocast_cache",
    "custom_bwd",
    "custom_fwd",
    "get_autocast_dtype",
    "is_autocast_available",
    "is_autocast_cache_enabled",
    "is_autocast_enabled",
    "set_autocast_cache_enabled",
    "set_autocast_dtype",
    "set_autocast_enabled",
]
