// Encode and decode allocate per call, not per token: a counting allocator (installed before the
// tokenizer is made) sees a bounded number of allocations for 15 and for 12,000 tokens, and a
// streaming decoder none once its buffer has grown.

#include <stdlib.h>

#include "harness.h"

static long n_allocs;

static void *counting_alloc(void *user, size_t size, size_t align) {
    (void)user;
    n_allocs++;
    void *p = NULL;
    return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size ? size : 1) ? NULL : p;
}

static void counting_free(void *user, void *p) {
    (void)user;
    free(p);
}

// byte-level: a0 b1 c2 Ġ3 ab4 abc5 Ġab6 Ġabc7; " abc" is Ġ abc ("ab c" outranks "Ġ ab"), " ab" Ġab
static const char doc[] =
    "{\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false},\"decoder\":{\"type\":\"ByteLevel\"},"
    "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"\xc4\xa0\":3,\"ab\":4,\"abc\":5,\"\xc4\xa0" "ab\":6,"
    "\"\xc4\xa0" "abc\":7},\"merges\":[\"a b\",\"ab c\",\"\xc4\xa0 ab\",\"\xc4\xa0" "ab c\"]}}";

/// Allocations made by encoding `reps` copies of " abc ab" (3 tokens each).
static long allocs_for(const sy_tokenizer *tok, int reps, int32_t *ids, size_t cap) {
    size_t len = 7 * (size_t)reps, n = 0;
    char *text = malloc(len + 1);
    for (int i = 0; i < reps; i++) memcpy(text + 7 * i, " abc ab", 7);
    long before = n_allocs;
    CHECK_OK(sy_tokenizer_encode(tok, text, len, 0, ids, cap, &n));
    long used = n_allocs - before;
    CHECK(n == 3 * (size_t)reps && ids[0] == 3 && ids[1] == 5 && ids[2] == 6);
    free(text);
    return used;
}

static void test_bounded_allocations(void) {
    sy_allocator a = {counting_alloc, counting_free, NULL};
    sy_set_allocator(&a);
    sy_tokenizer *tok = NULL;
    CHECK_OK(sy_tokenizer_create_from_json(doc, strlen(doc), &tok));
    CHECK(n_allocs > 0); // the allocator is in use
    if (!tok) return;
    static int32_t ids[12000];
    long small = allocs_for(tok, 5, ids, 12000), big = allocs_for(tok, 4000, ids, 12000);
    fprintf(stderr, "  allocations: %ld for 15 tokens, %ld for 12000 tokens\n", small, big);
    CHECK(small <= 16);
    CHECK(big <= small + 40); // geometric growth of a few buffers, nothing per token
    sy_token_decoder *d = NULL;
    CHECK_OK(sy_token_decoder_create(tok, 0, &d));
    const char *s;
    size_t n;
    for (int i = 0; i < 10; i++) CHECK_OK(sy_token_decoder_feed(d, 7, &s, &n));
    long before = n_allocs;
    for (int i = 0; i < 1000; i++) CHECK_OK(sy_token_decoder_feed(d, i % 8, &s, &n));
    CHECK_MSG(n_allocs == before, "%ld allocations while streaming 1000 tokens", n_allocs - before);
    sy_token_decoder_destroy(d);
    sy_tokenizer_destroy(tok);
    sy_set_allocator(NULL);
}

int main(void) {
    RUN(test_bounded_allocations);
    return TEST_SUMMARY();
}
