/* SPDX-License-Identifier: MIT */
/* plot.c -- charts on render.c: axes, ticks, colorbars, legends and the chart types.
 *
 * The everyday figures of interpretability work (heatmaps of attention and patching
 * results, grids of heads, attribution bars, activation histograms, training curves,
 * scatter plots of PCA or sweeps, small tables), drawn the way matplotlib draws them:
 * its colormaps and value mapping, "nice" tick steps of 1, 2, 2.5 and 5, outward ticks,
 * a framed axes box. Each chart lays itself out inside the rectangle it is given, so
 * figures compose. This file must not know about tensors, the store or magics: specs
 * come in as plain arrays (see plot.h). */
#include "plot.h"

#include <cairo.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "colormap.h"

#define FONT_TICK 11.0
#define FONT_LABEL 12.5
#define FONT_TITLE 14.0
#define TICK_LEN 4.0
#define INK RENDER_RGB(0x222222)
#define FRAME RENDER_RGB(0x333333)
#define GRID RENDER_RGBA(0xb0b0b0, 0.35)
#define NAN_FILL 0xffe0e0e0u
#define NAN_HATCH RENDER_RGB(0x9a9a9a)

/* ================================================================================ */
/* small helpers                                                                    */
/* ================================================================================ */

static render_text_style_t style(double size, render_halign_t ha, render_valign_t va) {
    render_text_style_t s = {.size = size, .halign = ha, .valign = va, .color = INK};
    return s;
}

static int empty(const char *s) {
    return !s || !*s;
}

static double clampd(double v, double lo, double hi) {
    return v < lo ? lo : v > hi ? hi : v;
}

/* Label text: token labels get visible markers; NULL becomes "". Caller frees. */
static char *label_text(const char *s, int token) {
    buf_t b = BUF_INIT;
    if (token)
        render_token_label(s, &b);
    else
        render_sanitize_utf8(s ? s : "", &b);
    return buf_take(&b, NULL);
}

/* plot_text_color_on -- black or white, whichever reads better on bg (matplotlib's
 * annotated-heatmap rule of thumb: relative luminance above 0.5 takes black). */
render_color_t plot_text_color_on(render_color_t bg) {
    double lum = 0.299 * bg.r + 0.587 * bg.g + 0.114 * bg.b;
    return lum > 0.5 ? RENDER_RGB(0x000000) : RENDER_RGB(0xffffff);
}

static render_color_t argb_color(uint32_t c) {
    return RENDER_RGB(c & 0xffffff);
}

static render_color_t default_color(render_color_t c, int i) {
    if (c.a > 0)
        return c;
    double rgb[3];
    colormap_category(i, rgb);
    render_color_t o = {rgb[0], rgb[1], rgb[2], 1.0};
    return o;
}

static int select_cmap(const char *name, const char *dflt, colormap_sel_t *sel,
                       err_t *err) {
    const char *n = empty(name) ? dflt : name;
    if (colormap_select(n, sel) == 0)
        return 0;
    char names[512];
    colormap_names(names, sizeof names);
    err_set(err, "ValueError", "unknown colormap '%s' (known: %s; append _r to reverse)",
            n, names);
    return -1;
}

/* ================================================================================ */
/* ticks                                                                            */
/* ================================================================================ */

/* plot_nice_ticks -- tick positions in [lo, hi] with a step of 1, 2, 2.5 or 5 times a
 * power of ten (matplotlib's MaxNLocator steps), about `target` of them. Writes at most
 * cap ticks and the step into *step (may be NULL). Returns the number of ticks, 0 for a
 * non-finite range; a degenerate range (lo == hi) gives the single tick lo. A range that
 * would get fewer than two ticks (e.g. -0.9..0.9 with three wanted) gets a finer step. */
int plot_nice_ticks(double lo, double hi, int target, double *ticks, int cap,
                    double *step) {
    if (!isfinite(lo) || !isfinite(hi) || cap < 1)
        return 0;
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo <= fabs(hi) * 1e-12 || hi == lo) {
        ticks[0] = lo;
        if (step)
            *step = lo != 0 ? pow(10, floor(log10(fabs(lo)))) : 1;
        return 1;
    }
    if (target < 2)
        target = 2;
    double raw = (hi - lo) / target;
    double mag = pow(10, floor(log10(raw)));
    static const double steps[] = {1, 2, 2.5, 5, 10};
    double st = 10 * mag;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i] * mag >= raw * 0.999) {
            st = steps[i] * mag;
            break;
        }
    double first = ceil(lo / st - 1e-9) * st;
    int n = 0;
    for (double v = first; v <= hi + st * 1e-9 && n < cap; v = first + n * st) {
        ticks[n++] = fabs(v) < st * 1e-9 ? 0.0 : v;
    }
    if (n < 2 && target < 16 && cap >= 2)
        return plot_nice_ticks(lo, hi, target * 2, ticks, cap, step); /* e.g. ±0.9 */
    if (step)
        *step = st;
    return n;
}

/* plot_format_tick -- v formatted for a tick at spacing `step`: just enough decimals
 * for the step, scientific notation for very large or small magnitudes, and a true
 * minus sign (U+2212) as matplotlib draws it. */
void plot_format_tick(double v, double step, char *out, size_t cap) {
    char tmp[64];
    double a = fabs(v);
    if (v == 0 || (a >= 1e-4 && a < 1e6)) {
        int dec = 0;
        if (step > 0 && step < 1)
            dec = (int)ceil(-log10(step) - 1e-9);
        if (step > 0 && fabs(step * pow(10, dec) - round(step * pow(10, dec))) > 1e-6)
            dec++; /* 2.5 steps */
        if (dec > 8)
            dec = 8;
        snprintf(tmp, sizeof tmp, "%.*f", dec, a);
    } else {
        snprintf(tmp, sizeof tmp, "%.3g", a);
    }
    snprintf(out, cap, "%s%s", v < 0 && strcmp(tmp, "0") != 0 ? "\xE2\x88\x92" : "", tmp);
}

/* ================================================================================ */
/* numeric axes                                                                     */
/* ================================================================================ */

typedef struct axes {
    plot_rect_t box; /* the data area in px */
    double x0, x1;   /* data range along x */
    double y0, y1;   /* data range along y (log10 of it when logy) */
    int logy;
    int integer_y; /* 1: y ticks at whole numbers only (counts) */
    double xt[PLOT_MAX_TICKS], yt[PLOT_MAX_TICKS];
    int nxt, nyt;
    double xstep, ystep;
} axes_t;

static double ax_x(const axes_t *a, double x) {
    return a->box.x + (x - a->x0) / (a->x1 - a->x0) * a->box.w;
}

static double ax_y(const axes_t *a, double y) {
    if (a->logy)
        y = y > 0 ? log10(y) : (double)NAN;
    return a->box.y + a->box.h - (y - a->y0) / (a->y1 - a->y0) * a->box.h;
}

/* Widen a degenerate or non-finite range, then pad by `margin` of its width. */
static void fix_range(double *lo, double *hi, double margin) {
    if (!isfinite(*lo) || !isfinite(*hi)) {
        *lo = 0;
        *hi = 1;
    }
    if (*hi - *lo <= 0) {
        double d = *lo != 0 ? fabs(*lo) * 0.05 : 0.5;
        *lo -= d;
        *hi += d;
    }
    double w = *hi - *lo;
    *lo -= w * margin;
    *hi += w * margin;
}

