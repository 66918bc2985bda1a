"""Where a training step's time goes, per model, from ``plugtorch.profiler``: the data behind
``benchmarks/PROFILE.md``.

For each model of ``_models.py`` on one backend (numba by default): the unprofiled step time
(median after warm-up), then ``--steps`` steps under the profiler with the forward, backward and
optimizer phases marked by ``record_function``. Printed per model:

* phases: wall time under the profiler, the part inside backend primitives ("kernels", which
  includes each backend's own Python glue) and the rest (op dispatch, autograd, modules);
* the busiest primitives: calls, time, share of the step, bytes of fresh results, GFLOP/s for
  matmul and convolution, GB/s of fresh results for the rest;
* the busiest ops and backward rules (inclusive time, and self time = dispatch per call).

The profiler costs about 1-2 us per event, so the profiled step is slower than the plain one;
the dispatch estimate below therefore subtracts the kernels from the *unprofiled* step.

    python benchmarks/profile_models.py [--backend numba] [--models gpt,lstm] [--steps 5]
        [--threads 1] [--torch] [--bounds]

``--bounds`` times the step's GEMMs alone (shapes recorded by the profiler) in numpy's BLAS, in
the backend's ``matmul`` when it has its own GEMM library (numba with MKL), and in PyTorch, so
a model that misses PyTorch's time can be told GEMM-bound (BLAS alone is slower) or not (the
rest of the step is).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _models import MODELS, ModelSpec  # noqa: E402
from _timing import sample_ms  # noqa: E402
from bench_models import (  # noqa: E402
    load_framework,
    machine,
    make_trainer,
    reference_state,
    skip_reason,
)

from plugtorch import get_backend  # noqa: E402
from plugtorch.profiler import profile, record_function  # noqa: E402

PHASES = ("forward", "backward", "optimizer")
CEILING_FLOPS = 200e9  # OpenBLAS fp32 GEMM on 2 cores of this machine class (measured, n >= 512)


def _root(event: Any) -> Any:
    while event.cpu_parent is not None:
        event = event.cpu_parent
    return event


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def per_step_totals(events: Any, steps: int) -> list[dict[tuple[str, str], float]]:
    """For each step: (kind, name) -> total, where kind is ``phase`` (ms), ``kernel`` (ms of
    primitives per phase), ``prim``/``prim_calls``/``prim_bytes``/``prim_flops`` per
    primitive, ``op``/``op_self``/``op_calls`` per op or backward rule."""
    totals: list[dict[tuple[str, str], float]] = [defaultdict(float) for _ in range(steps)]
    step_of: dict[int, int] = {}
    seen = -1
    for event in events:
        root = _root(event)
        if id(root) not in step_of:
            if root.name == PHASES[0]:
                seen += 1
            step_of[id(root)] = max(seen, 0)
        bucket = totals[step_of[id(root)]]
        if event is root and event.name in PHASES:
            bucket["phase", event.name] += event.cpu_time_total / 1e3
        if event.category == "primitive":
            phase = root.name if root.name in PHASES else "other"
            bucket["kernel", phase] += event.self_cpu_time_total / 1e3
            bucket["prim", event.name] += event.self_cpu_time_total / 1e3
            bucket["prim_calls", event.name] += 1
            bucket["prim_bytes", event.name] += event.self_bytes
            bucket["prim_flops", event.name] += event.flops
        elif event.category in ("cpu_op", "backward"):
            bucket["op", event.name] += event.cpu_time_total / 1e3
            bucket["op_self", event.name] += event.self_cpu_time_total / 1e3
            bucket["op_calls", event.name] += 1
    return totals


def profile_model(
    spec: ModelSpec, backend: str, steps: int, top: int, threads: int | None = None
) -> str:
    """The report of one model (markdown); every figure is the median over ``steps``."""
    lib = load_framework(backend, threads)
    batch = spec.batch(np.random.default_rng(0), spec.batch_size)
    trainer = make_trainer(spec, backend, lib, reference_state(spec), batch, record_function)
    with trainer.scope():
        plain_ms = float(np.median(sample_ms(trainer.step, max(5, steps))))
        with profile(record_shapes=False, profile_memory=True, with_flops=True) as prof:
            for _ in range(steps):
                trainer.step()
    totals = per_step_totals(prof.events(), steps)
    keys = set().union(*totals)

    def median(kind: str, name: str) -> float:
        return float(np.median([step.get((kind, name), 0.0) for step in totals]))

    def names(kind: str) -> list[str]:
        return sorted({name for k, name in keys if k == kind}, key=lambda n: -median(kind, n))

    kernels = sum(median("kernel", phase) for phase in (*PHASES, "other"))
    profiled = sum(median("phase", phase) for phase in PHASES)
    n_ops = sum(median("op_calls", n) for n in names("op_calls") if n.startswith("plugtorch::"))
    n_primitives = sum(median("prim_calls", name) for name in names("prim_calls"))
    flops = sum(median("prim_flops", name) for name in names("prim_flops"))
    nbytes = sum(median("prim_bytes", name) for name in names("prim_bytes"))
    outside = plain_ms - kernels
    out = [
        f"### {spec.name}: {spec.description}\n",
        f"Step {plain_ms:.2f} ms unprofiled ({profiled:.2f} ms profiled); per step "
        f"{n_ops:.0f} ops, {n_primitives:.0f} primitive calls, {flops / 1e9:.3f} GFLOP in "
        f"matmul and convolution ({flops / CEILING_FLOPS * 1e3:.2f} ms at "
        f"{CEILING_FLOPS / 1e9:.0f} GFLOP/s), {nbytes / 2**20:.1f} MiB of fresh arrays; "
        f"primitives {kernels:.2f} ms, everything else {outside:.2f} ms of the unprofiled step "
        f"({outside / max(n_ops, 1) * 1e3:.1f} us per op).\n",
    ]
    rows = [
        [
            phase,
            f"{median('phase', phase):.2f}",
            f"{median('kernel', phase):.2f}",
            f"{median('phase', phase) - median('kernel', phase):.2f}",
        ]
        for phase in PHASES
    ]
    out += [_table(["phase", "ms (profiled)", "in primitives", "outside"], rows), ""]
    rows = []
    for name in names("prim")[:top]:
        ms, nbytes, flops = (
            median("prim", name),
            median("prim_bytes", name),
            median("prim_flops", name),
        )
        rate = f"{flops / ms / 1e6:.1f} GFLOP/s" if flops else f"{nbytes / ms / 1e6:.1f} GB/s"
        rows.append(
            [
                name,
                f"{median('prim_calls', name):.0f}",
                f"{ms:.2f}",
                f"{ms / plain_ms * 100:.0f}%",
                f"{nbytes / 2**20:.1f}",
                rate,
            ]
        )
    header = ["primitive", "calls", "ms", "of step", "MiB out", "rate"]
    out += [_table(header, rows), ""]
    rows = []
    for name in names("op")[:top]:
        calls, own = median("op_calls", name), median("op_self", name)
        rows.append(
            [
                name,
                f"{calls:.0f}",
                f"{median('op', name):.2f}",
                f"{own:.2f}",
                f"{own / max(calls, 1) * 1e3:.1f}",
            ]
        )
    header = ["op / backward rule", "calls", "ms incl.", "ms self", "self us/call"]
    out += [_table(header, rows), ""]
    return "\n".join(out)


def _gemms(event: Any) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The (left, right) operand shapes of the GEMMs one primitive event ran."""
    shapes = [tuple(shape) for shape in event.input_shapes]
    name = event.name.split("::")[-1]
    if name == "matmul":
        return [(shapes[0], shapes[1])]
    if name in ("lstm_layer", "lstm_layer_backward"):
        x_proj = shapes[0] if name == "lstm_layer" else shapes[1]
        steps, batch, gates = x_proj
        hidden = gates // 4
        per_step = [((batch, hidden), (hidden, gates))] * steps
        if name == "lstm_layer":
            return per_step
        return [((batch, gates), (gates, hidden))] * steps + [
            ((gates, steps * batch), (steps * batch, hidden))
        ]
    return []  # (convolutions are not counted here)


