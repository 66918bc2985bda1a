"""Optimizer steps in place: memory allocated and time per step on a 10M-parameter model.

Parameters are updated where they lie (protocol 1.1's mutable tier: ``add_scaled_inplace``,
``binary_inplace``, the fused ``adam_step_inplace``), so a step should allocate no array the size
of a parameter. This measures the peak of Python-traced allocations during one step (numpy
reports its buffers to ``tracemalloc``) and the median step time, per backend and optimizer,
side by side in one process.

    python benchmarks/bench_inplace.py [--params 10000000] [--repeat 7] [--markdown]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from typing import Any, Callable

import plugtorch as pt

OPTIMIZERS: dict[str, Callable[[list[Any]], Any]] = {
    "SGD": lambda params: pt.optim.SGD(params, lr=0.01),
    "SGD momentum": lambda params: pt.optim.SGD(params, lr=0.01, momentum=0.9),
    "Adam": lambda params: pt.optim.Adam(params, lr=1e-3),
    "AdamW": lambda params: pt.optim.AdamW(params, lr=1e-3),
}


def _model(backend: str, total: int) -> list[Any]:
    """Four parameters of a 10M model's typical shapes (two matrices, two vectors)."""
    side = int((total // 2 - total // 100) ** 0.5)
    shapes = [(side, side), (side, side), (side,), (total - 2 * side * side - side,)]
    params = []
    for shape in shapes:
        param = pt.nn.Parameter(pt.randn(*shape, backend=backend) * 0.01)
        param.grad = pt.randn(*shape, backend=backend)
        params.append(param)
    return params


def measure(backend: str, name: str, total: int, repeat: int) -> tuple[float, float, int]:
    """(peak MB allocated in one step, median ms per step, bytes of the largest parameter)."""
    params = _model(backend, total)
    optimizer = OPTIMIZERS[name](params)
    for _ in range(2):  # state (momentum buffers, moments) exists from here on
        optimizer.step()
    tracemalloc.start()
    optimizer.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        optimizer.step()
        times.append(time.perf_counter() - start)
    largest = max(p.nbytes for p in params)
    return peak / 1e6, statistics.median(times) * 1e3, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    backends = [i.name for i in pt.list_backends() if i.available and i.name in ("numpy", "numba")]
    rows = []
    for backend in backends:
        for name in OPTIMIZERS:
            peak, ms, largest = measure(backend, name, args.params, args.repeat)
            rows.append((backend, name, peak, largest / 1e6, ms))
    header = (
        "| backend | optimizer | peak allocated in a step (MB) | largest parameter (MB) | ms/step |"
    )
    print(header)
    print("|---|---|---:|---:|---:|")
    for backend, name, peak, largest, ms in rows:
        print(f"| {backend} | {name} | {peak:.2f} | {largest:.1f} | {ms:.2f} |")


if __name__ == "__main__":
    main()
