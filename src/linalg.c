/* SPDX-License-Identifier: MIT */
/* linalg.c -- PCA with OpenBLAS/LAPACKE: chunked covariance or randomized range finder.
 *
 * Activation matrices are big (10^6 rows), memory-mapped and of any dtype, so this
 * module never converts the whole input at once: it reads a chunk of rows into a float32
 * buffer, does the BLAS work on that buffer and moves on, polling the interrupt flag and
 * reporting progress between chunks. It allocates nothing proportional to n except the
 * projected coordinates (and, for the randomized method, an [n, k + oversample] basis).
 * It must not touch the store: results are plain arrays the caller wraps.
 *
 * Design notes (covariance method):
 *   1. One pass: every chunk is shifted by s (the mean of the first chunk, so the
 *      subtraction removes most of the mean and float32 products do not cancel), its
 *      Gram matrix is formed by ssyrk in float32 and added into a float64 accumulator,
 *      and the column sums of the shifted rows are kept in float64.
 *   2. C = (sum (x-s)(x-s)^T - n m m^T) / (n - 1) with m = mean(x - s): exact algebra,
 *      small correction because s is close to the mean.
 *   3. dsyevr computes only eigenpairs il = d-k+1 .. d of C (ascending), reversed here.
 *   4. Signs: the entry of largest magnitude of each component is made positive, so two
 *      runs (and two dtypes) agree.
 *   5. Projection: a second pass, coords = (x - mean) @ components^T with sgemm. */
#include "linalg.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================================
 * Row access
 * ==================================================================================== */

/* linalg_rows -- the number of rows of `t` read as [n, d]: the product of every axis
 * but the last (1 for a vector, 0 for a scalar). */
int64_t linalg_rows(const tensor_t *t) {
    if (t->ndim == 0)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < t->ndim - 1; i++)
        n *= t->shape[i];
    return n;
}

/* linalg_cols -- the length of the last axis of `t` (0 for a scalar). */
int64_t linalg_cols(const tensor_t *t) {
    return t->ndim ? t->shape[t->ndim - 1] : 0;
}

/* Byte offset of row r (C order over the leading axes). */
static int64_t row_offset(const tensor_t *t, int64_t r) {
    int64_t off = 0;
    for (int ax = t->ndim - 2; ax >= 0; ax--) {
        int64_t len = t->shape[ax];
        off += (r % len) * t->strides[ax];
        r /= len;
    }
    return off;
}

/* linalg_read_rows_f32 -- converts rows [r0, r0 + nr) of `t`, read as [n, d], to float32
 * in `dst` (row-major, `ld` floats between rows). The caller guarantees the range is in
 * bounds and dst has room for nr * ld floats. */
void linalg_read_rows_f32(const tensor_t *t, int64_t r0, int64_t nr, float *dst,
                          int64_t ld) {
    int64_t d = linalg_cols(t);
    int64_t cs = t->ndim ? t->strides[t->ndim - 1] : 0;
    for (int64_t i = 0; i < nr; i++) {
        tensor_load_f32(t->dtype, t->data + row_offset(t, r0 + i), d, cs, dst + i * ld);
    }
}

/* ======================================================================================
 * PCA
 * ==================================================================================== */

/* linalg_pca_opts_init -- default options: 10 components, automatic method, projection.
 */
void linalg_pca_opts_init(linalg_pca_opts_t *opts) {
    memset(opts, 0, sizeof *opts);
    opts->k = 10;
    opts->method = LINALG_PCA_AUTO;
    opts->project = 1;
}

/* linalg_pca_fini -- frees every array of `p` and zeroes it; a zeroed struct is fine. */
void linalg_pca_fini(linalg_pca_t *p) {
    if (!p)
        return;
    free(p->mean);
    free(p->components);
    free(p->explained_variance);
    free(p->explained_variance_ratio);
    free(p->coords);
    memset(p, 0, sizeof *p);
}

