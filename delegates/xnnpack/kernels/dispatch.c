// ISA detection and choice, shape checks, and the linear entry point: activation quantisation,
// then fixed output tiles handed to the thread pool.

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "delegates/xnnpack/kernels/cpukern_internal.h"

#define GEMV_TILE_N 32 // GEMV task rows come in multiples of this (gemv_rows_per_task)
#define GEMM_TILE_M 16 // activation rows per GEMM task
#define GEMM_TILE_N 32 // weight rows per GEMM task (f32: 32 × 576 × 4 B stays in L2)
#define PANEL_MIN_M 8  // activation rows from which an ISA's panel GEMM (sy_ck_gemm_for) runs
#define PANEL_M 128    // activation rows per panel GEMM task (each task unpacks its panels once)

static const char *const isa_names[SY_CPU_ISA_COUNT] = {"auto", "scalar", "avx2", "avx512", "avx512vnni"};
static const char *const dtype_names[SY_CPUKERN_DTYPE_COUNT] = {"f32", "f16", "q8_0", "q4_0", "q4_1"};

const char *sy_cpu_isa_name(sy_cpu_isa isa) {
    return (unsigned)isa < SY_CPU_ISA_COUNT ? isa_names[isa] : "invalid";
}

const char *sy_cpukern_dtype_name(sy_cpukern_dtype dtype) {
    return (unsigned)dtype < SY_CPUKERN_DTYPE_COUNT ? dtype_names[dtype] : "invalid";
}

sy_status sy_cpu_isa_parse(const char *name, sy_cpu_isa *isa_out) {
    for (int i = 0; name && i < SY_CPU_ISA_COUNT; i++) {
        if (!strcmp(name, isa_names[i])) {
            *isa_out = (sy_cpu_isa)i;
            return SY_OK;
        }
    }
    return sy_error_set(SY_ERR_INVALID_ARGUMENT,
                        "unknown CPU instruction set '%s' (expected auto, scalar, avx2, avx512 or avx512vnni)",
                        name ? name : "(null)");
}

sy_cpu_isa sy_cpu_isa_detect(void) {
#if defined(SY_CK_X86) && defined(__GNUC__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#if !defined(__clang__)
    avx2 = avx2 && __builtin_cpu_supports("f16c");
#endif
    if (!avx2) return SY_CPU_ISA_SCALAR;
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl");
    if (!avx512) return SY_CPU_ISA_AVX2;
    return __builtin_cpu_supports("avx512vnni") ? SY_CPU_ISA_AVX512VNNI : SY_CPU_ISA_AVX512;
#else
    return SY_CPU_ISA_SCALAR;
#endif
}

sy_cpu_isa sy_cpu_isa_active(void) {
    static _Atomic int cached = 0; // 0: not read yet, else the ISA
    int v = atomic_load_explicit(&cached, memory_order_acquire);
    if (v) return (sy_cpu_isa)v;
    sy_cpu_isa best = sy_cpu_isa_detect(), isa = best;
    const char *env = getenv("SWITCHYARD_CPU_ISA");
    if (env && *env) {
        sy_cpu_isa want = SY_CPU_ISA_AUTO;
        if (sy_cpu_isa_parse(env, &want) != SY_OK) {
            sy_log(SY_LOG_WARN, "SWITCHYARD_CPU_ISA='%s' is not an instruction set (scalar, avx2, avx512, "
                   "avx512vnni); using %s", env, sy_cpu_isa_name(best));
        } else if (want != SY_CPU_ISA_AUTO && want > best) {
            sy_log(SY_LOG_WARN, "SWITCHYARD_CPU_ISA=%s is not supported by this CPU; using %s", env,
                   sy_cpu_isa_name(best));
        } else if (want != SY_CPU_ISA_AUTO) {
            isa = want;
        }
        sy_error_clear();
    }
    atomic_store_explicit(&cached, (int)isa, memory_order_release);
    return isa;
}

sy_status sy_cpu_isa_check(sy_cpu_isa isa) {
    SY_CHECK((unsigned)isa < SY_CPU_ISA_COUNT, SY_ERR_INVALID_ARGUMENT, "invalid CPU instruction set %d", (int)isa);
    sy_cpu_isa best = sy_cpu_isa_detect();
#ifdef SY_CK_X86
    const char *arch = "";
#else
    const char *arch = " is not x86-64 and";
#endif
    SY_CHECK(isa <= best, SY_ERR_UNAVAILABLE, "CPU instruction set %s is not available here (this CPU%s runs up to %s)",
             sy_cpu_isa_name(isa), arch, sy_cpu_isa_name(best));
    return SY_OK;
}

