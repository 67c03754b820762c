/* SPDX-License-Identifier: MIT */
/* test_linalg.c -- PCA against a known decomposition and against scikit-learn results
 * (tests/data/make_pca_fixtures.py), sign-invariant; dtypes, strides, errors, interrupt.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture_npy.h"
#include "linalg.h"

/* Compares a PCA result with the sklearn fixture set NAME, allowing a sign flip per
 * component. Tolerances: explained variance relative 1e-4 (the bar), the rest
 * tighter or looser according to float32 arithmetic. */
static void compare_with(const char *name, const linalg_pca_t *p, double comp_tol) {
    char b[128];
    fixture_t comp, ev, evr, mean, coords;
    snprintf(b, sizeof b, "%s_components", name);
    CHECK(fixture_load(b, &comp) == 0);
    snprintf(b, sizeof b, "%s_ev", name);
    CHECK(fixture_load(b, &ev) == 0);
    snprintf(b, sizeof b, "%s_evr", name);
    CHECK(fixture_load(b, &evr) == 0);
    snprintf(b, sizeof b, "%s_mean", name);
    CHECK(fixture_load(b, &mean) == 0);
    snprintf(b, sizeof b, "%s_coords", name);
    CHECK(fixture_load(b, &coords) == 0);
    if (!comp.data || !ev.data || !evr.data || !mean.data || !coords.data)
        goto out;
    int k = (int)comp.t.shape[0];
    int64_t d = comp.t.shape[1];
    CHECK_EQ_INT(p->k, k);
    CHECK_EQ_INT(p->d, d);
    for (int64_t j = 0; j < d; j++)
        CHECK_EQ_DBL(p->mean[j], fixture_at(&mean, j),
                     1e-4 * (1 + fabs(fixture_at(&mean, j))));
    for (int i = 0; i < k; i++) {
        double ref = fixture_at(&ev, i);
        CHECK_EQ_DBL(p->explained_variance[i] / ref, 1.0, 1e-4);
        CHECK_EQ_DBL(p->explained_variance_ratio[i], fixture_at(&evr, i), 1e-5);
        double dot = 0;
        for (int64_t j = 0; j < d; j++)
            dot += (double)p->components[i * d + j] * fixture_at(&comp, i * d + j);
        CHECK_EQ_DBL(fabs(dot), 1.0, comp_tol);
        double sign = dot < 0 ? -1.0 : 1.0;
        if (p->coords) {
            double maxerr = 0, scale = sqrt(ref);
            for (int64_t r = 0; r < p->n; r++) {
                double e = fabs((double)p->coords[r * k + i] * sign -
                                fixture_at(&coords, r * k + i));
                if (e > maxerr)
                    maxerr = e;
            }
            CHECK(maxerr <= comp_tol * 10 * scale + 1e-4);
        }
    }
out:
    fixture_free(&comp);
    fixture_free(&ev);
    fixture_free(&evr);
    fixture_free(&mean);
    fixture_free(&coords);
}

