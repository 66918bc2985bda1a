"""plugtorch.save / plugtorch.load: PyTorch's signatures and semantics over safetensors (never
pickle): paths, PathLike and file objects, nested containers, map_location, atomic writes."""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import struct
import sys
from collections import OrderedDict

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn
from plugtorch.serialization import CheckpointError, CheckpointNotFoundError, load, save

safetensors_numpy = pytest.importorskip("safetensors.numpy")

DTYPES = [pt.float32, pt.float64, pt.int64, pt.int32, pt.uint8, pt.bool]
HAS_CUDA = pt.cuda.is_available()


def _sample(dtype, shape, backend="numpy") -> pt.Tensor:
    values = np.random.default_rng(0).normal(size=shape) * 100
    if dtype is pt.bool:
        values = values > 0
    return pt.tensor(values.astype(dtype.numpy), dtype=dtype, backend=backend)


def _round_trip(obj, target, **load_args):
    """Save to ``target`` (a path, PathLike or stream) and load it back."""
    if isinstance(target, io.IOBase):
        save(obj, target)
        target.seek(0)
        return load(target, **load_args)
    save(obj, target)
    return load(target, **load_args)


@pytest.fixture(params=["str", "pathlike", "file", "bytesio"])
def target(request, tmp_path):
    path = tmp_path / "ckpt.pt"
    if request.param == "str":
        yield str(path)
    elif request.param == "pathlike":
        yield path
    elif request.param == "bytesio":
        yield io.BytesIO()
    else:
        with open(path, "w+b") as stream:
            yield stream


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 3, 4)])
def test_tensor_round_trip(tmp_path, dtype, shape) -> None:
    original = _sample(dtype, shape)
    save({"value": original}, tmp_path / "m.pt")
    back = load(tmp_path / "m.pt")["value"]
    assert isinstance(back, pt.Tensor) and back.dtype == dtype and back.shape == shape
    np.testing.assert_array_equal(back.numpy(), original.numpy())


def test_round_trip_through_every_kind_of_target(target, backend_name) -> None:
    state = {"w": _sample(pt.float32, (2, 3), backend_name), "step": 4}
    loaded = _round_trip(state, target, map_location=backend_name)
    assert list(loaded) == ["w", "step"] and loaded["step"] == 4
    assert loaded["w"].backend.name == backend_name
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())


def test_bare_tensor_list_and_tuple(target) -> None:
    t = pt.arange(6.0).reshape(2, 3)
    assert _round_trip(t, target).tolist() == t.tolist()


