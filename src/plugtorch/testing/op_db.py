"""The op database: sample inputs for every op in ``plugtorch.ops.REGISTRY``.

One entry per registered op (PyTorch's OpInfo idea): how to call it through the public API, the
input domain where it is smooth (so central differences are meaningful), how its inputs' shapes
relate, and a numpy reference for the forward values. Tests draw shapes with Hypothesis and
values with a seeded numpy generator, then check forward values and gradients (``gradcheck``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import erf, erfc
from typing import Any, Callable

import numpy as np

import plugtorch as pt
from plugtorch.nn.functional.recurrent import lstm_layer


@dataclass(frozen=True)
class OpInfo:
    name: str  # the registry name
    call: Callable[..., Any]  # takes tensors, returns a tensor
    arity: int = 1
    domain: str = "real"  # real | positive | nonzero | away_from_integers | away_from_zero | unit
    # | distinct (no near-ties, for max-like ops)
    shapes: str = "broadcast"  # broadcast | same | matmul | reduce | any
    ref: Callable[..., Any] | None = None  # numpy reference on float64 arrays
    differentiable: bool = True
    public: str | None = None  # public name when it differs from the registry name
    internal: str = ""  # why an op has no public name of its own
    namespace: str = ""  # where the public name lives: "" is plugtorch, else e.g. "nn.functional"
    extra: dict[str, Any] = field(default_factory=dict)


# Values where ops are most often wrong: nan, +-inf, +-0.0, +-1, float32's extremes (largest,
# smallest normal, smallest subnormal) and float64's largest; cast to a backend's dtype they stay
# special (float64's largest becomes inf in float32).
EDGE_VALUES = np.array(
    [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 3.4028234663852886e38, -3.4028234663852886e38,
     1.1754943508222875e-38, 1.401298464324817e-45, 1.7976931348623157e308],
)  # fmt: skip


OPS: list[OpInfo] = [
    # elementwise unary
    OpInfo("neg", pt.neg, ref=np.negative),
    OpInfo("abs", pt.abs, domain="away_from_zero", ref=np.abs),
    OpInfo("sign", pt.sign, domain="away_from_zero", ref=np.sign),
    OpInfo("floor", pt.floor, domain="away_from_integers", ref=np.floor),
    OpInfo("ceil", pt.ceil, domain="away_from_integers", ref=np.ceil),
    OpInfo("round", pt.round, domain="away_from_integers", ref=np.round),
    OpInfo("exp", pt.exp, ref=np.exp),
    OpInfo("log", pt.log, domain="positive", ref=np.log),
    OpInfo("log1p", pt.log1p, domain="positive", ref=np.log1p),
    OpInfo("expm1", pt.expm1, ref=np.expm1),
    OpInfo("sqrt", pt.sqrt, domain="positive", ref=np.sqrt),
    OpInfo("sin", pt.sin, ref=np.sin),
    OpInfo("cos", pt.cos, ref=np.cos),
    OpInfo("tanh", pt.tanh, ref=np.tanh),
    OpInfo("sigmoid", pt.sigmoid, ref=lambda x: 1 / (1 + np.exp(-x))),
    OpInfo(
        "tanh_backward",
        lambda g, x: _activation_grad(pt.tanh, g, x),
        2,
        shapes="same",
        ref=lambda g, x: g * (1 - np.tanh(x) ** 2),
        internal="the gradient of tanh, one op instead of three",
    ),
    OpInfo(
        "sigmoid_backward",
        lambda g, x: _activation_grad(pt.sigmoid, g, x),
        2,
        shapes="same",
        ref=lambda g, x: g * (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x))),
        internal="the gradient of sigmoid, one op instead of three",
    ),
    OpInfo("relu", pt.relu, domain="away_from_zero", ref=lambda x: np.where(x < 0, 0.0, x)),
    # elementwise binary
    OpInfo("add", pt.add, 2, ref=np.add),
    OpInfo("sub", pt.sub, 2, ref=np.subtract),
    OpInfo("mul", pt.mul, 2, ref=np.multiply),
    OpInfo("div", pt.div, 2, domain="away_from_zero", ref=np.divide),
    OpInfo(
        "remainder",
        pt.remainder,
        2,
        domain="positive",
        ref=np.remainder,
        extra={"first_scale": 3.0},
    ),
    OpInfo("pow", pt.pow, 2, domain="positive", ref=np.power),
    OpInfo("maximum", pt.maximum, 2, ref=np.maximum, extra={"signed_zeros": False}),
    OpInfo("minimum", pt.minimum, 2, ref=np.minimum, extra={"signed_zeros": False}),
    OpInfo(
        "floor_divide",
        pt.floor_divide,
        2,
        domain="away_from_zero",
        ref=np.floor_divide,
        differentiable=False,
    ),
    OpInfo("eq", pt.eq, 2, ref=np.equal, differentiable=False),
    OpInfo("ne", pt.ne, 2, ref=np.not_equal, differentiable=False),
    OpInfo("lt", pt.lt, 2, ref=np.less, differentiable=False),
    OpInfo("le", pt.le, 2, ref=np.less_equal, differentiable=False),
    OpInfo("gt", pt.gt, 2, ref=np.greater, differentiable=False),
    OpInfo("ge", pt.ge, 2, ref=np.greater_equal, differentiable=False),
    OpInfo("logical_and", pt.logical_and, 2, ref=np.logical_and, differentiable=False),
    OpInfo("logical_or", pt.logical_or, 2, ref=np.logical_or, differentiable=False),
    OpInfo("logical_xor", pt.logical_xor, 2, ref=np.logical_xor, differentiable=False),
    OpInfo("logical_not", pt.logical_not, ref=np.logical_not, differentiable=False),
    OpInfo(
        "bitwise_and",
        lambda a, b: pt.bitwise_and(a > 0, b > 0),
        2,
        ref=lambda a, b: (a > 0) & (b > 0),
        differentiable=False,
    ),
    OpInfo(
        "bitwise_or",
        lambda a, b: pt.bitwise_or(a > 0, b > 0),
        2,
        ref=lambda a, b: (a > 0) | (b > 0),
        differentiable=False,
    ),
    OpInfo(
        "bitwise_xor",
        lambda a, b: pt.bitwise_xor(a > 0, b > 0),
        2,
        ref=lambda a, b: (a > 0) ^ (b > 0),
        differentiable=False,
    ),
    OpInfo(
        "bitwise_not", lambda a: pt.bitwise_not(a > 0), ref=lambda a: ~(a > 0), differentiable=False
    ),
    OpInfo(
        "where",
        lambda c, a, b: pt.where(c > 0, a, b),
        3,
        ref=lambda c, a, b: np.where(c > 0, a, b),
        extra={"nondiff_args": (0,)},
    ),
    OpInfo(
        "clamp",
        lambda x: pt.clamp(x, -0.5, 0.5),
        domain="away_from_clamp_bounds",
        ref=lambda x: np.clip(x, -0.5, 0.5),
        extra={"signed_zeros": False},
    ),
    OpInfo(
        "astype",
        lambda x: x.to(pt.float32).to(pt.float64),
        ref=lambda x: x.astype(np.float32),
        public="to",
        internal="reached through Tensor.to(dtype) and promotion",
        extra={"gradcheck": {"eps": 1e-2, "atol": 1e-3}},
    ),
    OpInfo(
        "expand",
        lambda x: x.expand((2,) + x.shape),
        ref=lambda x: np.broadcast_to(x, (2,) + x.shape),
    ),
    # reductions
    OpInfo(
        "sum",
        lambda x: x.sum(dim=_dims(x)),
        shapes="reduce",
        ref=lambda x: x.sum(axis=_dims(x)),
        extra={"magnitudes": True},
    ),
    OpInfo(
        "prod",
        lambda x: x.prod(dim=_dims(x)),
        shapes="reduce",
        domain="away_from_zero",
        ref=lambda x: x.prod(axis=_dims(x)),
    ),
    OpInfo(
        "amax",
        lambda x: x.amax(dim=_dims(x)),
        shapes="reduce",
        domain="distinct",
        ref=lambda x: x.max(axis=_dims(x)),
        extra={"signed_zeros": False, "nonempty": True},
    ),
    OpInfo(
        "amin",
        lambda x: x.amin(dim=_dims(x), keepdim=True),
        shapes="reduce",
        domain="distinct",
        ref=lambda x: x.min(axis=_dims(x), keepdims=True),
        extra={"signed_zeros": False, "nonempty": True},
    ),
    # linear algebra
    OpInfo("matmul", pt.matmul, 2, shapes="matmul", ref=np.matmul, extra={"magnitudes": True}),
    # movement
    OpInfo("view", lambda x: x.view(-1), ref=lambda x: x.reshape(-1)),
    OpInfo(
        "reshape",
        lambda x: x.transpose(0, -1).reshape(-1),
        ref=lambda x: np.swapaxes(x, 0, -1).reshape(-1),
        extra={"min_dims": 1},
    ),
    OpInfo(
        "diagonal",
        lambda x: x.diagonal(0, 0, -1),
        ref=lambda x: np.diagonal(x, 0, 0, -1),
        extra={"min_dims": 2},
    ),
    OpInfo(
        "as_strided",
        lambda x: _as_strided_sample(x),
        ref=lambda x: x.reshape(-1)[1:],
    ),
    OpInfo("clone", pt.clone, ref=lambda x: x.copy()),
    OpInfo(
        "index_put",
        lambda x: _index_put_sample(x),
        ref=lambda x: _np_write_first(x),
        public="Tensor.__setitem__",
        internal="reached through t[index_tensor] = value",
        extra={"min_dims": 1},
    ),
    OpInfo(
        "view_scatter",
        lambda x: _view_scatter_sample(x),
        ref=lambda x: _np_write_first(x),
        public="Tensor.__setitem__",
        internal="the gradient of a write through a view (PyTorch's CopySlices)",
        extra={"min_dims": 1},
    ),
    OpInfo(
        "overwritten",
        lambda x: (x * 1).fill_(0.5),
        ref=lambda x: np.full_like(x, 0.5),
        public="Tensor.fill_",
        internal="records that an in-place fill replaced values autograd tracked",
    ),
    OpInfo("permute", lambda x: x.T, ref=lambda x: x.T),
    OpInfo(
        "cat",
        lambda a, b: pt.cat([a, b, a], dim=0),
        2,
        shapes="same",
        ref=lambda a, b: np.concatenate([a, b, a], 0),
        extra={"min_dims": 1},
    ),
    OpInfo("flip", lambda x: pt.flip(x, tuple(range(x.ndim))), ref=lambda x: np.flip(x)),
    OpInfo("getitem", lambda x: x[..., ::2], ref=lambda x: x[..., ::2], extra={"min_dims": 1}),
    OpInfo(
        "getitem_backward",
        lambda x: _getitem_grad(x),
        internal="the gradient of getitem",
        ref=lambda x: np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 0)]),
        extra={"min_dims": 1},
    ),
    OpInfo(
        "take",
        lambda x: x.reshape(-1)[pt.tensor([0, 0], backend=x.backend)],
        ref=lambda x: x.reshape(-1)[[0, 0]],
        public="index_select",
        extra={"nonempty": True},
    ),
    OpInfo(
        "index_add",
        lambda x: pt.index_add(
            x, 0, pt.tensor([0, 0], backend=x.backend), x[:1].expand((2,) + x.shape[1:])
        ),
        ref=lambda x: _np_index_add(x),
        extra={"nonempty": True, "min_dims": 1, "magnitudes": True},
    ),
    OpInfo(
        "gather",
        lambda x: pt.gather(x, 0, pt.zeros(x.shape, dtype=pt.int64, backend=x.backend)),
        ref=lambda x: np.take_along_axis(x, np.zeros(x.shape, np.int64), 0),
        extra={"min_dims": 1},
    ),
    OpInfo(
        "scatter_add",
        lambda x: pt.scatter_add(x, 0, pt.zeros(x.shape, dtype=pt.int64, backend=x.backend), x),
        ref=lambda x: _np_scatter_first(x),
        extra={"min_dims": 1, "magnitudes": True},
    ),
    OpInfo(
        "scatter_reduce",
        lambda x: _scatter_reduce_sample(x),
        domain="distinct",
        ref=lambda x: _np_scatter_reduce(x),
        extra={"min_dims": 1, "magnitudes": True, "signed_zeros": False},
    ),
    OpInfo(
        "lerp",
        pt.lerp,
        3,
        ref=lambda a, b, w: np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w)),
    ),
]


def _dims(x: Any) -> tuple[int, ...]:
    return tuple(range(0, x.ndim, 2))


def _activation_grad(function: Any, g: Any, x: Any) -> Any:
    # The backward op as autograd reaches it: differentiate the activation with create_graph.
    x = x.detach().requires_grad_() if not x.requires_grad else x
    (grad,) = pt.autograd.grad(function(x), x, grad_outputs=g, create_graph=True)
    return grad


def _getitem_grad(x: Any) -> Any:
    # getitem's backward op, reached the way autograd reaches it: differentiate a slice.
    padded_shape = x.shape[:-1] + (x.shape[-1] + 1,)
    base = pt.zeros(padded_shape, dtype=x.dtype, backend=x.backend, requires_grad=True)
    (grad,) = pt.autograd.grad(base[..., 1:], base, grad_outputs=x, create_graph=True)
    return grad


def _as_strided_sample(x: Any) -> Any:
    # as_strided exists only where arrays are strided memory; elsewhere the same values come
    # from slicing, so the sample still checks the composite on every backend.
    flat = x.clone().reshape(-1)
    if not x.backend.capabilities.mutable:
        return flat[1:]
    size = flat.numel()
    return pt.as_strided(flat, (max(size - 1, 0),), (1,), 1 if size else 0)


def _index_put_sample(x: Any) -> Any:
    out = x * 1
    if x.shape[0]:  # (an empty first dimension has no index to write)
        out[pt.tensor([0], backend=x.backend)] = x[-1:] * 2
    return out


def _view_scatter_sample(x: Any) -> Any:
    out = x * 1
    out[:1] = x[-1:] * 2
    return out


def _np_write_first(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[:1] = x[-1:] * 2
    return out


def _np_index_add(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    out[0] += 2 * x[0]
    return out


def _scatter_reduce_sample(x: Any) -> Any:
    # every row into row 0: the largest without row 0's own value, plus the product with it
    index = pt.zeros(x.shape, dtype=pt.int64, backend=x.backend)
    largest = pt.scatter_reduce(x, 0, index, x, "amax", include_self=False)
    return largest + pt.scatter_reduce(x, 0, index, x, "prod")


def _np_scatter_reduce(x: np.ndarray) -> np.ndarray:
    largest, product = x.copy(), x.copy()
    if len(x):
        largest[0] = x.max(axis=0)  # nan propagates, as PyTorch's amax
        for row in x:  # PyTorch multiplies in index order, starting from the row itself
            product[0] = product[0] * row
    return largest + product


def _np_scatter_first(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    for row in x:  # one addition at a time, in order, as PyTorch (keeps -0.0 + -0.0 = -0.0)
        out[0] += row
    return out


F = pt.nn.functional

OPS += [
    OpInfo("erf", F.erf, namespace="nn.functional", ref=lambda x: _np_erf(x), extra={"atol": 2e-7}),
    OpInfo("erfc", pt.erfc, ref=lambda x: _np_erfc(x), extra={"atol": 2e-7}),
    OpInfo(
        "leaky_relu",
        lambda x: F.leaky_relu(x, 0.2),
        domain="away_from_zero",
        namespace="nn.functional",
        ref=lambda x: np.where(x > 0, x, x * 0.2),
    ),
    OpInfo(
        "elu",
        lambda x: F.elu(x, alpha=0.5),
        domain="away_from_zero",
        namespace="nn.functional",
        ref=lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0))),
        extra={"signed_zeros": False},
    ),
    OpInfo(
        "softplus",
        lambda x: F.softplus(x, beta=2.0),
        namespace="nn.functional",
        ref=lambda x: np.where(2 * x > 20, x, np.log1p(np.exp(np.minimum(2 * x, 20))) / 2),
    ),
    OpInfo(
        "silu",
        F.silu,
        namespace="nn.functional",
        ref=lambda x: x / (1 + np.exp(-x)),
    ),
    OpInfo(
        "gelu",
        F.gelu,
        namespace="nn.functional",
        ref=lambda x: x * 0.5 * (1 + _np_erf(x / np.sqrt(2))),
        extra={"atol": 2e-7},
    ),
    OpInfo(
        "softmax",
        lambda x: F.softmax(x, dim=-1),
        namespace="nn.functional",
        ref=lambda x: (
            np.exp(x - x.max(-1, keepdims=True))
            / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)
        ),
    ),
    OpInfo(
        "relu_backward",
        lambda g, x: _activation_grad(pt.relu, g, x),
        2,
        shapes="same",
        domain="away_from_zero",
        ref=lambda g, x: np.where(x > 0, g, 0.0),
        internal="the gradient of relu, one op instead of two",
    ),
    OpInfo(
        "softmax_backward",
        lambda g, x: _activation_grad(lambda t: F.softmax(t, dim=-1), g, x),
        2,
        shapes="same",
        ref=lambda g, x: _np_softmax(x) * (g - (g * _np_softmax(x)).sum(-1, keepdims=True)),
        internal="the gradient of softmax, one op instead of four",
        # g - sum(g * y) may nearly cancel: errors are allowed relative to its terms' sizes,
        # and a zero result's sign follows the summation order (y = 0 times a cancelled sum)
        extra={
            "min_dims": 1,
            "signed_zeros": False,
            "magnitudes": lambda g, x: (
                _np_softmax(x) * (np.abs(g) + (np.abs(g) * _np_softmax(x)).sum(-1, keepdims=True))
            ),
            # no huge finite values: the gradients (softmax's second derivative) sum products
            # that overflow or cancel in an order-dependent way, with no bound to compare within;
            # +-1000 still overflow a softmax that does not subtract the maximum first
            "edge_values": np.concatenate([EDGE_VALUES[:7], EDGE_VALUES[9:11], [1e3, -1e3]]),
        },
    ),
    OpInfo(
        "log_softmax",
        lambda x: F.log_softmax(x, dim=-1),
        namespace="nn.functional",
        ref=lambda x: (
            x
            - x.max(-1, keepdims=True)
            - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True))
        ),
    ),
    OpInfo(
        "linear",
        lambda x, w: F.linear(x, w),
        2,
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x, w: x @ w.T,
        extra={"shapes": [(3, 4), (2, 4)], "magnitudes": True},
    ),
    OpInfo(
        "conv2d",
        lambda x, w: F.conv2d(x, w, padding=1, stride=2),
        2,
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x, w: _np_conv2d(x, w, 2, 1),
        extra={"shapes": [(2, 3, 5, 5), (4, 3, 3, 3)], "magnitudes": True},
    ),
    OpInfo(
        "max_pool2d",
        lambda x: F.max_pool2d(x, 2),
        shapes="fixed",
        domain="distinct",
        namespace="nn.functional",
        ref=lambda x: x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5)),
        extra={"signed_zeros": False, "shapes": [(2, 3, 4, 4)]},
    ),
    OpInfo(
        "avg_pool2d",
        lambda x: F.avg_pool2d(x, 2),
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x: x.reshape(2, 3, 2, 2, 2, 2).mean(axis=(3, 5)),
        extra={"shapes": [(2, 3, 4, 4)], "magnitudes": True},
    ),
    OpInfo(
        "cross_entropy",
        lambda x: F.cross_entropy(x, _CLASSES.to(x.backend), reduction="none"),
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x: -_np_log_softmax(x)[np.arange(4), _CLASSES.numpy()],
        extra={"shapes": [(4, 5)]},
    ),
    OpInfo(
        "lstm_layer",
        lambda x, h, c, w: lstm_layer(x, h, c, w),
        4,
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x, h, c, w: _np_lstm_layer(x, h, c, w),
        internal="the recurrence of one nn.LSTM layer (nn.LSTM and nn.LSTMCell run it)",
        # finite extremes overflow the gates' sums in an order-dependent way; the gates' sums
        # may nearly cancel, so errors are allowed relative to the layer run on magnitudes
        extra={
            "shapes": [(3, 2, 8), (2, 2), (2, 2), (8, 2)],
            "edge_values": EDGE_VALUES[:7],
            "magnitudes": True,
        },
    ),
    OpInfo(
        "scaled_dot_product_attention",
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        3,
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda q, k, v: _np_attention(q, k, v),
        # finite extremes overflow the scores' sums in an order-dependent way; the output is a
        # weighted sum of v's rows that may cancel: errors relative to the weights times |v|
        extra={
            "shapes": [(2, 3, 4), (2, 5, 4), (2, 5, 3)],
            "edge_values": EDGE_VALUES[:7],
            "magnitudes": lambda q, k, v: _np_attention(q, k, np.abs(v)),
        },
    ),
    OpInfo(
        "layer_norm",
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        3,
        shapes="fixed",
        namespace="nn.functional",
        ref=lambda x, w, b: _np_layer_norm(x, (-2, -1)) * w + b,
        # nan and +-inf turn a row into nan; no finite extremes: a sum of huge values overflows
        # in an order-dependent way. x - mean may cancel: errors relative to (|x| + |mean|) / std
        extra={
            "shapes": [(2, 3, 4), (3, 4), (3, 4)],
            "edge_values": EDGE_VALUES[:7],
            "magnitudes": lambda x, w, b: _layer_norm_magnitudes(x, w, b),
        },
    ),
    OpInfo(
        "binary_cross_entropy",
        lambda p, y: F.binary_cross_entropy(p.sigmoid(), y.sigmoid(), reduction="none"),
        2,
        shapes="same",
        namespace="nn.functional",
        ref=lambda p, y: (
            -(
                _sig(y) * np.maximum(np.log(_sig(p)), -100)
                + (1 - _sig(y)) * np.maximum(np.log(1 - _sig(p)), -100)
            )
        ),  # PyTorch clamps each log at -100
        extra={"edge_values": EDGE_VALUES[1:]},  # nan is no probability: it raises
    ),
]


_CLASSES: Any = pt.tensor([3, 0, 4, 3])  # the class targets of cross_entropy's sample


def _np_lstm_layer(x: np.ndarray, h: np.ndarray, c: np.ndarray, w: np.ndarray) -> np.ndarray:
    hidden = h.shape[1]
    out = []
    for t in range(x.shape[0]):
        gates = x[t] + h @ w.T
        i, f, g, o = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
        c = _sig(f) * c + _sig(i) * np.tanh(g)
        h = _sig(o) * np.tanh(c)
        out.append(h)
    return np.stack(out + [c])


def _np_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_log_softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def _np_attention(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    future = np.arange(k.shape[-2])[None, :] > np.arange(q.shape[-2])[:, None]
    scores = np.where(future, -np.inf, scores)
    return _np_softmax(scores) @ v


def _layer_norm_magnitudes(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """What layer_norm's rounding errors scale with: |x| + |mean| over the standard deviation
    (x - mean cancels for rows of nearly equal values), times |w|, plus |b|."""
    axes = (-2, -1)
    spread = np.abs(x) + np.abs(x.mean(axis=axes, keepdims=True))
    return spread / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5) * np.abs(w) + np.abs(b)


def _np_layer_norm(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    centered = x - x.mean(axes, keepdims=True)
    return centered / np.sqrt((centered * centered).mean(axes, keepdims=True) + 1e-5)


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _np_erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(erf, otypes=[np.float64])(x)


def _np_erfc(x: np.ndarray) -> np.ndarray:
    return np.vectorize(erfc, otypes=[np.float64])(x)


def _np_conv2d(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    x = np.pad(x, [(0, 0), (0, 0), (padding, padding), (padding, padding)])
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    ho, wo = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


# ordering and running sums (plugtorch.ops.sorting, plugtorch.ops.cumulative)
OPS += [
    OpInfo(
        "argsort",
        lambda x: pt.cat([pt.argsort(x, dim=-1), pt.argsort(x, dim=-1, descending=True)], -1),
        ref=lambda x: np.concatenate([_np_argsort(x, False), _np_argsort(x, True)], -1),
        differentiable=False,
        extra={"min_dims": 1},
    ),
    OpInfo(
        "searchsorted",
        lambda s, v: _searchsorted_sample(s, v),
        2,
        shapes="same",
        ref=lambda s, v: _np_searchsorted(s, v),
        differentiable=False,
        extra={"min_dims": 1},
    ),
    OpInfo(
        "cumsum",
        lambda x: pt.cumsum(x, dim=-1),
        ref=lambda x: np.cumsum(x, axis=-1) if x.ndim else x.copy(),
        extra={"magnitudes": True},
    ),
    OpInfo(
        "cumprod",
        lambda x: pt.cumprod(x, dim=0),
        ref=lambda x: np.cumprod(x, axis=0) if x.ndim else x.copy(),
    ),
]


def _np_argsort(x: np.ndarray, descending: bool) -> np.ndarray:
    """PyTorch's order written independently: a stable sort, nan as the largest value."""
    if not descending:
        return np.argsort(x, axis=-1, kind="stable")
    # primary key: nan first; then larger values first (negated keys ascending); stable
    return np.lexsort((-x, ~np.isnan(x)), axis=-1)


