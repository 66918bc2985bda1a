"""The plumbing PyTorch scripts touch first: accelerator, backends flags, compile,
inference_mode, default dtype and device, determinism, threads, Generator, module paths.

Expectations are PyTorch's documented behaviour, written out here (PyTorch is not imported).
"""

from __future__ import annotations

import importlib
import threading
import warnings

import numpy as np
import pytest

import plugtorch as pt
from plugtorch import compiler

HAS_CUDA = pt.cuda.is_available()


# --- accelerator ----------------------------------------------------------------------------


@pytest.mark.skipif(HAS_CUDA, reason="checks the answers of a machine without an accelerator")
def test_accelerator_without_one_answers_as_cpu_only_pytorch() -> None:
    assert pt.accelerator.is_available() is False
    assert pt.accelerator.device_count() == 0
    assert pt.accelerator.current_accelerator() is None
    assert pt.accelerator.current_accelerator(check_available=True) is None
    for call in (
        pt.accelerator.current_device_index,
        lambda: pt.accelerator.set_device_index(0),
        pt.accelerator.synchronize,
    ):
        with pytest.raises(RuntimeError, match="none is available"):
            call()
    # the idiom from PyTorch's documentation
    device = pt.accelerator.current_accelerator() or pt.device("cpu")
    assert pt.zeros(2, device=device).device.type == "cpu"


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA backend and GPU")
def test_accelerator_with_a_gpu() -> None:
    device = pt.accelerator.current_accelerator()
    assert device is not None and device.type == "cuda" and device.index is None
    assert pt.accelerator.device_count() >= 1
    assert pt.accelerator.current_device_index() == 0
    with pt.accelerator.device_index(0):
        pt.accelerator.synchronize()


# --- backends flags -------------------------------------------------------------------------


def test_cudnn_flags_have_pytorch_defaults_and_can_be_set() -> None:
    cudnn = pt.backends.cudnn
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (
        True,
        False,
        False,
        True,
    )
    assert cudnn.is_available() is False and cudnn.version() is None
    cudnn.benchmark = True
    try:
        assert pt.backends.cudnn.benchmark is True
        with cudnn.flags(enabled=False, deterministic=True):
            assert (cudnn.enabled, cudnn.deterministic, cudnn.benchmark) == (False, True, False)
        assert (cudnn.enabled, cudnn.deterministic, cudnn.benchmark) == (True, False, True)
    finally:
        cudnn.benchmark = False


def test_tf32_flag_and_matmul_precision_are_one_setting() -> None:
    matmul = pt.backends.cuda.matmul
    assert pt.get_float32_matmul_precision() == "highest" and matmul.allow_tf32 is False
    try:
        pt.set_float32_matmul_precision("medium")
        assert matmul.allow_tf32 is True
        matmul.allow_tf32 = False
        assert pt.get_float32_matmul_precision() == "highest"
        matmul.allow_tf32 = True
        assert pt.get_float32_matmul_precision() == "high"
    finally:
        pt.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="'highest', 'high', 'medium'"):
        pt.set_float32_matmul_precision("low")
    assert matmul.allow_fp16_reduced_precision_reduction is True
    with pytest.raises(AttributeError):
        matmul.allow_fp8 = True  # type: ignore[attr-defined]


def test_mps_is_never_available() -> None:
    assert pt.backends.mps.is_available() is False
    assert pt.backends.mps.is_built() is False


# --- compile --------------------------------------------------------------------------------


def _quiet(call):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call()


def test_compile_returns_the_same_function_or_module() -> None:
    def f(x):  # type: ignore[no-untyped-def]
        return x + 1

    model = pt.nn.Linear(2, 1)
    assert _quiet(lambda: pt.compile(f)) is f
    assert _quiet(lambda: pt.compile(model, mode="max-autotune", dynamic=True)) is model
    assert _quiet(lambda: pt.compile(fullgraph=True)(f)) is f  # decorator with arguments
    assert pt.compile(f, disable=True) is f


