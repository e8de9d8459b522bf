#version 450
// Embedding lookup with q4_1 weights (embedding_q.glsl).
#include "codes.h"
#define SY_QTYPE SY_VK_Q4_1
#include "embedding_q.glsl"
