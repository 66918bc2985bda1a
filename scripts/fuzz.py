"""The long fuzzing run: bad arguments and edge values on several backends, until a target.

Runs rounds of ``plugtorch-conformance --backend B --profile thorough --max-examples N
--conformance-seed S -k "bad_arguments or edge_values"``, one backend after the other, each
round with the next seed, and adds up the generated cases the suite reports, until every
backend reached ``--target / len(backends)`` cases. Each round's result is appended to
``--log`` (JSON lines: backend, seed, cases, passed, failed, crashed), so an interrupted run
still says how far it got; a failing round prints the suite's report and, by default, stops.

    python scripts/fuzz.py                                  # 10^6 cases, numpy and numba
    python scripts/fuzz.py --backends numba --target 50000 --seed 7

Rerun one failing round exactly with the command it prints (the seed is in it).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

AREAS = "bad_arguments or edge_values"


def _round(backend: str, seed: int, examples: int, areas: str) -> dict:
    command = [
        str(Path(sys.executable).parent / "plugtorch-conformance"),
        "--backend", backend, "--profile", "thorough", "--max-examples", str(examples),
        "-k", areas, "--", "--conformance-seed", str(seed), "-q",
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    out = result.stdout
    cases = re.search(r"generated cases checked: (\d+)", out)
    totals = re.search(r"^total +(\d+) +(\d+) +(\d+) +(\d+)$", out, flags=re.MULTILINE)
    return {
        "backend": backend,
        "seed": seed,
        "max_examples": examples,
        "cases": int(cases.group(1)) if cases else 0,
        "passed": int(totals.group(1)) if totals else 0,
        "failed": int(totals.group(2)) if totals else -1,
        "xfailed": int(totals.group(3)) if totals else 0,
        "crashed": out.count("CRASHED the process") + out.count("HUNG the process"),
        "returncode": result.returncode,
        "seconds": round(time.monotonic() - started, 1),
        "command": shlex.join(command),
        "report": out[-20000:] + result.stderr[-5000:] if result.returncode else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["numpy", "numba"])
    parser.add_argument("--target", type=int, default=1_000_000, help="cases over all backends")
    parser.add_argument("--max-examples", type=int, default=400, help="cases per test a round")
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the first round")
    parser.add_argument("--areas", default=AREAS, help="pytest -k expression")
    parser.add_argument("--log", default="build/fuzz.jsonl", help="one JSON line per round")
    parser.add_argument("--keep-going", action="store_true", help="do not stop at a failure")
    args = parser.parse_args(argv)

    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    share = -(-args.target // len(args.backends))
    cases = {backend: 0 for backend in args.backends}
    failures = crashes = 0
    seed = args.seed
    print(f"fuzzing {', '.join(args.backends)} to {args.target} cases from seed {seed}")
    while any(count < share for count in cases.values()):
        for backend in args.backends:
            if cases[backend] >= share:
                continue
            result = _round(backend, seed, args.max_examples, args.areas)
            seed += 1
            cases[backend] += result["cases"]
            failures += max(result["failed"], 0) + (result["failed"] < 0)
            crashes += result["crashed"]
            with log.open("a", encoding="utf-8") as stream:
                stream.write(json.dumps({k: v for k, v in result.items() if k != "report"}) + "\n")
            print(
                f"{backend:>8} seed {result['seed']}: {result['cases']:>7} cases, "
                f"{result['failed']} failed, {result['crashed']} crashed, "
                f"{result['seconds']:.0f} s (total {cases[backend]})",
                flush=True,
            )
            if result["returncode"]:
                print(result["report"])
                print(f"rerun: {result['command']}")
                if not args.keep_going:
                    return 1
    total = sum(cases.values())
    per_backend = ", ".join(f"{backend} {count}" for backend, count in cases.items())
    print(f"done: {total} cases ({per_backend}); {failures} failures, {crashes} crashes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