static void format_log_tick(double e, char *out, size_t cap) {
    double v = pow(10, e);
    if (e >= -3 && e <= 4)
        plot_format_tick(v, v, out, cap);
    else
        snprintf(out, cap, "1e%d", (int)e);
}

/* Lay out axes inside *area: measure tick labels, leave room for labels, and fill a. */
static void axes_layout(render_t *r, plot_rect_t area, axes_t *a, const char *xlabel,
                        const char *ylabel, double right_pad) {
    render_text_style_t ts = style(FONT_TICK, RENDER_RIGHT, RENDER_MIDDLE);
    int ny_target = (int)clampd(area.h / 45, 3, 9);
    if (a->logy) {
        double lo = floor(a->y0), hi = ceil(a->y1);
        a->nyt = 0;
        int every = (int)ceil((hi - lo + 1) / 8);
        for (double e = lo; e <= hi && a->nyt < PLOT_MAX_TICKS; e += every)
            if (e >= a->y0 - 1e-9 && e <= a->y1 + 1e-9)
                a->yt[a->nyt++] = e;
        a->ystep = 1;
    } else {
        a->nyt =
            plot_nice_ticks(a->y0, a->y1, ny_target, a->yt, PLOT_MAX_TICKS, &a->ystep);
        if (a->integer_y && a->ystep < 1) {
            a->nyt = 0;
            for (double v = ceil(a->y0); v <= a->y1 && a->nyt < PLOT_MAX_TICKS; v += 1)
                a->yt[a->nyt++] = v;
            a->ystep = 1;
        }
    }
    double wmax = 0;
    for (int i = 0; i < a->nyt; i++) {
        char s[64];
        if (a->logy)
            format_log_tick(a->yt[i], s, sizeof s);
        else
            plot_format_tick(a->yt[i], a->ystep, s, sizeof s);
        double w;
        render_text_size(r, s, &ts, &w, NULL);
        if (w > wmax)
            wmax = w;
    }
    double left = wmax + TICK_LEN + 6 + (empty(ylabel) ? 0 : FONT_LABEL + 12);
    double bottom = FONT_TICK + TICK_LEN + 8 + (empty(xlabel) ? 0 : FONT_LABEL + 8);
    a->box.x = area.x + left;
    a->box.y = area.y + 8;
    a->box.w = area.w - left - right_pad - 10;
    a->box.h = area.h - bottom - 8;
    if (a->box.w < 10)
        a->box.w = 10;
    if (a->box.h < 10)
        a->box.h = 10;
    int nx_target = (int)clampd(a->box.w / 80, 2, 9);
    a->nxt = plot_nice_ticks(a->x0, a->x1, nx_target, a->xt, PLOT_MAX_TICKS, &a->xstep);
}

/* Frame, ticks, tick labels, axis labels and light grid lines. */
static void axes_draw(render_t *r, const axes_t *a, const char *xlabel,
                      const char *ylabel, int grid) {
    render_text_style_t ts = style(FONT_TICK, RENDER_RIGHT, RENDER_MIDDLE);
    const plot_rect_t *b = &a->box;
    for (int i = 0; i < a->nyt; i++) {
        double y = a->logy ? b->y + b->h - (a->yt[i] - a->y0) / (a->y1 - a->y0) * b->h
                           : ax_y(a, a->yt[i]);
        if (grid)
            render_line(r, b->x, y, b->x + b->w, y, 0.8, GRID);
        render_line(r, b->x - TICK_LEN, y, b->x, y, 0.8, FRAME);
        char s[64];
        if (a->logy)
            format_log_tick(a->yt[i], s, sizeof s);
        else
            plot_format_tick(a->yt[i], a->ystep, s, sizeof s);
        render_text(r, b->x - TICK_LEN - 3, y, s, &ts);
    }
    ts.halign = RENDER_CENTER;
    ts.valign = RENDER_TOP;
    for (int i = 0; i < a->nxt; i++) {
        double x = ax_x(a, a->xt[i]);
        if (grid)
            render_line(r, x, b->y, x, b->y + b->h, 0.8, GRID);
        render_line(r, x, b->y + b->h, x, b->y + b->h + TICK_LEN, 0.8, FRAME);
        char s[64];
        plot_format_tick(a->xt[i], a->xstep, s, sizeof s);
        render_text(r, x, b->y + b->h + TICK_LEN + 2, s, &ts);
    }
    render_rect_stroke(r, b->x, b->y, b->w, b->h, 0.8, FRAME);
    render_text_style_t ls = style(FONT_LABEL, RENDER_CENTER, RENDER_BOTTOM);
    if (!empty(xlabel)) {
        ls.valign = RENDER_BOTTOM;
        render_text(r, b->x + b->w / 2,
                    b->y + b->h + TICK_LEN + FONT_TICK + 8 + FONT_LABEL + 6, xlabel, &ls);
    }
    if (!empty(ylabel)) {
        double wmax = 0;
        for (int i = 0; i < a->nyt; i++) {
            char s[64];
            if (a->logy)
                format_log_tick(a->yt[i], s, sizeof s);
            else
                plot_format_tick(a->yt[i], a->ystep, s, sizeof s);
            double w;
            render_text_size(r, s, &ts, &w, NULL);
            if (w > wmax)
                wmax = w;
        }
        ls.angle = 90;
        ls.valign = RENDER_BOTTOM;
        render_text(r, b->x - TICK_LEN - 10 - wmax, b->y + b->h / 2, ylabel, &ls);
    }
}

/* ================================================================================ */
/* titles, legends, colorbars                                                       */
/* ================================================================================ */

/* plot_title -- draw title centred at the top of *area and shrink *area below it.
 * Does nothing for an empty title. */
void plot_title(render_t *r, plot_rect_t *area, const char *title) {
    if (empty(title))
        return;
    render_text_style_t s = style(FONT_TITLE, RENDER_CENTER, RENDER_TOP);
    s.max_width = area->w;
    double h;
    render_text_size(r, title, &s, NULL, &h);
    render_text(r, area->x + area->w / 2, area->y + 4, title, &s);
    area->y += h + 8;
    area->h -= h + 8;
}

/* plot_legend -- a legend box in the top-right corner of box: n entries with a colour
 * swatch: 0 = a square (bars), 1 = a dot (points), 2 = a line segment (line
 * series); no swatch when colors is NULL. */
