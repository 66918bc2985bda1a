"""Backend selection, discovery and the errors a user sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.backend import ArrayAPIBackend, BackendError, registry
from plugtorch.backend.protocol import REQUIRED_PRIMITIVES

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **env}
    full_env.pop("PLUGTORCH_BACKEND", None) if "PLUGTORCH_BACKEND" not in env else None
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_unknown_backend_from_environment_names_variable_and_lists_numpy() -> None:
    result = _run("import plugtorch as pt; pt.ones(2)", PLUGTORCH_BACKEND="nosuch")
    assert result.returncode != 0
    assert "PLUGTORCH_BACKEND" in result.stderr
    assert "numpy" in result.stderr
    assert "pip install" in result.stderr


def test_unknown_backend_suggests_close_match() -> None:
    with pytest.raises(BackendError, match="Did you mean 'numpy'"):
        pt.zeros(2, backend="numpyy")
    with pytest.raises(BackendError, match="backend= argument"):
        pt.zeros(2, backend="numpyy")


def test_importing_plugtorch_imports_no_backend_library() -> None:
    result = _run(
        "import sys, plugtorch\n"
        "bad = [m for m in ('numba', 'cupy', 'plugtorch_numpy', 'plugtorch_numba') "
        "if m in sys.modules]\n"
        "print(bad)\n"
        "plugtorch.ones(1)\n"
        "print('numba' in sys.modules, 'cupy' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[]", "False False"]


def test_selection_order() -> None:
    with pt.use_backend("numpy"):
        assert pt.zeros(1).backend.name == "numpy"
    strict = ArrayAPIBackend(np, name="numpy-generic")
    pt.register_backend("numpy-generic", strict)
    try:
        with pt.use_backend("numpy-generic"):
            assert pt.zeros(1).backend.name == "numpy-generic"
            assert pt.zeros(1, backend="numpy").backend.name == "numpy"
        pt.set_backend("numpy-generic")
        assert pt.zeros(1).backend.name == "numpy-generic"
        with pt.use_backend("numpy"):
            assert pt.zeros(1).backend.name == "numpy"
    finally:
        pt.set_backend(None)
    assert registry.current_backend_name()[1] in ("default", "environment")


def test_mixing_backends_raises_and_says_how_to_move() -> None:
    pt.register_backend("numpy-generic", ArrayAPIBackend(np, name="numpy-generic"))
    a = pt.ones(2)
    b = pt.ones(2, backend="numpy-generic")
    with pytest.raises(RuntimeError, match=r"t\.to\("):
        a + b
    moved = b.to("numpy")
    assert (a + moved).tolist() == [2.0, 2.0]


def test_gradient_flows_across_backend_move() -> None:
    pt.register_backend("numpy-generic", ArrayAPIBackend(np, name="numpy-generic"))
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("numpy-generic") * 3
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0] and x.grad.backend.name == "numpy"


def test_protocol_checks_name_missing_primitives_and_versions() -> None:
    class Incomplete:
        name = "incomplete"
        api_version = (1, 0)
        capabilities = None

        def is_available(self):
            return True, ""

    pt.register_backend("incomplete", Incomplete())
    with pytest.raises(BackendError, match="missing required parts.*matmul"):
        pt.zeros(1, backend="incomplete")

    future = ArrayAPIBackend(np, name="future")
    future.api_version = (99, 0)
    pt.register_backend("future", future)
    with pytest.raises(BackendError, match=r"protocol 99\.0.*speaks protocol 1\.1"):
        pt.zeros(1, backend="future")


def test_the_docs_give_the_number_of_required_primitives() -> None:
    count = f"{len(REQUIRED_PRIMITIVES)} "
    for doc, phrase in (
        ("README.md", "strict primitives"),
        ("docs/backend-authoring.md", "required primitives with array-API names"),
        ("docs/architecture.md", "required primitives, not"),
    ):
        text = (ROOT / doc).read_text()
        assert count + phrase in text, f"{doc}: say '{count}{phrase}' (protocol.py's count)"


def test_unavailable_backend_gives_reason() -> None:
    class Sleepy(ArrayAPIBackend):
        def is_available(self):
            return False, "no GPU here (cudaErrorNoDevice)"

    pt.register_backend("sleepy", Sleepy(np, name="sleepy"))
    with pytest.raises(BackendError, match="no GPU here"):
        pt.zeros(1, backend="sleepy")
    infos = {info.name: info for info in pt.list_backends()}
    assert not infos["sleepy"].available and "no GPU" in infos["sleepy"].reason


def test_failing_factory_is_reported_with_traceback() -> None:
    def factory():
        raise ImportError("libfoo.so not found")

    pt.register_backend("broken-factory", factory)
    with pytest.raises(BackendError, match="failed to load.*libfoo.so") as info:
        pt.zeros(1, backend="broken-factory")
    assert "Traceback" in str(info.value)
    listed = {i.name: i for i in pt.list_backends()}["broken-factory"]
    assert not listed.available and "libfoo" in listed.reason


def test_generic_adapter_runs_a_model() -> None:
    pt.register_backend("numpy-generic", ArrayAPIBackend(np, name="numpy-generic"))
    with pt.use_backend("numpy-generic"):
        w = pt.randn(3, 1, requires_grad=True)
        x = pt.randn(8, 3)
        loss = ((x @ w - 1.0) ** 2).mean()
        loss.backward()
        assert w.grad.shape == (3, 1) and w.grad.backend.name == "numpy-generic"


def test_cli_backends_lists_numpy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "plugtorch.cli", "backends"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "numpy" in result.stdout and "plugtorch-numpy" in result.stdout


def test_backends_command_prints_descriptions_and_survives_a_failing_one(capsys) -> None:
    import argparse

    from plugtorch.commands.backends import run

    class Described(ArrayAPIBackend):
        description = "kernels from the test"

    class Broken(ArrayAPIBackend):
        @property
        def description(self) -> str:
            raise RuntimeError("no description today")

    pt.register_backend("described", Described(np, name="described"))
    pt.register_backend("broken-description", Broken(np, name="broken-description"))
    assert run(argparse.Namespace(json=False)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "described: kernels from the test" in lines
    assert any(line.startswith("broken-description: (its description failed") for line in lines)
