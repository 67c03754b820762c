/* SPDX-License-Identifier: MIT */
/* tensor_io.h -- file formats: .npy, .npz, .safetensors, .json/.jsonl; safetensors save.
 */
#ifndef MECHVIZ_TENSOR_IO_H
#define MECHVIZ_TENSOR_IO_H

#include <stddef.h>

#include "store.h"
#include "strlist.h"
#include "tensor.h"
#include "util.h"

/* One named object found in a file. Exactly one of tensor / strings / (table) is set. */
typedef struct tensor_io_item {
    char *name;        /* owned: full store name (prefix applied) */
    store_kind_t kind; /* STORE_TENSOR, STORE_STRINGS or STORE_TABLE */
    tensor_t *tensor;  /* owned (STORE_TENSOR) */
    strlist_t strings; /* STORE_STRINGS items, or STORE_TABLE column names */
    size_t nrows;      /* STORE_TABLE */
} tensor_io_item_t;

typedef struct tensor_io_result {
    tensor_io_item_t *items; /* owned */
    size_t n;
    strlist_t notes; /* remarks for the user (renamed keys, converted byte order) */
} tensor_io_result_t;

int tensor_io_load(const char *path, const char *name, tensor_io_result_t *out,
                   err_t *err);
void tensor_io_result_fini(tensor_io_result_t *r);
int tensor_io_put(store_t *s, tensor_io_result_t *r, const char *source, err_t *err);
int tensor_io_save_safetensors(const char *path, const char *const *names,
                               const tensor_t *const *tensors, size_t n, err_t *err);

/* In-memory parsers (also the fuzz entry points). `mem` may be NULL, in which case the
 * result copies what it needs; otherwise tensors reference `mem` (they still copy
 * big-endian or unaligned data). On failure the result is empty (nothing to free);
 * on success the caller finalises it. Errors: "FormatError", "MemoryError". */
int tensor_io_parse_npy(tensor_mem_t *mem, const char *data, size_t len, tensor_t **out,
                        err_t *err);
int tensor_io_parse_npz(const char *data, size_t len, const char *name,
                        tensor_io_result_t *out, err_t *err);
int tensor_io_parse_safetensors(tensor_mem_t *mem, const char *data, size_t len,
                                const char *name, tensor_io_result_t *out, err_t *err);
int tensor_io_parse_json(const char *data, size_t len, int lines, const char *name,
                         tensor_io_result_t *out, err_t *err);

/* Helpers shared by the format readers (npz.c, safetensors.c, records.c). Tensors
 * placed by them always have data aligned to their element size: unaligned file data
 * is copied, so kernels may read t->data as float * etc. */
void tensor_io_result_init(tensor_io_result_t *r);
tensor_io_item_t *tensor_io_result_add(tensor_io_result_t *r, const char *prefix,
                                       const char *key, store_kind_t kind);
char *tensor_io_sanitize(const char *s, size_t len);
int tensor_io_npy_parse(tensor_mem_t *mem, const char *data, size_t len, tensor_t **out,
                        strlist_t *notes, err_t *err);
tensor_t *tensor_io_place(tensor_mem_t *mem, const char *data, size_t nbytes, dtype_t dt,
                          int ndim, const int64_t *shape, const int64_t *strides,
                          int swap, err_t *err);

#endif
