/* SPDX-License-Identifier: MIT */
/* test_lens.c -- logit lens against numpy (tests/data/make_pca_fixtures.py): the grid,
 * one cell's distribution and its top-k, with and without LN weights, from precomputed
 * logits, with a converted W_U; shape errors and interrupt. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture_npy.h"
#include "lens.h"

typedef struct fx {
    fixture_t resid, wu, lnw, lnb, probs, plain, logits;
} fx_t;

static int load_all(fx_t *f) {
    memset(f, 0, sizeof *f);
    return fixture_load("lens_resid", &f->resid) | fixture_load("lens_wu", &f->wu) |
           fixture_load("lens_lnw", &f->lnw) | fixture_load("lens_lnb", &f->lnb) |
           fixture_load("lens_probs", &f->probs) |
           fixture_load("lens_probs_plain", &f->plain) |
           fixture_load("lens_logits", &f->logits);
}

static void free_all(fx_t *f) {
    fixture_free(&f->resid);
    fixture_free(&f->wu);
    fixture_free(&f->lnw);
    fixture_free(&f->lnb);
    fixture_free(&f->probs);
    fixture_free(&f->plain);
    fixture_free(&f->logits);
}

/* Checks every cell of the grid and every cell's distribution against ref [L, S, V]. */
static void check_against(const lens_model_t *m, const tensor_t *in,
                          const fixture_t *ref) {
    int64_t L = ref->t.shape[0], S = ref->t.shape[1], V = ref->t.shape[2];
    int64_t *targets = malloc((size_t)S * sizeof(int64_t));
    for (int64_t s = 0; s < S; s++)
        targets[s] = (s * 7 + 3) % V;
    targets[1] = -1; /* no target at position 1 */
    lens_grid_t g;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(lens_grid(m, in, targets, &g, NULL, NULL, NULL, &err), 0);
    CHECK_EQ_INT(g.layers, L);
    CHECK_EQ_INT(g.seq, S);
    CHECK_EQ_INT(g.vocab, V);
    float *p = malloc((size_t)V * sizeof(float));
    for (int64_t l = 0; l < L && g.max_prob; l++)
        for (int64_t s = 0; s < S; s++) {
            const double *r = (const double *)ref->data + (l * S + s) * V;
            int64_t best = 0;
            for (int64_t v = 1; v < V; v++)
                if (r[v] > r[best])
                    best = v;
            CHECK_EQ_DBL(g.max_prob[l * S + s], r[best], 1e-5);
            CHECK_EQ_INT(g.argmax[l * S + s], best);
            if (s == 1)
                CHECK(isnan(g.target_prob[l * S + s]));
            else
                CHECK_EQ_DBL(g.target_prob[l * S + s], r[targets[s]], 1e-5);
            CHECK_EQ_INT(lens_cell_probs(m, in, l, s, p, &err), 0);
            double maxerr = 0, sum = 0;
            for (int64_t v = 0; v < V; v++) {
                maxerr = fmax(maxerr, fabs((double)p[v] - r[v]));
                sum += (double)p[v];
            }
            CHECK(maxerr <= 1e-5);
            CHECK_EQ_DBL(sum, 1.0, 1e-5);
            /* top-5 equals numpy's argsort order */
            int32_t idx[5];
            float val[5];
            CHECK_EQ_INT(lens_topk(p, V, 5, idx, val), 5);
            for (int i = 0; i < 5; i++) {
                int64_t rank = 0; /* how many reference values beat idx[i] */
                for (int64_t v = 0; v < V; v++)
                    if (r[v] > r[idx[i]])
                        rank++;
                CHECK_EQ_INT(rank, i);
                CHECK_EQ_DBL(val[i], r[idx[i]], 1e-5);
            }
        }
    free(p);
    free(targets);
    lens_grid_fini(&g);
}

static void test_lens_with_ln(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.probs.data) {
        lens_model_t m;
        lens_model_init(&m);
        m.unembed = &f.wu.t;
        m.ln_w = &f.lnw.t;
        m.ln_b = &f.lnb.t;
        check_against(&m, &f.resid.t, &f.probs);
    }
    free_all(&f);
}

