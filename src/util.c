/* SPDX-License-Identifier: MIT */
/* util.c -- allocation, errors, logging and time.
 *
 * The layer-0 helpers every other module uses. It depends on libc only. The allocation
 * hook (util_fail_alloc_after) lets the chaos test fail the Nth checked allocation and
 * prove that every caller recovers cleanly; it applies to util_try_* only, because the
 * x* family aborts by design. This module keeps one process-wide log level and one
 * allocation counter: they are the only mutable statics in the project, documented
 * here, and both exist for diagnostics and tests only. */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long fail_after = -1; /* checked allocations left before one fails; <0 = never */
static int log_level = 1;    /* see util_set_log_level */

/* ==== errors =========================================================================
 */

/* Resets `err` to "no error". Accepts NULL. */
void err_clear(err_t *err) {
    if (!err)
        return;
    err->msg[0] = '\0';
    err->kind = NULL;
    err->line = 0;
    err->col = 0;
}

/* Fills `err` from a printf-style message; keeps any position already set. NULL is
 * accepted and ignored. The message is truncated to ERR_MSG_MAX - 1 bytes. */
void err_vset(err_t *err, const char *kind, const char *fmt, va_list ap) {
    if (!err)
        return;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    err->kind = kind;
}

/* Fills `err` with class `kind` (a string literal) and a printf-style message. */
void err_set(err_t *err, const char *kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, kind, fmt, ap);
    va_end(ap);
}

/* Like err_set, and records the 1-based line and column of the offending text. */
void err_set_at(err_t *err, int line, int col, const char *kind, const char *fmt, ...) {
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    err_vset(err, kind, fmt, ap);
    va_end(ap);
    err->line = line;
    err->col = col;
}

/* Returns the error class name, "Error" when none was given. */
const char *err_kind(const err_t *err) {
    return err && err->kind ? err->kind : "Error";
}

/* ==== allocation =====================================================================
 */

static void oom(size_t n) {
    fprintf(stderr, "mechviz: out of memory allocating %zu bytes\n", n);
    abort();
}

/* malloc that never returns NULL: aborts on out-of-memory. Caller frees. */
void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

/* calloc that never returns NULL. Caller frees. */
void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

/* realloc that never returns NULL; `p` is no longer valid after the call. */
void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

/* Returns a new copy of `s` (caller frees). */
char *xstrdup(const char *s) {
    return xstrndup(s, strlen(s));
}

/* Returns a new NUL-terminated copy of the first `n` bytes of `s` (caller frees). */
char *xstrndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Returns a newly allocated formatted string (caller frees). */
char *xasprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}

static int should_fail(void) {
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

/* Checked allocation for payloads whose size comes from user input: returns NULL on
 * failure (or when the test hook says so). Caller frees. */
void *util_try_malloc(size_t n) {
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

/* Checked zeroing allocation; NULL on failure or overflow. Caller frees. */
void *util_try_calloc(size_t n, size_t size) {
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

/* Test hook: the checked allocation after the next `n` ones fails, and every one after
 * it too; n < 0 disables the hook. */
void util_fail_alloc_after(long n) {
    fail_after = n;
}

/* Stores a * b in *out; returns -1 (and leaves *out alone) on overflow. */
int util_mul_size(size_t a, size_t b, size_t *out) {
    if (a && b > SIZE_MAX / a)
        return -1;
    *out = a * b;
    return 0;
}

/* Stores a + b in *out; returns -1 on overflow. */
int util_add_size(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a)
        return -1;
    *out = a + b;
    return 0;
}

/* ==== logging ========================================================================
 */

static void vlog(int level, const char *tag, const char *fmt, va_list ap) {
    if (level > log_level)
        return;
    fprintf(stderr, "[mechviz %s] ", tag);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* Sets the verbosity: 0 = errors, 1 = warnings (default), 2 = info. */
void util_set_log_level(int level) {
    log_level = level;
}

/* Logs an informational line to stderr. */
void log_info(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(2, "info", fmt, ap);
    va_end(ap);
}

/* Logs a warning line to stderr. */
void log_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(1, "warn", fmt, ap);
    va_end(ap);
}

/* Logs an error line to stderr. */
void log_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog(0, "error", fmt, ap);
    va_end(ap);
}

/* ==== time and text ==================================================================
 */

/* Returns seconds from an arbitrary fixed point, monotonic. */
double util_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Formats a byte count for humans ("512 B", "1.5 KiB", "12.0 GiB") into `out`. */
void util_format_bytes(uint64_t n, char *out, size_t cap) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        u++;
    }
    if (u == 0)
        snprintf(out, cap, "%llu B", (unsigned long long)n);
    else
        snprintf(out, cap, "%.1f %s", v, units[u]);
}

/* Returns the Levenshtein distance between two strings (bytes); used for "did you
 * mean" suggestions. Strings longer than 255 bytes compare as far apart. */
size_t util_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 255 || lb > 255)
        return (size_t)-1;
    size_t row[256];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* Returns 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int util_utf8_valid(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}
