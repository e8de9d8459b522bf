// Sampling a token from logits: repetition penalty, temperature, top-k, top-p, min-p, and a
// draw from a seeded xoshiro256** stream. Everything the sampler needs is allocated at create.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "switchyard/generate.h"

typedef struct candidate {
    float logit; // after the penalty and the temperature
    int32_t id;
} candidate;

struct sy_sampler {
    sy_sampler_params p;
    int64_t n_vocab;
    uint64_t s[4];          // xoshiro256** state
    float *logits;          // (n_vocab) penalised copy of the input
    uint8_t *seen;          // (n_vocab) token seen in the penalty window (cleared after use)
    candidate *cand;        // (n_vocab)
};

// --- the PRNG ---

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(uint64_t s[4]) {
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/// Uniform in [0, 1) with 53 random bits.
static double uniform(uint64_t s[4]) {
    return (double)(xoshiro_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

void sy_sampler_reseed(sy_sampler *sm, uint64_t seed) {
    if (!sm) return;
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) sm->s[i] = splitmix64(&x);
}

// --- parameters ---

sy_sampler_params sy_sampler_default_params(void) {
    sy_sampler_params p = {.temperature = 0.0f, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f,
                           .repeat_penalty = 1.0f, .repeat_window = 64, .seed = 0};
    return p;
}

sy_status sy_sampler_params_check(const sy_sampler_params *p) {
    SY_CHECK(p, SY_ERR_INVALID_ARGUMENT, "sampling parameters: NULL");
    SY_CHECK(p->temperature >= 0.0f && isfinite(p->temperature), SY_ERR_INVALID_ARGUMENT,
             "temperature %g is out of range: it must be >= 0 (0 is greedy)", (double)p->temperature);
    SY_CHECK(p->top_k >= 0, SY_ERR_INVALID_ARGUMENT, "top-k %d is out of range: it must be >= 0 (0 is off)",
             (int)p->top_k);
    SY_CHECK(p->top_p > 0.0f && p->top_p <= 1.0f, SY_ERR_INVALID_ARGUMENT,
             "top-p %g is out of range: it must be in (0, 1] (1 is off)", (double)p->top_p);
    SY_CHECK(p->min_p >= 0.0f && p->min_p <= 1.0f, SY_ERR_INVALID_ARGUMENT,
             "min-p %g is out of range: it must be in [0, 1] (0 is off)", (double)p->min_p);
    SY_CHECK(p->repeat_penalty > 0.0f && isfinite(p->repeat_penalty), SY_ERR_INVALID_ARGUMENT,
             "repetition penalty %g is out of range: it must be > 0 (1 is off)", (double)p->repeat_penalty);
    SY_CHECK(p->repeat_window >= 0, SY_ERR_INVALID_ARGUMENT,
             "repetition window %d is out of range: it must be >= 0 (0 is the whole history)", (int)p->repeat_window);
    return SY_OK;
}

sy_status sy_sampler_create(const sy_sampler_params *params, int64_t n_vocab, sy_sampler **out) {
    SY_CHECK(out, SY_ERR_INVALID_ARGUMENT, "sy_sampler_create: NULL sampler_out");
    SY_TRY(sy_sampler_params_check(params));
    SY_CHECK(n_vocab >= 1 && n_vocab <= INT32_MAX, SY_ERR_INVALID_ARGUMENT,
             "sy_sampler_create: vocabulary size %lld is out of range", (long long)n_vocab);
    sy_sampler *sm = sy_calloc(1, sizeof *sm);
    if (sm) {
        sm->logits = sy_malloc((size_t)n_vocab * sizeof *sm->logits);
        sm->seen = sy_calloc((size_t)n_vocab, 1);
        sm->cand = sy_malloc((size_t)n_vocab * sizeof *sm->cand);
    }
    if (!sm || !sm->logits || !sm->seen || !sm->cand) {
        sy_sampler_destroy(sm);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "sampler: out of memory for %lld logits", (long long)n_vocab);
    }
    sm->p = *params;
    sm->n_vocab = n_vocab;
    sy_sampler_reseed(sm, params->seed);
    *out = sm;
    return SY_OK;
}

void sy_sampler_destroy(sy_sampler *sm) {
    if (!sm) return;
    sy_free(sm->logits);
    sy_free(sm->seen);
    sy_free(sm->cand);
    sy_free(sm);
}

// --- the steps ---

/// Each distinct token of the window once: positive logits divided by the penalty, negative
/// ones multiplied (so a penalty > 1 always makes a seen token less likely).
static void apply_penalty(sy_sampler *sm, const int32_t *history, size_t n_history) {
    float r = sm->p.repeat_penalty;
    if (r == 1.0f || !history || !n_history) return;
    size_t w = sm->p.repeat_window > 0 && (size_t)sm->p.repeat_window < n_history ? (size_t)sm->p.repeat_window
                                                                                  : n_history;
    const int32_t *h = history + (n_history - w);
    for (size_t i = 0; i < w; i++) {
        int32_t t = h[i];
        if (t < 0 || t >= sm->n_vocab || sm->seen[t]) continue;
        sm->seen[t] = 1;
        float x = sm->logits[t];
        sm->logits[t] = x > 0 ? x / r : x * r;
    }
    for (size_t i = 0; i < w; i++)
        if (h[i] >= 0 && h[i] < sm->n_vocab) sm->seen[h[i]] = 0;
}

static int cmp_candidate(const void *a, const void *b) { // descending logit, then ascending id
    const candidate *x = a, *y = b;
    if (x->logit != y->logit) return x->logit < y->logit ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

/// Sifts c[i] down a heap of n whose root is the candidate that sorts last (the smallest kept).
static void sift_down(candidate *c, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && cmp_candidate(&c[l], &c[m]) > 0) m = l;
        if (r < n && cmp_candidate(&c[r], &c[m]) > 0) m = r;
        if (m == i) return;
        candidate t = c[i];
        c[i] = c[m];
        c[m] = t;
        i = m;
    }
}

