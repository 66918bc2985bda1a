"""Every CUDA source of the package compiles for sm_80 and sm_90 with NVRTC, without a GPU
(CuPy's low-level bindings; the high-level helpers would ask the device first), and every
kernel the Python side launches is in the binary."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from conftest import nvrtc_or_skip
from plugtorch_cupy import _fused, _kernels

ARCHS = ("sm_80", "sm_90")
FLOATS = ("float32", "float64")
EXPECTED = {
    "reduce.cu": [
        f"reduce_{kind}_{op}_{t}"
        for kind in ("rows", "cols")
        for op in ("sum", "max", "min")
        for t in ("float32", "float64", "int64")
    ],
    "matmul.cu": [f"matmul_tiled_{t}" for t in FLOATS],
    "conv_pool.cu": [
        f"{name}_{t}"
        for name in (
            "conv2d_forward",
            "conv2d_backward_input",
            "conv2d_backward_weight",
            "max_pool2d_forward",
            "max_pool2d_backward",
            "avg_pool2d_forward",
            "avg_pool2d_backward",
        )
        for t in FLOATS
    ],
    "softmax.cu": [f"{n}_{t}" for n in ("softmax", "log_softmax", "cross_entropy") for t in FLOATS],
    "layer_norm.cu": [
        f"layer_norm_{n}_{t}"
        for n in ("forward", "backward_input", "backward_params")
        for t in FLOATS
    ],
    "adam.cu": [f"adam_step_{t}" for t in FLOATS],
}


def test_sources_keep_lines_within_100_columns() -> None:
    for path in Path(_kernels.KERNEL_DIR).iterdir():
        long = [n for n, line in enumerate(path.read_text().splitlines(), 1) if len(line) > 100]
        assert not long, f"{path.name}: lines {long} are longer than 100 columns"


def test_every_kernel_file_is_listed() -> None:
    on_disk = {p.name for p in Path(_kernels.KERNEL_DIR).glob("*.cu")}
    assert on_disk == set(_kernels.KERNEL_FILES) | {_fused.TEMPLATE.name}
    assert set(EXPECTED) == set(_kernels.KERNEL_FILES)


def _compile(job: tuple[str, str]) -> bytes | str:
    filename, arch = job
    try:
        return _kernels.compile_for_arch(_kernels.source(filename), filename, arch)
    except _kernels.CompileError as error:
        return str(error)


@pytest.fixture(scope="module")
def binaries() -> dict[tuple[str, str], bytes | str]:
    """Every (file, arch) compiled once, two processes at a time (SASS generation for the
    reduction file alone takes seconds)."""
    nvrtc_or_skip()
    jobs = [(f, arch) for f in _kernels.KERNEL_FILES for arch in ARCHS]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return dict(zip(jobs, pool.map(_compile, jobs)))


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("filename", _kernels.KERNEL_FILES)
def test_kernel_file_compiles(binaries: dict, filename: str, arch: str) -> None:
    cubin = binaries[filename, arch]
    assert isinstance(cubin, bytes), cubin
    assert cubin[:4] == b"\x7fELF"
    for name in EXPECTED[filename]:
        assert name.encode() + b"\x00" in cubin, f"{name} missing from {filename}"


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_fused_chain_with_every_primitive_compiles(dtype: str, arch: str) -> None:
    nvrtc = nvrtc_or_skip()
    chain = tuple((name, 0) for name in _fused.UNARY)
    chain += tuple((name, 1, 2 + k) for k, name in enumerate(_fused.BINARY))
    text = _kernels.with_prelude(_fused.render(chain, 2, dtype))
    cubin = _kernels.compile_for_arch(text, "fused_elementwise.cu", arch, nvrtc)
    assert b"fused_contiguous\x00" in cubin and b"fused_strided\x00" in cubin


def test_compile_errors_name_the_line() -> None:
    nvrtc = nvrtc_or_skip()
    text = _kernels.with_prelude('extern "C" __global__ void broken(float* x) { x[0] = y; }')
    with pytest.raises(_kernels.CompileError, match=r"(?s)broken\.cu.*sm_90.*\(\d+\).*undefined"):
        _kernels.compile_for_arch(text, "broken.cu", "sm_90", nvrtc)
