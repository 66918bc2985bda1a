"""PyTorch's aliasing and in-place semantics, as checks any backend can be run through.

Shared by the core's tests (on every installed backend) and the conformance suite (on the
backend under test), like the op database. Each check takes a backend name and raises
``AssertionError`` with a message naming what went wrong.

The model the checks compare with is numpy: numpy views share memory exactly as PyTorch's
views do, so a chain of views and in-place writes replayed on numpy arrays gives the values
PyTorch gives. The autograd expectations (which in-place writes break a later backward, which
are fine) are PyTorch's documented behaviour, written out case by case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

import plugtorch as pt

__all__ = [
    "ViewCase",
    "VIEW_CASES",
    "InplaceCase",
    "INPLACE_CASES",
    "VERSION_CASES",
    "GRAD_CASES",
    "check_view_case",
    "check_inplace_case",
    "check_training_idioms",
    "check_version_case",
    "check_grad_case",
    "run_chain",
    "CHAIN_VIEWS",
    "CHAIN_WRITES",
]


def _writable_view(array: np.ndarray, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=True)


def _np_diagonal(a: np.ndarray, offset: int = 0) -> np.ndarray:
    rows, cols = a.shape[-2:]
    length = max(min(rows, cols - offset), 0) if offset >= 0 else max(min(rows + offset, cols), 0)
    start = (0, offset) if offset >= 0 else (-offset, 0)
    base = a[(..., slice(start[0], None), slice(start[1], None))] if length else a
    return _writable_view(
        base, a.shape[:-2] + (length,), a.strides[:-2] + (a.strides[-2] + a.strides[-1],)
    )


@dataclass(frozen=True)
class ViewCase:
    """A view op: how to take it in plugtorch and the same view of a numpy array."""

    name: str
    shape: tuple[int, ...]
    make: Callable[[Any], Any]
    numpy: Callable[[np.ndarray], np.ndarray]
    writable: bool = True  # expand's views share elements: PyTorch refuses writes to them
    mutable_only: bool = False  # as_strided needs strided memory
    is_view: bool = True  # detach/.data alias memory without being views for autograd


VIEW_CASES: list[ViewCase] = [
    ViewCase("view", (2, 6), lambda t: t.view(3, 4), lambda a: a.reshape(3, 4)),
    ViewCase("view_minus_one", (2, 6), lambda t: t.view(-1), lambda a: a.reshape(-1)),
    ViewCase("view_as", (2, 6), lambda t: t.view_as(pt.zeros(4, 3)), lambda a: a.reshape(4, 3)),
    ViewCase("reshape_contiguous", (2, 6), lambda t: t.reshape(12), lambda a: a.reshape(12)),
    ViewCase("flatten", (2, 3, 2), lambda t: t.flatten(), lambda a: a.reshape(-1)),
    ViewCase("flatten_part", (2, 3, 2), lambda t: t.flatten(1), lambda a: a.reshape(2, 6)),
    ViewCase("unflatten", (2, 6), lambda t: t.unflatten(1, (2, 3)), lambda a: a.reshape(2, 2, 3)),
    ViewCase("squeeze", (2, 1, 3), lambda t: t.squeeze(), lambda a: a.reshape(2, 3)),
    ViewCase("squeeze_dim", (2, 1, 3), lambda t: t.squeeze(1), lambda a: a.reshape(2, 3)),
    ViewCase("unsqueeze", (2, 3), lambda t: t.unsqueeze(1), lambda a: a[:, None]),
    ViewCase("getitem_int", (3, 4), lambda t: t[1], lambda a: a[1]),
    ViewCase("getitem_scalar", (3, 4), lambda t: t[1, 2], lambda a: a[1, 2, ...]),
    ViewCase("getitem_chain", (3, 4), lambda t: t[1][2], lambda a: a[1][2, ...]),
    ViewCase("getitem_slice", (5, 4), lambda t: t[1:4], lambda a: a[1:4]),
    ViewCase("getitem_step", (5, 4), lambda t: t[::2, 1::2], lambda a: a[::2, 1::2]),
    ViewCase("getitem_column", (3, 4), lambda t: t[:, 0], lambda a: a[:, 0]),
    ViewCase("getitem_none", (3, 4), lambda t: t[None, 1:], lambda a: a[None, 1:]),
    ViewCase("getitem_ellipsis", (2, 3, 4), lambda t: t[..., 1], lambda a: a[..., 1]),
    ViewCase("getitem_all", (3, 4), lambda t: t[:], lambda a: a[:]),
    ViewCase("select", (3, 4), lambda t: t.select(1, 2), lambda a: a[:, 2]),
    ViewCase("narrow", (5, 4), lambda t: t.narrow(0, 1, 3), lambda a: a[1:4]),
    ViewCase("t", (3, 4), lambda t: t.t(), lambda a: a.T),
    ViewCase("T", (2, 3, 4), lambda t: t.T, lambda a: a.T),
    ViewCase("mT", (2, 3, 4), lambda t: t.mT, lambda a: np.swapaxes(a, -1, -2)),
    ViewCase("transpose", (2, 3, 4), lambda t: t.transpose(0, 2), lambda a: np.swapaxes(a, 0, 2)),
    ViewCase("swapaxes", (2, 3), lambda t: t.swapaxes(0, 1), lambda a: a.T),
    ViewCase(
        "permute", (2, 3, 4), lambda t: t.permute(2, 0, 1), lambda a: np.transpose(a, (2, 0, 1))
    ),
    ViewCase("movedim", (2, 3, 4), lambda t: t.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1)),
    ViewCase(
        "expand", (3, 1), lambda t: t.expand(3, 4), lambda a: np.broadcast_to(a, (3, 4)), False
    ),
    ViewCase(
        "expand_as",
        (1, 4),
        lambda t: t.expand_as(pt.zeros(2, 4)),
        lambda a: np.broadcast_to(a, (2, 4)),
        False,
    ),
    ViewCase("diagonal", (3, 4), lambda t: t.diagonal(), lambda a: _np_diagonal(a)),
    ViewCase("diagonal_offset", (3, 4), lambda t: t.diagonal(1), lambda a: _np_diagonal(a, 1)),
    ViewCase(
        "diagonal_dims",
        (2, 3, 3),
        lambda t: t.diagonal(0, 1, 2),
        lambda a: _np_diagonal(a),
    ),
    ViewCase("unbind", (3, 4), lambda t: t.unbind(0)[1], lambda a: a[1]),
    ViewCase("split", (5, 4), lambda t: t.split(2)[1], lambda a: a[2:4]),
    ViewCase("split_sizes", (5, 4), lambda t: t.split([1, 4])[1], lambda a: a[1:5]),
    ViewCase("chunk", (6, 4), lambda t: t.chunk(3, 0)[2], lambda a: a[4:6]),
    ViewCase(
        "as_strided",
        (3, 4),
        lambda t: t.as_strided((2, 2), (4, 1), 1),
        lambda a: _writable_view(a.reshape(-1)[1:], (2, 2), (4 * a.itemsize, a.itemsize)),
        mutable_only=True,
    ),
    ViewCase("detach", (3, 4), lambda t: t.detach(), lambda a: a, is_view=False),
    ViewCase("data", (3, 4), lambda t: t.data, lambda a: a, is_view=False),
    ViewCase(
        "parameter",
        (3, 4),
        lambda t: pt.nn.Parameter(t, requires_grad=False),
        lambda a: a,
        is_view=False,
    ),
    ViewCase(
        "view_of_view", (4, 6), lambda t: t[1:].view(-1)[2:8], lambda a: a[1:].reshape(-1)[2:8]
    ),
]


def _base(backend: str, shape: tuple[int, ...]) -> tuple[Any, np.ndarray]:
    numel = int(np.prod(shape))
    values = np.arange(numel, dtype=np.float64).reshape(shape)
    return pt.tensor(values, dtype=pt.float64, backend=backend), values.copy()


def _close(tensor: Any, array: np.ndarray, what: str) -> None:
    got = tensor.detach().to("numpy").numpy()
    if got.shape != array.shape or not np.array_equal(got, array):
        raise AssertionError(f"{what}: expected\n{array}\ngot\n{got}")


def _mutable(backend: str) -> bool:
    return bool(pt.get_backend(backend).capabilities.mutable)


def check_view_case(backend: str, case: ViewCase) -> None:
    """A write through the view reaches the base, and a write to the base reaches the view."""
    if case.mutable_only and not _mutable(backend):
        return
    base, model = _base(backend, case.shape)
    view, model_view = case.make(base), case.numpy(model)
    _close(view, np.asarray(model_view), f"{case.name}: view values")
    if case.is_view and not view._is_view():
        raise AssertionError(f"{case.name}: _is_view() is False for a view")
    if case.is_view and view._base is not base and view._base is not base._base:
        raise AssertionError(f"{case.name}: _base is not the viewed tensor")
    if not case.is_view and view._is_view():
        raise AssertionError(f"{case.name}: an alias that is not a view says _is_view()")
    if view.numel() and case.writable:
        view.mul_(10)
        model_view *= 10
        _close(base, model, f"{case.name}: base after view.mul_(10)")
        view.fill_(-1.0) if view.ndim == 0 else view.__setitem__(0, -1.0)
        if model_view.ndim == 0:
            model_view[...] = -1.0
        else:
            model_view[0] = -1.0
        _close(base, model, f"{case.name}: base after a write through the view")
    elif view.numel():
        try:
            view.add_(1)
        except RuntimeError as error:
            if "single memory location" not in str(error):
                raise AssertionError(f"{case.name}: wrong error writing to it: {error}") from None
        else:
            raise AssertionError(f"{case.name}: writing to an expanded view did not raise")
    base.add_(100)
    model += 100
    _close(view, np.asarray(model_view), f"{case.name}: view after base.add_(100)")
    base[...] = 7.0
    model[...] = 7.0
    _close(view, np.asarray(model_view), f"{case.name}: view after base[...] = 7")
    shares_counter = case.name != "data"  # .data counts its own writes (PyTorch)
    if shares_counter and (view._version != base._version or base._version == 0):
        raise AssertionError(
            f"{case.name}: base and alias do not share a version counter "
            f"({base._version} vs {view._version})"
        )


@dataclass(frozen=True)
class InplaceCase:
    """An in-place op, in plugtorch and on a numpy array (both in place)."""

    name: str
    apply: Callable[[Any], Any]
    numpy: Callable[[np.ndarray], Any]


def _np_set(a: np.ndarray, key: Any, value: Any) -> None:
    a[key] = value


INPLACE_CASES: list[InplaceCase] = [
    InplaceCase("add_", lambda t: t.add_(2.5), lambda a: a.__iadd__(2.5)),
    InplaceCase("add_alpha", lambda t: t.add_(pt.ones_like(t), alpha=3), lambda a: a.__iadd__(3)),
    InplaceCase("sub_", lambda t: t.sub_(1.5), lambda a: a.__isub__(1.5)),
    InplaceCase("mul_", lambda t: t.mul_(-2), lambda a: a.__imul__(-2)),
    InplaceCase("div_", lambda t: t.div_(4), lambda a: a.__itruediv__(4)),
    InplaceCase("iadd", lambda t: t.__iadd__(1), lambda a: a.__iadd__(1)),
    InplaceCase("isub", lambda t: t.__isub__(1), lambda a: a.__isub__(1)),
    InplaceCase("imul", lambda t: t.__imul__(3), lambda a: a.__imul__(3)),
    InplaceCase("itruediv", lambda t: t.__itruediv__(2), lambda a: a.__itruediv__(2)),
    InplaceCase("pow_", lambda t: t.pow_(2), lambda a: np.power(a, 2, out=a)),
    InplaceCase("clamp_", lambda t: t.clamp_(2, 6), lambda a: np.clip(a, 2, 6, out=a)),
    InplaceCase("neg_", lambda t: t.neg_(), lambda a: np.negative(a, out=a)),
    InplaceCase("zero_", lambda t: t.zero_(), lambda a: a.fill(0)),
    InplaceCase("fill_", lambda t: t.fill_(3.0), lambda a: a.fill(3.0)),
    InplaceCase(
        "copy_",
        lambda t: t.copy_(pt.full(t.shape, 9.0, backend=t.backend)),
        lambda a: a.fill(9.0),
    ),
    InplaceCase("copy_broadcast", lambda t: t.copy_(pt.tensor(4.0)), lambda a: a.fill(4.0)),
    InplaceCase(
        "addcmul_",
        lambda t: t.addcmul_(pt.ones_like(t), pt.ones_like(t), value=2),
        lambda a: a.__iadd__(2),
    ),
    InplaceCase(
        "addcdiv_",
        lambda t: t.addcdiv_(pt.ones_like(t), pt.full_like(t, 2.0), value=2),
        lambda a: a.__iadd__(1),
    ),
    InplaceCase("lerp_", lambda t: t.lerp_(pt.zeros_like(t), 0.5), lambda a: a.__imul__(0.5)),
    InplaceCase(
        "masked_fill_",
        lambda t: t.masked_fill_(t > 3, -1.0),
        lambda a: _np_set(a, a > 3, -1.0),
    ),
    InplaceCase("setitem_int", lambda t: t.__setitem__(0, 5.0), lambda a: _np_set(a, 0, 5.0)),
    InplaceCase(
        "setitem_slice",
        lambda t: t.__setitem__(slice(1, None), 2.0),
        lambda a: _np_set(a, slice(1, None), 2.0),
    ),
    InplaceCase(
        "setitem_mask", lambda t: t.__setitem__(t > 2, 0.0), lambda a: _np_set(a, a > 2, 0.0)
    ),
    InplaceCase(
        "setitem_index",
        lambda t: t.__setitem__(pt.tensor([0, 0, 1], backend=t.backend), 8.0),
        lambda a: _np_set(a, [0, 0, 1], 8.0),
    ),
    InplaceCase(
        "setitem_list", lambda t: t.__setitem__([1], -3.0), lambda a: _np_set(a, [1], -3.0)
    ),
]


def check_inplace_case(backend: str, case: InplaceCase) -> None:
    """The in-place op on a view (a column of the base) reaches the base and another view."""
    base, model = _base(backend, (4, 3))
    column, model_column = base[:, 1], model[:, 1]
    row_view = base.view(-1)
    result = case.apply(column)
    case.numpy(model_column)
    if result is not None and result is not column:  # (__setitem__ returns None)
        raise AssertionError(f"{case.name}: an in-place method must return the tensor itself")
    _close(base, model, f"{case.name} on a column view: base")
    _close(row_view, model.reshape(-1), f"{case.name} on a column view: another view")
    whole, model_whole = _base(backend, (5,))
    alias = whole.detach()
    case.apply(whole)
    case.numpy(model_whole)
    _close(alias, model_whole, f"{case.name} on a tensor: its detach() alias")


def check_training_idioms(backend: str) -> None:
    """The update idioms of PyTorch code keep parameters' identity and reach every alias."""
    model = pt.nn.Linear(3, 2, backend=backend, dtype=pt.float64)
    weight = model.weight
    before = weight.detach().clone()
    reference = weight.detach()  # an alias taken before training
    x = pt.ones(4, 3, backend=backend, dtype=pt.float64)
    model(x).sum().backward()
    for p in model.parameters():
        p.data.add_(p.grad, alpha=-0.1)  # the classic manual SGD step
    assert weight.grad is not None
    expected = before.to("numpy").numpy() - 0.1 * weight.grad.to("numpy").numpy()
    _close(weight, expected, "p.data.add_(p.grad, alpha=-lr)")
    _close(reference, expected, "an alias taken before p.data.add_")
    weight.data.uniform_(-0.1, 0.1)
    if weight is not model.weight or not bool((weight.detach().abs() <= 0.1).all()):
        raise AssertionError("w.data.uniform_(-0.1, 0.1) did not write into the parameter")
    _close(reference, weight.detach().to("numpy").numpy(), "alias after w.data.uniform_")
    weight.data.fill_(0.25)
    _close(model.weight, np.full((2, 3), 0.25), "w.data.fill_(0.25)")
    model.bias.data.zero_()
    _close(model.bias, np.zeros(2), "b.data.zero_()")

    target = pt.nn.Linear(3, 2, backend=backend, dtype=pt.float64)
    source = pt.nn.Linear(3, 2, backend=backend, dtype=pt.float64)
    kept = target.weight
    state = target.state_dict()
    with pt.no_grad():
        for key, value in source.state_dict().items():
            state[key].copy_(value)  # how pretrained weights are copied into a model
    _close(target.weight, source.weight.detach().to("numpy").numpy(), "sd[k].copy_(v)")
    other = pt.nn.Linear(3, 2, backend=backend, dtype=pt.float64)
    target.load_state_dict(other.state_dict())
    if target.weight is not kept:
        raise AssertionError("load_state_dict replaced the parameter object")
    _close(kept, other.weight.detach().to("numpy").numpy(), "load_state_dict in place")

    optimizer = pt.optim.SGD(target.parameters(), lr=0.5, momentum=0.9)
    alias = target.weight.detach()
    for _ in range(2):
        optimizer.zero_grad()
        target(x).pow(2).sum().backward()
        optimizer.step()
    _close(alias, target.weight.detach().to("numpy").numpy(), "SGD step seen through an alias")
    adam = pt.optim.Adam(target.parameters(), lr=0.1)
    target(x).sum().backward()
    adam.step()
    _close(alias, target.weight.detach().to("numpy").numpy(), "Adam step seen through an alias")
    grad = target.weight.grad
    assert grad is not None
    adam.zero_grad(set_to_none=False)
    if target.weight.grad is not grad or bool((grad != 0).any()):
        raise AssertionError("zero_grad(set_to_none=False) must zero .grad in place")

    bn = pt.nn.BatchNorm1d(3, backend=backend, dtype=pt.float64)
    running = bn.running_mean
    bn(pt.tensor(np.arange(12.0).reshape(4, 3), dtype=pt.float64, backend=backend))
    if bn.running_mean is not running or not bool((running != 0).any()):
        raise AssertionError("BatchNorm's running statistics must be updated in place")


