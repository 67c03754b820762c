/* SPDX-License-Identifier: MIT */
/* cmd_widget.c -- the widget family of magics: %attention.
 *
 * %attention checks what the user gave (a 2-, 3- or 4-D float tensor of attention
 * weights, optional tokens, colour range, colormap) and asks the output sink to open an
 * "attention" widget with *string* traits: the tensor's expression and the token list's
 * name, never pointers, because the widget lives across cells and re-resolves them on
 * every request. With --static (or a host without widgets) it displays the overview
 * picture instead. The shape rules and the overview live here so that the widget
 * (widget_attention.c) and the magic agree on them. No JSON and no sockets here. */
#include "cmd_widget.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"

/* ==== shared helpers =================================================================
 */

/* Normalises the shape of attention weights `t` to dims = {layers, heads, q, k}:
 * [q, k] -> {1, 1, q, k}, [heads, q, k] -> {1, heads, q, k}, [layers, heads, q, k] as
 * is. `expr` (may be NULL) is the user's text, used in messages. Returns 0, or -1 with
 * `err` set for other ranks, empty axes, or a 4-D tensor whose first axis looks like a
 * leftover batch axis (size 1, or a TransformerLens hook_pattern): the message names
 * the fix, `X[0]`. */
int cmd_widget_attention_dims(const tensor_t *t, const char *expr, int64_t dims[4],
                              err_t *err) {
    char shp[128];
    const char *x = expr ? expr : "X";
    tensor_format_shape(t, shp, sizeof shp);
    if (t->ndim < 2 || t->ndim > 4) {
        err_set(err, "ShapeError",
                "%%attention expects [q, k], [heads, q, k] or [layers, heads, q, k]; "
                "'%s' has shape %s",
                x, shp);
        return -1;
    }
    for (int i = 0; i < t->ndim; i++)
        if (t->shape[i] < 1) {
            err_set(err, "ShapeError", "'%s' has an empty axis: shape %s", x, shp);
            return -1;
        }
    if (t->ndim == 4 && (t->shape[0] == 1 || strstr(x, "hook_pattern"))) {
        if (strchr(x, '['))
            err_set(err, "ShapeError",
                    "'%s' has shape %s: its first axis looks like a batch axis, not "
                    "layers; select one prompt by indexing it away (X[0] for a [batch, "
                    "head, q, k] pattern X)",
                    x, shp);
        else
            err_set(err, "ShapeError",
                    "'%s' has shape %s: its first axis looks like a batch axis, not "
                    "layers; select one prompt: %%attention %s[0]",
                    x, shp, x);
        return -1;
    }
    dims[0] = dims[1] = 1;
    for (int i = 0; i < t->ndim; i++)
        dims[4 - t->ndim + i] = t->shape[i];
    return 0;
}

/* Fills `p` with head `head` of layer `layer` of attention weights `t` (any rank that
 * cmd_widget_attention_dims accepts). Returns 0, or -1 with `err` set when an index is
 * out of range. The plane borrows t's memory. */
int cmd_widget_attention_plane(const tensor_t *t, int64_t layer, int64_t head,
                               tiles_plane_t *p, err_t *err) {
    int64_t lead[2];
    int n = t->ndim - 2;
    if (t->ndim == 4) {
        lead[0] = layer;
        lead[1] = head;
    } else if (t->ndim == 3) {
        if (layer != 0) {
            err_set(err, "IndexError", "layer %lld out of range (no layer axis)",
                    (long long)layer);
            return -1;
        }
        lead[0] = head;
    } else if (layer != 0 || head != 0) {
        err_set(err, "IndexError", "layer/head (%lld, %lld) out of range for one head",
                (long long)layer, (long long)head);
        return -1;
    }
    return tiles_plane_from_tensor(p, t, lead, n, err);
}

/* Fills rgb with the 256 colours of matplotlib colormap `name` (NULL = the default;
 * "_r" reverses). Returns 0, or -1 with `err` naming the known maps. */
int cmd_widget_palette(const char *name, uint8_t rgb[256][3], err_t *err) {
    colormap_sel_t sel;
    if (!name || !*name)
        name = ATTN_DEFAULT_CMAP;
    if (colormap_select(name, &sel) < 0 || !sel.map || sel.map->n != 256 ||
        sel.map->categorical) {
        char names[512];
        colormap_names(names, sizeof names);
        err_set(err, "ValueError", "unknown continuous colormap '%s'; try one of: %s",
                name, names);
        return -1;
    }
    for (int i = 0; i < 256; i++)
        colormap_entry8(&sel, i, rgb[i]);
    return 0;
}

