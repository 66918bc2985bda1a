"""glibc's allocator thresholds (plugtorch.backend.malloc), set by the host backends."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

CODE = "from plugtorch_numpy import NumpyBackend; print(NumpyBackend().malloc_tuned)"


def _run(code: str, **env: str) -> str:
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PLUGTORCH_MALLOPT", "PLUGTORCH_NUMBA_MALLOPT")
    }
    full_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("name", ["PLUGTORCH_MALLOPT", "PLUGTORCH_NUMBA_MALLOPT"])
def test_the_thresholds_can_be_left_alone(name):
    assert _run(CODE, **{name: "0"}) == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only")
def test_the_numpy_backend_tunes_glibc():
    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert _run(CODE) == expected


def test_tuning_is_once_per_process_and_idempotent():
    code = "from plugtorch.backend.malloc import tune_malloc; print(tune_malloc() == tune_malloc())"
    assert _run(code) == "True"
