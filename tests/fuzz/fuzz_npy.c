// Fuzz target: the .npy reader (tools/npy.c) on arbitrary bytes.

#include <stdint.h>
#include <stdlib.h>

#include "tools/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    sy_tensor t;
    if (sy_npy_parse(data, size, "fuzz.npy", &t) == SY_OK) {
        // The tensor it returns is whole: every byte its shape promises is readable.
        size_t n = sy_tensor_nbytes(&t);
        volatile uint8_t sink = 0;
        for (size_t i = 0; i < n; i++) sink ^= ((const uint8_t *)t.data)[i];
        (void)sink;
        free(t.data);
    }
    return 0;
}
