"""Tests for plugtorch.data: toy sets, IDX/MNIST, digits splits, datasets and the DataLoader."""

from __future__ import annotations

import gzip
import math
import os
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import plugtorch
from plugtorch.data import (
    MNIST,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from plugtorch.data.digits import load_digits, stratified_split, train_test_split
from plugtorch.data.idx import IDXFormatError, read_idx, write_idx
from plugtorch.data.mnist import load_mnist
from plugtorch.data.toy import TOY_DATASETS, make_toy

# --- toy sets -------------------------------------------------------------------------------

RULES = {
    "simple": lambda a, b: a < 0.5,
    "diag": lambda a, b: a + b < 0.5,
    "split": lambda a, b: a < 0.2 or a > 0.8,
    "xor": lambda a, b: (a < 0.5 and b > 0.5) or (a > 0.5 and b < 0.5),
    "circle": lambda a, b: (a - 0.5) * (a - 0.5) + (b - 0.5) * (b - 0.5) > 0.1,
}


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_toy_shapes_and_dtypes(name: str) -> None:
    X, y = make_toy(name, n=50, seed=0)
    assert X.shape == (50, 2) and X.dtype == np.float32
    assert y.shape == (50,) and y.dtype == np.int64
    assert set(np.unique(y)) <= {0, 1}


@pytest.mark.parametrize("name", sorted(RULES))
@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 300), seed=st.integers(0, 2**32))
def test_toy_labels_follow_the_course_rule(name: str, n: int, seed: int) -> None:
    X, y = make_toy(name, n=n, seed=seed)
    assert X.shape == (n, 2)
    assert ((X >= 0) & (X < 1)).all()
    expected = [int(RULES[name](float(a), float(b))) for a, b in X]
    assert y.tolist() == expected


@pytest.mark.parametrize("name", TOY_DATASETS)
def test_toy_is_deterministic(name: str) -> None:
    X1, y1 = make_toy(name, n=40, seed=7)
    X2, y2 = make_toy(name, n=40, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    if name != "spiral":
        assert not np.array_equal(X1, make_toy(name, n=40, seed=8)[0])


def _course_spiral(N: int) -> tuple[list[tuple[float, float]], list[int]]:
    """The course's definition, transcribed to check against."""

    def x(t: float) -> float:
        return t * math.cos(t) / 20.0

    def y(t: float) -> float:
        return t * math.sin(t) / 20.0

    half = N // 2
    points = [(x(10.0 * (i / half)) + 0.5, y(10.0 * (i / half)) + 0.5) for i in range(5, 5 + half)]
    points += [
        (y(-10.0 * (i / half)) + 0.5, x(-10.0 * (i / half)) + 0.5) for i in range(5, 5 + half)
    ]
    return points, [0] * half + [1] * half


@pytest.mark.parametrize("n", [2, 10, 50, 100])
def test_spiral_matches_the_course(n: int) -> None:
    X, y = make_toy("spiral", n=n)
    points, labels = _course_spiral(n)
    np.testing.assert_allclose(X, np.asarray(points, np.float32), rtol=0, atol=1e-7)
    assert y.tolist() == labels


def test_spiral_odd_n_gives_n_points() -> None:
    X, y = make_toy("spiral", n=7)
    assert X.shape == (7, 2) and y.tolist() == [0, 0, 0, 1, 1, 1, 1]


def test_toy_errors() -> None:
    with pytest.raises(ValueError, match="unknown toy dataset 'moons'.*simple"):
        make_toy("moons")
    with pytest.raises(ValueError, match="non-negative"):
        make_toy("xor", n=-1)
    assert make_toy("XOR", n=3)[0].shape == (3, 2)


# --- IDX ------------------------------------------------------------------------------------

IDX_TYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", IDX_TYPES)
@pytest.mark.parametrize("compress", [False, True])
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_idx_round_trip(dtype, compress, data) -> None:
    array = data.draw(
        hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "array.idx")
        write_idx(path, array, compress=compress)
        back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_big_endian(tmp_path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.array([7, 2, 1], np.uint8))
    assert path.read_bytes() == b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x02\x01"
    path.write_bytes(b"\x00\x00\x0b\x01\x00\x00\x00\x02\x01\x00\x00\x02")
    assert read_idx(path).tolist() == [256, 2]


def test_idx_gzip_detected_by_content_and_name(tmp_path) -> None:
    array = np.arange(12, dtype=np.int32).reshape(3, 4)
    write_idx(tmp_path / "a.gz", array, compress=True)
    write_idx(tmp_path / "b", array, compress=True)  # compressed but no .gz suffix
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), array)
    np.testing.assert_array_equal(read_idx(tmp_path / "b"), array)


