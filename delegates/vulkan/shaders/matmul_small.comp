#version 450
// Tiled matrix product for 1 < M <= SY_VK_MM_SMALL_M (short prefills): 16 x 64 output tiles,
// so a 16-row product does not compute three quarters of a 64-row tile for nothing.
#include "codes.h"
#define MM_TM SY_VK_MM_SMALL_TM
#define MM_TN SY_VK_MM_TN
#define MM_BK SY_VK_MM_SMALL_BK
#include "mm_tile.glsl"
