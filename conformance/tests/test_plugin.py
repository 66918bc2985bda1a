"""The plugin's own behaviour: the xfails file, the header, the per-area summary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugtorch_conformance.plugin import area_of
from plugtorch_conformance.xfails import XfailError, match, parse_xfails

CONFORMANCE = str(Path(sys.executable).parent / "plugtorch-conformance")


def _conformance(*args: str, **variables: str) -> subprocess.CompletedProcess:
    chosen = ("PLUGTORCH_BACKEND", "HYPOTHESIS_PROFILE", "PLUGTORCH_CONFORMANCE_PROFILE")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(variables)
    return subprocess.run(
        [CONFORMANCE, *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_every_entry_needs_a_reason() -> None:
    with pytest.raises(XfailError, match="line|:2:"):
        parse_xfails("# comment\ntest_ops.py::test_x[sin]\n", "f.txt")


def test_patterns_match_file_and_test_or_test_alone() -> None:
    entries = parse_xfails(
        "test_primitives.py::test_unary[sin-*]  # libm differs\n"
        "test_gradcheck[conv2d]                  # no float64\n"
    )
    assert match(entries, "test_primitives.py::test_unary[sin-float32]") is entries[0]
    assert match(entries, "test_primitives.py::test_unary[cos-float32]") is None
    assert match(entries, "test_ops.py::test_gradcheck[conv2d]") is entries[1]
    assert entries[0].reason == "libm differs"


def test_area_is_the_module_name() -> None:
    assert area_of("a/b/test_primitives.py::test_unary[sin-float32]") == "primitives"
    assert area_of("test_ops.py::test_x") == "ops"


def test_header_and_summary_name_backend_version_protocol_and_seed() -> None:
    result = _conformance("--backend", "numpy", "-k", "test_devices_are_named")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "plugtorch conformance: backend 'numpy'" in out
    assert "package: plugtorch-numpy 0.1.0" in out
    assert "protocol: backend 1.1, core 1.1" in out
    assert "dtypes: bool, int8" in out and "float64" in out
    assert "hypothesis: profile 'ci'" in out and "derandomized" in out
    assert "capabilities" in out and "total" in out  # the table


def test_thorough_profile_prints_a_seed_to_rerun_with() -> None:
    result = _conformance(
        "--backend", "numpy", "--profile", "thorough", "-k", "test_devices_are_named",
        "--", "--conformance-seed", "1234",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "seed 1234 (rerun with --conformance-seed 1234)" in result.stdout


def test_hypothesis_profile_thorough_makes_the_run_thorough() -> None:
    # `HYPOTHESIS_PROFILE=thorough make test` (the README's thorough run) reaches the suite.
    result = _conformance(
        "--backend", "numpy", "-k", "test_devices_are_named", HYPOTHESIS_PROFILE="thorough"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "hypothesis: profile 'thorough'" in result.stdout
    result = _conformance(
        "--backend", "numpy", "-k", "test_devices_are_named", HYPOTHESIS_PROFILE="dev"
    )
    assert "hypothesis: profile 'ci'" in result.stdout  # not a conformance profile: ci


def test_an_expected_failure_that_passes_fails_the_run(tmp_path: Path) -> None:
    xfails = tmp_path / "conformance-xfails.txt"
    xfails.write_text("test_capabilities.py::test_devices_are_named  # pretend it fails\n")
    result = _conformance("--backend", "numpy", "--xfails", str(xfails), "-k", "devices_are")
    assert result.returncode != 0
    assert "expected failure passed" in result.stdout


def test_a_pattern_that_matches_nothing_fails_the_run(tmp_path: Path) -> None:
    xfails = tmp_path / "conformance-xfails.txt"
    xfails.write_text("test_nothing_like_this[*]  # stale entry\n")
    result = _conformance("--backend", "numpy", "--xfails", str(xfails), "-k", "devices_are")
    assert result.returncode != 0
    assert "matches no test (stale?): test_nothing_like_this[*]" in result.stdout


def test_a_missing_reason_is_a_usage_error(tmp_path: Path) -> None:
    xfails = tmp_path / "conformance-xfails.txt"
    xfails.write_text("test_capabilities.py::test_devices_are_named\n")
    result = _conformance("--backend", "numpy", "--xfails", str(xfails), "-k", "devices_are")
    assert result.returncode != 0
    assert "has no reason" in result.stdout + result.stderr


def test_unknown_backend_is_a_usage_error_naming_the_installed_ones() -> None:
    result = _conformance("--backend", "no-such-backend")
    assert result.returncode == 4  # pytest's usage error
    assert "cannot load the backend under test" in result.stderr
    assert "numpy" in result.stderr


def test_plugtorch_conformance_subcommand_runs_the_suite() -> None:
    plugtorch = str(Path(sys.executable).parent / "plugtorch")
    env = {k: v for k, v in os.environ.items() if k != "PLUGTORCH_BACKEND"}
    result = subprocess.run(
        [plugtorch, "conformance", "--backend", "numpy", "-k", "devices_are"],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "plugtorch conformance: numpy" in result.stdout


def test_plugtorch_conformance_without_the_package_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['plugtorch_conformance'] = None\n"  # as if not installed
        "from plugtorch.cli import main\n"
        "raise SystemExit(main(['conformance', '--backend', 'numpy']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install plugtorch-conformance" in result.stderr
