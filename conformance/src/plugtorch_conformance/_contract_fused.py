"""Contract rules for the fused optional primitives (layer norm, GELU, cross-entropy, attention,
the LSTM layer, the activations' gradients, the SGD step), and ``RULES``: these with the
protocol's others from :mod:`plugtorch_conformance._contract_rules` (same form: ``rule(c, name,
args, kwargs)`` checks the arguments and returns the check of the result)."""

from __future__ import annotations

from typing import Any

from plugtorch_conformance._contract_rules import RULES as PROTOCOL_RULES
from plugtorch_conformance._contract_rules import ResultCheck, Rule, is_array, is_int

__all__ = ["RULES", "FUSED_RULES"]

FLOATS = frozenset("f")
Args = tuple[Any, ...]


def _float_like(c: Any, name: str, arrays: Args, what: str) -> tuple[tuple[int, ...], Any]:
    shape, dtype = c.same(name, arrays, what)
    c.in_domain(name, dtype, FLOATS)
    return shape, dtype


def _gradients(
    c: Any, name: str, result: Any, expected: list[tuple[Any, tuple[int, ...] | None, str]]
) -> None:
    """``result`` is a tuple of one gradient per ``(asked, shape or None, what)``: an array of
    that shape where asked (and the source exists), else None or such an array."""
    c.require(isinstance(result, tuple) and len(result) == len(expected), name, "wrong arity")
    for gradient, (asked, shape, what) in zip(result, expected):
        c.require(gradient is not None or not asked, name, f"{what} is None but was asked for")
        if gradient is not None and shape is not None:
            c.result_is(name, gradient, shape, c.dtype_of(gradient), what)


def _with_state(c: Any, name: str, shape: tuple[int, ...], dtype: Any) -> ResultCheck:
    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 2, name, "not (output, state)")
        c.result_is(name, result[0], shape, dtype, "output")

    return check


