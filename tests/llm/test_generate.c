// The generator on the demo decoder (portable backend): greedy ids against a hand-written loop
// of runtime calls, chunked prefill against one-shot prefill, a last-position-only program,
// cache reuse, the stop conditions, the text layer with a byte codec, and every bad argument.

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "importers/decoder.h"
#include "switchyard/generate.h"

typedef struct model {
    sy_program *prog;
    sy_runtime *rt;
    sy_generator *gen;
} model;

static void model_open_on(model *m, int last_only, int64_t max_chunk, const char *backends) {
    memset(m, 0, sizeof *m);
    sy_decoder_config dc = sy_decoder_tiny(); // vocab 256, cache 64, T <= 16
    dc.logits_last_only = last_only;
    sy_graph *g = NULL;
    sy_config *cfg = NULL;
    CHECK_OK(sy_decoder_build(&dc, &g));
    CHECK_OK(sy_program_from_graph(g, &m->prog));
    sy_graph_destroy(g);
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_config_set_backends(cfg, backends));
    CHECK_OK(sy_runtime_create(m->prog, cfg, &m->rt));
    sy_config_destroy(cfg);
    sy_generator_options o = {.max_chunk = max_chunk};
    CHECK_OK(sy_generator_create(m->prog, m->rt, &o, &m->gen));
}

static void model_open(model *m, int last_only, int64_t max_chunk) {
    model_open_on(m, last_only, max_chunk, "portable");
}

static void model_close(model *m) {
    sy_generator_destroy(m->gen);
    sy_runtime_destroy(m->rt);
    sy_program_destroy(m->prog);
}

static void prompt_of(int32_t *ids, int n, uint32_t seed) {
    for (int i = 0; i < n; i++) ids[i] = (int32_t)((seed * 2654435761u + (uint32_t)i * 40503u) % 256u);
}

/// The independent path: set_input/execute/get_output and an argmax written here.
static int manual_greedy(sy_runtime *rt, const int32_t *prompt, int n, int n_new, int32_t *out) {
    int64_t ids[64], pos[64];
    int64_t past = 0;
    if (sy_runtime_reset_state(rt) != SY_OK) return 0;
    for (int i = 0; i < n; i++) ids[i] = prompt[i];
    int64_t todo = n, at = 0;
    for (int k = 0; k < n_new; k++) {
        while (todo > 0) { // chunks of 16, the demo's bound of T
            int64_t c = todo < 16 ? todo : 16;
            for (int64_t i = 0; i < c; i++) pos[i] = past + i;
            sy_tensor ti = {.data = ids + at, .dtype = SY_DTYPE_I64, .rank = 2, .dims = {1, c}};
            sy_tensor tp = {.data = pos, .dtype = SY_DTYPE_I64, .rank = 1, .dims = {c}};
            if (sy_runtime_set_input(rt, "input_ids", &ti) || sy_runtime_set_input(rt, "cache_position", &tp) ||
                sy_runtime_execute(rt))
                return 0;
            past += c;
            at += c;
            todo -= c;
        }
        sy_tensor lo;
        if (sy_runtime_get_output(rt, "logits", &lo)) return 0;
        const float *row = (const float *)lo.data + (lo.dims[1] - 1) * 256;
        int best = 0;
        for (int v = 1; v < 256; v++)
            if (row[v] > row[best]) best = v;
        out[k] = best;
        ids[at] = best;
        todo = 1;
    }
    return 1;
}

typedef struct collect {
    int32_t ids[128];
    int n;
    int stop_after; // return 1 once n reaches it (0: never)
} collect;

static int on_token(void *user, int32_t t) {
    collect *c = user;
    if (c->n < 128) c->ids[c->n++] = t;
    return c->stop_after && c->n >= c->stop_after;
}

