"""benchmarks/bench_models.py runs: one step of every model on the numpy backend, with
PyTorch absent (its column says so). A smoke test: the times are not looked at."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import plugtorch as pt

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture()
def bench_models(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    # One BLAS thread: tiny matmuls gain nothing from more, and on a busy 2-core machine
    # OpenBLAS's waiting threads made this test 10x slower.
    threads = pt.get_num_threads()
    pt.set_num_threads(1)
    import bench_models

    yield bench_models
    pt.set_num_threads(threads)


def test_every_model_runs_a_step_on_numpy_without_pytorch(bench_models, tmp_path) -> None:
    raw = tmp_path / "samples.json"
    report = bench_models.main(
        ["--quick", "--frameworks", "torch,numpy", "--mode", "same", "--json", str(raw)]
    )
    rows = [line.strip("|").split("|") for line in report.splitlines() if line.startswith("| ")]
    header, table = [cell.strip() for cell in rows[0]], rows[1:]
    assert header[:3] == ["model", "PyTorch ms", "numpy ms"]
    assert {row[0].strip() for row in table} == {spec.name for spec in bench_models.MODELS}
    for row in table:
        cells = [cell.strip() for cell in row]
        assert cells[1] == "- (1)"  # PyTorch: skipped, see note (1)
        assert float(cells[2]) > 0  # numpy: ms per step
        assert cells[3] == "-"  # no numpy / PyTorch ratio without PyTorch
    assert "(1) PyTorch is not installed" in report
    assert "Smoke run" in report
    for model, row in json.loads(raw.read_text())["same"].items():
        assert math.isfinite(row["numpy"]["first_loss"]), model
        assert row["torch"] == {"skipped": "PyTorch is not installed"}


def test_ratios_pair_the_rounds(bench_models) -> None:
    # Rounds 2 and 3 of a ran in a slow spell, round 2 of b too: paired, a is half of b in
    # two of three rounds (0.5); the ratio of the overall medians would read 3.0 / 2.0.
    a = {"samples": [1.0, 1.0, 3.0, 3.0, 3.0, 3.0], "rounds": [1.0, 3.0, 3.0]}
    b = {"samples": [2.0, 2.0, 6.0, 6.0, 2.0, 2.0], "rounds": [2.0, 6.0, 2.0]}
    assert bench_models._ratio(a, b) == 0.5
    unpaired = {"samples": [4.0]}  # rounds not recorded: the ratio of the medians
    assert bench_models._ratio(a, unpaired) == 3.0 / 4.0
    assert bench_models._ratio(a, {"skipped": "not installed"}) is None


def test_separate_mode_asks_one_worker_per_framework_for_each_part(bench_models, tmp_path):
    # Two rounds of two models on the numpy backend in its worker process: each cell holds
    # both rounds (one worker answers every part; a fresh model per round).
    raw = tmp_path / "samples.json"
    args = ["--frameworks", "numpy", "--mode", "separate", "--models", "mlp,vae", "--rounds", "2"]
    bench_models.main([*args, "--budget", "0.01", "--threads", "1", "--json", str(raw)])
    cells = json.loads(raw.read_text())["separate"]
    assert set(cells) == {"mlp", "vae"}
    for model, row in cells.items():
        assert len(row["numpy"]["rounds"]) == 2, model
        assert len(row["numpy"]["samples"]) >= 16, model  # at least 2 steps in each of 4 parts
        assert math.isfinite(row["numpy"]["first_loss"]), model


def test_a_worker_that_dies_is_reported_with_its_stderr(bench_models, monkeypatch) -> None:
    args = bench_models._parse(["--quick", "--frameworks", "numpy", "--models", "mlp"])
    worker = bench_models._Worker("numpy", args)
    try:
        with pytest.raises(RuntimeError, match="(?s)the numpy worker failed:.*KeyError"):
            worker._ask("start no-such-model")
    finally:
        worker.close()


def test_a_worker_answer_after_a_partial_line_is_found(bench_models) -> None:
    # A library in the worker left "loading..." without a newline on stdout: the answer on
    # the same line is still read (the worker also starts its answer on a new line).
    script = (
        "import sys; sys.stdout.write('loading...'); sys.stdout.flush(); sys.stdin.readline(); "
        f"print({bench_models.RESULT!r} + '{{\"samples\": [1.5]}}', flush=True)"
    )
    worker = object.__new__(bench_models._Worker)
    worker.framework, worker.errors = "numpy", tempfile.TemporaryFile(mode="w+")
    worker.process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker._ask("start mlp") == {"samples": [1.5]}
    finally:
        worker.close()


def test_a_worker_killed_between_turns_is_reported_and_closed(bench_models) -> None:
    args = bench_models._parse(["--quick", "--frameworks", "numpy", "--models", "mlp"])
    worker = bench_models._Worker("numpy", args)
    worker.process.kill()
    worker.process.wait()
    try:
        with pytest.raises(RuntimeError, match="the numpy worker failed"):
            worker._ask("start mlp")
    finally:
        worker.close()  # the line still buffered for the dead worker: no BrokenPipeError


def test_parts_alternate_the_frameworks_within_a_round(bench_models) -> None:
    # A fake runner records the order of calls: per round and model, fresh models on every
    # framework, then PARTS parts alternating, the first of each framework marked first.
    calls: list[tuple[str, ...]] = []

    class Recorder:
        def start(self, framework, spec):
            calls.append(("start", framework, spec.name))
            return {"first_loss": 1.0}

        def part(self, framework, budget, first, clock):
            calls.append(("part", framework, str(first)))
            return [float(len(calls))]

    args = bench_models._parse(["--frameworks", "numpy,numba", "--models", "mlp", "--rounds", "2"])
    runner = Recorder()
    specs = [spec for spec in bench_models.MODELS if spec.name == "mlp"]
    results = bench_models._run_rounds(args, specs, {"numpy": runner, "numba": runner}, 0.0)
    parts = bench_models.PARTS
    round_one = calls[: 2 + 2 * parts]
    assert round_one[:2] == [("start", "numpy", "mlp"), ("start", "numba", "mlp")]
    frameworks = [call[1] for call in round_one[2:]]
    assert frameworks[:4] == ["numpy", "numba", "numba", "numpy"]  # rotated by part
    assert [call[2] for call in round_one[2:]] == ["True"] * 2 + ["False"] * (2 * parts - 2)
    assert calls[2 + 2 * parts] == ("start", "numba", "mlp")  # round two rotates the order
    cell = results["mlp"]["numba"]
    assert len(cell["samples"]) == 2 * parts and len(cell["rounds"]) == 2
