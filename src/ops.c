/* SPDX-License-Identifier: MIT */
/* ops.c -- numeric kernels over tensors: summary statistics and softmax.
 *
 * Kernels here read any dtype and any strides through tensor_load_f64 and accumulate in
 * double, so a float16 tensor of a million elements gets an exact-enough mean. Long
 * loops poll the caller's interrupt flag so "interrupt kernel" works; nothing here
 * allocates tensor payloads or formats output for the user. */
#include "ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OPS_CHUNK 4096            /* elements converted per batch */
#define OPS_POLL_EVERY (1L << 20) /* elements between interrupt checks */

typedef struct {
    int64_t n;       /* finite values merged so far */
    double mean, m2; /* running mean and sum of squared deviations (Chan et al.) */
} moments_t;

/* Merges a batch of finite values into the running moments (two passes over the batch,
 * which is in cache, then the parallel-variance merge). */
static void merge_batch(moments_t *m, const double *v, int64_t n) {
    if (n == 0)
        return;
    double sum = 0;
    for (int64_t i = 0; i < n; i++)
        sum += v[i];
    double bmean = sum / (double)n, bm2 = 0;
    for (int64_t i = 0; i < n; i++)
        bm2 += (v[i] - bmean) * (v[i] - bmean);
    int64_t tot = m->n + n;
    double delta = bmean - m->mean;
    m->mean += delta * (double)n / (double)tot;
    m->m2 += bm2 + delta * delta * (double)m->n * (double)n / (double)tot;
    m->n = tot;
}

/* Computes statistics of every element of `t` into *st: min, max, mean and population
 * std (ddof 0) over the finite values (NaN when there are none), counts of NaN, +inf,
 * -inf and exact zeros, and the element count. Polls *interrupted (may be NULL) about
 * every million elements; returns 0, or -1 with "KeyboardInterrupt" in err. */
int ops_stats(const tensor_t *t, ops_stats_t *st, volatile sig_atomic_t *interrupted,
              err_t *err) {
    memset(st, 0, sizeof *st);
    st->count = tensor_numel(t);
    double vals[OPS_CHUNK], fin[OPS_CHUNK];
    moments_t m = {0, 0, 0};
    double lo = INFINITY, hi = -INFINITY;
    long since_poll = 0;
    int64_t idx[TENSOR_MAX_DIMS] = {0};
    int last = t->ndim - 1;
    int64_t rowlen = t->ndim ? t->shape[last] : 1;
    int64_t rowstride = t->ndim ? t->strides[last] : 0;
    if (st->count == 0)
        goto done;
    for (;;) {
        const char *row = t->data;
        for (int k = 0; k < last; k++)
            row += idx[k] * t->strides[k];
        for (int64_t off = 0; off < rowlen; off += OPS_CHUNK) {
            int64_t n = rowlen - off < OPS_CHUNK ? rowlen - off : OPS_CHUNK;
            tensor_load_f64(t->dtype, row + off * rowstride, n, rowstride, vals);
            int64_t nf = 0;
            for (int64_t i = 0; i < n; i++) {
                double v = vals[i];
                if (isnan(v))
                    st->nan++;
                else if (isinf(v))
                    v > 0 ? st->posinf++ : st->neginf++;
                else {
                    if (v == 0)
                        st->zeros++;
                    if (v < lo)
                        lo = v;
                    if (v > hi)
                        hi = v;
                    fin[nf++] = v;
                }
            }
            merge_batch(&m, fin, nf);
            since_poll += (long)n;
            if (since_poll >= OPS_POLL_EVERY) {
                since_poll = 0;
                if (interrupted && *interrupted) {
                    err_set(err, "KeyboardInterrupt", "interrupted");
                    return -1;
                }
            }
        }
        int k = last - 1;
        for (; k >= 0; k--) {
            if (++idx[k] < t->shape[k])
                break;
            idx[k] = 0;
        }
        if (k < 0)
            break;
    }
done:
    if (m.n == 0) {
        st->min = st->max = st->mean = st->std = NAN;
    } else {
        st->min = lo;
        st->max = hi;
        st->mean = m.mean;
        st->std = sqrt(m.m2 / (double)m.n);
    }
    return 0;
}

/* Replaces x[0..n) by its softmax, computed stably (subtract the maximum, sum in
 * double). A vector whose maximum is not finite (all -inf, or any +inf / NaN) becomes
 * NaN, as in numpy and torch. */
void ops_softmax_f32(float *x, size_t n) {
    if (n == 0)
        return;
    float mx = x[0];
    int has_nan = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            has_nan = 1;
        else if (x[i] > mx || isnan(mx))
            mx = x[i];
    }
    if (has_nan || !isfinite(mx)) {
        for (size_t i = 0; i < n; i++)
            x[i] = NAN;
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - mx);
        sum += (double)x[i];
    }
    float inv = (float)(1.0 / sum);
    for (size_t i = 0; i < n; i++)
        x[i] *= inv;
}
