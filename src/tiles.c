/* SPDX-License-Identifier: MIT */
/* tiles.c -- tile pyramid over a 2-D attention slice, thumbnails, and a tile cache.
 *
 * Exists so that a front end can look at a [4096, 4096] attention head (or larger)
 * through 256x256 images computed on demand: nothing ever materialises the pyramid.
 * A tile at level L is computed straight from the (possibly memory-mapped) source by
 * streaming its rows once and keeping the max of every 2^L x 2^L block; the encoded
 * PNG is then kept in a bounded LRU cache owned by the caller. This file knows nothing
 * of JSON, comms or widgets; it reads tensors through a borrowed tiles_plane_t and
 * never writes them. Masking is presentation only: it greys cells above the diagonal. */
#include "tiles.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ==== the plane ======================================================================
 */

/* Fills `p` with the 2-D plane of `t` selected by the `nlead` leading indices in
 * `lead` (e.g. {layer, head} for a [layers, heads, q, k] tensor). Returns 0, or -1 with
 * `err` set when t is not (nlead + 2)-D or an index is out of range. Borrows `t`: the
 * plane is valid while the tensor is. */
int tiles_plane_from_tensor(tiles_plane_t *p, const tensor_t *t, const int64_t *lead,
                            int nlead, err_t *err) {
    if (!t || t->ndim != nlead + 2) {
        err_set(err, "ShapeError", "expected a %d-D tensor", nlead + 2);
        return -1;
    }
    const char *d = t->data;
    for (int i = 0; i < nlead; i++) {
        if (lead[i] < 0 || lead[i] >= t->shape[i]) {
            err_set(err, "IndexError", "index %lld out of range for axis %d of size %lld",
                    (long long)lead[i], i, (long long)t->shape[i]);
            return -1;
        }
        d += lead[i] * t->strides[i];
    }
    p->data = d;
    p->dtype = t->dtype;
    p->rows = t->shape[nlead];
    p->cols = t->shape[nlead + 1];
    p->rstride = t->strides[nlead];
    p->cstride = t->strides[nlead + 1];
    return 0;
}

/* Returns cell (r, c) as a double (exactly the stored value for f32/f16/bf16/f64).
 * The caller guarantees 0 <= r < rows and 0 <= c < cols. */
double tiles_plane_get(const tiles_plane_t *p, int64_t r, int64_t c) {
    double v;
    tensor_load_f64(p->dtype, p->data + r * p->rstride + c * p->cstride, 1, 0, &v);
    return v;
}

/* Converts cells (r, c0 .. c0+n-1) to float into `dst`. Bounds are the caller's. */
void tiles_plane_read_row(const tiles_plane_t *p, int64_t r, int64_t c0, int64_t n,
                          float *dst) {
    tensor_load_f32(p->dtype, p->data + r * p->rstride + c0 * p->cstride, n, p->cstride,
                    dst);
}

/* ==== pyramid addressing =============================================================
 */

/* Returns the number of pyramid levels of a rows x cols plane: level 0 is 1:1, and the
 * last level is the first whose single tile covers everything. Returns 0 for an empty
 * plane. */
int tiles_levels(int64_t rows, int64_t cols) {
    if (rows <= 0 || cols <= 0)
        return 0;
    int64_t side = rows > cols ? rows : cols;
    int n = 1;
    while (n < TILES_MAX_LEVELS && ((int64_t)TILES_SIZE << (n - 1)) < side)
        n++;
    return n;
}

/* Sets *nx, *ny to the number of tiles across and down at `level`. Returns 0, or -1
 * when the level does not exist. */
int tiles_grid(int64_t rows, int64_t cols, int level, int64_t *nx, int64_t *ny) {
    if (level < 0 || level >= tiles_levels(rows, cols))
        return -1;
    int64_t span = (int64_t)TILES_SIZE << level; /* cells per tile side */
    *nx = (cols + span - 1) / span;
    *ny = (rows + span - 1) / span;
    return 0;
}

