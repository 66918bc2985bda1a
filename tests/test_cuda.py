"""plugtorch.cuda and CUDA device plumbing (torch.cuda's API and behaviour).

Two situations: no working CUDA backend (this CI: CuPy, if installed, finds no driver), where
every call behaves as PyTorch's on a CPU-only machine; and a fake CUDA backend with two
"GPUs" (numpy arrays underneath), which drives the device plumbing — ``t.to("cuda:1")``,
``t.cuda()``, ``plugtorch.device``, ``set_device``, the memory figures — without hardware.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import cuda, nn
from plugtorch.backend import ArrayAPIBackend, registry

no_cuda = pytest.mark.skipif(cuda.is_available(), reason="a working CUDA backend is installed")


# --- without CUDA ---------------------------------------------------------------------------
@no_cuda
def test_queries_without_cuda_answer_like_pytorch_on_a_cpu_machine() -> None:
    assert cuda.is_available() is False
    assert cuda.device_count() == 0
    assert cuda.memory_allocated() == 0 and cuda.memory_allocated(0) == 0
    assert cuda.max_memory_allocated() == 0
    assert cuda.empty_cache() is None
    assert cuda.backend_name() is None
    cuda.set_device(-1)  # a negative index is a no-op in PyTorch


@no_cuda
def test_manual_seed_without_cuda_is_silently_ignored() -> None:
    pt.manual_seed(3)
    expected = pt.rand(4).numpy()
    pt.manual_seed(3)
    cuda.manual_seed(123)
    cuda.manual_seed_all(456)
    assert np.array_equal(pt.rand(4).numpy(), expected)


@no_cuda
@pytest.mark.parametrize(
    "call",
    [
        cuda.current_device,
        lambda: cuda.set_device(0),
        cuda.synchronize,
        cuda.get_device_name,
        cuda.reset_peak_memory_stats,
        lambda: pt.ones(2).cuda(),
        lambda: pt.ones(2).to("cuda"),
        lambda: pt.ones(2).to("cuda:1"),
        lambda: pt.ones(2).to(device="cuda"),
        lambda: pt.device("cuda"),
        lambda: pt.tensor([1.0], device="cuda"),
        lambda: pt.zeros(2, device="cuda:0"),
        lambda: nn.Linear(2, 2).cuda(),
        lambda: nn.Linear(2, 2).to("cuda"),
    ],
)
def test_calls_that_need_a_gpu_say_why_and_what_to_install(call: Any) -> None:
    with pytest.raises(cuda.CudaUnavailableError) as info:
        call()
    text = str(info.value)
    assert "CUDA is not available" in text and "plugtorch-cupy[cuda12]" in text
    assert isinstance(info.value, RuntimeError)


def test_cpu_keeps_host_tensors_and_modules_where_they_are() -> None:
    t = pt.ones(2, backend="numpy")
    assert t.cpu() is t and t.to("cpu") is t and t.to(pt.device("cpu")) is t
    assert not t.is_cuda
    model = nn.Linear(2, 2)
    weight = model.weight._data
    assert model.cpu() is model and model.weight._data is weight
    assert pt.tensor([1.0], device="cpu").device.type == "cpu"


def test_device_strings_are_checked() -> None:
    with pytest.raises(ValueError, match="cuda:N"):
        pt.ones(1).to("cuda:x")
    with pytest.raises(ValueError, match="just 'cpu'"):
        pt.ones(1).to("cpu:0")
    with pytest.raises(ValueError, match="only 'cuda' devices take an index"):
        pt.device("cpu", 1)


# --- with a fake CUDA backend: two "GPUs" over numpy ----------------------------------------
class FakeRuntime:
    """What ``plugtorch.cuda`` needs from a CUDA backend, over two fake devices."""

    def __init__(self) -> None:
        self.current = 0
        self.synchronized: list[int] = []
        self.backends: dict[int, Any] = {}
        self.peak_reset: list[int] = []

    def device_count(self) -> int:
        return 2

    def current_device(self) -> int:
        return self.current

    def set_device(self, index: int) -> None:
        self.current = index

    def backend_for(self, index: int) -> Any:
        return self.backends[index]

    def synchronize(self, index: int) -> None:
        self.synchronized.append(index)

    def memory_allocated(self, index: int) -> int:
        return 1000 + index

    def max_memory_allocated(self, index: int) -> int:
        return 2000 + index

    def reset_peak_memory_stats(self, index: int) -> None:
        self.peak_reset.append(index)

    def empty_cache(self) -> None:
        self.synchronized.append(-1)

    def get_device_name(self, index: int) -> str:
        return f"Fake GPU {index}"


class FakeCuda(ArrayAPIBackend):
    def __init__(self, name: str, devices: tuple[str, ...], runtime: FakeRuntime) -> None:
        super().__init__(np, name=name, devices=devices, host_memory=False)
        self.cuda_runtime = runtime


@pytest.fixture()
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRuntime:
    runtime = FakeRuntime()
    # "a-fake-cuda" sorts before "cupy", so it is the CUDA backend found even on a GPU machine.
    gpu0 = FakeCuda("a-fake-cuda", ("cuda:0", "cuda:1"), runtime)
    gpu1 = FakeCuda("a-fake-cuda:1", ("cuda:1",), runtime)
    runtime.backends = {0: gpu0, 1: gpu1}
    monkeypatch.setitem(registry._manual, "a-fake-cuda", gpu0)
    yield runtime
    for name in ("a-fake-cuda", "a-fake-cuda:1"):
        registry._manual.pop(name, None)
        registry._backends.pop(name, None)


def test_fake_cuda_queries(fake: FakeRuntime) -> None:
    assert cuda.is_available() and cuda.device_count() == 2
    assert cuda.backend_name() == "a-fake-cuda"
    assert cuda.current_device() == 0
    cuda.set_device(1)
    assert cuda.current_device() == 1
    cuda.set_device("cuda:0")
    cuda.synchronize()
    cuda.synchronize(pt.device("cuda:1"))
    assert fake.synchronized == [0, 1]
    assert cuda.memory_allocated() == 1000 and cuda.memory_allocated(1) == 1001
    assert cuda.max_memory_allocated("cuda:1") == 2001
    cuda.reset_peak_memory_stats(1)
    assert fake.peak_reset == [1]
    assert cuda.get_device_name() == "Fake GPU 0"
    with pytest.raises(RuntimeError, match="invalid device ordinal 2.*2 CUDA device"):
        cuda.get_device_name(2)
    with pytest.raises(TypeError):
        cuda.synchronize(1.5)


def test_fake_cuda_seeding_seeds_the_shared_generator(fake: FakeRuntime) -> None:
    pt.manual_seed(5)
    expected = pt.rand(3).numpy()
    pt.manual_seed(99)
    cuda.manual_seed(5)
    assert np.array_equal(pt.rand(3).numpy(), expected)


def test_fake_cuda_moves_tensors_between_devices(fake: FakeRuntime) -> None:
    x = pt.tensor([1.0, 2.0], requires_grad=True)
    on_gpu = x.cuda()
    assert on_gpu.backend.name == "a-fake-cuda" and str(on_gpu.device) == "cuda:0"
    assert on_gpu.is_cuda and on_gpu.device.type == "cuda"
    on_gpu1 = x.to("cuda:1")
    assert on_gpu1.backend.name == "a-fake-cuda:1" and on_gpu1.device.index == 1
    assert x.cuda(1).backend is on_gpu1.backend and x.to(pt.device("cuda", 1)).device.index == 1
    back = on_gpu1.cpu()
    assert back.backend.name == "numpy" and back.tolist() == [1.0, 2.0]
    (on_gpu * 3).sum().backward()  # the gradient moves back to the host
    assert x.grad.tolist() == [3.0, 3.0]
    cuda.set_device(1)
    assert pt.ones(1).to("cuda").device.index == 1  # "cuda" is the current device
    assert pt.tensor([1.0], device="cuda").device.index == 1
    assert pt.zeros(2, device="cuda:0").backend.name == "a-fake-cuda"
    assert pt.device("cuda") == pt.device("cuda:1")


def test_fake_cuda_modules_and_the_pytorch_idiom(fake: FakeRuntime) -> None:
    device = pt.device("cuda" if cuda.is_available() else "cpu")
    model = nn.Linear(3, 2)
    weight = model.weight
    assert model.to(device) is model and model.weight is weight
    assert model.weight.device.type == "cuda" and model.bias.is_cuda
    y = model(pt.ones(4, 3).to(device))
    assert y.device.type == "cuda"
    model.cpu()
    assert model.weight.backend.name == "numpy"
    model.cuda(1)
    assert model.weight.device.index == 1


def test_unavailable_backend_stays_refused_after_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    class Asleep(ArrayAPIBackend):
        def is_available(self) -> tuple[bool, str]:
            return False, "no GPU in this test"

    monkeypatch.setitem(registry._manual, "asleep", Asleep(np, name="asleep"))
    try:
        pt.list_backends()  # loads it to ask; must not leave it selectable
        assert not cuda.is_available() or cuda.backend_name() != "asleep"
        with pytest.raises(registry.BackendError, match="no GPU in this test"):
            pt.zeros(1, backend="asleep")
    finally:
        registry._backends.pop("asleep", None)
