"""``CupyBackend``: plugtorch arrays as CuPy arrays on an NVIDIA GPU.

It starts from ``ArrayAPIBackend(cupy)`` (CuPy follows the array API standard) and replaces:
transfers (one host copy each way), reductions (``kernels/reduce.cu``), the optional
primitives (convolution, pooling, softmax, sigmoid/relu/silu as fused chains, Adam:
``kernels/*.cu``), and the mutable-memory methods of protocol 1.1. Plain elementwise
arithmetic stays on CuPy's ufuncs, which already run at memory bandwidth, and ``matmul`` on
cuBLAS (``cupy.matmul``) unless ``PLUGTORCH_CUPY_MATMUL=tiled`` picks the own tiled kernel.

Without CuPy, a driver or a GPU the backend still loads: ``is_available()`` says why, and
the registry refuses to hand it out. ``PLUGTORCH_CUPY_KERNELS=0`` turns every hand-written
kernel off (CuPy's own implementations then run everything).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from plugtorch.backend import ArrayAPIBackend, Capabilities
from plugtorch.backend.array_api import half_via_float32
from plugtorch.dtypes import ALL_DTYPES, DType, bfloat16
from plugtorch_cupy import _fused, _nn, _reduce
from plugtorch_cupy._kernels import KernelCache, with_prelude
from plugtorch_cupy._probe import probe
from plugtorch_cupy._runtime import CupyRuntime
from plugtorch_cupy._strides import extent, nocopy_reshape_strides

__all__ = ["CupyBackend", "KERNEL_PRIMITIVES"]

KERNEL_PRIMITIVES = frozenset(
    {
        "sigmoid",
        "relu",
        "silu",
        "softmax",
        "log_softmax",
        "conv2d",
        "conv2d_backward",
        "max_pool2d",
        "max_pool2d_backward",
        "avg_pool2d",
        "avg_pool2d_backward",
        "adam_step",
    }
)
"""Optional primitives declared when the kernels can compile (NVRTC present, not turned off)."""

_FLOATS = frozenset({"float32", "float64"})
# CuPy holds float16 (its ufuncs compute it in float32); it has no bfloat16 array type.
_DTYPES = tuple(d for d in ALL_DTYPES if d is not bfloat16)
# BINARY_PRIMITIVES name -> CuPy ufunc name, for binary_inplace.
_UFUNCS = {"pow": "power", "divide": "true_divide"}


class _Missing:
    """Stands in for the cupy module when it cannot be imported: any use names the reason."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the cupy backend is not available here: {self._reason}")


