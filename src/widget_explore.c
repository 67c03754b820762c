/* SPDX-License-Identifier: MIT */
/* widget_explore.c -- the SAE feature-explorer widget kind.
 *
 * The seed's Gradio app as a widget: the front end (js/explore.js) picks a feature and
 * asks for it; the kernel computes that feature's activations over every stored token
 * at that moment (sae.c: one sgemv per chunk, never the [n, d_sae] matrix) and replies
 * with the histogram and the top-activating contexts:
 *
 *   {type:"feature", id, feature} -> {feature, n, nonzero, max, mean, lo, hi,
 *        counts: [bins], examples: [{index, act, tokens: [...], acts: [...], at}]}
 *
 * `at` is the activating token's position inside `tokens`. The SAE prefix, activations
 * and tokens are names resolved again per request; bad requests get {type:"error"}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_analysis.h"
#include "commands.h"
#include "msg.h"
#include "widget.h"

typedef struct explore_w {
    char *sae, *acts, *tokens;
    int k, context;
    int64_t seq;
} explore_w_t;

static void explore_free(void *p) {
    explore_w_t *a = p;
    if (!a)
        return;
    free(a->sae);
    free(a->acts);
    free(a->tokens);
    free(a);
}

static int init(widget_t *w, const out_widget_t *spec, json_t *state, err_t *err) {
    const char *sae = widget_trait(spec, "sae"), *acts = widget_trait(spec, "acts"),
               *toks = widget_trait(spec, "tokens");
    if (!sae || !*sae || !acts || !*acts || !toks || !*toks) {
        err_set(err, "WidgetError", "explore widget needs sae, acts and tokens");
        return -1;
    }
    explore_w_t *a = xcalloc(1, sizeof *a);
    a->sae = xstrdup(sae);
    a->acts = xstrdup(acts);
    a->tokens = xstrdup(toks);
    const char *s;
    a->k = (s = widget_trait(spec, "k")) ? atoi(s) : 20;
    a->context = (s = widget_trait(spec, "context")) ? atoi(s) : 8;
    a->seq = (s = widget_trait(spec, "seq")) ? strtoll(s, NULL, 10) : 0;
    if (a->k < 1 || a->k > 200)
        a->k = 20;
    if (a->context < 0 || a->context > 64)
        a->context = 8;
    widget_set_data(w, a);
    long long f = (s = widget_trait(spec, "feature")) ? strtoll(s, NULL, 10) : 0;
    long long ds = (s = widget_trait(spec, "d_sae")) ? strtoll(s, NULL, 10) : 1;
    json_object_set_new(state, "feature", json_integer(f));
    json_object_set_new(state, "d_sae", json_integer(ds));
    json_object_set_new(state, "k", json_integer(a->k));
    const char *title = widget_trait(spec, "title");
    json_object_set_new(state, "title",
                        msg_text(title ? title : "", title ? strlen(title) : 0));
    return 0;
}

/* Resolves the SAE and activations and computes feature f. 0 or -1 with err. */
static int compute(widget_t *w, const explore_w_t *a, int64_t f, analysis_feature_t *out,
                   const strlist_t **toks, err_t *err) {
    tensor_t *owned[4] = {NULL, NULL, NULL, NULL};
    sae_t sae;
    int rc = -1;
    tensor_t *acts = NULL;
    if (cmd_analysis_sae(widget_store(w), a->sae, &sae, owned, err) < 0)
        return -1;
    if (!(acts = cmd_analysis_tensor(widget_store(w), a->acts, err)))
        goto out;
    int64_t n, di, ds;
    if (sae_dims(&sae, acts, &n, &di, &ds, err) < 0)
        goto out;
    const store_entry_t *e = store_get(widget_store(w), a->tokens);
    if (!e || e->kind != STORE_STRINGS || (int64_t)e->strings.n != n) {
        err_set(err, "NameError", "token list '%s' is gone or no longer has %lld tokens",
                a->tokens, (long long)n);
        goto out;
    }
    *toks = &e->strings;
    rc = cmd_analysis_feature(&sae, acts, f, a->k, 40, out, NULL, err);
out:
    cmd_analysis_free_views(owned, 4);
    tensor_free(acts);
    return rc;
}

