"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers: outputs equal to
the formulas of PyTorch's documentation written out in numpy for fixed weights (loaded through
PyTorch-named state_dicts whose keys are written here), masks, options, gradcheck in float64,
on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

import plugtorch as pt
import plugtorch.nn.functional as F
from plugtorch import nn
from plugtorch.autograd import gradcheck

RNG = np.random.default_rng(5)
NEG = -np.inf


def np_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(-1, keepdims=True)


def t(values, backend, grad=False, dtype=pt.float64):
    return pt.tensor(values, dtype=dtype, backend=backend, requires_grad=grad)


# --- scaled_dot_product_attention -----------------------------------------------------------


def np_sdpa(q, k, v, bias=None, scale=None):
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = q @ np.swapaxes(k, -1, -2) * scale
    if bias is not None:
        scores = scores + bias
    return np_softmax(scores) @ v


def test_sdpa_plain_scaled_and_float_mask(backend_name):
    q, k, v = RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal((2, 3, 6, 5)), \
        RNG.standard_normal((2, 3, 6, 7))  # fmt: skip
    bias = RNG.standard_normal((4, 6))
    got = F.scaled_dot_product_attention(t(q, backend_name), t(k, backend_name), t(v, backend_name))
    np.testing.assert_allclose(got.numpy(), np_sdpa(q, k, v), rtol=1e-12)
    got = F.scaled_dot_product_attention(
        t(q, backend_name), t(k, backend_name), t(v, backend_name), t(bias, backend_name),
        scale=0.3,
    )  # fmt: skip
    np.testing.assert_allclose(got.numpy(), np_sdpa(q, k, v, bias, 0.3), rtol=1e-12)


def test_sdpa_bool_mask_means_take_part_and_causal_is_top_left(backend_name):
    q, k, v = RNG.standard_normal((2, 3, 5)), RNG.standard_normal((2, 4, 5)), \
        RNG.standard_normal((2, 4, 2))  # fmt: skip
    keep = RNG.random((2, 3, 4)) > 0.4
    keep[..., 0] = True
    got = F.scaled_dot_product_attention(
        t(q, backend_name), t(k, backend_name), t(v, backend_name),
        pt.tensor(keep, backend=backend_name),
    )  # fmt: skip
    np.testing.assert_allclose(got.numpy(), np_sdpa(q, k, v, np.where(keep, 0, NEG)), rtol=1e-12)
    causal = np.tril(np.ones((3, 4), dtype=bool))  # (L, S) = (3, 4): aligned top-left
    got = F.scaled_dot_product_attention(
        t(q, backend_name), t(k, backend_name), t(v, backend_name), is_causal=True
    )
    np.testing.assert_allclose(got.numpy(), np_sdpa(q, k, v, np.where(causal, 0, NEG)), rtol=1e-12)


def test_sdpa_fully_masked_row_gives_zeros_and_finite_gradients(backend_name):
    q = t(RNG.standard_normal((1, 2, 3)), backend_name, True)
    k = t(RNG.standard_normal((1, 3, 3)), backend_name, True)
    v = t(RNG.standard_normal((1, 3, 3)), backend_name, True)
    keep = pt.tensor([[[True, False, True], [False, False, False]]], backend=backend_name)
    out = F.scaled_dot_product_attention(q, k, v, keep)
    np.testing.assert_array_equal(out.detach().numpy()[0, 1], [0.0, 0.0, 0.0])
    out.sum().backward()
    for x in (q, k, v):
        assert np.isfinite(x.grad.numpy()).all()


def test_sdpa_grouped_query_attention(backend_name):
    q = RNG.standard_normal((1, 4, 3, 2))  # 4 query heads
    k, v = RNG.standard_normal((1, 2, 5, 2)), RNG.standard_normal((1, 2, 5, 2))  # 2 kv heads
    got = F.scaled_dot_product_attention(
        t(q, backend_name), t(k, backend_name), t(v, backend_name), enable_gqa=True
    )
    want = np_sdpa(q, np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_sdpa_gradcheck_dropout_and_errors(backend_name):
    q = t(RNG.standard_normal((2, 3, 2)), backend_name, True)
    k = t(RNG.standard_normal((2, 4, 2)), backend_name, True)
    v = t(RNG.standard_normal((2, 4, 3)), backend_name, True)
    bias = t(RNG.standard_normal((3, 4)), backend_name, True)
    assert gradcheck(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, m), (q, k, v, bias))
    assert gradcheck(lambda a, b: F.scaled_dot_product_attention(a, b, v, is_causal=True), (q, k))
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    np.testing.assert_array_equal(dropped.detach().numpy(), np.zeros((2, 3, 3)))
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, k, v, bias, is_causal=True)
    with pytest.raises(RuntimeError, match="query's last dimension 2 differs from key's 3"):
        F.scaled_dot_product_attention(q, v, v)


