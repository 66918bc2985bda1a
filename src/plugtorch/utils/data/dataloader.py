"""``DataLoader``, as ``torch.utils.data.dataloader``: batches from a dataset, in the main
process or in worker processes.

Example:
    >>> import numpy as np, plugtorch
    >>> from plugtorch.utils.data import DataLoader, TensorDataset
    >>> data = TensorDataset(np.arange(10, dtype=np.float32).reshape(5, 2), np.arange(5))
    >>> loader = DataLoader(data, batch_size=2, shuffle=True,
    ...                     generator=plugtorch.Generator().manual_seed(0))
    >>> len(loader), [tuple(y.shape) for _, y in loader]
    (3, [(2,), (2,), (1,)])
"""

from __future__ import annotations

import itertools
import multiprocessing
import numbers
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import numpy as np

from plugtorch import cuda
from plugtorch.utils.data._collate import default_collate, default_convert
from plugtorch.utils.data._fetch import make_fetcher
from plugtorch.utils.data._multiprocess import MultiProcessIterator
from plugtorch.utils.data._seeding import draw_seed, resolve_seed
from plugtorch.utils.data._worker import get_worker_info
from plugtorch.utils.data.dataset import IterableDataset
from plugtorch.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

T_co = TypeVar("T_co", covariant=True)


class _InfiniteConstantSampler(Sampler[None]):
    """``None`` forever: the index stream of an IterableDataset (PyTorch's placeholder)."""

    def __iter__(self) -> Iterator[None]:
        return itertools.repeat(None)


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def _context(value: Any) -> Any:
    if isinstance(value, str):
        methods = multiprocessing.get_all_start_methods()
        if value not in methods:
            raise ValueError(
                "multiprocessing_context option should specify a valid start method in "
                f"{methods!r}, but got multiprocessing_context={value!r}"
            )
        return multiprocessing.get_context(value)
    if not isinstance(value, multiprocessing.context.BaseContext):
        raise TypeError(
            "multiprocessing_context option should be a valid context object or a string "
            f"specifying the start method, but got multiprocessing_context={value!r}"
        )
    return value


