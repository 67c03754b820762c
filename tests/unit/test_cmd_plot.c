/* SPDX-License-Identifier: MIT */
/* test_cmd_plot.c -- the figure magics end to end through interp_run: the display
 * bundle (2x PNG whose pixels match the logical width/height, SVG with --svg, escaped
 * HTML for %examples), the colour of a known cell, and errors that display nothing. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "colormap.h"
#include "interp.h"
#include "render.h"
#include "store.h"

typedef struct rec {
    int ndisplay; /* display calls */
    buf_t png;    /* last PNG */
    int width, height;
    buf_t svg, html, text;
} rec_t;

static void on_stream(void *ctx, int fd, const char *t, size_t len) {
    UNUSED(fd);
    buf_append(&((rec_t *)ctx)->text, t, len);
}

static void on_display(void *ctx, const out_bundle_t *b, int update) {
    UNUSED(update);
    rec_t *r = ctx;
    r->ndisplay++;
    buf_puts(&r->text, b->text);
    buf_putc(&r->text, '\n');
    if (b->png) {
        buf_reset(&r->png);
        buf_append(&r->png, b->png, b->png_len);
        r->width = b->width;
        r->height = b->height;
    }
    if (b->svg) {
        buf_reset(&r->svg);
        buf_puts(&r->svg, b->svg);
    }
    if (b->html) {
        buf_reset(&r->html);
        buf_puts(&r->html, b->html);
    }
}

static void on_result(void *ctx, const out_bundle_t *b) {
    on_display(ctx, b, 0);
}

static void on_clear(void *ctx, int wait) {
    UNUSED(ctx);
    UNUSED(wait);
}

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

static int run(rec_t *r, store_t *s, const char *code, err_t *err) {
    out_t out = {r, on_stream, on_display, on_result, on_clear, NULL, NULL};
    interp_t in = {s, &out, NULL};
    err_clear(err);
    return interp_run(&in, code, err);
}

static void rec_fini(rec_t *r) {
    buf_fini(&r->png);
    buf_fini(&r->svg);
    buf_fini(&r->html);
    buf_fini(&r->text);
}

static void test_bundle_png_svg(void) {
    rec_t r = {0};
    store_t *s = store_new(0);
    err_t e;
    CHECK_EQ_INT(
        run(&r, s,
            "%load p = tests/data/plots/patch.json\n"
            "%heatmap p --width 500 --height 300 --svg --cmap Greys --vmin 0 --vmax 1",
            &e),
        0);
    CHECK_EQ_INT(r.ndisplay, 1);
    CHECK_EQ_INT(r.width, 500);
    CHECK_EQ_INT(r.height, 300);
    reader_t rd = {&r.png, 0};
    cairo_surface_t *img = cairo_image_surface_create_from_png_stream(read_buf, &rd);
    CHECK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
    CHECK_EQ_INT(cairo_image_surface_get_width(img), 500 * RENDER_SCALE);
    CHECK_EQ_INT(cairo_image_surface_get_height(img), 300 * RENDER_SCALE);
    cairo_surface_destroy(img);
    CHECK_CONTAINS(r.svg.data, "<svg");
    CHECK_CONTAINS(r.svg.data, "width=\"500px\"");
    CHECK_CONTAINS(r.text.data, "<heatmap of p [3, 4], colour range 0..1>");
    rec_fini(&r);
    store_free(s);
}

static void test_examples_html_escaped(void) {
    rec_t r = {0};
    store_t *s = store_new(0);
    err_t e;
    CHECK_EQ_INT(run(&r, s,
                     "%load a = tests/data/plots/acts.json\n"
                     "%load t = tests/data/plots/toks6.json\n"
                     "%examples a --feature 1 --tokens t --k 1 --context 2",
                     &e),
                 0);
    /* Token 0 is "<b>": escaped, never markup; token 2 is "Ġ&amp" shown as "␣&amp;amp".
     */
    CHECK_CONTAINS(r.html.data, "&lt;b&gt;");
    CHECK(strstr(r.html.data, "<b>") == NULL);
    CHECK_CONTAINS(r.html.data, "␣&amp;amp");
    CHECK_CONTAINS(r.html.data, "outline:2px solid");
    CHECK(r.png.len == 0);
    rec_fini(&r);
    store_free(s);
}

static void test_errors_display_nothing(void) {
    rec_t r = {0};
    store_t *s = store_new(0);
    err_t e;
    CHECK_EQ_INT(run(&r, s, "%load h = tests/data/plots/heads.json", &e), 0);
    r.ndisplay = 0;
    CHECK_EQ_INT(run(&r, s, "%heatmap h", &e), -1);
    CHECK_EQ_STR(e.kind, "ShapeError");
    CHECK_EQ_INT(run(&r, s, "%heatmap h[0] --cmap bogus", &e), -1);
    CHECK_EQ_STR(e.kind, "ValueError");
    CHECK_EQ_INT(run(&r, s, "%curves h", &e), -1);
    CHECK_EQ_STR(e.kind, "TypeError");
    CHECK_EQ_INT(run(&r, s, "%pareto nothing_here", &e), -1);
    CHECK_EQ_STR(e.kind, "NameError");
    CHECK_EQ_INT(r.ndisplay, 0);
    rec_fini(&r);
    store_free(s);
}

static void test_shutdown(void) {
    render_shutdown();
    CHECK(1);
}

CHECK_MAIN(test_bundle_png_svg, test_examples_html_escaped, test_errors_display_nothing,
           test_shutdown)
