// Tokenizers from hand-made tokenizer.json documents, with ids worked out by hand: merge order,
// byte fallback, added/special tokens, the post-processor, streaming decode that splits a
// character across tokens, and every kind of bad input.

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

// --- documents ---

// Byte-level BPE (GPT-2 alphabet: " " is "Ġ"). Ids: a0 b1 c2 Ġ3 ab4 abc5 Ġa6, <|end|> 7.
// The emoji's four bytes F0 9F 98 80 are the alphabet characters "ð" "Ł" "ĺ" "Ģ" (ids 8..11).
#define BYTE_LEVEL_DOC(merges)                                                                     \
    "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":7,\"content\":\"<|end|>\",\"special\":true,"    \
    "\"normalized\":false}],\"normalizer\":null,"                                                   \
    "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"     \
    "\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\"},"                                 \
    "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"\xc4\xa0\":3,\"ab\":4,"       \
    "\"abc\":5,\"\xc4\xa0" "a\":6,\"\xc3\xb0\":8,\"\xc5\x81\":9,\"\xc4\xba\":10,\"\xc4\xa2\":11},"  \
    "\"merges\":" merges "}}"

static const char byte_level_doc[] = BYTE_LEVEL_DOC("[\"a b\",\"ab c\",\"\xc4\xa0 a\"]");
// the same vocabulary, merges as pairs and "Ġ a" first
static const char byte_level_doc2[] = BYTE_LEVEL_DOC("[[\"\xc4\xa0\",\"a\"],[\"a\",\"b\"],[\"ab\",\"c\"]]");

/// SentencePiece-style BPE (Llama 2 layout): <unk>0 <s>1 </s>2, <0x00>..<0xFF> 3..258, ▁259 h260
/// i261 ▁h262 ▁hi263; merges "▁ h", "▁h i"; Prepend/Replace normalizer, BOS template.
static char *spm_doc(const char *model_extra) {
    size_t cap = 32768;
    char *p = malloc(cap);
    int n = snprintf(p, cap,
                     "{\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
                     "{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
                     "\"normalizer\":{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Prepend\",\"prepend\":\"\xe2\x96\x81\"},"
                     "{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\xe2\x96\x81\"}]},"
                     "\"pre_tokenizer\":null,"
                     "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
                     "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}],\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1]}}},"
                     "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\xe2\x96\x81\"},"
                     "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \","
                     "\"start\":1,\"stop\":0}]},"
                     "\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"fuse_unk\":true,\"unk_token\":\"<unk>\"%s,\"vocab\":{"
                     "\"<unk>\":0,\"<s>\":1,\"</s>\":2,",
                     model_extra);
    for (int b = 0; b < 256; b++) n += snprintf(p + n, cap - n, "\"<0x%02X>\":%d,", b, 3 + b);
    snprintf(p + n, cap - n,
             "\"\xe2\x96\x81\":259,\"h\":260,\"i\":261,\"\xe2\x96\x81h\":262,\"\xe2\x96\x81hi\":263},"
             "\"merges\":[\"\xe2\x96\x81 h\",\"\xe2\x96\x81h i\"]}}");
    return p;
}

static sy_tokenizer *make(const char *doc) {
    sy_tokenizer *tok = NULL;
    CHECK_OK(sy_tokenizer_create_from_json(doc, strlen(doc), &tok));
    return tok;
}

#define IDS(...) ((const int32_t[]){__VA_ARGS__}), (sizeof((const int32_t[]){__VA_ARGS__}) / sizeof(int32_t))

/// Encodes `text` and checks the ids.
static void expect_ids(const sy_tokenizer *tok, const char *text, uint32_t flags, const int32_t *want, size_t n_want) {
    int32_t ids[64];
    size_t n = 0;
    CHECK_OK(sy_tokenizer_encode(tok, text, strlen(text), flags, ids, 64, &n));
    bool same = n == n_want;
    for (size_t i = 0; same && i < n; i++) same = ids[i] == want[i];
    CHECK_MSG(same, "'%s': got %zu ids, first %d; expected %zu, first %d", text, n, n ? ids[0] : -1, n_want,
              n_want ? want[0] : -1);
}

static void expect_text(const sy_tokenizer *tok, const int32_t *ids, size_t n, uint32_t flags, const char *want) {
    char buf[256];
    size_t len = 0;
    CHECK_OK(sy_tokenizer_decode(tok, ids, n, flags, buf, sizeof buf, &len));
    CHECK_MSG(len == strlen(want) && !strcmp(buf, want), "decoded '%s', expected '%s'", buf, want);
}

// --- byte-level BPE ---

