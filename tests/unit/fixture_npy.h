/* SPDX-License-Identifier: MIT */
/* fixture_npy.h -- a tiny .npy reader for the analysis tests' reference data.
 *
 * The analysis tests (test_linalg.c, test_lens.c, test_sae.c) compare against arrays
 * written by tests/data/make_pca_fixtures.py. They read them with this reader rather than
 * tensor_io.c, so a bug in the loader cannot hide a bug in the numerics (and the other
 * way round). Only what the generator writes is supported: little-endian f2/f4/f8, C
 * order. */
#ifndef MECHVIZ_FIXTURE_NPY_H
#define MECHVIZ_FIXTURE_NPY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/data/analysis/"
#endif

typedef struct fixture {
    tensor_t t; /* borrowed view over data (mem NULL) */
    void *data; /* owned bytes */
} fixture_t;

/* Loads FIXTURE_DIR NAME.npy into f; returns 0 or -1 (message on stderr). */
static inline int fixture_load(const char *name, fixture_t *f) {
    char path[512];
    snprintf(path, sizeof path, "%s%s.npy", FIXTURE_DIR, name);
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "  cannot open %s (run tests/data/make_pca_fixtures.py)\n", path);
        return -1;
    }
    unsigned char pre[10];
    if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fclose(fp);
        return -1;
    }
    size_t hlen = pre[8] | (pre[9] << 8);
    char *hdr = calloc(1, hlen + 1);
    if (fread(hdr, 1, hlen, fp) != hlen) {
        free(hdr);
        fclose(fp);
        return -1;
    }
    dtype_t dt = strstr(hdr, "<f2") ? DT_F16 : strstr(hdr, "<f8") ? DT_F64 : DT_F32;
    size_t es = dt == DT_F16 ? 2 : dt == DT_F64 ? 8 : 4;
    const char *s = strstr(hdr, "'shape': (");
    int nd = 0;
    int64_t numel = 1;
    if (s) {
        s += strlen("'shape': (");
        while (*s && *s != ')') {
            char *end;
            long long v = strtoll(s, &end, 10);
            if (end == s)
                break;
            f->t.shape[nd++] = v;
            numel *= v;
            s = end;
            while (*s == ',' || *s == ' ')
                s++;
        }
    }
    free(hdr);
    f->data = malloc((size_t)numel * es + 1);
    if (fread(f->data, es, (size_t)numel, fp) != (size_t)numel) {
        fclose(fp);
        free(f->data);
        return -1;
    }
    fclose(fp);
    f->t.dtype = dt;
    f->t.ndim = nd;
    int64_t st = (int64_t)es;
    for (int i = nd - 1; i >= 0; i--) {
        f->t.strides[i] = st;
        st *= f->t.shape[i];
    }
    f->t.data = f->data;
    return 0;
}

static inline void fixture_free(fixture_t *f) {
    free(f->data);
    memset(f, 0, sizeof *f);
}

/* Element i (C order) of a contiguous f32/f64 fixture, as double. */
static inline double fixture_at(const fixture_t *f, int64_t i) {
    if (f->t.dtype == DT_F64)
        return ((const double *)f->data)[i];
    return ((const float *)f->data)[i];
}

/* A contiguous tensor_t view over caller memory (mem NULL: nothing is freed). */
static inline tensor_t fixture_wrap(void *data, dtype_t dt, int nd,
                                    const int64_t *shape) {
    tensor_t t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.ndim = nd;
    size_t es = dt == DT_F64 ? 8 : (dt == DT_F16 || dt == DT_BF16) ? 2 : 4;
    int64_t st = (int64_t)es;
    for (int i = nd - 1; i >= 0; i--) {
        t.shape[i] = shape[i];
        t.strides[i] = st;
        st *= shape[i];
    }
    t.data = data;
    return t;
}

#endif
