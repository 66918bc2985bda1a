// Batched matrix product C[b] = A[b] @ B[b] of C-contiguous row-major matrices (M x K times
// K x N), tiled through shared memory. A block of 256 threads computes a TILE_M x TILE_N tile
// of C; each thread owns 8 x 8 outputs at rows ty + 16 i and columns tx + 16 j (strided, so a
// warp's shared-memory reads are conflict-free broadcasts). The K dimension advances TILE_K at
// a time: the block stages A[TILE_M x TILE_K] (stored transposed) and B[TILE_K x TILE_N] in
// shared memory, padding out-of-range elements with zeros. tests/test_index_models.py runs the
// same tiling in numpy for shapes that are not multiples of the tiles.

#define TILE_M 128
#define TILE_N 128
#define TILE_K 8
#define THREADS 256
#define PER_THREAD 8

template <typename T>
__device__ void matmul_tiled(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ c,
                             int M, int N, int K) {
    __shared__ T a_tile[TILE_K][TILE_M];
    __shared__ T b_tile[TILE_K][TILE_N];
    const i64 batch = blockIdx.z;
    a += batch * M * K;
    b += batch * K * N;
    c += batch * M * N;
    const int row0 = blockIdx.y * TILE_M;
    const int col0 = blockIdx.x * TILE_N;
    const int tx = threadIdx.x % 16;
    const int ty = threadIdx.x / 16;
    T acc[PER_THREAD][PER_THREAD];
#pragma unroll
    for (int i = 0; i < PER_THREAD; ++i)
#pragma unroll
        for (int j = 0; j < PER_THREAD; ++j) acc[i][j] = T(0);

    for (int k0 = 0; k0 < K; k0 += TILE_K) {
        // TILE_M * TILE_K = 1024 elements of A: 4 per thread, consecutive threads along k.
#pragma unroll
        for (int i = 0; i < (TILE_M * TILE_K) / THREADS; ++i) {
            const int e = threadIdx.x + i * THREADS;
            const int r = e / TILE_K, k = e % TILE_K;
            const int gr = row0 + r, gk = k0 + k;
            a_tile[k][r] = (gr < M && gk < K) ? a[(i64)gr * K + gk] : T(0);
        }
        // TILE_K * TILE_N = 1024 elements of B: 4 per thread, consecutive threads along n.
#pragma unroll
        for (int i = 0; i < (TILE_K * TILE_N) / THREADS; ++i) {
            const int e = threadIdx.x + i * THREADS;
            const int k = e / TILE_N, n = e % TILE_N;
            const int gk = k0 + k, gn = col0 + n;
            b_tile[k][n] = (gk < K && gn < N) ? b[(i64)gk * N + gn] : T(0);
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < TILE_K; ++k) {
            T a_reg[PER_THREAD], b_reg[PER_THREAD];
#pragma unroll
            for (int i = 0; i < PER_THREAD; ++i) a_reg[i] = a_tile[k][ty + 16 * i];
#pragma unroll
            for (int j = 0; j < PER_THREAD; ++j) b_reg[j] = b_tile[k][tx + 16 * j];
#pragma unroll
            for (int i = 0; i < PER_THREAD; ++i)
#pragma unroll
                for (int j = 0; j < PER_THREAD; ++j) acc[i][j] += a_reg[i] * b_reg[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < PER_THREAD; ++i) {
        const int r = row0 + ty + 16 * i;
#pragma unroll
        for (int j = 0; j < PER_THREAD; ++j) {
            const int n = col0 + tx + 16 * j;
            if (r < M && n < N) c[(i64)r * N + n] = acc[i][j];
        }
    }
}

extern "C" __global__ void __launch_bounds__(THREADS)
matmul_tiled_float32(const float* a, const float* b, float* c, int M, int N, int K) {
    matmul_tiled<float>(a, b, c, M, N, K);
}
extern "C" __global__ void __launch_bounds__(THREADS)
matmul_tiled_float64(const double* a, const double* b, double* c, int M, int N, int K) {
    matmul_tiled<double>(a, b, c, M, N, K);
}