def test_compile_notes_once(monkeypatch) -> None:
    monkeypatch.setattr(compiler, "_noted", False)
    with pytest.warns(UserWarning, match="returns the model unchanged"):
        pt.compile(lambda x: x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pt.compile(lambda x: x)  # second time: silent


def test_compile_checks_arguments_as_pytorch() -> None:
    with pytest.raises(RuntimeError, match="Either mode or options"):
        pt.compile(lambda x: x, mode="default", options={"a": 1})
    with pytest.raises(RuntimeError, match="Unrecognized mode"):
        pt.compile(lambda x: x, mode="fastest")
    with pytest.raises(RuntimeError, match="function or nn.Module"):
        pt.compile(3)
    assert pt.compiler.is_compiling() is False
    assert pt.compiler.disable(print) is print


# --- inference_mode -------------------------------------------------------------------------


def test_inference_mode_records_no_graph_and_restores() -> None:
    w = pt.ones(2, requires_grad=True)
    assert pt.is_inference_mode_enabled() is False
    with pt.inference_mode():
        assert pt.is_inference_mode_enabled() and not pt.is_grad_enabled()
        assert (w * 2).requires_grad is False
        with pt.inference_mode(False):  # PyTorch: mode=False turns gradient recording on
            assert not pt.is_inference_mode_enabled() and pt.is_grad_enabled()
            assert (w * 2).requires_grad is True
        assert pt.is_inference_mode_enabled()
    assert pt.is_grad_enabled() and not pt.is_inference_mode_enabled()
    assert (w * 2).requires_grad is True


def test_inference_mode_as_decorator_with_and_without_parentheses() -> None:
    w = pt.ones(2, requires_grad=True)

    @pt.inference_mode()
    def with_parentheses(x):  # type: ignore[no-untyped-def]
        return x * 2

    @pt.inference_mode
    def without(x):  # type: ignore[no-untyped-def]
        return x * 2

    assert with_parentheses(w).requires_grad is False
    assert without(w).requires_grad is False
    assert without.__name__ == "without"
    assert (w * 2).requires_grad is True


def test_inference_mode_is_thread_local() -> None:
    seen: list[bool] = []
    with pt.inference_mode():
        thread = threading.Thread(target=lambda: seen.append(pt.is_inference_mode_enabled()))
        thread.start()
        thread.join()
    assert seen == [False]


# --- default dtype and device ---------------------------------------------------------------


def test_default_dtype_drives_floating_factories() -> None:
    pt.set_default_dtype(pt.float64)
    try:
        assert pt.get_default_dtype() is pt.float64
        for made in (pt.zeros(1), pt.tensor([1.0]), pt.arange(0.0, 1.0, 0.5), pt.rand(1)):
            assert made.dtype is pt.float64
        assert pt.nn.Linear(2, 2).weight.dtype is pt.float64
        assert pt.tensor([1]).dtype is pt.int64  # integers are not affected
        assert pt.tensor([1.0], dtype=pt.float32).dtype is pt.float32
    finally:
        pt.set_default_dtype(pt.float32)
    with pytest.raises(TypeError):
        pt.set_default_dtype(pt.int64)


def test_default_device(backend_name: str) -> None:
    try:
        pt.set_default_device(backend_name)
        assert pt.get_default_device().backend == backend_name
        assert pt.zeros(1).backend.name == backend_name
        assert pt.zeros(1, backend="numpy").backend.name == "numpy"  # explicit wins
    finally:
        pt.set_default_device(None)
    assert pt.get_default_device() == pt.device("cpu")


def test_device_as_context_manager(backend_name: str) -> None:
    with pt.device(backend_name) as chosen:
        assert chosen.backend == backend_name
        assert pt.ones(2).backend.name == backend_name
    assert pt.ones(2).backend.name == pt.get_default_device().backend


@pytest.mark.skipif(HAS_CUDA, reason="checks the error of a machine without a CUDA backend")
def test_default_device_cuda_without_gpu_says_why() -> None:
    with pytest.raises(RuntimeError, match="CUDA device"):
        pt.set_default_device("cuda")


# --- determinism and threads ----------------------------------------------------------------


def test_deterministic_algorithms_flags() -> None:
    assert pt.are_deterministic_algorithms_enabled() is False
    try:
        pt.use_deterministic_algorithms(True, warn_only=True)
        assert pt.are_deterministic_algorithms_enabled()
        assert pt.is_deterministic_algorithms_warn_only_enabled()
        assert pt.get_deterministic_debug_mode() == 1
        pt.set_deterministic_debug_mode("error")
        assert pt.get_deterministic_debug_mode() == 2
        assert not pt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        pt.use_deterministic_algorithms(False)
    assert pt.get_deterministic_debug_mode() == 0
    with pytest.raises(TypeError):
        pt.use_deterministic_algorithms("yes")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="debug_mode"):
        pt.set_deterministic_debug_mode("sometimes")


