// 2-D convolution (groups, stride, padding, dilation; no bias) and pooling, forward and
// backward, on C-contiguous NCHW arrays. Every kernel but max_pool2d_backward gathers (one
// thread per output element it writes, summing what contributes to it): no atomics, and
// repeated runs give identical bits. The index arithmetic is modelled in Python in
// tests/test_index_models.py.

// The host passes the sizes as one small int array (cached on the device per shape), read
// into these structs by every thread; the field order is the array's order.
struct ConvShape {
    int N, C, H, W;      // input
    int O, KH, KW;       // weight [O, C / groups, KH, KW]
    int HO, WO;          // output
    int SH, SW, PH, PW, DH, DW, groups;
};

__device__ __forceinline__ ConvShape conv_shape(const int* d) {
    ConvShape s;
    s.N = d[0]; s.C = d[1]; s.H = d[2]; s.W = d[3];
    s.O = d[4]; s.KH = d[5]; s.KW = d[6];
    s.HO = d[7]; s.WO = d[8];
    s.SH = d[9]; s.SW = d[10]; s.PH = d[11]; s.PW = d[12]; s.DH = d[13]; s.DW = d[14];
    s.groups = d[15];
    return s;
}

// The coordinates of flat index idx in a C-contiguous [*, C, H, W] array.
struct Index4 {
    int n, c, y, x;
};

__device__ __forceinline__ Index4 unravel4(i64 idx, int C, int H, int W) {
    Index4 r;
    r.x = idx % W;
    r.y = (idx / W) % H;
    r.c = (idx / ((i64)W * H)) % C;
    r.n = idx / ((i64)W * H * C);
    return r;
}

// y[n, o, oy, ox] = sum over c in o's group, ky, kx of
//   x[n, c, oy*SH - PH + ky*DH, ox*SW - PW + kx*DW] * w[o, c - group_start, ky, kx]
template <typename T>
__device__ void conv2d_forward(const T* __restrict__ x, const T* __restrict__ w,
                               T* __restrict__ y, ConvShape s) {
    const i64 total = (i64)s.N * s.O * s.HO * s.WO;
    const int cg = s.C / s.groups, og = s.O / s.groups;
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const Index4 at = unravel4(idx, s.O, s.HO, s.WO);
        const int n = at.n, o = at.c, oy = at.y, ox = at.x;
        const int c0 = (o / og) * cg;
        T acc = T(0);
        for (int c = 0; c < cg; ++c) {
            const T* xp = x + ((i64)n * s.C + c0 + c) * s.H * s.W;
            const T* wp = w + ((i64)o * cg + c) * s.KH * s.KW;
            for (int ky = 0; ky < s.KH; ++ky) {
                const int iy = oy * s.SH - s.PH + ky * s.DH;
                if (iy < 0 || iy >= s.H) continue;
                for (int kx = 0; kx < s.KW; ++kx) {
                    const int ix = ox * s.SW - s.PW + kx * s.DW;
                    if (ix < 0 || ix >= s.W) continue;
                    acc += xp[iy * s.W + ix] * wp[ky * s.KW + kx];
                }
            }
        }
        y[idx] = acc;
    }
}

// grad_x[n, c, iy, ix] = sum over o in c's group, ky, kx with
//   oy = (iy + PH - ky*DH) / SH exact and in range (same for x) of grad_y[n, o, oy, ox] * w[...]
template <typename T>
__device__ void conv2d_backward_input(const T* __restrict__ gy, const T* __restrict__ w,
                                      T* __restrict__ gx, ConvShape s) {
    const i64 total = (i64)s.N * s.C * s.H * s.W;
    const int cg = s.C / s.groups, og = s.O / s.groups;
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const Index4 at = unravel4(idx, s.C, s.H, s.W);
        const int n = at.n, c = at.c, iy = at.y, ix = at.x;
        const int g = c / cg, cl = c % cg;
        T acc = T(0);
        for (int o = g * og; o < (g + 1) * og; ++o) {
            const T* gyp = gy + ((i64)n * s.O + o) * s.HO * s.WO;
            const T* wp = w + ((i64)o * cg + cl) * s.KH * s.KW;
            for (int ky = 0; ky < s.KH; ++ky) {
                const int ty = iy + s.PH - ky * s.DH;
                if (ty < 0 || ty % s.SH != 0) continue;
                const int oy = ty / s.SH;
                if (oy >= s.HO) continue;
                for (int kx = 0; kx < s.KW; ++kx) {
                    const int tx = ix + s.PW - kx * s.DW;
                    if (tx < 0 || tx % s.SW != 0) continue;
                    const int ox = tx / s.SW;
                    if (ox >= s.WO) continue;
                    acc += gyp[oy * s.WO + ox] * wp[ky * s.KW + kx];
                }
            }
        }
        gx[idx] = acc;
    }
}