static void test_known_decomposition(void) {
    /* Four points on two axes rotated by 30 degrees in the (0, 1) plane, plus an offset:
     * the covariance is diag(2a^2/3, 2b^2/3, 0) in the rotated basis. */
    const double a = 3.0, bb = 1.0, c = cos(M_PI / 6), s = sin(M_PI / 6);
    double pts[4][2] = {{a, 0}, {-a, 0}, {0, bb}, {0, -bb}};
    float x[4][3];
    for (int i = 0; i < 4; i++) {
        x[i][0] = (float)(c * pts[i][0] - s * pts[i][1] + 5.0);
        x[i][1] = (float)(s * pts[i][0] + c * pts[i][1] - 2.0);
        x[i][2] = 7.0f;
    }
    int64_t shape[2] = {4, 3};
    tensor_t t = fixture_wrap(x, DT_F32, 2, shape);
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = 2;
    linalg_pca_t p;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(linalg_pca(&t, &o, &p, &err), 0);
    CHECK_EQ_INT(p.method, LINALG_PCA_COV);
    CHECK_EQ_DBL(p.explained_variance[0], 2 * a * a / 3, 1e-5);
    CHECK_EQ_DBL(p.explained_variance[1], 2 * bb * bb / 3, 1e-5);
    CHECK_EQ_DBL(p.total_variance, 2 * (a * a + bb * bb) / 3, 1e-5);
    CHECK_EQ_DBL(p.explained_variance_ratio[0], 0.9, 1e-6);
    CHECK_EQ_DBL(p.mean[0], 5.0, 1e-6);
    CHECK_EQ_DBL(p.mean[1], -2.0, 1e-6);
    CHECK_EQ_DBL(p.mean[2], 7.0, 1e-6);
    /* First component is (cos 30, sin 30, 0): cos is the larger, so positive. */
    CHECK_EQ_DBL(p.components[0], c, 1e-6);
    CHECK_EQ_DBL(p.components[1], s, 1e-6);
    CHECK_EQ_DBL(p.components[2], 0.0, 1e-6);
    /* Second is +-(-sin 30, cos 30, 0); cos is the largest |loading| -> positive. */
    CHECK_EQ_DBL(p.components[3], -s, 1e-6);
    CHECK_EQ_DBL(p.components[4], c, 1e-6);
    /* Coordinates: point 0 projects to (a, 0), point 2 to (0, b). */
    CHECK_EQ_DBL(p.coords[0], a, 1e-5);
    CHECK_EQ_DBL(p.coords[1], 0.0, 1e-5);
    CHECK_EQ_DBL(p.coords[4], 0.0, 1e-5);
    CHECK_EQ_DBL(p.coords[5], bb, 1e-5);
    linalg_pca_fini(&p);
}

static void run_fixture(const char *name, int k, linalg_pca_method_t method,
                        int64_t chunk, double tol) {
    char b[128];
    fixture_t x;
    snprintf(b, sizeof b, "%s_x", name);
    CHECK(fixture_load(b, &x) == 0);
    if (!x.data)
        return;
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = k;
    o.method = method;
    o.chunk_rows = chunk;
    o.power_iters = 6;
    linalg_pca_t p;
    err_t err;
    err_clear(&err);
    int rc = linalg_pca(&x.t, &o, &p, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc == 0) {
        CHECK_EQ_INT(p.method, method);
        compare_with(name, &p, tol);
    } else {
        fprintf(stderr, "  %s\n", err.msg);
    }
    linalg_pca_fini(&p);
    fixture_free(&x);
}

static void test_sklearn_clusters(void) {
    run_fixture("clusters", 5, LINALG_PCA_COV, 0, 1e-5);
}
/* Small chunks: many partial Gram matrices must add up to the same answer. */
static void test_sklearn_chunked(void) {
    run_fixture("clusters", 5, LINALG_PCA_COV, 37, 1e-5);
}
static void test_sklearn_offset(void) {
    run_fixture("offset", 6, LINALG_PCA_COV, 50, 1e-4);
}
static void test_sklearn_half(void) {
    run_fixture("half", 4, LINALG_PCA_COV, 0, 1e-5);
}
static void test_sklearn_randomized(void) {
    run_fixture("clusters", 5, LINALG_PCA_RANDOMIZED, 64, 1e-4);
}

/* A strided view (every other row of a bigger buffer, stored with the columns reversed
 * and read through a negative column stride) gives the same result as the contiguous
 * array it shows. */
static void test_strided_view(void) {
    fixture_t x;
    CHECK(fixture_load("clusters_x", &x) == 0);
    if (!x.data)
        return;
    int64_t n = x.t.shape[0], d = x.t.shape[1];
    float *big = calloc((size_t)(2 * n * d), sizeof(float));
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++)
            big[(2 * i) * d + (d - 1 - j)] = ((float *)x.data)[i * d + j];
    tensor_t v;
    memset(&v, 0, sizeof v);
    v.dtype = DT_F32;
    v.ndim = 2;
    v.shape[0] = n;
    v.shape[1] = d;
    v.strides[0] = (int64_t)(2 * d * sizeof(float));
    v.strides[1] = -(int64_t)sizeof(float);
    v.data = (char *)(big + d - 1);
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = 5;
    linalg_pca_t p1, p2;
    err_t err;
    CHECK_EQ_INT(linalg_pca(&x.t, &o, &p1, &err), 0);
    CHECK_EQ_INT(linalg_pca(&v, &o, &p2, &err), 0);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_DBL(p1.explained_variance[i], p2.explained_variance[i],
                     1e-5 * p1.explained_variance[i]);
        for (int64_t j = 0; j < d; j++)
            CHECK_EQ_DBL(p1.components[i * d + j], p2.components[i * d + j], 1e-5);
    }
    CHECK_EQ_DBL(p1.coords[3], p2.coords[3], 1e-4);
    linalg_pca_fini(&p1);
    linalg_pca_fini(&p2);
    free(big);
    fixture_free(&x);
}

