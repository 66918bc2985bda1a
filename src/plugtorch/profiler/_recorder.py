"""The live recording: what is hooked while a profile records, and unhooked after.

Nothing here runs when no profile is recording. While one records:

* ``plugtorch.ops.registry.PROFILE_HOOKS`` holds :meth:`Recorder.op_hook`: ``apply`` (the one
  place every op runs) hands it each op, and it times the op around a second ``apply`` call
  (which the hook lets through) as ``plugtorch::<op>``.
* Each op's backward rule is wrapped, so backward shows as ``<Op>Backward0`` with the ops the
  rule runs inside it.
* Each backend that ops run on gets its primitives wrapped for the duration (instance
  attributes that shadow the class's methods, deleted again at the end), so every primitive
  call, from an op or from anywhere else, is timed as ``<backend>::<primitive>``, with the
  bytes of the fresh arrays it returns.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from itertools import count
from typing import Any, Callable

import numpy as np

from plugtorch.backend.protocol import (
    MUTABLE_PRIMITIVES,
    OPTIONAL_PRIMITIVES,
    REQUIRED_PRIMITIVES,
)
from plugtorch.backend.registry import get_backend
from plugtorch.nn import functional as _declares_nn_ops  # noqa: F401 (before REGISTRY is walked)
from plugtorch.ops.registry import PROFILE_HOOKS, REGISTRY, Op, apply
from plugtorch.profiler._events import FunctionEvent

__all__ = ["Recorder", "active_recorder"]

# The primitives timed: every required and optional one, and a mutable backend's in-place
# writes (a linear layer's bias add, a slice's gradient added in place, SGD's update); not its
# stride and address queries, which do no work.
_WRITES = tuple(name for name in MUTABLE_PRIMITIVES if name.endswith("_inplace"))
PRIMITIVES: tuple[str, ...] = (*REQUIRED_PRIMITIVES, *OPTIONAL_PRIMITIVES, *_WRITES)
_MISSING = object()
_LOCK = threading.Lock()
_ACTIVE: list[Recorder] = []  # the recording profile, if any (one per process)


def active_recorder() -> Recorder | None:
    """The recorder of the profile that is recording now, or None."""
    return _ACTIVE[0] if _ACTIVE else None


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.stack: list[FunctionEvent] = []
        self.reentry = False  # set by op_hook just before it calls apply itself
        self.thread = threading.get_ident()


def _root(array: Any) -> Any:
    """The array that owns ``array``'s memory, as far as ``.base`` tells (numpy, CuPy)."""
    base = getattr(array, "base", None)
    while base is not None:
        array = base
        base = getattr(array, "base", None)
    return array


def _itemsize(dtype: Any) -> int:
    size = getattr(dtype, "itemsize", None)
    if size is not None:
        return int(size)
    try:  # array-API dtypes without itemsize (array_api_strict.float32): numpy's by name
        return np.dtype(str(dtype).rsplit(".", 1)[-1]).itemsize
    except TypeError:
        return 0


def fresh_bytes(result: Any, args: tuple[Any, ...]) -> int:
    """Bytes of the arrays in ``result`` that are new memory, not views of an argument."""
    if isinstance(result, (tuple, list)):
        return sum(fresh_bytes(item, args) for item in result)
    shape = getattr(result, "shape", None)
    if shape is None:
        return 0
    root = _root(result)
    if any(_root(arg) is root for arg in args if hasattr(arg, "shape")):
        return 0
    nbytes = getattr(result, "nbytes", None)
    return int(nbytes) if nbytes is not None else math.prod(shape) * _itemsize(result.dtype)


def _matmul_flops(args: tuple[Any, ...], result: Any) -> int:
    x = args[0]
    return 2 * math.prod(result.shape) * x.shape[-1]


