"""Packaging behaviour: generated kernels current, cache directory, missing numba, no JIT."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import plugtorch_numba
from plugtorch_numba import _generate


def _run(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    full_env.update(env)
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip()


def test_generated_kernels_are_current():
    path = Path(_generate.__file__).with_name("_elementwise_kernels.py")
    assert path.read_text() == _generate.render(), "run python -m plugtorch_numba._generate"


def test_entry_point_and_availability():
    names = {ep.name: ep.value for ep in entry_points(group="plugtorch.backends")}
    assert names.get("numba") == "plugtorch_numba:create_backend"
    backend = plugtorch_numba.create_backend()
    assert backend.name == "numba" and backend.is_available() == (True, "")


def test_cache_dir_defaults_to_repo_build_folder():
    out = _run("import os, plugtorch_numba; print(os.environ['NUMBA_CACHE_DIR'])")
    repo = Path(plugtorch_numba.__file__).resolve().parents[4]
    # one folder per version of the package's sources (kernels inline helpers from other files)
    assert Path(out).parent == repo / "build" / "numba-cache"
    assert re.fullmatch(r"[0-9a-f]{16}", Path(out).name)
    assert (
        _run(
            "import os, plugtorch_numba; print(os.environ['NUMBA_CACHE_DIR'])",
            NUMBA_CACHE_DIR="/tmp/x-numba",
        )
        == "/tmp/x-numba"
    )


def test_missing_numba_reports_unavailable():
    code = (
        "import sys; sys.modules['numba'] = None; import plugtorch_numba; "
        "b = plugtorch_numba.create_backend(); print(b.is_available()[0]); "
        "print(b.is_available()[1])"
    )
    available, reason = _run(code).splitlines()
    assert available == "False" and "numba" in reason and "pip install" in reason


def test_disable_jit_still_works():
    code = (
        "import numpy as np; from plugtorch_numba import NumbaBackend; "
        "b = NumbaBackend(min_parallel_size=0, min_elementwise_size=0); "
        "x = np.arange(12.).reshape(3, 4); "
        "print(b.add(x, x.T.T).sum(), b.sum(x, (1,), False).tolist())"
    )
    assert _run(code, NUMBA_DISABLE_JIT="1") == "132.0 [6.0, 22.0, 38.0]"


def test_malloc_thresholds_can_be_left_alone():
    code = "from plugtorch_numba import NumbaBackend; print(NumbaBackend().malloc_tuned)"
    assert _run(code, PLUGTORCH_NUMBA_MALLOPT="0") == "False"
    if sys.platform.startswith("linux"):
        expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
        assert _run(code) == expected


_SPIN = (
    "import numpy as np; from plugtorch_numba import NumbaBackend, _blas; "
    "b = NumbaBackend(); a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) % 7; "
    "ok = np.array_equal(a @ a, (a.astype(np.float64) @ a).astype(np.float32)); "
    "print(b.mkl is not None, b.blas_spin_shortened, _blas.spin_log2(), ok)"
)


def test_openblas_spin_is_shortened_when_mkl_does_the_gemms():
    mkl, shortened, log2, ok = _run(_SPIN, PLUGTORCH_NUMBA_BLAS="mkl").split()
    assert ok == "True"  # the threads restarted after the shutdown compute the same product
    if mkl == "True" and log2 != "None":
        assert (shortened, log2) == ("True", "18")
    else:  # no MKL here, or no OpenBLAS of known symbols (numpy on MKL or Accelerate)
        assert shortened == "False"


def test_openblas_spin_is_left_alone_when_openblas_does_the_gemms():
    mkl, shortened, log2, ok = _run(_SPIN, PLUGTORCH_NUMBA_BLAS="openblas").split()
    assert (mkl, shortened, ok) == ("False", "False", "True")
    assert log2 in ("None", "0")  # OpenBLAS's own 2^28 cycles


def test_openblas_spin_can_be_left_alone():
    _, shortened, log2, _ = _run(
        _SPIN, PLUGTORCH_NUMBA_BLAS="mkl", PLUGTORCH_NUMBA_BLAS_SPIN="0"
    ).split()
    assert shortened == "False" and log2 in ("None", "0")
    _, shortened, log2, _ = _run(
        _SPIN, PLUGTORCH_NUMBA_BLAS="mkl", OPENBLAS_THREAD_TIMEOUT="20"
    ).split()
    assert shortened == "False" and log2 in ("None", "20")  # the user's own setting stands


def test_shorten_spin_sets_the_timeout_and_products_stay_right():
    code = (
        "import numpy as np; from plugtorch_numba import _blas; "
        "a = np.arange(256 * 256, dtype=np.float32).reshape(256, 256) % 7; a @ a; "
        "done = _blas.shorten_spin(); "
        "ok = np.array_equal(a @ a, (a.astype(np.float64) @ a).astype(np.float32)); "
        "print(done, _blas.spin_shortened(), _blas.spin_log2(), ok)"
    )
    done, shortened, log2, ok = _run(code).split()
    assert ok == "True" and done == shortened
    if log2 != "None":  # an OpenBLAS of known symbols: the mechanism must work
        assert (done, log2) == ("True", "18")
