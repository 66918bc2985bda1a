// Reductions over any axes. The Python side (plugtorch_cupy/_reduce.py) views the input as a
// C-contiguous [A, R, B] array (R = product of the reduced axes, kept axes before and after)
// and splits R into S equal chunks so that enough blocks run; each launch writes partial
// results [A, S, B], and the host launches again over [A, S, B] until S == 1. Every element is
// read by exactly one thread of one chunk, and every partial is combined again: no length
// leaves a partial sum behind (the model in tests/test_index_models.py checks the
// partitioning against numpy for awkward lengths).

// B == 1: rows. Block b handles row a = b / S, chunk s = b % S of R. Its threads stride over
// the chunk with four independent accumulators (memory-level parallelism), then the block
// reduces them with warp shuffles and writes one partial.
template <typename T, typename Op>
__device__ void reduce_rows(const T* __restrict__ x, T* __restrict__ out, i64 A, i64 R, i64 S) {
    const i64 row = blockIdx.x / S;
    const i64 split = blockIdx.x % S;
    if (row >= A) return;
    const i64 chunk = (R + S - 1) / S;
    const i64 start = split * chunk;
    const i64 end = min(R, start + chunk);
    const T* base = x + row * R;
    const i64 stride = blockDim.x;
    T acc0 = Op::identity(), acc1 = Op::identity(), acc2 = Op::identity(), acc3 = Op::identity();
    i64 r = start + threadIdx.x;
    for (; r + 3 * stride < end; r += 4 * stride) {
        acc0 = Op::apply(acc0, base[r]);
        acc1 = Op::apply(acc1, base[r + stride]);
        acc2 = Op::apply(acc2, base[r + 2 * stride]);
        acc3 = Op::apply(acc3, base[r + 3 * stride]);
    }
    for (; r < end; r += stride) acc0 = Op::apply(acc0, base[r]);
    T acc = Op::apply(Op::apply(acc0, acc1), Op::apply(acc2, acc3));
    acc = block_allreduce<T, Op>(acc);
    if (threadIdx.x == 0) out[row * S + split] = acc;
}

// B > 1: columns. Thread (a, s, b) with b = blockIdx.x * blockDim.x + threadIdx.x (adjacent
// threads read adjacent memory) and blockIdx.y = a * S + s walks its chunk of R serially.
template <typename T, typename Op>
__device__ void reduce_cols(const T* __restrict__ x, T* __restrict__ out, i64 A, i64 R, i64 B,
                            i64 S) {
    const i64 b = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    const i64 row = blockIdx.y / S;
    const i64 split = blockIdx.y % S;
    if (b >= B || row >= A) return;
    const i64 chunk = (R + S - 1) / S;
    const i64 start = split * chunk;
    const i64 end = min(R, start + chunk);
    const T* base = x + row * R * B + b;
    T acc = Op::identity();
    for (i64 r = start; r < end; ++r) acc = Op::apply(acc, base[r * B]);
    out[(row * S + split) * B + b] = acc;
}

#define PT_REDUCE(OPNAME, OP, T, SUFFIX)                                                        \
    extern "C" __global__ void reduce_rows_##OPNAME##_##SUFFIX(const T* x, T* out, i64 A,      \
                                                                i64 R, i64 S) {                \
        reduce_rows<T, OP<T> >(x, out, A, R, S);                                                \
    }                                                                                           \
    extern "C" __global__ void reduce_cols_##OPNAME##_##SUFFIX(const T* x, T* out, i64 A,      \
                                                                i64 R, i64 B, i64 S) {         \
        reduce_cols<T, OP<T> >(x, out, A, R, B, S);                                             \
    }

#define PT_REDUCE_ALL_OPS(T, SUFFIX) \
    PT_REDUCE(sum, SumOp, T, SUFFIX) \
    PT_REDUCE(max, MaxOp, T, SUFFIX) \
    PT_REDUCE(min, MinOp, T, SUFFIX)

PT_REDUCE_ALL_OPS(float, float32)
PT_REDUCE_ALL_OPS(double, float64)
PT_REDUCE_ALL_OPS(i64, int64)
