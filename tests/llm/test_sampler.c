// The sampler on hand-made logits: each rule keeps exactly the set computed by hand here, and
// the draw is deterministic for a seed.

#include <math.h>
#include <stdlib.h>

#include "harness.h"
#include "switchyard/generate.h"

#define V 8
#define DRAWS 4000

// probabilities of softmax(x) for x = log(p): p = {0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.015, 0.005}
static const double probs[V] = {0.40, 0.25, 0.15, 0.10, 0.05, 0.03, 0.015, 0.005};
static float logits[V];

static void setup(void) { // ids shuffled so sorting is exercised: id 5 holds the largest
    static const int order[V] = {5, 2, 7, 0, 3, 6, 1, 4};
    for (int i = 0; i < V; i++) logits[order[i]] = (float)log(probs[i]);
}

/// Draws DRAWS tokens and counts how often each appears.
static void histogram(const sy_sampler_params *p, int counts[V]) {
    sy_sampler *s = NULL;
    for (int i = 0; i < V; i++) counts[i] = 0;
    CHECK_OK(sy_sampler_create(p, V, &s));
    for (int d = 0; s && d < DRAWS; d++) {
        int32_t t = -1;
        CHECK_OK(sy_sampler_sample(s, logits, V, NULL, 0, &t));
        if (t >= 0 && t < V) counts[t]++;
    }
    sy_sampler_destroy(s);
}

/// The support of the draws is exactly `want` (a V-entry 0/1 mask).
static int support_is(const int counts[V], const int want[V]) {
    for (int i = 0; i < V; i++)
        if ((counts[i] > 0) != (want[i] != 0)) {
            fprintf(stderr, "  token %d drawn %d times, expected %s\n", i, counts[i], want[i] ? "some" : "none");
            return 0;
        }
    return 1;
}

static void test_greedy(void) {
    sy_sampler_params p = sy_sampler_default_params();
    int c[V];
    histogram(&p, c);
    CHECK(c[5] == DRAWS);
    p.temperature = 1.0f;
    p.top_k = 1; // top-k 1 is greedy whatever the temperature
    histogram(&p, c);
    CHECK(c[5] == DRAWS);
    p.top_k = 0;
    p.temperature = 1e-3f; // temperature -> 0: the distribution collapses onto the argmax
    histogram(&p, c);
    CHECK(c[5] == DRAWS);
}

static void test_top_k(void) {
    sy_sampler_params p = sy_sampler_default_params();
    p.temperature = 1.0f;
    p.top_k = 3; // the three largest: ids 5, 2, 7
    int c[V], want[V] = {0, 0, 1, 0, 0, 1, 0, 1};
    histogram(&p, c);
    CHECK(support_is(c, want));
    // renormalised frequencies 0.40/0.80, 0.25/0.80, 0.15/0.80 within a few standard deviations
    CHECK_NEAR(c[5] / (double)DRAWS, 0.5, 0.04);
    CHECK_NEAR(c[2] / (double)DRAWS, 0.3125, 0.04);
}

static void test_top_p(void) {
    sy_sampler_params p = sy_sampler_default_params();
    p.temperature = 1.0f;
    p.top_p = 0.78f; // 0.40 + 0.25 = 0.65 < 0.78 <= 0.80 with 0.15: ids 5, 2, 7
    int c[V], want[V] = {0, 0, 1, 0, 0, 1, 0, 1};
    histogram(&p, c);
    CHECK(support_is(c, want));
    p.top_p = 0.82f; // past 0.80: one more, id 0
    int want2[V] = {1, 0, 1, 0, 0, 1, 0, 1};
    histogram(&p, c);
    CHECK(support_is(c, want2));
    p.top_p = 0.1f; // the top token alone already reaches it
    histogram(&p, c);
    CHECK(c[5] == DRAWS);
}

static void test_min_p(void) {
    sy_sampler_params p = sy_sampler_default_params();
    p.temperature = 1.0f;
    p.min_p = 0.30f; // keep p >= 0.12: 0.40, 0.25, 0.15 -> ids 5, 2, 7
    int c[V], want[V] = {0, 0, 1, 0, 0, 1, 0, 1};
    histogram(&p, c);
    CHECK(support_is(c, want));
    p.min_p = 0.0625f; // keep p >= 0.025: 0.40 .. 0.03 -> ids 5, 2, 7, 0, 3, 6
    int want2[V] = {1, 0, 1, 1, 0, 1, 1, 1};
    histogram(&p, c);
    CHECK(support_is(c, want2));
    p.top_k = 2; // top-k first, then min-p of the two
    histogram(&p, c);
    int want3[V] = {0, 0, 1, 0, 0, 1, 0, 0};
    CHECK(support_is(c, want3));
}

static void test_temperature(void) {
    // temperature 2 on two tokens of logits 0 and ln 4 (p 0.2, 0.8) gives 1/3, 2/3
    float two[2] = {0.0f, (float)log(4.0)};
    sy_sampler_params p = sy_sampler_default_params();
    p.temperature = 2.0f;
    p.seed = 7;
    sy_sampler *s = NULL;
    CHECK_OK(sy_sampler_create(&p, 2, &s));
    int ones = 0;
    for (int d = 0; s && d < DRAWS; d++) {
        int32_t t = -1;
        CHECK_OK(sy_sampler_sample(s, two, 2, NULL, 0, &t));
        ones += t == 1;
    }
    CHECK_NEAR(ones / (double)DRAWS, 2.0 / 3.0, 0.04);
    sy_sampler_destroy(s);
}