// grad_w[o, cl, ky, kx] = sum over n, oy, ox of grad_y[n, o, oy, ox] * x[n, c, iy, ix]: one
// block per weight element, its threads stride over the N * HO * WO terms, then a block tree.
template <typename T>
__device__ void conv2d_backward_weight(const T* __restrict__ gy, const T* __restrict__ x,
                                       T* __restrict__ gw, ConvShape s) {
    const int cg = s.C / s.groups, og = s.O / s.groups;
    const i64 weights = (i64)s.O * cg * s.KH * s.KW;
    const i64 terms = (i64)s.N * s.HO * s.WO;
    for (i64 widx = blockIdx.x; widx < weights; widx += gridDim.x) {
        const Index4 at = unravel4(widx, cg, s.KH, s.KW);
        const int o = at.n, cl = at.c, ky = at.y, kx = at.x;
        const int c = (o / og) * cg + cl;
        T acc = T(0);
        for (i64 t = threadIdx.x; t < terms; t += blockDim.x) {
            const int ox = t % s.WO;
            const int oy = (t / s.WO) % s.HO;
            const int n = t / ((i64)s.WO * s.HO);
            const int iy = oy * s.SH - s.PH + ky * s.DH;
            const int ix = ox * s.SW - s.PW + kx * s.DW;
            if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
            acc += gy[(((i64)n * s.O + o) * s.HO + oy) * s.WO + ox] *
                   x[(((i64)n * s.C + c) * s.H + iy) * s.W + ix];
        }
        acc = block_allreduce<T, SumOp<T> >(acc);
        if (threadIdx.x == 0) gw[widx] = acc;
    }
}

struct PoolShape {
    int planes, H, W, HO, WO, KH, KW, SH, SW, PH, PW;  // planes = N * C
};

__device__ __forceinline__ PoolShape pool_shape(const int* d) {
    PoolShape s;
    s.planes = d[0]; s.H = d[1]; s.W = d[2]; s.HO = d[3]; s.WO = d[4];
    s.KH = d[5]; s.KW = d[6]; s.SH = d[7]; s.SW = d[8]; s.PH = d[9]; s.PW = d[10];
    return s;
}

// Max pooling: the first maximum of each window wins, a nan counts as the maximum (PyTorch);
// padding never wins. argmax is the flat index iy * W + ix inside the plane.
template <typename T>
__device__ void max_pool2d_forward(const T* __restrict__ x, T* __restrict__ y,
                                   i64* __restrict__ argmax, PoolShape s) {
    const i64 total = (i64)s.planes * s.HO * s.WO;
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const Index4 at = unravel4(idx, s.planes, s.HO, s.WO);
        const int oy = at.y, ox = at.x;
        const i64 plane = at.c;
        const T* xp = x + plane * s.H * s.W;
        T best = pt_lowest<T>();
        i64 best_index = -1;
        for (int ky = 0; ky < s.KH; ++ky) {
            const int iy = oy * s.SH - s.PH + ky;
            if (iy < 0 || iy >= s.H) continue;
            for (int kx = 0; kx < s.KW; ++kx) {
                const int ix = ox * s.SW - s.PW + kx;
                if (ix < 0 || ix >= s.W) continue;
                const T v = xp[iy * s.W + ix];
                if (best_index < 0 || (!pt_isnan(best) && (v > best || pt_isnan(v)))) {
                    best = v;
                    best_index = (i64)iy * s.W + ix;
                }
            }
        }
        y[idx] = best;
        argmax[idx] = best_index;
    }
}

// grad_x[plane, argmax[o]] += grad_y[o] for every output o, into a zeroed grad_x. The
// protocol hands over only the indices (not the window), so this scatters with atomics; with
// windows that do not overlap (stride >= kernel, the usual case) every input receives at most
// one value and the result is exact and repeatable.
template <typename T>
__device__ void max_pool2d_backward(const T* __restrict__ gy, const i64* __restrict__ argmax,
                                    T* __restrict__ gx, PoolShape s) {
    const i64 total = (i64)s.planes * s.HO * s.WO;
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const i64 plane = idx / ((i64)s.WO * s.HO);
        const i64 target = argmax[idx];
        if (target >= 0) atomicAdd(gx + plane * s.H * s.W + target, gy[idx]);
    }
}

