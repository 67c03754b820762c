/* SPDX-License-Identifier: MIT */
/* widget_pca.c -- the PCA scatter widget kind: coordinates, labels, hover, selection.
 *
 * %pca stores its results (PREFIX.coords [n, k], PREFIX.explained_variance_ratio) and
 * opens this kind with their prefix; the front end (js/pca.js) draws up to 10^6 points
 * itself and asks for what it needs. Every request carries an `id` echoed in the reply:
 *
 *   {type:"points", id, pcx, pcy}  -> {n, pcx, pcy} + buffers [x float32[n], y
 * float32[n]] {type:"labels", id}            -> {kind, names, vmin, vmax} + buffer
 * uint8[n] (categories) or float32[n] (values), none for "none" {type:"hover", id, index}
 * -> {index, text, label}: the token in context {type:"select", id, pcx, pcy, x0, x1, y0,
 * y1}
 *                                  -> {count, name, first}: the points inside the box are
 *                                     stored as PREFIX.selection (int64 indices)
 *
 * Coordinates travel as float32 binary buffers, never JSON lists. Names are resolved
 * again on every request; a malformed request gets {type:"error", id, error}. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_analysis.h"
#include "commands.h"
#include "msg.h"
#include "widget.h"

typedef struct pca_w {
    char *prefix; /* results prefix: PREFIX.coords, ... */
    char *labels; /* labels name or NULL */
    char *hover;  /* token list name or NULL */
    int64_t seq;  /* sequence length for hover contexts (0 = none) */
} pca_w_t;

static void pca_free(void *p) {
    pca_w_t *a = p;
    if (!a)
        return;
    free(a->prefix);
    free(a->labels);
    free(a->hover);
    free(a);
}

static char *opt_dup(const char *s) {
    return s && *s ? xstrdup(s) : NULL;
}

/* The coords tensor [n, k] of the widget, checked. New view or NULL with err. */
static tensor_t *coords(widget_t *w, const pca_w_t *a, err_t *err) {
    char nm[256];
    snprintf(nm, sizeof nm, "%s.coords", a->prefix);
    tensor_t *c = cmd_analysis_tensor(widget_store(w), nm, err);
    if (c && (c->ndim != 2 || c->shape[1] < 1)) {
        err_set(err, "ShapeError", "'%s' is not [n, k] any more", nm);
        tensor_free(c);
        return NULL;
    }
    return c;
}

static int init(widget_t *w, const out_widget_t *spec, json_t *state, err_t *err) {
    const char *prefix = widget_trait(spec, "prefix");
    if (!prefix || !*prefix) {
        err_set(err, "WidgetError", "pca widget without results");
        return -1;
    }
    pca_w_t *a = xcalloc(1, sizeof *a);
    a->prefix = xstrdup(prefix);
    a->labels = opt_dup(widget_trait(spec, "labels"));
    a->hover = opt_dup(widget_trait(spec, "hover"));
    const char *s = widget_trait(spec, "seq");
    a->seq = s ? strtoll(s, NULL, 10) : 0;
    widget_set_data(w, a);
    tensor_t *c = coords(w, a, err);
    if (!c)
        return -1;
    int64_t n = c->shape[0], k = c->shape[1];
    tensor_free(c);
    char nm[256];
    snprintf(nm, sizeof nm, "%s.explained_variance_ratio", a->prefix);
    tensor_t *e = cmd_analysis_tensor(widget_store(w), nm, err);
    if (!e)
        return -1;
    json_t *evr = json_array();
    for (int64_t i = 0; i < k && i < tensor_numel(e); i++)
        json_array_append_new(evr, json_real(tensor_get_flat(e, i)));
    tensor_free(e);
    analysis_labels_t lab;
    if (cmd_analysis_labels(widget_store(w), a->labels, n, &lab, err) < 0) {
        json_decref(evr);
        return -1;
    }
    json_object_set_new(state, "prefix", json_string(a->prefix));
    json_object_set_new(state, "n", json_integer(n));
    json_object_set_new(state, "k", json_integer(k));
    json_object_set_new(state, "evr", evr);
    json_object_set_new(state, "pcx", json_integer(0));
    json_object_set_new(state, "pcy", json_integer(k > 1 ? 1 : 0));
    json_object_set_new(state, "label_kind",
                        json_string(lab.kind == LABELS_CATEGORY ? "category"
                                    : lab.kind == LABELS_VALUE  ? "value"
                                                                : "none"));
    json_object_set_new(state, "labels", json_string(a->labels ? a->labels : ""));
    json_object_set_new(state, "hover", json_string(a->hover ? a->hover : ""));
    const char *title = widget_trait(spec, "title");
    json_object_set_new(state, "title",
                        msg_text(title ? title : "", title ? strlen(title) : 0));
    char sel[256];
    snprintf(sel, sizeof sel, "%s.selection", a->prefix);
    json_object_set_new(state, "selection_name", json_string(sel));
    json_object_set_new(state, "selected", json_integer(0));
    cmd_analysis_labels_fini(&lab);
    return 0;
}