static void test_byte_level_merge_order(void) {
    sy_tokenizer *a = make(byte_level_doc), *b = make(byte_level_doc2);
    if (!a || !b) return;
    // "a b" first: " ab" -> Ġ + (a b) = [Ġ, ab]; "Ġ a" first: (Ġ a) + b = [Ġa, b]
    expect_ids(a, " ab", 0, IDS(3, 4));
    expect_ids(b, " ab", 0, IDS(6, 1));
    expect_ids(a, "abc", 0, IDS(5));
    expect_ids(b, "abc", 0, IDS(5));
    // GPT-2's pattern splits "ab cab" into "ab" and " cab"; " cab" is Ġ c (a b)
    expect_ids(a, "ab cab", 0, IDS(4, 3, 2, 4));
    expect_ids(a, "", 0, NULL, 0);
    CHECK(sy_tokenizer_n_vocab(a) == 12);
    sy_tokenizer_destroy(a);
    sy_tokenizer_destroy(b);
}

static void test_byte_level_special_tokens(void) {
    sy_tokenizer *t = make(byte_level_doc);
    if (!t) return;
    expect_ids(t, "abc<|end|> ab", 0, IDS(5, 7, 3, 4));
    expect_ids(t, "<|end|><|end|>", 0, IDS(7, 7));
    // as plain text: '<', '|', ... are not in this vocabulary (and there is no unk): dropped
    expect_ids(t, "abc<|end|>", SY_ENCODE_SPLIT_SPECIAL, IDS(5));
    CHECK(sy_tokenizer_is_special(t, 7) && !sy_tokenizer_is_special(t, 5));
    expect_text(t, IDS(5, 7, 3, 4), 0, "abc<|end|> ab");
    expect_text(t, IDS(5, 7, 3, 4), SY_DECODE_SKIP_SPECIAL, "abc ab");
    int32_t id = -1;
    CHECK_OK(sy_tokenizer_token_id(t, "<|end|>", 7, &id));
    CHECK(id == 7);
    CHECK_OK(sy_tokenizer_token_id(t, "\xc4\xa0" "a", 3, &id));
    CHECK(id == 6);
    CHECK_FAILS(sy_tokenizer_token_id(t, "zz", 2, &id), SY_ERR_NOT_FOUND, "zz");
    const char *text;
    size_t len;
    CHECK_OK(sy_tokenizer_token_text(t, 3, &text, &len));
    CHECK(len == 2 && !memcmp(text, "\xc4\xa0", 2));
    sy_tokenizer_destroy(t);
}

/// The emoji U+1F600 is four byte tokens; the decoder lets nothing out until the last one.
static void test_byte_level_streaming(void) {
    sy_tokenizer *t = make(byte_level_doc);
    if (!t) return;
    expect_ids(t, "\xf0\x9f\x98\x80", 0, IDS(8, 9, 10, 11));
    sy_token_decoder *d = NULL;
    CHECK_OK(sy_token_decoder_create(t, 0, &d));
    const char *s;
    size_t n;
    const int32_t feed[] = {5, 8, 9, 10, 11, 3};
    const char *want[] = {"abc", "", "", "", "\xf0\x9f\x98\x80", " "};
    for (int i = 0; i < 6; i++) {
        CHECK_OK(sy_token_decoder_feed(d, feed[i], &s, &n));
        CHECK_MSG(n == strlen(want[i]) && !memcmp(s, want[i], n), "token %d: got %zu bytes", i, n);
    }
    // an unfinished character at the end comes out as U+FFFD
    CHECK_OK(sy_token_decoder_feed(d, 8, &s, &n));
    CHECK(n == 0);
    CHECK_OK(sy_token_decoder_flush(d, &s, &n));
    CHECK(n == 3 && !memcmp(s, "\xef\xbf\xbd", 3));
    // a broken sequence followed by text: U+FFFD, then the text
    CHECK_OK(sy_token_decoder_feed(d, 8, &s, &n));
    CHECK_OK(sy_token_decoder_feed(d, 0, &s, &n));
    CHECK(n == 4 && !memcmp(s, "\xef\xbf\xbd" "a", 4));
    CHECK_FAILS(sy_token_decoder_feed(d, 12, &s, &n), SY_ERR_OUT_OF_RANGE, "12");
    CHECK_FAILS(sy_token_decoder_feed(d, -1, &s, &n), SY_ERR_OUT_OF_RANGE, "-1");
    sy_token_decoder_destroy(d);
    sy_tokenizer_destroy(t);
}

// --- SentencePiece BPE with byte fallback ---

