/* SPDX-License-Identifier: MIT */
/* png.h -- a fast writer for 8-bit palette PNG images (tiles, thumbnails).
 *
 * Heat-map tiles are indexed images by nature: one byte per pixel into a 256-entry
 * colormap. Writing them as palette PNGs with filter 0 and zlib level 1 / Z_RLE is an
 * order of magnitude cheaper than cairo's RGBA writer and the files are 4x smaller. */
#ifndef MECHVIZ_PNG_H
#define MECHVIZ_PNG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

#define PNG_MAX_SIDE 16384 /* largest width or height accepted */

/* A palette: `n` RGB triples (1..256) and optional per-entry alpha (tRNS). */
typedef struct png_palette {
    uint8_t rgb[256][3]; /* colours */
    uint8_t alpha[256];  /* opacity per entry, used for the first `nalpha` entries */
    int n;               /* entries used, 1..256 */
    int nalpha;          /* 0 = fully opaque image */
} png_palette_t;

int png_write_indexed(buf_t *out, const uint8_t *pix, int width, int height,
                      size_t stride, const png_palette_t *pal, err_t *err);

#endif
