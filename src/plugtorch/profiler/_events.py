"""What a profile holds: one :class:`FunctionEvent` per timed call, their per-name averages
(:class:`FunctionEventAvg`) and :class:`EventList`, with PyTorch's attribute names.

Times are microseconds (floats) and memory is bytes, as in ``torch.autograd.profiler_util``.
An event's ``cpu_time_total`` includes the events it encloses (its ``cpu_children``);
``self_cpu_time_total`` does not, so self times add up to the profiled time without counting
anything twice. Memory works the same way: ``cpu_memory_usage`` includes the children's,
``self_cpu_memory_usage`` does not.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable

from plugtorch.profiler._table import format_table

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "Interval"]


class Interval:
    """A time range in microseconds: ``start``, ``end`` and :meth:`elapsed_us`."""

    __slots__ = ("start", "end")

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.end = end

    def elapsed_us(self) -> float:
        """``end - start`` in microseconds."""
        return self.end - self.start

    def __repr__(self) -> str:
        return f"Interval(start={self.start:.3f}, end={self.end:.3f})"


class FunctionEvent:
    """One timed call: an op (``plugtorch::mul``), a backward rule (``MulBackward0``), a
    backend primitive (``numba::multiply``) or a ``record_function`` range.

    ``category`` says which: ``"cpu_op"``, ``"backward"``, ``"primitive"`` or
    ``"user_annotation"``. ``flops`` is the floating-point operation count of a matmul or
    convolution primitive when the profile was made ``with_flops=True``, else 0.
    """

    __slots__ = (
        "id",
        "name",
        "category",
        "thread",
        "start_ns",
        "end_ns",
        "cpu_parent",
        "cpu_children",
        "input_shapes",
        "self_bytes",
        "flops",
    )

    def __init__(
        self,
        event_id: int,
        name: str,
        category: str,
        thread: int,
        start_ns: int,
        parent: FunctionEvent | None,
        input_shapes: list[list[int]] | None,
    ) -> None:
        self.id = event_id
        self.name = name
        self.category = category
        self.thread = thread
        self.start_ns = start_ns
        self.end_ns = start_ns
        self.cpu_parent = parent
        self.cpu_children: list[FunctionEvent] = []
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.self_bytes = 0
        self.flops = 0

    @property
    def key(self) -> str:
        """What :meth:`EventList.key_averages` groups by: the name."""
        return self.name

    @property
    def count(self) -> int:
        return 1

    @property
    def time_range(self) -> Interval:
        return Interval(self.start_ns / 1e3, self.end_ns / 1e3)

    @property
    def cpu_time_total(self) -> float:
        """Wall time of the call in microseconds, enclosed events included."""
        return (self.end_ns - self.start_ns) / 1e3

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    @property
    def self_cpu_time_total(self) -> float:
        """Wall time in microseconds not spent in enclosed events."""
        children = sum(child.end_ns - child.start_ns for child in self.cpu_children)
        return (self.end_ns - self.start_ns - children) / 1e3

    @property
    def cpu_memory_usage(self) -> int:
        """Bytes of fresh arrays made during the call, enclosed events included."""
        return self.self_bytes + sum(child.cpu_memory_usage for child in self.cpu_children)

    @property
    def self_cpu_memory_usage(self) -> int:
        """Bytes of fresh arrays made by this call itself (a primitive's result)."""
        return self.self_bytes

    def __repr__(self) -> str:
        return (
            f"<FunctionEvent id={self.id} name={self.name!r} cpu_time_total="
            f"{self.cpu_time_total:.3f}us self_cpu_time_total={self.self_cpu_time_total:.3f}us "
            f"cpu_memory_usage={self.cpu_memory_usage} input_shapes={self.input_shapes}>"
        )


class FunctionEventAvg:
    """The events of one key (a name, or a name and input shapes) added together."""

    def __init__(self, key: str, input_shapes: list[list[int]] | None = None) -> None:
        self.key = key
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = 0
        self.self_cpu_memory_usage = 0
        self.flops = 0

    @property
    def cpu_time(self) -> float:
        """Average wall time per call in microseconds."""
        return self.cpu_time_total / self.count if self.count else 0.0

    def add(self, other: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        """Accumulate ``other`` (an event or another average) into this one."""
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.flops += other.flops
        return self

    def __repr__(self) -> str:
        return (
            f"<FunctionEventAvg key={self.key!r} count={self.count} cpu_time_total="
            f"{self.cpu_time_total:.3f}us self_cpu_time_total={self.self_cpu_time_total:.3f}us "
            f"cpu_memory_usage={self.cpu_memory_usage} input_shapes={self.input_shapes}>"
        )


class EventList(list):
    """A list of events (or of averages) with PyTorch's summaries: :meth:`table`,
    :meth:`key_averages`, :meth:`total_average`, :meth:`export_chrome_trace`."""

    def __init__(
        self,
        events: Iterable[Any] = (),
        *,
        profile_memory: bool = False,
        with_flops: bool = False,
        base_wall_ns: int = 0,
        base_perf_ns: int = 0,
    ) -> None:
        super().__init__(events)
        self._profile_memory = profile_memory
        self._with_flops = with_flops
        self._base_wall_ns = base_wall_ns
        self._base_perf_ns = base_perf_ns

    def _like(self, events: Iterable[Any]) -> EventList:
        return EventList(
            events,
            profile_memory=self._profile_memory,
            with_flops=self._with_flops,
            base_wall_ns=self._base_wall_ns,
            base_perf_ns=self._base_perf_ns,
        )

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of every event's self time in microseconds: the profiled time."""
        return sum(event.self_cpu_time_total for event in self)

    def key_averages(
        self,
        group_by_input_shape: bool = False,
        group_by_stack_n: int = 0,
        group_by_overload_name: bool = False,
    ) -> EventList:
        """One :class:`FunctionEventAvg` per name (and per input shapes when
        ``group_by_input_shape``), in order of first appearance."""
        if group_by_stack_n:
            raise ValueError(
                "key_averages(group_by_stack_n=...) needs call stacks, which plugtorch's "
                "profiler does not record; group by name or by input shape instead"
            )
        averages: dict[Any, FunctionEventAvg] = {}
        for event in self:
            shapes = event.input_shapes if group_by_input_shape else None
            key = (event.key, str(shapes)) if group_by_input_shape else event.key
            average = averages.get(key)
            if average is None:
                average = averages[key] = FunctionEventAvg(event.key, shapes)
            average.add(event)
        return self._like(averages.values())

    def total_average(self) -> FunctionEventAvg:
        """Every event added into one :class:`FunctionEventAvg` keyed ``"Total"``."""
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    def table(
        self,
        sort_by: str | None = None,
        row_limit: int = 100,
        max_src_column_width: int = 75,
        max_name_column_width: int = 55,
        max_shapes_column_width: int = 80,
        header: str | None = None,
        top_level_events_only: bool = False,
        time_unit: str | None = None,
    ) -> str:
        """The events as a text table, as PyTorch prints it (see :mod:`._table`)."""
        rows = list(self)
        if top_level_events_only:
            rows = [row for row in rows if getattr(row, "cpu_parent", None) is None]
        return format_table(
            rows,
            total_self_us=self.self_cpu_time_total,
            sort_by=sort_by,
            row_limit=row_limit,
            max_name_column_width=max_name_column_width,
            max_shapes_column_width=max_shapes_column_width,
            header=header,
            profile_memory=self._profile_memory,
            with_flops=self._with_flops,
            time_unit=time_unit,
        )

    def __str__(self) -> str:
        return self.table()

    def chrome_trace(self) -> dict[str, Any]:
        """The events in the Chrome trace event format (``chrome://tracing``, Perfetto)."""
        pid = os.getpid()
        trace = []
        for event in self:
            if not isinstance(event, FunctionEvent):
                raise TypeError(
                    "export_chrome_trace needs the events themselves (prof.events()), not "
                    "their key_averages()"
                )
            args: dict[str, Any] = {"External id": event.id}
            if event.input_shapes:
                args["Input Dims"] = event.input_shapes
            if self._profile_memory:
                args["Bytes allocated"] = event.self_bytes
            if event.flops:
                args["flops"] = event.flops
            trace.append(
                {
                    "ph": "X",
                    "cat": event.category,
                    "name": event.name,
                    "pid": pid,
                    "tid": event.thread,
                    "ts": (self._base_wall_ns + event.start_ns - self._base_perf_ns) / 1e3,
                    "dur": (event.end_ns - event.start_ns) / 1e3,
                    "args": args,
                }
            )
        return {
            "schemaVersion": 1,
            "displayTimeUnit": "ms",
            "baseTimeNanoseconds": self._base_wall_ns,
            "traceEvents": trace,
        }

    def export_chrome_trace(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`chrome_trace` to ``path`` as JSON."""
        with open(path, "w", encoding="utf-8") as file:
            json.dump(self.chrome_trace(), file)
