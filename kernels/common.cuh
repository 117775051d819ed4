// common.cuh: device helpers shared by gputensor's CUDA kernels.
// Included by every kernel source; must compile with nvcc (sm_80, sm_90), with NVRTC (CuPy:
// gputensor/backends/kernels.py inlines it, so no include path is needed) and, through
// cuda_host_emulation.h, with a host C++ compiler (the CPU check of tests/test_kernels_cpu.py).
// Uses no CUDA header: float16 is gt_half (raw bits) with its own conversions.
#pragma once

// Numerically stable logistic function: never evaluates exp of a large positive number.
template <typename T>
__device__ __forceinline__ T gt_sigmoid(T x) {
    return x >= T(0) ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x));
}

// -- float16 storage ------------------------------------------------------------------------
// IEEE binary16 held as raw bits; arithmetic is done in float (gt_acc<gt_half> is float).
// On the device the conversions are single PTX instructions; elsewhere (the host emulation)
// they are exact software conversions (round to nearest even, as NumPy's astype).
__device__ __forceinline__ float gt_half_to_float(unsigned short h) {
#if defined(__CUDA_ARCH__)
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
#else
    unsigned sign = (unsigned)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    unsigned bits;
    if (exp == 0x1fu) {
        bits = sign | 0x7f800000u | (man << 13);  // inf, nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);  // normal: rebias 15 -> 127
    } else if (man == 0) {
        bits = sign;  // +-0
    } else {  // subnormal: normalize
        int e = -1;
        do { man <<= 1; ++e; } while ((man & 0x400u) == 0);
        bits = sign | ((unsigned)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    __builtin_memcpy(&f, &bits, 4);
    return f;
#endif
}

__device__ __forceinline__ unsigned short gt_float_to_half(float f) {
#if defined(__CUDA_ARCH__)
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
#else
    unsigned bits;
    __builtin_memcpy(&bits, &f, 4);
    unsigned sign = (bits >> 16) & 0x8000u, abs = bits & 0x7fffffffu;
    if (abs >= 0x7f800000u)  // inf, nan (quiet)
        return (unsigned short)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    if (abs >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u);  // rounds to >= 65520: inf
    if (abs >= 0x38800000u) {  // normal half
        unsigned r = abs - 0x38000000u;  // rebias 127 -> 15 (in the exponent field, << 23)
        unsigned out = r >> 13, rest = r & 0x1fffu;
        if (rest > 0x1000u || (rest == 0x1000u && (out & 1u))) ++out;
        return (unsigned short)(sign | out);
    }
    if (abs < 0x33000000u) return (unsigned short)sign;  // below half the smallest subnormal
    // subnormal half: value = man * 2^-24
    unsigned e = abs >> 23, man = (abs & 0x7fffffu) | 0x800000u;
    unsigned shift = 126u - e;  // 113 - e + 13
    unsigned out = man >> shift, rest = man & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (out & 1u))) ++out;
    return (unsigned short)(sign | out);
#endif
}

struct gt_half {
    unsigned short bits;
    gt_half() = default;
    __device__ __forceinline__ explicit gt_half(float f) : bits(gt_float_to_half(f)) {}
    __device__ __forceinline__ explicit gt_half(double f) : bits(gt_float_to_half((float)f)) {}
    __device__ __forceinline__ operator float() const { return gt_half_to_float(bits); }
};

// The type a kernel accumulates and computes in: float for float16, the type itself otherwise.
template <typename T> struct gt_acc { typedef T type; };
template <> struct gt_acc<gt_half> { typedef float type; };

// -- special values and comparisons (no <cmath> on NVRTC) ------------------------------------
template <typename A> __device__ __forceinline__ A gt_inf();
template <> __device__ __forceinline__ float gt_inf<float>() { return __int_as_float(0x7f800000); }
template <> __device__ __forceinline__ double gt_inf<double>() {
    return __longlong_as_double(0x7ff0000000000000LL);
}
template <typename A> __device__ __forceinline__ A gt_nan() { return gt_inf<A>() - gt_inf<A>(); }

// max / min that propagate NaN (as NumPy's max/min and maximum/minimum)
template <typename A> __device__ __forceinline__ A gt_max_nan(A a, A b) {
    return (a != a || a > b) ? a : b;
}
template <typename A> __device__ __forceinline__ A gt_min_nan(A a, A b) {
    return (a != a || a < b) ? a : b;
}
template <typename A> __device__ __forceinline__ bool gt_isfinite(A a) { return a - a == A(0); }

// -- warp and block reductions ---------------------------------------------------------------
// Block reductions need blockDim.x a multiple of 32, at most 1024, a 1-D block, and every
// thread of the block calling them (they contain __syncthreads). Every thread gets the result.
#define GT_FULL_MASK 0xffffffffu

template <typename A> __device__ __forceinline__ A gt_warp_sum(A v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(GT_FULL_MASK, v, o);
    return v;
}
template <typename A> __device__ __forceinline__ A gt_warp_max(A v) {
    for (int o = 16; o > 0; o >>= 1) v = gt_max_nan(v, __shfl_xor_sync(GT_FULL_MASK, v, o));
    return v;
}
template <typename A> __device__ __forceinline__ A gt_warp_min(A v) {
    for (int o = 16; o > 0; o >>= 1) v = gt_min_nan(v, __shfl_xor_sync(GT_FULL_MASK, v, o));
    return v;
}

template <typename A> __device__ __forceinline__ A gt_block_sum(A v) {
    __shared__ A part[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = gt_warp_sum(v);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = gt_warp_sum(lane < nwarps ? part[lane] : A(0));
    __syncthreads();  // part may be reused by the next reduction
    return v;
}
template <typename A> __device__ __forceinline__ A gt_block_max(A v) {
    __shared__ A part[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = gt_warp_max(v);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = gt_warp_max(lane < nwarps ? part[lane] : -gt_inf<A>());
    __syncthreads();
    return v;
}
template <typename A> __device__ __forceinline__ A gt_block_min(A v) {
    __shared__ A part[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
    v = gt_warp_min(v);
    if (lane == 0) part[warp] = v;
    __syncthreads();
    v = gt_warp_min(lane < nwarps ? part[lane] : gt_inf<A>());
    __syncthreads();
    return v;
}
