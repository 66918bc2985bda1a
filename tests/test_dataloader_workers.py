"""DataLoader with worker processes: same batches as without, PyTorch's per-worker seeding and
get_worker_info, errors raised here with the worker's traceback, no hangs, no leftovers."""

from __future__ import annotations

import gc
import multiprocessing
import os
import random

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    get_worker_info,
    random_split,
)

AVAILABLE = [b.name for b in pt.list_backends() if b.available]


@pytest.fixture(autouse=True)
def _no_leftover_workers():  # type: ignore[no-untyped-def]
    yield
    gc.collect()
    leftovers = multiprocessing.active_children()
    for child in leftovers:
        child.terminate()
    assert leftovers == [], f"worker processes left running: {leftovers}"


def _g(seed: int = 0) -> pt.Generator:
    return pt.Generator().manual_seed(seed)


def _batches(loader) -> list:  # type: ignore[no-untyped-def]
    def plain(value):  # type: ignore[no-untyped-def]
        if isinstance(value, pt.Tensor):
            return value.tolist()
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    return [plain(batch) for batch in loader]


# --- same batches -----------------------------------------------------------------------------


def test_two_workers_give_the_same_batches_as_none(backend_name: str) -> None:
    data = TensorDataset(
        np.arange(46, dtype=np.float32).reshape(23, 2), np.arange(23), backend=backend_name
    )
    runs = {}
    for workers in (0, 2):
        loader = DataLoader(data, batch_size=4, shuffle=True, num_workers=workers, generator=_g(7))
        batches = list(loader)
        assert all(t.backend.name == backend_name for batch in batches for t in batch)
        runs[workers] = _batches(batches)
    assert runs[0] == runs[2]
    assert sorted(y for batch in runs[0] for y in batch[1]) == list(range(23))


def test_same_batches_with_a_generic_dataset_and_collate_fn() -> None:
    class Records(Dataset):
        def __len__(self) -> int:
            return 11

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            return {"x": np.full(3, i, np.float32), "label": i % 3, "name": f"r{i}"}

    def collate(samples):  # type: ignore[no-untyped-def]
        return [s["label"] for s in samples], [s["name"] for s in samples]

    train, _ = random_split(Records(), [8, 3], generator=_g(1))
    for kwargs in ({}, {"collate_fn": collate}):
        runs = [
            list(
                DataLoader(
                    train, batch_size=3, shuffle=True, generator=_g(2), num_workers=n, **kwargs
                )
            )  # fmt: skip
            for n in (0, 2)
        ]
        if kwargs:
            assert runs[0] == runs[1]
        else:
            assert [b["name"] for b in runs[0]] == [b["name"] for b in runs[1]]
            assert [b["x"].tolist() for b in runs[0]] == [b["x"].tolist() for b in runs[1]]


def test_global_stream_advances_the_same_with_and_without_workers() -> None:
    after = {}
    for workers in (0, 2):
        pt.manual_seed(11)
        batches = _batches(DataLoader(range(9), batch_size=4, shuffle=True, num_workers=workers))
        after[workers] = (batches, pt.rand(1).item())
    assert after[0] == after[2]


# --- seeding and get_worker_info ------------------------------------------------------------


class _WhoAmI(Dataset):
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        info = get_worker_info()
        return {
            "id": info.id,
            "num_workers": info.num_workers,
            "seed": info.seed,
            "same_dataset_type": type(info.dataset) is _WhoAmI,
            "plugtorch": pt.rand(1).item(),
            "python": random.random(),
            "pid": os.getpid(),
            "tag": getattr(info.dataset, "tag", ""),
        }


def _records(loader) -> list[dict]:  # type: ignore[no-untyped-def]
    def first(value):  # type: ignore[no-untyped-def]
        return value[0] if isinstance(value, list) else value.tolist()[0]

    return [{key: first(value) for key, value in b.items()} for b in loader]


