"""The training loop behind ``plugtorch train``: epochs with a progress bar, evaluation,
the final report, the checkpoint and the learning-curve plot.

tqdm (progress bars) and matplotlib (the PNG) are optional: without them the loop prints one
line per epoch and skips the plot, saying so.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import numpy as np

from plugtorch.autograd import no_grad
from plugtorch.nn.module import Module
from plugtorch.tensor import Tensor

__all__ = ["History", "accuracy", "evaluate", "train_epoch", "plot_history", "progress"]


@dataclass
class History:
    """Per-epoch metrics of a run (what the plot draws and the report summarises)."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[float]]:
        return {key: list(value) for key, value in self.__dict__.items()}


def accuracy(output: Tensor, target: Tensor) -> int:
    """Number of correct predictions: argmax over classes, or ``output > 0.5`` for one column."""
    if output.ndim == 2 and output.shape[1] > 1:
        predicted = output.argmax(1)
    else:
        predicted = (output.reshape(-1) > 0.5).long()
    return int((predicted == target.reshape(-1)).sum().item())


class _Plain:
    """A stand-in for tqdm: counts silently, prints the postfix once at the end."""

    def __init__(self, iterable: Iterable[Any], desc: str, enabled: bool) -> None:
        self.iterable = iterable
        self.desc = desc
        self.enabled = enabled
        self.postfix = ""

    def __iter__(self) -> Any:
        return iter(self.iterable)

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        self.postfix = text

    def close(self) -> None:
        if self.enabled:
            print(f"{self.desc}: {self.postfix}", file=sys.stderr, flush=True)


def progress(iterable: Iterable[Any], desc: str, enabled: bool = True) -> Any:
    """A tqdm progress bar over ``iterable`` when tqdm is installed and ``enabled``."""
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(
                iterable, desc=desc, leave=True, dynamic_ncols=True, mininterval=0.25,
                file=sys.stderr,
            )  # fmt: skip
        except ImportError:
            pass
    return _Plain(iterable, desc, enabled)


def train_epoch(
    model: Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    desc: str = "train",
    show_progress: bool = True,
) -> tuple[float, float]:
    """One pass over ``batches``; returns ``(mean loss, accuracy)`` over the samples seen."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = progress(batches, desc, show_progress)
    for inputs, targets in bar:
        optimizer.zero_grad()
        output = model(inputs)
        loss = loss_fn(output, targets)
        loss.backward()
        optimizer.step()
        count = int(targets.shape[0])
        total_loss += float(loss.item()) * count
        correct += accuracy(output.detach(), targets)
        seen += count
        text = f"loss {total_loss / seen:.4f}  acc {100.0 * correct / seen:.2f}%"
        bar.set_postfix_str(text, refresh=False)
    bar.close()
    return total_loss / max(seen, 1), correct / max(seen, 1)


def evaluate(
    model: Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    loss_fn: Callable[[Tensor, Tensor], Tensor],
) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` in eval mode, without recording a graph."""
    was_training = model.training
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with no_grad():
        for inputs, targets in batches:
            output = model(inputs)
            count = int(targets.shape[0])
            total_loss += float(loss_fn(output, targets).item()) * count
            correct += accuracy(output, targets)
            seen += count
    model.train(was_training)
    return total_loss / max(seen, 1), correct / max(seen, 1)


def plot_history(history: History, path: str, title: str) -> str | None:
    """Save loss and accuracy curves to ``path`` (PNG); returns the reason if it could not."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib)"
    epochs = np.arange(1, len(history.train_loss) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(epochs, history.train_loss, marker="o", label="train")
    if history.test_loss:
        left.plot(epochs, history.test_loss, marker="o", label="test")
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    left.set_yscale("log")
    left.legend()
    right.plot(epochs, 100 * np.asarray(history.train_accuracy), marker="o", label="train")
    if history.test_accuracy:
        right.plot(epochs, 100 * np.asarray(history.test_accuracy), marker="o", label="test")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy (%)")
    right.legend()
    figure.suptitle(title)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return None


class Timer:
    """Wall-clock seconds of a block: ``with Timer() as t: ...; t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: Any) -> None:
        self.seconds = time.perf_counter() - self.start