static void req_feature(widget_t *w, const explore_w_t *a, json_t *c, json_t *id) {
    json_t *fv = json_object_get(c, "feature");
    int64_t ds = widget_get_int(w, "d_sae", 0);
    double d = json_is_number(fv) ? json_number_value(fv) : -1.0;
    if (!(d == floor(d)) || d < 0 || d >= (double)ds) {
        widget_send_error(w, id, "feature: 'feature' must be an integer in 0..%lld",
                          (long long)ds - 1);
        return;
    }
    int64_t f = (int64_t)d;
    analysis_feature_t feat;
    const strlist_t *toks = NULL;
    err_t err;
    err_clear(&err);
    if (compute(w, a, f, &feat, &toks, &err) < 0) {
        widget_send_error(w, id, "feature: %s", err.msg);
        return;
    }
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string("feature"));
    json_object_set(r, "id", id);
    json_object_set_new(r, "feature", json_integer(f));
    json_object_set_new(r, "n", json_integer(feat.n));
    json_object_set_new(r, "nonzero", json_integer(feat.hist.nonzero));
    json_object_set_new(r, "max", json_real(feat.hist.max));
    json_object_set_new(r, "mean", json_real(feat.hist.mean));
    json_object_set_new(r, "lo", json_real(feat.hist.lo));
    json_object_set_new(r, "hi", json_real(feat.hist.hi));
    json_t *counts = json_array();
    for (int i = 0; i < feat.hist.nbins; i++)
        json_array_append_new(counts, json_integer(feat.hist.counts[i]));
    json_object_set_new(r, "counts", counts);
    json_t *ex = json_array();
    for (int e = 0; e < feat.k; e++) {
        int64_t i = feat.top[e], lo = i - a->context, hi = i + a->context;
        if (a->seq > 0) {
            int64_t start = i - i % a->seq;
            lo = lo < start ? start : lo;
            hi = hi > start + a->seq - 1 ? start + a->seq - 1 : hi;
        }
        lo = lo < 0 ? 0 : lo;
        hi = hi > feat.n - 1 ? feat.n - 1 : hi;
        json_t *tk = json_array(), *ac = json_array();
        for (int64_t j = lo; j <= hi; j++) {
            json_array_append_new(tk, msg_text(toks->items[j], strlen(toks->items[j])));
            json_array_append_new(ac, json_real((double)feat.acts[j]));
        }
        json_array_append_new(ex, json_pack("{s:I, s:f, s:o, s:o, s:I}", "index",
                                            (json_int_t)i, "act", (double)feat.topv[e],
                                            "tokens", tk, "acts", ac, "at",
                                            (json_int_t)(i - lo)));
    }
    json_object_set_new(r, "examples", ex);
    widget_send(w, r, NULL, 0);
    widget_set(w, "feature", json_integer(f));
    cmd_analysis_feature_fini(&feat);
}

static void on_request(widget_t *w, const char *type, json_t *id, json_t *c,
                       const wire_blob_t *buffers, size_t nbuf) {
    UNUSED(buffers);
    UNUSED(nbuf);
    explore_w_t *a = widget_data(w);
    if (strcmp(type, "feature") == 0)
        req_feature(w, a, c, id);
    else
        widget_send_error(w, id, "unknown request type '%.40s'", type);
}

static int fallback(widget_t *w, buf_t *png, int *width, int *height, err_t *err) {
    explore_w_t *a = widget_data(w);
    analysis_feature_t feat;
    const strlist_t *toks = NULL;
    int64_t f = widget_get_int(w, "feature", 0);
    if (compute(w, a, f, &feat, &toks, err) < 0)
        return -1;
    int rc = cmd_analysis_explore_picture(&feat, f, png, width, height, err);
    cmd_analysis_feature_fini(&feat);
    return rc;
}

/* The feature-explorer kind: see the file comment for its requests. */
const widget_kind_t widget_explore_kind = {
    "explore", "explore.js", "widget.css", init, on_request, NULL, fallback, explore_free,
};
