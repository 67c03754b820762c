/* SPDX-License-Identifier: MIT */
/* render.c -- drawing surfaces, text and image output on cairo + pango.
 *
 * A PNG drawing is an image surface at 2x the logical size (sharp on high-DPI screens),
 * encoded by a small zlib-based writer into a buf_t; an SVG drawing is an SVG stream
 * surface writing into a buf_t. (Replaying one recording surface into both leaks in
 * cairo 1.16's SVG backend, so a figure wanting both formats is drawn twice.) Text
 * is laid out by pango so fontconfig picks fallback fonts (CJK, Arabic, emoji) per
 * character. This file knows nothing of plots, tensors or Jupyter; it must not keep any
 * state outside the render_t it is given. */
#include "render.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>
#include <zlib.h>

struct render {
    int width, height;        /* logical size in px */
    int scale;                /* device pixels per logical pixel (1 for SVG) */
    cairo_surface_t *surface; /* image surface (PNG) or SVG stream surface */
    cairo_t *cr;              /* drawing context on surface, scaled to logical px */
    PangoLayout *layout;      /* reused text layout bound to cr */
    buf_t svg;                /* SVG mode: the document written so far */
    int is_svg;               /* 1 for a render_new_svg drawing */
    int finished;             /* 1 once render_svg has closed the document */
};

/* ================================================================================ */
/* surfaces and output                                                              */
/* ================================================================================ */

