// switchyard generate: a prompt in, text (or token ids) out, through the generation API
// (include/switchyard/generate.h). Stats go to stderr at the end, like ExecuTorch's runner.

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "switchyard/generate.h"
#include "tools/cli.h"

static const char generate_help[] =
    "usage: switchyard generate MODEL.syp -p PROMPT [-n N] [--chat] [--system TEXT]\n"
    "                           [--chat-template NAME] [sampling flags] [backend flags]\n"
    "                           [-i] [--json FILE] [--ids] [--stop TEXT]\n"
    "\n"
    "Generates text from a decoder program (forward(input_ids, cache_position) -> logits with a\n"
    "KV cache) and streams it to stdout; stats go to stderr at the end. The tokenizer comes from\n"
    "the program's metadata key 'tokenizer.json'.\n"
    "\n"
    "  -p, --prompt TEXT      the prompt (with --ids: token ids, e.g. \"1,2,3\" or \"1 2 3\")\n"
    "  -n, --max-tokens N     tokens to generate at most (default 128)\n"
    "  --chat                 apply the chat template (metadata 'tokenizer.chat_template')\n"
    "  --system TEXT          a system message (with --chat)\n"
    "  --chat-template NAME   chatml, llama3 or llama2: use that family (needed when the template\n"
    "                         in the metadata is of none of them)\n"
    "  --chat-template-file F read the template text from F instead of the metadata\n"
    "  --print-prompt         print the prompt as the model will see it and exit (with\n"
    "                         --chat-template-file no MODEL is needed)\n"
    "  -i, --interactive      read further turns from stdin, one per line; the conversation stays\n"
    "                         in the KV cache and only the new part of each turn is prefilled.\n"
    "                         A line '/reset' starts over.\n"
    "  --ids                  token ids in and out (no tokenizer needed)\n"
    "  --eos ID               an end-of-sequence id (repeatable; default: the tokenizer's)\n"
    "  --stop TEXT            stop before this text (repeatable)\n"
    "  --json FILE            write the stats as JSON\n"
    "\n"
    "sampling (default greedy):\n"
    "  --temperature T        >= 0; 0 is greedy\n"
    "  --top-k K              keep the K most likely tokens (0: off)\n"
    "  --top-p P              in (0, 1]: keep the smallest set with probability >= P\n"
    "  --min-p M              in [0, 1]: drop tokens below M x the most likely one's probability\n"
    "  --repeat-penalty R     > 0: penalise the last --repeat-window tokens (default 64; 1: off)\n"
    "  --repeat-window W      tokens the penalty looks back (0: all)\n"
    "  --seed S               the sampler's seed (same seed, same tokens)\n"
    "\n"
    "A prompt longer than the model's cache is refused with both lengths; generation that fills\n"
    "the cache stops with stop reason cache_full. Ctrl-C stops the generation and prints the stats\n"
    "so far (in -i mode it returns to the prompt); a second Ctrl-C exits.\n"
    "\n";

#define MAX_STOPS 8
#define MAX_EOS 8
#define MAX_TURNS 256

typedef struct gen_args {
    sy_cli_backend_args ba;
    const char *model, *prompt, *system, *tmpl_name, *tmpl_file, *json;
    int chat, interactive, ids, print_prompt;
    sy_generate_params gen;
    const char *stops[MAX_STOPS];
    uint32_t n_stops;
    int32_t eos[MAX_EOS];
    uint32_t n_eos;
} gen_args;

// --- Ctrl-C ---

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    if (interrupted) _exit(130); // the second Ctrl-C
    interrupted = 1;
    static const char msg[] = "\n[interrupted: stopping; Ctrl-C again to exit]\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
}

static void install_sigint(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL); // no SA_RESTART: a read at the prompt returns EINTR
}

/// Test hook: SWITCHYARD_TEST_SIGINT_AFTER=N raises SIGINT after the Nth token, so the
/// interrupt path is testable without a terminal.
static long sigint_after = -1, tokens_seen;

static int should_stop(void) {
    if (sigint_after >= 0 && ++tokens_seen == sigint_after) raise(SIGINT);
    return interrupted != 0;
}

