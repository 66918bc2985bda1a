"""What runs inside a DataLoader worker process, and what a worker can ask about itself.

Each worker seeds itself as PyTorch's do (``seed = base_seed + worker_id`` for Python's
``random`` and for plugtorch's global generator; numpy's legacy global generator from a
``SeedSequence`` of both), records :class:`WorkerInfo` for :func:`get_worker_info`, calls
``worker_init_fn(worker_id)``, then answers tasks ``(epoch, task, indices)`` from its queue
with ``(epoch, task, result)`` on its pipe until it gets ``None``. A result is a batch ready
to send (tensors as host arrays), an :class:`ExceptionWrapper` holding the traceback of an
error, or :class:`IterableEnd` when an IterableDataset's stream is exhausted. Results are
pickled here, so a batch that cannot be sent is reported as an error instead of being lost.
"""

from __future__ import annotations

import os
import pickle
import queue
import random
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from plugtorch import random as plugtorch_random
from plugtorch.utils.data._fetch import make_fetcher
from plugtorch.utils.data._transport import to_transport

__all__ = [
    "ExceptionWrapper",
    "IterableEnd",
    "WorkerInfo",
    "get_worker_info",
    "worker_loop",
]

STATUS_CHECK_SECONDS = 5.0  # how often an idle worker checks that its parent still exists


class WorkerInfo:
    """Who this worker is: ``id`` (0 .. num_workers - 1), ``num_workers``, ``seed`` (its
    seed: ``base_seed + id``) and ``dataset`` (its own copy). Read-only."""

    __slots__ = ("id", "num_workers", "seed", "dataset", "_frozen")

    def __init__(self, *, id: int, num_workers: int, seed: int, dataset: Any) -> None:  # noqa: A002
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process, its :class:`WorkerInfo`; in the main process, None.

    An :class:`~plugtorch.utils.data.IterableDataset` uses it to give each worker its own
    share of the stream; ``worker_init_fn`` uses it to configure the worker's dataset copy.

    >>> get_worker_info() is None
    True
    """
    return _worker_info


@dataclass(frozen=True)
class IterableEnd:
    """A worker's IterableDataset stream is exhausted."""

    worker_id: int


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, where: str) -> None:
        kind, error, trace = sys.exc_info()
        self.exc_type: type = kind if kind is not None else RuntimeError
        self.where = where
        self.message = "".join(traceback.format_exception(kind, error, trace))

    def __reduce__(self) -> Any:
        return (_rebuild_wrapper, (self.exc_type, self.where, self.message))

    def reraise(self) -> None:
        """Raise the worker's exception type in this process, its traceback in the message."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.message}"
        if self.exc_type is KeyError:  # KeyError would quote the whole message
            message = KeyErrorMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:  # an exception type whose constructor wants other arguments
            raise RuntimeError(message) from None
        raise error


def _rebuild_wrapper(exc_type: type, where: str, message: str) -> ExceptionWrapper:
    wrapper = ExceptionWrapper.__new__(ExceptionWrapper)
    wrapper.exc_type, wrapper.where, wrapper.message = exc_type, where, message
    return wrapper


class KeyErrorMessage(str):
    """A KeyError's message shown as written (not quoted)."""

    def __repr__(self) -> str:
        return str(self)


def _seed_worker(base_seed: int, worker_id: int) -> int:
    seed = base_seed + worker_id
    random.seed(seed)
    plugtorch_random.manual_seed(seed % (1 << 64))
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _send(connection: Any, message: tuple[Any, ...], worker_id: int) -> bool:
    """Send a result; False when the main process is gone."""
    try:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        original = message[2]
        if isinstance(original, ExceptionWrapper):  # an exception class that does not pickle
            fallback = _rebuild_wrapper(RuntimeError, original.where, original.message)
        else:
            fallback = ExceptionWrapper(
                f"in DataLoader worker process {worker_id} while sending its batch"
            )
        data = pickle.dumps((*message[:2], fallback))
    try:
        connection.send_bytes(data)
    except OSError:  # BrokenPipeError included: the main process closed our pipe
        return False
    return True


def worker_loop(
    iterable: bool,
    dataset: Any,
    index_queue: Any,
    connection: Any,
    auto_collation: bool,
    collate_fn: Callable[[Any], Any],
    drop_last: bool,
    batch_size: int | None,
    base_seed: int,
    init_fn: Callable[[int], None] | None,
    worker_id: int,
    num_workers: int,
) -> None:
    """The body of one worker process (see the module docstring)."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    parent = os.getppid()
    seed = _seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    where = f"in DataLoader worker process {worker_id}"
    init_error: ExceptionWrapper | None = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last, batch_size)
    except Exception:
        init_error = ExceptionWrapper(where)
    epoch: int | None = None
    ended = False
    while True:
        try:
            task = index_queue.get(timeout=STATUS_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:  # the main process died without telling us
                return
            continue
        if task is None:
            return
        task_epoch, number, index = task
        if iterable and epoch is not None and task_epoch != epoch and init_error is None:
            # a persistent worker's next epoch: a fresh pass over its dataset copy
            try:
                fetcher = make_fetcher(
                    iterable, dataset, auto_collation, collate_fn, drop_last, batch_size
                )
                ended = False
            except Exception:
                init_error = ExceptionWrapper(where)
        epoch = task_epoch
        result: Any
        if init_error is not None:
            result = init_error
        elif ended:
            result = IterableEnd(worker_id)
        else:
            try:
                result = to_transport(fetcher.fetch(index))  # type: ignore[union-attr]
            except StopIteration:
                if not iterable:
                    result = ExceptionWrapper(where)
                else:
                    ended = True
                    result = IterableEnd(worker_id)
            except Exception:
                result = ExceptionWrapper(where)
        if not _send(connection, (task_epoch, number, result), worker_id):
            return
