"""``plugtorch conformance --backend NAME``: the conformance suite, from the main command.

A thin wrapper: the suite is its own package, ``plugtorch-conformance`` (it needs pytest and
Hypothesis, which plugtorch itself does not), imported only when this command runs.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run"]

_MISSING = (
    "plugtorch conformance needs the plugtorch-conformance package: "
    "`pip install plugtorch-conformance` (from a checkout: `pip install -e conformance`)"
)


def _suite_cli():  # type: ignore[no-untyped-def]
    try:
        from plugtorch_conformance import cli
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] == "plugtorch_conformance":
            return None
        raise
    return cli


def add_arguments(parser: argparse.ArgumentParser) -> None:
    cli = _suite_cli()
    if cli is None:  # accept the suite's options, so that run() can say what to install
        for option in ("--backend", "--backend-factory", "--profile", "--xfails", "-k"):
            parser.add_argument(option, help=argparse.SUPPRESS)
        parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
        return
    cli.build_parser(parser)


def run(args: argparse.Namespace) -> int:
    cli = _suite_cli()
    if cli is None:
        print(_MISSING, file=sys.stderr)
        return 2
    import pytest

    return int(pytest.main(cli.pytest_args(args)))
