/* SPDX-License-Identifier: MIT */
/* test_png.c -- the palette PNG writer: structure, CRCs, and a decode round trip. */
#include "check.h"
#include "png.h"

#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A minimal decoder for what png.c writes: walks the chunks, checks every CRC, collects
 * PLTE/tRNS and inflates IDAT; returns the raw scanlines (filter byte + indices). */
typedef struct decoded {
    int w, h, depth, ctype;
    int npal, ntrns, crc_ok, chunks;
    unsigned char *raw;
    size_t rawlen;
} decoded_t;

static int decode(const unsigned char *p, size_t len, decoded_t *d) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(d, 0, sizeof *d);
    d->crc_ok = 1;
    if (len < 8 || memcmp(p, sig, 8) != 0)
        return -1;
    size_t off = 8;
    unsigned char *z = NULL;
    size_t zlen = 0;
    int seen_end = 0;
    while (off + 12 <= len) {
        uint32_t n = be32(p + off);
        const unsigned char *type = p + off + 4, *data = p + off + 8;
        if (off + 12 + n > len)
            return -1;
        uLong c = crc32(0, type, 4 + n);
        if (c != be32(data + n))
            d->crc_ok = 0;
        d->chunks++;
        if (!memcmp(type, "IHDR", 4)) {
            d->w = (int)be32(data);
            d->h = (int)be32(data + 4);
            d->depth = data[8];
            d->ctype = data[9];
        } else if (!memcmp(type, "PLTE", 4)) {
            d->npal = (int)n / 3;
        } else if (!memcmp(type, "tRNS", 4)) {
            d->ntrns = (int)n;
        } else if (!memcmp(type, "IDAT", 4)) {
            z = realloc(z, zlen + n);
            memcpy(z + zlen, data, n);
            zlen += n;
        } else if (!memcmp(type, "IEND", 4)) {
            seen_end = 1;
        }
        off += 12 + n;
    }
    if (!seen_end || off != len || d->w <= 0 || d->h <= 0) {
        free(z);
        return -1;
    }
    uLongf rl = (uLongf)((size_t)(d->w + 1) * (size_t)d->h);
    d->raw = malloc(rl + 1);
    int rc = uncompress(d->raw, &rl, z, (uLong)zlen);
    free(z);
    d->rawlen = rl;
    return rc == Z_OK ? 0 : -1;
}

static void test_roundtrip(void) {
    int w = 37, h = 19;
    uint8_t pix[19 * 40];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < 40; x++)
            pix[y * 40 + x] = (uint8_t)((x * 7 + y * 3) & 0xff);
    png_palette_t pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 256;
    pal.nalpha = 200;
    buf_t b = BUF_INIT;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(png_write_indexed(&b, pix, w, h, 40, &pal, &err), 0);
    decoded_t d;
    CHECK_EQ_INT(decode((const unsigned char *)b.data, b.len, &d), 0);
    CHECK(d.crc_ok);
    CHECK_EQ_INT(d.w, w);
    CHECK_EQ_INT(d.h, h);
    CHECK_EQ_INT(d.depth, 8);
    CHECK_EQ_INT(d.ctype, 3);
    CHECK_EQ_INT(d.npal, 256);
    CHECK_EQ_INT(d.ntrns, 200);
    CHECK_EQ_INT(d.rawlen, (size_t)(w + 1) * (size_t)h);
    int same = 1;
    for (int y = 0; y < h; y++) {
        if (d.raw[(size_t)y * (size_t)(w + 1)] != 0)
            same = 0;
        if (memcmp(d.raw + (size_t)y * (size_t)(w + 1) + 1, pix + y * 40, (size_t)w))
            same = 0;
    }
    CHECK(same);
    free(d.raw);
    buf_fini(&b);
}

static void test_small_palette_clamps(void) {
    uint8_t pix[4] = {0, 1, 2, 250};
    png_palette_t pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 3;
    buf_t b = BUF_INIT;
    CHECK_EQ_INT(png_write_indexed(&b, pix, 4, 1, 4, &pal, NULL), 0);
    decoded_t d;
    CHECK_EQ_INT(decode((const unsigned char *)b.data, b.len, &d), 0);
    CHECK_EQ_INT(d.npal, 3);
    CHECK_EQ_INT(d.ntrns, 0);
    CHECK_EQ_INT(d.raw[4], 2); /* 250 clamped to the last entry */
    free(d.raw);
    buf_fini(&b);
}

static void test_rejects_bad_arguments(void) {
    uint8_t pix[4] = {0};
    png_palette_t pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 1;
    buf_t b = BUF_INIT;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(png_write_indexed(&b, pix, 0, 1, 4, &pal, &err), -1);
    CHECK_CONTAINS(err.msg, "size");
    CHECK_EQ_INT(png_write_indexed(&b, pix, 1, PNG_MAX_SIDE + 1, 4, &pal, &err), -1);
    CHECK_EQ_INT(png_write_indexed(&b, pix, 4, 1, 2, &pal, &err), -1);
    CHECK_CONTAINS(err.msg, "stride");
    pal.n = 0;
    CHECK_EQ_INT(png_write_indexed(&b, pix, 1, 1, 1, &pal, &err), -1);
    CHECK_CONTAINS(err.msg, "palette");
    pal.n = 2;
    pal.nalpha = 3;
    CHECK_EQ_INT(png_write_indexed(&b, pix, 1, 1, 1, &pal, &err), -1);
    CHECK_EQ_INT(b.len, 0);
    buf_fini(&b);
}

static void test_uniform_tile_is_small(void) {
    /* Z_RLE on a constant 256x256 tile: far below the 64 KiB of raw pixels. */
    uint8_t *pix = calloc(256 * 256, 1);
    png_palette_t pal;
    memset(&pal, 0, sizeof pal);
    pal.n = 256;
    buf_t b = BUF_INIT;
    CHECK_EQ_INT(png_write_indexed(&b, pix, 256, 256, 256, &pal, NULL), 0);
    CHECK(b.len < 2000);
    free(pix);
    buf_fini(&b);
}

CHECK_MAIN(test_roundtrip, test_small_palette_clamps, test_rejects_bad_arguments,
           test_uniform_tile_is_small)
