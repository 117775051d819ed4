// reduce.cu: single-pass reductions: sum, mean, max, min, argmax, argmin, and var/std with
// Welford's algorithm (per-thread running mean and M2, merged across the warp with shuffles
// and across warps through shared memory: one read of the input, not two).
// Three layouts of a C-contiguous input viewed as (outer, n, inner), reducing over n:
//   rows (inner == 1): one block per row (grid-stride loop over rows), block-stride loop along it;
//   columns (inner > 1): a block takes a tile of cw consecutive inner indices (cw = 32, or the
//     next power of two >= inner when inner < 32) of one outer index; its blockDim/cw thread
//     groups stride over n (a warp reads 32 consecutive elements: coalesced) and are merged
//     by a tree in shared memory;
//   long rows (two levels): gt_reduce_part splits each row into `parts` chunks of `chunk`
//     elements, one block each, writing accumulation-type partials; gt_reduce_final (one block
//     per row) reduces them.
//
// Entry points (suffix _f16 _f32 _f64: gt_half / float / double storage; float16 accumulates
// in float; A below is the accumulation type: float for _f16 and _f32, double for _f64):
//   gt_sum_fwd_<s>(const T* x, T* out, long long rows, long long cols)
//   gt_mean_fwd_<s>(const T* x, T* out, long long rows, long long cols)   sum / cols
//   gt_max_fwd_<s>(const T* x, T* out, long long rows, long long cols)   nan propagates
//   gt_min_fwd_<s>(const T* x, T* out, long long rows, long long cols)   nan propagates
//   gt_argmax_fwd_<s>(const T* x, long long* out, long long rows, long long cols)
//   gt_argmin_fwd_<s>(const T* x, long long* out, long long rows, long long cols)
//       first occurrence; the first nan wins (as NumPy's argmax/argmin)
//   gt_var_fwd_<s>(const T* x, T* out, long long rows, long long cols, double ddof, int root)
//       out = M2 / (cols - ddof), its square root when root != 0 (std)
//   gt_reduce_cols_<s>(const T* x, T* out, long long outer, long long n, long long inner,
//       int cw, int op)   op: 0 sum, 1 max, 2 min, 3 mean; out is (outer, inner)
//   gt_var_cols_<s>(const T* x, T* out, long long outer, long long n, long long inner, int cw,
//       double ddof, int root)
//   gt_arg_cols_<s>(const T* x, long long* out, long long outer, long long n, long long inner,
//       int cw, int amax)   amax: 1 argmax, 0 argmin
//   gt_reduce_part_<s>(const T* x, A* part, long long rows, long long cols, long long chunk,
//       long long parts, int op)   op: 0 sum, 1 max, 2 min; part is (rows, parts)
//   gt_reduce_final_<s>(const A* part, T* out, long long rows, long long parts, long long cols,
//       int op)   op: 0 sum, 1 max, 2 min, 3 mean (sum / cols)
// Launch: 1-D blocks of 32..1024 threads, a power of two for the columns kernels (and >= cw);
// grid (min(rows or tiles or rows * parts, 2^20)), grid-stride loops; n, cols >= 1
// (the empty cases stay with the array-module path).
// Owning ops: sum, mean, max, min, argmax, argmin, var, std (any single axis or run of
// adjacent axes; the layout is chosen in gputensor/backends/kernels.py, _run_reduce).
#include "common.cuh"

// -- sum / mean / max / min ---------------------------------------------------------------------
// OP: 0 sum, 1 max, 2 min, 3 mean (a sum, divided at the end)
template <typename A, int OP> __device__ __forceinline__ A gt_red_init() {
    return (OP == 0 || OP == 3) ? A(0) : OP == 1 ? -gt_inf<A>() : gt_inf<A>();
}
template <typename A, int OP> __device__ __forceinline__ A gt_red(A a, A b) {
    return (OP == 0 || OP == 3) ? a + b : OP == 1 ? gt_max_nan(a, b) : gt_min_nan(a, b);
}

