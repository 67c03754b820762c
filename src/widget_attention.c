/* SPDX-License-Identifier: MIT */
/* widget_attention.c -- the attention widget kind: tiles, thumbnails, slices, tokens.
 *
 * Exists so that the browser can explore attention patterns of any size while the
 * notebook receives only what is on screen. The front end (js/attention.js) sends
 * requests as custom messages; each carries an `id` that is echoed in the reply, so
 * late replies can be matched or dropped:
 *
 *   {type:"tile",  id, layer, head, z, x, y [, cmap, vmin, vmax, mask]} -> PNG buffer
 *   {type:"thumb", id, layer, head [, size, cmap, vmin, vmax, mask]}    -> PNG buffer
 *   {type:"slice", id, layer, head, q0, k0, nq, nk}   -> float32 (float64 for f64
 *        data) little-endian buffer of the exact weights, row-major; head -1 = the
 *        max over the layer's heads (the token view's "all heads")
 *   {type:"tokens", id}                               -> {tokens: [...] | null}
 *   {type:"colorbar", id [, cmap]}                    -> PNG buffer, 253 x 1 px: the
 *        palette entries values map onto, low to high
 *
 * Every field is checked: a malformed or stale request (bad head, tile outside the
 * pyramid, wrong types, huge numbers, missing fields, the tensor freed or reshaped
 * since) gets {type:"error", id, error} and the kernel carries on. The tensor and the
 * token list are kept as *names* and resolved again on every request. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_widget.h"
#include "commands.h"
#include "widget.h"

#define ATTN_SLICE_MAX 65536 /* cells per slice request */
#define ATTN_THUMB_SIZE 96   /* default thumbnail side in pixels */

typedef struct attn {
    char *expr;      /* the tensor expression, e.g. "blocks.3.attn.hook_pattern[0]" */
    char *tokens;    /* token list name, or NULL */
    int64_t dims[4]; /* {layers, heads, q, k} when opened */
    int ndim;        /* rank of the tensor when opened */
    int64_t base;    /* layer number of layer 0 in labels */
} attn_t;

static void attn_free(void *p) {
    attn_t *a = p;
    if (!a)
        return;
    free(a->expr);
    free(a->tokens);
    free(a);
}

/* Resolves the widget's tensor again and checks it still has the shape it was opened
 * with. Returns a new view (caller frees) or NULL with `err` set. */
static tensor_t *resolve(widget_t *w, const attn_t *a, err_t *err) {
    cmd_ctx_t ctx = {widget_store(w), NULL, NULL};
    tensor_t *t = cmd_tensor_arg(&ctx, NULL, a->expr, 0, err);
    if (!t)
        return NULL;
    int64_t dims[4];
    if (t->ndim != a->ndim || cmd_widget_attention_dims(t, a->expr, dims, err) < 0 ||
        memcmp(dims, a->dims, sizeof dims) != 0) {
        char shp[96];
        tensor_format_shape(t, shp, sizeof shp);
        err_set(err, "ShapeError", "'%s' changed shape to %s since the view opened",
                a->expr, shp);
        tensor_free(t);
        return NULL;
    }
    return t;
}

static const strlist_t *resolve_tokens(widget_t *w, const attn_t *a) {
    if (!a->tokens)
        return NULL;
    const store_entry_t *e = store_get(widget_store(w), a->tokens);
    if (!e || e->kind != STORE_STRINGS || (int64_t)e->strings.n != a->dims[3])
        return NULL;
    return &e->strings;
}

