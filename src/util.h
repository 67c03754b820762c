/* SPDX-License-Identifier: MIT */
/* util.h -- allocation, errors, logging and time: the foundation every module uses.
 *
 * The error convention of the whole project, written down once:
 *
 *   - A function returning `int` returns 0 on success and a negative value on failure.
 *   - A function returning a pointer returns NULL on failure.
 *   - Where a human needs to read why, the caller passes an `err_t *` which the failing
 *     function fills in with `err_set` (or `err_set_at` when a source position is known).
 *     Passing NULL is allowed: the message is then discarded.
 *   - Bookkeeping allocations go through xmalloc & co., which abort on out-of-memory.
 *     Tensor payloads, whose size comes from user input, go through util_try_malloc,
 *     which returns NULL, and the caller reports a user error.
 *
 * `err_t.kind` is a short class name shown to the user as the error's ename
 * ("NameError", "IndexError", "FileError", "SyntaxError", "ValueError", "ShapeError",
 * "KeyboardInterrupt", ...). It points to a string literal. */
#ifndef MECHVIZ_UTIL_H
#define MECHVIZ_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define UNUSED(x) ((void)(x))
#define ERR_MSG_MAX 256

typedef struct err {
    char msg[ERR_MSG_MAX]; /* human message, NUL-terminated, "" when unset */
    const char *kind;      /* error class shown as ename; NULL means "Error" */
    int line;              /* 1-based source line, 0 when unknown */
    int col;               /* 1-based source column, 0 when unknown */
} err_t;

/* --- errors ----------------------------------------------------------------------- */
void err_clear(err_t *err);
void err_set(err_t *err, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_set_at(err_t *err, int line, int col, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void err_vset(err_t *err, const char *kind, const char *fmt, va_list ap);
const char *err_kind(const err_t *err);

/* --- allocation ------------------------------------------------------------------- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *util_try_malloc(size_t n);
void *util_try_calloc(size_t n, size_t size);
void util_fail_alloc_after(long n);
int util_mul_size(size_t a, size_t b, size_t *out);
int util_add_size(size_t a, size_t b, size_t *out);

/* --- logging (stderr, never stdout) ----------------------------------------------- */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void util_set_log_level(int level); /* 0 = errors only, 1 = +warnings, 2 = +info */

/* --- time and text ---------------------------------------------------------------- */
double util_now(void);
void util_format_bytes(uint64_t n, char *out, size_t cap);
size_t util_edit_distance(const char *a, const char *b);
int util_utf8_valid(const char *s, size_t len);

#endif
