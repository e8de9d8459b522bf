// Helpers shared by every kernel. Included after `#version`; defines nothing that needs a
// binding, so including it costs a shader nothing it does not use.
#ifndef SY_VK_COMMON_GLSL
#define SY_VK_COMMON_GLSL

#include "codes.h"

// 1-D launches fold their workgroups over x and y (x at most the device's
// maxComputeWorkGroupCount[0], whose minimum is 65535): this is the linear workgroup index.
uint sy_flat_group() {
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

// Linear invocation index of a 1-D kernel with local_size_x = SY_VK_WG.
uint sy_global_index() {
    return sy_flat_group() * uint(SY_VK_WG) + gl_LocalInvocationID.x;
}

// A large finite stand-in for -infinity: Vulkan does not promise IEEE infinities in every
// instruction, and exp(SY_NEG_BIG - m) is exactly 0 for any finite m we meet.
const float SY_NEG_BIG = -1.0e30;

// Reduces an angle to [-pi, pi] (Cody-Waite, two-part 2*pi) before sin/cos: Vulkan only bounds
// the error of sin/cos inside that range, and rope angles grow with the position.
float sy_reduce_angle(float a) {
    float k = floor(a * 0.15915494309189535 + 0.5);
    float r = a - k * 6.28125;            // high part of 2*pi, exact in a few bits
    r = r - k * 0.0019353071795864769;    // low part: 2*pi - 6.28125
    return r;
}

float sy_tanh(float x) {
    // tanh via exp(-2|x|): never forms inf/inf for large |x|.
    // Below 2^-12, tanh(x) = x in f32 (and 1 - exp(-2|x|) would cancel): keeps -0 and tiny x.
    if (abs(x) < 0.000244140625) return x;
    float t = exp(-2.0 * abs(x));
    float r = (1.0 - t) / (1.0 + t);
    return x < 0.0 ? -r : r;
}

float sy_sigmoid(float x) {
    // Branch so that exp never overflows.
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    float e = exp(x);
    return e / (1.0 + e);
}

// erf with absolute error below 1.2e-7 (W. J. Cody's rational approximations are overkill
// here; this is Numerical Recipes' erfc Chebyshev fit, accurate everywhere).
float sy_erf(float x) {
    float z = abs(x);
    float t = 1.0 / (1.0 + 0.5 * z);
    float r = t * exp(-z * z - 1.26551223 +
              t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
              t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 +
              t * 0.17087277)))))))));
    float e = 1.0 - r;
    return x < 0.0 ? -e : e;
}

#endif
