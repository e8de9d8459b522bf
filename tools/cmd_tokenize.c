// switchyard tokenize: text to token ids and back with a program's tokenizer, a tokenizer.json
// document or GGUF-style tokenizer arrays.

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "llm/tokenizer_gguf.h"
#include "tools/cli.h"

static const char tokenize_help[] =
    "usage: switchyard tokenize (PROGRAM.syp | --tokenizer-json FILE | --gguf-vocab FILE)\n"
    "                           [-p TEXT] [--ids] [--decode [IDS...]] [flags]\n"
    "\n"
    "Encodes text with the tokenizer of a program (its \"tokenizer.json\" metadata), of a Hugging\n"
    "Face tokenizer.json file, or of GGUF tokenizer arrays given as JSON (--gguf-vocab: an object\n"
    "with \"model\", \"pre\", \"tokens\", \"scores\", \"types\", \"merges\", \"bos_id\", \"eos_id\",\n"
    "\"unk_id\", \"pad_id\", \"add_bos\", \"add_eos\", as in tokenizer.ggml.*; turned into a\n"
    "tokenizer.json the way Transformers' GGUF loader does).\n"
    "Text comes from -p TEXT or from stdin, one line at a time; each line's ids are printed on one\n"
    "line as id:'piece' pairs, or with --ids as space-separated ids.\n"
    "\n"
    "  --ids             print only the ids\n"
    "  --decode [IDS]    decode instead: the ids given (to the end of the arguments), or lines of\n"
    "                    space-separated ids from stdin, one text line per input line\n"
    "  --add-special     add the post-processor's special tokens (BOS/EOS)\n"
    "  --split-special   treat special-token text in the input as plain text\n"
    "  --skip-special    leave special tokens out of decoded text\n"
    "  --escape          input lines and decoded output use the escapes \\n \\t \\r \\\\\n"
    "  --print-json      print the tokenizer.json document (what --gguf-vocab builds) and exit\n"
    "  --info            print the vocabulary size and the special ids and exit\n"
    "\n"
    "Exit status: 0, 1 when the tokenizer cannot be built or a line cannot be encoded or decoded\n"
    "(the message says why; later lines are still processed), 2 on a usage error.\n"
    "\n";

typedef struct tok_args {
    const char *program, *json_file, *gguf_file, *text;
    bool ids_only, decode, escape, print_json, info;
    uint32_t enc_flags, dec_flags;
    int first_id_arg; // --decode IDS: argv index of the first id, or 0
} tok_args;

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    for (size_t k; p && (k = fread(p + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap) {
            char *q = realloc(p, cap *= 2);
            if (!q) free(p);
            p = q;
        }
    }
    fclose(f);
    if (p) p[n] = '\0', *len = n;
    return p;
}

// --- GGUF-style arrays as JSON ---

typedef struct gguf_arrays {
    sy_gguf_tokenizer_desc d;
    const char **tokens, **merges;
    float *scores;
    int32_t *types;
} gguf_arrays;

static int64_t int_field(const cJSON *o, const char *key, int64_t dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : dflt;
}

static const char **string_array(const cJSON *a, uint32_t *n) {
    *n = (uint32_t)cJSON_GetArraySize(a);
    const char **p = calloc(*n + 1, sizeof *p);
    uint32_t i = 0;
    for (const cJSON *e = a ? a->child : NULL; p && e; e = e->next) p[i++] = cJSON_IsString(e) ? e->valuestring : "";
    return p;
}

static int gguf_from_json(const cJSON *o, gguf_arrays *g) {
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(o, "scores"), *types = cJSON_GetObjectItemCaseSensitive(o, "types");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model"), *pre = cJSON_GetObjectItemCaseSensitive(o, "pre");
    g->d.model = cJSON_IsString(model) ? model->valuestring : NULL;
    g->d.pre = cJSON_IsString(pre) ? pre->valuestring : NULL;
    g->tokens = string_array(cJSON_GetObjectItemCaseSensitive(o, "tokens"), &g->d.n_tokens);
    g->merges = string_array(cJSON_GetObjectItemCaseSensitive(o, "merges"), &g->d.n_merges);
    if (!g->tokens || !g->merges) return -1;
    if (cJSON_GetArraySize(scores) == (int)g->d.n_tokens && g->d.n_tokens) {
        g->scores = calloc(g->d.n_tokens, sizeof *g->scores);
        uint32_t i = 0;
        for (const cJSON *e = scores->child; g->scores && e; e = e->next) g->scores[i++] = (float)e->valuedouble;
    }
    if (cJSON_GetArraySize(types) == (int)g->d.n_tokens && g->d.n_tokens) {
        g->types = calloc(g->d.n_tokens, sizeof *g->types);
        uint32_t i = 0;
        for (const cJSON *e = types->child; g->types && e; e = e->next) g->types[i++] = (int32_t)e->valuedouble;
    }
    g->d.tokens = g->tokens;
    g->d.merges = g->merges;
    g->d.scores = g->scores;
    g->d.types = g->types;
    g->d.bos_id = int_field(o, "bos_id", -1);
    g->d.eos_id = int_field(o, "eos_id", -1);
    g->d.unk_id = int_field(o, "unk_id", -1);
    g->d.pad_id = int_field(o, "pad_id", -1);
    g->d.add_bos = (int)int_field(o, "add_bos", -1);
    g->d.add_eos = (int)int_field(o, "add_eos", -1);
    return 0;
}

