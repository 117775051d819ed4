// cuda_host_emulation.h: just enough of CUDA to run gputensor's kernel sources on the host.
//
// Used by the CPU check (tests/test_kernels_cpu.py, tests/kernel_harness.py): a kernel source
// is compiled by g++ (-std=c++20 -pthread) with this header included first, and every
// `extern "C" __global__` entry point gets a host launcher (gt_emu::launch) called via ctypes.
//
// Model: a launch runs the blocks of the grid one after the other. Each block is run by
// blockDim.x*y*z host threads (one std::thread per CUDA thread, created once per launch and
// reused for every block), so __syncthreads is a real barrier and __shared__ variables (here:
// function statics) are per-block storage: only one block is live at a time. Warp shuffles go
// through a per-warp exchange buffer between two barriers of that warp's 32 threads.
//
// Limits: full-warp shuffles only (mask 0xffffffff; the block size a multiple of 32), no
// dynamic shared memory (extern __shared__), no cooperative groups, one launch at a time per
// process. A barrier that not every thread reaches (a divergent __syncthreads) is reported as
// an error after GT_EMU_TIMEOUT_S seconds instead of hanging the test process.
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifndef GT_EMU_TIMEOUT_S
#define GT_EMU_TIMEOUT_S 20
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static
#define __restrict__ __restrict
#define __launch_bounds__(...)

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
typedef dim3 uint3;

namespace gt_emu {

// A reusable barrier for a fixed number of threads that gives up after a timeout: once it
// has failed, every later wait returns at once, so a broken kernel ends with an error code.
// Waiters spin with yield (far cheaper than a condition variable when there are many more
// threads than cores, as here); the last thread to arrive opens the next generation.
class Barrier {
  public:
    explicit Barrier(unsigned n) : n_(n) {}
    void wait();

