// One Adam / AdamW update (torch.optim.Adam, torch.optim.AdamW with decoupled=1) in one pass
// over contiguous arrays, writing new arrays (the inputs are never mutated). The scalars are
// computed in double on the host: step_size = lr / (1 - beta1^step),
// inv_bias2_sqrt = 1 / sqrt(1 - beta2^step), shrink = 1 - lr * weight_decay.
//   decoupled:  p = p * shrink                      else: g = g + weight_decay * p
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   p = p - step_size * m / (sqrt(v) * inv_bias2_sqrt + eps)

template <typename T>
__device__ void adam_step(const T* __restrict__ param, const T* __restrict__ grad,
                          const T* __restrict__ m, const T* __restrict__ v,
                          T* __restrict__ new_param, T* __restrict__ new_m, T* __restrict__ new_v,
                          i64 n, double beta1, double beta2, double eps, double weight_decay,
                          double step_size, double inv_bias2_sqrt, double shrink, int decoupled) {
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (i64)gridDim.x * blockDim.x) {
        T p = param[i];
        T g = grad[i];
        if (decoupled) {
            p = p * T(shrink);
        } else if (weight_decay != 0.0) {
            g = g + T(weight_decay) * p;
        }
        const T mi = T(beta1) * m[i] + T(1.0 - beta1) * g;
        const T vi = T(beta2) * v[i] + T(1.0 - beta2) * g * g;
        const T denominator = pt_sqrt(vi) * T(inv_bias2_sqrt) + T(eps);
        new_param[i] = p - mi / denominator * T(step_size);
        new_m[i] = mi;
        new_v[i] = vi;
    }
}

#define PT_ADAM(T, SUFFIX)                                                                      \
    extern "C" __global__ void adam_step_##SUFFIX(                                              \
        const T* param, const T* grad, const T* m, const T* v, T* new_param, T* new_m,          \
        T* new_v, i64 n, double beta1, double beta2, double eps, double weight_decay,           \
        double step_size, double inv_bias2_sqrt, double shrink, int decoupled) {                \
        adam_step<T>(param, grad, m, v, new_param, new_m, new_v, n, beta1, beta2, eps,          \
                     weight_decay, step_size, inv_bias2_sqrt, shrink, decoupled);               \
    }

PT_ADAM(float, float32)
PT_ADAM(double, float64)
