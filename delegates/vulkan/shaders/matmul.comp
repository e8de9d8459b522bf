#version 450
// Tiled matrix product for M > SY_VK_MM_SMALL_M: 64 x 64 output tiles (mm_tile.glsl).
#include "codes.h"
#define MM_TM SY_VK_MM_TM
#define MM_TN SY_VK_MM_TN
#define MM_BK SY_VK_MM_BK
#include "mm_tile.glsl"