def test_nested_containers_keep_types_order_and_values(tmp_path) -> None:
    state = OrderedDict(
        weight=pt.ones(2),
        step=7,
        lr=0.125,
        name="adam",
        none=None,
        flags=(True, False),
        special=[math.inf, -math.inf],
        blob=b"\x00\xffraw",
        dtype=pt.float64,
        optimizer={
            "state": {0: {"momentum": pt.tensor([1.0, 2.0]), "step": 3}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}],
        },
        scores={1.5: "a", None: "b", True: "c"},
    )
    loaded = _round_trip(state, tmp_path / "m.pt")
    assert type(loaded) is OrderedDict and list(loaded) == list(state)
    assert loaded["step"] == 7 and loaded["lr"] == 0.125 and loaded["name"] == "adam"
    assert loaded["none"] is None and loaded["flags"] == (True, False)
    assert loaded["special"] == [math.inf, -math.inf] and loaded["blob"] == b"\x00\xffraw"
    assert loaded["dtype"] is pt.float64
    momentum = loaded["optimizer"]["state"][0]["momentum"]  # int key kept
    assert isinstance(momentum, pt.Tensor) and momentum.tolist() == [1.0, 2.0]
    assert loaded["optimizer"]["param_groups"] == [
        {"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}
    ]
    assert loaded["scores"] == {1.5: "a", None: "b", True: "c"}
    assert math.isnan(_round_trip({"loss": math.nan}, tmp_path / "n.pt")["loss"])
    top = _round_trip([pt.zeros(1), (3, "x"), {"k": pt.ones(2)}], tmp_path / "l.pt")
    assert top[0].tolist() == [0.0] and top[1] == (3, "x") and top[2]["k"].tolist() == [1, 1]


def test_numpy_arrays_stay_numpy_arrays(tmp_path) -> None:
    loaded = _round_trip({"a": np.arange(3), "t": pt.arange(3)}, tmp_path / "m.pt")
    assert isinstance(loaded["a"], np.ndarray) and loaded["a"].tolist() == [0, 1, 2]
    assert isinstance(loaded["t"], pt.Tensor)


def test_same_tensor_object_is_stored_once_and_loads_as_one(tmp_path) -> None:
    shared = pt.ones(3)
    loaded = _round_trip({"a": shared, "b": shared, "nested": [shared]}, tmp_path / "m.pt")
    assert loaded["a"] is loaded["b"] is loaded["nested"][0]
    header = _header((tmp_path / "m.pt").read_bytes())
    assert [key for key in header if key != "__metadata__"] == ["a"]


def test_requires_grad_and_parameters_are_kept(tmp_path) -> None:
    param = nn.Parameter(pt.ones(2))
    leaf = pt.zeros(2, requires_grad=True)
    loaded = _round_trip({"p": param, "leaf": leaf, "plain": pt.ones(1)}, tmp_path / "m.pt")
    assert isinstance(loaded["p"], nn.Parameter) and loaded["p"].requires_grad
    assert loaded["leaf"].requires_grad and loaded["leaf"].is_leaf
    assert not loaded["plain"].requires_grad


def test_model_optimizer_and_scheduler_resume_exactly(tmp_path) -> None:
    def build():
        pt.manual_seed(0)
        model = nn.Linear(3, 2)
        optimizer = pt.optim.Adam(model.parameters(), lr=0.01)
        scheduler = pt.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
        return model, optimizer, scheduler

    def train(model, optimizer, scheduler, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            model(pt.ones(4, 3)).pow(2).sum().backward()
            optimizer.step()
            scheduler.step()

    model, optimizer, scheduler = build()
    train(model, optimizer, scheduler, 2)
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": 2,
    }
    save(checkpoint, tmp_path / "resume.pt")
    train(model, optimizer, scheduler, 2)
    expected = model.weight.detach().numpy().copy()

    resumed, resumed_optimizer, resumed_scheduler = build()
    state = load(tmp_path / "resume.pt", weights_only=True)
    resumed.load_state_dict(state["model"])
    resumed_optimizer.load_state_dict(state["optimizer"])
    resumed_scheduler.load_state_dict(state["scheduler"])
    assert state["epoch"] == 2
    train(resumed, resumed_optimizer, resumed_scheduler, 2)
    np.testing.assert_array_equal(resumed.weight.detach().numpy(), expected)


# --- what cannot be saved -------------------------------------------------------------------


def test_whole_module_or_optimizer_is_refused_with_the_fix(tmp_path) -> None:
    model = nn.Linear(2, 1)
    with pytest.raises(CheckpointError, match=r"whole Module.*state_dict\(\)"):
        save(model, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"whole Module object at 'model'"):
        save({"model": model, "epoch": 1}, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match=r"whole Adam object.*state_dict\(\)"):
        save(pt.optim.Adam(model.parameters()), tmp_path / "m.pt")
    assert os.listdir(tmp_path) == []


def test_unsavable_values_name_the_place(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="cannot save object at 'thing'"):
        save({"thing": object()}, tmp_path / "m.pt")
    with pytest.raises(CheckpointError, match="keys must be str"):
        save({(1, 2): pt.ones(1)}, tmp_path / "m.pt")
    loop: list = []
    loop.append(loop)
    with pytest.raises(CheckpointError, match="contains itself"):
        save({"loop": loop}, tmp_path / "m.pt")
    assert os.listdir(tmp_path) == []


def test_target_must_be_a_path_or_file(tmp_path) -> None:
    with pytest.raises(TypeError, match="path, an os.PathLike or a binary file object"):
        save({"w": pt.ones(1)}, 3)
    save({"w": pt.ones(1)}, tmp_path / "m.pt")
    with open(tmp_path / "m.pt") as text, pytest.raises(TypeError, match="binary mode"):
        load(text)


# --- map_location ---------------------------------------------------------------------------


def test_map_location_forms(tmp_path, backend_name) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.tensor([1.5, -2.0])}, path)
    for location in (backend_name, pt.device(backend_name), {"cpu": backend_name}):
        loaded = load(path, map_location=location)["w"]
        assert loaded.backend.name == backend_name and loaded.tolist() == [1.5, -2.0]
    assert load(path, backend=backend_name)["w"].backend.name == backend_name
    with pt.use_backend(backend_name):  # "cpu" (and no map_location) is the current backend
        assert load(path)["w"].backend.name == backend_name
        assert load(path, map_location="cpu")["w"].backend.name == backend_name
    assert load(path, map_location={"cuda:0": "cpu"})["w"].backend.name == "numpy"


