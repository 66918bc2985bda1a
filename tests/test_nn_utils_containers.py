"""nn.utils (gradient clipping, parameter vectors) and the dict/list containers, with PyTorch's
documented semantics written out as expectations, on every backend."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn
from plugtorch.autograd import gradcheck
from plugtorch.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(backend: str, grads: list[list[float]]) -> list[pt.Tensor]:
    params = []
    for values in grads:
        p = nn.Parameter(pt.zeros(len(values), dtype=pt.float64, backend=backend))
        p.grad = pt.tensor(values, dtype=pt.float64, backend=backend)
        params.append(p)
    return params


GRADS = [[3.0, -4.0], [12.0], [0.0, 1.0, -2.0]]
FLAT = np.array([3.0, -4.0, 12.0, 0.0, 1.0, -2.0])


@pytest.mark.parametrize(
    "norm_type, expected",
    [
        (2.0, math.sqrt((FLAT**2).sum())),
        (1.0, np.abs(FLAT).sum()),
        (3.0, (np.abs(FLAT) ** 3).sum() ** (1 / 3)),
        (math.inf, 12.0),
        ("inf", 12.0),
    ],
)
def test_clip_grad_norm_scales_in_place_and_returns_total(backend_name, norm_type, expected):
    params = _params_with_grads(backend_name, GRADS)
    grads_before = [p.grad for p in params]
    total = clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    assert isinstance(total, pt.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(expected)
    coefficient = min(1.0, 1.0 / (expected + 1e-6))
    got = np.concatenate([p.grad.numpy() for p in params])
    np.testing.assert_allclose(got, FLAT * coefficient, rtol=1e-12)
    # In place: each parameter keeps the same .grad tensor object, with new values.
    assert all(p.grad is g for p, g in zip(params, grads_before))


def test_clip_grad_norm_leaves_small_gradients_alone(backend_name):
    params = _params_with_grads(backend_name, GRADS)
    total = clip_grad_norm_(params, max_norm=100.0, foreach=True)
    assert total.item() == pytest.approx(math.sqrt(174.0))
    got = np.concatenate([p.grad.numpy() for p in params])
    # The coefficient is clamped to 1: multiplying by exactly 1.0 changes nothing.
    np.testing.assert_array_equal(got, FLAT)


def test_clip_grad_norm_single_tensor_generator_and_no_grads(backend_name):
    (p,) = _params_with_grads(backend_name, [[6.0, 8.0]])
    assert clip_grad_norm_(p, 5.0).item() == pytest.approx(10.0)
    np.testing.assert_allclose(p.grad.numpy(), [3.0, 4.0], rtol=1e-6)
    q = nn.Parameter(pt.zeros(2, backend=backend_name))
    assert clip_grad_norm_((x for x in [q]), 1.0).item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite(backend_name):
    params = _params_with_grads(backend_name, [[1.0, float("nan")]])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    # The gradient is left untouched when the error is raised.
    assert params[0].grad.numpy()[0] == 1.0
    total = clip_grad_norm_(params, 1.0)
    assert math.isnan(total.item()) and np.isnan(params[0].grad.numpy()).all()


def test_clip_grad_norm_float32_returns_float32(backend_name):
    p = nn.Parameter(pt.zeros(2, backend=backend_name))
    p.grad = pt.tensor([3.0, 4.0], backend=backend_name)
    total = clip_grad_norm_([p], 1.0)
    assert total.dtype is pt.float32 and p.grad.dtype is pt.float32
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_get_total_norm_of_tensors(backend_name):
    tensors = [pt.tensor([3.0], backend=backend_name), pt.tensor([4.0], backend=backend_name)]
    assert get_total_norm(tensors).item() == pytest.approx(5.0)
    assert get_total_norm(tensors, norm_type=1).item() == pytest.approx(7.0)


def test_clip_grad_value_clamps_in_place(backend_name):
    params = _params_with_grads(backend_name, GRADS)
    grads_before = [p.grad for p in params]
    assert clip_grad_value_(params, clip_value=2.5) is None
    got = np.concatenate([p.grad.numpy() for p in params])
    np.testing.assert_array_equal(got, np.clip(FLAT, -2.5, 2.5))
    assert all(p.grad is g for p, g in zip(params, grads_before))


def test_parameters_to_vector_and_back(backend_name):
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)).to(backend_name)
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (3 * 2 + 2 + 2 + 1,)
    expected = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), expected)
    new = pt.arange(11.0, backend=backend_name)
    vector_to_parameters(new, model.parameters())
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(model[1].bias.detach().numpy(), [10.0])
    assert model[0].weight.requires_grad


def test_parameters_to_vector_gradcheck(backend_name):
    a = pt.randn(2, 2, dtype=pt.float64, backend=backend_name, requires_grad=True)
    b = pt.randn(3, dtype=pt.float64, backend=backend_name, requires_grad=True)
    assert gradcheck(lambda x, y: parameters_to_vector([x, y]) * 2.0, (a, b))


def test_vector_to_parameters_errors():
    with pytest.raises(TypeError, match="expected plugtorch.Tensor"):
        vector_to_parameters([1.0, 2.0], [pt.zeros(2)])
    with pytest.raises(ValueError, match="3 elements"):
        vector_to_parameters(pt.zeros(2), [pt.zeros(3)])


# --- containers --------------------------------------------------------------------------------


class WithDict(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.heads = nn.ModuleDict({"policy": nn.Linear(4, 2), "value": nn.Linear(4, 1)})
        self.scales = nn.ParameterList([pt.ones(2), pt.zeros(3)])
        self.table = nn.ParameterDict(OrderedDict([("shift", pt.zeros(2)), ("gain", pt.ones(1))]))

    def forward(self, x):
        return self.heads["policy"](x) * self.scales[0] + self.table["shift"]


def test_container_state_dict_keys_are_pytorchs():
    model = WithDict()
    assert list(model.state_dict()) == [
        "heads.policy.weight",
        "heads.policy.bias",
        "heads.value.weight",
        "heads.value.bias",
        "scales.0",
        "scales.1",
        "table.shift",
        "table.gain",
    ]
    assert [name for name, _ in model.named_modules()] == [
        "",
        "heads",
        "heads.policy",
        "heads.value",
        "scales",
        "table",
    ]
    assert len(list(model.parameters())) == 8


def test_container_pytorch_named_state_dict_loads(backend_name):
    model = WithDict().to(backend_name)
    shapes = {
        "heads.policy.weight": (2, 4),
        "heads.policy.bias": (2,),
        "heads.value.weight": (1, 4),
        "heads.value.bias": (1,),
        "scales.0": (2,),
        "scales.1": (3,),
        "table.shift": (2,),
        "table.gain": (1,),
    }
    state = {k: pt.full(s, float(i), backend="numpy") for i, (k, s) in enumerate(shapes.items())}
    model.load_state_dict(state)
    assert model.table["gain"].item() == 7.0
    assert model.scales[1].detach().numpy().tolist() == [5.0] * 3
    out = model(pt.ones(3, 4, backend=backend_name))
    assert out.shape == (3, 2)


def test_module_dict_behaves_like_a_dict():
    heads = nn.ModuleDict()
    heads.update([("a", nn.Linear(1, 1)), ("b", nn.ReLU())])
    heads["c"] = nn.Tanh()
    assert list(heads.keys()) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    del heads["b"]
    assert isinstance(heads.pop("c"), nn.Tanh) and list(heads) == ["a"]
    with pytest.raises(ValueError, match="element #0 has length 3; 2 is required"):
        heads.update([("x", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="iterable of key/value pairs"):
        heads.update(3)
    with pytest.raises(TypeError, match="is not a Module subclass"):
        heads["z"] = 3
    heads.clear()
    assert len(heads) == 0


def test_parameter_list_rules():
    params = nn.ParameterList([pt.ones(2)])
    params.append(pt.zeros(1)).extend([nn.Parameter(pt.ones(3))])
    params += [pt.ones(4)]
    assert len(params) == 4 and all(isinstance(p, nn.Parameter) for p in params)
    assert params[-1].shape == (4,) and params[1:3][0].shape == (1,)
    params.append("not a tensor")  # kept as a plain attribute, not a parameter
    assert params[4] == "not a tensor" and len(list(params.parameters())) == 4
    with pytest.raises(IndexError, match="out of range"):
        params[7]
    with pytest.raises(TypeError, match="should be called with an iterable"):
        params.extend(pt.ones(2))
    with pytest.raises(RuntimeError, match="should not be called"):
        params()
    # Module.__setattr__: a plain tensor cannot replace a registered parameter.
    with pytest.raises(TypeError, match="cannot assign"):
        params.__setattr__("0", pt.zeros(2))
    params[0] = pt.full((2,), 5.0)
    assert isinstance(params[0], nn.Parameter) and params[0].detach().numpy().tolist() == [5, 5]


def test_parameter_list_params_reach_the_optimizer():
    params = nn.ParameterList([pt.ones(2)])
    opt = pt.optim.SGD(params.parameters(), lr=0.5)
    (params[0] * params[0]).sum().backward()
    opt.step()
    assert params[0].detach().numpy().tolist() == [0.0, 0.0]


def test_parameter_dict_rules():
    table = nn.ParameterDict({"b": pt.ones(1), "a": pt.zeros(2)})
    assert list(table) == ["a", "b"]  # a plain dict is sorted, as PyTorch does
    ordered = nn.ParameterDict([("b", pt.ones(1)), ("a", pt.zeros(2))])
    assert list(ordered) == ["b", "a"]
    assert isinstance(table["a"], nn.Parameter) and "a" in table and len(table) == 2
    assert table.get("missing") is None and table.setdefault("c", pt.ones(3)).shape == (3,)
    merged = table | nn.ParameterDict({"d": pt.ones(1)})
    assert list(merged) == ["a", "b", "c", "d"] and merged["a"] is table["a"]
    assert table.popitem()[0] == "c" and table.pop("b").shape == (1,)
    assert list(table.state_dict()) == ["a"]
    with pytest.raises(TypeError, match="not a string"):
        table[1] = pt.ones(1)
    with pytest.raises(KeyError, match="attribute 'update' already exists"):
        table["update"] = pt.ones(1)
    with pytest.raises(ValueError, match="element #0 has length 1"):
        table.update([("x",)])
    with pytest.raises(RuntimeError, match="should not be called"):
        table()
    table.clear()
    assert len(table) == 0 and list(table.parameters()) == []


def test_deepcopy_of_a_module_copies_parameters(backend_name):
    model = WithDict().to(backend_name)
    model.heads["policy"].weight.grad = pt.ones(2, 4, backend=backend_name)
    clone = copy.deepcopy(model)
    original = model.heads["policy"].weight
    copied = clone.heads["policy"].weight
    assert isinstance(copied, nn.Parameter) and copied is not original and copied.requires_grad
    assert copied.dtype is original.dtype and copied.backend is original.backend
    np.testing.assert_array_equal(copied.detach().numpy(), original.detach().numpy())
    np.testing.assert_array_equal(copied.grad.numpy(), np.ones((2, 4)))
    with pt.no_grad():
        copied.add_(1.0)
    assert not np.array_equal(copied.detach().numpy(), original.detach().numpy())
    assert list(clone.state_dict()) == list(model.state_dict())


def test_deepcopy_of_a_non_leaf_fails():
    x = pt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x)