/* Sets *w, *h to the pixel size of tile (level, x, y); edge tiles are clipped to the
 * plane. Returns 0, or -1 with `err` set when the level or tile does not exist (any
 * int64 values are safe to pass). */
int tiles_rect(int64_t rows, int64_t cols, int level, int64_t x, int64_t y, int *w,
               int *h, err_t *err) {
    int64_t nx, ny;
    if (tiles_grid(rows, cols, level, &nx, &ny) < 0) {
        err_set(err, "IndexError", "level %d out of range 0..%d", level,
                tiles_levels(rows, cols) - 1);
        return -1;
    }
    if (x < 0 || y < 0 || x >= nx || y >= ny) {
        err_set(err, "IndexError",
                "tile (%lld, %lld) out of range at level %d (%lldx%lld)", (long long)x,
                (long long)y, level, (long long)nx, (long long)ny);
        return -1;
    }
    int64_t b = (int64_t)1 << level, span = (int64_t)TILES_SIZE << level;
    int64_t cw = cols - x * span, ch = rows - y * span;
    if (cw > span)
        cw = span;
    if (ch > span)
        ch = span;
    *w = (int)((cw + b - 1) / b);
    *h = (int)((ch + b - 1) / b);
    return 0;
}

/* ==== pooling and colouring ==========================================================
 */

/* Max-pools the plane into a w x h float image: pixel (px, py) is the max over cells
 * rows [r0 + py*block, r0 + (py+1)*block) x cols [c0 + px*block, ...), clipped to the
 * plane; with `mask`, cells with col > row are skipped. NaN cells are ignored; a pixel
 * with no eligible non-NaN cell gets NaN. The caller guarantees r0 < rows, c0 < cols
 * and that the pixels start inside the plane. */
void tiles_pool(const tiles_plane_t *p, int64_t r0, int64_t c0, int64_t block, int w,
                int h, int mask, float *out) {
    int64_t cend = c0 + (int64_t)w * block;
    if (cend > p->cols)
        cend = p->cols;
    int64_t ncell = cend - c0;
    float *row = NULL;
    int direct = p->dtype == DT_F32 && p->cstride == 4;
    if (!direct)
        row = xmalloc((size_t)ncell * sizeof *row);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        out[i] = -INFINITY;
    uint8_t *seen = xcalloc((size_t)w * (size_t)h, 1);
    for (int py = 0; py < h; py++) {
        int64_t ra = r0 + py * block, rb = ra + block;
        if (rb > p->rows)
            rb = p->rows;
        float *o = out + (size_t)py * (size_t)w;
        uint8_t *s = seen + (size_t)py * (size_t)w;
        for (int64_t r = ra; r < rb; r++) {
            int64_t lim = ncell; /* cells of this row to look at */
            if (mask) {
                int64_t vis = r + 1 - c0; /* cols c0..r are unmasked */
                if (vis <= 0)
                    continue;
                if (vis < lim)
                    lim = vis;
            }
            const float *v;
            if (direct) {
                v = (const float *)(const void *)(p->data + r * p->rstride +
                                                  c0 * p->cstride);
            } else {
                tiles_plane_read_row(p, r, c0, lim, row);
                v = row;
            }
            for (int px = 0; px < w; px++) {
                int64_t a = (int64_t)px * block;
                if (a >= lim)
                    break;
                int64_t b = a + block < lim ? a + block : lim;
                float m = o[px];
                int any = 0;
                for (int64_t i = a; i < b; i++) {
                    float f = v[i];
                    if (f == f) {
                        any = 1;
                        if (f > m)
                            m = f;
                    }
                }
                o[px] = m;
                s[px] |= (uint8_t)any;
            }
        }
    }
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        if (!seen[i])
            out[i] = NAN;
    free(seen);
    free(row);
}