def gelu(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    *arrays, approximate = args
    shape, dtype = _float_like(c, name, tuple(arrays), "grad and x")
    c.require(approximate in ("none", "tanh"), name, f"approximate {approximate!r}")
    return lambda result: c.result_is(name, result, shape, dtype)


def activation_backward(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    grad, y, *axis = args
    shape, dtype = _float_like(c, name, (grad, y), "grad and y")
    if axis:
        c.check_axis(name, axis[0], len(shape))
    return lambda result: c.result_is(name, result, shape, dtype)


def layer_norm(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    x, weight, bias, eps = args
    shape, dtype = _float_like(c, name, (x,), "x")
    c.require(len(shape) == 2 and shape[1] >= 1, name, f"x {shape} is not (M, N >= 1)")
    for what, value in (("weight", weight), ("bias", bias)):
        if value is not None:
            c.require(c.meta(value) == ((shape[1],), dtype), name, f"{what} is not x's (N,)")
    c.require(isinstance(eps, float), name, f"eps {eps!r} is not a float")

    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 2, name, "not (y, (mean, rstd))")
        c.result_is(name, result[0], shape, dtype, "y")
        for part, what in zip(result[1], ("mean", "rstd")):
            c.result_is(name, part, (shape[0],), dtype, what)

    return check


def layer_norm_backward(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    grad, x, weight, mean, rstd, *needs = args
    shape, dtype = _float_like(c, name, (grad, x), "grad and x")
    for what, value in (("mean", mean), ("rstd", rstd)):
        c.require(c.meta(value) == ((shape[0],), dtype), name, f"{what} is not x's (M,)")
    asked = needs[0] if needs else kwargs.get("needs_input_grad", (True, True, True))
    row = (shape[1],)
    return lambda result: _gradients(
        c,
        name,
        result,
        [
            (asked[0], shape, "grad_x"),
            (asked[1] and weight is not None, row, "grad_weight"),
            (asked[2], row, "grad_bias"),
        ],  # fmt: skip
    )


def cross_entropy(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    logits, target, ignore_index = args[:3]
    shape, dtype = _float_like(c, name, (logits,), "logits")
    c.require(len(shape) == 2 and shape[1] >= 1, name, f"logits {shape} are not (M, C >= 1)")
    c.require(c.meta(target)[0] == shape[:1], name, "target is not logits' (M,)")
    c.require(is_int(ignore_index), name, f"ignore_index {ignore_index!r} is not an int")
    kept = c.host(target)
    kept = kept[kept != ignore_index]
    if kept.size:  # every target that counts is a class (the core checks)
        c.require(
            int(kept.min()) >= 0 and int(kept.max()) < shape[1], name, "a target outside [0, C)"
        )
    if name == "cross_entropy":
        return _with_state(c, name, shape[:1], dtype)
    return lambda result: c.result_is(name, result, shape, dtype)  # (the backward's grad_logits)


def cross_entropy_backward(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    grad, logits, target, ignore_index, _state = args
    check = cross_entropy(c, name, (logits, target, ignore_index), kwargs)
    rows = c.meta(logits)[0][:1]
    c.require(c.meta(grad) == (rows, c.dtype_of(logits)), name, "grad is not logits' (M,)")
    return check


def lstm_layer(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    x_proj, h0, c0, w_hh = args[:4]
    (length, batch, gates), dtype = _float_like(c, name, (x_proj,), "x_proj")
    hidden = gates // 4
    c.require(length >= 1 and gates == 4 * hidden, name, "x_proj is not (L >= 1, N, 4H)")
    for what, value, want in (("h0", h0, (batch, hidden)), ("c0", c0, (batch, hidden)),
                              ("w_hh", w_hh, (gates, hidden))):  # fmt: skip
        c.require(c.meta(value) == (want, dtype), name, f"{what} is not {want} {dtype.name}")
    return _with_state(c, name, (length + 1, batch, hidden), dtype)


def lstm_layer_backward(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    grad_y, x_proj, h0, c0, w_hh, y = args[:6]
    lstm_layer(c, name, (x_proj, h0, c0, w_hh), kwargs)
    (length, batch, gates), dtype = c.meta(x_proj)
    out = (length + 1, batch, gates // 4)
    for what, value in (("grad_y", grad_y), ("y", y)):
        c.require(c.meta(value) == (out, dtype), name, f"{what} is not y's {out}")
    asked = args[7] if len(args) > 7 else kwargs.get("needs_input_grad", (True,) * 4)
    shapes = [c.meta(a)[0] for a in (x_proj, h0, c0, w_hh)]
    names = ("grad_x_proj", "grad_h0", "grad_c0", "grad_w_hh")
    return lambda result: _gradients(c, name, result, list(zip(asked, shapes, names)))


def _attention_shapes(c: Any, name: str, q: Any, k: Any, v: Any) -> tuple[Any, Any]:
    """q ``(..., L, E)``, k ``(..., S, E)``, v ``(..., S, Ev)``: equal leading dimensions (zero
    or more), L, S >= 1, any layout; returns the output's shape and the dtype."""
    q_shape, dtype = _float_like(c, name, (q,), "q")
    k_shape, v_shape = c.meta(k)[0], c.meta(v)[0]
    c.require(
        len(q_shape) >= 2 and len(k_shape) == len(v_shape) == len(q_shape),
        name,
        f"q {q_shape}, k {k_shape}, v {v_shape} are not (..., L, E), (..., S, E), (..., S, Ev)",
    )
    c.require(
        k_shape[:-2] == v_shape[:-2] == q_shape[:-2]
        and k_shape[-1] == q_shape[-1]
        and v_shape[-2] == k_shape[-2] >= 1
        and q_shape[-2] >= 1,
        name,
        f"q {q_shape}, k {k_shape}, v {v_shape} do not fit (equal leading dimensions, L, S >= 1)",
    )
    for value in (k, v):
        c.require(c.dtype_of(value) is dtype, name, "q, k, v differ in dtype")
    return (*q_shape[:-1], v_shape[-1]), dtype


def attention(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    q, k, v, scale, causal = args
    out, dtype = _attention_shapes(c, name, q, k, v)
    c.require(isinstance(scale, float) and isinstance(causal, bool), name, "scale, causal")
    return _with_state(c, name, out, dtype)


def attention_backward(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    grad, q, k, v = args[:4]
    out, dtype = _attention_shapes(c, name, q, k, v)
    c.require(c.meta(grad) == (out, dtype), name, f"grad is not the output's {out}")
    asked = args[7] if len(args) > 7 else kwargs.get("needs_input_grad", (True,) * 3)
    shapes = [c.meta(a)[0] for a in (q, k, v)]
    return lambda result: _gradients(
        c, name, result, list(zip(asked, shapes, ("grad_q", "grad_k", "grad_v")))
    )


def sgd_step(c: Any, name: str, args: Args, kwargs: dict[str, Any]) -> ResultCheck:
    shape, dtype = c.same(name, args[:3], "param, grad, momentum_buffer")
    c.in_domain(name, dtype, FLOATS)
    scalars = args[3:]
    c.require(
        len(scalars) == 7 and not any(is_array(s) for s in scalars),
        name,
        "expects seven Python scalars after the arrays",
    )
    if len(scalars) == 7:
        c.require(
            all(isinstance(flag, bool) for flag in scalars[4:]),
            name,
            "nesterov, maximize and first_step must be bools",
        )
        c.require(scalars[1] != 0, name, "is SGD with momentum: momentum must not be 0")
    if name == "sgd_step_inplace":
        return lambda result: c.require(result is None, name, "returned a value")

    def check(result: Any) -> None:
        c.require(isinstance(result, tuple) and len(result) == 2, name, "not two arrays")
        for array in result:
            c.result_is(name, array, shape, dtype)

    return check


FUSED_RULES: dict[str, Rule] = {
    "gelu": gelu,
    "gelu_backward": gelu,
    "relu_backward": activation_backward,
    "softmax_backward": activation_backward,
    "layer_norm": layer_norm,
    "layer_norm_backward": layer_norm_backward,
    "cross_entropy": cross_entropy,
    "cross_entropy_backward": cross_entropy_backward,
    "lstm_layer": lstm_layer,
    "lstm_layer_backward": lstm_layer_backward,
    "scaled_dot_product_attention": attention,
    "scaled_dot_product_attention_backward": attention_backward,
    "sgd_step": sgd_step,
    "sgd_step_inplace": sgd_step,
}

RULES: dict[str, Rule] = {**PROTOCOL_RULES, **FUSED_RULES}
