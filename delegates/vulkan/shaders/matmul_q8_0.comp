#version 450
// Tiled matrix product (M > 1) with q8_0 weights (matmul_q.glsl).
#include "codes.h"
#define SY_QTYPE SY_VK_Q8_0
#include "matmul_q.glsl"
