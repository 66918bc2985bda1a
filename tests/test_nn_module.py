"""nn.Module semantics (PyTorch's), every layer's forward and gradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import nn
from plugtorch.autograd import gradcheck


class Network(nn.Module):
    """The course's seed network, exactly as written there (only the import differs)."""

    def __init__(self, hidden_layers):
        super().__init__()
        self.layer1 = nn.Linear(2, hidden_layers)
        self.layer2 = nn.Linear(hidden_layers, hidden_layers)
        self.layer3 = nn.Linear(hidden_layers, 1)

    def forward(self, x):
        middle = self.layer1.forward(x).relu()
        end = self.layer2.forward(middle).relu()
        return self.layer3.forward(end).sigmoid()


def test_course_network_runs_as_written() -> None:
    net = Network(5)
    out = net.forward(pt.rand(7, 2))
    assert out.shape == (7, 1) and bool(((out > 0) & (out < 1)).all())
    names = [name for name, _ in net.named_parameters()]
    assert names == [f"layer{i}.{p}" for i in (1, 2, 3) for p in ("weight", "bias")]
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_registration_and_traversal() -> None:
    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.register_buffer("count", pt.zeros(1))
            self.register_buffer("scratch", pt.zeros(1), persistent=False)
            self.plain = 5  # a plain attribute, not registered

    class Outer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = Block()
            self.b = Block()
            self.shared = self.a  # shared submodule counted once
            self.scale = nn.Parameter(pt.ones(1))

    model = Outer()
    assert [n for n, _ in model.named_parameters()] == [
        "scale", "a.fc.weight", "a.fc.bias", "b.fc.weight", "b.fc.bias"
    ]  # fmt: skip
    assert len(list(model.parameters())) == 5
    assert [n for n, _ in model.named_children()] == ["a", "b"]
    assert [n for n, _ in model.named_modules()] == ["", "a", "a.fc", "b", "b.fc"]
    assert [n for n, _ in model.named_buffers()] == ["a.count", "a.scratch", "b.count",
                                                    "b.scratch"]  # fmt: skip
    assert "a.scratch" not in model.state_dict() and "a.count" in model.state_dict()
    assert model.a.plain == 5
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = model.missing
    assert not hasattr(model, "nothing_here")
    with pytest.raises(TypeError):
        model.scale = pt.ones(1)  # a plain tensor cannot replace a parameter
    model.scale = None
    assert "scale" not in dict(model.named_parameters())
    del model.b
    assert [n for n, _ in model.named_children()] == ["a"]
    assert model.get_submodule("a.fc") is model.a.fc


def test_reassigning_keeps_the_registration_order() -> None:
    # PyTorch replaces a parameter, buffer or submodule in its place: state_dict's order and
    # the optimizer's parameter order stay as they were (weight tying reassigns, for one).
    layer = nn.Linear(2, 2)
    layer.weight = nn.Parameter(pt.ones(2, 2))
    assert list(layer.state_dict()) == ["weight", "bias"]
    norm = nn.BatchNorm1d(2)
    norm.running_mean = pt.zeros(2)
    assert list(norm.state_dict())[:3] == ["weight", "bias", "running_mean"]

    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(1, 1)
            self.b = nn.Linear(1, 1)

    two = Two()
    two.a = nn.Linear(1, 3)
    names = [name for name, _ in two.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.weight", "b.bias"]
    two.a = None  # a placeholder keeps the slot, as in PyTorch
    two.a = nn.Linear(1, 1)
    assert list(two._modules) == ["a", "b"]


def test_assign_before_init_is_explained() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_train_eval_zero_grad() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    assert model.training and model[1].training
    model.eval()
    assert not model.training and not model[1].training
    model.train()
    model(pt.ones(3, 2)).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert model[0].weight.grad is None


def test_state_dict_round_trip_and_strict_checks() -> None:
    source = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    target = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    state = source.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked"]  # fmt: skip
    assert not state["0.weight"].requires_grad
    weight = target[0].weight
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target[0].weight is weight  # in place
    np.testing.assert_array_equal(target[0].weight.detach().numpy(), state["0.weight"].numpy())
    extra = dict(state, surprise=pt.ones(1))
    with pytest.raises(RuntimeError, match='Unexpected key.*"surprise"'):
        target.load_state_dict(extra)
    missing = {k: v for k, v in state.items() if k != "0.bias"}
    with pytest.raises(RuntimeError, match='Missing key.*"0.bias"'):
        target.load_state_dict(missing)
    assert target.load_state_dict(missing, strict=False).missing_keys == ["0.bias"]
    wrong = dict(state, **{"0.weight": pt.ones(2, 2)})
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        target.load_state_dict(wrong, strict=False)


def test_to_moves_and_converts_in_place(backend_name: str) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight = model[0].weight
    model.to(pt.float64)
    assert weight.dtype is pt.float64 and model[1].running_mean.dtype is pt.float64
    assert model[1].num_batches_tracked.dtype is pt.int64  # integers keep their dtype
    model.to(backend_name)
    assert model[0].weight is weight and weight.backend.name == backend_name
    out = model(pt.ones(4, 2, dtype=pt.float64, backend=backend_name))
    assert out.backend.name == backend_name


def test_repr_is_readable() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4, 2, bias=False))  # fmt: skip
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): Flatten(start_dim=1, end_dim=-1)\n"
        "  (3): Linear(in_features=4, out_features=2, bias=False)\n"
        ")"
    )
    assert repr(nn.Parameter(pt.zeros(1))).startswith("Parameter containing:\n")


