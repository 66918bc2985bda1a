"""Autograd overhead: a chain of 100 small elementwise ops on 16-element tensors.

Reports microseconds per op for forward and forward+backward, next to the same chain in plain
numpy (no autograd, forward only) and in PyTorch when it is installed. Medians of repeated runs
after warm-up, all in one process.

    python benchmarks/bench_autograd_overhead.py [--backend NAME] [--repeats N] [--markdown]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable

import numpy as np

CHAIN = 100
SIZE = 16


def _median_us(run: Callable[[], Any], repeats: int) -> float:
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / CHAIN * 1e6


def _chain(x: Any) -> Any:
    # 100 ops: the usual mix of a small model's elementwise work.
    y = x
    for _ in range(CHAIN // 4):
        y = y * 1.0001
        y = y + 0.5
        y = y.tanh() if hasattr(y, "tanh") else np.tanh(y)
        y = y - x
    return y


def bench_plugtorch(backend: str | None, repeats: int) -> tuple[float, float]:
    import plugtorch as pt

    x = pt.randn(SIZE, backend=backend, requires_grad=True)

    def forward() -> Any:
        with pt.no_grad():
            return _chain(x)

    def forward_backward() -> None:
        _chain(x).sum().backward()
        x.grad = None

    return _median_us(forward, repeats), _median_us(forward_backward, repeats)


def bench_numpy(repeats: int) -> float:
    x = np.random.default_rng(0).standard_normal(SIZE).astype(np.float32)
    return _median_us(lambda: _chain(x), repeats)


def bench_torch(repeats: int) -> tuple[float, float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    x = torch.randn(SIZE, requires_grad=True)

    def forward() -> Any:
        with torch.no_grad():
            return _chain(x)

    def forward_backward() -> None:
        _chain(x).sum().backward()
        x.grad = None

    return _median_us(forward, repeats), _median_us(forward_backward, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()

    rows = [("numpy, no autograd", bench_numpy(args.repeats), None)]
    fwd, fwd_bwd = bench_plugtorch(args.backend, args.repeats)
    import plugtorch as pt

    name = pt.get_backend(args.backend).name
    rows.append((f"plugtorch ({name})", fwd, fwd_bwd))
    torch_result = bench_torch(args.repeats)
    if torch_result is not None:
        rows.append(("PyTorch CPU", *torch_result))
    header = ("framework", "forward µs/op", "forward+backward µs/op")
    lines = [header] + [(r[0], f"{r[1]:.2f}", "-" if r[2] is None else f"{r[2]:.2f}") for r in rows]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|---|---:|---:|")
        for line in lines[1:]:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(line[i]) for line in lines) for i in range(3)]
        for line in lines:
            print(
                "  ".join(
                    cell.rjust(widths[i]) if i else cell.ljust(widths[i])
                    for i, cell in enumerate(line)
                )
            )
    if torch_result is None:
        print("(PyTorch not installed: `pip install torch==2.13.0` adds its column)")


if __name__ == "__main__":
    main()
