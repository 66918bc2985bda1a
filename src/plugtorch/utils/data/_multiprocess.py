"""The DataLoader's multi-process iterator: worker processes, in-order batches, no hangs.

The main process draws indices from the sampler and sends each task to the next worker's own
queue (at most ``prefetch_factor`` tasks per worker in flight); each worker answers on its own
pipe. The main process waits on all pipes and on every worker's exit at once
(``multiprocessing.connection.wait``), so a worker that dies (killed, crashed) is reported at
once, a worker's exception is raised in the main process with its traceback, and ``timeout``
bounds the wait for a batch. Results are put back in task order. Workers stop when the epoch
ends (or are kept with ``persistent_workers``), when the iterator is dropped or garbage
collected, on an error, or when the interpreter exits; any that does not stop is terminated.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import multiprocessing.connection
import pickle
import time
import weakref
from collections.abc import Iterator
from typing import Any

from plugtorch.utils.data._seeding import draw_seed
from plugtorch.utils.data._transport import from_transport
from plugtorch.utils.data._worker import ExceptionWrapper, IterableEnd, worker_loop

__all__ = ["MultiProcessIterator"]

_JOIN_SECONDS = 2.0  # how long stopping workers may take before they are terminated
_POLL_SECONDS = 5.0


def _shutdown(workers: list[Any], queues: list[Any], connections: list[Any]) -> None:
    """Stop every worker: ask, close their pipes (unblocks a sender), wait, then terminate."""
    for index_queue in queues:
        with contextlib.suppress(Exception):
            index_queue.put(None)
    for connection in connections:
        with contextlib.suppress(Exception):
            connection.close()
    deadline = time.monotonic() + _JOIN_SECONDS
    for worker in workers:
        worker.join(timeout=max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
            worker.join(timeout=_JOIN_SECONDS)
    for index_queue in queues:
        with contextlib.suppress(Exception):
            index_queue.close()


class MultiProcessIterator:
    """Iterates a DataLoader with ``num_workers > 0`` (see the module docstring)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader
        self._count = loader.num_workers
        self._timeout = float(loader.timeout)
        self._prefetch = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._iterable = loader._iterable
        context = loader._context()
        base_seed = draw_seed(loader._seed_source())
        self._workers: list[Any] = []
        self._queues: list[Any] = []
        self._connections: list[Any] = []
        # set up first: if starting a later worker fails, the ones started are still stopped
        self._finalizer = weakref.finalize(
            self, _shutdown, self._workers, self._queues, self._connections
        )
        for worker_id in range(self._count):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            reader, writer = context.Pipe(duplex=False)
            worker = context.Process(
                target=worker_loop,
                args=(
                    self._iterable,
                    loader.dataset,
                    index_queue,
                    writer,
                    loader._auto_collation,
                    loader.collate_fn,
                    loader.drop_last,
                    loader.batch_size,
                    base_seed,
                    loader.worker_init_fn,
                    worker_id,
                    self._count,
                ),
                daemon=True,
            )
            worker.start()
            writer.close()  # the worker holds the only write end: its exit reads as EOF
            self._workers.append(worker)
            self._queues.append(index_queue)
            self._connections.append(reader)
        self._epoch = -1
        self._start_epoch()

    # --- epochs ---------------------------------------------------------------------------------
    def _start_epoch(self) -> None:
        self._epoch += 1
        self._sampler = iter(self._loader._index_iterable())
        self._sent = 0
        self._received = 0
        self._tasks: dict[int, list[Any]] = {}  # task -> [worker_id] or [worker_id, result]
        self._active = [True] * self._count
        self._cycle = itertools.cycle(range(self._count))
        for _ in range(self._prefetch * self._count):
            self._send_next()

    def reset(self, loader: Any) -> None:
        """Start the next epoch with the same (persistent) workers."""
        self._loader = loader
        self._start_epoch()

    def _send_next(self) -> None:
        try:
            index = next(self._sampler)
        except StopIteration:
            return
        for _ in range(self._count):
            worker_id = next(self._cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._queues[worker_id].put((self._epoch, self._sent, index))
        self._tasks[self._sent] = [worker_id]
        self._sent += 1

    # --- results --------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        while True:
            while self._received < self._sent:
                task = self._tasks[self._received]
                if len(task) == 2 or self._active[task[0]]:
                    break
                del self._tasks[self._received]  # its worker's stream has ended
                self._received += 1
            else:
                if not self._persistent:
                    self.shutdown()
                raise StopIteration
            task = self._tasks[self._received]
            if len(task) == 2:
                del self._tasks[self._received]
                self._received += 1
                self._send_next()
                return self._unpack(task[1])
            epoch, number, result = self._wait_for_result()
            if epoch != self._epoch or number not in self._tasks:
                continue  # from an epoch that was abandoned, or a skipped task
            if isinstance(result, IterableEnd):  # its tasks are skipped above from now on
                self._active[result.worker_id] = False
                self._send_next()
                continue
            self._tasks[number].append(result)

    def _unpack(self, result: Any) -> Any:
        if isinstance(result, ExceptionWrapper):
            self.shutdown()
            result.reraise()
        return from_transport(result)

    def _wait_for_result(self) -> tuple[int, int, Any]:
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        by_sentinel = {worker.sentinel: i for i, worker in enumerate(self._workers)}
        while True:
            wait = _POLL_SECONDS if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(
                [*self._connections, *by_sentinel], timeout=min(wait, _POLL_SECONDS)
            )
            for connection in self._connections:
                if connection in ready:
                    return self._receive(connection, self._connections.index(connection))
            for sentinel, worker_id in by_sentinel.items():
                if sentinel in ready:
                    if self._connections[worker_id].poll():
                        return self._receive(self._connections[worker_id], worker_id)
                    raise self._death(worker_id)
            if deadline is not None and time.monotonic() >= deadline:
                for worker in self._workers:  # stuck in the dataset: no point waiting
                    worker.terminate()
                self.shutdown()
                raise RuntimeError(f"DataLoader timed out after {self._timeout:g} seconds")

    def _receive(self, connection: Any, worker_id: int) -> tuple[int, int, Any]:
        try:
            data = connection.recv_bytes()
        except (EOFError, OSError):
            raise self._death(worker_id) from None
        return pickle.loads(data)  # noqa: S301 (our own worker's message, not a file)

    def _death(self, worker_id: int) -> RuntimeError:
        """Stop everything; the error that says worker ``worker_id`` died."""
        worker = self._workers[worker_id]
        worker.join(timeout=1.0)
        code = worker.exitcode
        self.shutdown()
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return RuntimeError(
            f"DataLoader worker (pid {worker.pid}) exited unexpectedly ({how}). A worker "
            "dies like this when the dataset crashes the process (a segfault in native code, "
            "os._exit, running out of memory) or something kills it"
        )

    def shutdown(self) -> None:
        """Stop the workers now (also done when the iterator is garbage collected)."""
        self._finalizer()
        if self._loader is not None and self._loader._iterator is self:
            self._loader._iterator = None
