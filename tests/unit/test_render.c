/* SPDX-License-Identifier: MIT */
/* test_render.c -- render.c: PNG/SVG output, sizes, pixel colours, text and fonts. */
#include <cairo.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
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

/* Decode a PNG buffer (NULL if it is not a valid PNG). */
static cairo_surface_t *decode(const buf_t *b) {
    reader_t rd = {b, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_buf, &rd);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    return s;
}

static uint32_t pixel(cairo_surface_t *s, int x, int y) {
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    uint32_t v;
    memcpy(&v, d + (size_t)y * (size_t)cairo_image_surface_get_stride(s) + (size_t)x * 4,
           4);
    return v & 0xffffff;
}

static void test_png_size_and_colours(void) {
    err_t e;
    render_t *r = render_new(120, 80, &e);
    CHECK(r != NULL);
    CHECK_EQ_INT(render_width(r), 120);
    render_rect(r, 10, 10, 20, 20, RENDER_RGB(0x1f77b4));
    render_line(r, 60, 0, 60, 80, 4, RENDER_RGB(0xd62728));
    uint32_t img[4] = {0xff000000, 0xffff0000, 0xff00ff00, 0xff0000ff};
    CHECK_EQ_INT(render_image(r, 80, 40, 40, 40, img, 2, 2, 0, &e), 0);
    buf_t png = BUF_INIT;
    CHECK_EQ_INT(render_png(r, &png, &e), 0);
    CHECK(png.len > 8 && memcmp(png.data, "\x89PNG", 4) == 0);
    cairo_surface_t *s = decode(&png);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_INT(cairo_image_surface_get_width(s), 240);
        CHECK_EQ_INT(cairo_image_surface_get_height(s), 160);
        CHECK_EQ_INT(pixel(s, 2, 2), 0xffffff);     /* white background */
        CHECK_EQ_INT(pixel(s, 40, 40), 0x1f77b4);   /* inside the rect at 2x */
        CHECK_EQ_INT(pixel(s, 120, 100), 0xd62728); /* on the line */
        CHECK_EQ_INT(pixel(s, 170, 90), 0x000000);  /* image cell (0,0) */
        CHECK_EQ_INT(pixel(s, 230, 90), 0xff0000);  /* (0,1): sharp, not blended */
        CHECK_EQ_INT(pixel(s, 170, 150), 0x00ff00);
        CHECK_EQ_INT(pixel(s, 230, 150), 0x0000ff);
        CHECK_EQ_INT(pixel(s, 161, 90), 0x000000); /* nearest: no blur at the edge */
        cairo_surface_destroy(s);
    }
    buf_t svg = BUF_INIT;
    CHECK_EQ_INT(render_svg(r, &svg, &e), -1); /* a PNG drawing */
    buf_fini(&png);
    render_free(r);

    r = render_new_scaled(120, 80, 1, &e);
    buf_t png1 = BUF_INIT;
    CHECK_EQ_INT(render_png(r, &png1, &e), 0);
    s = decode(&png1);
    CHECK(s && cairo_image_surface_get_width(s) == 120);
    cairo_surface_destroy(s);
    buf_fini(&png1);
    render_free(r);
    CHECK(render_new_scaled(10, 10, 9, &e) == NULL);
    CHECK_EQ_STR(e.kind, "ValueError");

    r = render_new_svg(120, 80, &e);
    render_rect(r, 10, 10, 20, 20, RENDER_RGB(0x1f77b4));
    render_text(r, 5, 5, "a<b&c", NULL);
    CHECK_EQ_INT(render_png(r, &png1, &e), -1);
    CHECK_EQ_INT(render_svg(r, &svg, &e), 0);
    CHECK_CONTAINS(svg.data, "<svg");
    CHECK_CONTAINS(svg.data, "width=\"120px\"");
    CHECK_CONTAINS(svg.data, "rgb(12.156863%,46.666667%,70.588235%)");
    CHECK_EQ_INT(render_svg(r, &svg, &e), -1); /* finished */
    buf_fini(&svg);
    buf_fini(&png1);
    render_free(r);
}

