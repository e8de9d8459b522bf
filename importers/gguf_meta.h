#pragma once

// Tokenizer metadata of a GGUF file carried into a program's metadata (importers/gguf_meta.c).

#include "importers/gguf.h"

/// Sets tokenizer.* metadata on the graph from the file's tokenizer.* keys: chat template,
/// special ids, model/pre names, and tokenizer.json built by sy_tokenizer_json_from_gguf. When
/// that builder answers SY_ERR_UNSUPPORTED the JSON is skipped with a warning (sy_log and
/// `warn`, which may be NULL). Returns SY_ERR_FORMAT for malformed tokenizer keys.
sy_status sy_gguf_set_tokenizer_metadata(const sy_gguf_file *file, sy_graph *graph,
                                         void (*warn)(void *user, const char *message), void *user);