/// Prints "switchyard generate: <last error>"; returns 1.
static int fail(void) {
    fprintf(stderr, "switchyard generate: %s\n", sy_last_error());
    return 1;
}

// --- argument parsing ---

static int parse_num(const char *flag, const char *v, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno) {
        fprintf(stderr, "switchyard generate: %s '%s' is not a number\n", flag, v);
        return 0;
    }
    if (x < lo || x > hi) {
        fprintf(stderr, "switchyard generate: %s %s is out of range [%g, %g]\n", flag, v, lo, hi);
        return 0;
    }
    *out = x;
    return 1;
}

/// Flags with a numeric value. Returns 1 consumed, 0 not one of them, -1 error.
static int numeric_flag(gen_args *a, const char *f, const char *v) {
    double x = 0;
    sy_sampler_params *s = &a->gen.sampling;
    // Ranges are checked by the library (sy_sampler_params_check); these bounds only keep the
    // conversion to the field's type defined.
    if (!strcmp(f, "-n") || !strcmp(f, "--max-tokens")) {
        if (!parse_num(f, v, 1, 1e9, &x)) return -1;
        a->gen.max_new_tokens = (int64_t)x;
    } else if (!strcmp(f, "--temperature")) {
        if (!parse_num(f, v, -1e30, 1e30, &x)) return -1;
        s->temperature = (float)x;
    } else if (!strcmp(f, "--top-k")) {
        if (!parse_num(f, v, -1e9, 1e9, &x)) return -1;
        s->top_k = (int32_t)x;
    } else if (!strcmp(f, "--top-p")) {
        if (!parse_num(f, v, -1e30, 1e30, &x)) return -1;
        s->top_p = (float)x;
    } else if (!strcmp(f, "--min-p")) {
        if (!parse_num(f, v, -1e30, 1e30, &x)) return -1;
        s->min_p = (float)x;
    } else if (!strcmp(f, "--repeat-penalty")) {
        if (!parse_num(f, v, -1e30, 1e30, &x)) return -1;
        s->repeat_penalty = (float)x;
    } else if (!strcmp(f, "--repeat-window")) {
        if (!parse_num(f, v, -1e9, 1e9, &x)) return -1;
        s->repeat_window = (int32_t)x;
    } else if (!strcmp(f, "--seed")) { // all 64 bits: not through a double
        char *end = NULL;
        errno = 0;
        unsigned long long seed = strtoull(v, &end, 0);
        if (!*v || *end || errno || v[0] == '-') {
            fprintf(stderr, "switchyard generate: --seed '%s' is not a non-negative integer\n", v);
            return -1;
        }
        s->seed = (uint64_t)seed;
    } else if (!strcmp(f, "--eos")) {
        if (!parse_num(f, v, 0, 2147483647.0, &x)) return -1;
        if (a->n_eos == MAX_EOS) return fprintf(stderr, "switchyard generate: too many --eos\n"), -1;
        a->eos[a->n_eos++] = (int32_t)x;
    } else {
        return 0;
    }
    return 1;
}

/// Flags with a text value. Returns 1 consumed, 0 not one of them.
static int text_flag(gen_args *a, const char *f, const char *v) {
    const char **slot = !strcmp(f, "-p") || !strcmp(f, "--prompt") ? &a->prompt
                        : !strcmp(f, "--system")                   ? &a->system
                        : !strcmp(f, "--chat-template")            ? &a->tmpl_name
                        : !strcmp(f, "--chat-template-file")       ? &a->tmpl_file
                        : !strcmp(f, "--json")                     ? &a->json
                                                                   : NULL;
    if (slot) {
        *slot = v;
        return 1;
    }
    if (!strcmp(f, "--stop")) {
        if (a->n_stops < MAX_STOPS) a->stops[a->n_stops++] = v;
        return 1;
    }
    return 0;
}

static int is_value_flag(const char *f) {
    static const char *const flags[] = {"-p", "--prompt", "--system", "--chat-template", "--chat-template-file",
                                        "--json", "--stop", "-n", "--max-tokens", "--temperature", "--top-k",
                                        "--top-p", "--min-p", "--repeat-penalty", "--repeat-window", "--seed",
                                        "--eos"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strcmp(f, flags[i])) return 1;
    return 0;
}

