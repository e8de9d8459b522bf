// GGUF tokenizer.* keys -> program metadata (importers/gguf_meta.h).

#include "importers/gguf_meta.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "llm/tokenizer_gguf.h"

typedef struct tok_data {
    sy_gguf_tokenizer_desc d;
    char *model, *pre;
    char **tokens, **merges;
    float *scores;
    int32_t *types;
} tok_data;

static void tok_free(tok_data *t) {
    sy_free(t->model);
    sy_free(t->pre);
    sy_free(t->tokens);
    sy_free(t->merges);
    sy_free(t->scores);
    sy_free(t->types);
}

static sy_status opt_int(const sy_gguf_file *f, const char *key, int64_t *v) {
    *v = -1;
    return sy_gguf_find(f, key) ? sy_gguf_get_int(f, key, v) : SY_OK;
}

// A numeric array of n entries of type `type` copied into aligned storage (the mapping's
// array payload need not be aligned). NULL output when the key is absent.
static sy_status copy_array(const sy_gguf_file *f, const char *key, sy_gguf_type type, uint64_t n, void **out) {
    const sy_gguf_value *v = sy_gguf_find(f, key);
    *out = NULL;
    if (!v) return SY_OK;
    SY_CHECK(v->type == SY_GGUF_ARRAY && v->elem_type == type, SY_ERR_FORMAT, "metadata '%s' is not an array of %s",
             key, sy_gguf_type_name(type));
    SY_CHECK(v->n_elems == n, SY_ERR_FORMAT, "metadata '%s' has %llu entries but there are %llu tokens", key,
             (unsigned long long)v->n_elems, (unsigned long long)n);
    *out = sy_malloc((size_t)n * 4 + 4);
    SY_CHECK(*out, SY_ERR_OUT_OF_MEMORY, "out of memory copying '%s'", key);
    memcpy(*out, v->elems, (size_t)n * 4); // float32 and int32 are 4 little-endian bytes
    return SY_OK;
}

static sy_status read_strings(const sy_gguf_file *f, const char *key, char ***out, uint32_t *n) {
    const sy_gguf_value *v = sy_gguf_find(f, key);
    *out = NULL;
    *n = 0;
    if (!v) return SY_OK;
    SY_TRY(sy_gguf_array_strings(v, key, out));
    SY_CHECK(v->n_elems <= UINT32_MAX, SY_ERR_FORMAT, "metadata '%s' has too many entries", key);
    *n = (uint32_t)v->n_elems;
    return SY_OK;
}

static sy_status tok_read(const sy_gguf_file *f, tok_data *t) {
    int64_t v;
    SY_TRY(sy_gguf_get_string(f, "tokenizer.ggml.model", &t->model));
    if (sy_gguf_find(f, "tokenizer.ggml.pre")) SY_TRY(sy_gguf_get_string(f, "tokenizer.ggml.pre", &t->pre));
    SY_TRY(read_strings(f, "tokenizer.ggml.tokens", &t->tokens, &t->d.n_tokens));
    SY_CHECK(t->tokens, SY_ERR_NOT_FOUND, "required metadata key 'tokenizer.ggml.tokens' is missing");
    SY_TRY(read_strings(f, "tokenizer.ggml.merges", &t->merges, &t->d.n_merges));
    SY_TRY(copy_array(f, "tokenizer.ggml.scores", SY_GGUF_FLOAT32, t->d.n_tokens, (void **)&t->scores));
    SY_TRY(copy_array(f, "tokenizer.ggml.token_type", SY_GGUF_INT32, t->d.n_tokens, (void **)&t->types));
    SY_TRY(opt_int(f, "tokenizer.ggml.bos_token_id", &t->d.bos_id));
    SY_TRY(opt_int(f, "tokenizer.ggml.eos_token_id", &t->d.eos_id));
    SY_TRY(opt_int(f, "tokenizer.ggml.unknown_token_id", &t->d.unk_id));
    SY_TRY(opt_int(f, "tokenizer.ggml.padding_token_id", &t->d.pad_id));
    SY_TRY(opt_int(f, "tokenizer.ggml.add_bos_token", &v));
    t->d.add_bos = (int)v;
    SY_TRY(opt_int(f, "tokenizer.ggml.add_eos_token", &v));
    t->d.add_eos = (int)v;
    const int64_t ids[4] = {t->d.bos_id, t->d.eos_id, t->d.unk_id, t->d.pad_id};
    for (int i = 0; i < 4; i++)
        SY_CHECK(ids[i] >= -1 && ids[i] < (int64_t)t->d.n_tokens, SY_ERR_FORMAT,
                 "special token id %lld is out of range [0, %u)", (long long)ids[i], t->d.n_tokens);
    t->d.model = t->model;
    t->d.pre = t->pre;
    t->d.tokens = (const char *const *)t->tokens;
    t->d.merges = (const char *const *)t->merges;
    t->d.scores = t->scores;
    t->d.types = t->types;
    return SY_OK;
}