def gemm_bound(spec: ModelSpec, backend: str, threads: int | None) -> str:
    """Every GEMM of one step (shapes from a profile with ``record_shapes``), timed alone in
    numpy (OpenBLAS: what the numpy and numba backends call) and in PyTorch: how much of the
    step the GEMMs take, and how far BLAS alone is from PyTorch's."""
    import time

    lib = load_framework(backend, threads)
    batch = spec.batch(np.random.default_rng(0), spec.batch_size)
    trainer = make_trainer(spec, backend, lib, reference_state(spec), batch)
    with trainer.scope():
        trainer.step()
        with profile(record_shapes=True) as prof:
            trainer.step()
    shapes = [pair for e in prof.events() if e.category == "primitive" for pair in _gemms(e)]
    rng = np.random.default_rng(0)
    operands = [(rng.random(a, np.float32), rng.random(b, np.float32)) for a, b in shapes]
    flops = sum(2 * int(np.prod(x.shape)) * y.shape[-1] for x, y in operands)
    clock = time.process_time if threads == 1 else time.perf_counter

    def run_numpy() -> None:
        for x, y in operands:
            np.matmul(x, y)

    times = {"OpenBLAS (numpy)": float(np.median(sample_ms(run_numpy, 9, clock=clock)))}
    primitives = get_backend(backend)
    blas = getattr(primitives, "blas", "")
    if blas and not blas.startswith("OpenBLAS"):  # the backend's own GEMM library (MKL)

        def run_backend() -> None:
            for x, y in operands:
                primitives.matmul(x, y)

        name = f"{backend} matmul ({blas.split(' (')[0]})"
        times[name] = float(np.median(sample_ms(run_backend, 9, clock=clock)))
    try:
        torch = load_framework("torch", threads)
        pairs = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in operands]

        def run_torch() -> None:
            for x, y in pairs:
                torch.matmul(x, y)

        times["PyTorch"] = float(np.median(sample_ms(run_torch, 9, clock=clock)))
    except ImportError:
        pass
    what = "CPU" if threads == 1 else "wall"
    parts = ", ".join(f"{k} {v:.2f} ms ({flops / v / 1e6:.0f} GFLOP/s)" for k, v in times.items())
    return (
        f"GEMMs of one {spec.name} step alone ({len(shapes)} calls, {flops / 1e9:.3f} GFLOP, "
        f"{what} time, convolutions not included): {parts}.\n"
    )