static cairo_status_t write_buf(void *closure, const unsigned char *data,
                                unsigned int len) {
    buf_append((buf_t *)closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static render_t *make(int width, int height, int scale, int svg, err_t *err) {
    if (width < 1 || height < 1 || width > RENDER_MAX_SIDE || height > RENDER_MAX_SIDE) {
        err_set(err, "ValueError",
                "figure size %dx%d is out of range (1..%d px per side)", width, height,
                RENDER_MAX_SIDE);
        return NULL;
    }
    if (scale < 1 || scale > 4) {
        err_set(err, "ValueError", "render scale %d is out of range (1..4)", scale);
        return NULL;
    }
    render_t *r = xcalloc(1, sizeof *r);
    r->width = width;
    r->height = height;
    r->scale = svg ? 1 : scale;
    r->is_svg = svg;
    if (svg) {
        r->surface =
            cairo_svg_surface_create_for_stream(write_buf, &r->svg, width, height);
        cairo_svg_surface_set_document_unit(r->surface, CAIRO_SVG_UNIT_PX);
    } else {
        r->surface =
            cairo_image_surface_create(CAIRO_FORMAT_RGB24, width * scale, height * scale);
    }
    if (cairo_surface_status(r->surface) != CAIRO_STATUS_SUCCESS) {
        err_set(err, "ValueError", "cannot create a %dx%d drawing surface: %s", width,
                height, cairo_status_to_string(cairo_surface_status(r->surface)));
        cairo_surface_destroy(r->surface);
        buf_fini(&r->svg);
        free(r);
        return NULL;
    }
    r->cr = cairo_create(r->surface);
    cairo_scale(r->cr, r->scale, r->scale);
    /* Unhinted metrics so text is laid out the same in the PNG and the SVG. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_set_font_options(r->cr, fo);
    cairo_font_options_destroy(fo);
    r->layout = pango_cairo_create_layout(r->cr);
    render_fill(r, RENDER_RGB(0xffffff));
    return r;
}

/* render_new -- a white PNG drawing of width x height logical pixels, backed by an image
 * of RENDER_SCALE times that size. Returns a new render_t the caller frees with
 * render_free, or NULL with err set ("ValueError") when a side is not in
 * 1..RENDER_MAX_SIDE or the image cannot be allocated. */
render_t *render_new(int width, int height, err_t *err) {
    return make(width, height, RENDER_SCALE, 0, err);
}

/* render_new_scaled -- as render_new with `scale` (1..4) image pixels per logical px. */
render_t *render_new_scaled(int width, int height, int scale, err_t *err) {
    return make(width, height, scale, 0, err);
}

/* render_new_svg -- a white SVG drawing (px units) of width x height; render_svg returns
 * the document. To offer both formats, a caller draws the same figure twice. */
render_t *render_new_svg(int width, int height, err_t *err) {
    return make(width, height, 1, 1, err);
}

/* render_free -- release r and everything it holds. NULL is allowed. */
void render_free(render_t *r) {
    if (!r)
        return;
    if (r->layout)
        g_object_unref(r->layout);
    cairo_destroy(r->cr);
    cairo_surface_destroy(r->surface);
    buf_fini(&r->svg);
    free(r);
}

/* render_width -- logical width in px. */
int render_width(const render_t *r) {
    return r->width;
}

/* render_height -- logical height in px. */
int render_height(const render_t *r) {
    return r->height;
}

/* render_cairo -- the drawing context (borrowed, valid while r lives), for plot.c and
 * tiles.c which draw with cairo directly. Callers balance their cairo_save/restore. */
struct _cairo *render_cairo(render_t *r) {
    return r->cr;
}

/* ---- PNG encoding ----------------------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void put_chunk(buf_t *out, const char *type, const unsigned char *data,
                      size_t len) {
    unsigned char hdr[8];
    put_be32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    buf_append(out, hdr, 8);
    if (len)
        buf_append(out, data, len);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (len)
        crc = crc32(crc, data, (uInt)len);
    unsigned char c[4];
    put_be32(c, (uint32_t)crc);
    buf_append(out, c, 4);
}

/* Encode an RGB24 image surface as an 8-bit RGB PNG: per row the cheapest of the None,
 * Sub and Up filters (smallest sum of absolute residuals on a sample of the row,
 * libpng's heuristic), then
 * deflate at level 1: figures are mostly flat areas and thin lines, so this is about
 * twice as fast as cairo's libpng writer at default settings for ~15% more bytes. The
 * pHYs chunk records 2x (144 dpi) so viewers that honour it show the logical size. */
static int encode_png(cairo_surface_t *img, int scale, buf_t *out) {
    int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
    int stride = cairo_image_surface_get_stride(img);
    const unsigned char *px = cairo_image_surface_get_data(img);
    size_t rowlen = (size_t)w * 3 + 1;
    unsigned char *rows = util_try_malloc(rowlen * 4);
    if (!rows)
        return -1;
    unsigned char *prev = rows, *cur = rows + rowlen, *sub = rows + 2 * rowlen,
                  *up = rows + 3 * rowlen;
    memset(prev, 0, rowlen);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(rows);
        return -1;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    buf_append(out, sig, 8);
    unsigned char ihdr[13];
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    put_chunk(out, "IHDR", ihdr, 13);
    unsigned char phys[9];
    uint32_t ppm = (uint32_t)(3780 * scale); /* 96 dpi x scale, in pixels per metre */
    put_be32(phys, ppm);
    put_be32(phys + 4, ppm);
    phys[8] = 1;
    put_chunk(out, "pHYs", phys, 9);
    buf_t idat = BUF_INIT;
    unsigned char zbuf[65536];
    int rc = 0;
    for (int y = 0; y < h && rc == 0; y++) {
        const uint32_t *src =
            (const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride);
        cur[0] = 0;
        for (int x = 0; x < w; x++) {
            uint32_t v = src[x];
            cur[1 + 3 * x] = (unsigned char)(v >> 16);
            cur[2 + 3 * x] = (unsigned char)(v >> 8);
            cur[3 + 3 * x] = (unsigned char)v;
        }
        /* Choose the filter from a sample of the row (every 7th byte, so all three
         * channels are visited), then filter the whole row once. */
        unsigned long snone = 0, ssub = 0, sup = 0;
        for (size_t i = 4; i < rowlen; i += 7) {
            int a = (signed char)cur[i], b = (signed char)(cur[i] - cur[i - 3]),
                c = (signed char)(cur[i] - prev[i]);
            snone += (unsigned long)(a < 0 ? -a : a);
            ssub += (unsigned long)(b < 0 ? -b : b);
            sup += (unsigned long)(c < 0 ? -c : c);
        }
        const unsigned char *best = cur;
        if (ssub < snone && ssub <= sup) {
            sub[0] = 1;
            sub[1] = cur[1];
            sub[2] = cur[2];
            sub[3] = cur[3];
            for (size_t i = 4; i < rowlen; i++)
                sub[i] = (unsigned char)(cur[i] - cur[i - 3]);
            best = sub;
        } else if (sup < snone) {
            up[0] = 2;
            for (size_t i = 1; i < rowlen; i++)
                up[i] = (unsigned char)(cur[i] - prev[i]);
            best = up;
        }
        z.next_in = (Bytef *)best;
        z.avail_in = (uInt)rowlen;
        int flush = y == h - 1 ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = zbuf;
            z.avail_out = sizeof zbuf;
            int zr = deflate(&z, flush);
            if (zr == Z_STREAM_ERROR) {
                rc = -1;
                break;
            }
            buf_append(&idat, zbuf, sizeof zbuf - z.avail_out);
        } while (z.avail_out == 0 || (flush == Z_FINISH && z.avail_in > 0));
        unsigned char *t = prev;
        prev = cur;
        cur = t;
    }
    deflateEnd(&z);
    if (rc == 0) {
        put_chunk(out, "IDAT", (const unsigned char *)idat.data, idat.len);
        put_chunk(out, "IEND", NULL, 0);
    }
    buf_fini(&idat);
    free(rows);
    return rc;
}

/* render_png -- append the PNG of a render_new drawing to out (RGB, scale x the logical
 * size). Drawing may continue afterwards. Returns 0, or -1 with err set for an SVG
 * drawing or when cairo fails (out may then hold a partial image to discard). */
int render_png(render_t *r, buf_t *out, err_t *err) {
    if (r->is_svg) {
        err_set(err, "ValueError", "an SVG drawing cannot be written as PNG");
        return -1;
    }
    cairo_surface_flush(r->surface);
    cairo_status_t st = cairo_status(r->cr);
    if (st == CAIRO_STATUS_SUCCESS && encode_png(r->surface, r->scale, out) < 0)
        st = CAIRO_STATUS_NO_MEMORY;
    if (st != CAIRO_STATUS_SUCCESS) {
        err_set(err, "ValueError", "cannot encode the figure as PNG: %s",
                cairo_status_to_string(st));
        return -1;
    }
    return 0;
}

/* render_svg -- finish a render_new_svg drawing and append its SVG document to out.
 * Nothing more can be drawn afterwards. Returns 0, or -1 with err set for a PNG drawing,
 * a second call, or when cairo fails. */
int render_svg(render_t *r, buf_t *out, err_t *err) {
    if (!r->is_svg || r->finished) {
        err_set(err, "ValueError", "not an unfinished SVG drawing");
        return -1;
    }
    cairo_status_t st = cairo_status(r->cr);
    cairo_surface_finish(r->surface);
    r->finished = 1;
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(r->surface);
    if (st != CAIRO_STATUS_SUCCESS && st != CAIRO_STATUS_SURFACE_FINISHED) {
        err_set(err, "ValueError", "cannot encode the figure as SVG: %s",
                cairo_status_to_string(st));
        return -1;
    }
    buf_append(out, r->svg.data, r->svg.len);
    return 0;
}

/* render_shutdown -- drop pango's default font map (and with it the fonts it holds).
 * Optional, for tests and process exit: no render_t may be alive; rendering afterwards
 * creates a new font map. fontconfig's own cache is left alone: FcFini and cairo's
 * debug reset both assert when any font is still referenced anywhere. */
void render_shutdown(void) {
    pango_cairo_font_map_set_default(NULL);
}

/* LeakSanitizer hook, picked up by any sanitizer build that links render.o: fontconfig
 * keeps its font cache for the life of the process in memory the leak checker cannot
 * trace, and reports it as lost at exit. Only allocations made inside libfontconfig
 * are suppressed; everything of ours is still checked. Weak, so a test program may
 * define its own. */
const char *__lsan_default_suppressions(void);
__attribute__((weak)) const char *__lsan_default_suppressions(void) {
    return "leak:libfontconfig.so\n";
}

/* ================================================================================ */
/* primitives                                                                       */
/* ================================================================================ */

static void set_color(cairo_t *cr, render_color_t c) {
    cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a);
}

/* render_fill -- paint the whole drawing with c. */
void render_fill(render_t *r, render_color_t c) {
    cairo_save(r->cr);
    set_color(r->cr, c);
    cairo_set_operator(r->cr, CAIRO_OPERATOR_SOURCE);
    cairo_paint(r->cr);
    cairo_restore(r->cr);
}

/* render_rect -- fill the rectangle (x, y, w, h) with `fill`. */
void render_rect(render_t *r, double x, double y, double w, double h,
                 render_color_t fill) {
    set_color(r->cr, fill);
    cairo_rectangle(r->cr, x, y, w, h);
    cairo_fill(r->cr);
}

/* render_rect_stroke -- outline the rectangle with a line of width lw. */
void render_rect_stroke(render_t *r, double x, double y, double w, double h, double lw,
                        render_color_t c) {
    set_color(r->cr, c);
    cairo_set_line_width(r->cr, lw);
    cairo_rectangle(r->cr, x, y, w, h);
    cairo_stroke(r->cr);
}

/* render_line -- a straight line segment of width lw. */
void render_line(render_t *r, double x0, double y0, double x1, double y1, double lw,
                 render_color_t c) {
    set_color(r->cr, c);
    cairo_set_line_width(r->cr, lw);
    cairo_move_to(r->cr, x0, y0);
    cairo_line_to(r->cr, x1, y1);
    cairo_stroke(r->cr);
}

/* render_polyline -- a connected line through n points; non-finite points break the
 * line (as matplotlib does with NaN). */
void render_polyline(render_t *r, const double *xs, const double *ys, size_t n, double lw,
                     render_color_t c) {
    cairo_t *cr = r->cr;
    int pen = 0;
    set_color(cr, c);
    cairo_set_line_width(cr, lw);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xs[i]) || !isfinite(ys[i])) {
            pen = 0;
            continue;
        }
        if (pen)
            cairo_line_to(cr, xs[i], ys[i]);
        else
            cairo_move_to(cr, xs[i], ys[i]);
        pen = 1;
    }
    cairo_stroke(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
}