/* Checks that token list `toks` (named `name`) labels both axes of dims. Returns 0, or
 * -1 with `err` set. */
int cmd_widget_tokens_check(const strlist_t *toks, const char *name,
                            const int64_t dims[4], err_t *err) {
    if ((int64_t)toks->n != dims[2] || (int64_t)toks->n != dims[3]) {
        err_set(err, "ShapeError",
                "token list '%s' has %zu tokens but the attention pattern is "
                "[q=%lld, k=%lld]; they must match",
                name, toks->n, (long long)dims[2], (long long)dims[3]);
        return -1;
    }
    return 0;
}

/* Renders the static overview of layer `layer` of `t`: every head's thumbnail
 * labelled L{layer_base+layer}H{h} under a title, within ATTN_FALLBACK_W x
 * ATTN_FALLBACK_H logical pixels (drawn at 2x). Appends the PNG to `png` and sets the
 * logical size. Returns 0, or -1 with `err` set. */
int cmd_widget_attention_overview(const tensor_t *t, const char *expr, int64_t layer,
                                  int64_t layer_base, const tiles_style_t *st, buf_t *png,
                                  int *w, int *h, err_t *err) {
    int64_t dims[4];
    if (cmd_widget_attention_dims(t, expr, dims, err) < 0)
        return -1;
    if (layer < 0 || layer >= dims[0]) {
        err_set(err, "IndexError", "layer %lld out of range 0..%lld", (long long)layer,
                (long long)dims[0] - 1);
        return -1;
    }
    int n = dims[1] > 64 ? 64 : (int)dims[1];
    tiles_plane_t *planes = xcalloc((size_t)n, sizeof *planes);
    char **labels = xcalloc((size_t)n, sizeof *labels);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        rc = cmd_widget_attention_plane(t, layer, i, &planes[i], err);
        labels[i] = xasprintf("L%lldH%d", (long long)(layer_base + layer), i);
    }
    if (rc == 0) {
        char shp[96], title[256];
        tensor_format_shape(t, shp, sizeof shp);
        snprintf(title, sizeof title, "%s %s%s", expr ? expr : "attention", shp,
                 dims[1] > n ? " (first 64 heads)" : "");
        rc = tiles_overview(planes, (const char *const *)labels, n, st, title,
                            ATTN_FALLBACK_W, ATTN_FALLBACK_H, png, w, h, err);
    }
    for (int i = 0; i < n; i++)
        free(labels[i]);
    free(labels);
    free(planes);
    return rc;
}

/* ==== %attention =====================================================================
 */

