"""The command line: the worked example learns, and every subcommand has help."""

from __future__ import annotations

import re
import subprocess
import sys


def _plugtorch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "plugtorch.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_demo_loss_falls() -> None:
    result = _plugtorch("demo", "--steps", "100")
    assert result.returncode == 0, result.stderr
    losses = [float(v) for v in re.findall(r"loss ([0-9.]+)\n", result.stdout)]
    assert len(losses) >= 5
    assert losses[-1] < losses[0] / 10
    assert "w = 3.0" in result.stdout or "w = 2.9" in result.stdout


def test_help_lists_commands() -> None:
    result = _plugtorch("--help")
    assert result.returncode == 0
    for command in ("backends", "demo", "train", "evaluate", "conformance"):
        assert command in result.stdout


def test_unknown_command_fails() -> None:
    assert _plugtorch("nosuch").returncode != 0
