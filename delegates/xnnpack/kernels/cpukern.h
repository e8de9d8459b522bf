#pragma once

// CPU linear kernels for the XNNPACK delegate: Y = X·Wᵀ (+ bias) with f32 activations and
// weights in f32, f16 or a GGUF block dtype (q8_0, q4_0, q4_1), on the delegate's pthreadpool.
//
// Layouts (all row-major, rows contiguous):
//   X     (m, k)  f32, row stride k
//   W     (n, k)  in the weight dtype; each row is sy_cpukern_row_bytes(dtype, k) bytes, block
//                 dtypes in GGUF's exact block layouts (32 elements per block):
//                   q8_0 {f16 d; int8 qs[32]}                 34 B   value qs[j]*d
//                   q4_0 {f16 d; u8 qs[16]}                   18 B   value (q-8)*d
//                   q4_1 {f16 d; f16 m; u8 qs[16]}            20 B   value q*d + m
//                 q4: element j < 16 is the low nibble of qs[j], j >= 16 the high one of qs[j-16]
//   bias  (n)     f32 or NULL
//   Y     (m, n)  f32, row stride n
//
// Block-dtype weights are multiplied against activations quantised to q8 per 32-block (integer
// dot products: VNNI vpdpbusd, AVX2 maddubs); the result is the exact dot product of the
// dequantised weights with the dequantised activations, up to f32 rounding of per-block sums.
// In exact mode (args.exact) they are dequantised block by block in registers and multiplied
// with the f32 activations instead, as the portable reference does. f32 / f16 weights use f32
// FMAs.
//
// Weights are read in place, or (block dtypes against q8 activations, AVX-512 VNNI) packed once
// by sy_cpukern_pack into groups of 16 rows interleaved for 512-bit integer dot products:
//   group r (rows 16r..16r+15; rows past n are zero), then per block b, sy_ck_packed_block_bytes:
//     f16 d[16]                          the rows' scales
//     f16 m[16]                          q4_1 only: the rows' mins
//     q4_0/q4_1: u8 q[4][64]             chunk c, bytes 4j..4j+3 = row j's qs[4c..4c+3] (low
//                                        nibbles: elements 4c.., high: 16+4c..)
//     q8_0:      u8 q[8][64]             chunk g, bytes 4j..4j+3 = row j's qs[4g..4g+3] + 128
// The packed form has the size of the GGUF form (rounded up to 16 rows): 288, 320, 544 bytes
// per group block. Work is split over rows of W (GEMV) or (row tile, column
// tile) pairs (GEMM) in fixed tiles, and every output element is computed by the same sequence of
// operations whatever the split, so results are bitwise identical for any thread count.

#include <pthreadpool.h>
#include <stddef.h>
#include <stdint.h>

#include "switchyard/switchyard.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- constants and enums ---

#define SY_CPUKERN_BLOCK 32 // elements per block of every block dtype

typedef enum sy_cpukern_dtype {
    SY_CPUKERN_F32 = 0,
    SY_CPUKERN_F16 = 1,
    SY_CPUKERN_Q8_0 = 2,
    SY_CPUKERN_Q4_0 = 3,
    SY_CPUKERN_Q4_1 = 4,
} sy_cpukern_dtype;
#define SY_CPUKERN_DTYPE_COUNT 5

/// Instruction sets with their own kernels, in increasing order.
typedef enum sy_cpu_isa {
    SY_CPU_ISA_AUTO = 0,       // the best the CPU has, unless SWITCHYARD_CPU_ISA says otherwise
    SY_CPU_ISA_SCALAR = 1,     // portable C, any architecture
    SY_CPU_ISA_AVX2 = 2,       // AVX2 + FMA + F16C
    SY_CPU_ISA_AVX512 = 3,     // AVX-512 F/BW/VL (+ FMA, F16C)
    SY_CPU_ISA_AVX512VNNI = 4, // AVX-512 VNNI on top
} sy_cpu_isa;
#define SY_CPU_ISA_COUNT 5

/// q8 activation block: scale, sum of the quants, quants (x ≈ q * d). 40 bytes.
typedef struct sy_cpukern_q8x {
    float d;
    int32_t sum;
    int8_t q[SY_CPUKERN_BLOCK];
} sy_cpukern_q8x;