void sy_ck_kernels_for(sy_cpu_isa isa, int f32x, sy_ck_tile_fn tiles_out[SY_CPUKERN_DTYPE_COUNT],
                       sy_ck_quantize_fn *quantize_out) {
    // AVX-512 without VNNI has no kernels of its own: 512-bit f32/f16 FMA tiles measured 15-30 %
    // slower than the AVX2 ones on Zen 4 (which splits 512-bit ops in two), see the git history
    // of avx512.c; the level stays so that a CPU with AVX-512 but no VNNI is named correctly.
    const sy_ck_isa_kernels *chain[3] = {NULL, NULL, &sy_ck_scalar_kernels};
#ifdef SY_CK_X86
    if (isa >= SY_CPU_ISA_AVX512VNNI) chain[0] = &sy_ck_avx512vnni_kernels;
    if (isa >= SY_CPU_ISA_AVX2) chain[1] = &sy_ck_avx2_kernels;
#else
    (void)isa;
#endif
    *quantize_out = NULL;
    for (int d = 0; d < SY_CPUKERN_DTYPE_COUNT; d++) tiles_out[d] = NULL;
    for (int c = 0; c < 3; c++) {
        if (!chain[c]) continue;
        for (int d = 0; d < SY_CPUKERN_DTYPE_COUNT; d++)
            if (!tiles_out[d]) tiles_out[d] = f32x && d > SY_CPUKERN_F16 ? chain[c]->tile_f32x[d] : chain[c]->tile[d];
        if (!*quantize_out) *quantize_out = chain[c]->quantize;
    }
}

sy_ck_tile_fn sy_ck_gemm_for(sy_cpu_isa isa, int f32x, sy_cpukern_dtype dtype, int64_t k) {
#ifdef SY_CK_X86
    const sy_ck_isa_kernels *kern = isa >= SY_CPU_ISA_AVX512VNNI ? &sy_ck_avx512vnni_kernels : NULL;
    if (!kern || !kern->gemm_fits || !kern->gemm_fits(k, f32x)) return NULL;
    return f32x && dtype > SY_CPUKERN_F16 ? kern->gemm_f32x[dtype] : kern->gemm[dtype];
#else
    (void)isa, (void)f32x, (void)dtype, (void)k;
    return NULL;
#endif
}

static int is_block(sy_cpukern_dtype dtype) { return dtype >= SY_CPUKERN_Q8_0; }

// --- the packed layout (cpukern.h) ---

static sy_ck_tile_fn packed_fn(sy_cpukern_dtype dtype, sy_cpu_isa isa) {
    if (isa == SY_CPU_ISA_AUTO) isa = sy_cpu_isa_active();
#ifdef SY_CK_X86
    if (isa >= SY_CPU_ISA_AVX512VNNI && (unsigned)dtype < SY_CPUKERN_DTYPE_COUNT)
        return sy_ck_avx512vnni_kernels.packed[dtype];
#else
    (void)dtype;
#endif
    return NULL;
}

int sy_cpukern_packed_supported(sy_cpukern_dtype dtype, sy_cpu_isa isa) {
    return packed_fn(dtype, isa) != NULL && sy_cpu_isa_check(isa == SY_CPU_ISA_AUTO ? sy_cpu_isa_active() : isa) == SY_OK;
}

size_t sy_cpukern_packed_bytes(sy_cpukern_dtype dtype, int64_t n, int64_t k) {
    if (!is_block(dtype) || n <= 0 || k <= 0 || (unsigned)dtype >= SY_CPUKERN_DTYPE_COUNT) return 0;
    return (size_t)((n + 15) / 16) * (size_t)(k / SY_CPUKERN_BLOCK) * sy_ck_packed_block_bytes(dtype);
}

