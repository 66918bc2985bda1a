"""Tests for plugtorch.serialization: safetensors checkpoints, atomic writes, clear errors."""

from __future__ import annotations

import json
import math
import os
import pickle
import struct
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugtorch
from plugtorch.serialization import CheckpointError, CheckpointNotFoundError, load, save

safetensors_numpy = pytest.importorskip("safetensors.numpy")

DTYPES = [plugtorch.float32, plugtorch.float64, plugtorch.int64, plugtorch.bool]


def _sample(dtype, shape) -> plugtorch.Tensor:
    rng = np.random.default_rng(0)
    values = rng.normal(size=shape) * 100
    if dtype is plugtorch.bool:
        values = values > 0
    return plugtorch.tensor(values.astype(dtype.numpy), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 4)])
def test_round_trip(tmp_path, dtype, shape) -> None:
    original = _sample(dtype, shape)
    path = tmp_path / "model.safetensors"
    save({"value": original}, path)
    loaded = load(path)
    assert list(loaded) == ["value"]
    back = loaded["value"]
    assert isinstance(back, plugtorch.Tensor)
    assert back.dtype == dtype and back.shape == shape
    np.testing.assert_array_equal(back.numpy(), original.numpy())


def test_round_trip_many_tensors_and_backend(tmp_path) -> None:
    state = {f"layer{i}.weight": _sample(DTYPES[i % 4], (i + 1, 2)) for i in range(8)}
    save(state, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors", backend="numpy")
    assert set(loaded) == set(state)
    for key, value in state.items():
        assert loaded[key].backend.name == "numpy"
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())


def test_file_is_plain_safetensors(tmp_path) -> None:
    path = tmp_path / "m.safetensors"
    save({"w": plugtorch.ones(2, 3), "b": plugtorch.zeros(3)}, path, metadata={"epoch": "4"})
    arrays = safetensors_numpy.load_file(str(path))
    assert set(arrays) == {"w", "b"} and arrays["w"].dtype == np.float32
    (size,) = struct.unpack("<Q", path.read_bytes()[:8])
    header = json.loads(path.read_bytes()[8 : 8 + size])
    assert header["__metadata__"]["epoch"] == "4"
    assert "plugtorch.structure" not in header["__metadata__"]  # flat dict: no extra structure


def test_non_tensor_values_and_nesting(tmp_path) -> None:
    state = {
        "weight": plugtorch.ones(2),
        "step": 7,
        "lr": 0.125,
        "name": "adam",
        "none": None,
        "flags": (True, False),
        "special": [math.inf, -math.inf],
        "optimizer": {
            "state": {0: {"momentum": plugtorch.tensor([1.0, 2.0]), "step": 3}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}],
        },
    }
    path = tmp_path / "m.safetensors"
    save(state, path)
    loaded = load(path)
    assert list(loaded) == list(state)  # key order kept
    assert loaded["step"] == 7 and loaded["lr"] == 0.125 and loaded["name"] == "adam"
    assert loaded["none"] is None and loaded["flags"] == (True, False)
    assert loaded["special"] == [math.inf, -math.inf]
    momentum = loaded["optimizer"]["state"][0]["momentum"]  # int key kept
    assert isinstance(momentum, plugtorch.Tensor) and momentum.tolist() == [1.0, 2.0]
    assert loaded["optimizer"]["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}
    ]
    nan_path = tmp_path / "nan.safetensors"
    save({"loss": math.nan}, nan_path)
    assert math.isnan(load(nan_path)["loss"])


