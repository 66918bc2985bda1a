"""One rank of ``plugtorch run``: ``python -m plugtorch.distributed._worker script.py args...``.

The MPI launcher starts this in every process. It sets PyTorch's variables from MPI's (``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``), prefixes every line the rank writes to
stdout or stderr with ``[rank{r}]:`` (file descriptors 1 and 2 go through a pipe, so output of
C code and subprocesses is prefixed too), and runs the script as ``__main__``. When the script
raises or exits non-zero, the rank prints the traceback, records the failure for the launcher
in ``$PLUGTORCH_RUN_DIR/rank{r}.json`` and aborts the MPI job, so the other ranks stop instead
of waiting for it forever.

A rank killed by a signal cannot record anything itself, and the launcher cannot tell from MPI's
cleanup banner which rank died first (MPI kills the others with the same signal, and the banner
may name any of them). So on POSIX each rank forks before MPI starts: the child runs the script,
the parent only waits for it. A parent whose child was killed records that, with the time, then
dies of the same signal so that MPI sees the same status; signals sent to the parent are passed
on to the child, and the child dies with its parent (``PR_SET_PDEATHSIG``) if MPI kills that.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import runpy
import signal
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


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this process when ``parent`` dies (else it could hang on)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the call above took effect
        os._exit(1)


def _watch(child: int, run_dir: str | None, rank: int) -> int:
    """In the parent: pass signals on to ``child``, wait for it, record a death by signal."""
    forwarded: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        forwarded.append(signum)
        os.kill(child, signum)

    for passed in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(passed, forward)
    _, status = os.waitpid(child, 0)
    if not os.WIFSIGNALED(status):
        return os.waitstatus_to_exitcode(status)
    signum = os.WTERMSIG(status)
    if signum not in forwarded:  # killed from elsewhere, not stopped through the launcher
        _record(run_dir, rank, {
            "rank": rank, "pid": child, "state": "failed", "signal": signum, "code": signum,
            "error": f"killed by signal {signum}", "time": time.time(),
        })  # fmt: skip
    if signum not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # the same status for MPI's launcher
    return 128 + signum  # only for a signal that does not end a process


def _print_script_traceback(error: BaseException, script: str) -> None:
    """The traceback from the script's first frame on (this module's and runpy's left out)."""
    tb = error.__traceback__
    target = os.path.abspath(script)
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


def main(argv: list[str]) -> int:
    module = bool(argv) and argv[0] == "--module"
    if module:
        argv = argv[1:]
    if not argv:
        print(
            "usage: python -m plugtorch.distributed._worker [--module] script.py [args...]",
            file=sys.stderr,
        )
        return 2
    launched = launcher_rank()
    rank, size, local = launched if launched is not None else (0, 1, 0)
    os.environ.update(
        RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local),
        LOCAL_WORLD_SIZE=os.environ.get("MPI_LOCALNRANKS", str(size)),
    )  # fmt: skip
    run_dir = os.environ.get("PLUGTORCH_RUN_DIR")
    if hasattr(os, "fork") and run_dir:
        parent = os.getpid()
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
        if child:
            return _watch(child, run_dir, rank)
        _die_with_parent(parent)
    _record(run_dir, rank, {"rank": rank, "pid": os.getpid(), "state": "running"})
    sys.stdout.flush()
    sys.stderr.flush()
    outputs = [_PrefixedOutput(fd, f"[rank{rank}]: ".encode()) for fd in (1, 2)]
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115 (lives for the run)
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    MPI = load_mpi()  # MPI is up before the script runs, so a failure can always abort the job
    script, *arguments = argv
    sys.argv = [script, *arguments]
    if module:  # as `python -m`: the working directory is already first on sys.path
        spec = importlib.util.find_spec(script)
        script_file = spec.origin if spec is not None and spec.origin else script
    else:  # as `python script.py`: the script's directory comes first
        sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
        script_file = script
    code = 0
    failure: dict[str, Any] | None = None
    try:
        if module:
            runpy.run_module(script, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
        if code:
            failure = {"error": f"exited with code {code}"}
    except BaseException as error:  # noqa: BLE001 (every failure must end the whole job)
        _print_script_traceback(error, script_file)
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
