"""``plugtorch backends``: every installed backend, whether it works here, and why not."""

from __future__ import annotations

import argparse
import json

from plugtorch.backend.registry import current_backend_name, get_backend, list_backends

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _description(name: str) -> str:
    """The backend's optional ``description`` string; its failure is shown, never raised."""
    try:
        return str(getattr(get_backend(name), "description", "") or "")
    except Exception as error:  # noqa: BLE001 (the listing never breaks on one backend)
        return f"(its description failed: {error!r})"


def run(args: argparse.Namespace) -> int:
    infos = list_backends()
    selected, origin = current_backend_name()
    if args.json:
        print(json.dumps([info.__dict__ for info in infos], indent=2))
        return 0
    rows = [("", "name", "package", "version", "protocol", "status", "devices")]
    for info in infos:
        status = "available" if info.available else f"unavailable: {info.reason}"
        marker = "*" if info.name == selected else ""
        rows.append(
            (
                marker,
                info.name,
                info.package,
                info.version,
                info.api_version,
                status,
                ", ".join(info.devices) or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    for row in rows:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:6])) + "  " + row[6])
    if not infos:
        print("no backends installed: `pip install plugtorch-numpy` gives the reference backend")
    for info in infos:  # a backend's own note on how it runs here (numba: its GEMM library)
        if info.available:
            note = _description(info.name)
            if note:
                print(f"{info.name}: {note}")
    print(f"\n* selected: {selected} (from {origin})")
    return 0