/* Fills `pal` with the 256-entry tile palette: TILES_NCOLORS samples of st->cmap, then
 * the mask, NaN and transparent entries. */
void tiles_palette(const tiles_style_t *st, png_palette_t *pal) {
    memset(pal, 0, sizeof *pal);
    for (int i = 0; i < TILES_NCOLORS; i++) {
        int j = (i * 255 + (TILES_NCOLORS - 1) / 2) / (TILES_NCOLORS - 1);
        memcpy(pal->rgb[i], st->cmap[j], 3);
        pal->alpha[i] = 255;
    }
    pal->rgb[TILES_IDX_MASKED][0] = pal->rgb[TILES_IDX_MASKED][1] =
        pal->rgb[TILES_IDX_MASKED][2] = 128;
    pal->alpha[TILES_IDX_MASKED] = 72;
    pal->rgb[TILES_IDX_NAN][0] = 255;
    pal->rgb[TILES_IDX_NAN][1] = 0;
    pal->rgb[TILES_IDX_NAN][2] = 255;
    pal->alpha[TILES_IDX_NAN] = 255;
    pal->alpha[TILES_IDX_CLEAR] = 0;
    pal->n = 256;
    pal->nalpha = 256;
}

/* Maps pooled values to palette indices. A pixel whose whole block lies above the
 * diagonal (first col > last row) is TILES_IDX_MASKED when st->mask is on; NaN maps to
 * TILES_IDX_NAN; values clamp to [vmin, vmax]. r0/c0/block/rows/cols locate the
 * pixels' blocks as in tiles_pool. */
void tiles_colorize(const float *v, int w, int h, int64_t r0, int64_t c0, int64_t block,
                    int64_t rows, int64_t cols, const tiles_style_t *st, uint8_t *idx) {
    double lo = st->vmin, span = st->vmax - st->vmin;
    double k = span > 0 ? (TILES_NCOLORS - 1) / span : 0;
    UNUSED(cols);
    for (int py = 0; py < h; py++) {
        int64_t rlast = r0 + (int64_t)(py + 1) * block - 1;
        if (rlast >= rows)
            rlast = rows - 1;
        for (int px = 0; px < w; px++) {
            size_t i = (size_t)py * (size_t)w + (size_t)px;
            int64_t cfirst = c0 + (int64_t)px * block;
            if (st->mask && cfirst > rlast) {
                idx[i] = TILES_IDX_MASKED;
                continue;
            }
            float f = v[i];
            if (f != f) {
                idx[i] = TILES_IDX_NAN;
                continue;
            }
            double t = ((double)f - lo) * k;
            if (!(t > 0))
                t = 0; /* also catches span <= 0 */
            if (t > TILES_NCOLORS - 1)
                t = TILES_NCOLORS - 1;
            idx[i] = (uint8_t)(t + 0.5);
        }
    }
}

/* ==== rendering ======================================================================
 */

static int render_block(const tiles_plane_t *p, const tiles_style_t *st, int64_t r0,
                        int64_t c0, int64_t block, int w, int h, buf_t *png, err_t *err) {
    size_t n = (size_t)w * (size_t)h;
    float *v = xmalloc(n * sizeof *v);
    uint8_t *idx = xmalloc(n);
    tiles_pool(p, r0, c0, block, w, h, st->mask, v);
    tiles_colorize(v, w, h, r0, c0, block, p->rows, p->cols, st, idx);
    png_palette_t pal;
    tiles_palette(st, &pal);
    int rc = png_write_indexed(png, idx, w, h, (size_t)w, &pal, err);
    free(v);
    free(idx);
    return rc;
}

/* Renders tile (level, x, y) of the plane as a palette PNG appended to `png`, and sets
 * *w, *h to its pixel size. Returns 0, or -1 with `err` set for a tile outside the
 * pyramid (any level/x/y values are safe) or an encoding failure. */
