#version 450
// Tiled matrix product (M > 1) with q4_1 weights (matmul_q.glsl).
#include "codes.h"
#define SY_QTYPE SY_VK_Q4_1
#include "matmul_q.glsl"
