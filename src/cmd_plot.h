/* SPDX-License-Identifier: MIT */
/* cmd_plot.h -- the static-figure magics, and the helpers other families use to show a
 * figure the same way (size flags, PNG at 2x with its logical size, optional SVG).
 *
 * A figure is a draw function plus the data it reads: cmd_plot_emit renders it once
 * as a 2x PNG (and once more as SVG with --svg) and sends one display bundle. */
#ifndef MECHVIZ_CMD_PLOT_H
#define MECHVIZ_CMD_PLOT_H

#include <stddef.h>

#include "buf.h"
#include "commands.h"
#include "plot.h"
#include "render.h"
#include "tensor.h"
#include "util.h"

/* The flags every figure magic accepts (append to a spec's flag string). */
#define CMD_PLOT_FLAGS "width= height= title= cmap= vmin= vmax= svg"
#define CMD_PLOT_MAX_AREA 6000000L /* largest logical width x height of a figure */

/* Draws a figure filling `area` of r from `data`; 0, or -1 with err set. */
typedef int (*cmd_plot_draw_fn)(render_t *r, plot_rect_t area, const void *data,
                                err_t *err);

int cmd_plot_size(const parse_stmt_t *st, int dflt_w, int dflt_h, int *w, int *h,
                  err_t *err);
int cmd_plot_png(int w, int h, cmd_plot_draw_fn draw, const void *data, buf_t *png,
                 err_t *err);
int cmd_plot_emit(cmd_ctx_t *ctx, const parse_stmt_t *st, int w, int h,
                  cmd_plot_draw_fn draw, const void *data, const char *text, err_t *err);
double *cmd_plot_values(const tensor_t *t, int64_t max_elems, int64_t *n, err_t *err);
int cmd_plot_limits(const parse_stmt_t *st, double *vmin, int *has_vmin, double *vmax,
                    int *has_vmax, err_t *err);

#endif
