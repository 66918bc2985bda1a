"""One rank of ``plugtorch run``: ``python -m plugtorch.distributed._worker script.py args...``.

The MPI launcher starts this in every process. It sets PyTorch's variables from MPI's (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``), prefixes every line the rank writes to
stdout or stderr with ``[rank{r}]:`` (file descriptors 1 and 2 go through a pipe, so output of
C code and subprocesses is prefixed too), and runs the script as ``__main__``. When the script
raises or exits non-zero, the rank prints the traceback, records the failure for the launcher
in ``$PLUGTORCH_RUN_DIR/rank{r}.json`` and aborts the MPI job, so the other ranks stop instead
of waiting for it forever.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
import traceback
from typing import Any, BinaryIO

from plugtorch.distributed._mpi import launcher_rank, load_mpi

__all__ = ["main"]


class _PrefixedOutput:
    """Route a file descriptor through a pipe whose lines get ``prefix`` before reaching it."""

    def __init__(self, fd: int, prefix: bytes) -> None:
        self.fd = fd
        self.original = os.dup(fd)
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self._reader: BinaryIO = os.fdopen(read_end, "rb", buffering=0)
        self._prefix = prefix
        self._thread = threading.Thread(target=self._forward, daemon=True)
        self._thread.start()

    def _forward(self) -> None:
        pending = b""
        while True:
            chunk = self._reader.read(65536)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if lines:
                os.write(self.original, b"".join(self._prefix + line + b"\n" for line in lines))
        if pending:
            os.write(self.original, self._prefix + pending + b"\n")

    def close(self) -> None:
        """Put the original descriptor back and wait until everything written has gone out."""
        os.dup2(self.original, self.fd)  # closes the pipe's last write end: the reader sees EOF
        self._thread.join(timeout=5.0)


def _record(run_dir: str | None, rank: int, data: dict[str, Any]) -> None:
    if run_dir:
        path = os.path.join(run_dir, f"rank{rank}.json")
        with open(path + ".tmp", "w") as file:
            json.dump(data, file)
        os.replace(path + ".tmp", path)


def _print_script_traceback(error: BaseException, script: str) -> None:
    """The traceback from the script's first frame on (this module's and runpy's left out)."""
    tb = error.__traceback__
    target = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m plugtorch.distributed._worker script.py [args...]", file=sys.stderr)
        return 2
    launched = launcher_rank()
    rank, size, local = launched if launched is not None else (0, 1, 0)
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local),
        LOCAL_WORLD_SIZE=os.environ.get("MPI_LOCALNRANKS", str(size)),
    )  # fmt: skip
    run_dir = os.environ.get("PLUGTORCH_RUN_DIR")
    _record(run_dir, rank, {"rank": rank, "pid": os.getpid(), "state": "running"})
    sys.stdout.flush()
    sys.stderr.flush()
    outputs = [_PrefixedOutput(fd, f"[rank{rank}]: ".encode()) for fd in (1, 2)]
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (lives for the run)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    MPI = load_mpi()  # MPI is up before the script runs, so a failure can always abort the job
    script, *arguments = argv
    sys.argv = [script, *arguments]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    code = 0
    failure: dict[str, Any] | None = None
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
        if code:
            failure = {"error": f"exited with code {code}"}
    except BaseException as error:  # noqa: BLE001 (every failure must end the whole job)
        _print_script_traceback(error, script)
        code = 1
        failure = {"error": f"{type(error).__name__}: {error}"}
    sys.stdout.flush()
    sys.stderr.flush()
    for output in outputs:
        output.close()
    if failure is not None:
        failure.update(rank=rank, pid=os.getpid(), state="failed", code=code, time=time.time())
        _record(run_dir, rank, failure)
        MPI.COMM_WORLD.Abort(code)
        os._exit(code)  # MPICH's Abort can return before the launcher has stopped this process
    _record(run_dir, rank, {"rank": rank, "pid": os.getpid(), "state": "done", "code": 0})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