void sy_ck_pack_group(sy_cpukern_dtype dtype, const uint8_t *w, size_t w_row, int nr, int64_t b0, int64_t nbk,
                      uint8_t *out) {
    const size_t bb = sy_cpukern_row_bytes(dtype, SY_CPUKERN_BLOCK), pbb = sy_ck_packed_block_bytes(dtype);
    const size_t qoff = dtype == SY_CPUKERN_Q4_1 ? 64 : 32; // quants after the f16 scales (and mins)
    const int groups = dtype == SY_CPUKERN_Q8_0 ? 8 : 4;  // 4-byte groups per row and block
    if (nr < 16) memset(out, 0, pbb * (size_t)nbk);      // absent rows: zero quants and scales
    for (int64_t b = 0; b < nbk; b++) {
        uint8_t *o = out + (size_t)b * pbb;
        for (int j = 0; j < nr; j++) {
            const uint8_t *blk = w + (size_t)j * w_row + (size_t)(b0 + b) * bb;
            const uint8_t *qs = blk + (dtype == SY_CPUKERN_Q4_1 ? 4 : 2);
            memcpy(o + 2 * j, blk, 2);                                        // d
            if (dtype == SY_CPUKERN_Q4_1) memcpy(o + 32 + 2 * j, blk + 2, 2); // m
            for (int g = 0; g < groups; g++) {
                uint32_t q;
                memcpy(&q, qs + 4 * g, 4);
                if (dtype == SY_CPUKERN_Q8_0) q ^= 0x80808080u; // q + 128 in every byte
                memcpy(o + qoff + 64 * g + 4 * j, &q, 4);
            }
        }
    }
}

typedef struct pack_job {
    sy_cpukern_dtype dtype;
    int64_t n, nb;
    const uint8_t *w;
    size_t row, group; // bytes per GGUF row, per packed 16-row group
    uint8_t *out;
} pack_job;

static void pack_task(void *ctx, size_t g) {
    const pack_job *j = ctx;
    const int64_t r = (int64_t)g * 16;
    sy_ck_pack_group(j->dtype, j->w + (size_t)r * j->row, j->row, (int)(j->n - r < 16 ? j->n - r : 16), 0, j->nb,
                     j->out + g * j->group);
}

sy_status sy_cpukern_pack(sy_cpukern_dtype dtype, int64_t n, int64_t k, const void *w, void *out, const char *name,
                          sy_cpukern_pool *kpool) {
    SY_TRY(sy_cpukern_weight_check(dtype, n, k, name));
    SY_CHECK(is_block(dtype), SY_ERR_DTYPE, "weight '%s': only block dtypes have a packed layout, not %s",
             name && *name ? name : "(unnamed)", sy_cpukern_dtype_name(dtype));
    SY_CHECK(w && out, SY_ERR_INVALID_ARGUMENT, "pack: NULL pointer");
    const int64_t nb = k / SY_CPUKERN_BLOCK;
    pack_job j = {dtype, n, nb, w, sy_cpukern_row_bytes(dtype, k), (size_t)nb * sy_ck_packed_block_bytes(dtype), out};
    sy_ck_pool_run(kpool, pack_task, &j, (size_t)((n + 15) / 16));
    return SY_OK;
}

size_t sy_cpukern_row_bytes(sy_cpukern_dtype dtype, int64_t k) {
    static const size_t block_bytes[SY_CPUKERN_DTYPE_COUNT] = {0, 0, 34, 18, 20};
    switch (dtype) {
    case SY_CPUKERN_F32: return (size_t)k * 4;
    case SY_CPUKERN_F16: return (size_t)k * 2;
    default: return (size_t)(k / SY_CPUKERN_BLOCK) * block_bytes[dtype];
    }
}

sy_status sy_cpukern_weight_check(sy_cpukern_dtype dtype, int64_t n, int64_t k, const char *name) {
    const char *what = name && *name ? name : "(unnamed)";
    SY_CHECK((unsigned)dtype < SY_CPUKERN_DTYPE_COUNT, SY_ERR_DTYPE, "weight '%s': unknown dtype %d", what, (int)dtype);
    SY_CHECK(n > 0 && k > 0 && n <= (INT64_C(1) << 40) && k <= (INT64_C(1) << 32), SY_ERR_SHAPE,
             "weight '%s': shape [%lld, %lld] is empty or too large", what, (long long)n, (long long)k);
    SY_CHECK(!is_block(dtype) || k % SY_CPUKERN_BLOCK == 0, SY_ERR_SHAPE,
             "weight '%s' [%lld, %lld] is %s: its row length %lld is not a multiple of the block size %d",
             what, (long long)n, (long long)k, sy_cpukern_dtype_name(dtype), (long long)k, SY_CPUKERN_BLOCK);
    return SY_OK;
}

size_t sy_cpukern_linear_scratch_bytes(sy_cpukern_dtype dtype, int64_t m, int64_t k) {
    if (!is_block(dtype) || m <= 0 || k <= 0) return 0;
    return (size_t)m * (size_t)(k / SY_CPUKERN_BLOCK) * sizeof(sy_cpukern_q8x);
}

