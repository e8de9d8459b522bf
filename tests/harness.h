#pragma once

// A tiny test harness: CHECK* record failures with file:line and keep going; each test file's
// main() runs its cases with RUN() and ends with TEST_SUMMARY().

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "switchyard/switchyard.h"

static int sy_test_failures_ __attribute__((unused)) = 0;
static int sy_test_checks_ __attribute__((unused)) = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        sy_test_checks_++;                                                                         \
        if (!(cond)) {                                                                             \
            sy_test_failures_++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);              \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        sy_test_checks_++;                                                                         \
        if (!(cond)) {                                                                             \
            sy_test_failures_++;                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/// Expects SY_OK; prints the library's last error otherwise.
#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        sy_status s_ = (expr);                                                                     \
        CHECK_MSG(s_ == SY_OK, "%s: %s", sy_status_name(s_), sy_last_error());                     \
    } while (0)

/// Expects a given failure status and that the message contains `needle`.
#define CHECK_FAILS(expr, status, needle)                                                          \
    do {                                                                                           \
        sy_status s_ = (expr);                                                                     \
        CHECK_MSG(s_ == (status), "got %s (%s), expected %s", sy_status_name(s_), sy_last_error(), \
                  sy_status_name(status));                                                         \
        CHECK_MSG(strstr(sy_last_error(), (needle)) != NULL, "message '%s' lacks '%s'",            \
                  sy_last_error(), (needle));                                                      \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        CHECK_MSG(fabs(a_ - b_) <= (tol), "%.9g vs %.9g (tol %g)", a_, b_, (double)(tol));         \
    } while (0)

/// Compares n floats elementwise with an absolute + relative tolerance.
static inline int sy_test_allclose(const float *a, const float *b, long n, float atol, float rtol,
                                   const char *what) {
    for (long i = 0; i < n; i++) {
        if (!(fabsf(a[i] - b[i]) <= atol + rtol * fabsf(b[i]))) {
            fprintf(stderr, "  %s: element %ld: %.9g vs %.9g\n", what, i, a[i], b[i]);
            return 0;
        }
    }
    return 1;
}
#define CHECK_ALLCLOSE(a, b, n, atol, rtol) CHECK(sy_test_allclose((a), (b), (n), (atol), (rtol), #a " vs " #b))

#define RUN(test)                                                                                  \
    do {                                                                                           \
        int before_ = sy_test_failures_;                                                           \
        test();                                                                                    \
        fprintf(stderr, "%s %s\n", sy_test_failures_ == before_ ? "ok  " : "FAIL", #test);          \
    } while (0)

#define TEST_SUMMARY()                                                                             \
    (fprintf(stderr, "%d checks, %d failed\n", sy_test_checks_, sy_test_failures_),               \
     sy_test_failures_ == 0 ? 0 : 1)