class CupyBackend(ArrayAPIBackend):
    """CuPy arrays on the current CUDA device; hot paths in hand-written CUDA kernels."""

    def __init__(self, name: str = "cupy") -> None:
        found = probe()
        self._reason = found.reason
        self.kernels_reason = found.kernels_reason
        """Why the hand-written kernels are off (empty when they are on)."""
        self.cupy: Any = found.cupy if found.cupy is not None else _Missing(found.reason)
        devices = tuple(f"cuda:{i}" for i in range(found.device_count))
        primitives = KERNEL_PRIMITIVES if not found.kernels_reason else frozenset()
        if found.cupy is None:
            self.xp = self.cupy  # type: ignore[assignment]  # explains why on any use
            self.name = name
            self._dtypes = {}
            self.capabilities = Capabilities(
                dtypes=_DTYPES, devices=devices, host_memory=False, dlpack=True
            )
        else:
            super().__init__(
                found.cupy, name, dtypes=_DTYPES, devices=devices, host_memory=False,
                primitives=primitives, mutable=True,
            )  # fmt: skip
        self.kernels = KernelCache(self.cupy)
        self.use_tiled_matmul = os.environ.get("PLUGTORCH_CUPY_MATMUL", "cublas") == "tiled"
        """Whether ``matmul`` runs the own tiled kernel instead of cuBLAS."""
        self.cuda_runtime = CupyRuntime(self.cupy, found.device_count, self._backend_for)
        """Device queries for ``plugtorch.cuda`` (see ``_runtime.py``)."""
        self._axpy: Any = None

    def __repr__(self) -> str:
        return f"<plugtorch backend {self.name!r} (CuPy, hand-written CUDA kernels)>"

    def _backend_for(self, index: int) -> Any:
        from plugtorch_cupy._runtime import PinnedBackend

        if self.cuda_runtime.device_count() == 1 and index == 0:
            return self
        return PinnedBackend(self, index, self.name if index == 0 else f"{self.name}:{index}")

    def is_available(self) -> tuple[bool, str]:
        return (not self._reason, self._reason)

    @property
    def _kernels_on(self) -> bool:
        return not self.kernels_reason

    # --- transfer and creation: one host copy each way ----------------------------------
    def asarray(self, obj: Any, dtype: DType) -> Any:
        return self.cupy.array(obj, dtype=self.native_dtype(dtype), copy=True)

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.cupy.asnumpy(x)

    def astype(self, x: Any, dtype: DType) -> Any:
        return x.astype(self.native_dtype(dtype), copy=True)

    def round(self, x: Any) -> Any:
        return self.cupy.around(x)  # half to even, as numpy

    def bitwise_invert(self, x: Any) -> Any:
        return self.cupy.invert(x)

    # --- reductions --------------------------------------------------------------------------
    def _reduce(self, op: str, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any | None:
        """The kernel path, or None where CuPy should do it (other dtypes, empty arrays)."""
        if not (self._kernels_on and axis and x.dtype.name in _reduce.KERNEL_DTYPES):
            return None
        if x.size == 0 or not _reduce.fits(x.shape, axis, self.kernels.sm_count()):
            return None
        return _reduce.reduce_axes(self.cupy, self.kernels, x, op, axis, keepdims)

    def sum(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        if not axis:
            return x.copy()
        result = self._reduce("sum", x, axis, keepdims)
        return result if result is not None else super().sum(x, axis, keepdims)

    def max(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        if not axis:
            return x.copy()
        result = self._reduce("max", x, axis, keepdims)
        return result if result is not None else super().max(x, axis, keepdims)

    def min(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        if not axis:
            return x.copy()
        result = self._reduce("min", x, axis, keepdims)
        return result if result is not None else super().min(x, axis, keepdims)

    def prod(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return x.copy() if not axis else super().prod(x, axis, keepdims)

    def all(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return x.astype(bool) if not axis else super().all(x, axis, keepdims)

    def any(self, x: Any, axis: tuple[int, ...], keepdims: bool) -> Any:
        return x.astype(bool) if not axis else super().any(x, axis, keepdims)

    # --- movement and indexing ---------------------------------------------------------------
    def reshape(self, x: Any, shape: tuple[int, ...], copy: bool | None = None) -> Any:
        """Array-API ``reshape``: ``copy=False`` gives a view or raises ValueError,
        ``copy=True`` always copies, ``None`` views when it can."""
        if copy:
            return self.cupy.array(x, copy=True, order="C").reshape(shape)
        if copy is None:
            return self.cupy.reshape(x, shape)
        strides = nocopy_reshape_strides(x.shape, self.strides(x), shape)
        if strides is None:
            raise ValueError(
                f"reshape(copy=False): an array of shape {x.shape} with strides "
                f"{self.strides(x)} cannot be viewed as {tuple(shape)} without a copy"
            )
        itemsize = x.dtype.itemsize
        return self.cupy.ndarray(
            tuple(shape), x.dtype, x.data, strides=tuple(s * itemsize for s in strides)
        )

    def concat(self, arrays: Sequence[Any], axis: int) -> Any:
        return self.cupy.concatenate(list(arrays), axis=axis)

    def setitem(self, x: Any, key: tuple[Any, ...], value: Any) -> Any:
        out = x.copy()
        out[key] = value
        return out

    def flip(self, x: Any, axis: tuple[int, ...]) -> Any:
        return self.cupy.flip(x, axis=axis).copy()  # CuPy's flip is a view: fresh memory

    def take(self, x: Any, indices: Any, axis: int) -> Any:
        return self.cupy.take(x, indices, axis=axis)

    def _scatter_into(self, out: Any, index: tuple[Any, ...], values: Any) -> Any:
        # cupyx.scatter_add accumulates duplicates with atomics for these dtypes; the rest go
        # through the host (one copy each way).
        if out.dtype.name in {"float32", "float64", "int32", "uint32", "uint64"}:
            import cupyx

            cupyx.scatter_add(out, index, values)
            return out
        host = self.cupy.asnumpy(out)
        host_index = tuple(self.cupy.asnumpy(i) if hasattr(i, "device") else i for i in index)
        np.add.at(host, host_index, self.cupy.asnumpy(values))
        return self.cupy.asarray(host)

    def index_add(self, x: Any, indices: Any, values: Any, axis: int) -> Any:
        index = (slice(None),) * axis + (indices,)
        return self._scatter_into(x.copy(), index, values)

    def scatter_add(self, x: Any, indices: Any, values: Any, axis: int) -> Any:
        grids: list[Any] = []
        for d, size in enumerate(indices.shape):
            view = [1] * indices.ndim
            view[d] = size
            grids.append(self.cupy.arange(size).reshape(view))
        grids[axis] = indices
        return self._scatter_into(x.copy(), tuple(grids), values)

    # --- linear algebra --------------------------------------------------------------------
    def matmul(self, x: Any, y: Any) -> Any:
        if self.use_tiled_matmul and self._kernels_on and x.dtype.name in _FLOATS:
            return self.matmul_tiled(x, y)
        return self.cupy.matmul(x, y)

    def matmul_tiled(self, x: Any, y: Any) -> Any:
        """``x @ y`` through the tiled shared-memory kernel (``kernels/matmul.cu``), float32
        or float64, equal batch shapes; what the benchmark compares with cuBLAS."""
        return _nn.matmul_tiled(self.cupy, self.kernels, x, y)

    # --- fused elementwise chains ------------------------------------------------------------
    def fused_elementwise(self, chain: _fused.Chain, inputs: Sequence[Any]) -> Any:
        """One kernel for a chain of elementwise primitives (see ``_fused``) over same-shape,
        same-dtype float inputs (any strides, zero-stride broadcasts included)."""
        cupy = self.cupy
        first = inputs[0]
        dtype = first.dtype.name
        out = cupy.empty(first.shape, dtype=first.dtype)
        if out.size == 0:
            return out
        contiguous = all(a.flags.c_contiguous for a in inputs)
        variant = "fused_contiguous" if contiguous else "fused_strided"
        key = f"fused:{dtype}:{len(inputs)}:{chain!r}"
        kernel = self.kernels.generated(
            key, lambda: with_prelude(_fused.render(chain, len(inputs), dtype)), variant
        )
        args: list[Any] = [*inputs, out, np.int64(out.size)]
        if not contiguous:
            meta = [*first.shape]
            for a in inputs:
                meta += [s // a.dtype.itemsize for s in a.strides]
            args += [self.kernels.ints(meta, "int64"), np.int32(first.ndim)]
        self.kernels.launch(kernel, out.size, tuple(args))
        return out

    def _fused_unary(self, name: str, x: Any, fallback: Any) -> Any:
        if self._kernels_on and x.dtype.name in _FLOATS:
            return self.fused_elementwise(((name, 0),), (x,))
        return fallback(x)

    def sigmoid(self, x: Any) -> Any:
        return self._fused_unary("sigmoid", x, lambda v: 1 / (1 + self.cupy.exp(-v)))

    def relu(self, x: Any) -> Any:
        return self._fused_unary("relu", x, lambda v: self.cupy.maximum(v, 0).astype(v.dtype))

    def silu(self, x: Any) -> Any:
        return self._fused_unary("silu", x, lambda v: v / (1 + self.cupy.exp(-v)))

    # --- optional nn primitives --------------------------------------------------------------
    @half_via_float32  # the CUDA kernels are float32/float64
    def softmax(self, x: Any, axis: int) -> Any:
        return _nn.softmax(self.cupy, self.kernels, x, axis, log=False)

    @half_via_float32  # the CUDA kernels are float32/float64
    def log_softmax(self, x: Any, axis: int) -> Any:
        return _nn.softmax(self.cupy, self.kernels, x, axis, log=True)

    @half_via_float32  # the CUDA kernels are float32/float64
    def conv2d(self, x: Any, w: Any, stride: Any, padding: Any, dilation: Any, groups: int):
        return _nn.conv2d(self.cupy, self.kernels, x, w, stride, padding, dilation, groups)

    @half_via_float32  # the CUDA kernels are float32/float64
    def conv2d_backward(
        self, grad_y: Any, x: Any, w: Any, stride: Any, padding: Any, dilation: Any, groups: int,
        needs_input_grad: tuple[bool, bool] = (True, True), state: Any = None,
    ) -> tuple[Any, Any]:  # fmt: skip
        grad_x, grad_w = _nn.conv2d_backward(
            self.cupy, self.kernels, grad_y, x, w, stride, padding, dilation, groups
        )
        return (grad_x if needs_input_grad[0] else None, grad_w if needs_input_grad[1] else None)

    @half_via_float32  # the CUDA kernels are float32/float64
    def max_pool2d(self, x: Any, kernel: Any, stride: Any, padding: Any) -> tuple[Any, Any]:
        return _nn.max_pool2d(self.cupy, self.kernels, x, kernel, stride, padding)

    @half_via_float32  # the CUDA kernels are float32/float64
    def max_pool2d_backward(self, grad_y: Any, argmax: Any, input_shape: Any) -> Any:
        return _nn.max_pool2d_backward(self.cupy, self.kernels, grad_y, argmax, tuple(input_shape))

    @half_via_float32  # the CUDA kernels are float32/float64
    def avg_pool2d(self, x: Any, kernel: Any, stride: Any, padding: Any) -> Any:
        return _nn.avg_pool2d(self.cupy, self.kernels, x, kernel, stride, padding)

    @half_via_float32  # the CUDA kernels are float32/float64
    def avg_pool2d_backward(
        self, grad_y: Any, input_shape: Any, kernel: Any, stride: Any, padding: Any
    ) -> Any:
        return _nn.avg_pool2d_backward(
            self.cupy, self.kernels, grad_y, tuple(input_shape), kernel, stride, padding
        )

    @half_via_float32  # the CUDA kernels are float32/float64
    def adam_step(
        self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, lr: float, beta1: float,
        beta2: float, eps: float, weight_decay: float, step: int, decoupled: bool,
    ) -> tuple[Any, Any, Any]:  # fmt: skip
        return _nn.adam_step(
            self.cupy, self.kernels, param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps,
            weight_decay, step, decoupled,
        )  # fmt: skip

    def cross_entropy(self, logits: Any, target: Any) -> tuple[Any, Any]:
        """Per-row loss and gradient of cross-entropy in one kernel (``kernels/softmax.cu``);
        not yet an optional primitive of the protocol."""
        return _nn.cross_entropy(self.cupy, self.kernels, logits, target)

    def layer_norm(
        self, x: Any, weight: Any | None, bias: Any | None, eps: float
    ) -> tuple[Any, Any, Any]:
        """``(y, mean, rstd)`` over the last axis (``kernels/layer_norm.cu``)."""
        return _nn.layer_norm(self.cupy, self.kernels, x, weight, bias, eps)

    def layer_norm_backward(
        self, grad_y: Any, x: Any, weight: Any | None, mean: Any, rstd: Any
    ) -> tuple[Any, Any, Any]:
        """``(grad_x, grad_weight, grad_bias)`` of :meth:`layer_norm`."""
        return _nn.layer_norm_backward(self.cupy, self.kernels, grad_y, x, weight, mean, rstd)

    # --- mutable tier (protocol 1.1): CuPy arrays are strided device memory ------------------
    def strides(self, x: Any) -> tuple[int, ...]:
        """Strides in elements."""
        return tuple(s // x.dtype.itemsize for s in x.strides)

    def data_ptr(self, x: Any) -> int:
        """Device address of the first element."""
        return int(x.data.ptr)

    def storage_info(self, x: Any) -> tuple[int, int]:
        """``(address, bytes)`` of the allocation ``x`` views."""
        memory = x.data.mem
        return int(memory.ptr), int(memory.size)

    def as_strided(
        self, x: Any, shape: tuple[int, ...], strides: tuple[int, ...], storage_offset: int
    ) -> Any:
        """A view into the allocation ``x`` lives in: ``strides`` and ``storage_offset`` in
        elements, the offset counted from the allocation's start."""
        memory = x.data.mem
        itemsize = x.dtype.itemsize
        capacity = memory.size // itemsize
        reach = extent(shape, strides, storage_offset)
        if storage_offset < 0 or (reach is not None and (reach[0] < 0 or reach[1] >= capacity)):
            raise ValueError(
                f"as_strided: shape {tuple(shape)}, strides {tuple(strides)} and offset "
                f"{storage_offset} reach outside the allocation of {capacity} elements"
            )
        pointer = self.cupy.cuda.MemoryPointer(memory, storage_offset * itemsize)
        return self.cupy.ndarray(
            tuple(shape), x.dtype, pointer, strides=tuple(s * itemsize for s in strides)
        )

    def setitem_inplace(self, x: Any, key: tuple[Any, ...], value: Any) -> None:
        """``x[key] = value`` in x's memory."""
        x[key] = value

    def _separate(self, x: Any, y: Any) -> Any:
        """``y``, copied when it overlaps ``x`` other than element for element (a kernel
        writing x while reading such a y would read values it already overwrote)."""
        if y is x or not self.cupy.may_share_memory(x, y):
            return y
        if y.data.ptr == x.data.ptr and y.strides == x.strides:
            return y
        return y.copy()

    def binary_inplace(self, name: str, x: Any, y: Any) -> None:
        """``x[...] = name(x, y)`` computed into x's memory."""
        ufunc = getattr(self.cupy, _UFUNCS.get(name, name))
        ufunc(x, self._separate(x, y), out=x)

    def add_scaled_inplace(self, x: Any, y: Any, alpha: float) -> None:
        """``x += alpha * y`` in one pass, without a temporary the size of x."""
        kernel = self._axpy_kernel()
        kernel(self._separate(x, y), x.dtype.type(alpha), x)

    def _axpy_kernel(self) -> Any:
        if self._axpy is None:
            self._axpy = self.cupy.ElementwiseKernel(
                "T y, T alpha", "T x", "x = x + alpha * y", "plugtorch_add_scaled"
            )
        return self._axpy