/// The kernels' own caller-driven thread pool (pool.c): an alternative to pthreadpool for shared
/// machines — the caller never waits for a worker that has not started a tile.
typedef struct sy_cpukern_pool sy_cpukern_pool;

/// One linear call. Pointers are borrowed for the call.
typedef struct sy_cpukern_linear_args {
    sy_cpukern_dtype dtype;
    int64_t m, n, k;
    const float *x;    // (m, k)
    const void *w;     // (n, k) in dtype
    const float *bias; // (n) or NULL
    float *y;          // (m, n)
    void *scratch;     // sy_cpukern_linear_scratch_bytes(dtype, m, k) bytes (16-aligned), or NULL if 0
    sy_cpu_isa isa;    // SY_CPU_ISA_AUTO for sy_cpukern_isa_active()
    const char *name;  // the weight's tensor name, for messages (may be NULL)
    uint32_t pool_flags; // pthreadpool_parallelize_* flags, e.g. PTHREADPOOL_FLAG_YIELD_WORKERS
    const sy_cpukern_q8x *xq; // block dtypes, optional: (m, k/32) activations already quantised
                              // (sy_cpukern_rmsnorm_quantize); then x and scratch are not used
    sy_cpukern_pool *kpool;   // optional: run on this pool instead of the pthreadpool argument
    int exact; // block dtypes: 1 multiplies the f32 activations with the dequantised weights in
               // f32 (the portable reference's arithmetic up to summation order; x used, no
               // scratch); 0 quantises the activations to q8 first (integer dot products)
    int packed; // block dtypes with exact 0: w is sy_cpukern_pack's layout (AVX-512 VNNI only)
} sy_cpukern_linear_args;

/// One fused gate/up call for a single token (see sy_cpukern_gate_up_silu).
typedef struct sy_cpukern_gate_up_args {
    sy_cpukern_dtype dtype;
    int64_t n, k;
    const float *x;           // (k) f32 activations (f32 / f16 weights)
    const sy_cpukern_q8x *xq; // (k/32) quantised activations (block dtypes), e.g. from
                              // sy_cpukern_rmsnorm_quantize
    const void *w_gate;       // (n, k) in dtype
    const void *w_up;         // (n, k) in dtype
    float *h;                 // (n) out
    sy_cpu_isa isa;
    const char *name;
    uint32_t pool_flags;
    sy_cpukern_pool *kpool; // optional: run on this pool instead of the pthreadpool argument
} sy_cpukern_gate_up_args;

// --- instruction sets ---

/// Static name of an ISA ("scalar", "avx2", "avx512", "avx512vnni"; "auto").
const char *sy_cpu_isa_name(sy_cpu_isa isa);
/// Parses an ISA name into *isa_out. Returns SY_ERR_INVALID_ARGUMENT naming the accepted ones.
sy_status sy_cpu_isa_parse(const char *name, sy_cpu_isa *isa_out);
/// The best ISA this CPU runs (cpuid), ignoring the environment.
sy_cpu_isa sy_cpu_isa_detect(void);
/// The ISA used for SY_CPU_ISA_AUTO: SWITCHYARD_CPU_ISA when set (capped to what the CPU runs,
/// with a warning through the log callback), else sy_cpu_isa_detect(). Read once.
sy_cpu_isa sy_cpu_isa_active(void);
/// Returns SY_OK when this CPU (and this build) runs `isa`, else SY_ERR_UNAVAILABLE saying why.
sy_status sy_cpu_isa_check(sy_cpu_isa isa);

// --- sizes and checks ---