def _conv_flops(args: tuple[Any, ...], result: Any) -> int:
    weight = args[1]
    y = result[0] if isinstance(result, tuple) else result  # (y, state) or y
    return 2 * math.prod(y.shape) * math.prod(weight.shape[1:])


def _conv_backward_flops(args: tuple[Any, ...], result: Any) -> int:
    grad_y, weight = args[0], args[2]
    return 4 * math.prod(grad_y.shape) * math.prod(weight.shape[1:])  # grad_x and grad_w


def _lstm_flops(args: tuple[Any, ...], result: Any) -> int:
    x_proj, w_hh = args[0], args[3]  # one (N, H) @ (H, 4H) per step
    return 2 * math.prod(x_proj.shape) * w_hh.shape[1]


def _lstm_backward_flops(args: tuple[Any, ...], result: Any) -> int:
    return 2 * _lstm_flops(args[1:], result)  # grad_h per step, and grad_w_hh


# Floating-point operation counts (a multiply-add is 2) for with_flops=True: the GEMMs inside
# a primitive (attention's run through the backend's own matmul and are counted there).
FLOP_COUNTS: dict[str, Callable[[tuple[Any, ...], Any], int]] = {
    "matmul": _matmul_flops,
    "conv2d": _conv_flops,
    "conv2d_backward": _conv_backward_flops,
    "lstm_layer": _lstm_flops,
    "lstm_layer_backward": _lstm_backward_flops,
}


def _shapes(args: tuple[Any, ...]) -> list[list[int]]:
    return [list(getattr(arg, "shape", ())) for arg in args]