void plot_legend(render_t *r, plot_rect_t box, const char *const *labels,
                 const render_color_t *colors, size_t n, int swatch) {
    if (n == 0)
        return;
    render_text_style_t s = style(FONT_TICK, RENDER_LEFT, RENDER_MIDDLE);
    s.max_width = box.w * 0.6;
    double wmax = 0, lh = FONT_TICK + 6;
    for (size_t i = 0; i < n; i++) {
        double w;
        render_text_size(r, labels[i] ? labels[i] : "", &s, &w, NULL);
        if (w > wmax)
            wmax = w;
    }
    double sw = colors ? 18 : 0;
    double w = wmax + sw + 14, h = (double)n * lh + 8;
    double x = box.x + box.w - w - 6, y = box.y + 6;
    render_rect(r, x, y, w, h, RENDER_RGBA(0xffffff, 0.85));
    render_rect_stroke(r, x, y, w, h, 0.8, RENDER_RGB(0xcccccc));
    for (size_t i = 0; i < n; i++) {
        double cy = y + 4 + lh * ((double)i + 0.5);
        if (colors) {
            if (swatch == 1)
                render_circle(r, x + 12, cy, 4, colors[i], 0, colors[i]);
            else if (swatch == 2)
                render_line(r, x + 5, cy, x + 19, cy, 2, colors[i]);
            else
                render_rect(r, x + 6, cy - 4, 12, 8, colors[i]);
        }
        render_text(r, x + 7 + sw, cy, labels[i] ? labels[i] : "", &s);
    }
}

/* plot_colorbar -- a vertical colorbar filling box (bar ~14 px wide at its left, ticks
 * and the optional label to the right) for cmap over [vmin, vmax]. Returns 0, or -1
 * with err set for an unknown colormap. */
