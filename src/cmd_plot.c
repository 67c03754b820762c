/* SPDX-License-Identifier: MIT */
/* cmd_plot.c -- the static-figure magics: %heatmap, %heads, %patching, %dla, %hist,
 * %examples, %dashboard, %curves, %pareto, %topk.
 *
 * Each handler checks its arguments against the store (shapes, label counts, table
 * columns), turns tensors into plain double arrays, fills a plot.h spec and hands a draw
 * function to cmd_plot_emit, which renders a 2x PNG (plus SVG with --svg) and sends one
 * display bundle. Bad input gets a precise error (ShapeError, ValueError, KeyError,
 * TypeError, NameError) and never a half-drawn figure. Drawing itself lives in plot.c;
 * nothing here touches cairo or JSON. */
#include "cmd_plot.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "colormap.h"
#include "store.h"
#include "strlist.h"
#include "tensor_io.h"

#define MAX_ELEMS ((int64_t)1 << 26) /* values read for one figure (512 MiB of f64) */

/* ================================================================================ */
/* shared helpers (exported for other families)                                     */
/* ================================================================================ */

/* cmd_plot_size -- the figure's logical size: --width/--height or the defaults. Returns
 * 0, or -1 with a ValueError when a value is not a number in 100..4000 or the area is
 * above CMD_PLOT_MAX_AREA (the 2x image would pass 100 MB). */
int cmd_plot_size(const parse_stmt_t *st, int dflt_w, int dflt_h, int *w, int *h,
                  err_t *err) {
    long lw, lh;
    if (cmd_flag_long(st, "width", dflt_w, &lw, err) < 0 ||
        cmd_flag_long(st, "height", dflt_h, &lh, err) < 0)
        return -1;
    if (lw < 100 || lw > 4000 || lh < 100 || lh > 4000) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "figure size %ldx%ld is out of range (100..4000 px per side)", lw, lh);
        return -1;
    }
    if (lw * lh > CMD_PLOT_MAX_AREA) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "figure size %ldx%ld is too large (at most %ld square px)", lw, lh,
                   (long)CMD_PLOT_MAX_AREA);
        return -1;
    }
    *w = (int)lw;
    *h = (int)lh;
    return 0;
}

/* cmd_plot_png -- draw a w x h figure into a new 2x PNG appended to png. Returns 0, or
 * -1 with err set by the draw function or the encoder. For widget fallbacks. */
int cmd_plot_png(int w, int h, cmd_plot_draw_fn draw, const void *data, buf_t *png,
                 err_t *err) {
    render_t *r = render_new(w, h, err);
    if (!r)
        return -1;
    plot_rect_t area = {0, 0, w, h};
    int rc = draw(r, area, data, err);
    if (rc == 0)
        rc = render_png(r, png, err);
    render_free(r);
    return rc;
}

/* cmd_plot_emit -- render the figure (PNG at 2x, and SVG too when st has --svg) and send
 * it as one display bundle with `text` as its text/plain. Returns 0, or -1 with err
 * set; nothing is displayed on failure. */
int cmd_plot_emit(cmd_ctx_t *ctx, const parse_stmt_t *st, int w, int h,
                  cmd_plot_draw_fn draw, const void *data, const char *text, err_t *err) {
    buf_t png = BUF_INIT, svg = BUF_INIT;
    int rc = cmd_plot_png(w, h, draw, data, &png, err);
    if (rc == 0 && st && cmd_flag(st, "svg")) {
        render_t *r = render_new_svg(w, h, err);
        rc = -1;
        if (r) {
            plot_rect_t area = {0, 0, w, h};
            rc = draw(r, area, data, err);
            if (rc == 0)
                rc = render_svg(r, &svg, err);
            render_free(r);
        }
    }
    if (rc == 0 && ctx->out && ctx->out->display) {
        out_bundle_t b = {0};
        b.text = text;
        b.png = (const unsigned char *)png.data;
        b.png_len = png.len;
        b.width = w;
        b.height = h;
        b.svg = svg.len ? svg.data : NULL;
        ctx->out->display(ctx->out->ctx, &b, 0);
    }
    if (rc < 0 && st && err && err->line == 0) {
        err->line = st->line;
        err->col = st->col;
    }
    buf_fini(&png);
    buf_fini(&svg);
    return rc;
}

/* cmd_plot_values -- all elements of t as a new double array in C order (the caller
 * frees it) and their count in *n. Returns NULL with a ValueError when t is empty or
 * has more than max_elems elements. */
double *cmd_plot_values(const tensor_t *t, int64_t max_elems, int64_t *n, err_t *err) {
    int64_t k = tensor_numel(t);
    char shp[96];
    tensor_format_shape(t, shp, sizeof shp);
    if (k <= 0) {
        err_set(err, "ValueError", "the tensor of shape %s is empty: nothing to draw",
                shp);
        return NULL;
    }
    if (k > max_elems) {
        err_set(err, "ValueError",
                "the tensor of shape %s has %lld elements, more than the %lld a figure "
                "reads; slice it first",
                shp, (long long)k, (long long)max_elems);
        return NULL;
    }
    double *v = util_try_malloc((size_t)k * sizeof *v);
    if (!v) {
        err_set(err, "MemoryError", "cannot allocate %lld values for the figure",
                (long long)k);
        return NULL;
    }
    tensor_read_f64(t, v);
    *n = k;
    return v;
}

/* cmd_plot_limits -- --vmin / --vmax as numbers (has_* set to 1 when given). Returns 0,
 * or -1 with a ValueError for a non-number or vmin >= vmax. */
int cmd_plot_limits(const parse_stmt_t *st, double *vmin, int *has_vmin, double *vmax,
                    int *has_vmax, err_t *err) {
    *has_vmin = cmd_flag(st, "vmin") != NULL;
    *has_vmax = cmd_flag(st, "vmax") != NULL;
    if (cmd_flag_double(st, "vmin", 0, vmin, err) < 0 ||
        cmd_flag_double(st, "vmax", 1, vmax, err) < 0)
        return -1;
    if ((*has_vmin && !isfinite(*vmin)) || (*has_vmax && !isfinite(*vmax))) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "--vmin and --vmax must be finite");
        return -1;
    }
    if (*has_vmin && *has_vmax && !(*vmin < *vmax)) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "--vmin (%g) must be less than --vmax (%g)", *vmin, *vmax);
        return -1;
    }
    return 0;
}

/* ================================================================================ */
/* local helpers                                                                    */
/* ================================================================================ */

static int check_cmap(const parse_stmt_t *st, err_t *err) {
    const char *c = cmd_flag(st, "cmap");
    colormap_sel_t sel;
    if (!c || colormap_select(c, &sel) == 0)
        return 0;
    char names[512];
    colormap_names(names, sizeof names);
    err_set_at(err, st->line, st->col, "ValueError",
               "unknown colormap '%s' (known: %s; append _r to reverse)", c, names);
    return -1;
}

static const char *title_or(const parse_stmt_t *st, const char *dflt) {
    const char *t = cmd_flag(st, "title");
    return t ? t : dflt;
}

static tensor_t *arg_tensor(cmd_ctx_t *ctx, const parse_stmt_t *st, size_t i,
                            err_t *err) {
    return cmd_tensor_arg(ctx, st, st->args[i].text, st->args[i].col, err);
}

static int flag_col(const parse_stmt_t *st, const char *name) {
    for (size_t i = 0; i < st->nflags; i++)
        if (strcmp(st->flags[i].name, name) == 0)
            return st->flags[i].col;
    return st->col;
}

/* A token list given by flag --name, or a slice of one ("toks[:12]", "toks[5:-1:2]"),
 * checked to have `want` items (want < 0: any). A slice is copied into `own` (the
 * caller finalises it). *out stays NULL when the flag is absent. */
static int flag_strings(cmd_ctx_t *ctx, const parse_stmt_t *st, strlist_t *own,
                        const char *flag, int64_t want, const char *what,
                        const strlist_t **out, err_t *err) {
    *out = NULL;
    const char *text = cmd_flag(st, flag);
    if (!text)
        return 0;
    int col = flag_col(st, flag);
    const strlist_t *l;
    if (strchr(text, '[')) {
        parse_expr_t e;
        if (parse_expr(text, st->line, col, &e, err) < 0)
            return -1;
        l = cmd_strings_arg(ctx, st, e.name, col, err);
        if (!l || e.nidx != 1 || e.idx[0].kind != TI_SLICE) {
            if (l)
                err_set_at(err, st->line, col, "IndexError",
                           "--%s takes a token list or a slice of one such as %s[2:10]",
                           flag, e.name);
            parse_expr_fini(&e);
            return -1;
        }
        const tensor_index_t *ix = &e.idx[0];
        int64_t n = (int64_t)l->n, step = ix->step ? ix->step : 1;
        int64_t start, stop;
        if (step > 0) {
            start = ix->has_start ? ix->start : 0;
            stop = ix->has_stop ? ix->stop : n;
            if (start < 0)
                start += n;
            if (stop < 0)
                stop += n;
            start = start < 0 ? 0 : start > n ? n : start;
            stop = stop < 0 ? 0 : stop > n ? n : stop;
            for (int64_t k = start; k < stop; k += step)
                strlist_push(own, l->items[k]);
        } else {
            start = ix->has_start ? ix->start : n - 1;
            stop = ix->has_stop ? ix->stop : -n - 1;
            if (start < 0)
                start += n;
            if (stop < 0)
                stop += n;
            start = start < -1 ? -1 : start > n - 1 ? n - 1 : start;
            stop = stop < -1 ? -1 : stop > n - 1 ? n - 1 : stop;
            for (int64_t k = start; k > stop; k += step)
                strlist_push(own, l->items[k]);
        }
        parse_expr_fini(&e);
        l = own;
    } else {
        l = cmd_strings_arg(ctx, st, text, col, err);
        if (!l)
            return -1;
    }
    if (want >= 0 && (int64_t)l->n != want) {
        err_set_at(err, st->line, col, "ShapeError",
                   "--%s %s has %zu labels but the %s has %lld", flag, text, l->n, what,
                   (long long)want);
        return -1;
    }
    *out = l;
    return 0;
}

