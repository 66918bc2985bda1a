"""Samplers, datasets and DataLoader arguments against PyTorch's documented behaviour."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_convert,
)


def _g(seed: int = 0) -> pt.Generator:
    return pt.Generator().manual_seed(seed)


# --- samplers -------------------------------------------------------------------------------


def test_sequential_sampler() -> None:
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert len(SequentialSampler("abc")) == 3


def test_random_sampler_permutes_and_repeats_with_a_generator() -> None:
    order = list(RandomSampler(range(20), generator=_g(1)))
    assert sorted(order) == list(range(20)) and order != list(range(20))
    assert list(RandomSampler(range(20), generator=_g(1))) == order
    shared = _g(1)
    sampler = RandomSampler(range(20), generator=shared)
    assert list(sampler) == order and list(sampler) != order  # the generator advances


def test_random_sampler_without_generator_follows_manual_seed() -> None:
    pt.manual_seed(3)
    first = list(RandomSampler(range(30)))
    pt.manual_seed(3)
    assert list(RandomSampler(range(30))) == first


def test_random_sampler_num_samples_and_replacement() -> None:
    drawn = list(RandomSampler(range(5), replacement=True, num_samples=50, generator=_g()))
    assert len(drawn) == 50 and set(drawn) <= set(range(5)) and len(set(drawn)) > 1
    # without replacement, more samples than data: whole permutations, then part of one
    long = list(RandomSampler(range(4), num_samples=10, generator=_g()))
    assert len(long) == 10
    assert sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]
    assert len(set(long[8:])) == 2
    assert len(RandomSampler(range(4), num_samples=10)) == 10


def test_random_sampler_errors() -> None:
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)  # type: ignore[arg-type]
    for bad in (0, -1):
        with pytest.raises(ValueError, match="num_samples should be a positive integer"):
            RandomSampler(range(3), num_samples=bad)
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler([])  # PyTorch refuses an empty dataset too


def test_subset_random_sampler() -> None:
    indices = [10, 20, 30, 40]
    order = list(SubsetRandomSampler(indices, generator=_g(2)))
    assert sorted(order) == indices and len(SubsetRandomSampler(indices)) == 4
    assert list(SubsetRandomSampler(indices, generator=_g(2))) == order


def test_weighted_random_sampler_follows_the_weights() -> None:
    drawn = np.array(list(WeightedRandomSampler([0.0, 1.0, 3.0], 20_000, generator=_g())))
    assert 0 not in drawn
    share = np.mean(drawn == 2)
    assert 0.72 < share < 0.78  # 3 / 4, within many standard deviations (sd 0.003)
    unique = list(WeightedRandomSampler([1, 1, 1, 1, 5], 5, replacement=False, generator=_g()))
    assert sorted(unique) == [0, 1, 2, 3, 4]
    tensor_weights = WeightedRandomSampler(pt.tensor([0.0, 2.0]), 3, generator=_g())
    assert list(tensor_weights) == [1, 1, 1] and tensor_weights.weights.dtype is pt.float64


def test_weighted_random_sampler_errors() -> None:
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 1)
    for weights, count, replacement, message in (
        ([1.0, -1.0], 1, True, "element < 0"),
        ([1.0, float("nan")], 1, True, "inf"),
        ([0.0, 0.0], 1, True, "sum of probabilities <= 0"),
        ([1.0, 1.0], 3, False, "cannot sample n_sample > prob_dist"),
        ([1.0, 0.0, 0.0], 2, False, "not enough non-negative category"),
    ):
        with pytest.raises(RuntimeError, match=message):
            list(WeightedRandomSampler(weights, count, replacement=replacement))


def test_batch_sampler() -> None:
    assert list(BatchSampler(SequentialSampler(range(7)), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            BatchSampler(range(3), bad, False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)  # type: ignore[arg-type]


# --- datasets -------------------------------------------------------------------------------


class _Count(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(range(self.n))

    def __len__(self) -> int:
        return self.n


def test_concat_dataset() -> None:
    both = ConcatDataset([list("ab"), list("cde")])
    assert len(both) == 5 and [both[i] for i in range(5)] == list("abcde")
    assert both[-1] == "e" and both[-5] == "a" and both.cumulative_sizes == [2, 5]
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-6]
    with pytest.raises(IndexError):
        both[5]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([_Count(2)])

    class Letters(Dataset):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, i: int) -> str:
            return "xy"[i]

    added = Letters() + Letters()
    assert isinstance(added, ConcatDataset) and len(added) == 4


def test_chain_dataset_and_iterable_add() -> None:
    chained = _Count(2) + _Count(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5
    with pytest.raises(TypeError, match="IterableDataset"):
        _Count(1)[0]


def test_subset_keeps_indices_and_indexes_by_list() -> None:
    subset = Subset(list("abcdef"), [5, 0, 2])
    assert subset.indices == [5, 0, 2]
    assert [subset[i] for i in range(3)] == ["f", "a", "c"]
    assert subset.__getitems__([0, 1]) == ["f", "a"]


# --- DataLoader arguments -------------------------------------------------------------------

DATA = TensorDataset(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10))

BAD_ARGUMENTS = {
    "negative workers": (dict(num_workers=-1), ValueError, "num_workers option should be"),
    "negative timeout": (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
    "prefetch without workers": (dict(prefetch_factor=2), ValueError, "prefetch_factor option"),
    "persistent without workers": (
        dict(persistent_workers=True),
        ValueError,
        "persistent_workers option needs num_workers > 0",
    ),
    "sampler and shuffle": (
        dict(sampler=range(10), shuffle=True),
        ValueError,
        "sampler option is mutually exclusive with shuffle",
    ),
    "batch_sampler and batch_size": (
        dict(batch_sampler=[[0, 1]], batch_size=2),
        ValueError,
        "batch_sampler option is mutually exclusive",
    ),
    "batch_sampler and drop_last": (
        dict(batch_sampler=[[0, 1]], drop_last=True),
        ValueError,
        "batch_sampler option is mutually exclusive",
    ),
    "no batching and drop_last": (
        dict(batch_size=None, drop_last=True),
        ValueError,
        "batch_size=None option disables auto-batching",
    ),
    "zero batch size": (dict(batch_size=0), ValueError, "batch_size should be a positive"),
    "bad context name": (
        dict(num_workers=1, multiprocessing_context="teleport"),
        ValueError,
        "valid start method",
    ),
    "context without workers": (
        dict(multiprocessing_context="spawn"),
        ValueError,
        "only be used with multi-process loading",
    ),
    "bad context object": (
        dict(num_workers=1, multiprocessing_context=3),
        TypeError,
        "valid context object",
    ),
    "zero prefetch": (dict(num_workers=1, prefetch_factor=0), ValueError, "positive int"),
    "seed and generator": (dict(seed=1, generator=pt.Generator()), ValueError, "either seed"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS), ids=list(BAD_ARGUMENTS))
def test_loader_argument_errors(case) -> None:
    kwargs, error, message = BAD_ARGUMENTS[case]
    with pytest.raises(error, match=message):
        DataLoader(DATA, **kwargs)


@pytest.mark.parametrize("option", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_dataset_refuses_sampling_options(option) -> None:
    value = {"shuffle": True, "sampler": range(3), "batch_sampler": [[0]]}[option]
    with pytest.raises(ValueError, match=f"expected unspecified {option} option"):
        DataLoader(_Count(3), **{option: value})


def test_default_samplers_and_attributes() -> None:
    loader = DataLoader(DATA, batch_size=4, shuffle=True)
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler) and loader.batch_size == 4
    plain = DataLoader(DATA)
    assert isinstance(plain.sampler, SequentialSampler) and plain.batch_size == 1
    assert plain.num_workers == 0 and plain.prefetch_factor is None and plain.timeout == 0
    assert DataLoader(DATA, num_workers=2).prefetch_factor == 2


def test_batch_size_none_yields_converted_samples() -> None:
    class Samples(Dataset):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
            return {"x": np.full(2, i), "name": f"s{i}"}

    samples = list(DataLoader(Samples(), batch_size=None))
    assert len(samples) == 3 and samples[1]["x"].tolist() == [1, 1]
    assert samples[1]["name"] == "s1"
    assert isinstance(default_convert((np.zeros(1), 2)), list)


def test_custom_sampler_and_batch_sampler() -> None:
    labels = [y.tolist() for _, y in DataLoader(DATA, batch_size=3, sampler=[9, 8, 7, 0])]
    assert labels == [[9, 8, 7], [0]]
    batches = [y.tolist() for _, y in DataLoader(DATA, batch_sampler=[[1, 2], [5]])]
    assert batches == [[1, 2], [5]]


def test_iterable_dataset_batching_and_len() -> None:
    loader = DataLoader(_Count(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    dropping = DataLoader(_Count(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropping] == [[0, 1, 2], [3, 4, 5]] and len(dropping) == 2
    assert list(DataLoader(_Count(2), batch_size=None)) == [0, 1]


def test_generator_makes_the_order_repeat() -> None:
    def labels(loader):  # type: ignore[no-untyped-def]
        return [y.tolist() for _, y in loader]

    first = labels(DataLoader(DATA, batch_size=4, shuffle=True, generator=_g(5)))
    assert labels(DataLoader(DATA, batch_size=4, shuffle=True, generator=_g(5))) == first
    assert labels(DataLoader(DATA, batch_size=4, shuffle=True, generator=_g(6))) != first


def test_each_pass_draws_a_base_seed_from_the_global_generator() -> None:
    # PyTorch draws the workers' base seed from the global generator on every pass, with or
    # without workers, so the global stream advances the same either way.
    pt.manual_seed(0)
    untouched = pt.rand(1).item()
    pt.manual_seed(0)
    list(DataLoader(DATA, batch_size=5))
    assert pt.rand(1).item() != untouched
    pt.manual_seed(0)
    list(DataLoader(DATA, batch_size=5, generator=_g()))
    assert pt.rand(1).item() == untouched  # drawn from the loader's own generator instead


def test_pin_memory_warns_without_an_accelerator() -> None:
    if pt.cuda.is_available():
        pytest.skip("checks the warning of a machine without an accelerator")
    with pytest.warns(UserWarning, match="no accelerator is found"):
        list(DataLoader(DATA, batch_size=5, pin_memory=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(DataLoader(DATA, batch_size=5))


def test_distributed_sampler_path() -> None:
    from plugtorch.utils.data import distributed

    assert pt.utils.data.DistributedSampler is distributed.DistributedSampler
    sampler = distributed.DistributedSampler(range(4), num_replicas=2, rank=0, shuffle=False)
    assert list(sampler) == [0, 2]
