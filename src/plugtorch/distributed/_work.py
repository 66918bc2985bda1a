"""Work handles: what ``async_op=True`` returns, and what every blocking collective waits on.

A :class:`Work` holds the communication library's pending operation (MPI requests, or a CUDA
event after an NCCL call) and the steps that finish it (copy a received buffer into the
tensor, divide a sum for ``AVG``). ``wait()`` polls the operation until it completes or the
process group's timeout passes; a timeout raises :class:`DistBackendError` with a diagnosis of
which ranks have not joined, and breaks the process group, as PyTorch does.
"""

from __future__ import annotations

import datetime
import time
from typing import TYPE_CHECKING, Any, Callable

from plugtorch.distributed._types import DistBackendError

if TYPE_CHECKING:
    from plugtorch.distributed._group import ProcessGroup
    from plugtorch.tensor import Tensor

__all__ = ["Work", "completed_work", "poll_until"]

# After this long a wait polls a thousand times a second instead of spinning: a rank that waits
# seconds for a slow peer (an evaluation on rank 0, say) leaves the core to the others.
_SPIN_SECONDS = 1.0


def poll_until(done: Callable[[], bool], deadline: float) -> bool:
    """Call ``done()`` until it is true (True) or ``time.monotonic()`` passes ``deadline``.

    MPI progresses non-blocking operations inside its test calls, so a wait has to keep
    calling; MPI's own blocking wait spins in the same way.
    """
    start = time.monotonic()
    polls = 0
    while not done():
        polls += 1
        if polls % 256 == 0:
            now = time.monotonic()
            if now > deadline:
                return done()
            if now - start > _SPIN_SECONDS:
                time.sleep(0.001)
    return True


class Work:
    """A pending collective or point-to-point operation (``torch.distributed.Work``).

    ``wait()`` blocks until it is done and returns True; ``is_completed()`` asks without
    blocking; ``exception()`` is the error it ended with; ``result()`` the output tensors.
    """

    def __init__(
        self,
        group: ProcessGroup,
        description: str,
        test: Callable[[], bool],
        finish: Callable[[], None] | None = None,
        outputs: list[Tensor] | None = None,
        on_timeout: Callable[[], str] | None = None,
    ) -> None:
        self._group = group
        self._description = description
        self._test = test
        self._finish = finish
        self._outputs = outputs or []
        self._on_timeout = on_timeout
        self._done = False
        self._exception: BaseException | None = None

    def __repr__(self) -> str:
        state = "completed" if self._done else "pending"
        return f"<Work {self._description} ({state})>"

    def is_completed(self) -> bool:
        """True once the operation has finished (its results are written by ``wait()``)."""
        if self._done:
            return True
        try:
            return bool(self._test())
        except Exception as error:  # the library reported a failure
            self._fail(error)
            return True

    def is_success(self) -> bool:
        """True when the operation finished without an error."""
        return self._done and self._exception is None

    def exception(self) -> BaseException | None:
        return self._exception

    def result(self) -> list[Tensor]:
        """The output tensors (after ``wait()``)."""
        self.wait()
        return list(self._outputs)

    def wait(self, timeout: datetime.timedelta | None = None) -> bool:
        """Block until the operation completes; raise if it failed or timed out.

        ``timeout`` defaults to the process group's; a timeout raises
        :class:`DistBackendError` naming the ranks that have not joined, and the process group
        cannot be used afterwards (its processes disagree about what has been sent).
        """
        if self._done:
            if self._exception is not None:
                raise self._exception
            return True
        group = self._group
        seconds = (timeout or group.timeout).total_seconds()
        try:
            completed = poll_until(self._test, time.monotonic() + seconds)
        except Exception as error:
            self._fail(error)
            raise self._exception from error  # type: ignore[misc]
        if not completed:
            diagnosis = self._on_timeout() if self._on_timeout is not None else ""
            message = (
                f"{self._description} did not complete within "
                f"{datetime.timedelta(seconds=seconds)} on rank {group.rank}"
                + (f": {diagnosis}" if diagnosis else "")
                + ". The process group is broken now; end the job (an uncaught error in a "
                "process started by `plugtorch run` ends every rank)."
            )
            timed_out = DistBackendError(message)
            group.mark_broken(message)
            self._done = True
            self._exception = timed_out
            raise timed_out
        if self._finish is not None:
            self._finish()
        self._done = True
        return True

    def _fail(self, error: BaseException) -> None:
        message = f"{self._description} failed on rank {self._group.rank}: {error}"
        self._exception = DistBackendError(message)
        self._done = True
        self._group.mark_broken(message)


def completed_work(group: ProcessGroup, description: str, outputs: Any = None) -> Work:
    """A handle for an operation that finished at once (e.g. a collective of one process)."""
    return Work(group, description, lambda: True, outputs=outputs)
