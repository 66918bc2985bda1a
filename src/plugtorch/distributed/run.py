"""``plugtorch run``: start a script on N processes through the MPI launcher, like ``torchrun``.

::

    plugtorch run --nproc-per-node 2 train.py --epochs 3
    plugtorch run --nproc-per-node 4 --hostfile hosts train.py   # several machines
    plugtorch run --nproc-per-node 2 -m mypackage.train          # a module, as python -m

Every process runs ``script`` with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set; its output lines come out
prefixed with ``[rank{r}]:``. As ``torchrun`` does, ``OMP_NUM_THREADS`` is set to 1 when it is
unset and more than one process shares a machine. When a rank raises or exits non-zero, every
rank is stopped and the launcher ends with that rank's exit code after a summary naming it; a
rank killed by a signal ends the job the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Sequence

from plugtorch.distributed._mpi import mpiexec_path

__all__ = ["add_arguments", "main", "run"]

# MPICH's Hydra prints a banner when it cleans up after a failed process: the launcher reads it
# for the process id and exit code, and prints its own summary instead.
_BANNER = re.compile(
    r"^(=+|=\s+.*|YOUR APPLICATION TERMINATED WITH THE EXIT STRING.*|This typically refers to a "
    r"problem with your application\.|Please see the FAQ page for debugging suggestions)\s*$"
)
_ABORT = re.compile(r"^Abort\(\d+\) on node \d+ \(rank \d+ in comm \d+\): application called")
_BANNER_PID = re.compile(r"^=\s+PID (\d+) RUNNING AT")
_BANNER_CODE = re.compile(r"^=\s+EXIT CODE: (\d+)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", type=int, default=1,
        help="processes to start on this machine (one per rank); default 1",
    )  # fmt: skip
    parser.add_argument(
        "--hostfile", default=None,
        help="an MPI hostfile (one 'host:slots' per line) to spread the ranks over machines",
    )  # fmt: skip
    parser.add_argument("--master-addr", "--master_addr", dest="master_addr", default="127.0.0.1")
    parser.add_argument(
        "--master-port", "--master_port", dest="master_port", type=int, default=29500
    )
    parser.add_argument(
        "-m", "--module", action="store_true",
        help="run script as a Python module, as `python -m` does (torchrun's -m)",
    )  # fmt: skip
    parser.add_argument("script", help="the Python script every rank runs")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="its arguments")


class _Forwarder(threading.Thread):
    """Copy one of mpiexec's streams line by line, holding back Hydra's cleanup banner."""

    def __init__(self, source: IO[bytes], target: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.source = source
        self.target = target
        self.killed: list[tuple[int, int]] = []  # (pid, exit code) from Hydra's banner

    def run(self) -> None:
        pid = None
        blank = b""  # a blank line is held back: Hydra's banner starts with one
        for raw in iter(self.source.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            if not line.strip():
                blank += raw
                continue
            if _BANNER.match(line) or _ABORT.match(line):
                blank = b""
                found = _BANNER_PID.match(line)
                if found:
                    pid = int(found.group(1))
                code = _BANNER_CODE.match(line)
                if code and pid is not None:
                    self.killed.append((pid, int(code.group(1))))
                continue
            self.target.write(blank + raw)
            blank = b""
            self.target.flush()


def _summary(run_dir: str, nproc: int, killed: list[tuple[int, int]]) -> tuple[str, int] | None:
    """What went wrong, from the ranks' records and Hydra's banner; and the exit code to use."""
    records: dict[int, dict[str, Any]] = {}
    for name in os.listdir(run_dir):
        if name.startswith("rank") and name.endswith(".json"):
            with open(os.path.join(run_dir, name)) as file:
                record = json.load(file)
            records[int(record["rank"])] = record
    failed = sorted(
        (r for r in records.values() if r.get("state") == "failed"), key=lambda r: r["time"]
    )
    if failed:
        first = failed[0]
        if "signal" in first:  # recorded by the rank's watching parent (see _worker)
            return (
                f"rank {first['rank']} (pid {first['pid']}) ended abnormally "
                f"({_describe(int(first['signal']))}); the other ranks were stopped",
                int(first["code"]),
            )
        others = [str(r["rank"]) for r in failed[1:]]
        also = f" (ranks {', '.join(others)} failed after it)" if others else ""
        return (
            f"rank {first['rank']} failed: {first['error']} (exit code {first['code']}){also}; "
            f"the other ranks were stopped",
            int(first["code"]) or 1,
        )
    by_pid = {int(r["pid"]): rank for rank, r in records.items()}
    for pid, code in killed:
        if pid in by_pid and code != 0:
            return (
                f"rank {by_pid[pid]} (pid {pid}) ended abnormally ({_describe(code)}); the other "
                "ranks were stopped",
                code,
            )
    missing = [rank for rank in range(nproc) if rank not in records]
    if missing:
        return f"rank(s) {', '.join(map(str, missing))} never started", 1
    return None


def _describe(code: int) -> str:
    try:
        return f"signal {code}, {signal.Signals(code).name}"
    except ValueError:
        return f"exit code {code}"


def run(args: argparse.Namespace) -> int:
    """Launch ``args.script`` on ``args.nproc_per_node`` ranks; return the job's exit code."""
    nproc = int(args.nproc_per_node)
    if nproc < 1:
        print("plugtorch run: --nproc-per-node must be at least 1", file=sys.stderr)
        return 2
    module = bool(getattr(args, "module", False))
    if not module and not os.path.exists(args.script):
        print(f"plugtorch run: no such script: {args.script}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="plugtorch-run-") as run_dir:
        env = dict(os.environ)
        env.update(
            PLUGTORCH_RUN_DIR=run_dir, MASTER_ADDR=str(args.master_addr),
            MASTER_PORT=str(args.master_port), PYTHONUNBUFFERED="1",
        )  # fmt: skip
        env.setdefault("UCX_LOG_LEVEL", "error")  # MPICH's UCX layer warns at every exit
        if nproc > 1 and "OMP_NUM_THREADS" not in env:
            env["OMP_NUM_THREADS"] = "1"
        command = [mpiexec_path(), "-n", str(nproc)]
        if args.hostfile:
            command += ["-f", args.hostfile]
        command += [sys.executable, "-m", "plugtorch.distributed._worker"]
        command += ["--module", args.script] if module else [args.script]
        command += list(args.script_args)
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=None
        )
        assert process.stdout is not None and process.stderr is not None
        forwarders = [
            _Forwarder(process.stdout, sys.stdout.buffer),
            _Forwarder(process.stderr, sys.stderr.buffer),
        ]
        for forwarder in forwarders:
            forwarder.start()
        try:
            code = process.wait()
        except KeyboardInterrupt:
            process.terminate()
            code = process.wait()
        for forwarder in forwarders:
            forwarder.join()
        if code == 0:
            return 0
        killed = [entry for forwarder in forwarders for entry in forwarder.killed]
        found = _summary(run_dir, nproc, killed)
        message, code = found if found is not None else (f"mpiexec exited with {code}", code)
        print(f"plugtorch run: {message}", file=sys.stderr)
        return code or 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plugtorch run", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
