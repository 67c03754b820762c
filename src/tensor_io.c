/* SPDX-License-Identifier: MIT */
/* tensor_io.c -- file formats: opening and mapping files, .npy, results and naming.
 *
 * The only tensor code that touches the filesystem. tensor_io_load opens a path,
 * memory-maps it read-only (never reads it whole), recognises the format by its magic
 * bytes or extension and hands the bytes to the parser: .npy here, .npz in npz.c,
 * .safetensors in safetensors.c, .json/.jsonl in records.c. Every size that comes from
 * a file is checked against the file's length before it is used, so a truncated or
 * lying file gives a "FormatError", never a crash or a huge allocation.
 *
 * Design notes.
 *   1. Tensors reference the mapping (tensor_mem_t is refcounted), so the file stays
 *      mapped while any tensor or view of it lives. Data is copied only when it must be
 *      converted: big-endian files, data not aligned to its element size (so kernels may
 *      cast t->data to float *), deflated npz members, and parses without a mapping.
 *   2. A parse either succeeds with every item, or fails with an empty result: partial
 *      results are never returned.
 *   3. Keys that are not valid store names are sanitised ("0.weight" becomes
 *      "_0.weight") with a note in the result, never silently. */
#include "tensor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npz.h"
#include "records.h"
#include "safetensors.h"

/* ==== results and names ============================================================= */

/* Makes `r` an empty result. */
void tensor_io_result_init(tensor_io_result_t *r) {
    r->items = NULL;
    r->n = 0;
    strlist_init(&r->notes);
}

/* Frees every item, tensor and note; `r` is empty afterwards. Accepts NULL. */
void tensor_io_result_fini(tensor_io_result_t *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].name);
        tensor_free(r->items[i].tensor);
        strlist_fini(&r->items[i].strings);
    }
    free(r->items);
    strlist_fini(&r->notes);
    tensor_io_result_init(r);
}

static int name_start(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int name_char(unsigned char c) {
    return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '/' || c == '-';
}

/* Returns a malloc'd valid store name made from `s` (`len` bytes): invalid bytes become
 * '_' (a multi-byte UTF-8 character becomes one '_'), a leading non-letter gets a '_'
 * in front, and the result is cut to 255 bytes. */
char *tensor_io_sanitize(const char *s, size_t len) {
    buf_t b = BUF_INIT;
    if (len == 0 || !name_start((unsigned char)s[0]))
        buf_putc(&b, '_');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 && (c & 0xc0) == 0x80)
            continue; /* continuation byte: its lead byte already gave '_' */
        buf_putc(&b, name_char(c) ? (char)c : '_');
    }
    char *out = buf_take(&b, NULL);
    if (strlen(out) > 255)
        out[255] = '\0';
    return out;
}

static int result_has(const tensor_io_result_t *r, const char *name) {
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].name, name) == 0)
            return 1;
    return 0;
}

/* Appends an item named `prefix.key` (or `key` when prefix is NULL or empty) of `kind`
 * to `r` and returns it (borrowed; valid until the next add). An invalid name is
 * sanitised; any name already in the result gets a _2, _3, ... suffix; both are noted.
 * `key` must be valid UTF-8 (callers check). Never fails. */
tensor_io_item_t *tensor_io_result_add(tensor_io_result_t *r, const char *prefix,
                                       const char *key, store_kind_t kind) {
    char *full = prefix && *prefix ? xasprintf("%s.%s", prefix, key) : xstrdup(key);
    int valid = store_name_valid(full);
    if (!valid || result_has(r, full)) {
        /* Sanitise, then keep the name unique: an earlier key may have been renamed to
         * exactly this name ("a b" -> a_b before a real a_b), and both must survive. */
        char *base = valid ? xstrdup(full) : tensor_io_sanitize(full, strlen(full));
        char *clean = xstrdup(base);
        for (int k = 2; result_has(r, clean); k++) {
            free(clean);
            clean = xasprintf("%.*s_%d", 240, base, k);
        }
        free(base);
        strlist_push_take(&r->notes,
                          xasprintf("renamed '%.100s' to '%s' (%s)", full, clean,
                                    valid ? "the name was taken by a renamed key"
                                          : "not a valid name"));
        free(full);
        full = clean;
    }
    r->items = xrealloc(r->items, (r->n + 1) * sizeof *r->items);
    tensor_io_item_t *it = &r->items[r->n++];
    memset(it, 0, sizeof *it);
    it->name = full;
    it->kind = kind;
    strlist_init(&it->strings);
    return it;
}

