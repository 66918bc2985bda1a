"""Hostile and broken checkpoint files (issue #14, item 6): every one raises CheckpointError
quickly and nothing in a file is ever executed; saves are atomic, honour the umask and clean
up after a killed save; ``plugtorch evaluate`` reports a bad file in one line."""

from __future__ import annotations

import base64
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugtorch as pt
from plugtorch._checkpoint import writer
from plugtorch.cli import main
from plugtorch.serialization import CheckpointError, load, save

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _file(header: object, data: bytes = b"", *, raw_header: bytes | None = None) -> bytes:
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def _valid_bytes() -> bytes:
    buffer = io.BytesIO()
    save(
        {
            "w": pt.arange(6.0).reshape(2, 3),
            "b": pt.tensor([1, 2], dtype=pt.int64),
            "optimizer": {"state": {0: {"step": 3, "m": pt.ones(2)}}, "lr": [0.1, (1, None)]},
            "name": "run",
        },
        buffer,
    )
    return buffer.getvalue()


def _load_bytes(raw: bytes):
    return load(io.BytesIO(raw))


# --- sizes are bounded before anything is read ----------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_fails_at_once() -> None:
    with pytest.raises(CheckpointError, match="/dev/zero: not a safetensors checkpoint"):
        load("/dev/zero")


@pytest.mark.skipif(not os.path.exists("/dev/urandom"), reason="needs /dev/urandom")
def test_dev_urandom_fails_at_once() -> None:
    with pytest.raises(CheckpointError, match="/dev/urandom"):
        load("/dev/urandom")


def test_endless_stream_with_a_huge_declared_size_is_refused_before_reading() -> None:
    class Endless(io.RawIOBase):
        """A header that declares 2**60 bytes of data, then zeros forever."""

        def __init__(self) -> None:
            self.prefix = _file(
                {"w": {"dtype": "U8", "shape": [2**60], "data_offsets": [0, 2**60]}}
            )
            self.position = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            view = memoryview(buffer).cast("B")
            chunk = self.prefix[self.position : self.position + len(view)]
            view[: len(chunk)] = chunk
            view[len(chunk) :] = bytes(len(view) - len(chunk))
            self.position += len(view)
            return len(view)

    with pytest.raises(CheckpointError, match="more than this machine's"):
        load(io.BufferedReader(Endless()))


@pytest.mark.parametrize("cut", [0, 3, 8, 9, 40, -5, -1])
def test_truncated_files_say_truncated(tmp_path, cut) -> None:
    raw = _valid_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(raw[:cut])
    with pytest.raises(CheckpointError, match="truncated|too short"):
        load(path)
    with pytest.raises(CheckpointError, match="truncated|too short"):
        _load_bytes(raw[:cut])


def test_every_truncation_is_reported(tmp_path) -> None:
    raw = safetensors_numpy.save({"a": np.arange(10, dtype=np.float32)})
    path = tmp_path / "cut.pt"
    for cut in range(len(raw)):
        path.write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match="truncated|too short"):
            load(path)


def test_trailing_bytes_are_refused(tmp_path) -> None:
    path = tmp_path / "long.pt"
    path.write_bytes(_valid_bytes() + b"extra")
    with pytest.raises(CheckpointError, match="5 unexpected bytes after the tensor data"):
        load(path)


# --- crafted headers ------------------------------------------------------------------------

