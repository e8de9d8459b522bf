#pragma once

// NumPy .npy files (format versions 1.0 to 3.0), little-endian, C order.

#include "switchyard/switchyard.h"

/// Reads `path` into *out (data malloc'd; free with free()). Errors name the file and the field.
sy_status sy_npy_read(const char *path, sy_tensor *out);
/// Parses .npy bytes (size bytes; no terminator needed) into *out (data malloc'd; free with
/// free()); `path` names the origin in messages. The data must fill the file exactly.
sy_status sy_npy_parse(const void *bytes, size_t size, const char *path, sy_tensor *out);
/// Writes a tensor as a version 1.0 .npy file.
sy_status sy_npy_write(const char *path, const sy_tensor *t);
