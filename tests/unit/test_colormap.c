/* SPDX-License-Identifier: MIT */
/* test_colormap.c -- colormap tables equal matplotlib's, and matplotlib's mapping rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "colormap.h"

/* Every line of tests/data/colormaps_expected.txt (written from matplotlib by
 * tools/gen_colormaps.py with Python's repr) must equal the compiled table exactly. */
static void test_tables_equal_matplotlib(void) {
    FILE *f = fopen("tests/data/colormaps_expected.txt", "r");
    if (!f)
        SKIP("tests/data/colormaps_expected.txt not found (run from the repo root)");
    char line[512], name[64];
    int lines = 0, mismatches = 0;
    size_t seen_maps = 0;
    const colormap_t *last = NULL;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        int i, b0, b1, b2;
        double r, g, b;
        if (sscanf(line, "%63s %d %lf %lf %lf %d %d %d", name, &i, &r, &g, &b, &b0, &b1,
                   &b2) != 8) {
            CHECK(!"malformed expected line");
            continue;
        }
        const colormap_t *m = colormap_find(name);
        CHECK(m != NULL);
        if (!m)
            continue;
        if (m != last)
            seen_maps++;
        last = m;
        CHECK(i >= 0 && i < m->n);
        if (i < 0 || i >= m->n)
            continue;
        if (m->rgb[i][0] != r || m->rgb[i][1] != g || m->rgb[i][2] != b ||
            m->rgb8[i][0] != b0 || m->rgb8[i][1] != b1 || m->rgb8[i][2] != b2) {
            if (mismatches++ < 5)
                fprintf(stderr, "  mismatch %s[%d]\n", name, i);
        }
        lines++;
    }
    fclose(f);
    CHECK_EQ_INT(mismatches, 0);
    CHECK_EQ_INT(seen_maps, colormap_count());
    CHECK_EQ_INT(lines, 256 * ((int)colormap_count() - 1) + 10);
}

/* Published constants of matplotlib's _cm_listed.py and _cm.py, independent of the
 * generator. */
static void test_known_entries(void) {
    const colormap_t *v = colormap_find("viridis");
    CHECK(v != NULL);
    CHECK_EQ_INT(v->n, 256);
    CHECK_EQ_DBL(v->rgb[0][0], 0.267004, 0);
    CHECK_EQ_DBL(v->rgb[0][1], 0.004874, 0);
    CHECK_EQ_DBL(v->rgb[0][2], 0.329415, 0);
    CHECK_EQ_DBL(v->rgb[255][0], 0.993248, 0);
    CHECK_EQ_DBL(v->rgb[255][1], 0.906157, 0);
    CHECK_EQ_DBL(v->rgb[255][2], 0.143936, 0);
    const colormap_t *t = colormap_find("tab10");
    CHECK_EQ_INT(t->n, 10);
    CHECK_EQ_INT(t->categorical, 1);
    CHECK_EQ_INT(t->rgb8[0][0], 0x1f); /* #1f77b4 */
    CHECK_EQ_INT(t->rgb8[0][1], 0x77);
    CHECK_EQ_INT(t->rgb8[0][2], 0xb4);
    const colormap_t *rb = colormap_find("RdBu_r");
    CHECK_EQ_DBL(rb->rgb[0][0], 0x05 / 255.0, 1e-15);   /* #053061 */
    CHECK_EQ_DBL(rb->rgb[255][0], 0x67 / 255.0, 1e-15); /* #67001f */
    for (size_t i = 0; i < colormap_count(); i++)
        CHECK(colormap_at(i)->name != NULL);
    CHECK(colormap_at(colormap_count()) == NULL);
    CHECK(colormap_find("nope") == NULL);
    CHECK(colormap_find(NULL) == NULL);
}

static void test_mapping_rule(void) {
    colormap_sel_t s;
    CHECK_EQ_INT(colormap_select("viridis", &s), 0);
    CHECK_EQ_INT(colormap_index(&s, 0.0, 0, 1), 0);
    CHECK_EQ_INT(colormap_index(&s, 1.0, 0, 1), 255);
    CHECK_EQ_INT(colormap_index(&s, 0.5, 0, 1), 128);
    CHECK_EQ_INT(colormap_index(&s, 0.499, 0, 1), 127);
    CHECK_EQ_INT(colormap_index(&s, -5, 0, 1), 0);
    CHECK_EQ_INT(colormap_index(&s, 5, 0, 1), 255);
    CHECK_EQ_INT(colormap_index(&s, -(double)INFINITY, 0, 1), 0);
    CHECK_EQ_INT(colormap_index(&s, (double)INFINITY, 0, 1), 255);
    CHECK_EQ_INT(colormap_index(&s, (double)NAN, 0, 1), -1);
    CHECK_EQ_INT(colormap_index(&s, 3, 2, 2), 0); /* degenerate range */
    CHECK_EQ_INT(colormap_select("viridis_r", &s), 0);
    CHECK_EQ_INT(s.reversed, 1);
    CHECK_EQ_INT(colormap_index(&s, 0.0, 0, 1), 255);
    uint8_t c[3];
    colormap_rgb8(&s, 0.0, 0, 1, c);
    CHECK_EQ_INT(c[0], 253); /* viridis[255] = 0.993248 -> 253 */
    CHECK_EQ_INT(colormap_select("RdBu_r", &s), 0);
    CHECK_EQ_INT(s.reversed, 0); /* a table of its own */
    CHECK_EQ_INT(colormap_select("RdBu_r_r", &s), 0);
    CHECK_EQ_INT(colormap_select("bogus", &s), -1);
    CHECK(s.map == NULL);
    CHECK_EQ_INT(colormap_select("", &s), -1);
    CHECK_EQ_INT(colormap_select("_r", &s), -1);
    char names[256];
    colormap_names(names, sizeof names);
    CHECK_CONTAINS(names, "viridis, plasma");
    char tiny[8];
    colormap_names(tiny, sizeof tiny);
    CHECK(strlen(tiny) < sizeof tiny);
    double rgb[3];
    colormap_category(11, rgb); /* cycles: 11 % 10 = 1 = #ff7f0e */
    CHECK_EQ_DBL(rgb[0], 1.0, 0);
}

CHECK_MAIN(test_tables_equal_matplotlib, test_known_entries, test_mapping_rule)
