/* SPDX-License-Identifier: MIT */
/* lens.c -- the logit lens: LN, unembedding with sgemm, stable softmax, top-k.
 *
 * The lens answers two questions: for the heatmap, one number per (layer, position)
 * over the whole stack (the target token's probability and the largest probability);
 * for a hovered cell, the whole distribution of that one cell, from which the caller
 * takes the top k. Full [layers, seq, vocab] probabilities are never kept: rows are
 * unembedded in blocks sized to a few MiB and summarised at once.
 *
 * W_U may have any dtype and strides; a float32 W_U with unit column stride is used in
 * place, anything else is converted in slabs of d_model rows, so the memory used stays
 * bounded whatever its size. Probabilities are computed from float32 logits with the
 * maximum subtracted and the sum of exponentials in float64. */
#include "lens.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* lens_model_init -- defaults: no tensors, LN on, eps 1e-5. */
void lens_model_init(lens_model_t *m) {
    memset(m, 0, sizeof *m);
    m->normalize = 1;
    m->eps = 1e-5;
}

static int vec_len_ok(const tensor_t *t, int64_t n, const char *what, err_t *err) {
    if (!t)
        return 0;
    if (t->ndim != 1 || t->shape[0] != n) {
        char s[64];
        tensor_format_shape(t, s, sizeof s);
        err_set(err, "ShapeError", "%s must have shape [%lld]; got %s", what,
                (long long)n, s);
        return -1;
    }
    return 0;
}

/* lens_dims -- see lens.h. */
int lens_dims(const lens_model_t *m, const tensor_t *input, int64_t *layers, int64_t *seq,
              int64_t *vocab, err_t *err) {
    char s[64];
    if (input->ndim != 2 && input->ndim != 3) {
        tensor_format_shape(input, s, sizeof s);
        err_set(err, "ShapeError",
                "the logit lens needs [layers, seq, %s]; got %s (index a batch first, "
                "e.g. x[:, 0])",
                m->unembed ? "d_model" : "vocab", s);
        return -1;
    }
    *layers = input->ndim == 3 ? input->shape[0] : 1;
    *seq = input->shape[input->ndim - 2];
    int64_t last = input->shape[input->ndim - 1];
    if (*layers < 1 || *seq < 1 || last < 1) {
        tensor_format_shape(input, s, sizeof s);
        err_set(err, "ShapeError", "the logit lens needs a non-empty stack; got %s", s);
        return -1;
    }
    if (!m->unembed) {
        *vocab = last;
    } else {
        if (m->unembed->ndim != 2 || m->unembed->shape[0] != last) {
            char u[64];
            tensor_format_shape(m->unembed, u, sizeof u);
            err_set(err, "ShapeError", "W_U must be [d_model = %lld, vocab]; got %s",
                    (long long)last, u);
            return -1;
        }
        *vocab = m->unembed->shape[1];
        if (*vocab < 1) {
            err_set(err, "ShapeError", "W_U has an empty vocabulary");
            return -1;
        }
        if (vec_len_ok(m->ln_w, last, "the LN weight", err) < 0 ||
            vec_len_ok(m->ln_b, last, "the LN bias", err) < 0)
            return -1;
    }
    if (vec_len_ok(m->b_u, *vocab, "b_U", err) < 0)
        return -1;
    if (*vocab > INT32_MAX || last > INT32_MAX) {
        err_set(err, "ShapeError", "vocabulary or d_model too large");
        return -1;
    }
    return 0;
}

/* Reads a 1-D tensor (or NULL -> dflt) into a float array of length n. */
static void read_vec(const tensor_t *t, int64_t n, float dflt, float *dst) {
    if (!t) {
        for (int64_t i = 0; i < n; i++)
            dst[i] = dflt;
        return;
    }
    tensor_t row = *t; /* read the vector as one row [1, n] */
    row.ndim = 2;
    row.shape[0] = 1;
    row.shape[1] = n;
    row.strides[0] = 0;
    row.strides[1] = t->strides[0];
    linalg_read_rows_f32(&row, 0, 1, dst, n);
}

/* Layer norm of `nr` rows of length d in place (float64 statistics). */
static void layer_norm(float *x, int64_t nr, int64_t d, const float *w, const float *b,
                       double eps) {
    for (int64_t i = 0; i < nr; i++) {
        float *row = x + i * d;
        double mu = 0, var = 0;
        for (int64_t j = 0; j < d; j++)
            mu += (double)row[j];
        mu /= (double)d;
        for (int64_t j = 0; j < d; j++)
            var += ((double)row[j] - mu) * ((double)row[j] - mu);
        double inv = 1.0 / sqrt(var / (double)d + eps);
        for (int64_t j = 0; j < d; j++)
            row[j] = (float)(((double)row[j] - mu) * inv) * w[j] + b[j];
    }
}

