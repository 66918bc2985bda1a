"""``plugtorch-conformance --backend NAME``: run the suite against one installed backend."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["main", "build_parser", "pytest_args"]


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="plugtorch-conformance",
        description="Run the plugtorch conformance suite against a backend.",
    )
    parser.add_argument(
        "--backend", help="installed backend name (default: PLUGTORCH_BACKEND or numpy)"
    )
    parser.add_argument("--backend-factory", help="module:callable making a backend object")
    parser.add_argument(
        "--profile",
        choices=("ci", "thorough"),
        default=None,
        help="Hypothesis profile: ci (quick, default) or thorough",
    )
    parser.add_argument(
        "--max-examples",
        type=int,
        default=None,
        help="generated cases per test instead of the profile's (long fuzzing runs)",
    )
    parser.add_argument("--xfails", help="expected-failures file (default: the backend's own)")
    parser.add_argument("-k", dest="keyword", help="only tests matching this pytest expression")
    parser.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    return parser


def pytest_args(args: argparse.Namespace) -> list[str]:
    suite = Path(__file__).resolve().parent / "suite"
    argv = [
        str(suite),
        "-p",
        "plugtorch_conformance.plugin",
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(suite),
        "-o",
        "addopts=",
        "-o",
        "testpaths=",
    ]
    if args.backend:
        argv += ["--backend", args.backend]
    if args.backend_factory:
        argv += ["--backend-factory", args.backend_factory]
    if args.profile:
        argv += ["--conformance-profile", args.profile]
    if getattr(args, "max_examples", None) is not None:
        argv += ["--conformance-max-examples", str(args.max_examples)]
    if args.xfails:
        argv += ["--xfails", args.xfails]
    if args.keyword:
        argv += ["-k", args.keyword]
    return argv + list(args.pytest_args)


def main(argv: Sequence[str] | None = None) -> int:
    import pytest

    args, extra = build_parser().parse_known_args(argv)
    args.pytest_args = list(args.pytest_args) + extra  # e.g. -x, -n 2, --hypothesis-seed=1
    return int(pytest.main(pytest_args(args)))


if __name__ == "__main__":
    sys.exit(main())