/* ==== requests =======================================================================
 */

static int field_real(json_t *c, const char *key, double *out, char *why, size_t cap) {
    json_t *v = json_object_get(c, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v))) {
        snprintf(why, cap, "field '%s' must be a finite number", key);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

/* Column j of coords [n, k] as float32 into dst[n]. */
static void column(const tensor_t *c, int64_t j, float *dst) {
    int64_t n = c->shape[0];
    for (int64_t i = 0; i < n; i++) {
        int64_t idx[2] = {i, j};
        dst[i] = (float)tensor_get(c, idx);
    }
}

static void req_points(widget_t *w, const tensor_t *c, json_t *req, json_t *id) {
    char why[160];
    int64_t k = c->shape[1], n = c->shape[0], pcx, pcy;
    if (widget_field_int(req, "pcx", 0, k - 1, &pcx, why, sizeof why) < 0 ||
        widget_field_int(req, "pcy", 0, k - 1, &pcy, why, sizeof why) < 0) {
        widget_send_error(w, id, "points: %s", why);
        return;
    }
    float *xy = util_try_malloc((size_t)(2 * (n ? n : 1)) * sizeof(float));
    if (!xy) {
        widget_send_error(w, id, "points: out of memory for %lld points", (long long)n);
        return;
    }
    column(c, pcx, xy);
    column(c, pcy, xy + n);
    json_t *r = widget_reply_new("points", id);
    json_object_set_new(r, "n", json_integer(n));
    json_object_set_new(r, "pcx", json_integer(pcx));
    json_object_set_new(r, "pcy", json_integer(pcy));
    wire_blob_t blobs[2] = {{(unsigned char *)xy, (size_t)n * sizeof(float)},
                            {(unsigned char *)(xy + n), (size_t)n * sizeof(float)}};
    widget_send(w, r, blobs, 2);
    free(xy);
}

static void req_labels(widget_t *w, const pca_w_t *a, int64_t n, json_t *id) {
    analysis_labels_t lab;
    err_t err;
    err_clear(&err);
    if (cmd_analysis_labels(widget_store(w), a->labels, n, &lab, &err) < 0) {
        widget_send_error(w, id, "labels: %s", err.msg);
        return;
    }
    json_t *r = widget_reply_new("labels", id);
    json_t *names = json_array();
    for (size_t i = 0; i < lab.names.n; i++)
        json_array_append_new(names,
                              msg_text(lab.names.items[i], strlen(lab.names.items[i])));
    json_object_set_new(r, "names", names);
    json_object_set_new(r, "vmin", json_real(lab.vmin));
    json_object_set_new(r, "vmax", json_real(lab.vmax));
    wire_blob_t blob = {NULL, 0};
    if (lab.kind == LABELS_CATEGORY) {
        json_object_set_new(r, "kind", json_string("category"));
        blob.data = lab.cat;
        blob.len = (size_t)n;
    } else if (lab.kind == LABELS_VALUE) {
        json_object_set_new(r, "kind", json_string("value"));
        blob.data = (unsigned char *)lab.values;
        blob.len = (size_t)n * sizeof(float);
    } else {
        json_object_set_new(r, "kind", json_string("none"));
    }
    widget_send(w, r, blob.data ? &blob : NULL, blob.data ? 1 : 0);
    cmd_analysis_labels_fini(&lab);
}

static void req_hover(widget_t *w, const pca_w_t *a, int64_t n, json_t *req, json_t *id) {
    char why[160];
    int64_t i;
    if (widget_field_int(req, "index", 0, n - 1, &i, why, sizeof why) < 0) {
        widget_send_error(w, id, "hover: %s", why);
        return;
    }
    buf_t text = BUF_INIT;
    if (a->hover) {
        const store_entry_t *e = store_get(widget_store(w), a->hover);
        if (e && e->kind == STORE_STRINGS && (int64_t)e->strings.n == n)
            cmd_analysis_context(&e->strings, i, 6, a->seq, &text);
    }
    if (!text.len)
        buf_printf(&text, "#%lld", (long long)i);
    json_t *r = widget_reply_new("hover", id);
    json_object_set_new(r, "index", json_integer(i));
    json_object_set_new(r, "text", msg_text(buf_str(&text), text.len));
    /* The label of point i alone: no categorisation of all n labels per hover. */
    const store_entry_t *le = a->labels ? store_get(widget_store(w), a->labels) : NULL;
    if (le && le->kind == STORE_STRINGS && (int64_t)le->strings.n == n) {
        const char *nm = le->strings.items[i];
        json_object_set_new(r, "label", msg_text(nm, strlen(nm)));
    } else if (a->labels) {
        err_t err;
        tensor_t *t = cmd_analysis_tensor(widget_store(w), a->labels, &err);
        if (t && tensor_numel(t) == n) {
            char v[64];
            double x = tensor_get_flat(t, i);
            snprintf(v, sizeof v, dtype_is_float(t->dtype) ? "%.4g" : "%.0f", x);
            json_object_set_new(r, "label", json_string(v));
        }
        tensor_free(t);
    }
    widget_send(w, r, NULL, 0);
    buf_fini(&text);
}

#define PCA_MAX_VERTICES 4096 /* lasso polygon vertices accepted */

/* A selection region in data units: a box, or a lasso polygon (even-odd rule). */
typedef struct region {
    double x0, x1, y0, y1; /* the box, or the polygon's bounding box */
    double *px, *py;       /* polygon vertices, owned; NULL for a box */
    int nv;                /* vertices */
} region_t;

static int in_region(const region_t *g, double x, double y) {
    if (!(x >= g->x0 && x <= g->x1 && y >= g->y0 && y <= g->y1))
        return 0;
    if (!g->px)
        return 1;
    int c = 0;
    for (int i = 0, j = g->nv - 1; i < g->nv; j = i++) {
        double xi = g->px[i], yi = g->py[i], xj = g->px[j], yj = g->py[j];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            c = !c;
    }
    return c;
}

/* Reads the region of a select request: "polygon": [x0, y0, x1, y1, ...] (3 to
 * PCA_MAX_VERTICES vertices), or the box x0, x1, y0, y1. 0 or -1 with why. */
static int read_region(json_t *req, region_t *g, char *why, size_t cap) {
    memset(g, 0, sizeof *g);
    json_t *poly = json_object_get(req, "polygon");
    if (!poly) {
        if (field_real(req, "x0", &g->x0, why, cap) < 0 ||
            field_real(req, "x1", &g->x1, why, cap) < 0 ||
            field_real(req, "y0", &g->y0, why, cap) < 0 ||
            field_real(req, "y1", &g->y1, why, cap) < 0)
            return -1;
        if (g->x0 > g->x1) {
            double t = g->x0;
            g->x0 = g->x1;
            g->x1 = t;
        }
        if (g->y0 > g->y1) {
            double t = g->y0;
            g->y0 = g->y1;
            g->y1 = t;
        }
        return 0;
    }
    size_t len = json_array_size(poly);
    if (!json_is_array(poly) || len % 2 || len < 6 || len > 2 * PCA_MAX_VERTICES) {
        snprintf(why, cap, "'polygon' must be an array of 3 to %d x, y pairs",
                 PCA_MAX_VERTICES);
        return -1;
    }
    g->nv = (int)(len / 2);
    g->px = xmalloc((size_t)g->nv * sizeof(double));
    g->py = xmalloc((size_t)g->nv * sizeof(double));
    g->x0 = g->y0 = INFINITY;
    g->x1 = g->y1 = -INFINITY;
    for (int i = 0; i < g->nv; i++) {
        json_t *vx = json_array_get(poly, 2 * (size_t)i),
               *vy = json_array_get(poly, 2 * (size_t)i + 1);
        if (!json_is_number(vx) || !json_is_number(vy) ||
            !isfinite(json_number_value(vx)) || !isfinite(json_number_value(vy))) {
            snprintf(why, cap, "'polygon' must hold finite numbers");
            free(g->px);
            free(g->py);
            g->px = g->py = NULL;
            return -1;
        }
        g->px[i] = json_number_value(vx);
        g->py[i] = json_number_value(vy);
        g->x0 = fmin(g->x0, g->px[i]);
        g->x1 = fmax(g->x1, g->px[i]);
        g->y0 = fmin(g->y0, g->py[i]);
        g->y1 = fmax(g->y1, g->py[i]);
    }
    return 0;
}

static void req_select(widget_t *w, const pca_w_t *a, const tensor_t *c, json_t *req,
                       json_t *id) {
    char why[160];
    int64_t k = c->shape[1], n = c->shape[0], pcx, pcy;
    region_t g;
    if (widget_field_int(req, "pcx", 0, k - 1, &pcx, why, sizeof why) < 0 ||
        widget_field_int(req, "pcy", 0, k - 1, &pcy, why, sizeof why) < 0 ||
        read_region(req, &g, why, sizeof why) < 0) {
        widget_send_error(w, id, "select: %s", why);
        return;
    }
    float *xs = xmalloc((size_t)(n ? n : 1) * sizeof(float));
    float *ys = xmalloc((size_t)(n ? n : 1) * sizeof(float));
    column(c, pcx, xs);
    column(c, pcy, ys);
    uint8_t *hit = xmalloc((size_t)(n ? n : 1));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        m += hit[i] = (uint8_t)in_region(&g, (double)xs[i], (double)ys[i]);
    free(xs);
    free(ys);
    free(g.px);
    free(g.py);
    err_t err;
    err_clear(&err);
    int64_t shape[1] = {m};
    tensor_t *t = tensor_new(DT_I64, 1, shape, &err);
    json_t *first = json_array();
    if (t) {
        int64_t *out = (int64_t *)(void *)t->data, j = 0;
        for (int64_t i = 0; i < n; i++)
            if (hit[i]) {
                out[j++] = i;
                if (j <= 10)
                    json_array_append_new(first, json_integer(i));
            }
    }
    free(hit);
    char nm[256];
    snprintf(nm, sizeof nm, "%s.selection", a->prefix);
    if (!t ||
        store_put_tensor(widget_store(w), nm, t, "selection in the PCA view", &err) < 0) {
        json_decref(first);
        widget_send_error(w, id, "select: %s", err.msg);
        return;
    }
    json_t *r = widget_reply_new("selected", id);
    json_object_set_new(r, "count", json_integer(m));
    json_object_set_new(r, "name", json_string(nm));
    json_object_set_new(r, "first", first);
    widget_send(w, r, NULL, 0);
    widget_set(w, "selected", json_integer(m));
}

static void on_request(widget_t *w, const char *type, json_t *id, json_t *c,
                       const wire_blob_t *buffers, size_t nbuf) {
    UNUSED(buffers);
    UNUSED(nbuf);
    pca_w_t *a = widget_data(w);
    err_t err;
    err_clear(&err);
    tensor_t *t = coords(w, a, &err);
    if (!t) {
        widget_send_error(w, id, "%.40s: %s", type, err.msg);
        return;
    }
    if (strcmp(type, "points") == 0)
        req_points(w, t, c, id);
    else if (strcmp(type, "labels") == 0)
        req_labels(w, a, t->shape[0], id);
    else if (strcmp(type, "hover") == 0)
        req_hover(w, a, t->shape[0], c, id);
    else if (strcmp(type, "select") == 0)
        req_select(w, a, t, c, id);
    else
        widget_send_error(w, id, "unknown request type '%.40s'", type);
    tensor_free(t);
}

static int fallback(widget_t *w, buf_t *png, int *width, int *height, err_t *err) {
    pca_w_t *a = widget_data(w);
    return cmd_analysis_pca_picture(
        widget_store(w), a->prefix, a->labels, (int)widget_get_int(w, "pcx", 0),
        (int)widget_get_int(w, "pcy", 1), png, width, height, err);
}

/* The PCA kind: see the file comment for its requests. */
const widget_kind_t widget_pca_kind = {
    "pca", "pca.js", "widget.css", init, on_request, NULL, fallback, pca_free,
};