int plot_colorbar(render_t *r, plot_rect_t box, const char *cmap, double vmin,
                  double vmax, const char *label, err_t *err) {
    colormap_sel_t sel;
    if (select_cmap(cmap, "viridis", &sel, err) < 0)
        return -1;
    int n = sel.map->n;
    uint32_t px[256];
    for (int i = 0; i < n; i++) {
        uint8_t c[3];
        colormap_entry8(&sel, sel.reversed ? i : n - 1 - i, c); /* top = high */
        px[i] = 0xff000000u | (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    }
    double bw = 14;
    if (render_image(r, box.x, box.y, bw, box.h, px, 1, n, 0, err) < 0)
        return -1;
    render_rect_stroke(r, box.x, box.y, bw, box.h, 0.8, FRAME);
    double ticks[PLOT_MAX_TICKS], step;
    int nt = plot_nice_ticks(vmin, vmax, (int)clampd(box.h / 45, 3, 8), ticks,
                             PLOT_MAX_TICKS, &step);
    render_text_style_t s = style(FONT_TICK, RENDER_LEFT, RENDER_MIDDLE);
    double wmax = 0;
    for (int i = 0; i < nt; i++) {
        double y = vmax > vmin ? box.y + box.h - (ticks[i] - vmin) / (vmax - vmin) * box.h
                               : box.y + box.h / 2;
        if (y < box.y - 0.5 || y > box.y + box.h + 0.5)
            continue;
        render_line(r, box.x + bw, y, box.x + bw + TICK_LEN, y, 0.8, FRAME);
        char t[64];
        plot_format_tick(ticks[i], step, t, sizeof t);
        double w = render_text(r, box.x + bw + TICK_LEN + 3, y, t, &s);
        if (w > wmax)
            wmax = w;
    }
    if (!empty(label)) {
        render_text_style_t ls = style(FONT_LABEL, RENDER_CENTER, RENDER_TOP);
        ls.angle = 90;
        ls.max_width = fmax(box.h, 160);
        render_text(r, box.x + bw + TICK_LEN + 8 + wmax, box.y + box.h / 2, label, &ls);
    }
    return 0;
}

/* ================================================================================ */
/* heatmap                                                                          */
/* ================================================================================ */

/* plot_heatmap_limits -- the colour limits the heatmap will use: explicit vmin/vmax, or
 * the finite data range; centred maps are made symmetric around the centre (the larger
 * distance on both sides). A range without finite values gives [0, 1]. */
void plot_heatmap_limits(const plot_heatmap_t *h, double *vmin, double *vmax) {
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    int64_t n = h->rows * h->cols;
    for (int64_t i = 0; i < n; i++) {
        double v = h->values[i];
        if (isfinite(v)) {
            if (v < lo)
                lo = v;
            if (v > hi)
                hi = v;
        }
    }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    if (h->centered) {
        double c = h->center;
        double d = fmax(fabs(hi - c), fabs(lo - c));
        if (h->has_vmin && h->has_vmax)
            d = fmax(fabs(h->vmax - c), fabs(h->vmin - c));
        else if (h->has_vmax)
            d = fabs(h->vmax - c);
        else if (h->has_vmin)
            d = fabs(h->vmin - c);
        if (d == 0)
            d = 1;
        lo = c - d;
        hi = c + d;
    } else {
        if (h->has_vmin)
            lo = h->vmin;
        if (h->has_vmax)
            hi = h->vmax;
    }
    *vmin = lo;
    *vmax = hi;
}

/* Pool a large map into at most PLOT_MAX_CELLS per axis, keeping per block the value
 * farthest from `ref` (the centre for diverging maps, -inf for max), so one sharp value
 * survives. Returns a new array the caller frees. */
static double *pool(const double *v, int64_t rows, int64_t cols, int64_t fr, int64_t fc,
                    int64_t *prow, int64_t *pcol, int centered, double ref) {
    int64_t pr = (rows + fr - 1) / fr, pc = (cols + fc - 1) / fc;
    double *o = xmalloc((size_t)(pr * pc) * sizeof *o);
    for (int64_t i = 0; i < pr; i++)
        for (int64_t j = 0; j < pc; j++) {
            double best = (double)NAN, bd = -1;
            for (int64_t a = i * fr; a < (i + 1) * fr && a < rows; a++)
                for (int64_t b = j * fc; b < (j + 1) * fc && b < cols; b++) {
                    double x = v[a * cols + b];
                    if (isnan(x))
                        continue;
                    double d = centered ? fabs(x - ref) : x;
                    if (isnan(best) || d > bd) {
                        best = x;
                        bd = d;
                    }
                }
            o[i * pc + j] = best;
        }
    *prow = pr;
    *pcol = pc;
    return o;
}

/* Draw category/index tick labels along one side of a cell grid. */
typedef struct side_labels {
    const char *const *labels; /* or NULL for numeric indices */
    int tokens;
    int64_t n;      /* cells along the side */
    int64_t factor; /* data indices per cell (pooling) */
    int64_t offset; /* index of the first cell */
} side_labels_t;

static char *side_label(const side_labels_t *s, int64_t i) {
    if (s->labels)
        return label_text(s->labels[i], s->tokens);
    return xasprintf("%lld", (long long)(s->offset + i * s->factor));
}

/* Which cells get a label: all if they fit, else every k-th (nice k for indices). */
static int64_t label_every(const side_labels_t *s, double cell, double font) {
    if (cell >= font + 1)
        return 1;
    int64_t k = (int64_t)ceil((font + 2) / cell);
    if (!s->labels) {
        double t[2], step;
        plot_nice_ticks(0, (double)k * 4, 4, t, 2, &step);
        k = (int64_t)ceil(step);
        if (k < 1)
            k = 1;
    }
    return k;
}

/* Nice integer index ticks (steps of 1, 2, 2.5 -> 2, 5 x 10^k, at least one cell) for
 * a side without labels; about `target` of them, within the side. Returns the count. */
static int index_ticks(const side_labels_t *s, int target, int64_t *out) {
    double t[PLOT_MAX_TICKS], step;
    double lo = (double)s->offset, hi = (double)(s->offset + (s->n - 1) * s->factor);
    int n = plot_nice_ticks(lo, hi, target, t, PLOT_MAX_TICKS, &step);
    if (n == 0)
        return 0;
    int64_t st = (int64_t)ceil(step);
    if (st < s->factor)
        st = s->factor;
    if (st < 1)
        st = 1;
    int64_t first = (int64_t)ceil(lo / (double)st) * st, k = 0;
    for (int64_t v = first; (double)v <= hi && k < PLOT_MAX_TICKS; v += st)
        out[k++] = v;
    return (int)k;
}

static double max_label_width(render_t *r, const side_labels_t *s, int64_t every,
                              const render_text_style_t *st) {
    double wmax = 0;
    for (int64_t i = 0; i < s->n; i += every) {
        char *t = side_label(s, i);
        double w;
        render_text_size(r, t, st, &w, NULL);
        free(t);
        if (w > wmax)
            wmax = w;
    }
    return wmax;
}

static void format_cell_value(double v, char *out, size_t cap) {
    if (isnan(v))
        snprintf(out, cap, "nan");
    else if (fabs(v) >= 1000)
        snprintf(out, cap, "%.3g", v);
    else
        snprintf(out, cap, "%.2f", v);
}

/* plot_heatmap -- a 2-D map of values with row/column labels (tokens or indices, thinned
 * when they do not fit, columns rotated 90 degrees), NaN cells hatched, optional value
 * or text in each cell, and an optional colorbar. Maps wider than PLOT_MAX_CELLS are
 * pooled (largest-magnitude value per block). Returns 0, or -1 with err set (ValueError)
 * for an empty map, a missing values pointer or an unknown colormap. */
int plot_heatmap(render_t *r, plot_rect_t area, const plot_heatmap_t *h, err_t *err) {
    if (!h->values || h->rows < 1 || h->cols < 1) {
        err_set(err, "ValueError", "heatmap needs at least one row and one column");
        return -1;
    }
    colormap_sel_t sel;
    if (select_cmap(h->cmap, h->centered ? "RdBu_r" : "viridis", &sel, err) < 0)
        return -1;
    double vmin, vmax;
    plot_heatmap_limits(h, &vmin, &vmax);
    plot_title(r, &area, h->title);

    int64_t rows = h->rows, cols = h->cols, fr = 1, fc = 1;
    const double *vals = h->values;
    double *pooled = NULL;
    if (rows > PLOT_MAX_CELLS || cols > PLOT_MAX_CELLS) {
        fr = (rows + PLOT_MAX_CELLS - 1) / PLOT_MAX_CELLS;
        fc = (cols + PLOT_MAX_CELLS - 1) / PLOT_MAX_CELLS;
        pooled = pool(h->values, rows, cols, fr, fc, &rows, &cols, h->centered,
                      h->centered ? h->center : 0);
        vals = pooled;
    }
    int64_t sx = h->x_stride > 1 ? h->x_stride : 1,
            sy = h->y_stride > 1 ? h->y_stride : 1;
    side_labels_t xs = {fr == 1 && fc == 1 ? h->xlabels : NULL, h->tokens_x, cols,
                        fc * sx, h->x_offset};
    side_labels_t ys = {fr == 1 && fc == 1 ? h->ylabels : NULL, h->tokens_y, rows,
                        fr * sy, h->y_offset};

    /* Layout: colorbar on the right, y labels left, rotated x labels below. */
    double cbar_w = h->colorbar ? 78 + (empty(h->cbar_label) ? 0 : FONT_LABEL + 4) : 0;
    double ylab_w = empty(h->ylabel) ? 0 : FONT_LABEL + 8;
    double xlab_h = empty(h->xlabel) ? 0 : FONT_LABEL + 8;
    /* First guess of the cell size to decide label thinning and font size. */
    double gw = area.w - cbar_w - ylab_w - 60, gh = area.h - xlab_h - 50;
    double cw = gw / (double)cols, ch = gh / (double)rows;
    double font = clampd(fmin(cw, ch) * 0.85, 7, FONT_TICK);
    render_text_style_t lst = style(font, RENDER_RIGHT, RENDER_MIDDLE);
    lst.max_width = 150;
    int64_t ey = label_every(&ys, ch, font), ex = label_every(&xs, cw, font);
    double ylw = max_label_width(r, &ys, ey, &lst);
    /* Column labels are drawn upright when they fit their cells, else rotated. */
    double xlw = xs.labels ? max_label_width(r, &xs, ex, &lst) : 0;
    int rotate_x = xs.labels != NULL && xlw > cw * (double)ex - 4;
    double xlh = rotate_x ? xlw : font + 2;
    plot_rect_t grid = {area.x + ylab_w + ylw + TICK_LEN + 4, area.y + 4, 0, 0};
    grid.w = area.x + area.w - cbar_w - grid.x - 6;
    grid.h = area.y + area.h - xlab_h - xlh - TICK_LEN - 6 - grid.y;
    if (grid.w < 4 || grid.h < 4) {
        free(pooled);
        err_set(err, "ValueError", "figure too small for a %lldx%lld heatmap",
                (long long)h->rows, (long long)h->cols);
        return -1;
    }
    cw = grid.w / (double)cols;
    ch = grid.h / (double)rows;
    /* Square cells unless that would waste most of the space. */
    double sq = fmin(cw, ch);
    if (fmax(cw, ch) / sq < 1.6) {
        cw = ch = sq;
        double nw = cw * (double)cols, nh = ch * (double)rows;
        grid.x += (grid.w - nw) / 2; /* centre the narrower map, colorbar follows it */
        grid.h = nh;
        grid.w = nw;
    }
    ex = label_every(&xs, cw, font);
    ey = label_every(&ys, ch, font);
    if (h->grid_out)
        *h->grid_out = grid;

    /* Cells as one image: one pixel per cell, scaled without smoothing. */
    uint32_t *px = util_try_malloc((size_t)(rows * cols) * sizeof *px);
    if (!px) {
        free(pooled);
        err_set(err, "ValueError", "cannot allocate a %lldx%lld image", (long long)rows,
                (long long)cols);
        return -1;
    }
    int64_t nnan = 0;
    for (int64_t i = 0; i < rows * cols; i++) {
        if (isnan(vals[i])) {
            px[i] = NAN_FILL;
            nnan++;
        } else {
            px[i] = colormap_argb(&sel, vals[i], vmin, vmax);
        }
    }
    int rc =
        render_image(r, grid.x, grid.y, grid.w, grid.h, px, (int)cols, (int)rows, 0, err);
    if (rc < 0)
        goto out;
    /* NaN cells: a diagonal hatch, when cells are big enough to see it. */
    if (nnan && cw >= 3 && ch >= 3 && nnan <= 20000) {
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++)
                if (isnan(vals[i * cols + j])) {
                    double x = grid.x + (double)j * cw, y = grid.y + (double)i * ch;
                    render_line(r, x, y + ch, x + cw, y, fmin(1.2, cw / 4), NAN_HATCH);
                }
    }
    /* Text in cells. */
    /* Per-cell strings belong to the original cells: not drawn on a pooled map. */
    const char *const *ctext = pooled ? NULL : h->cell_text;
    if (ctext || h->annotate) {
        double cfont = clampd(fmin(ch * 0.38, cw * 0.22), 0, 12);
        if (ctext && cfont > 0) {
            double wmax = 0;
            for (int64_t i = 0; i < rows * cols && i < 4096; i++) {
                double w;
                render_text_style_t s = style(10, RENDER_CENTER, RENDER_MIDDLE);
                render_text_size(r, ctext[i] ? ctext[i] : "", &s, &w, NULL);
                if (w > wmax)
                    wmax = w;
            }
            if (wmax > 0)
                cfont = fmin(cfont, 10 * (cw - 4) / wmax);
        }
        if (cfont >= 5 && rows * cols <= 10000) {
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < cols; j++) {
                    double v = vals[i * cols + j];
                    render_color_t bg = argb_color(
                        isnan(v) ? NAN_FILL : colormap_argb(&sel, v, vmin, vmax));
                    render_text_style_t s = style(cfont, RENDER_CENTER, RENDER_MIDDLE);
                    s.color = plot_text_color_on(bg);
                    s.max_width = cw - 2;
                    char num[32];
                    const char *t = num;
                    char *tok = NULL;
                    if (ctext) {
                        tok = label_text(ctext[i * cols + j], 0);
                        t = tok;
                    } else {
                        format_cell_value(v, num, sizeof num);
                    }
                    render_text(r, grid.x + ((double)j + 0.5) * cw,
                                grid.y + ((double)i + 0.5) * ch, t, &s);
                    free(tok);
                }
        }
    }
    render_rect_stroke(r, grid.x, grid.y, grid.w, grid.h, 0.8, FRAME);

    /* Row labels: every ey-th label, or nice index ticks (1, 2, 5 x 10^k). */
    if (ys.labels) {
        for (int64_t i = 0; i < rows; i += ey) {
            double y = grid.y + ((double)i + 0.5) * ch;
            render_line(r, grid.x - TICK_LEN, y, grid.x, y, 0.8, FRAME);
            char *t = side_label(&ys, i);
            render_text(r, grid.x - TICK_LEN - 2, y, t, &lst);
            free(t);
        }
    } else {
        int64_t tk[PLOT_MAX_TICKS];
        int nt = index_ticks(&ys, (int)clampd(grid.h / (font * 2.5), 2, 25), tk);
        for (int k = 0; k < nt; k++) {
            double y =
                grid.y + ((double)(tk[k] - ys.offset) / (double)ys.factor + 0.5) * ch;
            render_line(r, grid.x - TICK_LEN, y, grid.x, y, 0.8, FRAME);
            char t[32];
            snprintf(t, sizeof t, "%lld", (long long)tk[k]);
            render_text(r, grid.x - TICK_LEN - 2, y, t, &lst);
        }
    }
    /* Column labels: rotated for text, horizontal for indices. */
    render_text_style_t xst = lst;
    if (rotate_x) {
        xst.angle = 90;
        xst.halign = RENDER_RIGHT;
        xst.valign = RENDER_MIDDLE;
    } else {
        xst.halign = RENDER_CENTER;
        xst.valign = RENDER_TOP;
    }
    if (xs.labels) {
        for (int64_t j = 0; j < cols; j += ex) {
            double x = grid.x + ((double)j + 0.5) * cw;
            render_line(r, x, grid.y + grid.h, x, grid.y + grid.h + TICK_LEN, 0.8, FRAME);
            char *t = side_label(&xs, j);
            render_text(r, x, grid.y + grid.h + TICK_LEN + 2, t, &xst);
            free(t);
        }
    } else {
        char widest[32];
        snprintf(widest, sizeof widest, "%lld",
                 (long long)(xs.offset + cols * xs.factor));
        double lw;
        render_text_size(r, widest, &xst, &lw, NULL);
        int64_t tk[PLOT_MAX_TICKS];
        int nt = index_ticks(&xs, (int)clampd(grid.w / (lw + 12), 2, 25), tk);
        for (int k = 0; k < nt; k++) {
            double x =
                grid.x + ((double)(tk[k] - xs.offset) / (double)xs.factor + 0.5) * cw;
            render_line(r, x, grid.y + grid.h, x, grid.y + grid.h + TICK_LEN, 0.8, FRAME);
            char t[32];
            snprintf(t, sizeof t, "%lld", (long long)tk[k]);
            render_text(r, x, grid.y + grid.h + TICK_LEN + 2, t, &xst);
        }
    }
    render_text_style_t ls = style(FONT_LABEL, RENDER_CENTER, RENDER_BOTTOM);
    if (!empty(h->xlabel))
        render_text(r, grid.x + grid.w / 2,
                    grid.y + grid.h + TICK_LEN + xlh + 6 + FONT_LABEL + 4, h->xlabel,
                    &ls);
    if (!empty(h->ylabel)) {
        ls.angle = 90;
        ls.valign = RENDER_TOP;
        render_text(r, area.x + 2, grid.y + grid.h / 2, h->ylabel, &ls);
    }
    if (h->colorbar) {
        plot_rect_t cb = {grid.x + grid.w + 14, grid.y, cbar_w, grid.h};
        if (cb.h > 200 && grid.h > 0)
            cb.h = fmax(grid.h, 120);
        rc = plot_colorbar(
            r, cb, empty(h->cmap) ? (h->centered ? "RdBu_r" : "viridis") : h->cmap, vmin,
            vmax, h->cbar_label, err);
    }
