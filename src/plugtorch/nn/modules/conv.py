"""``Conv1d`` and ``Conv2d`` (stride, padding, dilation, groups, bias)."""

from __future__ import annotations

from typing import Any

from plugtorch.nn import functional as F
from plugtorch.nn import init
from plugtorch.nn.functional._geometry import int_pair
from plugtorch.nn.module import Module
from plugtorch.nn.modules.linear import _factory
from plugtorch.nn.parameter import Parameter
from plugtorch.ops.creation import empty
from plugtorch.tensor import Tensor

__all__ = ["Conv1d", "Conv2d"]


class _ConvNd(Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: tuple[int, ...],
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        factory: dict[str, Any],
    ) -> None:
        super().__init__()
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                f"divisible by groups ({groups})"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.weight = Parameter(empty(out_channels, in_channels // groups, *kernel_size, **factory))
        if bias:
            self.bias = Parameter(empty(out_channels, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_reset(self.weight, self.bias)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        zeros = (0,) * len(self.kernel_size)
        ones = (1,) * len(self.kernel_size)
        if self.padding != zeros:
            text += f", padding={self.padding}"
        if self.dilation != ones:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C, H, W)``; weights initialised as PyTorch's.

    >>> import plugtorch as pt
    >>> Conv2d(1, 4, 3, padding=1)(pt.ones(2, 1, 8, 8)).shape
    (2, 4, 8, 8)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            int_pair(kernel_size, "kernel_size", "Conv2d"),
            int_pair(stride, "stride", "Conv2d"),
            padding if isinstance(padding, str) else int_pair(padding, "padding", "Conv2d"),
            int_pair(dilation, "dilation", "Conv2d"),
            groups,
            bias,
            _factory(dtype, backend, device),
        )

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C, L)``; weights initialised as PyTorch's.

    >>> import plugtorch as pt
    >>> Conv1d(2, 4, 3)(pt.ones(1, 2, 10)).shape
    (1, 4, 8)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int],
        stride: int | tuple[int] = 1,
        padding: int | tuple[int] | str = 0,
        dilation: int | tuple[int] = 1,
        groups: int = 1,
        bias: bool = True,
        *,
        dtype: Any = None,
        backend: Any = None,
        device: Any = None,
    ) -> None:
        def single(value: Any) -> tuple[int]:
            return (int(value),) if isinstance(value, int) else (int(value[0]),)

        super().__init__(
            in_channels,
            out_channels,
            single(kernel_size),
            single(stride),
            padding if isinstance(padding, str) else single(padding),
            single(dilation),
            groups,
            bias,
            _factory(dtype, backend, device),
        )

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return F.conv1d(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            padding,
            self.dilation[0],
            self.groups,
        )