def test_workers_are_seeded_as_pytorch_seeds_them() -> None:
    assert get_worker_info() is None
    records = _records(DataLoader(_WhoAmI(), batch_size=1, num_workers=2, generator=_g(3)))
    assert [r["id"] for r in records] == [0, 1, 0, 1]  # round-robin, in order
    assert all(r["num_workers"] == 2 and r["same_dataset_type"] for r in records)
    base = {r["seed"] - r["id"] for r in records}
    assert len(base) == 1  # seed = base_seed + worker_id
    first = {r["id"]: r for r in records[:2]}
    for record in first.values():
        pt.manual_seed(record["seed"])
        assert record["plugtorch"] == pt.rand(1).item()
        assert record["python"] == random.Random(record["seed"]).random()
    assert first[0]["plugtorch"] != first[1]["plugtorch"]
    again = _records(DataLoader(_WhoAmI(), batch_size=1, num_workers=2, generator=_g(3)))
    assert [r["seed"] for r in again] == [r["seed"] for r in records]


def test_worker_init_fn_runs_first_in_each_worker() -> None:
    def init(worker_id: int) -> None:
        get_worker_info().dataset.tag = f"set up by {worker_id}"

    records = _records(DataLoader(_WhoAmI(), batch_size=1, num_workers=2, worker_init_fn=init))
    assert [r["tag"] for r in records] == ["set up by 0", "set up by 1"] * 2


def test_worker_info_is_read_only() -> None:
    class Writes(Dataset):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            get_worker_info().id = 5
            return i

    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        list(DataLoader(Writes(), num_workers=1))


# --- iterable datasets ----------------------------------------------------------------------


class _Sharded(IterableDataset):
    def __init__(self, n: int, shard: bool = True) -> None:
        self.n, self.shard = n, shard

    def __iter__(self):  # type: ignore[no-untyped-def]
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def test_iterable_dataset_sharded_by_worker() -> None:
    batches = [b.tolist() for b in DataLoader(_Sharded(11), batch_size=3, num_workers=2)]
    assert batches == [[0, 2, 4], [1, 3, 5], [6, 8, 10], [7, 9]]  # PyTorch's interleaving
    dropping = [
        b.tolist() for b in DataLoader(_Sharded(11), batch_size=3, num_workers=2, drop_last=True)
    ]
    assert dropping == [[0, 2, 4], [1, 3, 5], [6, 8, 10]]
    single = list(DataLoader(_Sharded(11), batch_size=None, num_workers=3))
    assert sorted(single) == list(range(11))


def test_unsharded_iterable_dataset_repeats_per_worker_as_in_pytorch() -> None:
    values = [v for b in DataLoader(_Sharded(4, shard=False), batch_size=2, num_workers=2)
              for v in b.tolist()]  # fmt: skip
    assert sorted(values) == [0, 0, 1, 1, 2, 2, 3, 3]


# --- errors ---------------------------------------------------------------------------------


class _Fails(Dataset):
    def __len__(self) -> int:
        return 8

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        if i == 5:
            raise ValueError(f"sample {i} is corrupt")
        return np.float32(i)