static int init(widget_t *w, const out_widget_t *spec, json_t *state, err_t *err) {
    const char *expr = widget_trait(spec, "tensor");
    if (!expr || !*expr) {
        err_set(err, "WidgetError", "attention widget without a tensor");
        return -1;
    }
    attn_t *a = xcalloc(1, sizeof *a);
    a->expr = xstrdup(expr);
    const char *tok = widget_trait(spec, "tokens");
    a->tokens = tok && *tok ? xstrdup(tok) : NULL;
    widget_set_data(w, a);
    cmd_ctx_t ctx = {widget_store(w), NULL, NULL};
    tensor_t *t = cmd_tensor_arg(&ctx, NULL, expr, 0, err);
    if (!t)
        return -1;
    int rc = cmd_widget_attention_dims(t, expr, a->dims, err);
    a->ndim = t->ndim;
    json_t *tshape = json_array();
    for (int i = 0; i < t->ndim; i++)
        json_array_append_new(tshape, json_integer(t->shape[i]));
    json_object_set_new(state, "tensor_shape", tshape);
    char dt[16];
    snprintf(dt, sizeof dt, "%s", dtype_name(t->dtype));
    tensor_free(t);
    if (rc < 0)
        return -1;
    if (a->tokens) {
        const store_entry_t *e = store_get(widget_store(w), a->tokens);
        if (!e || e->kind != STORE_STRINGS) {
            err_set(err, "NameError", "no token list named '%s'", a->tokens);
            return -1;
        }
        if (cmd_widget_tokens_check(&e->strings, a->tokens, a->dims, err) < 0)
            return -1;
    }
    const char *s;
    long long layer = (s = widget_trait(spec, "layer")) ? strtoll(s, NULL, 10) : 0;
    if (layer < 0 || layer >= a->dims[0])
        layer = 0;
    a->base = (s = widget_trait(spec, "layer_base")) ? strtoll(s, NULL, 10) : 0;
    const char *cmap = (s = widget_trait(spec, "cmap")) && *s ? s : ATTN_DEFAULT_CMAP;
    uint8_t rgb[256][3];
    if (cmd_widget_palette(cmap, rgb, err) < 0)
        return -1;
    double vmin = (s = widget_trait(spec, "vmin")) ? strtod(s, NULL) : 0.0;
    double vmax = (s = widget_trait(spec, "vmax")) ? strtod(s, NULL) : 1.0;
    if (!isfinite(vmin) || !isfinite(vmax) || !(vmin < vmax)) {
        err_set(err, "ValueError", "bad colour range [%g, %g]", vmin, vmax);
        return -1;
    }
    int mask = !((s = widget_trait(spec, "mask")) && strcmp(s, "0") == 0);
    json_t *shape =
        json_pack("[I, I, I, I]", (json_int_t)a->dims[0], (json_int_t)a->dims[1],
                  (json_int_t)a->dims[2], (json_int_t)a->dims[3]);
    json_t *cmaps = json_pack("[s, s, s, s, s, s, s]", "viridis", "Blues", "magma",
                              "inferno", "plasma", "Greys", "cividis");
    const char *title = widget_trait(spec, "title");
    json_object_set_new(state, "tensor", json_string(a->expr));
    json_object_set_new(state, "tokens", json_string(a->tokens ? a->tokens : ""));
    json_object_set_new(state, "has_tokens", json_boolean(a->tokens != NULL));
    json_object_set_new(state, "shape", shape);
    json_object_set_new(state, "has_layers", json_boolean(a->ndim == 4));
    json_object_set_new(state, "dtype", json_string(dt));
    json_object_set_new(state, "layer", json_integer(layer));
    json_object_set_new(state, "layer_base", json_integer(a->base));
    json_object_set_new(state, "head", json_integer(-1));
    json_object_set_new(state, "cmap", json_string(cmap));
    json_object_set_new(state, "cmaps", cmaps);
    json_object_set_new(state, "vmin", json_real(vmin));
    json_object_set_new(state, "vmax", json_real(vmax));
    json_object_set_new(state, "mask", json_boolean(mask));
    json_object_set_new(state, "tile_size", json_integer(TILES_SIZE));
    json_object_set_new(state, "levels",
                        json_integer(tiles_levels(a->dims[2], a->dims[3])));
    json_object_set_new(state, "thumb_size", json_integer(ATTN_THUMB_SIZE));
    json_object_set_new(state, "title", json_string(title ? title : a->expr));
    return 0;
}

/* ==== request fields =================================================================
 */