typedef struct run {
    const tensor_t *x;
    const linalg_pca_opts_t *o;
    int64_t n, d, chunk;
    double done, total; /* progress units (rows processed over all passes) */
} run_t;

static int interrupted(run_t *r, err_t *err) {
    if (r->o->interrupted && *r->o->interrupted) {
        err_set(err, "KeyboardInterrupt", "PCA interrupted");
        return 1;
    }
    return 0;
}

static void progress(run_t *r, double rows) {
    r->done += rows;
    if (r->o->progress)
        r->o->progress(r->o->progress_ctx, r->total > 0 ? r->done / r->total : 1.0);
}

/* Checks a converted chunk for NaN/Inf; returns the first bad row or -1. */
static int64_t first_nonfinite(const float *buf, int64_t nr, int64_t d) {
    for (int64_t i = 0; i < nr; i++) {
        const float *row = buf + i * d;
        float acc = 0.0f;
        for (int64_t j = 0; j < d; j++)
            acc += row[j] * 0.0f; /* NaN or Inf makes this NaN */
        if (acc != acc)
            return i;
    }
    return -1;
}

static void *try_array(size_t n, size_t size, err_t *err) {
    size_t bytes;
    void *p = NULL;
    if (util_mul_size(n ? n : 1, size, &bytes) == 0)
        p = util_try_malloc(bytes);
    if (!p) {
        char h[32];
        util_format_bytes((uint64_t)n * size, h, sizeof h);
        err_set(err, "MemoryError", "cannot allocate %s for PCA", h);
    }
    return p;
}

/* Sign convention and unit norm for the components (row-major [k, d]). */
static void fix_signs(float *comp, int k, int64_t d) {
    for (int i = 0; i < k; i++) {
        float *c = comp + (int64_t)i * d;
        int64_t best = 0;
        for (int64_t j = 1; j < d; j++)
            if (fabsf(c[j]) > fabsf(c[best]))
                best = j;
        if (c[best] < 0)
            for (int64_t j = 0; j < d; j++)
                c[j] = -c[j];
    }
}

/* Pass 1 of the covariance method: fills mean and the upper triangle of the covariance
 * cov [d, d] (float64, row-major). */
static int cov_pass(run_t *r, double *mean, double *cov, err_t *err) {
    int64_t n = r->n, d = r->d, chunk = r->chunk;
    int rc = -1;
    float *buf = try_array((size_t)(chunk * d), sizeof(float), err);
    float *g = buf ? try_array((size_t)(d * d), sizeof(float), err) : NULL;
    float *shift = g ? try_array((size_t)d, sizeof(float), err) : NULL;
    double *colsum = shift ? try_array((size_t)d, sizeof(double), err) : NULL;
    if (!colsum)
        goto out;
    memset(cov, 0, (size_t)(d * d) * sizeof(double));
    memset(colsum, 0, (size_t)d * sizeof(double));
    for (int64_t r0 = 0; r0 < n; r0 += chunk) {
        if (interrupted(r, err))
            goto out;
        int64_t nr = n - r0 < chunk ? n - r0 : chunk;
        linalg_read_rows_f32(r->x, r0, nr, buf, d);
        int64_t bad = first_nonfinite(buf, nr, d);
        if (bad >= 0) {
            err_set(err, "ValueError",
                    "input contains NaN or infinity (row %lld); PCA needs finite values",
                    (long long)(r0 + bad));
            goto out;
        }
        if (r0 == 0) {
            for (int64_t j = 0; j < d; j++) {
                double s = 0;
                for (int64_t i = 0; i < nr; i++)
                    s += (double)buf[i * d + j];
                shift[j] = (float)(s / (double)nr);
            }
        }
        for (int64_t i = 0; i < nr; i++) {
            float *row = buf + i * d;
            for (int64_t j = 0; j < d; j++) {
                row[j] -= shift[j];
                colsum[j] += (double)row[j];
            }
        }
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)nr, 1.0f, buf,
                    (int)d, 0.0f, g, (int)d);
        for (int64_t i = 0; i < d; i++)
            for (int64_t j = i; j < d; j++)
                cov[i * d + j] += (double)g[i * d + j];
        progress(r, (double)nr);
    }
    for (int64_t j = 0; j < d; j++)
        colsum[j] /= (double)n; /* mean of the shifted rows */
    for (int64_t i = 0; i < d; i++)
        for (int64_t j = i; j < d; j++)
            cov[i * d + j] =
                (cov[i * d + j] - (double)n * colsum[i] * colsum[j]) / (double)(n - 1);
    for (int64_t j = 0; j < d; j++)
        mean[j] = (double)shift[j] + colsum[j];
    rc = 0;