/// The tokenizer.json document of --gguf-vocab FILE (malloc'd).
static char *json_from_gguf_file(const char *path, size_t *len) {
    size_t n;
    char *text = read_file(path, &n);
    if (!text) {
        fprintf(stderr, "switchyard: cannot read '%s'\n", path);
        return NULL;
    }
    cJSON *o = cJSON_ParseWithLength(text, n);
    free(text);
    if (!cJSON_IsObject(o)) {
        fprintf(stderr, "switchyard: '%s' is not a JSON object\n", path);
        cJSON_Delete(o);
        return NULL;
    }
    gguf_arrays g = {0};
    char *json = NULL, *out = NULL;
    if (gguf_from_json(o, &g) == 0 && sy_tokenizer_json_from_gguf(&g.d, &json, len) == SY_OK) {
        out = malloc(*len + 1);
        if (out) memcpy(out, json, *len + 1);
    } else
        sy_cli_fail(path);
    sy_free(json);
    free(g.tokens), free(g.merges), free(g.scores), free(g.types);
    cJSON_Delete(o);
    return out;
}

// --- arguments ---

static int parse_args(int argc, char **argv, tok_args *a) {
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) return fputs(tokenize_help, stdout), 1;
        if (!strcmp(f, "--tokenizer-json") && has_value) a->json_file = argv[++i];
        else if (!strcmp(f, "--gguf-vocab") && has_value) a->gguf_file = argv[++i];
        else if (!strcmp(f, "-p") && has_value) a->text = argv[++i];
        else if (!strcmp(f, "--ids")) a->ids_only = true;
        else if (!strcmp(f, "--escape")) a->escape = true;
        else if (!strcmp(f, "--print-json")) a->print_json = true;
        else if (!strcmp(f, "--info")) a->info = true;
        else if (!strcmp(f, "--add-special")) a->enc_flags |= SY_ENCODE_ADD_SPECIAL;
        else if (!strcmp(f, "--split-special")) a->enc_flags |= SY_ENCODE_SPLIT_SPECIAL;
        else if (!strcmp(f, "--skip-special")) a->dec_flags |= SY_DECODE_SKIP_SPECIAL;
        else if (!strcmp(f, "--decode")) {
            a->decode = true;
            if (i + 1 < argc && argv[i + 1][0] != '-') {
                a->first_id_arg = i + 1;
                break; // the ids run to the end
            }
        } else if (f[0] != '-' && !a->program) a->program = f;
        else {
            fprintf(stderr, "switchyard tokenize: unknown or incomplete argument '%s'\n\n%s", f, tokenize_help);
            return 2;
        }
    }
    if (!!a->program + !!a->json_file + !!a->gguf_file != 1) {
        fprintf(stderr, "switchyard tokenize: give one of PROGRAM.syp, --tokenizer-json FILE, --gguf-vocab FILE\n\n%s",
                tokenize_help);
        return 2;
    }
    return 0;
}

/// The tokenizer of the arguments; NULL after an error (printed) or after --print-json (*printed).
static sy_tokenizer *open_tokenizer(const tok_args *a, bool *printed) {
    sy_tokenizer *tok = NULL;
    if (a->program) {
        sy_program *prog;
        if (sy_program_load(a->program, &prog) != SY_OK) return sy_cli_fail(a->program), NULL;
        const char *doc = sy_program_get_metadata(prog, SY_METADATA_TOKENIZER_JSON);
        if (a->print_json && doc) {
            printf("%s\n", doc);
            *printed = true;
        } else if (sy_tokenizer_create_from_program(prog, &tok) != SY_OK)
            sy_cli_fail(a->program);
        sy_program_destroy(prog);
        return tok;
    }
    size_t n;
    char *json = a->json_file ? read_file(a->json_file, &n) : json_from_gguf_file(a->gguf_file, &n);
    if (!json) {
        if (a->json_file) fprintf(stderr, "switchyard: cannot read '%s'\n", a->json_file);
        return NULL;
    }
    if (a->print_json) {
        fwrite(json, 1, n, stdout);
        fputc('\n', stdout);
        *printed = true;
    } else if (sy_tokenizer_create_from_json(json, n, &tok) != SY_OK) sy_cli_fail(a->json_file ? a->json_file : a->gguf_file);
    free(json);
    return tok;
}