def test_map_location_callable_gets_each_tensor_and_its_location(tmp_path) -> None:
    path = tmp_path / "m.pt"
    save({"a": pt.ones(1), "b": pt.zeros(2)}, path)
    seen = []

    def relocate(tensor, location):
        seen.append((tuple(tensor.shape), location))
        return tensor * 10 if tensor.shape == (1,) else None  # None: the default placement

    loaded = load(path, map_location=relocate)
    assert sorted(seen) == [((1,), "cpu"), ((2,), "cpu")]
    assert loaded["a"].tolist() == [10.0] and loaded["b"].tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="must return a tensor or None"):
        load(path, map_location=lambda tensor, location: "gpu")


def test_map_location_errors(tmp_path) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.ones(1)}, path)
    with pytest.raises(ValueError, match="not both"):
        load(path, map_location="cpu", backend="numpy")
    with pytest.raises(TypeError, match="map_location should be"):
        load(path, map_location=3)
    with pytest.raises(pt.BackendError):
        load(path, map_location="no-such-backend")


@pytest.mark.skipif(HAS_CUDA, reason="checks the error of a machine without a CUDA backend")
def test_cuda_tensors_on_a_cpu_machine_need_map_location(tmp_path) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.ones(1)}, path)
    # rewrite the saved location as a GPU run would have written it
    metadata = _header(path.read_bytes())["__metadata__"]
    structure = metadata["plugtorch.structure"].replace('"device": "cpu"', '"device": "cuda:0"')
    arrays = safetensors_numpy.load_file(str(path))
    path.write_bytes(safetensors_numpy.save(arrays, {**metadata, "plugtorch.structure": structure}))
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        load(path)
    assert load(path, map_location="cpu")["w"].tolist() == [1.0]
    assert load(path, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0]


def test_weights_only_mmap_and_pickle_arguments_are_accepted(tmp_path) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.arange(4.0), "n": 1}, path, pickle_protocol=4)
    for kwargs in ({"weights_only": True}, {"weights_only": False}, {"mmap": True},
                   {"encoding": "latin1"}):  # fmt: skip
        loaded = load(path, **kwargs)
        assert loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and loaded["n"] == 1
    with pytest.raises(ValueError, match="file path in order to use the mmap"):
        load(io.BytesIO(path.read_bytes()), mmap=True)


def test_safe_globals_are_accepted_and_change_nothing(tmp_path) -> None:
    from plugtorch import serialization

    path = tmp_path / "m.pt"
    save({"w": pt.ones(1)}, path)
    with serialization.safe_globals([OrderedDict]):
        assert serialization.get_safe_globals() == [OrderedDict]
        assert load(path)["w"].tolist() == [1.0]
    assert serialization.get_safe_globals() == []
    serialization.add_safe_globals([dict])
    serialization.clear_safe_globals()
    with pytest.raises(TypeError):
        serialization.add_safe_globals(dict)  # type: ignore[arg-type]


