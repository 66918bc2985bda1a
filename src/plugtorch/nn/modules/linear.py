"""``Identity``, ``Linear``, ``Flatten``, ``Embedding``."""

from __future__ import annotations

from typing import Any

from plugtorch import dtypes
from plugtorch.autograd import no_grad
from plugtorch.nn import functional as F
from plugtorch.nn import init
from plugtorch.nn.module import Module
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import empty
from plugtorch.tensor import Tensor

__all__ = ["Identity", "Linear", "NonDynamicallyQuantizableLinear", "Flatten", "Embedding"]


def _factory(dtype: Any, backend: Any, device: Any) -> dict[str, Any]:
    return {
        "dtype": dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype(),
        "backend": backend if backend is not None else device,
    }


class Identity(Module):
    """Returns its input.

    >>> import plugtorch as pt
    >>> Identity()(pt.ones(1))
    tensor([1.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``; weight ``(out, in)`` and bias initialised as PyTorch's
    (``U(-1/sqrt(in), 1/sqrt(in))``).

    >>> import plugtorch as pt
    >>> Linear(3, 2)(pt.ones(4, 3)).shape
    (4, 2)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        kwargs = _factory(dtype, backend, device)
        self.weight = Parameter(empty(out_features, in_features, **kwargs))
        if bias:
            self.bias = Parameter(empty(out_features, **kwargs))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_reset(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class NonDynamicallyQuantizableLinear(Linear):
    """A ``Linear``; PyTorch gives ``MultiheadAttention.out_proj`` this class (its name keeps
    quantization tools away), so reprs and ``isinstance`` checks match.

    >>> NonDynamicallyQuantizableLinear(2, 2)
    NonDynamicallyQuantizableLinear(in_features=2, out_features=2, bias=True)
    """


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` (by default all but the batch dimension).

    >>> import plugtorch as pt
    >>> Flatten()(pt.ones(2, 3, 4)).shape
    (2, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Embedding(Module):
    """A lookup table: row ``i`` of ``weight`` (initialised ``N(0, 1)``) for index ``i``.

    >>> import plugtorch as pt
    >>> Embedding(10, 3)(pt.tensor([[1, 2]])).shape
    (1, 2, 3)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx = padding_idx
        factory = _factory(dtype, backend, device)
        self.weight = Parameter(empty(num_embeddings, embedding_dim, **factory))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0.0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
