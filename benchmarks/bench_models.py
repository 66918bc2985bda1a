"""Whole training steps (forward, backward, optimizer step) through the public API: plugtorch
on its numpy and numba backends next to PyTorch CPU, on the models of ``_models.py``.

Every framework gets the same initial weights (one plugtorch model's state dict) and the same
batch; the first loss of each is printed so that "same model" is checked, not assumed. Times
are medians over several rounds, with as many threads as the machine has. In a round, each
model is built afresh on every framework, and the frameworks then take ``PARTS`` turns of a
quarter of the budget each, alternating (the order rotated by round and part; the first part
after a warm-up). The ratios are medians of the per-round ratios (each round's own medians),
not ratios of the overall medians: a round's parts of one model interleave within about a
second, so a spell of the host's slower speed (below) slows both sides of a ratio instead of
one.

Two modes, because the numba backend tunes glibc's malloc for the whole process (which also
speeds up PyTorch and the numpy backend in that process): ``same`` runs every framework in this
process; ``separate`` runs each in a worker process of its own (one per framework, for the
whole run), driven part by part in the same order as in one process.

    python benchmarks/bench_models.py [--models digits,lenet,mlp,gpt,lstm,vae]
        [--frameworks torch,numpy,numba] [--mode same|separate|both] [--rounds 6]
        [--budget 1.0] [--threads N] [--clock wall|cpu] [--readme] [--quick]

Many short rounds rather than a few long ones: on the 2-core VMs of PERF-NOTES.md the host
switches two-thread work between two speeds for seconds at a time (one 128x784x512 OpenBLAS
GEMM at two threads read 580-600 us for a few seconds, then 750-830 us, in one process; one
thread stayed at 1.06-1.19 ms), so a framework whose one long turn fell in a slow spell read
1.5x slower. Short parts, alternating, give every framework both speeds in every round.

``--clock cpu --threads 1`` times each step by the process's CPU time instead of the wall
clock: on a machine that other work keeps busy, the wall clock also counts the time the others
held the core (and a 2-thread step waits for its starved thread), while single-threaded CPU
time counts this process's work only.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import MODELS, ModelSpec  # noqa: E402
from _timing import sample_ms  # noqa: E402

FRAMEWORKS = ("torch", "numpy", "numba")
LABELS = {"torch": "PyTorch", "numpy": "numpy", "numba": "numba"}
README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- bench_models: begin -->", "<!-- bench_models: end -->"
Marker = Callable[[str], Any]


def load_framework(name: str, threads: int | None = None) -> Any:
    """``torch`` or ``plugtorch`` with backend ``name`` loaded, using ``threads`` threads
    (default: as many as cores); raises ImportError or BackendError with the reason when it is
    not here."""
    threads = threads or os.cpu_count() or 1
    if name == "torch":
        import torch

        torch.set_num_threads(threads)
        return torch
    import plugtorch as pt

    pt.set_num_threads(threads)  # numba's kernels and, through threadpoolctl, OpenBLAS
    pt.get_backend(name)
    return pt


def _scope(lib: Any, framework: str) -> Any:
    return lib.use_backend(framework) if lib.__name__ == "plugtorch" else contextlib.nullcontext()


def reference_state(spec: ModelSpec) -> dict[str, np.ndarray]:
    """Initial weights for every framework: plugtorch's init (seed 0) on the numpy backend."""
    import plugtorch as pt

    pt.manual_seed(0)
    with pt.use_backend("numpy"):
        model = spec.build(pt)
    return {key: value.numpy().copy() for key, value in model.state_dict().items()}


def skip_reason(spec: ModelSpec) -> str | None:
    import plugtorch as pt

    if spec.needs and not hasattr(pt.nn, spec.needs):
        return f"plugtorch has no nn.{spec.needs} yet"
    return None


@dataclass
class Trainer:
    """One model on one framework: ``step()`` runs zero_grad, forward, backward, step."""

    framework: str
    lib: Any
    step: Callable[[], Any]
    first_loss: float

    def scope(self) -> Any:
        return _scope(self.lib, self.framework)