out:
    free(px);
    free(pooled);
    return rc;
}

/* ================================================================================ */
/* grid of heatmaps                                                                 */
/* ================================================================================ */

/* plot_heatmap_grid -- n small heatmaps (attention heads) in a grid with a title above
 * each ("L0H3"), shared colour limits and one colorbar. Returns 0, or -1 with err set
 * for empty input or an unknown colormap. */
int plot_heatmap_grid(render_t *r, plot_rect_t area, const plot_grid_t *g, err_t *err) {
    if (!g->values || g->n < 1 || g->rows < 1 || g->cols < 1) {
        err_set(err, "ValueError", "a grid of heatmaps needs at least one non-empty map");
        return -1;
    }
    colormap_sel_t sel;
    if (select_cmap(g->cmap, "Blues", &sel, err) < 0)
        return -1;
    plot_title(r, &area, g->title);
    int64_t per = g->rows * g->cols;
    double vmin = (double)INFINITY, vmax = -(double)INFINITY;
    for (int64_t i = 0; i < g->n * per; i++)
        if (isfinite(g->values[i])) {
            vmin = fmin(vmin, g->values[i]);
            vmax = fmax(vmax, g->values[i]);
        }
    if (!isfinite(vmin)) {
        vmin = 0;
        vmax = 1;
    }
    if (g->has_vmin)
        vmin = g->vmin;
    if (g->has_vmax)
        vmax = g->vmax;
    int64_t ncols = g->ncols > 0 ? g->ncols : (int64_t)ceil(sqrt((double)g->n));
    if (ncols > g->n)
        ncols = g->n;
    int64_t nrows = (g->n + ncols - 1) / ncols;
    double cbar_w = 70, tfont = 11, gap = 6;
    double pw = (area.w - cbar_w - gap * (double)(ncols + 1)) / (double)ncols;
    double ph = (area.h - gap * (double)(nrows + 1)) / (double)nrows - (tfont + 4);
    double side = fmin(pw, ph);
    if (side < 2) {
        err_set(err, "ValueError", "figure too small for %lld heatmaps", (long long)g->n);
        return -1;
    }
    double aspect = (double)g->cols / (double)g->rows;
    double iw = aspect >= 1 ? side : side * aspect,
           ih = aspect >= 1 ? side / aspect : side;
    int64_t fr = (g->rows + 511) / 512, fc = (g->cols + 511) / 512; /* thumbnails */
    int64_t pr = (g->rows + fr - 1) / fr, pc = (g->cols + fc - 1) / fc;
    uint32_t *px = xmalloc((size_t)(pr * pc) * sizeof *px);
    int rc = 0;
    for (int64_t k = 0; k < g->n && rc == 0; k++) {
        int64_t gi = k / ncols, gj = k % ncols;
        double x = area.x + gap + (double)gj * (pw + gap);
        double y = area.y + gap + (double)gi * (ph + tfont + 4 + gap);
        const double *v = g->values + k * per;
        for (int64_t i = 0; i < pr; i++)
            for (int64_t j = 0; j < pc; j++) {
                double best = (double)NAN;
                for (int64_t a = i * fr; a < (i + 1) * fr && a < g->rows; a++)
                    for (int64_t b = j * fc; b < (j + 1) * fc && b < g->cols; b++) {
                        double t = v[a * g->cols + b];
                        if (!isnan(t) && (isnan(best) || t > best))
                            best = t;
                    }
                px[i * pc + j] =
                    isnan(best) ? NAN_FILL : colormap_argb(&sel, best, vmin, vmax);
            }
        render_text_style_t ts = style(tfont, RENDER_CENTER, RENDER_TOP);
        ts.max_width = pw;
        char dflt[32];
        snprintf(dflt, sizeof dflt, "#%lld", (long long)k);
        const char *title = g->titles && g->titles[k] ? g->titles[k] : dflt;
        render_text(r, x + iw / 2, y, title, &ts);
        rc = render_image(r, x, y + tfont + 4, iw, ih, px, (int)pc, (int)pr, 0, err);
        render_rect_stroke(r, x, y + tfont + 4, iw, ih, 0.6, FRAME);
    }
    free(px);
    if (rc == 0) {
        double gx = area.x + gap + (double)ncols * (pw + gap);
        plot_rect_t cb = {gx + 4, area.y + gap + tfont + 4, cbar_w - 8,
                          fmin(area.h - 2 * gap - tfont - 4,
                               (double)nrows * (ph + tfont + 4 + gap) - gap - tfont - 4)};
        rc = plot_colorbar(r, cb, empty(g->cmap) ? "Blues" : g->cmap, vmin, vmax, NULL,
                           err);
    }
    return rc;
}