/// Returns 0 to go on, 1 after --help (exit 0), 2 on a usage error (printed).
static int parse_args(gen_args *a, int argc, char **argv) {
    a->gen = sy_generate_default_params();
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        int r = sy_cli_backend_flag(&a->ba, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            printf("%s%s", generate_help, sy_cli_backend_help);
            return 1;
        }
        if (is_value_flag(f)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "switchyard generate: %s needs a value\n", f);
                return 2;
            }
            const char *v = argv[++i];
            if (text_flag(a, f, v)) continue;
            if (numeric_flag(a, f, v) < 0) return 2;
            continue;
        }
        if (!strcmp(f, "--chat")) a->chat = 1;
        else if (!strcmp(f, "-i") || !strcmp(f, "--interactive")) a->interactive = 1;
        else if (!strcmp(f, "--ids")) a->ids = 1;
        else if (!strcmp(f, "--print-prompt")) a->print_prompt = 1;
        else if (f[0] == '-' || a->model) {
            fprintf(stderr, "switchyard generate: unexpected argument '%s' (see --help)\n", f);
            return 2;
        } else {
            a->model = f;
        }
    }
    if (sy_sampler_params_check(&a->gen.sampling) != SY_OK) {
        fprintf(stderr, "switchyard generate: %s\n", sy_last_error());
        return 2;
    }
    if (a->ids && (a->chat || a->n_stops)) {
        fprintf(stderr, "switchyard generate: --ids works on token ids: --chat and --stop need text\n");
        return 2;
    }
    if (!a->model && !(a->print_prompt && a->tmpl_file)) {
        fprintf(stderr, "switchyard generate: no MODEL.syp given (see --help)\n");
        return 2;
    }
    if (!a->prompt && !a->interactive) {
        fprintf(stderr, "switchyard generate: no prompt: give -p PROMPT (or -i to type turns)\n");
        return 2;
    }
    if (a->system && !a->chat) fprintf(stderr, "switchyard generate: note: --system is used with --chat only\n");
    return 0;
}

// --- stats ---

static void print_stats(const sy_generate_stats *s, FILE *f) {
    fprintf(f, "\n--- stats (stop: %s) ---\n", sy_stop_reason_name(s->stop));
    fprintf(f, "prompt tokens:       %lld", (long long)s->n_prompt);
    if (s->n_prefilled != s->n_prompt)
        fprintf(f, " (%lld prefilled, %lld reused from the cache)", (long long)s->n_prefilled,
                (long long)(s->n_prompt - s->n_prefilled));
    fputc('\n', f);
    fprintf(f, "generated tokens:    %lld\n", (long long)s->n_generated);
    fprintf(f, "model load time:     %.2f ms\n", s->load_ms);
    fprintf(f, "time to first token: %.2f ms\n", s->ttft_ms);
    fprintf(f, "prefill:             %.2f ms, %.1f tokens/s\n", s->prefill_ms, s->prefill_tok_s);
    fprintf(f, "decode:              %lld steps, %.2f ms, %.1f tokens/s\n", (long long)s->n_decoded, s->decode_ms,
            s->decode_tok_s);
    fprintf(f, "sampling:            %.2f ms\n", s->sampling_ms);
    fprintf(f, "peak RSS:            %.1f MiB\n", (double)s->peak_rss_kb / 1024.0);
}

static int write_json(const char *path, const sy_generate_stats *s) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "switchyard generate: cannot write '%s': %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f,
            "{\n  \"stop_reason\": \"%s\",\n  \"prompt_tokens\": %lld,\n  \"prefilled_tokens\": %lld,\n"
            "  \"generated_tokens\": %lld,\n  \"decode_steps\": %lld,\n  \"model_load_ms\": %.6f,\n"
            "  \"ttft_ms\": %.6f,\n  \"prefill_ms\": %.6f,\n  \"prefill_tokens_per_s\": %.6f,\n"
            "  \"decode_ms\": %.6f,\n  \"decode_tokens_per_s\": %.6f,\n  \"sampling_ms\": %.6f,\n"
            "  \"peak_rss_kb\": %ld\n}\n",
            sy_stop_reason_name(s->stop), (long long)s->n_prompt, (long long)s->n_prefilled,
            (long long)s->n_generated, (long long)s->n_decoded, s->load_ms, s->ttft_ms, s->prefill_ms,
            s->prefill_tok_s, s->decode_ms, s->decode_tok_s, s->sampling_ms, s->peak_rss_kb);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad) fprintf(stderr, "switchyard generate: writing '%s' failed\n", path);
    return bad;
}

