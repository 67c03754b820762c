/* SPDX-License-Identifier: MIT */
/* sae.c -- SAE feature activations on demand, top-k and histogram.
 *
 * The feature explorer needs one feature at a time over every stored token, so this
 * module never forms the [n_tokens, d_sae] activation matrix (it is the big one): it
 * takes column f of W_enc, folds b_dec and b_enc into it, and runs one sgemv per chunk
 * of rows. Rows are converted to float32 chunk-wise, whatever the dtype and strides. */
#include "sae.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"

static int vec_ok(const tensor_t *t, int64_t n, const char *what, err_t *err) {
    if (!t || (t->ndim == 1 && t->shape[0] == n))
        return 0;
    char s[64];
    tensor_format_shape(t, s, sizeof s);
    err_set(err, "ShapeError", "%s must have shape [%lld]; got %s", what, (long long)n,
            s);
    return -1;
}

/* sae_dims -- see sae.h. */
int sae_dims(const sae_t *s, const tensor_t *acts, int64_t *n, int64_t *d_in,
             int64_t *d_sae, err_t *err) {
    char a[64], w[64];
    if (!s->w_enc || s->w_enc->ndim != 2) {
        if (s->w_enc)
            tensor_format_shape(s->w_enc, w, sizeof w);
        err_set(err, "ShapeError", "W_enc must be [d_in, d_sae]%s%s",
                s->w_enc ? "; got " : "", s->w_enc ? w : "");
        return -1;
    }
    *d_in = s->w_enc->shape[0];
    *d_sae = s->w_enc->shape[1];
    if (acts->ndim < 2 || linalg_cols(acts) != *d_in) {
        tensor_format_shape(acts, a, sizeof a);
        tensor_format_shape(s->w_enc, w, sizeof w);
        err_set(err, "ShapeError",
                "activations must be [n_tokens, d_in = %lld] to match W_enc %s; got %s",
                (long long)*d_in, w, a);
        return -1;
    }
    *n = linalg_rows(acts);
    if (*d_in > INT32_MAX || *d_sae < 1) {
        err_set(err, "ShapeError", "W_enc has an unsupported shape");
        return -1;
    }
    return vec_ok(s->b_enc, *d_sae, "b_enc", err) < 0 ||
                   vec_ok(s->b_dec, *d_in, "b_dec", err) < 0 ||
                   vec_ok(s->threshold, *d_sae, "threshold", err) < 0
               ? -1
               : 0;
}

/* Element i of a 1-D tensor as float64 (0 for NULL). */
static double vec_at(const tensor_t *t, int64_t i) {
    if (!t)
        return 0.0;
    tensor_t row = *t;
    row.ndim = 2;
    row.shape[0] = 1;
    row.shape[1] = 1;
    row.strides[0] = 0;
    row.data = t->data + i * t->strides[0];
    float v;
    linalg_read_rows_f32(&row, 0, 1, &v, 1);
    return (double)v;
}

