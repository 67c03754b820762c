/* SPDX-License-Identifier: MIT */
/* tiles.h -- tile pyramid over a 2-D attention slice, thumbnails, and a tile cache.
 *
 * Addressing. A plane has `rows` (queries) x `cols` (keys) cells. Level L shows one
 * pixel per 2^L x 2^L block of cells, the pixel's value being the **max** of its block,
 * so a single sharp weight survives zooming out. Level 0 is one pixel per cell; zooming
 * in beyond 1:1 is done by the front end, which scales level-0 tiles up with
 * nearest-neighbour sampling (the kernel never renders magnified tiles: they carry no
 * information and would multiply the bytes). The coarsest level is the first whose
 * single tile covers the whole plane. Tile (L, x, y) covers cells
 * [y*256*2^L, (y+1)*256*2^L) x [x*256*2^L, ...), clipped to the plane, so edge tiles
 * are narrower than 256 px.
 *
 * Colour. Values map linearly from [vmin, vmax] onto palette entries 0..252 of the
 * colormap; entry 253 is the causal mask (translucent grey, so the page's background
 * shows through in light and dark themes), 254 is NaN and 255 is transparent. */
#ifndef MECHVIZ_TILES_H
#define MECHVIZ_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "png.h"
#include "tensor.h"
#include "util.h"

#define TILES_SIZE 256       /* tile side in pixels */
#define TILES_NCOLORS 253    /* palette entries used for values */
#define TILES_IDX_MASKED 253 /* palette entry of masked cells */
#define TILES_IDX_NAN 254    /* palette entry of NaN cells */
#define TILES_IDX_CLEAR 255  /* transparent palette entry */
#define TILES_MAX_LEVELS 40

/* A 2-D strided view of float (or integer) elements; borrowed memory. */
typedef struct tiles_plane {
    const char *data; /* address of cell [0, 0] */
    dtype_t dtype;    /* element type */
    int64_t rows;     /* queries */
    int64_t cols;     /* keys */
    int64_t rstride;  /* bytes between rows */
    int64_t cstride;  /* bytes between columns */
} tiles_plane_t;

/* How values become colours. */
typedef struct tiles_style {
    double vmin, vmax;        /* value range mapped onto the colormap */
    int mask;                 /* 1: cells with col > row are drawn as masked */
    const uint8_t (*cmap)[3]; /* 256 RGB entries (borrowed) */
} tiles_style_t;

/* --- the plane ---------------------------------------------------------------------- */
int tiles_plane_from_tensor(tiles_plane_t *p, const tensor_t *t, const int64_t *lead,
                            int nlead, err_t *err);
double tiles_plane_get(const tiles_plane_t *p, int64_t r, int64_t c);
void tiles_plane_read_row(const tiles_plane_t *p, int64_t r, int64_t c0, int64_t n,
                          float *dst);

/* --- pyramid addressing ------------------------------------------------------------- */
int tiles_levels(int64_t rows, int64_t cols);
int tiles_grid(int64_t rows, int64_t cols, int level, int64_t *nx, int64_t *ny);
int tiles_rect(int64_t rows, int64_t cols, int level, int64_t x, int64_t y, int *w,
               int *h, err_t *err);

/* --- pooling and colouring ---------------------------------------------------------- */
void tiles_pool(const tiles_plane_t *p, int64_t r0, int64_t c0, int64_t block, int w,
                int h, int mask, float *out);
void tiles_palette(const tiles_style_t *st, png_palette_t *pal);
void tiles_colorize(const float *v, int w, int h, int64_t r0, int64_t c0, int64_t block,
                    int64_t rows, int64_t cols, const tiles_style_t *st, uint8_t *idx);

/* --- rendering ---------------------------------------------------------------------- */
int tiles_render(const tiles_plane_t *p, const tiles_style_t *st, int level, int64_t x,
                 int64_t y, buf_t *png, int *w, int *h, err_t *err);
int64_t tiles_thumb_block(int64_t rows, int64_t cols, int max_side);
int tiles_thumb(const tiles_plane_t *p, const tiles_style_t *st, int max_side, buf_t *png,
                int *w, int *h, err_t *err);
int tiles_overview(const tiles_plane_t *planes, const char *const *labels, int n,
                   const tiles_style_t *st, const char *title, int max_w, int max_h,
                   buf_t *png, int *w, int *h, err_t *err);

/* --- a bounded LRU cache of encoded tiles ------------------------------------------- */
typedef struct tiles_cache tiles_cache_t;

tiles_cache_t *tiles_cache_new(size_t max_bytes);
void tiles_cache_free(tiles_cache_t *c);
const unsigned char *tiles_cache_get(tiles_cache_t *c, const char *key, size_t *len,
                                     int *w, int *h);
void tiles_cache_put(tiles_cache_t *c, const char *key, const unsigned char *data,
                     size_t len, int w, int h);
size_t tiles_cache_bytes(const tiles_cache_t *c);
size_t tiles_cache_count(const tiles_cache_t *c);
void tiles_cache_stats(const tiles_cache_t *c, uint64_t *hits, uint64_t *misses);

#endif
