// Chat templates: the three families the supported models use, recognised from the Jinja text
// in the program's metadata and rendered in C (no Jinja interpreter). Each renderer writes what
// Transformers' apply_chat_template writes for the reference template of its family:
//   chatml  SmolLM2 / Qwen: "<|im_start|>{role}\n{content}<|im_end|>\n", default system turn
//   llama3  Llama 3.0 Instruct: bos "<|start_header_id|>{role}<|end_header_id|>\n\n{trim}<|eot_id|>"
//   llama2  Llama 2 chat: bos "[INST] <<SYS>>\n{sys}\n<</SYS>>\n\n{user} [/INST] {answer} </s>"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "switchyard/generate.h"

const char *sy_chat_format_name(sy_chat_format f) {
    switch (f) {
    case SY_CHAT_CHATML: return "chatml";
    case SY_CHAT_LLAMA3: return "llama3";
    case SY_CHAT_LLAMA2: return "llama2";
    case SY_CHAT_UNKNOWN: break;
    }
    return "unknown";
}

/// A ChatML template's own system turn: "<|im_start|>system\n" then literal text up to
/// "<|im_end|>" (none when that text holds Jinja or string syntax: then it is not a literal).
static void chatml_default_system(const char *text, char *out, size_t cap) {
    out[0] = '\0';
    static const char open[] = "<|im_start|>system\n";
    const char *p = strstr(text, open);
    if (!p) return;
    p += sizeof open - 1;
    const char *end = strstr(p, "<|im_end|>");
    if (!end) return;
    size_t n = (size_t)(end - p);
    for (size_t i = 0; i < n; i++)
        if (p[i] == '{' || p[i] == '}' || p[i] == '\'' || p[i] == '"' || p[i] == '+') return;
    if (n >= cap) return;
    memcpy(out, p, n);
    out[n] = '\0';
}

static sy_chat_format detect(const char *text) {
    if (strstr(text, "<|start_header_id|>")) return SY_CHAT_LLAMA3;
    if (strstr(text, "<|im_start|>")) return SY_CHAT_CHATML;
    if (strstr(text, "[INST]")) return SY_CHAT_LLAMA2;
    return SY_CHAT_UNKNOWN;
}

sy_status sy_chat_template_init(sy_chat_template *t, const char *text, const char *name) {
    SY_CHECK(t, SY_ERR_INVALID_ARGUMENT, "sy_chat_template_init: template is NULL");
    memset(t, 0, sizeof *t);
    sy_chat_format found = text ? detect(text) : SY_CHAT_UNKNOWN;
    if (name) {
        for (int f = SY_CHAT_CHATML; f <= SY_CHAT_LLAMA2; f++)
            if (!strcmp(name, sy_chat_format_name((sy_chat_format)f))) t->format = (sy_chat_format)f;
        SY_CHECK(t->format != SY_CHAT_UNKNOWN, SY_ERR_INVALID_ARGUMENT,
                 "unknown chat template '%s' (known: chatml, llama3, llama2)", name);
    } else {
        SY_CHECK(text, SY_ERR_NOT_FOUND,
                 "the program has no chat template (metadata key 'tokenizer.chat_template'); name one with "
                 "--chat-template chatml|llama3|llama2");
        SY_CHECK(found != SY_CHAT_UNKNOWN, SY_ERR_UNSUPPORTED,
                 "the chat template is of no family Switchyard renders (it has none of <|im_start|>, "
                 "<|start_header_id|>, [INST]); name one with --chat-template chatml|llama3|llama2");
        t->format = found;
    }
    if (t->format == SY_CHAT_CHATML && found == SY_CHAT_CHATML)
        chatml_default_system(text, t->default_system, sizeof t->default_system);
    if (t->format == SY_CHAT_LLAMA3) snprintf(t->bos, sizeof t->bos, "<|begin_of_text|>");
    if (t->format == SY_CHAT_LLAMA2) {
        snprintf(t->bos, sizeof t->bos, "<s>");
        snprintf(t->eos, sizeof t->eos, "</s>");
    }
    return SY_OK;
}

// --- rendering into a bounded buffer ---

typedef struct out_buf {
    char *buf;
    size_t cap, len; // len counts everything, also what did not fit
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
    if (o->len < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->buf + o->len, s, n < room ? n : room);
    }
    o->len += n;
}

