// TEMPORARY stand-in until llm/ brings the real sy_tokenizer_json_from_gguf: the lead deletes
// this file when merging. Until then `switchyard convert` warns "tokenizer not converted".

#include "core/status.h"
#include "llm/tokenizer_gguf.h"

sy_status sy_tokenizer_json_from_gguf(const sy_gguf_tokenizer_desc *desc, char **json_out, size_t *len_out) {
    (void)desc;
    (void)json_out;
    (void)len_out;
    return sy_error_set(SY_ERR_UNSUPPORTED, "tokenizer.json from GGUF is not built into this library");
}