/* render_circle -- a disc filled with `fill` (skipped when fill.a == 0) and outlined
 * with `stroke` of width lw (skipped when lw <= 0). */
void render_circle(render_t *r, double x, double y, double radius, render_color_t fill,
                   double lw, render_color_t stroke) {
    cairo_new_sub_path(r->cr);
    cairo_arc(r->cr, x, y, radius, 0, 2 * M_PI);
    if (fill.a > 0) {
        set_color(r->cr, fill);
        if (lw > 0)
            cairo_fill_preserve(r->cr);
        else
            cairo_fill(r->cr);
    }
    if (lw > 0) {
        set_color(r->cr, stroke);
        cairo_set_line_width(r->cr, lw);
        cairo_stroke(r->cr);
    }
    cairo_new_path(r->cr);
}

/* render_image -- draw a cols x rows image of premultiplied 0xAARRGGBB pixels (row-major,
 * no padding) stretched onto (x, y, w, h): nearest-neighbour unless smooth, so each
 * heatmap cell stays one flat colour. The pixels are copied; the caller keeps argb.
 * Returns 0, or -1 with err set for bad sizes or when cairo cannot allocate. */
int render_image(render_t *r, double x, double y, double w, double h,
                 const uint32_t *argb, int cols, int rows, int smooth, err_t *err) {
    if (cols < 1 || rows < 1 || cols > 32767 || rows > 32767) {
        err_set(err, "ValueError", "image of %dx%d pixels is out of range", cols, rows);
        return -1;
    }
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, cols, rows);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        err_set(err, "ValueError", "cannot allocate a %dx%d image", cols, rows);
        cairo_surface_destroy(img);
        return -1;
    }
    cairo_surface_flush(img);
    unsigned char *dst = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int j = 0; j < rows; j++)
        memcpy(dst + (size_t)j * (size_t)stride, argb + (size_t)j * (size_t)cols,
               (size_t)cols * 4);
    cairo_surface_mark_dirty(img);
    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_rectangle(cr, x, y, w, h);
    cairo_clip(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, w / cols, h / rows);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr),
                             smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
    return 0;
}

