"""Bad command-line values end in argparse's one-line error and exit status 2, before any work
starts (issue #14). Before: ``--epochs 0`` ended in a ZeroDivisionError traceback, ``--lr nan``
trained to 10% and exited 0, ``--limit 0`` trained on nothing and a bad ``--backend`` printed a
traceback with status 1."""

from __future__ import annotations

import argparse

import pytest

from plugtorch import cli
from plugtorch.commands import _arguments

BAD = [
    (["train", "digits", "--epochs", "0"], "argument --epochs: must be at least 1, got 0"),
    (["train", "digits", "--epochs", "ten"], "argument --epochs: expected an integer"),
    (["train", "digits", "--lr", "nan"], "argument --lr: must be a finite number greater"),
    (["train", "digits", "--lr", "inf"], "argument --lr: must be a finite number greater"),
    (["train", "digits", "--lr", "0"], "argument --lr: must be a finite number greater"),
    (["train", "digits", "--limit", "0"], "argument --limit: must be at least 1, got 0"),
    (["train", "digits", "--batch-size", "-4"], "argument --batch-size: must be at least 1"),
    (["train", "xor", "--hidden", "0"], "argument --hidden: must be at least 1"),
    (["train", "xor", "--points", "0"], "argument --points: must be at least 1"),
    (["train", "digits", "--seed", "-1"], "argument --seed: must be 0 or more"),
    (["train", "digits", "--nproc", "0"], "argument --nproc: must be at least 1"),
    (["train", "digits", "--backend", "nunpy"], "argument --backend: unknown plugtorch backend"),
    (["demo", "--steps", "0"], "argument --steps: must be at least 1"),
    (["demo", "--lr", "nan"], "argument --lr: must be a finite number greater"),
]


@pytest.mark.parametrize("argv, message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_values_exit_2_with_one_line(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1], err
    assert not any("Traceback" in line for line in err)


def test_bad_backend_from_the_environment_exits_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("PLUGTORCH_BACKEND", "nosuch")
    with pytest.raises(SystemExit) as caught:
        cli.main(["demo", "--steps", "1"])
    assert caught.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "plugtorch demo: error: unknown plugtorch backend 'nosuch'" in last
    assert "PLUGTORCH_BACKEND" in last


def test_argument_types_accept_good_values() -> None:
    assert _arguments.positive_int("7") == 7
    assert _arguments.non_negative_int("0") == 0
    assert _arguments.positive_float("1e-3") == 1e-3
    assert _arguments.backend_name("numpy") == "numpy"
    with pytest.raises(argparse.ArgumentTypeError):
        _arguments.positive_float("-0.0")
