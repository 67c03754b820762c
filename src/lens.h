/* SPDX-License-Identifier: MIT */
/* lens.h -- the logit lens: final layer norm, unembedding, softmax, per-cell summaries
 * and top-k predictions, over a residual stack [layers, seq, d_model] or precomputed
 * logits [layers, seq, vocab].
 *
 * Like linalg.h it works on tensors handed in by the caller and returns plain arrays;
 * it knows nothing of the store, token strings or widgets. */
#ifndef MECHVIZ_LENS_H
#define MECHVIZ_LENS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "linalg.h"
#include "tensor.h"
#include "util.h"

typedef struct lens_model {
    const tensor_t *unembed; /* W_U [d_model, vocab]; NULL: the input already is logits */
    const tensor_t *ln_w;    /* final LN weight [d_model]; NULL = 1 */
    const tensor_t *ln_b;    /* final LN bias [d_model]; NULL = 0 */
    const tensor_t *b_u;     /* unembedding bias [vocab]; NULL = 0 */
    int normalize;           /* 1: centre and scale each row (the final LN); 0: raw */
    double eps;              /* LN epsilon (TransformerLens: 1e-5) */
} lens_model_t;

/* Per-cell summary over the whole grid (all arrays [layers, seq], row-major, owned). */
typedef struct lens_grid {
    int64_t layers, seq, vocab;
    float *target_prob; /* probability of the cell's target token; NaN without one */
    float *max_prob;    /* the largest probability */
    int32_t *argmax;    /* the token with the largest probability */
} lens_grid_t;

/* Fills `m` with the defaults: no tensors, normalize 1, eps 1e-5. */
void lens_model_init(lens_model_t *m);
/* Checks shapes: `input` is [layers, seq, d_model] (or [seq, d_model], one layer) with
 * an unembedding, or [layers, seq, vocab] logits without. Returns 0 and the sizes, or -1
 * with a "ShapeError"/"ValueError" in err. */
int lens_dims(const lens_model_t *m, const tensor_t *input, int64_t *layers, int64_t *seq,
              int64_t *vocab, err_t *err);
/* Computes the grid. `targets` ([seq] token ids, -1 = none) may be NULL. Polls
 * *interrupted between blocks of rows ("KeyboardInterrupt"), reports progress. Returns
 * 0 with `out` filled (free with lens_grid_fini) or -1 with err set and `out` zeroed. */
int lens_grid(const lens_model_t *m, const tensor_t *input, const int64_t *targets,
              lens_grid_t *out, volatile sig_atomic_t *interrupted,
              linalg_progress_fn progress, void *progress_ctx, err_t *err);
void lens_grid_fini(lens_grid_t *g);
/* The probabilities of one cell (layer, pos) into probs [vocab]. 0 or -1 with err. */
int lens_cell_probs(const lens_model_t *m, const tensor_t *input, int64_t layer,
                    int64_t pos, float *probs, err_t *err);
/* Indices and values of the k largest of x[0..n), largest first (ties: lower index
 * first). Writes min(k, n) entries and returns that count. */
int lens_topk(const float *x, int64_t n, int k, int32_t *idx, float *val);

#endif