int tiles_render(const tiles_plane_t *p, const tiles_style_t *st, int level, int64_t x,
                 int64_t y, buf_t *png, int *w, int *h, err_t *err) {
    if (tiles_rect(p->rows, p->cols, level, x, y, w, h, err) < 0)
        return -1;
    int64_t span = (int64_t)TILES_SIZE << level;
    return render_block(p, st, y * span, x * span, (int64_t)1 << level, *w, *h, png, err);
}

/* Returns the block size (cells per thumbnail pixel) that fits a rows x cols plane in
 * max_side pixels: ceil(max(rows, cols) / max_side), at least 1. */
int64_t tiles_thumb_block(int64_t rows, int64_t cols, int max_side) {
    int64_t side = rows > cols ? rows : cols;
    if (max_side < 1)
        max_side = 1;
    int64_t b = (side + max_side - 1) / max_side;
    return b < 1 ? 1 : b;
}

/* Renders the whole plane max-pooled to fit in max_side x max_side pixels (1 pixel per
 * cell for small planes) as a palette PNG appended to `png`. Returns 0, or -1 with
 * `err` set for an empty plane or an encoding failure. */
int tiles_thumb(const tiles_plane_t *p, const tiles_style_t *st, int max_side, buf_t *png,
                int *w, int *h, err_t *err) {
    if (p->rows < 1 || p->cols < 1) {
        err_set(err, "ShapeError", "empty attention plane");
        return -1;
    }
    int64_t b = tiles_thumb_block(p->rows, p->cols, max_side);
    *w = (int)((p->cols + b - 1) / b);
    *h = (int)((p->rows + b - 1) / b);
    return render_block(p, st, 0, 0, b, *w, *h, png, err);
}