class Recorder:
    """One recording: its events and the hooks it installed (see the module docstring)."""

    def __init__(self, *, record_shapes: bool, profile_memory: bool, with_flops: bool) -> None:
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_flops = with_flops
        self.events: list[FunctionEvent] = []
        self.recording = False
        self.base_wall_ns = 0
        self.base_perf_ns = 0
        self._ids = count()
        self._local = _ThreadState()
        self._rules: dict[Op, Any] = {}
        self._backends: dict[int, tuple[Any, dict[str, Any]]] = {}

    # --- events ----------------------------------------------------------------------------
    def begin(self, name: str, category: str, shapes: list[list[int]] | None) -> FunctionEvent:
        """Open an event on this thread's stack, inside the innermost open one."""
        state = self._local
        stack = state.stack
        parent = stack[-1] if stack else None
        event = FunctionEvent(next(self._ids), name, category, state.thread, 0, parent, shapes)
        if not self.recording:  # a wrapper someone kept past the end: time nothing
            return event
        if parent is not None:
            parent.cpu_children.append(event)
        self.events.append(event)
        stack.append(event)
        event.start_ns = time.perf_counter_ns()
        return event

    def end(self, event: FunctionEvent) -> None:
        """Close ``event`` (ignored once the recording has stopped: it was closed then)."""
        now = time.perf_counter_ns()
        if not self.recording:
            return
        event.end_ns = now
        stack = self._local.stack
        if stack and stack[-1] is event:
            stack.pop()
        elif event in stack:  # ranges closed out of order (record_function objects)
            stack.remove(event)

    # --- hooks ---------------------------------------------------------------------------
    def op_hook(self, op: Op, inputs: tuple[Any, ...], dtype: Any, params: dict[str, Any]) -> Any:
        """Called by ``apply`` for every op: time it around a second ``apply`` call."""
        state = self._local
        if state.reentry:  # that second call: let the op run
            state.reentry = False
            return None
        if op not in self._rules:
            self._wrap_rule(op)
        backend = inputs[0]._backend
        if id(backend) not in self._backends:
            self._wrap_backend(backend)
        shapes = [list(t.shape) for t in inputs] if self.record_shapes else None
        event = self.begin("plugtorch::" + op.name, "cpu_op", shapes)
        state.reentry = True
        try:
            return apply(op, inputs, dtype, **params)
        finally:
            state.reentry = False
            self.end(event)

    def _wrap_rule(self, op: Op) -> None:
        rule, accumulate = op.backward, op.accumulate
        begin, end = self.begin, self.end

        def backward(ctx: Any, grad: Any, *into: Any) -> Any:
            event = begin(repr(ctx).strip("<>"), "backward", None)  # MulBackward0
            try:
                if into and accumulate is not None:
                    return accumulate(ctx, grad, *into)
                return rule(ctx, grad)
            finally:
                end(event)

        self._rules[op] = (rule, accumulate)
        op.backward = backward
        if accumulate is not None:  # the backward rule's in-place form times as the rule
            op.accumulate = backward

    def _wrap_backend(self, backend: Any) -> None:
        saved: dict[str, Any] = {}
        self._backends[id(backend)] = (backend, saved)
        attributes = getattr(backend, "__dict__", None)
        if not isinstance(attributes, dict):
            warnings.warn(
                f"backend {getattr(backend, 'name', backend)!r} keeps no instance attributes, "
                "so its primitives cannot be timed; the profile shows its ops only",
                stacklevel=3,
            )
            return
        label = str(getattr(backend, "name", type(backend).__name__))
        for name in PRIMITIVES:
            function = getattr(backend, name, None)
            if callable(function):
                saved[name] = attributes.get(name, _MISSING)
                # Instrumentation for this recording only: restored by _unwrap_backends.
                attributes[name] = self._timed_primitive(f"{label}::{name}", name, function)

    def _timed_primitive(self, label: str, name: str, function: Callable[..., Any]) -> Any:
        begin, end = self.begin, self.end
        record_shapes, profile_memory = self.record_shapes, self.profile_memory
        flop_count = FLOP_COUNTS.get(name) if self.with_flops else None

        def primitive(*args: Any, **kwargs: Any) -> Any:
            event = begin(label, "primitive", _shapes(args) if record_shapes else None)
            try:
                result = function(*args, **kwargs)
            finally:
                end(event)
            if profile_memory:
                event.self_bytes = fresh_bytes(result, args)
            if flop_count is not None:
                event.flops = flop_count(args, result)
            return result

        primitive.__wrapped__ = function  # type: ignore[attr-defined]
        return primitive

    def _unwrap(self) -> None:
        for op, (rule, accumulate) in self._rules.items():
            op.backward, op.accumulate = rule, accumulate
        self._rules.clear()
        for backend, saved in self._backends.values():
            attributes = backend.__dict__
            for name, previous in saved.items():
                if previous is _MISSING:
                    del attributes[name]
                else:
                    attributes[name] = previous
        self._backends.clear()

    # --- start and stop --------------------------------------------------------------------
    def start(self) -> None:
        """Install the hooks and start recording (one recording per process at a time)."""
        with _LOCK:
            if _ACTIVE:
                raise RuntimeError(
                    "a plugtorch profiler is already recording in this process; profiles do "
                    "not nest: mark the inner part with profiler.record_function('name')"
                )
            _ACTIVE.append(self)
        self.events = []
        self._ids = count()
        self.base_wall_ns = time.time_ns()
        self.base_perf_ns = time.perf_counter_ns()
        for op in list(REGISTRY.values()):
            self._wrap_rule(op)
        try:
            self._wrap_backend(get_backend())  # the one new tensors use; others on first op
        except Exception:  # noqa: BLE001 (an unloadable default backend is its ops' problem)
            pass
        self.recording = True
        PROFILE_HOOKS.append(self.op_hook)

    def stop(self) -> None:
        """Remove the hooks; close ranges still open at this moment."""
        if not self.recording:
            return
        now = time.perf_counter_ns()
        PROFILE_HOOKS.remove(self.op_hook)
        self.recording = False
        self._unwrap()
        for event in self.events:
            if event.end_ns == 0:
                event.end_ns = now
        self._local = _ThreadState()
        with _LOCK:
            _ACTIVE.remove(self)
