"""``LayerNorm``, ``BatchNorm1d``, ``BatchNorm2d``, ``Dropout``."""

from __future__ import annotations

from typing import Any, Sequence

from plugtorch import dtypes
from plugtorch.nn import functional as F
from plugtorch.nn.module import Module
from plugtorch.nn.modules.linear import _factory
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import ones, tensor, zeros
from plugtorch.tensor import Tensor

__all__ = ["LayerNorm", "BatchNorm1d", "BatchNorm2d", "Dropout"]


class LayerNorm(Module):
    """Normalise over the last dimensions, then scale and shift (``weight`` 1, ``bias`` 0).

    >>> import plugtorch as pt
    >>> LayerNorm(2)(pt.tensor([[1.0, 3.0]]))
    tensor([[-1.0000,  1.0000]], grad_fn=<LayerNormBackward0>)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        factory = _factory(dtype, backend, device)
        if elementwise_affine:
            self.weight = Parameter(ones(*self.normalized_shape, **factory))
            self.bias = Parameter(zeros(*self.normalized_shape, **factory)) if bias else None
            if not bias:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class _BatchNorm(Module):
    _expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        factory = _factory(dtype, backend, device)
        if affine:
            self.weight = Parameter(ones(num_features, **factory))
            self.bias = Parameter(zeros(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **factory))
            self.register_buffer("running_var", ones(num_features, **factory))
            self.register_buffer(
                "num_batches_tracked",
                tensor(0, dtype=dtypes.int64, backend=factory["backend"]),
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self._expected_dims:
            raise ValueError(
                f"{type(self).__name__} expects {' or '.join(map(str, self._expected_dims))}-D "
                f"input, got shape {input.shape}"
            )
        use_batch = self.training or not self.track_running_stats
        # momentum=None: the running statistics are the plain (cumulative) average of every
        # batch so far, as PyTorch: the weight of batch k is 1 / k.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        return F.batch_norm(
            input,
            self.running_mean if not use_batch or self.training else None,
            self.running_var if not use_batch or self.training else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` with running statistics.

    >>> import plugtorch as pt
    >>> bn = BatchNorm1d(1)
    >>> _ = bn(pt.tensor([[1.0], [3.0]]))
    >>> bn.running_mean
    tensor([0.2000])
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` with running statistics.

    >>> import plugtorch as pt
    >>> BatchNorm2d(3)(pt.randn(4, 3, 2, 2)).shape
    (4, 3, 2, 2)
    """

    _expected_dims = (4,)


class Dropout(Module):
    """Inverted dropout: zero with probability ``p``, scale survivors by ``1/(1-p)`` while
    training; the identity in ``eval()`` mode.

    >>> import plugtorch as pt
    >>> Dropout(0.5).eval()(pt.ones(2))
    tensor([1., 1.])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability must lie in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
