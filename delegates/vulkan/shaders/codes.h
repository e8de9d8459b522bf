// Operation codes shared by the shaders (GLSL) and the host code (C): plain #defines only, so
// both preprocessors read this file the same way.
#ifndef SY_VK_CODES_H
#define SY_VK_CODES_H

// Threads per workgroup of every 1-D kernel. 128 is the smallest maxComputeWorkGroupInvocations
// a Vulkan device may report, so the same SPIR-V runs everywhere.
#define SY_VK_WG 128

// binary.comp: p.op
#define SY_VK_BIN_ADD 0
#define SY_VK_BIN_SUB 1
#define SY_VK_BIN_MUL 2
#define SY_VK_BIN_DIV 3
#define SY_VK_BIN_POW 4
#define SY_VK_BIN_MAX 5
#define SY_VK_BIN_MIN 6
// binary.comp: p.flags
#define SY_VK_BIN_SAME_SHAPE 1

// unary.comp: p.op
#define SY_VK_UN_NEG 0
#define SY_VK_UN_EXP 1
#define SY_VK_UN_LOG 2
#define SY_VK_UN_SQRT 3
#define SY_VK_UN_RSQRT 4
#define SY_VK_UN_SIN 5
#define SY_VK_UN_COS 6
#define SY_VK_UN_TANH 7
#define SY_VK_UN_SIGMOID 8
#define SY_VK_UN_SILU 9
#define SY_VK_UN_GELU 10
#define SY_VK_UN_GELU_TANH 11
#define SY_VK_UN_RELU 12

// matmul.comp / gemv.comp: p.flags
#define SY_VK_MM_BIAS 1
#define SY_VK_MM_MAX_BATCH_RANK 4
// matmul.comp tile: a 16 x 8 workgroup computes (8 * TM) x (16 * TN) outputs, BK deep per
// shared-memory stage (shared memory: BK * (8 * TM + 16 * TN + 2) floats, within the 16 KiB
// every device offers).
#define SY_VK_MM_TM 8
#define SY_VK_MM_TN 4
#define SY_VK_MM_BK 16
#define SY_VK_MM_BM (8 * SY_VK_MM_TM)
#define SY_VK_MM_BN (16 * SY_VK_MM_TN)
// matmul_small.comp: the same with 2 rows per thread (16-row tiles) for M <= SY_VK_MM_SMALL_M.
#define SY_VK_MM_SMALL_TM 2
#define SY_VK_MM_SMALL_BK 32
#define SY_VK_MM_SMALL_BM (8 * SY_VK_MM_SMALL_TM)
#define SY_VK_MM_SMALL_M 32
// gemv.comp: rows of B per workgroup when K is contiguous; SY_VK_WG / SY_VK_GEMV_ROWS threads
// (4) share a row, each reading 16 bytes at a time, so a row is read in 64-byte runs and the
// partial sums need only two reduction steps.
#define SY_VK_GEMV_ROWS 32
// gemv.comp: p.flags bit: B is contiguous along N (matmul layout) instead of K (linear layout)
#define SY_VK_GEMV_N_CONTIGUOUS 2

// Block-quantised weights (GGUF layouts, 32 elements per block): SY_QTYPE of the *_q*.comp
// kernels (gemv_q.glsl, matmul_q.glsl, embedding_q.glsl include quant.glsl).
#define SY_VK_Q8_0 0
#define SY_VK_Q4_0 1
#define SY_VK_Q4_1 2
#define SY_VK_Q_BLOCK 32
// gemv_q*.comp: rows of W per workgroup; SY_VK_WG / SY_VK_QGEMV_ROWS (8) threads share a row,
// each taking half a block (16 weights) at a time, so neighbouring threads read neighbouring
// bytes and a 576-wide row (36 halves) keeps 90% of its threads busy.
#define SY_VK_QGEMV_ROWS 16
// matmul_q*.comp: a 16 x 8 workgroup computes SY_VK_QMM_BM x SY_VK_MM_BN outputs (TM = 4 rows,
// TN = 4 columns per thread), one block (32 k) deep per stage: the weight tile is dequantised
// into shared memory once per stage (32 * (33 + 65) floats = 12.25 KiB).
#define SY_VK_QMM_TM 4
#define SY_VK_QMM_BM (8 * SY_VK_QMM_TM)

// reduce_last.comp: p.op
#define SY_VK_RED_SUM 0
#define SY_VK_RED_MEAN 1
#define SY_VK_RED_MAX 2

// layer_norm.comp: p.flags
#define SY_VK_LN_BIAS 1

// rope.comp: p.layout
#define SY_VK_ROPE_HALF 0
#define SY_VK_ROPE_INTERLEAVED 1

// sdpa_split.comp: a decode row (T = 1) with more than SY_VK_SDPA_SPLIT_KEYS visible keys is
// spread over up to SY_VK_SDPA_MAX_SPLITS workgroups of at least that many keys each.
#define SY_VK_SDPA_SPLIT_KEYS 256
#define SY_VK_SDPA_MAX_SPLITS 32

// sdpa.comp limits: head dims up to SY_VK_SDPA_MAX_D (q is staged in shared memory).
#define SY_VK_SDPA_MAX_D 512

#endif
