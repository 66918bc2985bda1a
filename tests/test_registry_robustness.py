"""The backend registry under misbehaving plugins and mistyped names (issue #14)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.backend import ArrayAPIBackend, BackendError, registry


class _Unavailable(ArrayAPIBackend):
    def is_available(self) -> tuple[bool, str]:
        return False, "needs a device this machine lacks"


class _RaisingCheck(ArrayAPIBackend):
    def is_available(self) -> tuple[bool, str]:
        raise RuntimeError("driver probe crashed")


def test_unavailable_backend_stays_unselectable_after_listing() -> None:
    # list_backends() used to cache the loaded object where get_backend() took it unchecked.
    pt.register_backend("never-here", _Unavailable(np, name="never-here"))
    listed = {info.name: info for info in pt.list_backends()}
    assert not listed["never-here"].available
    for _ in range(2):
        with pytest.raises(BackendError, match="not available here: needs a device"):
            pt.get_backend("never-here")
        with pytest.raises(BackendError, match="not available"):
            pt.zeros(2, backend="never-here")


def test_is_available_that_raises_is_a_backend_error_naming_the_plugin() -> None:
    pt.register_backend("raising-check", _RaisingCheck(np, name="raising-check"))
    with pytest.raises(BackendError, match="'raising-check' failed its availability check.*"
                       "RuntimeError: driver probe crashed"):  # fmt: skip
        pt.get_backend("raising-check")
    info = {i.name: i for i in pt.list_backends()}["raising-check"]
    assert not info.available and "driver probe crashed" in info.reason


def test_factory_raising_system_exit_is_reported_not_obeyed() -> None:
    def factory() -> None:
        raise SystemExit(3)

    pt.register_backend("exits", factory)
    with pytest.raises(BackendError, match="'exits' is installed but failed to load: SystemExit"):
        pt.get_backend("exits")
    info = {i.name: i for i in pt.list_backends()}["exits"]
    assert not info.available and "SystemExit" in info.reason


def test_keyboard_interrupt_still_propagates() -> None:
    def factory() -> None:
        raise KeyboardInterrupt

    pt.register_backend("interrupted", factory)
    with pytest.raises(KeyboardInterrupt):
        pt.get_backend("interrupted")
    registry.register_backend("interrupted", ArrayAPIBackend(np, name="interrupted"))


def test_typo_suggestions_name_each_backend_once_and_no_invented_package() -> None:
    with pytest.raises(BackendError) as caught:
        pt.get_backend("nunpy")
    message = str(caught.value)
    assert "Did you mean 'numpy'?" in message or "Did you mean 'numpy' or" in message
    assert message.count("'numpy'") == 1
    assert "plugtorch-nunpy" not in message
    assert "plugtorch.backends" in message
    # a well-known backend that is not installed names its real package
    assert "`pip install plugtorch-cupy`" in str(registry._unknown("cupy", "argument"))


def test_cli_backends_survives_a_plugin_that_exits(tmp_path) -> None:
    # A process-wide plugin registered through sitecustomize: `plugtorch backends` must list it
    # with the reason and exit 0 instead of exiting with the plugin's status and no output.
    (tmp_path / "sitecustomize.py").write_text(
        "import plugtorch\n"
        "def _exit():\n"
        "    raise SystemExit(3)\n"
        "plugtorch.register_backend('exits-at-load', _exit)\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    result = subprocess.run(
        [sys.executable, "-m", "plugtorch.cli", "backends"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "exits-at-load" in result.stdout and "SystemExit" in result.stdout