/* ================================================================================ */
/* text                                                                             */
/* ================================================================================ */

/* render_sanitize_utf8 -- append s to out with every invalid UTF-8 sequence replaced by
 * U+FFFD, so pango never sees bad input. */
void render_sanitize_utf8(const char *s, buf_t *out) {
    const char *p = s, *end = s + strlen(s), *bad;
    while (p < end) {
        if (g_utf8_validate(p, end - p, &bad)) {
            buf_append(out, p, (size_t)(end - p));
            break;
        }
        buf_append(out, p, (size_t)(bad - p));
        buf_puts(out, "\xEF\xBF\xBD");
        p = bad + 1;
    }
    if (!out->data)
        buf_puts(out, "");
}

static void layout_text(render_t *r, const char *text, const render_text_style_t *st) {
    buf_t clean = BUF_INIT;
    render_sanitize_utf8(text ? text : "", &clean);
    PangoFontDescription *fd = pango_font_description_from_string(
        st && st->mono ? "DejaVu Sans Mono, monospace" : RENDER_FONT);
    double size = st && st->size > 0 ? st->size : 11;
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    if (st && st->bold)
        pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
    pango_layout_set_font_description(r->layout, fd);
    pango_font_description_free(fd);
    if (st && st->max_width > 0) {
        pango_layout_set_width(r->layout, (int)(st->max_width * PANGO_SCALE));
        pango_layout_set_ellipsize(r->layout, PANGO_ELLIPSIZE_END);
    } else {
        pango_layout_set_width(r->layout, -1);
        pango_layout_set_ellipsize(r->layout, PANGO_ELLIPSIZE_NONE);
    }
    pango_layout_set_single_paragraph_mode(r->layout, FALSE);
    pango_layout_set_alignment(r->layout,
                               st && st->halign == RENDER_CENTER  ? PANGO_ALIGN_CENTER
                               : st && st->halign == RENDER_RIGHT ? PANGO_ALIGN_RIGHT
                                                                  : PANGO_ALIGN_LEFT);
    pango_layout_set_text(r->layout, clean.data, (int)clean.len);
    buf_fini(&clean);
}

