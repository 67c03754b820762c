/* SPDX-License-Identifier: MIT */
/* tiles_bench.c -- encode speed of attention tiles, as `name: value` lines.
 *
 * Renders every level-0 tile of a [4096, 4096] float32 causal attention plane (random
 * weights with a previous-token stripe, like bench/attention.py's inputs) with the
 * palette PNG writer, then the same tiles through cairo's RGBA PNG writer for
 * comparison, and the coarsest tile (a max over all 16M cells). One core. */
#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tiles.h"

static cairo_status_t sink(void *closure, const unsigned char *data, unsigned int len) {
    buf_append((buf_t *)closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

int main(void) {
    const int64_t n = 4096;
    float *d = malloc((size_t)(n * n) * sizeof *d);
    if (!d)
        return 1;
    uint32_t s = 1;
    for (int64_t r = 0; r < n; r++) {
        double sum = 0;
        for (int64_t c = 0; c <= r; c++) {
            s = s * 1664525u + 1013904223u;
            double u = (double)(s >> 8) / (double)(1u << 24);
            d[r * n + c] =
                (float)(u * u * u * u * u * u * u * u + (c == r - 1 ? 2.0 : 0.0));
            sum += d[r * n + c];
        }
        for (int64_t c = 0; c < n; c++)
            d[r * n + c] = c <= r ? (float)(d[r * n + c] / sum) : 0.0f;
    }
    uint8_t gray[256][3];
    for (int i = 0; i < 256; i++)
        gray[i][0] = gray[i][1] = gray[i][2] = (uint8_t)i;
    tiles_plane_t p = {(const char *)d, DT_F32, n, n, n * 4, 4};
    tiles_style_t st = {0.0, 1.0, 1, (const uint8_t(*)[3])gray};
    buf_t b = BUF_INIT;
    int w, h, count = 0;
    size_t bytes = 0;
    double t0 = util_now();
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            buf_reset(&b);
            if (tiles_render(&p, &st, 0, x, y, &b, &w, &h, NULL) == 0) {
                count++;
                bytes += b.len;
            }
        }
    double t1 = util_now();
    printf("attn_tile_encode_per_s: %.0f\n", count / (t1 - t0));
    printf("attn_tile_mean_bytes: %zu\n", count ? bytes / (size_t)count : 0);

    /* the same pixels through cairo's RGBA writer (default zlib settings) */
    float *v = malloc(256 * 256 * sizeof *v);
    uint8_t *idx = malloc(256 * 256);
    png_palette_t pal;
    tiles_palette(&st, &pal);
    int ccount = 0;
    size_t cbytes = 0;
    t0 = util_now();
    for (int y = 0; y < 16 && util_now() - t0 < 3.0; y++)
        for (int x = 0; x < 16; x++) {
            tiles_pool(&p, y * 256, x * 256, 1, 256, 256, 1, v);
            tiles_colorize(v, 256, 256, y * 256, x * 256, 1, n, n, &st, idx);
            cairo_surface_t *img =
                cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 256, 256);
            unsigned char *px = cairo_image_surface_get_data(img);
            int stride = cairo_image_surface_get_stride(img);
            for (int i = 0; i < 256; i++)
                for (int j = 0; j < 256; j++) {
                    uint8_t k = idx[i * 256 + j];
                    uint32_t a = pal.alpha[k];
                    uint32_t argb = a << 24 | (uint32_t)(pal.rgb[k][0] * a / 255) << 16 |
                                    (uint32_t)(pal.rgb[k][1] * a / 255) << 8 |
                                    (uint32_t)(pal.rgb[k][2] * a / 255);
                    ((uint32_t *)(void *)(px + i * stride))[j] = argb;
                }
            cairo_surface_mark_dirty(img);
            buf_reset(&b);
            cairo_surface_write_to_png_stream(img, sink, &b);
            cbytes += b.len;
            cairo_surface_destroy(img);
            ccount++;
        }
    t1 = util_now();
    printf("attn_tile_encode_cairo_per_s: %.0f\n", ccount / (t1 - t0));
    printf("attn_tile_cairo_mean_bytes: %zu\n", ccount ? cbytes / (size_t)ccount : 0);

    buf_reset(&b);
    t0 = util_now();
    tiles_render(&p, &st, tiles_levels(n, n) - 1, 0, 0, &b, &w, &h, NULL);
    printf("attn_tile_top_ms_4096: %.1f\n", (util_now() - t0) * 1e3);
    buf_fini(&b);
    free(v);
    free(idx);
    free(d);
    return 0;
}