def make_trainer(
    spec: ModelSpec,
    framework: str,
    lib: Any,
    state: dict[str, np.ndarray],
    batch: tuple[np.ndarray, ...],
    mark: Marker | None = None,
) -> Trainer:
    """Build ``spec`` on ``framework`` with the ``state`` weights; ``mark(name)`` (e.g. a
    profiler's ``record_function``) wraps the forward, backward and optimizer phases."""
    phase = mark or (lambda name: contextlib.nullcontext())
    with _scope(lib, framework):
        model = spec.build(lib)
        model.load_state_dict({key: lib.from_numpy(value.copy()) for key, value in state.items()})
        inputs = [lib.from_numpy(array.copy()) for array in batch]
        optimizer = spec.optimizer(lib, model.parameters())
        with lib.no_grad():
            first_loss = float(spec.loss(lib, model, *inputs))
    clip = lib.nn.utils.clip_grad_norm_ if spec.clip_grad_norm else None

    def step() -> Any:
        with phase("forward"):
            loss = spec.loss(lib, model, *inputs)
        with phase("backward"):
            loss.backward()
        with phase("optimizer"):
            if clip is not None:
                clip(model.parameters(), spec.clip_grad_norm)
            optimizer.step()
            optimizer.zero_grad()
        return loss

    return Trainer(framework, lib, step, first_loss)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(
    trainer: Trainer,
    budget_s: float,
    quick: bool,
    clock: str,
    warmup: int,
) -> list[float]:
    """Step times in ms: about ``budget_s`` seconds of steps (at least two) after ``warmup``
    steps (one bare step when ``quick``: a check that the step runs, not a measurement), by
    ``clock``."""
    with trainer.scope():
        if quick:
            start = time.perf_counter()
            trainer.step()
            return [(time.perf_counter() - start) * 1e3]
        start = time.perf_counter()
        for _ in range(warmup):  # first steps compile kernels: not a measure of the step time
            trainer.step()
        estimate = (time.perf_counter() - start) / max(warmup, 1)
        repeats = int(min(200, max(2, budget_s / max(estimate, 1e-6))))
        return sample_ms(trainer.step, repeats, clock=CLOCKS[clock])


def load_frameworks(frameworks: list[str], threads: int | None) -> dict[str, Any]:
    """Each framework's module, or the reason it is not here (a string)."""
    libs: dict[str, Any] = {}
    for framework in frameworks:
        try:
            libs[framework] = load_framework(framework, threads)
        except Exception as error:  # noqa: BLE001 (a missing framework is reported, not fatal)
            reason = "PyTorch is not installed" if framework == "torch" else str(error)
            libs[framework] = reason.splitlines()[0]
    return libs


def _inputs(spec: ModelSpec, quick: bool) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, ...]]:
    """The reference weights and the batch every framework gets for ``spec``."""
    state = reference_state(spec)
    return state, spec.batch(np.random.default_rng(0), 2 if quick else spec.batch_size)


HANDOVER_S = 0.15
"""Pause before another framework's part: OpenBLAS's idle threads spin for about 0.1 s
(2**28 cycles) after the last product (PyTorch's OpenMP threads a shorter while), and would
take a core from the next part's warm-up, in this process or another."""

PARTS = 4
"""Each framework's turn of a round is taken in this many parts, the frameworks alternating
part by part: the host of the 2-core VMs switches between two speeds every few seconds
(above), and turns of a second each let one framework's whole turn fall in a slow spell
(MLP rounds read numba / numpy 0.74-1.23 with 1 s turns, where quarter-second alternation
read 0.87-0.93)."""