def test_num_threads(monkeypatch) -> None:
    from plugtorch import _settings

    monkeypatch.setattr(_settings, "_num_threads", None)
    assert pt.get_num_threads() >= 1
    pt.set_num_threads(1)
    assert pt.get_num_threads() == 1
    for bad, error in ((0, RuntimeError), (-2, RuntimeError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error):
            pt.set_num_threads(bad)  # type: ignore[arg-type]
    if "numba" in [b.name for b in pt.list_backends() if b.available]:
        from plugtorch_numba import _threads

        assert _threads.num_threads() == 1
    monkeypatch.setattr(_settings, "_num_interop_threads", None)
    pt.set_num_interop_threads(2)
    assert pt.get_num_interop_threads() == 2
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        pt.set_num_interop_threads(3)


# --- Generator ------------------------------------------------------------------------------


def test_generator_streams_are_seeded_and_independent() -> None:
    a = pt.Generator().manual_seed(7)
    b = pt.Generator().manual_seed(7)
    assert a.initial_seed() == 7
    assert a.numpy().random() == b.numpy().random()
    fresh_1, fresh_2 = pt.Generator(), pt.Generator()
    assert fresh_1.initial_seed() == fresh_2.initial_seed() == 67280421310721  # PyTorch's
    assert fresh_1.numpy().integers(1 << 30) == fresh_2.numpy().integers(1 << 30)
    pt.manual_seed(0)
    expected = pt.rand(1).item()
    pt.manual_seed(0)
    a.numpy().random(5)  # drawing from a private stream leaves the global one where it was
    assert pt.rand(1).item() == expected
    assert pt.manual_seed(5) is pt.default_generator and pt.initial_seed() == 5


def test_generator_state_round_trip_and_seed_range() -> None:
    g = pt.Generator().manual_seed(1)
    g.numpy().random(3)
    state = g.get_state()
    assert state.dtype is pt.uint8 and state.shape == (40,)
    first = g.numpy().random(4)
    np.testing.assert_array_equal(g.set_state(state).numpy().random(4), first)
    assert pt.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError, match="Overflow"):
        pt.Generator().manual_seed(2**64)
    with pytest.raises(TypeError):
        pt.Generator().manual_seed("1")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="40 bytes"):
        g.set_state(pt.zeros(3, dtype=pt.uint8))
    pt.set_rng_state(pt.get_rng_state())  # the global one round-trips too


# --- module paths ---------------------------------------------------------------------------

MODULE_PATHS = [
    "plugtorch.accelerator",
    "plugtorch.backends",
    "plugtorch.backends.cuda",
    "plugtorch.backends.cudnn",
    "plugtorch.backends.mps",
    "plugtorch.compiler",
    "plugtorch.onnx",
    "plugtorch.serialization",
    "plugtorch.utils.data",
    "plugtorch.utils.data.dataloader",
    "plugtorch.utils.data.dataset",
    "plugtorch.utils.data.distributed",
    "plugtorch.utils.data.sampler",
    *(
        f"plugtorch.nn.modules.{name}"
        for name in (
            "activation",
            "batchnorm",
            "container",
            "conv",
            "dropout",
            "flatten",
            "linear",
            "loss",
            "module",
            "normalization",
            "pooling",
            "rnn",
            "sparse",
        )
    ),
]


@pytest.mark.parametrize("path", MODULE_PATHS)
def test_module_path_imports(path: str) -> None:
    module = importlib.import_module(path)
    for name in getattr(module, "__all__", ()):
        assert hasattr(module, name), f"{path}.{name} is in __all__ but missing"


def test_pytorch_names_at_their_paths() -> None:
    from plugtorch.nn.modules.batchnorm import BatchNorm2d
    from plugtorch.nn.modules.dropout import Dropout
    from plugtorch.nn.modules.module import Module
    from plugtorch.nn.modules.sparse import Embedding

    assert Module is pt.nn.Module and Dropout is pt.nn.Dropout
    assert Embedding is pt.nn.Embedding and BatchNorm2d is pt.nn.BatchNorm2d


def test_recurrent_layers_at_their_path() -> None:
    from plugtorch.nn.modules.activation import MultiheadAttention
    from plugtorch.nn.modules.rnn import GRU, LSTM, LSTMCell

    assert LSTM is pt.nn.LSTM and GRU is pt.nn.GRU and LSTMCell is pt.nn.LSTMCell
    assert MultiheadAttention is pt.nn.MultiheadAttention


def test_onnx_export_is_refused_with_the_alternative() -> None:
    assert issubclass(pt.onnx.OnnxExporterError, RuntimeError)
    with pytest.raises(pt.onnx.OnnxExporterError, match="state_dict.*torch.onnx.export"):
        pt.onnx.export(pt.nn.Linear(2, 1), (pt.ones(1, 2),), "model.onnx")
    with pytest.raises(pt.onnx.OnnxExporterError, match="not supported"):
        pt.onnx.dynamo_export(pt.nn.Linear(2, 1), pt.ones(1, 2))
    assert pt.onnx.is_in_onnx_export() is False
