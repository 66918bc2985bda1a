"""The ``plugtorch`` command: ``backends``, ``train``, ``evaluate``, ``conformance``, ``demo``,
``run``.

Each subcommand lives in its own module and is imported only when it runs, so
``plugtorch backends`` stays fast and never imports a backend it does not list.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable, Sequence

from plugtorch.backend.registry import BackendError

__all__ = ["main"]

# subcommand -> (module, help). Each module has add_arguments(parser) and run(args) -> int.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "backends": ("plugtorch.commands.backends", "list installed backends and their status"),
    "demo": ("plugtorch.commands.demo", "fit a small model with autograd and print the loss"),
    "train": ("plugtorch.commands.train", "train a model (digits, or a 2-D toy set)"),
    "evaluate": ("plugtorch.commands.evaluate", "evaluate a saved checkpoint"),
    "conformance": ("plugtorch.commands.conformance", "run the conformance suite on a backend"),
    "run": ("plugtorch.commands.run", "start a script on N processes (like torchrun)"),
}


def _load(name: str) -> tuple[Callable[[argparse.ArgumentParser], None], Callable[..., int]]:
    module = importlib.import_module(SUBCOMMANDS[name][0])
    return module.add_arguments, module.run


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="plugtorch", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        args = parser.parse_args(argv)  # prints help or the error for an unknown command
        parser.print_help()
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    name = argv[0]
    try:
        add_arguments, run = _load(name)
    except ModuleNotFoundError as error:
        print(f"plugtorch {name}: not available ({error})", file=sys.stderr)
        return 2
    command_parser = argparse.ArgumentParser(
        prog=f"plugtorch {name}", description=SUBCOMMANDS[name][1]
    )
    add_arguments(command_parser)
    args = command_parser.parse_args(argv[1:])

    try:
        return int(run(args) or 0)
    except BackendError as error:  # e.g. a bad PLUGTORCH_BACKEND: one line, exit status 2
        command_parser.error(str(error).splitlines()[0])


if __name__ == "__main__":
    raise SystemExit(main())
