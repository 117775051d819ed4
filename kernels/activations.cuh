// activations.cuh: device functions of the fused elementwise activation kernels.
// Not a kernel by itself: it is the preamble of every `kind="elementwise"` registry entry
// (gputensor/backends/kernels.py). On the GPU each entry becomes a cupy.ElementwiseKernel
// named gt_<op>_<fwd|bwd> whose operation is the entry's C expression; the checks compile
// the same operation inside a generated grid-stride kernel (kernels.elementwise_source).
// Functions take and return the accumulation type A (float for float16 and float32 storage,
// double for float64); the entry's expression converts inputs with (A)x and the result with
// (T)(...).
// Entry points, dtypes, owning ops: see the registry (kernels.REGISTRY, kind "elementwise").
#pragma once
#include "common.cuh"

// d/dx x * Phi(x) = Phi(x) + x * phi(x)    (gelu, exact erf form)
template <typename A> __device__ __forceinline__ A gt_gelu_bwd(A x, A g) {
    const A cdf = A(0.5) * erfc(x * A(-0.7071067811865476));
    const A pdf = exp(x * x * A(-0.5)) * A(0.3989422804014327);
    return g * (cdf + x * pdf);
}

// y = x/2 (1 + tanh(u)), u = k (c + a c^3), c = x clipped to [-10, 10] (as the forward)
template <typename A> __device__ __forceinline__ A gt_gelu_tanh_bwd(A x, A g) {
    const A c = x < A(-10) ? A(-10) : (x > A(10) ? A(10) : x);
    const A c2 = c * c;
    const A t = tanh((c + c2 * c * A(0.044715)) * A(0.7978845608028654));
    const A du = (c2 * A(3 * 0.044715) + A(1)) * A(0.7978845608028654);
    return g * ((t + A(1)) * A(0.5) + x * (A(1) - t * t) * du * A(0.5));
}

// softplus: log(1 + exp(beta x)) / beta without overflow, x itself where beta x > threshold
// (the OpDef's cuda string calls fmax(A, 0.0), a host-only overload for float on nvcc)
template <typename A> __device__ __forceinline__ A gt_softplus(A x, A beta, A threshold) {
    const A b = x * beta;
    return b > threshold ? x : (log1p(exp(-fabs(b))) + (b > A(0) ? b : A(0))) / beta;
}

// softplus backward: 1 where beta x > threshold (the forward is x there), sigmoid(beta x) elsewhere
template <typename A> __device__ __forceinline__ A gt_softplus_bwd(A x, A g, A beta, A threshold) {
    const A b = x * beta;
    return b > threshold ? g : g * gt_sigmoid(b);
}
