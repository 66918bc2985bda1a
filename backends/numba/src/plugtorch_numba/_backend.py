"""``NumbaBackend``: the numpy reference backend with its hot primitives replaced.

Every primitive takes the numpy path for inputs smaller than ``min_parallel_size`` elements
(a parallel launch costs about 1.7 us, a numpy ufunc 0.5 us) and wherever no kernel fits;
results are then numpy's by construction. See ``backends/numba/README.md`` for the measured
reasons behind each choice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
from plugtorch_numpy import INPLACE_UFUNCS, NumpyBackend, as_array, is_half

from plugtorch.backend.array_api import half_via_float32 as _half_via_float32
from plugtorch.backend.malloc import tune_malloc
from plugtorch_numba import _blas, _mkl
from plugtorch_numba._buffers import BufferPool
from plugtorch_numba._conv_pool import ConvPoolPrimitives
from plugtorch_numba._fused import FusedPrimitives
from plugtorch_numba._recurrent import RecurrentPrimitives
from plugtorch_numba._strided import plan_2d
from plugtorch_numba._threads import (
    MIN_THREADED,
    num_threads,
    parallel_blocks,
    run_chunks,
    split_ufunc,
)

try:  # numba is imported here, after the cache directory is configured
    import numba

    from plugtorch_numba import _elementwise_kernels as _ek
    from plugtorch_numba import _fused_kernels as _fk
    from plugtorch_numba import _index_kernels as _ik
    from plugtorch_numba import _nn_kernels as _nn
    from plugtorch_numba import _reduce_kernels as _rk
    from plugtorch_numba._reduce import reduce_sum_max_min

    _IMPORT_ERROR: str = ""
except Exception as error:  # noqa: BLE001 (a broken numba install must not break import)
    numba = None  # type: ignore[assignment]
    _ek = _fk = _nn = _rk = None  # type: ignore[assignment]
    _IMPORT_ERROR = f"numba could not be imported ({error!r}); install it: pip install numba"

__all__ = ["NumbaBackend"]

_FLOAT = frozenset("f")
_NUMERIC = frozenset("fiu")
_INTEGER = frozenset("iu")
_BITWISE = frozenset("iub")
_ANY = frozenset("fiub")

OPTIONAL = frozenset(
    {
        "sigmoid",
        "relu",
        "relu_backward",
        "silu",
        "softmax",
        "log_softmax",
        "softmax_backward",
        "conv2d",
        "conv2d_backward",
        "max_pool2d",
        "max_pool2d_backward",
        "avg_pool2d",
        "avg_pool2d_backward",
        "layer_norm",
        "layer_norm_backward",
        "gelu",
        "gelu_backward",
        "cross_entropy",
        "cross_entropy_backward",
        "lstm_layer",
        "lstm_layer_backward",
        "scaled_dot_product_attention",
        "scaled_dot_product_attention_backward",
        "adam_step",
        "adam_step_inplace",
        "sgd_step",
        "sgd_step_inplace",
    }
)


class NumbaBackend(FusedPrimitives, RecurrentPrimitives, ConvPoolPrimitives, NumpyBackend):
    """numpy arrays on the host; large elementwise ops, reductions and the nn primitives run
    in parallel numba kernels."""

    def __init__(
        self,
        name: str = "numba",
        *,
        min_parallel_size: int = 32768,
        min_elementwise_size: int = 1 << 22,
        pool_bytes: int | None = None,
        blas: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.capabilities = type(self.capabilities)(
            dtypes=self.capabilities.dtypes,
            devices=self.capabilities.devices,
            primitives=OPTIONAL if not _IMPORT_ERROR else frozenset(),
            host_memory=True,
            dlpack=True,
            mutable=True,
        )
        self.min_parallel_size = min_parallel_size
        """Inputs with fewer elements take the numpy path (tests set 0 to force kernels)."""
        self.min_elementwise_size = min_elementwise_size
        """The same for plain arithmetic (add, multiply, negative, ...; comparisons from half
        of it). numpy's AVX-512 loops on one core match two threads of numba until the
        operands outgrow the 32 MiB L3: at 4M float32 elements add took 0.78 ms on both, at
        2M numpy was faster (0.29 against 0.32 ms), at 8M numba was 3x faster (1.07 against
        3.2 ms, numpy's fresh 32 MiB results page-faulting). Tests set 0."""
        self.malloc_tuned = tune_malloc()
        """Whether glibc's mmap and trim thresholds were raised (see
        :mod:`plugtorch.backend.malloc`)."""
        self.pool = BufferPool(pool_bytes)
        """Page-touched buffers for large results (see ``_buffers.py``); ``pool_bytes=0`` or
        ``PLUGTORCH_NUMBA_POOL_BYTES=0`` turns it off, ``pool.clear()`` releases the memory."""
        self.mkl, self.blas, self._blas_error = _mkl.choose_blas(blas)
        """The GEMM library of ``matmul``: Intel MKL when ``plugtorch-numba[mkl]`` is installed
        and the CPU is Intel's, else numpy's OpenBLAS; ``blas="mkl"|"openblas"`` or
        ``PLUGTORCH_NUMBA_BLAS`` forces one (see ``_mkl.py``). ``blas`` describes the choice
        and why."""
        self.blas_spin_shortened = (
            _blas.shorten_spin() if self.mkl is not None else _blas.spin_shortened()
        )
        """Whether numpy's OpenBLAS threads now sleep after 2^18 cycles instead of spinning
        for 2^28: done (once per process) when MKL does this backend's GEMMs, so that
        OpenBLAS's idle threads stop holding a core; left alone when OpenBLAS does them
        (see ``_blas.py``)."""

    def _empty_like(self, x: np.ndarray) -> np.ndarray:
        """An uninitialised array like ``x``: same shape and dtype, C or F order as ``x``."""
        if x.flags.c_contiguous or not x.flags.f_contiguous:
            return self.pool.empty(x.shape, x.dtype)
        return self.pool.empty(x.shape[::-1], x.dtype).T

    def __repr__(self) -> str:
        return f"<plugtorch backend {self.name!r} (numba kernels over numpy; GEMMs: {self.blas})>"

    def is_available(self) -> tuple[bool, str]:
        if _IMPORT_ERROR:
            return False, _IMPORT_ERROR
        if self._blas_error:
            return False, self._blas_error
        return True, ""

    @property
    def description(self) -> str:
        """How this backend runs here, for ``plugtorch backends``: its GEMM library and why."""
        return f"matmul through {self.blas}"

    @property
    def numba(self) -> ModuleType | None:
        return numba

    # --- elementwise ---------------------------------------------------------------------
    def _binary(
        self,
        kernel_name: str,
        kinds: frozenset[str],
        ufunc: Callable[..., Any],
        x: np.ndarray,
        y: np.ndarray,
        out_dtype: Any = None,
    ) -> np.ndarray:
        limit = self.min_elementwise_size if out_dtype is None else self.min_elementwise_size // 2
        if x.size < limit or x.dtype.kind not in kinds or is_half(x):  # numpy's half loops
            return as_array(ufunc(x, y))
        plan = plan_2d((x, y), x.dtype if out_dtype is None else out_dtype, self.pool.empty)
        if plan is None:
            return as_array(ufunc(x, y))
        (a, b), out, result = plan
        parallel_blocks(getattr(_ek, kernel_name), (a, b, out), _ek.num_blocks(out.shape), x.size)
        return result

    def _unary(
        self, kernel_name: str, kinds: frozenset[str], ufunc: Callable[..., Any], x: np.ndarray
    ) -> np.ndarray:
        if x.size < self.min_elementwise_size or x.dtype.kind not in kinds or is_half(x):
            return as_array(ufunc(x))
        plan = plan_2d((x,), x.dtype, self.pool.empty)
        if plan is None:
            return as_array(ufunc(x))
        (a,), out, result = plan
        parallel_blocks(getattr(_ek, kernel_name), (a, out), _ek.num_blocks(out.shape), x.size)
        return result

    def _transcendental(self, ufunc: Callable[..., Any], x: np.ndarray) -> np.ndarray:
        # numpy's SIMD loops, one chunk per core: exact numpy results (see README).
        if x.size < max(self.min_parallel_size, 1):
            return as_array(ufunc(x))
        return split_ufunc(ufunc, x, self._empty_like)

    def negative(self, x: np.ndarray) -> np.ndarray:
        return self._unary("negative_2d", _NUMERIC, np.negative, x)

    def abs(self, x: np.ndarray) -> np.ndarray:
        return self._unary("abs_2d", _NUMERIC, np.abs, x)

    def sqrt(self, x: np.ndarray) -> np.ndarray:
        return self._unary("sqrt_2d", _FLOAT, np.sqrt, x)

    def floor(self, x: np.ndarray) -> np.ndarray:
        return self._unary("floor_2d", _FLOAT, np.floor, x)

    def ceil(self, x: np.ndarray) -> np.ndarray:
        return self._unary("ceil_2d", _FLOAT, np.ceil, x)

    def exp(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.exp, x)

    def log(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.log, x)

    def log1p(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.log1p, x)

    def expm1(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.expm1, x)

    def sin(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.sin, x)

    def cos(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.cos, x)

    def tanh(self, x: np.ndarray) -> np.ndarray:
        return self._transcendental(np.tanh, x)

    def add(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("add_2d", _NUMERIC, np.add, x, y)

    def subtract(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("subtract_2d", _NUMERIC, np.subtract, x, y)

    def multiply(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("multiply_2d", _NUMERIC, np.multiply, x, y)

    def divide(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("divide_2d", _FLOAT, np.divide, x, y)

    def floor_divide(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("int_floor_divide_2d", _INTEGER, np.floor_divide, x, y)

    def remainder(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("int_remainder_2d", _INTEGER, np.remainder, x, y)

    def maximum(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("maximum_2d", _NUMERIC, np.maximum, x, y)

    def minimum(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("minimum_2d", _NUMERIC, np.minimum, x, y)

    def bitwise_and(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("bitwise_and_2d", _BITWISE, np.bitwise_and, x, y)

    def bitwise_or(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("bitwise_or_2d", _BITWISE, np.bitwise_or, x, y)

    def bitwise_xor(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("bitwise_xor_2d", _BITWISE, np.bitwise_xor, x, y)

    def equal(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("equal_2d", _ANY, np.equal, x, y, np.bool_)

    def not_equal(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("not_equal_2d", _ANY, np.not_equal, x, y, np.bool_)

    def less(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("less_2d", _ANY, np.less, x, y, np.bool_)

    def less_equal(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("less_equal_2d", _ANY, np.less_equal, x, y, np.bool_)

    def greater(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("greater_2d", _ANY, np.greater, x, y, np.bool_)

    def greater_equal(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._binary("greater_equal_2d", _ANY, np.greater_equal, x, y, np.bool_)

    def where(self, condition: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.size < self.min_parallel_size or is_half(x):
            return as_array(np.where(condition, x, y))
        plan = plan_2d((condition, x, y), x.dtype, self.pool.empty)
        if plan is None:
            return np.where(condition, x, y)
        (c, a, b), out, result = plan
        blocks = _ek.num_blocks(out.shape)
        if a.strides == (0, 0) or b.strides == (0, 0):  # a scalar operand, by value
            scalar_x = a.strides == (0, 0)
            value, other = (a[0, 0], b) if scalar_x else (b[0, 0], a)
            parallel_blocks(_ek.where_scalar_2d, (c, value, other, scalar_x, out), blocks, x.size)
        else:
            parallel_blocks(_ek.where_2d, (c, a, b, out), blocks, x.size)
        return result

    # --- indexing ------------------------------------------------------------------------
    def index_add(self, x: np.ndarray, indices: np.ndarray, values: np.ndarray, axis: int) -> Any:
        # A compiled loop in index order (bit-identical to numpy's np.add.at, ~30x faster on
        # an embedding's gradient); half, bool and mismatched dtypes stay on numpy's path.
        indices = np.asarray(indices)
        if (
            x.dtype.kind not in "fiu"
            or is_half(x)
            or values.dtype != x.dtype
            or indices.ndim != 1
            or indices.dtype.kind not in "iu"
            or values.shape != x.shape[:axis] + (indices.shape[0],) + x.shape[axis + 1 :]
        ):
            return super().index_add(x, indices, values, axis)
        outer = math.prod(x.shape[:axis])
        inner = math.prod(x.shape[axis + 1 :])
        out = self.pool.empty(x.shape, x.dtype)
        np.copyto(out, x)
        if out.size == 0 or indices.shape[0] == 0:
            return out
        out3 = out.reshape(outer, x.shape[axis], inner)
        values3 = np.ascontiguousarray(values).reshape(outer, indices.shape[0], inner)
        tasks = outer * -(-inner // _ik.INNER_BLOCK)
        index = np.ascontiguousarray(indices, dtype=np.int64)
        parallel_blocks(_ik.index_add_3d, (out3, index, values3), tasks, values.size)
        return out

    # --- reductions ----------------------------------------------------------------------
    def _reduce(
        self,
        kind: str,
        x: np.ndarray,
        axis: tuple[int, ...],
        keepdims: bool,
        fallback: Callable[[], np.ndarray],
    ) -> np.ndarray:
        if not axis or x.size < self.min_parallel_size or is_half(x):
            return fallback()  # numpy's path (float32 accumulation for half sums)
        return as_array(reduce_sum_max_min(kind, x, axis, keepdims, _rk, fallback))

    def sum(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return self._reduce(
            "sum", x, axis, keepdims, lambda: super(NumbaBackend, self).sum(x, axis, keepdims)
        )

    def max(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return self._reduce(
            "max", x, axis, keepdims, lambda: super(NumbaBackend, self).max(x, axis, keepdims)
        )

    def min(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        return self._reduce(
            "min", x, axis, keepdims, lambda: super(NumbaBackend, self).min(x, axis, keepdims)
        )

    # --- linear algebra --------------------------------------------------------------------
    def matmul(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        # MKL when installed (see _mkl.py), for float products that are not tiny. Else
        # 2-D: OpenBLAS (both cores) is near peak. A stack of mid-sized matrices: each thread
        # multiplies part of the stack with OpenBLAS held to one thread (see _blas.py);
        # small ones take numpy's own loop (_blas.split_batch), and so does every stack while
        # OpenBLAS's idle threads spin (they hold the other core: _blas.spinning).
        # The result comes from the pool (no page faults on a large output).
        if x.dtype != y.dtype or x.ndim < 2 or y.ndim < 2 or is_half(x):
            return super().matmul(x, y)
        batch = () if x.ndim == y.ndim == 2 else np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        shape = (*batch, x.shape[-2], y.shape[-1])
        if self.mkl is not None:
            out = self.pool.empty(shape, x.dtype)
            if _mkl.gemm_into(self.mkl, x, y, out, num_threads()):
                return out
        x, y = _blas.rows_dense(x), _blas.rows_dense(y)
        if _blas.split_batch(x, y, self.min_parallel_size) and not _blas.spinning():
            out = self.pool.empty(shape, x.dtype)
            stack_x = x.reshape(-1, *x.shape[-2:])
            stack_y = y.reshape(-1, *y.shape[-2:])
            stack_out = out.reshape(-1, *out.shape[-2:])
            with _blas.single_threaded():
                run_chunks(
                    lambda a, b: np.matmul(stack_x[a:b], stack_y[a:b], out=stack_out[a:b]),
                    stack_x.shape[0],
                    align=1,
                    min_size=2,
                )
            return out
        return _blas.matmul(x, y, self.pool.take(shape, x.dtype))

    # --- the mutable tier: large dense updates over the backend's threads -----------------------
    def binary_inplace(self, name: str, x: np.ndarray, y: np.ndarray) -> None:
        # A linear layer's bias (a broadcast row): the row kernel. Gradient clipping's scale,
        # an optimizer's update (y of x's shape): numpy's ufunc releases the GIL, so parts of
        # x on every core. 2.56M float32 (the LSTM model's embedding and decoder), x *= y:
        # 880-900 -> 590-690 us.
        if name == "add" and _bias_rows(x, y):
            parallel_blocks(_fk.add_rows_inplace, (x, y[0]), x.shape[0], x.size)
            return
        ufunc = INPLACE_UFUNCS.get(name)
        if ufunc is None or not _splittable_update(x, y):
            super().binary_inplace(name, x, y)
            return
        fx, fy = x.reshape(-1), y.reshape(-1)
        run_chunks(lambda a, b: ufunc(fx[a:b], fy[a:b], out=fx[a:b]), fx.size)

    def add_scaled_inplace(self, x: np.ndarray, y: np.ndarray, alpha: float) -> None:
        if is_half(x) or not _splittable_update(x, y):
            super().add_scaled_inplace(x, y, alpha)
            return
        fx, fy = x.reshape(-1), y.reshape(-1)
        part = super().add_scaled_inplace  # the same arithmetic on each part
        run_chunks(lambda a, b: part(fx[a:b], fy[a:b], alpha), fx.size)

    # --- optional primitives -------------------------------------------------------------------
    def _chunked(self, func: Callable[[np.ndarray, np.ndarray], Any], x: np.ndarray) -> np.ndarray:
        out = self._empty_like(x)
        if x.size < self.min_parallel_size or not (x.flags.c_contiguous or x.flags.f_contiguous):
            func(x, out)
            return out
        fx, fo = x.ravel(order="K"), out.ravel(order="K")
        run_chunks(lambda a, b: func(fx[a:b], fo[a:b]), fx.size)
        return out

    def relu(self, x: np.ndarray) -> np.ndarray:
        # A C-ordered float array: one vectorised select (numpy's nan-propagating maximum took
        # 31-42 us for 128x512 float32, where a copy takes 9). Else maximum(0, x) (zero
        # first): numpy keeps the second operand on ties and propagates nan, so relu(-0.0) is
        # -0.0 and relu(nan) is nan, as PyTorch's ``x < 0 ? 0 : x``; the result keeps x's order.
        if x.dtype in _FLOAT_DTYPES and x.flags.c_contiguous:
            return self._elementwise(_fk.relu_blocks, (x,))
        return self._chunked(lambda a, o: np.maximum(a.dtype.type(0), a, out=o), x)

    def sigmoid(self, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.float32:  # one pass with the vectorised exp (_fastmath.py)
            return self._elementwise(_fk.sigmoid_blocks, (x,))
        return self._chunked(_sigmoid_into, x)

    def silu(self, x: np.ndarray) -> np.ndarray:
        if x.dtype == np.float32:
            return self._elementwise(_fk.silu_blocks, (x,))

        def silu_into(a: np.ndarray, o: np.ndarray) -> None:
            _sigmoid_into(a, o)
            np.multiply(o, a, out=o)

        return self._chunked(silu_into, x)

    @_half_via_float32
    def softmax(self, x: np.ndarray, axis: int) -> np.ndarray:
        return self._softmax(x, axis, log=False)

    @_half_via_float32
    def log_softmax(self, x: np.ndarray, axis: int) -> np.ndarray:
        return self._softmax(x, axis, log=True)

    conv2d = _half_via_float32(ConvPoolPrimitives.conv2d)
    conv2d_backward = _half_via_float32(ConvPoolPrimitives.conv2d_backward)
    max_pool2d = _half_via_float32(ConvPoolPrimitives.max_pool2d)
    max_pool2d_backward = _half_via_float32(ConvPoolPrimitives.max_pool2d_backward)
    avg_pool2d = _half_via_float32(ConvPoolPrimitives.avg_pool2d)
    avg_pool2d_backward = _half_via_float32(ConvPoolPrimitives.avg_pool2d_backward)

    def _softmax(self, x: np.ndarray, axis: int, log: bool) -> np.ndarray:
        moved = np.ascontiguousarray(np.moveaxis(x, axis, -1))
        rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, 1)
        out = np.empty_like(rows)
        if rows.size and rows.shape[1]:
            # About 2.5 ns an element on one core (max, exp, sum, scale), near ten times an
            # add's: counted as eight, threads pay from an eighth of MIN_THREADED's elements.
            # GPT's attention weights, 16x4x64x64 float32: 755 -> 524 us.
            work = rows.size * _SOFTMAX_COST
            # numpy's SIMD max for long rows (numba's max is scalar: 13.7 -> 4 ms on 700 rows
            # of 10,000 at one thread); on short rows numpy's per-row cost is as large.
            long_rows = rows.shape[1] >= _SOFTMAX_NUMPY_MAX
            maxima = np.max(rows, axis=1) if long_rows else rows[:0, 0]
            parallel_blocks(_nn.softmax_rows, (rows, maxima, out, log), rows.shape[0], work)
        return np.moveaxis(out.reshape(moved.shape), -1, axis)

    @_half_via_float32
    def adam_step(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        exp_avg: np.ndarray,
        exp_avg_sq: np.ndarray,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        step: int,
        decoupled: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of param, exp_avg and exp_avg_sq, updated in place by the kernel."""
        new_param, new_avg, new_avg_sq = (
            np.array(a, order="C").reshape(param.shape) for a in (param, exp_avg, exp_avg_sq)
        )
        args = (lr, beta1, beta2, eps, weight_decay, step, decoupled)
        _adam(new_param, grad, new_avg, new_avg_sq, args)
        return new_param, new_avg, new_avg_sq

    def adam_step_inplace(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        exp_avg: np.ndarray,
        exp_avg_sq: np.ndarray,
        lr: float,
        beta1: float,
        beta2: float,
        eps: float,
        weight_decay: float,
        step: int,
        decoupled: bool,
    ) -> None:
        """The same update written into param, exp_avg and exp_avg_sq (each element is read
        before it is written, by the same thread, so the kernel can update in place)."""
        arrays = (param, exp_avg, exp_avg_sq)
        if is_half(param) or not all(a.flags.c_contiguous and a.flags.writeable for a in arrays):
            new = self.adam_step(
                param, grad, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay, step,
                decoupled,
            )  # fmt: skip
            for target, value in zip(arrays, new):
                target[...] = value
            return
        args = (lr, beta1, beta2, eps, weight_decay, step, decoupled)
        _adam(param, grad, exp_avg, exp_avg_sq, args)

    def sgd_step(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        momentum_buffer: np.ndarray,
        lr: float,
        momentum: float,
        dampening: float,
        weight_decay: float,
        nesterov: bool,
        maximize: bool,
        first_step: bool,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Copies of param and momentum_buffer, updated in place by the kernel."""
        args = (lr, momentum, dampening, weight_decay, nesterov, maximize, first_step)
        if param.dtype not in _FLOAT_DTYPES:  # the numpy reference's update (half dtypes)
            return super().sgd_step(param, grad, momentum_buffer, *args)
        new_param = np.array(param, order="C")
        new_buffer = np.array(momentum_buffer, order="C")
        _sgd(new_param, grad, new_buffer, args)
        return new_param, new_buffer

    def sgd_step_inplace(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        momentum_buffer: np.ndarray,
        lr: float,
        momentum: float,
        dampening: float,
        weight_decay: float,
        nesterov: bool,
        maximize: bool,
        first_step: bool,
    ) -> None:
        """The same update written into param and momentum_buffer (each element is read
        before it is written, by the same thread); views and other dtypes take the numpy
        reference's whole-array update, which writes through views."""
        args = (lr, momentum, dampening, weight_decay, nesterov, maximize, first_step)
        targets = (param, momentum_buffer)
        if param.dtype not in _FLOAT_DTYPES or not all(
            a.flags.c_contiguous and a.flags.writeable for a in targets
        ):
            super().sgd_step_inplace(param, grad, momentum_buffer, *args)
            return
        _sgd(param, grad, momentum_buffer, args)


_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    args: tuple[Any, ...],
) -> None:
    """The numba Adam kernel over C-contiguous ``param``, ``exp_avg`` and ``exp_avg_sq``
    (written in place), in parallel blocks when large."""
    lr, beta1, beta2, eps, weight_decay, step, decoupled = args
    scalars = (float(lr), float(beta1), float(beta2), float(eps), float(weight_decay))
    flat = (param.reshape(-1), np.ascontiguousarray(grad).reshape(-1))
    moments = (exp_avg.reshape(-1), exp_avg_sq.reshape(-1))
    kernel_args = (*flat, *moments, *scalars, float(step), bool(decoupled))
    parallel_blocks(_nn.adam_update, kernel_args, param.size, param.size)


def _sgd(param: np.ndarray, grad: np.ndarray, buffer: np.ndarray, args: tuple[Any, ...]) -> None:
    """The numba SGD kernel over C-contiguous ``param`` and ``buffer`` (written in place), in
    parallel blocks when large."""
    lr, momentum, dampening, decay, nesterov, maximize, first = args
    scalars = (float(lr), float(momentum), float(dampening), float(decay))
    flags = (bool(nesterov), bool(maximize), bool(first))
    flat = (param.reshape(-1), np.ascontiguousarray(grad).reshape(-1), buffer.reshape(-1))
    parallel_blocks(_nn.sgd_update, (*flat, *scalars, *flags), param.size, param.size)


def _bias_rows(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``x += y`` adds one contiguous row to every row of a C-contiguous float matrix
    (``y`` a broadcast row sharing no memory with ``x``): 128x512 float32 13.6 -> 6.7 us,
    1024x384 83 -> 37 us against numpy's in-place add."""
    return (
        x.ndim == 2
        and x.size > 0
        and x.dtype in _FLOAT_DTYPES
        and y.dtype == x.dtype
        and y.shape == x.shape
        and y.strides == (0, x.itemsize)
        and x.flags.c_contiguous
        and x.flags.writeable
        and not np.may_share_memory(x, y)
    )


def _splittable_update(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``x op= y`` may run in parts on several threads: large, float, both dense and
    of one shape and dtype, and y is x or shares none of its memory (a part of x written
    before another part reads it through an overlapping y would change the result)."""
    return (
        x.size >= MIN_THREADED
        and x.dtype.kind == "f"
        and x.dtype == y.dtype
        and x.shape == y.shape
        and x.flags.c_contiguous
        and y.flags.c_contiguous
        and (y is x or not np.may_share_memory(x, y))
    )


_SOFTMAX_COST = 8
"""A softmax row kernel's work per element, in elements of a memory-bound kernel (the unit
of ``parallel_blocks``'s size)."""

_SOFTMAX_NUMPY_MAX = 1024
"""Rows at least this long get their maxima from numpy (float32 at one thread, µs, numpy's max
against the whole softmax: 4096 rows of 64: 158 of 574; 700 rows of 10,000: 1695 of 13,715)."""


def _sigmoid_into(a: np.ndarray, out: np.ndarray) -> None:
    # Stable for large |x|: exp(-|x|) never overflows; then 1/(1+e) or e/(1+e) by sign.
    e = np.exp(-np.abs(a))
    np.add(e, 1, out=out)
    np.divide(np.where(a >= 0, 1, e).astype(a.dtype, copy=False), out, out=out)