static void shape_text(const tensor_t *t, char *out, size_t cap) {
    tensor_format_shape(t, out, cap);
}

/* Logical sizes that give heatmap cells a readable size. */
static void heatmap_default_size(int64_t rows, int64_t cols, int labels_x, int *w,
                                 int *h) {
    double cell = 560.0 / (double)(rows > cols ? rows : cols);
    if (cell > 40)
        cell = 40;
    if (cell < 1)
        cell = 1;
    double gw = cell * (double)cols, gh = cell * (double)rows;
    if (gw < 200)
        gw = 200;
    if (gh < 160)
        gh = 160;
    *w = (int)(gw + 260);
    *h = (int)(gh + (labels_x ? 150 : 90));
    if (*w > 1400)
        *w = 1400;
    if (*h > 1200)
        *h = 1200;
}

/* Read a 2-D (or 1-D, one row) tensor row by row into a new rows/fr x cols/fc array,
 * keeping per block the value farthest from `center` (centred maps) or the largest;
 * NaN only where a whole block is NaN. Returns NULL with err set (MemoryError,
 * KeyboardInterrupt). */
static double *pooled_read(cmd_ctx_t *ctx, const tensor_t *t, int64_t rows, int64_t cols,
                           int64_t fr, int64_t fc, int centered, double center,
                           err_t *err) {
    int64_t pr = (rows + fr - 1) / fr, pc = (cols + fc - 1) / fc;
    double *out = util_try_malloc((size_t)(pr * pc) * sizeof *out);
    double *row = util_try_malloc((size_t)cols * sizeof *row);
    if (!out || !row) {
        free(out);
        free(row);
        err_set(err, "MemoryError", "cannot allocate the pooled map");
        return NULL;
    }
    for (int64_t i = 0; i < pr * pc; i++)
        out[i] = (double)NAN;
    for (int64_t i = 0; i < rows; i++) {
        if (t->ndim == 1) {
            tensor_read_f64(t, row);
        } else {
            tensor_index_t ix;
            memset(&ix, 0, sizeof ix);
            ix.kind = TI_INT;
            ix.i = i;
            tensor_t *rv = tensor_index(t, &ix, 1, err);
            if (!rv) {
                free(out);
                free(row);
                return NULL;
            }
            tensor_read_f64(rv, row);
            tensor_free(rv);
        }
        double *dst = out + (i / fr) * pc;
        for (int64_t j = 0; j < cols; j++) {
            double x = row[j], *c = &dst[j / fc];
            if (isnan(x))
                continue;
            if (isnan(*c) || (centered ? fabs(x - center) > fabs(*c - center) : x > *c))
                *c = x;
        }
        if ((i & 1023) == 0 && cmd_interrupted(ctx, err) < 0) {
            free(out);
            free(row);
            return NULL;
        }
    }
    free(row);
    return out;
}

static int draw_heatmap(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    return plot_heatmap(r, area, data, err);
}

/* ================================================================================ */
/* %heatmap                                                                         */
/* ================================================================================ */

static int cmd_heatmap(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[2] = {STRLIST_INIT, STRLIST_INIT};
    int rc = -1;
    double *v = NULL;
    tensor_t *t = arg_tensor(ctx, st, 0, err);
    if (!t)
        return -1;
    char shp[96];
    shape_text(t, shp, sizeof shp);
    int64_t rows, cols;
    if (t->ndim == 2) {
        rows = t->shape[0];
        cols = t->shape[1];
    } else if (t->ndim == 1) {
        rows = 1;
        cols = t->shape[0];
    } else if (t->ndim == 0) {
        err_set_at(err, st->line, st->args[0].col, "ShapeError",
                   "%%heatmap needs a 2-D tensor, '%s' is a scalar", st->args[0].text);
        goto out;
    } else {
        err_set_at(
            err, st->line, st->args[0].col, "ShapeError",
            "%%heatmap needs a 2-D tensor, '%s' has shape %s; index it first, e.g. "
            "%s[0]",
            st->args[0].text, shp, st->args[0].text);
        goto out;
    }
    plot_heatmap_t h = {0};
    const strlist_t *xl, *yl;
    if (flag_strings(ctx, st, &lab[0], "x", cols, "number of columns", &xl, err) < 0 ||
        flag_strings(ctx, st, &lab[1], "y", rows, "number of rows", &yl, err) < 0)
        goto out;
    if (check_cmap(st, err) < 0 ||
        cmd_plot_limits(st, &h.vmin, &h.has_vmin, &h.vmax, &h.has_vmax, err) < 0)
        goto out;
    if (cmd_flag(st, "center")) {
        if (cmd_flag_double(st, "center", 0, &h.center, err) < 0)
            goto out;
        h.centered = 1;
    }
    int64_t n, fr = 1, fc = 1;
    if (rows > PLOT_MAX_CELLS || cols > PLOT_MAX_CELLS) {
        /* Pool while reading, so a [100000, 768] residual stream never needs a full
         * copy: the value farthest from the centre (or the largest) per block. */
        fr = (rows + PLOT_MAX_CELLS - 1) / PLOT_MAX_CELLS;
        fc = (cols + PLOT_MAX_CELLS - 1) / PLOT_MAX_CELLS;
        v = pooled_read(ctx, t, rows, cols, fr, fc, h.centered, h.center, err);
        if (!v)
            goto out;
        h.y_stride = fr;
        h.x_stride = fc;
        rows = (rows + fr - 1) / fr;
        cols = (cols + fc - 1) / fc;
        xl = yl = NULL;
    } else {
        v = cmd_plot_values(t, MAX_ELEMS, &n, err);
        if (!v)
            goto out;
    }
    h.values = v;
    h.rows = rows;
    h.cols = cols;
    h.xlabels = xl ? (const char *const *)xl->items : NULL;
    h.ylabels = yl ? (const char *const *)yl->items : NULL;
    h.tokens_x = h.tokens_y = 1;
    h.cmap = cmd_flag(st, "cmap");
    h.colorbar = 1;
    h.annotate = cmd_flag(st, "annot") != NULL;
    h.title = title_or(st, st->args[0].text);
    h.xlabel = cmd_flag(st, "xlabel");
    h.ylabel = cmd_flag(st, "ylabel");
    int w, hh;
    heatmap_default_size(rows, cols, xl != NULL, &w, &hh);
    if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
        goto out;
    double lo, hi;
    plot_heatmap_limits(&h, &lo, &hi);
    char text[600];
    snprintf(text, sizeof text, "<heatmap of %s %s, colour range %.4g..%.4g>",
             st->args[0].text, shp, lo, hi);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_heatmap, &h, text, err);
out:
    strlist_fini(&lab[0]);
    strlist_fini(&lab[1]);
    free(v);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* %heads                                                                           */
/* ================================================================================ */

static int draw_grid(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    return plot_heatmap_grid(r, area, data, err);
}

