"""More activation layers: ``LeakyReLU ELU Softplus`` (see
:mod:`plugtorch.nn.functional.activation_more`)."""

from __future__ import annotations

from plugtorch.nn.functional import activation_more as F
from plugtorch.nn.module import Module
from plugtorch.tensor import Tensor

__all__ = ["LeakyReLU", "ELU", "Softplus"]


def _inplace(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class LeakyReLU(Module):
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    >>> import plugtorch as pt
    >>> LeakyReLU(0.1)(pt.tensor([-1.0, 2.0]))
    tensor([-0.1000,  2.0000])
    >>> LeakyReLU()
    LeakyReLU(negative_slope=0.01)
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace(self.inplace)}"


class ELU(Module):
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    >>> import plugtorch as pt
    >>> ELU()(pt.tensor([0.0, 1.0]))
    tensor([0., 1.])
    >>> ELU(alpha=0.5, inplace=True)
    ELU(alpha=0.5, inplace=True)
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace)}"


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``; ``x`` where ``beta * x > threshold``.

    >>> import plugtorch as pt
    >>> Softplus()(pt.tensor([0.0, 100.0]))
    tensor([  0.6931, 100.0000])
    >>> Softplus()
    Softplus(beta=1.0, threshold=20.0)
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"
