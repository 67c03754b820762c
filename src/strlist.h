/* SPDX-License-Identifier: MIT */
/* strlist.h -- a growable list of owned strings (token lists, names, completions). */
#ifndef MECHVIZ_STRLIST_H
#define MECHVIZ_STRLIST_H

#include <stddef.h>

typedef struct strlist {
    char **items; /* owned NUL-terminated strings */
    size_t n;     /* items used */
    size_t cap;   /* items allocated */
} strlist_t;

#define STRLIST_INIT                                                                     \
    { NULL, 0, 0 }

void strlist_init(strlist_t *l);
void strlist_fini(strlist_t *l);
void strlist_push(strlist_t *l, const char *s);
void strlist_push_take(strlist_t *l, char *s);
void strlist_pushn(strlist_t *l, const char *s, size_t len);
void strlist_sort(strlist_t *l);
void strlist_uniq(strlist_t *l);
long strlist_find(const strlist_t *l, const char *s);
void strlist_move(strlist_t *dst, strlist_t *src);

#endif