/* Puts every item of `r` into store `s` under its name, with `source` as its source,
 * moving the tensors and strings out of `r` (the caller still calls
 * tensor_io_result_fini). All or nothing: if a put fails (the store's memory limit),
 * the items this call already put are deleted again and -1 is returned with err set;
 * otherwise 0. */
int tensor_io_put(store_t *s, tensor_io_result_t *r, const char *source, err_t *err) {
    for (size_t i = 0; i < r->n; i++) {
        tensor_io_item_t *it = &r->items[i];
        int rc;
        if (it->kind == STORE_TENSOR) {
            rc = store_put_tensor(s, it->name, it->tensor, source, err);
            it->tensor = NULL;
        } else if (it->kind == STORE_STRINGS) {
            rc = store_put_strings(s, it->name, &it->strings, source, err);
        } else {
            rc = store_put_table(s, it->name, &it->strings, it->nrows, source, err);
        }
        if (rc < 0) {
            for (size_t j = 0; j < i; j++)
                store_delete(s, r->items[j].name);
            return -1;
        }
    }
    return 0;
}

/* ==== .npy ========================================================================== */

typedef struct {
    const char *p, *end; /* the header dict text */
} hdr_t;

static void hdr_ws(hdr_t *h) {
    while (h->p < h->end &&
           (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hdr_eat(hdr_t *h, char c) {
    hdr_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return 1;
    }
    return 0;
}

/* Reads a quoted Python string literal (no escapes) into out. */
static int hdr_string(hdr_t *h, char *out, size_t cap) {
    hdr_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return -1;
    char q = *h->p++;
    const char *s = h->p;
    while (h->p < h->end && *h->p != q)
        h->p++;
    if (h->p >= h->end || (size_t)(h->p - s) >= cap)
        return -1;
    memcpy(out, s, (size_t)(h->p - s));
    out[h->p - s] = '\0';
    h->p++;
    return 0;
}

static int hdr_word(hdr_t *h, const char *w) {
    hdr_ws(h);
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return 1;
    }
    return 0;
}

/* Parses the shape tuple "()", "(5,)", "(3, 4)". */
static int hdr_shape(hdr_t *h, int *ndim, int64_t *shape, err_t *err) {
    if (!hdr_eat(h, '(')) {
        err_set(err, "FormatError", "bad .npy header: 'shape' is not a tuple");
        return -1;
    }
    *ndim = 0;
    for (;;) {
        if (hdr_eat(h, ')'))
            return 0;
        hdr_ws(h);
        int neg = 0;
        if (h->p < h->end && *h->p == '-') {
            neg = 1;
            h->p++;
        }
        if (h->p >= h->end || *h->p < '0' || *h->p > '9') {
            err_set(err, "FormatError",
                    "bad .npy header: non-numeric dimension in 'shape'");
            return -1;
        }
        int64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            int d = *h->p++ - '0';
            if (v > (INT64_MAX - d) / 10) {
                err_set(err, "FormatError",
                        "bad .npy header: dimension too large in 'shape'");
                return -1;
            }
            v = v * 10 + d;
        }
        if (h->p < h->end && *h->p == 'L') /* Python 2 longs */
            h->p++;
        if (neg) {
            err_set(err, "FormatError",
                    "bad .npy header: negative dimension -%" PRId64 " in 'shape'", v);
            return -1;
        }
        if (*ndim == TENSOR_MAX_DIMS) {
            err_set(err, "FormatError", "bad .npy header: more than %d dimensions",
                    TENSOR_MAX_DIMS);
            return -1;
        }
        shape[(*ndim)++] = v;
        if (hdr_eat(h, ','))
            continue;
        if (hdr_eat(h, ')'))
            return 0;
        err_set(err, "FormatError", "bad .npy header: malformed 'shape' tuple");
        return -1;
    }
}

/* Maps a numpy descr ("<f4", "|b1", ">i8") to a dtype; sets *swap for big-endian. */
static int npy_descr(const char *d, dtype_t *dt, int *swap) {
    static const struct {
        const char *code;
        dtype_t dt;
    } codes[] = {{"b1", DT_BOOL}, {"?", DT_BOOL}, {"u1", DT_U8},  {"i1", DT_I8},
                 {"u2", DT_U16},  {"i2", DT_I16}, {"u4", DT_U32}, {"i4", DT_I32},
                 {"u8", DT_U64},  {"i8", DT_I64}, {"f2", DT_F16}, {"f4", DT_F32},
                 {"f8", DT_F64}};
    char order = '=';
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
        order = *d++;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        if (strcmp(d, codes[i].code) == 0) {
            *dt = codes[i].dt;
            *swap = order == '>' && dtype_size(*dt) > 1;
            return 0;
        }
    }
    return -1;
}

