#pragma once

// Errors and logging inside the library. Every failure records a message (thread-local) that
// sy_last_error() returns; SY_CHECK and SY_TRY keep the error paths one line each.

#include <stdarg.h>

#include "switchyard/switchyard.h"

/// Records `status` with a formatted message as this thread's last error; returns `status`.
sy_status sy_error_set(sy_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
sy_status sy_error_setv(sy_status status, const char *fmt, va_list ap);
/// Prepends "prefix: " to this thread's last error message; returns `status`.
sy_status sy_error_prefix(sy_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/// Clears this thread's last error.
void sy_error_clear(void);

/// Logs through the user's callback (sy_set_log_callback).
void sy_log(sy_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sy_logv(sy_log_level level, const char *fmt, va_list ap);

/// Propagates a failing status.
#define SY_TRY(expr)                                                                               \
    do {                                                                                           \
        sy_status sy_try_status_ = (expr);                                                         \
        if (sy_try_status_ != SY_OK) return sy_try_status_;                                        \
    } while (0)

/// Fails with `status` and a formatted message when `cond` is false (logs file:line at debug).
#define SY_CHECK(cond, status, ...)                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            sy_log(SY_LOG_DEBUG, "%s:%d: check failed: %s", __FILE__, __LINE__, #cond);           \
            return sy_error_set((status), __VA_ARGS__);                                            \
        }                                                                                          \
    } while (0)