def _searchsorted_sample(s: Any, v: Any) -> Any:
    # sorted boundaries without nan (their order is then PyTorch's and numpy's alike);
    # both sides of every value, one row of values per row of boundaries
    boundaries = pt.sort(pt.where(s != s, 0.0, s), dim=-1).values
    left = pt.searchsorted(boundaries, v)
    return pt.cat([left, pt.searchsorted(boundaries, v, side="right")], -1)


def _np_searchsorted(s: np.ndarray, v: np.ndarray) -> np.ndarray:
    boundaries = np.sort(np.where(np.isnan(s), 0.0, s), axis=-1).reshape(-1, s.shape[-1])
    values = v.reshape(-1, v.shape[-1])
    found = [
        np.concatenate([np.searchsorted(b, row, "left"), np.searchsorted(b, row, "right")])
        for b, row in zip(boundaries, values)
    ]
    return np.asarray(found, dtype=np.int64).reshape(v.shape[:-1] + (2 * v.shape[-1],))


BY_NAME = {info.name: info for info in OPS}


def op_inputs(info: OpInfo, edges: bool = False) -> Any:
    """A Hypothesis strategy for float64 input arrays of ``info`` (needs ``hypothesis``).

    ``edges=True`` salts the values with :data:`EDGE_VALUES` and lets shapes have size-0
    dimensions (unless the op's ``extra["nonempty"]`` says it needs elements): inputs outside
    the smooth domain, for comparing results with the reference and with PyTorch's.
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    min_side = 0 if edges and not info.extra.get("nonempty") else 1

    @st.composite
    def draw_inputs(draw: Any) -> list[np.ndarray]:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        min_dims = info.extra.get("min_dims", 0)
        if info.shapes == "fixed":
            shapes = list(info.extra["shapes"])
        elif info.shapes == "matmul":
            n, k, m = (draw(st.integers(min_side, 4)) for _ in range(3))
            batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
            left_batch = batch if draw(st.booleans()) else batch[1:]
            kind = draw(st.sampled_from(["matrix", "vector_left", "vector_right"]))
            left = (k,) if kind == "vector_left" else left_batch + (n, k)
            right = (k,) if kind == "vector_right" else batch + (k, m)
            shapes = [left, right]
        elif info.arity == 1 or info.shapes == "same":
            shape = draw(
                hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4)
            )
            shapes = [shape] * info.arity
        else:
            result = draw(
                hnp.mutually_broadcastable_shapes(
                    num_shapes=info.arity,
                    min_dims=min_dims,
                    max_dims=3,
                    min_side=min_side,
                    max_side=4,
                )
            )
            shapes = list(result.input_shapes)
        values = [sample_values(rng, s, info.domain) for s in shapes]
        if "first_scale" in info.extra:
            values[0] = values[0] * info.extra["first_scale"]
        if edges:
            values = [np.array(v, dtype=np.float64) for v in values]  # 0-d: arrays, not floats
            share = draw(st.sampled_from([0.1, 0.3, 1.0]))
            for v in values:
                salt = rng.random(v.shape) < share
                # sums of products of huge values overflow in an order-dependent way: no
                # finite extremes there (nan and +-inf are kept: their results are not)
                default = EDGE_VALUES[:7] if info.extra.get("magnitudes") else EDGE_VALUES
                pool = info.extra.get("edge_values", default)
                v[salt] = rng.choice(pool, size=int(salt.sum()))
        return values

    return draw_inputs()


def sample_values(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    """Float64 values in the domain where an op is smooth."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, size=shape)
    if domain in ("away_from_zero", "nonzero"):
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.3, 2.0, size=shape)
    if domain == "away_from_integers":
        return rng.integers(-3, 3, size=shape) + rng.uniform(0.1, 0.4, size=shape)
    if domain == "distinct":
        # no two values within 0.05: central differences (eps 1e-6) never straddle a tie of max
        spread = rng.permutation(int(np.prod(shape, dtype=np.int64))).reshape(shape) * 0.1
        return spread - spread.mean() + rng.uniform(-0.025, 0.025, size=shape)
    if domain == "away_from_clamp_bounds":
        values = rng.uniform(-1.5, 1.5, size=shape)
        near = np.abs(np.abs(values) - 0.5) < 0.05
        return np.where(near, values * 0.5, values)
    return rng.uniform(-2.0, 2.0, size=shape)
