/* SPDX-License-Identifier: MIT */
/* buf.c -- growable byte buffer.
 *
 * One small type used wherever bytes accumulate: PNG streams from cairo, text printed
 * by a command, files assembled before an atomic write. The contents are always
 * NUL-terminated (the terminator is not counted in len) so text can be used directly.
 * Growth aborts on out-of-memory like every bookkeeping allocation (see util.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Makes `b` an empty buffer that owns nothing. */
void buf_init(buf_t *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Frees the contents; `b` is empty afterwards and may be reused. Accepts NULL. */
void buf_fini(buf_t *b) {
    if (!b)
        return;
    free(b->data);
    buf_init(b);
}

/* Empties the buffer but keeps its allocation. */
void buf_reset(buf_t *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

/* Ensures room for `extra` more bytes plus the terminator. */
void buf_reserve(buf_t *b, size_t extra) {
    size_t need;
    if (util_add_size(b->len, extra, &need) < 0 || util_add_size(need, 1, &need) < 0) {
        log_error("buffer size overflow");
        abort();
    }
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

/* Appends `len` bytes. */
void buf_append(buf_t *b, const void *data, size_t len) {
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

/* Appends a NUL-terminated string (without its terminator). */
void buf_puts(buf_t *b, const char *s) {
    buf_append(b, s, strlen(s));
}

/* Appends one byte. */
void buf_putc(buf_t *b, char c) {
    buf_append(b, &c, 1);
}

/* Appends printf-style formatted text. */
void buf_printf(buf_t *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

/* Returns the contents, NUL-terminated, and stores the length in *len (if non-NULL).
 * The caller owns the returned pointer; `b` is empty afterwards. Never NULL. */
char *buf_take(buf_t *b, size_t *len) {
    if (!b->data)
        buf_reserve(b, 0), b->data[0] = '\0';
    char *p = b->data;
    if (len)
        *len = b->len;
    buf_init(b);
    return p;
}

/* Returns the contents as a string ("" when empty); borrowed until the next change. */
const char *buf_str(const buf_t *b) {
    return b->data ? b->data : "";
}
