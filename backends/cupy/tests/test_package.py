"""Packaging and availability: the package installs and imports anywhere; without CuPy, a
driver or a GPU the backend is listed as unavailable with the reason, and selecting it raises
that reason; the protocol is complete either way."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from importlib.metadata import entry_points
from pathlib import Path

import plugtorch_cupy
import pytest
from conftest import FOUND
from plugtorch_cupy import _probe

import plugtorch as pt
from plugtorch.backend import registry

PACKAGE = Path(plugtorch_cupy.__file__).parent


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip()


def test_entry_point_and_protocol() -> None:
    names = {ep.name: ep.value for ep in entry_points(group="plugtorch.backends")}
    assert names.get("cupy") == "plugtorch_cupy:create_backend"
    backend = plugtorch_cupy.create_backend()
    registry.check_backend(backend, "cupy")  # every required primitive is there
    assert backend.name == "cupy" and backend.capabilities.host_memory is False
    assert backend.capabilities.dlpack
    for name in ("reshape", "setitem_inplace", "binary_inplace", "add_scaled_inplace",
                 "strides", "data_ptr", "storage_info", "as_strided"):  # fmt: skip
        assert callable(getattr(backend, name)), name
    assert set(plugtorch_cupy.KERNEL_PRIMITIVES) <= set(pt.backend.protocol.OPTIONAL_PRIMITIVES)


@pytest.mark.skipif(not FOUND.reason, reason="a GPU is usable here")
def test_unavailable_here_with_the_reason() -> None:
    backend = plugtorch_cupy.create_backend()
    ok, reason = backend.is_available()
    assert not ok and reason == FOUND.reason
    assert any(word in reason for word in ("CuPy is not installed", "no CUDA driver", "no CUDA"))
    assert backend.capabilities.primitives == frozenset()  # nothing declared without a GPU
    info = {i.name: i for i in pt.list_backends()}["cupy"]
    assert not info.available and info.reason == reason and info.package == "plugtorch-cupy"
    with pytest.raises(registry.BackendError, match="not available here: " + reason[:20]):
        pt.zeros(2, backend="cupy")
    with pytest.raises(registry.BackendError, match="not available"):
        pt.set_backend("cupy")


@pytest.mark.skipif(not FOUND.reason, reason="a GPU is usable here")
def test_cli_lists_cupy_as_unavailable() -> None:
    out = _run("from plugtorch.cli import main; main(['backends'])")
    line = next(row for row in out.splitlines() if row.split()[:1] == ["cupy"])
    assert "unavailable" in line and FOUND.reason[:30] in line


def test_import_without_cupy_reports_it_is_missing() -> None:
    out = _run(
        "import sys; sys.modules['cupy'] = None\n"
        "import plugtorch_cupy, plugtorch as pt\n"
        "b = plugtorch_cupy.create_backend()\n"
        "ok, reason = b.is_available(); print(ok); print(reason)\n"
        "try:\n    b.full((2,), 1.0, pt.float32)\n"
        "except RuntimeError as e:\n    print('use:', e)\n"
    )
    ok, reason, use = out.splitlines()
    assert ok == "False"
    assert reason.startswith("CuPy is not installed") and "plugtorch-cupy[cuda12]" in reason
    assert use.startswith("use: the cupy backend is not available here: CuPy is not installed")


def _fake_cupy(count: int | Exception, nvrtc_error: Exception | None = None) -> types.ModuleType:
    def get_device_count() -> int:
        if isinstance(count, Exception):
            raise count
        return count

    def nvrtc_version() -> tuple[int, int]:
        if nvrtc_error is not None:
            raise nvrtc_error
        return (12, 9)

    cupy = types.ModuleType("cupy")
    cupy.__version__ = "99.0"  # type: ignore[attr-defined]
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    nvrtc = types.ModuleType("cupy.cuda.nvrtc")
    nvrtc.getVersion = nvrtc_version  # type: ignore[attr-defined]
    cuda = types.ModuleType("cupy.cuda")
    cuda.runtime = runtime  # type: ignore[attr-defined]
    cuda.nvrtc = nvrtc  # type: ignore[attr-defined]
    cupy.cuda = cuda  # type: ignore[attr-defined]
    return cupy


@pytest.mark.parametrize(
    "count,expected",
    [
        (RuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient"),
         "no CUDA driver: CuPy 99.0 found no usable NVIDIA driver"),
        (RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"),
         "no CUDA device: cudaErrorNoDevice"),
        (0, "no CUDA device visible"),
        (2, ""),
    ],
)  # fmt: skip
def test_probe_reasons(monkeypatch: pytest.MonkeyPatch, count: object, expected: str) -> None:
    fake = _fake_cupy(count)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setitem(sys.modules, "cupy.cuda", fake.cuda)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nvrtc", fake.cuda.nvrtc)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    found = _probe.probe()
    assert found.reason.startswith(expected) if expected else found.reason == ""
    if count == 0:
        assert "CUDA_VISIBLE_DEVICES=''" in found.reason
    if count == 2:
        assert found.device_count == 2 and found.kernels_reason == ""


def test_probe_without_nvrtc_keeps_cupy_but_turns_kernels_off(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake = _fake_cupy(1, OSError("libnvrtc.so.12: cannot open shared object file"))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setitem(sys.modules, "cupy.cuda", fake.cuda)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nvrtc", fake.cuda.nvrtc)
    found = _probe.probe()
    assert found.reason == "" and "NVRTC is missing" in found.kernels_reason
    monkeypatch.setenv("PLUGTORCH_CUPY_KERNELS", "0")
    assert "PLUGTORCH_CUPY_KERNELS=0" in _probe.probe().kernels_reason


def test_kernel_sources_ship_with_the_package() -> None:
    names = {p.name for p in (PACKAGE / "kernels").iterdir()}
    assert {"common.cuh", "reduce.cu", "fused_elementwise.cu"} <= names
    pyproject = (PACKAGE.parents[1] / "pyproject.toml").read_text()
    assert '"kernels/*.cu", "kernels/*.cuh"' in pyproject
    assert 'cuda12 = ["cupy-cuda12x' in pyproject and "nvidia-cuda-nvrtc-cu12" in pyproject


def test_gpu_only_code_is_lint_clean() -> None:
    """Code that runs only with a GPU is still linted here (ruff, the project's settings)."""
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment (requirements/dev.txt pins it)")
    root = PACKAGE.parents[3]
    targets = [str(PACKAGE.parents[2]), str(root / "src/plugtorch/cuda")]
    done = subprocess.run(
        [str(ruff), "check", "--no-cache", *targets], cwd=root, capture_output=True, text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