/* [a, b, d] is read as [a*b, d]; integer dtypes are converted. */
static void test_3d_and_ints(void) {
    int32_t xi[2][3][2] = {{{1, 2}, {3, 4}, {5, 7}}, {{0, 1}, {2, 2}, {9, 8}}};
    float xf[6][2];
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 2; j++)
            xf[i][j] = (float)((int32_t *)xi)[i * 2 + j];
    int64_t s3[3] = {2, 3, 2}, s2[2] = {6, 2};
    tensor_t ti = fixture_wrap(xi, DT_I32, 3, s3);
    ti.strides[2] = 4;
    ti.strides[1] = 8;
    ti.strides[0] = 24;
    tensor_t tf = fixture_wrap(xf, DT_F32, 2, s2);
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = 2;
    linalg_pca_t a, b;
    err_t err;
    CHECK_EQ_INT(linalg_pca(&ti, &o, &a, &err), 0);
    CHECK_EQ_INT(linalg_pca(&tf, &o, &b, &err), 0);
    CHECK_EQ_INT(a.n, 6);
    CHECK_EQ_DBL(a.explained_variance[0], b.explained_variance[0], 1e-6);
    CHECK_EQ_DBL(a.explained_variance_ratio[0] + a.explained_variance_ratio[1], 1.0,
                 1e-6);
    linalg_pca_fini(&a);
    linalg_pca_fini(&b);
}

/* bfloat16 input: the same answer as float32 input holding the rounded values. */
static void test_bf16_matches_rounded_f32(void) {
    fixture_t x;
    CHECK(fixture_load("clusters_x", &x) == 0);
    if (!x.data)
        return;
    int64_t n = x.t.shape[0], d = x.t.shape[1];
    uint16_t *h = malloc((size_t)(n * d) * sizeof(uint16_t));
    float *r = malloc((size_t)(n * d) * sizeof(float));
    for (int64_t i = 0; i < n * d; i++) {
        uint32_t bits;
        memcpy(&bits, &((float *)x.data)[i], 4);
        bits += 0x7fff + ((bits >> 16) & 1); /* round to nearest even */
        h[i] = (uint16_t)(bits >> 16);
        uint32_t back = (uint32_t)h[i] << 16;
        memcpy(&r[i], &back, 4);
    }
    int64_t shape[2] = {n, d};
    tensor_t tb = fixture_wrap(h, DT_BF16, 2, shape),
             tf = fixture_wrap(r, DT_F32, 2, shape);
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = 4;
    linalg_pca_t a, b;
    err_t err;
    CHECK_EQ_INT(linalg_pca(&tb, &o, &a, &err), 0);
    CHECK_EQ_INT(linalg_pca(&tf, &o, &b, &err), 0);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_DBL(a.explained_variance[i], b.explained_variance[i], 0);
    CHECK_EQ_DBL(a.coords[7], b.coords[7], 0);
    /* and it is close to the float32 PCA (bf16 keeps 8 bits of mantissa) */
    linalg_pca_t c;
    CHECK_EQ_INT(linalg_pca(&x.t, &o, &c, &err), 0);
    CHECK_EQ_DBL(a.explained_variance_ratio[0], c.explained_variance_ratio[0], 1e-2);
    linalg_pca_fini(&a);
    linalg_pca_fini(&b);
    linalg_pca_fini(&c);
    free(h);
    free(r);
    fixture_free(&x);
}

