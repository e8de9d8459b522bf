#pragma once

// A reader of GGUF files (versions 2 and 3), the checkpoint format of llama.cpp.
//
// sy_gguf_open maps the file and validates all of it before returning: the header, every
// metadata key/value (all value types, nested arrays), every tensor info, the alignment and
// every tensor's data range against the file size (overflow-safe), and that no two tensors
// overlap. Afterwards every accessor reads only validated bytes. Keys and tensor names are
// NUL-terminated copies; tensor data and array payloads are borrowed from the mapping.
//
// Layout (little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv; n_kv times
// {string key, u32 type, value}; n_tensors times {string name, u32 n_dims, u64 ne[n_dims],
// u32 ggml type, u64 offset}; padding to general.alignment (default 32); the data section.
// A string is u64 length + bytes; an array is u32 element type + u64 count + elements.

#include <stddef.h>
#include <stdint.h>

#include "switchyard/switchyard.h"

#define SY_GGUF_MAX_DIMS 4
#define SY_GGUF_MAX_ARRAY_DEPTH 8 // arrays of arrays deeper than this are refused

typedef enum sy_gguf_type {
    SY_GGUF_UINT8 = 0,
    SY_GGUF_INT8 = 1,
    SY_GGUF_UINT16 = 2,
    SY_GGUF_INT16 = 3,
    SY_GGUF_UINT32 = 4,
    SY_GGUF_INT32 = 5,
    SY_GGUF_FLOAT32 = 6,
    SY_GGUF_BOOL = 7,
    SY_GGUF_STRING = 8,
    SY_GGUF_ARRAY = 9,
    SY_GGUF_UINT64 = 10,
    SY_GGUF_INT64 = 11,
    SY_GGUF_FLOAT64 = 12,
} sy_gguf_type;

// The ggml tensor types this code names (the reader knows the sizes of all of ggml's types).
#define SY_GGML_F32 0
#define SY_GGML_F16 1
#define SY_GGML_Q4_0 2
#define SY_GGML_Q4_1 3
#define SY_GGML_Q8_0 8
#define SY_GGML_BF16 30

/// A metadata value. Scalars are decoded; strings and arrays point into the mapping.
typedef struct sy_gguf_value {
    sy_gguf_type type;
    union {
        uint64_t u; // UINT8/16/32/64, BOOL
        int64_t i;  // INT8/16/32/64
        double f;   // FLOAT32/64
    } num;
    const char *str; // STRING: bytes (not NUL-terminated), str_len of them
    uint64_t str_len;
    sy_gguf_type elem_type; // ARRAY: element type, count and first element's bytes
    uint64_t n_elems;
    const uint8_t *elems;
    uint64_t elems_bytes; // ARRAY: bytes of all elements
} sy_gguf_value;

typedef struct sy_gguf_kv {
    char *key; // owned, NUL-terminated
    sy_gguf_value value;
} sy_gguf_kv;

typedef struct sy_gguf_tensor {
    char *name; // owned, NUL-terminated
    uint32_t n_dims;
    int64_t ne[SY_GGUF_MAX_DIMS]; // ggml order: ne[0] is the contiguous (row) dim; unused = 1
    uint32_t type;                // ggml type id
    uint64_t offset;              // from the start of the data section
    size_t nbytes;
    const void *data; // borrowed from the mapping
} sy_gguf_tensor;

typedef struct sy_gguf_file {
    char *origin; // the path or the caller's name, for messages
    uint32_t version;
    uint32_t alignment;
    uint64_t n_kv, n_tensors;
    sy_gguf_kv *kv;
    sy_gguf_tensor *tensors;
    const uint8_t *base; // the whole file
    size_t size;
    size_t data_offset; // start of the data section
    void *map;          // non-NULL when mapped by sy_gguf_open
    size_t map_size;
} sy_gguf_file;

/// Maps and validates a GGUF file. Destroy with sy_gguf_close. Returns SY_ERR_IO (open, map),
/// SY_ERR_FORMAT (malformed, with what and where), SY_ERR_UNSUPPORTED (version), SY_ERR_OUT_OF_MEMORY.
sy_status sy_gguf_open(const char *path, sy_gguf_file **file_out);
/// Validates GGUF bytes in memory; they are borrowed and must outlive the file object.
sy_status sy_gguf_open_memory(const void *bytes, size_t size, const char *origin, sy_gguf_file **file_out);
/// Unmaps and frees; accepts NULL.
void sy_gguf_close(sy_gguf_file *file);

/// Static name of a value type ("uint32"); "invalid" for unknown values.
const char *sy_gguf_type_name(uint32_t type);
/// Static name of a ggml tensor type ("q4_1"); NULL when the reader does not know it.
const char *sy_ggml_type_name(uint32_t type);

/// The value of `key`, or NULL (borrowed from the file object).
const sy_gguf_value *sy_gguf_find(const sy_gguf_file *file, const char *key);
/// An integer value of any integer type (or bool) that fits int64. SY_ERR_NOT_FOUND when missing
/// (message names the key), SY_ERR_FORMAT when of another type or out of range.
sy_status sy_gguf_get_int(const sy_gguf_file *file, const char *key, int64_t *value_out);
/// A float32/float64 value (integers are accepted too). Errors as sy_gguf_get_int.
sy_status sy_gguf_get_float(const sy_gguf_file *file, const char *key, double *value_out);
/// A string value as a sy_malloc'd NUL-terminated copy (free with sy_free). Errors as above;
/// SY_ERR_FORMAT when the string holds a NUL byte.
sy_status sy_gguf_get_string(const sy_gguf_file *file, const char *key, char **value_out);
/// Element i of an array value (strings and nested arrays walk the array). SY_ERR_OUT_OF_RANGE.
sy_status sy_gguf_array_get(const sy_gguf_value *array, uint64_t i, sy_gguf_value *value_out);
/// Copies an array of strings into one sy_malloc'd block: *strings_out[i] are NUL-terminated
/// (free the block with sy_free(*strings_out)). SY_ERR_FORMAT when not an array of strings.
sy_status sy_gguf_array_strings(const sy_gguf_value *array, const char *what, char ***strings_out);

/// The tensor named `name`, or NULL.
const sy_gguf_tensor *sy_gguf_find_tensor(const sy_gguf_file *file, const char *name);