static int cmd_heads(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[1] = {STRLIST_INIT};
    int rc = -1;
    double *v = NULL;
    strlist_t titles = STRLIST_INIT;
    tensor_t *t = arg_tensor(ctx, st, 0, err);
    if (!t)
        return -1;
    char shp[96];
    shape_text(t, shp, sizeof shp);
    if (t->ndim < 2 || t->ndim > 4 || t->shape[t->ndim - 1] != t->shape[t->ndim - 2]) {
        err_set_at(err, st->line, st->args[0].col, "ShapeError",
                   "%%heads needs attention patterns [q, k], [heads, q, k] or [layers, "
                   "heads, q, k] with q == k; '%s' has shape %s",
                   st->args[0].text, shp);
        goto out;
    }
    if (tensor_numel(t) == 0) {
        err_set_at(err, st->line, st->args[0].col, "ValueError",
                   "'%s' of shape %s is empty: nothing to draw", st->args[0].text, shp);
        goto out;
    }
    if (check_cmap(st, err) < 0)
        goto out;
    long layer;
    if (cmd_flag_long(st, "layer", -1, &layer, err) < 0)
        goto out;
    int64_t q = t->shape[t->ndim - 1];
    const strlist_t *toks;
    if (flag_strings(ctx, st, &lab[0], "tokens", q, "sequence", &toks, err) < 0)
        goto out;
    double vmin, vmax;
    int has_vmin, has_vmax;
    if (cmd_plot_limits(st, &vmin, &has_vmin, &vmax, &has_vmax, err) < 0)
        goto out;
    int64_t n;
    char text[600];
    if (t->ndim == 2) { /* one head: a full heatmap with token labels */
        v = cmd_plot_values(t, MAX_ELEMS, &n, err);
        if (!v)
            goto out;
        plot_heatmap_t h = {
            .values = v, .rows = q, .cols = q, .tokens_x = 1, .tokens_y = 1};
        h.xlabels = toks ? (const char *const *)toks->items : NULL;
        h.ylabels = h.xlabels;
        h.cmap = cmd_flag(st, "cmap") ? cmd_flag(st, "cmap") : "Blues";
        h.vmin = vmin;
        h.vmax = vmax;
        h.has_vmin = has_vmin;
        h.has_vmax = has_vmax;
        h.colorbar = 1;
        h.title = title_or(st, st->args[0].text);
        h.xlabel = "key";
        h.ylabel = "query";
        int w, hh;
        heatmap_default_size(q, q, toks != NULL, &w, &hh);
        if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
            goto out;
        snprintf(text, sizeof text, "<attention pattern %s %s>", st->args[0].text, shp);
        rc = cmd_plot_emit(ctx, st, w, hh, draw_heatmap, &h, text, err);
        goto out;
    }
    int64_t nl = t->ndim == 4 ? t->shape[0] : 1, nh = t->shape[t->ndim - 3];
    if (nl * nh > 1024) {
        err_set_at(
            err, st->line, st->args[0].col, "ValueError",
            "%lld heads are too many for one grid (at most 1024); slice some layers",
            (long long)(nl * nh));
        goto out;
    }
    for (int64_t l = 0; l < nl; l++)
        for (int64_t hd = 0; hd < nh; hd++) {
            if (t->ndim == 4)
                strlist_push_take(&titles,
                                  xasprintf("L%lldH%lld", (long long)l, (long long)hd));
            else if (layer >= 0)
                strlist_push_take(&titles, xasprintf("L%ldH%lld", layer, (long long)hd));
            else
                strlist_push_take(&titles, xasprintf("H%lld", (long long)hd));
        }
    /* Thumbnails: each head read on its own and max-pooled to at most 256 cells a
     * side, so [layers, heads, 4096, 4096] never needs the whole tensor in memory. */
    int64_t f = (q + 255) / 256, pq = (q + f - 1) / f;
    v = util_try_malloc((size_t)(nl * nh * pq * pq) * sizeof *v);
    float *head = util_try_malloc((size_t)(q * q) * sizeof *head);
    if (!v || !head) {
        free(head);
        err_set(err, "MemoryError", "cannot allocate the head thumbnails");
        goto out;
    }
    for (int64_t k = 0; k < nl * nh; k++) {
        tensor_index_t ix[2];
        memset(ix, 0, sizeof ix);
        ix[0].kind = ix[1].kind = TI_INT;
        int nix = 0;
        if (t->ndim == 4)
            ix[nix++].i = k / nh;
        ix[nix++].i = k % nh;
        tensor_t *hv = tensor_index(t, ix, nix, err);
        if (!hv) {
            free(head);
            goto out;
        }
        tensor_read_f32(hv, head);
        tensor_free(hv);
        double *dst = v + k * pq * pq;
        for (int64_t i = 0; i < pq * pq; i++)
            dst[i] = (double)NAN;
        for (int64_t i = 0; i < q; i++)
            for (int64_t j = 0; j < q; j++) {
                double x = (double)head[i * q + j];
                double *c = &dst[(i / f) * pq + j / f];
                if (!isnan(x) && (isnan(*c) || x > *c))
                    *c = x;
            }
        if (cmd_interrupted(ctx, err) < 0) {
            free(head);
            goto out;
        }
    }
    free(head);
    plot_grid_t g = {.values = v, .n = nl * nh, .rows = pq, .cols = pq};
    g.ncols = t->ndim == 4 ? (int)nh : 0;
    if (g.ncols > 16)
        g.ncols = 16;
    g.titles = (const char *const *)titles.items;
    g.cmap = cmd_flag(st, "cmap");
    g.vmin = vmin;
    g.vmax = vmax;
    g.has_vmin = has_vmin;
    g.has_vmax = has_vmax;
    g.title = title_or(st, st->args[0].text);
    int64_t ncols = g.ncols ? g.ncols : (int64_t)ceil(sqrt((double)g.n));
    int64_t nrows = (g.n + ncols - 1) / ncols;
    double side = 140;
    if ((double)ncols * side > 1200)
        side = 1200.0 / (double)ncols;
    if (side < 40)
        side = 40;
    int w = (int)((double)ncols * (side + 6) + 90),
        hh = (int)((double)nrows * (side + 21) + 40);
    if (w > 4000)
        w = 4000;
    if (hh > 4000)
        hh = 4000;
    if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
        goto out;
    snprintf(text, sizeof text, "<%lld attention head%s of %s %s>", (long long)g.n,
             g.n == 1 ? "" : "s", st->args[0].text, shp);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_grid, &g, text, err);
out:
    strlist_fini(&lab[0]);
    strlist_fini(&titles);
    free(v);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* %patching                                                                        */
/* ================================================================================ */

static int cmd_patching(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[1] = {STRLIST_INIT};
    int rc = -1;
    double *v = NULL;
    strlist_t layers = STRLIST_INIT;
    tensor_t *t = arg_tensor(ctx, st, 0, err);
    if (!t)
        return -1;
    char shp[96];
    shape_text(t, shp, sizeof shp);
    if (t->ndim != 2) {
        err_set_at(err, st->line, st->args[0].col, "ShapeError",
                   "%%patching needs results [layers, positions]; '%s' has shape %s",
                   st->args[0].text, shp);
        goto out;
    }
    int64_t nl = t->shape[0], np = t->shape[1];
    const strlist_t *toks;
    if (flag_strings(ctx, st, &lab[0], "tokens", np, "number of positions", &toks, err) <
        0)
        goto out;
    plot_heatmap_t h = {0};
    if (check_cmap(st, err) < 0 ||
        cmd_plot_limits(st, &h.vmin, &h.has_vmin, &h.vmax, &h.has_vmax, err) < 0 ||
        cmd_flag_double(st, "center", 0, &h.center, err) < 0)
        goto out;
    int64_t n;
    v = cmd_plot_values(t, MAX_ELEMS, &n, err);
    if (!v)
        goto out;
    for (int64_t l = 0; l < nl && nl <= 4096; l++)
        strlist_push_take(&layers, xasprintf("L%lld", (long long)l));
    h.values = v;
    h.rows = nl;
    h.cols = np;
    h.ylabels = nl <= 4096 ? (const char *const *)layers.items : NULL;
    h.xlabels = toks ? (const char *const *)toks->items : NULL;
    h.tokens_x = 1;
    h.centered = 1;
    h.cmap = cmd_flag(st, "cmap") ? cmd_flag(st, "cmap") : "RdBu_r";
    h.colorbar = 1;
    h.annotate = cmd_flag(st, "annot") != NULL;
    h.title = title_or(st, "Activation patching");
    h.xlabel = "position";
    h.ylabel = "layer";
    h.cbar_label = cmd_flag(st, "label");
    int w, hh;
    heatmap_default_size(nl, np, toks != NULL, &w, &hh);
    if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
        goto out;
    double lo, hi;
    plot_heatmap_limits(&h, &lo, &hi);
    char text[600];
    snprintf(text, sizeof text,
             "<patching results %s %s, centred at %g, range %.4g..%.4g>",
             st->args[0].text, shp, h.center, lo, hi);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_heatmap, &h, text, err);
out:
    strlist_fini(&lab[0]);
    strlist_fini(&layers);
    free(v);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* tables (JSON records) by name or path                                            */
/* ================================================================================ */

/* A record table resolved in the user's store, or loaded from a .json/.jsonl path into a
 * private store. */
typedef struct table {
    const store_t *s;      /* where the columns live (borrowed or `own`) */
    store_t *own;          /* private store for a path argument, or NULL */
    const char *name;      /* table name in s */
    const strlist_t *cols; /* column names */
    size_t nrows;
} table_t;

static void table_fini(table_t *t) {
    store_free(t->own);
    t->own = NULL;
}

static int looks_like_path(const char *s) {
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 5 && strcmp(s + n - 5, ".json") == 0) ||
           (n > 6 && strcmp(s + n - 6, ".jsonl") == 0);
}