// --- the session: one model, one or more turns ---

typedef struct session {
    gen_args *a;
    sy_generator *gen;
    sy_text_codec codec;
    int have_codec;
    sy_text_generator *tg;
    sy_chat_template tmpl;
    // the conversation so far (interactive); strings malloc'd
    sy_chat_message msgs[MAX_TURNS];
    size_t n_msgs;
    char *text;      // raw text mode: everything so far
    size_t text_len;
    int32_t *conv;   // ids mode: every id so far (n_ctx + generated)
    size_t n_conv, cap_conv;
    char *reply;     // the current answer (text mode)
    size_t reply_len, reply_cap;
} session;

static int on_text(void *user, const char *s, size_t n) {
    session *ss = user;
    fwrite(s, 1, n, stdout);
    fflush(stdout);
    if (ss->reply_len + n + 1 > ss->reply_cap) {
        size_t cap = (ss->reply_len + n + 1) * 2;
        char *r = realloc(ss->reply, cap);
        if (!r) return 1;
        ss->reply = r;
        ss->reply_cap = cap;
    }
    memcpy(ss->reply + ss->reply_len, s, n);
    ss->reply_len += n;
    ss->reply[ss->reply_len] = '\0';
    return should_stop();
}

static int on_id(void *user, int32_t t) {
    session *ss = user;
    printf("%s%d", ss->reply_len++ ? " " : "", (int)t);
    fflush(stdout);
    if (ss->n_conv < ss->cap_conv) ss->conv[ss->n_conv++] = t;
    return should_stop();
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "switchyard generate: cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap) {
            char *b = realloc(buf, cap *= 2);
            if (!b) free(buf);
            buf = b;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

/// Sets up the chat template from --chat-template-file, the metadata and --chat-template.
static int setup_template(session *ss) {
    gen_args *a = ss->a;
    char *file_text = a->tmpl_file ? read_file(a->tmpl_file) : NULL;
    if (a->tmpl_file && !file_text) return 0;
    const sy_program *prog = ss->gen ? sy_generator_get_program(ss->gen) : NULL;
    const char *text = file_text ? file_text : prog ? sy_program_get_metadata(prog, "tokenizer.chat_template") : NULL;
    sy_status st = sy_chat_template_init(&ss->tmpl, text, a->tmpl_name);
    free(file_text);
    if (st != SY_OK) {
        fail();
        return 0;
    }
    return 1;
}

/// Renders the conversation into a malloc'd prompt (chat) or returns the running text.
static char *build_prompt(session *ss, size_t *len) {
    if (!ss->a->chat) {
        *len = ss->text_len;
        return ss->text;
    }
    size_t need = 0;
    if (sy_chat_render(&ss->tmpl, ss->msgs, ss->n_msgs, true, NULL, 0, &need) != SY_ERR_OUT_OF_RANGE &&
        need == 0) {
        fail();
        return NULL;
    }
    char *buf = malloc(need + 1);
    if (!buf || sy_chat_render(&ss->tmpl, ss->msgs, ss->n_msgs, true, buf, need + 1, len) != SY_OK) {
        free(buf);
        fail();
        return NULL;
    }
    return buf;
}

static int append_text(session *ss, const char *s, size_t n) {
    char *t = realloc(ss->text, ss->text_len + n + 1);
    if (!t) return 0;
    memcpy(t + ss->text_len, s, n);
    ss->text = t;
    ss->text_len += n;
    t[ss->text_len] = '\0';
    return 1;
}

static int add_message(session *ss, const char *role, const char *content) {
    if (ss->n_msgs == MAX_TURNS) {
        fprintf(stderr, "switchyard generate: the conversation has %d messages, the most this CLI keeps\n", MAX_TURNS);
        return 0;
    }
    char *c = strdup(content);
    if (!c) return 0;
    ss->msgs[ss->n_msgs].role = role;
    ss->msgs[ss->n_msgs++].content = c;
    return 1;
}

/// Parses "1,2,3" / "1 2 3" into the conversation's ids.
static int append_ids(session *ss, const char *s) {
    const char *p = s;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n') p++;
        if (!*p) break;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < INT32_MIN || v > INT32_MAX) {
            fprintf(stderr, "switchyard generate: --ids: '%s' is not a list of token ids (at '%.16s')\n", s, p);
            return 0;
        }
        if (ss->n_conv == ss->cap_conv) {
            fprintf(stderr, "switchyard generate: --ids: more ids than the cache holds (%zu)\n", ss->cap_conv);
            return 0;
        }
        ss->conv[ss->n_conv++] = (int32_t)v;
        p = end;
    }
    return 1;
}

