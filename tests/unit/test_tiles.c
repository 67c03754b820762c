/* SPDX-License-Identifier: MIT */
/* test_tiles.c -- pyramid addressing, max-pooling against brute force, colouring,
 * rendering and the LRU tile cache. */
#include "check.h"
#include "render.h"
#include "tiles.h"

#include <stdint.h>
#include <stdlib.h>

static uint8_t gray[256][3];

static void init_gray(void) {
    for (int i = 0; i < 256; i++)
        gray[i][0] = gray[i][1] = gray[i][2] = (uint8_t)i;
}

static uint32_t rng = 12345;
static float frand(void) {
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / (float)(1u << 24);
}

static tiles_plane_t plane_f32(float *d, int64_t rows, int64_t cols) {
    tiles_plane_t p = {(const char *)d, DT_F32, rows, cols, cols * 4, 4};
    return p;
}

static void test_levels_and_grid(void) {
    CHECK_EQ_INT(tiles_levels(0, 10), 0);
    CHECK_EQ_INT(tiles_levels(1, 1), 1);
    CHECK_EQ_INT(tiles_levels(256, 256), 1);
    CHECK_EQ_INT(tiles_levels(257, 3), 2);
    CHECK_EQ_INT(tiles_levels(4096, 4096), 5);
    CHECK_EQ_INT(tiles_levels(3, 4097), 6);
    int64_t nx, ny;
    CHECK_EQ_INT(tiles_grid(4096, 4096, 0, &nx, &ny), 0);
    CHECK_EQ_INT(nx, 16);
    CHECK_EQ_INT(ny, 16);
    CHECK_EQ_INT(tiles_grid(4096, 4096, 4, &nx, &ny), 0);
    CHECK_EQ_INT(nx, 1);
    CHECK_EQ_INT(tiles_grid(4096, 4096, 5, &nx, &ny), -1);
    CHECK_EQ_INT(tiles_grid(4096, 4096, -1, &nx, &ny), -1);
}

/* At every level of a non-power-of-two plane, tiles tile the level's image exactly:
 * widths across sum to ceil(cols / 2^L), heights down to ceil(rows / 2^L), and every
 * tile one step outside the grid is refused. */
static void test_rect_every_level(void) {
    const int64_t shapes[][2] = {{1000, 600}, {1, 1}, {256, 257}, {5000, 77}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t rows = shapes[s][0], cols = shapes[s][1];
        int nl = tiles_levels(rows, cols);
        for (int L = 0; L < nl; L++) {
            int64_t nx, ny, b = (int64_t)1 << L;
            CHECK_EQ_INT(tiles_grid(rows, cols, L, &nx, &ny), 0);
            int64_t sumw = 0, sumh = 0;
            for (int64_t x = 0; x < nx; x++) {
                int w, h;
                CHECK_EQ_INT(tiles_rect(rows, cols, L, x, 0, &w, &h, NULL), 0);
                CHECK(w >= 1 && w <= TILES_SIZE);
                sumw += w;
            }
            for (int64_t y = 0; y < ny; y++) {
                int w, h;
                CHECK_EQ_INT(tiles_rect(rows, cols, L, 0, y, &w, &h, NULL), 0);
                sumh += h;
            }
            CHECK_EQ_INT(sumw, (cols + b - 1) / b);
            CHECK_EQ_INT(sumh, (rows + b - 1) / b);
            int w, h;
            err_t err;
            err_clear(&err);
            CHECK_EQ_INT(tiles_rect(rows, cols, L, nx, 0, &w, &h, &err), -1);
            CHECK_CONTAINS(err.msg, "out of range");
            CHECK_EQ_INT(tiles_rect(rows, cols, L, 0, ny, &w, &h, NULL), -1);
            CHECK_EQ_INT(tiles_rect(rows, cols, L, -1, 0, &w, &h, NULL), -1);
        }
        /* the top level is a single tile */
        int64_t nx, ny;
        CHECK_EQ_INT(tiles_grid(rows, cols, nl - 1, &nx, &ny), 0);
        CHECK_EQ_INT(nx * ny, 1);
        int w, h;
        CHECK_EQ_INT(tiles_rect(rows, cols, nl, 0, 0, &w, &h, NULL), -1);
        CHECK_EQ_INT(tiles_rect(rows, cols, 0, INT64_MAX, INT64_MAX, &w, &h, NULL), -1);
        CHECK_EQ_INT(tiles_rect(rows, cols, 1 << 30, 0, 0, &w, &h, NULL), -1);
    }
}

