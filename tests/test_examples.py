"""The examples under examples/ keep running: each trains a few steps on the default backend,
as a user runs it (a separate process), and its loss starts near ln(vocabulary) and falls."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_STEP = re.compile(r"^step +(\d+) \| loss (\S+) \| val (\S+) \|", re.MULTILINE)
_VOCAB = re.compile(r"vocabulary (\d+)")

# Small versions of each example: a short text, a narrower model, three steps, one thread (the
# machine running the suite may be busy: BLAS threads then wait on each other).
CASES = {
    "char_gpt": "--chars 20000 --n-embd 32 --block-size 32 --eval-batches 1 --sample-chars 20",
    "lstm_lm": "--words 4000 --emb-size 16 --hidden-size 32 --agreement-cases 5 --sample-words 10",
}


def _run(example: str, tmp_path: Path) -> str:
    script = EXAMPLES / example / "train.py"
    options = f"--steps 3 --log-every 1 --threads 1 {CASES[example]}".split()
    command = [sys.executable, str(script), "--data", str(tmp_path / "input.txt"), *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("example", sorted(CASES))
def test_example_trains_and_samples(example: str, tmp_path: Path) -> None:
    output = _run(example, tmp_path)
    vocab = int(_VOCAB.search(output).group(1))
    steps = [(int(s), float(loss), float(val)) for s, loss, val in _STEP.findall(output)]
    assert [s for s, _, _ in steps] == [1, 2, 3], output
    losses = [loss for _, loss, _ in steps]
    assert all(math.isfinite(value) for _, loss, val in steps for value in (loss, val)), output
    # small initial weights: the first prediction is close to uniform over the vocabulary
    assert abs(losses[0] - math.log(vocab)) < 0.1, output
    assert losses[-1] < losses[0], output
    assert "\nsample:\n" in output, output
    assert (tmp_path / "input.txt").read_text(), "the example writes its own training text"


def test_same_seed_same_text_and_losses(tmp_path: Path) -> None:
    first = _STEP.findall(_run("lstm_lm", tmp_path))
    text = (tmp_path / "input.txt").read_text()
    (tmp_path / "input.txt").unlink()
    assert _STEP.findall(_run("lstm_lm", tmp_path)) == first
    assert (tmp_path / "input.txt").read_text() == text