static void test_repetition_penalty(void) {
    // logits {2.0, 1.9, -1.0, 1.8}; penalty 2 on history {0, 2, 0}: 2.0 -> 1.0, -1.0 -> -2.0
    float x[4] = {2.0f, 1.9f, -1.0f, 1.8f};
    int32_t hist[3] = {0, 2, 0};
    sy_sampler_params p = sy_sampler_default_params();
    p.repeat_penalty = 2.0f;
    sy_sampler *s = NULL;
    int32_t t = -1;
    CHECK_OK(sy_sampler_create(&p, 4, &s));
    CHECK_OK(sy_sampler_sample(s, x, 4, hist, 3, &t));
    CHECK(t == 1); // greedy after the penalty: 1.9 beats the penalised 1.0
    CHECK(x[0] == 2.0f); // the caller's logits are untouched
    sy_sampler_destroy(s);
    // window 1 looks only at the last token (0): same result; window 1 over {0, 2} looks at 2 only
    p.repeat_window = 1;
    int32_t hist2[2] = {0, 2};
    CHECK_OK(sy_sampler_create(&p, 4, &s));
    CHECK_OK(sy_sampler_sample(s, x, 4, hist2, 2, &t));
    CHECK(t == 0); // token 0 is outside the window: 2.0 stays the largest
    sy_sampler_destroy(s);
    // penalty < 1 favours repeats: 1.8 * ... positive: 1.8 / 0.5 = 3.6 beats 2.0
    p.repeat_penalty = 0.5f;
    p.repeat_window = 0;
    int32_t hist3[1] = {3};
    CHECK_OK(sy_sampler_create(&p, 4, &s));
    CHECK_OK(sy_sampler_sample(s, x, 4, hist3, 1, &t));
    CHECK(t == 3);
    // the exact arithmetic through temperature sampling: penalised logits {1.0, 1.9, -2.0, 1.8}
    // with top-k 1 after the penalty keep id 1 only
    sy_sampler_destroy(s);
    p.repeat_penalty = 2.0f;
    p.temperature = 1.0f;
    p.top_k = 1;
    CHECK_OK(sy_sampler_create(&p, 4, &s));
    CHECK_OK(sy_sampler_sample(s, x, 4, hist, 3, &t));
    CHECK(t == 1);
    sy_sampler_destroy(s);
}

static void test_seed_determinism(void) {
    sy_sampler_params p = sy_sampler_default_params();
    p.temperature = 1.0f;
    p.seed = 1234;
    int32_t a[64], b[64], c[64];
    sy_sampler *s = NULL;
    for (int round = 0; round < 3; round++) {
        if (round == 2) p.seed = 1235;
        CHECK_OK(sy_sampler_create(&p, V, &s));
        int32_t *out = round == 0 ? a : round == 1 ? b : c;
        for (int i = 0; s && i < 64; i++) CHECK_OK(sy_sampler_sample(s, logits, V, NULL, 0, &out[i]));
        sy_sampler_destroy(s);
        s = NULL;
    }
    CHECK(!memcmp(a, b, sizeof a));
    CHECK(memcmp(a, c, sizeof a) != 0); // another seed, another sequence (64 draws from 8 tokens)
    // reseed restarts the stream
    CHECK_OK(sy_sampler_create(&p, V, &s));
    for (int i = 0; i < 10; i++) CHECK_OK(sy_sampler_sample(s, logits, V, NULL, 0, &b[i]));
    sy_sampler_reseed(s, 1235);
    for (int i = 0; i < 10; i++) CHECK_OK(sy_sampler_sample(s, logits, V, NULL, 0, &b[i]));
    CHECK(!memcmp(b, c, 10 * sizeof *b));
    sy_sampler_destroy(s);
}

static void test_bad_params(void) {
    sy_sampler_params p = sy_sampler_default_params();
    sy_sampler *s = NULL;
    p.temperature = -0.5f;
    CHECK_FAILS(sy_sampler_create(&p, V, &s), SY_ERR_INVALID_ARGUMENT, "temperature -0.5");
    p = sy_sampler_default_params();
    p.top_p = 0.0f;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "top-p 0 is out of range");
    p.top_p = 1.5f;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "(0, 1]");
    p = sy_sampler_default_params();
    p.top_k = -1;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "top-k -1");
    p = sy_sampler_default_params();
    p.min_p = 1.01f;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "min-p");
    p = sy_sampler_default_params();
    p.repeat_penalty = 0.0f;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "repetition penalty 0");
    p = sy_sampler_default_params();
    p.repeat_window = -2;
    CHECK_FAILS(sy_sampler_params_check(&p), SY_ERR_INVALID_ARGUMENT, "repetition window -2");
    p = sy_sampler_default_params();
    CHECK_FAILS(sy_sampler_create(&p, 0, &s), SY_ERR_INVALID_ARGUMENT, "vocabulary size 0");
    CHECK(s == NULL);
    CHECK_OK(sy_sampler_create(&p, V, &s));
    int32_t t = -1;
    CHECK_FAILS(sy_sampler_sample(s, logits, V - 1, NULL, 0, &t), SY_ERR_INVALID_ARGUMENT, "7 logits given");
    float nan_logits[V];
    for (int i = 0; i < V; i++) nan_logits[i] = NAN;
    CHECK_FAILS(sy_sampler_sample(s, nan_logits, V, NULL, 0, &t), SY_ERR_OUT_OF_RANGE, "no logit is finite");
    CHECK(t == -1);
    sy_sampler_destroy(s);
}

int main(void) {
    setup();
    RUN(test_greedy);
    RUN(test_top_k);
    RUN(test_top_p);
    RUN(test_min_p);
    RUN(test_temperature);
    RUN(test_repetition_penalty);
    RUN(test_seed_determinism);
    RUN(test_bad_params);
    return TEST_SUMMARY();
}
