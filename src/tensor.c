/* SPDX-License-Identifier: MIT */
/* tensor.c -- the tensor type: dtypes, refcounted backing memory, strided views.
 *
 * Everything above this file sees a tensor as numpy does: a dtype, a shape and byte
 * strides over a block of memory that several views may share. This file owns the
 * exact half-precision conversions, numpy basic indexing (with numpy's error texts),
 * element access and numpy-style printing. It never touches the filesystem (that is
 * tensor_io.c) and never computes anything beyond element access (that is ops.c).
 *
 * Design notes.
 *   1. A tensor_mem_t is refcounted; every tensor_t holds exactly one reference, so a
 *      view stays valid after the tensor it was made from is freed. The last unref
 *      frees the heap block or munmaps the mapping.
 *   2. Element loads and stores go through memcpy, so unaligned data (a safetensors
 *      header of odd length) is fine on every architecture.
 *   3. Payload allocations use util_try_calloc and report "MemoryError"; the small
 *      bookkeeping structs use xmalloc and abort on OOM, as util.h prescribes. */
#include "tensor.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* ==== dtypes ======================================================================== */

static const struct {
    const char *name;  /* numpy spelling */
    const char *alias; /* short spelling accepted by dtype_from_name */
    size_t size;       /* bytes per element */
} dtype_info[DT_COUNT] = {
    [DT_BOOL] = {"bool", "b1", 1},       [DT_U8] = {"uint8", "u8", 1},
    [DT_I8] = {"int8", "i8", 1},         [DT_U16] = {"uint16", "u16", 2},
    [DT_I16] = {"int16", "i16", 2},      [DT_U32] = {"uint32", "u32", 4},
    [DT_I32] = {"int32", "i32", 4},      [DT_U64] = {"uint64", "u64", 8},
    [DT_I64] = {"int64", "i64", 8},      [DT_F16] = {"float16", "f16", 2},
    [DT_BF16] = {"bfloat16", "bf16", 2}, [DT_F32] = {"float32", "f32", 4},
    [DT_F64] = {"float64", "f64", 8},
};

/* Returns the size in bytes of one element of `dt` (0 for an invalid dtype). */
size_t dtype_size(dtype_t dt) {
    return (unsigned)dt < DT_COUNT ? dtype_info[dt].size : 0;
}

/* Returns numpy's name for `dt` ("float32", "bfloat16", "bool"); a static string. */
const char *dtype_name(dtype_t dt) {
    return (unsigned)dt < DT_COUNT ? dtype_info[dt].name : "invalid";
}

/* Parses a dtype name: numpy's spelling or the short one ("f32", "bf16", "i64",
 * "b1"); also "half", "float", "double". Returns 0 and sets *out, or -1. */
int dtype_from_name(const char *name, dtype_t *out) {
    for (int i = 0; i < DT_COUNT; i++) {
        if (strcmp(name, dtype_info[i].name) == 0 ||
            strcmp(name, dtype_info[i].alias) == 0) {
            *out = (dtype_t)i;
            return 0;
        }
    }
    static const struct {
        const char *name;
        dtype_t dt;
    } extra[] = {{"half", DT_F16}, {"float", DT_F32}, {"double", DT_F64}};
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
        if (strcmp(name, extra[i].name) == 0) {
            *out = extra[i].dt;
            return 0;
        }
    }
    return -1;
}

/* Returns 1 for the floating-point dtypes (f16, bf16, f32, f64), else 0. */
int dtype_is_float(dtype_t dt) {
    return dt == DT_F16 || dt == DT_BF16 || dt == DT_F32 || dt == DT_F64;
}

/* ==== half precision ================================================================ */

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Returns the exact float value of IEEE binary16 `h` (subnormals, inf, NaN kept). */
float tensor_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {
        float v = ldexpf((float)mant, -24); /* zero or subnormal, exact */
        return sign ? -v : v;
    }
    if (exp == 31)
        return bits_f32(sign | 0x7f800000u | (mant << 13));
    return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

/* Rounds `f` to the nearest binary16 (ties to even); overflow gives inf, NaN stays a
 * (quiet) NaN with its top payload bits. */
