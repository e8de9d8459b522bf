#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "switchyard/switchyard.h"

static void *default_alloc(void *user, size_t size, size_t align) {
    (void)user;
    void *p = NULL;
    if (align < sizeof(void *)) align = sizeof(void *);
    if (posix_memalign(&p, align, size ? size : 1) != 0) return NULL;
    return p;
}

static void default_free(void *user, void *ptr) {
    (void)user;
    free(ptr);
}

static sy_allocator current = {default_alloc, default_free, NULL};

void sy_set_allocator(const sy_allocator *allocator) {
    if (allocator) {
        current = *allocator;
    } else {
        current.alloc = default_alloc;
        current.free = default_free;
        current.user = NULL;
    }
}

void *sy_aligned_alloc(size_t size, size_t align) { return current.alloc(current.user, size, align); }

void *sy_malloc(size_t size) { return sy_aligned_alloc(size, 16); }

void *sy_calloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    void *p = sy_malloc(count * size);
    if (p) memset(p, 0, count * size);
    return p;
}

void *sy_realloc(void *ptr, size_t old_size, size_t new_size) {
    void *p = sy_malloc(new_size);
    if (!p) return NULL;
    if (ptr) memcpy(p, ptr, old_size < new_size ? old_size : new_size);
    sy_free(ptr);
    return p;
}

void sy_free(void *ptr) {
    if (ptr) current.free(current.user, ptr);
}

char *sy_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = sy_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}