def test_sdpa_on_heads_viewed_out_of_a_projection(backend_name):
    """q, k, v as GPT models make them: (B, L, H, E) views of one projection transposed to
    (B, H, L, E) (no copy), the output transposed back; values, the layout-free result of
    transpose(1, 2).reshape and float64 gradients (gradcheck) on the fused path."""
    batch, length, heads, width = 2, 5, 3, 4
    # own generators: the draws of the shared one stay as the tests below had them
    qkv = np.random.default_rng(51).standard_normal((batch, length, 3 * heads * width))

    def attend(x, causal=True):
        q, k, v = (
            part.reshape(batch, length, heads, width).transpose(1, 2)
            for part in x.split(heads * width, dim=2)
        )
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return y.transpose(1, 2).reshape(batch, length, heads * width)

    q, k, v = (
        part.reshape(batch, length, heads, width).transpose(0, 2, 1, 3)
        for part in np.split(qkv, 3, axis=2)
    )
    future = np.triu(np.ones((length, length), dtype=bool), 1)
    for causal in (True, False):
        want = np_sdpa(q, k, v, np.where(future, NEG, 0) if causal else None)
        want = want.transpose(0, 2, 1, 3).reshape(batch, length, heads * width)
        got = attend(t(qkv, backend_name), causal)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
        got32 = attend(t(qkv, backend_name, dtype=pt.float32), causal)
        np.testing.assert_allclose(got32.numpy(), want, rtol=1e-5, atol=1e-5)
    x = t(qkv, backend_name, grad=True)
    assert gradcheck(attend, (x,))
    assert gradcheck(lambda a: attend(a, causal=False), (x,))


def test_sdpa_without_leading_dimensions(backend_name):
    """(L, E) operands (no batch or head dimension), causal with more keys than queries."""
    rng = np.random.default_rng(52)
    q, k, v = (rng.standard_normal(shape) for shape in ((3, 4), (5, 4), (5, 2)))
    causal = np.tril(np.ones((3, 5), dtype=bool))
    args = [t(a, backend_name, True) for a in (q, k, v)]
    got = F.scaled_dot_product_attention(*args, is_causal=True)
    np.testing.assert_allclose(got.detach().numpy(), np_sdpa(q, k, v, np.where(causal, 0, NEG)))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True), args)


# --- multi-head attention ---------------------------------------------------------------------


def np_mha(query, key, value, w, heads, add_mask=None, zero_attn=False):
    """Sequence-first (L, N, E) inputs; ``w`` holds PyTorch-named parameters as arrays."""
    embed = query.shape[-1]
    if "in_proj_weight" in w:
        w_q, w_k, w_v = np.split(w["in_proj_weight"], 3)
    else:
        w_q, w_k, w_v = w["q_proj_weight"], w["k_proj_weight"], w["v_proj_weight"]
    b_q, b_k, b_v = np.split(w["in_proj_bias"], 3) if "in_proj_bias" in w else (0, 0, 0)
    q, k, v = query @ w_q.T + b_q, key @ w_k.T + b_k, value @ w_v.T + b_v
    length, batch = q.shape[:2]
    if "bias_k" in w:
        k = np.concatenate([k, np.broadcast_to(w["bias_k"], (1, batch, embed))])
        v = np.concatenate([v, np.broadcast_to(w["bias_v"], (1, batch, embed))])
    d = embed // heads

    def split(x):  # (S, N, E) -> (N, heads, S, d)
        return x.reshape(x.shape[0], batch, heads, d).transpose(1, 2, 0, 3)

    qh, kh, vh = split(q), split(k), split(v)
    if zero_attn:
        kh = np.concatenate([kh, np.zeros((batch, heads, 1, d))], axis=2)
        vh = np.concatenate([vh, np.zeros((batch, heads, 1, d))], axis=2)
    scores = qh @ np.swapaxes(kh, -1, -2) / math.sqrt(d)
    if add_mask is not None:
        scores = scores + add_mask
    weights = np_softmax(scores)
    out = (weights @ vh).transpose(2, 0, 1, 3).reshape(length, batch, embed)
    out = out @ w["out_proj.weight"].T + w.get("out_proj.bias", 0)
    return out, weights


