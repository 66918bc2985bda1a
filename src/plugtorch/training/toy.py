"""Train the course's seed :class:`Network` on a 2-D toy set (simple, diag, split, xor,
circle, spiral) with binary cross-entropy and plain SGD, full batch."""

from __future__ import annotations

import os
from typing import Any

from plugtorch import nn, optim
from plugtorch import random as _random
from plugtorch.backend import registry
from plugtorch.data import make_toy
from plugtorch.ops.creation import tensor
from plugtorch.training.loop import History, Timer, accuracy, plot_history
from plugtorch.training.models import Network

__all__ = ["train_toy"]


def train_toy(
    name: str,
    backend: Any = None,
    epochs: int = 500,
    lr: float = 0.5,
    hidden: int = 10,
    points: int = 100,
    seed: int = 0,
    out: str | None = None,
    log_every: int = 50,
) -> dict[str, Any]:
    """Fit ``Network(hidden)`` to ``points`` points of toy set ``name``; returns the report."""
    target = registry.get_backend(backend)
    _random.manual_seed(seed)
    x_host, y_host = make_toy(name, points, seed)
    x = tensor(x_host, backend=target)
    y = tensor(y_host, backend=target).float().reshape(-1, 1)
    model = Network(hidden).to(target)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCELoss()
    history = History()
    with Timer() as timer:
        for epoch in range(1, epochs + 1):
            optimizer.zero_grad()
            output = model.forward(x)
            loss = loss_fn(output, y)
            loss.backward()
            optimizer.step()
            correct = accuracy(output.detach(), y)
            history.train_loss.append(float(loss.item()))
            history.train_accuracy.append(correct / points)
            if log_every and (epoch % log_every == 0 or epoch == epochs):
                print(f"epoch {epoch:4d}  loss {loss.item():.4f}  correct {correct}/{points}")
    report = {
        "dataset": name,
        "backend": target.name,
        "epochs": epochs,
        "accuracy": history.train_accuracy[-1],
        "loss": history.train_loss[-1],
        "seconds": timer.seconds,
    }
    if out is not None:
        plot = os.path.join(out, f"{name}.png")
        problem = plot_history(history, plot, f"{name}: seed network on {target.name}")
        report["plot"] = plot if problem is None else None
    return report
