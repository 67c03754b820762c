/* SPDX-License-Identifier: MIT */
/* widget.h -- anywidget models over comms: state sync, custom messages, widget kinds.
 *
 * A widget is a comm on target "jupyter.widget" whose state names anywidget's AnyModel
 * and carries our ES module (`_esm`, embedded from js/ at build time). What a widget
 * shows is decided by its *kind* (attention, pca, ...): a table of callbacks that builds
 * the kind's initial traits, answers the front end's custom messages and renders the
 * static PNG shown where widgets cannot run. To add a kind: write widget_<kind>.c
 * exporting a `const widget_kind_t widget_<kind>_kind`, its ES module js/<kind>.js
 * (self-contained: `_esm` is loaded from a blob URL, so relative imports do not
 * resolve), and add it to the `kinds` table at the top of widget.c.
 *
 * Widgets hold tensor *names* (text), never pointers: a kind re-resolves them through
 * widget_store() on every request, because the store may have changed. */
#ifndef MECHVIZ_WIDGET_H
#define MECHVIZ_WIDGET_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "comm.h"
#include "kernel.h"
#include "out.h"
#include "store.h"
#include "tiles.h"
#include "util.h"
#include "wire.h"

#define WIDGET_PROTOCOL_VERSION "2.1.0"
#define WIDGET_TARGET "jupyter.widget"
#define WIDGET_CONTROL_TARGET "jupyter.widget.control"
/* The anywidget front-end versions we accept: any release (see widget.c). */
#define WIDGET_ANYWIDGET_RANGE "*"
#define WIDGET_MIME "application/vnd.jupyter.widget-view+json"
#define WIDGET_TILE_CACHE_BYTES ((size_t)64 << 20)

typedef struct widget_host widget_host_t;
typedef struct widget widget_t;

/* A kind of widget. Every callback but `init` may be NULL. */
typedef struct widget_kind {
    const char *name;     /* out_widget_t.kind, e.g. "attention" */
    const char *esm_file; /* base name of its ES module in js/, e.g. "attention.js" */
    const char *css_file; /* base name of its CSS in js/, or NULL */
    /* Validates the string traits of `spec` and adds the kind's traits to `state` (a
     * JSON object already holding the anywidget keys). May attach private data with
     * widget_set_data. Returns 0, or -1 with err filled (then nothing is opened). */
    int (*init)(widget_t *w, const out_widget_t *spec, json_t *state, err_t *err);
    /* A request from the front end: a custom message whose content `req` is a JSON
     * object with a string `type`. widget.c has checked that envelope and answered
     * malformed ones; `id` is the request's id (a string or number, else JSON null) to
     * echo in the reply. All borrowed. Reply with widget_send / widget_send_error; every
     * other field of `req` is untrusted. */
    void (*on_request)(widget_t *w, const char *type, json_t *id, json_t *req,
                       const wire_blob_t *buffers, size_t nbuffers);
    /* The front end changed `changed` (already merged into the state). */
    void (*on_update)(widget_t *w, json_t *changed);
    /* Renders the static picture (PNG appended to `png`, logical size in *width,
     * *height) when the spec brought none. Returns 0 or -1 with err. */
    int (*fallback)(widget_t *w, buf_t *png, int *width, int *height, err_t *err);
    /* Frees the data attached with widget_set_data. */
    void (*free_data)(void *data);
} widget_kind_t;

/* --- the host (one per kernel) ------------------------------------------------------ */
widget_host_t *widget_host_new(kernel_t *k);
void widget_host_free(widget_host_t *h);
const widget_kind_t *widget_host_kind(const widget_host_t *h, const char *name);
int widget_host_open(widget_host_t *h, const out_widget_t *spec, err_t *err);
const char *widget_trait(const out_widget_t *spec, const char *key);
json_t *widget_reply_new(const char *type, json_t *id);
int widget_field_int(json_t *c, const char *key, int64_t lo, int64_t hi, int64_t *out,
                     char *why, size_t cap);
size_t widget_host_count(const widget_host_t *h);

/* --- for kinds: a widget's properties ----------------------------------------------- */
const char *widget_model_id(const widget_t *w);
const widget_kind_t *widget_kind(const widget_t *w);
json_t *widget_state(const widget_t *w);
store_t *widget_store(const widget_t *w);
tiles_cache_t *widget_cache(const widget_t *w);
int widget_epoch(const widget_t *w);
void *widget_data(const widget_t *w);
void widget_set_data(widget_t *w, void *data);
const char *widget_get_str(const widget_t *w, const char *key, const char *dflt);
long long widget_get_int(const widget_t *w, const char *key, long long dflt);
double widget_get_real(const widget_t *w, const char *key, double dflt);

/* --- for kinds: talking to the front end -------------------------------------------- */
int widget_send(widget_t *w, json_t *content, const wire_blob_t *buffers, size_t n);
int widget_send_error(widget_t *w, json_t *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int widget_set(widget_t *w, const char *key, json_t *value);
const char *widget_asset(const char *name, size_t *len);

/* --- the message handlers (exposed for unit tests) ---------------------------------- */
void widget_handle_msg(widget_t *w, json_t *data, const wire_blob_t *buffers,
                       size_t nbuffers);
json_t *widget_full_state(const widget_t *w);
widget_t *widget_find(const widget_host_t *h, const char *model_id);

#endif