out:
    free(buf);
    free(g);
    free(shift);
    free(colsum);
    return rc;
}

static int pca_cov(run_t *r, linalg_pca_t *p, err_t *err) {
    int64_t d = r->d;
    int k = p->k, rc = -1;
    double *cov = try_array((size_t)(d * d), sizeof(double), err);
    double *w = cov ? try_array((size_t)d, sizeof(double), err) : NULL;
    double *z = w ? try_array((size_t)(d * k), sizeof(double), err) : NULL;
    lapack_int *isuppz = z ? try_array((size_t)(2 * d), sizeof(lapack_int), err) : NULL;
    if (!isuppz)
        goto out;
    if (cov_pass(r, p->mean, cov, err) < 0)
        goto out;
    double trace = 0;
    for (int64_t j = 0; j < d; j++)
        trace += cov[j * d + j];
    p->total_variance = trace;
    lapack_int m = 0;
    lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', (lapack_int)d, cov,
                                     (lapack_int)d, 0.0, 0.0, (lapack_int)(d - k + 1),
                                     (lapack_int)d, 0.0, &m, w, z, (lapack_int)k, isuppz);
    if (info != 0 || m != k) {
        err_set(err, "ValueError", "eigensolver failed (dsyevr info %d, %d of %d found)",
                (int)info, (int)m, k);
        goto out;
    }
    for (int i = 0; i < k; i++) {
        int src = k - 1 - i; /* dsyevr: ascending */
        double ev = w[src] > 0 ? w[src] : 0.0;
        p->explained_variance[i] = ev;
        p->explained_variance_ratio[i] = trace > 0 ? ev / trace : 0.0;
        for (int64_t j = 0; j < d; j++)
            p->components[(int64_t)i * d + j] = (float)z[j * k + src];
    }
    rc = 0;
out:
    free(cov);
    free(w);
    free(z);
    free(isuppz);
    return rc;
}

/* --- randomized method ------------------------------------------------------------- */