static void free_conversation(session *ss) {
    for (size_t i = 0; i < ss->n_msgs; i++) free((char *)ss->msgs[i].content);
    ss->n_msgs = 0;
    free(ss->text);
    ss->text = NULL;
    ss->text_len = 0;
    ss->n_conv = 0;
}

/// The token ids that end a turn: --eos, or the tokenizer's EOS and the template's end-of-turn.
static uint32_t turn_eos(session *ss, int32_t *eos) {
    gen_args *a = ss->a;
    if (a->n_eos) {
        memcpy(eos, a->eos, a->n_eos * sizeof *eos);
        return a->n_eos;
    }
    uint32_t n = 0;
    if (ss->have_codec && ss->codec.eos >= 0) eos[n++] = ss->codec.eos;
    static const char *const ends[] = {"", "<|im_end|>", "<|eot_id|>", "</s>"}; // by sy_chat_format
    int32_t id;
    if (a->chat && ss->have_codec && ss->codec.find_token && ss->tmpl.format <= SY_CHAT_LLAMA2) {
        const char *e = ends[ss->tmpl.format];
        if (e[0] && ss->codec.find_token(ss->codec.user, e, strlen(e), &id) == SY_OK && (!n || id != eos[0]))
            eos[n++] = id;
    }
    return n;
}

static void finish_turn(session *ss, const char *what) {
    sy_generate_stats st;
    fputc('\n', stdout);
    fflush(stdout);
    if ((ss->tg ? sy_text_generator_get_stats(ss->tg, &st) : sy_generator_get_stats(ss->gen, &st)) != SY_OK) return;
    if (interrupted) st.stop = SY_STOP_CALLBACK;
    if (st.stop == SY_STOP_CACHE_FULL)
        fprintf(stderr, "switchyard generate: stopped: the cache of %lld positions is full\n",
                (long long)sy_generator_n_ctx(ss->gen));
    if (what) fprintf(stderr, "switchyard generate: %s\n", what);
    print_stats(&st, stderr);
    if (ss->a->json) write_json(ss->a->json, &st);
}