def test_default_initialisation_matches_pytorch_bounds() -> None:
    layer = nn.Linear(50, 20)
    bound = 1 / np.sqrt(50)
    assert float(layer.weight.abs().max()) <= bound and float(layer.bias.abs().max()) <= bound
    assert float(layer.weight.detach().std()) > bound / 3  # not all zero
    conv = nn.Conv2d(4, 8, 3)
    assert float(conv.weight.abs().max()) <= 1 / np.sqrt(4 * 9)
    pt.manual_seed(0)
    a = nn.Linear(3, 3).weight.detach().numpy().copy()
    pt.manual_seed(0)
    b = nn.Linear(3, 3, backend="numpy").weight.detach().numpy()
    np.testing.assert_array_equal(a, b)
    w = pt.empty(100, 200)
    nn.init.xavier_uniform_(w)
    assert float(w.abs().max()) <= np.sqrt(6 / 300)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert abs(float(w.std()) - np.sqrt(2 / 200)) < 0.01
    nn.init.zeros_(w)
    assert float(w.abs().sum()) == 0


def _double(module: nn.Module) -> nn.Module:
    return module.to(pt.float64)


LAYERS = [
    (lambda: nn.Linear(3, 2), (4, 3)),
    (lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1), (2, 2, 7)),
    (lambda: nn.Conv2d(2, 4, 3, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
     (2, 2, 5, 6)),
    (lambda: nn.MaxPool2d(2), (2, 2, 4, 4)),
    (lambda: nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 5, 5)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    (lambda: nn.Flatten(), (2, 3, 2)),
    (lambda: nn.LayerNorm(4), (3, 4)),
    (lambda: nn.LayerNorm((2, 3)), (2, 2, 3)),
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(3), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(2), (3, 2, 2, 2)),
    (lambda: nn.ReLU(), (3, 4)),
    (lambda: nn.GELU(), (3, 4)),
    (lambda: nn.GELU("tanh"), (3, 4)),
    (lambda: nn.SiLU(), (3, 4)),
    (lambda: nn.Sigmoid(), (3, 4)),
    (lambda: nn.Tanh(), (3, 4)),
    (lambda: nn.Softmax(dim=1), (3, 4)),
    (lambda: nn.LogSoftmax(dim=-1), (3, 4)),
    (lambda: nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1)), (2, 3)),
]  # fmt: skip


@pytest.mark.parametrize("make,shape", LAYERS)
def test_every_layer_gradchecks_in_float64(make, shape) -> None:
    layer = _double(make())
    rng = np.random.default_rng(0)
    # distinct, well-separated values: max pooling and relu stay away from their kinks
    host = (rng.permutation(int(np.prod(shape))).reshape(shape) - np.prod(shape) / 2) / 7 + 0.05
    x = pt.tensor(host, requires_grad=True)
    params = list(layer.parameters())  # gradcheck perturbs these very tensors in place
    assert gradcheck(lambda x, *w: layer(x), (x, *params))


def test_embedding_and_dropout_and_batchnorm_running_stats() -> None:
    emb = nn.Embedding(5, 3, padding_idx=0).double()
    assert float(emb.weight[0].abs().sum()) == 0
    index = pt.tensor([[0, 2], [4, 2]])
    assert emb(index).shape == (2, 2, 3)
    emb(index).sum().backward()
    grad = emb.weight.grad.numpy()
    assert grad[0].sum() == 0 and grad[2].tolist() == [2.0, 2.0, 2.0]
    assert gradcheck(lambda w: pt.nn.functional.embedding(index, w), (emb.weight,))

    drop = nn.Dropout(0.5)
    assert float((drop(pt.ones(1000)) == 0).float().mean()) > 0.3
    drop.eval()
    assert bool((drop(pt.ones(10)) == 1).all())

    bn = nn.BatchNorm1d(2)
    data = pt.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0]])
    out = bn(data)
    np.testing.assert_allclose(out.detach().numpy().mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.3, 0.6], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.4, 0.9 + 1.6], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    expected = (data.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(bn(data).detach().numpy(), expected, rtol=1e-5)


def test_batchnorm_momentum_none_keeps_the_cumulative_average() -> None:
    # PyTorch: momentum=None weighs batch k by 1/k, the plain average of all batch statistics.
    norm = nn.BatchNorm1d(3, momentum=None)
    norm(pt.arange(6.0).reshape(2, 3))
    norm(pt.arange(6.0, 12.0).reshape(2, 3) + 3.0)
    np.testing.assert_allclose(norm.running_mean.numpy(), [6.0, 7.0, 8.0])
    # unbiased batch variances: 4.5 each; the running one starts at 1: 1 -> 4.5 -> 4.5
    np.testing.assert_allclose(norm.running_var.numpy(), [4.5, 4.5, 4.5])
    assert int(norm.num_batches_tracked.item()) == 2
    assert "momentum=None" in repr(norm)


def test_losses_as_modules() -> None:
    logits = pt.tensor([[2.0, 0.5, -1.0], [0.0, 0.0, 3.0]])
    target = pt.tensor([0, 2])
    ce = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, target)
    assert np.isclose(
        ce.item(), pt.nn.functional.cross_entropy(logits, target, label_smoothing=0.1).item()
    )
    logp = pt.nn.functional.log_softmax(logits, 1)
    assert np.isclose(nn.NLLLoss()(logp, target).item(),
                      nn.CrossEntropyLoss()(logits, target).item())  # fmt: skip
    assert nn.MSELoss(reduction="sum")(pt.ones(3), pt.zeros(3)).item() == 3.0
    p = pt.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = pt.tensor([0.0, 1.0, 1.0])
    loss = nn.BCELoss()(p, y)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(p.grad.numpy()).all()
    assert np.isclose(nn.BCEWithLogitsLoss()(pt.tensor([0.0]), pt.tensor([1.0])).item(),
                      np.log(2))  # fmt: skip
