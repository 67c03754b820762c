/* SPDX-License-Identifier: MIT */
/* render.h -- drawing surfaces, text and image output on cairo + pango.
 *
 * A render_t is a drawing of a given logical size (CSS pixels). Everything drawn on it
 * is recorded once and can then be written out as a PNG at any scale (2x for high-DPI
 * notebooks, with the logical size as metadata) and as SVG, without drawing twice.
 * Text goes through pango, so fontconfig's fallback fonts render non-Latin scripts and
 * emoji. Callers outside render.c / plot.c / tiles.c never see cairo: they use the
 * primitives below (rectangles, lines, text, image blits), which is all a widget
 * fallback picture needs. Coordinates are logical pixels, origin top-left, y down. */
#ifndef MECHVIZ_RENDER_H
#define MECHVIZ_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

#define RENDER_SCALE 2            /* PNG pixels per logical pixel */
#define RENDER_MAX_SIDE 8192      /* largest logical width or height accepted */
#define RENDER_FONT "DejaVu Sans" /* fontconfig adds fallbacks per character */

typedef struct render render_t;
struct _cairo; /* cairo_t, for render.c, plot.c and tiles.c only */

/* A colour with components in [0, 1]. */
typedef struct render_color {
    double r, g, b, a;
} render_color_t;

/* 0xRRGGBB as an opaque colour; RENDER_RGBA adds alpha in [0, 1]. */
#define RENDER_RGB(hex)                                                                  \
    ((render_color_t){((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0,         \
                      ((hex)&0xff) / 255.0, 1.0})
#define RENDER_RGBA(hex, alpha)                                                          \
    ((render_color_t){((hex) >> 16 & 0xff) / 255.0, ((hex) >> 8 & 0xff) / 255.0,         \
                      ((hex)&0xff) / 255.0, (alpha)})

/* Text anchoring: which point of the text's box (x, y) names. */
typedef enum render_halign { RENDER_LEFT, RENDER_CENTER, RENDER_RIGHT } render_halign_t;
typedef enum render_valign { RENDER_TOP, RENDER_MIDDLE, RENDER_BOTTOM } render_valign_t;

typedef struct render_text_style {
    double size;            /* font size in logical px (0 = 11) */
    int bold;               /* 1 for bold */
    int mono;               /* 1 for a monospace face */
    render_color_t color;   /* text colour (a == 0 means black) */
    render_halign_t halign; /* horizontal anchor */
    render_valign_t valign; /* vertical anchor */
    double angle;           /* rotation in degrees, counter-clockwise, about (x, y) */
    double max_width;       /* ellipsize beyond this width in px; 0 = no limit */
} render_text_style_t;

/* --- surfaces and output --------------------------------------------------------- */
render_t *render_new(int width, int height, err_t *err);
render_t *render_new_scaled(int width, int height, int scale, err_t *err);
render_t *render_new_svg(int width, int height, err_t *err);
void render_free(render_t *r);
int render_width(const render_t *r);
int render_height(const render_t *r);
struct _cairo *render_cairo(render_t *r);
int render_png(render_t *r, buf_t *out, err_t *err);
int render_svg(render_t *r, buf_t *out, err_t *err);
void render_shutdown(void);

/* --- primitives ------------------------------------------------------------------ */
void render_fill(render_t *r, render_color_t c);
void render_rect(render_t *r, double x, double y, double w, double h,
                 render_color_t fill);
void render_rect_stroke(render_t *r, double x, double y, double w, double h, double lw,
                        render_color_t c);
void render_line(render_t *r, double x0, double y0, double x1, double y1, double lw,
                 render_color_t c);
void render_polyline(render_t *r, const double *xs, const double *ys, size_t n, double lw,
                     render_color_t c);
void render_circle(render_t *r, double x, double y, double radius, render_color_t fill,
                   double lw, render_color_t stroke);
int render_image(render_t *r, double x, double y, double w, double h,
                 const uint32_t *argb, int cols, int rows, int smooth, err_t *err);

/* --- text ------------------------------------------------------------------------ */
double render_text(render_t *r, double x, double y, const char *text,
                   const render_text_style_t *style);
void render_text_size(render_t *r, const char *text, const render_text_style_t *style,
                      double *w, double *h);
int render_text_missing(render_t *r, const char *text, const render_text_style_t *style);
void render_token_label(const char *token, buf_t *out);
void render_sanitize_utf8(const char *s, buf_t *out);

#endif
