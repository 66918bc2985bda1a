"""float16 and bfloat16 against PyTorch's documented behaviour, on every backend.

Expectations are PyTorch's, written out here: its type-promotion table for the 16-bit floats
(``torch.promote_types``, Python scalars, 0-d tensors), ``torch.finfo``, printing, ``item()``
and ``tolist()``, in-place casting rules, checkpoints (safetensors F16/BF16), and float32
accumulation (a half sum, mean, matmul, softmax or norm is the float32 result rounded once).
"""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch import dtypes

HALF = (pt.float16, pt.bfloat16)
F16, BF16, F32, F64 = pt.float16, pt.bfloat16, pt.float32, pt.float64


def _holds(backend_name: str, dtype: dtypes.DType) -> bool:
    return dtype in pt.get_backend(backend_name).capabilities.dtypes


@pytest.fixture(params=HALF, ids=lambda d: d.name)
def half(request: pytest.FixtureRequest) -> dtypes.DType:
    return request.param


def _skip_unless_held(backend_name: str, dtype: dtypes.DType) -> None:
    if not _holds(backend_name, dtype):
        pytest.skip(f"{backend_name} does not hold {dtype.name} (tested in test_refused...)")


# --- names, promotion, finfo ---------------------------------------------------------------


def test_names_and_aliases() -> None:
    assert pt.half is pt.float16 and pt.float16.itemsize == 2 and pt.bfloat16.itemsize == 2
    assert pt.float16.is_floating_point and pt.bfloat16.is_floating_point
    assert repr(pt.bfloat16) == "plugtorch.bfloat16"
    assert dtypes.as_dtype("bfloat16") is pt.bfloat16 and dtypes.as_dtype(np.float16) is F16


# (a, b, torch.promote_types(a, b)) from PyTorch's promotion table
PROMOTE_TYPES = [
    (F16, BF16, F32),
    (BF16, F16, F32),
    (F16, F16, F16),
    (BF16, BF16, BF16),
    (F16, F32, F32),
    (BF16, F32, F32),
    (BF16, F64, F64),
    (pt.int64, F16, F16),
    (pt.uint8, BF16, BF16),
    (pt.int8, F16, F16),
    (pt.bool, BF16, BF16),
    (pt.int32, BF16, BF16),
    (pt.int16, F16, F16),
    (pt.uint8, F16, F16),
    (pt.bool, F16, F16),
    (pt.int64, BF16, BF16),
    (F16, F64, F64),
]


@pytest.mark.parametrize("a, b, expected", PROMOTE_TYPES)
def test_promote_types_table(a: dtypes.DType, b: dtypes.DType, expected: dtypes.DType) -> None:
    assert pt.promote_types(a, b) is expected


def test_result_type_and_can_cast() -> None:
    """torch.result_type (tensors, 0-d tensors, Python numbers) and torch.can_cast."""
    half = pt.ones(2, dtype=F16)
    assert pt.result_type(half, 2.5) is F16 and pt.result_type(half, pt.ones(2)) is F32
    assert pt.result_type(half, pt.tensor(1.0, dtype=F64)) is F16  # 0-d, same category
    assert pt.result_type(pt.ones(2, dtype=pt.int32), pt.tensor(1.0, dtype=BF16)) is BF16
    assert pt.result_type(2, 3.0) is pt.get_default_dtype()
    assert pt.can_cast(F64, BF16) and pt.can_cast(pt.int64, F16) and pt.can_cast(pt.bool, F16)
    assert not pt.can_cast(F16, pt.int64) and not pt.can_cast(pt.int8, pt.bool)


def test_promotion_in_arithmetic(backend_name: str) -> None:
    """Tensors, 0-d tensors and Python scalars: PyTorch's category rules."""
    for dtype in HALF:
        _skip_unless_held(backend_name, dtype)
    ones = lambda dtype, *shape: pt.ones(*shape, dtype=dtype, backend=backend_name)  # noqa: E731
    assert (ones(F16, 3) + ones(BF16, 3)).dtype is F32
    assert (ones(F16, 3) + ones(F32, 3)).dtype is F32
    assert (ones(pt.int64, 3) + ones(F16, 3)).dtype is F16
    assert (ones(BF16, 3) + 2.5).dtype is BF16  # a Python float keeps the tensor's float type
    assert (ones(BF16, 3) * 2).dtype is BF16
    assert (ones(F16, 3) + ones(F32)).dtype is F16  # a 0-d tensor of the same category
    assert (ones(F16, 3) + ones(F64)).dtype is F16
    assert (ones(pt.int64, 3) + ones(F16)).dtype is F16  # 0-d of a higher category counts
    assert (ones(pt.bool, 3) + ones(BF16)).dtype is BF16
    assert (ones(F16) + ones(BF16)).dtype is F32  # two 0-d tensors
    assert (ones(pt.int32, 3) + 2.5).dtype is pt.get_default_dtype()
    assert (ones(F16, 3) < ones(BF16, 3)).dtype is pt.bool