static int table_open(cmd_ctx_t *ctx, const parse_stmt_t *st, const parse_word_t *a,
                      table_t *t, err_t *err) {
    memset(t, 0, sizeof *t);
    const store_entry_t *e = store_get(ctx->store, a->text);
    if (!e && looks_like_path(a->text)) {
        struct stat sb;
        if (stat(a->text, &sb) != 0) {
            err_set_at(err, st->line, a->col, "FileError", "cannot open '%s'", a->text);
            return -1;
        }
        tensor_io_result_t res;
        memset(&res, 0, sizeof res);
        if (tensor_io_load(a->text, "log", &res, err) < 0) {
            if (err && !err->line) {
                err->line = st->line;
                err->col = a->col;
            }
            return -1;
        }
        t->own = store_new(0);
        if (tensor_io_put(t->own, &res, a->text, err) < 0) {
            tensor_io_result_fini(&res);
            table_fini(t);
            return -1;
        }
        tensor_io_result_fini(&res);
        t->s = t->own;
        t->name = "log";
        e = store_get(t->own, "log");
    } else {
        t->s = ctx->store;
        t->name = a->text;
    }
    if (!e) {
        const char *near = store_suggest(ctx->store, a->text);
        if (near)
            err_set_at(err, st->line, a->col, "NameError",
                       "name '%s' is not defined; did you mean '%s'?", a->text, near);
        else
            err_set_at(err, st->line, a->col, "NameError", "name '%s' is not defined",
                       a->text);
        table_fini(t);
        return -1;
    }
    if (e->kind != STORE_TABLE) {
        err_set_at(err, st->line, a->col, "TypeError",
                   "'%s' is not a record table (load a .json or .jsonl of records)",
                   a->text);
        table_fini(t);
        return -1;
    }
    t->cols = &e->strings;
    t->nrows = e->nrows;
    return 0;
}

/* The numeric column `col` as a tensor (borrowed), or NULL when missing or not
 * numeric. */
static const tensor_t *table_num(const table_t *t, const char *col) {
    char *key = xasprintf("%s.%s", t->name, col);
    const store_entry_t *e = store_get(t->s, key);
    free(key);
    if (!e || e->kind != STORE_TENSOR || !e->tensor || e->tensor->ndim != 1)
        return NULL;
    return e->tensor;
}

static const strlist_t *table_str(const table_t *t, const char *col) {
    char *key = xasprintf("%s.%s", t->name, col);
    const store_entry_t *e = store_get(t->s, key);
    free(key);
    if (!e || e->kind != STORE_STRINGS)
        return NULL;
    return &e->strings;
}

/* First column among `names` (exact, then case-insensitive) that is numeric. */
static const char *table_pick(const table_t *t, const char *const *names) {
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; names[k]; k++)
            for (size_t i = 0; i < t->cols->n; i++) {
                const char *c = t->cols->items[i];
                if ((pass == 0 ? strcmp(c, names[k]) : strcasecmp(c, names[k])) == 0 &&
                    table_num(t, c))
                    return c;
            }
    return NULL;
}

static void table_columns_text(const table_t *t, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < t->cols->n && len + 1 < cap; i++) {
        int k = snprintf(out + len, cap - len, "%s%s", i ? ", " : "", t->cols->items[i]);
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

static double *column_values(const tensor_t *c, size_t n) {
    double *v = xmalloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = tensor_get_flat(c, (int64_t)i);
    return v;
}

/* ================================================================================ */
/* %dla                                                                             */
/* ================================================================================ */

typedef struct order_item {
    double key;
    size_t i;
} order_item_t;

static int cmp_key_desc(const void *a, const void *b) {
    const order_item_t *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int draw_bars(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    return plot_bars(r, area, data, err);
}

static int cmd_dla(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[1] = {STRLIST_INIT};
    int rc = -1;
    double *v = NULL, *sv = NULL;
    const char **sn = NULL;
    strlist_t names = STRLIST_INIT;
    tensor_t *t = NULL;
    table_t tab = {0};
    int64_t n = 0;
    long top;
    if (cmd_flag_long(st, "top", 20, &top, err) < 0)
        return -1;
    if (top < 1 || top > 500) {
        err_set_at(err, st->line, flag_col(st, "top"), "ValueError",
                   "--top must be in 1..500, not %ld", top);
        return -1;
    }
    const store_entry_t *e = store_get(ctx->store, st->args[0].text);
    if ((e && e->kind == STORE_TABLE) || (!e && looks_like_path(st->args[0].text))) {
        /* A record table: one record name -> value, or rows with a name and a value. */
        if (table_open(ctx, st, &st->args[0], &tab, err) < 0)
            return -1;
        static const char *const vcols[] = {
            "value", "values", "attribution", "dla", "logit_diff", "contribution", NULL};
        static const char *const ncols[] = {"name",  "key",  "names", "component",
                                            "label", "head", NULL};
        const char *vc = table_pick(&tab, vcols);
        const strlist_t *nc = NULL;
        for (size_t k = 0; ncols[k] && !nc; k++)
            nc = table_str(&tab, ncols[k]);
        if (vc && tab.nrows > 0) {
            n = (int64_t)tab.nrows;
            v = column_values(table_num(&tab, vc), tab.nrows);
            for (size_t i = 0; i < tab.nrows; i++)
                strlist_push_take(&names, nc && i < nc->n ? xstrdup(nc->items[i])
                                                          : xasprintf("#%zu", i));
        } else if (tab.nrows == 1) {
            for (size_t i = 0; i < tab.cols->n; i++) {
                const tensor_t *c = table_num(&tab, tab.cols->items[i]);
                if (!c)
                    continue;
                strlist_push(&names, tab.cols->items[i]);
                v = xrealloc(v, (size_t)(n + 1) * sizeof *v);
                v[n++] = tensor_get_flat(c, 0);
            }
        }
        if (n == 0) {
            char cols[200];
            table_columns_text(&tab, cols, sizeof cols);
            err_set_at(
                err, st->line, st->args[0].col, "KeyError",
                "%%dla needs one record {name: value, ...} or records with a 'value' "
                "column; '%s' has columns: %s",
                st->args[0].text, cols[0] ? cols : "(none)");
            goto out;
        }
    } else {
        t = arg_tensor(ctx, st, 0, err);
        if (!t)
            goto out;
        if (t->ndim != 1) {
            char shp[96];
            shape_text(t, shp, sizeof shp);
            err_set_at(
                err, st->line, st->args[0].col, "ShapeError",
                "%%dla needs a 1-D tensor of attributions (or a record table); '%s' "
                "has shape %s",
                st->args[0].text, shp);
            goto out;
        }
        const strlist_t *nl;
        if (flag_strings(ctx, st, &lab[0], "names", t->shape[0], "tensor", &nl, err) < 0)
            goto out;
        v = cmd_plot_values(t, MAX_ELEMS, &n, err);
        if (!v)
            goto out;
        for (int64_t i = 0; i < n; i++)
            strlist_push_take(&names, nl ? xstrdup(nl->items[i])
                                         : xasprintf("#%lld", (long long)i));
    }
    /* Sort by |value| (NaN last), keep the top ones. */
    order_item_t *ord = xmalloc((size_t)n * sizeof *ord);
    for (int64_t i = 0; i < n; i++) {
        ord[i].key = isnan(v[i]) ? -1 : fabs(v[i]);
        ord[i].i = (size_t)i;
    }
    qsort(ord, (size_t)n, sizeof *ord, cmp_key_desc);
    size_t k = (size_t)n < (size_t)top ? (size_t)n : (size_t)top;
    sv = xmalloc(k * sizeof *sv);
    sn = xmalloc(k * sizeof *sn);
    for (size_t i = 0; i < k; i++) {
        sv[i] = v[ord[i].i];
        sn[i] = names.items[ord[i].i];
    }
    free(ord);
    plot_bars_t b = {.values = sv, .names = sn, .n = k, .value_labels = 1};
    b.title = title_or(st, "Direct logit attribution");
    b.xlabel = cmd_flag(st, "xlabel") ? cmd_flag(st, "xlabel") : "contribution to logit";
    int w = 620, hh = (int)(90 + (double)k * 26);
    if (hh > 1400)
        hh = 1400;
    if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
        goto out;
    char text[600];
    buf_t first = BUF_INIT;
    render_token_label(sn[0], &first);
    snprintf(text, sizeof text,
             "<direct logit attribution: %zu of %lld components, largest %s = %.4g>", k,
             (long long)n, first.data, sv[0]);
    buf_fini(&first);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_bars, &b, text, err);
out:
    strlist_fini(&lab[0]);
    free(sv);
    free(sn);
    strlist_fini(&names);
    free(v);
    tensor_free(t);
    table_fini(&tab);
    return rc;
}

/* ================================================================================ */
/* %hist                                                                            */
/* ================================================================================ */

/* Activations of one feature: column F of a 2-D [n, d] tensor, or a 1-D tensor.
 * Returns a new array of n values, or NULL with err set. */
static double *feature_column(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *magic,
                              tensor_t **tout, long *feature, int64_t *n, err_t *err) {
    tensor_t *t = arg_tensor(ctx, st, 0, err);
    *tout = t;
    if (!t)
        return NULL;
    char shp[96];
    shape_text(t, shp, sizeof shp);
    if (cmd_flag_long(st, "feature", -1, feature, err) < 0)
        return NULL;
    if (t->ndim == 1) {
        if (*feature >= 0) {
            err_set_at(err, st->line, flag_col(st, "feature"), "ShapeError",
                       "'%s' is 1-D %s: it is already one feature, drop --feature",
                       st->args[0].text, shp);
            return NULL;
        }
        return cmd_plot_values(t, MAX_ELEMS, n, err);
    }
    if (t->ndim != 2) {
        err_set_at(
            err, st->line, st->args[0].col, "ShapeError",
            "%%%s needs activations [tokens, features] (or one feature's [tokens]); "
            "'%s' has shape %s",
            magic, st->args[0].text, shp);
        return NULL;
    }
    if (*feature < 0) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "%%%s on %s %s needs --feature F (0..%lld)", magic, st->args[0].text,
                   shp, (long long)t->shape[1] - 1);
        return NULL;
    }
    if (*feature >= t->shape[1]) {
        err_set_at(err, st->line, flag_col(st, "feature"), "IndexError",
                   "feature %ld is out of range: '%s' has %lld features", *feature,
                   st->args[0].text, (long long)t->shape[1]);
        return NULL;
    }
    int64_t rows = t->shape[0];
    if (rows <= 0) {
        err_set_at(err, st->line, st->args[0].col, "ValueError",
                   "'%s' has no tokens: nothing to draw", st->args[0].text);
        return NULL;
    }
    double *v = util_try_malloc((size_t)rows * sizeof *v);
    if (!v) {
        err_set(err, "MemoryError", "cannot allocate %lld values", (long long)rows);
        return NULL;
    }
    int64_t idx[2] = {0, *feature};
    for (int64_t i = 0; i < rows; i++) {
        idx[0] = i;
        v[i] = tensor_get(t, idx);
    }
    *n = rows;
    return v;
}