/* splitmix64 + Box-Muller: a small deterministic Gaussian source. */
static uint64_t mix64(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double gauss(uint64_t *s) {
    double u1 = ((double)(mix64(s) >> 11) + 1.0) / 9007199254740993.0;
    double u2 = (double)(mix64(s) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Orthonormalises the columns of a [rows, l] row-major float matrix in place (QR). */
static int orthonormalise(float *a, int64_t rows, int l, err_t *err) {
    float *tau = try_array((size_t)l, sizeof(float), err);
    if (!tau)
        return -1;
    lapack_int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, (lapack_int)rows, l, a, l, tau);
    if (info == 0)
        info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, (lapack_int)rows, l, l, a, l, tau);
    free(tau);
    if (info != 0) {
        err_set(err, "ValueError", "QR factorisation failed (info %d)", (int)info);
        return -1;
    }
    return 0;
}

/* One pass: y[n, l] = (x - mean) @ omega[d, l]. When mean is NULL it is computed in
 * the same pass (shifted sums, as in the covariance method) together with the total
 * variance, and the centring is applied afterwards. */
static int pass_right(run_t *r, double *mean, int compute_mean, double *total_var,
                      const float *omega, int l, float *y, err_t *err) {
    int64_t n = r->n, d = r->d, chunk = r->chunk;
    int rc = -1;
    float *buf = try_array((size_t)(chunk * d), sizeof(float), err);
    float *shift = buf ? try_array((size_t)d, sizeof(float), err) : NULL;
    double *colsum = shift ? try_array((size_t)(2 * d), sizeof(double), err) : NULL;
    if (!colsum)
        goto out;
    memset(colsum, 0, (size_t)(2 * d) * sizeof(double));
    double *sq = colsum + d;
    for (int64_t j = 0; j < d; j++)
        shift[j] = compute_mean ? 0.0f : (float)mean[j];
    for (int64_t r0 = 0; r0 < n; r0 += chunk) {
        if (interrupted(r, err))
            goto out;
        int64_t nr = n - r0 < chunk ? n - r0 : chunk;
        linalg_read_rows_f32(r->x, r0, nr, buf, d);
        if (compute_mean) {
            int64_t bad = first_nonfinite(buf, nr, d);
            if (bad >= 0) {
                err_set(
                    err, "ValueError",
                    "input contains NaN or infinity (row %lld); PCA needs finite values",
                    (long long)(r0 + bad));
                goto out;
            }
            if (r0 == 0)
                for (int64_t j = 0; j < d; j++) {
                    double s = 0;
                    for (int64_t i = 0; i < nr; i++)
                        s += (double)buf[i * d + j];
                    shift[j] = (float)(s / (double)nr);
                }
        }
        for (int64_t i = 0; i < nr; i++) {
            float *row = buf + i * d;
            for (int64_t j = 0; j < d; j++) {
                row[j] -= shift[j];
                if (compute_mean) {
                    colsum[j] += (double)row[j];
                    sq[j] += (double)row[j] * (double)row[j];
                }
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, l, (int)d, 1.0f,
                    buf, (int)d, omega, l, 0.0f, y + r0 * l, l);
        progress(r, (double)nr);
    }
    if (compute_mean) {
        /* y holds (x - s) omega; subtract (m - s) omega with m - s = colsum / n. */
        double tv = 0;
        float *corr = try_array((size_t)l, sizeof(float), err);
        if (!corr)
            goto out;
        for (int c = 0; c < l; c++) {
            double acc = 0;
            for (int64_t j = 0; j < d; j++)
                acc += colsum[j] / (double)n * (double)omega[j * l + c];
            corr[c] = (float)acc;
        }
        for (int64_t i = 0; i < n; i++)
            for (int c = 0; c < l; c++)
                y[i * l + c] -= corr[c];
        free(corr);
        for (int64_t j = 0; j < d; j++) {
            double ms = colsum[j] / (double)n;
            mean[j] = (double)shift[j] + ms;
            tv += (sq[j] - (double)n * ms * ms) / (double)(n - 1);
        }
        *total_var = tv;
    }
    rc = 0;
out:
    free(buf);
    free(shift);
    free(colsum);
    return rc;
}

/* One pass: z[d, l] = (x - mean)^T @ q[n, l]. */
static int pass_left(run_t *r, const double *mean, const float *q, int l, float *z,
                     err_t *err) {
    int64_t n = r->n, d = r->d, chunk = r->chunk;
    float *buf = try_array((size_t)(chunk * d), sizeof(float), err);
    if (!buf)
        return -1;
    memset(z, 0, (size_t)(d * l) * sizeof(float));
    for (int64_t r0 = 0; r0 < n; r0 += chunk) {
        if (interrupted(r, err)) {
            free(buf);
            return -1;
        }
        int64_t nr = n - r0 < chunk ? n - r0 : chunk;
        linalg_read_rows_f32(r->x, r0, nr, buf, d);
        for (int64_t i = 0; i < nr; i++)
            for (int64_t j = 0; j < d; j++)
                buf[i * d + j] -= (float)mean[j];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, l, (int)nr, 1.0f,
                    buf, (int)d, q + r0 * l, l, 1.0f, z, l);
        progress(r, (double)nr);
    }
    free(buf);
    return 0;
}

static int pca_randomized(run_t *r, linalg_pca_t *p, err_t *err) {
    int64_t n = r->n, d = r->d;
    int k = p->k;
    int over = r->o->oversample > 0 ? r->o->oversample : 10;
    int iters = r->o->power_iters > 0 ? r->o->power_iters : 4;
    int64_t lmax = n < d ? n : d;
    int l = (int)((int64_t)k + over < lmax ? (int64_t)k + over : lmax);
    int rc = -1;
    float *omega = try_array((size_t)(d * l), sizeof(float), err);
    float *y = omega ? try_array((size_t)(n * l), sizeof(float), err) : NULL;
    double *bb = y ? try_array((size_t)l * (size_t)l, sizeof(double), err) : NULL;
    double *w = bb ? try_array((size_t)l, sizeof(double), err) : NULL;
    if (!w)
        goto out;
    uint64_t seed = r->o->seed ? r->o->seed : 0x6d65636876697aull;
    for (int64_t i = 0; i < d * l; i++)
        omega[i] = (float)gauss(&seed);
    if (pass_right(r, p->mean, 1, &p->total_variance, omega, l, y, err) < 0)
        goto out;
    if (orthonormalise(y, n, l, err) < 0)
        goto out;
    for (int it = 0; it < iters; it++) {
        if (pass_left(r, p->mean, y, l, omega, err) < 0 || /* omega := X^T Q */
            orthonormalise(omega, d, l, err) < 0 ||
            pass_right(r, p->mean, 0, NULL, omega, l, y, err) < 0 ||
            orthonormalise(y, n, l, err) < 0)
            goto out;
    }
    /* B^T = X^T Q [d, l]; B B^T = (B^T)^T B^T [l, l]; its eigenvectors u give the right
     * singular vectors v = B^T u / s. */
    if (pass_left(r, p->mean, y, l, omega, err) < 0)
        goto out;
    for (int a = 0; a < l; a++)
        for (int b = a; b < l; b++) {
            double acc = 0;
            for (int64_t j = 0; j < d; j++)
                acc += (double)omega[j * l + a] * (double)omega[j * l + b];
            bb[a * l + b] = bb[b * l + a] = acc;
        }
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', l, bb, l, w) != 0) {
        err_set(err, "ValueError", "eigensolver failed in randomized PCA");
        goto out;
    }
    for (int i = 0; i < k; i++) {
        int src = l - 1 - i;
        double s2 = w[src] > 0 ? w[src] : 0.0;
        double s = sqrt(s2);
        p->explained_variance[i] = s2 / (double)(n - 1);
        p->explained_variance_ratio[i] =
            p->total_variance > 0 ? p->explained_variance[i] / p->total_variance : 0.0;
        for (int64_t j = 0; j < d; j++) {
            double acc = 0;
            for (int b = 0; b < l; b++)
                acc += (double)omega[j * l + b] * bb[b * l + src];
            p->components[(int64_t)i * d + j] = s > 0 ? (float)(acc / s) : 0.0f;
        }
    }
    rc = 0;
out:
    free(omega);
    free(y);
    free(bb);
    free(w);
    return rc;
}

