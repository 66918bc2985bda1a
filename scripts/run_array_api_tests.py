#!/usr/bin/env python
"""Run the official array API test suite (data-apis/array-api-tests) against plugtorch.array_api.

The suite is not vendored: pass the path of a checkout (with its ``array-api`` submodule)::

    git clone --recurse-submodules https://github.com/data-apis/array-api-tests /tmp/array-api-tests
    python scripts/run_array_api_tests.py /tmp/array-api-tests --backend numpy
    python scripts/run_array_api_tests.py /tmp/array-api-tests --backend numba -- -k sorting

It sets ``ARRAY_API_TESTS_MODULE=plugtorch.array_api`` and ``PLUGTORCH_BACKEND``, skips the
complex dtypes plugtorch does not have (``ARRAY_API_TESTS_SKIP_DTYPES``) and with them the
``fft`` extension (``--disable-extension fft``), passes
``--xfails-file array-api-xfails.txt --max-examples 100``, and prints one summary line per
outcome. Extra arguments after ``--`` go to pytest (e.g. ``-n 8`` with pytest-xdist).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
XFAILS = REPO / "array-api-xfails.txt"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", type=Path, help="path of an array-api-tests checkout")
    parser.add_argument("--backend", default="numpy", help="plugtorch backend (default numpy)")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--report", type=Path, help="write the pytest JSON report here")
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    args = parser.parse_args(argv)

    suite = args.suite.resolve()
    if not (suite / "array_api_tests").is_dir():
        parser.error(f"{suite} is not an array-api-tests checkout (no array_api_tests/ folder)")
    if not any((suite / "array-api").iterdir()) if (suite / "array-api").is_dir() else True:
        parser.error(
            f"{suite}/array-api is empty: run `git submodule update --init` in the checkout"
        )
    report = args.report or Path(tempfile.mkdtemp()) / "report.json"
    env = dict(os.environ)
    env.update(
        ARRAY_API_TESTS_MODULE="plugtorch.array_api",
        PLUGTORCH_BACKEND=args.backend,
        ARRAY_API_TESTS_SKIP_DTYPES="complex64,complex128",
        PYTHONWARNINGS="ignore",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "scripts"), env.get("PYTHONPATH")])),
    )
    command = [
        sys.executable, "-m", "pytest", "array_api_tests/",
        "--xfails-file", str(XFAILS),
        "--max-examples", str(args.max_examples),
        "--disable-extension", "fft",  # needs complex dtypes, which plugtorch lacks
        "--hypothesis-seed", "0",
        "--hypothesis-disable-deadline",  # timings vary on a loaded machine; not conformance
        "-p", "no:cacheprovider",
        "-p", "array_api_tests_plugin",  # the suite's own opt-outs, where it misses some
        "--json-report", f"--json-report-file={report}",
        "-q", "--tb=line", "-rfE",
        *extra,
    ]  # fmt: skip
    print("$", " ".join(command), f"  (in {suite}, PLUGTORCH_BACKEND={args.backend})", flush=True)
    returncode = subprocess.call(command, cwd=suite, env=env)
    if report.exists():
        data = json.loads(report.read_text())
        outcomes = collections.Counter(t["outcome"] for t in data.get("tests", []))
        summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
        print(f"array-api-tests on backend {args.backend!r}: {summary}")
    return returncode


if __name__ == "__main__":
    sys.exit(main())