uint16_t tensor_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) { /* inf or NaN */
        if (x == 0x7f800000u)
            return sign | 0x7c00;
        return (uint16_t)(sign | 0x7e00 | ((x >> 13) & 0x3ff));
    }
    if (x >= 0x477ff000u) /* >= 65520 rounds to inf */
        return sign | 0x7c00;
    if (x >= 0x38800000u) { /* normal in binary16 */
        uint32_t h = ((((x >> 23) - 127 + 15) << 10) | ((x & 0x7fffff) >> 13));
        uint32_t rem = x & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t e = x >> 23;
    uint32_t shift = 126 - e; /* value / 2^-24 = mant >> shift */
    if (shift > 24)
        return sign;
    uint32_t mant = (x & 0x7fffff) | 0x800000;
    uint32_t h = mant >> shift;
    uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

/* Returns the exact float value of bfloat16 `h`. */
float tensor_bf16_to_f32(uint16_t h) {
    return bits_f32((uint32_t)h << 16);
}

/* Rounds `f` to the nearest bfloat16 (ties to even); NaN stays a quiet NaN. */
uint16_t tensor_f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

/* ==== backing memory ================================================================ */

struct tensor_mem {
    long refs;  /* references held by tensors and loaders */
    char *data; /* first byte */
    size_t len; /* bytes */
    int mapped; /* 1: munmap on last unref; 0: free */
};

/* Returns a new zeroed heap block of `len` bytes with one reference, or NULL with a
 * "MemoryError" in err when the payload cannot be allocated. */
tensor_mem_t *tensor_mem_new_heap(size_t len, err_t *err) {
    char *data = util_try_calloc(len ? len : 1, 1);
    if (!data) {
        char sz[32];
        util_format_bytes(len, sz, sizeof sz);
        err_set(err, "MemoryError", "cannot allocate %s", sz);
        return NULL;
    }
    tensor_mem_t *m = xmalloc(sizeof *m);
    m->refs = 1;
    m->data = data;
    m->len = len;
    m->mapped = 0;
    return m;
}

/* Returns a block with one reference that takes ownership of the mapping
 * [base, base + len) (from mmap); it is munmapped on the last unref. */
tensor_mem_t *tensor_mem_new_mmap(void *base, size_t len) {
    tensor_mem_t *m = xmalloc(sizeof *m);
    m->refs = 1;
    m->data = base;
    m->len = len;
    m->mapped = 1;
    return m;
}

/* Adds a reference to `m` and returns it (NULL passes through). */
tensor_mem_t *tensor_mem_ref(tensor_mem_t *m) {
    if (m)
        m->refs++;
    return m;
}

/* Drops one reference; the last one frees or unmaps the memory. Accepts NULL. */
void tensor_mem_unref(tensor_mem_t *m) {
    if (!m || --m->refs > 0)
        return;
    if (m->mapped)
        munmap(m->data, m->len);
    else
        free(m->data);
    free(m);
}

/* Returns the first byte of the block (borrowed). */
char *tensor_mem_data(const tensor_mem_t *m) {
    return m->data;
}

/* Returns the size of the block in bytes. */
size_t tensor_mem_size(const tensor_mem_t *m) {
    return m->len;
}

/* Returns 1 when the block is a file mapping, 0 when it is heap memory. */
int tensor_mem_is_mapped(const tensor_mem_t *m) {
    return m && m->mapped;
}

/* ==== creation ====================================================================== */

/* Computes numel * element size for a shape; returns 0 and sets *nbytes, or -1 when a
 * dimension is negative or the product overflows (int64 elements, size_t bytes, or
 * more than INT64_MAX bytes so byte strides stay representable). `nbytes` may be NULL. */
int tensor_checked_numel(int ndim, const int64_t *shape, dtype_t dt, size_t *nbytes) {
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS || (unsigned)dt >= DT_COUNT)
        return -1;
    size_t n = 1;
    int zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return -1;
        if (shape[i] == 0)
            zero = 1;
    }
    for (int i = 0; i < ndim && !zero; i++) {
        if ((uint64_t)shape[i] > SIZE_MAX || util_mul_size(n, (size_t)shape[i], &n) < 0)
            return -1;
    }
    size_t bytes = 0;
    if (!zero && util_mul_size(n, dtype_size(dt), &bytes) < 0)
        return -1;
    if ((uint64_t)bytes > (uint64_t)INT64_MAX)
        return -1;
    if (nbytes)
        *nbytes = bytes;
    return 0;
}

/* Fills `strides` with C-order (row-major) byte strides for `shape`. */
void tensor_c_strides(int ndim, const int64_t *shape, dtype_t dt, int64_t *strides) {
    int64_t s = (int64_t)dtype_size(dt);
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i] > 0 ? shape[i] : 1;
    }
}

static void format_shape(int ndim, const int64_t *shape, char *out, size_t cap) {
    size_t used = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    used += (size_t)snprintf(out, cap, "[");
    for (int i = 0; i < ndim && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%" PRId64, i ? ", " : "",
                                 shape[i]);
    if (used < cap)
        snprintf(out + used, cap - used, "]");
}

