"""The pytest plugin: ``pytest -p plugtorch_conformance.plugin --backend NAME``.

It is not registered under ``pytest11``, so it never loads into unrelated pytest runs. It

* loads the backend under test (an installed name, or ``package.module:factory`` for a backend
  that is not packaged yet) and selects it for the whole run;
* sets up the Hypothesis profiles (``ci``: few examples, derandomized; ``thorough``: many,
  seeded with a printed seed) and prints a header naming the backend, its package and version,
  the protocol versions, its capabilities, the profile and the seed;
* turns the backend's ``conformance-xfails.txt`` into strict expected failures, and reports
  patterns that match nothing;
* ends with a table of passed / failed / expected failures / skipped per area, and the number
  of generated cases.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
from collections import Counter, defaultdict
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import pytest

from plugtorch_conformance import _state
from plugtorch_conformance.xfails import FILE_NAME, XfailEntry, match, read_xfails

__all__ = ["PROFILES", "area_of", "target", "resolve_backend", "default_profile"]


def target() -> _state.Context:
    """The backend under test (``.name``, ``.backend``, ``.package``, ``.version``, ...)."""
    return _state.current()


PROFILES: dict[str, dict[str, Any]] = {
    "ci": {"max_examples": 8, "derandomize": True},
    "thorough": {"max_examples": 250, "derandomize": False},
}
AREAS = (
    "capabilities",
    "primitives",
    "ops",
    "bad_arguments",
    "accelerated",
    "determinism",
    "aliasing",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plugtorch-conformance")
    group.addoption(
        "--backend",
        dest="conformance_backend",
        default=os.environ.get("PLUGTORCH_BACKEND", "numpy"),
        help="backend to test: an installed name, or package.module:factory (default: numpy)",
    )
    group.addoption(
        "--backend-factory",
        dest="conformance_backend_factory",
        default=None,
        help="package.module:factory making the backend (instead of an installed name)",
    )
    group.addoption(
        "--conformance-profile",
        dest="conformance_profile",
        choices=sorted(PROFILES),
        default=default_profile(),
        help="ci: quick and derandomized; thorough: many generated cases, seeded (default: "
        "PLUGTORCH_CONFORMANCE_PROFILE, else HYPOTHESIS_PROFILE when it names one, else ci)",
    )
    group.addoption(
        "--xfails",
        dest="conformance_xfails",
        default=None,
        help=f"expected-failures file (default: the {FILE_NAME} the backend's package ships)",
    )
    group.addoption(
        "--conformance-max-examples",
        dest="conformance_max_examples",
        type=int,
        default=None,
        help="generated cases per test, instead of the profile's (for long fuzzing runs)",
    )
    group.addoption(
        "--conformance-seed",
        dest="conformance_seed",
        type=int,
        default=None,
        help="Hypothesis seed for the thorough profile (default: a random one, printed)",
    )


def default_profile() -> str:
    """``PLUGTORCH_CONFORMANCE_PROFILE``, else ``HYPOTHESIS_PROFILE`` when it names one of
    :data:`PROFILES` (so ``HYPOTHESIS_PROFILE=thorough make test`` is thorough everywhere),
    else ``ci``."""
    for variable in ("PLUGTORCH_CONFORMANCE_PROFILE", "HYPOTHESIS_PROFILE"):
        value = os.environ.get(variable, "")
        if value in PROFILES:
            return value
    return "ci"


def area_of(nodeid: str) -> str:
    """``.../test_primitives.py::test_x[...]`` -> ``primitives``."""
    file_name = nodeid.split("::", 1)[0].replace("\\", "/").rsplit("/", 1)[-1]
    return file_name.removeprefix("test_").removesuffix(".py")


def short_id(item: pytest.Item) -> str:
    return f"{item.path.name}::{item.name}"


class ConformancePlugin:
    def __init__(self, config: pytest.Config, context: _state.Context, seed: int | None) -> None:
        self.config = config
        self.context = context
        self.seed = seed
        self.xfails: list[XfailEntry] = []
        if context.xfails_path:
            self.xfails = read_xfails(Path(context.xfails_path))
        self.outcomes: dict[str, Counter[str]] = defaultdict(Counter)
        self.cases = 0
        self.xpassed: list[str] = []

    # --- header ------------------------------------------------------------------------
    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        from hypothesis import settings

        from plugtorch.backend.protocol import API_VERSION

        context, backend = self.context, self.context.backend
        caps = backend.capabilities
        major, minor = backend.api_version
        seed = (
            "derandomized (each test's seed derives from its name)"
            if self.seed is None
            else f"{self.seed} (rerun with --conformance-seed {self.seed})"
        )
        return [
            f"plugtorch conformance: backend {context.name!r} ({backend!r})",
            f"  package: {context.package} {context.version}",
            f"  protocol: backend {major}.{minor}, core {API_VERSION[0]}.{API_VERSION[1]}",
            f"  dtypes: {', '.join(d.name for d in caps.dtypes)}",
            f"  devices: {', '.join(caps.devices)}; host memory: {caps.host_memory}; "
            f"dlpack: {caps.dlpack}",
            f"  optional primitives: {', '.join(sorted(caps.primitives)) or 'none'}",
            f"  hypothesis: profile {context.profile!r} "
            f"({settings().max_examples} examples per test), seed {seed}",
            f"  expected failures: {context.xfails_path or 'none'} ({len(self.xfails)} entries)",
        ]

    # --- expected failures -------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            entry = match(self.xfails, short_id(item))
            if entry is not None:
                item.add_marker(pytest.mark.xfail(reason=entry.reason, strict=True))

    # --- counting ----------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        # Count the examples Hypothesis generates and runs (every @given in the test, nested
        # ones included), plus cases the suite records itself with _state.record_case().
        from hypothesis.statistics import collector

        _state.take_case_count()
        previous = collector.value
        generated = 0

        def note_statistics(stats: Any) -> None:
            nonlocal generated
            for phase in ("reuse-phase", "generate-phase"):
                for case in stats.get(phase, {}).get("test-cases", ()):
                    generated += case.get("status") in ("valid", "interesting")
            if previous is not None:
                previous(stats)

        with collector.with_value(note_statistics):  # type: ignore[arg-type]
            yield
        count = generated + _state.take_case_count()
        item.user_properties.append(("conformance_cases", count))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        area = area_of(report.nodeid)
        for key, value in report.user_properties:
            if key == "conformance_cases" and report.when == "call" and isinstance(value, int):
                self.cases += value
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if hasattr(report, "wasxfail") and report.skipped:
                outcome = "xfailed"
            elif report.failed:
                outcome = "failed"
                if "XPASS(strict)" in str(report.longrepr):
                    self.xpassed.append(report.nodeid)
            elif report.skipped:
                outcome = "skipped"
            else:
                outcome = "passed"
            self.outcomes[area][outcome] += 1

    def unmatched(self) -> list[XfailEntry]:
        return [entry for entry in self.xfails if not entry.matched]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.unmatched() and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        terminalreporter.section(f"plugtorch conformance: {self.context.name}")
        for line in self.pytest_report_header(self.config):  # shown even under -q
            write(line)
        write("")
        columns = ("passed", "failed", "xfailed", "skipped")
        header = f"{'area':<14}" + "".join(f"{c:>10}" for c in columns)
        write(header)
        write("-" * len(header))
        totals: Counter[str] = Counter()
        areas = [a for a in AREAS if a in self.outcomes]
        areas += sorted(a for a in self.outcomes if a not in AREAS)
        for area in areas:
            counts = self.outcomes[area]
            totals.update(counts)
            write(f"{area:<14}" + "".join(f"{counts[c]:>10}" for c in columns))
        write("-" * len(header))
        write(f"{'total':<14}" + "".join(f"{totals[c]:>10}" for c in columns))
        write(f"generated cases checked: {self.cases}")
        for nodeid in self.xpassed:
            write(f"expected failure passed (remove it from the xfails file): {nodeid}")
        for entry in self.unmatched():
            write(
                f"xfails line {entry.line} matches no test (stale?): {entry.pattern}  "
                f"# {entry.reason}"
            )


def resolve_backend(spec: str) -> tuple[str, Any, str, str, str | None]:
    """(name, backend, package, version, module) for an installed name or module:factory."""
    import plugtorch as pt
    from plugtorch.backend import registry

    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
        if os.getcwd() not in sys.path:  # a backend not packaged yet lives where you are
            sys.path.insert(0, os.getcwd())
        source = getattr(importlib.import_module(module_name), attribute)
        is_factory = isinstance(source, type) or not hasattr(source, "capabilities")
        backend = source() if is_factory else source
        registry.check_backend(backend, backend.name)
        registry.register_backend(backend.name, backend)
        package = module_name.split(".")[0]
        version = str(getattr(importlib.import_module(package), "__version__", "unknown"))
        return backend.name, backend, package, version, module_name
    backend = pt.get_backend(spec)
    package, version, module = "(registered in process)", "", None
    for entry_point in metadata.entry_points(group=registry.ENTRY_POINT_GROUP):
        if entry_point.name == spec:
            module = entry_point.module
            if entry_point.dist is not None:
                package, version = entry_point.dist.name, entry_point.dist.version
            break
    return spec, backend, package, version, module


def _find_xfails(module: str | None) -> str | None:
    """The ``conformance-xfails.txt`` shipped next to the backend's module or package."""
    if module is None:
        return None
    parts = module.split(".")
    for depth in range(len(parts), 0, -1):
        try:
            candidate = resources.files(".".join(parts[:depth])) / FILE_NAME
        except (ModuleNotFoundError, TypeError):
            continue
        if candidate.is_file():
            return str(candidate)
    return None


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import HealthCheck, settings

    profile = config.getoption("conformance_profile")
    max_examples = config.getoption("conformance_max_examples")
    if max_examples is not None and max_examples < 1:
        raise pytest.UsageError(f"--conformance-max-examples must be >= 1, got {max_examples}")
    for name, options in PROFILES.items():
        if max_examples is not None:
            options = {**options, "max_examples": max_examples}
        settings.register_profile(
            f"plugtorch-conformance-{name}",
            deadline=None,
            database=None,
            print_blob=True,
            suppress_health_check=list(HealthCheck),
            **options,
        )
    settings.load_profile(f"plugtorch-conformance-{profile}")
    seed = config.getoption("conformance_seed")
    if profile != "ci":
        import hypothesis.core

        seed = random.randrange(2**32) if seed is None else seed
        config.option.conformance_seed = seed  # pytest-xdist hands the options to its workers
        hypothesis.core.global_force_seed = seed  # type: ignore[assignment]  # as --hypothesis-seed
    else:
        seed = None
    try:
        spec = config.getoption("conformance_backend_factory") or config.getoption(
            "conformance_backend"
        )
        name, backend, package, version, module = resolve_backend(spec)
    except Exception as error:
        raise pytest.UsageError(f"cannot load the backend under test: {error}") from error
    xfails = config.getoption("conformance_xfails") or _find_xfails(module)
    context = _state.Context(name, backend, package, version, profile, xfails, spec)
    _state.configure(context)
    import plugtorch as pt

    pt.set_backend(name)
    config.pluginmanager.register(ConformancePlugin(config, context, seed), "plugtorch-conformance")
