"""``x ** n`` for whole Python-number exponents (and +-0.5): the core's fast path against the
backend's general ``pow`` primitive, side by side in one run, next to PyTorch when installed.

The input is 90,000 float32 standard-normal values (half of them negative: numpy's general
power path is slow for negative bases). "general pow" is the path every exponent took before
the fast path, reached by passing the exponent as a 0-d tensor (``x ** pt.tensor(3.0)``), which
still goes to the backend's ``pow`` primitive; "fast path" is ``x ** 3.0``. Forward alone, and
forward + backward of ``(x ** n).sum()``. Medians in milliseconds; PyTorch on one thread, as
numpy's ufuncs.

    python benchmarks/bench_pow.py [--backends numpy numba strict] [--repeat 30] [--size 90000]
"""

from __future__ import annotations

import argparse
import platform
from typing import Any, Callable

import numpy as np
from _timing import median_ms

EXPONENTS = (2.0, 3.0, 4.0, 5.0, -1.0, -2.0, -3.0, 0.5)


def _timings(x: Any, xg: Any, exponents: tuple[Any, ...], repeat: int) -> list[float]:
    """Medians of ``x ** e`` and of ``(xg ** e).sum().backward()`` for each exponent ``e``."""

    def forward(exponent: Any) -> Callable[[], Any]:
        return lambda: x**exponent

    def forward_backward(exponent: Any) -> Callable[[], None]:
        def run() -> None:
            (xg**exponent).sum().backward()
            xg.grad = None

        return run

    forwards = [median_ms(forward(e), repeat) for e in exponents]
    return forwards + [median_ms(forward_backward(e), repeat) for e in exponents]


def bench_plugtorch(backend: str, values: np.ndarray, repeat: int) -> dict[str, list[float]]:
    """Per exponent: forward general pow, forward fast path, fwd+bwd general, fwd+bwd fast."""
    import plugtorch as pt

    x = pt.tensor(values, backend=backend)
    xg = pt.tensor(values, backend=backend, requires_grad=True)
    return {
        f"{n:g}": _timings(x, xg, (pt.tensor(n, backend=backend), n), repeat) for n in EXPONENTS
    }


def bench_torch(values: np.ndarray, repeat: int) -> dict[str, list[float]] | None:
    """Per exponent: PyTorch's forward and fwd+bwd, or None without PyTorch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # one thread, as numpy's ufuncs (and steadier on a busy host)
    x = torch.tensor(values)
    xg = torch.tensor(values, requires_grad=True)
    return {f"{n:g}": _timings(x, xg, (n,), repeat) for n in EXPONENTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", nargs="+", default=["numpy", "numba", "strict"])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--size", type=int, default=90_000)
    args = parser.parse_args()
    values = np.random.default_rng(0).standard_normal(args.size).astype(np.float32)
    print(f"# x ** n, {args.size} float32 values (half negative), medians of {args.repeat} runs")
    print(f"# {platform.processor() or platform.machine()}, numpy {np.__version__}")
    torch_rows = bench_torch(values, args.repeat)
    header = "| backend | n | forward: general pow | forward: fast path | fwd+bwd: general pow "
    header += "| fwd+bwd: fast path |"
    if torch_rows is not None:
        header += " PyTorch forward | PyTorch fwd+bwd |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for backend in args.backends:
        for n, times in bench_plugtorch(backend, values, args.repeat).items():
            cells = " | ".join(f"{t:.3f}" for t in times)
            line = f"| {backend} | {n} | {cells} |"
            if torch_rows is not None:
                line += " " + " | ".join(f"{t:.3f}" for t in torch_rows[n]) + " |"
            print(line)


if __name__ == "__main__":
    main()