ENTRY = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
CRAFTED = {
    "missing dtype": ({"w": {"shape": [2], "data_offsets": [0, 8]}}, 8, "missing dtype"),
    "missing offsets": ({"w": {"dtype": "F32", "shape": [2]}}, 8, "missing data_offsets"),
    "entry not object": ({"w": [1, 2]}, 8, "not a JSON object"),
    "string offsets": ({"w": {**ENTRY, "data_offsets": ["0", "8"]}}, 8, "two integers"),
    "one offset": ({"w": {**ENTRY, "data_offsets": [8]}}, 8, "two integers"),
    "float offsets": ({"w": {**ENTRY, "data_offsets": [0.0, 8.0]}}, 8, "two integers"),
    "bool shape": ({"w": {**ENTRY, "shape": [True, 2]}}, 8, "non-negative integers"),
    "negative shape": ({"w": {**ENTRY, "shape": [-2]}}, 8, "non-negative integers"),
    "string shape": ({"w": {**ENTRY, "shape": "2"}}, 8, "non-negative integers"),
    "too many dims": ({"w": {**ENTRY, "shape": [1] * 65, "data_offsets": [0, 4]}}, 4, "65 dim"),
    "unknown dtype": ({"w": {**ENTRY, "dtype": "Q7"}}, 8, "unknown dtype 'Q7'"),
    "dtype not str": ({"w": {**ENTRY, "dtype": 7}}, 8, "unknown dtype 7"),
    "shape mismatch": ({"w": {**ENTRY, "shape": [4]}}, 8, "do not match its shape"),
    "negative begin": ({"w": {**ENTRY, "data_offsets": [-8, 0]}}, 8, "do not match"),
    "huge shape": (
        {"w": {"dtype": "F64", "shape": [2**40, 2**40], "data_offsets": [0, 2**83]}},
        8,
        "truncated",
    ),
    "huge offsets": ({"w": {**ENTRY, "data_offsets": [2**62, 2**62 + 8]}}, 8, "hole"),
    "overlap": (
        {"a": ENTRY, "b": {**ENTRY, "data_offsets": [4, 12]}},
        12,
        "overlaps another tensor",
    ),
    "hole": ({"a": {**ENTRY, "data_offsets": [4, 12]}}, 12, "hole at bytes \\[0, 4\\)"),
    "metadata not object": ({"__metadata__": [1], "w": ENTRY}, 8, "__metadata__ must map"),
    "metadata not strings": ({"__metadata__": {"a": 1}, "w": ENTRY}, 8, "__metadata__ must map"),
    "metadata empty list": ({"__metadata__": [], "w": ENTRY}, 8, "__metadata__ must map"),
    "header is list": ([ENTRY], 8, "not a safetensors checkpoint"),
}


@pytest.mark.parametrize("case", list(CRAFTED), ids=list(CRAFTED))
def test_crafted_header_entries(case) -> None:
    header, data_size, message = CRAFTED[case]
    with pytest.raises(CheckpointError, match=message):
        _load_bytes(_file(header, bytes(data_size)))


def _with_structure(structure: object, tensors: dict | None = None) -> bytes:
    text = structure if isinstance(structure, str) else json.dumps(structure)
    return safetensors_numpy.save(
        tensors if tensors is not None else {"w": np.ones(2, np.float32)},
        metadata={"format": "plugtorch", "plugtorch.structure": text},
    )


def _nested(depth: int) -> str:
    return '{"version": 2, "root": ' + "[" * depth + "]" * depth + "}"


STRUCTURES = {
    "not json": ("{nope", "not valid JSON"),
    "deep json": (_nested(100_000), "nested too deeply"),
    "deep but parseable": (_nested(500), "nested more than 100 levels"),
    "not object": ("[1, 2]", "not a JSON object"),
    "no root": ({"version": 2}, "neither 'root' nor 'order'"),
    "future version": ({"version": 99, "root": 1}, "version 99"),
    "missing tensor": ({"version": 2, "root": {"__tensor__": "ghost"}}, "not in the file"),
    "tensor name not str": ({"version": 2, "root": {"__tensor__": 3}}, "must name a tensor"),
    "tensor extra key": ({"version": 2, "root": {"__tensor__": "w", "x": 1}}, "unknown keys"),
    "device not str": ({"version": 2, "root": {"__tensor__": "w", "device": 0}}, "device"),
    "flag not bool": (
        {"version": 2, "root": {"__tensor__": "w", "requires_grad": "yes"}},
        "requires_grad",
    ),
    "unknown tag": ({"version": 2, "root": {"__pickle__": "gASV"}}, "unknown tag"),
    "two tags": ({"version": 2, "root": {"__tuple__": [], "__dict__": []}}, "not a known tag"),
    "dict body": ({"version": 2, "root": {"__dict__": {"a": 1}}}, "list of \\[key, value\\]"),
    "dict pair": ({"version": 2, "root": {"__dict__": [[1, 2, 3]]}}, "\\[key, value\\] pairs"),
    "list key": ({"version": 2, "root": {"__dict__": [[[1], 2]]}}, "a dict key must be"),
    "tuple body": ({"version": 2, "root": {"__tuple__": 3}}, "must hold a list"),
    "bad float": ({"version": 2, "root": {"__float__": "1e999"}}, "__float__ must be"),
    "bad base64": ({"version": 2, "root": {"__bytes__": "!!"}}, "not valid base64"),
    "bytes not str": ({"version": 2, "root": {"__bytes__": 5}}, "base64 text"),
    "bad dtype": ({"version": 2, "root": {"__dtype__": "complex512"}}, "unknown dtype"),
    "ndarray not str": ({"version": 2, "root": {"__ndarray__": []}}, "must name an array"),
    "old order not str": ({"order": [1], "values": {}}, "key 1"),
    "old order ghost": ({"order": ["ghost"], "values": {}}, "not in the file"),
    "huge int": ('{"version": 2, "root": ' + "9" * 5000 + "}", "not valid JSON"),
}