/// Moves the k first candidates in sort order to the front, sorted. O(n log k) with a heap of
/// the k best so far; a plain sort when every candidate is kept.
static void select_top(candidate *c, size_t n, size_t k) {
    if (k < n) {
        for (size_t i = k / 2; i-- > 0;) sift_down(c, k, i);
        for (size_t i = k; i < n; i++) {
            if (cmp_candidate(&c[i], &c[0]) >= 0) continue; // not better than the worst kept
            c[0] = c[i];
            sift_down(c, k, 0);
        }
    }
    qsort(c, k, sizeof *c, cmp_candidate);
}

static int32_t argmax(const float *x, int64_t n) {
    int64_t best = -1;
    for (int64_t i = 0; i < n; i++)
        if (!isnan(x[i]) && x[i] != -INFINITY && (best < 0 || x[i] > x[best])) best = i;
    return (int32_t)best;
}

/// Turns the first n candidates' logits into probabilities (in place, as floats in .logit).
static void softmax(candidate *c, size_t n) {
    float top = c[0].logit;
    for (size_t i = 1; i < n; i++)
        if (c[i].logit > top) top = c[i].logit;
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += c[i].logit = expf(c[i].logit - top);
    for (size_t i = 0; i < n; i++) c[i].logit = (float)(c[i].logit / sum);
}

/// Candidates after top-k and top-p, sorted by probability (descending); returns their count.
static size_t truncate_sorted(sy_sampler *sm, size_t n) {
    size_t k = sm->p.top_k > 0 && (size_t)sm->p.top_k < n ? (size_t)sm->p.top_k : n;
    if (k < n || sm->p.top_p < 1.0f) select_top(sm->cand, n, k);
    n = k;
    softmax(sm->cand, n);
    if (sm->p.top_p < 1.0f) { // smallest prefix whose mass reaches top_p
        double mass = 0;
        size_t keep = 0;
        while (keep < n && mass < sm->p.top_p) mass += sm->cand[keep++].logit;
        n = keep ? keep : 1;
    }
    return n;
}

sy_status sy_sampler_sample(sy_sampler *sm, const float *logits, int64_t n_vocab, const int32_t *history,
                            size_t n_history, int32_t *token_out) {
    SY_CHECK(sm && logits && token_out, SY_ERR_INVALID_ARGUMENT, "sy_sampler_sample: NULL argument");
    SY_CHECK(n_vocab == sm->n_vocab, SY_ERR_INVALID_ARGUMENT,
             "sampler: %lld logits given, but the sampler was made for %lld", (long long)n_vocab,
             (long long)sm->n_vocab);
    memcpy(sm->logits, logits, (size_t)n_vocab * sizeof *sm->logits);
    apply_penalty(sm, history, n_history);
    int32_t best = argmax(sm->logits, n_vocab);
    SY_CHECK(best >= 0, SY_ERR_OUT_OF_RANGE, "sampler: no logit is finite (all NaN or -inf)");
    if (sm->p.temperature == 0.0f) {
        *token_out = best;
        return SY_OK;
    }
    size_t n = 0;
    float inv_t = 1.0f / sm->p.temperature;
    for (int64_t i = 0; i < n_vocab; i++) {
        float x = sm->logits[i];
        if (isnan(x) || x == -INFINITY) continue;
        sm->cand[n++] = (candidate){(x - sm->logits[best]) * inv_t, (int32_t)i}; // max is 0: no overflow
    }
    n = truncate_sorted(sm, n);
    if (sm->p.min_p > 0.0f) { // relative to the most likely token (at the front when sorted)
        float top = 0;
        for (size_t i = 0; i < n; i++)
            if (sm->cand[i].logit > top) top = sm->cand[i].logit;
        size_t keep = 0;
        for (size_t i = 0; i < n; i++)
            if (sm->cand[i].logit >= sm->p.min_p * top) sm->cand[keep++] = sm->cand[i];
        n = keep;
    }
    double mass = 0;
    for (size_t i = 0; i < n; i++) mass += sm->cand[i].logit;
    double u = uniform(sm->s) * mass, acc = 0;
    *token_out = sm->cand[n - 1].id;
    for (size_t i = 0; i < n; i++) {
        acc += sm->cand[i].logit;
        if (u < acc) {
            *token_out = sm->cand[i].id;
            break;
        }
    }
    return SY_OK;
}
