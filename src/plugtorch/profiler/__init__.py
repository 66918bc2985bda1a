"""Where the time goes: PyTorch's ``torch.profiler`` interface over plugtorch's ops, backward
rules and backend primitives.

>>> import plugtorch as pt
>>> from plugtorch.profiler import profile, record_function, ProfilerActivity
>>> x = pt.randn(8, 8, requires_grad=True)
>>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
...     with record_function("step"):
...         (x.tanh() @ x).sum().backward()
>>> table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=5)
>>> "Self CPU %" in table and "Self CPU time total" in table
True

Each op shows as ``plugtorch::<op>`` (forward, and again for the ops a backward rule runs),
each backward rule as ``<Op>Backward0``, each backend primitive as ``<backend>::<primitive>``
(the time in kernels; an op's self time is the Python dispatch around them). Nothing is hooked
when no profile records: ``apply`` checks one list, and the wrappers exist only while a profile
records. ``docs/profiling.md`` shows how to read a profile.
"""

from plugtorch.profiler._events import EventList, FunctionEvent, FunctionEventAvg, Interval
from plugtorch.profiler._profile import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    supported_activities,
    tensorboard_trace_handler,
)

__all__ = [
    "EventList",
    "FunctionEvent",
    "FunctionEventAvg",
    "Interval",
    "ProfilerAction",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
]