/* Returns a new zeroed C-contiguous tensor of `shape` on the heap, or NULL with err:
 * "ValueError" for a bad rank or negative dimension, "MemoryError" ("cannot allocate
 * 12.0 GiB for a float32 tensor of shape [...]") when too large or out of memory. The
 * caller owns the result (tensor_free). */
tensor_t *tensor_new(dtype_t dt, int ndim, const int64_t *shape, err_t *err) {
    char shp[160];
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS) {
        err_set(err, "ValueError", "tensors have at most %d dimensions, not %d",
                TENSOR_MAX_DIMS, ndim);
        return NULL;
    }
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            err_set(err, "ValueError", "negative dimensions are not allowed");
            return NULL;
        }
    }
    format_shape(ndim, shape, shp, sizeof shp);
    size_t nbytes;
    if (tensor_checked_numel(ndim, shape, dt, &nbytes) < 0) {
        err_set(err, "MemoryError", "a %s tensor of shape %s is too large",
                dtype_name(dt), shp);
        return NULL;
    }
    tensor_mem_t *m = tensor_mem_new_heap(nbytes, NULL);
    if (!m) {
        char sz[32];
        util_format_bytes(nbytes, sz, sizeof sz);
        err_set(err, "MemoryError", "cannot allocate %s for a %s tensor of shape %s", sz,
                dtype_name(dt), shp);
        return NULL;
    }
    return tensor_wrap(m, m->data, dt, ndim, shape, NULL);
}

/* Returns a new tensor header over `data` inside `mem`. Takes ownership of one
 * reference to `mem` (pass tensor_mem_ref(m) to keep your own). `strides` NULL means
 * C-contiguous. Never fails (bookkeeping allocation aborts on OOM). */
tensor_t *tensor_wrap(tensor_mem_t *mem, char *data, dtype_t dt, int ndim,
                      const int64_t *shape, const int64_t *strides) {
    tensor_t *t = xcalloc(1, sizeof *t);
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
    if (strides)
        for (int i = 0; i < ndim; i++)
            t->strides[i] = strides[i];
    else
        tensor_c_strides(ndim, shape, dt, t->strides);
    t->data = data;
    t->mem = mem;
    return t;
}

/* Returns a new header sharing `t`'s memory (one more reference). Caller owns it. */
tensor_t *tensor_view(const tensor_t *t) {
    return tensor_wrap(tensor_mem_ref(t->mem), t->data, t->dtype, t->ndim, t->shape,
                       t->strides);
}

/* Frees the header and drops its reference to the memory. Accepts NULL. */
void tensor_free(tensor_t *t) {
    if (!t)
        return;
    tensor_mem_unref(t->mem);
    free(t);
}

/* ==== indexing ====================================================================== */

static void index_error(err_t *err, int col, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void index_error(err_t *err, int col, const char *kind, const char *fmt, ...) {
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, kind, fmt, ap);
    va_end(ap);
    if (col != 0)
        err->col = col;
}

/* Applies numpy basic indexing (`idx`, `n` items) to `t` and returns a new view that
 * shares its memory, or NULL with err: "IndexError" for out-of-bounds integers, too
 * many indices, more than one ellipsis, or a result with more than TENSOR_MAX_DIMS
 * axes; "ValueError" for a zero slice step. When an item carries a column, err->col is
 * set to it (err->line is left alone). Slices clamp like Python's. */
