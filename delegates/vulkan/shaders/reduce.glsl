// Workgroup-wide reductions over SY_VK_WG threads through shared memory (no subgroup features
// needed). Every thread of the workgroup must call them (they contain barriers).
#ifndef SY_VK_REDUCE_GLSL
#define SY_VK_REDUCE_GLSL

shared float sy_red[SY_VK_WG];

float sy_reduce_sum(float v) {
    uint t = gl_LocalInvocationID.x;
    sy_red[t] = v;
    barrier();
    for (uint s = uint(SY_VK_WG) / 2u; s > 0u; s >>= 1u) {
        if (t < s) sy_red[t] += sy_red[t + s];
        barrier();
    }
    float r = sy_red[0];
    barrier(); // sy_red is reused by the next call
    return r;
}

float sy_reduce_max(float v) {
    uint t = gl_LocalInvocationID.x;
    sy_red[t] = v;
    barrier();
    for (uint s = uint(SY_VK_WG) / 2u; s > 0u; s >>= 1u) {
        if (t < s) sy_red[t] = max(sy_red[t], sy_red[t + s]);
        barrier();
    }
    float r = sy_red[0];
    barrier();
    return r;
}

#endif