/// Static dtype name ("f32", "f16", "q8_0", "q4_0", "q4_1").
const char *sy_cpukern_dtype_name(sy_cpukern_dtype dtype);
/// Bytes of one row of k elements (k a multiple of the block size for block dtypes).
size_t sy_cpukern_row_bytes(sy_cpukern_dtype dtype, int64_t k);
/// Checks that a weight (n, k) in `dtype` can be used: k > 0, n > 0, k a multiple of 32 for
/// block dtypes. `name` names the tensor in the message. Returns SY_ERR_SHAPE / SY_ERR_DTYPE.
sy_status sy_cpukern_weight_check(sy_cpukern_dtype dtype, int64_t n, int64_t k, const char *name);
/// Whether `isa` (AUTO: the active one) has kernels for weights in the packed layout.
int sy_cpukern_packed_supported(sy_cpukern_dtype dtype, sy_cpu_isa isa);
/// Bytes of the packed form of a (n, k) weight (block dtypes; 0 for f32/f16).
size_t sy_cpukern_packed_bytes(sy_cpukern_dtype dtype, int64_t n, int64_t k);
/// Writes the packed form of w (n, k, GGUF layout) to out (sy_cpukern_packed_bytes bytes), on
/// `kpool` (NULL: the caller). Returns SY_ERR_SHAPE / SY_ERR_DTYPE as sy_cpukern_weight_check, or
/// for f32/f16.
sy_status sy_cpukern_pack(sy_cpukern_dtype dtype, int64_t n, int64_t k, const void *w, void *out,
                          const char *name, sy_cpukern_pool *kpool);
/// Scratch bytes a linear call needs (quantised activations; 0 for f32/f16).
size_t sy_cpukern_linear_scratch_bytes(sy_cpukern_dtype dtype, int64_t m, int64_t k);

// --- the kernels' own pool ---

/// Starts n_threads - 1 workers (the caller is the n-th). Idle workers spin `spin_us`
/// microseconds, then sleep. Returns SY_ERR_INVALID_ARGUMENT (n_threads 0 or > 64) or
/// SY_ERR_OUT_OF_MEMORY.
sy_status sy_cpukern_pool_create(uint32_t n_threads, uint32_t spin_us, sy_cpukern_pool **pool_out);
/// Stops and joins the workers; accepts NULL.
void sy_cpukern_pool_destroy(sy_cpukern_pool *pool);
/// Threads including the caller (1 for NULL).
uint32_t sy_cpukern_pool_threads(const sy_cpukern_pool *pool);
/// Runs fn(ctx, i) for every i in [0, n) on the pool, the caller taking part; returns when all
/// are done. NULL pool: on the caller, in order.
void sy_cpukern_pool_parallelize(sy_cpukern_pool *pool, void (*fn)(void *ctx, size_t i), void *ctx, size_t n);

// --- kernels ---

/// Y = X·Wᵀ (+ bias) on `pool` (NULL: the calling thread). m == 1 takes the GEMV path. Returns
/// SY_ERR_SHAPE / SY_ERR_DTYPE (bad weight), SY_ERR_INVALID_ARGUMENT (NULL pointer, missing
/// scratch), SY_ERR_UNAVAILABLE (isa not runnable here). Allocates nothing.
sy_status sy_cpukern_linear(const sy_cpukern_linear_args *args, pthreadpool_t pool);

/// Quantises rows of x (m, k) (k a multiple of 32) to q8 blocks xq (m, k/32), round to nearest,
/// d = max|x| / 127 per block. Returns SY_ERR_SHAPE for a bad k.
sy_status sy_cpukern_quantize_q8(const float *x, int64_t m, int64_t k, sy_cpukern_q8x *xq,
                                 sy_cpu_isa isa);

/// Fused RMSNorm + quantisation of one row: y = x / sqrt(mean(x²) + eps) * weight, written as
/// f32 to y_out (may be NULL) and as q8 blocks to xq_out (may be NULL; k a multiple of 32).
sy_status sy_cpukern_rmsnorm_quantize(const float *x, const float *weight, int64_t k, float eps,
                                      float *y_out, sy_cpukern_q8x *xq_out);

/// Fused MLP front for one token: h = silu(x·Wgᵀ) * (x·Wuᵀ); gate and up rows of the same index
/// are computed by the same task, so the two (n) intermediates are never written and one pool
/// dispatch serves both. Same statuses as sy_cpukern_linear.
sy_status sy_cpukern_gate_up_silu(const sy_cpukern_gate_up_args *args, pthreadpool_t pool);

#ifdef __cplusplus
}
#endif