tensor_t *tensor_index(const tensor_t *t, const tensor_index_t *idx, int n, err_t *err) {
    int consumed = 0, newaxes = 0, ellipses = 0, ints = 0;
    for (int i = 0; i < n; i++) {
        switch (idx[i].kind) {
        case TI_INT:
            ints++;
            consumed++;
            break;
        case TI_SLICE:
            consumed++;
            if (idx[i].step == 0) {
                index_error(err, idx[i].col, "ValueError", "slice step cannot be zero");
                return NULL;
            }
            break;
        case TI_ELLIPSIS:
            if (++ellipses > 1) {
                index_error(err, idx[i].col, "IndexError",
                            "an index can only have a single ellipsis ('...')");
                return NULL;
            }
            break;
        case TI_NEWAXIS:
            newaxes++;
            break;
        }
    }
    if (consumed > t->ndim) {
        int col = 0;
        for (int i = 0, c = 0; i < n; i++)
            if ((idx[i].kind == TI_INT || idx[i].kind == TI_SLICE) && ++c == t->ndim + 1)
                col = idx[i].col;
        index_error(err, col, "IndexError",
                    "too many indices for tensor: tensor is %d-dimensional, but %d were "
                    "indexed",
                    t->ndim, consumed);
        return NULL;
    }
    int out_ndim = t->ndim - ints + newaxes;
    if (out_ndim > TENSOR_MAX_DIMS) {
        index_error(err, 0, "IndexError",
                    "the result would have %d dimensions; at most %d are supported",
                    out_ndim, TENSOR_MAX_DIMS);
        return NULL;
    }
    int64_t shape[TENSOR_MAX_DIMS], strides[TENSOR_MAX_DIMS];
    char *data = t->data;
    int axis = 0, o = 0;
    for (int i = 0; i < n; i++) {
        const tensor_index_t *it = &idx[i];
        if (it->kind == TI_NEWAXIS) {
            shape[o] = 1;
            strides[o++] = 0;
        } else if (it->kind == TI_ELLIPSIS) {
            for (int k = 0; k < t->ndim - consumed; k++, axis++, o++) {
                shape[o] = t->shape[axis];
                strides[o] = t->strides[axis];
            }
        } else if (it->kind == TI_INT) {
            int64_t size = t->shape[axis], v = it->i;
            if (v < -size || v >= size) {
                index_error(err, it->col, "IndexError",
                            "index %" PRId64
                            " is out of bounds for axis %d with size %" PRId64,
                            v, axis, size);
                return NULL;
            }
            if (v < 0)
                v += size;
            data += v * t->strides[axis];
            axis++;
        } else {
            int64_t size = t->shape[axis], step = it->step, start, stop;
            if (step < -INT64_MAX) /* as Python does, so -step cannot overflow */
                step = -INT64_MAX;
            if (!it->has_start)
                start = step < 0 ? size - 1 : 0;
            else {
                start = it->start;
                if (start < 0) {
                    start = start < -size ? -1 : start + size;
                    if (start < 0)
                        start = step < 0 ? -1 : 0;
                } else if (start >= size)
                    start = step < 0 ? size - 1 : size;
            }
            if (!it->has_stop)
                stop = step < 0 ? -1 : size;
            else {
                stop = it->stop;
                if (stop < 0) {
                    stop = stop < -size ? -1 : stop + size;
                    if (stop < 0)
                        stop = step < 0 ? -1 : 0;
                } else if (stop >= size)
                    stop = step < 0 ? size - 1 : size;
            }
            int64_t len;
            if (step < 0)
                len = stop < start ? (start - stop - 1) / (-step) + 1 : 0;
            else
                len = start < stop ? (stop - start - 1) / step + 1 : 0;
            if (len > 0)
                data += start * t->strides[axis];
            shape[o] = len;
            strides[o++] = t->strides[axis] * (len > 1 ? step : 1);
            axis++;
        }
    }
    for (; axis < t->ndim; axis++, o++) {
        shape[o] = t->shape[axis];
        strides[o] = t->strides[axis];
    }
    return tensor_wrap(tensor_mem_ref(t->mem), data, t->dtype, out_ndim, shape, strides);
}

/* ==== element access ================================================================ */

static double load(dtype_t dt, const char *p) {
    switch (dt) {
    case DT_BOOL:
        return *(const unsigned char *)p != 0;
    case DT_U8:
        return *(const uint8_t *)p;
    case DT_I8:
        return *(const int8_t *)p;
    case DT_U16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case DT_I16: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case DT_U32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case DT_I32: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    case DT_U64: {
        uint64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case DT_I64: {
        int64_t v;
        memcpy(&v, p, 8);
        return (double)v;
    }
    case DT_F16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return tensor_f16_to_f32(v);
    }
    case DT_BF16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return tensor_bf16_to_f32(v);
    }
    case DT_F32: {
        float v;
        memcpy(&v, p, 4);
        return v;
    }
    case DT_F64: {
        double v;
        memcpy(&v, p, 8);
        return v;
    }
    default:
        return 0;
    }
}

/* Converts a double to an integer type with saturation (NaN gives 0), since an
 * out-of-range float-to-int cast is undefined behaviour in C. */
static int64_t sat_i64(double v, double lo, double hi) {
    if (v != v)
        return 0;
    if (v <= lo)
        return (int64_t)lo;
    if (v >= hi)
        return (int64_t)hi;
    return (int64_t)v;
}

