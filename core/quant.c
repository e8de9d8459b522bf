// Quantisers and dequantisers of the block dtypes. The quantisers round exactly like GGUF's
// reference ones (ggml-quants.c *_ref and the gguf Python package): the same float32
// operations in the same order, so the bytes match (tests/python/test_quant.py checks it).

#include "core/quant.h"

#include <math.h>
#include <string.h>

#include "core/half.h"
#include "core/status.h"

static void put_f16(uint8_t *p, float f) {
    uint16_t h = sy_f32_to_f16(f);
    p[0] = (uint8_t)h;
    p[1] = (uint8_t)(h >> 8);
}

static float get_f16(const uint8_t *p) { return sy_f16_to_f32((uint16_t)(p[0] | (p[1] << 8))); }

// q8_0: d = max|x| / 127, q = round-half-away(x / d) as i8.  Block: f16 d, i8 q[32].
static void quantize_q8_0(const float *x, uint8_t *b) {
    float amax = 0.0f;
    for (int i = 0; i < SY_QK; i++) amax = fmaxf(amax, fabsf(x[i]));
    const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(b, d);
    for (int i = 0; i < SY_QK; i++) b[2 + i] = (uint8_t)(int8_t)roundf(x[i] * id);
}

// q4_0: the element of largest magnitude (first one on ties) with its sign is max; d = max / -8,
// q = min(15, trunc(x / d + 8.5)). Block: f16 d, 16 bytes: low nibble x[j], high nibble x[j + 16].
static void quantize_q4_0(const float *x, uint8_t *b) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < SY_QK; i++) {
        if (amax < fabsf(x[i])) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    const float d = max / -8.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(b, d);
    for (int j = 0; j < SY_QK / 2; j++) {
        int lo = (int)(x[j] * id + 8.5f), hi = (int)(x[j + SY_QK / 2] * id + 8.5f);
        lo = lo > 15 ? 15 : lo;
        hi = hi > 15 ? 15 : hi;
        b[2 + j] = (uint8_t)(lo | (hi << 4));
    }
}

// q4_1: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)).
// Block: f16 d, f16 m, 16 bytes of nibbles as in q4_0.
static void quantize_q4_1(const float *x, uint8_t *b) {
    float mn = x[0], mx = x[0];
    for (int i = 1; i < SY_QK; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    const float d = (mx - mn) / 15.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(b, d);
    put_f16(b + 2, mn);
    for (int j = 0; j < SY_QK / 2; j++) {
        int lo = (int)((x[j] - mn) * id + 0.5f), hi = (int)((x[j + SY_QK / 2] - mn) * id + 0.5f);
        lo = lo > 15 ? 15 : lo;
        hi = hi > 15 ? 15 : hi;
        b[4 + j] = (uint8_t)(lo | (hi << 4));
    }
}

void sy_dequantize_block(sy_dtype dtype, const void *block, float *out) {
    const uint8_t *b = block;
    switch (dtype) {
    case SY_DTYPE_Q8_0: {
        const float d = get_f16(b);
        for (int i = 0; i < SY_QK; i++) out[i] = d * (float)(int8_t)b[2 + i];
        break;
    }
    case SY_DTYPE_Q4_0: {
        const float d = get_f16(b);
        for (int j = 0; j < SY_QK / 2; j++) {
            out[j] = d * (float)((b[2 + j] & 0x0f) - 8);
            out[j + SY_QK / 2] = d * (float)((b[2 + j] >> 4) - 8);
        }
        break;
    }
    case SY_DTYPE_Q4_1: {
        const float d = get_f16(b), m = get_f16(b + 2);
        for (int j = 0; j < SY_QK / 2; j++) {
            out[j] = d * (float)(b[4 + j] & 0x0f) + m;
            out[j + SY_QK / 2] = d * (float)(b[4 + j] >> 4) + m;
        }
        break;
    }
    default: memset(out, 0, SY_QK * sizeof *out); break;
    }
}

static sy_status check_row(const char *fn, sy_dtype dtype, const void *a, int64_t n, const void *b) {
    SY_CHECK(a && b, SY_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    SY_CHECK(dtype == SY_DTYPE_Q8_0 || dtype == SY_DTYPE_Q4_0 || dtype == SY_DTYPE_Q4_1, SY_ERR_DTYPE,
             "%s: dtype %s is not block-quantised (q8_0, q4_0 or q4_1)", fn, sy_dtype_name(dtype));
    SY_CHECK(n >= 0 && n % SY_QK == 0, SY_ERR_SHAPE, "%s: %lld elements are not a whole number of %s blocks of %d",
             fn, (long long)n, sy_dtype_name(dtype), SY_QK);
    return SY_OK;
}

sy_status sy_quantize_row(sy_dtype dtype, const float *src, int64_t n, void *dst) {
    SY_TRY(check_row("sy_quantize_row", dtype, src, n, dst));
    size_t bb = sy_dtype_block_bytes(dtype);
    uint8_t *out = dst;
    for (int64_t i = 0; i < n / SY_QK; i++) {
        const float *x = src + i * SY_QK;
        uint8_t *b = out + (size_t)i * bb;
        if (dtype == SY_DTYPE_Q8_0) quantize_q8_0(x, b);
        else if (dtype == SY_DTYPE_Q4_0) quantize_q4_0(x, b);
        else quantize_q4_1(x, b);
    }
    return SY_OK;
}

sy_status sy_dequantize_row(sy_dtype dtype, const void *src, int64_t n, float *dst) {
    SY_TRY(check_row("sy_dequantize_row", dtype, src, n, dst));
    size_t bb = sy_dtype_block_bytes(dtype);
    for (int64_t i = 0; i < n / SY_QK; i++)
        sy_dequantize_block(dtype, (const uint8_t *)src + (size_t)i * bb, dst + i * SY_QK);
    return SY_OK;
}
