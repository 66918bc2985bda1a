"""The cupy backend's GPU benchmark, run by ``backends/cupy/gpu-check`` (needs a GPU).

Two parts, one process:

1. The numba benchmark's cases (``benchmarks/bench_numba.py``: elementwise chains, reductions,
   matmul, conv2d forward+backward, a LeNet and a DigitsNet training step) through plugtorch's
   public API on numpy, numba and cupy side by side; cupy times include a device synchronize.
2. The figures the issue asks for: elementwise throughput at 1e8 float32 elements and a sum
   of 1e8 elements as fractions of the card's memory bandwidth (nominal, from the device
   properties, and a measured device-to-device copy), the own tiled matmul at 4096x4096
   float32 against cuBLAS, the fused ``x*y + sin(x)`` kernel against CuPy's three ufuncs, and
   a DigitsNet training step at batch 256 on cupy against numba.

    python backends/cupy/bench_gpu.py [--markdown PATH] [--repeat N] [--skip-cases]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_numba  # noqa: E402 (the shared cases live next to the numba benchmark)
from _timing import median_ms  # noqa: E402

import plugtorch as pt  # noqa: E402
from plugtorch.backend import registry  # noqa: E402

__all__ = ["main"]


def _cupy() -> Any:
    import cupy

    return cupy


def _synced(fn: Callable[[], Any]) -> Callable[[], Any]:
    cupy = _cupy()

    def run() -> Any:
        out = fn()
        cupy.cuda.runtime.deviceSynchronize()
        return out

    return run


def _gpu_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median of CUDA-event timings of ``fn`` after warm-up (kernel time, no Python gaps)."""
    cupy = _cupy()
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeat):
        start, stop = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, stop))
    return float(np.median(times))


def shared_cases(repeat: int) -> list[tuple[str, ...]]:
    cases = (
        bench_numba._elementwise_cases()
        + bench_numba._reduction_cases()
        + bench_numba._matmul_cases()
        + bench_numba._conv_cases()
    )
    rows = []
    for label, ours, _ in cases:
        t_np = median_ms(ours("numpy"), repeat)
        t_nb = median_ms(ours("numba"), repeat)
        t_cp = median_ms(_synced(ours("cupy")), repeat)
        rows.append((label, f"{t_np:.2f}", f"{t_nb:.2f}", f"{t_cp:.3f}", f"{t_np / t_cp:.1f}x"))
        print(" | ".join(rows[-1]), flush=True)
    return rows


def bandwidth() -> tuple[float, float]:
    """(nominal GB/s from the device properties, measured device-to-device copy GB/s)."""
    cupy = _cupy()
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.runtime.getDevice())
    nominal = 2 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8 / 1e9
    x = cupy.ones(10**8 * 2, dtype=cupy.float32)
    y = cupy.empty_like(x)
    ms = _gpu_ms(lambda: cupy.copyto(y, x), 10)
    return nominal, 2 * x.nbytes / ms / 1e6


def gpu_figures(repeat: int) -> list[tuple[str, str]]:
    cupy = _cupy()
    backend = registry.get_backend("cupy")
    nominal, copy = bandwidth()
    rows = [
        ("device", pt.cuda.get_device_name()),
        ("memory bandwidth", f"nominal {nominal:.0f} GB/s, device copy {copy:.0f} GB/s"),
    ]
    n = 10**8
    x = pt.randn(n, device="cuda")
    y = pt.randn(n, device="cuda")
    ms = _gpu_ms(lambda: x * y, repeat)
    gbs = 3 * 4 * n / ms / 1e6
    rows.append(
        ("x * y, 1e8 f32 (plugtorch -> CuPy ufunc)",
         f"{ms:.3f} ms, {gbs:.0f} GB/s = {gbs / nominal:.0%} of nominal, {gbs / copy:.0%} of copy")
    )  # fmt: skip
    chain = (("multiply", 0, 1), ("sin", 0), ("add", 2, 3))
    xd, yd = x._data, y._data
    fused = _gpu_ms(lambda: backend.fused_elementwise(chain, (xd, yd)), repeat)
    ufuncs = _gpu_ms(lambda: xd * yd + cupy.sin(xd), repeat)
    gbs = 3 * 4 * n / fused / 1e6
    rows.append(
        ("x*y + sin(x), 1e8 f32: fused kernel / CuPy ufuncs",
         f"{fused:.3f} / {ufuncs:.3f} ms ({gbs:.0f} GB/s fused = {gbs / nominal:.0%} of nominal)")
    )  # fmt: skip
    own = _gpu_ms(lambda: backend.sum(xd, (0,), False), repeat)
    theirs = _gpu_ms(lambda: cupy.sum(xd), repeat)
    gbs = 4 * n / own / 1e6
    rows.append(
        ("sum of 1e8 f32: own kernel / cupy.sum",
         f"{own:.3f} / {theirs:.3f} ms ({gbs:.0f} GB/s own = {gbs / nominal:.0%} of nominal)")
    )  # fmt: skip
    big = cupy.asarray(np.random.default_rng(0).standard_normal((4096, 4096), dtype=np.float32))
    error = float(cupy.abs(backend.matmul_tiled(big, big) - cupy.matmul(big, big)).max())
    own = _gpu_ms(lambda: backend.matmul_tiled(big, big), repeat)
    cublas = _gpu_ms(lambda: cupy.matmul(big, big), repeat)
    flop = 2 * 4096**3
    rows.append(
        ("matmul 4096^2 f32: own tiled / cuBLAS",
         f"{flop / own / 1e9:.1f} / {flop / cublas / 1e9:.1f} TFLOP/s = {cublas / own:.0%} of "
         f"cuBLAS (max abs difference {error:.2e})")
    )  # fmt: skip
    for label, ms in _digits_step_times(repeat).items():
        rows.append((f"DigitsNet training step, batch 256, Adam: {label}", f"{ms:.2f} ms"))
    return rows


def _digits_step_times(repeat: int) -> dict[str, float]:
    """The numba benchmark's DigitsNet training step (Adam) at batch 256, numba and cupy."""
    _, step_on, _ = bench_numba._digits_case(batch=256)
    return {
        "numba": median_ms(step_on("numba"), repeat),
        "cupy": median_ms(_synced(step_on("cupy")), repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--skip-cases", action="store_true", help="only the GPU figures")
    args = parser.parse_args()
    started = time.perf_counter()
    lines = ["| figure | measured |", "|---|---|"]
    for label, value in gpu_figures(args.repeat):
        print(f"{label}: {value}", flush=True)
        lines.append(f"| {label} | {value} |")
    if not args.skip_cases:
        header = ("case", "numpy ms", "numba ms", "cupy ms", "numpy/cupy")
        print(" | ".join(header))
        lines += ["", "| " + " | ".join(header) + " |", "|---|---:|---:|---:|---:|"]
        lines += ["| " + " | ".join(row) + " |" for row in shared_cases(args.repeat)]
    print(f"benchmark: {time.perf_counter() - started:.0f} s")
    if args.markdown:
        Path(args.markdown).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
