// tokenizer.json documents built from GGUF-style tokenizer arrays (sy_tokenizer_json_from_gguf),
// then used: merges from the file (gpt2) or derived from scores (llama), control tokens as
// special tokens, the BOS default per model, and bad descriptions.

#include "core/alloc.h"
#include "harness.h"
#include "llm/tokenizer_gguf.h"

#define IDS(...) ((const int32_t[]){__VA_ARGS__}), (sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t))

static sy_tokenizer *from_desc(const sy_gguf_tokenizer_desc *d) {
    char *json = NULL;
    size_t len = 0;
    sy_tokenizer *tok = NULL;
    CHECK_OK(sy_tokenizer_json_from_gguf(d, &json, &len));
    if (!json) return NULL;
    CHECK(len == strlen(json));
    CHECK_OK(sy_tokenizer_create_from_json(json, len, &tok));
    sy_free(json);
    return tok;
}

static void expect_ids(const sy_tokenizer *tok, const char *text, uint32_t flags, const int32_t *want, size_t n_want) {
    int32_t ids[32];
    size_t n = 0;
    if (!tok) return;
    CHECK_OK(sy_tokenizer_encode(tok, text, strlen(text), flags, ids, 32, &n));
    bool same = n == n_want;
    for (size_t i = 0; same && i < n; i++) same = ids[i] == want[i];
    CHECK_MSG(same, "'%s': got %zu ids (first %d), expected %zu (first %d)", text, n, n ? ids[0] : -1, n_want,
              n_want ? want[0] : -1);
}

// gpt2: "€" lies outside the byte alphabet, so it is respelled as its bytes' characters "âĤ¬";
// "Ã" and "©" are the characters of the bytes of "é"; "<|eot|>" is control.
static const char *const gpt2_tokens[] = {"<|eot|>", "a", "b", "\xc4\xa0", "ab", "\xc4\xa0" "ab", "\xe2\x82\xac",
                                          "\xc3\x83", "\xc2\xa9"};
static const int32_t gpt2_types[] = {3, 1, 1, 1, 1, 1, 1, 1, 1};
static const char *const gpt2_merges[] = {"a b", "\xc4\xa0 ab"};

static sy_gguf_tokenizer_desc gpt2_desc(const char *pre) {
    return (sy_gguf_tokenizer_desc){.model = "gpt2", .pre = pre, .n_tokens = 9, .tokens = gpt2_tokens, .types = gpt2_types,
                                    .n_merges = 2, .merges = gpt2_merges, .bos_id = 0, .eos_id = 0, .unk_id = -1,
                                    .pad_id = -1, .add_bos = -1, .add_eos = -1};
}

static void test_gpt2(void) {
    const char *pres[] = {"smollm", "llama-bpe", "qwen2", NULL};
    for (int i = 0; i < 4; i++) {
        sy_gguf_tokenizer_desc d = gpt2_desc(pres[i]);
        sy_tokenizer *t = from_desc(&d);
        expect_ids(t, "ab ab<|eot|>", 0, IDS(4, 5, 0));
        expect_ids(t, "ab", SY_ENCODE_ADD_SPECIAL, IDS(4)); // gpt2 adds no BOS unless the file says so
        expect_ids(t, "\xc3\xa9", 0, IDS(7, 8)); // é: bytes C3 A9
        expect_ids(t, "\xe2\x82\xac", 0, NULL, 0); // no merges make "âĤ¬"; its characters are not tokens
        CHECK(sy_tokenizer_is_special(t, 0));
        const char *s;
        size_t n = 0;
        if (t) CHECK_OK(sy_tokenizer_token_text(t, 6, &s, &n));
        CHECK(n == 6 && !memcmp(s, "\xc3\xa2\xc4\xa4\xc2\xac", 6));
        sy_tokenizer_destroy(t);
    }
    sy_gguf_tokenizer_desc d = gpt2_desc("smollm");
    d.add_bos = 1;
    sy_tokenizer *t = from_desc(&d);
    expect_ids(t, "ab", SY_ENCODE_ADD_SPECIAL, IDS(0, 4));
    sy_tokenizer_destroy(t);
}

