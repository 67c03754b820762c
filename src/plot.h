/* SPDX-License-Identifier: MIT */
/* plot.h -- charts on render.c: axes, ticks, colorbars, legends and the chart types.
 *
 * Each chart function draws into a rectangle of a render_t (so figures compose: a
 * dashboard is a few charts side by side) from a spec struct the caller fills in. Specs
 * borrow everything they point to. Values are doubles; NaN and infinities are allowed
 * everywhere and are either marked (heatmap cells) or skipped (lines, points, bins),
 * never drawn as garbage. All functions return 0, or -1 with err set (ValueError for
 * bad arguments such as an unknown colormap or mismatched lengths); a partially drawn
 * figure is then discarded by the caller. Nothing here knows about tensors or magics.
 *
 * Conventions shared by every spec:
 *   - title / xlabel / ylabel: NULL or "" for none;
 *   - cmap: a matplotlib name (colormap.h), NULL for the chart's default;
 *   - has_vmin / has_vmax: 1 to use vmin / vmax, else the finite data range is used;
 *   - token labels (tokens_x, ...) are passed through render_token_label, so 'Ġ', '\n'
 *     and friends are visible. */
#ifndef MECHVIZ_PLOT_H
#define MECHVIZ_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "render.h"
#include "util.h"

#define PLOT_MAX_SERIES 16  /* line series per panel */
#define PLOT_MAX_TICKS 32   /* ticks per axis */
#define PLOT_MAX_CELLS 2048 /* heatmap cells per axis drawn; larger inputs are pooled */

typedef struct plot_rect {
    double x, y, w, h; /* logical px */
} plot_rect_t;

/* --- heatmap ------------------------------------------------------------------------ */
typedef struct plot_heatmap {
    const double *values; /* rows * cols, row-major; NaN cells are hatched */
    int64_t rows, cols;
    const char *const *xlabels; /* cols labels (bottom), or NULL for indices */
    const char *const *ylabels; /* rows labels (left), or NULL for indices */
    int tokens_x, tokens_y;     /* 1: labels are model tokens (visible markers) */
    int64_t x_offset, y_offset; /* first index shown by numeric ticks (slices) */
    int64_t x_stride, y_stride; /* data indices per cell of a pre-pooled map (0 = 1) */
    const char *cmap;           /* default viridis, or RdBu_r when centered */
    double vmin, vmax;
    int has_vmin, has_vmax;
    int centered; /* 1: limits symmetric around `center` */
    double center;
    const char *const *cell_text; /* rows * cols strings drawn in cells, or NULL */
    int annotate;                 /* 1: print each value in its cell (small maps) */
    int colorbar;                 /* 1: draw a colorbar on the right */
    const char *cbar_label;
    const char *title, *xlabel, *ylabel;
    plot_rect_t *grid_out; /* if non-NULL, receives where the cells went (px) */
} plot_heatmap_t;

int plot_heatmap(render_t *r, plot_rect_t area, const plot_heatmap_t *h, err_t *err);
void plot_heatmap_limits(const plot_heatmap_t *h, double *vmin, double *vmax);

/* --- grid of small heatmaps (attention heads) --------------------------------------- */
typedef struct plot_grid {
    const double *values; /* n * rows * cols, row-major */
    int64_t n, rows, cols;
    int ncols;                 /* panels per row; 0 = automatic */
    const char *const *titles; /* n panel titles ("L0H3"), or NULL for "#i" */
    const char *cmap;          /* default Blues */
    double vmin, vmax;
    int has_vmin, has_vmax;
    const char *title;
} plot_grid_t;

int plot_heatmap_grid(render_t *r, plot_rect_t area, const plot_grid_t *g, err_t *err);

/* --- horizontal bars ------------------------------------------------------------------
 */
typedef struct plot_bars {
    const double *values;     /* n values, drawn top to bottom in the given order */
    const char *const *names; /* n names (left of the axis) */
    size_t n;
    int tokens;              /* 1: names are model tokens */
    render_color_t pos, neg; /* bar colours by sign (a == 0: defaults) */
    int value_labels;        /* 1: print each value at the bar's end */
    const char *title, *xlabel;
} plot_bars_t;

int plot_bars(render_t *r, plot_rect_t area, const plot_bars_t *b, err_t *err);

/* --- histogram ------------------------------------------------------------------------
 */
typedef struct plot_hist {
    const double *values; /* n samples; non-finite ones are ignored */
    size_t n;
    int bins;             /* 1..10000 */
    int logy;             /* 1: logarithmic counts */
    render_color_t color; /* a == 0: tab10 blue */
    const char *legend;   /* one legend line (e.g. "zero: 93.1%"), or NULL */
    const char *title, *xlabel, *ylabel;
} plot_hist_t;

int plot_hist(render_t *r, plot_rect_t area, const plot_hist_t *h, err_t *err);

/* --- lines ----------------------------------------------------------------------------
 */
typedef struct plot_series {
    const double *x; /* n x values, or NULL for 0..n-1 */
    const double *y; /* n y values; non-finite values break the line */
    size_t n;
    const char *label;    /* legend text, or NULL */
    render_color_t color; /* a == 0: tab10 by series index */
    int markers;          /* 1: dots at the points */
} plot_series_t;

typedef struct plot_lines {
    const plot_series_t *series;
    size_t nseries; /* 1..PLOT_MAX_SERIES */
    int logy;       /* 1: logarithmic y (non-positive values skipped) */
    const char *title, *xlabel, *ylabel;
} plot_lines_t;

int plot_lines(render_t *r, plot_rect_t area, const plot_lines_t *l, err_t *err);

/* --- scatter --------------------------------------------------------------------------
 */
typedef struct plot_scatter {
    const double *x, *y; /* n points; non-finite points are skipped */
    size_t n;
    const int *category;               /* n category indices (tab10, legend), or NULL */
    const char *const *category_names; /* ncat names for the legend, or NULL */
    size_t ncat;
    const double *color_values; /* n values coloured with cmap + colorbar, or NULL */
    const char *cmap;           /* default viridis */
    const char *cbar_label;
    const char *const *point_labels; /* n labels drawn next to points, or NULL */
    double radius;                   /* px; 0 = automatic */
    const char *title, *xlabel, *ylabel;
} plot_scatter_t;

int plot_scatter(render_t *r, plot_rect_t area, const plot_scatter_t *s, err_t *err);

/* --- table ----------------------------------------------------------------------------
 */
typedef struct plot_table {
    const char *const *header; /* ncols column titles, or NULL */
    const char *const *cells;  /* nrows * ncols strings, row-major */
    size_t nrows, ncols;
    const render_color_t *fills; /* nrows * ncols cell backgrounds, or NULL */
    int tokens;                  /* 1: cells are model tokens */
    const char *title;
} plot_table_t;

int plot_table(render_t *r, plot_rect_t area, const plot_table_t *t, err_t *err);

/* --- building blocks ------------------------------------------------------------------
 */
int plot_nice_ticks(double lo, double hi, int target, double *ticks, int cap,
                    double *step);
void plot_format_tick(double v, double step, char *out, size_t cap);
void plot_title(render_t *r, plot_rect_t *area, const char *title);
int plot_colorbar(render_t *r, plot_rect_t box, const char *cmap, double vmin,
                  double vmax, const char *label, err_t *err);
void plot_legend(render_t *r, plot_rect_t box, const char *const *labels,
                 const render_color_t *colors, size_t n, int swatch);
render_color_t plot_text_color_on(render_color_t bg);

#endif
