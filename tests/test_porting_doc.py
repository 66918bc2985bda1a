"""docs/porting.md cannot drift: every PyTorch name a row marks as supported exists in plugtorch,
and the tables keep their shape (one per area, areas sorted, three columns)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

PORTING = Path(__file__).resolve().parents[1] / "docs" / "porting.md"
_ROW = re.compile(r"^\| `(torch(?:\.\w+)+)(?:\(.*\))?` \| (yes|partly|no) \|")


def _rows() -> list[tuple[str, str]]:
    rows = []
    for line in PORTING.read_text().splitlines():
        match = _ROW.match(line)
        if match:
            rows.append((match.group(1), match.group(2)))
    return rows


def _resolve(dotted: str) -> object:
    """``torch.a.b.c`` as ``plugtorch.a.b.c``: the longest importable module, then attributes."""
    parts = ["plugtorch", *dotted.split(".")[1:]]
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_tables_are_sorted_and_well_formed() -> None:
    text = PORTING.read_text()
    areas = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert areas == sorted(areas), "areas must be in alphabetical order"
    assert len(areas) == len(set(areas)), "one table per area"
    for line in text.splitlines():
        if line.startswith("| `"):
            assert line.count(" | ") >= 2 and _ROW.match(line), f"malformed row: {line}"
    assert _rows(), "no rows found"


@pytest.mark.parametrize(
    "name", [name for name, supported in _rows() if supported in ("yes", "partly")]
)
def test_supported_names_exist(name: str) -> None:
    _resolve(name)