/* Reads the optional style fields of a request over the widget's state. */
static int request_style(widget_t *w, json_t *c, uint8_t rgb[256][3], tiles_style_t *st,
                         char *cmapname, size_t cap, char *why, size_t wcap) {
    json_t *v;
    const char *cmap = widget_get_str(w, "cmap", ATTN_DEFAULT_CMAP);
    if ((v = json_object_get(c, "cmap"))) {
        if (!json_is_string(v)) {
            snprintf(why, wcap, "field 'cmap' must be a string");
            return -1;
        }
        cmap = json_string_value(v);
    }
    err_t err;
    err_clear(&err);
    if (strlen(cmap) >= cap || cmd_widget_palette(cmap, rgb, &err) < 0) {
        snprintf(why, wcap, "unknown colormap");
        return -1;
    }
    snprintf(cmapname, cap, "%s", cmap);
    st->vmin = widget_get_real(w, "vmin", 0.0);
    st->vmax = widget_get_real(w, "vmax", 1.0);
    const char *rk[2] = {"vmin", "vmax"};
    double *rv[2] = {&st->vmin, &st->vmax};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(c, rk[i]))) {
            if (!json_is_number(v) || !isfinite(json_number_value(v))) {
                snprintf(why, wcap, "field '%s' must be a finite number", rk[i]);
                return -1;
            }
            *rv[i] = json_number_value(v);
        }
    if (!(st->vmin < st->vmax)) {
        snprintf(why, wcap, "vmin must be below vmax");
        return -1;
    }
    st->mask = (int)widget_get_int(w, "mask", 1);
    if ((v = json_object_get(c, "mask"))) {
        if (!json_is_boolean(v)) {
            snprintf(why, wcap, "field 'mask' must be a boolean");
            return -1;
        }
        st->mask = json_is_true(v);
    }
    st->cmap = (const uint8_t(*)[3])rgb;
    return 0;
}

/* ==== requests =======================================================================
 */

/* tile and thumb: both render a PNG through the cache. */
static void req_image(widget_t *w, const attn_t *a, const tensor_t *t, json_t *c,
                      json_t *id, int thumb) {
    char why[ERR_MSG_MAX + 32];
    int64_t layer, head, z = 0, x = 0, y = 0, size = ATTN_THUMB_SIZE;
    if (widget_field_int(c, "layer", 0, a->dims[0] - 1, &layer, why, sizeof why) < 0 ||
        widget_field_int(c, "head", 0, a->dims[1] - 1, &head, why, sizeof why) < 0)
        goto bad;
    if (!thumb) {
        int nl = tiles_levels(a->dims[2], a->dims[3]);
        if (widget_field_int(c, "z", 0, nl - 1, &z, why, sizeof why) < 0 ||
            widget_field_int(c, "x", 0, INT32_MAX, &x, why, sizeof why) < 0 ||
            widget_field_int(c, "y", 0, INT32_MAX, &y, why, sizeof why) < 0)
            goto bad;
    } else if (json_object_get(c, "size") &&
               widget_field_int(c, "size", 8, 512, &size, why, sizeof why) < 0) {
        goto bad;
    }
    uint8_t rgb[256][3];
    tiles_style_t st;
    char cmap[64];
    if (request_style(w, c, rgb, &st, cmap, sizeof cmap, why, sizeof why) < 0)
        goto bad;
    int tw, th;
    if (!thumb) {
        err_t err;
        err_clear(&err);
        if (tiles_rect(a->dims[2], a->dims[3], (int)z, x, y, &tw, &th, &err) < 0) {
            snprintf(why, sizeof why, "%.*s", (int)(sizeof why - 1), err.msg);
            goto bad;
        }
    }
    char key[512];
    snprintf(key, sizeof key,
             "%d|%p|%p|%s|%s|%" PRId64 "|%" PRId64 "|%s|%" PRId64 "|%" PRId64 "|%" PRId64
             "|%" PRId64 "|%s|%.9g|%.9g|%d",
             widget_epoch(w), (const void *)t->mem, (const void *)t->data, a->expr,
             thumb ? "T" : "t", layer, head, thumb ? "" : "z", z, x, y, size, cmap,
             st.vmin, st.vmax, st.mask);
    size_t len;
    const unsigned char *png = tiles_cache_get(widget_cache(w), key, &len, &tw, &th);
    buf_t b = BUF_INIT;
    if (!png) {
        tiles_plane_t p;
        err_t err;
        err_clear(&err);
        int rc = cmd_widget_attention_plane(t, layer, head, &p, &err);
        if (rc == 0)
            rc = thumb ? tiles_thumb(&p, &st, (int)size, &b, &tw, &th, &err)
                       : tiles_render(&p, &st, (int)z, x, y, &b, &tw, &th, &err);
        if (rc < 0) {
            buf_fini(&b);
            snprintf(why, sizeof why, "%.*s", (int)(sizeof why - 1), err.msg);
            goto bad;
        }
        tiles_cache_put(widget_cache(w), key, (const unsigned char *)b.data, b.len, tw,
                        th);
        png = (const unsigned char *)b.data;
        len = b.len;
    }
    json_t *r = widget_reply_new(thumb ? "thumb" : "tile", id);
    json_object_set_new(r, "layer", json_integer(layer));
    json_object_set_new(r, "head", json_integer(head));
    if (!thumb) {
        json_object_set_new(r, "z", json_integer(z));
        json_object_set_new(r, "x", json_integer(x));
        json_object_set_new(r, "y", json_integer(y));
    }
    json_object_set_new(r, "w", json_integer(tw));
    json_object_set_new(r, "h", json_integer(th));
    json_object_set_new(r, "cmap", json_string(cmap));
    wire_blob_t blob = {(unsigned char *)png, len};
    widget_send(w, r, &blob, 1);
    buf_fini(&b);
    return;
bad:
    widget_send_error(w, id, "%s: %s", thumb ? "thumb" : "tile", why);
}