def mha_state(embed, kdim=None, vdim=None, bias=True, bias_kv=False):
    """PyTorch's names and shapes for MultiheadAttention's state_dict, random values."""
    shapes = {}
    if kdim is None and vdim is None:
        shapes["in_proj_weight"] = (3 * embed, embed)
    else:
        shapes.update(q_proj_weight=(embed, embed), k_proj_weight=(embed, kdim or embed),
                      v_proj_weight=(embed, vdim or embed))  # fmt: skip
    if bias:
        shapes["in_proj_bias"] = (3 * embed,)
    if bias_kv:
        shapes.update(bias_k=(1, 1, embed), bias_v=(1, 1, embed))
    shapes["out_proj.weight"] = (embed, embed)
    if bias:
        shapes["out_proj.bias"] = (embed,)
    return {name: RNG.uniform(-0.5, 0.5, shape) for name, shape in shapes.items()}


def load(module, state, backend):
    module.load_state_dict({k: pt.tensor(v, dtype=pt.float64) for k, v in state.items()})
    return module.to(backend)


MHA_CASES = [
    dict(),
    dict(batch_first=True),
    dict(kdim=3, vdim=5),
    dict(bias=False),
    dict(add_bias_kv=True),
    dict(add_zero_attn=True),
    dict(need_weights=False),
    dict(average_attn_weights=False),
    dict(key_padding_mask="bool"),
    dict(attn_mask="bool", key_padding_mask="bool"),
    dict(attn_mask="float"),
    dict(attn_mask="3d"),
    dict(attn_mask="bool", need_weights=False, batch_first=True),
]