static void test_sentencepiece_byte_fallback(void) {
    char *doc = spm_doc("");
    sy_tokenizer *t = make(doc);
    free(doc);
    if (!t) return;
    // "hi é" -> "▁hi▁é": ▁h, then ▁hi; ▁; é is not in the vocabulary: <0xC3> <0xA9>
    expect_ids(t, "hi \xc3\xa9", 0, IDS(263, 259, 3 + 0xc3, 3 + 0xa9));
    expect_ids(t, "hi", SY_ENCODE_ADD_SPECIAL, IDS(1, 263));
    expect_ids(t, "ih", 0, IDS(259, 261, 260));
    // the Prepend normalizer runs on every piece between added tokens
    expect_ids(t, "<s>hi", 0, IDS(1, 263));
    expect_text(t, IDS(263, 259, 3 + 0xc3, 3 + 0xa9), 0, "hi \xc3\xa9");
    expect_text(t, IDS(1, 263), SY_DECODE_SKIP_SPECIAL, "hi");
    expect_text(t, IDS(1, 263), 0, "<s> hi"); // Strip only takes a space at the very start
    int32_t id = -1;
    CHECK_OK(sy_tokenizer_get_special(t, SY_SPECIAL_BOS, &id));
    CHECK(id == 1);
    CHECK_OK(sy_tokenizer_get_special(t, SY_SPECIAL_EOS, &id));
    CHECK(id == 2);
    CHECK_OK(sy_tokenizer_get_special(t, SY_SPECIAL_UNK, &id));
    CHECK(id == 0);
    CHECK_FAILS(sy_tokenizer_get_special(t, SY_SPECIAL_PAD, &id), SY_ERR_NOT_FOUND, "pad");
    CHECK_OK(sy_tokenizer_set_special(t, SY_SPECIAL_PAD, 2));
    CHECK_OK(sy_tokenizer_get_special(t, SY_SPECIAL_PAD, &id));
    CHECK(id == 2);
    CHECK_FAILS(sy_tokenizer_set_special(t, SY_SPECIAL_PAD, 5000), SY_ERR_OUT_OF_RANGE, "5000");
    sy_tokenizer_destroy(t);
}

/// é as <0xC3> <0xA9>: the stream holds the first byte back; Strip eats the first space only.
static void test_sentencepiece_streaming(void) {
    char *doc = spm_doc("");
    sy_tokenizer *t = make(doc);
    free(doc);
    if (!t) return;
    sy_token_decoder *d = NULL;
    CHECK_OK(sy_token_decoder_create(t, SY_DECODE_SKIP_SPECIAL, &d));
    const char *s;
    size_t n;
    const int32_t feed[] = {1, 263, 259, 3 + 0xc3, 3 + 0xa9, 263};
    const char *want[] = {"", "hi", " ", "", "\xc3\xa9", " hi"};
    for (int i = 0; i < 6; i++) {
        CHECK_OK(sy_token_decoder_feed(d, feed[i], &s, &n));
        CHECK_MSG(n == strlen(want[i]) && !memcmp(s, want[i], n), "token %d: got '%.*s'", i, (int)n, s);
    }
    CHECK_OK(sy_token_decoder_flush(d, &s, &n));
    CHECK(n == 0);
    // after flush a new stream starts: its first space is stripped again
    CHECK_OK(sy_token_decoder_feed(d, 263, &s, &n));
    CHECK(n == 2 && !memcmp(s, "hi", 2));
    sy_token_decoder_destroy(d);
    sy_tokenizer_destroy(t);
}

static void test_encode_capacity(void) {
    sy_tokenizer *t = make(byte_level_doc);
    if (!t) return;
    int32_t ids[2] = {-5, -5};
    size_t n = 0;
    CHECK_OK(sy_tokenizer_encode(t, "abc ab abc", 10, 0, ids, 1, &n));
    CHECK(n == 5 && ids[0] == 5 && ids[1] == -5); // abc Ġ ab Ġ abc: full count, only `cap` written
    CHECK_OK(sy_tokenizer_encode(t, "abc", 3, 0, NULL, 0, &n));
    CHECK(n == 1);
    char buf[4];
    size_t len = 0;
    CHECK_OK(sy_tokenizer_decode(t, IDS(5, 3, 4), 0, buf, sizeof buf, &len));
    CHECK(len == 6 && !strcmp(buf, "abc")); // cut to the buffer, NUL-terminated, full length told
    sy_tokenizer_destroy(t);
}

// --- bad input ---

static void expect_refused(const char *doc, sy_status status, const char *needle) {
    sy_tokenizer *t = NULL;
    CHECK_FAILS(sy_tokenizer_create_from_json(doc, strlen(doc), &t), status, needle);
    CHECK(t == NULL);
}

