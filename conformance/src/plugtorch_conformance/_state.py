"""The backend under test, shared by the plugin and the suite's modules during one run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Context", "current", "configure", "record_case", "take_case_count"]


@dataclass
class Context:
    name: str  # the name the backend is registered (and selected) under
    backend: Any
    package: str
    version: str
    profile: str
    xfails_path: str | None
    spec: str = ""  # how the backend was named: an installed name or package.module:factory


_context: Context | None = None
_cases = 0


def configure(context: Context) -> None:
    global _context
    _context = context


def current() -> Context:
    """The backend under test; only set while the conformance plugin is loaded."""
    if _context is None:
        raise RuntimeError(
            "the plugtorch conformance suite needs its pytest plugin: run "
            "`plugtorch-conformance --backend NAME`, or pytest with "
            "`-p plugtorch_conformance.plugin --backend NAME`"
        )
    return _context


def record_case() -> None:
    """Count one generated case (the closing summary reports the total)."""
    global _cases
    _cases += 1


def take_case_count() -> int:
    global _cases
    count, _cases = _cases, 0
    return count