/* Brute-force reference of tiles_pool. */
static float ref_pool(const tiles_plane_t *p, int64_t r0, int64_t c0, int64_t b, int px,
                      int py, int mask) {
    float m = -INFINITY;
    int any = 0;
    for (int64_t r = r0 + py * b; r < r0 + (py + 1) * b && r < p->rows; r++)
        for (int64_t c = c0 + px * b; c < c0 + (px + 1) * b && c < p->cols; c++) {
            if (mask && c > r)
                continue;
            float v = (float)tiles_plane_get(p, r, c);
            if (v != v)
                continue;
            any = 1;
            if (v > m)
                m = v;
        }
    return any ? m : NAN;
}

static int pool_matches(const tiles_plane_t *p, int64_t r0, int64_t c0, int64_t b,
                        int mask) {
    int w = (int)((p->cols - c0 + b - 1) / b), h = (int)((p->rows - r0 + b - 1) / b);
    if (w > 64)
        w = 64;
    if (h > 64)
        h = 64;
    float *out = malloc((size_t)w * (size_t)h * sizeof *out);
    tiles_pool(p, r0, c0, b, w, h, mask, out);
    int ok = 1;
    for (int y = 0; y < h && ok; y++)
        for (int x = 0; x < w && ok; x++) {
            float want = ref_pool(p, r0, c0, b, x, y, mask), got = out[y * w + x];
            if (!(want == got || (want != want && got != got))) {
                fprintf(stderr,
                        "  pool mismatch b=%lld r0=%lld c0=%lld mask=%d at (%d,%d):"
                        " %g != %g\n",
                        (long long)b, (long long)r0, (long long)c0, mask, x, y,
                        (double)got, (double)want);
                ok = 0;
            }
        }
    free(out);
    return ok;
}

static void test_pool_matches_bruteforce(void) {
    int64_t rows = 300, cols = 517;
    float *d = malloc((size_t)(rows * cols) * sizeof *d);
    for (int64_t i = 0; i < rows * cols; i++)
        d[i] = frand();
    d[5 * cols + 7] = NAN;
    tiles_plane_t p = plane_f32(d, rows, cols);
    const int64_t blocks[] = {1, 2, 3, 4, 8, 16, 64, 512};
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        for (int mask = 0; mask < 2; mask++) {
            CHECK(pool_matches(&p, 0, 0, blocks[i], mask));
            CHECK(pool_matches(&p, 17 % rows, 100, blocks[i], mask));
        }
    /* a transposed, strided view (cstride != 4) goes through the converting path */
    tiles_plane_t t = {(const char *)d, DT_F32, cols, rows, 4, cols * 4};
    for (int mask = 0; mask < 2; mask++) {
        CHECK(pool_matches(&t, 0, 0, 3, mask));
        CHECK(pool_matches(&t, 256, 0, 2, mask));
    }
    free(d);
}

static void test_pool_other_dtypes(void) {
    int64_t rows = 40, cols = 33;
    uint16_t *h = malloc((size_t)(rows * cols) * 2);
    double *g = malloc((size_t)(rows * cols) * 8);
    for (int64_t i = 0; i < rows * cols; i++) {
        float f = frand();
        h[i] = tensor_f32_to_bf16(f);
        g[i] = f;
    }
    tiles_plane_t pb = {(const char *)h, DT_BF16, rows, cols, cols * 2, 2};
    tiles_plane_t pg = {(const char *)g, DT_F64, rows, cols, cols * 8, 8};
    CHECK(pool_matches(&pb, 0, 0, 4, 1));
    CHECK(pool_matches(&pg, 0, 0, 5, 0));
    CHECK_EQ_DBL(tiles_plane_get(&pg, 3, 4), g[3 * cols + 4], 0);
    CHECK_EQ_DBL(tiles_plane_get(&pb, 3, 4), tensor_bf16_to_f32(h[3 * cols + 4]), 0);
    free(h);
    free(g);
}

