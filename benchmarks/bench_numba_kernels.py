"""Primitive-level timings: the numpy reference backend against the numba backend.

Each row is a composite the core would issue as separate primitive calls (no fusion: a fused
kernel can only help once the core calls one). Medians of repeated runs after warm-up.

    python benchmarks/bench_numba_kernels.py [--markdown FILE] [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
from typing import Any, Callable

import numpy as np
from _timing import first_calls, median_ms
from plugtorch_numba import NumbaBackend
from plugtorch_numpy import NumpyBackend

F32 = np.float32


def expr_fma(b: Any, x: np.ndarray, y: np.ndarray, half: np.ndarray) -> np.ndarray:
    # x*y + 0.5*x - y, as the core issues it: 0.5 is a full() broadcast to x's shape
    return b.subtract(b.add(b.multiply(x, y), b.multiply(half, x)), y)


def expr_sin(b: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return b.add(b.multiply(x, y), b.sin(x))


def conv_numpy_im2col(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward + backward (grad_x, grad_w) of a stride-1 unpadded conv with numpy im2col."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = h - kh + 1, wd - kw + 1
    cols = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    cols = np.ascontiguousarray(cols.transpose(0, 2, 3, 1, 4, 5)).reshape(n * ho * wo, -1)
    y = (cols @ w.reshape(o, -1).T).reshape(n, ho, wo, o).transpose(0, 3, 1, 2)
    gy = np.ascontiguousarray(y.transpose(0, 2, 3, 1)).reshape(-1, o)  # grad_y := y
    grad_w = (gy.T @ cols).reshape(w.shape)
    grad_cols = (gy @ w.reshape(o, -1)).reshape(n, ho, wo, c, kh, kw)
    grad_x = np.zeros_like(x)
    for ki, kj in itertools.product(range(kh), range(kw)):
        grad_x[:, :, ki : ki + ho, kj : kj + wo] += grad_cols[:, :, :, :, ki, kj].transpose(
            0, 3, 1, 2
        )
    return grad_x, grad_w


def conv_backend(b: NumbaBackend, x: np.ndarray, w: np.ndarray) -> Any:
    y, cols = b.conv2d(x, w, (1, 1), (0, 0), (1, 1), 1)  # (the im2col columns: the state)
    return b.conv2d_backward(y, x, w, (1, 1), (0, 0), (1, 1), 1, state=cols)


_COMPILE_SNIPPET = """
import time, numpy as np
t0 = time.perf_counter()
from plugtorch_numba import NumbaBackend
b = NumbaBackend(min_parallel_size=0, min_elementwise_size=0)
x = np.ones((64, 1, 28, 28), np.float32); w = np.ones((6, 1, 5, 5), np.float32)
t1 = time.perf_counter()
b.add(x, x); t2 = time.perf_counter()
b.sum(x.reshape(64, -1), (1,), False); t3 = time.perf_counter()
b.conv2d_backward(b.conv2d(x, w, (1, 1), (0, 0), (1, 1), 1)[0], x, w, (1, 1), (0, 0), (1, 1), 1)
t4 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f} {t4 - t3:.3f}")
"""


def compile_times() -> list[tuple[str, str, str, str]]:
    rows = []
    for label, (imp, add, red, conv) in first_calls(_COMPILE_SNIPPET).items():
        rows.append(
            (
                f"first calls, {label}: import / add / sum / conv fwd+bwd",
                f"{imp * 1e3:.0f} ms import",
                f"{add * 1e3:.0f} / {red * 1e3:.0f} / {conv * 1e3:.0f} ms",
                "",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="skip the compile-time rows")
    args = parser.parse_args()
    ref, nb = NumpyBackend(), NumbaBackend()
    rng = np.random.default_rng(0)
    x = rng.random(10**7, dtype=F32)
    y = rng.random(10**7, dtype=F32)
    half = np.broadcast_to(np.full((), 0.5, F32), x.shape)
    xt = rng.random((4000, 2500), dtype=F32).T  # (2500, 4000) transposed views
    yt = rng.random((4000, 2500), dtype=F32).T
    halft = np.broadcast_to(np.full((), 0.5, F32), xt.shape)
    x2 = x.reshape(2500, 4000)
    row = np.broadcast_to(rng.random(4000, dtype=F32), x2.shape)
    half2 = np.broadcast_to(np.full((), 0.5, F32), x2.shape)
    big = rng.random((4096, 4096), dtype=F32)
    mats = {n: (rng.random((n, n), dtype=F32), rng.random((n, n), dtype=F32)) for n in (512, 2048)}
    ba, bb = rng.random((64, 128, 128), dtype=F32), rng.random((64, 128, 128), dtype=F32)
    img = rng.standard_normal((64, 1, 28, 28)).astype(F32)
    w1 = rng.standard_normal((6, 1, 5, 5)).astype(F32)
    act = rng.standard_normal((64, 6, 12, 12)).astype(F32)
    w2 = rng.standard_normal((16, 6, 5, 5)).astype(F32)

    cases: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None]] = [
        ("x*y + 0.5*x - y, 1e7 f32 contiguous", lambda b: expr_fma(b, x, y, half), None),
        ("x*y + 0.5*x - y, transposed views", lambda b: expr_fma(b, xt, yt, halft), None),
        ("x*y + 0.5*x - y, y = broadcast row", lambda b: expr_fma(b, x2, row, half2), None),
        ("x*y + sin(x), 1e7 f32 contiguous", lambda b: expr_sin(b, x, y), None),
        ("x*y + sin(x), transposed views", lambda b: expr_sin(b, xt, yt), None),
        ("x*y + sin(x), y = broadcast row", lambda b: expr_sin(b, x2, row), None),
        ("sum over axis 0, 4096x4096 f32", lambda b: b.sum(big, (0,), False), None),
        ("sum over axis 1, 4096x4096 f32", lambda b: b.sum(big, (1,), False), None),
        ("max over axis 1, 4096x4096 f32", lambda b: b.max(big, (1,), False), None),
        ("matmul 512 f32", lambda b: b.matmul(*mats[512]), None),
        ("matmul 2048 f32", lambda b: b.matmul(*mats[2048]), None),
        ("batched matmul 64x128x128 f32", lambda b: b.matmul(ba, bb), None),
        (
            "conv2d fwd+bwd 64x1x28x28, 6x5x5",
            lambda b: conv_backend(b, img, w1),
            lambda b: conv_numpy_im2col(img, w1),
        ),
        (
            "conv2d fwd+bwd 64x6x12x12, 16x5x5",
            lambda b: conv_backend(b, act, w2),
            lambda b: conv_numpy_im2col(act, w2),
        ),
    ]
    rows: list[tuple[str, str, str, str]] = []
    for label, run, numpy_run in cases:
        reference = numpy_run or run
        t_np = median_ms(lambda reference=reference: reference(ref), args.repeat)
        t_nb = median_ms(lambda run=run: run(nb), args.repeat)
        rows.append((label, f"{t_np:.2f}", f"{t_nb:.2f}", f"{t_np / t_nb:.2f}x"))
        print(
            f"{label:<45} numpy {t_np:9.2f} ms   numba {t_nb:9.2f} ms   {t_np / t_nb:5.2f}x",
            flush=True,
        )
    if not args.quick:
        for r in compile_times():
            rows.append(r)
            print(f"{r[0]:<45} {r[1]}   {r[2]}")
    if args.markdown:
        lines = ["| case | numpy ms | numba ms | speed-up |", "|---|---:|---:|---:|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