def _idx_bytes(array: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 8, np.dtype(np.float32): 0x0D}[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_idx_truncated_data(tmp_path) -> None:
    raw = _idx_bytes(np.zeros((4, 5, 5), np.uint8))
    path = tmp_path / "images"
    for cut in range(len(raw)):
        path.write_bytes(raw[:cut])
        with pytest.raises(IDXFormatError, match=f"{path}.*(truncated|too short)"):
            read_idx(path)


def test_idx_truncated_gzip(tmp_path) -> None:
    packed = gzip.compress(_idx_bytes(np.zeros((40, 5, 5), np.uint8)))
    path = tmp_path / "images.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(IDXFormatError, match="gzip data is truncated or corrupt"):
        read_idx(path)


def test_idx_foreign_and_malformed(tmp_path) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(IDXFormatError, match="not an IDX file.*89504e47"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x00")
    with pytest.raises(IDXFormatError, match="unknown IDX type code 0x07"):
        read_idx(path)
    path.write_bytes(_idx_bytes(np.zeros(3, np.uint8)) + b"extra")
    with pytest.raises(IDXFormatError, match="5 unexpected bytes"):
        read_idx(path)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing")
    assert issubclass(IDXFormatError, ValueError)


def test_write_idx_rejects_unsupported_dtype(tmp_path) -> None:
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        write_idx(tmp_path / "x", np.zeros(2, np.int64))


# --- MNIST ----------------------------------------------------------------------------------


def _fake_mnist(folder, train: bool = True, n: int = 6, compress: bool = True) -> None:
    stem = "train" if train else "t10k"
    suffix = ".gz" if compress else ""
    rng = np.random.default_rng(0)
    os.makedirs(folder, exist_ok=True)
    write_idx(
        os.path.join(folder, f"{stem}-images-idx3-ubyte{suffix}"),
        rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        compress=compress,
    )
    write_idx(
        os.path.join(folder, f"{stem}-labels-idx1-ubyte{suffix}"),
        np.arange(n, dtype=np.uint8) % 10,
        compress=compress,
    )


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist(tmp_path, compress) -> None:
    _fake_mnist(tmp_path, train=False, n=6, compress=compress)
    images, labels = load_mnist(tmp_path, train=False)
    assert images.shape == (6, 1, 28, 28) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 2, 3, 4, 5]


def test_load_mnist_torchvision_layout(tmp_path) -> None:
    _fake_mnist(tmp_path / "MNIST" / "raw", train=True, n=3)
    assert load_mnist(tmp_path, train=True)[0].shape == (3, 1, 28, 28)


def test_load_mnist_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*not found"):
        load_mnist(tmp_path)
    _fake_mnist(tmp_path, n=4)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8), compress=True)
    with pytest.raises(IDXFormatError, match="has 4 images but .* has 3 labels"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(4, 12, np.uint8), compress=True)
    with pytest.raises(IDXFormatError, match="label 12 is not a digit"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((4, 1), np.uint8), compress=True)
    with pytest.raises(IDXFormatError, match="expected uint8 labels of shape"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((4, 2), np.float32), True)
    with pytest.raises(IDXFormatError, match="expected uint8 images"):
        load_mnist(tmp_path)


# --- digits and stratified splits ----------------------------------------------------------


def test_load_digits() -> None:
    pytest.importorskip("sklearn")
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))
    train_x, _train_y = load_digits(split="train", test_size=0.2, seed=0)
    test_x, test_y = load_digits(split="test", test_size=0.2, seed=0)
    assert len(train_x) + len(test_x) == 1797 and len(test_x) == round(0.2 * 1797)
    np.testing.assert_array_equal(test_y, load_digits(split="test", seed=0)[1])
    # every class is held out in proportion
    counts = np.bincount(labels)
    assert (np.abs(np.bincount(test_y) - 0.2 * counts) < 1).all()


