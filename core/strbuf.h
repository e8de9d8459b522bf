#pragma once

// A bounded string builder for messages: appends never write past the buffer, whatever the
// lengths of the pieces (names read from a file can be long). A message that does not fit ends
// in "..." so the reader sees it was cut. Every piece of message code that joins several
// snprintf results goes through this instead of adding snprintf return values by hand.

#include <stdarg.h>
#include <stddef.h>

typedef struct sy_strbuf {
    char *buf;   // caller-owned storage of `size` bytes, always NUL-terminated
    size_t size; // > 0
    size_t used; // strlen(buf); < size
    int cut;     // 1 once an append did not fit
} sy_strbuf;

/// Starts an empty string in the caller's buffer `buf` of `size` bytes (size may be 0: nothing
/// is ever written then).
void sy_strbuf_init(sy_strbuf *b, char *buf, size_t size);
/// Appends printf-style text, cutting it (and marking the end "...") when the buffer is full.
void sy_strbuf_addf(sy_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/// The va_list form of sy_strbuf_addf.
void sy_strbuf_vaddf(sy_strbuf *b, const char *fmt, va_list ap);
