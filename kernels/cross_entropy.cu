// cross_entropy.cu: fused softmax cross-entropy with integer labels over the last axis of
// (rows, classes) logits: the per-row loss, and the gradient softmax - onehot(label) scaled
// by a per-row coefficient, each in one kernel (one block per row, grid-stride over rows,
// block-stride along the row; max and sum through common.cuh's block reductions).
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double logits; float16 computes in
// float; A = float for f16/f32, double for f64):
//   gt_cross_entropy_fwd_<s>(const T* x, const long long* labels, A* loss, long long rows,
//                            long long cols, long long ignore_index)
//       loss[r] = logsumexp(x[r]) - x[r, labels[r]], 0 where labels[r] == ignore_index; nan
//       where the row's max is not finite (as log_softmax). Labels must be in [0, cols) or
//       ignore_index (the Python side checks, as the array-module forward does).
//   gt_cross_entropy_bwd_<s>(const T* x, const long long* labels, const A* coef, T* dx,
//                            long long rows, long long cols)
//       dx[r, j] = (softmax(x[r])[j] - (j == labels[r])) * coef[r]
// Launch: grid (min(rows, 2^20)), block (32..1024 threads, a multiple of 32).
// Owning ops: cross_entropy (integer labels, 2-D or 1-D logits) and its internal gradient op
// cross_entropy_label_grad (nn/functional.py), whose semantics these follow.
#include "common.cuh"

template <typename T>
__device__ __forceinline__ void gt_ce_fwd_rows(const T* __restrict__ x,
                                               const long long* __restrict__ labels,
                                               typename gt_acc<T>::type* __restrict__ loss,
                                               long long rows, long long cols,
                                               long long ignore_index) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        A m = -gt_inf<A>();
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = gt_max_nan(m, (A)xr[j]);
        m = gt_block_max(m);
        A s = A(0);
        if (gt_isfinite(m))
            for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp((A)xr[j] - m);
        s = gt_block_sum(s);
        if (threadIdx.x == 0) {
            const long long label = labels[row];
            if (label == ignore_index) loss[row] = A(0);
            else if (!gt_isfinite(m)) loss[row] = gt_nan<A>();
            else loss[row] = -(((A)xr[label] - m) - log(s));
        }
    }
}

template <typename T>
__device__ __forceinline__ void gt_ce_bwd_rows(const T* __restrict__ x,
                                               const long long* __restrict__ labels,
                                               const typename gt_acc<T>::type* __restrict__ coef,
                                               T* __restrict__ dx, long long rows,
                                               long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T* dr = dx + row * cols;
        A m = -gt_inf<A>();
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = gt_max_nan(m, (A)xr[j]);
        m = gt_block_max(m);
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp((A)xr[j] - m);
        s = gt_block_sum(s);
        const long long label = labels[row];
        const A c = coef[row];
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            A p = exp((A)xr[j] - m) / s;
            if (j == label) p -= A(1);
            dr[j] = (T)(p * c);
        }
    }
}

extern "C" __global__ void gt_cross_entropy_fwd_f16(const gt_half* x, const long long* labels, float* loss, long long rows, long long cols, long long ignore_index) { gt_ce_fwd_rows<gt_half>(x, labels, loss, rows, cols, ignore_index); }
extern "C" __global__ void gt_cross_entropy_fwd_f32(const float* x, const long long* labels, float* loss, long long rows, long long cols, long long ignore_index) { gt_ce_fwd_rows<float>(x, labels, loss, rows, cols, ignore_index); }
extern "C" __global__ void gt_cross_entropy_fwd_f64(const double* x, const long long* labels, double* loss, long long rows, long long cols, long long ignore_index) { gt_ce_fwd_rows<double>(x, labels, loss, rows, cols, ignore_index); }

extern "C" __global__ void gt_cross_entropy_bwd_f16(const gt_half* x, const long long* labels, const float* coef, gt_half* dx, long long rows, long long cols) { gt_ce_bwd_rows<gt_half>(x, labels, coef, dx, rows, cols); }
extern "C" __global__ void gt_cross_entropy_bwd_f32(const float* x, const long long* labels, const float* coef, float* dx, long long rows, long long cols) { gt_ce_bwd_rows<float>(x, labels, coef, dx, rows, cols); }
extern "C" __global__ void gt_cross_entropy_bwd_f64(const double* x, const long long* labels, const double* coef, double* dx, long long rows, long long cols) { gt_ce_bwd_rows<double>(x, labels, coef, dx, rows, cols); }
