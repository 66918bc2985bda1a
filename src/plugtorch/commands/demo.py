"""``plugtorch demo``: fit a tiny model with autograd and watch the loss fall."""

from __future__ import annotations

import argparse

import plugtorch as pt
from plugtorch.commands._arguments import (
    backend_name,
    non_negative_int,
    positive_float,
    positive_int,
)

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", type=backend_name, default=None, help="backend name (default: current choice)"
    )
    parser.add_argument("--steps", type=positive_int, default=200)
    parser.add_argument("--lr", type=positive_float, default=0.1)
    parser.add_argument("--seed", type=non_negative_int, default=0)


def run(args: argparse.Namespace) -> int:
    pt.manual_seed(args.seed)
    backend = args.backend
    # y = 3x - 2 + noise, fitted by gradient descent on w and b.
    x = pt.randn(256, 1, backend=backend)
    y = 3 * x - 2 + 0.1 * pt.randn(256, 1, backend=backend)
    w = pt.zeros(1, 1, backend=backend, requires_grad=True)
    b = pt.zeros(1, backend=backend, requires_grad=True)
    losses: list[float] = []
    for step in range(args.steps + 1):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        with pt.no_grad():
            w -= args.lr * w.grad
            b -= args.lr * b.grad
        w.grad = b.grad = None
        value = float(loss.item())
        losses.append(value)
        if step % (args.steps // 10 or 1) == 0:
            print(f"step {step:4d}  loss {value:.6f}")
    first, last = losses[0], losses[-1]
    print(
        f"backend {x.backend.name}: w = {w.item():.3f}, b = {b.item():.3f} (true 3, -2); "
        f"loss {first:.4f} -> {last:.4f}"
    )
    return 0 if last < first else 1
