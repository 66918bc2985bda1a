"""Running cases in a worker process, so that a crash in a backend's kernel is a reported
failure instead of a dead test run.

:class:`Worker` starts a worker (:func:`main`, in a fresh interpreter) for a backend once and
sends it cases over a pipe: each request names a case of :mod:`plugtorch_conformance.bad_arguments`
and carries its generated arguments (plain, picklable data); the worker builds the tensors on the
backend under test, calls the op and answers with what happened. The worker lives for the whole
session (importing a backend once, not once per case); when a case kills it (a segmentation
fault, an abort, ``os._exit``) or hangs past the timeout, :meth:`Worker.run` returns a
``crashed`` or ``hung`` outcome naming the signal and the tail of the worker's stderr (with
``faulthandler``'s Python stack), and the next case starts a fresh worker.
"""

from __future__ import annotations

import argparse
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

__all__ = ["Outcome", "Worker", "serve"]

_HEADER = struct.Struct("<Q")
# Not `-m plugtorch_conformance.isolation`: Outcome must pickle under its module's own name.
_WORKER_MAIN = "import sys; from plugtorch_conformance.isolation import main; sys.exit(main())"


@dataclass(frozen=True)
class Outcome:
    """What one case did: ``kind`` is ``raised`` (with ``expected`` telling whether the
    exception has the documented type), ``returned``, ``crashed`` or ``hung``."""

    kind: str
    expected: bool = False
    error_type: str = ""
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.kind == "raised" and self.expected


def _send(stream: IO[bytes], payload: Any) -> None:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe mid-message")
    return pickle.loads(data)


class Worker:
    """A worker process for the backend ``spec`` (an installed name or ``module:factory``)."""

    def __init__(self, spec: str, timeout: float = 120.0, start_timeout: float = 300.0) -> None:
        self.spec = spec
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: Any = None

    def _start(self) -> None:
        self._stderr = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_MAIN, "--backend", self.spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=os.getcwd(),
        )
        reply = self._read(self.start_timeout)
        if reply != "ready":
            detail = reply.message if isinstance(reply, Outcome) else repr(reply)
            self.close()
            raise RuntimeError(f"the conformance worker for {self.spec!r} did not start: {detail}")

    def _stderr_tail(self, limit: int = 3000) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return text[-limit:]

    def _read(self, timeout: float) -> Any:
        process = self._process
        assert process is not None and process.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                process.kill()
                process.wait()
                tail = self._stderr_tail()
                self._forget()
                return Outcome("hung", message=f"no answer within {timeout:.0f} s\n{tail}")
            ready, _, _ = select.select([process.stdout], [], [], min(left, 1.0))
            if ready:
                break
        try:
            return _receive(process.stdout)
        except EOFError:
            code = process.wait()
            reason = (
                f"killed by signal {signal.Signals(-code).name}"
                if code < 0 and -code in signal.valid_signals()
                else f"exit status {code}"
            )
            tail = self._stderr_tail()
            self._forget()
            return Outcome("crashed", message=f"the worker process died ({reason})\n{tail}")

    def _forget(self) -> None:
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self.restarts += 1

    def run(self, case_key: str, arguments: Any) -> Outcome:
        """Run one case in the worker (starting one if needed) and say what happened."""
        if self._process is None:
            self._start()
        process = self._process
        assert process is not None and process.stdin is not None
        try:
            _send(process.stdin, (case_key, arguments))
        except BrokenPipeError:
            return self._read(self.timeout)  # it died before reading: report how
        return self._read(self.timeout)

    def close(self) -> None:
        process = self._process
        if process is not None:
            try:
                if process.stdin is not None:
                    process.stdin.close()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


def _outcome(case: Any, backend_name: str, arguments: Any) -> Outcome:
    try:
        result = case.call(backend_name, arguments)
    except BaseException as error:  # noqa: BLE001 (report every kind, KeyboardInterrupt aside)
        if isinstance(error, KeyboardInterrupt):
            raise
        message = str(error).splitlines()[0] if str(error) else ""
        return Outcome(
            "raised", isinstance(error, case.error), type(error).__qualname__, message[:500]
        )
    shape = getattr(result, "shape", None)
    return Outcome("returned", message=f"{type(result).__name__} of shape {shape}")


def serve(spec: str, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The worker's loop: load the backend, then answer requests until stdin closes."""
    import faulthandler
    import warnings

    faulthandler.enable(file=sys.stderr, all_threads=True)
    warnings.simplefilter("ignore")  # numpy's RuntimeWarnings are not what is tested here
    try:
        from plugtorch_conformance import bad_arguments
        from plugtorch_conformance.plugin import resolve_backend

        name = resolve_backend(spec)[0]
    except Exception as error:  # noqa: BLE001 (say why the worker cannot start)
        _send(stdout, Outcome("crashed", message=f"{type(error).__name__}: {error}"))
        return
    _send(stdout, "ready")
    while True:
        try:
            key, arguments = _receive(stdin)
        except EOFError:
            return
        case = bad_arguments.BY_KEY[key]
        _send(stdout, _outcome(case, name, arguments))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="plugtorch-conformance worker")
    parser.add_argument("--backend", required=True, help="installed name or module:factory")
    args = parser.parse_args(argv)
    # The pipe to the parent is a private copy of stdout; whatever a case prints goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(args.backend, sys.stdin.buffer, protocol)
    return 0


if __name__ == "__main__":
    sys.exit(main())
