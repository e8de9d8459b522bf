#pragma once

// Inside the CPU kernel library: one tile function per (ISA, weight dtype). A tile function
// computes Y[m0..m1) × [n0..n1) of one linear call; the dispatcher (dispatch.c) cuts the
// output into fixed tiles and hands them to the thread pool.

#include <stdint.h>

#include "delegates/xnnpack/kernels/cpukern.h"

/// One linear call as the tile functions see it (all borrowed).
typedef struct sy_ck_problem {
    int64_t k;                // row length
    const float *x;           // (m, k) f32 activations (f32 / f16 weights)
    const sy_cpukern_q8x *xq; // (m, k/32) quantised activations (block dtypes)
    const uint8_t *w;         // (n, row_bytes) weights
    size_t w_row;             // bytes per weight row
    const float *bias;        // (n) or NULL
    float *y;                 // (m, ldy)
    int64_t ldy;              // y row stride (n)
} sy_ck_problem;

typedef void (*sy_ck_tile_fn)(const sy_ck_problem *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
typedef void (*sy_ck_quantize_fn)(const float *x, int64_t k, sy_cpukern_q8x *xq);

/// The kernels of one ISA; NULL entries fall back to the next lower ISA's.
typedef struct sy_ck_isa_kernels {
    sy_ck_tile_fn tile[SY_CPUKERN_DTYPE_COUNT];      // block dtypes: against q8 activations (xq)
    sy_ck_tile_fn tile_f32x[SY_CPUKERN_DTYPE_COUNT]; // block dtypes: against f32 activations (x)
    // (optional) GEMM over many activation rows, weight panels unpacked once per call (tasks of
    // up to 128 activation rows × 32 weight rows); NULL entries use the tiles above
    sy_ck_tile_fn gemm[SY_CPUKERN_DTYPE_COUNT];
    sy_ck_tile_fn gemm_f32x[SY_CPUKERN_DTYPE_COUNT];
    int (*gemm_fits)(int64_t k, int f32x); // (with gemm) whether the panels take rows of k
    sy_ck_tile_fn packed[SY_CPUKERN_DTYPE_COUNT]; // (optional) block dtypes packed by sy_cpukern_pack
    sy_ck_quantize_fn quantize; // one row of k (multiple of 32)
} sy_ck_isa_kernels;

extern const sy_ck_isa_kernels sy_ck_scalar_kernels;
#if defined(__x86_64__) || defined(_M_X64)
#define SY_CK_X86 1
extern const sy_ck_isa_kernels sy_ck_avx2_kernels;
extern const sy_ck_isa_kernels sy_ck_avx512vnni_kernels;
#endif

/// The resolved kernels for `isa` (never AUTO), lower ISAs filling gaps: tiles against q8
/// activations (f32x 0) or f32 ones (f32x 1; f32 and f16 weights are the same in both).
void sy_ck_kernels_for(sy_cpu_isa isa, int f32x, sy_ck_tile_fn tiles_out[SY_CPUKERN_DTYPE_COUNT],
                       sy_ck_quantize_fn *quantize_out);
/// The GEMM function of `isa` for weights in `dtype` with rows of k (f32x: against f32
/// activations), or NULL when only the tiles run it.
sy_ck_tile_fn sy_ck_gemm_for(sy_cpu_isa isa, int f32x, sy_cpukern_dtype dtype, int64_t k);

/// Bytes of one block of a 16-row group in the packed layout (cpukern.h); 0 for f32/f16.
static inline size_t sy_ck_packed_block_bytes(sy_cpukern_dtype dtype) {
    return dtype == SY_CPUKERN_Q8_0 ? 544 : dtype == SY_CPUKERN_Q4_0 ? 288 : dtype == SY_CPUKERN_Q4_1 ? 320 : 0;
}

/// Packs blocks [b0, b0 + nbk) of nr <= 16 weight rows (GGUF layout, the first at w, w_row bytes
/// apart) as one group of the packed layout into out (nbk × sy_ck_packed_block_bytes bytes);
/// rows past nr get zero quants and scales.
void sy_ck_pack_group(sy_cpukern_dtype dtype, const uint8_t *w, size_t w_row, int nr, int64_t b0, int64_t nbk,
                      uint8_t *out);

/// Software prefetch for a micro-tile's weights. The tile reads rows n..n+nr-1, one contiguous
/// run of bytes, as nr interleaved streams a few cache lines long: too short for the hardware
/// prefetchers to train on, so a GEMV streamed from DRAM at a quarter of the read bandwidth.
/// Each k step `i` of the tile (`step` bytes across its rows) prefetches as many bytes of the run
/// that follows (`tile_end`: the next micro-tile's rows), so those are in flight while this tile
/// computes. (Bounding it by the end of the thread's task cost 40 % on one thread: the next
/// task's first tile then starts cold.) Prefetches never fault. They ask for every cache level
/// (prefetcht0): the non-temporal hint (prefetchnta) this had first halved the f32 GEMV from DRAM
/// on a Sapphire Rapids-class VM (bench_cpukern, 1 thread: 5.1 -> 10.6-12.9 GB/s with t0; q8_0
/// exact +20-40 %, q4_0 packed +40-70 %).
static inline void sy_ck_prefetch_step(const uint8_t *tile_end, size_t step, int64_t i) {
    const uint8_t *q = tile_end + (size_t)i * step;
    for (size_t o = 0; o < step; o += 64) __builtin_prefetch(q + o, 0, 3);
}

/// Runs fn(ctx, t) for t in [0, n_tiles) on the kernel pool (NULL: the caller).
void sy_ck_pool_run(sy_cpukern_pool *p, void (*fn)(void *ctx, size_t tile), void *ctx, size_t n_tiles);

/// Scalar q8 quantisation of one block of 32 (shared by the fused helpers).
void sy_ck_quantize_block_scalar(const float *x, sy_cpukern_q8x *out);

static inline float sy_ck_silu(float g) { return g / (1.0f + __builtin_expf(-g)); }
