// reduce.cu: single-pass reductions over the last (contiguous) axis: sum, max, min, and
// var/std with Welford's algorithm (per-thread running mean and M2, merged across the warp
// with shuffles and across warps through shared memory: one read of the input, not two).
// One block per row (grid-stride loop over rows), block-stride loop along the row.
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double storage; float16 accumulates
// in float):
//   gt_sum_fwd_<s>(const T* x, T* out, long long rows, long long cols)
//   gt_max_fwd_<s>(const T* x, T* out, long long rows, long long cols)   nan propagates
//   gt_min_fwd_<s>(const T* x, T* out, long long rows, long long cols)   nan propagates
//   gt_var_fwd_<s>(const T* x, T* out, long long rows, long long cols, double ddof, int root)
//       out = M2 / (cols - ddof), its square root when root != 0 (std)
// Launch: grid (min(rows, 2^20)), block (32..1024 threads, a multiple of 32); cols >= 1
// (the empty cases stay with the array-module path).
// Owning ops: sum, max, min, var, std (axis = the last axis; gputensor/backends/kernels.py).
#include "common.cuh"

template <typename T, int OP>  // OP: 0 sum, 1 max, 2 min
__device__ __forceinline__ void gt_reduce_rows(const T* __restrict__ x, T* __restrict__ out,
                                               long long rows, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        A v = OP == 0 ? A(0) : OP == 1 ? -gt_inf<A>() : gt_inf<A>();
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A e = (A)xr[j];
            v = OP == 0 ? v + e : OP == 1 ? gt_max_nan(v, e) : gt_min_nan(v, e);
        }
        v = OP == 0 ? gt_block_sum(v) : OP == 1 ? gt_block_max(v) : gt_block_min(v);
        if (threadIdx.x == 0) out[row] = (T)v;
    }
}

// Welford state: count n, mean, M2 = sum of squared deviations from the mean.
template <typename A>
__device__ __forceinline__ void gt_welford_merge(A& n, A& mean, A& m2, A nb, A meanb, A m2b) {
    if (nb == A(0)) return;
    if (n == A(0)) { n = nb; mean = meanb; m2 = m2b; return; }
    const A total = n + nb, delta = meanb - mean, frac = nb / total;
    mean += delta * frac;
    m2 += m2b + delta * delta * n * frac;
    n = total;
}

template <typename T>
__device__ __forceinline__ void gt_var_rows(const T* __restrict__ x, T* __restrict__ out,
                                            long long rows, long long cols, double ddof,
                                            int root) {
    typedef typename gt_acc<T>::type A;
    __shared__ A part_n[32], part_mean[32], part_m2[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        A n = A(0), mean = A(0), m2 = A(0);
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A e = (A)xr[j];
            n += A(1);
            const A delta = e - mean;
            mean += delta / n;
            m2 += delta * (e - mean);
        }
        for (int o = 16; o > 0; o >>= 1) {
            const A nb = __shfl_xor_sync(GT_FULL_MASK, n, o);
            const A meanb = __shfl_xor_sync(GT_FULL_MASK, mean, o);
            const A m2b = __shfl_xor_sync(GT_FULL_MASK, m2, o);
            gt_welford_merge(n, mean, m2, nb, meanb, m2b);
        }
        if (lane == 0) { part_n[warp] = n; part_mean[warp] = mean; part_m2[warp] = m2; }
        __syncthreads();
        if (warp == 0) {
            n = lane < nwarps ? part_n[lane] : A(0);
            mean = lane < nwarps ? part_mean[lane] : A(0);
            m2 = lane < nwarps ? part_m2[lane] : A(0);
            for (int o = 16; o > 0; o >>= 1) {
                const A nb = __shfl_xor_sync(GT_FULL_MASK, n, o);
                const A meanb = __shfl_xor_sync(GT_FULL_MASK, mean, o);
                const A m2b = __shfl_xor_sync(GT_FULL_MASK, m2, o);
                gt_welford_merge(n, mean, m2, nb, meanb, m2b);
            }
            if (lane == 0) {
                const A v = m2 / (A)((double)cols - ddof);
                out[row] = (T)(root ? sqrt(v) : v);
            }
        }
        __syncthreads();  // the partials are rewritten for the next row
    }
}

extern "C" __global__ void gt_sum_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols) { gt_reduce_rows<gt_half, 0>(x, out, rows, cols); }
extern "C" __global__ void gt_sum_fwd_f32(const float* x, float* out, long long rows, long long cols) { gt_reduce_rows<float, 0>(x, out, rows, cols); }
extern "C" __global__ void gt_sum_fwd_f64(const double* x, double* out, long long rows, long long cols) { gt_reduce_rows<double, 0>(x, out, rows, cols); }

extern "C" __global__ void gt_max_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols) { gt_reduce_rows<gt_half, 1>(x, out, rows, cols); }
extern "C" __global__ void gt_max_fwd_f32(const float* x, float* out, long long rows, long long cols) { gt_reduce_rows<float, 1>(x, out, rows, cols); }
extern "C" __global__ void gt_max_fwd_f64(const double* x, double* out, long long rows, long long cols) { gt_reduce_rows<double, 1>(x, out, rows, cols); }

extern "C" __global__ void gt_min_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols) { gt_reduce_rows<gt_half, 2>(x, out, rows, cols); }
extern "C" __global__ void gt_min_fwd_f32(const float* x, float* out, long long rows, long long cols) { gt_reduce_rows<float, 2>(x, out, rows, cols); }
extern "C" __global__ void gt_min_fwd_f64(const double* x, double* out, long long rows, long long cols) { gt_reduce_rows<double, 2>(x, out, rows, cols); }

extern "C" __global__ void gt_var_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols, double ddof, int root) { gt_var_rows<gt_half>(x, out, rows, cols, ddof, root); }
extern "C" __global__ void gt_var_fwd_f32(const float* x, float* out, long long rows, long long cols, double ddof, int root) { gt_var_rows<float>(x, out, rows, cols, ddof, root); }
extern "C" __global__ void gt_var_fwd_f64(const double* x, double* out, long long rows, long long cols, double ddof, int root) { gt_var_rows<double>(x, out, rows, cols, ddof, root); }