// Mutated tokenizer.json documents from a fuzz run of the CLI (tests/data/tokenizer_mutants:
// broken keys and values around a valid BPE document) once made UBSan report memcpy/qsort with
// NULL on empty input: each must load or be refused with a message, and a loaded one must
// encode and decode without fault (the sanitizer build runs this too).
static void test_mutated_documents(void) {
    static const char *const names[] = {"crash16", "crash31", "crash43", "crash46", "crash53", "crash73",
                                        "crash76", "crash85", "crash125", "crash149", "t"};
    const char *dir = getenv("SY_TEST_DATA");
    char path[1024];
    int n = 0;
    for (size_t i = 0; dir && i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/tokenizer_mutants/%s.json", dir, names[i]);
        FILE *f = fopen(path, "rb");
        CHECK_MSG(f, "cannot open %s", path);
        if (!f) continue;
        char doc[4096];
        const size_t len = fread(doc, 1, sizeof doc, f);
        fclose(f);
        sy_tokenizer *t = NULL;
        const sy_status st = sy_tokenizer_create_from_json(doc, len, &t);
        CHECK_MSG(st == SY_OK || (t == NULL && sy_last_error()[0]), "%s: status %d without a message", path, (int)st);
        if (t) {
            int32_t ids[64];
            size_t n_ids = 0, out_len = 0;
            char text[256];
            if (sy_tokenizer_encode(t, "ab ab <|end|>", 13, SY_ENCODE_ADD_SPECIAL, ids, 64, &n_ids) == SY_OK)
                sy_tokenizer_decode(t, ids, n_ids < 64 ? n_ids : 64, 0, text, sizeof text, &out_len);
            sy_tokenizer_destroy(t);
        }
        n++;
    }
    CHECK_MSG(n == 11, "read %d of the 11 mutated documents (SY_TEST_DATA=%s)", n, dir ? dir : "(unset)");
}