// Average pooling with the padding counted in the divisor (count_include_pad=True).
template <typename T>
__device__ void avg_pool2d_forward(const T* __restrict__ x, T* __restrict__ y, PoolShape s) {
    const i64 total = (i64)s.planes * s.HO * s.WO;
    const T scale = T(1) / T(s.KH * s.KW);
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const Index4 at = unravel4(idx, s.planes, s.HO, s.WO);
        const int oy = at.y, ox = at.x;
        const i64 plane = at.c;
        const T* xp = x + plane * s.H * s.W;
        T acc = T(0);
        for (int ky = 0; ky < s.KH; ++ky) {
            const int iy = oy * s.SH - s.PH + ky;
            if (iy < 0 || iy >= s.H) continue;
            for (int kx = 0; kx < s.KW; ++kx) {
                const int ix = ox * s.SW - s.PW + kx;
                if (ix >= 0 && ix < s.W) acc += xp[iy * s.W + ix];
            }
        }
        y[idx] = acc * scale;
    }
}

template <typename T>
__device__ void avg_pool2d_backward(const T* __restrict__ gy, T* __restrict__ gx, PoolShape s) {
    const i64 total = (i64)s.planes * s.H * s.W;
    const T scale = T(1) / T(s.KH * s.KW);
    for (i64 idx = (i64)blockIdx.x * blockDim.x + threadIdx.x; idx < total;
         idx += (i64)gridDim.x * blockDim.x) {
        const Index4 at = unravel4(idx, s.planes, s.H, s.W);
        const int iy = at.y, ix = at.x;
        const i64 plane = at.c;
        const int oy_lo = max(0, (iy + s.PH - s.KH + s.SH) / s.SH);
        const int oy_hi = min(s.HO - 1, (iy + s.PH) / s.SH);
        const int ox_lo = max(0, (ix + s.PW - s.KW + s.SW) / s.SW);
        const int ox_hi = min(s.WO - 1, (ix + s.PW) / s.SW);
        T acc = T(0);
        for (int oy = oy_lo; oy <= oy_hi; ++oy)
            for (int ox = ox_lo; ox <= ox_hi; ++ox) acc += gy[(plane * s.HO + oy) * s.WO + ox];
        gx[idx] = acc * scale;
    }
}

#define PT_CONV_POOL(T, SUFFIX)                                                                 \
    extern "C" __global__ void conv2d_forward_##SUFFIX(const T* x, const T* w, T* y,            \
                                                       const int* d) {                          \
        conv2d_forward<T>(x, w, y, conv_shape(d));                                              \
    }                                                                                           \
    extern "C" __global__ void conv2d_backward_input_##SUFFIX(const T* gy, const T* w, T* gx,   \
                                                              const int* d) {                   \
        conv2d_backward_input<T>(gy, w, gx, conv_shape(d));                                     \
    }                                                                                           \
    extern "C" __global__ void conv2d_backward_weight_##SUFFIX(const T* gy, const T* x, T* gw,  \
                                                               const int* d) {                  \
        conv2d_backward_weight<T>(gy, x, gw, conv_shape(d));                                    \
    }                                                                                           \
    extern "C" __global__ void max_pool2d_forward_##SUFFIX(const T* x, T* y, i64* argmax,       \
                                                           const int* d) {                      \
        max_pool2d_forward<T>(x, y, argmax, pool_shape(d));                                     \
    }                                                                                           \
    extern "C" __global__ void max_pool2d_backward_##SUFFIX(const T* gy, const i64* argmax,     \
                                                            T* gx, const int* d) {              \
        max_pool2d_backward<T>(gy, argmax, gx, pool_shape(d));                                  \
    }                                                                                           \
    extern "C" __global__ void avg_pool2d_forward_##SUFFIX(const T* x, T* y, const int* d) {    \
        avg_pool2d_forward<T>(x, y, pool_shape(d));                                             \
    }                                                                                           \
    extern "C" __global__ void avg_pool2d_backward_##SUFFIX(const T* gy, T* gx, const int* d) { \
        avg_pool2d_backward<T>(gy, gx, pool_shape(d));                                          \
    }

PT_CONV_POOL(float, float32)
PT_CONV_POOL(double, float64)
