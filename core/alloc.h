#pragma once

// Every allocation of the library goes through these, so a test can swap in a counting
// allocator (sy_set_allocator) and prove that execute allocates nothing.

#include <stddef.h>

void *sy_malloc(size_t size);                    // 16-byte aligned; NULL on failure
void *sy_calloc(size_t count, size_t size);      // zeroed; NULL on overflow or failure
void *sy_aligned_alloc(size_t size, size_t align); // align: power of two
void *sy_realloc(void *ptr, size_t old_size, size_t new_size); // keeps min(old,new) bytes
void sy_free(void *ptr);                         // accepts NULL
char *sy_strdup(const char *s);                  // NULL on failure or NULL input
