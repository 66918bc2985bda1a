"""plugtorch.profiler: PyTorch's torch.profiler interface (profile, record_function,
key_averages().table, export_chrome_trace, schedule) over ops, backward rules and primitives.

Expectations follow PyTorch's documented behaviour: events nest (an op's time includes its
children; self time excludes them), averages group by name (and input shape when asked), the
table's columns and footer are PyTorch's, sort keys are FunctionEventAvg attributes, a schedule
records its active steps and calls on_trace_ready after each cycle.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn
from plugtorch.ops.registry import PROFILE_HOOKS, REGISTRY
from plugtorch.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    supported_activities,
)


def _names(prof) -> set[str]:
    return {row.key for row in prof.key_averages()}


def _by_name(prof, name: str):
    return next(row for row in prof.key_averages() if row.key == name)


def test_ops_backward_rules_and_primitives_are_recorded_with_call_counts() -> None:
    x = pt.randn(16, 8, requires_grad=True)
    w = pt.randn(8, 4, requires_grad=True)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        y = (x @ w).tanh()
        y = y * y * y
        y.sum().backward()
    names = _names(prof)
    assert {"plugtorch::matmul", "plugtorch::tanh", "plugtorch::mul", "plugtorch::sum"} <= names
    assert {"MatmulBackward0", "TanhBackward0", "MulBackward0", "SumBackward0"} <= names
    assert {"numpy::matmul", "numpy::tanh", "numpy::multiply"} <= names
    assert _by_name(prof, "MulBackward0").count == 2  # y * y, then (y * y) * y
    assert _by_name(prof, "TanhBackward0").count == 1
    # the forward matmul op; its backward rule calls the two products' primitive directly
    assert _by_name(prof, "plugtorch::matmul").count == 1
    assert _by_name(prof, "numpy::matmul").count == 3


def test_backward_ops_nest_inside_their_rule_and_primitives_inside_their_op() -> None:
    x = pt.randn(4, 4, requires_grad=True)
    with profile() as prof:
        (x @ x).sum().backward()
    events = prof.events()
    rule = next(e for e in events if e.name == "MatmulBackward0")
    assert [c.name for c in rule.cpu_children].count("numpy::matmul") == 2
    for child in rule.cpu_children:
        assert rule.time_range.start <= child.time_range.start
        assert child.time_range.end <= rule.time_range.end
    op = next(e for e in events if e.name == "plugtorch::matmul" and e.cpu_parent is None)
    assert [c.name for c in op.cpu_children] == ["numpy::matmul"]
    children = sum(c.cpu_time_total for c in op.cpu_children)
    assert op.self_cpu_time_total == pytest.approx(op.cpu_time_total - children)


def test_table_has_pytorchs_columns_sorted_and_limited() -> None:
    x = pt.randn(32, 32, requires_grad=True)
    with profile(profile_memory=True) as prof:
        for _ in range(3):
            (x @ x).relu().sum().backward()
    averages = prof.key_averages()
    table = averages.table(sort_by="self_cpu_time_total", row_limit=5)
    lines = table.splitlines()
    header = lines[1]
    for column in (
        "Name",
        "Self CPU %",
        "Self CPU",
        "CPU total %",
        "CPU total",
        "CPU time avg",
        "CPU Mem",
        "Self CPU Mem",
        "# of Calls",
    ):
        assert column in header
    assert lines[0].startswith("---") and lines[2].startswith("---")
    rows = lines[3:-2]
    assert len(rows) == 5
    expected = sorted(averages, key=lambda r: r.self_cpu_time_total, reverse=True)[:5]
    assert [row.split()[0] for row in rows] == [r.key for r in expected]
    assert lines[-1].startswith("Self CPU time total: ")
    assert lines[-1].endswith(("us", "ms", "s"))
    total = sum(r.self_cpu_time_total for r in averages)
    assert averages.self_cpu_time_total == pytest.approx(total)
    assert "CPU Mem" not in profile_table_without_memory()


def profile_table_without_memory() -> str:
    with profile() as prof:
        pt.ones(3) + 1
    return prof.key_averages().table()


def test_memory_counts_fresh_arrays_not_views() -> None:
    x = pt.randn(64, 32, dtype=pt.float32)
    w = pt.randn(32, 16, dtype=pt.float32)
    with profile(profile_memory=True) as prof:
        y = x @ w
        y.reshape(16, 64)  # a view: no new memory
    assert _by_name(prof, "numpy::matmul").self_cpu_memory_usage == 64 * 16 * 4
    assert _by_name(prof, "plugtorch::matmul").cpu_memory_usage == 64 * 16 * 4
    assert _by_name(prof, "plugtorch::matmul").self_cpu_memory_usage == 0
    assert _by_name(prof, "numpy::reshape").self_cpu_memory_usage == 0
    with profile() as prof:  # without profile_memory nothing is counted, as in PyTorch
        x @ w
    assert _by_name(prof, "numpy::matmul").cpu_memory_usage == 0


def test_record_shapes_and_group_by_input_shape() -> None:
    a, b = pt.randn(8, 4), pt.randn(2, 3)
    with profile(record_shapes=True) as prof:
        a + a
        b + b
        b + b
    rows = [r for r in prof.key_averages(group_by_input_shape=True) if r.key == "plugtorch::add"]
    assert sorted((r.input_shapes, r.count) for r in rows) == [
        ([[2, 3], [2, 3]], 2),
        ([[8, 4], [8, 4]], 1),
    ]
    table = prof.key_averages(group_by_input_shape=True).table(sort_by="count")
    assert "Input Shapes" in table and "[[2, 3], [2, 3]]" in table


def test_with_flops_counts_matmul_flops() -> None:
    x, w = pt.randn(5, 6), pt.randn(6, 7)
    with profile(with_flops=True) as prof:
        x @ w
    assert _by_name(prof, "numpy::matmul").flops == 2 * 5 * 6 * 7
    assert "Total FLOPs" in prof.key_averages().table()


def test_chrome_trace_is_valid_json_with_nested_complete_events(tmp_path) -> None:
    x = pt.randn(4, 4, requires_grad=True)
    with profile(record_shapes=True) as prof:
        with record_function("step"):
            (x * 2).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    events = trace["traceEvents"]
    assert len(events) == len(prof.events())
    for event in events:
        assert event["ph"] == "X"
        assert isinstance(event["ts"], float) and event["dur"] >= 0
        assert {"name", "cat", "pid", "tid", "args"} <= set(event)
    step = next(e for e in events if e["name"] == "step")
    assert step["cat"] == "user_annotation"
    mul = next(e for e in events if e["name"] == "plugtorch::mul")
    assert step["ts"] <= mul["ts"] and mul["ts"] + mul["dur"] <= step["ts"] + step["dur"]
    assert mul["args"]["Input Dims"] == [[4, 4], [4, 4]]
    with pytest.raises(TypeError, match="prof.events"):
        prof.key_averages().export_chrome_trace(str(path))


def test_record_function_nests_as_context_manager_and_decorator() -> None:
    @record_function("helper")
    def helper(t):
        return t + 1

    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                helper(pt.ones(2))
            helper(pt.ones(2))
    events = prof.events()
    outer = next(e for e in events if e.name == "outer")
    inner = next(e for e in events if e.name == "inner")
    helpers = [e for e in events if e.name == "helper"]
    assert inner.cpu_parent is outer
    assert [h.cpu_parent for h in helpers] == [inner, outer]
    assert all("plugtorch::add" in [c.name for c in h.cpu_children] for h in helpers)
    assert outer.cpu_time_total >= inner.cpu_time_total


def test_record_function_outside_a_profile_does_nothing() -> None:
    with record_function("alone") as marker:
        y = pt.ones(2) * 3
    assert marker._event is None
    assert y.tolist() == [3.0, 3.0]


def test_profiling_changes_no_result(backend_name: str) -> None:
    def run():
        pt.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3)).to(backend_name)
        opt = pt.optim.Adam(model.parameters(), lr=0.01)
        x = pt.randn(4, 6, backend=backend_name)
        for _ in range(2):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), pt.tensor([0, 1, 2, 0]).to(backend_name))
            loss.backward()
            opt.step()
        return [p.detach().numpy().copy() for p in model.parameters()], float(loss)

    plain = run()
    with profile(record_shapes=True, profile_memory=True, with_flops=True) as prof:
        profiled = run()
    for a, b in zip(plain[0], profiled[0]):
        np.testing.assert_array_equal(a, b)
    assert plain[1] == profiled[1]
    assert any(row.key.startswith(f"{backend_name}::") for row in prof.key_averages())


def test_off_by_default_and_everything_unhooked_after_exit_or_error() -> None:
    backend = pt.ones(1).backend
    rules = {name: op.backward for name, op in REGISTRY.items()}
    assert PROFILE_HOOKS == []
    with pytest.raises(ValueError, match="boom"):
        with profile():
            assert len(PROFILE_HOOKS) == 1
            assert "matmul" in vars(backend)
            raise ValueError("boom")
    assert PROFILE_HOOKS == []
    assert "matmul" not in vars(backend)
    assert all(REGISTRY[name].backward is rule for name, rule in rules.items())
    with profile() as prof:  # a later profile works again
        pt.ones(2) + 1
    assert "plugtorch::add" in _names(prof)


def test_profiles_do_not_nest_and_results_wait_for_the_end() -> None:
    with profile() as outer:
        with pytest.raises(RuntimeError, match="already recording"):
            with profile():
                pass
        with pytest.raises(RuntimeError, match="still recording"):
            outer.events()
    assert PROFILE_HOOKS == []
    with pytest.raises(RuntimeError, match="recorded nothing"):
        profile().key_averages()


def test_bad_sort_keys_and_units_say_what_to_use() -> None:
    with profile() as prof:
        pt.ones(2) + 1
    with pytest.raises(AttributeError, match="self_cpu_time_total"):
        prof.key_averages().table(sort_by="self_cpu_time")
    with pytest.raises(AttributeError, match="host"):
        prof.key_averages().table(sort_by="cuda_time_total")
    with pytest.raises(ValueError, match="time_unit"):
        prof.key_averages().table(time_unit="minutes")
    with pytest.raises(TypeError, match="ProfilerActivity"):
        profile(activities=["cpu"])
    with pytest.warns(UserWarning, match="host time"):
        profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    assert supported_activities() == {ProfilerActivity.CPU}


def test_ops_on_other_threads_are_recorded_on_their_own_thread() -> None:
    def work():
        pt.ones(3) * 2

    with profile() as prof:
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        pt.ones(3) * 2
    muls = [e for e in prof.events() if e.name == "plugtorch::mul"]
    assert len(muls) == 2 and muls[0].thread != muls[1].thread
    assert all(e.cpu_parent is None for e in muls)


def test_schedule_actions_match_pytorchs() -> None:
    plan = schedule(wait=1, warmup=1, active=2, repeat=2, skip_first=1)
    got = [plan(step) for step in range(10)]
    N, W, R, S = (
        ProfilerAction.NONE,
        ProfilerAction.WARMUP,
        ProfilerAction.RECORD,
        ProfilerAction.RECORD_AND_SAVE,
    )
    assert got == [N, N, W, R, S, N, W, R, S, N]
    with pytest.raises(AssertionError, match="active"):
        schedule(wait=0, warmup=1, active=0)


def test_schedule_records_active_steps_and_calls_on_trace_ready() -> None:
    cycles = []

    def ready(prof):
        cycles.append(sorted(e.name for e in prof.events() if e.name.startswith("Profiler")))

    plan = schedule(wait=1, warmup=1, active=2, repeat=2)
    with profile(schedule=plan, on_trace_ready=ready) as prof:
        for _ in range(9):
            pt.ones(2) + 1
            prof.step()
    assert cycles == [["ProfilerStep#2", "ProfilerStep#3"], ["ProfilerStep#6", "ProfilerStep#7"]]
    assert PROFILE_HOOKS == []


def test_autograd_profiler_aliases() -> None:
    x = pt.ones(3, requires_grad=True)
    with pt.autograd.profiler.profile(record_shapes=True) as prof:
        with pt.autograd.profiler.record_function("block"):
            (x * 2).sum().backward()
    assert "MulBackward0" in prof.table(sort_by="cpu_time_total")
    assert prof.self_cpu_time_total == pytest.approx(prof.total_average().self_cpu_time_total)
    assert {"block", "plugtorch::mul"} <= {e.name for e in prof.function_events}
    with pt.autograd.profiler.profile(enabled=False) as off:
        x * 2
    assert off.function_events is None and PROFILE_HOOKS == []
