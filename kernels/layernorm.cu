// layernorm.cu: layer normalization over the last (contiguous) axis of a (rows, cols) view,
// forward and backward. One block per row (a grid-stride loop over rows when the grid is
// smaller than the number of rows); each thread walks its row with a block-stride loop.
// The statistics take one read of the row: every thread keeps Welford's running (count, mean,
// M2) of its elements, and the block merges them with two block sums (Chan's formula:
// mean = sum(n_t mean_t) / cols, M2 = sum(M2_t + n_t (mean_t - mean)^2)), so a large mean
// does not cancel the variance as sum(x^2) - sum(x)^2 would.
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double storage; float16 computes
// and accumulates in float; A = float for _f16 and _f32, double for _f64):
//   gt_layer_norm_fwd_<s>(const T* x, const T* w, const T* b, T* y, long long rows,
//                         long long cols, double eps, int has_w, int has_b)
//       y = (x - mean) * rsqrt(var + eps) * w + b per row (biased variance); w and b have
//       `cols` elements and are read only when has_w / has_b (else pass any pointer).
//   gt_layer_norm_bwd_<s>(const T* x, const T* g, const T* w, T* dx, A* part, long long rows,
//                         long long cols, double eps, int has_w)
//       dx = rstd * (g w - mean(g w) - xhat * mean(g w xhat)) per row, xhat = (x - mean) rstd;
//       part is (gridDim.x, 2, cols): block k writes sum(g * xhat) and sum(g) over the rows it
//       handled (the weight and bias gradients' partial sums; the caller sums over k).
//       Every thread owns the same columns in every row, so part needs no atomics or zeroing.
// Launch: grid (min(rows, 2^20)) for the forward, (min(rows, 256)) for the backward (bounds
// the partial sums), block (32..1024 threads, a multiple of 32), no dynamic shared memory.
// Owning ops: layer_norm (nn/functional.py, over the last axes: the Python side flattens them
// into cols) and its internal gradient op layer_norm_grad, whose array-module forwards these
// follow: a row holding nan or inf gives a nan row.
#include "common.cuh"

// mean and 1/sqrt(var + eps) of one row, in every thread of the block
template <typename T>
__device__ __forceinline__ void gt_ln_stats(const T* __restrict__ xr, long long cols,
                                            typename gt_acc<T>::type eps,
                                            typename gt_acc<T>::type& mean,
                                            typename gt_acc<T>::type& rstd) {
    typedef typename gt_acc<T>::type A;
    A n = A(0), m = A(0), m2 = A(0);
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        const A v = (A)xr[j];
        n += A(1);
        const A d = v - m;
        m += d / n;
        m2 += d * (v - m);
    }
    mean = gt_block_sum(n * m) / (A)cols;
    const A d = m - mean;
    const A M2 = gt_block_sum(n > A(0) ? m2 + n * d * d : A(0));
    rstd = A(1) / sqrt(M2 / (A)cols + eps);
}

template <typename T>
__device__ __forceinline__ void gt_ln_fwd_rows(const T* __restrict__ x, const T* __restrict__ w,
                                               const T* __restrict__ b, T* __restrict__ y,
                                               long long rows, long long cols, double eps,
                                               int has_w, int has_b) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T* yr = y + row * cols;
        A mean, rstd;
        gt_ln_stats<T>(xr, cols, (A)eps, mean, rstd);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            A v = ((A)xr[j] - mean) * rstd;
            if (has_w) v = v * (A)w[j];
            if (has_b) v = v + (A)b[j];
            yr[j] = (T)v;
        }
    }
}

template <typename T>
__device__ __forceinline__ void gt_ln_bwd_rows(const T* __restrict__ x, const T* __restrict__ g,
                                               const T* __restrict__ w, T* __restrict__ dx,
                                               typename gt_acc<T>::type* __restrict__ part,
                                               long long rows, long long cols, double eps,
                                               int has_w) {
    typedef typename gt_acc<T>::type A;
    A* pw = part + (long long)blockIdx.x * 2 * cols;  // this block's sum(g * xhat) per column
    A* pb = pw + cols;                                // and sum(g)
    for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
        pw[j] = A(0);
        pb[j] = A(0);
    }
    const A inv_n = A(1) / (A)cols;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        const T* gr = g + row * cols;
        T* dr = dx + row * cols;
        A mean, rstd;
        gt_ln_stats<T>(xr, cols, (A)eps, mean, rstd);
        A s1 = A(0), s2 = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A xh = ((A)xr[j] - mean) * rstd;
            const A gv = (A)gr[j];
            const A gw = has_w ? gv * (A)w[j] : gv;
            s1 += gw;
            s2 += gw * xh;
            pw[j] += gv * xh;
            pb[j] += gv;
        }
        s1 = gt_block_sum(s1) * inv_n;
        s2 = gt_block_sum(s2) * inv_n;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A xh = ((A)xr[j] - mean) * rstd;
            const A gv = (A)gr[j];
            const A gw = has_w ? gv * (A)w[j] : gv;
            dr[j] = (T)(rstd * (gw - s1 - xh * s2));
        }
    }
}

extern "C" __global__ void gt_layer_norm_fwd_f16(const gt_half* x, const gt_half* w, const gt_half* b, gt_half* y, long long rows, long long cols, double eps, int has_w, int has_b) { gt_ln_fwd_rows<gt_half>(x, w, b, y, rows, cols, eps, has_w, has_b); }
extern "C" __global__ void gt_layer_norm_fwd_f32(const float* x, const float* w, const float* b, float* y, long long rows, long long cols, double eps, int has_w, int has_b) { gt_ln_fwd_rows<float>(x, w, b, y, rows, cols, eps, has_w, has_b); }
extern "C" __global__ void gt_layer_norm_fwd_f64(const double* x, const double* w, const double* b, double* y, long long rows, long long cols, double eps, int has_w, int has_b) { gt_ln_fwd_rows<double>(x, w, b, y, rows, cols, eps, has_w, has_b); }

extern "C" __global__ void gt_layer_norm_bwd_f16(const gt_half* x, const gt_half* g, const gt_half* w, gt_half* dx, float* part, long long rows, long long cols, double eps, int has_w) { gt_ln_bwd_rows<gt_half>(x, g, w, dx, part, rows, cols, eps, has_w); }
extern "C" __global__ void gt_layer_norm_bwd_f32(const float* x, const float* g, const float* w, float* dx, float* part, long long rows, long long cols, double eps, int has_w) { gt_ln_bwd_rows<float>(x, g, w, dx, part, rows, cols, eps, has_w); }
extern "C" __global__ void gt_layer_norm_bwd_f64(const double* x, const double* g, const double* w, double* dx, double* part, long long rows, long long cols, double eps, int has_w) { gt_ln_bwd_rows<double>(x, g, w, dx, part, rows, cols, eps, has_w); }
