"""``plugtorch.autocast`` against PyTorch's documented behaviour, on every backend.

The op lists below are PyTorch's "Autocast Op Reference" (CPU and CUDA op-specific behaviour),
written out here: the marks on plugtorch's ops must agree with them, and inside an enabled CPU
region exactly the listed ops change the dtype of their result.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable

import pytest

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch.ops import _autocast

BF16, F16, F32, F64 = pt.bfloat16, pt.float16, pt.float32, pt.float64

# PyTorch's CPU lists ("CPU Ops that can autocast to bfloat16 / to float32 / promote").
CPU_LOWER = {
    "conv1d", "conv2d", "conv3d", "bmm", "mm", "linalg_vecdot", "baddbmm", "addmm", "addbmm",
    "linear", "matmul", "_convolution", "conv_tbc", "mkldnn_rnn_layer", "conv_transpose1d",
    "conv_transpose2d", "conv_transpose3d", "prelu", "scaled_dot_product_attention",
    "_native_multi_head_attention",
}  # fmt: skip
CPU_FLOAT32 = {
    "avg_pool3d", "binary_cross_entropy", "grid_sampler", "polar", "prod", "quantile",
    "nanquantile", "stft", "cdist", "trace", "view_as_complex", "cholesky_inverse",
    "cholesky_solve", "inverse", "lu_solve", "orgqr", "ormqr", "pinverse", "max_pool3d",
    "max_unpool2d", "max_unpool3d", "adaptive_avg_pool3d", "reflection_pad1d",
    "reflection_pad2d", "replication_pad1d", "replication_pad2d", "replication_pad3d",
    "mse_loss", "cosine_embedding_loss", "nll_loss", "nll_loss2d", "hinge_embedding_loss",
    "poisson_nll_loss", "cross_entropy_loss", "l1_loss", "huber_loss", "margin_ranking_loss",
    "soft_margin_loss", "triplet_margin_loss", "multi_margin_loss", "ctc_loss", "kl_div",
    "multilabel_margin_loss", "binary_cross_entropy_with_logits", "fft_fft", "fft_ifft",
    "linalg_cond", "linalg_matrix_rank", "linalg_solve", "linalg_cholesky", "linalg_svdvals",
    "linalg_eigvals", "linalg_eigvalsh", "linalg_inv", "linalg_qr", "linalg_svd", "linalg_eig",
    "linalg_eigh", "linalg_lstsq", "qr", "svd", "geqrf", "triangular_solve",
}  # fmt: skip
CPU_PROMOTE = {"cat", "stack", "index_copy"}
# PyTorch's CUDA lists.
CUDA_LOWER = {
    "matmul", "mm", "bmm", "conv1d", "conv2d", "conv3d", "linear", "addmm", "addbmm", "addmv",
    "addr", "baddbmm", "multi_dot", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "prelu", "GRUCell", "LSTMCell", "RNNCell",
}  # fmt: skip
CUDA_FLOAT32 = {
    "acos", "asin", "binary_cross_entropy_with_logits", "cosh", "cosine_embedding_loss",
    "cdist", "cosine_similarity", "cross_entropy", "cumprod", "cumsum", "dist", "erfinv", "exp",
    "expm1", "group_norm", "hinge_embedding_loss", "kl_div", "l1_loss", "layer_norm", "log",
    "log_softmax", "log10", "log1p", "log2", "margin_ranking_loss", "mse_loss",
    "multilabel_margin_loss", "multi_margin_loss", "nll_loss", "norm", "normalize", "pdist",
    "poisson_nll_loss", "pow", "prod", "reciprocal", "rsqrt", "sinh", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "sum", "renorm", "tan",
    "triplet_margin_loss",
}  # fmt: skip
CUDA_PROMOTE = {
    "addcdiv", "addcmul", "atan2", "bilinear", "cross", "dot", "grid_sample", "index_put",
    "scatter_add", "tensordot",
}  # fmt: skip
# CUDA's elementwise ops, reductions and scans that plugtorch leaves unmarked: a mark costs
# every call on every backend (docs/porting.md records the difference).
CUDA_UNMARKED = {
    "acos", "asin", "cosh", "sinh", "tan", "erfinv", "exp", "expm1", "log", "log10", "log1p",
    "log2", "pow", "reciprocal", "rsqrt", "sum", "cumsum", "cumprod", "addcdiv", "addcmul",
    "atan2", "cross", "index_put", "scatter_add", "tensordot",
}  # fmt: skip
CUDA_REFUSED = {"binary_cross_entropy"}
# plugtorch's names for PyTorch's ATen op names where they differ
ATEN_NAME = {"cross_entropy": "cross_entropy_loss", "concat": "cat"}  # concat: an alias


def _marked() -> dict[str, dict[str, str | None]]:
    """Every public function of plugtorch and plugtorch.nn.functional with autocast's mark."""
    found = {}
    for namespace in (pt, F):
        for name in namespace.__all__:
            policies = getattr(getattr(namespace, name, None), "__autocast__", None)
            if policies is not None:
                found[name] = policies
    return found