static cairo_status_t png_sink(void *closure, const unsigned char *data,
                               unsigned int len) {
    buf_append((buf_t *)closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

/* Renders an overview picture: a grid of `n` head thumbnails with their labels under a
 * title, at most max_w x max_h logical pixels, drawn at 2x for high-DPI screens. The PNG
 * is appended to `png`; *w, *h receive the logical size. Returns 0, or -1 with `err`
 * set when n < 1 or cairo fails. Borrows everything. */
int tiles_overview(const tiles_plane_t *planes, const char *const *labels, int n,
                   const tiles_style_t *st, const char *title, int max_w, int max_h,
                   buf_t *png, int *w, int *h, err_t *err) {
    if (n < 1 || max_w < 64 || max_h < 64) {
        err_set(err, "ValueError", "overview: nothing to draw");
        return -1;
    }
    const int pad = 6, lab = 14, top = title ? 22 : 4;
    /* choose the column count that maximises the cell size */
    int best_cols = 1, best_cell = 0;
    for (int cols = 1; cols <= n; cols++) {
        int rows = (n + cols - 1) / cols;
        int cw = (max_w - pad) / cols - pad;
        int ch = (max_h - top - pad) / rows - pad - lab;
        int cell = cw < ch ? cw : ch;
        if (cell > best_cell) {
            best_cell = cell;
            best_cols = cols;
        }
    }
    if (best_cell < 8)
        best_cell = 8;
    int cols = best_cols, rows = (n + cols - 1) / cols;
    int W = pad + cols * (best_cell + pad),
        H = top + rows * (best_cell + lab + pad) + pad;
    const int S = 2; /* device pixels per logical pixel */
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W * S, H * S);
    if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surf);
        err_set(err, "RuntimeError", "overview: cannot create a %dx%d surface", W, H);
        return -1;
    }
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, S, S);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    if (title) {
        cairo_set_font_size(cr, 12);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        cairo_move_to(cr, pad, 15);
        cairo_show_text(cr, title);
    }
    png_palette_t pal;
    tiles_palette(st, &pal);
    int side = best_cell * S;
    for (int i = 0; i < n; i++) {
        const tiles_plane_t *p = &planes[i];
        int64_t b = tiles_thumb_block(p->rows, p->cols, side);
        int tw = (int)((p->cols + b - 1) / b), th = (int)((p->rows + b - 1) / b);
        float *v = xmalloc((size_t)tw * (size_t)th * sizeof *v);
        uint8_t *idx = xmalloc((size_t)tw * (size_t)th);
        tiles_pool(p, 0, 0, b, tw, th, st->mask, v);
        tiles_colorize(v, tw, th, 0, 0, b, p->rows, p->cols, st, idx);
        cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, tw, th);
        unsigned char *px = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        cairo_surface_flush(img);
        for (int y = 0; y < th; y++) {
            uint32_t *o = (uint32_t *)(void *)(px + (size_t)y * (size_t)stride);
            for (int x = 0; x < tw; x++) {
                uint8_t k = idx[(size_t)y * (size_t)tw + (size_t)x];
                uint32_t a = pal.alpha[k];
                /* premultiplied over white */
                uint32_t r = (pal.rgb[k][0] * a + 255 * (255 - a)) / 255;
                uint32_t g = (pal.rgb[k][1] * a + 255 * (255 - a)) / 255;
                uint32_t bl = (pal.rgb[k][2] * a + 255 * (255 - a)) / 255;
                o[x] = 0xff000000u | (r << 16) | (g << 8) | bl;
            }
        }
        cairo_surface_mark_dirty(img);
        free(v);
        free(idx);
        int col = i % cols, row = i / cols;
        double x0 = pad + col * (best_cell + pad),
               y0 = top + row * (best_cell + lab + pad);
        double sc = (double)best_cell / (double)(tw > th ? tw : th);
        cairo_save(cr);
        cairo_translate(cr, x0, y0);
        cairo_scale(cr, sc, sc);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(cr, 0, 0, tw, th);
        cairo_fill(cr);
        cairo_restore(cr);
        cairo_surface_destroy(img);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
        cairo_set_line_width(cr, 0.5);
        cairo_rectangle(cr, x0 - 0.25, y0 - 0.25, best_cell + 0.5, best_cell + 0.5);
        cairo_stroke(cr);
        if (labels && labels[i]) {
            cairo_set_font_size(cr, 10);
            cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
            cairo_move_to(cr, x0, y0 + best_cell + 11);
            cairo_show_text(cr, labels[i]);
        }
    }
    cairo_destroy(cr);
    cairo_surface_flush(surf);
    cairo_status_t cs = cairo_surface_write_to_png_stream(surf, png_sink, png);
    cairo_surface_destroy(surf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        err_set(err, "RuntimeError", "overview: %s", cairo_status_to_string(cs));
        return -1;
    }
    *w = W;
    *h = H;
    return 0;
}

/* ==== the LRU cache ==================================================================
 */

typedef struct centry {
    char *key;                  /* owned */
    unsigned char *data;        /* owned PNG bytes */
    size_t len;                 /* bytes of data */
    int w, h;                   /* tile size in pixels */
    uint64_t hash;              /* FNV-1a of key */
    struct centry *hnext;       /* bucket chain */
    struct centry *prev, *next; /* LRU list, most recent first */
} centry_t;

struct tiles_cache {
    size_t max_bytes; /* budget for keys + data */
    size_t bytes;     /* current usage */
    size_t count;     /* entries */
    centry_t **buckets;
    size_t nbuckets; /* power of two */
    centry_t *head, *tail;
    uint64_t hits, misses;
};