static void byteswap(char *p, size_t n, size_t es) {
    for (size_t i = 0; i < n; i++, p += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            char c = p[a];
            p[a] = p[b];
            p[b] = c;
        }
}

/* Returns the tensor over `nbytes` at `data`: a view into `mem` when that is possible
 * (mem given, data aligned to the element size, no swap), else a heap copy. */
tensor_t *tensor_io_place(tensor_mem_t *mem, const char *data, size_t nbytes, dtype_t dt,
                          int ndim, const int64_t *shape, const int64_t *strides,
                          int swap, err_t *err) {
    size_t es = dtype_size(dt);
    if (mem && !swap && (uintptr_t)data % es == 0)
        return tensor_wrap(tensor_mem_ref(mem), (char *)data, dt, ndim, shape, strides);
    tensor_mem_t *m = tensor_mem_new_heap(nbytes, NULL);
    if (!m) {
        char sz[32], shp[160];
        util_format_bytes(nbytes, sz, sizeof sz);
        tensor_t tmp = {.ndim = ndim};
        memcpy(tmp.shape, shape, (size_t)ndim * sizeof *shape);
        tensor_format_shape(&tmp, shp, sizeof shp);
        err_set(err, "MemoryError", "cannot allocate %s for a %s tensor of shape %s", sz,
                dtype_name(dt), shp);
        return NULL;
    }
    char *dst = tensor_mem_data(m);
    if (nbytes)
        memcpy(dst, data, nbytes);
    if (swap)
        byteswap(dst, nbytes / es, es);
    return tensor_wrap(m, dst, dt, ndim, shape, strides);
}

/* Parses a whole .npy file (v1, v2 or v3) held in data[0..len): the header dict by
 * hand, then the data as a view into `mem` (or a copy, see tensor_io_place). Fortran
 * order gives reversed strides (no copy); big-endian data is copied and swapped, with
 * a note in `notes` (may be NULL). Returns 0 and sets *out (caller owns), or -1 with a
 * "FormatError" or "MemoryError" in err. */
