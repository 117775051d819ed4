// common.cuh: device helpers shared by gputensor's CUDA kernels.
// Included by every kernel source; must compile with nvcc (sm_80, sm_90) and, through the
// host emulation header of the kernel tests, with a host C++ compiler.
#pragma once

// Numerically stable logistic function: never evaluates exp of a large positive number.
template <typename T>
__device__ __forceinline__ T gt_sigmoid(T x) {
    return x >= T(0) ? T(1) / (T(1) + exp(-x)) : exp(x) / (T(1) + exp(x));
}