static void puts_(out_buf *o, const char *s) {
    put(o, s, strlen(s));
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/// Jinja's trim / Python's strip (ASCII whitespace).
static void put_stripped(out_buf *o, const char *s) {
    size_t n = strlen(s), a = 0;
    while (a < n && is_space(s[a])) a++;
    while (n > a && is_space(s[n - 1])) n--;
    put(o, s + a, n - a);
}

static void render_chatml(const sy_chat_template *t, const sy_chat_message *m, size_t n, bool gen, out_buf *o) {
    if (t->default_system[0] && (n == 0 || strcmp(m[0].role, "system"))) {
        puts_(o, "<|im_start|>system\n");
        puts_(o, t->default_system);
        puts_(o, "<|im_end|>\n");
    }
    for (size_t i = 0; i < n; i++) {
        puts_(o, "<|im_start|>");
        puts_(o, m[i].role);
        puts_(o, "\n");
        puts_(o, m[i].content);
        puts_(o, "<|im_end|>\n");
    }
    if (gen) puts_(o, "<|im_start|>assistant\n");
}

static void render_llama3(const sy_chat_template *t, const sy_chat_message *m, size_t n, bool gen, out_buf *o) {
    puts_(o, t->bos);
    for (size_t i = 0; i < n; i++) {
        puts_(o, "<|start_header_id|>");
        puts_(o, m[i].role);
        puts_(o, "<|end_header_id|>\n\n");
        put_stripped(o, m[i].content);
        puts_(o, "<|eot_id|>");
    }
    if (gen) puts_(o, "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

static sy_status render_llama2(const sy_chat_template *t, const sy_chat_message *m, size_t n, out_buf *o) {
    const char *sys = n && !strcmp(m[0].role, "system") ? m[0].content : NULL;
    size_t first = sys ? 1 : 0;
    for (size_t i = first; i < n; i++) {
        int user = !strcmp(m[i].role, "user");
        SY_CHECK(user == ((i - first) % 2 == 0), SY_ERR_INVALID_ARGUMENT,
                 "chat (llama2): message #%zu is '%s', but the roles must alternate user/assistant/user/...", i,
                 m[i].role);
        if (!user) {
            puts_(o, " ");
            put_stripped(o, m[i].content);
            puts_(o, " ");
            puts_(o, t->eos);
            continue;
        }
        puts_(o, t->bos);
        puts_(o, "[INST] ");
        if (i == first && sys) { // strip() of "<<SYS>>\n" + sys + "\n<</SYS>>\n\n" + content
            puts_(o, "<<SYS>>\n");
            puts_(o, sys);
            puts_(o, "\n<</SYS>>\n\n");
            size_t k = strlen(m[i].content);
            while (k > 0 && is_space(m[i].content[k - 1])) k--;
            put(o, m[i].content, k);
        } else {
            put_stripped(o, m[i].content);
        }
        puts_(o, " [/INST]");
    }
    return SY_OK;
}

sy_status sy_chat_render(const sy_chat_template *t, const sy_chat_message *m, size_t n, bool gen, char *buf,
                         size_t cap, size_t *len_out) {
    SY_CHECK(t && (m || !n) && (buf || !cap) && len_out, SY_ERR_INVALID_ARGUMENT, "sy_chat_render: NULL argument");
    SY_CHECK(n > 0, SY_ERR_INVALID_ARGUMENT, "chat: no messages to render");
    for (size_t i = 0; i < n; i++) {
        SY_CHECK(m[i].role && m[i].content, SY_ERR_INVALID_ARGUMENT, "chat: message #%zu has no role or content", i);
        int known = !strcmp(m[i].role, "system") || !strcmp(m[i].role, "user") || !strcmp(m[i].role, "assistant");
        SY_CHECK(known, SY_ERR_INVALID_ARGUMENT, "chat: message #%zu has role '%s' (system, user or assistant)", i,
                 m[i].role);
        SY_CHECK(i == 0 || strcmp(m[i].role, "system"), SY_ERR_INVALID_ARGUMENT,
                 "chat: message #%zu is a system message; only the first may be", i);
        SY_TRY(sy_utf8_check(m[i].content, strlen(m[i].content), "a chat message"));
    }
    out_buf o = {.buf = buf, .cap = cap};
    switch (t->format) {
    case SY_CHAT_CHATML: render_chatml(t, m, n, gen, &o); break;
    case SY_CHAT_LLAMA3: render_llama3(t, m, n, gen, &o); break;
    case SY_CHAT_LLAMA2: SY_TRY(render_llama2(t, m, n, &o)); break;
    default: return sy_error_set(SY_ERR_INVALID_ARGUMENT, "chat: the template has no family (call sy_chat_template_init)");
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
    *len_out = o.len;
    SY_CHECK(o.len < cap, SY_ERR_OUT_OF_RANGE, "chat: the rendered conversation is %zu bytes; the buffer holds %zu",
             o.len, cap);
    return SY_OK;
}
