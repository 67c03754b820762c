/* SPDX-License-Identifier: MIT */
/* store.c -- the named store: every resident tensor, token list and table by name.
 *
 * The kernel's state of data lives here and only here: handlers and widgets look
 * tensors up by name for the duration of one request and never keep pointers across
 * requests. The store knows nothing about files or the language; it keeps entries
 * sorted by name, accounts for their bytes and enforces an optional heap limit.
 *
 * Design notes (ownership).
 *   1. The store owns every entry: its name, its source string, its tensor (and through
 *      it one reference to the backing memory) and its strings.
 *   2. store_put_* take ownership of the tensor / the strlist's contents, even when
 *      they fail (the tensor is freed, the list emptied), so a caller never frees what
 *      it handed over. `name` and `source` are copied.
 *   3. A put under an existing name replaces that entry; the old one is freed after
 *      the new one is in place. A view held by another entry keeps the old memory alive
 *      (tensor_mem_t is refcounted), so replacing `x` never invalidates `y = x[0]`.
 *   4. Pointers returned by store_get / store_at / store_suggest are borrowed and stay
 *      valid until the next put or delete.
 *
 *      put(name) --> [entry] --put(name) again--> [new entry] (old freed)
 *                       |
 *                       +--delete(name)--> freed (a table also frees NAME.col entries)
 *
 *   5. Heap bytes count each distinct heap block once, whatever number of views share
 *      it, plus string bytes; mapped bytes count each distinct mapping once. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_MAX_NAME 255

struct store {
    store_entry_t **entries; /* sorted by name (strcmp) */
    size_t n;                /* entries used */
    size_t cap;              /* entries allocated */
    uint64_t mem_limit;      /* heap byte limit; 0 = unlimited */
};

/* Returns a new empty store; `mem_limit` caps heap bytes (0 = no limit). The caller
 * owns it (store_free). */
store_t *store_new(uint64_t mem_limit) {
    store_t *s = xcalloc(1, sizeof *s);
    s->mem_limit = mem_limit;
    return s;
}

static void entry_free(store_entry_t *e) {
    if (!e)
        return;
    free(e->name);
    free(e->source);
    tensor_free(e->tensor);
    strlist_fini(&e->strings);
    free(e);
}

/* Frees the store and every entry in it. Accepts NULL. */
void store_free(store_t *s) {
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        entry_free(s->entries[i]);
    free(s->entries);
    free(s);
}

/* Binary search: returns the index of `name` and sets *found, or the insertion point. */
static size_t find(const store_t *s, const char *name, int *found) {
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->entries[mid]->name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
}

/* Returns 1 when `name` is a valid store name: [A-Za-z_][A-Za-z0-9_./-]*, at most 255
 * bytes; else 0. */
int store_name_valid(const char *name) {
    if (!name)
        return 0;
    size_t len = strlen(name);
    if (len == 0 || len > STORE_MAX_NAME)
        return 0;
    char c = name[0];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'))
        return 0;
    for (size_t i = 1; i < len; i++) {
        c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '/' || c == '-'))
            return 0;
    }
    return 1;
}

static int cmp_ptr(const void *a, const void *b) {
    const void *x = *(const void *const *)a, *y = *(const void *const *)b;
    return x < y ? -1 : x > y;
}

static uint64_t strings_bytes(const strlist_t *l) {
    uint64_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strlen(l->items[i]) + 1;
    return n;
}

/* Sums the bytes of distinct memory blocks (heap when mapped == 0, else mapped) over
 * every entry except `skip` (may be NULL), plus `extra` (may be NULL); heap totals
 * include string bytes. */
static uint64_t count_bytes(const store_t *s, int mapped, const store_entry_t *skip,
                            const tensor_t *extra, uint64_t extra_strings) {
    tensor_mem_t **mems = xmalloc((s->n + 1) * sizeof *mems);
    size_t nm = 0;
    uint64_t total = mapped ? 0 : extra_strings;
    for (size_t i = 0; i < s->n; i++) {
        const store_entry_t *e = s->entries[i];
        if (e == skip)
            continue;
        if (e->tensor && e->tensor->mem && tensor_mem_is_mapped(e->tensor->mem) == mapped)
            mems[nm++] = e->tensor->mem;
        if (!mapped && e->kind != STORE_TENSOR)
            total += strings_bytes(&e->strings);
    }
    if (extra && extra->mem && tensor_mem_is_mapped(extra->mem) == mapped)
        mems[nm++] = extra->mem;
    qsort(mems, nm, sizeof *mems, cmp_ptr);
    for (size_t i = 0; i < nm; i++)
        if (i == 0 || mems[i] != mems[i - 1])
            total += tensor_mem_size(mems[i]);
    free(mems);
    return total;
}

/* Inserts `e` (owned) under its name, replacing and freeing an existing entry, after
 * checking the name and the heap limit. Frees `e` on failure. */
