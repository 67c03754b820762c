/* SPDX-License-Identifier: MIT */
/* sae.h -- sparse-autoencoder features over stored activations (SAELens layout):
 * one feature's activations for every token, its top-k tokens and its histogram.
 *
 * Works on tensors handed in by the caller (W_enc [d_in, d_sae], b_enc [d_sae], b_dec
 * [d_in], optional JumpReLU threshold [d_sae]; activations [..., d_in] read as rows) and
 * returns plain arrays; no store, no strings. */
#ifndef MECHVIZ_SAE_H
#define MECHVIZ_SAE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"
#include "util.h"

typedef struct sae {
    const tensor_t *w_enc;     /* [d_in, d_sae] (required) */
    const tensor_t *b_enc;     /* [d_sae]; NULL = 0 */
    const tensor_t *b_dec;     /* [d_in], subtracted from the input; NULL = 0 */
    const tensor_t *threshold; /* [d_sae] JumpReLU threshold; NULL = plain ReLU */
} sae_t;

/* Checks shapes and returns the sizes: n rows of acts, d_in, d_sae. 0 or -1 with a
 * "ShapeError" in err. */
int sae_dims(const sae_t *s, const tensor_t *acts, int64_t *n, int64_t *d_in,
             int64_t *d_sae, err_t *err);
/* Activations of feature f for every row of acts into out [n]:
 * relu((x - b_dec) @ W_enc[:, f] + b_enc[f]), zero where the pre-activation is not
 * above the JumpReLU threshold. Polls *interrupted between chunks. 0 or -1 with err
 * ("IndexError" for a bad f, "KeyboardInterrupt"). */
int sae_feature(const sae_t *s, const tensor_t *acts, int64_t f, float *out,
                volatile sig_atomic_t *interrupted, err_t *err);
/* Indices and values of the k largest of a[0..n), largest first, ties by lower index;
 * only values > 0 are taken. Returns the count written (<= k). */
int sae_topk(const float *a, int64_t n, int k, int64_t *idx, float *val);

typedef struct sae_hist {
    int nbins;        /* bins over (0, max] */
    int64_t *counts;  /* [nbins], owned */
    double lo, hi;    /* range of the bins (lo = 0 unless negatives occur) */
    int64_t n;        /* values seen */
    int64_t nonzero;  /* values != 0 (what the bins count) */
    double max, mean; /* over the non-zero values */
} sae_hist_t;

/* Histogram of the non-zero values of a[0..n) in nbins equal bins. Always succeeds;
 * free with sae_hist_fini. */
void sae_histogram(const float *a, int64_t n, int nbins, sae_hist_t *h);
void sae_hist_fini(sae_hist_t *h);

#endif