// The whole block's reduction of x[0 .. len) (every thread of the block gets it).
template <int OP, typename TI>
__device__ __forceinline__ typename gt_acc<TI>::type gt_block_span(const TI* __restrict__ x,
                                                                   long long len) {
    typedef typename gt_acc<TI>::type A;
    A v = gt_red_init<A, OP>();
    for (long long j = threadIdx.x; j < len; j += blockDim.x) v = gt_red<A, OP>(v, (A)x[j]);
    return (OP == 0 || OP == 3) ? gt_block_sum(v) : OP == 1 ? gt_block_max(v) : gt_block_min(v);
}

template <typename T, int OP>
__device__ __forceinline__ void gt_reduce_rows(const T* __restrict__ x, T* __restrict__ out,
                                               long long rows, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        A v = gt_block_span<OP>(x + row * cols, cols);
        if (OP == 3) v = v / (A)cols;
        if (threadIdx.x == 0) out[row] = (T)v;
    }
}

// Columns: x is (outer, n, inner); out[o, i] = reduction over j of x[o, j, i].
template <typename T, int OP>
__device__ __forceinline__ void gt_reduce_cols(const T* __restrict__ x, T* __restrict__ out,
                                               long long outer, long long n, long long inner,
                                               int cw) {
    typedef typename gt_acc<T>::type A;
    __shared__ A buf[1024];
    const unsigned t = threadIdx.x, c = t % (unsigned)cw, g = t / (unsigned)cw;
    const unsigned groups = blockDim.x / (unsigned)cw;
    const long long per = (inner + cw - 1) / cw, tiles = outer * per;
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const long long o = tile / per, i = (tile % per) * cw + c;
        A v = gt_red_init<A, OP>();
        if (i < inner) {
            const T* xc = x + o * n * inner + i;
            for (long long j = g; j < n; j += groups) v = gt_red<A, OP>(v, (A)xc[j * inner]);
        }
        buf[t] = v;
        __syncthreads();
        for (unsigned s = groups >> 1; s > 0; s >>= 1) {
            if (g < s) buf[t] = gt_red<A, OP>(buf[t], buf[t + s * (unsigned)cw]);
            __syncthreads();
        }
        if (g == 0 && i < inner) {
            v = buf[t];
            if (OP == 3) v = v / (A)n;
            out[o * inner + i] = (T)v;
        }
        __syncthreads();  // buf is rewritten for the next tile
    }
}

// Long rows, first level: block b reduces chunk p = b % parts of row b / parts.
template <typename T, int OP>
__device__ __forceinline__ void gt_reduce_part(const T* __restrict__ x,
                                               typename gt_acc<T>::type* __restrict__ part,
                                               long long rows, long long cols, long long chunk,
                                               long long parts) {
    typedef typename gt_acc<T>::type A;
    for (long long b = blockIdx.x; b < rows * parts; b += gridDim.x) {
        const long long row = b / parts, start = (b % parts) * chunk;
        const long long len = cols - start < chunk ? cols - start : chunk;
        const A v = gt_block_span<OP>(x + row * cols + start, len);
        if (threadIdx.x == 0) part[b] = v;
    }
}

// Long rows, second level: one block per row over its partials (OP 3: the sum / cols).
template <typename T, int OP>
__device__ __forceinline__ void gt_reduce_final(const typename gt_acc<T>::type* __restrict__ part,
                                                T* __restrict__ out, long long rows,
                                                long long parts, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        A v = gt_block_span<OP>(part + row * parts, parts);
        if (OP == 3) v = v / (A)cols;
        if (threadIdx.x == 0) out[row] = (T)v;
    }
}

