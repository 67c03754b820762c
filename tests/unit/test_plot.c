/* SPDX-License-Identifier: MIT */
/* test_plot.c -- plot.c: pixel probes on heatmaps (colour of known cells equals the
 * colormap entry), centred diverging maps, NaN marking, pooling, ticks, and errors. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "colormap.h"
#include "plot.h"
#include "render.h"

typedef struct {
    const buf_t *b;
    size_t pos;
} reader_t;

static cairo_status_t read_buf(void *closure, unsigned char *data, unsigned int len) {
    reader_t *rd = closure;
    if (rd->pos + len > rd->b->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, rd->b->data + rd->pos, len);
    rd->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Render r to PNG and decode it (the PNG writer is part of what is tested). */
static cairo_surface_t *to_image(render_t *r) {
    buf_t png = BUF_INIT;
    err_t e;
    if (render_png(r, &png, &e) < 0) {
        buf_fini(&png);
        return NULL;
    }
    reader_t rd = {&png, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_buf, &rd);
    buf_fini(&png);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

static uint32_t pixel(cairo_surface_t *s, double x, double y) {
    int ix = (int)(x * RENDER_SCALE), iy = (int)(y * RENDER_SCALE);
    const unsigned char *d = cairo_image_surface_get_data(s);
    uint32_t v;
    memcpy(&v,
           d + (size_t)iy * (size_t)cairo_image_surface_get_stride(s) + (size_t)ix * 4,
           4);
    return v & 0xffffff;
}

static uint32_t cmap_rgb(const char *name, double v, double lo, double hi) {
    colormap_sel_t sel;
    if (colormap_select(name, &sel) < 0)
        return 0xdeadbeef;
    uint8_t c[3];
    colormap_rgb8(&sel, v, lo, hi, c);
    return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

static uint32_t cell_pixel(cairo_surface_t *s, plot_rect_t g, int64_t rows, int64_t cols,
                           int64_t i, int64_t j, double fx, double fy) {
    return pixel(s, g.x + ((double)j + fx) * g.w / (double)cols,
                 g.y + ((double)i + fy) * g.h / (double)rows);
}

static void test_heatmap_cells_are_colormap_entries(void) {
    double v[12] = {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.55};
    const char *xl[4] = {"\xC4\xA0the", "cat", "\n", "日本"};
    plot_rect_t g = {0};
    plot_heatmap_t h = {.values = v,
                        .rows = 3,
                        .cols = 4,
                        .xlabels = xl,
                        .tokens_x = 1,
                        .colorbar = 1,
                        .title = "probe",
                        .grid_out = &g};
    err_t e;
    render_t *r = render_new(400, 300, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 400, 300}, &h, &e), 0);
    cairo_surface_t *s = to_image(r);
    CHECK(s != NULL);
    CHECK_EQ_INT(cairo_image_surface_get_width(s), 800);
    CHECK_EQ_INT(cairo_image_surface_get_height(s), 600);
    CHECK(g.w > 50 && g.h > 30);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            uint32_t want = cmap_rgb("viridis", v[i * 4 + j], 0.0, 1.0);
            CHECK_EQ_INT(cell_pixel(s, g, 3, 4, i, j, 0.5, 0.5), want);
            CHECK_EQ_INT(cell_pixel(s, g, 3, 4, i, j, 0.2, 0.8), want);
        }
    /* The extremes are viridis[0] and viridis[255]. */
    CHECK_EQ_INT(cell_pixel(s, g, 3, 4, 0, 0, 0.5, 0.5), 0x440154);
    CHECK_EQ_INT(cell_pixel(s, g, 3, 4, 2, 2, 0.5, 0.5), 0xfde724);
    cairo_surface_destroy(s);
    render_free(r);
}

static void test_limits_and_cmap_flags(void) {
    double v[4] = {-5, 0, 5, 10};
    plot_rect_t g;
    plot_heatmap_t h = {.values = v,
                        .rows = 1,
                        .cols = 4,
                        .cmap = "Greys",
                        .vmin = 0,
                        .vmax = 5,
                        .has_vmin = 1,
                        .has_vmax = 1,
                        .grid_out = &g};
    err_t e;
    render_t *r = render_new(300, 120, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 120}, &h, &e), 0);
    cairo_surface_t *s = to_image(r);
    CHECK_EQ_INT(cell_pixel(s, g, 1, 4, 0, 0, 0.5, 0.5), 0xffffff); /* under: Greys[0] */
    CHECK_EQ_INT(cell_pixel(s, g, 1, 4, 0, 3, 0.5, 0.5), 0x000000); /* over: Greys[255] */
    CHECK_EQ_INT(cell_pixel(s, g, 1, 4, 0, 1, 0.5, 0.5), 0xffffff);
    CHECK_EQ_INT(cell_pixel(s, g, 1, 4, 0, 2, 0.5, 0.5), 0x000000);
    cairo_surface_destroy(s);
    render_free(r);
    h.cmap = "no_such_map";
    r = render_new(300, 120, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 120}, &h, &e), -1);
    CHECK_EQ_STR(e.kind, "ValueError");
    CHECK_CONTAINS(e.msg, "no_such_map");
    render_free(r);
}

