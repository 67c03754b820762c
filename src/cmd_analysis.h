/* SPDX-License-Identifier: MIT */
/* cmd_analysis.h -- the analysis family of magics (%pca, %lens, %explore) and the
 * helpers their widget kinds (widget_pca.c, widget_lens.c, widget_explore.c) share with
 * them: resolving names again on each request, labels, hover contexts, the lens and SAE
 * set-up, and the static pictures. */
#ifndef MECHVIZ_CMD_ANALYSIS_H
#define MECHVIZ_CMD_ANALYSIS_H

#include <stdint.h>

#include "buf.h"
#include "commands.h"
#include "lens.h"
#include "sae.h"
#include "store.h"
#include "strlist.h"
#include "tensor.h"
#include "util.h"

#define ANALYSIS_MAX_CATEGORIES 20   /* more distinct labels are folded into "other" */
#define ANALYSIS_STATIC_POINTS 20000 /* points drawn in the static PCA picture */

extern const cmd_spec_t cmd_analysis_specs[];

/* A tensor by expression ("x", "cache.resid[:, 0]") resolved in `s`; a new view the
 * caller frees, or NULL with err (NameError, TypeError, IndexError, SyntaxError). */
tensor_t *cmd_analysis_tensor(store_t *s, const char *expr, err_t *err);

/* Point labels: categories (a token list, or an integer/bool tensor with few values) or
 * values (a float tensor, coloured with a colormap). */
typedef enum analysis_label_kind {
    LABELS_NONE,
    LABELS_CATEGORY,
    LABELS_VALUE
} analysis_label_kind_t;
typedef struct analysis_labels {
    analysis_label_kind_t kind;
    int64_t n;         /* points */
    uint8_t *cat;      /* LABELS_CATEGORY: [n] category index, owned */
    strlist_t names;   /* LABELS_CATEGORY: category names (the last may be "other") */
    float *values;     /* LABELS_VALUE: [n], owned */
    double vmin, vmax; /* LABELS_VALUE: finite range */
} analysis_labels_t;

/* Resolves `name` (a token list or a tensor expression with n elements) into labels.
 * NULL or "" gives LABELS_NONE. 0, or -1 with err (ShapeError on a length mismatch). */
int cmd_analysis_labels(store_t *s, const char *name, int64_t n, analysis_labels_t *out,
                        err_t *err);
void cmd_analysis_labels_fini(analysis_labels_t *l);

/* Appends "… a b [c] d e …" to out: token i with up to `width` tokens each side, not
 * crossing a multiple of `seq` (0 = no boundaries). Spaces stay spaces; newlines and
 * tabs are shown as ⏎ and ⇥. */
void cmd_analysis_context(const strlist_t *toks, int64_t i, int width, int64_t seq,
                          buf_t *out);

/* The static PCA figure from the stored results PREFIX.coords and
 * PREFIX.explained_variance_ratio, PCs pcx and pcy (0-based) on the axes. */
int cmd_analysis_pca_picture(store_t *s, const char *prefix, const char *labels, int pcx,
                             int pcy, buf_t *png, int *w, int *h, err_t *err);

/* The lens model from tensor expressions (any of lnw, lnb, bu may be NULL or "").
 * `owned` receives the views to free with cmd_analysis_free_views(owned, 4). */
int cmd_analysis_lens_model(store_t *s, const char *unembed, const char *lnw,
                            const char *lnb, const char *bu, int normalize,
                            lens_model_t *m, tensor_t *owned[4], err_t *err);
void cmd_analysis_free_views(tensor_t **views, int n);

/* The static lens heatmap from the stored PREFIX.prob and PREFIX.argmax. */
int cmd_analysis_lens_picture(store_t *s, const char *prefix, const char *tokens,
                              const char *vocab, buf_t *png, int *w, int *h, err_t *err);

/* The SAE tensors under PREFIX (PREFIX.W_enc, .b_enc, .b_dec, .threshold; the last
 * three optional). `owned` receives the views (free with cmd_analysis_free_views). */
int cmd_analysis_sae(store_t *s, const char *prefix, sae_t *sae, tensor_t *owned[4],
                     err_t *err);

/* One feature over all tokens: activations, top-k and histogram. */
typedef struct analysis_feature {
    int64_t n;       /* tokens */
    float *acts;     /* [n], owned */
    int k;           /* top examples found */
    int64_t *top;    /* [k] token indices, owned */
    float *topv;     /* [k] activations, owned */
    sae_hist_t hist; /* of the non-zero activations */
} analysis_feature_t;

int cmd_analysis_feature(const sae_t *sae, const tensor_t *acts, int64_t f, int k,
                         int nbins, analysis_feature_t *out,
                         volatile sig_atomic_t *interrupted, err_t *err);
void cmd_analysis_feature_fini(analysis_feature_t *a);

/* The static explorer picture (histogram) and HTML (top contexts) of feature f. */
int cmd_analysis_explore_picture(const analysis_feature_t *a, int64_t f, buf_t *png,
                                 int *w, int *h, err_t *err);
void cmd_analysis_explore_html(const analysis_feature_t *a, int64_t f,
                               const strlist_t *toks, int width, int64_t seq,
                               buf_t *html);

#endif
