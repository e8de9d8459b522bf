#version 450
// Matrix-vector product (M == 1) with q8_0 weights (gemv_q.glsl).
#include "codes.h"
#define SY_QTYPE SY_VK_Q8_0
#include "gemv_q.glsl"