def test_finfo_values() -> None:
    """torch.finfo: bits, eps, max, min, tiny/smallest_normal, resolution, dtype."""
    half = pt.finfo(pt.float16)
    assert (half.bits, half.eps, half.max, half.min) == (16, 2.0**-10, 65504.0, -65504.0)
    assert half.tiny == half.smallest_normal == 2.0**-14 and half.resolution == 0.001
    assert half.dtype == "float16"
    brain = pt.finfo(pt.bfloat16)
    assert (brain.bits, brain.eps, brain.tiny, brain.resolution) == (16, 2.0**-7, 2.0**-126, 0.01)
    assert brain.max == float(np.float32(3.3895313892515355e38))
    single = pt.finfo(pt.float32)
    assert single.eps == float(np.finfo(np.float32).eps) and single.max == float(
        np.finfo(np.float32).max
    )
    assert pt.finfo().bits == 32  # the default dtype
    assert pt.iinfo(pt.int16).max == 32767
    with pytest.raises(TypeError, match="not supported by plugtorch.finfo"):
        pt.finfo(pt.int32)
    with pytest.raises(TypeError, match="not supported by plugtorch.iinfo"):
        pt.iinfo(pt.float16)


# --- making, converting, printing --------------------------------------------------------------


def test_conversions_and_values(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    x = pt.tensor([1.0, 2.5, 0.1], backend=backend_name)
    y = x.half() if half is F16 else x.bfloat16()
    assert y.dtype is half and x.to(half).dtype is half and x.to(half.name).dtype is half
    assert y.element_size() == 2 and y.nbytes == 6
    # 0.1 rounds to the nearest 16-bit value: 11 significant bits (float16) or 8 (bfloat16)
    nearest = {F16: 0.0999755859375, BF16: 0.10009765625}[half]
    assert y.tolist() == [1.0, 2.5, nearest]
    assert y[2].item() == nearest and isinstance(y[2].item(), float)
    assert y.float().dtype is F32 and y.float().tolist() == [1.0, 2.5, nearest]
    assert pt.zeros(2, dtype=half, backend=backend_name).dtype is half
    assert pt.arange(3, dtype=half, backend=backend_name).tolist() == [0.0, 1.0, 2.0]
    assert pt.full((2,), 3.0, dtype=half, backend=backend_name).tolist() == [3.0, 3.0]


def test_overflow_and_rounding(backend_name: str) -> None:
    _skip_unless_held(backend_name, F16)
    big = pt.tensor([60000.0], dtype=F16, backend=backend_name)
    assert big.tolist() == [60000.0]
    assert (big * 2).tolist() == [float("inf")]  # past 65504: inf, as PyTorch
    assert pt.tensor([70000.0], backend=backend_name).half().tolist() == [float("inf")]
    assert (pt.tensor([1.0], dtype=F16, backend=backend_name) + 2.0**-11).tolist() == [1.0]
    with pytest.raises(ValueError, match="cannot be converted to type float16 without overflow"):
        pt.tensor([1e6], dtype=F16, backend=backend_name)


def test_printing(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    text = repr(pt.tensor([1.0, 2.5], dtype=half, backend=backend_name))
    assert text.startswith("tensor([1.0000, 2.5000]") and f"dtype=plugtorch.{half.name}" in text
    shown = {F16: "0.1000", BF16: "0.1001"}[half]  # the 16-bit value, 4 decimals
    where = "" if backend_name == "numpy" else f"backend='{backend_name}', "
    expected = f"tensor({shown}, {where}dtype=plugtorch.{half.name})"
    assert repr(pt.tensor(0.1, dtype=half, backend=backend_name)) == expected


def test_rand_never_reaches_one(half: dtypes.DType) -> None:
    """PyTorch draws 16-bit uniforms on the grid k / 2**digits (11 for float16, 8 for bfloat16)."""
    values = np.asarray(pt.rand(4096, dtype=half).float().tolist())
    steps = 2.0 ** (11 if half is F16 else 8)
    assert values.min() >= 0.0 and values.max() < 1.0
    np.testing.assert_array_equal(values * steps, np.floor(values * steps))
    assert pt.randn(3, 4, dtype=half).dtype is half


def test_inplace_keeps_the_target_dtype(backend_name: str) -> None:
    _skip_unless_held(backend_name, F16)
    x = pt.ones(3, dtype=F16, backend=backend_name)
    x.add_(pt.full((3,), 0.5, backend=backend_name))  # Float into Half: same kind, allowed
    assert x.dtype is F16 and x.tolist() == [1.5, 1.5, 1.5]
    x.mul_(2.5)
    assert x.tolist() == [3.75] * 3
    counts = pt.ones(3, dtype=pt.int64, backend=backend_name)
    with pytest.raises(
        TypeError, match="result type Half can't be cast to the desired output type Long"
    ):
        counts.add_(x)
    x.copy_(pt.tensor([1, 2, 3], backend=backend_name))  # copies cast freely
    assert x.tolist() == [1.0, 2.0, 3.0]


def test_gradients_flow_in_half(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    x = pt.tensor([1.0, 2.0, 3.0], dtype=half, backend=backend_name, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is half and x.grad.tolist() == [2.0, 4.0, 6.0]
    w = pt.tensor([1.0, -1.0], backend=backend_name, requires_grad=True)
    (w.to(half) * 3).sum().backward()  # the cast is differentiable: float32 gradient
    assert w.grad.dtype is F32 and w.grad.tolist() == [3.0, 3.0]


def test_refused_where_not_held() -> None:
    """strict (array-api-strict) has no float16 or bfloat16: a clear error naming both."""
    if "strict" not in [i.name for i in pt.list_backends() if i.available]:
        pytest.skip("the strict example backend is not installed")
    assert F16 not in pt.get_backend("strict").capabilities.dtypes
    with pytest.raises(TypeError, match="backend 'strict' does not hold float16"):
        pt.zeros(2, dtype=F16, backend="strict")
    with pytest.raises(TypeError, match="backend 'strict' does not hold bfloat16"):
        pt.ones(2, backend="strict").bfloat16()
    with pytest.raises(TypeError, match="backend 'strict' does not hold float16"):
        pt.ones(2, dtype=F16).to("strict")


def test_every_way_in_is_refused_where_not_held() -> None:
    """Creation, conversion, reductions with dtype=, checkpoints and modules: each names the
    backend, the dtype and the fix; none computes in another dtype instead."""
    if "strict" not in [i.name for i in pt.list_backends() if i.available]:
        pytest.skip("the strict example backend is not installed")
    on_strict = pt.ones(2, backend="strict")
    buffer = io.BytesIO()
    pt.save({"w": pt.ones(2, dtype=F16)}, buffer)
    attempts = {
        "tensor": lambda: pt.tensor(np.ones(2, np.float16), backend="strict"),
        "from_numpy": lambda: pt.from_numpy(np.ones(2, np.float16), backend="strict"),
        "rand": lambda: pt.rand(2, dtype=F16, backend="strict"),
        "randn": lambda: pt.randn(2, dtype=BF16, backend="strict"),
        "empty": lambda: pt.empty(2, dtype=F16, backend="strict"),
        "eye": lambda: pt.eye(2, dtype=F16, backend="strict"),
        "zeros_like": lambda: pt.zeros_like(on_strict, dtype=F16),
        "type": lambda: on_strict.type(F16),
        "sum(dtype=)": lambda: on_strict.sum(dtype=F16),
        "load": lambda: pt.load(io.BytesIO(buffer.getvalue()), map_location="strict"),
        "Module.half": lambda: pt.nn.Linear(2, 2).to("strict").half(),
    }
    for what, attempt in attempts.items():
        with pytest.raises(TypeError, match="backend 'strict' does not hold") as raised:
            attempt()
        assert "t.to('numpy')" in str(raised.value), what


def test_module_half_and_bfloat16(backend_name: str, half: dtypes.DType) -> None:
    """Module.half() / .bfloat16() convert floating parameters and buffers in place (the
    optimizer keeps the same Parameter objects); integer buffers stay."""
    _skip_unless_held(backend_name, half)
    model = pt.nn.Sequential(pt.nn.Linear(3, 4), pt.nn.BatchNorm1d(4)).to(backend_name)
    weight = model[0].weight
    converted = model.half() if half is F16 else model.bfloat16()
    assert converted is model and model[0].weight is weight and weight.dtype is half
    assert model[1].running_mean.dtype is half
    assert model[1].num_batches_tracked.dtype is pt.int64
    out = model(pt.randn(5, 3, backend=backend_name).to(half))
    assert out.dtype is half
    out.float().sum().backward()
    assert weight.grad.dtype is half


def test_backends_declare_half() -> None:
    assert {F16, BF16} <= set(pt.get_backend("numpy").capabilities.dtypes)
    if "numba" in [i.name for i in pt.list_backends() if i.available]:
        assert {F16, BF16} <= set(pt.get_backend("numba").capabilities.dtypes)


# --- float32 accumulation ---------------------------------------------------------------------


def _reference(values: np.ndarray, half: dtypes.DType, function) -> np.ndarray:  # noqa: ANN001
    """The float32 computation on the 16-bit values, rounded once to the 16-bit type."""
    wide = values.astype(half.numpy).astype(np.float32)
    return np.asarray(function(wide), dtype=np.float32).astype(half.numpy).astype(np.float64)


def test_sum_and_mean_accumulate_in_float32(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    ones = pt.ones(4096, dtype=half, backend=backend_name)
    # accumulating in the 16-bit type would stall at 2048 (float16) or 256 (bfloat16)
    assert ones.sum().item() == 4096.0
    assert ones.mean().item() == 1.0
    rng = np.random.default_rng(0)
    values = rng.standard_normal((64, 300)).astype(np.float32)
    x = pt.tensor(values, backend=backend_name).to(half)
    np.testing.assert_array_equal(
        np.asarray(x.sum(1).float().tolist()), _reference(values, half, lambda v: v.sum(1))
    )
    np.testing.assert_array_equal(
        np.asarray(x.mean(0).float().tolist()), _reference(values, half, lambda v: v.mean(0))
    )
    assert x.sum().dtype is half and x.mean(1).dtype is half
    assert ones.cumsum(0)[-1].item() == 4096.0 and ones.cumsum(0).dtype is half
    big = pt.tensor([300.0, 400.0], dtype=half, backend=backend_name)  # 300**2 > float16's max
    assert pt.linalg.vector_norm(big).item() == 500.0 and big.norm().dtype is half
    assert x.sum(dtype=pt.float32).dtype is F32  # an explicit dtype is the caller's choice


def test_matmul_linear_softmax_norms_round_once(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    rng = np.random.default_rng(1)
    a = rng.standard_normal((8, 256)).astype(np.float32)
    b = rng.standard_normal((256, 5)).astype(np.float32)
    x, y = pt.tensor(a, backend=backend_name).to(half), pt.tensor(b, backend=backend_name).to(half)
    a16, b16 = a.astype(half.numpy).astype(np.float32), b.astype(half.numpy).astype(np.float32)
    expected = (a16 @ b16).astype(half.numpy).astype(np.float64)
    got = np.asarray((x @ y).float().tolist())
    # float32 sums in any order: at most one 16-bit rounding step apart
    np.testing.assert_allclose(got, expected, rtol=pt.finfo(half).eps, atol=1e-6)
    assert (x @ y).dtype is half and F.linear(x, y.T).dtype is half
    np.testing.assert_allclose(
        np.asarray(F.linear(x, y.T).float().tolist()), expected, rtol=pt.finfo(half).eps, atol=1e-6
    )
    soft = F.softmax(x, dim=1)
    e = np.exp(a16 - a16.max(1, keepdims=True))
    expected_soft = (e / e.sum(1, keepdims=True)).astype(half.numpy).astype(np.float64)
    assert soft.dtype is half
    np.testing.assert_allclose(
        np.asarray(soft.float().tolist()), expected_soft, rtol=pt.finfo(half).eps, atol=1e-7
    )
    normed = F.layer_norm(x, (256,))
    centered = a16 - a16.mean(1, keepdims=True)
    expected_norm = centered / np.sqrt((centered**2).mean(1, keepdims=True) + 1e-5)
    assert normed.dtype is half
    np.testing.assert_allclose(
        np.asarray(normed.float().tolist()),
        expected_norm.astype(half.numpy).astype(np.float64),
        rtol=2 * pt.finfo(half).eps,
        atol=2 * pt.finfo(half).eps,
    )
    assert x.var(1).dtype is half and x.std().dtype is half and x.logsumexp(1).dtype is half


def test_conv_and_pooling_in_half(backend_name: str, half: dtypes.DType) -> None:
    _skip_unless_held(backend_name, half)
    rng = np.random.default_rng(2)
    image = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    kernel = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    x = pt.tensor(image, backend=backend_name).to(half).requires_grad_()
    w = pt.tensor(kernel, backend=backend_name).to(half).requires_grad_()
    y = F.conv2d(x, w, padding=1)
    wide = F.conv2d(x.detach().float(), w.detach().float(), padding=1)
    assert y.dtype is half
    np.testing.assert_allclose(
        np.asarray(y.float().tolist()),
        np.asarray(wide.to(half).float().tolist()),
        rtol=pt.finfo(half).eps,
        atol=1e-3,
    )
    pooled, where = F.max_pool2d(y, 2, return_indices=True)
    assert pooled.dtype is half and where.dtype is pt.int64
    assert F.avg_pool2d(y, 2).dtype is half
    pooled.float().sum().backward()
    assert x.grad.dtype is half and w.grad.dtype is half


def test_checkpoint_roundtrip(backend_name: str, half: dtypes.DType) -> None:
    """safetensors stores F16 and BF16: the values and dtype come back exactly."""
    _skip_unless_held(backend_name, half)
    pytest.importorskip("safetensors")
    state = {
        "w": pt.tensor(
            [[0.1, -2.5], [65504.0 if half is F16 else 1e30, 3.0]], backend=backend_name
        ).to(half)
    }
    buffer = io.BytesIO()
    pt.save(state, buffer)
    buffer.seek(0)
    loaded = pt.load(buffer)
    assert loaded["w"].dtype is half
    assert loaded["w"].tolist() == state["w"].tolist()


# --- without ml_dtypes ------------------------------------------------------------------------


def test_core_works_without_ml_dtypes() -> None:
    """With ml_dtypes hidden, plugtorch imports, float16 works, bfloat16 names the package."""
    script = (
        "import sys\n"
        "sys.modules['ml_dtypes'] = None\n"  # makes `import ml_dtypes` fail
        "import plugtorch as pt\n"
        "assert (pt.ones(3, dtype=pt.float16) + 1).sum().item() == 6.0\n"
        "assert pt.finfo(pt.bfloat16).eps == 2 ** -7\n"
        "try:\n"
        "    pt.ones(2, dtype=pt.bfloat16)\n"
        "except ImportError as error:\n"
        "    assert 'pip install ml-dtypes' in str(error), error\n"
        "    print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_mixed_dtype_norms_and_explicit_dtype(backend_name: str, half: dtypes.DType) -> None:
    """PyTorch's CPU norms take a 16-bit input with float32 weights and return the input's
    dtype (so a float32 LayerNorm inside autocast keeps bfloat16 activations); an explicit
    dtype, by keyword or position, is the caller's choice."""
    _skip_unless_held(backend_name, half)
    x = pt.randn(4, 6, backend=backend_name).to(half)
    norm = pt.nn.LayerNorm(6).to(backend_name)
    assert norm(x).dtype is half and F.layer_norm(x, (6,), norm.weight, norm.bias).dtype is half
    batch = pt.nn.BatchNorm1d(6).to(backend_name)
    assert batch(x).dtype is half and batch.running_mean.dtype is F32
    assert F.softmax(x, 1, F32).dtype is F32 and F.log_softmax(x, 1, dtype=F32).dtype is F32
    assert F.softmax(x, 1).dtype is half


@settings(max_examples=1, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_op_of_the_op_database_keeps_the_16_bit_dtype(data: st.DataObject) -> None:
    """Forward and backward of every registered op in float16 and bfloat16 on numpy: results
    and gradients keep the dtype. Under ``make test`` the contract checker also sees every
    primitive call, so an accumulating primitive handed 16-bit arrays fails here."""
    from plugtorch.testing.op_db import OPS, op_inputs

    for half in HALF:
        for info in OPS:
            values = data.draw(op_inputs(info), label=info.name)
            nondiff = info.extra.get("nondiff_args", ())
            tensors = [
                pt.tensor(v, dtype=half, requires_grad=info.differentiable and i not in nondiff)
                for i, v in enumerate(values)
            ]
            with np.errstate(all="ignore"):
                out = info.call(*tensors)
                wide = info.call(*[t.detach().float() for t in tensors])
            expected = half if wide.dtype is F32 else wide.dtype
            assert out.dtype is expected, f"{info.name} in {half.name}: {out.dtype}"
            if out.requires_grad:
                out.float().sum().backward()
                for t in tensors:
                    assert t.grad is None or t.grad.dtype is half, f"{info.name} gradient"