static int cmd_attention(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *a = &st->args[0];
    tensor_t *t = cmd_tensor_arg(ctx, st, a->text, a->col, err);
    if (!t)
        return -1;
    int rc = -1;
    int64_t dims[4];
    buf_t png = BUF_INIT;
    char sl[32], sb[32], smin[40], smax[40];
    if (cmd_widget_attention_dims(t, a->text, dims, err) < 0)
        goto out;
    if (!dtype_is_float(t->dtype)) {
        err_set_at(err, st->line, a->col, "TypeError",
                   "attention weights must be floating point; '%s' is %s", a->text,
                   dtype_name(t->dtype));
        goto out;
    }
    const char *tokname = cmd_flag(st, "tokens");
    if (tokname) {
        const strlist_t *toks = cmd_strings_arg(ctx, st, tokname, st->col, err);
        if (!toks || cmd_widget_tokens_check(toks, tokname, dims, err) < 0)
            goto out;
    }
    long layer = 0;
    if (cmd_flag_long(st, "layer", 0, &layer, err) < 0)
        goto out;
    int64_t layer0 = 0, base = 0;
    if (t->ndim == 4) {
        if (layer < 0)
            layer += dims[0];
        if (layer < 0 || layer >= dims[0]) {
            err_set(err, "IndexError", "--layer %ld out of range: '%s' has %lld layers",
                    layer, a->text, (long long)dims[0]);
            goto out;
        }
        layer0 = layer;
    } else {
        if (layer < 0) {
            err_set(err, "ValueError", "--layer must be >= 0 for a single layer");
            goto out;
        }
        base = layer; /* labels L{layer}H{h} */
    }
    const char *cmap = cmd_flag(st, "cmap");
    uint8_t rgb[256][3];
    if (cmd_widget_palette(cmap, rgb, err) < 0)
        goto out;
    double vmin, vmax;
    if (cmd_flag_double(st, "vmin", 0.0, &vmin, err) < 0 ||
        cmd_flag_double(st, "vmax", 1.0, &vmax, err) < 0)
        goto out;
    if (!(vmin < vmax)) {
        err_set(err, "ValueError", "--vmin (%g) must be below --vmax (%g)", vmin, vmax);
        goto out;
    }
    int mask = cmd_flag(st, "no-mask") == NULL;
    tiles_style_t style = {vmin, vmax, mask, (const uint8_t(*)[3])rgb};
    char text[512], shp[96];
    tensor_format_shape(t, shp, sizeof shp);
    snprintf(text, sizeof text, "attention %s %s %s%s%s", a->text, shp,
             dtype_name(t->dtype), tokname ? " tokens=" : "", tokname ? tokname : "");

    if (cmd_flag(st, "static") || !ctx->out || !ctx->out->widget) {
        int w, h;
        if (cmd_widget_attention_overview(t, a->text, layer0, base, &style, &png, &w, &h,
                                          err) < 0)
            goto out;
        out_bundle_t b;
        memset(&b, 0, sizeof b);
        b.text = text;
        b.png = (const unsigned char *)png.data;
        b.png_len = png.len;
        b.width = w;
        b.height = h;
        if (ctx->out && ctx->out->display)
            ctx->out->display(ctx->out->ctx, &b, 0);
        rc = 0;
        goto out;
    }
    snprintf(sl, sizeof sl, "%lld", (long long)layer0);
    snprintf(sb, sizeof sb, "%lld", (long long)base);
    snprintf(smin, sizeof smin, "%.17g", vmin);
    snprintf(smax, sizeof smax, "%.17g", vmax);
    const char *keys[] = {"tensor", "tokens", "layer", "layer_base", "cmap",
                          "vmin",   "vmax",   "mask",  "title"};
    const char *vals[] = {a->text,
                          tokname ? tokname : "",
                          sl,
                          sb,
                          cmap ? cmap : ATTN_DEFAULT_CMAP,
                          smin,
                          smax,
                          mask ? "1" : "0",
                          a->text};
    /* Only text here: the widget kind draws the picture after comm_open. */
    rc = cmd_open_widget(ctx, "attention", keys, vals, sizeof keys / sizeof *keys, text,
                         err);
out:
    buf_fini(&png);
    tensor_free(t);
    return rc;
}

/* The widget family's command table. */
const cmd_spec_t cmd_widget_specs[] = {
    {"attention", cmd_attention, 1, 1, 0,
     "tokens= layer= static cmap= vmin= vmax= no-mask",
     "%attention PATTERN [--tokens T] [--layer L] [--cmap C] [--vmin V] [--vmax V] "
     "[--no-mask] [--static]",
     "interactive attention view: head grid, zoomable heads, token view",
     "PATTERN is [q, k], [heads, q, k] or [layers, heads, q, k] attention weights (any\n"
     "float dtype; memory-mapped tensors are never copied). For TransformerLens caches\n"
     "select one prompt: %attention blocks.3.attn.hook_pattern[0] --tokens toks.\n"
     "  --tokens T   token list labelling queries and keys (see %tokens, %load *.json)\n"
     "  --layer L    first layer shown (4-D), or the layer number in labels (2-/3-D)\n"
     "  --cmap C     matplotlib colormap (default viridis; Blues, magma, ... , *_r)\n"
     "  --vmin/--vmax  colour range (default 0..1)\n"
     "  --no-mask    do not grey the upper triangle (bidirectional models)\n"
     "  --static     a picture only (no widget)\n"
     "In the view: hover a head to preview, click to lock (click again or Esc to\n"
     "unlock); wheel/drag/+/-/arrows zoom and pan; hover a cell for exact weights;\n"
     "hover a token in the token view to colour the others by attention."},
    {NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