static void store_elem(dtype_t dt, char *p, double v) {
    switch (dt) {
    case DT_BOOL:
        *(unsigned char *)p = v != 0;
        break;
    case DT_U8:
        *(uint8_t *)p = (uint8_t)sat_i64(v, 0, 255);
        break;
    case DT_I8:
        *(int8_t *)p = (int8_t)sat_i64(v, -128, 127);
        break;
    case DT_U16: {
        uint16_t x = (uint16_t)sat_i64(v, 0, 65535);
        memcpy(p, &x, 2);
        break;
    }
    case DT_I16: {
        int16_t x = (int16_t)sat_i64(v, -32768, 32767);
        memcpy(p, &x, 2);
        break;
    }
    case DT_U32: {
        uint32_t x = (uint32_t)sat_i64(v, 0, 4294967295.0);
        memcpy(p, &x, 4);
        break;
    }
    case DT_I32: {
        int32_t x = (int32_t)sat_i64(v, -2147483648.0, 2147483647.0);
        memcpy(p, &x, 4);
        break;
    }
    case DT_U64: {
        uint64_t x;
        if (v != v || v <= 0)
            x = 0;
        else if (v >= 18446744073709551616.0)
            x = UINT64_MAX;
        else
            x = (uint64_t)v;
        memcpy(p, &x, 8);
        break;
    }
    case DT_I64: {
        int64_t x;
        if (v != v)
            x = 0;
        else if (v < -9223372036854775808.0)
            x = INT64_MIN;
        else if (v >= 9223372036854775808.0)
            x = INT64_MAX;
        else
            x = (int64_t)v;
        memcpy(p, &x, 8);
        break;
    }
    case DT_F16: {
        uint16_t x = tensor_f32_to_f16((float)v);
        memcpy(p, &x, 2);
        break;
    }
    case DT_BF16: {
        uint16_t x = tensor_f32_to_bf16((float)v);
        memcpy(p, &x, 2);
        break;
    }
    case DT_F32: {
        float x = (float)v;
        memcpy(p, &x, 4);
        break;
    }
    case DT_F64:
        memcpy(p, &v, 8);
        break;
    default:
        break;
    }
}

/* Returns the number of elements (1 for a scalar). */
int64_t tensor_numel(const tensor_t *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

/* Returns numel * element size. */
size_t tensor_nbytes(const tensor_t *t) {
    return (size_t)tensor_numel(t) * dtype_size(t->dtype);
}

/* Returns 1 when the elements are laid out in C order without gaps (strides of
 * length-1 axes are ignored, as numpy does), else 0. */
int tensor_is_contiguous(const tensor_t *t) {
    int64_t s = (int64_t)dtype_size(t->dtype);
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] == 0)
            return 1;
        if (t->shape[i] != 1 && t->strides[i] != s)
            return 0;
        s *= t->shape[i];
    }
    return 1;
}

static const char *flat_ptr(const tensor_t *t, int64_t i) {
    const char *p = t->data;
    for (int k = t->ndim - 1; k >= 0; k--) {
        int64_t d = t->shape[k];
        if (d <= 0)
            break;
        p += (i % d) * t->strides[k];
        i /= d;
    }
    return p;
}

/* Returns element `idx` (one in-range index per axis) as a double. */
double tensor_get(const tensor_t *t, const int64_t *idx) {
    const char *p = t->data;
    for (int k = 0; k < t->ndim; k++)
        p += idx[k] * t->strides[k];
    return load(t->dtype, p);
}

/* Returns element `i` in C order (0 <= i < numel) as a double. */
double tensor_get_flat(const tensor_t *t, int64_t i) {
    return load(t->dtype, flat_ptr(t, i));
}

/* Stores `v` at C-order position `i`, converting to the dtype (integers saturate, NaN
 * becomes 0, halves round to nearest even). The caller must not write to mapped
 * (read-only) memory. */
void tensor_set_flat(tensor_t *t, int64_t i, double v) {
    store_elem(t->dtype, (char *)flat_ptr(t, i), v);
}

/* Walks every element of `t` in C order, calling `fn` with a run of `n` elements that
 * are `stride` bytes apart (the innermost axis). */
typedef void (*row_fn)(const char *p, int64_t n, int64_t stride, void *ctx);

static void for_rows(const tensor_t *t, row_fn fn, void *ctx) {
    if (tensor_numel(t) == 0)
        return;
    if (t->ndim == 0) {
        fn(t->data, 1, 0, ctx);
        return;
    }
    int64_t idx[TENSOR_MAX_DIMS] = {0};
    int last = t->ndim - 1;
    for (;;) {
        const char *p = t->data;
        for (int k = 0; k < last; k++)
            p += idx[k] * t->strides[k];
        fn(p, t->shape[last], t->strides[last], ctx);
        int k = last - 1;
        for (; k >= 0; k--) {
            if (++idx[k] < t->shape[k])
                break;
            idx[k] = 0;
        }
        if (k < 0)
            return;
    }
}