def test_cpu_marks_are_pytorch_cpu_lists() -> None:
    marked = _marked()
    expected = {_autocast.LOWER: CPU_LOWER, _autocast.FLOAT32: CPU_FLOAT32}
    expected[_autocast.PROMOTE] = CPU_PROMOTE
    for name, policies in marked.items():
        policy = policies["cpu"]
        aten = ATEN_NAME.get(name, name)
        listed = [p for p, names in expected.items() if aten in names]
        assert listed == ([policy] if policy else []), f"{name}: cpu mark {policy}, lists {listed}"
    public = {ATEN_NAME.get(n, n) for n in (*pt.__all__, *F.__all__)}
    for names in expected.values():
        for aten in names & public:
            plug = next((n for n, a in ATEN_NAME.items() if a == aten), aten)
            assert plug in marked, f"{plug} is on PyTorch's CPU list but carries no mark"


def test_cuda_marks_are_pytorch_cuda_lists() -> None:
    marked = _marked()
    for name, policies in marked.items():
        policy = policies["cuda"]
        if name in CUDA_REFUSED:
            assert policy == _autocast.REFUSE
        elif policy == _autocast.LOWER:
            assert name in CUDA_LOWER
        elif policy == _autocast.FLOAT32:
            assert name in CUDA_FLOAT32
        elif policy == _autocast.PROMOTE:
            assert name in CUDA_PROMOTE
        else:
            assert name not in CUDA_LOWER | CUDA_FLOAT32 | CUDA_PROMOTE, name
    public = set(pt.__all__) | set(F.__all__)
    for name in (CUDA_LOWER | CUDA_FLOAT32 | CUDA_PROMOTE) & public - CUDA_UNMARKED:
        assert name in marked, f"{name} is on PyTorch's CUDA list but carries no mark"


def _inputs(backend: str) -> dict[str, Any]:
    ones = lambda *shape: pt.ones(*shape, backend=backend)  # noqa: E731
    return {
        "mat": ones(2, 3),
        "mat2": ones(3, 4),
        "batch": ones(2, 2, 3),
        "batch2": ones(2, 3, 2),
        "image": ones(1, 2, 5, 5),
        "kernel": ones(3, 2, 3, 3),
        "signal": ones(1, 2, 6),
        "kernel1d": ones(3, 2, 3),
        "probs": pt.full((2, 3), 0.5, backend=backend),
        "target": pt.tensor([0, 2], backend=backend),
        "vec": ones(3),
        "seq": ones(1, 2, 4, 3),
    }