template <typename T>
__device__ __forceinline__ void gt_reduce_cols_op(const T* x, T* out, long long outer,
                                                  long long n, long long inner, int cw, int op) {
    switch (op) {
        case 0: gt_reduce_cols<T, 0>(x, out, outer, n, inner, cw); break;
        case 1: gt_reduce_cols<T, 1>(x, out, outer, n, inner, cw); break;
        case 2: gt_reduce_cols<T, 2>(x, out, outer, n, inner, cw); break;
        default: gt_reduce_cols<T, 3>(x, out, outer, n, inner, cw); break;
    }
}
template <typename T>
__device__ __forceinline__ void gt_reduce_part_op(const T* x, typename gt_acc<T>::type* part,
                                                  long long rows, long long cols,
                                                  long long chunk, long long parts, int op) {
    switch (op) {
        case 0: gt_reduce_part<T, 0>(x, part, rows, cols, chunk, parts); break;
        case 1: gt_reduce_part<T, 1>(x, part, rows, cols, chunk, parts); break;
        default: gt_reduce_part<T, 2>(x, part, rows, cols, chunk, parts); break;
    }
}
template <typename T>
__device__ __forceinline__ void gt_reduce_final_op(const typename gt_acc<T>::type* part, T* out,
                                                   long long rows, long long parts,
                                                   long long cols, int op) {
    switch (op) {
        case 0: gt_reduce_final<T, 0>(part, out, rows, parts, cols); break;
        case 1: gt_reduce_final<T, 1>(part, out, rows, parts, cols); break;
        case 2: gt_reduce_final<T, 2>(part, out, rows, parts, cols); break;
        default: gt_reduce_final<T, 3>(part, out, rows, parts, cols); break;
    }
}

// -- argmax / argmin ----------------------------------------------------------------------------
// Whether (b, ib) replaces the candidate (a, ia): a total order (nan above everything, ties
// and nan against nan to the smaller index), so the reduction order does not matter.
template <bool MAX, typename A>
__device__ __forceinline__ bool gt_arg_takes(A a, long long ia, A b, long long ib) {
    const bool an = a != a, bn = b != b;
    if (an || bn) return bn && (!an || ib < ia);
    if (b == a) return ib < ia;
    return MAX ? b > a : b < a;
}
#define GT_NO_INDEX 0x7fffffffffffffffLL

template <bool MAX, typename A>
__device__ __forceinline__ void gt_warp_arg(A& v, long long& i) {
    for (int o = 16; o > 0; o >>= 1) {
        const A vb = __shfl_xor_sync(GT_FULL_MASK, v, o);
        const long long ib = __shfl_xor_sync(GT_FULL_MASK, i, o);
        if (gt_arg_takes<MAX>(v, i, vb, ib)) { v = vb; i = ib; }
    }
}

// Every thread of the block gets the block's (value, index).
template <bool MAX, typename A>
__device__ __forceinline__ void gt_block_arg(A& v, long long& i) {
    __shared__ A part_v[32];
    __shared__ long long part_i[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    gt_warp_arg<MAX>(v, i);
    if (lane == 0) { part_v[warp] = v; part_i[warp] = i; }
    __syncthreads();
    v = lane < nwarps ? part_v[lane] : (MAX ? -gt_inf<A>() : gt_inf<A>());
    i = lane < nwarps ? part_i[lane] : GT_NO_INDEX;
    gt_warp_arg<MAX>(v, i);
    __syncthreads();
}

template <typename T, bool MAX>
__device__ __forceinline__ void gt_arg_rows(const T* __restrict__ x, long long* __restrict__ out,
                                            long long rows, long long cols) {
    typedef typename gt_acc<T>::type A;
    for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* xr = x + row * cols;
        A v = MAX ? -gt_inf<A>() : gt_inf<A>();
        long long idx = GT_NO_INDEX;
        for (long long j = threadIdx.x; j < cols; j += blockDim.x) {
            const A e = (A)xr[j];
            if (gt_arg_takes<MAX>(v, idx, e, j)) { v = e; idx = j; }
        }
        gt_block_arg<MAX>(v, idx);
        if (threadIdx.x == 0) out[row] = idx;
    }
}