@pytest.mark.parametrize("case", list(STRUCTURES), ids=list(STRUCTURES))
def test_crafted_structures(case) -> None:
    structure, message = STRUCTURES[case]
    with pytest.raises(CheckpointError, match=message):
        _load_bytes(_with_structure(structure))


def test_deeply_nested_header_json() -> None:
    with pytest.raises(CheckpointError, match="nested too deeply"):
        _load_bytes(_file(None, raw_header=b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        b'{"w": [1.0, 2.0]}',
        struct.pack("<Q", 4) + b"[1,2]",
        struct.pack("<Q", 5) + b"\xff\xfe{}}",
        struct.pack("<Q", 3) + b"{1}",
    ],
    ids=["png", "json", "header-not-object", "header-not-utf8", "header-bad-json"],
)
def test_foreign_files(content) -> None:
    with pytest.raises(CheckpointError, match="not a safetensors checkpoint|not valid JSON"):
        _load_bytes(content)


# --- nothing is ever executed ---------------------------------------------------------------


class _Payload:
    """Unpickling this object would create the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def test_pytorch_pickle_checkpoints_are_refused_without_running_them(tmp_path) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"weight": _Payload(str(marker))})
    zipped = tmp_path / "model.pt"
    with zipfile.ZipFile(zipped, "w") as archive:  # the layout torch.save writes
        archive.writestr("model/data.pkl", payload)
    with pytest.raises(CheckpointError, match="PyTorch checkpoint.*never unpickles"):
        load(zipped)
    (tmp_path / "legacy.pt").write_bytes(payload)
    with pytest.raises(CheckpointError, match="Python pickle.*never unpickles"):
        load(tmp_path / "legacy.pt")
    smuggled = _with_structure(
        {"version": 2, "root": {"__bytes__": base64.b64encode(payload).decode()}}
    )
    assert _load_bytes(smuggled) == payload  # stays bytes; never unpickled
    assert not marker.exists()


# --- fuzzing ---------------------------------------------------------------------------------

VALID = None
# The profile's count where it is larger; a long run: PLUGTORCH_FUZZ_EXAMPLES=20000 pytest -k fuzz
FUZZ_EXAMPLES = int(os.environ.get("PLUGTORCH_FUZZ_EXAMPLES", max(200, settings().max_examples)))


def _valid() -> bytes:
    global VALID
    if VALID is None:
        VALID = _valid_bytes()
    return VALID


def _must_not_crash(raw: bytes) -> None:
    try:
        _load_bytes(raw)
    except CheckpointError:
        pass


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(["flip", "set", "delete", "insert", "truncate"]),
            st.integers(0, 10_000),
            st.binary(min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_fuzz_mutated_bytes(edits) -> None:
    raw = bytearray(_valid())
    for kind, position, blob in edits:
        at = position % max(len(raw), 1)
        if kind == "flip" and raw:
            raw[at] ^= blob[0] or 1
        elif kind == "set":
            raw[at : at + len(blob)] = blob
        elif kind == "delete":
            del raw[at : at + len(blob)]
        elif kind == "insert":
            raw[at:at] = blob
        else:
            del raw[at:]
    _must_not_crash(bytes(raw))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


def _paths(node: object, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(node: object, path: tuple, value: object) -> object:
    if not path:
        return value
    head, *rest = path
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], tuple(rest), value)}
    copy = list(node)  # type: ignore[call-overload]
    copy[head] = _replace(copy[head], tuple(rest), value)
    return copy


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_header_and_structure_values(data) -> None:
    raw = _valid()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    body = raw[8 + size :]
    structure = json.loads(header["__metadata__"]["plugtorch.structure"])
    if data.draw(st.booleans(), label="mutate structure"):
        path = data.draw(st.sampled_from(_paths(structure)), label="path")
        structure = _replace(structure, path, data.draw(_JSON, label="value"))
        header["__metadata__"]["plugtorch.structure"] = json.dumps(structure)
    else:
        path = data.draw(st.sampled_from(_paths(header)), label="path")
        header = _replace(header, path, data.draw(_JSON, label="value"))
    _must_not_crash(_file(header, body))


# --- atomic writes, permissions, debris -----------------------------------------------------


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_failed_write_leaves_old_file_and_no_temporary(tmp_path, monkeypatch, failing) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.zeros(3)}, path)
    before = path.read_bytes()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="disk full"):
        save({"w": pt.ones(1000)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.pt"]
    assert path.read_bytes() == before


def test_interrupted_first_write_leaves_nothing(tmp_path, monkeypatch) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"w": pt.ones(2)}, tmp_path / "m.pt")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_honour_the_umask(tmp_path, umask, mode) -> None:
    previous = os.umask(umask)
    try:
        save({"w": pt.ones(1)}, tmp_path / "m.pt")
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "m.pt").st_mode & 0o777 == mode


def test_overwrite_keeps_the_existing_mode(tmp_path) -> None:
    path = tmp_path / "m.pt"
    save({"w": pt.ones(1)}, path)
    os.chmod(path, 0o640)
    save({"w": pt.zeros(1)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640 and load(path)["w"].tolist() == [0.0]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporaries_of_the_same_target_are_removed(tmp_path) -> None:
    path = tmp_path / "m.pt"
    host = writer._HOST
    dead = tmp_path / f".m.pt.{host}.{_dead_pid()}.0123abcd.tmp"
    mine = tmp_path / f".m.pt.{host}.{os.getpid()}.0123abcd.tmp"  # a save running in a thread
    far_old = tmp_path / ".m.pt.otherhost.42.0123abcd.tmp"
    far_new = tmp_path / ".m.pt.otherhost.43.0123abcd.tmp"
    unrelated = tmp_path / ".notes.txt.tmp"
    for leftover in (dead, mine, far_old, far_new, unrelated):
        leftover.write_bytes(b"partial")
    old = time.time() - writer.STALE_SECONDS - 60
    os.utime(far_old, (old, old))
    save({"w": pt.ones(1)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["m.pt", mine.name, far_new.name, unrelated.name])


def test_a_killed_save_is_cleaned_up_by_the_next(tmp_path) -> None:
    path = tmp_path / "m.pt"
    script = (
        "import os, signal, plugtorch as pt\n"
        "os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"pt.save({{'w': pt.ones(3)}}, {str(path)!r})\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert result.returncode == -signal.SIGKILL
    left = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".m.pt.")
    save({"w": pt.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["m.pt"]


# --- plugtorch evaluate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 64,
        _file({"w": {"dtype": "F32", "shape": [2], "data_offsets": ["0", 8]}}, bytes(8)),
        _file(None, raw_header=b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"),
    ],
    ids=["empty", "zeros", "string-offsets", "deep-json"],
)
def test_evaluate_reports_a_bad_file_in_one_line(tmp_path, capsys, content) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("plugtorch evaluate: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_evaluate_reports_crafted_digits_metadata_in_one_line(tmp_path, capsys) -> None:
    path = tmp_path / "model.safetensors"
    save({"meta": {"model": "digits-cnn", "config": {"channels": "x"}}}, path)
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("plugtorch evaluate: ") and err.count("\n") == 1
