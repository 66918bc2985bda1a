// Shared by every kernel file: the loader (plugtorch_cupy/_kernels.py) puts this text in front
// of each .cu source, so the files compile with NVRTC alone, without any include path.
// Block sizes are multiples of 32 (one warp) and at most 1024.

typedef long long i64;

#define FULL_MASK 0xffffffffu

template <typename T> __device__ __forceinline__ bool pt_isnan(T v) { return v != v; }

// The lowest and highest value of each type: the identities of max and min.
template <typename T> __device__ __forceinline__ T pt_lowest();
template <typename T> __device__ __forceinline__ T pt_highest();
template <> __device__ __forceinline__ float pt_lowest<float>() {
    return __int_as_float(0xff800000);
}
template <> __device__ __forceinline__ float pt_highest<float>() {
    return __int_as_float(0x7f800000);
}
template <> __device__ __forceinline__ double pt_lowest<double>() {
    return __longlong_as_double(0xfff0000000000000ULL);
}
template <> __device__ __forceinline__ double pt_highest<double>() {
    return __longlong_as_double(0x7ff0000000000000ULL);
}
template <> __device__ __forceinline__ int pt_lowest<int>() { return (int)0x80000000; }
template <> __device__ __forceinline__ int pt_highest<int>() { return 0x7fffffff; }
template <> __device__ __forceinline__ i64 pt_lowest<i64>() { return (i64)0x8000000000000000ULL; }
template <> __device__ __forceinline__ i64 pt_highest<i64>() { return 0x7fffffffffffffffLL; }

// Reduction operators. max and min propagate nan (as numpy and PyTorch do): once a nan is
// seen it wins every later comparison.
template <typename T> struct SumOp {
    __device__ __forceinline__ static T identity() { return T(0); }
    __device__ __forceinline__ static T apply(T a, T b) { return a + b; }
};
template <typename T> struct MaxOp {
    __device__ __forceinline__ static T identity() { return pt_lowest<T>(); }
    __device__ __forceinline__ static T apply(T a, T b) { return (pt_isnan(a) || a > b) ? a : b; }
};
template <typename T> struct MinOp {
    __device__ __forceinline__ static T identity() { return pt_highest<T>(); }
    __device__ __forceinline__ static T apply(T a, T b) { return (pt_isnan(a) || a < b) ? a : b; }
};

// Tree reduction inside one warp: after it, lane 0 holds the combination of all 32 lanes.
template <typename T, typename Op> __device__ __forceinline__ T warp_reduce(T v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v = Op::apply(v, __shfl_down_sync(FULL_MASK, v, offset));
    }
    return v;
}

// Reduction over the whole block, returned to every thread. Each warp reduces with shuffles,
// warp leaders meet in shared memory, warp 0 reduces their results. Safe to call repeatedly in
// one kernel (the trailing barrier protects the shared slots from the next call).
template <typename T, typename Op> __device__ T block_allreduce(T v) {
    __shared__ T partial[32];
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int warps = (blockDim.x + 31) >> 5;
    v = warp_reduce<T, Op>(v);
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < warps ? partial[lane] : Op::identity();
        v = warp_reduce<T, Op>(v);
        if (lane == 0) partial[0] = v;
    }
    __syncthreads();
    const T result = partial[0];
    __syncthreads();
    return result;
}

// Math that picks the float or double function by overload.
__device__ __forceinline__ float pt_exp(float v) { return expf(v); }
__device__ __forceinline__ double pt_exp(double v) { return exp(v); }
__device__ __forceinline__ float pt_log(float v) { return logf(v); }
__device__ __forceinline__ double pt_log(double v) { return log(v); }
__device__ __forceinline__ float pt_sqrt(float v) { return sqrtf(v); }
__device__ __forceinline__ double pt_sqrt(double v) { return sqrt(v); }
