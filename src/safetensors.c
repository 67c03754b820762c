/* SPDX-License-Identifier: MIT */
/* safetensors.c -- .safetensors files: a checked reader and an atomic writer.
 *
 * The format is an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {dtype, shape, data_offsets}, then the raw little-endian data. The
 * reader trusts nothing in the header: offsets must lie inside the data, be ordered,
 * match shape x dtype exactly and not overlap. Tensors stay memory-mapped unless their
 * offset is not aligned to the element size. The writer goes through a temporary file
 * in the same directory, fsync and rename, so a crash never leaves half a file.
 *
 * This file parses and writes JSON with jansson although it sits below the Jupyter
 * layer: the header is a file format, not protocol, and this (with records.c, for
 * .json data files) is the one allowed use of jansson in the data layer. */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ST_MAX_HEADER (100u << 20) /* the reference implementation's cap */

static const struct {
    const char *name;
    dtype_t dt;
} st_dtypes[] = {{"BOOL", DT_BOOL}, {"U8", DT_U8},   {"I8", DT_I8},     {"U16", DT_U16},
                 {"I16", DT_I16},   {"U32", DT_U32}, {"I32", DT_I32},   {"U64", DT_U64},
                 {"I64", DT_I64},   {"F16", DT_F16}, {"BF16", DT_BF16}, {"F32", DT_F32},
                 {"F64", DT_F64}};

static const char *st_name(dtype_t dt) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof *st_dtypes; i++)
        if (st_dtypes[i].dt == dt)
            return st_dtypes[i].name;
    return NULL;
}

typedef struct {
    const char *key; /* borrowed from the JSON header */
    dtype_t dt;      /* element type */
    int ndim;        /* axes */
    int64_t shape[TENSOR_MAX_DIMS];
    uint64_t begin; /* data_offsets[0], relative to the data section */
    uint64_t end;   /* data_offsets[1] */
} spec_t;

static int get_u64(json_t *v, uint64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Validates one header entry into *s. */
static int read_spec(const char *key, json_t *v, uint64_t data_len, spec_t *s,
                     err_t *err) {
    s->key = key;
    if (!json_is_object(v)) {
        err_set(err, "FormatError", "tensor '%s': header entry is not an object", key);
        return -1;
    }
    json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
           *offs = json_object_get(v, "data_offsets");
    if (!dt || !shape || !offs) {
        err_set(err, "FormatError", "tensor '%s': missing '%s'", key,
                !dt      ? "dtype"
                : !shape ? "shape"
                         : "data_offsets");
        return -1;
    }
    const char *dn = json_string_value(dt);
    size_t k = 0, nd = sizeof st_dtypes / sizeof *st_dtypes;
    for (; dn && k < nd; k++)
        if (strcmp(dn, st_dtypes[k].name) == 0)
            break;
    if (!dn || k == nd) {
        err_set(err, "FormatError", "tensor '%s': unsupported dtype '%s'", key,
                dn ? dn : "(not a string)");
        return -1;
    }
    s->dt = st_dtypes[k].dt;
    if (!json_is_array(shape) || json_array_size(shape) > TENSOR_MAX_DIMS) {
        err_set(err, "FormatError",
                "tensor '%s': 'shape' must be a list of at most %d sizes", key,
                TENSOR_MAX_DIMS);
        return -1;
    }
    s->ndim = (int)json_array_size(shape);
    for (int i = 0; i < s->ndim; i++) {
        json_t *d = json_array_get(shape, (size_t)i);
        if (!json_is_integer(d) || json_integer_value(d) < 0) {
            err_set(err, "FormatError",
                    "tensor '%s': shape[%d] is not a non-negative integer", key, i);
            return -1;
        }
        s->shape[i] = (int64_t)json_integer_value(d);
    }
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        get_u64(json_array_get(offs, 0), &s->begin) < 0 ||
        get_u64(json_array_get(offs, 1), &s->end) < 0) {
        err_set(err, "FormatError",
                "tensor '%s': 'data_offsets' must be two non-negative integers", key);
        return -1;
    }
    if (s->begin > s->end || s->end > data_len) {
        err_set(err, "FormatError",
                "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                "] lie outside the data section (%" PRIu64 " bytes)",
                key, s->begin, s->end, data_len);
        return -1;
    }
    size_t nbytes;
    if (tensor_checked_numel(s->ndim, s->shape, s->dt, &nbytes) < 0) {
        err_set(err, "FormatError", "tensor '%s': shape overflows", key);
        return -1;
    }
    if (s->end - s->begin != (uint64_t)nbytes) {
        err_set(err, "FormatError",
                "tensor '%s': data_offsets span %" PRIu64
                " bytes but the shape needs %zu",
                key, s->end - s->begin, nbytes);
        return -1;
    }
    return 0;
}