@pytest.mark.parametrize(
    "case", MHA_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items())
)
def test_mha_matches_reference(backend_name, case):
    case = dict(case)
    need_weights = case.pop("need_weights", True)
    average = case.pop("average_attn_weights", True)
    mask_kind, padding_kind = case.pop("attn_mask", None), case.pop("key_padding_mask", None)
    batch_first = case.get("batch_first", False)
    embed, heads, length, source, batch = 4, 2, 3, 5, 2
    mha = nn.MultiheadAttention(embed, heads, dtype=pt.float64, **case)
    state = mha_state(embed, case.get("kdim"), case.get("vdim"), case.get("bias", True),
                      case.get("add_bias_kv", False))  # fmt: skip
    assert list(mha.state_dict()) == list(state)
    load(mha, state, backend_name)
    query = RNG.standard_normal((length, batch, embed))
    key = RNG.standard_normal((source, batch, case.get("kdim", embed)))
    value = RNG.standard_normal((source, batch, case.get("vdim", embed)))
    extra = int(case.get("add_bias_kv", False)) + int(case.get("add_zero_attn", False))
    add = np.zeros((batch, heads, length, source + extra))
    kwargs = {}
    if padding_kind:
        ignore = RNG.random((batch, source)) < 0.3
        ignore[:, 0] = False
        kwargs["key_padding_mask"] = pt.tensor(ignore, backend=backend_name)
        add[..., :source] += np.where(ignore, NEG, 0)[:, None, None, :]
    if mask_kind == "bool":
        ignore = RNG.random((length, source)) < 0.3
        ignore[:, 1] = False
        kwargs["attn_mask"] = pt.tensor(ignore, backend=backend_name)
        add[..., :source] += np.where(ignore, NEG, 0)
    elif mask_kind == "float":
        values = RNG.standard_normal((length, source))
        kwargs["attn_mask"] = t(values, backend_name)
        add[..., :source] += values
    elif mask_kind == "3d":
        values = RNG.standard_normal((batch * heads, length, source))
        kwargs["attn_mask"] = t(values, backend_name)
        add[..., :source] += values.reshape(batch, heads, length, source)
    want_out, want_w = np_mha(query, key, value, state, heads, add, case.get("add_zero_attn"))

    def given(a):
        return t(np.swapaxes(a, 0, 1) if batch_first else a, backend_name)

    out, weights = mha(given(query), given(key), given(value), need_weights=need_weights,
                       average_attn_weights=average, **kwargs)  # fmt: skip
    got = out.detach().numpy()
    np.testing.assert_allclose(np.swapaxes(got, 0, 1) if batch_first else got, want_out,
                               rtol=1e-10, atol=1e-12)  # fmt: skip
    if not need_weights:
        assert weights is None
    elif average:
        np.testing.assert_allclose(weights.detach().numpy(), want_w.mean(1), rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_allclose(weights.detach().numpy(), want_w, rtol=1e-10, atol=1e-12)


def test_mha_self_attention_unbatched_and_causal(backend_name):
    mha = nn.MultiheadAttention(4, 2, dtype=pt.float64)
    state = mha_state(4)
    load(mha, state, backend_name)
    x = RNG.standard_normal((3, 4))
    causal = nn.Transformer.generate_square_subsequent_mask(3, dtype=pt.float64).to(backend_name)
    out, weights = mha(t(x, backend_name), t(x, backend_name), t(x, backend_name), attn_mask=causal)
    add = np.triu(np.full((3, 3), NEG), 1)
    want_out, want_w = np_mha(x[:, None], x[:, None], x[:, None], state, 2, add)
    np.testing.assert_allclose(out.detach().numpy(), want_out[:, 0], rtol=1e-10)
    np.testing.assert_allclose(weights.detach().numpy(), want_w.mean(1)[0], rtol=1e-10)
    hinted, _ = mha(t(x, backend_name), t(x, backend_name), t(x, backend_name), attn_mask=causal,
                    need_weights=False, is_causal=True)  # fmt: skip
    np.testing.assert_allclose(hinted.detach().numpy(), want_out[:, 0], rtol=1e-10)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        mha(t(x, backend_name), t(x, backend_name), t(x, backend_name), is_causal=True)


def test_mha_fully_masked_rows_as_pytorch():
    mha = nn.MultiheadAttention(4, 2)
    x = pt.randn(3, 1, 4)
    ignore_all = pt.ones(1, 3, dtype=pt.bool)
    with np.errstate(invalid="ignore"):  # 0 / 0 in the softmax: nan, as PyTorch gives
        out, weights = mha(x, x, x, key_padding_mask=ignore_all)
    assert np.isnan(out.detach().numpy()).all() and np.isnan(weights.detach().numpy()).all()
    out, _ = mha(x, x, x, key_padding_mask=ignore_all, need_weights=False)
    bias = mha.out_proj.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), np.broadcast_to(bias, (3, 1, 4)))


def test_mha_gradcheck(backend_name):
    mha = nn.MultiheadAttention(4, 2, dtype=pt.float64).to(backend_name)
    q = t(RNG.standard_normal((3, 2, 4)), backend_name, True)
    kv = t(RNG.standard_normal((2, 2, 4)), backend_name, True)
    assert gradcheck(lambda a, b, w: mha(a, b, b)[0], (q, kv, mha.in_proj_weight))
    assert gradcheck(lambda a: mha(a, a, a, need_weights=False)[0], (q,))


def test_mha_init_and_errors():
    mha = nn.MultiheadAttention(6, 3, add_bias_kv=True)
    bound = math.sqrt(6 / (6 + 18))  # xavier_uniform on (3E, E)
    assert np.abs(mha.in_proj_weight.detach().numpy()).max() <= bound
    np.testing.assert_array_equal(mha.in_proj_bias.detach().numpy(), np.zeros(18))
    np.testing.assert_array_equal(mha.out_proj.bias.detach().numpy(), np.zeros(6))
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    assert mha.bias_k.shape == (1, 1, 6) and mha.head_dim == 2
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        nn.MultiheadAttention(0, 2)
    x = pt.randn(3, 2, 6)
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is \\(2, 3\\)"):
        mha(x, x, x, attn_mask=pt.zeros(2, 3))
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
        mha(x, x[0], x[0])
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask"):
        mha(x, x, x, key_padding_mask=pt.zeros(2, 3, dtype=pt.int64))