// --- lines ---

static size_t unescape(char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 == n) {
            s[w++] = s[i];
            continue;
        }
        char c = s[++i];
        s[w++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
    }
    return w;
}

static void print_text(const char *s, size_t n, bool escape) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (escape && (c == '\n' || c == '\t' || c == '\r' || c == '\\'))
            printf("\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\\');
        else
            putchar(c);
    }
}

static int encode_line(const sy_tokenizer *tok, const tok_args *a, const char *text, size_t n) {
    size_t count = 0;
    if (sy_tokenizer_encode(tok, text, n, a->enc_flags, NULL, 0, &count) != SY_OK) return sy_cli_fail("encode");
    int32_t *ids = malloc((count + 1) * sizeof *ids);
    if (!ids || sy_tokenizer_encode(tok, text, n, a->enc_flags, ids, count, &count) != SY_OK) {
        free(ids);
        return sy_cli_fail("encode");
    }
    for (size_t i = 0; i < count; i++) {
        if (a->ids_only) {
            printf(i ? " %d" : "%d", ids[i]);
            continue;
        }
        const char *t;
        size_t k;
        sy_tokenizer_token_text(tok, ids[i], &t, &k);
        printf("%s%d:'", i ? " " : "", ids[i]);
        print_text(t, k, true);
        putchar('\'');
    }
    putchar('\n');
    free(ids);
    return 0;
}

/// Decodes the ids of argv[0..n) or of one text line through the streaming decoder.
static int decode_ids(const sy_tokenizer *tok, const tok_args *a, char **words, int n_words, char *line) {
    sy_token_decoder *d;
    if (sy_token_decoder_create(tok, a->dec_flags, &d) != SY_OK) return sy_cli_fail("decode");
    int rc = 0;
    const char *s;
    size_t k;
    char *save = NULL, *w = line ? strtok_r(line, " \t\r\n", &save) : NULL;
    for (int i = 0; rc == 0 && (line ? w != NULL : i < n_words); i++) {
        const char *word = line ? w : words[i];
        char *end;
        long id = strtol(word, &end, 10);
        if (end == word || *end || id < INT32_MIN || id > INT32_MAX) {
            fprintf(stderr, "switchyard: decode: '%s' is not a token id\n", word);
            rc = 1;
        } else if (sy_token_decoder_feed(d, (int32_t)id, &s, &k) != SY_OK)
            rc = sy_cli_fail("decode");
        else
            print_text(s, k, a->escape);
        if (line) w = strtok_r(NULL, " \t\r\n", &save);
    }
    if (rc == 0 && sy_token_decoder_flush(d, &s, &k) == SY_OK) print_text(s, k, a->escape);
    putchar('\n');
    sy_token_decoder_destroy(d);
    return rc;
}

static int run_lines(const sy_tokenizer *tok, const tok_args *a) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n && line[n - 1] == '\n') n--;
        if (a->decode) {
            line[n] = '\0';
            rc |= decode_ids(tok, a, NULL, 0, line);
        } else
            rc |= encode_line(tok, a, line, a->escape ? unescape(line, (size_t)n) : (size_t)n);
    }
    free(line);
    return rc;
}

static void print_info(const sy_tokenizer *tok) {
    printf("vocabulary: %u ids\n", sy_tokenizer_n_vocab(tok));
    for (int w = SY_SPECIAL_BOS; w <= SY_SPECIAL_UNK; w++) {
        int32_t id;
        if (sy_tokenizer_get_special(tok, (sy_special_token)w, &id) == SY_OK) printf("%s: %d\n", sy_special_token_name((sy_special_token)w), id);
        else printf("%s: none\n", sy_special_token_name((sy_special_token)w));
    }
}

int sy_cmd_tokenize(int argc, char **argv) {
    tok_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    bool printed = false;
    sy_tokenizer *tok = open_tokenizer(&a, &printed);
    if (!tok) return printed ? 0 : 1;
    if (a.info) print_info(tok);
    else if (a.decode && a.first_id_arg) rc = decode_ids(tok, &a, argv + a.first_id_arg, argc - a.first_id_arg, NULL);
    else if (a.text) {
        size_t n = strlen(a.text);
        char *t = malloc(n + 1);
        if (!t) return 1;
        memcpy(t, a.text, n + 1);
        rc = a.decode ? decode_ids(tok, &a, NULL, 0, t) : encode_line(tok, &a, t, a.escape ? unescape(t, n) : n);
        free(t);
    } else
        rc = run_lines(tok, &a);
    sy_tokenizer_destroy(tok);
    return rc;
}