static int draw_hist(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    return plot_hist(r, area, data, err);
}

static int cmd_hist(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    int rc = -1;
    tensor_t *t = NULL;
    long feature = -1, bins;
    int64_t n = 0;
    double *v = feature_column(ctx, st, "hist", &t, &feature, &n, err);
    double *nz = NULL;
    if (!v)
        goto out;
    if (cmd_flag_long(st, "bins", 50, &bins, err) < 0)
        goto out;
    if (bins < 1 || bins > 10000) {
        err_set_at(err, st->line, flag_col(st, "bins"), "ValueError",
                   "--bins must be in 1..10000, not %ld", bins);
        goto out;
    }
    nz = xmalloc((size_t)n * sizeof *nz);
    int64_t nnz = 0, nzero = 0, nbad = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            nbad++;
        else if (v[i] == 0)
            nzero++;
        else
            nz[nnz++] = v[i];
    }
    char fname[64] = "";
    if (feature >= 0)
        snprintf(fname, sizeof fname, "feature %ld", feature);
    if (nnz == 0) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "%s%s%s is zero on all %lld tokens%s: no non-zero activations to plot",
                   st->args[0].text, fname[0] ? " " : "", fname, (long long)n,
                   nbad ? " (or not finite)" : "");
        goto out;
    }
    char legend[128], title[160];
    snprintf(legend, sizeof legend, "zero: %.1f%% of %lld%s",
             100.0 * (double)nzero / (double)n, (long long)n,
             nbad ? " (NaN/inf skipped)" : "");
    snprintf(title, sizeof title, "%s%s%s: non-zero activations", st->args[0].text,
             fname[0] ? " " : "", fname);
    plot_hist_t h = {.values = nz, .n = (size_t)nnz, .bins = (int)bins};
    h.logy = cmd_flag(st, "log") != NULL;
    h.legend = legend;
    h.title = title_or(st, title);
    h.xlabel = "activation";
    int w, hh;
    if (cmd_plot_size(st, 600, 340, &w, &hh, err) < 0)
        goto out;
    char text[600];
    snprintf(text, sizeof text, "<histogram of %s: %lld non-zero of %lld, %s>", title,
             (long long)nnz, (long long)n, legend);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_hist, &h, text, err);
out:
    free(nz);
    free(v);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* %examples                                                                        */
/* ================================================================================ */

static void html_escape(buf_t *b, const char *s) {
    buf_t clean = BUF_INIT;
    render_sanitize_utf8(s ? s : "", &clean);
    for (const char *p = clean.data; *p; p++) {
        switch (*p) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *p);
        }
    }
    buf_fini(&clean);
}

/* A token as HTML: the visible form (␣ ↵ →), escaped. */
static void html_token(buf_t *b, const char *tok) {
    buf_t vis = BUF_INIT;
    render_token_label(tok, &vis);
    html_escape(b, vis.data);
    buf_fini(&vis);
}

/* Top-k positive activations; writes indices into idx (k entries max). */
static size_t top_indices(const double *v, int64_t n, size_t k, int64_t *idx) {
    order_item_t *ord = xmalloc((size_t)n * sizeof *ord);
    size_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > 0) {
            ord[m].key = v[i];
            ord[m].i = (size_t)i;
            m++;
        }
    qsort(ord, m, sizeof *ord, cmp_key_desc);
    if (m > k)
        m = k;
    for (size_t i = 0; i < m; i++)
        idx[i] = (int64_t)ord[i].i;
    free(ord);
    return m;
}

/* The examples as an HTML table (sae_vis style): each row a context window, tokens
 * shaded by activation, the top token outlined; plus a text version. */
static void examples_html(const double *v, int64_t n, const strlist_t *toks,
                          const int64_t *idx, size_t m, long context, const char *title,
                          buf_t *html, buf_t *text) {
    double vmax = 0;
    for (size_t i = 0; i < m; i++)
        vmax = fmax(vmax, v[idx[i]]);
    buf_puts(html, "<div class=\"mechviz-examples\" style=\"font-family:sans-serif\">");
    buf_puts(html, "<div style=\"font-weight:bold;margin:4px 0\">");
    html_escape(html, title);
    buf_puts(html, "</div><table style=\"border-collapse:collapse\">"
                   "<tr><th style=\"text-align:right;padding:2px 8px\">act</th>"
                   "<th style=\"text-align:right;padding:2px 8px\">token</th>"
                   "<th style=\"text-align:left;padding:2px 8px\">context</th></tr>");
    buf_printf(text, "%s\n", title);
    for (size_t e = 0; e < m; e++) {
        int64_t c = idx[e];
        int64_t lo = c - context < 0 ? 0 : c - context;
        int64_t hi = c + context >= n ? n - 1 : c + context;
        buf_printf(
            html,
            "<tr><td style=\"text-align:right;padding:2px 8px;font-family:monospace\">"
            "%.3f</td><td style=\"text-align:right;padding:2px 8px\">%lld</td>"
            "<td style=\"padding:2px 8px;font-family:monospace;white-space:pre\">",
            v[c], (long long)c);
        buf_printf(text, "%8.3f  %6lld  ", v[c], (long long)c);
        for (int64_t j = lo; j <= hi; j++) {
            double a = isfinite(v[j]) && v[j] > 0 && vmax > 0 ? v[j] / vmax : 0;
            if (a > 1)
                a = 1;
            const char *tok = toks->items[j];
            if (j == c)
                buf_printf(html,
                           "<span title=\"%.4f\" style=\"background:rgba(255,140,0,%.2f);"
                           "outline:2px solid #d62728;font-weight:bold\">",
                           v[j], 0.25 + 0.75 * a);
            else if (a > 0)
                buf_printf(
                    html,
                    "<span title=\"%.4f\" style=\"background:rgba(255,140,0,%.2f)\">",
                    v[j], 0.8 * a);
            else
                buf_printf(html, "<span title=\"%.4g\">", v[j]);
            html_token(html, tok);
            buf_puts(html, "</span>");
            buf_t vis = BUF_INIT;
            render_token_label(tok, &vis);
            buf_printf(text, j == c ? "[[%s]]" : "%s", vis.data);
            buf_fini(&vis);
        }
        buf_puts(html, "</td></tr>");
        buf_putc(text, '\n');
    }
    buf_puts(html, "</table></div>");
}