  private:
    unsigned n_;
    std::atomic<unsigned> count_{0};
    std::atomic<unsigned long long> gen_{0};
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::unique_ptr<Barrier> block_barrier;
inline std::vector<std::unique_ptr<Barrier>> warp_barriers;
inline std::vector<unsigned char> exchange;  // [warp][lane][8 bytes]
inline std::mutex atomic_mutex;
inline std::atomic<bool> failed{false};
inline char message[256] = {0};

inline void fail(const char* why) {
    if (!failed) std::snprintf(message, sizeof message, "%s", why);
    failed = true;
}

inline void Barrier::wait() {
    if (failed) return;
    const unsigned long long gen = gen_.load(std::memory_order_acquire);
    if (count_.fetch_add(1, std::memory_order_acq_rel) + 1 == n_) {
        count_.store(0, std::memory_order_relaxed);
        gen_.store(gen + 1, std::memory_order_release);
        return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(GT_EMU_TIMEOUT_S);
    for (unsigned spins = 0; gen_.load(std::memory_order_acquire) == gen && !failed; ++spins) {
        std::this_thread::yield();
        if ((spins & 1023u) == 1023u && std::chrono::steady_clock::now() > deadline)
            fail("barrier timeout: a __syncthreads or warp shuffle was not reached by every "
                 "thread (a divergent barrier, or a deadlock in the kernel)");
    }
}

inline unsigned linear_tid() {
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

// Run `kernel()` on every thread of every block of the grid; 0 on success, -1 on failure
// (the reason in gt_emu::message).
template <typename F>
int launch(dim3 grid, dim3 block, F kernel) {
    const unsigned nthreads = block.x * block.y * block.z;
    failed = false;
    message[0] = 0;
    if (nthreads == 0 || nthreads > 1024 || nthreads % 32 != 0) {
        fail("the emulation needs a block of 32..1024 threads, a multiple of 32");
        return -1;
    }
    blockDim = block;
    gridDim = grid;
    block_barrier = std::make_unique<Barrier>(nthreads);
    warp_barriers.clear();
    for (unsigned w = 0; w < nthreads / 32; ++w)
        warp_barriers.push_back(std::make_unique<Barrier>(32));
    exchange.assign((size_t)nthreads * 8, 0);
    std::vector<std::thread> threads;
    threads.reserve(nthreads);
    for (unsigned t = 0; t < nthreads; ++t) {
        threads.emplace_back([=, &kernel] {
            threadIdx = dim3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
            for (unsigned bz = 0; bz < grid.z; ++bz)
                for (unsigned by = 0; by < grid.y; ++by)
                    for (unsigned bx = 0; bx < grid.x; ++bx) {
                        blockIdx = dim3(bx, by, bz);
                        kernel();
                        block_barrier->wait();  // the block's shared memory is reused next
                    }
        });
    }
    for (auto& th : threads) th.join();
    return failed ? -1 : 0;
}

template <typename T>
T shuffle(unsigned mask, T v, unsigned src_lane) {
    static_assert(sizeof(T) <= 8, "shuffles of at most 8 bytes");
    if (mask != 0xffffffffu) fail("only full-warp shuffles (mask 0xffffffff) are emulated");
    const unsigned tid = linear_tid(), warp = tid / 32, lane = tid % 32;
    Barrier& bar = *warp_barriers[warp];
    std::memcpy(&exchange[(size_t)tid * 8], &v, sizeof(T));
    bar.wait();
    T r;
    std::memcpy(&r, &exchange[((size_t)warp * 32 + src_lane) * 8], sizeof(T));
    bar.wait();  // nobody overwrites the buffer before every lane has read
    return r;
}

}  // namespace gt_emu

using gt_emu::blockDim;
using gt_emu::blockIdx;
using gt_emu::gridDim;
using gt_emu::threadIdx;
constexpr int warpSize = 32;

inline void __syncthreads() { gt_emu::block_barrier->wait(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
    (void)mask;
    gt_emu::warp_barriers[gt_emu::linear_tid() / 32]->wait();
}

template <typename T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    const unsigned lane = gt_emu::linear_tid() % 32;
    return gt_emu::shuffle(mask, v, (lane / width) * width + ((unsigned)src % width));
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
    const unsigned lane = gt_emu::linear_tid() % 32, src = lane ^ (unsigned)lane_mask;
    return gt_emu::shuffle(mask, v, src / width == lane / width ? src : lane);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const unsigned lane = gt_emu::linear_tid() % 32;
    return gt_emu::shuffle(mask, v, (lane % width) + delta < (unsigned)width ? lane + delta : lane);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    const unsigned lane = gt_emu::linear_tid() % 32;
    return gt_emu::shuffle(mask, v, (lane % width) >= delta ? lane - delta : lane);
}

template <typename T>
T atomicAdd(T* address, T v) {
    std::lock_guard<std::mutex> lock(gt_emu::atomic_mutex);
    T old = *address;
    *address = old + v;
    return old;
}
template <typename T>
T atomicMax(T* address, T v) {
    std::lock_guard<std::mutex> lock(gt_emu::atomic_mutex);
    T old = *address;
    if (v > old) *address = v;
    return old;
}

// -- the CUDA math library's names (host <cmath> ones, and the CUDA-only ones) ----------------
using std::ceil; using std::cos; using std::cosh; using std::erf; using std::erfc;
using std::exp; using std::exp2; using std::expm1; using std::fabs; using std::floor;
using std::fma; using std::fmax; using std::fmin; using std::fmod; using std::isfinite;
using std::isinf; using std::isnan; using std::log; using std::log1p; using std::log2;
using std::pow; using std::round; using std::sin; using std::sinh; using std::sqrt;
using std::tan; using std::tanh; using std::trunc;
inline float rsqrt(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline double __longlong_as_double(long long i) { double d; std::memcpy(&d, &i, 8); return d; }
inline long long __double_as_longlong(double d) { long long i; std::memcpy(&i, &d, 8); return i; }