static void test_centred_diverging_map(void) {
    /* Asymmetric data centred at 0: limits become [-4, 4], so 0 is the middle entry
     * of RdBu_r (near white) and -4 the darkest blue. */
    double v[3] = {-4, 0, 1};
    plot_rect_t g;
    plot_heatmap_t h = {.values = v, .rows = 1, .cols = 3, .centered = 1, .grid_out = &g};
    double lo, hi;
    plot_heatmap_limits(&h, &lo, &hi);
    CHECK_EQ_DBL(lo, -4, 0);
    CHECK_EQ_DBL(hi, 4, 0);
    err_t e;
    render_t *r = render_new(300, 140, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 140}, &h, &e), 0);
    cairo_surface_t *s = to_image(r);
    uint32_t mid = cell_pixel(s, g, 1, 3, 0, 1, 0.5, 0.5);
    CHECK_EQ_INT(mid, cmap_rgb("RdBu_r", 0, -4, 4));
    CHECK((mid >> 16 & 0xff) >= 240 && (mid >> 8 & 0xff) >= 240 && (mid & 0xff) >= 240);
    CHECK_EQ_INT(cell_pixel(s, g, 1, 3, 0, 0, 0.5, 0.5), 0x053061); /* RdBu_r[0] */
    cairo_surface_destroy(s);
    render_free(r);
    /* A centre other than 0, and explicit half-width through vmax. */
    double w[2] = {1, 3};
    plot_heatmap_t h2 = {.values = w,
                         .rows = 1,
                         .cols = 2,
                         .centered = 1,
                         .center = 2,
                         .vmax = 10,
                         .has_vmax = 1};
    plot_heatmap_limits(&h2, &lo, &hi);
    CHECK_EQ_DBL(lo, -6, 0);
    CHECK_EQ_DBL(hi, 10, 0);
}

static void test_nan_cells_are_marked(void) {
    double v[4] = {0, (double)NAN, 1, (double)INFINITY};
    plot_rect_t g;
    plot_heatmap_t h = {.values = v, .rows = 2, .cols = 2, .grid_out = &g};
    err_t e;
    render_t *r = render_new(300, 300, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 300}, &h, &e), 0);
    cairo_surface_t *s = to_image(r);
    uint32_t nan_fill = cell_pixel(s, g, 2, 2, 0, 1, 0.2, 0.2); /* off the hatch line */
    CHECK_EQ_INT(nan_fill, 0xe0e0e0);
    uint32_t hatch = cell_pixel(s, g, 2, 2, 0, 1, 0.5, 0.5);
    CHECK(hatch != 0xe0e0e0);
    CHECK((hatch >> 16 & 0xff) == (hatch & 0xff)); /* grey */
    /* +inf takes the top colour; limits come from the finite values only. */
    CHECK_EQ_INT(cell_pixel(s, g, 2, 2, 1, 1, 0.5, 0.5), 0xfde724);
    cairo_surface_destroy(s);
    render_free(r);
    /* All NaN: a sensible picture, not an error. */
    double all[2] = {(double)NAN, (double)NAN};
    plot_heatmap_t h2 = {.values = all, .rows = 1, .cols = 2};
    r = render_new(200, 120, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 200, 120}, &h2, &e), 0);
    render_free(r);
}

static void test_large_map_pooled_keeps_spike(void) {
    int64_t rows = 5000, cols = 3;
    double *v = calloc((size_t)(rows * cols), sizeof *v);
    v[4321 * cols + 1] = 1.0; /* one sharp value */
    v[0] = 0.0;
    const char **labels = calloc((size_t)rows, sizeof *labels);
    for (int64_t i = 0; i < rows; i++)
        labels[i] = "tok";
    plot_rect_t g;
    plot_heatmap_t h = {.values = v,
                        .rows = rows,
                        .cols = cols,
                        .ylabels = labels,
                        .cmap = "Greys",
                        .grid_out = &g};
    err_t e;
    render_t *r = render_new(300, 600, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 600}, &h, &e), 0);
    cairo_surface_t *s = to_image(r);
    int black = 0;
    for (double y = g.y + 1; y < g.y + g.h - 1; y += 0.5)
        if (pixel(s, g.x + g.w / 2, y) == 0x000000)
            black++;
    CHECK(black >= 1);
    cairo_surface_destroy(s);
    render_free(r);
    free(labels);
    free(v);
}