/* linalg_pca_project -- writes (x[r] - mean) @ components^T for rows [r0, r0 + nr) into
 * dst [nr, k]. Allocates a chunk buffer; aborts only on bookkeeping OOM. */
void linalg_pca_project(const linalg_pca_t *p, const tensor_t *x, int64_t r0, int64_t nr,
                        float *dst) {
    int64_t d = p->d, chunk = 4096;
    float *buf = xmalloc((size_t)(chunk * d) * sizeof(float));
    for (int64_t s = 0; s < nr; s += chunk) {
        int64_t m = nr - s < chunk ? nr - s : chunk;
        linalg_read_rows_f32(x, r0 + s, m, buf, d);
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < d; j++)
                buf[i * d + j] -= (float)p->mean[j];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, p->k, (int)d, 1.0f,
                    buf, (int)d, p->components, (int)d, 0.0f, dst + s * p->k, p->k);
    }
    free(buf);
}

/* linalg_pca -- see linalg.h. Validates the shape, picks the method, runs it, fixes the
 * signs and projects. Everything allocated is freed on failure. */
int linalg_pca(const tensor_t *x, const linalg_pca_opts_t *opts, linalg_pca_t *out,
               err_t *err) {
    linalg_pca_opts_t dflt;
    if (!opts) {
        linalg_pca_opts_init(&dflt);
        opts = &dflt;
    }
    memset(out, 0, sizeof *out);
    if (x->ndim < 2) {
        err_set(err, "ShapeError", "PCA needs a matrix [n, d]; got %d dimension%s",
                x->ndim, x->ndim == 1 ? "" : "s");
        return -1;
    }
    int64_t n = linalg_rows(x), d = linalg_cols(x);
    if (n < 2 || d < 1) {
        err_set(err, "ShapeError",
                "PCA needs at least 2 rows and 1 column; got [%lld, %lld]", (long long)n,
                (long long)d);
        return -1;
    }
    if (d > 46340) { /* d*d must fit the BLAS int */
        err_set(err, "ShapeError", "PCA supports up to 46340 columns; got %lld",
                (long long)d);
        return -1;
    }
    int64_t kmax = n < d ? n : d;
    if (opts->k < 1 || opts->k > kmax) {
        err_set(err, "ValueError", "k must be between 1 and min(n, d) = %lld; got %d",
                (long long)kmax, opts->k);
        return -1;
    }
    linalg_pca_method_t method = opts->method;
    if (method == LINALG_PCA_AUTO)
        method = (d > 4096 && (int64_t)opts->k * 20 < d) ? LINALG_PCA_RANDOMIZED
                                                         : LINALG_PCA_COV;
    if (method == LINALG_PCA_RANDOMIZED && n > INT32_MAX / 64) {
        err_set(err, "ShapeError", "randomized PCA supports up to %d rows",
                INT32_MAX / 64);
        return -1;
    }
    run_t r = {.x = x, .o = opts, .n = n, .d = d};
    r.chunk = opts->chunk_rows > 0 ? opts->chunk_rows : (int64_t)(8 << 20) / (d * 4);
    if (r.chunk < 64)
        r.chunk = 64;
    if (r.chunk > n)
        r.chunk = n;
    int iters = opts->power_iters > 0 ? opts->power_iters : 4;
    double passes = method == LINALG_PCA_COV ? 1.0 : 2.0 + 2.0 * iters;
    r.total = (double)n * (passes + (opts->project ? 1.0 : 0.0));

    out->n = n;
    out->d = d;
    out->k = opts->k;
    out->method = method;
    out->mean = try_array((size_t)d, sizeof(double), err);
    out->components =
        out->mean ? try_array((size_t)(opts->k * d), sizeof(float), err) : NULL;
    out->explained_variance =
        out->components ? try_array((size_t)opts->k, sizeof(double), err) : NULL;
    out->explained_variance_ratio =
        out->explained_variance ? try_array((size_t)opts->k, sizeof(double), err) : NULL;
    if (!out->explained_variance_ratio)
        goto fail;
    if (opts->project) {
        size_t nk;
        if (util_mul_size((size_t)n, (size_t)opts->k, &nk) < 0 ||
            !(out->coords = try_array(nk, sizeof(float), err)))
            goto fail;
    }
    if ((method == LINALG_PCA_COV ? pca_cov(&r, out, err)
                                  : pca_randomized(&r, out, err)) < 0)
        goto fail;
    fix_signs(out->components, out->k, d);
    if (opts->project) {
        for (int64_t r0 = 0; r0 < n; r0 += r.chunk) {
            if (interrupted(&r, err))
                goto fail;
            int64_t nr = n - r0 < r.chunk ? n - r0 : r.chunk;
            linalg_pca_project(out, x, r0, nr, out->coords + r0 * out->k);
            progress(&r, (double)nr);
        }
    }
    return 0;
fail:
    linalg_pca_fini(out);
    return -1;
}
