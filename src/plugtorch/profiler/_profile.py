"""``profile``, ``record_function``, ``schedule`` and the activity enums, with PyTorch's
signatures (``torch.profiler``)."""

from __future__ import annotations

import enum
import functools
import os
import socket
import time
import warnings
from typing import Any, Callable, Iterable, TypeVar

from plugtorch.profiler._events import EventList
from plugtorch.profiler._recorder import Recorder, active_recorder

__all__ = [
    "ProfilerAction",
    "ProfilerActivity",
    "profile",
    "record_function",
    "schedule",
    "supported_activities",
    "tensorboard_trace_handler",
]

F = TypeVar("F", bound=Callable[..., Any])


class ProfilerActivity(enum.Enum):
    """What a profile records. plugtorch measures host time (``CPU``); the device kinds are
    accepted for portability and recorded as host time (see :class:`profile`)."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a ``schedule`` asks the profiler to do at a step."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def supported_activities() -> set[ProfilerActivity]:
    """The activities plugtorch's profiler measures: ``{ProfilerActivity.CPU}``."""
    return {ProfilerActivity.CPU}


def schedule(
    *,
    wait: int,
    warmup: int,
    active: int,
    repeat: int = 0,
    skip_first: int = 0,
    skip_first_wait: int = 0,
) -> Callable[[int], ProfilerAction]:
    """A step -> action function for ``profile(schedule=...)``: skip ``skip_first`` steps,
    then cycle through ``wait`` idle steps, ``warmup`` steps and ``active`` recorded steps
    (the last one saves: ``on_trace_ready`` runs), ``repeat`` times (0: until the end).
    With ``skip_first_wait`` set, the first cycle starts without its wait.

    >>> s = schedule(wait=1, warmup=1, active=2)
    >>> [s(step).name for step in range(4)]
    ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup="
            f"{warmup} (need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0)."
        )
    if warmup == 0:
        warnings.warn(
            "Profiler won't be using warmup, this can skew profiler results", stacklevel=2
        )
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        within = step % cycle
        if within < wait:
            return ProfilerAction.NONE
        if within < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if within < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def tensorboard_trace_handler(
    dir_name: str, worker_name: str | None = None, use_gzip: bool = False
) -> Callable[[Any], None]:
    """An ``on_trace_ready`` handler that writes each saved cycle as a Chrome trace
    ``<dir_name>/<worker_name>.<ns>.pt.trace.json`` (worker name: ``host_pid``)."""
    if use_gzip:
        raise ValueError("tensorboard_trace_handler(use_gzip=True) is not supported: use False")

    def handler(prof: Any) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        prof.export_chrome_trace(os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json"))

    return handler


class record_function:
    """Mark a range of code: it shows in the profile as one event named ``name`` (its time
    includes the ops inside). A context manager and a decorator; free when nothing records.

    >>> import plugtorch as pt
    >>> from plugtorch.profiler import profile, record_function
    >>> with profile() as prof:
    ...     with record_function("scale"):
    ...         y = pt.ones(3) * 2
    >>> mul = next(event for event in prof.events() if event.name == "plugtorch::mul")
    >>> mul.cpu_parent.name
    'scale'
    """

    def __init__(self, name: str, args: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function(name) takes a str, not {type(name).__name__}")
        self.name = name
        self.args = args
        self._recorder: Recorder | None = None
        self._event: Any = None

    def __enter__(self) -> record_function:
        recorder = active_recorder()
        if recorder is not None:
            self._recorder = recorder
            self._event = recorder.begin(self.name, "user_annotation", None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._recorder is not None:
            self._recorder.end(self._event)
            self._recorder = self._event = None

    def __call__(self, function: F) -> F:
        name, args = self.name, self.args

        @functools.wraps(function)
        def wrapper(*a: Any, **k: Any) -> Any:
            with record_function(name, args):
                return function(*a, **k)

        return wrapper  # type: ignore[return-value]


class _Profile:
    """What both profile classes share: one recorder, its events, their summaries."""

    def __init__(self, *, record_shapes: bool, profile_memory: bool, with_flops: bool) -> None:
        self._recorder = Recorder(
            record_shapes=bool(record_shapes),
            profile_memory=bool(profile_memory),
            with_flops=bool(with_flops),
        )
        self._events: EventList | None = None

    def _start_recording(self) -> None:
        self._events = None
        self._recorder.start()

    def _stop_recording(self) -> None:
        recorder = self._recorder
        if not recorder.recording:
            return
        recorder.stop()
        self._events = EventList(
            recorder.events,
            profile_memory=recorder.profile_memory,
            with_flops=recorder.with_flops,
            base_wall_ns=recorder.base_wall_ns,
            base_perf_ns=recorder.base_perf_ns,
        )

    def events(self) -> EventList:
        """Every recorded event, in the order they started."""
        if self._events is None:
            state = "is still recording" if self._recorder.recording else "has recorded nothing"
            raise RuntimeError(
                f"the profiler {state}: read the results after the `with profile() as prof:` "
                "block ends (or after prof.stop())"
            )
        return self._events

    def key_averages(
        self,
        group_by_input_shape: bool = False,
        group_by_stack_n: int = 0,
        group_by_overload_name: bool = False,
    ) -> EventList:
        """The events averaged by name (and input shapes with ``group_by_input_shape``; the
        profile must have been made with ``record_shapes=True`` for shapes to be there)."""
        return self.events().key_averages(
            group_by_input_shape, group_by_stack_n, group_by_overload_name
        )

    def export_chrome_trace(self, path: str | os.PathLike[str]) -> None:
        """Write the events as a Chrome trace (JSON; open in ``chrome://tracing`` or
        https://ui.perfetto.dev)."""
        self.events().export_chrome_trace(path)


def _warn_unsupported(with_stack: bool, with_modules: bool, device: bool) -> None:
    if with_stack or with_modules:
        warnings.warn(
            "plugtorch's profiler records no Python call stacks or module hierarchy "
            "(with_stack/with_modules are ignored); mark code with record_function instead",
            stacklevel=3,
        )
    if device:
        warnings.warn(
            "plugtorch's profiler measures host time only: on an asynchronous device backend "
            "a primitive's time is the time to launch it, not the device's run time",
            stacklevel=3,
        )


class profile(_Profile):
    """Record the time of every op, backward rule, backend primitive and
    :class:`record_function` range run inside the ``with`` block.

    Events are named ``plugtorch::<op>`` (an op, forward or run by a backward rule),
    ``<Op>Backward0`` (a backward rule), ``<backend>::<primitive>`` (a backend primitive, e.g.
    ``numba::matmul``) and by ``record_function``. ``record_shapes`` keeps input shapes;
    ``profile_memory`` counts the bytes of the fresh arrays primitives return (views count 0;
    nothing is subtracted when arrays are freed); ``with_flops`` counts matmul and convolution
    FLOPs. ``schedule`` and :meth:`step` record chosen steps only and call ``on_trace_ready``
    after each recorded cycle, as in PyTorch. One profile records at a time in a process.

    >>> import plugtorch as pt
    >>> from plugtorch.profiler import profile, ProfilerActivity
    >>> x = pt.ones(4, 4, requires_grad=True)
    >>> with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
    ...     (x @ x).sum().backward()
    >>> names = {row.key for row in prof.key_averages()}
    >>> {"plugtorch::matmul", "MatmulBackward0", "numpy::matmul"} <= names
    True
    >>> "Self CPU time total" in prof.key_averages().table(sort_by="self_cpu_time_total")
    True
    """

    def __init__(
        self,
        *,
        activities: Iterable[ProfilerActivity] | None = None,
        schedule: Callable[[int], ProfilerAction] | None = None,
        on_trace_ready: Callable[[profile], Any] | None = None,
        record_shapes: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_flops: bool = False,
        with_modules: bool = False,
        use_cuda: bool | None = None,
    ) -> None:
        super().__init__(
            record_shapes=record_shapes, profile_memory=profile_memory, with_flops=with_flops
        )
        chosen = set(supported_activities() if activities is None else activities)
        for activity in chosen:
            if not isinstance(activity, ProfilerActivity):
                raise TypeError(
                    f"activities must be ProfilerActivity members (e.g. ProfilerActivity.CPU), "
                    f"not {activity!r}"
                )
        if use_cuda:
            chosen.add(ProfilerActivity.CUDA)
        self.activities = chosen
        _warn_unsupported(with_stack, with_modules, bool(chosen - supported_activities()))
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = schedule(0) if schedule is not None else ProfilerAction.RECORD
        self._step_range: record_function | None = None

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start recording (or wait, if the schedule says so at step 0)."""
        if self.current_action in _RECORDING:
            self._start_recording()
        self._open_step_range()

    def stop(self) -> None:
        """Stop recording; a recorded cycle is handed to ``on_trace_ready``."""
        self._close_step_range()
        if self._recorder.recording:
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def step(self) -> None:
        """Tell the profiler a training step ended: the schedule decides the next action."""
        self._close_step_range()
        previous = self.current_action
        self.step_num += 1
        if self.schedule is not None:
            self.current_action = self.schedule(self.step_num)
        action = self.current_action
        if self._recorder.recording and (
            previous is ProfilerAction.RECORD_AND_SAVE or action not in _RECORDING
        ):
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if action in _RECORDING and not self._recorder.recording:
            self._start_recording()
        self._open_step_range()

    def _open_step_range(self) -> None:
        if self.schedule is not None and self._recorder.recording:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}")
            self._step_range.__enter__()

    def _close_step_range(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None