// llama without merges: "▁h" (-1), "hi" (-2), "▁hi" (-3) give the merges "▁ h", "h i", then for
// "▁hi" its two splits by the longer left side first: "▁h i", "▁ hi".
static const char *const llama_tokens[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "h", "i",
                                           "\xe2\x96\x81h", "hi", "\xe2\x96\x81hi", "<0x41>"};
static const float llama_scores[] = {0, 0, 0, 0, 0, 0, -1, -2, -3, 0};
static const int32_t llama_types[] = {2, 3, 3, 1, 1, 1, 1, 1, 1, 6};

static void test_llama_derived_merges(void) {
    sy_gguf_tokenizer_desc d = {.model = "llama", .n_tokens = 10, .tokens = llama_tokens, .scores = llama_scores,
                                .types = llama_types, .bos_id = 1, .eos_id = 2, .unk_id = 0, .pad_id = -1,
                                .add_bos = -1, .add_eos = -1};
    sy_tokenizer *t = from_desc(&d);
    expect_ids(t, "hi", 0, IDS(8));
    expect_ids(t, "hi", SY_ENCODE_ADD_SPECIAL, IDS(1, 8)); // llama adds BOS by default
    expect_ids(t, "ihi", 0, IDS(3, 5, 7));                 // ▁ i hi: "h i" outranks nothing else
    expect_ids(t, "A", 0, IDS(3, 9));                      // byte fallback
    expect_ids(t, "<s>hi", 0, IDS(1, 7));                  // no "▁" after a special token (Metaspace "first")
    if (t) {
        char buf[32];
        size_t n;
        CHECK_OK(sy_tokenizer_decode(t, IDS(1, 8, 3, 9), SY_DECODE_SKIP_SPECIAL, buf, sizeof buf, &n));
        CHECK(!strcmp(buf, "hi A"));
    }
    sy_tokenizer_destroy(t);
    d.add_bos = 0;
    d.add_eos = 1;
    t = from_desc(&d);
    expect_ids(t, "hi", SY_ENCODE_ADD_SPECIAL, IDS(8, 2));
    sy_tokenizer_destroy(t);
}

static void test_bad_descriptions(void) {
    char *json = NULL;
    size_t len = 0;
    sy_gguf_tokenizer_desc d = gpt2_desc(NULL);
    d.model = "t5";
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&d, &json, &len), SY_ERR_UNSUPPORTED, "'t5'");
    d.model = NULL;
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&d, &json, &len), SY_ERR_INVALID_ARGUMENT, "tokenizer.ggml.model");
    d = gpt2_desc(NULL);
    d.eos_id = 9;
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&d, &json, &len), SY_ERR_INVALID_ARGUMENT, "eos_token_id 9");
    d = gpt2_desc(NULL);
    d.n_tokens = 0;
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&d, &json, &len), SY_ERR_INVALID_ARGUMENT, "tokenizer.ggml.tokens");
    d = gpt2_desc(NULL);
    const char *const bad_merges[] = {"ab"};
    d.merges = bad_merges;
    d.n_merges = 1;
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&d, &json, &len), SY_ERR_INVALID_ARGUMENT, "merge #0 'ab'");
    sy_gguf_tokenizer_desc l = {.model = "llama", .n_tokens = 10, .tokens = llama_tokens, .bos_id = -1, .eos_id = -1,
                                .unk_id = -1, .pad_id = -1, .add_bos = -1, .add_eos = -1};
    CHECK_FAILS(sy_tokenizer_json_from_gguf(&l, &json, &len), SY_ERR_INVALID_ARGUMENT, "no scores");
    // merges naming tokens the vocabulary lacks: the document is built, the tokenizer refuses it
    const char *const absent[] = {"a zz"};
    d = gpt2_desc(NULL);
    d.merges = absent;
    d.n_merges = 1;
    CHECK_OK(sy_tokenizer_json_from_gguf(&d, &json, &len));
    sy_tokenizer *t = NULL;
    if (json) CHECK_FAILS(sy_tokenizer_create_from_json(json, len, &t), SY_ERR_FORMAT, "'zz' is not in the vocabulary");
    sy_free(json);
    CHECK(t == NULL);
}

int main(void) {
    RUN(test_gpt2);
    RUN(test_llama_derived_merges);
    RUN(test_bad_descriptions);
    return TEST_SUMMARY();
}