# (name, call, PyTorch's CPU policy): every marked op and some unlisted neighbours
CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str | None]] = [
    ("matmul", lambda t: t["mat"] @ t["mat2"], "lower"),
    ("Tensor.matmul", lambda t: t["mat"].matmul(t["mat2"]), "lower"),
    ("mm", lambda t: pt.mm(t["mat"], t["mat2"]), "lower"),
    ("bmm", lambda t: t["batch"].bmm(t["batch2"]), "lower"),
    ("linear", lambda t: F.linear(t["mat"], t["mat2"].T), "lower"),
    ("conv2d", lambda t: F.conv2d(t["image"], t["kernel"]), "lower"),
    ("conv1d", lambda t: F.conv1d(t["signal"], t["kernel1d"]), "lower"),
    ("sdpa", lambda t: F.scaled_dot_product_attention(t["seq"], t["seq"], t["seq"]), "lower"),
    ("prod", lambda t: t["mat"].bfloat16().prod(1), "float32"),
    ("cross_entropy", lambda t: F.cross_entropy(t["mat"].bfloat16(), t["target"]), "float32"),
    ("nll_loss", lambda t: F.nll_loss(t["mat"].bfloat16(), t["target"]), "float32"),
    ("mse_loss", lambda t: F.mse_loss(t["mat"].bfloat16(), t["mat"]), "float32"),
    ("l1_loss", lambda t: F.l1_loss(t["mat"].bfloat16(), t["mat"].bfloat16()), "float32"),
    ("huber_loss", lambda t: F.huber_loss(t["mat"].bfloat16(), t["mat"].bfloat16()), "float32"),
    ("kl_div", lambda t: F.kl_div(t["mat"].bfloat16(), t["probs"].bfloat16()), "float32"),
    (
        "binary_cross_entropy",
        lambda t: F.binary_cross_entropy(t["probs"].bfloat16(), t["probs"].bfloat16()),
        "float32",
    ),
    (
        "binary_cross_entropy_with_logits",
        lambda t: F.binary_cross_entropy_with_logits(t["mat"].bfloat16(), t["probs"].bfloat16()),
        "float32",
    ),
    (
        "margin_ranking_loss",
        lambda t: F.margin_ranking_loss(t["vec"].bfloat16(), t["vec"].bfloat16(), t["vec"]),
        "float32",
    ),
    (
        "triplet_margin_loss",
        lambda t: F.triplet_margin_loss(*[t["mat"].bfloat16()] * 3),
        "float32",
    ),
    ("cat", lambda t: pt.cat([t["vec"].bfloat16(), t["vec"]]), "promote"),
    ("stack", lambda t: pt.stack([t["vec"].bfloat16(), t["vec"]]), "promote"),
    # unlisted on CPU: they run in the dtype of their inputs
    ("add", lambda t: t["mat"] + 1, None),
    ("exp", lambda t: t["mat"].exp(), None),
    ("sum", lambda t: t["mat"].sum(), None),
    ("softmax", lambda t: F.softmax(t["mat"], -1), None),
    ("log_softmax", lambda t: F.log_softmax(t["mat"].bfloat16(), -1), None),
    ("layer_norm", lambda t: F.layer_norm(t["mat"], (3,)), None),
    ("smooth_l1_loss", lambda t: F.smooth_l1_loss(t["mat"].bfloat16(), t["mat"]), None),
    ("cosine_similarity", lambda t: F.cosine_similarity(t["mat"], t["mat"]), None),
    ("dot", lambda t: pt.dot(t["vec"], t["vec"]), None),
    ("adaptive_avg_pool2d", lambda t: F.adaptive_avg_pool2d(t["image"], 3), None),
    ("max_pool2d", lambda t: F.max_pool2d(t["image"], 2), None),
    ("relu", lambda t: F.relu(t["mat"]), None),
]


def _expected(policy: str | None, without: Any, lower: Any) -> Any:
    if policy == "lower":
        return lower
    if policy == "float32":
        return F32
    if policy == "promote":
        return F32  # every promote case mixes bfloat16 with float32
    return without


@pytest.mark.parametrize("lower", [BF16, F16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("name, call, policy", CASES, ids=[c[0] for c in CASES])
def test_exactly_the_listed_ops_change_dtype(
    backend_name: str, lower: Any, name: str, call: Callable[..., Any], policy: str | None
) -> None:
    if lower not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} does not hold {lower.name} (test_refused_...)")
    inputs = _inputs(backend_name)
    without = call(inputs).dtype
    with pt.autocast("cpu", dtype=lower):
        inside = call(inputs).dtype
    assert inside is _expected(policy, without, lower), f"{name}: {inside}"
    assert call(inputs).dtype is without  # outside the region again


def test_eligibility(backend_name: str) -> None:
    """float64 and integer inputs are not cast; an explicit dtype= turns autocast off."""
    if BF16 not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} does not hold bfloat16")
    b = backend_name
    with pt.autocast("cpu"):
        assert (
            pt.ones(2, 2, dtype=F64, backend=b) @ pt.ones(2, 2, dtype=F64, backend=b)
        ).dtype is F64
        assert (pt.ones(2, 2, backend=b) @ pt.ones(2, 2, dtype=F64, backend=b)).dtype is F64
        counts = pt.ones(2, 2, dtype=pt.int64, backend=b)
        assert (counts @ counts).dtype is pt.int64
        assert pt.prod(pt.ones(3, dtype=BF16, backend=b), dtype=BF16).dtype is BF16
        assert pt.prod(pt.ones(3, dtype=BF16, backend=b)).dtype is F32
        assert pt.cat([pt.ones(2, dtype=BF16, backend=b)] * 2).dtype is BF16  # all lower: lower
        assert pt.cat([pt.ones(2, backend=b), pt.ones(2, dtype=F64, backend=b)]).dtype is F64