static void req_slice(widget_t *w, const attn_t *a, const tensor_t *t, json_t *c,
                      json_t *id) {
    char why[ERR_MSG_MAX + 32];
    int64_t layer, head, q0, k0, nq, nk;
    if (widget_field_int(c, "layer", 0, a->dims[0] - 1, &layer, why, sizeof why) < 0 ||
        widget_field_int(c, "head", -1, a->dims[1] - 1, &head, why, sizeof why) < 0 ||
        widget_field_int(c, "q0", 0, a->dims[2] - 1, &q0, why, sizeof why) < 0 ||
        widget_field_int(c, "k0", 0, a->dims[3] - 1, &k0, why, sizeof why) < 0 ||
        widget_field_int(c, "nq", 1, a->dims[2] - q0, &nq, why, sizeof why) < 0 ||
        widget_field_int(c, "nk", 1, a->dims[3] - k0, &nk, why, sizeof why) < 0)
        goto bad;
    if (nq * nk > ATTN_SLICE_MAX) {
        snprintf(why, sizeof why, "%" PRId64 "x%" PRId64 " cells is more than %d", nq, nk,
                 ATTN_SLICE_MAX);
        goto bad;
    }
    int f64 = t->dtype == DT_F64;
    size_t n = (size_t)(nq * nk), es = f64 ? 8 : 4;
    unsigned char *out = xmalloc(n * es);
    int64_t h0 = head < 0 ? 0 : head, h1 = head < 0 ? a->dims[1] : head + 1;
    for (int64_t h = h0; h < h1; h++) {
        tiles_plane_t p;
        if (cmd_widget_attention_plane(t, layer, h, &p, NULL) < 0)
            continue; /* cannot happen: indices were checked */
        for (int64_t i = 0; i < nq; i++)
            for (int64_t j = 0; j < nk; j++) {
                double v = tiles_plane_get(&p, q0 + i, k0 + j);
                size_t k = (size_t)(i * nk + j);
                if (f64) {
                    double old;
                    memcpy(&old, out + k * 8, 8);
                    if (h == h0 || v > old)
                        memcpy(out + k * 8, &v, 8);
                } else {
                    float f = (float)v, old;
                    memcpy(&old, out + k * 4, 4);
                    if (h == h0 || f > old)
                        memcpy(out + k * 4, &f, 4);
                }
            }
    }
    json_t *r = widget_reply_new("slice", id);
    json_object_set_new(r, "layer", json_integer(layer));
    json_object_set_new(r, "head", json_integer(head));
    json_object_set_new(r, "q0", json_integer(q0));
    json_object_set_new(r, "k0", json_integer(k0));
    json_object_set_new(r, "nq", json_integer(nq));
    json_object_set_new(r, "nk", json_integer(nk));
    json_object_set_new(r, "dtype", json_string(f64 ? "float64" : "float32"));
    wire_blob_t blob = {out, n * es};
    widget_send(w, r, &blob, 1);
    free(out);
    return;
bad:
    widget_send_error(w, id, "slice: %s", why);
}