static void test_bad_sizes(void) {
    err_t e;
    CHECK(render_new(0, 10, &e) == NULL);
    CHECK_EQ_STR(e.kind, "ValueError");
    CHECK(render_new(10, RENDER_MAX_SIDE + 1, &e) == NULL);
    CHECK(render_new(-5, -5, NULL) == NULL);
    render_free(NULL);
    render_t *r = render_new(10, 10, &e);
    uint32_t px = 0;
    CHECK_EQ_INT(render_image(r, 0, 0, 1, 1, &px, 0, 1, 0, &e), -1);
    CHECK_EQ_INT(render_image(r, 0, 0, 1, 1, &px, 1, 40000, 0, &e), -1);
    render_free(r);
}

static void test_text_fonts(void) {
    err_t e;
    render_t *r = render_new(300, 100, &e);
    render_text_style_t st = {.size = 14};
    CHECK_EQ_INT(render_text_missing(r, "hello wörld", &st), 0);
    if (render_text_missing(r, "日本語 中文 한국어", &st) != 0)
        fprintf(stderr, "  fonts missing: install fonts-noto-core fonts-noto-cjk "
                        "fonts-noto-color-emoji (see README)\n");
    CHECK_EQ_INT(render_text_missing(r, "日本語 中文 한국어", &st), 0);
    CHECK_EQ_INT(render_text_missing(r, "Ελληνικά русский עברית العربية हिन्दी", &st), 0);
    CHECK_EQ_INT(render_text_missing(r, "🙂🚀", &st), 0);
    CHECK_EQ_INT(render_text_missing(r, "\xC4\xA0the", &st), 0); /* Ġthe */
    double w1, w2, h;
    render_text_size(r, "ab", &st, &w1, &h);
    render_text_size(r, "abab", &st, &w2, NULL);
    CHECK(w1 > 5 && w2 > 1.8 * w1 && h > 10);
    /* Emoji come from a colour font: some drawn pixel is strongly coloured. */
    st.size = 40;
    render_text(r, 10, 10, "🚀", &st);
    st.angle = 90;
    render_text(r, 200, 90, "abc", &st);
    render_text(r, 0, 0, "\xff\xfe bad utf8", NULL);
    buf_t png = BUF_INIT;
    CHECK_EQ_INT(render_png(r, &png, &e), 0);
    cairo_surface_t *s = decode(&png);
    int coloured = 0, dark_rot = 0;
    for (int y = 0; s && y < 200; y++)
        for (int x = 0; x < 600; x++) {
            uint32_t p = pixel(s, x, y);
            int cr = p >> 16 & 0xff, cg = p >> 8 & 0xff, cb = p & 0xff;
            int mx = cr > cg ? (cr > cb ? cr : cb) : (cg > cb ? cg : cb);
            int mn = cr < cg ? (cr < cb ? cr : cb) : (cg < cb ? cg : cb);
            if (x < 160 && mx - mn > 80)
                coloured++;
            if (x >= 400 && x < 460 && mx < 100)
                dark_rot++;
        }
    CHECK(coloured > 50);
    CHECK(dark_rot > 20); /* the rotated text went upwards from (200, 90) */
    cairo_surface_destroy(s);
    buf_fini(&png);
    render_free(r);
}

static void test_token_labels(void) {
    struct {
        const char *in, *out;
    } cases[] = {
        {"\xC4\xA0the", "␣the"},
        {"\xE2\x96\x81of", "␣of"},
        {" x", "␣x"},
        {"a\nb", "a↵b"},
        {"\xC4\x8A", "↵"},
        {"\t", "→"},
        {"", "∅"},
        {"\x01", "\\x01"},
        {"ok\xff", "ok\xEF\xBF\xBD"},
        {"日本", "日本"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_t b = BUF_INIT;
        render_token_label(cases[i].in, &b);
        CHECK_EQ_STR(b.data, cases[i].out);
        buf_fini(&b);
    }
    buf_t b = BUF_INIT;
    render_token_label(NULL, &b);
    CHECK_EQ_STR(b.data, "∅");
    buf_fini(&b);
}

static void test_shutdown(void) {
    render_shutdown(); /* must be last: leak checkers then see a clean exit */
    CHECK(1);
}

CHECK_MAIN(test_png_size_and_colours, test_bad_sizes, test_text_fonts, test_token_labels,
           test_shutdown)