typedef struct {
    char *dst;
    dtype_t src, dt;
} copy_ctx_t;

static void copy_row(const char *p, int64_t n, int64_t stride, void *vctx) {
    copy_ctx_t *c = vctx;
    size_t es = dtype_size(c->dt);
    if (c->src == c->dt) {
        if (stride == (int64_t)es) {
            memcpy(c->dst, p, (size_t)n * es);
            c->dst += (size_t)n * es;
            return;
        }
        for (int64_t i = 0; i < n; i++, p += stride, c->dst += es)
            memcpy(c->dst, p, es);
        return;
    }
    for (int64_t i = 0; i < n; i++, p += stride, c->dst += es) {
        if (c->dt == DT_F32 && (c->src == DT_F16 || c->src == DT_BF16)) {
            float v = (float)load(c->src, p);
            memcpy(c->dst, &v, 4);
        } else
            store_elem(c->dt, c->dst, load(c->src, p));
    }
}

/* Writes every element of `t` in C order, converted to `dt`, to `dst` (which holds
 * numel * dtype_size(dt) bytes). Same-dtype copies are exact for every dtype. */
void tensor_copy_to(const tensor_t *t, dtype_t dt, void *dst) {
    copy_ctx_t c = {dst, t->dtype, dt};
    for_rows(t, copy_row, &c);
}

/* Returns a new C-contiguous heap tensor holding `t`'s elements converted to `dt`, or
 * NULL with a "MemoryError" in err. The caller owns the result. */
tensor_t *tensor_copy(const tensor_t *t, dtype_t dt, err_t *err) {
    tensor_t *c = tensor_new(dt, t->ndim, t->shape, err);
    if (!c)
        return NULL;
    tensor_copy_to(t, dt, c->data);
    return c;
}

/* Writes all elements of `t` in C order as floats to `dst` (numel floats). Fast paths
 * for contiguous f32, f16 and bf16. */
void tensor_read_f32(const tensor_t *t, float *dst) {
    int64_t n = tensor_numel(t);
    if (tensor_is_contiguous(t)) {
        if (t->dtype == DT_F32) {
            memcpy(dst, t->data, (size_t)n * 4);
            return;
        }
        if (t->dtype == DT_F16 || t->dtype == DT_BF16) {
            const char *p = t->data;
            for (int64_t i = 0; i < n; i++, p += 2) {
                uint16_t h;
                memcpy(&h, p, 2);
                dst[i] =
                    t->dtype == DT_F16 ? tensor_f16_to_f32(h) : tensor_bf16_to_f32(h);
            }
            return;
        }
    }
    tensor_copy_to(t, DT_F32, dst);
}

/* Writes all elements of `t` in C order as doubles to `dst` (numel doubles). */
void tensor_read_f64(const tensor_t *t, double *dst) {
    if (t->dtype == DT_F64 && tensor_is_contiguous(t)) {
        memcpy(dst, t->data, (size_t)tensor_numel(t) * 8);
        return;
    }
    tensor_copy_to(t, DT_F64, dst);
}

/* Converts `n` elements of type `dt` starting at `p`, `stride` bytes apart, to
 * doubles in `dst`: the row primitive for kernels that walk a strided tensor. */
