"""``torch.autograd.profiler``'s older interface: ``profile(enabled=True, ...)`` and
``record_function``, recording through :mod:`plugtorch.profiler`.

This module sits above the rest of ``plugtorch.autograd`` (it imports the profiler, which
imports the ops); nothing in ``plugtorch.autograd`` imports it: the package loads it on first
use of ``pt.autograd.profiler`` (PEP 562), which resolves as in PyTorch.

>>> import plugtorch as pt
>>> x = pt.ones(3, requires_grad=True)
>>> with pt.autograd.profiler.profile() as prof:
...     (x * 2).sum().backward()
>>> "plugtorch::mul" in prof.table()
True
"""

from __future__ import annotations

from typing import Any

from plugtorch.profiler._events import EventList, FunctionEventAvg
from plugtorch.profiler._profile import _Profile, _warn_unsupported, record_function

__all__ = ["profile", "record_function"]


class profile(_Profile):
    """Record ops, backward rules and backend primitives in the ``with`` block (see
    :class:`plugtorch.profiler.profile`). ``enabled=False`` records nothing."""

    def __init__(
        self,
        enabled: bool = True,
        *,
        use_cuda: bool = False,
        use_device: str | None = None,
        record_shapes: bool = False,
        with_flops: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_modules: bool = False,
        use_kineto: bool = False,
        use_cpu: bool = True,
    ) -> None:
        super().__init__(
            record_shapes=record_shapes, profile_memory=profile_memory, with_flops=with_flops
        )
        self.enabled = enabled
        device = bool(use_cuda) or (use_device not in (None, "cpu"))
        _warn_unsupported(with_stack, with_modules, device and enabled)

    def __enter__(self) -> profile:
        if self.enabled:
            self._start_recording()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._stop_recording()

    @property
    def function_events(self) -> EventList | None:
        """The recorded events (None when ``enabled=False``)."""
        return self.events() if self.enabled else None

    @property
    def self_cpu_time_total(self) -> float:
        """Profiled time in microseconds (the sum of every event's self time)."""
        return self.events().self_cpu_time_total

    def total_average(self) -> FunctionEventAvg:
        """Every event added into one average."""
        return self.events().total_average()

    def table(self, sort_by: str | None = None, row_limit: int = 100, **options: Any) -> str:
        """``key_averages().table(...)``."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **options)

    def __str__(self) -> str:
        return self.table()