static void test_lens_plain(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.plain.data) {
        lens_model_t m;
        lens_model_init(&m);
        m.unembed = &f.wu.t;
        check_against(&m, &f.resid.t, &f.plain);
    }
    free_all(&f);
}

static void test_lens_from_logits(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.logits.data) {
        lens_model_t m;
        lens_model_init(&m);
        check_against(&m, &f.logits.t, &f.probs);
    }
    free_all(&f);
}

/* W_U as float64 and transposed in memory (column-major): the slab conversion path. */
static void test_lens_converted_unembed(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.wu.data) {
        int64_t D = f.wu.t.shape[0], V = f.wu.t.shape[1];
        double *wt = malloc((size_t)(D * V) * sizeof(double));
        for (int64_t i = 0; i < D; i++)
            for (int64_t j = 0; j < V; j++)
                wt[j * D + i] = ((float *)f.wu.data)[i * V + j];
        tensor_t w;
        memset(&w, 0, sizeof w);
        w.dtype = DT_F64;
        w.ndim = 2;
        w.shape[0] = D;
        w.shape[1] = V;
        w.strides[0] = 8;
        w.strides[1] = 8 * D;
        w.data = (char *)wt;
        lens_model_t m;
        lens_model_init(&m);
        m.unembed = &w;
        m.ln_w = &f.lnw.t;
        m.ln_b = &f.lnb.t;
        check_against(&m, &f.resid.t, &f.probs);
        free(wt);
    }
    free_all(&f);
}

static void test_topk_edges(void) {
    float x[6] = {0.1f, 0.5f, NAN, 0.5f, 0.9f, -1.0f};
    int32_t idx[8];
    float val[8];
    CHECK_EQ_INT(lens_topk(x, 6, 3, idx, val), 3);
    CHECK_EQ_INT(idx[0], 4);
    CHECK_EQ_INT(idx[1], 1); /* tie: lower index first */
    CHECK_EQ_INT(idx[2], 3);
    CHECK_EQ_INT(lens_topk(x, 6, 8, idx, val), 5); /* NaN skipped */
    CHECK_EQ_INT(idx[4], 5);
    CHECK_EQ_INT(lens_topk(x, 6, 0, idx, val), 0);
}

static void test_lens_errors(void) {
    fx_t f;
    CHECK(load_all(&f) == 0);
    if (f.wu.data) {
        lens_model_t m;
        lens_model_init(&m);
        m.unembed = &f.wu.t;
        lens_grid_t g;
        err_t err;
        /* W_U whose d_model does not match the stack */
        tensor_t bad = f.wu.t;
        bad.shape[0] = 5;
        m.unembed = &bad;
        CHECK_EQ_INT(lens_grid(&m, &f.resid.t, NULL, &g, NULL, NULL, NULL, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "ShapeError");
        CHECK_CONTAINS(err.msg, "d_model = 24");
        m.unembed = &f.wu.t;
        /* LN weight of the wrong length */
        tensor_t lw = f.lnw.t;
        lw.shape[0] = 3;
        m.ln_w = &lw;
        CHECK_EQ_INT(lens_grid(&m, &f.resid.t, NULL, &g, NULL, NULL, NULL, &err), -1);
        CHECK_CONTAINS(err.msg, "LN weight must have shape [24]");
        m.ln_w = NULL;
        /* a 1-D input */
        tensor_t v = f.lnw.t;
        CHECK_EQ_INT(lens_grid(&m, &v, NULL, &g, NULL, NULL, NULL, &err), -1);
        CHECK_CONTAINS(err.msg, "[layers, seq, d_model]");
        /* a cell out of range */
        float p[50];
        CHECK_EQ_INT(lens_cell_probs(&m, &f.resid.t, 4, 0, p, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "IndexError");
        CHECK_EQ_INT(lens_cell_probs(&m, &f.resid.t, 0, -1, p, &err), -1);
        /* interrupt */
        volatile sig_atomic_t flag = 1;
        CHECK_EQ_INT(lens_grid(&m, &f.resid.t, NULL, &g, &flag, NULL, NULL, &err), -1);
        CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
        CHECK(g.max_prob == NULL);
    }
    free_all(&f);
}

CHECK_MAIN(test_lens_with_ln, test_lens_plain, test_lens_from_logits,
           test_lens_converted_unembed, test_topk_edges, test_lens_errors)