static int cmd_examples(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[1] = {STRLIST_INIT};
    int rc = -1;
    tensor_t *t = NULL;
    long feature = -1, k, context;
    int64_t n = 0, *idx = NULL;
    buf_t html = BUF_INIT, text = BUF_INIT;
    double *v = feature_column(ctx, st, "examples", &t, &feature, &n, err);
    if (!v)
        goto out;
    if (cmd_flag_long(st, "k", 10, &k, err) < 0 ||
        cmd_flag_long(st, "context", 5, &context, err) < 0)
        goto out;
    if (k < 1 || k > 1000 || context < 0 || context > 200) {
        err_set_at(err, st->line, st->col, "ValueError",
                   "--k must be in 1..1000 and --context in 0..200");
        goto out;
    }
    if (!cmd_flag(st, "tokens")) {
        err_set_at(
            err, st->line, st->col, "ValueError",
            "%%examples needs --tokens T, the token list the activations belong to");
        goto out;
    }
    const strlist_t *toks;
    if (flag_strings(ctx, st, &lab[0], "tokens", n, "activation tensor (tokens)", &toks,
                     err) < 0)
        goto out;
    idx = xmalloc((size_t)k * sizeof *idx);
    size_t m = top_indices(v, n, (size_t)k, idx);
    char title[160];
    snprintf(title, sizeof title, "Top %zu activations of %s%s", m, st->args[0].text,
             feature >= 0 ? "" : "");
    if (feature >= 0)
        snprintf(title, sizeof title, "Top %zu activations of %s feature %ld", m,
                 st->args[0].text, feature);
    if (m == 0) {
        buf_printf(&text, "%s: no positive activation on %lld tokens\n", title,
                   (long long)n);
        buf_puts(&html, "<div>");
        html_escape(&html, text.data);
        buf_puts(&html, "</div>");
    } else {
        examples_html(v, n, toks, idx, m, context, title_or(st, title), &html, &text);
    }
    if (ctx->out && ctx->out->display) {
        out_bundle_t b = {0};
        b.text = text.data;
        b.html = html.data;
        ctx->out->display(ctx->out->ctx, &b, 0);
    }
    rc = 0;
out:
    strlist_fini(&lab[0]);
    buf_fini(&html);
    buf_fini(&text);
    free(idx);
    free(v);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* %dashboard                                                                       */
/* ================================================================================ */

typedef struct dashboard {
    plot_hist_t hist;
    plot_bars_t top, bottom;
    int has_logits;
} dashboard_t;

static int draw_dashboard(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    const dashboard_t *d = data;
    if (!d->has_logits)
        return plot_hist(r, area, &d->hist, err);
    double w3 = area.w / 3;
    plot_rect_t a = {area.x, area.y, w3 + 40, area.h};
    plot_rect_t b = {area.x + w3 + 40, area.y, (area.w - w3 - 40) / 2, area.h};
    plot_rect_t c = {b.x + b.w, area.y, b.w, area.h};
    if (plot_hist(r, a, &d->hist, err) < 0 || plot_bars(r, b, &d->bottom, err) < 0 ||
        plot_bars(r, c, &d->top, err) < 0)
        return -1;
    return 0;
}

static int cmd_dashboard(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[2] = {STRLIST_INIT, STRLIST_INIT};
    int rc = -1;
    tensor_t *t = NULL, *wdec = NULL, *wu = NULL;
    long feature = -1, k;
    int64_t n = 0, *idx = NULL;
    double *nz = NULL, *logits = NULL, *tv = NULL, *bv = NULL;
    const char **tn = NULL, **bn = NULL;
    strlist_t ids = STRLIST_INIT;
    buf_t html = BUF_INIT, text = BUF_INIT;
    double *v = feature_column(ctx, st, "dashboard", &t, &feature, &n, err);
    if (!v)
        goto out;
    if (cmd_flag_long(st, "k", 10, &k, err) < 0)
        goto out;
    if (k < 1 || k > 100) {
        err_set_at(err, st->line, flag_col(st, "k"), "ValueError",
                   "--k must be in 1..100");
        goto out;
    }
    const strlist_t *toks;
    if (flag_strings(ctx, st, &lab[0], "tokens", n, "activation tensor (tokens)", &toks,
                     err) < 0)
        goto out;
    dashboard_t d = {0};
    nz = xmalloc((size_t)n * sizeof *nz);
    int64_t nnz = 0;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] != 0)
            nz[nnz++] = v[i];
    char legend[96], title[128];
    snprintf(legend, sizeof legend, "zero: %.1f%% of %lld",
             100.0 * (double)(n - nnz) / (double)n, (long long)n);
    snprintf(title, sizeof title, "Feature %ld: activations", feature);
    double zero = 0;
    d.hist.values = nnz ? nz : &zero;
    d.hist.n = nnz ? (size_t)nnz : 1;
    d.hist.bins = 40;
    d.hist.legend = legend;
    d.hist.title = title;
    d.hist.xlabel = "activation (non-zero)";
    /* Logit effects: W_dec[F] @ W_U, when given. */
    const char *wd_name = cmd_flag(st, "wdec"), *wu_name = cmd_flag(st, "wu");
    if ((wd_name != NULL) != (wu_name != NULL)) {
        err_set_at(
            err, st->line, st->col, "ValueError",
            "--wdec and --wu go together (the feature's logit effect is W_dec[F] @ W_U)");
        goto out;
    }
    if (wd_name) {
        wdec = cmd_tensor_arg(ctx, st, wd_name, flag_col(st, "wdec"), err);
        if (!wdec)
            goto out;
        wu = cmd_tensor_arg(ctx, st, wu_name, flag_col(st, "wu"), err);
        if (!wu)
            goto out;
        if (wdec->ndim != 2 || wu->ndim != 2 || wdec->shape[1] != wu->shape[0] ||
            (t->ndim == 2 && wdec->shape[0] != t->shape[1]) ||
            feature >= wdec->shape[0]) {
            char s1[96], s2[96];
            shape_text(wdec, s1, sizeof s1);
            shape_text(wu, s2, sizeof s2);
            err_set_at(
                err, st->line, flag_col(st, "wdec"), "ShapeError",
                "need W_dec [d_sae, d_model] and W_U [d_model, vocab]; got %s and %s", s1,
                s2);
            goto out;
        }
        int64_t dm = wu->shape[0], nv = wu->shape[1];
        const strlist_t *vocab;
        if (flag_strings(ctx, st, &lab[1], "vocab", nv, "vocabulary of W_U", &vocab,
                         err) < 0)
            goto out;
        logits = util_try_calloc((size_t)nv, sizeof *logits);
        if (!logits) {
            err_set(err, "MemoryError", "cannot allocate %lld logits", (long long)nv);
            goto out;
        }
        int64_t ia[2], ib[2];
        for (int64_t j = 0; j < dm; j++) {
            ia[0] = feature;
            ia[1] = j;
            double a = tensor_get(wdec, ia);
            if (a == 0)
                continue;
            ib[0] = j;
            for (int64_t c = 0; c < nv; c++) {
                ib[1] = c;
                logits[c] += a * tensor_get(wu, ib);
            }
            if (cmd_interrupted(ctx, err) < 0)
                goto out;
        }
        int64_t kk = k < nv ? k : nv;
        order_item_t *ord = xmalloc((size_t)nv * sizeof *ord);
        for (int64_t c = 0; c < nv; c++) {
            ord[c].key = isnan(logits[c]) ? -(double)INFINITY : logits[c];
            ord[c].i = (size_t)c;
        }
        qsort(ord, (size_t)nv, sizeof *ord, cmp_key_desc);
        tv = xmalloc((size_t)kk * sizeof *tv);
        bv = xmalloc((size_t)kk * sizeof *bv);
        tn = xmalloc((size_t)kk * sizeof *tn);
        bn = xmalloc((size_t)kk * sizeof *bn);
        for (int64_t i = 0; i < kk; i++) {
            size_t a = ord[i].i, b = ord[nv - 1 - i].i;
            tv[i] = logits[a];
            bv[i] = logits[b];
            if (vocab) {
                tn[i] = vocab->items[a];
                bn[i] = vocab->items[b];
            } else {
                strlist_push_take(&ids, xasprintf("#%zu", a));
                strlist_push_take(&ids, xasprintf("#%zu", b));
            }
        }
        if (!vocab)
            for (int64_t i = 0; i < kk; i++) {
                tn[i] = ids.items[2 * i];
                bn[i] = ids.items[2 * i + 1];
            }
        free(ord);
        d.has_logits = 1;
        d.top = (plot_bars_t){.values = tv,
                              .names = tn,
                              .n = (size_t)kk,
                              .tokens = 1,
                              .value_labels = 1,
                              .title = "Top logits"};
        d.bottom = (plot_bars_t){.values = bv,
                                 .names = bn,
                                 .n = (size_t)kk,
                                 .tokens = 1,
                                 .value_labels = 1,
                                 .title = "Bottom logits"};
    }
    int w, hh;
    if (cmd_plot_size(st, d.has_logits ? 1100 : 600, 340, &w, &hh, err) < 0)
        goto out;
    char desc[600];
    snprintf(desc, sizeof desc,
             "<dashboard of %s feature %ld: %lld of %lld tokens non-zero>",
             st->args[0].text, feature, (long long)nnz, (long long)n);
    if (nnz == 0)
        d.hist.legend = "never fires";
    rc = cmd_plot_emit(ctx, st, w, hh, draw_dashboard, &d, desc, err);
    if (rc < 0 || !toks)
        goto out;
    idx = xmalloc((size_t)k * sizeof *idx);
    size_t m = top_indices(v, n, (size_t)k, idx);
    char ttl[128];
    snprintf(ttl, sizeof ttl, "Top activating examples of feature %ld", feature);
    if (m) {
        examples_html(v, n, toks, idx, m, 6, ttl, &html, &text);
        if (ctx->out && ctx->out->display) {
            out_bundle_t b = {0};
            b.text = text.data;
            b.html = html.data;
            ctx->out->display(ctx->out->ctx, &b, 0);
        }
    }
out:
    strlist_fini(&lab[0]);
    strlist_fini(&lab[1]);
    buf_fini(&html);
    buf_fini(&text);
    strlist_fini(&ids);
    free(idx);
    free(tv);
    free(bv);
    free(tn);
    free(bn);
    free(logits);
    free(nz);
    free(v);
    tensor_free(t);
    tensor_free(wdec);
    tensor_free(wu);
    return rc;
}

/* ================================================================================ */
/* %curves                                                                          */
/* ================================================================================ */

typedef struct curves {
    plot_lines_t panel[4];
    plot_series_t series[4];
    const char *missing[4]; /* message for a panel without data */
} curves_t;

static int draw_curves(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    const curves_t *c = data;
    double w = area.w / 2, h = area.h / 2;
    for (int i = 0; i < 4; i++) {
        plot_rect_t a = {area.x + (i % 2) * w, area.y + (i / 2) * h, w, h};
        if (c->missing[i]) {
            plot_rect_t t = a;
            plot_title(r, &t, c->panel[i].title);
            render_text_style_t s = {.size = 11,
                                     .halign = RENDER_CENTER,
                                     .valign = RENDER_MIDDLE,
                                     .max_width = w - 20,
                                     .color = RENDER_RGB(0x888888)};
            render_text(r, a.x + w / 2, a.y + h / 2, c->missing[i], &s);
            continue;
        }
        if (plot_lines(r, a, &c->panel[i], err) < 0)
            return -1;
    }
    return 0;
}