def test_load_digits_without_sklearn(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn.*plugtorch\[digits\]"):
        load_digits()


def test_load_digits_bad_split() -> None:
    with pytest.raises(ValueError, match="split must be"):
        load_digits(split="validation")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=0, max_size=200),
    test_size=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_stratified_split_properties(labels, test_size, seed) -> None:
    labels = np.asarray(labels, np.int64)
    train, test = stratified_split(labels, test_size, seed)
    assert train.dtype == np.int64 and test.dtype == np.int64
    # disjoint, covering, sorted
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(labels)))
    assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
    assert len(test) == round(test_size * len(labels))
    # every class within one sample of its exact share
    for cls in np.unique(labels):
        exact = (labels == cls).sum() * len(test) / len(labels)
        assert abs((labels[test] == cls).sum() - exact) < 1 + 1e-9
    # deterministic
    again = stratified_split(labels, test_size, seed)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(test, again[1])


def test_stratified_split_depends_on_seed() -> None:
    labels = np.arange(200) % 4
    assert not np.array_equal(
        stratified_split(labels, 0.3, 0)[1], stratified_split(labels, 0.3, 1)[1]
    )
    with pytest.raises(ValueError, match="test_size"):
        stratified_split(labels, 1.5)


def test_train_test_split() -> None:
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10) % 2
    x_train, x_test, _y_train, y_test = train_test_split(x, y, test_size=0.4, seed=3, stratify=y)
    assert x_train.shape == (6, 2) and x_test.shape == (4, 2)
    np.testing.assert_array_equal(x_test[:, 0] // 2 % 2, y_test)
    assert (y_test == 1).sum() == 2
    with pytest.raises(ValueError, match="different lengths"):
        train_test_split(x, y[:5])


# --- datasets and the loader (need the core Tensor) -----------------------------------------


def _dataset(n: int = 10) -> TensorDataset:
    return TensorDataset(np.arange(2 * n, dtype=np.float32).reshape(n, 2), np.arange(n))


def _labels(loader: DataLoader) -> list[list[int]]:
    return [batch[-1].tolist() for batch in loader]


def test_tensor_dataset_basics() -> None:
    data = _dataset(5)
    assert len(data) == 5 and data.backend.name == "numpy"
    x, y = data[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    assert data.tensors[0].dtype == plugtorch.float32 and data.tensors[1].dtype == plugtorch.int64
    tensors = (plugtorch.zeros(4, 3), plugtorch.ones(4))
    assert TensorDataset(*tensors).tensors[0] is tensors[0]  # tensors are not copied


def test_tensor_dataset_errors() -> None:
    with pytest.raises(ValueError, match=r"same size in the first dimension.*\(3, 2\).*\(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(plugtorch.tensor(1.0))


def test_dataset_base_requires_methods() -> None:
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(TypeError, match="has no len"):  # no default __len__, as in PyTorch
        len(Dataset())


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_loader_len_and_batches(n: int, batch_size: int, drop_last: bool) -> None:
    loader = DataLoader(_dataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = _labels(loader)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(loader) == expected == len(batches)
    assert all(len(b) == batch_size for b in batches[:-1] if batches)
    flat = [i for b in batches for i in b]
    assert flat == list(range(len(flat)))
    assert len(flat) == (expected * batch_size if drop_last else n)


def test_loader_batch_contents_and_types() -> None:
    x, y = next(iter(DataLoader(_dataset(), batch_size=3)))
    assert isinstance(x, plugtorch.Tensor) and x.shape == (3, 2) and y.shape == (3,)
    assert x.dtype == plugtorch.float32 and y.dtype == plugtorch.int64
    assert x.tolist() == [[0, 1], [2, 3], [4, 5]]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 8), seed=st.integers(0, 2**32))
def test_shuffle_is_a_permutation_and_repeats(n: int, batch_size: int, seed: int) -> None:
    first = DataLoader(_dataset(n), batch_size=batch_size, shuffle=True, seed=seed)
    second = DataLoader(_dataset(n), batch_size=batch_size, shuffle=True, seed=seed)
    for _ in range(3):  # epoch after epoch
        a, b = _labels(first), _labels(second)
        assert a == b
        assert sorted(i for batch in a for i in batch) == list(range(n))


def test_shuffle_rows_stay_together() -> None:
    for x, y in DataLoader(_dataset(), batch_size=4, shuffle=True, seed=1):
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_shuffle_epochs_differ_and_set_epoch_replays() -> None:
    loader = DataLoader(_dataset(50), batch_size=50, shuffle=True, seed=0)
    epoch0, epoch1 = _labels(loader), _labels(loader)
    assert epoch0 != epoch1
    loader.set_epoch(1)
    assert _labels(loader) == epoch1
    assert _labels(DataLoader(_dataset(50), batch_size=50, shuffle=True, seed=1)) != epoch0


def test_shuffle_without_seed_follows_manual_seed() -> None:
    plugtorch.manual_seed(123)
    a = _labels(DataLoader(_dataset(30), batch_size=30, shuffle=True))
    plugtorch.manual_seed(123)
    b = _labels(DataLoader(_dataset(30), batch_size=30, shuffle=True))
    assert a == b


def test_shuffle_with_numpy_generator() -> None:
    def make() -> DataLoader:
        generator = np.random.default_rng(5)
        return DataLoader(_dataset(30), batch_size=30, shuffle=True, generator=generator)

    assert _labels(make()) == _labels(make())
    with pytest.raises(ValueError, match="either seed or generator"):
        DataLoader(_dataset(), shuffle=True, seed=1, generator=np.random.default_rng(1))


def test_loader_argument_errors() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            DataLoader(_dataset(), batch_size=bad)


def test_fast_path_gathers_whole_batches(monkeypatch) -> None:
    data = TensorDataset(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10))
    calls = []
    original = plugtorch.Tensor.__getitem__

    def counting(self, index):
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(plugtorch.Tensor, "__getitem__", counting)
    batches = list(DataLoader(data, batch_size=4, shuffle=True, seed=0))
    assert len(batches) == 3
    assert len(calls) == 3 * 2  # one gather per tensor per batch
    calls.clear()
    list(DataLoader(Subset(data, [9, 8, 7, 1, 2]), batch_size=2))
    assert len(calls) == 3 * 2


class _Doubled(TensorDataset):
    def __getitem__(self, index):  # a subclass's own samples must be honoured
        x, y = super().__getitem__(index)
        return x * 2, y


def test_subclass_samples_are_not_bypassed() -> None:
    data = _Doubled(np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10))
    x, y = next(iter(DataLoader(data, batch_size=3)))
    assert x.tolist() == [[0, 2], [4, 6], [8, 10]] and y.tolist() == [0, 1, 2]