static int put_entry(store_t *s, store_entry_t *e, err_t *err) {
    if (!store_name_valid(e->name)) {
        err_set(err, "ValueError",
                "invalid name '%.64s': use letters, digits, '_', '.', '/' or '-', "
                "starting with a letter or '_' (at most %d bytes)",
                e->name, STORE_MAX_NAME);
        entry_free(e);
        return -1;
    }
    int found;
    size_t at = find(s, e->name, &found);
    if (s->mem_limit) {
        const store_entry_t *old = found ? s->entries[at] : NULL;
        uint64_t sb = e->kind == STORE_TENSOR ? 0 : strings_bytes(&e->strings);
        uint64_t after = count_bytes(s, 0, old, e->tensor, sb);
        if (after > s->mem_limit) {
            char a[32], l[32];
            util_format_bytes(after, a, sizeof a);
            util_format_bytes(s->mem_limit, l, sizeof l);
            err_set(err, "MemoryError",
                    "storing '%.64s' would use %s of memory, over the limit of %s",
                    e->name, a, l);
            entry_free(e);
            return -1;
        }
    }
    if (found) {
        entry_free(s->entries[at]);
        s->entries[at] = e;
        return 0;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->entries = xrealloc(s->entries, s->cap * sizeof *s->entries);
    }
    memmove(s->entries + at + 1, s->entries + at, (s->n - at) * sizeof *s->entries);
    s->entries[at] = e;
    s->n++;
    return 0;
}

static store_entry_t *entry_new(const char *name, store_kind_t kind, const char *source) {
    store_entry_t *e = xcalloc(1, sizeof *e);
    e->name = xstrdup(name ? name : "");
    e->kind = kind;
    e->source = xstrdup(source ? source : "");
    strlist_init(&e->strings);
    return e;
}

/* Stores tensor `t` under `name`, replacing any entry of that name. Takes ownership of
 * `t` even on failure. Returns 0, or -1 with "ValueError" (invalid name) or
 * "MemoryError" (heap limit) in err. */
int store_put_tensor(store_t *s, const char *name, tensor_t *t, const char *source,
                     err_t *err) {
    store_entry_t *e = entry_new(name, STORE_TENSOR, source);
    e->tensor = t;
    return put_entry(s, e, err);
}

/* Stores the strings of `l` under `name` as a token list; takes the contents of `l`
 * (left empty) even on failure. Returns 0 or -1 with err as store_put_tensor. */
int store_put_strings(store_t *s, const char *name, strlist_t *l, const char *source,
                      err_t *err) {
    store_entry_t *e = entry_new(name, STORE_STRINGS, source);
    strlist_move(&e->strings, l);
    return put_entry(s, e, err);
}

/* Stores a table `name` whose column names are `cols` (contents taken, even on
 * failure) and which has `nrows` rows; the columns themselves are separate entries
 * NAME.COL put by the caller. Returns 0 or -1 with err as store_put_tensor. */
int store_put_table(store_t *s, const char *name, strlist_t *cols, size_t nrows,
                    const char *source, err_t *err) {
    store_entry_t *e = entry_new(name, STORE_TABLE, source);
    strlist_move(&e->strings, cols);
    e->nrows = nrows;
    return put_entry(s, e, err);
}

/* Returns the entry called `name` (borrowed; valid until the next put or delete), or
 * NULL. */
const store_entry_t *store_get(const store_t *s, const char *name) {
    int found;
    size_t at = find(s, name, &found);
    return found ? s->entries[at] : NULL;
}

static int delete_one(store_t *s, const char *name) {
    int found;
    size_t at = find(s, name, &found);
    if (!found)
        return -1;
    entry_free(s->entries[at]);
    memmove(s->entries + at, s->entries + at + 1, (s->n - at - 1) * sizeof *s->entries);
    s->n--;
    return 0;
}

/* Deletes and frees the entry `name`; a table also deletes its NAME.COL entries.
 * Returns 0, or -1 when there is no such entry. */
int store_delete(store_t *s, const char *name) {
    const store_entry_t *e = store_get(s, name);
    if (!e)
        return -1;
    if (e->kind == STORE_TABLE) {
        strlist_t cols = STRLIST_INIT;
        for (size_t i = 0; i < e->strings.n; i++) {
            char *col = xasprintf("%s.%s", name, e->strings.items[i]);
            strlist_push_take(&cols, col);
        }
        char *own = xstrdup(name);
        delete_one(s, own);
        for (size_t i = 0; i < cols.n; i++)
            delete_one(s, cols.items[i]);
        free(own);
        strlist_fini(&cols);
        return 0;
    }
    return delete_one(s, name);
}

/* Returns the number of entries. */
size_t store_count(const store_t *s) {
    return s->n;
}

/* Returns entry `i` in name order (borrowed), or NULL when i >= store_count. */
const store_entry_t *store_at(const store_t *s, size_t i) {
    return i < s->n ? s->entries[i] : NULL;
}

/* Returns the resident name closest to `name` by edit distance, when that distance is
 * at most max(2, strlen(name) / 3) and less than strlen(name) (so 'xx' never suggests
 * an unrelated 't'); ties go to the first in name order. Borrowed; NULL when nothing is
 * close. */
const char *store_suggest(const store_t *s, const char *name) {
    size_t len = strlen(name), limit = len / 3 > 2 ? len / 3 : 2;
    size_t best = (size_t)-1;
    const char *pick = NULL;
    for (size_t i = 0; i < s->n; i++) {
        size_t d = util_edit_distance(name, s->entries[i]->name);
        if (d <= limit && d < len && d < best) {
            best = d;
            pick = s->entries[i]->name;
        }
    }
    return pick;
}

/* Returns the bytes of heap memory held by the store (each block once, plus strings). */
uint64_t store_heap_bytes(const store_t *s) {
    return count_bytes(s, 0, NULL, NULL, 0);
}

/* Returns the bytes of file mappings held by the store (each mapping once). */
uint64_t store_mapped_bytes(const store_t *s) {
    return count_bytes(s, 1, NULL, NULL, 0);
}