class DataLoader(Generic[T_co]):
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Map-style datasets are visited in the order of ``sampler`` (default: in order, or a
    :class:`RandomSampler` with ``shuffle=True``), grouped by a :class:`BatchSampler` of
    ``batch_size`` (``drop_last`` drops a short last batch) or by ``batch_sampler``; each
    batch is ``collate_fn(samples)`` (default: :func:`default_collate`; with
    ``batch_size=None``, samples are yielded one by one through :func:`default_convert`). An
    :class:`IterableDataset` is read as a stream and batched the same way.

    ``num_workers > 0`` loads in that many worker processes, as PyTorch: indices still come
    from the sampler in this process, so the batches are the same as with ``num_workers=0``;
    each worker is seeded with ``base_seed + worker_id`` (``base_seed`` drawn from
    ``generator``, else the global generator, once per epoch), ``worker_init_fn(worker_id)``
    runs in it first, :func:`get_worker_info` describes it, and an exception in a worker is
    raised here with the worker's traceback. ``prefetch_factor`` (default 2) tasks per worker
    are in flight; ``persistent_workers`` keeps the workers between epochs; ``timeout`` (> 0)
    bounds the wait for one batch; ``multiprocessing_context`` is a start method name or a
    context (default ``"fork"`` where the platform has it; with ``"spawn"`` the dataset,
    ``collate_fn`` and ``worker_init_fn`` must pickle). Tensors travel from workers as host
    arrays and arrive on the backend they were made on.

    ``pin_memory`` is accepted (no accelerator backend uses pinned memory yet; PyTorch's
    warning is given when there is no accelerator); ``in_order=False`` is accepted and batches
    still come in order. plugtorch adds ``seed``: with ``shuffle=True``, epoch ``e`` uses a
    permutation that depends only on ``(seed, e)``, and :meth:`set_epoch` replays any epoch.

    Example:
        >>> loader = DataLoader(list(range(7)), batch_size=3, drop_last=True)
        >>> len(loader), [b.tolist() for b in loader]
        (2, [[0, 1, 2], [3, 4, 5]])
    """

    _iterator: MultiProcessIterator | None = None

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler[Any] | Iterable[Any] | None = None,
        batch_sampler: Sampler[Any] | Iterable[Any] | None = None,
        num_workers: int = 0,
        collate_fn: Callable[[Any], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        num_workers = _check_count(num_workers, "num_workers")
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable "
                "multiprocessing."
            )
        if not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None."
            )
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and _check_count(prefetch_factor, "prefetch_factor") < 1:
            raise ValueError(
                f"prefetch_factor must be a positive int (tasks in flight per worker), got "
                f"{prefetch_factor}"
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            if num_workers == 0:
                raise ValueError(
                    "multiprocessing_context can only be used with multi-process loading "
                    f"(num_workers > 0), but got num_workers={num_workers}"
                )
            multiprocessing_context = _context(multiprocessing_context)
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass either seed or generator, not both")

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            for name, value in (
                ("shuffle", shuffle),
                ("sampler", sampler),
                ("batch_sampler", batch_sampler),
            ):
                if value not in (None, False):
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} option, "
                        f"but got {name}={value!r}"
                    )
        elif sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, "
                    "sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with "
                "drop_last"
            )
        self.seed: int | None = resolve_seed(seed) if seed is not None else None
        self.epoch: int = 0
        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        self._seeded_sampler: bool = self.seed is not None and isinstance(sampler, RandomSampler)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))

        self.dataset: Any = dataset
        self.batch_size: int | None = batch_size
        self.drop_last: bool = bool(drop_last)
        self.sampler: Any = sampler
        self.batch_sampler: Any = batch_sampler
        self.num_workers: int = num_workers
        self.prefetch_factor: int | None = prefetch_factor
        self.pin_memory: bool = bool(pin_memory)
        self.pin_memory_device: str = pin_memory_device
        self.timeout: float = timeout
        self.worker_init_fn: Callable[[int], None] | None = worker_init_fn
        self.multiprocessing_context: Any = multiprocessing_context
        self.generator: Any = generator
        self.persistent_workers: bool = bool(persistent_workers)
        self.in_order: bool = bool(in_order)
        self._iterable: bool = iterable
        self._auto_collation: bool = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn: Callable[[Any], Any] = collate_fn

    # --- what an iterator needs -----------------------------------------------------------------
    def _index_iterable(self) -> Iterable[Any]:
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def _seed_source(self) -> Any:
        """Where a pass draws its base seed from (and so advances, as PyTorch)."""
        if self.seed is not None:
            return np.random.default_rng([self.seed, self.epoch, 1])
        return self.generator

    def _context(self) -> Any:
        if self.multiprocessing_context is not None:
            return self.multiprocessing_context
        if "fork" in multiprocessing.get_all_start_methods():
            return multiprocessing.get_context("fork")
        return multiprocessing.get_context()

    def set_epoch(self, epoch: int) -> None:
        """Make the next pass use epoch ``epoch``'s shuffle (with ``seed``; for resuming)."""
        self.epoch = int(epoch)

    # --- the Python protocols -------------------------------------------------------------------
    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                whole, rest = divmod(length, self.batch_size)
                length = whole if self.drop_last or rest == 0 else whole + 1
            return length
        return len(self._index_iterable())  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        if self._seeded_sampler:
            self.sampler.generator = np.random.default_rng([self.seed, self.epoch])  # type: ignore[union-attr,arg-type]
        if self.pin_memory and not cuda.is_available():
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                UserWarning,
                stacklevel=2,
            )
        try:
            if self.num_workers == 0:
                return _SingleProcessIterator(self)
            if not self.persistent_workers:
                return MultiProcessIterator(self)
            if self._iterator is None:
                self._iterator = MultiProcessIterator(self)
            else:
                self._iterator.reset(self)
            return self._iterator
        finally:
            self.epoch += 1


class _SingleProcessIterator:
    """Batches made in this process, one at a time."""

    def __init__(self, loader: DataLoader[Any]) -> None:
        draw_seed(loader._seed_source())  # drawn and unused, as PyTorch does without workers
        self._loader = loader
        self._indices = iter(loader._index_iterable())
        self._fetcher = make_fetcher(
            loader._iterable,
            loader.dataset,
            loader._auto_collation,
            loader.collate_fn,
            loader.drop_last,
            loader.batch_size,
        )

    def __iter__(self) -> _SingleProcessIterator:
        return self

    def __next__(self) -> Any:
        index = next(self._indices)
        return self._fetcher.fetch(index)

    def __len__(self) -> int:
        return len(self._loader)