# --- version counters and autograd around in-place writes ------------------------------------

_MODIFIED = "modified by an inplace operation"


def _leaf(backend: str, values: Any = (0.5, 1.0, 1.5)) -> Any:
    return pt.tensor(values, dtype=pt.float64, backend=backend, requires_grad=True)


def _exp_then_add(b: str) -> Any:
    x = _leaf(b)
    y = x.exp()
    y.add_(1)  # exp's backward reads its output, which is now changed
    y.sum().backward()


def _sin_input_changed(b: str) -> Any:
    x = _leaf(b)
    a = x * 2
    c = a.sin()
    a.mul_(3)  # sin's backward reads its input
    c.sum().backward()


def _add_input_changed(b: str) -> Any:
    x = _leaf(b)
    a = x * 2
    c = a + 1
    a.mul_(3)  # add's backward reads no input: fine in PyTorch
    c.sum().backward()
    return x.grad


def _relu_inplace(b: str) -> Any:
    x = _leaf(b, (-1.0, 2.0, 3.0))
    y = x * 2
    y.relu_()
    y.sum().backward()
    return x.grad


def _sigmoid_output_changed(b: str) -> Any:
    x = _leaf(b)
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()


def _step_before_backward(b: str) -> Any:
    w = _leaf(b)
    loss = (w * w).sum()  # mul saves w for both of its gradients
    with pt.no_grad():
        w.sub_(0.1)  # an optimizer step before backward
    loss.backward()