typedef struct unembed {
    const lens_model_t *m;
    int64_t d, vocab;
    float *lnw, *lnb, *bu; /* [d], [d], [vocab] */
    const float *w_direct; /* W_U used in place, or NULL */
    int64_t ldw;           /* its row stride in floats */
    float *slab;           /* conversion slab [slab_rows, vocab] */
    int64_t slab_rows;
} unembed_t;

static void unembed_fini(unembed_t *u) {
    free(u->lnw);
    free(u->lnb);
    free(u->bu);
    free(u->slab);
}

static int unembed_init(unembed_t *u, const lens_model_t *m, int64_t d, int64_t vocab,
                        err_t *err) {
    memset(u, 0, sizeof *u);
    u->m = m;
    u->d = d;
    u->vocab = vocab;
    u->bu = xcalloc((size_t)vocab, sizeof(float));
    if (m->b_u)
        read_vec(m->b_u, vocab, 0.0f, u->bu);
    if (!m->unembed)
        return 0;
    u->lnw = xmalloc((size_t)d * sizeof(float));
    u->lnb = xmalloc((size_t)d * sizeof(float));
    read_vec(m->ln_w, d, 1.0f, u->lnw);
    read_vec(m->ln_b, d, 0.0f, u->lnb);
    const tensor_t *w = m->unembed;
    if (w->dtype == DT_F32 && w->strides[1] == 4 && w->strides[0] % 4 == 0 &&
        w->strides[0] >= 4 * vocab) {
        u->w_direct = (const float *)(const void *)w->data;
        u->ldw = w->strides[0] / 4;
        return 0;
    }
    u->slab_rows = (int64_t)(8 << 20) / (vocab * 4);
    if (u->slab_rows < 1)
        u->slab_rows = 1;
    if (u->slab_rows > d)
        u->slab_rows = d;
    u->slab = util_try_malloc((size_t)(u->slab_rows * vocab) * sizeof(float));
    if (!u->slab) {
        err_set(err, "MemoryError", "cannot allocate the unembedding buffer");
        unembed_fini(u);
        return -1;
    }
    return 0;
}

/* Turns rows x [nr, d] (already read) into logits [nr, vocab]. */
static void unembed_rows(unembed_t *u, float *x, int64_t nr, float *logits) {
    int64_t d = u->d, v = u->vocab;
    if (!u->m->unembed) { /* x already is logits */
        memcpy(logits, x, (size_t)(nr * v) * sizeof(float));
    } else {
        if (u->m->normalize)
            layer_norm(x, nr, d, u->lnw, u->lnb, u->m->eps);
        else
            for (int64_t i = 0; i < nr; i++)
                for (int64_t j = 0; j < d; j++)
                    x[i * d + j] = x[i * d + j] * u->lnw[j] + u->lnb[j];
        if (u->w_direct) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)v,
                        (int)d, 1.0f, x, (int)d, u->w_direct, (int)u->ldw, 0.0f, logits,
                        (int)v);
        } else {
            for (int64_t j0 = 0; j0 < d; j0 += u->slab_rows) {
                int64_t nj = d - j0 < u->slab_rows ? d - j0 : u->slab_rows;
                linalg_read_rows_f32(u->m->unembed, j0, nj, u->slab, v);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)v,
                            (int)nj, 1.0f, x + j0, (int)d, u->slab, (int)v,
                            j0 ? 1.0f : 0.0f, logits, (int)v);
            }
        }
    }
    if (u->m->b_u)
        for (int64_t i = 0; i < nr; i++)
            for (int64_t j = 0; j < v; j++)
                logits[i * v + j] += u->bu[j];
}

/* Row r of the [layers * seq, last] view of the input. */
static void read_input_rows(const tensor_t *in, int64_t r0, int64_t nr, float *dst) {
    linalg_read_rows_f32(in, r0, nr, dst, linalg_cols(in));
}