static void test_greedy_matches_manual_loop(void) {
    model m;
    model_open(&m, 0, 0);
    int32_t prompt[20], want[12];
    prompt_of(prompt, 20, 1); // 20 > 16: two prefill chunks
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = 12;
    collect c = {0};
    CHECK_OK(sy_generator_generate(m.gen, prompt, 20, &p, on_token, &c));
    CHECK(manual_greedy(m.rt, prompt, 20, 12, want));
    CHECK(c.n == 12);
    CHECK(!memcmp(c.ids, want, sizeof want));
    sy_generate_stats st;
    CHECK_OK(sy_generator_get_stats(m.gen, &st));
    CHECK(st.stop == SY_STOP_MAX_TOKENS && st.n_generated == 12 && st.n_prompt == 20 && st.n_prefilled == 20);
    CHECK(st.n_decoded == 11); // the 12th token is sampled but never run
    CHECK(st.ttft_ms > 0 && st.ttft_ms >= st.prefill_ms && st.prefill_tok_s > 0 && st.decode_tok_s > 0);
    CHECK(st.peak_rss_kb > 0);
    CHECK(sy_generator_n_past(m.gen) == 31);
    // a second call with the same prompt resets and gives the same tokens
    collect c2 = {0};
    CHECK_OK(sy_generator_generate(m.gen, prompt, 20, &p, on_token, &c2));
    CHECK(c2.n == 12 && !memcmp(c2.ids, want, sizeof want));
    model_close(&m);
}

static void test_chunked_prefill_logits(void) {
    model one, chunked, last;
    model_open(&one, 0, 0);     // chunks of 16
    model_open(&chunked, 0, 3); // chunks of 3
    model_open(&last, 1, 0);    // logits [1, 1, V]
    int32_t prompt[40];
    prompt_of(prompt, 40, 9);
    const float *a = NULL, *b = NULL, *c = NULL;
    CHECK_OK(sy_generator_prefill(one.gen, prompt, 14)); // one execute
    CHECK_OK(sy_generator_prefill(chunked.gen, prompt, 14)); // five
    CHECK_OK(sy_generator_prefill(last.gen, prompt, 14));
    CHECK_OK(sy_generator_logits(one.gen, &a));
    CHECK_OK(sy_generator_logits(chunked.gen, &b));
    CHECK_OK(sy_generator_logits(last.gen, &c));
    if (a && b && c) {
        CHECK_ALLCLOSE(b, a, 256, 1e-4f, 1e-4f);
        CHECK_ALLCLOSE(c, a, 256, 1e-5f, 1e-5f);
    }
    // a prompt longer than the bound (40 > 16) against 3-token chunks, continued from 14 tokens
    CHECK_OK(sy_generator_prefill(one.gen, prompt + 14, 26));
    CHECK_OK(sy_generator_prefill(chunked.gen, prompt + 14, 26));
    CHECK_OK(sy_generator_logits(one.gen, &a));
    CHECK_OK(sy_generator_logits(chunked.gen, &b));
    if (a && b) CHECK_ALLCLOSE(b, a, 256, 1e-4f, 1e-4f);
    CHECK(sy_generator_n_past(one.gen) == 40 && sy_generator_chunk(chunked.gen) == 3);
    // the last-only program generates the same greedy tokens
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = 8;
    collect x = {0}, y = {0};
    CHECK_OK(sy_generator_generate(one.gen, prompt, 30, &p, on_token, &x));
    CHECK_OK(sy_generator_generate(last.gen, prompt, 30, &p, on_token, &y));
    CHECK(x.n == 8 && y.n == 8 && !memcmp(x.ids, y.ids, sizeof x.ids));
    model_close(&one);
    model_close(&chunked);
    model_close(&last);
}

