"""Learning-rate schedules against the closed forms of PyTorch's documentation written out
here, stepping as a training loop does (``optimizer.step()`` then ``scheduler.step()``);
state_dict round trips and PyTorch's errors."""

from __future__ import annotations

import math
import warnings

import pytest

import plugtorch as pt
from plugtorch import optim
from plugtorch.optim import lr_scheduler as S

BASE = 0.4


def make_optimizer(kind=optim.SGD, groups=1, **kwargs):
    params = [{"params": [pt.zeros(1, requires_grad=True)], "lr": BASE * (i + 1)} for i in
              range(groups)]  # fmt: skip
    return kind(params, lr=BASE, **kwargs)


def trace(optimizer, scheduler, epochs, metric=None):
    """The first group's lr at epochs 0..epochs-1 (as seen by optimizer.step)."""
    seen = []
    for epoch in range(epochs):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric(epoch))
        assert scheduler.get_last_lr()[0] == optimizer.param_groups[0]["lr"]
    return seen


def approx(values):
    return pytest.approx(values, rel=1e-12, abs=1e-15)


def test_lambda_lr_per_group_functions():
    opt = make_optimizer(groups=2)
    sched = S.LambdaLR(opt, [lambda e: 0.9**e, lambda e: 1.0 / (e + 1)])
    trace(opt, sched, 5)
    assert sched.get_last_lr() == approx([BASE * 0.9**5, 2 * BASE / 6])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        S.LambdaLR(opt, [lambda e: 1.0])


def test_multiplicative_lr():
    opt = make_optimizer()
    sched = S.MultiplicativeLR(opt, lambda e: 0.5 if e % 2 else 1.0)
    expected = [BASE * 0.5 ** ((e + 1) // 2) for e in range(6)]
    assert trace(opt, sched, 6) == approx(expected)


def test_step_and_multistep_lr():
    opt = make_optimizer()
    sched = S.StepLR(opt, step_size=3, gamma=0.1)
    assert trace(opt, sched, 8) == approx([BASE * 0.1 ** (e // 3) for e in range(8)])
    opt = make_optimizer()
    sched = S.MultiStepLR(opt, milestones=[2, 5, 5], gamma=0.5)  # 5 twice: two decays at 5
    expected = [BASE * 0.5 ** (int(e >= 2) + 2 * int(e >= 5)) for e in range(8)]
    assert trace(opt, sched, 8) == approx(expected)


def test_exponential_and_polynomial_lr():
    opt = make_optimizer()
    sched = S.ExponentialLR(opt, gamma=0.8)
    assert trace(opt, sched, 6) == approx([BASE * 0.8**e for e in range(6)])
    opt = make_optimizer()
    sched = S.PolynomialLR(opt, total_iters=4, power=2.0)
    expected = [BASE * (1 - min(e, 4) / 4) ** 2 for e in range(7)]
    assert trace(opt, sched, 7) == approx(expected)


def test_linear_and_constant_lr():
    opt = make_optimizer()
    sched = S.LinearLR(opt, start_factor=0.1, end_factor=0.9, total_iters=4)
    expected = [BASE * (0.1 + 0.8 * min(e, 4) / 4) for e in range(7)]
    assert trace(opt, sched, 7) == approx(expected)
    opt = make_optimizer()
    sched = S.ConstantLR(opt, factor=0.25, total_iters=3)
    assert trace(opt, sched, 6) == approx([BASE * (0.25 if e < 3 else 1.0) for e in range(6)])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        S.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="Ending multiplicative factor"):
        S.LinearLR(opt, end_factor=1.5)
    with pytest.raises(ValueError, match="Constant multiplicative factor"):
        S.ConstantLR(opt, factor=2.0)


def cosine(epoch, period, low=0.0, base=BASE):
    return low + (base - low) * (1 + math.cos(math.pi * epoch / period)) / 2


def test_cosine_annealing_lr_follows_the_closed_form_past_t_max():
    opt = make_optimizer()
    sched = S.CosineAnnealingLR(opt, T_max=5, eta_min=0.01)
    expected = [cosine(e, 5, 0.01) for e in range(16)]
    assert trace(opt, sched, 16) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_cosine_annealing_warm_restarts():
    opt = make_optimizer()
    sched = S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    # periods of 2, 4, 8 epochs: T_cur runs 0,1 | 0..3 | 0..7
    expected = [cosine(c, p) for p, c in [(2, 0), (2, 1)] + [(4, c) for c in range(4)] +
                [(8, c) for c in range(3)]]  # fmt: skip
    assert trace(opt, sched, 9) == approx(expected)
    # A fractional epoch (per-batch stepping) goes straight to the cosine at that point.
    sched.step(2.5)
    assert sched.get_last_lr()[0] == pytest.approx(cosine(0.5, 4))
    with pytest.raises(ValueError, match="Expected positive integer T_0"):
        S.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="Expected integer T_mult >= 1"):
        S.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0)


def test_warmup_then_cosine_with_sequential_lr():
    warm, total, low = 3, 7, 0.001
    opt = make_optimizer(optim.AdamW)
    warmup = S.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=warm)
    decay = S.CosineAnnealingLR(opt, T_max=total - warm, eta_min=low)
    sched = S.SequentialLR(opt, [warmup, decay], milestones=[warm])
    expected = [
        BASE * (0.1 + 0.9 * e / warm) if e < warm else cosine(e - warm, total - warm, low)
        for e in range(total + 1)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning at the milestone
        assert trace(opt, sched, total + 1) == pytest.approx(expected, rel=1e-9)


def test_sequential_lr_errors():
    opt = make_optimizer()
    other = make_optimizer()
    a = S.ConstantLR(opt)
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        S.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="one more than the number of milestone points"):
        S.SequentialLR(opt, [a, S.ExponentialLR(opt, 0.9)], milestones=[1, 2])
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        S.SequentialLR(opt, [a, S.ExponentialLR(other, 0.9)], milestones=[1])
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        S.SequentialLR(opt, [a, S.ReduceLROnPlateau(opt)], milestones=[1])


def test_chained_scheduler_multiplies_factors():
    opt = make_optimizer()
    sched = S.ChainedScheduler([S.ConstantLR(opt, factor=0.5, total_iters=2),
                                S.ExponentialLR(opt, gamma=0.9)])  # fmt: skip
    expected = [BASE * (0.5 if e < 2 else 1.0) * 0.9**e for e in range(5)]
    assert trace(opt, sched, 5) == approx(expected)


def one_cycle(step, total, max_lr, pct=0.3, div=25.0, final_div=1e4, anneal="cos"):
    initial, top = max_lr / div, max_lr
    low = initial / final_div
    end_warm = pct * total - 1

    def mix(start, end, fraction):
        if anneal == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * fraction) + 1)
        return start + (end - start) * fraction

    if step <= end_warm:
        return mix(initial, top, step / end_warm)
    return mix(top, low, (step - end_warm) / (total - 1 - end_warm))