# --- Transformer layers ----------------------------------------------------------------------


def np_layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def np_gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_encoder_layer(x, w, heads, add=None, norm_first=False, act=lambda a: np.maximum(a, 0)):
    def attend(h):
        sub = {k[len("self_attn.") :]: v for k, v in w.items() if k.startswith("self_attn.")}
        return np_mha(h, h, h, sub, heads, add)[0]

    def ff(h):
        hidden = act(h @ w["linear1.weight"].T + w["linear1.bias"])
        return hidden @ w["linear2.weight"].T + w["linear2.bias"]

    def norm(h, i):
        return np_layer_norm(h, w[f"norm{i}.weight"], w[f"norm{i}.bias"])

    if norm_first:
        x = x + attend(norm(x, 1))
        return x + ff(norm(x, 2))
    x = norm(x + attend(x), 1)
    return norm(x + ff(x), 2)


ENCODER_KEYS = {
    "self_attn.in_proj_weight": (12, 4), "self_attn.in_proj_bias": (12,),
    "self_attn.out_proj.weight": (4, 4), "self_attn.out_proj.bias": (4,),
    "linear1.weight": (6, 4), "linear1.bias": (6,), "linear2.weight": (4, 6),
    "linear2.bias": (4,), "norm1.weight": (4,), "norm1.bias": (4,), "norm2.weight": (4,),
    "norm2.bias": (4,),
}  # fmt: skip


def random_state(shapes):
    return {k: RNG.uniform(-0.6, 0.6, s) for k, s in shapes.items()}


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
def test_encoder_layer_matches_reference(backend_name, norm_first, activation):
    act = {"relu": "relu", "gelu": "gelu", "callable": F.tanh}[activation]
    np_act = {"relu": lambda a: np.maximum(a, 0), "gelu": np_gelu, "callable": np.tanh}[activation]
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, activation=act,
                                       norm_first=norm_first, dtype=pt.float64)  # fmt: skip
    assert {k: tuple(v.shape) for k, v in layer.state_dict().items()} == ENCODER_KEYS
    state = random_state(ENCODER_KEYS)
    load(layer, state, backend_name)
    x = RNG.standard_normal((5, 2, 4))
    ignore = np.zeros((2, 5), dtype=bool)
    ignore[1, 3:] = True
    add = np.where(ignore, NEG, 0)[:, None, None, :]
    got = layer(t(x, backend_name), src_key_padding_mask=pt.tensor(ignore, backend=backend_name))
    want = np_encoder_layer(x, state, 2, add, norm_first, np_act)
    # gelu's erf is a polynomial approximation (absolute error 1.5e-7) on some backends: an
    # absolute error that the feed-forward and the layer norm carry to outputs near zero too,
    # so the allowance is absolute (a relative 1e-6 failed on other random draws)
    rtol, atol = (1e-6, 1e-6) if activation == "gelu" else (1e-10, 1e-12)
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=rtol, atol=atol)


def test_decoder_layer_matches_reference(backend_name):
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0, batch_first=True,
                                       dtype=pt.float64)  # fmt: skip
    shapes = {k: v for k, v in ENCODER_KEYS.items()}
    for name in ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"):
        shapes["multihead_attn." + name] = ENCODER_KEYS["self_attn." + name]
    shapes.update({"norm3.weight": (4,), "norm3.bias": (4,)})
    order = [k for k in layer.state_dict()]
    assert order[:8] == [
        "self_attn.in_proj_weight",
        "self_attn.in_proj_bias",
        "self_attn.out_proj.weight",
        "self_attn.out_proj.bias",
        "multihead_attn.in_proj_weight",
        "multihead_attn.in_proj_bias",
        "multihead_attn.out_proj.weight",
        "multihead_attn.out_proj.bias",
    ]
    assert set(order) == set(shapes) and len(order) == 18
    state = random_state(shapes)
    load(layer, state, backend_name)
    tgt, memory = RNG.standard_normal((4, 2, 4)), RNG.standard_normal((6, 2, 4))
    causal = np.triu(np.full((4, 4), NEG), 1)
    got = layer(t(np.swapaxes(tgt, 0, 1), backend_name), t(np.swapaxes(memory, 0, 1), backend_name),
                tgt_mask=t(causal, backend_name))  # fmt: skip

    def sub(prefix):
        return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}

    def norm(h, i):
        return np_layer_norm(h, state[f"norm{i}.weight"], state[f"norm{i}.bias"])

    x = norm(tgt + np_mha(tgt, tgt, tgt, sub("self_attn."), 2, causal)[0], 1)
    x = norm(x + np_mha(x, memory, memory, sub("multihead_attn."), 2)[0], 2)
    hidden = np.maximum(x @ state["linear1.weight"].T + state["linear1.bias"], 0)
    want = norm(x + hidden @ state["linear2.weight"].T + state["linear2.bias"], 3)
    np.testing.assert_allclose(np.swapaxes(got.detach().numpy(), 0, 1), want, rtol=1e-10)


