"""Schedules made of schedules: ``SequentialLR`` (one after another, switching at
milestones; the usual warm-up then cosine) and ``ChainedScheduler`` (all at once, their factors
multiplying)."""

from __future__ import annotations

import warnings
from bisect import bisect_right
from typing import Any, Sequence

from plugtorch.optim.lr_scheduler.base import LRScheduler, check_optimizer
from plugtorch.optim.lr_scheduler.plateau import ReduceLROnPlateau
from plugtorch.optim.optimizer import Optimizer

__all__ = ["SequentialLR", "ChainedScheduler"]


def _check_members(owner: str, schedulers: Sequence[Any], optimizer: Optimizer) -> None:
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{owner} at index {index} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{index} in the given schedulers sequence."
            )
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(scheduler).__name__} at index {index} has "
                f"{scheduler.optimizer}, which is different from {type(optimizer).__name__}."
            )


def _save_members(owner: LRScheduler, schedulers: Sequence[Any]) -> dict[str, Any]:
    state = {k: v for k, v in owner.__dict__.items() if k not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [scheduler.state_dict() for scheduler in schedulers]
    return state


def _load_members(owner: LRScheduler, state_dict: dict[str, Any]) -> None:
    state = dict(state_dict)
    saved = state.pop("_schedulers")
    owner.__dict__.update(state)
    for scheduler, values in zip(owner._schedulers, saved):  # type: ignore[attr-defined]
        scheduler.load_state_dict(values)


class SequentialLR(LRScheduler):
    """Run ``schedulers[0]`` until ``milestones[0]`` steps, then ``schedulers[1]`` (restarted
    at its epoch 0, i.e. from each group's ``initial_lr``) until ``milestones[1]``, and so on.

    Warm-up then cosine decay, the common recipe:

    >>> import plugtorch as pt
    >>> from plugtorch.optim.lr_scheduler import CosineAnnealingLR, LinearLR
    >>> opt = pt.optim.SGD([pt.zeros(1, requires_grad=True)], lr=1.0)
    >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> cosine = CosineAnnealingLR(opt, T_max=2)
    >>> sched = SequentialLR(opt, [warmup, cosine], milestones=[2])
    >>> [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(4)]
    [0.5, 0.75, 1.0, 0.5, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        owner = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(f"{owner} expects at least one scheduler, but got no scheduler.")
        _check_members(owner, schedulers, check_optimizer(optimizer))
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Each member already stepped once when it was built: go back to the initial rates
        # and undo those steps, then start only the first member.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        self._undo_initial_steps(self._schedulers)
        self._schedulers[0]._initial_step()
        self._last_lr = self._schedulers[0].get_last_lr()

    def _undo_initial_steps(self, schedulers: Sequence[Any]) -> None:
        for scheduler in schedulers:
            if isinstance(scheduler, SequentialLR):
                self._undo_initial_steps(scheduler._schedulers)
            elif hasattr(scheduler, "last_epoch"):
                scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch; at a milestone, restart the next schedule at its epoch 0."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            with warnings.catch_warnings():
                # step(0) restarts the schedule through its closed form; PyTorch's deprecation
                # warning for step(epoch) says nothing useful here.
                warnings.simplefilter("ignore", UserWarning)
                scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        """This schedule's attributes, with each member's ``state_dict`` under
        ``"_schedulers"``."""
        return _save_members(self, self._schedulers)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_members(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Step every scheduler in ``schedulers`` at each ``step()``; their chainable rules
    compose (e.g. a constant warm-up factor times an exponential decay).

    >>> import plugtorch as pt
    >>> from plugtorch.optim.lr_scheduler import ConstantLR, ExponentialLR
    >>> opt = pt.optim.SGD([pt.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2),
    ...                           ExponentialLR(opt, gamma=0.5)])
    >>> [sched.get_last_lr()[0]] + [(sched.step(), sched.get_last_lr()[0])[1] for _ in range(3)]
    [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        owner = type(self).__name__
        if len(schedulers) < 1:
            raise ValueError(
                f"{owner} expects at least one scheduler to be chained, but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        _check_members(owner, schedulers, optimizer)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return _save_members(self, self._schedulers)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        _load_members(self, state_dict)
