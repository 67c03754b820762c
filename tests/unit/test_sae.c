/* SPDX-License-Identifier: MIT */
/* test_sae.c -- SAE encoding against numpy (ReLU and JumpReLU), strided W_enc, top-k,
 * histogram, shape errors and interrupt. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture_npy.h"
#include "sae.h"

typedef struct fx {
    fixture_t wenc, benc, bdec, thr, x, relu, jump;
} fx_t;

static int load_all(fx_t *f) {
    memset(f, 0, sizeof *f);
    return fixture_load("sae_wenc", &f->wenc) | fixture_load("sae_benc", &f->benc) |
           fixture_load("sae_bdec", &f->bdec) | fixture_load("sae_thr", &f->thr) |
           fixture_load("sae_x", &f->x) | fixture_load("sae_relu", &f->relu) |
           fixture_load("sae_jump", &f->jump);
}

static void free_all(fx_t *f) {
    fixture_free(&f->wenc);
    fixture_free(&f->benc);
    fixture_free(&f->bdec);
    fixture_free(&f->thr);
    fixture_free(&f->x);
    fixture_free(&f->relu);
    fixture_free(&f->jump);
}

/* Every feature's activations against ref [n, d_sae]. */
static void check_all_features(const sae_t *s, const tensor_t *x, const fixture_t *ref) {
    int64_t n = ref->t.shape[0], ds = ref->t.shape[1];
    float *a = malloc((size_t)n * sizeof(float));
    err_t err;
    int64_t zeros = 0, nonzeros = 0;
    for (int64_t f = 0; f < ds; f++) {
        CHECK_EQ_INT(sae_feature(s, x, f, a, NULL, &err), 0);
        double maxerr = 0;
        for (int64_t i = 0; i < n; i++) {
            double r = fixture_at(ref, i * ds + f);
            maxerr = fmax(maxerr, fabs((double)a[i] - r));
            if (r == 0.0) {
                zeros++;
                CHECK(a[i] == 0.0f || fabs((double)a[i]) < 1e-5);
            } else {
                nonzeros++;
            }
        }
        CHECK(maxerr <= 1e-5);
    }
    CHECK(zeros > 0 && nonzeros > 0); /* the fixture exercises both sides */
    free(a);
}

static void test_relu(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.relu.data) {
        sae_t s = {&f.wenc.t, &f.benc.t, &f.bdec.t, NULL};
        check_all_features(&s, &f.x.t, &f.relu);
    }
    free_all(&f);
}

static void test_jumprelu(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.jump.data) {
        sae_t s = {&f.wenc.t, &f.benc.t, &f.bdec.t, &f.thr.t};
        check_all_features(&s, &f.x.t, &f.jump);
    }
    free_all(&f);
}

/* W_enc stored transposed (as W_enc.T would be in float64): same answers. */
static void test_strided_wenc(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.wenc.data) {
        int64_t di = f.wenc.t.shape[0], ds = f.wenc.t.shape[1];
        double *wt = malloc((size_t)(di * ds) * sizeof(double));
        for (int64_t i = 0; i < di; i++)
            for (int64_t j = 0; j < ds; j++)
                wt[j * di + i] = ((float *)f.wenc.data)[i * ds + j];
        tensor_t w;
        memset(&w, 0, sizeof w);
        w.dtype = DT_F64;
        w.ndim = 2;
        w.shape[0] = di;
        w.shape[1] = ds;
        w.strides[0] = 8;
        w.strides[1] = 8 * di;
        w.data = (char *)wt;
        sae_t s = {&w, &f.benc.t, &f.bdec.t, &f.thr.t};
        check_all_features(&s, &f.x.t, &f.jump);
        free(wt);
    }
    free_all(&f);
}

static void test_topk_and_histogram(void) {
    float a[8] = {0, 2.5f, 0, 1.0f, 4.0f, 2.5f, 0, 0.5f};
    int64_t idx[4];
    float val[4];
    CHECK_EQ_INT(sae_topk(a, 8, 3, idx, val), 3);
    CHECK_EQ_INT(idx[0], 4);
    CHECK_EQ_INT(idx[1], 1);
    CHECK_EQ_INT(idx[2], 5);
    CHECK_EQ_INT(sae_topk(a, 8, 10 > 4 ? 4 : 10, idx, val), 4);
    float z[3] = {0, 0, 0};
    CHECK_EQ_INT(sae_topk(z, 3, 2, idx, val), 0);

    sae_hist_t h;
    sae_histogram(a, 8, 4, &h);
    CHECK_EQ_INT(h.n, 8);
    CHECK_EQ_INT(h.nonzero, 5);
    CHECK_EQ_DBL(h.max, 4.0, 0);
    CHECK_EQ_DBL(h.lo, 0.0, 0);
    CHECK_EQ_DBL(h.mean, 10.5 / 5, 1e-12);
    /* bins of width 1: [0,1) 0.5; [1,2) 1.0; [2,3) 2.5 2.5; [3,4] 4.0 */
    CHECK_EQ_INT(h.counts[0], 1);
    CHECK_EQ_INT(h.counts[1], 1);
    CHECK_EQ_INT(h.counts[2], 2);
    CHECK_EQ_INT(h.counts[3], 1);
    sae_hist_fini(&h);
    sae_histogram(z, 3, 10, &h);
    CHECK_EQ_INT(h.nonzero, 0);
    int64_t total = 0;
    for (int i = 0; i < h.nbins; i++)
        total += h.counts[i];
    CHECK_EQ_INT(total, 0);
    sae_hist_fini(&h);
}

static void test_errors(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.wenc.data) {
        sae_t s = {&f.wenc.t, &f.benc.t, &f.bdec.t, NULL};
        float a[500];
        err_t err;
        CHECK_EQ_INT(sae_feature(&s, &f.x.t, 40, a, NULL, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "IndexError");
        CHECK_CONTAINS(err.msg, "has 40 features");
        CHECK_EQ_INT(sae_feature(&s, &f.x.t, -1, a, NULL, &err), -1);
        /* activations with the wrong width */
        tensor_t x = f.x.t;
        x.shape[1] = 31;
        CHECK_EQ_INT(sae_feature(&s, &x, 0, a, NULL, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "ShapeError");
        CHECK_CONTAINS(err.msg, "d_in = 32");
        /* b_dec of the wrong length */
        tensor_t bd = f.bdec.t;
        bd.shape[0] = 7;
        s.b_dec = &bd;
        CHECK_EQ_INT(sae_feature(&s, &f.x.t, 0, a, NULL, &err), -1);
        CHECK_CONTAINS(err.msg, "b_dec must have shape [32]");
        s.b_dec = &f.bdec.t;
        volatile sig_atomic_t flag = 1;
        CHECK_EQ_INT(sae_feature(&s, &f.x.t, 0, a, &flag, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    }
    free_all(&f);
}

CHECK_MAIN(test_relu, test_jumprelu, test_strided_wenc, test_topk_and_histogram,
           test_errors)
