// softmax.cu: row-wise softmax, log_softmax and logsumexp over the last (contiguous) axis,
// forward and backward. One block per row (a grid-stride loop over rows when the grid is
// smaller than the number of rows); each thread walks its row with a block-stride loop, so
// rows longer than a block are fine; the block reductions use warp shuffles and shared memory
// (common.cuh). Numerically stable: exp is taken of x - max(row) only.
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double storage; float16 computes
// and accumulates in float):
//   gt_softmax_fwd_<s>(const T* x, T* y, long long rows, long long cols)
//   gt_log_softmax_fwd_<s>(const T* x, T* y, long long rows, long long cols)
//   gt_softmax_bwd_<s>(const T* y, const T* g, T* dx, long long rows, long long cols)
//       dx = y * (g - sum(g * y))            (y: the softmax output)
//   gt_log_softmax_bwd_<s>(const T* y, const T* g, T* dx, long long rows, long long cols)
//       dx = g - exp(y) * sum(g)             (y: the log_softmax output)
//   gt_logsumexp_fwd_<s>(const T* x, T* out, long long rows, long long cols)
// Launch: grid (min(rows, 2^20)), block (32..1024 threads, a multiple of 32), no dynamic
// shared memory. Rows are `cols` elements apart (contiguous input).
// Owning ops: softmax, log_softmax, logsumexp (gputensor/backends/kernels.py, registry).
// Semantics follow the array-module forwards (nn/functional.py _lse_parts, ops/reduce.py
// _logsumexp_fwd): a row whose max is not finite (a nan, a +inf, or only -inf) gives a nan
// softmax / log_softmax row; logsumexp shifts such rows by 0 instead.
#include "common.cuh"

template <typename T, bool LOG>
__device__ __forceinline__ void gt_softmax_rows(const T* __restrict__ x, T* __restrict__ y,
                                                long long rows, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        T* yr = y + row * cols;
        A m = -gt_inf<A>();
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = gt_max_nan(m, (A)xr[j]);
        m = gt_block_max(m);
        if (!gt_isfinite(m)) {  // the same value in every thread: a uniform branch
            for (long long j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = (T)gt_nan<A>();
            continue;
        }
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp((A)xr[j] - m);
        s = gt_block_sum(s);
        if (LOG) {
            const A ls = log(s);
            for (long long j = threadIdx.x; j < cols; j += blockDim.x)
                yr[j] = (T)(((A)xr[j] - m) - ls);
        } else {
            for (long long j = threadIdx.x; j < cols; j += blockDim.x)
                yr[j] = (T)(exp((A)xr[j] - m) / s);
        }
    }
}

template <typename T, bool LOG>
__device__ __forceinline__ void gt_softmax_bwd_rows(const T* __restrict__ y,
                                                    const T* __restrict__ g,
                                                    T* __restrict__ dx, long long rows,
                                                    long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* yr = y + row * cols;
        const T* gr = g + row * cols;
        T* dr = dx + row * cols;
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x)
            s += LOG ? (A)gr[j] : (A)gr[j] * (A)yr[j];
        s = gt_block_sum(s);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A yv = (A)yr[j], gv = (A)gr[j];
            dr[j] = (T)(LOG ? gv - exp(yv) * s : yv * (gv - s));
        }
    }
}

template <typename T>
__device__ __forceinline__ void gt_logsumexp_rows(const T* __restrict__ x, T* __restrict__ out,
                                                  long long rows, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        A m = -gt_inf<A>();
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = gt_max_nan(m, (A)xr[j]);
        m = gt_block_max(m);
        if (!gt_isfinite(m)) m = A(0);  // inf / nan rows: exp(x) itself gives inf / nan
        A s = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp((A)xr[j] - m);
        s = gt_block_sum(s);
        if (threadIdx.x == 0) out[row] = (T)(s == A(0) ? -gt_inf<A>() : log(s) + m);
    }
}

extern "C" __global__ void gt_softmax_fwd_f16(const gt_half* x, gt_half* y, long long rows, long long cols) { gt_softmax_rows<gt_half, false>(x, y, rows, cols); }
extern "C" __global__ void gt_softmax_fwd_f32(const float* x, float* y, long long rows, long long cols) { gt_softmax_rows<float, false>(x, y, rows, cols); }
extern "C" __global__ void gt_softmax_fwd_f64(const double* x, double* y, long long rows, long long cols) { gt_softmax_rows<double, false>(x, y, rows, cols); }

extern "C" __global__ void gt_log_softmax_fwd_f16(const gt_half* x, gt_half* y, long long rows, long long cols) { gt_softmax_rows<gt_half, true>(x, y, rows, cols); }
extern "C" __global__ void gt_log_softmax_fwd_f32(const float* x, float* y, long long rows, long long cols) { gt_softmax_rows<float, true>(x, y, rows, cols); }
extern "C" __global__ void gt_log_softmax_fwd_f64(const double* x, double* y, long long rows, long long cols) { gt_softmax_rows<double, true>(x, y, rows, cols); }

extern "C" __global__ void gt_softmax_bwd_f16(const gt_half* y, const gt_half* g, gt_half* dx, long long rows, long long cols) { gt_softmax_bwd_rows<gt_half, false>(y, g, dx, rows, cols); }
extern "C" __global__ void gt_softmax_bwd_f32(const float* y, const float* g, float* dx, long long rows, long long cols) { gt_softmax_bwd_rows<float, false>(y, g, dx, rows, cols); }
extern "C" __global__ void gt_softmax_bwd_f64(const double* y, const double* g, double* dx, long long rows, long long cols) { gt_softmax_bwd_rows<double, false>(y, g, dx, rows, cols); }

extern "C" __global__ void gt_log_softmax_bwd_f16(const gt_half* y, const gt_half* g, gt_half* dx, long long rows, long long cols) { gt_softmax_bwd_rows<gt_half, true>(y, g, dx, rows, cols); }
extern "C" __global__ void gt_log_softmax_bwd_f32(const float* y, const float* g, float* dx, long long rows, long long cols) { gt_softmax_bwd_rows<float, true>(y, g, dx, rows, cols); }
extern "C" __global__ void gt_log_softmax_bwd_f64(const double* y, const double* g, double* dx, long long rows, long long cols) { gt_softmax_bwd_rows<double, true>(y, g, dx, rows, cols); }

extern "C" __global__ void gt_logsumexp_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols) { gt_logsumexp_rows<gt_half>(x, out, rows, cols); }
extern "C" __global__ void gt_logsumexp_fwd_f32(const float* x, float* out, long long rows, long long cols) { gt_logsumexp_rows<float>(x, out, rows, cols); }
extern "C" __global__ void gt_logsumexp_fwd_f64(const double* x, double* out, long long rows, long long cols) { gt_logsumexp_rows<double>(x, out, rows, cols); }
