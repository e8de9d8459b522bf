// Out-of-line element accessors for kernels that do not include ops/common.h (the inline
// versions there are the ones hot loops use).

#include "delegates/portable/ops/common.h"

float sy_load_f(const sy_tensor *t, int64_t i) { return sy_load_f_inline(t, i); }

void sy_store_f(sy_tensor *t, int64_t i, float v) { sy_store_f_inline(t, i, v); }

int64_t sy_load_i(const sy_tensor *t, int64_t i) { return sy_load_i_inline(t, i); }
