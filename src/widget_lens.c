/* SPDX-License-Identifier: MIT */
/* widget_lens.c -- the logit-lens widget kind: the heatmap grid and top-k on demand.
 *
 * %lens computes the per-cell summary once (PREFIX.prob, PREFIX.argmax) and opens this
 * kind; the front end (js/lens.js) draws the heatmap and, when a cell is hovered or
 * clicked, asks for that cell's top-k, which is computed here from the residual stack
 * (final LN, @ W_U, softmax) at that moment and never precomputed for every cell:
 *
 *   {type:"grid", id}                 -> {layers, seq, top1: {id: token}} + buffers
 *                                        [prob float32[layers*seq], argmax int32[...]]
 *   {type:"topk", id, layer, pos [,k]} -> {layer, pos, ids, tokens, probs, target,
 *                                        target_prob}
 *
 * Names (the stack, W_U, LN weights, vocab) are kept as text and resolved again on
 * each request; malformed requests get {type:"error", id, error}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_analysis.h"
#include "commands.h"
#include "msg.h"
#include "widget.h"

#define LENS_MAX_K 100

typedef struct lens_w {
    char *prefix, *input, *unembed, *ln_w, *ln_b, *b_u, *tokens, *vocab;
    int normalize;
    double eps;
} lens_w_t;

static void lens_free(void *p) {
    lens_w_t *a = p;
    if (!a)
        return;
    free(a->prefix);
    free(a->input);
    free(a->unembed);
    free(a->ln_w);
    free(a->ln_b);
    free(a->b_u);
    free(a->tokens);
    free(a->vocab);
    free(a);
}

static char *opt_dup(const char *s) {
    return s && *s ? xstrdup(s) : NULL;
}

static const strlist_t *strings(widget_t *w, const char *name) {
    const store_entry_t *e = name ? store_get(widget_store(w), name) : NULL;
    return e && e->kind == STORE_STRINGS ? &e->strings : NULL;
}

static json_t *text_array(const strlist_t *l) {
    json_t *arr = json_array();
    for (size_t i = 0; l && i < l->n; i++)
        json_array_append_new(arr, msg_text(l->items[i], strlen(l->items[i])));
    return arr;
}

static int init(widget_t *w, const out_widget_t *spec, json_t *state, err_t *err) {
    const char *prefix = widget_trait(spec, "prefix"),
               *input = widget_trait(spec, "input");
    if (!prefix || !*prefix || !input || !*input) {
        err_set(err, "WidgetError", "lens widget without results");
        return -1;
    }
    lens_w_t *a = xcalloc(1, sizeof *a);
    a->prefix = xstrdup(prefix);
    a->input = xstrdup(input);
    a->unembed = opt_dup(widget_trait(spec, "unembed"));
    a->ln_w = opt_dup(widget_trait(spec, "ln_w"));
    a->ln_b = opt_dup(widget_trait(spec, "ln_b"));
    a->b_u = opt_dup(widget_trait(spec, "b_u"));
    a->tokens = opt_dup(widget_trait(spec, "tokens"));
    a->vocab = opt_dup(widget_trait(spec, "vocab"));
    const char *s;
    a->normalize = (s = widget_trait(spec, "normalize")) ? atoi(s) : 1;
    a->eps = (s = widget_trait(spec, "eps")) ? strtod(s, NULL) : 1e-5;
    widget_set_data(w, a);
    char nm[256];
    snprintf(nm, sizeof nm, "%s.prob", a->prefix);
    tensor_t *p = cmd_analysis_tensor(widget_store(w), nm, err);
    if (!p)
        return -1;
    int64_t L = p->shape[0], S = p->ndim == 2 ? p->shape[1] : 1;
    tensor_free(p);
    json_object_set_new(state, "layers", json_integer(L));
    json_object_set_new(state, "seq", json_integer(S));
    const strlist_t *toks = strings(w, a->tokens);
    json_object_set_new(state, "tokens",
                        toks && (int64_t)toks->n == S ? text_array(toks) : json_null());
    snprintf(nm, sizeof nm, "%s.layers", a->prefix);
    const strlist_t *ll = strings(w, nm);
    json_object_set_new(state, "layer_labels",
                        ll && (int64_t)ll->n == L ? text_array(ll) : json_null());
    const char *keys[] = {"metric", "target", "title"};
    for (int i = 0; i < 3; i++) {
        const char *v = widget_trait(spec, keys[i]);
        json_object_set_new(state, keys[i], msg_text(v ? v : "", v ? strlen(v) : 0));
    }
    long long k = (s = widget_trait(spec, "k")) ? strtoll(s, NULL, 10) : 10;
    json_object_set_new(state, "k", json_integer(k < 1 || k > LENS_MAX_K ? 10 : k));
    return 0;
}

static void req_grid(widget_t *w, const lens_w_t *a, json_t *id) {
    char np[256], na[256];
    snprintf(np, sizeof np, "%s.prob", a->prefix);
    snprintf(na, sizeof na, "%s.argmax", a->prefix);
    err_t err;
    err_clear(&err);
    tensor_t *p = cmd_analysis_tensor(widget_store(w), np, &err);
    tensor_t *am = p ? cmd_analysis_tensor(widget_store(w), na, &err) : NULL;
    if (!am || tensor_numel(p) != tensor_numel(am)) {
        widget_send_error(w, id, "grid: %s", am ? "results changed shape" : err.msg);
        tensor_free(p);
        tensor_free(am);
        return;
    }
    int64_t n = tensor_numel(p);
    float *pv = xmalloc((size_t)(n ? n : 1) * sizeof(float));
    int32_t *av = xmalloc((size_t)(n ? n : 1) * sizeof(int32_t));
    const strlist_t *voc = strings(w, a->vocab);
    json_t *top1 = json_object();
    for (int64_t i = 0; i < n; i++) {
        pv[i] = (float)tensor_get_flat(p, i);
        av[i] = (int32_t)tensor_get_flat(am, i);
        if (voc && av[i] >= 0 && (size_t)av[i] < voc->n) {
            char key[24];
            snprintf(key, sizeof key, "%d", (int)av[i]);
            if (!json_object_get(top1, key))
                json_object_set_new(
                    top1, key, msg_text(voc->items[av[i]], strlen(voc->items[av[i]])));
        }
    }
    json_t *r = widget_reply_new("grid", id);
    json_object_set_new(r, "layers", json_integer(p->shape[0]));
    json_object_set_new(r, "seq", json_integer(p->ndim == 2 ? p->shape[1] : 1));
    json_object_set_new(r, "top1", top1);
    wire_blob_t blobs[2] = {{(unsigned char *)pv, (size_t)n * sizeof(float)},
                            {(unsigned char *)av, (size_t)n * sizeof(int32_t)}};
    widget_send(w, r, blobs, 2);
    free(pv);
    free(av);
    tensor_free(p);
    tensor_free(am);
}

static void req_topk(widget_t *w, const lens_w_t *a, json_t *c, json_t *id) {
    err_t err;
    err_clear(&err);
    char why[160];
    tensor_t *owned[4] = {NULL, NULL, NULL, NULL};
    float *probs = NULL;
    lens_model_t m;
    tensor_t *in = cmd_analysis_tensor(widget_store(w), a->input, &err);
    if (!in || cmd_analysis_lens_model(widget_store(w), a->unembed, a->ln_w, a->ln_b,
                                       a->b_u, a->normalize, &m, owned, &err) < 0) {
        widget_send_error(w, id, "topk: %s", err.msg);
        goto out;
    }
    m.eps = a->eps;
    int64_t L, S, V, layer, pos, k = widget_get_int(w, "k", 10);
    if (lens_dims(&m, in, &L, &S, &V, &err) < 0) {
        widget_send_error(w, id, "topk: %s", err.msg);
        goto out;
    }
    if (widget_field_int(c, "layer", 0, L - 1, &layer, why, sizeof why) < 0 ||
        widget_field_int(c, "pos", 0, S - 1, &pos, why, sizeof why) < 0 ||
        (json_object_get(c, "k") &&
         widget_field_int(c, "k", 1, LENS_MAX_K, &k, why, sizeof why) < 0)) {
        widget_send_error(w, id, "topk: %s", why);
        goto out;
    }
    probs = util_try_malloc((size_t)V * sizeof(float));
    if (!probs || lens_cell_probs(&m, in, layer, pos, probs, &err) < 0) {
        widget_send_error(w, id, "topk: %s", probs ? err.msg : "out of memory");
        goto out;
    }
    int32_t idx[LENS_MAX_K];
    float val[LENS_MAX_K];
    int got = lens_topk(probs, V, (int)k, idx, val);
    const strlist_t *voc = strings(w, a->vocab);
    json_t *ids = json_array(), *toks = json_array(), *ps = json_array();
    for (int i = 0; i < got; i++) {
        json_array_append_new(ids, json_integer(idx[i]));
        json_array_append_new(ps, json_real((double)val[i]));
        char tmp[24];
        snprintf(tmp, sizeof tmp, "#%d", (int)idx[i]);
        const char *t = voc && (size_t)idx[i] < voc->n ? voc->items[idx[i]] : tmp;
        json_array_append_new(toks, msg_text(t, strlen(t)));
    }
    json_t *r = widget_reply_new("topk", id);
    json_object_set_new(r, "layer", json_integer(layer));
    json_object_set_new(r, "pos", json_integer(pos));
    json_object_set_new(r, "ids", ids);
    json_object_set_new(r, "tokens", toks);
    json_object_set_new(r, "probs", ps);
    /* the probability shown in the cell, for reference */
    char np[256];
    snprintf(np, sizeof np, "%s.prob", a->prefix);
    tensor_t *pt = cmd_analysis_tensor(widget_store(w), np, &err);
    if (pt && pt->ndim == 2 && pt->shape[0] == L && pt->shape[1] == S) {
        int64_t ix[2] = {layer, pos};
        double v = tensor_get(pt, ix);
        json_object_set_new(r, "cell", isfinite(v) ? json_real(v) : json_null());
    }
    tensor_free(pt);
    widget_send(w, r, NULL, 0);
out:
    free(probs);
    cmd_analysis_free_views(owned, 4);
    tensor_free(in);
}

static void on_request(widget_t *w, const char *type, json_t *id, json_t *c,
                       const wire_blob_t *buffers, size_t nbuf) {
    UNUSED(buffers);
    UNUSED(nbuf);
    lens_w_t *a = widget_data(w);
    if (strcmp(type, "grid") == 0)
        req_grid(w, a, id);
    else if (strcmp(type, "topk") == 0)
        req_topk(w, a, c, id);
    else
        widget_send_error(w, id, "unknown request type '%.40s'", type);
}

static int fallback(widget_t *w, buf_t *png, int *width, int *height, err_t *err) {
    lens_w_t *a = widget_data(w);
    return cmd_analysis_lens_picture(widget_store(w), a->prefix, a->tokens, a->vocab, png,
                                     width, height, err);
}

/* The logit-lens kind: see the file comment for its requests. */
const widget_kind_t widget_lens_kind = {
    "lens", "lens.js", "widget.css", init, on_request, NULL, fallback, lens_free,
};