class _InProcess:
    """The frameworks in this process: ``start`` builds a model afresh from the reference
    weights, ``part`` times some of its steps."""

    def __init__(self, frameworks: list[str], threads: int | None, quick: bool) -> None:
        self.libs = load_frameworks(frameworks, threads)
        self.quick = quick
        self.trainers: dict[str, Trainer] = {}

    def start(self, framework: str, spec: ModelSpec) -> dict[str, Any]:
        """``{"first_loss": ...}``, or ``{"skipped": reason}``."""
        lib = self.libs[framework]
        reason = skip_reason(spec) or (lib if isinstance(lib, str) else None)
        if reason is not None:
            return {"skipped": reason}
        trainer = make_trainer(spec, framework, lib, *_inputs(spec, self.quick))
        self.trainers[framework] = trainer
        return {"first_loss": trainer.first_loss}

    def part(self, framework: str, budget_s: float, first: bool, clock: str) -> list[float]:
        trainer = self.trainers[framework]
        # The first part warms the fresh model up; later ones one step (caches, threads).
        return measure(trainer, budget_s, self.quick, clock, warmup=2 if first else 1)

    def close(self) -> None:
        self.trainers.clear()


def _run_rounds(
    args: argparse.Namespace, specs: list[ModelSpec], runners: dict[str, Any], pause: float
) -> dict[str, Any]:
    """``args.rounds`` rounds: per round and model, a fresh model on every framework, then
    ``PARTS`` parts of ``args.budget / PARTS`` seconds each, the frameworks alternating (the
    order rotated by round and part); ``pause`` seconds whenever the next part is another
    framework's. A cell's ``rounds`` holds each round's median."""
    results: dict[str, Any] = {}
    parts = 1 if args.quick else PARTS
    last = None
    for turn in range(args.rounds):
        for spec in specs:
            cells: dict[str, dict[str, Any]] = {}
            for framework in _rotated(args.frameworks, turn):
                cells[framework] = runners[framework].start(framework, spec)
                last = framework  # its first forward pass ran products
            live = [f for f in _rotated(args.frameworks, turn) if "skipped" not in cells[f]]
            samples: dict[str, list[float]] = {f: [] for f in live}
            for part in range(parts):
                for framework in _rotated(live, part):
                    if pause and last is not None and framework != last:
                        time.sleep(pause)
                    budget = args.budget / parts
                    runner = runners[framework]
                    samples[framework] += runner.part(framework, budget, part == 0, args.clock)
                    last = framework
            for framework, times in samples.items():
                cells[framework].update(samples=times, rounds=[float(np.median(times))])
            _merge(results, {spec.name: cells})
    return results


def _rotated(frameworks: list[str], turn: int) -> list[str]:
    if not frameworks:
        return []
    start = turn % len(frameworks)
    return frameworks[start:] + frameworks[:start]


def _merge(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Add ``part`` (model -> framework -> cell) to ``total``."""
    for model, row in part.items():
        for name, cell in row.items():
            merged = total.setdefault(model, {}).get(name)
            if merged is None or "samples" not in merged:
                total[model][name] = cell
            else:
                merged["samples"] += cell["samples"]
                merged["rounds"] += cell["rounds"]


def run_same_process(args: argparse.Namespace, specs: list[ModelSpec]) -> dict[str, Any]:
    """Every framework in this process."""
    runner = _InProcess(args.frameworks, args.threads, args.quick)
    try:
        pause = 0.0 if args.quick else HANDOVER_S
        return _run_rounds(args, specs, dict.fromkeys(args.frameworks, runner), pause)
    finally:
        runner.close()


RESULT = "bench_models result: "
"""The prefix of a worker's answer on its stdout (a library may print there too)."""


def serve(framework: str, args: argparse.Namespace) -> None:
    """A worker of the ``separate`` mode: ``framework`` loaded once in this process, driven
    by lines on stdin (``start MODEL``: build the model afresh from the reference weights;
    ``part SECONDS FIRST``: time its steps), each answered with JSON on a line of its own on
    stdout. Fresh models per round, as in the one-process mode (a model kept between rounds
    would keep training: the digits network's loss reached 4e-8 after 1,200 steps)."""
    runner = _InProcess([framework], args.threads, args.quick)
    specs = {spec.name: spec for spec in MODELS}
    for line in sys.stdin:
        command, *words = line.split()
        if command == "start":
            answer: Any = runner.start(framework, specs[words[0]])
        else:
            answer = runner.part(framework, float(words[0]), words[1] == "1", args.clock)
        # A line of its own: a library may have left a partial line on stdout.
        print("\n" + RESULT + json.dumps(answer), flush=True)


class _Worker:
    """One framework's worker process (``serve``), with ``_InProcess``'s interface."""

    def __init__(self, framework: str, args: argparse.Namespace) -> None:
        command = [sys.executable, __file__, "--worker", framework]
        command += ["--threads", str(args.threads), "--clock", args.clock]
        command += ["--quick"] if args.quick else []
        self.framework = framework
        self.errors = tempfile.TemporaryFile(mode="w+")  # a pipe nobody reads could fill up
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, text=True
        )

    def start(self, framework: str, spec: ModelSpec) -> dict[str, Any]:
        answer: dict[str, Any] = self._ask(f"start {spec.name}")
        return answer

    def part(self, framework: str, budget_s: float, first: bool, clock: str) -> list[float]:
        samples: list[float] = self._ask(f"part {budget_s!r} {int(first)}")
        return samples

    def _ask(self, line: str) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # it died: reported below with its stderr
        for output in self.process.stdout:
            _, found, answer = output.partition(RESULT)
            if found:
                return json.loads(answer)
        self.errors.seek(0)
        raise RuntimeError(f"the {self.framework} worker failed:\n{self.errors.read()[-3000:]}")

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass  # it died, with a line still buffered for it (_ask reported that)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.errors.close()