def test_batches_are_copies_not_views_of_the_data() -> None:
    data = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    x, _ = next(iter(DataLoader(data, batch_size=4)))
    x.add_(1.0)
    assert data.tensors[0].tolist() == [[0, 0]] * 4


def test_subset_of_tensor_dataset_through_loader() -> None:
    data = _dataset()
    subset = Subset(Subset(data, [9, 7, 5, 3, 1]), [4, 0, -1])
    assert len(subset) == 3
    assert _labels(DataLoader(subset, batch_size=2)) == [[1, 9], [1]]
    assert _labels(DataLoader(subset, batch_size=3, collate_fn=None)) == [[1, 9, 1]]
    with pytest.raises(IndexError, match="out of range"):
        Subset(data, [10])


def test_generic_dataset_uses_default_collate() -> None:
    class Pairs(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int):
            return {"x": np.full(3, i, np.float32), "y": i, "w": 0.5, "name": f"s{i}"}

    batch = next(iter(DataLoader(Pairs(), batch_size=2)))
    assert batch["x"].shape == (2, 3) and batch["x"].dtype == plugtorch.float32
    assert batch["y"].tolist() == [0, 1] and batch["y"].dtype == plugtorch.int64
    assert batch["w"].dtype == plugtorch.float64  # Python floats: float64, as PyTorch
    assert batch["name"] == ["s0", "s1"]


