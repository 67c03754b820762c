/* SPDX-License-Identifier: MIT */
/* tensor.h -- the tensor type: dtype, shape, byte strides over shared backing memory.
 *
 * A tensor is a strided view (numpy's model) onto a refcounted block of memory
 * (tensor_mem_t): either a read-only mmap of a file region or a heap block. Views made
 * by indexing share the block, so `y = x[0]` copies nothing and stays valid after `x` is
 * freed. Element data is always in native (little-endian) byte order: loaders convert
 * big-endian files when they load them. */
#ifndef MECHVIZ_TENSOR_H
#define MECHVIZ_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

#define TENSOR_MAX_DIMS 8

typedef enum dtype {
    DT_BOOL,
    DT_U8,
    DT_I8,
    DT_U16,
    DT_I16,
    DT_U32,
    DT_I32,
    DT_U64,
    DT_I64,
    DT_F16,
    DT_BF16,
    DT_F32,
    DT_F64,
    DT_COUNT
} dtype_t;

size_t dtype_size(dtype_t dt);
const char *dtype_name(dtype_t dt); /* numpy spelling: "float32", "bfloat16", "bool" */
int dtype_from_name(const char *name, dtype_t *out);
int dtype_is_float(dtype_t dt);

float tensor_f16_to_f32(uint16_t h);
uint16_t tensor_f32_to_f16(float f);
float tensor_bf16_to_f32(uint16_t h);
uint16_t tensor_f32_to_bf16(float f);

/* Backing memory, shared by every view of it. */
typedef struct tensor_mem tensor_mem_t;

tensor_mem_t *tensor_mem_new_heap(size_t len, err_t *err); /* zeroed; NULL + err if OOM */
tensor_mem_t *tensor_mem_new_mmap(void *base, size_t len); /* takes the mapping */
tensor_mem_t *tensor_mem_ref(tensor_mem_t *m);
void tensor_mem_unref(tensor_mem_t *m);
char *tensor_mem_data(const tensor_mem_t *m);
size_t tensor_mem_size(const tensor_mem_t *m);
int tensor_mem_is_mapped(const tensor_mem_t *m);

typedef struct tensor {
    dtype_t dtype;                    /* element type */
    int ndim;                         /* 0..TENSOR_MAX_DIMS; 0 is a scalar */
    int64_t shape[TENSOR_MAX_DIMS];   /* elements per axis */
    int64_t strides[TENSOR_MAX_DIMS]; /* bytes between neighbours per axis (may be < 0) */
    char *data;                       /* address of element [0, ..., 0] */
    tensor_mem_t *mem; /* backing memory; this tensor holds one reference */
} tensor_t;

/* One index item of numpy basic indexing: x[3], x[-1], x[2:10:2], x[:], x[...]. */
typedef enum tensor_index_kind {
    TI_INT,
    TI_SLICE,
    TI_ELLIPSIS,
    TI_NEWAXIS
} tensor_index_kind_t;
typedef struct tensor_index {
    tensor_index_kind_t kind;
    int64_t i;                 /* TI_INT: the index (negative counts from the end) */
    int64_t start, stop, step; /* TI_SLICE; step != 0 */
    int has_start, has_stop;   /* TI_SLICE: 0 means "omitted" */
    int col;                   /* source column for error messages, 0 if unknown */
} tensor_index_t;

/* Creation. tensor_new zeroes a heap tensor ("MemoryError" when too large).
 * tensor_wrap takes ownership of one reference to `mem` (pass tensor_mem_ref(m) to
 * keep yours); strides NULL means C order. Views (tensor_view, tensor_index) share
 * the memory and stay valid after the tensor they came from is freed. */
tensor_t *tensor_new(dtype_t dt, int ndim, const int64_t *shape, err_t *err);
tensor_t *tensor_wrap(tensor_mem_t *mem, char *data, dtype_t dt, int ndim,
                      const int64_t *shape, const int64_t *strides);
tensor_t *tensor_view(const tensor_t *t);
tensor_t *tensor_index(const tensor_t *t, const tensor_index_t *idx, int n, err_t *err);
tensor_t *tensor_copy(const tensor_t *t, dtype_t dt, err_t *err); /* contiguous copy */
void tensor_free(tensor_t *t);

int64_t tensor_numel(const tensor_t *t);
size_t tensor_nbytes(const tensor_t *t); /* numel * element size */
int tensor_is_contiguous(const tensor_t *t);
int tensor_checked_numel(int ndim, const int64_t *shape, dtype_t dt, size_t *nbytes);
void tensor_c_strides(int ndim, const int64_t *shape, dtype_t dt, int64_t *strides);

double tensor_get(const tensor_t *t, const int64_t *idx);
double tensor_get_flat(const tensor_t *t, int64_t i); /* C-order flat index */
void tensor_set_flat(tensor_t *t, int64_t i, double v);
void tensor_read_f32(const tensor_t *t, float *dst); /* all elements, C order */
void tensor_read_f64(const tensor_t *t, double *dst);
void tensor_copy_to(const tensor_t *t, dtype_t dt, void *dst); /* C order, converted */
/* n elements at p, stride bytes apart, as doubles: the row primitive for kernels. */
void tensor_load_f64(dtype_t dt, const char *p, int64_t n, int64_t stride, double *dst);
void tensor_load_f32(dtype_t dt, const char *p, int64_t n, int64_t stride, float *dst);

void tensor_format_shape(const tensor_t *t, char *out, size_t cap); /* "[12, 64, 64]" */
/* numpy-repr-like text: "tensor([[0.1 , 0.25], ...], dtype=float32, shape=[2, 2])";
 * summarised with "..." when numel > 1000 (edge_items <= 0 means 3). */
void tensor_format(const tensor_t *t, buf_t *out, int64_t edge_items);

#endif