# --- the file is plain safetensors ------------------------------------------------------------


def _header(raw: bytes) -> dict:
    (size,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8 : 8 + size])


def test_files_are_plain_safetensors_both_ways(tmp_path) -> None:
    path = tmp_path / "m.safetensors"
    save({"w": pt.ones(2, 3), "b": pt.zeros(3)}, path, metadata={"epoch": "4"})
    arrays = safetensors_numpy.load_file(str(path))
    assert set(arrays) == {"w", "b"} and arrays["w"].dtype == np.float32
    assert _header(path.read_bytes())["__metadata__"]["epoch"] == "4"
    foreign = tmp_path / "foreign.safetensors"
    safetensors_numpy.save_file({"x": np.arange(3, dtype=np.int32), "y": np.ones(2)}, str(foreign))
    loaded = load(foreign)
    assert loaded["x"].dtype is pt.int32 and loaded["y"].tolist() == [1.0, 1.0]


def test_checkpoints_of_plugtorch_0_1_still_load(tmp_path) -> None:
    structure = {
        "order": ["w", "meta"],
        "values": {"meta": {"__dict__": [["epochs", 3], ["history", [0.5, {"__float__": "nan"}]]]}},
    }
    raw = safetensors_numpy.save(
        {"w": np.ones(2, np.float32)},
        metadata={"format": "plugtorch", "plugtorch.structure": json.dumps(structure)},
    )
    path = tmp_path / "old.safetensors"
    path.write_bytes(raw)
    loaded = load(path)
    assert list(loaded) == ["w", "meta"] and loaded["w"].tolist() == [1.0, 1.0]
    assert loaded["meta"]["epochs"] == 3 and math.isnan(loaded["meta"]["history"][1])


def test_unsupported_dtype_in_file(tmp_path) -> None:
    path = tmp_path / "float8.safetensors"
    header = json.dumps({"h": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}})
    path.write_bytes(len(header).to_bytes(8, "little") + header.encode() + b"\0\0")
    with pytest.raises(CheckpointError, match="'h' has dtype float8_e4m3fn"):
        load(path)


def test_half_precision_files_load(tmp_path) -> None:
    """safetensors F16 and BF16 tensors (written by other tools) load as float16/bfloat16."""
    path = tmp_path / "half.safetensors"
    safetensors_numpy.save_file({"h": np.array([0.5, -2.0], np.float16)}, str(path))
    loaded = load(path)["h"]
    assert loaded.dtype is pt.float16 and loaded.tolist() == [0.5, -2.0]


def test_load_needs_no_safetensors_package(tmp_path, monkeypatch) -> None:
    save({"w": pt.ones(1)}, tmp_path / "m.pt")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    assert load(tmp_path / "m.pt")["w"].tolist() == [1.0]
    with pytest.raises(ImportError, match="pip install safetensors"):
        save({"w": pt.ones(1)}, tmp_path / "m2.pt")


def test_error_classes() -> None:
    assert issubclass(CheckpointError, ValueError)
    assert issubclass(CheckpointNotFoundError, CheckpointError)
    assert issubclass(CheckpointNotFoundError, FileNotFoundError)


def test_missing_file_and_folder(tmp_path) -> None:
    path = tmp_path / "nope.pt"
    with pytest.raises(CheckpointNotFoundError, match=f"{path}: checkpoint file not found"):
        load(path)
    with pytest.raises(CheckpointError, match="is a folder"):
        load(tmp_path)


def test_pathlib_subclass_and_bytes_paths(tmp_path) -> None:
    path = pathlib.PurePath(tmp_path / "m.pt")
    save({"w": pt.ones(1)}, path)
    assert load(os.fsencode(str(path)))["w"].tolist() == [1.0]
