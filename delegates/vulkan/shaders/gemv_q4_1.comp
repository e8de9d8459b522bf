#version 450
// Matrix-vector product (M == 1) with q4_1 weights (gemv_q.glsl).
#include "codes.h"
#define SY_QTYPE SY_VK_Q4_1
#include "gemv_q.glsl"
