"""What the examples share besides their PyTorch code: the options that choose the framework,
the log of losses and times per step, and writing the generated text.

Nothing here imports a framework: ``configure`` takes the module (``torch`` as the example
imported it: plugtorch or PyTorch).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["StepLog", "add_common_options", "check_common_options", "configure", "write_text"]


def add_common_options(parser: argparse.ArgumentParser, steps: int, log_every: int) -> None:
    """``--framework``, ``--backend``, ``--threads``, ``--seed``, ``--steps``, ``--log-every``."""
    parser.add_argument("--framework", choices=["plugtorch", "torch"], default="plugtorch")
    parser.add_argument(
        "--backend", help="plugtorch's backend (numpy, numba, ...); default: plugtorch's default"
    )
    parser.add_argument("--threads", type=int, help="torch.set_num_threads; default: all cores")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--log-every", type=int, default=log_every)


def check_common_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what cannot work, in argparse's way (message and exit status 2)."""
    if args.framework == "torch" and args.backend is not None:
        parser.error("--backend chooses a plugtorch backend; PyTorch runs on its own CPU kernels")
    if args.steps < 1 or args.log_every < 1:
        parser.error("--steps and --log-every must be at least 1")


def configure(torch: ModuleType, args: argparse.Namespace) -> Any:
    """Backend, threads and seed as the options say; returns the device tensors go to."""
    if args.backend is not None:
        torch.set_backend(args.backend)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.zeros(()).device  # the framework's default device (plugtorch: the backend)
    print(f"framework {args.framework} | device {device!r} | threads {torch.get_num_threads()}")
    return device


def write_text(path: Path, text: str) -> str:
    """Write ``text`` to ``path`` unless it is already there; return it."""
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return text


class StepLog:
    """Loss, wall-clock time and CPU time of each training step, and the lines printed.

    ``start()`` before the step's forward pass, ``stop(loss)`` after the optimizer step.
    The first steps include one-time costs (numba compiles its kernels), so the summary's
    times leave the first ten out when there are more than ten.
    """

    def __init__(self, steps: int, log_every: int) -> None:
        self.steps = steps
        self.log_every = log_every
        self.losses: list[float] = []
        self.wall: list[float] = []  # seconds per step
        self.cpu: list[float] = []  # CPU seconds of the process (all its threads) per step
        self._started = (0.0, 0.0)

    def start(self) -> None:
        self._started = (time.perf_counter(), time.process_time())

    def stop(self, loss: float) -> None:
        self.wall.append(time.perf_counter() - self._started[0])
        self.cpu.append(time.process_time() - self._started[1])
        self.losses.append(loss)

    def due(self) -> bool:
        """Whether the step just stopped is one to log (the first, every N-th, the last)."""
        step = len(self.losses)
        return step == 1 or step % self.log_every == 0 or step == self.steps

    def line(self, val_loss: float) -> str:
        recent = self.wall[-self.log_every :]
        return (
            f"step {len(self.losses):4d} | loss {self.losses[-1]:.4f} | val {val_loss:.4f} | "
            f"{1000 * sum(recent) / len(recent):.1f} ms/step"
        )

    def summary(self, val_loss: str) -> str:
        skip = 10 if len(self.wall) > 10 else 0
        wall_ms = 1000 * sum(self.wall[skip:]) / (len(self.wall) - skip)
        cpu_ms = 1000 * sum(self.cpu[skip:]) / (len(self.cpu) - skip)
        last = self.losses[-10:]
        return (
            f"final | steps {len(self.losses)} | train loss (mean of last {len(last)}) "
            f"{sum(last) / len(last):.4f} | val loss {val_loss} | {wall_ms:.1f} ms/step, "
            f"CPU {cpu_ms:.1f} ms/step (mean of steps {skip + 1}-{len(self.losses)})"
        )
