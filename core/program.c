// Programs: loading a .syp file (mapped read-only, constants used in place), loading bytes from
// memory, turning a graph into a program, and saving a graph as a file.

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/program.h"
#include "core/status.h"

// Zero bytes kept readable past a loaded file's end (delegates may read SY_READ_PADDING bytes
// past a constant). The fuzz build sets it to 0 so that ASan sees any read past the file.
#ifndef SY_LOAD_PADDING
#define SY_LOAD_PADDING SY_READ_PADDING
#endif

// Allocates an empty program labelled `origin`.
static sy_status program_new(const char *origin, sy_program **out) {
    sy_program *p = sy_calloc(1, sizeof *p);
    char *label = sy_strdup(origin);
    if (!p || !label) {
        sy_free(p);
        sy_free(label);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "%s: out of memory creating a program", origin);
    }
    p->origin = label;
    *out = p;
    return SY_OK;
}

// Parses the bytes already attached to `p`; destroys `p` on failure.
static sy_status program_finish(sy_program *p, sy_program **program_out) {
    sy_status st = sy_format_parse(p, p->base, p->size);
    if (st != SY_OK) {
        sy_program_destroy(p);
        return st;
    }
    *program_out = p;
    return SY_OK;
}

sy_status sy_program_load(const char *path, sy_program **program_out) {
    SY_CHECK(path && program_out, SY_ERR_INVALID_ARGUMENT, "sy_program_load: path or program_out is NULL");
    // O_NONBLOCK: opening a FIFO (refused below as not a regular file) must not wait for a writer.
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    SY_CHECK(fd >= 0, SY_ERR_IO, "cannot open program '%s': %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return sy_error_set(SY_ERR_IO, "cannot stat program '%s': %s", path, strerror(err));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return sy_error_set(SY_ERR_IO, "cannot load program '%s': not a regular file", path);
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return sy_error_set(SY_ERR_IO, "cannot load program '%s': %lld bytes do not fit in memory", path,
                            (long long)sb.st_size);
    }
    size_t size = (size_t)sb.st_size;
    void *base = NULL;
    // mmap refuses length 0; an empty file is left to the parser, which rejects it with a message.
    // One zero page follows the file's pages, so SY_READ_PADDING bytes past the last constant
    // are readable even when the file ends exactly on a page boundary.
    size_t page = (size_t)sysconf(_SC_PAGESIZE), map_bytes = 0;
    if (size > 0) {
        map_bytes = (size + page - 1) / page * page + (SY_LOAD_PADDING ? page : 0);
        void *area = mmap(NULL, map_bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        base = area == MAP_FAILED ? MAP_FAILED : mmap(area, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
        if (base == MAP_FAILED && area != MAP_FAILED) munmap(area, map_bytes);
        if (base == MAP_FAILED) {
            int err = errno;
            close(fd);
            return sy_error_set(SY_ERR_IO, "cannot map program '%s' (%zu bytes): %s", path, size,
                                strerror(err));
        }
    }
    close(fd); // the mapping stays valid without the descriptor

    sy_program *p = NULL;
    sy_status st = program_new(path, &p);
    if (st != SY_OK) {
        if (base) munmap(base, map_bytes);
        return st;
    }
    p->base = base;
    p->size = size;
    p->mapped = base != NULL;
    p->map_bytes = map_bytes;
    return program_finish(p, program_out);
}

sy_status sy_program_load_memory(const void *bytes, size_t size, const char *origin,
                                 sy_program **program_out) {
    SY_CHECK((bytes || size == 0) && program_out, SY_ERR_INVALID_ARGUMENT,
             "sy_program_load_memory: bytes or program_out is NULL");
    if (!origin) origin = "<memory>";
    sy_program *p = NULL;
    SY_TRY(program_new(origin, &p));
    // 64-byte aligned like a mapped file, so constants keep their alignment guarantee.
    size_t padded = size + SY_LOAD_PADDING;
    void *copy = sy_aligned_alloc(padded ? padded : 1, 64);
    if (!copy) {
        sy_program_destroy(p);
        return sy_error_set(SY_ERR_OUT_OF_MEMORY, "%s: out of memory copying %zu program bytes", origin,
                            size);
    }
    if (size) memcpy(copy, bytes, size);
    memset((char *)copy + size, 0, SY_LOAD_PADDING);
    p->base = copy;
    p->size = size;
    p->mapped = 0;
    return program_finish(p, program_out);
}

/// Checks a builder graph (serialising reads its ids) and writes it as program-file bytes.
static sy_status serialize_graph(const sy_graph *graph, uint8_t **bytes, size_t *size) {
    const sy_graph_view *view = sy_graph_get_view(graph);
    SY_TRY(sy_graph_check(view, "graph"));
    sy_metadata meta = sy_graph_get_metadata(graph);
    return sy_format_serialize(view, &meta, bytes, size);
}

sy_status sy_program_from_graph(const sy_graph *graph, sy_program **program_out) {
    SY_CHECK(graph && program_out, SY_ERR_INVALID_ARGUMENT,
             "sy_program_from_graph: graph or program_out is NULL");
    uint8_t *bytes = NULL;
    size_t size = 0;
    SY_TRY(serialize_graph(graph, &bytes, &size));
    sy_program *p = NULL;
    sy_status st = program_new("graph", &p);
    if (st != SY_OK) {
        sy_free(bytes);
        return st;
    }
    p->base = bytes; // owned from here on: freed by sy_program_destroy
    p->size = size;
    p->mapped = 0;
    return program_finish(p, program_out);
}

void sy_program_destroy(sy_program *program) {
    if (!program) return;
    sy_free(program->values);
    sy_free(program->nodes);
    sy_free(program->symbols);
    sy_free(program->ids);
    sy_free(program->attrs);
    sy_free(program->ints);
    sy_free(program->meta_keys);
    sy_free(program->meta_values);
    if (program->mapped) munmap((void *)program->base, program->map_bytes);
    else sy_free((void *)program->base);
    sy_free(program->origin);
    sy_free(program);
}

const sy_graph_view *sy_program_get_graph(const sy_program *program) {
    return program ? &program->view : NULL;
}

const char *sy_program_get_metadata(const sy_program *program, const char *key) {
    if (!program || !key) return NULL;
    for (uint32_t i = 0; i < program->n_meta; i++)
        if (strcmp(program->meta_keys[i], key) == 0) return program->meta_values[i];
    return NULL;
}

uint32_t sy_program_n_metadata(const sy_program *program) { return program ? program->n_meta : 0; }

void sy_program_get_metadata_at(const sy_program *program, uint32_t i, const char **key,
                                const char **value) {
    int ok = program && i < program->n_meta;
    if (key) *key = ok ? program->meta_keys[i] : NULL;
    if (value) *value = ok ? program->meta_values[i] : NULL;
}

// --- saving ---

// Writes all of buf to fd, retrying short writes and interruptions.
static int write_all(int fd, const uint8_t *buf, size_t size) {
    while (size > 0) {
        ssize_t n = write(fd, buf, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        size -= (size_t)n;
    }
    return 0;
}

// Writes bytes to a fresh temporary file next to `path`, then renames it over `path`: readers
// see the old file or the whole new one, and a failed save leaves no half-written program.
static sy_status write_file_atomic(const char *path, const uint8_t *bytes, size_t size) {
    size_t tmp_len = strlen(path) + 48;
    char *tmp = sy_malloc(tmp_len);
    SY_CHECK(tmp, SY_ERR_OUT_OF_MEMORY, "cannot save program '%s': out of memory", path);
    static _Atomic unsigned counter; // distinguishes saves of one process; O_EXCL resolves any race
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        snprintf(tmp, tmp_len, "%s.tmp.%ld.%u", path, (long)getpid(), counter++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        sy_status st = sy_error_set(SY_ERR_IO, "cannot save program '%s': cannot create '%s': %s", path,
                                    tmp, strerror(errno));
        sy_free(tmp);
        return st;
    }
    const char *step = NULL;
    int err = 0;
    if (write_all(fd, bytes, size) != 0) step = "cannot write";
    else if (fsync(fd) != 0) step = "cannot flush";
    if (step) err = errno;
    if (close(fd) != 0 && !step) {
        step = "cannot close";
        err = errno;
    }
    if (!step && rename(tmp, path) != 0) {
        step = "cannot rename into place";
        err = errno;
    }
    if (step) {
        unlink(tmp);
        sy_free(tmp);
        return sy_error_set(SY_ERR_IO, "cannot save program '%s' (%zu bytes): %s: %s", path, size, step,
                            strerror(err));
    }
    sy_free(tmp);
    return SY_OK;
}

sy_status sy_graph_save(const sy_graph *graph, const char *path) {
    SY_CHECK(graph && path && path[0], SY_ERR_INVALID_ARGUMENT, "sy_graph_save: graph or path is NULL");
    uint8_t *bytes = NULL;
    size_t size = 0;
    SY_TRY(serialize_graph(graph, &bytes, &size));
    sy_status st = write_file_atomic(path, bytes, size);
    sy_free(bytes);
    return st;
}