int tensor_io_npy_parse(tensor_mem_t *mem, const char *data, size_t len, tensor_t **out,
                        strlist_t *notes, err_t *err) {
    *out = NULL;
    if (len < 10 || memcmp(data, "\x93NUMPY", 6) != 0) {
        if (len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)
            err_set(err, "FormatError", "truncated .npy file (%zu bytes)", len);
        else
            err_set(err, "FormatError", "not a .npy file (no \\x93NUMPY magic)");
        return -1;
    }
    unsigned major = (unsigned char)data[6], minor = (unsigned char)data[7];
    size_t hstart, hlen;
    if (major == 1) {
        hstart = 10;
        hlen = (unsigned char)data[8] | (size_t)(unsigned char)data[9] << 8;
    } else if (major == 2 || major == 3) {
        if (len < 12) {
            err_set(err, "FormatError", "truncated .npy file (%zu bytes)", len);
            return -1;
        }
        hstart = 12;
        hlen = (unsigned char)data[8] | (size_t)(unsigned char)data[9] << 8 |
               (size_t)(unsigned char)data[10] << 16 |
               (size_t)(unsigned char)data[11] << 24;
    } else {
        err_set(err, "FormatError", "unsupported .npy format version %u.%u", major,
                minor);
        return -1;
    }
    if (hlen > len - hstart) {
        err_set(err, "FormatError",
                "truncated .npy file: the header needs %zu bytes but the file has %zu",
                hstart + hlen, len);
        return -1;
    }
    hdr_t h = {data + hstart, data + hstart + hlen};
    char descr[32] = "";
    int fortran = -1, ndim = -1;
    int64_t shape[TENSOR_MAX_DIMS];
    if (!hdr_eat(&h, '{')) {
        err_set(err, "FormatError", "bad .npy header: not a dict");
        return -1;
    }
    while (!hdr_eat(&h, '}')) {
        char key[32];
        if (hdr_string(&h, key, sizeof key) < 0 || !hdr_eat(&h, ':')) {
            err_set(err, "FormatError", "bad .npy header: expected 'key': value");
            return -1;
        }
        if (strcmp(key, "descr") == 0) {
            if (hdr_string(&h, descr, sizeof descr) < 0) {
                err_set(
                    err, "FormatError",
                    "bad .npy header: 'descr' is not a simple dtype string (structured "
                    "arrays are not supported)");
                return -1;
            }
        } else if (strcmp(key, "fortran_order") == 0) {
            if (hdr_word(&h, "True"))
                fortran = 1;
            else if (hdr_word(&h, "False"))
                fortran = 0;
            else {
                err_set(err, "FormatError",
                        "bad .npy header: 'fortran_order' is not a bool");
                return -1;
            }
        } else if (strcmp(key, "shape") == 0) {
            if (hdr_shape(&h, &ndim, shape, err) < 0)
                return -1;
        } else {
            err_set(err, "FormatError", "bad .npy header: unexpected key '%s'", key);
            return -1;
        }
        if (!hdr_eat(&h, ',')) {
            if (hdr_eat(&h, '}'))
                break;
            err_set(err, "FormatError", "bad .npy header: expected ',' or '}'");
            return -1;
        }
    }
    if (!descr[0] || fortran < 0 || ndim < 0) {
        err_set(err, "FormatError", "bad .npy header: missing '%s'",
                !descr[0]     ? "descr"
                : fortran < 0 ? "fortran_order"
                              : "shape");
        return -1;
    }
    dtype_t dt;
    int swap;
    if (npy_descr(descr, &dt, &swap) < 0) {
        err_set(err, "FormatError", "unsupported dtype '%s' in .npy header", descr);
        return -1;
    }
    size_t nbytes;
    if (tensor_checked_numel(ndim, shape, dt, &nbytes) < 0) {
        err_set(err, "FormatError", "bad .npy header: shape overflows");
        return -1;
    }
    size_t off = hstart + hlen;
    if (nbytes > len - off) {
        err_set(err, "FormatError",
                "truncated .npy file: the header promises %zu bytes of data but only %zu "
                "follow",
                nbytes, len - off);
        return -1;
    }
    int64_t strides[TENSOR_MAX_DIMS];
    if (fortran) {
        int64_t s = (int64_t)dtype_size(dt);
        for (int i = 0; i < ndim; i++) {
            strides[i] = s;
            s *= shape[i] > 0 ? shape[i] : 1;
        }
    } else
        tensor_c_strides(ndim, shape, dt, strides);
    tensor_t *t =
        tensor_io_place(mem, data + off, nbytes, dt, ndim, shape, strides, swap, err);
    if (!t)
        return -1;
    if (swap && notes)
        strlist_push(notes, "converted big-endian data to native byte order (a copy)");
    *out = t;
    return 0;
}

/* Parses a .npy held in memory (see tensor_io_npy_parse; notes are dropped). */
int tensor_io_parse_npy(tensor_mem_t *mem, const char *data, size_t len, tensor_t **out,
                        err_t *err) {
    return tensor_io_npy_parse(mem, data, len, out, NULL, err);
}

/* Parses a .npz held in memory into `out` (entries `name.key`, or `key` when name is
 * NULL); tensors are copies. Returns 0, or -1 with err and an empty result. */
int tensor_io_parse_npz(const char *data, size_t len, const char *name,
                        tensor_io_result_t *out, err_t *err) {
    return npz_parse(NULL, data, len, name, out, err);
}

/* Parses a .safetensors held in memory into `out`; tensors reference `mem` (when given
 * and aligned) or are copies. Returns 0, or -1 with err and an empty result. */
int tensor_io_parse_safetensors(tensor_mem_t *mem, const char *data, size_t len,
                                const char *name, tensor_io_result_t *out, err_t *err) {
    return safetensors_parse(mem, data, len, name, out, err);
}

/* Parses JSON (`lines` = 0) or JSON lines (`lines` = 1) into token lists, tensors and
 * tables named after `name` (see records.c). Returns 0, or -1 with err. */
int tensor_io_parse_json(const char *data, size_t len, int lines, const char *name,
                         tensor_io_result_t *out, err_t *err) {
    return records_parse(data, len, lines, name, out, err);
}

/* Writes tensors to a .safetensors file atomically (see safetensors_save). */
int tensor_io_save_safetensors(const char *path, const char *const *names,
                               const tensor_t *const *tensors, size_t n, err_t *err) {
    return safetensors_save(path, names, tensors, n, err);
}

/* ==== files ========================================================================= */

typedef enum {
    FMT_UNKNOWN,
    FMT_NPY,
    FMT_NPZ,
    FMT_SAFETENSORS,
    FMT_JSON,
    FMT_JSONL
} fmt_t;

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

