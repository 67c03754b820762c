/* SPDX-License-Identifier: MIT */
/* png.c -- a fast writer for 8-bit palette PNG images (tiles, thumbnails).
 *
 * Exists because tiles must be cheap: a 256x256 heat-map tile is one byte per pixel
 * into a colormap, so it is written as a colour-type-3 PNG with filter 0 on every row
 * and zlib at level 1 with the Z_RLE strategy (run lengths of equal palette indices are
 * what heat maps are made of). This takes a fraction of a millisecond per tile, where
 * cairo's RGBA writer with default zlib settings takes several. It writes only; it
 * never reads PNG, and it knows nothing of tensors or colormaps. */
#include "png.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Appends one chunk: length, type, data, CRC over type and data. */
static void chunk(buf_t *out, const char type[4], const void *data, size_t len) {
    unsigned char hdr[8], crc[4];
    put_u32(hdr, (uint32_t)len);
    memcpy(hdr + 4, type, 4);
    buf_append(out, hdr, 8);
    if (len)
        buf_append(out, data, len);
    uLong c = crc32(0L, (const Bytef *)type, 4);
    if (len)
        c = crc32(c, (const Bytef *)data, (uInt)len);
    put_u32(crc, (uint32_t)c);
    buf_append(out, crc, 4);
}

/* Writes a `width` x `height` palette PNG to the end of `out`. `pix` holds one palette
 * index per pixel, rows `stride` bytes apart; every index must be < pal->n (larger ones
 * are clamped to the last entry). Returns 0, or -1 with `err` set when the size or the
 * palette is invalid or zlib fails; `out` is then left as it was. Borrows everything. */
int png_write_indexed(buf_t *out, const uint8_t *pix, int width, int height,
                      size_t stride, const png_palette_t *pal, err_t *err) {
    if (width < 1 || height < 1 || width > PNG_MAX_SIDE || height > PNG_MAX_SIDE) {
        err_set(err, "ValueError", "png: bad image size %dx%d", width, height);
        return -1;
    }
    if (!pal || pal->n < 1 || pal->n > 256 || pal->nalpha < 0 || pal->nalpha > pal->n) {
        err_set(err, "ValueError", "png: bad palette");
        return -1;
    }
    if (stride < (size_t)width) {
        err_set(err, "ValueError", "png: stride %zu < width %d", stride, width);
        return -1;
    }
    size_t rowlen = (size_t)width + 1, rawlen = rowlen * (size_t)height;
    unsigned char *raw = xmalloc(rawlen);
    uint8_t top = (uint8_t)(pal->n - 1);
    for (int y = 0; y < height; y++) {
        unsigned char *r = raw + (size_t)y * rowlen;
        const uint8_t *src = pix + (size_t)y * stride;
        r[0] = 0; /* filter: none */
        if (pal->n == 256) {
            memcpy(r + 1, src, (size_t)width);
        } else {
            for (int x = 0; x < width; x++)
                r[1 + x] = src[x] > top ? top : src[x];
        }
    }

    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        free(raw);
        err_set(err, "RuntimeError", "png: deflateInit2 failed");
        return -1;
    }
    uLong cap = deflateBound(&zs, (uLong)rawlen);
    unsigned char *z = xmalloc(cap);
    zs.next_in = raw;
    zs.avail_in = (uInt)rawlen;
    zs.next_out = z;
    zs.avail_out = (uInt)cap;
    int rc = deflate(&zs, Z_FINISH);
    size_t zlen = cap - zs.avail_out;
    deflateEnd(&zs);
    free(raw);
    if (rc != Z_STREAM_END) {
        free(z);
        err_set(err, "RuntimeError", "png: deflate failed (%d)", rc);
        return -1;
    }

    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    put_u32(ihdr, (uint32_t)width);
    put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 3;  /* colour type: palette */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (every row uses filter 0) */
    ihdr[12] = 0; /* no interlace */
    buf_reserve(out, 8 + 25 + 12 + (size_t)pal->n * 3 + 12 + 256 + 12 + zlen + 12);
    buf_append(out, sig, 8);
    chunk(out, "IHDR", ihdr, 13);
    chunk(out, "PLTE", pal->rgb, (size_t)pal->n * 3);
    if (pal->nalpha > 0)
        chunk(out, "tRNS", pal->alpha, (size_t)pal->nalpha);
    chunk(out, "IDAT", z, zlen);
    chunk(out, "IEND", NULL, 0);
    free(z);
    return 0;
}
