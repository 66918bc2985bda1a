"""``plugtorch.amp.GradScaler`` against PyTorch's documented behaviour, on every backend.

PyTorch's contract, written out here: ``scale`` multiplies by the scale factor; ``unscale_``
divides the gradients in place (by the float32 reciprocal of the scale) and records whether
any is inf or nan; ``step`` unscales unless ``unscale_`` was called and skips
``optimizer.step()`` when a gradient was not finite; ``update`` multiplies the scale by
``backoff_factor`` after a skipped step and by ``growth_factor`` after ``growth_interval``
clean steps in a row; a disabled scaler is a no-op everywhere.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import plugtorch as pt


def _setup(backend: str, value: float = 1.0) -> tuple[Any, Any]:
    w = pt.nn.Parameter(pt.tensor([value, 2.0], backend=backend))
    return w, pt.optim.SGD([w], lr=0.5)


def _backward(scaler: Any, w: Any, factor: float = 1.0) -> None:
    scaler.scale((w * factor).sum()).backward()


def test_disabled_is_a_no_op(backend_name: str) -> None:
    w, opt = _setup(backend_name)
    scaler = pt.amp.GradScaler("cpu", enabled=False)
    loss = (w * 3).sum()
    assert scaler.scale(loss) is loss and scaler.is_enabled() is False
    loss.backward()
    scaler.unscale_(opt)
    assert w.grad.tolist() == [3.0, 3.0]
    assert scaler.step(opt) is None
    scaler.update()
    assert w.tolist() == [-0.5, 0.5]
    assert scaler.get_scale() == 1.0 and scaler.state_dict() == {}
    scaler.load_state_dict({})  # ignored when disabled
    assert scaler.scale([loss]) == [loss]


def test_step_unscales_and_updates(backend_name: str) -> None:
    w, opt = _setup(backend_name)
    scaler = pt.amp.GradScaler("cpu", init_scale=1024.0, growth_interval=3)
    assert scaler.get_scale() == 1024.0 and scaler.is_enabled()
    _backward(scaler, w, 3.0)
    assert w.grad.tolist() == [3072.0, 3072.0]  # scaled
    scaler.step(opt)
    assert w.grad.tolist() == [3.0, 3.0]  # unscaled in place before the step
    assert w.tolist() == [-0.5, 0.5]
    scaler.update()
    assert scaler.get_scale() == 1024.0 and scaler._get_growth_tracker() == 1
    for _ in range(2):
        opt.zero_grad()
        _backward(scaler, w)
        scaler.step(opt)
        scaler.update()
    assert scaler.get_scale() == 2048.0 and scaler._get_growth_tracker() == 0  # grew


def test_inf_or_nan_skips_the_step_and_backs_off(backend_name: str) -> None:
    for bad in (float("inf"), float("nan")):
        w, opt = _setup(backend_name)
        scaler = pt.amp.GradScaler("cpu", init_scale=8.0, backoff_factor=0.25)
        scaler.scale((w * pt.tensor([bad, 1.0], backend=backend_name)).sum()).backward()
        before = w.tolist()
        assert scaler.step(opt) is None
        assert w.tolist() == before  # skipped
        scaler.update()
        assert scaler.get_scale() == 2.0 and scaler._get_growth_tracker() == 0


def test_unscale_before_clipping(backend_name: str) -> None:
    w, opt = _setup(backend_name)
    scaler = pt.amp.GradScaler("cpu", init_scale=4.0)
    _backward(scaler, w, 10.0)
    scaler.unscale_(opt)
    assert w.grad.tolist() == [10.0, 10.0]
    pt.nn.utils.clip_grad_norm_([w], 1.0)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)  # no second unscale
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step\\(\\)"):
        scaler.unscale_(opt)
    scaler.update()
    assert w.tolist() == pytest.approx([1.0 - 0.5 * 2**-0.5, 2.0 - 0.5 * 2**-0.5])


def test_errors() -> None:
    w, opt = _setup("numpy")
    scaler = pt.amp.GradScaler("cpu")
    with pytest.raises(RuntimeError, match="did not use scaler.scale"):
        scaler.step(opt)
    with pytest.raises(ValueError, match="Tensor or an iterable of Tensors"):
        scaler.scale(3.0)
    _backward(scaler, w)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: None)
    with pytest.raises(RuntimeError, match="No inf checks were recorded prior to update"):
        scaler.update()
    with pytest.raises(ValueError, match="growth factor must be > 1.0"):
        pt.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(ValueError, match="backoff factor must be < 1.0"):
        pt.amp.GradScaler("cpu", backoff_factor=1.0)
    half = pt.nn.Parameter(pt.ones(2, dtype=pt.float16))
    half_opt = pt.optim.SGD([half], lr=0.1)
    scaler.scale(half.sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.step(half_opt)
    empty = pt.optim.SGD([pt.nn.Parameter(pt.ones(1))], lr=0.1)
    with pytest.raises(RuntimeError, match="No inf checks were recorded for this optimizer"):
        scaler.step(empty)


def test_bfloat16_gradients_are_unscaled() -> None:
    w = pt.nn.Parameter(pt.ones(2, dtype=pt.bfloat16))
    opt = pt.optim.SGD([w], lr=1.0)
    scaler = pt.amp.GradScaler("cpu", init_scale=256.0)
    scaler.scale((w * 0.5).sum()).backward()
    assert w.grad.tolist() == [128.0, 128.0]
    scaler.step(opt)
    assert w.grad.tolist() == [0.5, 0.5] and w.tolist() == [0.5, 0.5]


def test_update_with_new_scale_and_state_dict(backend_name: str) -> None:
    w, opt = _setup(backend_name)
    scaler = pt.amp.GradScaler("cpu", init_scale=16.0, growth_factor=4.0, growth_interval=7)
    _backward(scaler, w)
    scaler.step(opt)
    scaler.update(3.0)
    assert scaler.get_scale() == 3.0
    scaler.update(pt.tensor([5.0], backend=backend_name))
    assert scaler.get_scale() == 5.0
    with pytest.raises(ValueError, match="1-element tensor with requires_grad=False"):
        scaler.update(pt.tensor([1.0, 2.0]))
    state = scaler.state_dict()
    assert state == {
        "scale": 5.0,
        "growth_factor": 4.0,
        "backoff_factor": 0.5,
        "growth_interval": 7,
        "_growth_tracker": 0,
    }
    fresh = pt.amp.GradScaler("cpu")
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state and fresh.get_growth_factor() == 4.0
    with pytest.raises(RuntimeError, match="source state dict is empty"):
        fresh.load_state_dict({})
    fresh.set_growth_factor(3.0)
    fresh.set_backoff_factor(0.125)
    fresh.set_growth_interval(9)
    assert (fresh.get_growth_factor(), fresh.get_backoff_factor()) == (3.0, 0.125)
    assert fresh.get_growth_interval() == 9


def test_scale_never_grows_past_float32() -> None:
    w, opt = _setup("numpy")
    scaler = pt.amp.GradScaler("cpu", init_scale=2.0**127, growth_interval=1)
    _backward(scaler, w, 0.0)
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 2.0**127  # 2**128 is inf in float32: PyTorch keeps the scale


def test_scale_iterables() -> None:
    scaler = pt.amp.GradScaler("cpu", init_scale=2.0)
    a, b = pt.ones(1), pt.ones(1) * 3
    assert [t.tolist() for t in scaler.scale([a, b])] == [[2.0], [6.0]]
    pair = scaler.scale((a, b))
    assert isinstance(pair, tuple) and pair[1].tolist() == [6.0]
    assert [t.tolist() for t in scaler.scale(iter([a]))] == [[2.0]]


def test_cuda_scaler_without_cuda_disables_itself() -> None:
    if pt.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.warns(UserWarning, match="CUDA is not available. +Disabling"):
        scaler = pt.amp.GradScaler()
    assert scaler.is_enabled() is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert pt.cuda.amp.GradScaler().is_enabled() is False


def test_mixed_precision_training_loop(backend_name: str) -> None:
    """PyTorch's recipe on CPU: bfloat16 autocast for the forward, GradScaler around the
    optimizer; the loss goes down as in float32."""
    if pt.bfloat16 not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} does not hold bfloat16")
    pt.manual_seed(0)
    model = pt.nn.Sequential(pt.nn.Linear(4, 8), pt.nn.ReLU(), pt.nn.Linear(8, 1))
    model = model.to(backend_name)
    opt = pt.optim.SGD(model.parameters(), lr=0.05)
    scaler = pt.amp.GradScaler("cpu", init_scale=128.0)
    x = pt.randn(32, 4, backend=backend_name)
    y = x.sum(1, keepdim=True)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        with pt.autocast("cpu", dtype=pt.bfloat16):
            loss = pt.nn.functional.mse_loss(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
