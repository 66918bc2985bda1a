"""``plugtorch train digits|simple|diag|split|xor|circle|spiral``: train a model and report.

``digits`` trains a small convolutional network on scikit-learn's 8x8 digits (held-out 20%
split), with a progress bar per epoch, then prints the test accuracy, seconds per epoch and
backend, and writes ``model.safetensors`` and ``curves.png`` to ``--out``. The toy sets train
the MiniTorch course's seed network (full batch, SGD, binary cross-entropy).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import plugtorch.distributed as dist
from plugtorch.commands._arguments import (
    backend_name,
    non_negative_int,
    positive_float,
    positive_int,
)
from plugtorch.data.toy import TOY_DATASETS

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", choices=("digits", *TOY_DATASETS), help="what to train on")
    parser.add_argument(
        "--backend", type=backend_name, default=None, help="backend name (default: current choice)"
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=None, help="digits: 10, toy sets: 500"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="digits: 32 (toy sets train full batch)",
    )
    parser.add_argument(
        "--lr", type=positive_float, default=None, help="digits: 0.01 (Adam), toy: 0.5"
    )
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="initial weights and batch order"
    )
    parser.add_argument("--out", default=None, help="output folder (default: runs/DATASET)")
    parser.add_argument(
        "--hidden", type=positive_int, default=10, help="toy sets: hidden layer width"
    )
    parser.add_argument(
        "--points", type=positive_int, default=100, help="toy sets: number of points"
    )
    parser.add_argument(
        "--limit", type=positive_int, default=None, help="digits: train on the first N images only"
    )
    parser.add_argument(
        "--nproc", type=positive_int, default=1,
        help="digits: train data-parallel on N processes (through `plugtorch run`)",
    )  # fmt: skip
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    out = args.out if args.out is not None else f"runs/{args.dataset}"
    if args.dataset == "digits":
        return _digits(args, out)
    return _toy(args, out)


def _launch(args: argparse.Namespace) -> int:
    """Start this same command on ``args.nproc`` ranks through the launcher."""
    from plugtorch.distributed.run import run as launch

    script_args = ["train", *sys.argv[sys.argv.index("train") + 1 :]]
    return launch(
        argparse.Namespace(
            nproc_per_node=args.nproc, hostfile=None, master_addr="127.0.0.1",
            master_port=29500, module=True, script="plugtorch.cli", script_args=script_args,
        )
    )  # fmt: skip


def _digits(args: argparse.Namespace, out: str) -> int:
    from plugtorch.training.data_parallel import DataParallel
    from plugtorch.training.digits import DEFAULTS, DigitsConfig, train_digits

    if args.nproc < 1:
        print("plugtorch train: --nproc must be at least 1")
        return 2
    ranks = int(os.environ.get("WORLD_SIZE", "1")) if "PLUGTORCH_RUN_DIR" in os.environ else 1
    if args.nproc > 1 and ranks != args.nproc:
        return _launch(args)
    parallel = None
    if args.nproc > 1:
        dist.init_process_group("mpi")
        parallel = DataParallel(True)

    config = DigitsConfig(
        epochs=args.epochs if args.epochs is not None else DEFAULTS.epochs,
        batch_size=args.batch_size if args.batch_size is not None else DEFAULTS.batch_size,
        lr=args.lr if args.lr is not None else DEFAULTS.lr,
        seed=args.seed,
        limit=args.limit,
    )
    report = train_digits(
        config, args.backend, out, show_progress=not args.no_progress, parallel=parallel
    )
    if parallel is not None and not parallel.is_main:
        return 0
    if args.json:
        print(json.dumps(_brief(report), indent=2))
        return 0
    seconds = report["seconds"]
    print()
    print(f"digits CNN on backend {report['backend']!r}, {report['processes']} process(es): "
          f"{report['epochs']} epochs, {report['train_samples']} training images")  # fmt: skip
    print(f"  test accuracy     {100 * report['test_accuracy']:.2f}% "
          f"({report['test_samples']} held-out images)")  # fmt: skip
    print(f"  seconds per epoch {report['seconds_per_epoch']:.3f} "
          f"(first {seconds[0]:.3f}, fastest {min(seconds):.3f})")  # fmt: skip
    print(f"  checkpoint        {report['checkpoint']}")
    if report.get("plot"):
        print(f"  curves            {report['plot']}")
    else:
        print(f"  curves            not written: {report.get('plot_problem')}")
    print(f"\nreload it with: plugtorch evaluate {report['checkpoint']}")
    return 0


def _toy(args: argparse.Namespace, out: str) -> int:
    from plugtorch.training.toy import train_toy

    report = train_toy(
        args.dataset,
        args.backend,
        epochs=args.epochs if args.epochs is not None else 500,
        lr=args.lr if args.lr is not None else 0.5,
        hidden=args.hidden,
        points=args.points,
        seed=args.seed,
        out=out,
        log_every=0 if args.json else 50,
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"\n{args.dataset}: accuracy {100 * report['accuracy']:.1f}% on backend "
          f"{report['backend']!r} in {report['seconds']:.2f} s")  # fmt: skip
    if report.get("plot"):
        print(f"curves: {report['plot']}")
    return 0


def _brief(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "history"}