def run_separate_processes(args: argparse.Namespace, specs: list[ModelSpec]) -> dict[str, Any]:
    """Each framework in a worker process of its own, started once and driven part by part
    as the one-process mode drives its frameworks."""
    workers = {framework: _Worker(framework, args) for framework in args.frameworks}
    try:
        pause = 0.0 if args.quick else HANDOVER_S
        return _run_rounds(args, specs, workers, pause)
    finally:
        for worker in workers.values():
            worker.close()


# --- report -------------------------------------------------------------------------------
def _median(cell: dict[str, Any] | None) -> float | None:
    if not cell or "samples" not in cell:
        return None
    return float(np.median(cell["samples"]))


def _ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
    """``a``'s step time over ``b``'s: the median of the per-round ratios when both ran the
    same rounds (each round's turns are close in time, so a spell of the host's slower speed
    slows both), else the ratio of the medians."""
    ta, tb = _median(a), _median(b)
    if ta is None or tb is None:
        return None
    rounds_a, rounds_b = a.get("rounds"), b.get("rounds")  # type: ignore[union-attr]
    if rounds_a and rounds_b and len(rounds_a) == len(rounds_b):
        return float(np.median([x / y for x, y in zip(rounds_a, rounds_b)]))
    return ta / tb


def _losses_agree(row: dict[str, Any]) -> str:
    losses = [cell["first_loss"] for cell in row.values() if "first_loss" in cell]
    if len(losses) < 2:
        return "-"
    spread = (max(losses) - min(losses)) / max(abs(np.mean(losses)), 1e-12)
    return (
        f"yes ({spread:.0e})" if spread < 1e-3 else f"NO: {', '.join(f'{x:.5g}' for x in losses)}"
    )


