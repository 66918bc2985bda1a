// A chain of elementwise primitives fused into one kernel: every input element is read once,
// the intermediate values stay in registers, and one result is written (x*y + sin(x) moves
// 3 arrays instead of 7). plugtorch_cupy/_fused.py fills in the placeholders (a dollar sign
// and a name; string.Template):
//   T       the element type (float or double)
//   PARAMS  "const T* __restrict__ in0, const T* __restrict__ in1, ..."
//   LOADS_CONTIGUOUS / LOADS_STRIDED   "const T v0 = in0[...];" for each input
//   BODY    one "const T tK = <expression>;" per step of the chain
//   RESULT  the name of the last value
// Strided inputs (transposed, sliced, zero-stride broadcasts) are read through meta: the
// shape (ndim values) followed by each input's strides in elements (ndim values per input);
// the output is always C-contiguous.

typedef $T T;

__device__ __forceinline__ T pt_sigmoid(T v) {
    // Stable for large |v|: exp never overflows.
    if (v >= T(0)) return T(1) / (T(1) + pt_exp(-v));
    const T e = pt_exp(v);
    return e / (T(1) + e);
}
__device__ __forceinline__ T pt_relu(T v) { return (pt_isnan(v) || v > T(0)) ? v : T(0); }
__device__ __forceinline__ T pt_maximum(T a, T b) { return MaxOp<T>::apply(a, b); }
__device__ __forceinline__ T pt_minimum(T a, T b) { return MinOp<T>::apply(a, b); }

extern "C" __global__ void fused_contiguous($PARAMS, T* __restrict__ out, i64 n) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (i64)gridDim.x * blockDim.x) {
        $LOADS_CONTIGUOUS
        $BODY
        out[i] = $RESULT;
    }
}

extern "C" __global__ void fused_strided($PARAMS, T* __restrict__ out, i64 n,
                                         const i64* __restrict__ meta, int ndim) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (i64)gridDim.x * blockDim.x) {
        $LOADS_STRIDED
        $BODY
        out[i] = $RESULT;
    }
}