static int cmp_begin(const void *a, const void *b) {
    const spec_t *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Parses the .safetensors file data[0..len) into `out`: each tensor `key` becomes
 * `name.key` (or `key` when name is NULL). Tensors reference `mem` when given and
 * aligned, else own copies. `__metadata__` is ignored. Returns 0, or -1 with
 * "FormatError" (truncated, bad JSON, bad dtype/shape/offsets, overlaps) or
 * "MemoryError" in err and an empty result. */
int safetensors_parse(tensor_mem_t *mem, const char *data, size_t len, const char *name,
                      tensor_io_result_t *out, err_t *err) {
    tensor_io_result_init(out);
    if (len < 8) {
        err_set(err, "FormatError", "truncated .safetensors file (%zu bytes)", len);
        return -1;
    }
    const unsigned char *u = (const unsigned char *)data;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | u[i];
    if (hlen > len - 8) {
        err_set(err, "FormatError",
                "truncated .safetensors file: the header length %" PRIu64
                " exceeds the file size (%zu bytes)",
                hlen, len);
        return -1;
    }
    if (hlen > ST_MAX_HEADER) {
        err_set(err, "FormatError", "safetensors header too large (%" PRIu64 " bytes)",
                hlen);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(data + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        err_set(err, "FormatError",
                "invalid JSON in the safetensors header: %s (line %d, "
                "column %d)",
                jerr.text, jerr.line, jerr.column);
        return -1;
    }
    spec_t *specs = NULL;
    size_t n = 0;
    int rc = -1;
    if (!json_is_object(root)) {
        err_set(err, "FormatError", "the safetensors header is not a JSON object");
        goto out;
    }
    uint64_t data_off = 8 + hlen, data_len = len - data_off;
    specs = xcalloc(json_object_size(root) + 1, sizeof *specs);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        if (strlen(key) == 0) {
            err_set(err, "FormatError", "a tensor has an empty name");
            goto out;
        }
        if (read_spec(key, v, data_len, &specs[n], err) < 0)
            goto out;
        n++;
    }
    qsort(specs, n, sizeof *specs, cmp_begin);
    for (size_t i = 1; i < n; i++) {
        if (specs[i].begin < specs[i - 1].end) {
            err_set(err, "FormatError",
                    "tensors '%s' and '%s' overlap in the data section", specs[i - 1].key,
                    specs[i].key);
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        spec_t *s = &specs[i];
        tensor_t *t = tensor_io_place(mem, data + data_off + s->begin, s->end - s->begin,
                                      s->dt, s->ndim, s->shape, NULL, 0, err);
        if (!t)
            goto out;
        tensor_io_result_add(out, name, s->key, STORE_TENSOR)->tensor = t;
    }
    rc = 0;
out:
    if (rc < 0)
        tensor_io_result_fini(out);
    free(specs);
    json_decref(root);
    return rc;
}

/* ==== writing ======================================================================= */

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the elements of `t` in C order, in chunks, converting a strided view. */
static int write_tensor(int fd, const tensor_t *t) {
    if (tensor_is_contiguous(t))
        return write_all(fd, t->data, tensor_nbytes(t));
    enum { CHUNK = 1 << 20 };
    char *buf = xmalloc(CHUNK);
    size_t es = dtype_size(t->dtype), used = 0;
    int64_t idx[TENSOR_MAX_DIMS] = {0};
    int64_t numel = tensor_numel(t);
    int rc = 0;
    for (int64_t i = 0; i < numel && rc == 0; i++) {
        const char *p = t->data;
        for (int k = 0; k < t->ndim; k++)
            p += idx[k] * t->strides[k];
        memcpy(buf + used, p, es);
        used += es;
        if (used + es > CHUNK) {
            rc = write_all(fd, buf, used);
            used = 0;
        }
        for (int k = t->ndim - 1; k >= 0; k--) {
            if (++idx[k] < t->shape[k])
                break;
            idx[k] = 0;
        }
    }
    if (rc == 0 && used)
        rc = write_all(fd, buf, used);
    free(buf);
    return rc;
}

static int cmp_index_name(const void *a, const void *b, const char *const *names) {
    return strcmp(names[*(const size_t *)a], names[*(const size_t *)b]);
}

/* Insertion sort of indices by name (qsort has no context argument in C11). */
static void sort_by_name(size_t *ix, size_t n, const char *const *names) {
    for (size_t i = 1; i < n; i++) {
        size_t v = ix[i], j = i;
        while (j > 0 && cmp_index_name(&ix[j - 1], &v, names) > 0) {
            ix[j] = ix[j - 1];
            j--;
        }
        ix[j] = v;
    }
}

/* Writes tensors[i] under names[i] to a .safetensors file at `path`, atomically: into
 * `path.tmp.XXXXXX` in the same directory, then fsync and rename (the temporary file
 * is removed on failure). Keys are sorted, the header is padded with spaces to a
 * multiple of 8 bytes, and strided views are written in C order. Returns 0, or -1 with
 * "ValueError" (duplicate or empty names) or "FileError" in err. */
int safetensors_save(const char *path, const char *const *names,
                     const tensor_t *const *tensors, size_t n, err_t *err) {
    size_t *ix = xmalloc((n + 1) * sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = i;
    sort_by_name(ix, n, names);
    json_t *hdr = json_object();
    uint64_t off = 0;
    int rc = -1, fd = -1;
    char *tmp = NULL, *text = NULL;
    for (size_t k = 0; k < n; k++) {
        size_t i = ix[k];
        if (!names[i][0] || (k > 0 && strcmp(names[i], names[ix[k - 1]]) == 0)) {
            err_set(err, "ValueError", "%s tensor name '%s'",
                    names[i][0] ? "duplicate" : "empty", names[i]);
            goto out;
        }
        const tensor_t *t = tensors[i];
        json_t *shape = json_array();
        for (int d = 0; d < t->ndim; d++)
            json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        uint64_t nb = tensor_nbytes(t);
        json_t *entry =
            json_pack("{s:s, s:o, s:[I, I]}", "dtype", st_name(t->dtype), "shape", shape,
                      "data_offsets", (json_int_t)off, (json_int_t)(off + nb));
        if (json_object_set_new(hdr, names[i], entry) < 0) {
            err_set(err, "ValueError", "tensor name '%.64s' is not valid UTF-8",
                    names[i]);
            goto out;
        }
        off += nb;
    }
    text = json_dumps(hdr, JSON_COMPACT | JSON_SORT_KEYS);
    size_t tlen = strlen(text), padded = (tlen + 7) / 8 * 8;
    tmp = xasprintf("%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(err, "FileError", "cannot create '%s': %s", tmp, strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    unsigned char lenb[8];
    for (int b = 0; b < 8; b++)
        lenb[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    char spaces[8] = "        ";
    int bad = write_all(fd, lenb, 8) || write_all(fd, text, tlen) ||
              write_all(fd, spaces, padded - tlen);
    for (size_t k = 0; k < n && !bad; k++)
        bad = write_tensor(fd, tensors[ix[k]]);
    if (bad || fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
        err_set(err, "FileError", "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) < 0) {
        fd = -1;
        err_set(err, "FileError", "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) < 0) {
        err_set(err, "FileError", "cannot rename '%s' to '%s': %s", tmp, path,
                strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    char *dcopy = xstrdup(path);
    int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* make the rename durable; best effort */
        fsync(dfd);
        close(dfd);
    }
    free(dcopy);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(text);
    json_decref(hdr);
    free(ix);
    return rc;
}