def _step_before_backward_unsaved(b: str) -> Any:
    w = _leaf(b)
    x = pt.tensor([1.0, 2.0, 3.0], dtype=pt.float64, backend=b)
    loss = (w * x).sum()  # w's gradient needs x only: w is not saved
    with pt.no_grad():
        w.sub_(0.1)
    loss.backward()
    return w.grad


def _data_write_unseen(b: str) -> Any:
    x = _leaf(b)
    y = x.exp()
    y.data.add_(1)  # .data hides the write from autograd (PyTorch's documented difference)
    y.sum().backward()
    if not _mutable(b):
        # Arrays that are values: the saved output keeps the values it had when it was saved
        # (docs/architecture.md), so this gradient is exp(x) rather than PyTorch's exp(x) + 1.
        return x.grad + 1
    return x.grad


def _detach_write_seen(b: str) -> Any:
    x = _leaf(b)
    y = x.exp()
    y.detach().add_(1)  # detach() shares the version counter
    y.sum().backward()


def _leaf_inplace(b: str) -> Any:
    _leaf(b).add_(1)


def _leaf_view_inplace(b: str) -> Any:
    _leaf(b)[0].add_(1)


def _leaf_setitem(b: str) -> Any:
    x = _leaf(b)
    x[0] = 2.0