static void test_grid_bars_hist_lines_scatter_table(void) {
    err_t e;
    double v[2 * 3 * 3];
    for (int i = 0; i < 18; i++)
        v[i] = i / 17.0;
    const char *titles[2] = {"L0H0", "L0H1"};
    plot_grid_t g = {.values = v, .n = 2, .rows = 3, .cols = 3, .titles = titles};
    render_t *r = render_new(400, 250, &e);
    CHECK_EQ_INT(plot_heatmap_grid(r, (plot_rect_t){0, 0, 400, 250}, &g, &e), 0);
    cairo_surface_t *s = to_image(r);
    /* The last cell of the second map is the maximum: Blues[255] somewhere. */
    int found = 0;
    for (int y = 0; y < 500 && !found; y++)
        for (int x = 0; x < 800 && !found; x++) {
            const unsigned char *d = cairo_image_surface_get_data(s);
            uint32_t p;
            memcpy(&p,
                   d + (size_t)y * (size_t)cairo_image_surface_get_stride(s) +
                       (size_t)x * 4,
                   4);
            found = (p & 0xffffff) == 0x08306b;
        }
    CHECK(found);
    cairo_surface_destroy(s);
    render_free(r);
    plot_grid_t bad = {.values = v, .n = 0, .rows = 3, .cols = 3};
    r = render_new(200, 200, &e);
    CHECK_EQ_INT(plot_heatmap_grid(r, (plot_rect_t){0, 0, 200, 200}, &bad, &e), -1);
    render_free(r);

    double bv[3] = {2, -1, (double)NAN};
    const char *bn[3] = {"pos", "neg", "nan"};
    plot_bars_t b = {.values = bv, .names = bn, .n = 3, .value_labels = 1};
    r = render_new(300, 200, &e);
    CHECK_EQ_INT(plot_bars(r, (plot_rect_t){0, 0, 300, 200}, &b, &e), 0);
    s = to_image(r);
    int pos = 0, neg = 0;
    for (int y = 0; y < 400; y++)
        for (int x = 0; x < 600; x++) {
            uint32_t p = pixel(s, x / 2.0, y / 2.0);
            pos += p == 0xd6604d;
            neg += p == 0x4393c3;
        }
    CHECK(pos > 100 && neg > 50 && pos > neg); /* the positive bar is twice as long */
    cairo_surface_destroy(s);
    render_free(r);
    b.n = 0;
    r = render_new(300, 200, &e);
    CHECK_EQ_INT(plot_bars(r, (plot_rect_t){0, 0, 300, 200}, &b, &e), -1);
    render_free(r);

    double hv[6] = {1, 2, 2, 3, (double)NAN, (double)INFINITY};
    plot_hist_t hh = {.values = hv, .n = 6, .bins = 3, .legend = "zero: 50%"};
    r = render_new(300, 200, &e);
    CHECK_EQ_INT(plot_hist(r, (plot_rect_t){0, 0, 300, 200}, &hh, &e), 0);
    hh.bins = 0;
    CHECK_EQ_INT(plot_hist(r, (plot_rect_t){0, 0, 300, 200}, &hh, &e), -1);
    hh.bins = 5;
    hh.n = 0;
    CHECK_EQ_INT(plot_hist(r, (plot_rect_t){0, 0, 300, 200}, &hh, &e), -1);
    CHECK_CONTAINS(e.msg, "no finite values");
    render_free(r);

    double ly[4] = {1, (double)NAN, 3, 4}, lx[4] = {0, 1, 2, 3};
    plot_series_t se = {.x = lx, .y = ly, .n = 4, .label = "loss"};
    plot_lines_t pl = {.series = &se, .nseries = 1, .logy = 1, .title = "t"};
    r = render_new(300, 200, &e);
    CHECK_EQ_INT(plot_lines(r, (plot_rect_t){0, 0, 300, 200}, &pl, &e), 0);
    pl.nseries = 0;
    CHECK_EQ_INT(plot_lines(r, (plot_rect_t){0, 0, 300, 200}, &pl, &e), -1);
    render_free(r);

    double sx[3] = {0, 1, (double)NAN}, sy[3] = {0, 1, 2};
    int cat[3] = {0, 1, 5};
    const char *cn[2] = {"a", "b"};
    plot_scatter_t sc = {
        .x = sx, .y = sy, .n = 3, .category = cat, .category_names = cn, .ncat = 2};
    r = render_new(300, 200, &e);
    CHECK_EQ_INT(plot_scatter(r, (plot_rect_t){0, 0, 300, 200}, &sc, &e), -1);
    CHECK_CONTAINS(e.msg, "category 5");
    cat[2] = 1;
    CHECK_EQ_INT(plot_scatter(r, (plot_rect_t){0, 0, 300, 200}, &sc, &e), 0);
    render_free(r);

    const char *cells[4] = {"a", "\xC4\xA0\x62" /* Ġb */, "🙂", "<&>"};
    plot_table_t t = {.cells = cells, .nrows = 2, .ncols = 2, .tokens = 1};
    r = render_new(200, 100, &e);
    CHECK_EQ_INT(plot_table(r, (plot_rect_t){0, 0, 200, 100}, &t, &e), 0);
    t.nrows = 0;
    CHECK_EQ_INT(plot_table(r, (plot_rect_t){0, 0, 200, 100}, &t, &e), -1);
    render_free(r);
}