def test_values_and_gradients(backend_name: str) -> None:
    """The listed op computes on the bfloat16-rounded inputs; float32 weights get float32
    gradients (the cast is differentiable)."""
    if BF16 not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} does not hold bfloat16")
    x = pt.tensor([[1.0 + 2**-10, 2.0]], backend=backend_name)  # 1 + 2**-10 rounds to 1.0
    w = pt.nn.Parameter(pt.tensor([[1.0, 1.0]], backend=backend_name))
    with pt.autocast("cpu"):
        y = F.linear(x, w)
        loss = F.mse_loss(y, pt.zeros(1, 1, backend=backend_name))
    assert y.dtype is BF16 and y.tolist() == [[3.0]] and loss.dtype is F32
    loss.backward()
    assert w.grad.dtype is F32 and w.grad.tolist() == [[6.0, 12.0]]


def test_model_forward_and_backward_loop(backend_name: str) -> None:
    """A conv net under autocast: bfloat16 activations, float32 loss and gradients, and
    several forward/backward passes inside one region."""
    if BF16 not in pt.get_backend(backend_name).capabilities.dtypes:
        pytest.skip(f"{backend_name} does not hold bfloat16")
    model = pt.nn.Sequential(
        pt.nn.Conv2d(1, 2, 3), pt.nn.ReLU(), pt.nn.Flatten(), pt.nn.Linear(2 * 6 * 6, 3)
    ).to(backend_name)
    images = pt.randn(4, 1, 8, 8, backend=backend_name)
    labels = pt.tensor([0, 1, 2, 0], backend=backend_name)
    with pt.autocast("cpu", dtype=pt.bfloat16):
        for _ in range(2):
            out = model(images)
            loss = F.cross_entropy(out, labels)
            assert out.dtype is BF16 and loss.dtype is F32
            loss.backward()
    assert all(p.grad.dtype is F32 for p in model.parameters())


def test_weight_cast_cache() -> None:
    """A float32 leaf that requires grad is cast once per region (PyTorch's cast cache);
    leaving the outermost region clears it; cache_enabled=False turns it off."""
    w = pt.nn.Parameter(pt.ones(2, 2))
    x = pt.ones(2, 2)
    with pt.autocast("cpu"):
        F.linear(x, w)
        cast = _autocast.STATE.cache[id(w)][1]
        assert cast.dtype is BF16 and cast.requires_grad
        F.linear(x, w)
        assert _autocast.STATE.cache[id(w)][1] is cast and len(_autocast.STATE.cache) == 1
        F.linear(x, w * 1.0)  # not a leaf: cast each time, never cached
        assert len(_autocast.STATE.cache) == 1
    assert not _autocast.STATE.cache
    with pt.autocast("cpu", cache_enabled=False):
        F.linear(x, w)
        assert not _autocast.STATE.cache and pt.is_autocast_cache_enabled() is False
    assert pt.is_autocast_cache_enabled() is True


def test_nesting_state_and_decorator() -> None:
    assert pt.is_autocast_enabled("cpu") is False and pt.get_autocast_dtype("cpu") is BF16
    assert pt.get_autocast_dtype("cuda") is F16 and pt.is_autocast_enabled() is False
    a = pt.ones(2, 2)
    with pt.autocast("cpu"):
        assert pt.is_autocast_enabled("cpu")
        with pt.autocast("cpu", enabled=False):
            assert (a @ a).dtype is F32 and not pt.is_autocast_enabled("cpu")
        with pt.autocast("cpu", dtype=F16):
            assert (a @ a).dtype is F16 and pt.get_autocast_dtype("cpu") is F16
            with pt.autocast("cpu"):  # dtype=None: the current autocast dtype
                assert (a @ a).dtype is F16
        assert (a @ a).dtype is BF16 and pt.get_autocast_dtype("cpu") is BF16
    assert not pt.is_autocast_enabled("cpu") and (a @ a).dtype is F32

    @pt.autocast("cpu")
    def product(x: Any) -> Any:
        return x @ x

    assert product(a).dtype is BF16 and (a @ a).dtype is F32
    pt.set_autocast_enabled("cpu", True)
    try:
        assert (a @ a).dtype is BF16
        pt.set_autocast_dtype("cpu", F16)
        assert (a @ a).dtype is F16
    finally:
        pt.set_autocast_enabled("cpu", False)
        pt.set_autocast_dtype("cpu", BF16)
    assert pt.amp.is_autocast_available("cpu") and not pt.amp.is_autocast_available("xla")


