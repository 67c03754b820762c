/* SPDX-License-Identifier: MIT */
/* strlist.c -- a growable list of owned strings.
 *
 * Used for token lists, table column names and completion matches. The list owns
 * every string it holds; strlist_fini frees them all. */
#include "strlist.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Makes `l` empty. */
void strlist_init(strlist_t *l) {
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

/* Frees every string and the array; `l` is empty afterwards. Accepts NULL. */
void strlist_fini(strlist_t *l) {
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    strlist_init(l);
}

/* Appends `s`, taking ownership of it (it must come from malloc). */
void strlist_push_take(strlist_t *l, char *s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = s;
}

/* Appends a copy of `s`. */
void strlist_push(strlist_t *l, const char *s) {
    strlist_push_take(l, xstrdup(s));
}

/* Appends a copy of the first `len` bytes of `s`. */
void strlist_pushn(strlist_t *l, const char *s, size_t len) {
    strlist_push_take(l, xstrndup(s, len));
}

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the strings bytewise. */
void strlist_sort(strlist_t *l) {
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, cmp);
}

/* Removes adjacent duplicates (sort first for a set). */
void strlist_uniq(strlist_t *l) {
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (w > 0 && strcmp(l->items[w - 1], l->items[i]) == 0)
            free(l->items[i]);
        else
            l->items[w++] = l->items[i];
    }
    l->n = w;
}

/* Returns the index of the first item equal to `s`, or -1. */
long strlist_find(const strlist_t *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return (long)i;
    return -1;
}

/* Moves the contents of `src` to `dst` (whose old contents are freed); `src` is empty
 * afterwards. */
void strlist_move(strlist_t *dst, strlist_t *src) {
    strlist_fini(dst);
    *dst = *src;
    strlist_init(src);
}