static void test_cache_reuse(void) {
    model m;
    model_open(&m, 0, 0);
    int32_t conv[48];
    prompt_of(conv, 10, 3);
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = 6;
    collect c = {0};
    CHECK_OK(sy_generator_generate(m.gen, conv, 10, &p, on_token, &c));
    // the next turn: prompt + answer + 5 new tokens; only the last answer token and the new ones run
    memcpy(conv + 10, c.ids, 6 * sizeof *conv);
    prompt_of(conv + 16, 5, 4);
    p.reuse_cache = true;
    collect r = {0}, f = {0};
    CHECK_OK(sy_generator_generate(m.gen, conv, 21, &p, on_token, &r));
    sy_generate_stats st;
    CHECK_OK(sy_generator_get_stats(m.gen, &st));
    CHECK_MSG(st.n_prefilled == 6 && st.n_prompt == 21, "prefilled %lld of %lld", (long long)st.n_prefilled,
              (long long)st.n_prompt);
    p.reuse_cache = false; // the same conversation from scratch gives the same tokens
    CHECK_OK(sy_generator_generate(m.gen, conv, 21, &p, on_token, &f));
    CHECK(r.n == 6 && f.n == 6 && !memcmp(r.ids, f.ids, sizeof r.ids));
    CHECK_OK(sy_generator_get_stats(m.gen, &st));
    CHECK(st.n_prefilled == 21);
    model_close(&m);
}

static void test_stops(void) {
    model m;
    model_open(&m, 0, 0);
    int32_t prompt[64], first[8];
    prompt_of(prompt, 60, 5);
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = 20;
    collect c = {0};
    CHECK_OK(sy_generator_generate(m.gen, prompt, 60, &p, on_token, &c)); // 60 of 64 positions
    sy_generate_stats st;
    CHECK_OK(sy_generator_get_stats(m.gen, &st));
    CHECK_MSG(st.stop == SY_STOP_CACHE_FULL && c.n == 5, "stop %s after %d", sy_stop_reason_name(st.stop), c.n);
    CHECK(sy_generator_n_past(m.gen) == 64);
    CHECK_FAILS(sy_generator_decode(m.gen, 1), SY_ERR_OUT_OF_RANGE, "the cache is full");
    // EOS: the first greedy token that differs from all before it becomes the EOS id
    prompt_of(prompt, 10, 6);
    collect g = {0};
    p.max_new_tokens = 8;
    CHECK_OK(sy_generator_generate(m.gen, prompt, 10, &p, on_token, &g));
    memcpy(first, g.ids, sizeof first);
    int k = 1;
    while (k < 8) {
        int seen = 0;
        for (int j = 0; j < k; j++) seen |= first[j] == first[k];
        if (!seen) break;
        k++;
    }
    CHECK_MSG(k < 8, "greedy tokens all equal: %d", (int)first[0]);
    if (k < 8) {
        int32_t eos[2] = {first[k], 300 - 299}; // a second EOS id that may or may not occur later
        p.eos_ids = eos;
        p.n_eos = 1;
        collect e = {0};
        CHECK_OK(sy_generator_generate(m.gen, prompt, 10, &p, on_token, &e));
        CHECK_OK(sy_generator_get_stats(m.gen, &st));
        CHECK_MSG(st.stop == SY_STOP_EOS && e.n == k && st.n_generated == k, "stop %s after %d (eos at %d)",
                  sy_stop_reason_name(st.stop), e.n, k);
        p.eos_ids = NULL;
        p.n_eos = 0;
    }
    // the callback stops it
    collect s = {.stop_after = 3};
    CHECK_OK(sy_generator_generate(m.gen, prompt, 10, &p, on_token, &s));
    CHECK_OK(sy_generator_get_stats(m.gen, &st));
    CHECK(st.stop == SY_STOP_CALLBACK && s.n == 3 && !memcmp(s.ids, first, 3 * sizeof *first));
    model_close(&m);
}