/// One turn: `input` is the user's text (or ids). Returns 0 on success, 1 on a failure (printed).
static int run_turn(session *ss, const char *input, int first) {
    gen_args *a = ss->a;
    int32_t eos[MAX_EOS + 2];
    sy_generate_params gp = a->gen;
    gp.reuse_cache = a->interactive && !first;
    gp.n_eos = turn_eos(ss, eos);
    gp.eos_ids = gp.n_eos ? eos : NULL;
    ss->reply_len = 0;
    if (ss->reply) ss->reply[0] = '\0';
    sy_status st;
    if (a->ids) {
        if (!append_ids(ss, input)) return 1;
        st = sy_generator_generate(ss->gen, ss->conv, ss->n_conv, &gp, on_id, ss);
    } else {
        int ok = a->chat ? add_message(ss, "user", input)
                         : append_text(ss, "\n", first ? 0 : 1) && append_text(ss, input, strlen(input));
        size_t len = 0;
        char *prompt = ok ? build_prompt(ss, &len) : NULL;
        if (!prompt) return 1;
        if (a->print_prompt) {
            fwrite(prompt, 1, len, stdout);
            if (prompt != ss->text) free(prompt);
            return 0;
        }
        sy_text_params p = sy_text_default_params();
        p.gen = gp;
        p.stop = a->stops;
        p.n_stop = a->n_stops;
        p.add_bos = !(a->chat && ss->tmpl.bos[0]); // a template that writes BOS has it in the text
        st = sy_text_generate(ss->tg, prompt, len, &p, on_text, ss);
        if (prompt != ss->text) free(prompt);
        if (st == SY_OK && !(a->chat ? add_message(ss, "assistant", ss->reply ? ss->reply : "")
                                     : append_text(ss, ss->reply ? ss->reply : "", ss->reply_len)))
            return 1;
    }
    if (st != SY_OK) {
        fputc('\n', stdout);
        if (a->chat && ss->n_msgs) free((char *)ss->msgs[--ss->n_msgs].content); // the turn did not happen
        return fail();
    }
    finish_turn(ss, interrupted ? "interrupted by Ctrl-C" : NULL);
    return 0;
}

/// -i: one turn per line of stdin until EOF or Ctrl-C at the prompt.
static int interactive_loop(session *ss) {
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        interrupted = 0;
        fprintf(stderr, "> ");
        fflush(stderr);
        errno = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (errno == EINTR) fprintf(stderr, "\n");
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (!n) continue;
        if (!strcmp(line, "/reset")) {
            free_conversation(ss);
            if (sy_generator_reset(ss->gen) != SY_OK) rc = fail();
            fprintf(stderr, "(conversation cleared)\n");
            continue;
        }
        int first = ss->a->ids ? ss->n_conv == 0 : ss->a->chat ? ss->n_msgs <= (ss->a->system ? 1u : 0u) : !ss->text;
        rc = run_turn(ss, line, first); // a failed turn (a too long prompt) leaves the session usable
    }
    free(line);
    return rc;
}

static int open_model(session *ss) {
    gen_args *a = ss->a;
    sy_config *cfg = sy_cli_make_config(&a->ba, NULL);
    if (!cfg) return 0;
    sy_status st = sy_generator_open(a->model, cfg, NULL, &ss->gen);
    sy_config_destroy(cfg);
    if (st != SY_OK) return !fail();
    ss->cap_conv = (size_t)sy_generator_n_ctx(ss->gen) * 2 + 16;
    ss->conv = malloc(ss->cap_conv * sizeof *ss->conv);
    if (!ss->conv) return 0;
    if (a->ids) return 1;
    if (sy_text_codec_from_program(sy_generator_get_program(ss->gen), &ss->codec) != SY_OK) {
        fprintf(stderr, "switchyard generate: '%s': %s\n", a->model, sy_last_error());
        return 0;
    }
    ss->have_codec = 1;
    if (sy_text_generator_create(ss->gen, &ss->codec, &ss->tg) != SY_OK) return !fail();
    return 1;
}

int sy_cmd_generate(int argc, char **argv) {
    gen_args a;
    memset(&a, 0, sizeof a);
    int r = parse_args(&a, argc, argv);
    if (r) return r == 1 ? 0 : 2;
    const char *hook = getenv("SWITCHYARD_TEST_SIGINT_AFTER");
    sigint_after = hook ? atol(hook) : -1;
    install_sigint();
    session ss;
    memset(&ss, 0, sizeof ss);
    ss.a = &a;
    int rc = 1;
    if (a.model && !open_model(&ss)) goto done;
    if (a.chat && !setup_template(&ss)) goto done;
    if (a.chat && a.system && !add_message(&ss, "system", a.system)) goto done;
    rc = 0;
    if (a.prompt) rc = run_turn(&ss, a.prompt, 1);
    if (!rc && a.interactive && !a.print_prompt) rc = interactive_loop(&ss);
done:
    free_conversation(&ss);
    free(ss.conv);
    free(ss.reply);
    sy_text_generator_destroy(ss.tg);
    if (ss.have_codec) sy_text_codec_deinit(&ss.codec);
    sy_generator_destroy(ss.gen);
    return rc;
}