/* ================================================================================ */
/* bars                                                                             */
/* ================================================================================ */

/* plot_bars -- horizontal bars from zero, one per value top to bottom, coloured by sign
 * (defaults: red positive, blue negative, as RdBu_r), names on the left, optional value
 * labels. Non-finite values get no bar and the label "nan"/"inf". Returns 0, or -1 with
 * err set for n == 0. */
int plot_bars(render_t *r, plot_rect_t area, const plot_bars_t *b, err_t *err) {
    if (b->n == 0 || !b->values) {
        err_set(err, "ValueError", "no values to draw");
        return -1;
    }
    plot_title(r, &area, b->title);
    render_color_t pos = b->pos.a > 0 ? b->pos : RENDER_RGB(0xd6604d);
    render_color_t neg = b->neg.a > 0 ? b->neg : RENDER_RGB(0x4393c3);
    double lo = 0, hi = 0;
    for (size_t i = 0; i < b->n; i++)
        if (isfinite(b->values[i])) {
            lo = fmin(lo, b->values[i]);
            hi = fmax(hi, b->values[i]);
        }
    if (hi == lo)
        hi = lo + 1;
    double w = hi - lo;
    lo -= w * (b->value_labels ? 0.2 : 0.04) * (lo < 0);
    hi += w * (b->value_labels ? 0.2 : 0.04) * (hi > 0);
    render_text_style_t ns = style(FONT_TICK, RENDER_RIGHT, RENDER_MIDDLE);
    ns.max_width = fmin(220, area.w * 0.35);
    double barh = (area.h - 40 - (empty(b->xlabel) ? 0 : FONT_LABEL + 8)) / (double)b->n;
    double font = clampd(barh * 0.8, 6, FONT_TICK);
    ns.size = font;
    size_t every = barh >= font + 1 ? 1 : (size_t)ceil((font + 2) / barh);
    double nw = 0;
    for (size_t i = 0; i < b->n; i += every) {
        char *t = label_text(b->names ? b->names[i] : NULL, b->tokens);
        double tw;
        render_text_size(r, t, &ns, &tw, NULL);
        free(t);
        nw = fmax(nw, tw);
    }
    axes_t a = {.x0 = lo, .x1 = hi, .y0 = 0, .y1 = 1};
    plot_rect_t inner = {area.x + nw + 6, area.y, area.w - nw - 6, area.h};
    axes_layout(r, inner, &a, b->xlabel, NULL, 0);
    a.nyt = 0;
    a.box.x = inner.x + TICK_LEN + 2;
    a.box.w = inner.x + inner.w - a.box.x - 12;
    a.nxt = plot_nice_ticks(lo, hi, (int)clampd(a.box.w / 80, 2, 9), a.xt, PLOT_MAX_TICKS,
                            &a.xstep);
    barh = a.box.h / (double)b->n;
    axes_draw(r, &a, b->xlabel, NULL, 1);
    double x0 = ax_x(&a, 0);
    render_text_style_t vs = style(fmin(font, 10), RENDER_LEFT, RENDER_MIDDLE);
    for (size_t i = 0; i < b->n; i++) {
        double v = b->values[i];
        double y = a.box.y + (double)i * barh;
        if (isfinite(v)) {
            double x1 = ax_x(&a, v);
            render_rect(r, fmin(x0, x1), y + barh * 0.1, fabs(x1 - x0), barh * 0.8,
                        v >= 0 ? pos : neg);
            if (b->value_labels && barh >= 7) {
                char t[32];
                snprintf(t, sizeof t, "%s%.3g", v < 0 ? "\xE2\x88\x92" : "", fabs(v));
                vs.halign = v >= 0 ? RENDER_LEFT : RENDER_RIGHT;
                render_text(r, x1 + (v >= 0 ? 3 : -3), y + barh / 2, t, &vs);
            }
        } else if (barh >= 7) {
            vs.halign = RENDER_LEFT;
            render_text(r, x0 + 3, y + barh / 2,
                        isnan(v) ? "nan"
                        : v > 0  ? "inf"
                                 : "-inf",
                        &vs);
        }
        if (i % every == 0) {
            char *t = label_text(b->names ? b->names[i] : NULL, b->tokens);
            render_text(r, a.box.x - TICK_LEN - 2, y + barh / 2, t, &ns);
            render_line(r, a.box.x - TICK_LEN, y + barh / 2, a.box.x, y + barh / 2, 0.8,
                        FRAME);
            free(t);
        }
    }
    render_line(r, x0, a.box.y, x0, a.box.y + a.box.h, 0.8, FRAME);
    return 0;
}