def test_state_is_per_thread() -> None:
    seen: dict[str, Any] = {}

    def other() -> None:
        seen["enabled"] = pt.is_autocast_enabled("cpu")
        seen["dtype"] = (pt.ones(2, 2) @ pt.ones(2, 2)).dtype

    with pt.autocast("cpu"):
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
    assert seen == {"enabled": False, "dtype": F32}


def test_arguments_and_warnings() -> None:
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        pt.autocast(0)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        pt.autocast("tpu")
    with pytest.warns(UserWarning, match="CPU Autocast only supports dtype of"):
        region = pt.autocast("cpu", dtype=F64)
    with region:
        assert (pt.ones(2, 2) @ pt.ones(2, 2)).dtype is F32
    if not pt.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available. Disabling"):
            region = pt.autocast("cuda")
        with region:
            assert not pt.is_autocast_enabled("cuda")


def test_deprecated_spellings() -> None:
    with pytest.warns(FutureWarning, match="plugtorch.amp.autocast\\('cpu', args...\\)"):
        region = pt.cpu.amp.autocast()
    with region:
        assert (pt.ones(2, 2) @ pt.ones(2, 2)).dtype is BF16
    with pytest.warns(FutureWarning, match="plugtorch.amp.GradScaler\\('cpu', args...\\)"):
        assert pt.cpu.amp.GradScaler(init_scale=8.0).get_scale() == 8.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cuda_region = pt.cuda.amp.autocast()
        assert cuda_region.device == "cuda" and cuda_region.fast_dtype is F16
        assert pt.cuda.amp.GradScaler().is_enabled() is pt.cuda.is_available()


def test_refused_where_the_backend_lacks_the_dtype() -> None:
    """strict holds no bfloat16: a listed op raises, naming the backend and the fixes."""
    if "strict" not in [i.name for i in pt.list_backends() if i.available]:
        pytest.skip("the strict example backend is not installed")
    a = pt.ones(2, 2, backend="strict")
    with pt.autocast("cpu"), pytest.raises(TypeError) as raised:
        F.linear(a, a)
    message = str(raised.value)
    assert "backend 'strict' does not hold bfloat16" in message
    assert "autocast('cpu', enabled=False)" in message and ".to('numpy')" in message
    with pt.autocast("cpu"):
        assert (a + 1).dtype is F32 and F.mse_loss(a, a).dtype is F32  # unlisted, float32 ops


def test_custom_fwd_and_bwd() -> None:
    seen: dict[str, Any] = {}

    class Scale(pt.autograd.Function):
        @staticmethod
        @pt.amp.custom_fwd(device_type="cpu", cast_inputs=F32)
        def forward(ctx: Any, x: Any) -> Any:
            seen["forward"] = (x.dtype, pt.is_autocast_enabled("cpu"))
            return x @ x

        @staticmethod
        @pt.amp.custom_bwd(device_type="cpu")
        def backward(ctx: Any, grad: Any) -> Any:
            seen["backward"] = pt.is_autocast_enabled("cpu")
            return grad

    class Plain(pt.autograd.Function):
        @staticmethod
        @pt.amp.custom_fwd(device_type="cpu")
        def forward(ctx: Any, x: Any) -> Any:
            return x @ x

        @staticmethod
        @pt.amp.custom_bwd(device_type="cpu")
        def backward(ctx: Any, grad: Any) -> Any:
            assert pt.is_autocast_enabled("cpu") and pt.get_autocast_dtype("cpu") is F16
            return grad

    x = pt.ones(2, 2, dtype=BF16, requires_grad=True)
    with pt.autocast("cpu"):
        out = Scale.apply(x)
    assert out.dtype is F32 and seen["forward"] == (F32, False)
    out.sum().backward()
    assert seen["backward"] is False
    y = pt.ones(2, 2, requires_grad=True)
    with pt.autocast("cpu", dtype=F16):
        plain = Plain.apply(y)
    assert plain.dtype is F16
    plain.float().sum().backward()  # backward outside the region runs under the forward's
    with pytest.raises(ValueError, match="device_type"):
        pt.amp.custom_fwd(device_type=None)  # type: ignore[arg-type]
