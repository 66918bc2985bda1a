"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``, composites
of differentiable ops with PyTorch's masking rules.

Two mask conventions, as in PyTorch: for ``scaled_dot_product_attention`` a boolean
``attn_mask`` says which positions *take part* (True = attend); for multi-head attention
boolean masks say which positions are *masked out* (True = ignore). Float masks are added to the
scores in both. A query row whose every key is masked gives zeros from
``scaled_dot_product_attention`` (PyTorch's "safe softmax") and nan from the weights path of
multi-head attention (``need_weights=True``, a plain softmax), as in PyTorch.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from plugtorch import dtypes
from plugtorch.backend.protocol import AcceleratedBackend
from plugtorch.nn.functional.activation import softmax
from plugtorch.nn.functional.layers import dropout, linear
from plugtorch.ops._autocast import LOWER, autocast_op
from plugtorch.ops._precision import apply_in_float32
from plugtorch.ops._prepare import astype
from plugtorch.ops.creation import arange, zeros, zeros_like
from plugtorch.ops.elementwise import where
from plugtorch.ops.indexing import masked_fill
from plugtorch.ops.registry import op
from plugtorch.ops.shape import cat, pad
from plugtorch.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward", "canonical_mask"]


def _safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dimension where rows that are entirely -inf give zeros (no nan,
    and no nan in the gradient either: those rows are replaced before the softmax). Written
    without a host round trip, so a device backend is not synchronised."""
    empty = (scores == -math.inf).all(-1, keepdim=True)
    weights = softmax(where(empty, 0.0, scores), -1)
    return where(empty, 0.0, weights)


def _repeat_heads(x: Tensor, groups: int) -> Tensor:
    """``x.repeat_interleave(groups, dim=-3)`` written with expand and reshape."""
    shape = x.shape
    expanded = x.unsqueeze(-3).expand(*shape[:-2], groups, *shape[-2:])
    return expanded.reshape(*shape[:-3], shape[-3] * groups, *shape[-2:])


@op("scaled_dot_product_attention", primitive="scaled_dot_product_attention", state=True)
def attention_op(
    b: AcceleratedBackend, q: Any, k: Any, v: Any, *, scale: float, causal: bool
) -> Any:
    """softmax(q @ k^T * scale (causal: keys after the query masked out)) @ v over the last two
    dimensions (leading dimensions equal, any layout: the backend's fused primitive takes the
    arrays as they are, e.g. the heads of a (B, L, H, D) projection viewed as (B, H, L, D),
    with no copy; it also returns what its backward needs, e.g. the attention weights).

    Gradient: the scaled_dot_product_attention_backward primitive, else the decomposition's
    (with P the weights: dV = P^T dO, dS = P * (dO V^T - rowsum(...)) * scale, dQ = dS K,
    dK = dS^T Q).
    """
    return b.scaled_dot_product_attention(q, k, v, scale, causal)


@attention_op.decomposition
def _(q: Tensor, k: Tensor, v: Tensor, *, scale: float, causal: bool) -> Tensor:
    scores = (q @ k.mT) * scale
    if causal:
        rows = arange(q.shape[-2], backend=q.backend).unsqueeze(-1)
        allowed = rows >= arange(k.shape[-2], backend=q.backend)  # tril of an (L, S) ones
        scores = masked_fill(scores, ~allowed, -math.inf)
    return softmax(scores, -1) @ v


@attention_op.backward_primitive("scaled_dot_product_attention_backward")
def _(b: AcceleratedBackend, ctx: Any, g: Tensor, needs: tuple[bool, ...]) -> tuple[Any, ...]:
    q, k, v = (t._data for t in ctx.inputs)
    p = ctx.params
    need_q, need_k, need_v = needs
    return b.scaled_dot_product_attention_backward(
        g._data, q, k, v, p["scale"], p["causal"], ctx.state, (need_q, need_k, need_v)
    )


@autocast_op(cpu=LOWER, cuda=None)
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + bias) @ value`` over the last two dimensions
    (``query (..., L, E)``, ``key (..., S, E)``, ``value (..., S, Ev)``), ``scale`` defaulting to
    ``1 / sqrt(E)``.

    ``bias`` comes from ``attn_mask`` (boolean: True where a query may attend; float: added)
    and ``is_causal`` (a lower-triangular ``(L, S)`` mask; then ``attn_mask`` must be None).
    ``dropout_p`` drops attention weights (always, as PyTorch's function: pass 0 in
    evaluation). ``enable_gqa`` shares each key/value head among ``Hq / Hk`` query heads.
    Without a mask or dropout it is one op (the backend's fused attention primitive where it
    has one); otherwise gradients come from the composing ops.

    >>> import plugtorch as pt
    >>> q = k = v = pt.eye(2).reshape(1, 2, 2)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True)
    tensor([[[1.0000, 0.0000],
             [0.3302, 0.6698]]])
    """
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention expects query, key and value of 2+ dims")
    if key.shape[-1] != query.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query's last dimension {query.shape[-1]} differs "
            f"from key's {key.shape[-1]}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: key has {key.shape[-2]} positions but value has "
            f"{value.shape[-2]}"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or heads % value.shape[-3]:
            raise RuntimeError(
                f"enable_gqa: the number of query heads ({heads}) must be a multiple of the "
                f"number of key/value heads ({kv_heads}, {value.shape[-3]})"
            )
        key = _repeat_heads(key, heads // kv_heads)
        value = _repeat_heads(value, heads // value.shape[-3])
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if (
        attn_mask is None
        and dropout_p == 0.0
        and length
        and source
        and query.dtype is key.dtype is value.dtype
        and query.dtype.is_floating_point
        and query.shape[:-2] == key.shape[:-2] == value.shape[:-2]
    ):  # one op: the backend's fused attention where it has one
        inputs = (query, key, value)
        return apply_in_float32(
            attention_op, inputs, query.dtype, scale=float(factor), causal=is_causal
        )
    scores = (query @ key.mT) * factor
    if is_causal:
        rows = arange(length, backend=query.backend).unsqueeze(-1)
        allowed = rows >= arange(source, backend=query.backend)  # tril of an (L, S) ones
        scores = masked_fill(scores, ~allowed, -math.inf)
    if attn_mask is not None:
        if attn_mask.dtype is dtypes.bool_:
            scores = masked_fill(scores, ~attn_mask, -math.inf)
        else:
            scores = scores + astype(attn_mask, scores.dtype)
    # Only an explicit mask can empty a row (a causal row always keeps its first key).
    weights = softmax(scores, -1) if attn_mask is None else _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other_type: Any,
    other_name: str,
    target_type: dtypes.DType,
    check_other: bool = True,
) -> Tensor | None:
    """A mask as an additive float mask of ``target_type`` (a boolean mask's True becomes
    -inf), as PyTorch's multi-head attention reads them."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype is not dtypes.bool_ and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype is not other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same type "
            "for both instead.",
            UserWarning,
            stacklevel=3,
        )
    if is_float:
        return mask
    return masked_fill(zeros_like(mask, dtype=target_type), mask, -math.inf)


def _mha_shape_check(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    key_padding_mask: Tensor | None,
    attn_mask: Tensor | None,
    num_heads: int,
) -> bool:
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.ndim}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _in_projection_packed(
    query: Tensor, key: Tensor, value: Tensor, weight: Tensor, bias: Tensor | None
) -> tuple[Tensor, Tensor, Tensor]:
    """q, k, v from the packed ``(3E, E)`` weight: one matmul for self-attention, two when
    key is value (encoder-decoder attention), three otherwise; the values are the same."""
    embed = query.shape[-1]
    if key is value:
        if query is key:
            q, k, v = linear(query, weight, bias).chunk(3, -1)
            return q, k, v
        w_q, w_kv = weight.split([embed, 2 * embed])
        b_q, b_kv = (None, None) if bias is None else bias.split([embed, 2 * embed])
        k, v = linear(key, w_kv, b_kv).chunk(2, -1)
        return linear(query, w_q, b_q), k, v
    w_q, w_k, w_v = weight.chunk(3)
    b_q, b_k, b_v = (None, None, None) if bias is None else bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on sequence-first inputs ``query (L, N, E)``, ``key (S, N, Ek)``,
    ``value (S, N, Ev)`` (or unbatched ``(L, E)``...), PyTorch's
    ``F.multi_head_attention_forward``: project, split into ``num_heads`` heads of
    ``E / num_heads``, attend (masks: boolean True = ignore, float = added), join, project out.

    Returns ``(output (L, N, E), weights)``; ``weights`` is ``(N, L, S)`` averaged over heads
    (``(N, num_heads, L, S)`` without ``average_attn_weights``) when ``need_weights``, else None.

    >>> import plugtorch as pt
    >>> x = pt.ones(3, 1, 4)
    >>> w, b = pt.cat([pt.eye(4)] * 3), pt.zeros(12)
    >>> out, weights = multi_head_attention_forward(x, x, x, 4, 2, w, b, None, None, False, 0.0,
    ...                                             pt.eye(4), None)
    >>> out.shape, weights.shape
    ((3, 1, 4), (1, 3, 3))
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        same_kv, same_qk = key is value, query is key
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = canonical_mask(
        key_padding_mask,
        "key_padding_mask",
        None if attn_mask is None else attn_mask.dtype,
        "attn_mask",
        query.dtype,
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint alone makes the attention causal
    else:
        attn_mask = canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    _check(
        embed_dim == embed_dim_to_check,
        f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}",
    )
    head_dim = embed_dim // num_heads
    _check(
        head_dim * num_heads == embed_dim,
        f"embed_dim {embed_dim} not divisible by num_heads {num_heads}",
    )
    if use_separate_proj_weight:
        _check(
            key.shape[:2] == value.shape[:2],
            f"key's sequence and batch dims {key.shape[:2]} do not match value's {value.shape[:2]}",
        )
        for name, weight in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            _check(
                weight is not None,
                f"use_separate_proj_weight is True but {name}_proj_weight is None",
            )
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q = linear(query, q_proj_weight, b_q)  # type: ignore[arg-type]
        k = linear(key, k_proj_weight, b_k)  # type: ignore[arg-type]
        v = linear(value, v_proj_weight, b_v)  # type: ignore[arg-type]
    else:
        _check(
            key.shape == value.shape,
            f"key shape {key.shape} does not match value shape {value.shape}",
        )
        _check(
            in_proj_weight is not None,
            "use_separate_proj_weight is False but in_proj_weight is None",
        )
        assert in_proj_weight is not None  # for type checkers; checked just above
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            expected = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{expected}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        _check(static_k is None, "bias cannot be added to static key.")
        _check(static_v is None, "bias cannot be added to static value.")
        k = cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    else:
        _check(bias_k is None and bias_v is None, "bias_k and bias_v must both be given or None")
    # Heads become part of the batch: (L, N, E) -> (N * heads, L, head_dim).
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "key")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "value")
    if add_zero_attn:
        blank = zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype, backend=k.backend)
        k = cat([k, blank], 1)
        v = cat([v, blank], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        _check(
            tuple(key_padding_mask.shape) == (bsz, src_len),
            f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
            f"{tuple(key_padding_mask.shape)}",
        )
        per_head = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        per_head = per_head.reshape(bsz * num_heads, 1, src_len)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.mT
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        attended = weights @ v
        output = _out_projection(attended, tgt_len, bsz, embed_dim, out_proj_weight, out_proj_bias)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not is_batched:
            return output.squeeze(1), weights.squeeze(0)
        return output, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    attended = scaled_dot_product_attention(
        q.reshape(bsz, num_heads, tgt_len, head_dim),
        k.reshape(bsz, num_heads, src_len, head_dim),
        v.reshape(bsz, num_heads, src_len, head_dim),
        attn_mask,
        dropout_p,
        is_causal,
    )
    attended = attended.reshape(bsz * num_heads, tgt_len, head_dim)
    output = _out_projection(attended, tgt_len, bsz, embed_dim, out_proj_weight, out_proj_bias)
    return (output if is_batched else output.squeeze(1)), None


def _heads(
    x: Tensor, static: Tensor | None, bsz: int, num_heads: int, head_dim: int, name: str
) -> Tensor:
    """``(S, N, E) -> (N * heads, S, head_dim)``, or the given ``static`` projection."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    _check(
        static.shape[0] == bsz * num_heads,
        f"expecting static_{name[0]}.size(0) of {bsz * num_heads}, but got {static.shape[0]}",
    )
    _check(
        static.shape[2] == head_dim,
        f"expecting static_{name[0]}.size(2) of {head_dim}, but got {static.shape[2]}",
    )
    return static


def _out_projection(
    attended: Tensor,
    tgt_len: int,
    bsz: int,
    embed_dim: int,
    weight: Tensor,
    bias: Tensor | None,
) -> Tensor:
    """``(N * heads, L, head_dim) -> (L, N, E)`` through the output projection."""
    joined = attended.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    return linear(joined, weight, bias).reshape(tgt_len, bsz, weight.shape[0])