/* sae_feature -- see sae.h. */
int sae_feature(const sae_t *s, const tensor_t *acts, int64_t f, float *out,
                volatile sig_atomic_t *interrupted, err_t *err) {
    int64_t n, d, ds;
    if (sae_dims(s, acts, &n, &d, &ds, err) < 0)
        return -1;
    if (f < 0 || f >= ds) {
        err_set(err, "IndexError",
                "feature %lld is out of range: the SAE has %lld features", (long long)f,
                (long long)ds);
        return -1;
    }
    /* w = W_enc[:, f] as one row [1, d] */
    tensor_t col = *s->w_enc;
    col.shape[0] = 1;
    col.shape[1] = d;
    col.strides[0] = 0;
    col.strides[1] = s->w_enc->strides[0];
    col.data = s->w_enc->data + f * s->w_enc->strides[1];
    float *w = xmalloc((size_t)d * sizeof(float));
    float *bdec = xmalloc((size_t)d * sizeof(float));
    linalg_read_rows_f32(&col, 0, 1, w, d);
    for (int64_t j = 0; j < d; j++)
        bdec[j] = (float)vec_at(s->b_dec, j);
    double benc = vec_at(s->b_enc, f);
    double thr = s->threshold ? vec_at(s->threshold, f) : 0.0;
    int64_t chunk = (int64_t)(4 << 20) / (d * 4);
    if (chunk < 16)
        chunk = 16;
    float *buf = util_try_malloc((size_t)(chunk * d) * sizeof(float));
    int rc = -1;
    if (!buf) {
        err_set(err, "MemoryError", "cannot allocate the SAE buffer");
        goto out;
    }
    for (int64_t r0 = 0; r0 < n; r0 += chunk) {
        if (interrupted && *interrupted) {
            err_set(err, "KeyboardInterrupt", "SAE feature computation interrupted");
            goto out;
        }
        int64_t nr = n - r0 < chunk ? n - r0 : chunk;
        linalg_read_rows_f32(acts, r0, nr, buf, d);
        if (s->b_dec)
            for (int64_t i = 0; i < nr; i++)
                for (int64_t j = 0; j < d; j++)
                    buf[i * d + j] -= bdec[j];
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)nr, (int)d, 1.0f, buf, (int)d, w, 1,
                    0.0f, out + r0, 1);
        for (int64_t i = 0; i < nr; i++) {
            double pre = (double)out[r0 + i] + benc;
            out[r0 + i] = (pre > 0.0 && pre > thr) ? (float)pre : 0.0f;
        }
    }
    rc = 0;
out:
    free(buf);
    free(w);
    free(bdec);
    return rc;
}

/* sae_topk -- see sae.h. */
int sae_topk(const float *a, int64_t n, int k, int64_t *idx, float *val) {
    int cnt = 0;
    if (k <= 0)
        return 0;
    for (int64_t i = 0; i < n; i++) {
        float v = a[i];
        if (!(v > 0.0f))
            continue;
        if (cnt == k && !(v > val[k - 1]))
            continue;
        int j = cnt < k ? cnt++ : k - 1;
        while (j > 0 && v > val[j - 1]) {
            val[j] = val[j - 1];
            idx[j] = idx[j - 1];
            j--;
        }
        val[j] = v;
        idx[j] = i;
    }
    return cnt;
}

/* sae_histogram -- see sae.h. Bins are [lo + i*w, lo + (i+1)*w), the last one closed. */
void sae_histogram(const float *a, int64_t n, int nbins, sae_hist_t *h) {
    memset(h, 0, sizeof *h);
    if (nbins < 1)
        nbins = 1;
    h->nbins = nbins;
    h->counts = xcalloc((size_t)nbins, sizeof(int64_t));
    h->n = n;
    double lo = 0.0, hi = 0.0, sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double v = (double)a[i];
        if (v == 0.0 || v != v)
            continue;
        if (h->nonzero == 0 || v > hi)
            hi = v;
        if (v < lo)
            lo = v;
        h->nonzero++;
        sum += v;
    }
    h->max = hi;
    h->mean = h->nonzero ? sum / (double)h->nonzero : 0.0;
    if (hi <= lo)
        hi = lo + 1.0;
    h->lo = lo;
    h->hi = hi;
    double width = (hi - lo) / nbins;
    for (int64_t i = 0; i < n; i++) {
        double v = (double)a[i];
        if (v == 0.0 || v != v)
            continue;
        int b = (int)((v - lo) / width);
        if (b >= nbins)
            b = nbins - 1;
        if (b < 0)
            b = 0;
        h->counts[b]++;
    }
}

/* sae_hist_fini -- frees the counts and zeroes h; a zeroed struct is fine. */
void sae_hist_fini(sae_hist_t *h) {
    if (!h)
        return;
    free(h->counts);
    memset(h, 0, sizeof *h);
}