static int cmd_curves(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    static const char *const names[4][8] = {
        {"losses/mse_loss", "mse_loss", "recon_loss", "reconstruction_loss", "mse",
         "loss", "losses/overall_loss", NULL},
        {"metrics/l0", "l0", "L0", "sparsity/l0", "mean_l0", NULL},
        {"sparsity/dead_features", "dead_fraction", "dead_features", "frac_dead",
         "sparsity/dead_fraction", "dead", NULL},
        {"metrics/explained_variance", "explained_variance", "ev",
         "frac_variance_explained", "fvu", NULL},
    };
    static const char *const titles[4] = {"Reconstruction loss", "L0 (active features)",
                                          "Dead features", "Explained variance"};
    static const char *const xnames[] = {"step",
                                         "steps",
                                         "n_training_tokens",
                                         "details/n_training_tokens",
                                         "n_training_steps",
                                         "iteration",
                                         "iter",
                                         NULL};
    table_t tab;
    if (table_open(ctx, st, &st->args[0], &tab, err) < 0)
        return -1;
    int rc = -1;
    double *cols[5] = {0};
    curves_t c;
    memset(&c, 0, sizeof c);
    size_t n = tab.nrows;
    const char *xc = table_pick(&tab, xnames);
    int found = 0;
    char miss[4][160];
    if (xc)
        cols[4] = column_values(table_num(&tab, xc), n);
    for (int i = 0; i < 4; i++) {
        const char *yc = table_pick(&tab, names[i]);
        c.panel[i].title = titles[i];
        c.panel[i].xlabel = xc ? xc : "record";
        if (!yc || n == 0) {
            snprintf(miss[i], sizeof miss[i], "no column (tried %s, %s, ...)",
                     names[i][0], names[i][1]);
            c.missing[i] = miss[i];
            continue;
        }
        found++;
        cols[i] = column_values(table_num(&tab, yc), n);
        c.series[i] = (plot_series_t){.x = cols[4], .y = cols[i], .n = n, .label = NULL};
        c.panel[i].series = &c.series[i];
        c.panel[i].nseries = 1;
        c.panel[i].ylabel = yc;
        c.panel[i].logy = i == 0 && cmd_flag(st, "log") != NULL;
    }
    if (!found) {
        char have[200];
        table_columns_text(&tab, have, sizeof have);
        err_set_at(
            err, st->line, st->args[0].col, "KeyError",
            "%s has none of the training-curve columns (losses/mse_loss, metrics/l0, "
            "sparsity/dead_features, metrics/explained_variance or plain names); its "
            "columns: %s",
            st->args[0].text, have[0] ? have : "(none)");
        goto out;
    }
    int w, hh;
    if (cmd_plot_size(st, 900, 620, &w, &hh, err) < 0)
        goto out;
    char text[600];
    snprintf(text, sizeof text,
             "<SAE training curves from %s: %zu records, %d of 4 panels>",
             st->args[0].text, n, found);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_curves, &c, text, err);
out:
    for (int i = 0; i < 5; i++)
        free(cols[i]);
    table_fini(&tab);
    return rc;
}

/* ================================================================================ */
/* %pareto                                                                          */
/* ================================================================================ */

static int draw_scatter(render_t *r, plot_rect_t area, const void *data, err_t *err) {
    return plot_scatter(r, area, data, err);
}

static int cmd_pareto(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    static const char *const l0n[] = {"l0", "L0", "metrics/l0", "mean_l0", NULL};
    static const char *const lossn[] = {
        "mse", "mse_loss", "loss", "losses/mse_loss", "recon_loss", "reconstruction_loss",
        "fvu", NULL};
    static const char *const l1n[] = {"l1",     "l1_coefficient",       "l1_coeff",
                                      "lambda", "sparsity_coefficient", NULL};
    static const char *const namen[] = {"name", "label", "run", "id", NULL};
    table_t tab;
    if (table_open(ctx, st, &st->args[0], &tab, err) < 0)
        return -1;
    int rc = -1;
    double *x = NULL, *y = NULL, *cv = NULL;
    strlist_t labels = STRLIST_INIT;
    const char *xc = table_pick(&tab, l0n), *yc = table_pick(&tab, lossn),
               *cc = table_pick(&tab, l1n);
    if (!xc || !yc) {
        char have[200];
        table_columns_text(&tab, have, sizeof have);
        err_set_at(err, st->line, st->args[0].col, "KeyError",
                   "%%pareto needs an L0 column (l0, metrics/l0) and a loss column (mse, "
                   "loss, losses/mse_loss); %s has: %s",
                   st->args[0].text, have[0] ? have : "(none)");
        goto out;
    }
    size_t n = tab.nrows;
    if (n == 0) {
        err_set_at(err, st->line, st->args[0].col, "ValueError", "%s has no records",
                   st->args[0].text);
        goto out;
    }
    x = column_values(table_num(&tab, xc), n);
    y = column_values(table_num(&tab, yc), n);
    const strlist_t *nc = NULL;
    for (size_t k = 0; namen[k] && !nc; k++)
        nc = table_str(&tab, namen[k]);
    if (cc) {
        double *l1 = column_values(table_num(&tab, cc), n);
        cv = xmalloc(n * sizeof *cv);
        for (size_t i = 0; i < n; i++)
            cv[i] = l1[i] > 0 ? log10(l1[i]) : (double)NAN;
        for (size_t i = 0; i < n; i++)
            strlist_push_take(&labels, nc && i < nc->n ? xstrdup(nc->items[i])
                                                       : xasprintf("%.2g", l1[i]));
        free(l1);
    } else {
        for (size_t i = 0; i < n; i++)
            strlist_push_take(&labels, nc && i < nc->n ? xstrdup(nc->items[i])
                                                       : xasprintf("#%zu", i));
    }
    if (check_cmap(st, err) < 0)
        goto out;
    plot_scatter_t s = {.x = x, .y = y, .n = n};
    s.color_values = cv;
    s.cmap = cmd_flag(st, "cmap");
    s.cbar_label = cc ? "log10 L1" : NULL;
    s.point_labels = (const char *const *)labels.items;
    s.title = title_or(st, "Sparsity vs reconstruction");
    s.xlabel = xc;
    s.ylabel = yc;
    s.radius = 5;
    int w, hh;
    if (cmd_plot_size(st, 620, 440, &w, &hh, err) < 0)
        goto out;
    char text[600];
    snprintf(text, sizeof text, "<Pareto plot of %s: %zu run%s, %s vs %s%s>",
             st->args[0].text, n, n == 1 ? "" : "s", xc, yc,
             cc ? ", coloured by log10 L1" : "");
    rc = cmd_plot_emit(ctx, st, w, hh, draw_scatter, &s, text, err);
out:
    strlist_fini(&labels);
    free(x);
    free(y);
    free(cv);
    table_fini(&tab);
    return rc;
}

/* ================================================================================ */
/* %topk                                                                            */
/* ================================================================================ */

