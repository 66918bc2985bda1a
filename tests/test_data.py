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