// --- the pool tasks ---

typedef struct quant_task {
    sy_ck_quantize_fn fn;
    const float *x;
    int64_t k;
    sy_cpukern_q8x *xq;
} quant_task;

static void quant_row_task(void *ctx, size_t m) {
    const quant_task *t = ctx;
    t->fn(t->x + (int64_t)m * t->k, t->k, t->xq + (int64_t)m * (t->k / SY_CPUKERN_BLOCK));
}

typedef struct tile_task {
    sy_ck_tile_fn fn;
    sy_ck_problem p;
    int64_t m, n, tiles_n; // for the kernel pool's flat tile index
    int64_t tile_m;        // activation rows per GEMM task
    int64_t gemv_rows;     // weight rows per GEMV task
} tile_task;

// Weight rows per GEMV task: a multiple of GEMV_TILE_N giving about 4 tasks per thread. Tasks are
// claimed in turn, so with 32-row tasks each thread's reads jumped over the other's every 20 KB
// and a q8_0 LM head GEMV streamed 22 GB/s on 2 threads against 30 GB/s on 1; long runs keep
// each thread's stream sequential. The split does not change any output element.
static int64_t gemv_rows_per_task(int64_t n, uint32_t threads) {
    const int64_t per = n / ((int64_t)GEMV_TILE_N * 4 * (threads ? threads : 1));
    return GEMV_TILE_N * (per > 1 ? per : 1);
}

static void quant_row_index(void *ctx, size_t m) { quant_row_task(ctx, m); }

static void gemv_index(void *ctx, size_t t) {
    const tile_task *tt = ctx;
    int64_t n0 = (int64_t)t * tt->gemv_rows, n1 = n0 + tt->gemv_rows < tt->n ? n0 + tt->gemv_rows : tt->n;
    tt->fn(&tt->p, 0, 1, n0, n1);
}

static void gemm_index(void *ctx, size_t t) {
    const tile_task *tt = ctx;
    int64_t m0 = (int64_t)t / tt->tiles_n * tt->tile_m, n0 = (int64_t)t % tt->tiles_n * GEMM_TILE_N;
    int64_t m1 = m0 + tt->tile_m < tt->m ? m0 + tt->tile_m : tt->m;
    int64_t n1 = n0 + GEMM_TILE_N < tt->n ? n0 + GEMM_TILE_N : tt->n;
    tt->fn(&tt->p, m0, m1, n0, n1);
}

static void gemv_task(void *ctx, size_t n0, size_t nn) {
    const tile_task *t = ctx;
    t->fn(&t->p, 0, 1, (int64_t)n0, (int64_t)(n0 + nn));
}

static void gemm_task(void *ctx, size_t m0, size_t n0, size_t mm, size_t nn) {
    const tile_task *t = ctx;
    t->fn(&t->p, (int64_t)m0, (int64_t)(m0 + mm), (int64_t)n0, (int64_t)(n0 + nn));
}

sy_status sy_cpukern_quantize_q8(const float *x, int64_t m, int64_t k, sy_cpukern_q8x *xq, sy_cpu_isa isa) {
    SY_CHECK(x && xq, SY_ERR_INVALID_ARGUMENT, "quantize_q8: NULL pointer");
    SY_CHECK(m > 0 && k > 0 && k % SY_CPUKERN_BLOCK == 0, SY_ERR_SHAPE,
             "quantize_q8: activations [%lld, %lld]: row length must be a positive multiple of %d",
             (long long)m, (long long)k, SY_CPUKERN_BLOCK);
    if (isa == SY_CPU_ISA_AUTO) isa = sy_cpu_isa_active();
    SY_TRY(sy_cpu_isa_check(isa));
    sy_ck_tile_fn tiles[SY_CPUKERN_DTYPE_COUNT];
    sy_ck_quantize_fn q;
    sy_ck_kernels_for(isa, 0, tiles, &q);
    for (int64_t r = 0; r < m; r++) q(x + r * k, k, xq + r * (k / SY_CPUKERN_BLOCK));
    return SY_OK;
}

