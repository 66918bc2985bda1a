"""``plugtorch evaluate CHECKPOINT``: reload a digits checkpoint and measure its test accuracy
on the same held-out split it was trained for (on any backend)."""

from __future__ import annotations

import argparse
import json
import sys

from plugtorch.serialization import CheckpointError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a model.safetensors written by `plugtorch train`")
    parser.add_argument("--backend", default=None, help="backend name (default: current choice)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from plugtorch.training.digits import evaluate_checkpoint

    try:
        result = evaluate_checkpoint(args.checkpoint, args.backend)
    except (CheckpointError, ValueError) as error:
        print(f"plugtorch evaluate: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    reported = result["reported_accuracy"]
    print(f"{args.checkpoint} on backend {result['backend']!r}:")
    print(f"  test accuracy {100 * result['test_accuracy']:.2f}% "
          f"({result['test_samples']} held-out images)")  # fmt: skip
    if reported is not None:
        print(f"  reported at training time (backend {result['trained_on']!r}): "
              f"{100 * reported:.2f}%")  # fmt: skip
    return 0
