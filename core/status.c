#include "core/status.h"

#include <stdio.h>
#include <string.h>

#define SY_ERROR_MAX 1024

static _Thread_local char last_error[SY_ERROR_MAX];

static sy_log_fn log_fn;
static void *log_user;
static sy_log_level log_min = SY_LOG_WARN;

const char *sy_status_name(sy_status status) {
    switch (status) {
    case SY_OK: return "SY_OK";
    case SY_ERR_INVALID_ARGUMENT: return "SY_ERR_INVALID_ARGUMENT";
    case SY_ERR_OUT_OF_MEMORY: return "SY_ERR_OUT_OF_MEMORY";
    case SY_ERR_IO: return "SY_ERR_IO";
    case SY_ERR_FORMAT: return "SY_ERR_FORMAT";
    case SY_ERR_UNSUPPORTED: return "SY_ERR_UNSUPPORTED";
    case SY_ERR_NOT_FOUND: return "SY_ERR_NOT_FOUND";
    case SY_ERR_SHAPE: return "SY_ERR_SHAPE";
    case SY_ERR_DTYPE: return "SY_ERR_DTYPE";
    case SY_ERR_OUT_OF_RANGE: return "SY_ERR_OUT_OF_RANGE";
    case SY_ERR_UNAVAILABLE: return "SY_ERR_UNAVAILABLE";
    case SY_ERR_DELEGATE: return "SY_ERR_DELEGATE";
    case SY_ERR_ABI: return "SY_ERR_ABI";
    case SY_ERR_CONFIG: return "SY_ERR_CONFIG";
    case SY_ERR_DEVICE: return "SY_ERR_DEVICE";
    case SY_ERR_INTERNAL: return "SY_ERR_INTERNAL";
    }
    return "SY_ERR_UNKNOWN";
}

const char *sy_last_error(void) { return last_error; }

void sy_error_clear(void) { last_error[0] = '\0'; }

sy_status sy_error_setv(sy_status status, const char *fmt, va_list ap) {
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    return status;
}

sy_status sy_error_set(sy_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sy_error_setv(status, fmt, ap);
    va_end(ap);
    return status;
}

sy_status sy_error_prefix(sy_status status, const char *fmt, ...) {
    char prefix[SY_ERROR_MAX], old[SY_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
    return status;
}

void sy_set_log_callback(sy_log_fn fn, void *user, sy_log_level min_level) {
    log_fn = fn;
    log_user = user;
    log_min = min_level;
}

void sy_logv(sy_log_level level, const char *fmt, va_list ap) {
    if (!log_fn || level < log_min) return;
    char msg[SY_ERROR_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    log_fn(log_user, level, msg);
}

void sy_log(sy_log_level level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sy_logv(level, fmt, ap);
    va_end(ap);
}