static void test_bad_arguments(void) {
    model m;
    model_open(&m, 0, 0);
    int32_t prompt[80];
    prompt_of(prompt, 80, 7);
    sy_generate_params p = sy_generate_default_params();
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 0, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "prompt is empty");
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 65, &p, NULL, NULL), SY_ERR_OUT_OF_RANGE,
                "65 tokens but the cache holds only 64");
    prompt[3] = 256;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_OUT_OF_RANGE,
                "token id 256 at position 3 is outside the vocabulary [0, 256)");
    prompt[3] = -1;
    CHECK_FAILS(sy_generator_prefill(m.gen, prompt, 10), SY_ERR_OUT_OF_RANGE, "token id -1");
    CHECK(sy_generator_n_past(m.gen) == 0); // nothing ran
    prompt[3] = 3;
    CHECK_FAILS(sy_generator_decode(m.gen, 1000), SY_ERR_OUT_OF_RANGE, "token id 1000");
    CHECK_FAILS(sy_generator_prefill(m.gen, prompt, 0), SY_ERR_INVALID_ARGUMENT, "nothing to prefill");
    const float *lg = NULL;
    CHECK_FAILS(sy_generator_logits(m.gen, &lg), SY_ERR_INVALID_ARGUMENT, "no logits yet");
    p.max_new_tokens = 0;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "must be >= 1");
    p = sy_generate_default_params();
    p.sampling.temperature = -1.0f;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "temperature -1");
    p = sy_generate_default_params();
    p.sampling.top_p = 2.0f;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "top-p 2");
    p = sy_generate_default_params();
    p.sampling.top_k = -3;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "top-k -3");
    p = sy_generate_default_params();
    p.sampling.min_p = -0.1f;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT, "min-p -0.1");
    p = sy_generate_default_params();
    p.sampling.repeat_penalty = -1.0f;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_INVALID_ARGUMENT,
                "repetition penalty -1");
    p = sy_generate_default_params();
    int32_t bad_eos = 300;
    p.eos_ids = &bad_eos;
    p.n_eos = 1;
    CHECK_FAILS(sy_generator_generate(m.gen, prompt, 10, &p, NULL, NULL), SY_ERR_OUT_OF_RANGE, "EOS ids: token id 300");
    CHECK_OK(sy_generator_prefill(m.gen, prompt, 60));
    CHECK_FAILS(sy_generator_prefill(m.gen, prompt, 5), SY_ERR_OUT_OF_RANGE,
                "5 tokens do not fit in the cache: it holds 64 positions and 60 are in use");
    CHECK_FAILS(sy_generator_rewind(m.gen, 61), SY_ERR_OUT_OF_RANGE, "cannot rewind to 61");
    // a program that is not a decoder
    sy_graph *g = NULL;
    sy_program *prog = NULL;
    sy_config *cfg = NULL;
    sy_runtime *rt = NULL;
    sy_generator *gen = NULL;
    CHECK_OK(sy_graph_create(&g));
    sy_value_desc d = {.name = "x", .dtype = SY_DTYPE_F32, .role = SY_ROLE_INPUT, .rank = 1, .dims = {4},
                       .sym = {-1, -1, -1, -1, -1, -1}};
    uint32_t x, y;
    CHECK_OK(sy_graph_add_value(g, &d, &x));
    CHECK_OK(sy_graph_add_op(g, "neg", SY_OP_NEG, &x, 1, NULL, 0, &y));
    CHECK_OK(sy_graph_set_output(g, y, "y"));
    CHECK_OK(sy_program_from_graph(g, &prog));
    CHECK_OK(sy_config_create(&cfg));
    CHECK_OK(sy_runtime_create(prog, cfg, &rt));
    CHECK_FAILS(sy_generator_create(prog, rt, NULL, &gen), SY_ERR_UNSUPPORTED, "needs inputs 'input_ids'");
    CHECK(gen == NULL);
    sy_runtime_destroy(rt);
    sy_config_destroy(cfg);
    sy_program_destroy(prog);
    sy_graph_destroy(g);
    CHECK_FAILS(sy_generator_open("/nonexistent/x.syp", NULL, NULL, &gen), SY_ERR_IO, "x.syp");
    model_close(&m);
}

// --- the text layer with a byte codec: token = byte, so the demo's 256 ids are all bytes ---

typedef struct byte_codec {
    unsigned char held[4];
    size_t n_held;
} byte_codec;

static sy_status bc_encode(void *user, const char *text, size_t len, bool add_bos, int32_t *ids, size_t cap,
                           size_t *n_out) {
    (void)user;
    size_t n = len + (add_bos ? 1 : 0);
    *n_out = n;
    if (n > cap) return SY_ERR_OUT_OF_RANGE;
    size_t k = 0;
    if (add_bos) ids[k++] = 1; // byte 0x01 plays BOS
    for (size_t i = 0; i < len; i++) ids[k++] = (unsigned char)text[i];
    return SY_OK;
}