def test_dotted_name_collision(tmp_path) -> None:
    state = {"a.b": plugtorch.zeros(1), "a": {"b": plugtorch.ones(1)}}
    save(state, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded["a.b"].tolist() == [0.0] and loaded["a"]["b"].tolist() == [1.0]


def test_unsavable_values(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="cannot save object at 'thing'"):
        save({"thing": object()}, tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="keys must be str"):
        save({1: plugtorch.ones(1)}, tmp_path / "m.safetensors")
    with pytest.raises(CheckpointError, match="mapping"):
        save([plugtorch.ones(1)], tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


# --- atomic writes --------------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch, failing) -> None:
    path = tmp_path / "m.safetensors"
    save({"w": plugtorch.zeros(3)}, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="disk full"):
        save({"w": plugtorch.ones(1000)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.safetensors"]
    assert path.read_bytes() == before
    assert load(path)["w"].tolist() == [0.0, 0.0, 0.0]


def test_failed_first_write_leaves_nothing(tmp_path, monkeypatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"w": plugtorch.ones(2)}, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


def test_overwrite(tmp_path) -> None:
    path = tmp_path / "m.safetensors"
    save({"w": plugtorch.zeros(2)}, path)
    save({"w": plugtorch.ones(3)}, path)
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]
    assert os.listdir(tmp_path) == ["m.safetensors"]


# --- clear errors ---------------------------------------------------------------------------


def test_missing_file(tmp_path) -> None:
    path = tmp_path / "nope.safetensors"
    with pytest.raises(CheckpointNotFoundError, match=f"{path}: checkpoint file not found"):
        load(path)
    with pytest.raises(FileNotFoundError):
        load(path)
    with pytest.raises(CheckpointError, match="is a folder"):
        load(tmp_path)


def _checkpoint_bytes() -> bytes:
    return safetensors_numpy.save(
        {"a": np.arange(10, dtype=np.float32), "b": np.ones((3, 3), np.int64)},
        metadata={"format": "plugtorch"},
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fraction=st.floats(0, 1, exclude_max=True))
def test_truncated_file(tmp_path, fraction) -> None:
    raw = _checkpoint_bytes()
    path = tmp_path / "cut.safetensors"
    path.write_bytes(raw[: int(fraction * len(raw))])
    with pytest.raises(CheckpointError, match=f"{path}: .*truncated"):
        load(path)


def test_every_truncation_is_reported(tmp_path) -> None:
    raw = _checkpoint_bytes()
    path = tmp_path / "cut.safetensors"
    for cut in range(len(raw)):
        path.write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match="truncated"):
            load(path)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        pickle.dumps({"w": [1.0, 2.0]}),
        b'{"w": [1.0, 2.0]}',
        b"PK\x03\x04" + bytes(100),  # a zip, like torch.save's files
        struct.pack("<Q", 4) + b"[1,2]",
        struct.pack("<Q", 5) + b"\xff\xfe{}}",
    ],
    ids=["png", "pickle", "json", "zip", "header-not-object", "header-not-utf8"],
)
def test_foreign_file(tmp_path, content) -> None:
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=f"{path}: not a safetensors checkpoint"):
        load(path)


def test_inconsistent_header(tmp_path) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(8))
    with pytest.raises(CheckpointError, match="offsets .* do not match its shape"):
        load(path)
    header = json.dumps({"w": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 1]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + bytes(1))
    with pytest.raises(CheckpointError, match="unknown dtype 'Q7'"):
        load(path)


def test_unsupported_dtype_in_file(tmp_path) -> None:
    path = tmp_path / "half.safetensors"
    safetensors_numpy.save_file({"h": np.ones(2, np.float16)}, str(path))
    with pytest.raises(CheckpointError, match="'h' has dtype float16"):
        load(path)


def test_missing_safetensors(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        save({"w": plugtorch.ones(1)}, tmp_path / "m.safetensors")
    with pytest.raises(ImportError, match="pip install safetensors"):
        load(tmp_path / "m.safetensors")


def test_error_class_is_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)
    assert issubclass(CheckpointNotFoundError, CheckpointError)


@pytest.mark.parametrize(
    "backend", [b.name for b in plugtorch.list_backends() if b.available and b.name != "numpy"]
)
def test_save_and_load_on_other_backends(tmp_path, backend: str) -> None:
    original = plugtorch.tensor([[1.5, -2.0]], backend=backend)
    save({"w": original}, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors", backend=backend)["w"]
    assert loaded.backend.name == backend and loaded.tolist() == [[1.5, -2.0]]
    assert load(tmp_path / "m.safetensors", backend="numpy")["w"].backend.name == "numpy"