static void test_bad_documents(void) {
    expect_refused("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0", SY_ERR_FORMAT, "malformed JSON");
    expect_refused("[1, 2]", SY_ERR_FORMAT, "not a JSON object");
    expect_refused("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}}}", SY_ERR_UNSUPPORTED, "WordPiece");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a z\"]}}", SY_ERR_FORMAT,
                   "merge #0: token 'z' is not in the vocabulary");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[\"a b\"]}}", SY_ERR_FORMAT,
                   "merged token 'ab'");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"ab\"]}}", SY_ERR_FORMAT, "merge #0");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":0}}}", SY_ERR_FORMAT, "gives id 0 to both");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-3}}}", SY_ERR_FORMAT, "-3");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{}}}", SY_ERR_FORMAT, "empty");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"dropout\":0.1}}", SY_ERR_UNSUPPORTED, "dropout");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"continuing_subword_prefix\":\"##\"}}",
                   SY_ERR_UNSUPPORTED, "continuing_subword_prefix");
    expect_refused("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"unk_token\":\"<unk>\"}}", SY_ERR_FORMAT, "<unk>");
    expect_refused("{\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "pre-tokenizer 'Whitespace'");
    expect_refused("{\"normalizer\":{\"type\":\"Lowercase\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "normalizer 'Lowercase'");
    expect_refused("{\"decoder\":{\"type\":\"WordPiece\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "decoder 'WordPiece'");
    expect_refused("{\"post_processor\":{\"type\":\"BertProcessing\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "BertProcessing");
    expect_refused("{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(a\"},\"behavior\":\"Isolated\"},"
                   "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "does not compile");
    // invalid UTF-8 in the document (a split pattern crashed PCRE2's compiler, a Prepend content
    // overran the encoder's symbol buffer: fuzz_tokenizer findings)
    expect_refused("{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{N}{1,3}\xff\xff|a\"},"
                   "\"behavior\":\"Isolated\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_FORMAT, "not valid UTF-8: byte 0xff at offset 64");
    expect_refused("{\"normalizer\":{\"type\":\"Prepend\",\"prepend\":\"\xe2\x96\"},"
                   "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_FORMAT, "not valid UTF-8: byte 0xe2 at offset 43");
    expect_refused("{\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"ByteLevel\"},{\"type\":\"Digits\"}]},"
                   "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}",
                   SY_ERR_UNSUPPORTED, "after ByteLevel");
    expect_refused("{\"added_tokens\":[{\"id\":0}],\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0}}}", SY_ERR_FORMAT,
                   "added_tokens[0]");
    sy_tokenizer *t = NULL;
    CHECK_FAILS(sy_tokenizer_create_from_json(NULL, 0, &t), SY_ERR_INVALID_ARGUMENT, "NULL");
}

static void test_bad_inputs(void) {
    sy_tokenizer *t = make(byte_level_doc);
    if (!t) return;
    int32_t ids[8];
    size_t n = 99;
    CHECK_FAILS(sy_tokenizer_encode(t, "ab\xff" "c", 4, 0, ids, 8, &n), SY_ERR_INVALID_ARGUMENT, "offset 2");
    CHECK_FAILS(sy_tokenizer_encode(t, "a\xc3", 2, 0, ids, 8, &n), SY_ERR_INVALID_ARGUMENT, "offset 1");      // cut short
    CHECK_FAILS(sy_tokenizer_encode(t, "\xed\xa0\x80", 3, 0, ids, 8, &n), SY_ERR_INVALID_ARGUMENT, "offset 0"); // surrogate
    CHECK_FAILS(sy_tokenizer_encode(t, "\xc0\xaf", 2, 0, ids, 8, &n), SY_ERR_INVALID_ARGUMENT, "offset 0");     // overlong
    CHECK(n == 99);
    CHECK_FAILS(sy_tokenizer_encode(t, "a", 1, 0x80, ids, 8, &n), SY_ERR_INVALID_ARGUMENT, "flags");
    char buf[16];
    size_t len = 77;
    CHECK_FAILS(sy_tokenizer_decode(t, IDS(0, 99), 0, buf, sizeof buf, &len), SY_ERR_OUT_OF_RANGE, "ids[1] = 99");
    CHECK_FAILS(sy_tokenizer_decode(t, IDS(-2), 0, buf, sizeof buf, &len), SY_ERR_OUT_OF_RANGE, "-2");
    CHECK(len == 77);
    const char *s;
    CHECK_FAILS(sy_tokenizer_token_text(t, 12, &s, &len), SY_ERR_OUT_OF_RANGE, "12");
    sy_tokenizer_destroy(t);
}

// --- from a program ---

static sy_program *program_with(const char *json, const char *bos) {
    sy_graph *g = NULL;
    uint32_t x, y;
    CHECK_OK(sy_graph_create(&g));
    if (!g) return NULL;
    sy_value_desc xd = {"x", SY_DTYPE_F32, SY_ROLE_INPUT, 1, {4}, {-1, -1, -1, -1, -1, -1}};
    CHECK_OK(sy_graph_add_value(g, &xd, &x));
    CHECK_OK(sy_graph_add_op(g, "neg", SY_OP_NEG, &x, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    if (json) CHECK_OK(sy_graph_set_metadata(g, SY_METADATA_TOKENIZER_JSON, json));
    if (bos) CHECK_OK(sy_graph_set_metadata(g, "tokenizer.bos_token_id", bos));
    sy_program *p = NULL;
    CHECK_OK(sy_program_from_graph(g, &p));
    sy_graph_destroy(g);
    return p;
}

static void test_from_program(void) {
    sy_tokenizer *t = NULL;
    sy_program *none = program_with(NULL, NULL), *ok = program_with(byte_level_doc, "7"),
               *bad_id = program_with(byte_level_doc, "5000"), *bad_doc = program_with("{", NULL);
    CHECK_FAILS(sy_tokenizer_create_from_program(none, &t), SY_ERR_NOT_FOUND, "metadata key 'tokenizer.json' is missing");
    CHECK_OK(sy_tokenizer_create_from_program(ok, &t));
    int32_t id = -1;
    if (t) CHECK_OK(sy_tokenizer_get_special(t, SY_SPECIAL_BOS, &id));
    CHECK(id == 7);
    expect_ids(t, "abc", 0, IDS(5));
    sy_tokenizer_destroy(t);
    t = NULL;
    CHECK_FAILS(sy_tokenizer_create_from_program(bad_id, &t), SY_ERR_FORMAT, "tokenizer.bos_token_id");
    CHECK_FAILS(sy_tokenizer_create_from_program(bad_doc, &t), SY_ERR_FORMAT, "program metadata 'tokenizer.json'");
    CHECK(t == NULL);
    sy_program_destroy(none);
    sy_program_destroy(ok);
    sy_program_destroy(bad_id);
    sy_program_destroy(bad_doc);
}

int main(void) {
    RUN(test_byte_level_merge_order);
    RUN(test_byte_level_special_tokens);
    RUN(test_byte_level_streaming);
    RUN(test_sentencepiece_byte_fallback);
    RUN(test_sentencepiece_streaming);
    RUN(test_encode_capacity);
    RUN(test_bad_documents);
    RUN(test_mutated_documents);
    RUN(test_bad_inputs);
    RUN(test_from_program);
    return TEST_SUMMARY();
}
