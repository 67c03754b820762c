/* SPDX-License-Identifier: MIT */
/* linalg.h -- PCA of big activation matrices with OpenBLAS/LAPACKE, chunked and
 * interruptible; row readers that turn any dtype and strides into float32.
 *
 * Nothing here knows about the store or the command language: callers hand in a tensor
 * (any float or integer dtype, any strides, shape [..., d] read as [n, d] rows) and get
 * plain heap arrays back, which they may wrap as tensors. */
#ifndef MECHVIZ_LINALG_H
#define MECHVIZ_LINALG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"
#include "util.h"

/* --- row access ------------------------------------------------------------------- */

/* Number of rows of `t` read as [n, d] (product of all axes but the last); 1 for a 1-D
 * tensor, 0 for a scalar. */
int64_t linalg_rows(const tensor_t *t);
/* Length of the last axis (d); 0 for a scalar. */
int64_t linalg_cols(const tensor_t *t);
/* Converts rows [r0, r0 + nr) of `t` (read as [n, d]) to float32 into `dst`, row-major
 * with row stride `ld` floats (ld >= d). Any dtype and any strides. */
void linalg_read_rows_f32(const tensor_t *t, int64_t r0, int64_t nr, float *dst,
                          int64_t ld);

/* --- PCA -------------------------------------------------------------------------- */

typedef enum linalg_pca_method {
    LINALG_PCA_AUTO,      /* covariance; randomized when d > 4096 and k < d / 20 */
    LINALG_PCA_COV,       /* X^T X with ssyrk in chunks, then dsyevr for the top k */
    LINALG_PCA_RANDOMIZED /* randomized range finder (Halko et al.) with power iterations
                           */
} linalg_pca_method_t;

/* Called between chunks with the fraction done (0..1). */
typedef void (*linalg_progress_fn)(void *ctx, double fraction);

typedef struct linalg_pca_opts {
    int k;                              /* components wanted, 1..min(n, d) */
    linalg_pca_method_t method;         /* see above */
    int project;                        /* 1: also compute coords [n, k] */
    int64_t chunk_rows;                 /* rows per chunk; 0 = automatic */
    int power_iters;                    /* randomized: power iterations; 0 = 4 */
    int oversample;                     /* randomized: extra columns; 0 = 10 */
    uint64_t seed;                      /* randomized: PRNG seed (deterministic) */
    volatile sig_atomic_t *interrupted; /* polled between chunks; may be NULL */
    linalg_progress_fn progress;        /* may be NULL */
    void *progress_ctx;                 /* passed to progress */
} linalg_pca_opts_t;

typedef struct linalg_pca {
    int64_t n, d;                     /* rows and columns of the input */
    int k;                            /* components computed */
    linalg_pca_method_t method;       /* method actually used (never AUTO) */
    double *mean;                     /* [d] column means, owned */
    float *components;                /* [k, d] row-major unit vectors, owned */
    double *explained_variance;       /* [k] eigenvalues of the covariance (ddof 1) */
    double *explained_variance_ratio; /* [k] explained_variance / total_variance */
    double total_variance;            /* trace of the covariance (ddof 1) */
    float *coords;                    /* [n, k] projections, owned; NULL unless project */
} linalg_pca_t;

/* Fills `opts` with the defaults (k 10, AUTO, project 1). */
void linalg_pca_opts_init(linalg_pca_opts_t *opts);
/* Computes the top-k principal components of `x` read as [n, d]. On success returns 0
 * and fills `out` (free with linalg_pca_fini). On failure returns -1, fills `err`
 * ("ValueError" for bad shapes or non-finite input, "MemoryError", or
 * "KeyboardInterrupt" when *opts->interrupted became non-zero) and leaves `out` zeroed.
 * `x` is only read. Signs follow one convention: the largest-|loading| entry of each
 * component is positive. */
int linalg_pca(const tensor_t *x, const linalg_pca_opts_t *opts, linalg_pca_t *out,
               err_t *err);
/* Frees the arrays of `p` and zeroes it; accepts a zeroed struct. */
void linalg_pca_fini(linalg_pca_t *p);

/* Projects rows [r0, r0 + nr) of `x` onto the components of `p`: dst [nr, p->k]. */
void linalg_pca_project(const linalg_pca_t *p, const tensor_t *x, int64_t r0, int64_t nr,
                        float *dst);

#endif
