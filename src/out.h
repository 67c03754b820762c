/* SPDX-License-Identifier: MIT */
/* out.h -- the output sink: the only way the language layer speaks to the outside.
 *
 * Commands and the interpreter never see JSON or sockets. They report through this
 * small table of callbacks, which kernel.c implements on top of the Jupyter protocol
 * and the tests implement with a recording fake (the seam xeus calls publish_stream /
 * display_data / publish_execution_error). All pointers passed to a callback are
 * borrowed for the duration of the call. */
#ifndef MECHVIZ_OUT_H
#define MECHVIZ_OUT_H

#include <stddef.h>

#include "util.h"

/* A display bundle. Unused fields are NULL / 0. text is always set. */
typedef struct out_bundle {
    const char *text;         /* text/plain (required) */
    const char *html;         /* text/html */
    const unsigned char *png; /* image/png bytes (rendered at 2x for high-DPI) */
    size_t png_len;
    int width, height;      /* logical size in CSS px for the image metadata; 0 = none */
    const char *svg;        /* image/svg+xml */
    const char *display_id; /* transient display id, for later updates; may be NULL */
} out_bundle_t;

/* A widget to open: a kind the jupyter layer knows ("attention", ...), string traits
 * (all borrowed), and the static picture shown where widgets cannot render. */
typedef struct out_widget {
    const char *kind;
    const char *const *keys;
    const char *const *values;
    size_t n;
    out_bundle_t fallback;
} out_widget_t;

typedef struct out {
    void *ctx;
    /* Text on stdout (fd 1) or stderr (fd 2). */
    void (*stream)(void *ctx, int fd, const char *text, size_t len);
    /* display_data, or update_display_data when update != 0 (needs display_id). */
    void (*display)(void *ctx, const out_bundle_t *b, int update);
    /* execute_result of the cell (the value of a trailing expression). */
    void (*result)(void *ctx, const out_bundle_t *b);
    /* clear_output. */
    void (*clear)(void *ctx, int wait);
    /* Opens a widget and displays it; returns 0, or -1 with err filled in. May be NULL
     * when the host has no widgets (then callers display w->fallback). */
    int (*widget)(void *ctx, const out_widget_t *w, err_t *err);
    /* Progress of a long computation, 0..1; may be NULL. */
    void (*progress)(void *ctx, const char *label, double fraction);
} out_t;

#endif