static uint64_t fnv(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Returns a new, empty cache that keeps at most `max_bytes` of keys and tile bytes.
 * Never NULL; free with tiles_cache_free. */
tiles_cache_t *tiles_cache_new(size_t max_bytes) {
    tiles_cache_t *c = xcalloc(1, sizeof *c);
    c->max_bytes = max_bytes;
    c->nbuckets = 256;
    c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
    return c;
}

/* Frees the cache and every entry. Accepts NULL. */
void tiles_cache_free(tiles_cache_t *c) {
    if (!c)
        return;
    centry_t *e = c->head;
    while (e) {
        centry_t *n = e->next;
        free(e->key);
        free(e->data);
        free(e);
        e = n;
    }
    free(c->buckets);
    free(c);
}

static void lru_unlink(tiles_cache_t *c, centry_t *e) {
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_front(tiles_cache_t *c, centry_t *e) {
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static centry_t **find_slot(tiles_cache_t *c, const char *key, uint64_t h) {
    centry_t **pp = &c->buckets[h & (c->nbuckets - 1)];
    while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
        pp = &(*pp)->hnext;
    return pp;
}

static void drop(tiles_cache_t *c, centry_t *e) {
    centry_t **pp = find_slot(c, e->key, e->hash);
    *pp = e->hnext;
    lru_unlink(c, e);
    c->bytes -= e->len + strlen(e->key) + sizeof *e;
    c->count--;
    free(e->key);
    free(e->data);
    free(e);
}

/* Looks up `key`; on a hit returns the cached bytes (borrowed, valid until the next
 * tiles_cache_put or free), sets *len, *w, *h and marks the entry most recent. Returns
 * NULL on a miss. */
const unsigned char *tiles_cache_get(tiles_cache_t *c, const char *key, size_t *len,
                                     int *w, int *h) {
    uint64_t hv = fnv(key);
    centry_t *e = *find_slot(c, key, hv);
    if (!e) {
        c->misses++;
        return NULL;
    }
    c->hits++;
    lru_unlink(c, e);
    lru_front(c, e);
    *len = e->len;
    *w = e->w;
    *h = e->h;
    return e->data;
}

/* Stores a copy of `data` under `key` (replacing an older entry) and evicts the least
 * recently used entries until the budget holds. An entry larger than the whole budget
 * is not stored. */
void tiles_cache_put(tiles_cache_t *c, const char *key, const unsigned char *data,
                     size_t len, int w, int h) {
    uint64_t hv = fnv(key);
    centry_t *old = *find_slot(c, key, hv);
    if (old)
        drop(c, old);
    size_t cost = len + strlen(key) + sizeof(centry_t);
    if (cost > c->max_bytes)
        return;
    while (c->tail && c->bytes + cost > c->max_bytes)
        drop(c, c->tail);
    if (c->count + 1 > c->nbuckets) { /* grow and rehash */
        size_t nb = c->nbuckets * 2;
        centry_t **b = xcalloc(nb, sizeof *b);
        for (size_t i = 0; i < c->nbuckets; i++) {
            centry_t *e = c->buckets[i];
            while (e) {
                centry_t *nx = e->hnext;
                e->hnext = b[e->hash & (nb - 1)];
                b[e->hash & (nb - 1)] = e;
                e = nx;
            }
        }
        free(c->buckets);
        c->buckets = b;
        c->nbuckets = nb;
    }
    centry_t *e = xcalloc(1, sizeof *e);
    e->key = xstrdup(key);
    e->data = xmalloc(len ? len : 1);
    if (len)
        memcpy(e->data, data, len);
    e->len = len;
    e->w = w;
    e->h = h;
    e->hash = hv;
    centry_t **slot = &c->buckets[hv & (c->nbuckets - 1)];
    e->hnext = *slot;
    *slot = e;
    lru_front(c, e);
    c->bytes += cost;
    c->count++;
}

/* Bytes currently accounted (keys + data + bookkeeping). */
size_t tiles_cache_bytes(const tiles_cache_t *c) {
    return c->bytes;
}

/* Entries currently cached. */
size_t tiles_cache_count(const tiles_cache_t *c) {
    return c->count;
}

/* Hit and miss counters since creation (either pointer may be NULL). */
void tiles_cache_stats(const tiles_cache_t *c, uint64_t *hits, uint64_t *misses) {
    if (hits)
        *hits = c->hits;
    if (misses)
        *misses = c->misses;
}