/* One sharp weight in a sea of zeros is still at full colour on the coarsest tile. */
static void test_sharp_weight_survives(void) {
    int64_t n = 2048;
    float *d = calloc((size_t)(n * n), sizeof *d);
    d[1500 * n + 700] = 1.0f;
    tiles_plane_t p = plane_f32(d, n, n);
    int top = tiles_levels(n, n) - 1;
    CHECK_EQ_INT(top, 3);
    int w, h;
    CHECK_EQ_INT(tiles_rect(n, n, top, 0, 0, &w, &h, NULL), 0);
    CHECK_EQ_INT(w, 256);
    float *v = malloc((size_t)w * (size_t)h * sizeof *v);
    tiles_pool(&p, 0, 0, 8, w, h, 1, v);
    uint8_t *idx = malloc((size_t)w * (size_t)h);
    init_gray();
    tiles_style_t st = {0.0, 1.0, 1, (const uint8_t(*)[3])gray};
    tiles_colorize(v, w, h, 0, 0, 8, n, n, &st, idx);
    CHECK_EQ_INT(idx[(1500 / 8) * w + 700 / 8], TILES_NCOLORS - 1);
    CHECK_EQ_INT(idx[(1500 / 8) * w + 700 / 8 + 1], 0);
    CHECK_EQ_INT(idx[0 * w + 5], TILES_IDX_MASKED); /* block above the diagonal */
    CHECK_EQ_INT(idx[5 * w + 5], 0);                /* diagonal block: visible */
    free(v);
    free(idx);
    free(d);
}

static void test_colorize_range_and_nan(void) {
    init_gray();
    tiles_style_t st = {-1.0, 1.0, 0, (const uint8_t(*)[3])gray};
    float v[5] = {-5.0f, -1.0f, 0.0f, 1.0f, NAN};
    uint8_t idx[5];
    tiles_colorize(v, 5, 1, 4, 0, 1, 5, 5, &st, idx);
    CHECK_EQ_INT(idx[0], 0);
    CHECK_EQ_INT(idx[1], 0);
    CHECK_EQ_INT(idx[2], 126);
    CHECK_EQ_INT(idx[3], TILES_NCOLORS - 1);
    CHECK_EQ_INT(idx[4], TILES_IDX_NAN);
    png_palette_t pal;
    tiles_palette(&st, &pal);
    CHECK_EQ_INT(pal.rgb[0][0], 0);
    CHECK_EQ_INT(pal.rgb[TILES_NCOLORS - 1][0], 255);
    CHECK_EQ_INT(pal.alpha[TILES_IDX_CLEAR], 0);
    CHECK(pal.alpha[TILES_IDX_MASKED] > 0 && pal.alpha[TILES_IDX_MASKED] < 255);
}

static void test_render_and_thumb(void) {
    init_gray();
    int64_t rows = 600, cols = 600;
    float *d = malloc((size_t)(rows * cols) * sizeof *d);
    for (int64_t i = 0; i < rows * cols; i++)
        d[i] = frand();
    tiles_plane_t p = plane_f32(d, rows, cols);
    tiles_style_t st = {0.0, 1.0, 1, (const uint8_t(*)[3])gray};
    buf_t b = BUF_INIT;
    int w, h;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tiles_render(&p, &st, 0, 2, 1, &b, &w, &h, &err), 0);
    CHECK_EQ_INT(w, 600 - 512);
    CHECK_EQ_INT(h, 256);
    CHECK(b.len > 8 && memcmp(b.data, "\x89PNG", 4) == 0);
    buf_reset(&b);
    CHECK_EQ_INT(tiles_render(&p, &st, 0, 3, 0, &b, &w, &h, &err), -1);
    CHECK_CONTAINS(err.msg, "out of range");
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(tiles_thumb(&p, &st, 96, &b, &w, &h, &err), 0);
    CHECK_EQ_INT(tiles_thumb_block(600, 600, 96), 7);
    CHECK_EQ_INT(w, 86);
    CHECK_EQ_INT(h, 86);
    buf_reset(&b);
    tiles_plane_t small = plane_f32(d, 12, 12);
    small.rstride = cols * 4;
    CHECK_EQ_INT(tiles_thumb(&small, &st, 96, &b, &w, &h, &err), 0);
    CHECK_EQ_INT(w, 12);
    buf_reset(&b);
    tiles_plane_t planes[3] = {p, small, p};
    const char *labels[3] = {"L0H0", "L0H1", "L0H2"};
    CHECK_EQ_INT(
        tiles_overview(planes, labels, 3, &st, "title", 600, 400, &b, &w, &h, &err), 0);
    CHECK(w <= 600 && h <= 400 && w > 100);
    CHECK(b.len > 100 && memcmp(b.data, "\x89PNG", 4) == 0);
    buf_fini(&b);
    free(d);
    /* links render.o, whose LeakSanitizer hook covers fontconfig's process-wide cache */
    render_shutdown();
}

