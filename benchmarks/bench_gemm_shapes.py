"""The model benchmarks' GEMM shapes through the numba backend's ``matmul`` with numpy's
OpenBLAS and with Intel MKL (``plugtorch-numba[mkl]``), next to ``torch.matmul``.

Operands are laid out as the training step hands them: the forward's ``x @ w.T`` and the
backward's ``x.T @ g`` are transposed views (marked ᵀ). One process; medians of ``--repeat``
runs after warm-up; with ``--threads 1`` the process's CPU time (steadier on a shared machine).

    python benchmarks/bench_gemm_shapes.py [--threads 1] [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import sample_ms  # noqa: E402

import plugtorch  # noqa: E402

# (label, left shape, right shape, left transposed, right transposed)
CASES = [
    ("gpt linear", (1024, 128), (128, 512), False, False),
    ("gpt linear", (1024, 512), (512, 128), False, False),
    ("gpt linear", (1024, 128), (128, 384), False, True),
    ("gpt grad W", (512, 1024), (1024, 128), True, False),
    ("lstm decoder", (700, 256), (256, 10000), False, True),
    ("lstm grad x", (700, 10000), (10000, 256), False, False),
    ("lstm grad W", (10000, 700), (700, 256), True, False),
    ("lstm step", (20, 256), (256, 1024), False, False),
    ("mlp/vae", (128, 784), (784, 512), False, True),
    ("mlp grad W", (512, 128), (128, 784), True, False),
    ("vae", (128, 784), (784, 400), False, True),
    ("vae", (128, 400), (400, 20), False, True),
    ("attention", (64, 64, 32), (64, 32, 64), False, True),
    ("attention", (64, 64, 64), (64, 64, 32), False, False),
]


def operand(rng: np.random.Generator, shape: tuple[int, ...], transposed: bool) -> np.ndarray:
    """A float32 array of ``shape``, stored transposed (a ``swapaxes`` view) when asked."""
    if not transposed:
        return rng.standard_normal(shape).astype(np.float32)
    stored = rng.standard_normal((*shape[:-2], shape[-1], shape[-2])).astype(np.float32)
    return np.swapaxes(stored, -1, -2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    from plugtorch_numba import NumbaBackend, _mkl

    plugtorch.set_num_threads(args.threads)
    backends = {"OpenBLAS": NumbaBackend(blas="openblas"), "MKL": NumbaBackend(blas="mkl")}
    if not backends["MKL"].is_available()[0]:
        del backends["MKL"]
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    clock = time.process_time if args.threads == 1 else time.perf_counter
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    vendor = _mkl.cpu_vendor() or "a CPU of unknown vendor"
    print(f"{args.threads} threads on {vendor}; load average {load}")
    print(f"the numba backend's default here: {NumbaBackend().blas}")
    names = [*backends, *(["PyTorch"] if torch is not None else [])]
    print(f"| product | shape | {' | '.join(names)} |")
    print(f"|---|---|{'---:|' * len(names)}")
    rng = np.random.default_rng(0)
    for label, left, right, left_t, right_t in CASES:
        x, y = operand(rng, left, left_t), operand(rng, right, right_t)
        calls = [lambda b=b: b.matmul(x, y) for b in backends.values()]  # noqa: B023
        if torch is not None:
            tx, ty = torch.from_numpy(x), torch.from_numpy(y)
            calls.append(lambda: torch.matmul(tx, ty))  # noqa: B023
        times = [np.median(sample_ms(call, args.repeat, clock=clock)) for call in calls]
        shape = f"{left}{'ᵀ' if left_t else ''} @ {right}{'ᵀ' if right_t else ''}"
        print(f"| {label} | {shape} | {' | '.join(f'{t:.3f}' for t in times)} |", flush=True)


if __name__ == "__main__":
    main()