/* ================================================================================ */
/* histogram                                                                        */
/* ================================================================================ */

/* plot_hist -- a histogram of the finite values over their range in `bins` equal bins
 * (numpy's rule: the last bin includes its right edge), optional log counts and one
 * legend line. Returns 0, or -1 with err set for bins out of range or no finite
 * values. */
int plot_hist(render_t *r, plot_rect_t area, const plot_hist_t *h, err_t *err) {
    if (h->bins < 1 || h->bins > 10000) {
        err_set(err, "ValueError", "bins must be in 1..10000, not %d", h->bins);
        return -1;
    }
    double lo = (double)INFINITY, hi = -(double)INFINITY;
    size_t nfin = 0;
    for (size_t i = 0; i < h->n; i++)
        if (isfinite(h->values[i])) {
            lo = fmin(lo, h->values[i]);
            hi = fmax(hi, h->values[i]);
            nfin++;
        }
    if (nfin == 0) {
        err_set(err, "ValueError", "no finite values to make a histogram of");
        return -1;
    }
    if (hi == lo) {
        lo -= 0.5;
        hi += 0.5;
    }
    double *cnt = xcalloc((size_t)h->bins, sizeof *cnt);
    double bw = (hi - lo) / h->bins;
    for (size_t i = 0; i < h->n; i++) {
        double v = h->values[i];
        if (!isfinite(v))
            continue;
        int k = (int)((v - lo) / bw);
        if (k >= h->bins)
            k = h->bins - 1;
        if (k < 0)
            k = 0;
        cnt[k]++;
    }
    double cmax = 0;
    for (int k = 0; k < h->bins; k++)
        cmax = fmax(cmax, cnt[k]);
    plot_title(r, &area, h->title);
    axes_t a = {.x0 = lo, .x1 = hi, .logy = h->logy, .integer_y = 1};
    fix_range(&a.x0, &a.x1, 0.03);
    if (h->logy) {
        a.y0 = -0.1;
        a.y1 = log10(fmax(cmax, 1)) * 1.05 + 0.1;
    } else {
        a.y0 = 0;
        a.y1 = cmax * 1.05;
        if (a.y1 <= 0)
            a.y1 = 1;
    }
    axes_layout(r, area, &a, h->xlabel, empty(h->ylabel) ? "count" : h->ylabel, 0);
    render_color_t c = default_color(h->color, 0);
    double base = a.box.y + a.box.h;
    for (int k = 0; k < h->bins; k++) {
        if (cnt[k] <= 0)
            continue;
        double x0 = ax_x(&a, lo + k * bw), x1 = ax_x(&a, lo + (k + 1) * bw);
        double y = ax_y(&a, cnt[k]);
        render_rect(r, x0, y, x1 - x0, base - y, c);
        if (x1 - x0 >= 4)
            render_rect_stroke(r, x0, y, x1 - x0, base - y, 0.5,
                               RENDER_RGBA(0xffffff, 0.7));
    }
    free(cnt);
    axes_draw(r, &a, h->xlabel, empty(h->ylabel) ? "count" : h->ylabel, 0);
    if (!empty(h->legend))
        plot_legend(r, a.box, &h->legend, &c, 1, 0);
    return 0;
}

/* ================================================================================ */
/* lines                                                                            */
/* ================================================================================ */

/* plot_lines -- one panel of line series (tab10 colours by default), x and y ranges
 * from the finite data with matplotlib's 5% margins, light grid, legend when any series
 * has a label. Returns 0, or -1 with err set for no series, too many series, or no
 * finite point at all. */
int plot_lines(render_t *r, plot_rect_t area, const plot_lines_t *l, err_t *err) {
    if (l->nseries < 1 || l->nseries > PLOT_MAX_SERIES) {
        err_set(err, "ValueError", "a line chart takes 1..%d series, not %zu",
                PLOT_MAX_SERIES, l->nseries);
        return -1;
    }
    double x0 = (double)INFINITY, x1 = -(double)INFINITY, y0 = (double)INFINITY,
           y1 = -(double)INFINITY;
    for (size_t s = 0; s < l->nseries; s++) {
        const plot_series_t *se = &l->series[s];
        for (size_t i = 0; i < se->n; i++) {
            double x = se->x ? se->x[i] : (double)i, y = se->y[i];
            if (!isfinite(x) || !isfinite(y) || (l->logy && y <= 0))
                continue;
            if (l->logy)
                y = log10(y);
            x0 = fmin(x0, x);
            x1 = fmax(x1, x);
            y0 = fmin(y0, y);
            y1 = fmax(y1, y);
        }
    }
    plot_title(r, &area, l->title);
    axes_t a = {.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1, .logy = l->logy};
    int nodata = !isfinite(x0);
    fix_range(&a.x0, &a.x1, 0.05);
    fix_range(&a.y0, &a.y1, 0.05);
    axes_layout(r, area, &a, l->xlabel, l->ylabel, 0);
    axes_draw(r, &a, l->xlabel, l->ylabel, 1);
    if (nodata) {
        render_text_style_t s = style(FONT_LABEL, RENDER_CENTER, RENDER_MIDDLE);
        s.color = RENDER_RGB(0x888888);
        render_text(r, a.box.x + a.box.w / 2, a.box.y + a.box.h / 2, "no finite data",
                    &s);
        return 0;
    }
    cairo_t *cr = render_cairo(r);
    cairo_save(cr);
    cairo_rectangle(cr, a.box.x, a.box.y, a.box.w, a.box.h);
    cairo_clip(cr);
    const char *labels[PLOT_MAX_SERIES];
    render_color_t colors[PLOT_MAX_SERIES];
    size_t nl = 0;
    for (size_t s = 0; s < l->nseries; s++) {
        const plot_series_t *se = &l->series[s];
        render_color_t c = default_color(se->color, (int)s);
        double *px = xmalloc((se->n + 1) * sizeof *px),
               *py = xmalloc((se->n + 1) * sizeof *py);
        for (size_t i = 0; i < se->n; i++) {
            px[i] = ax_x(&a, se->x ? se->x[i] : (double)i);
            py[i] = ax_y(&a, se->y[i]);
        }
        render_polyline(r, px, py, se->n, 1.6, c);
        if (se->markers || se->n == 1)
            for (size_t i = 0; i < se->n; i++)
                if (isfinite(px[i]) && isfinite(py[i]))
                    render_circle(r, px[i], py[i], 2.5, c, 0, c);
        free(px);
        free(py);
        if (!empty(se->label)) {
            labels[nl] = se->label;
            colors[nl++] = c;
        }
    }
    cairo_restore(cr);
    plot_legend(r, a.box, labels, colors, nl, 2);
    return 0;
}

/* ================================================================================ */
/* scatter                                                                          */
/* ================================================================================ */

/* plot_scatter -- points coloured by category (tab10, legend) or by value (colormap,
 * colorbar) or plain tab10 blue; optional text label beside each point. Returns 0, or
 * -1 with err set for an unknown colormap, out-of-range categories or n == 0. */
