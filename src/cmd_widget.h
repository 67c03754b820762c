/* SPDX-License-Identifier: MIT */
/* cmd_widget.h -- the widget family of magics (%attention) and the attention helpers
 * the attention widget shares with them (shape rules, colormaps, the overview picture).
 */
#ifndef MECHVIZ_CMD_WIDGET_H
#define MECHVIZ_CMD_WIDGET_H

#include <stdint.h>

#include "buf.h"
#include "commands.h"
#include "store.h"
#include "tensor.h"
#include "tiles.h"
#include "util.h"

#define ATTN_DEFAULT_CMAP "viridis"
#define ATTN_FALLBACK_W 600 /* logical size bound of the static picture */
#define ATTN_FALLBACK_H 400

int cmd_widget_attention_dims(const tensor_t *t, const char *expr, int64_t dims[4],
                              err_t *err);
int cmd_widget_attention_plane(const tensor_t *t, int64_t layer, int64_t head,
                               tiles_plane_t *p, err_t *err);
int cmd_widget_palette(const char *name, uint8_t rgb[256][3], err_t *err);
int cmd_widget_tokens_check(const strlist_t *toks, const char *name,
                            const int64_t dims[4], err_t *err);
int cmd_widget_attention_overview(const tensor_t *t, const char *expr, int64_t layer,
                                  int64_t layer_base, const tiles_style_t *st, buf_t *png,
                                  int *w, int *h, err_t *err);

#endif