static sy_status check_linear(const sy_cpukern_linear_args *a) {
    SY_CHECK(a, SY_ERR_INVALID_ARGUMENT, "linear: NULL arguments");
    SY_TRY(sy_cpukern_weight_check(a->dtype, a->n, a->k, a->name));
    const char *what = a->name && *a->name ? a->name : "(unnamed)";
    SY_CHECK(a->m > 0, SY_ERR_SHAPE, "linear with weight '%s': %lld activation rows", what, (long long)a->m);
    SY_CHECK(!a->packed || (is_block(a->dtype) && !a->exact), SY_ERR_INVALID_ARGUMENT,
             "linear with weight '%s': packed weights need a block dtype and q8 activations (exact 0)", what);
    int pre = is_block(a->dtype) && a->xq && !a->exact;
    SY_CHECK((a->x || pre) && a->w && a->y, SY_ERR_INVALID_ARGUMENT, "linear with weight '%s': NULL x, w or y", what);
    SY_CHECK(pre || a->exact || !sy_cpukern_linear_scratch_bytes(a->dtype, a->m, a->k) || a->scratch, SY_ERR_INVALID_ARGUMENT,
             "linear with weight '%s' (%s): needs %zu scratch bytes for the quantised activations, got none",
             what, sy_cpukern_dtype_name(a->dtype), sy_cpukern_linear_scratch_bytes(a->dtype, a->m, a->k));
    return SY_OK;
}

sy_status sy_cpukern_linear(const sy_cpukern_linear_args *a, pthreadpool_t pool) {
    SY_TRY(check_linear(a));
    sy_cpu_isa isa = a->isa == SY_CPU_ISA_AUTO ? sy_cpu_isa_active() : a->isa;
    SY_TRY(sy_cpu_isa_check(isa));
    tile_task t;
    sy_ck_tile_fn tiles[SY_CPUKERN_DTYPE_COUNT];
    sy_ck_quantize_fn quantize;
    const int exact = a->exact && is_block(a->dtype);
    sy_ck_kernels_for(isa, exact, tiles, &quantize);
    t.fn = tiles[a->dtype];
    if (a->packed) {
        t.fn = packed_fn(a->dtype, isa);
        SY_CHECK(t.fn, SY_ERR_UNAVAILABLE, "linear with weight '%s': no %s kernel for packed %s weights",
                 a->name && *a->name ? a->name : "(unnamed)", sy_cpu_isa_name(isa), sy_cpukern_dtype_name(a->dtype));
    }
    sy_ck_tile_fn gemm = a->m >= PANEL_MIN_M && !a->packed ? sy_ck_gemm_for(isa, exact, a->dtype, a->k) : NULL;
    const int64_t tile_m = gemm || a->packed ? PANEL_M : GEMM_TILE_M;
    if (gemm) t.fn = gemm;
    t.tile_m = tile_m;
    t.m = a->m, t.n = a->n, t.tiles_n = (a->n + GEMM_TILE_N - 1) / GEMM_TILE_N;
    t.p = (sy_ck_problem){.k = a->k, .x = a->x, .xq = NULL, .w = a->w,
                          .w_row = sy_cpukern_row_bytes(a->dtype, a->k), .bias = a->bias, .y = a->y, .ldy = a->n};
    if (is_block(a->dtype) && !exact && a->xq) {
        t.p.xq = a->xq;
    } else if (is_block(a->dtype) && !exact) {
        quant_task q = {quantize, a->x, a->k, a->scratch};
        if (a->m == 1)
            quant_row_task(&q, 0);
        else if (a->kpool)
            sy_ck_pool_run(a->kpool, quant_row_index, &q, (size_t)a->m);
        else
            pthreadpool_parallelize_1d(pool, quant_row_task, &q, (size_t)a->m, a->pool_flags);
        t.p.xq = a->scratch;
    }
    t.gemv_rows = gemv_rows_per_task(a->n, a->kpool ? sy_cpukern_pool_threads(a->kpool)
                                                   : (uint32_t)pthreadpool_get_threads_count(pool));
    if (a->kpool && a->m == 1)
        sy_ck_pool_run(a->kpool, gemv_index, &t, (size_t)((a->n + t.gemv_rows - 1) / t.gemv_rows));
    else if (a->kpool)
        sy_ck_pool_run(a->kpool, gemm_index, &t, (size_t)(((a->m + tile_m - 1) / tile_m) * t.tiles_n));
    else if (a->m == 1)
        pthreadpool_parallelize_1d_tile_1d(pool, gemv_task, &t, (size_t)a->n, (size_t)t.gemv_rows, a->pool_flags);
    else
        pthreadpool_parallelize_2d_tile_2d(pool, gemm_task, &t, (size_t)a->m, (size_t)a->n, (size_t)tile_m,
                                           GEMM_TILE_N, a->pool_flags);
    return SY_OK;
}