int plot_scatter(render_t *r, plot_rect_t area, const plot_scatter_t *s, err_t *err) {
    if (s->n == 0 || !s->x || !s->y) {
        err_set(err, "ValueError", "no points to draw");
        return -1;
    }
    colormap_sel_t sel = {0};
    if (s->color_values && select_cmap(s->cmap, "viridis", &sel, err) < 0)
        return -1;
    if (s->category)
        for (size_t i = 0; i < s->n; i++)
            if (s->category[i] < 0 || (s->ncat && (size_t)s->category[i] >= s->ncat)) {
                err_set(err, "ValueError", "point %zu has category %d outside 0..%zu", i,
                        s->category[i], s->ncat ? s->ncat - 1 : 0);
                return -1;
            }
    double x0 = (double)INFINITY, x1 = -(double)INFINITY, y0 = (double)INFINITY,
           y1 = -(double)INFINITY;
    double c0 = (double)INFINITY, c1 = -(double)INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
            continue;
        x0 = fmin(x0, s->x[i]);
        x1 = fmax(x1, s->x[i]);
        y0 = fmin(y0, s->y[i]);
        y1 = fmax(y1, s->y[i]);
        if (s->color_values && isfinite(s->color_values[i])) {
            c0 = fmin(c0, s->color_values[i]);
            c1 = fmax(c1, s->color_values[i]);
        }
    }
    if (!isfinite(c0)) {
        c0 = 0;
        c1 = 1;
    }
    plot_title(r, &area, s->title);
    double cbar_w =
        s->color_values ? 78 + (empty(s->cbar_label) ? 0 : FONT_LABEL + 4) : 0;
    axes_t a = {.x0 = x0, .x1 = x1, .y0 = y0, .y1 = y1};
    fix_range(&a.x0, &a.x1, s->point_labels ? 0.1 : 0.05);
    fix_range(&a.y0, &a.y1, 0.05);
    axes_layout(r, area, &a, s->xlabel, s->ylabel, cbar_w);
    axes_draw(r, &a, s->xlabel, s->ylabel, 1);
    double rad = s->radius > 0 ? s->radius : s->n < 300 ? 4 : s->n < 5000 ? 2.5 : 1.2;
    double alpha = s->n < 1000 ? 0.9 : s->n < 20000 ? 0.6 : 0.35;
    cairo_t *cr = render_cairo(r);
    cairo_save(cr);
    cairo_rectangle(cr, a.box.x, a.box.y, a.box.w, a.box.h);
    cairo_clip(cr);
    for (size_t i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
            continue;
        render_color_t c;
        if (s->category) {
            c = default_color((render_color_t){0, 0, 0, 0}, s->category[i]);
        } else if (s->color_values) {
            c = argb_color(colormap_argb(&sel, s->color_values[i], c0, c1));
        } else {
            c = default_color((render_color_t){0, 0, 0, 0}, 0);
        }
        c.a = alpha;
        render_circle(r, ax_x(&a, s->x[i]), ax_y(&a, s->y[i]), rad, c,
                      s->n < 300 ? 0.6 : 0, RENDER_RGBA(0xffffff, 0.8));
    }
    cairo_restore(cr);
    if (s->point_labels && s->n <= 2000) {
        render_text_style_t ts = style(9.5, RENDER_LEFT, RENDER_BOTTOM);
        ts.max_width = 160;
        for (size_t i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i]) || empty(s->point_labels[i]))
                continue;
            double px = ax_x(&a, s->x[i]), py = ax_y(&a, s->y[i]), tw;
            render_text_size(r, s->point_labels[i], &ts, &tw, NULL);
            /* Labels that would leave the axes go on the other side of their point. */
            ts.halign =
                px + rad + 1 + tw > a.box.x + a.box.w ? RENDER_RIGHT : RENDER_LEFT;
            render_text(r, ts.halign == RENDER_LEFT ? px + rad + 1 : px - rad - 1, py - 1,
                        s->point_labels[i], &ts);
        }
    }
    if (s->category && s->category_names && s->ncat) {
        size_t nshow = s->ncat > 12 ? 12 : s->ncat;
        const char *lab[13];
        render_color_t col[13];
        char more[48];
        for (size_t i = 0; i < nshow; i++) {
            lab[i] = s->category_names[i];
            col[i] = default_color((render_color_t){0, 0, 0, 0}, (int)i);
        }
        if (s->ncat > nshow) {
            snprintf(more, sizeof more, "+%zu more", s->ncat - nshow);
            lab[nshow] = more;
            col[nshow] = RENDER_RGB(0xffffff);
            nshow++;
        }
        plot_legend(r, a.box, lab, col, nshow, 1);
    }
    if (s->color_values) {
        plot_rect_t cb = {a.box.x + a.box.w + 14, a.box.y, cbar_w - 14, a.box.h};
        if (plot_colorbar(r, cb, empty(s->cmap) ? "viridis" : s->cmap, c0, c1,
                          s->cbar_label, err) < 0)
            return -1;
    }
    return 0;
}

/* ================================================================================ */
/* table                                                                            */
/* ================================================================================ */

/* plot_table -- a grid of text cells with an optional bold header row and per-cell
 * background colours; columns sized to their widest text, scaled down to fit. Returns 0,
 * or -1 with err set for an empty table. */
int plot_table(render_t *r, plot_rect_t area, const plot_table_t *t, err_t *err) {
    if (t->nrows == 0 || t->ncols == 0 || !t->cells) {
        err_set(err, "ValueError", "an empty table has nothing to draw");
        return -1;
    }
    plot_title(r, &area, t->title);
    size_t nr = t->nrows + (t->header ? 1 : 0);
    double rowh = fmin(24, area.h / (double)nr);
    double font = clampd(rowh * 0.55, 5, 12);
    render_text_style_t s = style(font, RENDER_LEFT, RENDER_MIDDLE);
    double *cw = xcalloc(t->ncols, sizeof *cw), total = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        for (size_t i = 0; i < nr && i < 200; i++) {
            const char *c = t->header && i == 0
                                ? t->header[j]
                                : t->cells[(i - (t->header ? 1 : 0)) * t->ncols + j];
            char *txt = label_text(c, t->tokens && !(t->header && i == 0));
            double w;
            s.bold = t->header && i == 0;
            render_text_size(r, txt, &s, &w, NULL);
            free(txt);
            cw[j] = fmax(cw[j], w + 12);
        }
        total += cw[j];
    }
    double scale = total > area.w ? area.w / total : 1;
    double y = area.y;
    for (size_t i = 0; i < nr; i++, y += rowh) {
        double x = area.x;
        int head = t->header && i == 0;
        size_t ri = i - (t->header ? 1 : 0);
        for (size_t j = 0; j < t->ncols; j++) {
            double w = cw[j] * scale;
            render_color_t bg = head       ? RENDER_RGB(0xf0f0f0)
                                : t->fills ? t->fills[ri * t->ncols + j]
                                           : RENDER_RGB(0xffffff);
            render_rect(r, x, y, w, rowh, bg);
            render_rect_stroke(r, x, y, w, rowh, 0.5, RENDER_RGB(0xcccccc));
            char *txt = label_text(head ? t->header[j] : t->cells[ri * t->ncols + j],
                                   t->tokens && !head);
            s.bold = head;
            s.color = plot_text_color_on(bg);
            s.max_width = w - 8;
            render_text(r, x + 6, y + rowh / 2, txt, &s);
            free(txt);
            x += w;
        }
    }
    free(cw);
    return 0;
}