@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_lr_and_momentum(anneal):
    opt = make_optimizer(momentum=0.9)
    sched = S.OneCycleLR(opt, max_lr=1.0, total_steps=20, anneal_strategy=anneal)
    assert trace(opt, sched, 19) == pytest.approx(
        [one_cycle(s, 20, 1.0, anneal=anneal) for s in range(19)], rel=1e-12
    )
    # Step 19 (the last) lands on min_lr; momentum went the opposite way, back to its max.
    assert sched.get_last_lr()[0] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    sched.step()  # PyTorch allows step number total_steps itself, and refuses the next one
    with pytest.raises(ValueError, match="Tried to step 21 times"):
        sched.step()


def test_one_cycle_cycles_adam_beta1_and_validates():
    opt = make_optimizer(optim.Adam)
    sched = S.OneCycleLR(opt, max_lr=[0.5], epochs=2, steps_per_epoch=5, three_phase=True)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["betas"][0] < 0.95 and opt.param_groups[0]["betas"][1] == 0.999
    with pytest.raises(ValueError, match="either total_steps OR"):
        S.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=1)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        S.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=10)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        S.OneCycleLR(optim.Adagrad([pt.zeros(1, requires_grad=True)]), 0.1, total_steps=3)


def test_reduce_lr_on_plateau():
    opt = make_optimizer(groups=2)
    sched = S.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=2, cooldown=1,
                                min_lr=[0.05, 0.0])  # fmt: skip
    losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]
    for loss in losses:
        opt.step()
        sched.step(pt.tensor(loss))
    # bad epochs after the 0.9: 3 -> reduce (epoch 5); cooldown 1 ignores epoch 6; three more
    # bad ones (7, 8, 9) -> reduce at epoch 9; first group stops at its min_lr.
    assert sched.get_last_lr() == approx([max(BASE * 0.25, 0.05), 2 * BASE * 0.25])
    maximise = S.ReduceLROnPlateau(make_optimizer(), mode="max", threshold=0.1,
                                   threshold_mode="abs", patience=0)  # fmt: skip
    maximise.step(1.0)
    maximise.step(1.05)  # not better by more than 0.1: reduce at once (patience 0)
    assert maximise.get_last_lr() == approx([BASE * 0.1])
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        S.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        S.ReduceLROnPlateau(opt, min_lr=[0.1])


@pytest.mark.parametrize(
    "build",
    [
        lambda o: S.StepLR(o, step_size=2),
        lambda o: S.CosineAnnealingLR(o, T_max=6),
        lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=12),
        lambda o: S.SequentialLR(o, [S.LinearLR(o, total_iters=2), S.ExponentialLR(o, 0.8)], [2]),
        lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3),
    ],
)
def test_state_dict_round_trip_resumes_the_schedule(build):
    opt = make_optimizer(momentum=0.9)
    sched = build(opt)
    straight = trace(opt, sched, 10)
    opt = make_optimizer(momentum=0.9)
    sched = build(opt)
    first = trace(opt, sched, 4)
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved
    opt2 = make_optimizer(momentum=0.9)
    sched2 = build(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    assert first + trace(opt2, sched2, 6) == pytest.approx(straight, rel=1e-12)


def test_step_with_epoch_warns_and_uses_the_closed_form():
    opt = make_optimizer()
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(5)
    assert sched.get_last_lr() == approx([BASE * 0.25])
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_resuming_needs_initial_lr():
    opt = make_optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        S.StepLR("sgd", step_size=2)