def test_default_collate_kinds() -> None:
    x, flag = default_collate([(plugtorch.ones(2), True), (plugtorch.zeros(2), False)])
    assert x.tolist() == [[1, 1], [0, 0]] and flag.dtype == plugtorch.bool
    as_list = default_collate([[1, 2.0], [3, 4.0]])
    assert isinstance(as_list, list) and as_list[0].tolist() == [1, 3]
    with pytest.raises(TypeError, match="batch must contain tensors.*found <class 'object'>"):
        default_collate([object()])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([(1, 2), (3,)])


def test_custom_collate_fn() -> None:
    loader = DataLoader(list(range(5)), batch_size=2, collate_fn=lambda batch: sum(batch))
    assert list(loader) == [1, 5, 4]


# With one sample, lengths [0, 1] sum to 1 and read as fractions, as in PyTorch (which warns
# about the empty split the same way).
@pytest.mark.filterwarnings("ignore:Length of split at index:UserWarning")
@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 60), seed=st.integers(0, 2**32), cut=st.floats(0, 1))
def test_random_split_properties(n: int, seed: int, cut: float) -> None:
    first = round(cut * n)
    a, b = random_split(list(range(n)), [first, n - first], seed=seed)
    values = [a[i] for i in range(len(a))] + [b[i] for i in range(len(b))]
    assert len(a) == first and sorted(values) == list(range(n))
    again = random_split(list(range(n)), [first, n - first], seed=seed)
    assert [again[0][i] for i in range(len(a))] == values[:first]


def test_random_split_fractions_and_errors() -> None:
    parts = random_split(list(range(10)), [0.5, 0.3, 0.2], seed=0)
    assert [len(p) for p in parts] == [5, 3, 2]
    assert [len(p) for p in random_split(list(range(11)), [0.5, 0.5], seed=0)] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length"):
        random_split(list(range(10)), [3, 3])
    with pytest.raises(ValueError, match="fractions summing to 1"):
        random_split(list(range(10)), [0.5, 0.2])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(list(range(10)), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split([7], [0.5, 0.5])
    plugtorch.manual_seed(4)
    a = list(random_split(list(range(10)), [5, 5])[0].indices)
    plugtorch.manual_seed(4)
    assert list(random_split(list(range(10)), [5, 5])[0].indices) == a


def test_mnist_dataset(tmp_path) -> None:
    _fake_mnist(tmp_path, train=True, n=5)
    data = MNIST(tmp_path, train=True)
    image, label = data[2]
    assert len(data) == 5 and image.shape == (1, 28, 28) and label.item() == 2
    x, y = next(iter(DataLoader(data, batch_size=5)))
    assert x.shape == (5, 1, 28, 28) and y.dtype == plugtorch.int64


def test_digits_pipeline() -> None:
    pytest.importorskip("sklearn")
    images, labels = load_digits(split="train")
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True, seed=0)
    x, y = next(iter(loader))
    assert x.shape == (64, 1, 8, 8) and x.dtype == plugtorch.float32 and y.shape == (64,)


def _other_backends() -> list[str]:
    return [b.name for b in plugtorch.list_backends() if b.available and b.name != "numpy"]


@pytest.mark.parametrize("backend", _other_backends())
def test_loader_on_other_backends(backend: str) -> None:
    data = TensorDataset(
        np.arange(20, dtype=np.float32).reshape(10, 2), np.arange(10), backend=backend
    )
    reference = _labels(DataLoader(_dataset(), batch_size=4, shuffle=True, seed=3))
    loader = DataLoader(data, batch_size=4, shuffle=True, seed=3)
    batches = list(loader)
    assert all(t.backend.name == backend for batch in batches for t in batch)
    assert [batch[1].tolist() for batch in batches] == reference  # same shuffle everywhere
    assert default_collate([1, 2], backend=backend).backend.name == backend


@pytest.mark.parametrize("backend", _other_backends())
def test_tensor_dataset_mixed_backends(backend: str) -> None:
    here, there = plugtorch.zeros(3, 2), plugtorch.zeros(3, backend=backend)
    with pytest.raises(ValueError, match=f"tensor 1 is on backend '{backend}'.*t.to"):
        TensorDataset(here, there)
    moved = TensorDataset(here, there, backend="numpy")
    assert all(t.backend.name == "numpy" for t in moved.tensors)
