"""Train :class:`DigitsNet` on scikit-learn's 8x8 digits and evaluate checkpoints.

The split is :func:`plugtorch.data.load_digits`'s seeded, stratified 80/20 split (1437 train,
360 held-out test images). Initial weights and batch order come from ``seed``, drawn on the
host, so every backend starts from the same weights and sees the same batches.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from plugtorch import nn, optim
from plugtorch import random as _random
from plugtorch.backend import registry
from plugtorch.data import DataLoader, TensorDataset, load_digits
from plugtorch.serialization import CheckpointError, load, save
from plugtorch.training.data_parallel import DataParallel, single_process
from plugtorch.training.loop import History, Timer, evaluate, plot_history, train_epoch
from plugtorch.training.models import DigitsNet

__all__ = ["DigitsConfig", "train_digits", "evaluate_checkpoint", "DEFAULTS"]

MODEL_NAME = "digits-cnn"


@dataclass
class DigitsConfig:
    """Everything that determines a digits run (saved in the checkpoint)."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-2
    label_smoothing: float = 0.1
    seed: int = 0
    test_size: float = 0.2
    split_seed: int = 0
    channels: tuple[int, int] = (16, 32)
    hidden: int = 64
    limit: int | None = None  # train on the first `limit` training images only (quick tests)


DEFAULTS = DigitsConfig()


def _datasets(config: DigitsConfig, backend: Any) -> tuple[TensorDataset, TensorDataset]:
    train_x, train_y = load_digits("train", config.test_size, config.split_seed)
    test_x, test_y = load_digits("test", config.test_size, config.split_seed)
    if config.limit is not None:
        train_x, train_y = train_x[: config.limit], train_y[: config.limit]
    name = backend.name
    return TensorDataset(train_x, train_y, backend=name), TensorDataset(
        test_x, test_y, backend=name
    )


def train_digits(
    config: DigitsConfig,
    backend: Any = None,
    out: str | None = None,
    show_progress: bool = True,
    parallel: DataParallel | None = None,
) -> dict[str, Any]:
    """Train, evaluate every epoch, and (with ``out``) write ``model.safetensors`` and
    ``curves.png`` there. Returns the report as a dict. With ``parallel`` (a rank of a
    data-parallel run) each rank trains on its share of every batch."""
    parallel = parallel or single_process()
    target = registry.get_backend(backend)
    _random.manual_seed(config.seed)
    model = DigitsNet(config.channels, config.hidden).to(target)
    train_set, test_set = _datasets(config, target)
    pixels = train_set.tensors[0]
    model.input_mean.fill_(float(pixels.mean()))
    model.input_std.fill_(float(pixels.std()))
    test_loader: DataLoader[Any] = DataLoader(test_set, batch_size=512)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    model = parallel.wrap(model)
    optimizer = optim.Adam(model.parameters(), lr=config.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
    history = History()
    for epoch in range(1, config.epochs + 1):
        with Timer() as timer:
            loss, acc = train_epoch(
                model,
                parallel.loader(train_set, config.batch_size, config.seed, epoch),
                loss_fn,
                optimizer,
                desc=f"epoch {epoch}/{config.epochs} [{target.name}]",
                show_progress=show_progress and parallel.is_main,
            )
        loss, acc = parallel.mean(loss), parallel.mean(acc)
        scheduler.step()
        test_loss, test_acc = evaluate(parallel.unwrap(model), test_loader, loss_fn)
        history.train_loss.append(loss)
        history.train_accuracy.append(acc)
        history.test_loss.append(test_loss)
        history.test_accuracy.append(test_acc)
        history.seconds.append(timer.seconds)
    report = {
        "model": MODEL_NAME,
        "backend": target.name,
        "processes": parallel.size,
        "epochs": config.epochs,
        "train_samples": len(train_set),
        "test_samples": len(test_set),
        "test_accuracy": history.test_accuracy[-1],
        "test_loss": history.test_loss[-1],
        "seconds_per_epoch": sum(history.seconds) / len(history.seconds),
        "seconds": history.seconds,
        "config": {**config.__dict__, "channels": list(config.channels)},
        "history": history.as_dict(),
    }
    if out is not None and parallel.is_main:
        os.makedirs(out, exist_ok=True)
        checkpoint = os.path.join(out, "model.safetensors")
        save({**parallel.unwrap(model).state_dict(), "meta": report}, checkpoint)
        report["checkpoint"] = checkpoint
        plot = os.path.join(out, "curves.png")
        problem = plot_history(history, plot, f"digits CNN on {target.name}")
        report["plot"] = plot if problem is None else None
        report["plot_problem"] = problem
    return report


def load_digits_model(path: str, backend: Any = None) -> tuple[DigitsNet, dict[str, Any]]:
    """The model saved at ``path`` (on ``backend``) and the report saved with it."""
    target = registry.get_backend(backend)
    state = load(path, backend=target)
    meta = state.pop("meta", None) if isinstance(state, dict) else None
    if not isinstance(meta, dict) or meta.get("model") != MODEL_NAME:
        raise CheckpointError(
            f"{path}: not a checkpoint written by `plugtorch train digits` (no digits metadata)"
        )
    try:
        config = meta["config"]
        model = DigitsNet(tuple(config["channels"]), config["hidden"]).to(target)
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise CheckpointError(
            f"{path}: the digits metadata or weights do not describe a DigitsNet "
            f"({type(error).__name__}: {error})"
        ) from error
    return model.eval(), meta


def evaluate_checkpoint(path: str, backend: Any = None) -> dict[str, Any]:
    """Reload a digits checkpoint and measure its accuracy on the same held-out split."""
    target = registry.get_backend(backend)
    model, meta = load_digits_model(path, target)
    fields = DigitsConfig.__dataclass_fields__
    try:
        config = DigitsConfig(**{k: v for k, v in meta["config"].items() if k in fields})
        _, test_set = _datasets(config, target)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise CheckpointError(
            f"{path}: the digits metadata does not describe a run ({type(error).__name__}: {error})"
        ) from error
    loss, acc = evaluate(model, DataLoader(test_set, batch_size=512), nn.CrossEntropyLoss())
    return {
        "backend": target.name,
        "test_accuracy": acc,
        "test_loss": loss,
        "test_samples": len(test_set),
        "reported_accuracy": meta.get("test_accuracy"),
        "trained_on": meta.get("backend"),
    }