static fmt_t guess_format(const char *path, const char *data, size_t len) {
    if (len >= 6 && memcmp(data, "\x93NUMPY", 6) == 0)
        return FMT_NPY;
    if (ends_with(path, ".npy"))
        return FMT_NPY;
    if (ends_with(path, ".npz"))
        return FMT_NPZ;
    if (ends_with(path, ".safetensors") || ends_with(path, ".st"))
        return FMT_SAFETENSORS;
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson"))
        return FMT_JSONL;
    if (ends_with(path, ".json"))
        return FMT_JSON;
    if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0)
        return FMT_NPZ;
    return FMT_UNKNOWN;
}

/* The default name: the file's stem ("runs/log.jsonl" -> "log"), sanitised. */
static char *stem_name(const char *path, strlist_t *notes) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *stem = xstrndup(base, n);
    if (store_name_valid(stem))
        return stem;
    char *clean = tensor_io_sanitize(stem, n);
    strlist_push_take(notes,
                      xasprintf("named the data '%s' (the file name '%.100s' is not "
                                "a valid name)",
                                clean, stem));
    free(stem);
    return clean;
}

/* Loads the file at `path` into `out` (caller finalises with tensor_io_result_fini):
 * .npy gives one tensor named `name` (default: the file's stem); .npz and .safetensors
 * give every entry as `name.key`, or under its own key when `name` is NULL; .json and
 * .jsonl give token lists, tensors or tables named after `name` or the stem. The file
 * is memory-mapped read-only and the tensors keep the mapping alive. Returns 0, or -1
 * with "FileError" (cannot open, directory, unknown type), "FormatError" (malformed:
 * the message names the file) or "MemoryError", and an empty result. */
int tensor_io_load(const char *path, const char *name, tensor_io_result_t *out,
                   err_t *err) {
    tensor_io_result_init(out);
    if (name && !store_name_valid(name)) {
        err_set(err, "ValueError", "invalid name '%.100s'", name);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(err, "FileError", "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        err_set(err, "FileError", "cannot read '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        err_set(err, "FileError", "'%s' is a directory, not a file", path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        err_set(err, "FileError", "'%s' is not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size == 0) {
        err_set(err, "FormatError", "'%s' is empty", path);
        close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *base = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        err_set(err, "FileError", "cannot map '%s': %s", path, strerror(errno));
        return -1;
    }
    tensor_mem_t *mem = tensor_mem_new_mmap(base, len);
    const char *data = base;
    fmt_t fmt = guess_format(path, data, len);
    char *own_name = NULL;
    if (!name && fmt != FMT_NPZ && fmt != FMT_SAFETENSORS && fmt != FMT_UNKNOWN)
        name = own_name = stem_name(path, &out->notes);
    int rc = -1;
    err_t e;
    err_clear(&e);
    tensor_io_result_t r;
    tensor_io_result_init(&r);
    switch (fmt) {
    case FMT_NPY: {
        tensor_t *t;
        rc = tensor_io_npy_parse(mem, data, len, &t, &r.notes, &e);
        if (rc == 0)
            tensor_io_result_add(&r, NULL, name, STORE_TENSOR)->tensor = t;
        break;
    }
    case FMT_NPZ:
        rc = npz_parse(mem, data, len, name, &r, &e);
        break;
    case FMT_SAFETENSORS:
        rc = safetensors_parse(mem, data, len, name, &r, &e);
        break;
    case FMT_JSON:
    case FMT_JSONL:
        rc = records_parse(data, len, fmt == FMT_JSONL, name, &r, &e);
        break;
    case FMT_UNKNOWN: {
        const char *dot = strrchr(path, '.');
        err_set(&e, "FileError",
                "unknown file type%s%s%s (expected .npy, .npz, .safetensors, .json or "
                ".jsonl)",
                dot ? " '" : "", dot ? dot : "", dot ? "'" : "");
        break;
    }
    }
    tensor_mem_unref(mem);
    free(own_name);
    if (rc < 0) {
        tensor_io_result_fini(&r);
        tensor_io_result_fini(out);
        if (err) {
            err_set(err, e.kind, "%s: %s", path, e.msg);
            err->line = e.line;
            err->col = e.col;
        }
        return -1;
    }
    for (size_t i = 0; i < r.notes.n; i++) /* after the note on the stem */
        strlist_push(&out->notes, r.notes.items[i]);
    strlist_fini(&r.notes);
    out->items = r.items;
    out->n = r.n;
    return 0;
}