static size_t utf8_len(unsigned char c) {
    return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

static sy_status bc_decode(void *user, int32_t id, char *buf, size_t cap, size_t *n_out) {
    byte_codec *c = user;
    (void)cap;
    *n_out = 0;
    unsigned char b = (unsigned char)id;
    if (c->n_held && (b & 0xC0) != 0x80) c->n_held = 0; // a broken sequence: drop it
    if (!c->n_held && (b & 0xC0) == 0x80) return SY_OK; // a stray continuation byte
    c->held[c->n_held++] = b;
    if (c->n_held == utf8_len(c->held[0])) {
        memcpy(buf, c->held, c->n_held);
        *n_out = c->n_held;
        c->n_held = 0;
    }
    return SY_OK;
}

static sy_status bc_flush(void *user, char *buf, size_t cap, size_t *n_out) {
    byte_codec *c = user;
    (void)buf;
    (void)cap;
    c->n_held = 0;
    *n_out = 0;
    return SY_OK;
}

typedef struct text_out {
    char s[512];
    size_t n;
    int pieces;
} text_out;

static int on_text(void *user, const char *s, size_t n) {
    text_out *t = user;
    if (t->n + n < sizeof t->s) memcpy(t->s + t->n, s, n);
    t->n += n;
    t->pieces++;
    return 0;
}

/// The text the byte codec would give for ids (complete UTF-8 sequences only).
static size_t bytes_to_text(const int32_t *ids, int n, char *out) {
    byte_codec bc = {0};
    size_t len = 0, k;
    for (int i = 0; i < n; i++) {
        bc_decode(&bc, ids[i], out + len, 8, &k);
        len += k;
    }
    return len;
}

static void test_text_layer(void) {
    model m;
    model_open(&m, 0, 0);
    byte_codec bc = {0};
    sy_text_codec codec = {.user = &bc, .n_vocab = 256, .bos = 1, .eos = -1, .encode = bc_encode,
                           .decode = bc_decode, .flush = bc_flush};
    sy_text_generator *tg = NULL;
    CHECK_OK(sy_text_generator_create(m.gen, &codec, &tg));
    sy_text_params p = sy_text_default_params();
    p.gen.max_new_tokens = 24;
    text_out t = {0};
    const char *prompt = "Hello, wörld";
    CHECK_OK(sy_text_generate(tg, prompt, strlen(prompt), &p, on_text, &t));
    // the same ids through the id API: BOS + bytes
    int32_t ids[32];
    size_t n = 0;
    CHECK_OK(bc_encode(NULL, prompt, strlen(prompt), true, ids, 32, &n));
    collect c = {0};
    CHECK_OK(sy_generator_generate(m.gen, ids, n, &p.gen, on_token, &c));
    char want[512];
    size_t wn = bytes_to_text(c.ids, c.n, want);
    CHECK_MSG(t.n == wn && !memcmp(t.s, want, wn), "text %zu bytes vs %zu", t.n, wn);
    CHECK_OK(sy_utf8_check(t.s, t.n, "the output"));
    // a stop string: the text ends right before its first occurrence
    CHECK(wn > 6);
    if (wn > 6) {
        char stop[4] = {0};
        size_t at = 0;
        while (at < wn && (unsigned char)want[at] >= 0x80) at++; // an ASCII byte after the start
        at = at + 2 < wn ? at + 2 : at;
        int ok = at + 1 < wn && (unsigned char)want[at] < 0x80 && (unsigned char)want[at + 1] < 0x80;
        CHECK_MSG(ok, "no two ASCII bytes to use as a stop string in the generated text");
        if (ok) {
            stop[0] = want[at];
            stop[1] = want[at + 1];
            const char *stops[1] = {stop};
            size_t first = (size_t)(strstr(want, stop) - want);
            p.stop = stops;
            p.n_stop = 1;
            text_out s = {0};
            CHECK_OK(sy_text_generate(tg, prompt, strlen(prompt), &p, on_text, &s));
            CHECK_MSG(s.n == first && !memcmp(s.s, want, first), "stopped text %zu bytes, expected %zu", s.n, first);
            sy_generate_stats st;
            CHECK_OK(sy_text_generator_get_stats(tg, &st));
            CHECK(st.stop == SY_STOP_STRING);
            p.stop = NULL;
            p.n_stop = 0;
        }
    }
    // bad text
    const char bad[] = {'a', 'b', (char)0xC3, '(', 0};
    CHECK_FAILS(sy_text_generate(tg, bad, 4, &p, on_text, &t), SY_ERR_INVALID_ARGUMENT,
                "not valid UTF-8: bad byte 0xc3 at offset 2");
    CHECK_FAILS(sy_text_generate(tg, "", 0, &p, on_text, &t), SY_ERR_INVALID_ARGUMENT, "prompt is empty");
    char longp[100];
    memset(longp, 'a', sizeof longp);
    CHECK_FAILS(sy_text_generate(tg, longp, sizeof longp, &p, on_text, &t), SY_ERR_OUT_OF_RANGE,
                "101 tokens long but the model's cache holds 64");
    const char *empty_stop[1] = {""};
    p.stop = empty_stop;
    p.n_stop = 1;
    CHECK_FAILS(sy_text_generate(tg, "hi", 2, &p, on_text, &t), SY_ERR_INVALID_ARGUMENT, "stop string #0 is empty");
    sy_text_generator_destroy(tg);
    sy_text_codec big = codec;
    big.n_vocab = 1000;
    CHECK_FAILS(sy_text_generator_create(m.gen, &big, &tg), SY_ERR_INVALID_ARGUMENT, "1000 tokens");
    model_close(&m);
}

static void test_other_backends(void) {
#ifdef SY_HAVE_XNNPACK
    model ref, x;
    model_open(&ref, 0, 0);
    model_open_on(&x, 0, 0, "xnnpack,portable");
    int32_t prompt[24];
    prompt_of(prompt, 24, 11);
    sy_generate_params p = sy_generate_default_params();
    p.max_new_tokens = 16;
    collect a = {0}, b = {0};
    CHECK_OK(sy_generator_generate(ref.gen, prompt, 24, &p, on_token, &a));
    CHECK_OK(sy_generator_generate(x.gen, prompt, 24, &p, on_token, &b));
    CHECK(a.n == 16 && b.n == 16 && !memcmp(a.ids, b.ids, sizeof a.ids)); // random weights: no near-ties here
    model_close(&ref);
    model_close(&x);
#endif
}

static void test_codec_from_program(void) {
    model m;
    model_open(&m, 0, 0);
    sy_text_codec codec;
    CHECK_FAILS(sy_text_codec_from_program(m.prog, &codec), SY_ERR_NOT_FOUND, "metadata key 'tokenizer.json'");
    model_close(&m);
}

static void test_utf8(void) {
    CHECK_OK(sy_utf8_check("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", 10, "x"));
    CHECK_FAILS(sy_utf8_check("\xc0\xaf", 2, "x"), SY_ERR_INVALID_ARGUMENT, "offset 0"); // overlong
    CHECK_FAILS(sy_utf8_check("ab\xed\xa0\x80", 5, "x"), SY_ERR_INVALID_ARGUMENT, "offset 2"); // surrogate
    CHECK_FAILS(sy_utf8_check("\xf4\x90\x80\x80", 4, "x"), SY_ERR_INVALID_ARGUMENT, "0xf4"); // > U+10FFFF
    CHECK_FAILS(sy_utf8_check("abc\xe4\xb8", 5, "x"), SY_ERR_INVALID_ARGUMENT, "offset 3"); // cut short
}

int main(void) {
    RUN(test_greedy_matches_manual_loop);
    RUN(test_chunked_prefill_logits);
    RUN(test_cache_reuse);
    RUN(test_stops);
    RUN(test_bad_arguments);
    RUN(test_text_layer);
    RUN(test_other_backends);
    RUN(test_codec_from_program);
    RUN(test_utf8);
    return TEST_SUMMARY();
}