void tensor_load_f64(dtype_t dt, const char *p, int64_t n, int64_t stride, double *dst) {
    if (dt == DT_F32) {
        for (int64_t i = 0; i < n; i++, p += stride) {
            float v;
            memcpy(&v, p, 4);
            dst[i] = v;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++, p += stride)
        dst[i] = load(dt, p);
}

/* Converts `n` elements of type `dt` starting at `p`, `stride` bytes apart, to floats
 * in `dst`: the float32 row primitive (PCA, SAE and lens kernels read rows through it).
 * Contiguous f32, f16 and bf16 rows take fast paths. */
void tensor_load_f32(dtype_t dt, const char *p, int64_t n, int64_t stride, float *dst) {
    if (dt == DT_F32 && stride == 4) {
        memcpy(dst, p, (size_t)n * 4);
        return;
    }
    if ((dt == DT_F16 || dt == DT_BF16) && stride == 2) {
        for (int64_t i = 0; i < n; i++, p += 2) {
            uint16_t h;
            memcpy(&h, p, 2);
            dst[i] = dt == DT_F16 ? tensor_f16_to_f32(h) : tensor_bf16_to_f32(h);
        }
        return;
    }
    for (int64_t i = 0; i < n; i++, p += stride)
        dst[i] = (float)load(dt, p);
}

/* ==== printing ====================================================================== */

/* Writes the shape as "[12, 64, 64]" ("[]" for a scalar) into `out`, truncating. */
void tensor_format_shape(const tensor_t *t, char *out, size_t cap) {
    format_shape(t->ndim, t->shape, out, cap);
}

#define FMT_LINEWIDTH 75
#define FMT_PRECISION 8
#define FMT_THRESHOLD 1000

typedef struct {
    const tensor_t *t;
    int64_t edge; /* items shown at each end of a summarised axis; 0 = show all */
    int sci;      /* floats: scientific notation */
    int decimals; /* floats: digits after the point (max over shown values) */
    int width;    /* widest formatted element */
    buf_t *out;
} fmt_t;

/* Does `s` (printed from v) read back as the same value at the dtype's precision? */
static int same_value(dtype_t dt, const char *s, double v) {
    double r = strtod(s, NULL);
    switch (dt) {
    case DT_F64:
        return r == v;
    case DT_F32:
        return (float)r == (float)v;
    case DT_F16:
        return tensor_f32_to_f16((float)r) == tensor_f32_to_f16((float)v);
    default:
        return tensor_f32_to_bf16((float)r) == tensor_f32_to_bf16((float)v);
    }
}

/* Fewest digits (<= FMT_PRECISION) that print `v` uniquely in the chosen notation. */
static int min_digits(dtype_t dt, double v, int sci) {
    char s[64];
    for (int d = 0; d < FMT_PRECISION; d++) {
        snprintf(s, sizeof s, sci ? "%.*e" : "%.*f", d, v);
        if (same_value(dt, s, v))
            return d;
    }
    return FMT_PRECISION;
}

/* Formats one element into s (no padding). */
static void fmt_elem(const fmt_t *f, const char *p, char *s, size_t cap) {
    dtype_t dt = f->t->dtype;
    if (dt == DT_BOOL) {
        snprintf(s, cap, "%s", *p ? "True" : "False");
        return;
    }
    if (dt == DT_U64 || dt == DT_I64) {
        if (dt == DT_U64) {
            uint64_t v;
            memcpy(&v, p, 8);
            snprintf(s, cap, "%" PRIu64, v);
        } else {
            int64_t v;
            memcpy(&v, p, 8);
            snprintf(s, cap, "%" PRId64, v);
        }
        return;
    }
    double v = load(dt, p);
    if (!dtype_is_float(dt)) {
        snprintf(s, cap, "%.0f", v);
        return;
    }
    if (v != v) {
        snprintf(s, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(s, cap, "%s", v < 0 ? "-inf" : "inf");
        return;
    }
    if (f->sci) {
        char m[64];
        snprintf(m, sizeof m, "%.*e", f->decimals, v);
        if (f->decimals == 0) { /* numpy writes "1.e-05" */
            char *e = strchr(m, 'e');
            if (e) {
                snprintf(s, cap, "%.*s.%s", (int)(e - m), m, e);
                return;
            }
        }
        snprintf(s, cap, "%s", m);
        return;
    }
    /* Fixed: the value's own unique digits, padded with spaces to the common count. */
    int d = min_digits(dt, v, 0);
    if (d > f->decimals)
        d = f->decimals;
    int n = snprintf(s, cap, "%.*f", d, v);
    if (d == 0 && n > 0 && (size_t)n + 1 < cap) {
        s[n++] = '.';
        s[n] = '\0';
    }
    for (int k = d; k < f->decimals && (size_t)n + 1 < cap; k++) {
        s[n++] = ' ';
        s[n] = '\0';
    }
}

/* Visits the shown elements (all of them, or the edges of each summarised axis). */
typedef void (*visit_fn)(const char *p, void *ctx);

static void visit(const fmt_t *f, int axis, const char *p, visit_fn fn, void *ctx) {
    const tensor_t *t = f->t;
    if (axis == t->ndim) {
        fn(p, ctx);
        return;
    }
    int64_t n = t->shape[axis];
    for (int64_t i = 0; i < n; i++) {
        if (f->edge && n > 2 * f->edge && i == f->edge)
            i = n - f->edge;
        visit(f, axis + 1, p + i * t->strides[axis], fn, ctx);
    }
}

typedef struct {
    double maxabs, minabs; /* over finite non-zero values */
    int any;
} range_t;

static void visit_range(const char *p, void *ctx) {
    const fmt_t *f = ((void **)ctx)[0];
    range_t *r = ((void **)ctx)[1];
    double v = fabs(load(f->t->dtype, p));
    if (!isfinite(v) || v == 0)
        return;
    if (!r->any || v > r->maxabs)
        r->maxabs = v;
    if (!r->any || v < r->minabs)
        r->minabs = v;
    r->any = 1;
}

static void visit_digits(const char *p, void *ctx) {
    fmt_t *f = ctx;
    double v = load(f->t->dtype, p);
    if (!isfinite(v))
        return;
    int d = min_digits(f->t->dtype, v, f->sci);
    if (d > f->decimals)
        f->decimals = d;
}

static void visit_width(const char *p, void *ctx) {
    fmt_t *f = ctx;
    char s[96];
    fmt_elem(f, p, s, sizeof s);
    int w = (int)strlen(s);
    if (w > f->width)
        f->width = w;
}

static void put_elem(fmt_t *f, const char *p) {
    char s[96];
    fmt_elem(f, p, s, sizeof s);
    buf_printf(f->out, "%*s", f->width, s);
}

/* Prints the sub-array at `axis` starting at p; `indent` is the column of its '['.
 * *col tracks the current line length for wrapping the innermost axis. */
static void print_rec(fmt_t *f, int axis, const char *p, int indent, int *col) {
    const tensor_t *t = f->t;
    int64_t n = t->shape[axis];
    int summarise = f->edge && n > 2 * f->edge;
    buf_putc(f->out, '[');
    (*col)++;
    int last = axis == t->ndim - 1;
    for (int64_t i = 0; i < n; i++) {
        int ellipsis = 0;
        if (summarise && i == f->edge) {
            i = n - f->edge - 1; /* loop adds one */
            ellipsis = 1;
        }
        if (last) {
            int w = ellipsis ? 3 : f->width;
            if (i > 0 || ellipsis) {
                if (*col + 2 + w + 1 > FMT_LINEWIDTH) {
                    buf_printf(f->out, ",\n%*s", indent + 1, "");
                    *col = indent + 1;
                } else {
                    buf_puts(f->out, ", ");
                    *col += 2;
                }
            }
            if (ellipsis) {
                buf_puts(f->out, "...");
                *col += 3;
                continue;
            }
            put_elem(f, p + i * t->strides[axis]);
            *col += f->width;
        } else {
            if (i > 0 || ellipsis) {
                buf_putc(f->out, ',');
                for (int k = 0; k < t->ndim - axis - 1; k++)
                    buf_putc(f->out, '\n');
                buf_printf(f->out, "%*s", indent + 1, "");
                *col = indent + 1;
            }
            if (ellipsis) {
                buf_puts(f->out, "...");
                continue;
            }
            print_rec(f, axis + 1, p + i * t->strides[axis], indent + 1, col);
        }
    }
    buf_putc(f->out, ']');
    (*col)++;
}

/* Appends a numpy-repr-like rendering of `t` to `out`:
 *     tensor([[0.1 , 0.25],
 *             [1.  , 2.  ]], dtype=float32, shape=[2, 2])
 * Tensors with more than 1000 elements are summarised: each axis longer than
 * 2 * edge_items shows its first and last edge_items entries around "..." (edge_items
 * <= 0 means 3, numpy's default). Floats use numpy's rules: the fewest digits (at most
 * 8) that identify each shown value, scientific notation when the magnitudes call for
 * it. */
void tensor_format(const tensor_t *t, buf_t *out, int64_t edge_items) {
    fmt_t f = {t, 0, 0, 0, 0, out};
    char shp[160];
    tensor_format_shape(t, shp, sizeof shp);
    if (edge_items <= 0)
        edge_items = 3;
    if (tensor_numel(t) > FMT_THRESHOLD)
        f.edge = edge_items;
    const char *prefix = "tensor(";
    int indent = (int)strlen(prefix);
    buf_puts(out, prefix);
    if (tensor_numel(t) == 0) {
        buf_puts(out, "[]");
    } else {
        if (dtype_is_float(t->dtype)) {
            range_t r = {0, 0, 0};
            void *ctx[2] = {&f, &r};
            visit(&f, 0, t->data, visit_range, ctx);
            f.sci = r.any &&
                    (r.maxabs >= 1e8 || r.minabs < 1e-4 || r.maxabs / r.minabs > 1e3);
            visit(&f, 0, t->data, visit_digits, &f);
        }
        visit(&f, 0, t->data, visit_width, &f);
        if (t->ndim == 0) {
            put_elem(&f, t->data);
        } else {
            int col = indent;
            print_rec(&f, 0, t->data, indent, &col);
        }
    }
    buf_printf(out, ", dtype=%s, shape=%s)", dtype_name(t->dtype), shp);
}