def test_transformer_state_dict_and_composition(backend_name):
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                           dim_feedforward=6, dropout=0.0, dtype=pt.float64)  # fmt: skip
    keys = list(model.state_dict())
    assert len(keys) == 2 * 12 + 2 + 18 + 2
    assert keys[0] == "encoder.layers.0.self_attn.in_proj_weight"
    assert "encoder.norm.weight" in keys and "decoder.layers.0.multihead_attn.out_proj.bias" in keys
    assert keys[-1] == "decoder.norm.bias"
    # every matrix Xavier-initialised: the two encoder copies are independent parameters
    first, second = model.encoder.layers[0], model.encoder.layers[1]
    assert first.linear1.weight is not second.linear1.weight
    model.to(backend_name)
    src = t(RNG.standard_normal((5, 2, 4)), backend_name)
    tgt = t(RNG.standard_normal((3, 2, 4)), backend_name)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=pt.float64).to(backend_name)
    out = model(src, tgt, tgt_mask=mask)
    memory = model.encoder.norm(second(first(src)))
    layer = model.decoder.layers[0]
    want = model.decoder.norm(layer(tgt, memory, tgt_mask=mask, tgt_is_causal=True))
    np.testing.assert_allclose(out.detach().numpy(), want.detach().numpy(), rtol=1e-12)


def test_encoder_detects_a_causal_mask_and_gradcheck(backend_name):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, dtype=pt.float64)
    encoder = nn.TransformerEncoder(layer, 1, norm=nn.LayerNorm(4, dtype=pt.float64))
    encoder.to(backend_name)
    x = t(RNG.standard_normal((3, 1, 4)), backend_name, True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=pt.float64).to(backend_name)
    detected = encoder(x, mask=mask)
    explicit = encoder(x, mask=mask, is_causal=True)
    np.testing.assert_allclose(detected.detach().numpy(), explicit.detach().numpy())
    assert gradcheck(lambda a: encoder(a, mask=mask), (x,))


def test_transformer_is_a_base_class():
    class TinySeq2Seq(nn.Transformer):
        def __init__(self, vocab):
            super().__init__(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=16, dropout=0.0, batch_first=True)  # fmt: skip
            self.embed = nn.Embedding(vocab, 8)
            self.head = nn.Linear(8, vocab)

        def forward(self, src, tgt):
            mask = self.generate_square_subsequent_mask(tgt.shape[1])
            return self.head(super().forward(self.embed(src), self.embed(tgt), tgt_mask=mask))

    pt.manual_seed(3)
    model = TinySeq2Seq(vocab=5)
    opt = pt.optim.Adam(model.parameters(), lr=0.02)
    src = pt.tensor(RNG.integers(0, 5, (4, 6)))
    losses = []
    for _ in range(15):
        opt.zero_grad()
        logits = model(src, src[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 5), src[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert "embed.weight" in model.state_dict() and "encoder.norm.weight" in model.state_dict()


def test_transformer_errors_and_mask():
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=8)  # fmt: skip
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(pt.randn(3, 2, 4), pt.randn(3, 1, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(pt.randn(3, 2, 4), pt.randn(3, 2, 5))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        nn.TransformerEncoderLayer(4, 2, activation="swish")
    mask = nn.Transformer.generate_square_subsequent_mask(3).numpy()
    np.testing.assert_array_equal(mask, np.triu(np.full((3, 3), -np.inf), 1))
    assert mask.dtype == np.float32