static void test_bad_input(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int64_t s1[1] = {8}, s2[2] = {4, 2}, s3[2] = {1, 8};
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    linalg_pca_t p;
    err_t err;

    tensor_t v = fixture_wrap(x, DT_F32, 1, s1);
    err_clear(&err);
    CHECK_EQ_INT(linalg_pca(&v, &o, &p, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ShapeError");
    CHECK_CONTAINS(err.msg, "[n, d]");

    tensor_t one = fixture_wrap(x, DT_F32, 2, s3);
    CHECK_EQ_INT(linalg_pca(&one, &o, &p, &err), -1);
    CHECK_CONTAINS(err.msg, "at least 2 rows");

    tensor_t m = fixture_wrap(x, DT_F32, 2, s2);
    o.k = 3; /* min(n, d) = 2 */
    CHECK_EQ_INT(linalg_pca(&m, &o, &p, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    CHECK_CONTAINS(err.msg, "min(n, d) = 2");
    o.k = 0;
    CHECK_EQ_INT(linalg_pca(&m, &o, &p, &err), -1);

    o.k = 1;
    x[5] = NAN;
    CHECK_EQ_INT(linalg_pca(&m, &o, &p, &err), -1);
    CHECK_CONTAINS(err.msg, "NaN or infinity (row 2)");
    x[5] = INFINITY;
    o.method = LINALG_PCA_RANDOMIZED;
    CHECK_EQ_INT(linalg_pca(&m, &o, &p, &err), -1);
    CHECK_CONTAINS(err.msg, "NaN or infinity (row 2)");
    CHECK(p.components == NULL && p.coords == NULL);
    linalg_pca_fini(&p); /* a zeroed result is fine */
}

typedef struct prog {
    volatile sig_atomic_t *flag;
    int calls;
    double last;
    int monotone;
    int stop_after; /* set the flag after this many calls; 0 = never */
} prog_t;

static void on_progress(void *ctx, double f) {
    prog_t *pr = ctx;
    if (f < pr->last)
        pr->monotone = 0;
    pr->last = f;
    pr->calls++;
    if (pr->stop_after && pr->calls == pr->stop_after)
        *pr->flag = 1;
}

static void test_progress_and_interrupt(void) {
    fixture_t x;
    CHECK(fixture_load("clusters_x", &x) == 0);
    if (!x.data)
        return;
    for (int method = LINALG_PCA_COV; method <= LINALG_PCA_RANDOMIZED; method++) {
        volatile sig_atomic_t flag = 0;
        prog_t pr = {&flag, 0, 0.0, 1, 0};
        linalg_pca_opts_t o;
        linalg_pca_opts_init(&o);
        o.k = 3;
        o.method = (linalg_pca_method_t)method;
        o.chunk_rows = 50;
        o.progress = on_progress;
        o.progress_ctx = &pr;
        o.interrupted = &flag;
        linalg_pca_t p;
        err_t err;
        CHECK_EQ_INT(linalg_pca(&x.t, &o, &p, &err), 0);
        CHECK(pr.calls > 10);
        CHECK(pr.monotone);
        CHECK_EQ_DBL(pr.last, 1.0, 1e-12);
        double ev0 = p.explained_variance[0];
        linalg_pca_fini(&p);

        /* Interrupt after 3 chunks: -1, KeyboardInterrupt, nothing left allocated. */
        pr = (prog_t){&flag, 0, 0.0, 1, 3};
        err_clear(&err);
        CHECK_EQ_INT(linalg_pca(&x.t, &o, &p, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
        CHECK_EQ_INT(pr.calls, 3);
        CHECK(p.mean == NULL && p.components == NULL && p.coords == NULL);
        /* The input is untouched and a rerun gives the same answer. */
        flag = 0;
        pr.stop_after = 0;
        CHECK_EQ_INT(linalg_pca(&x.t, &o, &p, &err), 0);
        CHECK_EQ_DBL(p.explained_variance[0], ev0, 1e-9 * ev0);
        linalg_pca_fini(&p);
    }
    fixture_free(&x);
}

CHECK_MAIN(test_known_decomposition, test_sklearn_clusters, test_sklearn_chunked,
           test_sklearn_offset, test_sklearn_half, test_sklearn_randomized,
           test_strided_view, test_3d_and_ints, test_bf16_matches_rounded_f32,
           test_bad_input, test_progress_and_interrupt)