def _split_output_inplace(b: str) -> Any:
    x = _leaf(b, (1.0, 2.0, 3.0, 4.0))
    first, _ = (x * 1).split(2)
    first.mul_(2)


def _no_grad_view_inplace(b: str) -> Any:
    x = _leaf(b)
    y = x * 1
    with pt.no_grad():
        view = y[:2]
    view.mul_(_leaf(b, (1.0, 2.0)))


def _no_grad_leaf_update(b: str) -> Any:
    x = _leaf(b)
    with pt.no_grad():
        x.mul_(2)
        x[0] = 5.0
    return x.detach()


# name -> (function, expected error substring or None for success, expected result or None)
VERSION_CASES: dict[str, tuple[Callable[[str], Any], str | None, Any]] = {
    "exp_output_modified": (_exp_then_add, _MODIFIED, None),
    "sin_input_modified": (_sin_input_changed, _MODIFIED, None),
    "add_input_modified_is_fine": (_add_input_changed, None, [2.0, 2.0, 2.0]),
    "relu_inplace_after_mul": (_relu_inplace, None, [0.0, 2.0, 2.0]),
    "sigmoid_output_modified": (_sigmoid_output_changed, _MODIFIED, None),
    "optimizer_step_before_backward": (_step_before_backward, _MODIFIED, None),
    "step_before_backward_not_saved": (_step_before_backward_unsaved, None, [1.0, 2.0, 3.0]),
    "data_write_is_invisible": (
        _data_write_unseen,
        None,
        list(np.exp([0.5, 1.0, 1.5]) + 1),
    ),
    "detach_write_is_seen": (_detach_write_seen, _MODIFIED, None),
    "leaf_inplace": (_leaf_inplace, "a leaf Variable that requires grad", None),
    "leaf_view_inplace": (_leaf_view_inplace, "a view of a leaf Variable", None),
    "leaf_setitem": (_leaf_setitem, "leaf Variable that requires grad", None),
    "split_output_inplace": (_split_output_inplace, "returns multiple views", None),
    "no_grad_view_inplace": (_no_grad_view_inplace, "created in no_grad mode", None),
    "no_grad_leaf_update": (_no_grad_leaf_update, None, [5.0, 2.0, 3.0]),
}