/* render_text_size -- the logical width and height in px text would take in `style`
 * (rotation ignored). Either output pointer may be NULL. */
void render_text_size(render_t *r, const char *text, const render_text_style_t *style,
                      double *w, double *h) {
    layout_text(r, text, style);
    pango_cairo_update_layout(r->cr, r->layout);
    int pw, ph;
    pango_layout_get_size(r->layout, &pw, &ph);
    if (w)
        *w = (double)pw / PANGO_SCALE;
    if (h)
        *h = (double)ph / PANGO_SCALE;
}

/* render_text_missing -- how many glyphs of text no installed font can draw (shown as
 * boxes, "tofu"). 0 means every character found a font. */
int render_text_missing(render_t *r, const char *text, const render_text_style_t *style) {
    layout_text(r, text, style);
    pango_cairo_update_layout(r->cr, r->layout);
    return pango_layout_get_unknown_glyphs_count(r->layout);
}

/* render_text -- draw text (UTF-8; invalid bytes shown as U+FFFD; newlines start new
 * lines) anchored at (x, y) per style (NULL = 11 px black, left/top). Returns the text's
 * width in px. */
double render_text(render_t *r, double x, double y, const char *text,
                   const render_text_style_t *style) {
    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_translate(cr, x, y);
    if (style && style->angle != 0)
        cairo_rotate(cr, -style->angle * M_PI / 180.0);
    layout_text(r, text, style);
    pango_cairo_update_layout(cr, r->layout);
    PangoRectangle
        lr; /* logical extents; x < 0 when lines are centred or right-aligned */
    pango_layout_get_extents(r->layout, NULL, &lr);
    double w = (double)lr.width / PANGO_SCALE, h = (double)lr.height / PANGO_SCALE;
    double dx = -(double)lr.x / PANGO_SCALE, dy = -(double)lr.y / PANGO_SCALE;
    if (style && style->halign == RENDER_CENTER)
        dx -= w / 2;
    else if (style && style->halign == RENDER_RIGHT)
        dx -= w;
    if (style && style->valign == RENDER_MIDDLE)
        dy -= h / 2;
    else if (style && style->valign == RENDER_BOTTOM)
        dy -= h;
    render_color_t c = style && style->color.a > 0 ? style->color : RENDER_RGB(0x000000);
    set_color(cr, c);
    cairo_move_to(cr, dx, dy);
    pango_cairo_show_layout(cr, r->layout);
    cairo_restore(cr);
    return w;
}

/* render_token_label -- append a visible form of a model token to out: the leading-space
 * markers of BPE vocabularies (GPT-2 'Ġ' U+0120, SentencePiece '▁' U+2581) and plain
 * spaces become '␣', newlines ('\n', GPT-2 'Ċ') '↵', tabs ('\t', GPT-2 'ĉ') '→', other
 * control bytes "\xNN", invalid UTF-8 U+FFFD, and the empty token "∅". */
void render_token_label(const char *token, buf_t *out) {
    buf_t clean = BUF_INIT;
    render_sanitize_utf8(token ? token : "", &clean);
    const unsigned char *p = (const unsigned char *)clean.data;
    if (!*p)
        buf_puts(out, "\xE2\x88\x85"); /* ∅ */
    while (*p) {
        if (p[0] == 0xC4 && p[1] == 0xA0) { /* Ġ */
            buf_puts(out, "\xE2\x90\xA3");
            p += 2;
        } else if (p[0] == 0xE2 && p[1] == 0x96 && p[2] == 0x81) { /* ▁ */
            buf_puts(out, "\xE2\x90\xA3");
            p += 3;
        } else if (p[0] == ' ') {
            buf_puts(out, "\xE2\x90\xA3");
            p++;
        } else if (p[0] == '\n' || (p[0] == 0xC4 && p[1] == 0x8A)) { /* \n, Ċ */
            buf_puts(out, "\xE2\x86\xB5");
            p += p[0] == '\n' ? 1 : 2;
        } else if (p[0] == '\t' || (p[0] == 0xC4 && p[1] == 0x89)) { /* \t, ĉ */
            buf_puts(out, "\xE2\x86\x92");
            p += p[0] == '\t' ? 1 : 2;
        } else if (p[0] < 0x20 || p[0] == 0x7f) {
            buf_printf(out, "\\x%02x", p[0]);
            p++;
        } else {
            buf_putc(out, (char)p[0]);
            p++;
        }
    }
    buf_fini(&clean);
}