def test_worker_exception_surfaces_with_its_traceback() -> None:
    loader = DataLoader(_Fails(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as raised:
        list(loader)
    message = str(raised.value)
    assert message.startswith("Caught ValueError in DataLoader worker process 0.")
    assert "Original Traceback (most recent call last)" in message
    assert "in __getitem__" in message and "sample 5 is corrupt" in message
    # the loader still works afterwards, with fresh workers
    assert [b.tolist() for b in DataLoader(_Fails(), batch_size=2, num_workers=2, sampler=[0, 1])]


class _NeedsTwoArguments(Exception):
    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)


def test_exception_types_that_cannot_be_rebuilt_become_runtime_errors() -> None:
    class Odd(Dataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            if i == 1:
                raise _NeedsTwoArguments(3, "odd")
            return i

        def keys(self):  # type: ignore[no-untyped-def]
            return {}["missing"]

    with pytest.raises(RuntimeError, match="Caught _NeedsTwoArguments"):
        list(DataLoader(Odd(), num_workers=1))


def test_key_error_message_is_readable() -> None:
    class Lookup(Dataset):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            return {}["missing-key"]

    with pytest.raises(KeyError) as raised:
        list(DataLoader(Lookup(), num_workers=1))
    assert str(raised.value).startswith("Caught KeyError")


def test_worker_init_fn_error_surfaces() -> None:
    def broken(worker_id: int) -> None:
        raise OSError(f"cannot open the shard of worker {worker_id}")

    with pytest.raises(OSError, match="cannot open the shard of worker"):
        list(DataLoader(range(4), num_workers=2, worker_init_fn=broken))


def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    class Dies(Dataset):
        def __len__(self) -> int:
            return 4

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            if i == 2:
                os._exit(3)
            return i

    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited unexpectedly"):
        list(DataLoader(Dies(), num_workers=2))


def test_timeout_bounds_the_wait_for_a_batch() -> None:
    class Stuck(Dataset):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            multiprocessing.Event().wait()  # never set

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.2 seconds"):
        list(DataLoader(Stuck(), num_workers=1, timeout=0.2))


def test_unpicklable_batch_is_an_error_not_a_hang() -> None:
    class Lambdas(Dataset):
        def __len__(self) -> int:
            return 1

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            return i

    with pytest.raises(Exception, match="while sending its batch"):
        list(DataLoader(Lambdas(), num_workers=1, collate_fn=lambda batch: lambda: batch))


# --- lifetime -------------------------------------------------------------------------------


def test_breaking_out_early_stops_the_workers() -> None:
    loader = DataLoader(range(100), batch_size=2, num_workers=2)
    for _ in loader:
        break
    # the iterator is garbage now; the autouse fixture checks nothing is left running


def test_persistent_workers_are_kept_between_epochs() -> None:
    generator = _g(4)
    loader = DataLoader(_WhoAmI(), batch_size=1, num_workers=2, persistent_workers=True,
                        generator=generator, shuffle=True)  # fmt: skip
    first, second = _records(loader), _records(loader)
    assert {r["pid"] for r in first} == {r["pid"] for r in second}
    assert len({r["pid"] for r in first}) == 2
    loader._iterator.shutdown()  # type: ignore[union-attr]


def test_persistent_workers_epochs() -> None:
    data = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))

    def epochs(**kwargs):  # type: ignore[no-untyped-def]
        loader = DataLoader(data, batch_size=3, shuffle=True, generator=_g(9), **kwargs)
        result = [_batches(loader) for _ in range(3)]
        if loader._iterator is not None:
            loader._iterator.shutdown()
        return result

    plain, persistent = epochs(), epochs(num_workers=2, persistent_workers=True)
    assert persistent == epochs(num_workers=2, persistent_workers=True)  # reproducible
    assert persistent[0] == plain[0]
    for epoch in persistent:
        assert sorted(y for _, labels in epoch for y in labels) == list(range(10))
    # As in PyTorch, persistent workers draw their base seed once, not every epoch, so the
    # generator (shared with the sampler) is drawn from differently from the second epoch on.
    assert persistent[1] != plain[1]


def test_spawned_workers_give_the_same_batches() -> None:
    data = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    spawned = DataLoader(data, batch_size=4, shuffle=True, generator=_g(2), num_workers=2,
                         multiprocessing_context="spawn")  # fmt: skip
    local = DataLoader(data, batch_size=4, shuffle=True, generator=_g(2))
    assert _batches(spawned) == _batches(local)


def test_a_dataset_that_spawn_cannot_send_is_an_error_and_nothing_is_left() -> None:
    class Local(Dataset):  # a local class does not pickle
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> int:
            return i

    with pytest.raises(Exception, match="pickle"):
        list(DataLoader(Local(), num_workers=2, multiprocessing_context="spawn"))


@pytest.mark.skipif("numba" not in AVAILABLE, reason="needs the numba backend")
def test_numba_work_in_forked_workers_after_the_parent_used_its_threads() -> None:
    big = pt.ones(1 << 20, backend="numba")
    assert (big * 2).sum().item() == 2 * (1 << 20)  # the parent's thread pool is running

    class Heavy(Dataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            return (pt.ones(1 << 20, backend="numba") * i).sum()

    values = [b.tolist() for b in DataLoader(Heavy(), batch_size=1, num_workers=2)]
    assert values == [[0.0], [float(1 << 20)]]
