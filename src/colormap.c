/* SPDX-License-Identifier: MIT */
/* colormap.c -- matplotlib's colormaps by name, and value-to-colour mapping.
 *
 * Figures must look the way matplotlib draws them, so the tables are matplotlib's own
 * numbers (colormap_data.h) and the value-to-index rule is matplotlib's. This file only
 * answers "which colour is this value"; it draws nothing and never allocates. */
#include "colormap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "colormap_data.h"

static const colormap_t colormap_table[] = {COLORMAP_DATA_TABLE};
#define NMAPS (sizeof colormap_table / sizeof colormap_table[0])

/* colormap_find -- the table named exactly `name` (case-sensitive, as in matplotlib),
 * or NULL. The result is borrowed from a static table. */
const colormap_t *colormap_find(const char *name) {
    if (!name)
        return NULL;
    for (size_t i = 0; i < NMAPS; i++)
        if (strcmp(colormap_table[i].name, name) == 0)
            return &colormap_table[i];
    return NULL;
}

/* colormap_select -- resolve `name` into a table plus reversal: an exact table name, or
 * NAME_r for any table NAME (matplotlib's reversed map). Returns 0, or -1 if unknown
 * (out->map is then NULL). */
int colormap_select(const char *name, colormap_sel_t *out) {
    out->map = colormap_find(name);
    out->reversed = 0;
    if (out->map)
        return 0;
    size_t len = name ? strlen(name) : 0;
    if (len > 2 && len < 64 && strcmp(name + len - 2, "_r") == 0) {
        char base[64];
        memcpy(base, name, len - 2);
        base[len - 2] = '\0';
        out->map = colormap_find(base);
        out->reversed = 1;
        if (out->map)
            return 0;
    }
    out->map = NULL;
    out->reversed = 0;
    return -1;
}

/* colormap_count -- number of tables (reversed variants not counted). */
size_t colormap_count(void) {
    return NMAPS;
}

/* colormap_at -- the i-th table, or NULL when i is out of range. Borrowed. */
const colormap_t *colormap_at(size_t i) {
    return i < NMAPS ? &colormap_table[i] : NULL;
}

/* colormap_names -- write "viridis, plasma, ..." into out (always NUL-terminated,
 * truncated to cap), for error messages and help. */
void colormap_names(char *out, size_t cap) {
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < NMAPS && len + 1 < cap; i++) {
        int k =
            snprintf(out + len, cap - len, "%s%s", i ? ", " : "", colormap_table[i].name);
        if (k < 0)
            break;
        len += (size_t)k;
    }
}

/* colormap_index -- the table index matplotlib uses for v with limits [vmin, vmax]:
 * floor(t * N) with t = (v - vmin) / (vmax - vmin), clipped to [0, N-1] (values under
 * and over the range take the end colours, matplotlib's default). A degenerate range
 * (vmax <= vmin) maps everything to index 0, as Normalize does. Returns -1 for NaN,
 * which the caller draws with its "bad" colour. Reversal is applied. */
int colormap_index(const colormap_sel_t *sel, double v, double vmin, double vmax) {
    if (isnan(v))
        return -1;
    int n = sel->map->n;
    int i;
    if (!(vmax > vmin)) {
        i = 0;
    } else {
        double t = (v - vmin) / (vmax - vmin);
        double x = t * n;
        if (!(x >= 0)) /* also catches -inf */
            i = 0;
        else if (x >= n)
            i = n - 1;
        else
            i = (int)x;
    }
    return sel->reversed ? n - 1 - i : i;
}

/* colormap_entry8 -- bytes of entry i (already reversal-adjusted index from
 * colormap_index, or a raw index for categorical maps, taken modulo n). */
void colormap_entry8(const colormap_sel_t *sel, int i, uint8_t rgb[3]) {
    int n = sel->map->n;
    i = ((i % n) + n) % n;
    memcpy(rgb, sel->map->rgb8[i], 3);
}

/* colormap_rgb8 -- the bytes matplotlib draws for v. NaN gives light grey (the caller
 * marks NaN cells separately when it needs to). */
void colormap_rgb8(const colormap_sel_t *sel, double v, double vmin, double vmax,
                   uint8_t rgb[3]) {
    int i = colormap_index(sel, v, vmin, vmax);
    if (i < 0) {
        rgb[0] = rgb[1] = rgb[2] = 0xd8;
        return;
    }
    memcpy(rgb, sel->map->rgb8[i], 3);
}

/* colormap_argb -- as colormap_rgb8, packed as opaque 0xAARRGGBB (cairo's ARGB32). */
uint32_t colormap_argb(const colormap_sel_t *sel, double v, double vmin, double vmax) {
    uint8_t c[3];
    colormap_rgb8(sel, v, vmin, vmax, c);
    return 0xff000000u | (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

/* colormap_category -- the i-th tab10 colour (cycling), components in [0, 1]. */
void colormap_category(int i, double rgb[3]) {
    const colormap_t *m = colormap_find("tab10");
    int k = ((i % m->n) + m->n) % m->n;
    rgb[0] = m->rgb[k][0];
    rgb[1] = m->rgb[k][1];
    rgb[2] = m->rgb[k][2];
}