template <typename T, bool MAX>
__device__ __forceinline__ void gt_arg_cols(const T* __restrict__ x, long long* __restrict__ out,
                                            long long outer, long long n, long long inner,
                                            int cw) {
    typedef typename gt_acc<T>::type A;
    __shared__ A buf_v[1024];
    __shared__ long long buf_i[1024];
    const unsigned t = threadIdx.x, c = t % (unsigned)cw, g = t / (unsigned)cw;
    const unsigned groups = blockDim.x / (unsigned)cw;
    const long long per = (inner + cw - 1) / cw, tiles = outer * per;
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const long long o = tile / per, i = (tile % per) * cw + c;
        A v = MAX ? -gt_inf<A>() : gt_inf<A>();
        long long idx = GT_NO_INDEX;
        if (i < inner) {
            const T* xc = x + o * n * inner + i;
            for (long long j = g; j < n; j += groups) {
                const A e = (A)xc[j * inner];
                if (gt_arg_takes<MAX>(v, idx, e, j)) { v = e; idx = j; }
            }
        }
        buf_v[t] = v;
        buf_i[t] = idx;
        __syncthreads();
        for (unsigned s = groups >> 1; s > 0; s >>= 1) {
            if (g < s) {
                const unsigned u = t + s * (unsigned)cw;
                if (gt_arg_takes<MAX>(buf_v[t], buf_i[t], buf_v[u], buf_i[u])) {
                    buf_v[t] = buf_v[u];
                    buf_i[t] = buf_i[u];
                }
            }
            __syncthreads();
        }
        if (g == 0 && i < inner) out[o * inner + i] = buf_i[t];
        __syncthreads();
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

// Columns variance: per-thread Welford states merged by a tree in shared memory.
template <typename T>
__device__ __forceinline__ void gt_var_cols(const T* __restrict__ x, T* __restrict__ out,
                                            long long outer, long long n, long long inner,
                                            int cw, double ddof, int root) {
    typedef typename gt_acc<T>::type A;
    __shared__ A buf_n[1024], buf_mean[1024], buf_m2[1024];
    const unsigned t = threadIdx.x, c = t % (unsigned)cw, g = t / (unsigned)cw;
    const unsigned groups = blockDim.x / (unsigned)cw;
    const long long per = (inner + cw - 1) / cw, tiles = outer * per;
    for (long long tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const long long o = tile / per, i = (tile % per) * cw + c;
        A cnt = A(0), mean = A(0), m2 = A(0);
        if (i < inner) {
            const T* xc = x + o * n * inner + i;
            for (long long j = g; j < n; j += groups) {
                const A e = (A)xc[j * inner];
                cnt += A(1);
                const A delta = e - mean;
                mean += delta / cnt;
                m2 += delta * (e - mean);
            }
        }
        buf_n[t] = cnt;
        buf_mean[t] = mean;
        buf_m2[t] = m2;
        __syncthreads();
        for (unsigned s = groups >> 1; s > 0; s >>= 1) {
            if (g < s) {
                const unsigned u = t + s * (unsigned)cw;
                gt_welford_merge(buf_n[t], buf_mean[t], buf_m2[t], buf_n[u], buf_mean[u],
                                 buf_m2[u]);
            }
            __syncthreads();
        }
        if (g == 0 && i < inner) {
            const A v = buf_m2[t] / (A)((double)n - ddof);
            out[o * inner + i] = (T)(root ? sqrt(v) : v);
        }
        __syncthreads();
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

extern "C" __global__ void gt_mean_fwd_f16(const gt_half* x, gt_half* out, long long rows, long long cols) { gt_reduce_rows<gt_half, 3>(x, out, rows, cols); }
extern "C" __global__ void gt_mean_fwd_f32(const float* x, float* out, long long rows, long long cols) { gt_reduce_rows<float, 3>(x, out, rows, cols); }
extern "C" __global__ void gt_mean_fwd_f64(const double* x, double* out, long long rows, long long cols) { gt_reduce_rows<double, 3>(x, out, rows, cols); }

extern "C" __global__ void gt_argmax_fwd_f16(const gt_half* x, long long* out, long long rows, long long cols) { gt_arg_rows<gt_half, true>(x, out, rows, cols); }
extern "C" __global__ void gt_argmax_fwd_f32(const float* x, long long* out, long long rows, long long cols) { gt_arg_rows<float, true>(x, out, rows, cols); }
extern "C" __global__ void gt_argmax_fwd_f64(const double* x, long long* out, long long rows, long long cols) { gt_arg_rows<double, true>(x, out, rows, cols); }

extern "C" __global__ void gt_argmin_fwd_f16(const gt_half* x, long long* out, long long rows, long long cols) { gt_arg_rows<gt_half, false>(x, out, rows, cols); }
extern "C" __global__ void gt_argmin_fwd_f32(const float* x, long long* out, long long rows, long long cols) { gt_arg_rows<float, false>(x, out, rows, cols); }
extern "C" __global__ void gt_argmin_fwd_f64(const double* x, long long* out, long long rows, long long cols) { gt_arg_rows<double, false>(x, out, rows, cols); }

extern "C" __global__ void gt_reduce_cols_f16(const gt_half* x, gt_half* out, long long outer, long long n, long long inner, int cw, int op) { gt_reduce_cols_op<gt_half>(x, out, outer, n, inner, cw, op); }
extern "C" __global__ void gt_reduce_cols_f32(const float* x, float* out, long long outer, long long n, long long inner, int cw, int op) { gt_reduce_cols_op<float>(x, out, outer, n, inner, cw, op); }
extern "C" __global__ void gt_reduce_cols_f64(const double* x, double* out, long long outer, long long n, long long inner, int cw, int op) { gt_reduce_cols_op<double>(x, out, outer, n, inner, cw, op); }

extern "C" __global__ void gt_var_cols_f16(const gt_half* x, gt_half* out, long long outer, long long n, long long inner, int cw, double ddof, int root) { gt_var_cols<gt_half>(x, out, outer, n, inner, cw, ddof, root); }
extern "C" __global__ void gt_var_cols_f32(const float* x, float* out, long long outer, long long n, long long inner, int cw, double ddof, int root) { gt_var_cols<float>(x, out, outer, n, inner, cw, ddof, root); }
extern "C" __global__ void gt_var_cols_f64(const double* x, double* out, long long outer, long long n, long long inner, int cw, double ddof, int root) { gt_var_cols<double>(x, out, outer, n, inner, cw, ddof, root); }

extern "C" __global__ void gt_arg_cols_f16(const gt_half* x, long long* out, long long outer, long long n, long long inner, int cw, int amax) { if (amax) gt_arg_cols<gt_half, true>(x, out, outer, n, inner, cw); else gt_arg_cols<gt_half, false>(x, out, outer, n, inner, cw); }
extern "C" __global__ void gt_arg_cols_f32(const float* x, long long* out, long long outer, long long n, long long inner, int cw, int amax) { if (amax) gt_arg_cols<float, true>(x, out, outer, n, inner, cw); else gt_arg_cols<float, false>(x, out, outer, n, inner, cw); }
extern "C" __global__ void gt_arg_cols_f64(const double* x, long long* out, long long outer, long long n, long long inner, int cw, int amax) { if (amax) gt_arg_cols<double, true>(x, out, outer, n, inner, cw); else gt_arg_cols<double, false>(x, out, outer, n, inner, cw); }

extern "C" __global__ void gt_reduce_part_f16(const gt_half* x, float* part, long long rows, long long cols, long long chunk, long long parts, int op) { gt_reduce_part_op<gt_half>(x, part, rows, cols, chunk, parts, op); }
extern "C" __global__ void gt_reduce_part_f32(const float* x, float* part, long long rows, long long cols, long long chunk, long long parts, int op) { gt_reduce_part_op<float>(x, part, rows, cols, chunk, parts, op); }
extern "C" __global__ void gt_reduce_part_f64(const double* x, double* part, long long rows, long long cols, long long chunk, long long parts, int op) { gt_reduce_part_op<double>(x, part, rows, cols, chunk, parts, op); }

extern "C" __global__ void gt_reduce_final_f16(const float* part, gt_half* out, long long rows, long long parts, long long cols, int op) { gt_reduce_final_op<gt_half>(part, out, rows, parts, cols, op); }
extern "C" __global__ void gt_reduce_final_f32(const float* part, float* out, long long rows, long long parts, long long cols, int op) { gt_reduce_final_op<float>(part, out, rows, parts, cols, op); }
extern "C" __global__ void gt_reduce_final_f64(const double* part, double* out, long long rows, long long parts, long long cols, int op) { gt_reduce_final_op<double>(part, out, rows, parts, cols, op); }
