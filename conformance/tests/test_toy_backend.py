"""The suite must catch a wrong backend in the right places, and pass the reference.

``toy_backends.py`` holds the numpy reference with one deliberate bug per area;
``toy-wrong-xfails.txt`` lists what each bug must fail. The run uses that file as the backend's
expected failures, which are strict: a listed test that passes fails the run, and so does any
unlisted failure, so a green run means exactly the listed tests failed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFORMANCE = str(Path(sys.executable).parent / "plugtorch-conformance")


def _conformance(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PLUGTORCH_BACKEND"}
    return subprocess.run(
        [CONFORMANCE, *args], capture_output=True, text=True, env=env, timeout=600, cwd=HERE
    )


def _area_counts(out: str) -> dict[str, tuple[int, ...]]:
    rows = re.findall(r"^(\w+) +(\d+) +(\d+) +(\d+) +(\d+)$", out, flags=re.MULTILINE)
    return {row[0]: tuple(int(n) for n in row[1:]) for row in rows}


def test_wrong_backend_fails_exactly_the_tests_meant_to_catch_its_bugs() -> None:
    result = _conformance(
        "--backend-factory", "toy_backends:create_wrong_backend",
        "--xfails", str(HERE / "toy-wrong-xfails.txt"), "--", "-rx",
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out[-5000:] + result.stderr
    assert "expected failure passed" not in out and "matches no test" not in out
    caught = set(re.findall(r"^XFAIL \S*?(test_\w+\.py::\S+)", out, flags=re.MULTILINE))
    for test_id in [
        "test_primitives.py::test_unary[exp-float64]",  # block-size edge
        "test_primitives.py::test_unary[sin-float32]",  # strides ignored
        "test_primitives.py::test_unary[negative-float64]",  # signed zero
        "test_primitives.py::test_binary[maximum-float32]",  # nan dropped
        "test_primitives.py::test_reduction[sum-float32]",  # float16 accumulation
        "test_primitives.py::test_arg_reduction[int32-argmax]",  # ties
        "test_primitives.py::test_movement[float64]",  # mutation and aliasing
        "test_accelerated.py::test_declared_primitive_matches_decomposition[softmax-float64]",
    ]:
        assert test_id in caught, f"{test_id} should have caught a bug; caught: {sorted(caught)}"
    totals = _area_counts(out)["total"]
    assert totals[1] == 0 and totals[2] == len(caught) > 20  # passed, failed, xfailed, skipped


def test_false_dtype_claim_is_caught() -> None:
    result = _conformance(
        "--backend-factory", "toy_backends:create_misdeclared_backend", "-k", "capabilities",
        "--", "-rf",
    )  # fmt: skip
    failed = re.findall(r"^FAILED \S*?(test_\w+\.py::\S+)", result.stdout, flags=re.MULTILINE)
    assert failed == ["test_capabilities.py::test_declared_dtypes_hold_values[uint16]"]


def test_reference_under_another_name_passes_everything() -> None:
    result = _conformance("--backend-factory", "toy_backends:create_reference_copy")
    assert result.returncode == 0, result.stdout[-5000:]
    counts = _area_counts(result.stdout)
    assert counts["total"][1:3] == (0, 0)
    assert {"capabilities", "primitives", "ops", "accelerated", "determinism"} <= set(counts)


def test_a_crashing_kernel_is_a_reported_failure_not_a_dead_run() -> None:
    # The bad-arguments area runs its cases in a worker process: a segfault there fails the
    # case that caused it (naming the op and the arguments) and the run goes on.
    result = _conformance(
        "--backend-factory", "toy_backends:create_crashing_backend", "-k", "bad_arguments",
        "--", "-rf",
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 1, out[-5000:] + result.stderr
    failed = re.findall(r"^FAILED \S*?(test_\w+\.py::\S+.*?\])", out, flags=re.MULTILINE)
    assert sorted(failed) == [
        "test_bad_arguments.py::test_bad_arguments_raise_the_documented_error"
        f"[{key}]"
        for key in ("getitem: a bool mask of the wrong length", "neg: a bool tensor",
                    "relu: a bool tensor")
    ], failed  # fmt: skip
    assert "neg with a bool tensor (x=array(shape=" in out
    assert "CRASHED the process: the worker process died (killed by signal SIGSEGV)" in out
    assert "in asarray" in out  # the worker's Python stack, from faulthandler
    passed, failures = _area_counts(out)["bad_arguments"][:2]
    assert failures == 3 and passed > 150
