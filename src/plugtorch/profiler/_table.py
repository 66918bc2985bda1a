"""The text table of ``prof.key_averages().table(...)``, laid out as PyTorch prints it:
right-aligned columns two spaces apart, times in us/ms/s, memory in B/KB/MB/GB, a footer with
the profiled time."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SORT_KEYS", "format_memory", "format_table", "format_time"]

SORT_KEYS = (
    "cpu_time",
    "cpu_time_total",
    "self_cpu_time_total",
    "cpu_memory_usage",
    "self_cpu_memory_usage",
    "count",
    "flops",
)
_DEVICE_WORDS = ("cuda", "device", "xpu", "mtia", "hpu", "privateuse1")
_COLUMN = 12
_SPACING = 2
_FLOP_UNITS = ("FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs")


def format_time(us: float, unit: str | None = None) -> str:
    """``1234.5`` -> ``"1.234ms"``; ``unit`` (``"s"``, ``"ms"``, ``"us"``) forces one unit."""
    if unit == "s" or (unit is None and us >= 1e6):
        return f"{us / 1e6:.3f}s"
    if unit == "ms" or (unit is None and us >= 1e3):
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_memory(nbytes: int) -> str:
    """``4096`` -> ``"4.00 KB"`` (powers of 1024, as PyTorch prints memory)."""
    for size, unit in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _share(us: float, total: float) -> str:
    return "NaN" if total == 0 else f"{us * 100.0 / total:.2f}%"


def _check_sort_key(sort_by: str) -> None:
    if sort_by in SORT_KEYS:
        return
    if any(word in sort_by for word in _DEVICE_WORDS):
        raise AttributeError(
            f"sort_by={sort_by!r}: plugtorch's profiler measures host (CPU) time only, so there "
            "is no device time or memory to sort by; use 'self_cpu_time_total' or "
            "'cpu_time_total'"
        )
    raise AttributeError(f"sort_by={sort_by!r} is not a profiler key; use one of {SORT_KEYS}")


def format_table(
    rows: list[Any],
    *,
    total_self_us: float,
    sort_by: str | None,
    row_limit: int,
    max_name_column_width: int | None,
    max_shapes_column_width: int | None,
    header: str | None,
    profile_memory: bool,
    with_flops: bool,
    time_unit: str | None,
) -> str:
    """Lay ``rows`` (events or averages) out as a table; ``row_limit`` rows at most (a
    negative limit shows all), sorted by the attribute ``sort_by``, largest first."""
    if time_unit not in (None, "s", "ms", "us"):
        raise ValueError(f"time_unit must be 's', 'ms', 'us' or None, not {time_unit!r}")
    if not rows:
        return ""
    if sort_by is not None:
        _check_sort_key(sort_by)
        rows = sorted(rows, key=lambda row: getattr(row, sort_by), reverse=True)
    if row_limit >= 0:
        rows = rows[:row_limit]

    name_width = max((len(row.key) for row in rows), default=4) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [_COLUMN] * (len(headers) - 1)
    if any(row.input_shapes for row in rows):
        shapes_width = max(len(str(row.input_shapes)) for row in rows) + 4
        if max_shapes_column_width is not None:
            shapes_width = min(shapes_width, max_shapes_column_width)
        headers.append("Input Shapes")
        widths.append(shapes_width)
    else:
        shapes_width = 0
    flops = [row.flops for row in rows if row.flops > 0] if with_flops else []
    if flops:
        power = int(max(0.0, min(math.log10(min(flops)) / 3, len(_FLOP_UNITS) - 1)))
        flop_scale = 10.0 ** (-3 * power)
        headers.append(f"Total {_FLOP_UNITS[power]}")
        widths.append(_COLUMN)

    spacer = " " * _SPACING
    separator = spacer.join("-" * width for width in widths) + spacer

    def line(values: list[Any]) -> str:
        return spacer.join(f"{value!s:>{width}}" for value, width in zip(values, widths)) + spacer

    out = []
    if header is not None:
        out += ["=" * len(separator), header]
    out += [separator, line(headers), separator]
    for row in rows:
        name = row.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[: max_name_column_width - 3] + "..."
        values: list[Any] = [
            name,
            _share(row.self_cpu_time_total, total_self_us),
            format_time(row.self_cpu_time_total, time_unit),
            _share(row.cpu_time_total, total_self_us),
            format_time(row.cpu_time_total, time_unit),
            format_time(row.cpu_time, time_unit),
        ]
        if profile_memory:
            values += [
                format_memory(row.cpu_memory_usage),
                format_memory(row.self_cpu_memory_usage),
            ]
        values.append(row.count)
        if shapes_width:
            values.append(str(row.input_shapes)[:shapes_width])
        if flops:
            values.append(f"{row.flops * flop_scale:8.3f}" if row.flops > 0 else "--")
        out.append(line(values))
    out += [separator, f"Self CPU time total: {format_time(total_self_us, time_unit)}", ""]
    return "\n".join(out)
