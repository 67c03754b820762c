/* SPDX-License-Identifier: MIT */
/* buf.h -- growable byte buffer (PNG encoding, text output, file assembly). */
#ifndef MECHVIZ_BUF_H
#define MECHVIZ_BUF_H

#include <stddef.h>

typedef struct buf {
    char
        *data; /* bytes, always NUL-terminated after len (not counted), NULL when empty */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
} buf_t;

#define BUF_INIT                                                                         \
    { NULL, 0, 0 }

void buf_init(buf_t *b);
void buf_fini(buf_t *b);
void buf_reset(buf_t *b);
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t len);
void buf_puts(buf_t *b, const char *s);
void buf_putc(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_take(buf_t *b, size_t *len);
const char *buf_str(const buf_t *b);

#endif