def torch_profile(spec: ModelSpec, steps: int, top: int, threads: int | None) -> str:
    """PyTorch's own profile of the same step, through the same code: ``torch.profiler``
    and ``plugtorch.profiler`` share the interface."""
    lib = load_framework("torch", threads)
    batch = spec.batch(np.random.default_rng(0), spec.batch_size)
    marker = lib.profiler.record_function
    trainer = make_trainer(spec, "torch", lib, reference_state(spec), batch, marker)
    with trainer.scope():
        plain_ms = float(np.median(sample_ms(trainer.step, max(5, steps))))
        with lib.profiler.profile(activities=[lib.profiler.ProfilerActivity.CPU]) as prof:
            for _ in range(steps):
                trainer.step()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=top)
    return f"PyTorch: step {plain_ms:.2f} ms unprofiled; {steps} steps:\n\n```\n{table}```\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numba")
    parser.add_argument("--models", default=",".join(spec.name for spec in MODELS))
    parser.add_argument("--steps", type=int, default=9)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None, help="default: as many as cores")
    parser.add_argument("--torch", action="store_true", help="also PyTorch's own profile")
    parser.add_argument(
        "--bounds", action="store_true", help="also the step's GEMMs alone, in BLAS and PyTorch"
    )
    args = parser.parse_args(argv)
    threads = args.threads or "all"
    print(f"Profiles on {args.backend}, {threads} threads; {machine()}\n")
    for spec in MODELS:
        if spec.name not in args.models.split(","):
            continue
        reason = skip_reason(spec)
        if reason is not None:
            print(f"### {spec.name}: skipped ({reason})\n")
            continue
        report = profile_model(spec, args.backend, args.steps, args.top, args.threads)
        print(report, flush=True)
        if args.torch:
            print(torch_profile(spec, args.steps, args.top, args.threads), flush=True)
        if args.bounds:
            print(gemm_bound(spec, args.backend, args.threads), flush=True)


if __name__ == "__main__":
    main()