def check_version_case(backend: str, name: str) -> None:
    function, error, expected = VERSION_CASES[name]
    try:
        result = function(backend)
    except RuntimeError as raised:
        if error is None or error not in str(raised):
            raise AssertionError(f"{name}: unexpected error {raised!r}") from None
        return
    if error is not None:
        raise AssertionError(f"{name}: expected PyTorch's error containing {error!r}, got none")
    if expected is not None:
        _close(result, np.asarray(expected, dtype=np.float64), name)


# --- gradients through in-place writes on non-leaf tensors -----------------------------------


def _grad_add_inplace(x: Any) -> Any:
    y = x * 2
    y.add_(1)
    return y * y


def _grad_residual(x: Any) -> Any:
    out = x.sin() * 2  # (mul saves no output: writing into it is fine, as after batch norm)
    out += x  # ResNet's `out += identity`
    return out.relu()


def _grad_setitem_basic(x: Any) -> Any:
    y = x * 1
    y[0] = x[1] * 3
    return y.sin()


def _grad_column_mul(x: Any) -> Any:
    y = x * 1
    y[:, 0].mul_(2)
    return y * x


def _grad_view_mul_tensor(x: Any) -> Any:
    y = x * 1
    y.view(-1)[1:].mul_(x.reshape(-1)[:-1])
    return y