def format_table(results: dict[str, Any], frameworks: list[str]) -> str:
    """The markdown table: median ms per step, the ratios, and whether first losses agree."""
    header = ["model"] + [f"{LABELS[f]} ms" for f in frameworks]
    pairs = [
        (a, b)
        for a, b in (("numpy", "torch"), ("numba", "torch"), ("numba", "numpy"))
        if a in frameworks and b in frameworks
    ]
    header += [f"{LABELS[a]} / {LABELS[b]}" for a, b in pairs] + ["first losses agree"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" + "---:|" * (len(header) - 2) + "---|"]
    notes: dict[str, str] = {}
    for model, row in results.items():
        cells = [model]
        for framework in frameworks:
            median = _median(row.get(framework))
            if median is None:
                reason = row.get(framework, {}).get("skipped", "not run")
                mark = notes.setdefault(reason, f"({len(notes) + 1})")
                cells.append(f"- {mark}")
            else:
                cells.append(f"{median:.2f}")
        for a, b in pairs:
            ratio = _ratio(row.get(a), row.get(b))
            cells.append(f"{ratio:.2f}x" if ratio is not None else "-")
        cells.append(_losses_agree(row))
        lines.append("| " + " | ".join(cells) + " |")
    lines += [""] + [f"{mark} {reason}" for reason, mark in notes.items()]
    return "\n".join(lines).rstrip() + "\n"


def _versions() -> str:
    parts = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("numba", "torch"):
        try:
            parts.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def machine() -> str:
    """CPU model, cores, memory and library versions, in one line."""
    cpu, memory = platform.processor() or platform.machine(), ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {total_kb / 2**20:.0f} GiB"
    return f"{cpu}, {os.cpu_count()} cores{memory}; {_versions()}"


def _load_line(before: tuple[float, ...], after: tuple[float, ...]) -> str:
    text = (
        f"load average (1/5/15 min) {before[0]:.2f}/{before[1]:.2f}/{before[2]:.2f} at the "
        f"start, {after[0]:.2f}/{after[1]:.2f}/{after[2]:.2f} at the end"
    )
    if max(before[0], after[0]) > 2:
        text += (
            f" -- **loaded machine**: more runnable processes than the {os.cpu_count()} cores "
            "(other sessions' work), so these times are slower and noisier than on an idle "
            "machine; the ratios, measured in turns, are the steadier figure"
        )
    return text


MODES = {
    "same": ("All frameworks in one process", run_same_process),
    "separate": ("Each framework in its own process", run_separate_processes),
}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(spec.name for spec in MODELS))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--mode", choices=("same", "separate", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of steps per turn")
    parser.add_argument(
        "--clock", choices=tuple(CLOCKS), default="wall", help="wall time or the process's CPU time"
    )
    parser.add_argument(
        "--quick", action="store_true", help="one bare step each at batch 2 (a smoke test)"
    )
    parser.add_argument("--readme", action="store_true", help="write the run to README.md")
    parser.add_argument("--json", help="also write every sample to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.frameworks = [f for f in args.frameworks.split(",") if f]
    unknown = set(args.frameworks) - set(FRAMEWORKS)
    names = {spec.name for spec in MODELS}
    if unknown or not set(args.models.split(",")) <= names:
        parser.error(f"frameworks are {FRAMEWORKS}, models {sorted(names)}")
    if args.quick:
        args.rounds = 1
    return args


def main(argv: list[str] | None = None) -> str:
    """Run the benchmark and print (and return) the report."""
    args = _parse(argv)
    specs = [spec for spec in MODELS if spec.name in args.models.split(",")]
    if args.worker:
        serve(args.worker, args)
        return ""
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = [
        f"Run {date} on {machine()}; {args.threads} threads (torch.set_num_threads and "
        f"plugtorch.set_num_threads({args.threads}): numba's kernels and OpenBLAS). Median ms "
        f"per training step ({'process CPU time' if args.clock == 'cpu' else 'wall time'}) "
        f"over {args.rounds} rounds of about {args.budget:g} s of steps per framework, taken "
        f"in {PARTS} parts alternating with the other frameworks, after warm-up.\n"
    ]
    if args.quick:
        report = [
            "Smoke run (--quick): one step per model at batch 2, no warm-up; the times "
            "are not measurements.\n"
        ]
    raw: dict[str, Any] = {}
    for mode in ("same", "separate") if args.mode == "both" else (args.mode,):
        title, run = MODES[mode]
        before = os.getloadavg()
        raw[mode] = run(args, specs)
        report += [f"### {title}\n", _load_line(before, os.getloadavg()) + "\n"]
        report.append(format_table(raw[mode], args.frameworks))
    text = "\n".join(report)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(raw))
    if args.readme:
        write_readme(text)
    return text


def write_readme(text: str) -> None:
    """Replace the latest run in ``benchmarks/README.md`` (between the markers)."""
    current = README.read_text()
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
