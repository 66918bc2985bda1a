"""Bucketed gradient averaging for DistributedDataParallel, started from autograd hooks.

Parameters are put into buckets of at most ``bucket_cap_mb`` (the first one 1 MiB, so that
communication starts early), in reverse registration order, which is roughly the order backward
produces their gradients. Each parameter has a post-accumulate-grad hook; when the last gradient
of a bucket has been accumulated, the bucket's gradients are copied into one flat buffer and a
non-blocking all-reduce of it starts, while backward goes on computing earlier layers. Buckets
start strictly in index order on every rank (a ready bucket waits for the ones before it), so
all ranks issue the same collectives in the same order. When the last bucket has started, the
reducer waits for all of them and writes each averaged gradient back into ``param.grad``.

With ``find_unused_parameters`` the forward pass marks the parameters its outputs do not depend
on as ready at once (they contribute zeros); a small all-reduce of the "used" flags tells which
ones no rank used, and their ``.grad`` is left untouched, as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from plugtorch.distributed._types import ReduceOp
from plugtorch.tensor import Tensor

if TYPE_CHECKING:
    from plugtorch.autograd.hooks import RemovableHandle
    from plugtorch.distributed._group import ProcessGroup
    from plugtorch.distributed._work import Work
    from plugtorch.nn.parameter import Parameter

__all__ = ["Reducer", "assign_buckets"]

FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's _DEFAULT_FIRST_BUCKET_BYTES


def assign_buckets(params: list[Parameter], cap_bytes: int) -> list[list[int]]:
    """Indices into ``params``, grouped in buckets: reverse order, one dtype, capped in bytes."""
    buckets: list[list[int]] = []
    current: list[int] = []
    size = 0
    limit = min(FIRST_BUCKET_BYTES, cap_bytes)
    for index in reversed(range(len(params))):
        param = params[index]
        nbytes = param.numel() * param.dtype.bits // 8
        if current and (size + nbytes > limit or params[current[0]].dtype is not param.dtype):
            buckets.append(current)
            current, size, limit = [], 0, cap_bytes
        current.append(index)
        size += nbytes
    if current:
        buckets.append(current)
    return buckets


class Reducer:
    """Averages gradients of ``params`` over ``group`` in ``buckets`` during backward."""

    def __init__(
        self,
        params: list[Parameter],
        names: list[str],
        group: ProcessGroup,
        bucket_cap_mb: float,
        find_unused_parameters: bool,
    ) -> None:
        self.params = params
        self.names = names
        self.group = group
        self.find_unused = find_unused_parameters
        self.buckets = assign_buckets(params, int(bucket_cap_mb * 1024 * 1024))
        self.bucket_of = {index: b for b, bucket in enumerate(self.buckets) for index in bucket}
        self.enabled = True  # False inside no_sync()
        self._handles: list[RemovableHandle] = [
            param.register_post_accumulate_grad_hook(self._make_hook(index))
            for index, param in enumerate(params)
        ]
        self._reset()

    def _make_hook(self, index: int) -> Any:
        def hook(param: Parameter) -> None:
            self.mark_ready(index)

        return hook

    def _reset(self) -> None:
        self.ready: list[set[int]] = [set() for _ in self.buckets]
        self.next_bucket = 0
        self.works: list[tuple[Work, int, Any]] = []
        self.used = np.ones(len(self.params), dtype=np.int32)
        self.in_backward = False

    # --- per iteration -----------------------------------------------------------------------
    def prepare(self, outputs: Any) -> None:
        """Called by forward: arm the buckets for the next backward."""
        self.check_finished()
        self._reset()
        if not self.enabled:
            return
        self.in_backward = True
        if self.find_unused:
            reachable = _reachable_leaves(outputs)
            for index, param in enumerate(self.params):
                if id(param) not in reachable:
                    self.used[index] = 0
                    self.mark_ready(index)

    def check_finished(self) -> None:
        """Raise PyTorch's error when the previous backward left buckets unreduced."""
        if not self.in_backward or not any(self.ready):
            return
        missing = [
            self.names[index]
            for b, bucket in enumerate(self.buckets)
            for index in bucket
            if index not in self.ready[b]
        ]
        self.in_backward = False
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new "
            "one. This error indicates that your module has parameters that were not used in "
            "producing loss. Pass find_unused_parameters=True to DistributedDataParallel, or "
            "make sure every forward output takes part in the loss. Parameters that received "
            f"no gradient on rank {self.group.rank}: {', '.join(missing)}"
        )

    def mark_ready(self, index: int) -> None:
        if not self.enabled or not self.in_backward:
            return
        bucket = self.bucket_of[index]
        self.ready[bucket].add(index)
        for work, _, _ in self.works:  # let MPI move the buckets already in flight
            work.is_completed()
        while self.next_bucket < len(self.buckets) and len(self.ready[self.next_bucket]) == len(
            self.buckets[self.next_bucket]
        ):
            self._launch(self.next_bucket)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _launch(self, bucket: int) -> None:
        group = self.group
        pieces = []
        for index in self.buckets[bucket]:
            param = self.params[index]
            if param.grad is None:  # unused here: contributes zeros
                zeros = group.empty((param.numel(),), group.buffer(param))
                zeros[...] = 0
                pieces.append(zeros)
            else:
                pieces.append(group.buffer(param.grad).reshape(-1))
        flat = group.flatten(pieces)
        recv = group.empty(flat.shape, flat)
        work = group.all_reduce(group.begin("all_reduce"), flat, recv, ReduceOp.SUM)
        self.works.append((work, bucket, recv))

    def _finalize(self) -> None:
        group = self.group
        globally_used = None
        if self.find_unused:
            used = self.used.copy()
            flags = group.empty(used.shape, used)
            group.all_reduce(group.begin("all_reduce"), used, flags, ReduceOp.SUM).wait()
            globally_used = flags
        for work, bucket, recv in self.works:
            work.wait()
            recv /= group.size  # gradients are floating point; the buffer is ours
            averaged = recv
            offset = 0
            for index in self.buckets[bucket]:
                param = self.params[index]
                count = param.numel()
                if globally_used is None or globally_used[index] > 0:
                    _store_grad(param, group, averaged[offset : offset + count])
                offset += count
        self.works = []
        self.in_backward = False

    def remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()


def _store_grad(param: Parameter, group: ProcessGroup, values: Any) -> None:
    backend, dtype = param._backend, param._dtype
    made = Tensor._make(backend.asarray(values, dtype), backend, dtype).reshape(param.shape)
    if param.grad is None:
        param.grad = made
    else:
        group.write(param.grad, values)


def _reachable_leaves(outputs: Any) -> set[int]:
    """ids of the leaf tensors the autograd graph of ``outputs`` reaches."""
    stack: list[Any] = [outputs]
    tensors: list[Tensor] = []
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            tensors.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    leaves: set[int] = set()
    seen: set[int] = set()
    nodes = []
    for tensor in tensors:
        if tensor._node is None:
            leaves.add(id(tensor))
        else:
            nodes.append(tensor._node)
    while nodes:
        node = nodes.pop()
        if id(node) in seen or node.inputs is None:
            continue
        seen.add(id(node))
        for tensor in node.inputs:
            if tensor._node is None:
                leaves.add(id(tensor))
            else:
                nodes.append(tensor._node)
    return leaves