static void test_ticks(void) {
    double t[PLOT_MAX_TICKS], step;
    int n = plot_nice_ticks(0, 1, 5, t, PLOT_MAX_TICKS, &step);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_DBL(step, 0.2, 1e-12);
    CHECK_EQ_DBL(t[5], 1.0, 1e-12);
    n = plot_nice_ticks(0, 12.5, 5, t, PLOT_MAX_TICKS, &step);
    CHECK_EQ_DBL(step, 2.5, 1e-12);
    CHECK_EQ_INT(n, 6);
    n = plot_nice_ticks(-3, 7, 5, t, PLOT_MAX_TICKS, &step);
    CHECK_EQ_DBL(step, 2, 1e-12);
    CHECK_EQ_DBL(t[0], -2, 1e-12);
    /* A symmetric colour range of a short colorbar still gets ticks besides 0. */
    n = plot_nice_ticks(-0.92, 0.92, 3, t, PLOT_MAX_TICKS, &step);
    CHECK(n >= 3);
    CHECK_EQ_DBL(step, 0.5, 1e-12);
    CHECK_EQ_DBL(t[0], -0.5, 1e-12);
    CHECK_EQ_INT(plot_nice_ticks(3, 3, 5, t, PLOT_MAX_TICKS, &step), 1);
    CHECK_EQ_INT(plot_nice_ticks(0, (double)NAN, 5, t, PLOT_MAX_TICKS, &step), 0);
    CHECK_EQ_INT(plot_nice_ticks(0, 1e300, 5, t, 3, &step) <= 3, 1);
    char s[64];
    plot_format_tick(-0.5, 0.25, s, sizeof s);
    CHECK_EQ_STR(s, "\xE2\x88\x92"
                    "0.50");
    plot_format_tick(2.5, 2.5, s, sizeof s);
    CHECK_EQ_STR(s, "2.5");
    plot_format_tick(20000, 5000, s, sizeof s);
    CHECK_EQ_STR(s, "20000");
    plot_format_tick(0, 0.1, s, sizeof s);
    CHECK_EQ_STR(s, "0.0");
    plot_format_tick(3e-7, 1e-7, s, sizeof s);
    CHECK_EQ_STR(s, "3e-07");
}

static void test_svg_and_text_color(void) {
    double v[2] = {0, 1};
    plot_heatmap_t h = {.values = v, .rows = 1, .cols = 2, .annotate = 1, .title = "a<b"};
    err_t e;
    render_t *r = render_new_svg(300, 150, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 300, 150}, &h, &e), 0);
    buf_t svg = BUF_INIT;
    CHECK_EQ_INT(render_svg(r, &svg, &e), 0);
    CHECK_CONTAINS(svg.data, "<svg");
    CHECK_CONTAINS(svg.data, "<image");
    buf_fini(&svg);
    render_free(r);
    render_color_t dark = RENDER_RGB(0x440154), light = RENDER_RGB(0xfde725);
    CHECK_EQ_DBL(plot_text_color_on(dark).r, 1, 0);
    CHECK_EQ_DBL(plot_text_color_on(light).r, 0, 0);
    /* Empty input is an error, not a crash. */
    plot_heatmap_t empty = {.values = v, .rows = 0, .cols = 2};
    r = render_new(100, 100, &e);
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 100, 100}, &empty, &e), -1);
    CHECK_EQ_STR(e.kind, "ValueError");
    /* A figure far too small for its map says so. */
    double big[400];
    for (int i = 0; i < 400; i++)
        big[i] = i;
    plot_heatmap_t tiny = {
        .values = big, .rows = 20, .cols = 20, .colorbar = 1, .title = "a title"};
    CHECK_EQ_INT(plot_heatmap(r, (plot_rect_t){0, 0, 30, 30}, &tiny, &e), -1);
    render_free(r);
}

static void test_shutdown(void) {
    render_shutdown();
    CHECK(1);
}

CHECK_MAIN(test_heatmap_cells_are_colormap_entries, test_limits_and_cmap_flags,
           test_centred_diverging_map, test_nan_cells_are_marked,
           test_large_map_pooled_keeps_spike, test_grid_bars_hist_lines_scatter_table,
           test_ticks, test_svg_and_text_color, test_shutdown)