static void req_tokens(widget_t *w, const attn_t *a, json_t *id) {
    json_t *r = widget_reply_new("tokens", id);
    const strlist_t *l = resolve_tokens(w, a);
    if (l) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n; i++)
            json_array_append_new(arr, msg_text(l->items[i], strlen(l->items[i])));
        json_object_set_new(r, "tokens", arr);
    } else {
        json_object_set_new(r, "tokens", json_null());
    }
    widget_send(w, r, NULL, 0);
}

static void req_colorbar(widget_t *w, json_t *c, json_t *id) {
    char why[ERR_MSG_MAX + 32], cmap[64];
    uint8_t rgb[256][3];
    tiles_style_t st;
    if (request_style(w, c, rgb, &st, cmap, sizeof cmap, why, sizeof why) < 0) {
        widget_send_error(w, id, "colorbar: %s", why);
        return;
    }
    uint8_t idx[TILES_NCOLORS];
    for (int i = 0; i < TILES_NCOLORS; i++)
        idx[i] = (uint8_t)i;
    png_palette_t pal;
    tiles_palette(&st, &pal);
    buf_t b = BUF_INIT;
    if (png_write_indexed(&b, idx, TILES_NCOLORS, 1, TILES_NCOLORS, &pal, NULL) < 0) {
        buf_fini(&b);
        widget_send_error(w, id, "colorbar: cannot encode");
        return;
    }
    json_t *r = widget_reply_new("colorbar", id);
    json_object_set_new(r, "cmap", json_string(cmap));
    wire_blob_t blob = {(unsigned char *)b.data, b.len};
    widget_send(w, r, &blob, 1);
    buf_fini(&b);
}

static void on_request(widget_t *w, const char *type, json_t *id, json_t *c,
                       const wire_blob_t *buffers, size_t nbuf) {
    UNUSED(buffers);
    UNUSED(nbuf);
    attn_t *a = widget_data(w);
    if (strcmp(type, "tokens") == 0) {
        req_tokens(w, a, id);
        return;
    }
    if (strcmp(type, "colorbar") == 0) {
        req_colorbar(w, c, id);
        return;
    }
    int kind = strcmp(type, "tile") == 0    ? 1
               : strcmp(type, "thumb") == 0 ? 2
               : strcmp(type, "slice") == 0 ? 3
                                            : 0;
    if (!kind) {
        widget_send_error(w, id, "unknown request type '%.40s'", type);
        return;
    }
    err_t err;
    err_clear(&err);
    tensor_t *t = resolve(w, a, &err);
    if (!t) {
        widget_send_error(w, id, "%s: %s", type, err.msg);
        return;
    }
    if (kind == 3)
        req_slice(w, a, t, c, id);
    else
        req_image(w, a, t, c, id, kind == 2);
    tensor_free(t);
}

static int fallback(widget_t *w, buf_t *png, int *width, int *height, err_t *err) {
    attn_t *a = widget_data(w);
    tensor_t *t = resolve(w, a, err);
    if (!t)
        return -1;
    uint8_t rgb[256][3];
    int rc = cmd_widget_palette(widget_get_str(w, "cmap", ATTN_DEFAULT_CMAP), rgb, err);
    if (rc == 0) {
        tiles_style_t st = {widget_get_real(w, "vmin", 0.0),
                            widget_get_real(w, "vmax", 1.0),
                            (int)widget_get_int(w, "mask", 1), (const uint8_t(*)[3])rgb};
        rc = cmd_widget_attention_overview(t, a->expr, widget_get_int(w, "layer", 0),
                                           a->base, &st, png, width, height, err);
    }
    tensor_free(t);
    return rc;
}

/* The attention kind: see the file comment for its requests. */
const widget_kind_t widget_attention_kind = {
    "attention", "attention.js", "widget.css", init,
    on_request,  NULL,           fallback,     attn_free,
};
