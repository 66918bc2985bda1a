"""The expected-failures file a backend ships: ``conformance-xfails.txt``.

One entry per line: a test id pattern, then ``#`` and the reason, which is required::

    # comments and blank lines are ignored
    test_primitives.py::test_elementwise[sin-float32]   # our sinf is 2 ulp off near pi/2
    test_ops.py::test_gradcheck[conv2d*]                 # no float64 on this device

Patterns are globs (``*`` any run of characters, ``?`` one; brackets are literal, as in test
ids) matched against ``FILE::TEST[PARAMS]``; a pattern without ``::``
is matched against ``TEST[PARAMS]`` alone. Expected failures are strict: one that passes fails
the run, and so does a pattern that matches no test (it is stale).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["XfailEntry", "XfailError", "parse_xfails", "match"]

FILE_NAME = "conformance-xfails.txt"


class XfailError(ValueError):
    """The expected-failures file is malformed; the message names the line."""


@dataclass
class XfailEntry:
    pattern: str
    reason: str
    line: int
    matched: list[str] = field(default_factory=list)

    def matches(self, test_id: str) -> bool:
        target = test_id if "::" in self.pattern else test_id.split("::", 1)[-1]
        return _compile(self.pattern).fullmatch(target) is not None


def _compile(pattern: str) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.DOTALL)


def parse_xfails(text: str, source: str = FILE_NAME) -> list[XfailEntry]:
    """Parse the file's text; every entry must give a reason."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, _, reason = line.partition("#")
        pattern, reason = pattern.strip(), reason.strip()
        if not reason:
            raise XfailError(
                f"{source}:{number}: {pattern!r} has no reason; write one after '#' "
                "(every expected failure says why)"
            )
        if " " in pattern:
            raise XfailError(f"{source}:{number}: a test id pattern has no spaces: {pattern!r}")
        entries.append(XfailEntry(pattern, reason, number))
    return entries


def read_xfails(path: Path) -> list[XfailEntry]:
    return parse_xfails(path.read_text(encoding="utf-8"), str(path))


def match(entries: list[XfailEntry], test_id: str) -> XfailEntry | None:
    """The first entry whose pattern matches ``test_id`` (recording the match)."""
    for entry in entries:
        if entry.matches(test_id):
            entry.matched.append(test_id)
            return entry
    return None
