/* SPDX-License-Identifier: MIT */
/* store.h -- the named store: every resident tensor, token list and table by name. */
#ifndef MECHVIZ_STORE_H
#define MECHVIZ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "strlist.h"
#include "tensor.h"
#include "util.h"

typedef enum store_kind {
    STORE_TENSOR,  /* a tensor (possibly a view) */
    STORE_STRINGS, /* a token list / list of strings */
    STORE_TABLE    /* a record table: `strings` holds column names; each column is stored
                      as its own entry NAME.COLUMN (an f64 tensor or a string list) */
} store_kind_t;

typedef struct store_entry {
    char *name;        /* owned; unique key */
    store_kind_t kind; /* which of the fields below is used */
    tensor_t *tensor;  /* STORE_TENSOR: owned */
    strlist_t strings; /* STORE_STRINGS: the strings; STORE_TABLE: column names */
    size_t nrows;      /* STORE_TABLE: rows */
    char *source;      /* owned: file path, "view of x", "inline", ... */
} store_entry_t;

typedef struct store store_t;

store_t *store_new(uint64_t mem_limit);
void store_free(store_t *s);
int store_put_tensor(store_t *s, const char *name, tensor_t *t, const char *source,
                     err_t *err);
int store_put_strings(store_t *s, const char *name, strlist_t *l, const char *source,
                      err_t *err);
int store_put_table(store_t *s, const char *name, strlist_t *cols, size_t nrows,
                    const char *source, err_t *err);
const store_entry_t *store_get(const store_t *s, const char *name);
int store_delete(store_t *s, const char *name);
size_t store_count(const store_t *s);
const store_entry_t *store_at(const store_t *s, size_t i);
const char *store_suggest(const store_t *s, const char *name);
uint64_t store_heap_bytes(const store_t *s);
uint64_t store_mapped_bytes(const store_t *s);
int store_name_valid(const char *name);

#endif