static int cmd_topk(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    strlist_t lab[1] = {STRLIST_INIT};
    int rc = -1;
    double *row = NULL, *grid = NULL;
    char **cells = NULL;
    strlist_t layers = STRLIST_INIT, ranks = STRLIST_INIT;
    tensor_t *t = arg_tensor(ctx, st, 0, err);
    if (!t)
        return -1;
    char shp[96];
    shape_text(t, shp, sizeof shp);
    long k, pos;
    if (cmd_flag_long(st, "k", 5, &k, err) < 0 ||
        cmd_flag_long(st, "pos", -1, &pos, err) < 0)
        goto out;
    if (k < 1 || k > 50) {
        err_set_at(err, st->line, flag_col(st, "k"), "ValueError",
                   "--k must be in 1..50");
        goto out;
    }
    if (t->ndim != 2 && t->ndim != 3) {
        err_set_at(
            err, st->line, st->args[0].col, "ShapeError",
            "%%topk needs logits or probabilities [layers, vocab] or [layers, seq, "
            "vocab]; '%s' has shape %s",
            st->args[0].text, shp);
        goto out;
    }
    int64_t nl = t->shape[0], nv = t->shape[t->ndim - 1];
    if (nl < 1 || nv < 1 || nl > 1000) {
        err_set_at(
            err, st->line, st->args[0].col, "ShapeError",
            "%%topk needs 1..1000 layers and a non-empty vocabulary; '%s' has shape %s",
            st->args[0].text, shp);
        goto out;
    }
    if (t->ndim == 2 && cmd_flag(st, "pos")) {
        err_set_at(err, st->line, flag_col(st, "pos"), "ValueError",
                   "--pos needs [layers, seq, vocab]; '%s' %s is already one position",
                   st->args[0].text, shp);
        goto out;
    }
    if (t->ndim == 3) {
        int64_t seq = t->shape[1];
        if (pos < 0)
            pos += seq;
        if (pos < 0 || pos >= seq) {
            err_set_at(err, st->line, flag_col(st, "pos"), "IndexError",
                       "position %ld is out of range for %lld positions", pos,
                       (long long)seq);
            goto out;
        }
    }
    const strlist_t *vocab;
    if (flag_strings(ctx, st, &lab[0], "tokens", nv, "vocabulary", &vocab, err) < 0)
        goto out;
    if (k > nv)
        k = (long)nv;
    int probs = cmd_flag(st, "probs") != NULL;
    row = xmalloc((size_t)nv * sizeof *row);
    grid = xmalloc((size_t)(nl * k) * sizeof *grid);
    cells = xcalloc((size_t)(nl * k), sizeof *cells);
    order_item_t *ord = xmalloc((size_t)nv * sizeof *ord);
    for (int64_t l = 0; l < nl; l++) {
        int64_t idx[3] = {l, pos, 0};
        double mx = -(double)INFINITY;
        for (int64_t c = 0; c < nv; c++) {
            idx[t->ndim - 1] = c;
            row[c] = tensor_get(t, idx);
            if (row[c] > mx)
                mx = row[c];
        }
        if (!probs) { /* softmax, stable */
            double sum = 0;
            for (int64_t c = 0; c < nv; c++) {
                row[c] = isfinite(mx) && !isnan(row[c]) ? exp(row[c] - mx) : 0;
                sum += row[c];
            }
            for (int64_t c = 0; c < nv; c++)
                row[c] = sum > 0 ? row[c] / sum : (double)NAN;
        }
        for (int64_t c = 0; c < nv; c++) {
            ord[c].key = isnan(row[c]) ? -(double)INFINITY : row[c];
            ord[c].i = (size_t)c;
        }
        qsort(ord, (size_t)nv, sizeof *ord, cmp_key_desc);
        for (long j = 0; j < k; j++) {
            size_t c = ord[j].i;
            grid[l * k + j] = row[c];
            buf_t b = BUF_INIT;
            if (vocab)
                render_token_label(vocab->items[c], &b);
            else
                buf_printf(&b, "#%zu", c);
            buf_printf(&b, "\n%.2f", row[c]);
            cells[l * k + j] = buf_take(&b, NULL);
        }
        if (cmd_interrupted(ctx, err) < 0) {
            free(ord);
            goto out;
        }
    }
    free(ord);
    for (int64_t l = 0; l < nl; l++)
        strlist_push_take(&layers, xasprintf("L%lld", (long long)l));
    for (long j = 0; j < k; j++)
        strlist_push_take(&ranks, xasprintf("%ld", j + 1));
    if (check_cmap(st, err) < 0)
        goto out;
    plot_heatmap_t h = {.values = grid, .rows = nl, .cols = k};
    h.ylabels = (const char *const *)layers.items;
    h.xlabels = (const char *const *)ranks.items;
    h.cell_text = (const char *const *)cells;
    h.cmap = cmd_flag(st, "cmap") ? cmd_flag(st, "cmap") : "Blues";
    h.vmin = 0;
    h.vmax = 1;
    h.has_vmin = h.has_vmax = 1;
    h.colorbar = 1;
    h.cbar_label = "probability";
    char title[128];
    if (t->ndim == 3)
        snprintf(title, sizeof title, "Top-%ld predictions per layer at position %ld", k,
                 pos);
    else
        snprintf(title, sizeof title, "Top-%ld predictions per layer", k);
    h.title = title_or(st, title);
    h.xlabel = "rank";
    h.ylabel = "layer";
    int w = (int)(180 + 80 * k), hh = (int)(120 + 34 * nl);
    if (w > 2000)
        w = 2000;
    if (hh > 2400)
        hh = 2400;
    if (cmd_plot_size(st, w, hh, &w, &hh, err) < 0)
        goto out;
    char text[600];
    snprintf(text, sizeof text, "<%s of %s %s>", title, st->args[0].text, shp);
    rc = cmd_plot_emit(ctx, st, w, hh, draw_heatmap, &h, text, err);
out:
    strlist_fini(&lab[0]);
    if (cells)
        for (int64_t i = 0; i < t->shape[0] * (k > 0 ? k : 0) && i < (int64_t)1 << 20;
             i++)
            free(cells[i]);
    free(cells);
    strlist_fini(&layers);
    strlist_fini(&ranks);
    free(row);
    free(grid);
    tensor_free(t);
    return rc;
}

/* ================================================================================ */
/* the table                                                                        */
/* ================================================================================ */

const cmd_spec_t cmd_plot_specs[] = {
    {"heatmap", cmd_heatmap, 1, 1, 0,
     "x= y= center= annot xlabel= ylabel= " CMD_PLOT_FLAGS,
     "%heatmap X [--x LABELS] [--y LABELS] [--center C] [--annot]",
     "any 2-D tensor as a heatmap (matplotlib colormaps, colorbar, token labels)",
     "X is a 2-D tensor or view (x[0, 3]); --x/--y name token lists for the "
     "columns/rows; "
     "--center C makes a diverging map centred at C (default cmap RdBu_r); --annot "
     "prints "
     "values in cells; NaN cells are hatched. Common flags: --width --height --title "
     "--cmap "
     "--vmin --vmax --svg."},
    {"heads", cmd_heads, 1, 1, 0, "tokens= layer= " CMD_PLOT_FLAGS,
     "%heads X [--tokens T] [--layer L]",
     "attention heads: one [q, k] pattern, or a grid of [heads, q, k] / [layers, heads, "
     "q, k]",
     "A 2-D pattern draws one head with token labels (--tokens); 3-D and 4-D inputs draw "
     "a "
     "grid of thumbnails titled L{l}H{h} (--layer L names the layer of a 3-D input) with "
     "one shared colour scale (default Blues)."},
    {"patching", cmd_patching, 1, 1, 0, "tokens= center= annot label= " CMD_PLOT_FLAGS,
     "%patching X [--tokens T] [--center 0] [--label TEXT]",
     "activation-patching results [layers, positions], diverging RdBu_r centred at 0",
     "Rows are labelled L0, L1, ...; columns by --tokens. The colour range is symmetric "
     "around --center (default 0) so 0 is white; --vmin/--vmax set the half-width."},
    {"dla", cmd_dla, 1, 1, 0, "names= top= xlabel= " CMD_PLOT_FLAGS,
     "%dla VALUES [--names N] [--top 20]",
     "direct logit attribution: horizontal bars sorted by |value|, coloured by sign",
     "VALUES is a 1-D tensor (names from the token list --names) or a record table: one "
     "JSON object {component: value} or records with name/value columns (a .json path "
     "works too)."},
    {"hist", cmd_hist, 1, 1, 0, "feature= bins= log " CMD_PLOT_FLAGS,
     "%hist X --feature F [--bins 50] [--log]",
     "histogram of one SAE feature's non-zero activations; zero fraction in the legend",
     "X is [tokens, features] with --feature F, or one feature's [tokens]."},
    {"examples", cmd_examples, 1, 1, 0, "feature= tokens= k= context= title=",
     "%examples X --feature F --tokens T [--k 10] [--context 5]",
     "max-activating examples of a feature as HTML, the activating token highlighted",
     "Each row is a window of --context tokens either side of one of the --k strongest "
     "activations; tokens are shaded by activation (hover shows the value), text is "
     "escaped, and markers such as Ġ and newlines are shown visibly."},
    {"dashboard", cmd_dashboard, 1, 1, 0,
     "feature= tokens= wdec= wu= vocab= k= " CMD_PLOT_FLAGS,
     "%dashboard X --feature F [--tokens T] [--wdec W_dec --wu W_U [--vocab V]] [--k 10]",
     "one SAE feature: activation histogram, top/bottom logits, top examples",
     "The logit panels appear when --wdec [d_sae, d_model] and --wu [d_model, vocab] are "
     "given (effect = W_dec[F] @ W_U, names from --vocab); the examples when --tokens "
     "is."},
    {"curves", cmd_curves, 1, 1, 0, "log " CMD_PLOT_FLAGS, "%curves LOG [--log]",
     "SAE training curves 2x2: reconstruction loss, L0, dead fraction, explained "
     "variance",
     "LOG is a record table (a loaded .jsonl) or a path to one. SAELens names "
     "(losses/mse_loss, metrics/l0, sparsity/dead_features, metrics/explained_variance) "
     "and plain names (mse_loss, l0, dead_fraction, explained_variance) are recognised; "
     "x is step / n_training_tokens when present. --log makes the loss axis "
     "logarithmic."},
    {"pareto", cmd_pareto, 1, 1, 0, CMD_PLOT_FLAGS, "%pareto SWEEP",
     "sweep results: L0 vs reconstruction loss, coloured by log10 L1, points labelled",
     "SWEEP is a record table (or path) with columns l0, mse/loss, and optionally l1 and "
     "name."},
    {"topk", cmd_topk, 1, 1, 0, "tokens= k= pos= probs " CMD_PLOT_FLAGS,
     "%topk X --tokens VOCAB [--pos -1] [--k 5] [--probs]",
     "top-k predictions per layer at one position: token and probability in each cell",
     "X holds logits (softmaxed here) or, with --probs, probabilities: [layers, vocab] "
     "or "
     "[layers, seq, vocab] at --pos (default the last position)."},
    {NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
