#include "core/strbuf.h"

#include <stdio.h>
#include <string.h>

void sy_strbuf_init(sy_strbuf *b, char *buf, size_t size) {
    b->buf = buf;
    b->size = size;
    b->used = 0;
    b->cut = 0;
    if (size) buf[0] = '\0';
}

static void mark_cut(sy_strbuf *b) {
    b->cut = 1;
    b->used = b->size - 1;
    static const char dots[] = "...";
    size_t n = b->size - 1 < 3 ? b->size - 1 : 3;
    memcpy(b->buf + b->size - 1 - n, dots + 3 - n, n);
    b->buf[b->size - 1] = '\0';
}

void sy_strbuf_vaddf(sy_strbuf *b, const char *fmt, va_list ap) {
    if (b->size == 0 || b->cut) return;
    size_t room = b->size - b->used;
    int n = vsnprintf(b->buf + b->used, room, fmt, ap);
    if (n < 0) {
        b->buf[b->used] = '\0';
        return;
    }
    if ((size_t)n >= room) mark_cut(b);
    else b->used += (size_t)n;
}

void sy_strbuf_addf(sy_strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sy_strbuf_vaddf(b, fmt, ap);
    va_end(ap);
}
