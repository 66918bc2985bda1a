// Softmax, log-softmax and cross-entropy over the last axis of a C-contiguous [rows, L] array:
// one block per row (grid-stride over rows), block trees for the maximum and the sum. The
// maximum is subtracted first, so no exp overflows; a nan anywhere in a row makes the row nan.

template <typename T>
__device__ void row_max_and_sum(const T* xr, int L, T* row_max, T* row_sum) {
    T m = MaxOp<T>::identity();
    for (int j = threadIdx.x; j < L; j += blockDim.x) m = MaxOp<T>::apply(m, xr[j]);
    m = block_allreduce<T, MaxOp<T> >(m);
    // The maximum is subtracted even when it is not finite, as PyTorch: a row holding a nan
    // or +inf, or made only of -inf, becomes nan.
    const T shift = m;
    T s = T(0);
    for (int j = threadIdx.x; j < L; j += blockDim.x) s += pt_exp(xr[j] - shift);
    s = block_allreduce<T, SumOp<T> >(s);
    *row_max = shift;
    *row_sum = s;
}

template <typename T>
__device__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, i64 rows, int L,
                             bool log_output) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * L;
        T* yr = y + row * L;
        T m, s;
        row_max_and_sum<T>(xr, L, &m, &s);
        if (log_output) {
            const T log_sum = pt_log(s);
            for (int j = threadIdx.x; j < L; j += blockDim.x) yr[j] = xr[j] - m - log_sum;
        } else {
            const T inv = T(1) / s;
            for (int j = threadIdx.x; j < L; j += blockDim.x) yr[j] = pt_exp(xr[j] - m) * inv;
        }
    }
}

// Cross-entropy with integer class targets, fused with its gradient:
//   loss[row] = logsumexp(x[row]) - x[row, target[row]]
//   grad[row, j] = softmax(x[row])[j] - (j == target[row])
// A target outside [0, L) (PyTorch's ignore_index, -100 by default) gives loss 0 and grad 0.
template <typename T>
__device__ void cross_entropy_rows(const T* __restrict__ x, const i64* __restrict__ target,
                                   T* __restrict__ loss, T* __restrict__ grad, i64 rows, int L) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * L;
        T* gr = grad + row * L;
        const i64 t = target[row];
        const bool valid = t >= 0 && t < L;
        T m, s;
        row_max_and_sum<T>(xr, L, &m, &s);
        const T inv = T(1) / s;
        for (int j = threadIdx.x; j < L; j += blockDim.x) {
            gr[j] = valid ? pt_exp(xr[j] - m) * inv - (j == t ? T(1) : T(0)) : T(0);
        }
        if (threadIdx.x == 0) loss[row] = valid ? m + pt_log(s) - xr[t] : T(0);
    }
}

#define PT_SOFTMAX(T, SUFFIX)                                                                   \
    extern "C" __global__ void softmax_##SUFFIX(const T* x, T* y, i64 rows, int L) {           \
        softmax_rows<T>(x, y, rows, L, false);                                                  \
    }                                                                                           \
    extern "C" __global__ void log_softmax_##SUFFIX(const T* x, T* y, i64 rows, int L) {       \
        softmax_rows<T>(x, y, rows, L, true);                                                   \
    }                                                                                           \
    extern "C" __global__ void cross_entropy_##SUFFIX(const T* x, const i64* target, T* loss,  \
                                                      T* grad, i64 rows, int L) {               \
        cross_entropy_rows<T>(x, target, loss, grad, rows, L);                                  \
    }

PT_SOFTMAX(float, float32)
PT_SOFTMAX(double, float64)
