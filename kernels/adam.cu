// adam.cu: the fused Adam / AdamW update of one parameter: one kernel reads p, g, m, v once
// and writes p, m, v in place (the op path runs about ten array-module passes for it).
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double storage of p, g, m and v;
// float16 computes in float; A = float for f16/f32, double for f64):
//   gt_adam_fwd_<s>(T* p, const T* g, T* m, T* v, long long n, double decay, double l2,
//                   double beta1, double beta2, double eps, double step_size,
//                   double bc2_sqrt)
//       for each i < n (PyTorch's / gputensor.optim.Adam's update, step t from 1):
//         p = p * decay                      (AdamW: decay = 1 - lr * weight_decay, else 1)
//         g = g + l2 * p_old                 (Adam: l2 = weight_decay; AdamW: 0)
//         m = beta1 * m + (1 - beta1) * g
//         v = beta2 * v + (1 - beta2) * g * g
//         p = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
//       with the bias corrections passed as scalars: step_size = lr / (1 - beta1^t),
//       bc2_sqrt = sqrt(1 - beta2^t) (the Python side computes them once per step).
// Launch: grid (min(ceil(n / 256), 2^20)), block (256); grid-stride loop over the elements.
// Arrays are C-contiguous with n elements each (the Python side copies a strided g once).
// Owning op: none in the op table; gputensor.optim.Adam / AdamW call it through
// CupyBackend.fused_adam_step (gputensor/backends/cupy_backend.py), and its semantics follow
// Adam._step_group (gputensor/optim/adam.py) without amsgrad.
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void gt_adam_update(T* __restrict__ p, const T* __restrict__ g,
                                               T* __restrict__ m, T* __restrict__ v,
                                               long long n, double decay, double l2,
                                               double beta1, double beta2, double eps,
                                               double step_size, double bc2_sqrt) {
    typedef typename gt_acc<T>::type A;
    // 1 - beta in double, then rounded: 1 - 0.999f in float would be off by 5e-5 relative
    const A b1 = (A)beta1, b2 = (A)beta2, c1 = (A)(1.0 - beta1), c2 = (A)(1.0 - beta2);
    const A dk = (A)decay, wd = (A)l2, e = (A)eps, ss = (A)step_size, bc2 = (A)bc2_sqrt;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const A p0 = (A)p[i];
        const A gi = (A)g[i] + wd * p0;
        const A mi = b1 * (A)m[i] + c1 * gi;
        const A vi = b2 * (A)v[i] + c2 * (gi * gi);
        m[i] = (T)mi;
        v[i] = (T)vi;
        p[i] = (T)(p0 * dk - ss * mi / (sqrt(vi) / bc2 + e));
    }
}

extern "C" __global__ void gt_adam_fwd_f16(gt_half* p, const gt_half* g, gt_half* m, gt_half* v, long long n, double decay, double l2, double beta1, double beta2, double eps, double step_size, double bc2_sqrt) { gt_adam_update<gt_half>(p, g, m, v, n, decay, l2, beta1, beta2, eps, step_size, bc2_sqrt); }
extern "C" __global__ void gt_adam_fwd_f32(float* p, const float* g, float* m, float* v, long long n, double decay, double l2, double beta1, double beta2, double eps, double step_size, double bc2_sqrt) { gt_adam_update<float>(p, g, m, v, n, decay, l2, beta1, beta2, eps, step_size, bc2_sqrt); }
extern "C" __global__ void gt_adam_fwd_f64(double* p, const double* g, double* m, double* v, long long n, double decay, double l2, double beta1, double beta2, double eps, double step_size, double bc2_sqrt) { gt_adam_update<double>(p, g, m, v, n, decay, l2, beta1, beta2, eps, step_size, bc2_sqrt); }
