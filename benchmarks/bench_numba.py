"""plugtorch on numpy vs numba (vs PyTorch CPU), through the public API, side by side.

Every case runs the same user code (``x * y + 0.5 * x - y``, ``.sum(dim=...)``, ``@``,
``plugtorch.nn.functional.conv2d`` + ``backward()``, a LeNet training step) on plugtorch tensors
with ``backend="numpy"`` and ``backend="numba"``, and the equivalent code in PyTorch CPU
(2 threads), in one process, on the same data. Medians of repeated runs after warm-up; the
ratio is numpy time / other time (higher is better).

    python benchmarks/bench_numba.py [--markdown PATH] [--repeat N] [--only SUBSTRING]
                                     [--no-torch] [--no-compile]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import first_calls, median_ms

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch import nn, optim
from plugtorch.training.models import DigitsNet

Case = tuple[str, Callable[[str], Callable[[], Any]], Callable[[Any], Callable[[], Any]] | None]

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape, dtype=np.float32)


def _pt(a: np.ndarray, backend: str, requires_grad: bool = False) -> Any:
    t = pt.tensor(a, backend=backend)
    return t.requires_grad_() if requires_grad else t


# --- elementwise ---------------------------------------------------------------------------
X1, Y1 = _f32(10**7), _f32(10**7)
XT, YT = _f32(4000, 2500), _f32(4000, 2500)  # used transposed: (2500, 4000) views
XR, ROW = _f32(2500, 4000), _f32(4000)


def _chain(x: Any, y: Any) -> Any:
    return x * y + 0.5 * x - y


def _chain_sin(x: Any, y: Any, sin: Callable[[Any], Any]) -> Any:
    return x * y + sin(x)


def _elementwise_cases() -> list[Case]:
    def data(kind: str, wrap: Callable[[np.ndarray], Any], transpose: Callable[[Any], Any]):
        if kind == "contiguous":
            return wrap(X1), wrap(Y1)
        if kind == "transposed":
            return transpose(wrap(XT)), transpose(wrap(YT))
        return wrap(XR), wrap(ROW)

    cases: list[Case] = []
    labels = {
        "contiguous": "1e7 f32",
        "transposed": "transposed 2500x4000 views",
        "row": "2500x4000, y = broadcast row",
    }
    for kind, label in labels.items():

        def ours(b: str, kind: str = kind) -> Callable[[], Any]:
            x, y = data(kind, lambda a: _pt(a, b), lambda t: t.T)
            return lambda: _chain(x, y)

        def theirs(torch: Any, kind: str = kind) -> Callable[[], Any]:
            x, y = data(kind, torch.from_numpy, lambda t: t.T)
            return lambda: _chain(x, y)

        cases.append((f"x*y + 0.5*x - y, {label}", ours, theirs))
    for kind, label in labels.items():

        def ours_sin(b: str, kind: str = kind) -> Callable[[], Any]:
            x, y = data(kind, lambda a: _pt(a, b), lambda t: t.T)
            return lambda: _chain_sin(x, y, pt.sin)

        def theirs_sin(torch: Any, kind: str = kind) -> Callable[[], Any]:
            x, y = data(kind, torch.from_numpy, lambda t: t.T)
            return lambda: _chain_sin(x, y, torch.sin)

        cases.append((f"x*y + sin(x), {label}", ours_sin, theirs_sin))
    return cases


# --- reductions and matmul -----------------------------------------------------------------
BIG = _f32(4096, 4096)
MATS = {n: (_f32(n, n), _f32(n, n)) for n in (512, 2048)}
BATCH = (_f32(64, 128, 128), _f32(64, 128, 128))


def _reduction_cases() -> list[Case]:
    cases: list[Case] = []
    for dim, label in ((1, "last"), (0, "first")):

        def ours(b: str, dim: int = dim) -> Callable[[], Any]:
            x = _pt(BIG, b)
            return lambda: x.sum(dim=dim)

        def theirs(torch: Any, dim: int = dim) -> Callable[[], Any]:
            x = torch.from_numpy(BIG)
            return lambda: x.sum(dim=dim)

        cases.append((f"sum over {label} axis, 4096x4096 f32", ours, theirs))
    return cases


def _matmul_cases() -> list[Case]:
    cases: list[Case] = []
    for label, (a, c) in [
        ("matmul 512x512 f32", MATS[512]),
        ("matmul 2048x2048 f32", MATS[2048]),
        ("batched matmul 64x128x128 f32", BATCH),
    ]:

        def ours(b: str, a: np.ndarray = a, c: np.ndarray = c) -> Callable[[], Any]:
            x, y = _pt(a, b), _pt(c, b)
            return lambda: x @ y

        def theirs(torch: Any, a: np.ndarray = a, c: np.ndarray = c) -> Callable[[], Any]:
            x, y = torch.from_numpy(a), torch.from_numpy(c)
            return lambda: x @ y

        cases.append((label, ours, theirs))
    return cases


# --- convolution and a LeNet training step -------------------------------------------------
IMAGES = _f32(64, 1, 28, 28)
ACT = _f32(64, 6, 12, 12)
W1, B1 = _f32(6, 1, 5, 5) * 0.2, _f32(6) * 0.1
W2, B2 = _f32(16, 6, 5, 5) * 0.08, _f32(16) * 0.1
FC = [(_f32(120, 256) * 0.06, _f32(120) * 0.1), (_f32(84, 120) * 0.09, _f32(84) * 0.1)]
FC.append((_f32(10, 84) * 0.1, _f32(10) * 0.1))
LABELS = RNG.integers(0, 10, size=64)


def _conv_cases() -> list[Case]:
    cases: list[Case] = []
    for label, x_np, w_np in [
        ("conv2d fwd+bwd 64x1x28x28 * 6x1x5x5", IMAGES, W1),
        ("conv2d fwd+bwd 64x6x12x12 * 16x6x5x5", ACT, W2),
    ]:

        def ours(b: str, x_np: np.ndarray = x_np, w_np: np.ndarray = w_np) -> Callable[[], Any]:
            x, w = _pt(x_np, b, True), _pt(w_np, b, True)

            def step() -> Any:
                x.grad = w.grad = None
                y = F.conv2d(x, w)
                y.backward(y)  # grad_y := y, as the primitive benchmark did
                return w.grad

            return step

        def theirs(torch: Any, x_np: np.ndarray = x_np, w_np: np.ndarray = w_np):
            x = torch.from_numpy(x_np).requires_grad_()
            w = torch.from_numpy(w_np).requires_grad_()

            def step() -> Any:
                x.grad = w.grad = None
                y = torch.nn.functional.conv2d(x, w)
                y.backward(y.detach())
                return w.grad

            return step

        cases.append((label, ours, theirs))

    def lenet(lib: Any, fn: Any, params: list[Any], images: Any, labels: Any, no_grad: Any):
        def step() -> Any:
            for p in params:
                p.grad = None
            w1, b1, w2, b2, *fc = params
            h = fn.max_pool2d(fn.relu(fn.conv2d(images, w1, b1)), 2)
            h = fn.max_pool2d(fn.relu(fn.conv2d(h, w2, b2)), 2)
            h = h.reshape(h.shape[0], -1)
            for i in range(0, len(fc) - 2, 2):
                h = fn.relu(fn.linear(h, fc[i], fc[i + 1]))
            loss = fn.cross_entropy(fn.linear(h, fc[-2], fc[-1]), labels)
            loss.backward()
            with no_grad():
                for i, p in enumerate(params):
                    params[i] = (p - 0.01 * p.grad).requires_grad_()
            return loss

        return step

    flat = [W1, B1, W2, B2] + [a for pair in FC for a in pair]

    def ours_lenet(b: str) -> Callable[[], Any]:
        params = [_pt(a, b, True) for a in flat]
        labels = pt.tensor(LABELS, backend=b)
        return lenet(pt, F, params, _pt(IMAGES, b), labels, pt.no_grad)

    def theirs_lenet(torch: Any) -> Callable[[], Any]:
        params = [torch.from_numpy(a.copy()).requires_grad_() for a in flat]
        labels = torch.from_numpy(LABELS)
        images = torch.from_numpy(IMAGES)
        return lenet(torch, torch.nn.functional, params, images, labels, torch.no_grad)

    cases.append(("LeNet training step, batch 64, 28x28 (SGD)", ours_lenet, theirs_lenet))
    cases.append(_digits_case())
    return cases


def _digits_case(batch: int = 32) -> Case:
    """One step of the trainer's DigitsNet (8x8 images, batch 32 unless told, Adam)."""
    images = RNG.standard_normal((batch, 1, 8, 8), dtype=np.float32)
    labels = RNG.integers(0, 10, size=batch)

    def ours(b: str) -> Callable[[], Any]:
        pt.manual_seed(0)
        model = DigitsNet().to(b)
        optimizer = optim.Adam(model.parameters(), lr=3e-3)
        loss_fn = nn.CrossEntropyLoss()
        x, y = pt.tensor(images, backend=b), pt.tensor(labels, backend=b)

        def step() -> Any:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            return loss

        return step

    def theirs(torch: Any) -> Callable[[], Any]:
        torch.manual_seed(0)
        tnn = torch.nn
        model = tnn.Sequential(
            tnn.Conv2d(1, 16, 3, padding=1),
            tnn.ReLU(),
            tnn.MaxPool2d(2),
            tnn.Conv2d(16, 32, 3, padding=1),
            tnn.ReLU(),
            tnn.MaxPool2d(2),
            tnn.Flatten(),
            tnn.Linear(128, 64),
            tnn.ReLU(),
            tnn.Linear(64, 10),
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        loss_fn = tnn.CrossEntropyLoss()
        x, y = torch.from_numpy(images), torch.from_numpy(labels)

        def step() -> Any:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            return loss

        return step

    return (f"digits-CNN (DigitsNet) training step, batch {batch}, 8x8, Adam", ours, theirs)


# --- first-call (compile) times in fresh processes ------------------------------------------
_FIRST_CALLS = """
import time
t0 = time.perf_counter()
import numpy as np, plugtorch as pt
import plugtorch.nn.functional as F
x = pt.tensor(np.ones((4096, 1024), np.float32), backend="numba")  # 4M: kernel path
t1 = time.perf_counter(); (x * x + 0.5 * x - x); t2 = time.perf_counter()
x.sum(dim=0); x.sum(dim=1); t3 = time.perf_counter()
img = pt.tensor(np.ones((64, 1, 28, 28), np.float32), backend="numba").requires_grad_()
w = pt.tensor(np.ones((6, 1, 5, 5), np.float32), backend="numba").requires_grad_()
F.max_pool2d(F.relu(F.conv2d(img, w)), 2).sum().backward(); t4 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t3 - t2:.3f} {t4 - t3:.3f}")
"""


def first_call_rows() -> list[tuple[str, ...]]:
    rows = []
    for label, values in first_calls(_FIRST_CALLS).items():
        imp, chain, sums, conv = (v * 1e3 for v in values)
        rows.append(
            (
                f"first calls, {label}: import / chain / 2 sums / conv+relu+pool fwd+bwd",
                f"{imp:.0f} / {chain:.0f} / {sums:.0f} / {conv:.0f} ms",
            )
        )
    return rows


def _load_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", default="", help="run the cases whose label contains this")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-compile", action="store_true", help="skip the first-call rows")
    args = parser.parse_args()
    torch = None if args.no_torch else _load_torch()
    cases = _elementwise_cases() + _reduction_cases() + _matmul_cases() + _conv_cases()
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    print(f"load average before: {load}")
    header = ("case", "numpy ms", "numba ms", "numba/numpy", "torch ms", "torch/numpy")
    rows: list[tuple[str, ...]] = []
    print(
        f"{header[0]:<50} {header[1]:>9} {header[2]:>9} {header[3]:>11} {header[4]:>9} "
        f"{header[5]:>11}"
    )
    for label, ours, theirs in cases:
        if args.only and args.only not in label:
            continue
        t_np = median_ms(ours("numpy"), args.repeat)
        t_nb = median_ms(ours("numba"), args.repeat)
        t_th = median_ms(theirs(torch), args.repeat) if torch and theirs else float("nan")
        row = (
            label,
            f"{t_np:.2f}",
            f"{t_nb:.2f}",
            f"{t_np / t_nb:.2f}x",
            f"{t_th:.2f}",
            f"{t_np / t_th:.2f}x",
        )
        rows.append(row)
        print(
            f"{row[0]:<50} {row[1]:>9} {row[2]:>9} {row[3]:>11} {row[4]:>9} {row[5]:>11}",
            flush=True,
        )
    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    print(f"load average after: {load_after}")
    extra = [] if args.no_compile else first_call_rows()
    for label, value in extra:
        print(f"{label}: {value}")
    if args.markdown:
        lines = [
            f"Load average before / after: {load} / {load_after}; torch "
            f"{getattr(torch, '__version__', 'absent')} with 2 threads.",
            "",
            "| " + " | ".join(header) + " |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        if extra:
            lines += ["", "| first calls (fresh process) | times |", "|---|---|"]
            lines += [f"| {a} | {b} |" for a, b in extra]
        with open(args.markdown, "w") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