static void test_plane_from_tensor(void) {
    int64_t shape[4] = {2, 3, 5, 7};
    tensor_t *t = tensor_new(DT_F32, 4, shape, NULL);
    CHECK(t != NULL);
    if (!t)
        return;
    float *f = (float *)(void *)t->data;
    for (int i = 0; i < 2 * 3 * 5 * 7; i++)
        f[i] = (float)i;
    tiles_plane_t p;
    int64_t lead[2] = {1, 2};
    CHECK_EQ_INT(tiles_plane_from_tensor(&p, t, lead, 2, NULL), 0);
    CHECK_EQ_INT(p.rows, 5);
    CHECK_EQ_INT(p.cols, 7);
    CHECK_EQ_DBL(tiles_plane_get(&p, 4, 6), (double)((1 * 3 + 2) * 35 + 4 * 7 + 6), 0);
    int64_t bad[2] = {1, 3};
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tiles_plane_from_tensor(&p, t, bad, 2, &err), -1);
    CHECK_CONTAINS(err.msg, "out of range");
    CHECK_EQ_INT(tiles_plane_from_tensor(&p, t, lead, 1, &err), -1);
    tensor_free(t);
}

static void test_cache_lru(void) {
    unsigned char data[1000];
    memset(data, 7, sizeof data);
    size_t per = 1000 + 2 + 100; /* a bit more than the accounted size of one entry */
    tiles_cache_t *c = tiles_cache_new(3 * per);
    tiles_cache_put(c, "a", data, 1000, 1, 1);
    tiles_cache_put(c, "b", data, 1000, 2, 2);
    tiles_cache_put(c, "c", data, 1000, 3, 3);
    CHECK_EQ_INT(tiles_cache_count(c), 2 + (tiles_cache_bytes(c) <= 3 * per ? 1 : 0));
    size_t len;
    int w, h;
    /* touch the oldest so that the next insert evicts the middle one */
    const unsigned char *got = tiles_cache_get(c, "a", &len, &w, &h);
    int had_c = tiles_cache_get(c, "c", &len, &w, &h) != NULL;
    CHECK(had_c);
    if (got) {
        CHECK_EQ_INT(len, 1000);
        tiles_cache_put(c, "d", data, 1000, 4, 4);
        CHECK(tiles_cache_get(c, "b", &len, &w, &h) == NULL);
        CHECK(tiles_cache_get(c, "a", &len, &w, &h) != NULL);
        CHECK(tiles_cache_get(c, "d", &len, &w, &h) != NULL);
        CHECK_EQ_INT(w, 4);
    }
    CHECK(tiles_cache_bytes(c) <= 3 * per);
    /* replacing a key keeps one entry */
    size_t n = tiles_cache_count(c);
    tiles_cache_put(c, "d", data, 10, 5, 5);
    CHECK_EQ_INT(tiles_cache_count(c), n);
    CHECK(tiles_cache_get(c, "d", &len, &w, &h) != NULL);
    CHECK_EQ_INT(len, 10);
    /* an entry bigger than the budget is not stored */
    unsigned char *big = calloc(10 * per, 1);
    tiles_cache_put(c, "big", big, 10 * per, 1, 1);
    CHECK(tiles_cache_get(c, "big", &len, &w, &h) == NULL);
    free(big);
    uint64_t hits, misses;
    tiles_cache_stats(c, &hits, &misses);
    CHECK(hits >= 4 && misses >= 2);
    tiles_cache_free(c);
    tiles_cache_free(NULL);
}

static void test_cache_many_keys(void) {
    tiles_cache_t *c = tiles_cache_new(1 << 20);
    char key[32];
    unsigned char v[16] = {0};
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        v[0] = (unsigned char)i;
        tiles_cache_put(c, key, v, sizeof v, i, 0);
    }
    CHECK(tiles_cache_bytes(c) <= (1 << 20));
    size_t len;
    int w, h, ok = 1;
    for (int i = 4000; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        const unsigned char *d = tiles_cache_get(c, key, &len, &w, &h);
        if (!d || w != i || d[0] != (unsigned char)i)
            ok = 0;
    }
    CHECK(ok);
    tiles_cache_free(c);
}

CHECK_MAIN(test_levels_and_grid, test_rect_every_level, test_pool_matches_bruteforce,
           test_pool_other_dtypes, test_sharp_weight_survives,
           test_colorize_range_and_nan, test_render_and_thumb, test_plane_from_tensor,
           test_cache_lru, test_cache_many_keys)