def _grad_setitem_index(x: Any) -> Any:
    y = x * 1
    y[pt.tensor([0, 2], backend=x.backend)] = x[1] ** 2
    return y


def _grad_mul_self(x: Any) -> Any:
    y = x.sin()
    y.mul_(x * 2)  # x's gradient through mul_ needs the old y: PyTorch keeps a copy
    return y


def _grad_transpose_write(x: Any) -> Any:
    y = x * 1
    y.t()[1].copy_(x[:, 0] * 5)
    return y


def _grad_diagonal_write(x: Any) -> Any:
    y = x.cos()
    y.diagonal().mul_(3)
    return y


def _grad_stale_view(x: Any) -> Any:
    y = x * 1
    row = y[0]
    y.mul_(2)  # the view's grad_fn is rebuilt from y's new one
    return row * x[1]


def _grad_fill(x: Any) -> Any:
    y = x * 1
    y[1].fill_(0.5)
    return y.exp()


def _grad_copy_into_zeros(x: Any) -> Any:
    out = pt.zeros(x.shape, dtype=x.dtype, backend=x.backend)
    out[1:] = x[:-1] * 2  # a buffer that did not require grad becomes part of the graph
    return out


GRAD_CASES: dict[str, Callable[[Any], Any]] = {
    "add_inplace": _grad_add_inplace,
    "residual_iadd": _grad_residual,
    "setitem_basic": _grad_setitem_basic,
    "column_mul_": _grad_column_mul,
    "view_mul_tensor": _grad_view_mul_tensor,
    "setitem_index": _grad_setitem_index,
    "mul_self": _grad_mul_self,
    "transpose_write": _grad_transpose_write,
    "diagonal_write": _grad_diagonal_write,
    "stale_view": _grad_stale_view,
    "fill_on_view": _grad_fill,
    "copy_into_zeros": _grad_copy_into_zeros,
}


