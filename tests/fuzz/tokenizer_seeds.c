// Writes a seed corpus for fuzz_tokenizer into DIR: small byte-level BPE and SentencePiece-style
// tokenizer.json documents (the component kinds llm/README.md lists), each followed by a NUL and
// a text with ASCII, whitespace runs, digits, a special token and multi-byte UTF-8.
//
//   tokenizer_seeds DIR

#include <stdio.h>
#include <string.h>

static const char *const docs[] = {
    // byte-level BPE with a Split regex, ByteLevel decoder, one special token
    "{\"added_tokens\":[{\"id\":7,\"content\":\"<|end|>\",\"special\":true,\"normalized\":false}],"
    "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":["
    "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"\\\\p{L}+|\\\\p{N}{1,3}| ?[^\\\\s\\\\p{L}\\\\p{N}]+|\\\\s+\"},"
    "\"behavior\":\"Isolated\",\"invert\":false},"
    "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},"
    "\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\"},"
    "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"\xc4\xa0\":3,\"ab\":4,\"abc\":5,"
    "\"\xc4\xa0" "a\":6},\"merges\":[\"a b\",\"ab c\",\"\xc4\xa0 a\"]}}",
    // SentencePiece-style BPE: Metaspace, byte fallback, unk, Replace/ByteFallback/Fuse decoder
    "{\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
    "{\"id\":1,\"content\":\"<s>\",\"special\":true}],\"normalizer\":null,"
    "\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"\xe2\x96\x81\",\"prepend_scheme\":\"first\","
    "\"split\":false},\"post_processor\":null,"
    "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\xe2\x96\x81\"},"
    "\"content\":\" \"},{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"}]},"
    "\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"unk_token\":\"<unk>\",\"vocab\":{\"<unk>\":0,\"<s>\":1,"
    "\"<0x41>\":2,\"<0xC3>\":3,\"<0xA9>\":4,\"\xe2\x96\x81\":5,\"h\":6,\"i\":7,\"\xe2\x96\x81h\":8,"
    "\"\xe2\x96\x81hi\":9},\"merges\":[[\"\xe2\x96\x81\",\"h\"],[\"\xe2\x96\x81h\",\"i\"]]}}",
};

static const char text[] = "hi abc  12345 <|end|> A\xc3\xa9\t\xe4\xb8\xad\xf0\x9f\x98\x80 x";

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tokenizer_seeds DIR\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/doc%zu", argv[1], i);
        FILE *f = fopen(path, "wb");
        int ok = f && fwrite(docs[i], 1, strlen(docs[i]) + 1, f) == strlen(docs[i]) + 1 &&
                 fwrite(text, 1, sizeof text - 1, f) == sizeof text - 1;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) {
            fprintf(stderr, "tokenizer_seeds: cannot write %s\n", path);
            return 1;
        }
    }
    return 0;
}
