"""The main job: ``plugtorch train digits`` / ``plugtorch evaluate`` on every installed backend,
checkpoints across backends, and the toy sets with the course's seed network."""

from __future__ import annotations

import json

import numpy as np
import pytest

import plugtorch as pt
from plugtorch.cli import main
from plugtorch.training.digits import DigitsConfig, load_digits_model, train_digits

pytest.importorskip("sklearn")

BACKENDS = [info.name for info in pt.list_backends() if info.available]
PLAIN = "numpy_plain_train"  # declares no optional primitive: the core's decompositions
pt.register_backend(PLAIN, pt.ArrayAPIBackend(np, name=PLAIN))


@pytest.fixture(scope="module")
def default_runs(tmp_path_factory) -> dict[str, dict]:
    """The default digits run (the README's first command) on every installed backend."""
    runs = {}
    for name in BACKENDS:
        out = tmp_path_factory.mktemp(f"digits-{name}")
        runs[name] = train_digits(DigitsConfig(), name, str(out), show_progress=False)
    return runs


def test_default_run_reaches_98_percent_on_every_backend(default_runs) -> None:
    reference = default_runs["numpy"]["test_accuracy"]
    assert reference >= 0.98, f"numpy: {100 * reference:.2f}%"
    for name, report in default_runs.items():
        assert report["epochs"] == DigitsConfig().epochs
        assert abs(report["test_accuracy"] - reference) <= 0.005, name
        assert report["seconds_per_epoch"] > 0


def test_one_epoch_through_the_command_line(backend_name: str, tmp_path, capsys) -> None:
    code = main(["train", "digits", "--backend", backend_name, "--epochs", "1",
                 "--out", str(tmp_path), "--no-progress", "--json"])  # fmt: skip
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backend"] == backend_name and report["epochs"] == 1
    assert report["test_accuracy"] > 0.8
    assert (tmp_path / "model.safetensors").exists()
    if report["plot"]:
        assert (tmp_path / "curves.png").stat().st_size > 1000


def test_one_epoch_on_the_core_decomposition(tmp_path) -> None:
    report = train_digits(DigitsConfig(epochs=1, limit=256), PLAIN, None, show_progress=False)
    reference = train_digits(DigitsConfig(epochs=1, limit=256), "numpy", None,
                             show_progress=False)  # fmt: skip
    assert report["test_accuracy"] == pytest.approx(reference["test_accuracy"], abs=0.005)
    np.testing.assert_allclose(report["history"]["train_loss"],
                               reference["history"]["train_loss"], rtol=1e-4)  # fmt: skip


def test_checkpoint_moves_between_backends(default_runs) -> None:
    checkpoint = default_runs["numpy"]["checkpoint"]
    images = pt.data.load_digits("test")[0][:64]
    predictions = {}
    for name in BACKENDS + [PLAIN]:
        model, meta = load_digits_model(checkpoint, name)
        assert meta["backend"] == "numpy"
        with pt.no_grad():
            logits = model(pt.tensor(images, backend=name))
        assert logits.backend.name == name
        predictions[name] = logits.numpy()
    for name, logits in predictions.items():
        np.testing.assert_allclose(logits, predictions["numpy"], rtol=1e-4, atol=1e-4)
        assert (logits.argmax(1) == predictions["numpy"].argmax(1)).all(), name


def test_evaluate_reproduces_the_reported_accuracy(default_runs, capsys) -> None:
    for trained_on, report in default_runs.items():
        for name in BACKENDS:
            code = main(["evaluate", report["checkpoint"], "--backend", name, "--json"])
            assert code == 0
            result = json.loads(capsys.readouterr().out)
            assert result["test_accuracy"] == report["test_accuracy"], (trained_on, name)
            assert result["reported_accuracy"] == report["test_accuracy"]
    code = main(["evaluate", report["checkpoint"]])
    assert code == 0 and "test accuracy" in capsys.readouterr().out


def test_evaluate_refuses_a_foreign_file(tmp_path, capsys) -> None:
    pt.save({"weight": pt.ones(2)}, tmp_path / "other.safetensors")
    assert main(["evaluate", str(tmp_path / "other.safetensors")]) == 2
    assert "not a checkpoint written by" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "missing.safetensors")]) == 2


@pytest.mark.parametrize("dataset", ["simple", "diag", "xor", "circle"])
def test_toy_sets_train_the_seed_network(dataset: str, tmp_path, capsys) -> None:
    code = main(["train", dataset, "--out", str(tmp_path), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] >= 0.95, report
