"""``DistributedDataParallel``: data-parallel training, one model replica per process.

Every rank runs the same model on its own part of each batch. At construction rank 0's
parameters and buffers are broadcast, so all replicas start equal; during ``backward()`` the
gradients are averaged over the ranks in buckets whose all-reduce starts as soon as the bucket's
gradients are ready (see ``_reducer.py``), so communication overlaps the rest of backward. After
``backward()`` every rank holds the same averaged gradients and the optimizer steps keep the
replicas equal: training on R ranks with batch ``b`` each follows training on one process with
the concatenated batch of ``R * b`` samples (for a loss that is a mean over the batch).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from plugtorch.autograd.grad_mode import no_grad
from plugtorch.distributed._collectives import broadcast
from plugtorch.distributed._init import default_group
from plugtorch.distributed._p2p import all_gather_object
from plugtorch.nn.module import Module
from plugtorch.nn.parallel._reducer import Reducer

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Arguments follow ``torch.nn.parallel.DistributedDataParallel``: ``bucket_cap_mb`` (25)
    caps a gradient bucket; ``find_unused_parameters`` lets a forward pass leave parameters out
    of the loss; ``broadcast_buffers`` (True) copies rank 0's buffers (BatchNorm's running
    statistics) to every rank at each forward; ``process_group`` defaults to the default group.
    ``device_ids``, ``output_device`` and ``dim`` are accepted for source compatibility (one
    device per process). The wrapped model is ``ddp.module``; ``state_dict()`` keys start with
    ``module.``, as in PyTorch.

    >>> import plugtorch as pt, plugtorch.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> model = pt.nn.parallel.DistributedDataParallel(pt.nn.Linear(3, 1))
    >>> model(pt.ones(4, 3)).sum().backward()
    >>> model.module.weight.grad
    tensor([[4., 4., 4.]])
    >>> list(model.state_dict())
    ['module.weight', 'module.bias']
    >>> dist.destroy_process_group()
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module must be a plugtorch.nn.Module, got {type(module).__name__}")
        self.module = module
        group = default_group(process_group)
        object.__setattr__(self, "process_group", group)
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "require_backward_grad_sync", True)
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter "
                "that requires a gradient."
            )
        self._verify_same_parameters(group, module)
        self._sync_module_states(group, module)
        reducer = Reducer(
            [p for _, p in named],
            [n for n, _ in named],
            group,
            25.0 if bucket_cap_mb is None else float(bucket_cap_mb),
            bool(find_unused_parameters),
        )
        object.__setattr__(self, "reducer", reducer)

    @staticmethod
    def _verify_same_parameters(group: Any, module: Module) -> None:
        """Every rank must wrap a model with the same parameters (names, shapes, dtypes)."""
        mine = [(n, tuple(p.shape), p.dtype.name) for n, p in module.named_parameters()]
        everyone: list[Any] = [None] * group.size
        all_gather_object(everyone, mine, group=group)
        for rank, theirs in enumerate(everyone):
            if theirs != everyone[0]:
                diff = next(
                    (f"{a} vs {b}" for a, b in zip(everyone[0], theirs) if a != b),
                    f"{len(everyone[0])} vs {len(theirs)} parameters",
                )
                raise RuntimeError(
                    "DistributedDataParallel: the model's parameters differ between rank 0 and "
                    f"rank {rank} ({diff}); every rank must build the same model"
                )

    @staticmethod
    def _sync_module_states(group: Any, module: Module) -> None:
        with no_grad():
            for tensor in [*module.parameters(), *module.buffers()]:
                broadcast(tensor, src=0, group=group)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers and self.require_backward_grad_sync:
            with no_grad():
                for buffer in self.module.buffers():
                    broadcast(buffer, src=0, group=self.process_group)
        self.reducer.enabled = self.require_backward_grad_sync
        outputs = self.module(*inputs, **kwargs)
        self.reducer.prepare(outputs)
        return outputs

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Skip gradient averaging inside the block: gradients accumulate locally, and the first
        backward after it averages the accumulated sum (gradient accumulation)."""
        previous = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", previous)
