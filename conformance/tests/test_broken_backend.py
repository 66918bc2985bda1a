"""A backend whose import raises must not take plugtorch down with it.

A throw-away distribution (a ``*.dist-info`` folder with an ``entry_points.txt``) is put on
``PYTHONPATH`` of a fresh interpreter, exactly as ``pip install`` would leave it, registering
the backend ``broken`` whose module raises while being imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN_MODULE = '''
"""A backend package whose native library is missing."""
def _load_native_library():
    raise ImportError("libbroken_kernels.so: cannot open shared object file")

_load_native_library()

def create_backend():
    raise AssertionError("never reached")
'''


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    (root / "plugtorch_broken.py").write_text(BROKEN_MODULE)
    info = root / "plugtorch_broken-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: plugtorch-broken\nVersion: 0.1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[plugtorch.backends]\nbroken = plugtorch_broken:create_backend\n"
    )
    return root


def _python(site: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONPATH": str(site), **env}
    if "PLUGTORCH_BACKEND" not in env:
        full_env.pop("PLUGTORCH_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120
    )


def test_import_plugtorch_still_works(site: Path) -> None:
    result = _python(site, "import plugtorch as pt; print(pt.ones(2).sum().item())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2.0"


def test_plugtorch_backends_shows_it_broken_with_the_cause(site: Path) -> None:
    result = _python(site, "from plugtorch.cli import main; raise SystemExit(main(['backends']))")
    assert result.returncode == 0, result.stderr
    line = next(row for row in result.stdout.splitlines() if " broken " in f" {row} ")
    assert "plugtorch-broken" in line
    assert "failed to load" in line
    assert "libbroken_kernels.so" in line  # the cause
    assert "numpy" in result.stdout  # the healthy backends are still listed


def test_selecting_it_raises_with_the_original_traceback(site: Path) -> None:
    code = (
        "import plugtorch as pt\n"
        "try:\n"
        "    pt.ones(2, backend='broken')\n"
        "except pt.BackendError as error:\n"
        "    print(error)\n"
        "    print('CAUSE', type(error.__cause__).__name__)\n"
    )
    result = _python(site, code)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "'broken' is installed but failed to load" in out
    assert "Traceback (most recent call last)" in out
    assert "plugtorch_broken.py" in out and "_load_native_library" in out  # its own frames
    assert "ImportError: libbroken_kernels.so" in out
    assert "CAUSE ImportError" in out


def test_selecting_it_by_environment_variable_fails_with_the_traceback(site: Path) -> None:
    result = _python(site, "import plugtorch as pt; pt.ones(2)", PLUGTORCH_BACKEND="broken")
    assert result.returncode != 0
    assert "failed to load" in result.stderr
    assert "_load_native_library" in result.stderr
