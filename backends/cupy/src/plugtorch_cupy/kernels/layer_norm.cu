// Layer normalisation over the last axis of a C-contiguous [rows, L] array, one block per row:
//   mean = sum(x) / L, var = sum((x - mean)^2) / L (biased, as PyTorch), rstd = 1/sqrt(var+eps)
//   y = (x - mean) * rstd * weight + bias   (has_weight / has_bias 0: that factor is left out)
// Backward, with xhat = (x - mean) * rstd and g = grad_y * weight:
//   grad_x = rstd * (g - mean(g) - xhat * mean(g * xhat))
//   grad_weight[j] = sum over rows of grad_y * xhat,  grad_bias[j] = sum over rows of grad_y

template <typename T>
__device__ void layer_norm_forward(const T* __restrict__ x, const T* __restrict__ weight,
                                   const T* __restrict__ bias, T* __restrict__ y,
                                   T* __restrict__ mean_out, T* __restrict__ rstd_out, i64 rows,
                                   int L, T eps, int has_weight, int has_bias) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * L;
        T* yr = y + row * L;
        T s = T(0);
        for (int j = threadIdx.x; j < L; j += blockDim.x) s += xr[j];
        const T mean = block_allreduce<T, SumOp<T> >(s) / T(L);
        T q = T(0);
        for (int j = threadIdx.x; j < L; j += blockDim.x) q += (xr[j] - mean) * (xr[j] - mean);
        const T var = block_allreduce<T, SumOp<T> >(q) / T(L);
        const T rstd = T(1) / pt_sqrt(var + eps);
        for (int j = threadIdx.x; j < L; j += blockDim.x) {
            T v = (xr[j] - mean) * rstd;
            if (has_weight) v *= weight[j];
            if (has_bias) v += bias[j];
            yr[j] = v;
        }
        if (threadIdx.x == 0) {
            mean_out[row] = mean;
            rstd_out[row] = rstd;
        }
    }
}

template <typename T>
__device__ void layer_norm_backward_input(const T* __restrict__ gy, const T* __restrict__ x,
                                          const T* __restrict__ weight,
                                          const T* __restrict__ mean, const T* __restrict__ rstd,
                                          T* __restrict__ gx, i64 rows, int L, int has_weight) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* gyr = gy + row * L;
        const T* xr = x + row * L;
        T* gxr = gx + row * L;
        const T mu = mean[row], rs = rstd[row];
        T sum_g = T(0), sum_gx = T(0);
        for (int j = threadIdx.x; j < L; j += blockDim.x) {
            const T g = has_weight ? gyr[j] * weight[j] : gyr[j];
            sum_g += g;
            sum_gx += g * (xr[j] - mu) * rs;
        }
        const T mean_g = block_allreduce<T, SumOp<T> >(sum_g) / T(L);
        const T mean_gx = block_allreduce<T, SumOp<T> >(sum_gx) / T(L);
        for (int j = threadIdx.x; j < L; j += blockDim.x) {
            const T g = has_weight ? gyr[j] * weight[j] : gyr[j];
            const T xhat = (xr[j] - mu) * rs;
            gxr[j] = rs * (g - mean_g - xhat * mean_gx);
        }
    }
}

// One thread per column j: serial sums over the rows (coalesced across threads).
template <typename T>
__device__ void layer_norm_backward_params(const T* __restrict__ gy, const T* __restrict__ x,
                                           const T* __restrict__ mean,
                                           const T* __restrict__ rstd, T* __restrict__ gw,
                                           T* __restrict__ gb, i64 rows, int L) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= L) return;
    T sw = T(0), sb = T(0);
    for (i64 row = 0; row < rows; ++row) {
        const T g = gy[row * L + j];
        sw += g * (x[row * L + j] - mean[row]) * rstd[row];
        sb += g;
    }
    gw[j] = sw;
    gb[j] = sb;
}

#define PT_LAYER_NORM(T, SUFFIX)                                                                \
    extern "C" __global__ void layer_norm_forward_##SUFFIX(const T* x, const T* w, const T* b, \
                                                           T* y, T* mean, T* rstd, i64 rows,    \
                                                           int L, T eps, int has_w, int has_b) {\
        layer_norm_forward<T>(x, w, b, y, mean, rstd, rows, L, eps, has_w, has_b);              \
    }                                                                                           \
    extern "C" __global__ void layer_norm_backward_input_##SUFFIX(                              \
        const T* gy, const T* x, const T* w, const T* mean, const T* rstd, T* gx, i64 rows,     \
        int L, int has_w) {                                                                     \
        layer_norm_backward_input<T>(gy, x, w, mean, rstd, gx, rows, L, has_w);                 \
    }                                                                                           \
    extern "C" __global__ void layer_norm_backward_params_##SUFFIX(                             \
        const T* gy, const T* x, const T* mean, const T* rstd, T* gw, T* gb, i64 rows, int L) { \
        layer_norm_backward_params<T>(gy, x, mean, rstd, gw, gb, rows, L);                      \
    }

PT_LAYER_NORM(float, float32)
PT_LAYER_NORM(double, float64)