/* lens_grid -- see lens.h. */
int lens_grid(const lens_model_t *m, const tensor_t *input, const int64_t *targets,
              lens_grid_t *out, volatile sig_atomic_t *interrupted,
              linalg_progress_fn progress, void *progress_ctx, err_t *err) {
    memset(out, 0, sizeof *out);
    int64_t layers, seq, vocab;
    if (lens_dims(m, input, &layers, &seq, &vocab, err) < 0)
        return -1;
    int64_t d = linalg_cols(input), rows = layers * seq;
    unembed_t u;
    if (unembed_init(&u, m, d, vocab, err) < 0)
        return -1;
    int64_t block = (int64_t)(16 << 20) / (vocab * 4);
    if (block < 1)
        block = 1;
    if (block > rows)
        block = rows;
    float *x = util_try_malloc((size_t)(block * d) * sizeof(float));
    float *logits = util_try_malloc((size_t)(block * vocab) * sizeof(float));
    out->target_prob = util_try_malloc((size_t)rows * sizeof(float));
    out->max_prob = util_try_malloc((size_t)rows * sizeof(float));
    out->argmax = util_try_malloc((size_t)rows * sizeof(int32_t));
    if (!x || !logits || !out->target_prob || !out->max_prob || !out->argmax) {
        err_set(err, "MemoryError", "cannot allocate the logit-lens buffers");
        goto fail;
    }
    out->layers = layers;
    out->seq = seq;
    out->vocab = vocab;
    for (int64_t r0 = 0; r0 < rows; r0 += block) {
        if (interrupted && *interrupted) {
            err_set(err, "KeyboardInterrupt", "logit lens interrupted");
            goto fail;
        }
        int64_t nr = rows - r0 < block ? rows - r0 : block;
        read_input_rows(input, r0, nr, x);
        unembed_rows(&u, x, nr, logits);
        for (int64_t i = 0; i < nr; i++) {
            const float *l = logits + i * vocab;
            int64_t best = 0;
            for (int64_t j = 1; j < vocab; j++)
                if (l[j] > l[best])
                    best = j;
            double mx = (double)l[best], sum = 0;
            for (int64_t j = 0; j < vocab; j++)
                sum += exp((double)l[j] - mx);
            int64_t r = r0 + i, pos = r % seq;
            out->max_prob[r] = (float)(1.0 / sum);
            out->argmax[r] = (int32_t)best;
            int64_t t = targets ? targets[pos] : -1;
            out->target_prob[r] =
                (t >= 0 && t < vocab) ? (float)(exp((double)l[t] - mx) / sum) : NAN;
        }
        if (progress)
            progress(progress_ctx, (double)(r0 + nr) / (double)rows);
    }
    if (interrupted && *interrupted) { /* pressed during the last block */
        err_set(err, "KeyboardInterrupt", "logit lens interrupted");
        goto fail;
    }
    free(x);
    free(logits);
    unembed_fini(&u);
    return 0;
fail:
    free(x);
    free(logits);
    unembed_fini(&u);
    lens_grid_fini(out);
    return -1;
}

/* lens_grid_fini -- frees the arrays of `g` and zeroes it; a zeroed grid is fine. */
void lens_grid_fini(lens_grid_t *g) {
    if (!g)
        return;
    free(g->target_prob);
    free(g->max_prob);
    free(g->argmax);
    memset(g, 0, sizeof *g);
}

/* lens_cell_probs -- see lens.h. Bounds of layer and pos are checked ("IndexError"). */
int lens_cell_probs(const lens_model_t *m, const tensor_t *input, int64_t layer,
                    int64_t pos, float *probs, err_t *err) {
    int64_t layers, seq, vocab;
    if (lens_dims(m, input, &layers, &seq, &vocab, err) < 0)
        return -1;
    if (layer < 0 || layer >= layers || pos < 0 || pos >= seq) {
        err_set(err, "IndexError",
                "cell (%lld, %lld) is outside [%lld layers, %lld positions]",
                (long long)layer, (long long)pos, (long long)layers, (long long)seq);
        return -1;
    }
    int64_t d = linalg_cols(input);
    unembed_t u;
    if (unembed_init(&u, m, d, vocab, err) < 0)
        return -1;
    float *x = xmalloc((size_t)d * sizeof(float));
    read_input_rows(input, layer * seq + pos, 1, x);
    unembed_rows(&u, x, 1, probs);
    float mx = probs[0];
    for (int64_t j = 1; j < vocab; j++)
        if (probs[j] > mx)
            mx = probs[j];
    double sum = 0;
    for (int64_t j = 0; j < vocab; j++)
        sum += exp((double)probs[j] - (double)mx);
    for (int64_t j = 0; j < vocab; j++)
        probs[j] = (float)(exp((double)probs[j] - (double)mx) / sum);
    free(x);
    unembed_fini(&u);
    return 0;
}

/* lens_topk -- see lens.h. Insertion into a sorted array of k: O(n) for the usual case
 * where few elements beat the current k-th. NaNs are never selected. */
int lens_topk(const float *x, int64_t n, int k, int32_t *idx, float *val) {
    int cnt = 0;
    if (k <= 0)
        return 0;
    for (int64_t i = 0; i < n; i++) {
        float v = x[i];
        if (v != v)
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
        idx[j] = (int32_t)i;
    }
    return cnt;
}
