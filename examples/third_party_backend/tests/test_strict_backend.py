"""The third-party example, installed from outside plugtorch's tree, seen from a user's side."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import plugtorch as pt

BIN = Path(sys.executable).parent


def _run(*command: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    if "PLUGTORCH_BACKEND" not in env:
        full_env.pop("PLUGTORCH_BACKEND", None)
    return subprocess.run(command, capture_output=True, text=True, env=full_env, timeout=300)


def test_plugtorch_backends_lists_it_with_its_package() -> None:
    result = _run(str(BIN / "plugtorch"), "backends", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["strict"]["package"] == "plugtorch-strict"
    assert rows["strict"]["available"] is True
    major, minor = pt.backend.API_VERSION  # the generic adapter speaks the core's version
    assert rows["strict"]["api_version"] == f"{major}.{minor}"


def test_environment_variable_selects_it_and_trains_a_model(tmp_path: Path) -> None:
    result = _run(
        str(BIN / "plugtorch"), "train", "xor", "--no-progress", "--json", "--out", str(tmp_path),
        PLUGTORCH_BACKEND="strict",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["backend"] == "strict"
    assert report["accuracy"] >= 0.9, report


def test_tensors_hold_array_api_strict_arrays() -> None:
    x = pt.tensor([[1.0, 2.0], [3.0, 4.0]], backend="strict", requires_grad=True)
    assert type(x._data).__module__.startswith("array_api_strict")
    (x @ x).sum().backward()
    host, ones = x.detach().numpy(), np.ones((2, 2))
    np.testing.assert_allclose(x.grad.numpy(), ones @ host.T + host.T @ ones)  # d sum(XX)/dX


def test_bools_are_ordered_as_numbers() -> None:
    # The standard orders real numbers only; the core compares bools as 0 and 1 itself, so the
    # backend needs no special case.
    a = pt.tensor([False, True, True], backend="strict")
    b = pt.tensor([True, True, False], backend="strict")
    assert (a < b).tolist() == [True, False, False]
    assert (a >= b).tolist() == [False, True, True]
    assert (a > False).tolist() == [False, True, True]