def check_grad_case(backend: str, name: str) -> None:
    """Gradients through the in-place writes equal central differences (``gradcheck``)."""
    rng = np.random.default_rng(7)
    x = pt.tensor(
        rng.uniform(0.2, 1.0, size=(3, 3)), dtype=pt.float64, backend=backend, requires_grad=True
    )
    if not pt.autograd.gradcheck(GRAD_CASES[name], (x,)):
        raise AssertionError(f"{name}: gradients through in-place writes do not match")


# --- random chains of views and writes, replayed on numpy --------------------------------------

# name -> (applies to shape?, plugtorch view, numpy view)
CHAIN_VIEWS: dict[str, tuple[Callable[[tuple[int, ...]], bool], Any, Any]] = {
    "t": (lambda s: len(s) == 2, lambda t: t.t(), lambda a: a.T),
    "row": (lambda s: len(s) >= 1 and s[0] > 1, lambda t: t[1], lambda a: a[1, ...]),
    "tail": (lambda s: len(s) >= 1 and s[0] > 1, lambda t: t[1:], lambda a: a[1:]),
    "step": (lambda s: len(s) >= 1, lambda t: t[::2], lambda a: a[::2]),
    "flat": (lambda s: True, lambda t: t.reshape(-1), lambda a: a.reshape(-1)),
    "unsqueeze": (lambda s: len(s) < 4, lambda t: t.unsqueeze(0), lambda a: a[None]),
    "squeeze": (lambda s: True, lambda t: t.squeeze(), lambda a: a.squeeze()),
    "permute": (
        lambda s: len(s) == 3,
        lambda t: t.permute(2, 0, 1),
        lambda a: a.transpose(2, 0, 1),
    ),
    "detach": (lambda s: True, lambda t: t.detach(), lambda a: a),
    "data": (lambda s: True, lambda t: t.data, lambda a: a),
    "diagonal": (lambda s: len(s) == 2, lambda t: t.diagonal(), lambda a: _np_diagonal(a)),
}

# name -> (plugtorch write, numpy write)
CHAIN_WRITES: dict[str, tuple[Any, Any]] = {
    "add": (lambda t: t.add_(1.5), lambda a: a.__iadd__(1.5)),
    "mul": (lambda t: t.mul_(-2.0), lambda a: a.__imul__(-2.0)),
    "fill": (lambda t: t.fill_(3.25), lambda a: a.fill(3.25)),
    "first": (lambda t: t.__setitem__(0, 9.0), lambda a: _np_set(a, 0, 9.0)),
    "copy": (
        lambda t: t.copy_(pt.arange(t.numel(), dtype=pt.float64, backend=t.backend).view(t.shape)),
        lambda a: _np_set(a, ..., np.arange(a.size, dtype=np.float64).reshape(a.shape)),
    ),
}


def run_chain(backend: str, shape: tuple[int, ...], steps: list[tuple[str, int, str]]) -> int:
    """Replay ``steps`` — ``("view", alias index, view name)`` or ``("write", alias index, write
    name)`` — on plugtorch and on numpy, checking every alias after each step. Returns how many
    steps applied (steps that do not fit the chosen alias are skipped)."""
    base, model = _base(backend, shape)
    aliases: list[tuple[Any, np.ndarray]] = [(base, model)]
    applied = 0
    for kind, index, name in steps:
        tensor, array = aliases[index % len(aliases)]
        if kind == "view":
            fits, make, make_np = CHAIN_VIEWS[name]
            if not fits(tuple(tensor.shape)):
                continue
            aliases.append((make(tensor), make_np(array)))
        else:
            if tensor.numel() == 0 or (name == "first" and tensor.ndim == 0):
                continue
            write, write_np = CHAIN_WRITES[name]
            write(tensor)
            write_np(array)
        applied += 1
        for number, (t, a) in enumerate(aliases):
            _close(t, np.asarray(a), f"alias #{number} after {kind} {name!r} on #{index}")
    return applied