static sy_status set_id(sy_graph *g, const char *key, int64_t id) {
    char v[32];
    if (id < 0) return SY_OK;
    snprintf(v, sizeof v, "%lld", (long long)id);
    return sy_graph_set_metadata(g, key, v);
}

static void warn_msg(void (*warn)(void *, const char *), void *user, const char *msg) {
    sy_log(SY_LOG_WARN, "%s", msg);
    if (warn) warn(user, msg);
}

static sy_status tok_to_graph(const tok_data *t, sy_graph *g, void (*warn)(void *, const char *), void *user) {
    SY_TRY(sy_graph_set_metadata(g, "tokenizer.model", t->model));
    if (t->pre) SY_TRY(sy_graph_set_metadata(g, "tokenizer.pre", t->pre));
    SY_TRY(set_id(g, "tokenizer.bos_token_id", t->d.bos_id));
    SY_TRY(set_id(g, "tokenizer.eos_token_id", t->d.eos_id));
    SY_TRY(set_id(g, "tokenizer.unk_token_id", t->d.unk_id));
    SY_TRY(set_id(g, "tokenizer.pad_token_id", t->d.pad_id));
    if (t->d.add_bos >= 0) SY_TRY(sy_graph_set_metadata(g, "tokenizer.add_bos", t->d.add_bos ? "1" : "0"));
    if (t->d.add_eos >= 0) SY_TRY(sy_graph_set_metadata(g, "tokenizer.add_eos", t->d.add_eos ? "1" : "0"));
    char *json = NULL;
    size_t len = 0;
    sy_status st = sy_tokenizer_json_from_gguf(&t->d, &json, &len);
    if (st == SY_ERR_UNSUPPORTED) {
        char msg[512];
        snprintf(msg, sizeof msg, "warning: tokenizer not converted (%s)", sy_last_error());
        warn_msg(warn, user, msg);
        return SY_OK;
    }
    if (st != SY_OK) return sy_error_prefix(st, "tokenizer");
    st = sy_graph_set_metadata(g, "tokenizer.json", json);
    sy_free(json);
    return st;
}

sy_status sy_gguf_set_tokenizer_metadata(const sy_gguf_file *f, sy_graph *g, void (*warn)(void *, const char *),
                                         void *user) {
    if (sy_gguf_find(f, "tokenizer.chat_template")) {
        char *tpl = NULL;
        SY_TRY(sy_gguf_get_string(f, "tokenizer.chat_template", &tpl));
        sy_status st = sy_graph_set_metadata(g, "tokenizer.chat_template", tpl);
        sy_free(tpl);
        SY_TRY(st);
    }
    if (!sy_gguf_find(f, "tokenizer.ggml.model")) {
        warn_msg(warn, user, "warning: the file has no tokenizer (no 'tokenizer.ggml.model'); none converted");
        return SY_OK;
    }
    tok_data t;
    memset(&t, 0, sizeof t);
    sy_status st = tok_read(f, &t);
    if (st == SY_OK) st = tok_to_graph(&t, g, warn, user);
    tok_free(&t);
    return st;
}
