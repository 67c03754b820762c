/* SPDX-License-Identifier: MIT */
/* widget.c -- anywidget models over comms: state sync, custom messages, widget kinds.
 *
 * Exists so that views computed in the kernel can run in any Jupyter front end that
 * has anywidget, with no extension of our own: a widget is an AnyModel whose `_esm` is
 * our ES module, embedded in the binary at build time. This file speaks the widget
 * protocol (ipywidgets 2.1 + control protocol 1.0) and dispatches to widget kinds; it
 * never computes pictures itself and never keeps tensor pointers.
 *
 * Design notes.
 *  1. Life cycle:
 *
 *       widget_host_open ──> kind.init ──> comm_open(state) ──> display_data
 *                                             │
 *          front end: update ──> merge + echo_update (parent = the update)
 *                     request_state ──> update with the full state (parent = request)
 *                     custom ──> envelope check ──> kind.on_request ──> replies
 *                     comm_close ──> widget freed (state destructor)
 *
 *  2. The comm registry owns the comms; each widget is its comm's state, so a widget
 *     dies exactly when its comm closes from either side or the registry is freed.
 *  3. The full state (with `_esm`) is reproducible at any time, so `request_state` and
 *     the control comm's `request_states` restore views after a page reload; comm_info
 *     lists the widgets because they are ordinary comms on "jupyter.widget".
 *  4. Keys starting with '_' are the kernel's: updates to them from the front end are
 *     ignored (a page cannot replace the module it runs).
 *  5. Front-end opens on "jupyter.widget" are refused (answered with comm_close): this
 *     kernel creates every widget itself. */
#include "widget.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "widget_js.h"

extern const widget_kind_t widget_attention_kind;
extern const widget_kind_t widget_pca_kind;
extern const widget_kind_t widget_lens_kind;
extern const widget_kind_t widget_explore_kind;

/* Every widget kind this kernel can open. Add new kinds here. */
static const widget_kind_t *const kinds[] = {
    &widget_attention_kind,
    &widget_pca_kind,
    &widget_lens_kind,
    &widget_explore_kind,
};

struct widget {
    widget_host_t *host;       /* the host this widget belongs to */
    const widget_kind_t *kind; /* its kind (static) */
    comm_t *comm;              /* its comm (owned by the registry), NULL before open */
    json_t *state;             /* owned: the full state, kernel's and front end's keys */
    void *data;                /* kind's private data, freed with kind->free_data */
    widget_t *prev, *next;     /* the host's list of live widgets */
    int linked;                /* 1 once in the host's list */
};

struct widget_host {
    kernel_t *k;            /* borrowed: publishes displays, owns store and comms */
    store_t *store;         /* borrowed: where kinds resolve tensor names */
    comm_registry_t *comms; /* borrowed */
    tiles_cache_t *cache;   /* owned: encoded tiles shared by all widgets */
    widget_t *widgets;      /* live widgets, newest first */
    size_t count;           /* live widgets */
};

/* ==== assets =========================================================================
 */

/* Returns the embedded js/ file with base name `name` (NUL-terminated, static) and sets
 * *len (may be NULL) to its length, or NULL when no such file was embedded. */
const char *widget_asset(const char *name, size_t *len) {
    for (const struct embed_file *f = EMBED_FILES; name && f->name; f++)
        if (strcmp(f->name, name) == 0) {
            if (len)
                *len = f->len;
            return f->data;
        }
    return NULL;
}

/* ==== widgets ========================================================================
 */

static void widget_destroy(void *p) {
    widget_t *w = p;
    if (!w)
        return;
    widget_host_t *h = w->host;
    if (w->linked) {
        if (w->prev)
            w->prev->next = w->next;
        else
            h->widgets = w->next;
        if (w->next)
            w->next->prev = w->prev;
        h->count--;
    }
    if (w->data && w->kind->free_data)
        w->kind->free_data(w->data);
    json_decref(w->state);
    free(w);
}

/* Returns the widget's model id (= its comm id), or "" before it is opened. Borrowed. */
const char *widget_model_id(const widget_t *w) {
    return w->comm ? comm_id(w->comm) : "";
}

/* Returns the widget's kind. */
const widget_kind_t *widget_kind(const widget_t *w) {
    return w->kind;
}

/* Returns the widget's full state object (borrowed; kinds may read it). */
json_t *widget_state(const widget_t *w) {
    return w->state;
}

/* Returns the kernel's store (borrowed), where names are resolved per request. */
store_t *widget_store(const widget_t *w) {
    return w->host->store;
}

/* Returns the tile cache shared by every widget of this kernel (borrowed). */
tiles_cache_t *widget_cache(const widget_t *w) {
    return w->host->cache;
}

/* Returns the kernel's execution count: it changes whenever a cell may have rebound
 * names, so cache keys that include it never serve pixels of an older tensor that
 * happened to live at the same address. */
int widget_epoch(const widget_t *w) {
    return w->host->k->execution_count;
}

/* Returns the kind's private data (NULL when none). */
void *widget_data(const widget_t *w) {
    return w->data;
}

/* Attaches the kind's private data; it is freed with kind->free_data with the widget. */
void widget_set_data(widget_t *w, void *data) {
    w->data = data;
}

/* Returns state[key] when it is a string, else `dflt`. Borrowed. */
const char *widget_get_str(const widget_t *w, const char *key, const char *dflt) {
    json_t *v = json_object_get(w->state, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* Returns state[key] when it is an integer (or a boolean, as 0/1), else `dflt`. */
long long widget_get_int(const widget_t *w, const char *key, long long dflt) {
    json_t *v = json_object_get(w->state, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_boolean(v))
        return json_is_true(v);
    return dflt;
}

/* Returns state[key] when it is a number, else `dflt`. */
double widget_get_real(const widget_t *w, const char *key, double dflt) {
    json_t *v = json_object_get(w->state, key);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Sends a custom message {method: "custom", content} with binary `buffers` (borrowed)
 * to the front end. Steals `content`. Returns 0, or -1 when the comm is closed. */
int widget_send(widget_t *w, json_t *content, const wire_blob_t *buffers, size_t n) {
    json_t *data = json_pack("{s:s, s:o}", "method", "custom", "content", content);
    int rc = w->comm ? comm_send(w->comm, data, NULL, buffers, n) : -1;
    json_decref(data);
    return rc;
}

/* Sends the error reply {type: "error", id, error: message} for a request whose id is
 * `id` (borrowed; NULL or a non-scalar becomes null). Returns as widget_send. */
int widget_send_error(widget_t *w, json_t *id, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *idv =
        (json_is_string(id) || json_is_number(id)) ? json_copy(id) : json_null();
    json_t *c = json_object();
    json_object_set_new(c, "type", json_string("error"));
    json_object_set_new(c, "id", idv);
    json_object_set_new(c, "error", msg_text(msg, strlen(msg)));
    return widget_send(w, c, NULL, 0);
}

/* Sets state[key] = value (stolen) and sends it to the front end as an `update`.
 * Returns 0, or -1 when the comm is closed. */
int widget_set(widget_t *w, const char *key, json_t *value) {
    json_object_set(w->state, key, value);
    json_t *st = json_object();
    json_object_set_new(st, key, value);
    json_t *data =
        json_pack("{s:s, s:o, s:[]}", "method", "update", "state", st, "buffer_paths");
    int rc = w->comm ? comm_send(w->comm, data, NULL, NULL, 0) : -1;
    json_decref(data);
    return rc;
}

/* Checks the envelope of a custom message (a JSON object with a string `type`; its `id`
 * is echoed, a missing or non-scalar one as null), answers a malformed one with an error
 * reply, and passes the rest to the kind. */
static void on_custom(widget_t *w, json_t *content, const wire_blob_t *buffers,
                      size_t nbuffers) {
    if (!w->kind->on_request)
        return;
    if (!json_is_object(content)) {
        widget_send_error(w, NULL, "a request must be a JSON object");
        return;
    }
    json_t *id = json_object_get(content, "id");
    if (!json_is_string(id) && !json_is_number(id))
        id = json_null();
    const char *type = json_string_value(json_object_get(content, "type"));
    if (!type) {
        widget_send_error(w, id, "request without a 'type' string");
        return;
    }
    w->kind->on_request(w, type, id, content, buffers, nbuffers);
}

/* Returns a new reference to a copy of the widget's full state. */
json_t *widget_full_state(const widget_t *w) {
    return json_deep_copy(w->state);
}

/* Handles one comm_msg `data` of widget `w` from the front end: update (merged, echoed,
 * passed to the kind), request_state (answered with the full state), custom (passed to
 * the kind). Anything else, or a malformed message, is logged and ignored. */
void widget_handle_msg(widget_t *w, json_t *data, const wire_blob_t *buffers,
                       size_t nbuffers) {
    const char *method = json_string_value(json_object_get(data, "method"));
    if (!method) {
        log_warn("widget %s: comm_msg without a method", widget_model_id(w));
        return;
    }
    if (strcmp(method, "update") == 0) {
        json_t *st = json_object_get(data, "state");
        if (!json_is_object(st)) {
            log_warn("widget %s: update without a state object", widget_model_id(w));
            return;
        }
        json_t *accepted = json_object();
        const char *key;
        json_t *v;
        json_object_foreach(st, key, v) {
            if (key[0] == '_')
                continue;
            json_object_set(w->state, key, v);
            json_object_set(accepted, key, v);
        }
        if (json_object_size(accepted) > 0 && w->comm) {
            json_t *echo = json_pack("{s:s, s:O, s:[]}", "method", "echo_update", "state",
                                     accepted, "buffer_paths");
            comm_send(w->comm, echo, NULL, NULL, 0);
            json_decref(echo);
            if (w->kind->on_update)
                w->kind->on_update(w, accepted);
        }
        json_decref(accepted);
    } else if (strcmp(method, "request_state") == 0) {
        json_t *reply = json_pack("{s:s, s:O, s:[]}", "method", "update", "state",
                                  w->state, "buffer_paths");
        if (w->comm)
            comm_send(w->comm, reply, NULL, NULL, 0);
        json_decref(reply);
    } else if (strcmp(method, "custom") == 0) {
        on_custom(w, json_object_get(data, "content"), buffers, nbuffers);
    } else {
        log_info("widget %s: ignoring method '%s'", widget_model_id(w), method);
    }
}

/* ==== comm targets ===================================================================
 */

static int target_open(void *user, comm_t *c, json_t *data, json_t *metadata,
                       const wire_blob_t *buffers, size_t nbuffers) {
    UNUSED(user);
    UNUSED(data);
    UNUSED(metadata);
    UNUSED(buffers);
    UNUSED(nbuffers);
    log_info("refusing a front-end widget %s: this kernel creates its widgets",
             comm_id(c));
    return -1;
}

static void target_msg(void *user, comm_t *c, json_t *data, json_t *metadata,
                       const wire_blob_t *buffers, size_t nbuffers) {
    UNUSED(user);
    UNUSED(metadata);
    widget_t *w = comm_state(c);
    if (w)
        widget_handle_msg(w, data, buffers, nbuffers);
}

static int control_open(void *user, comm_t *c, json_t *data, json_t *metadata,
                        const wire_blob_t *buffers, size_t nbuffers) {
    UNUSED(user);
    UNUSED(c);
    UNUSED(data);
    UNUSED(metadata);
    UNUSED(buffers);
    UNUSED(nbuffers);
    return 0;
}

/* The control protocol: request_states is answered with every live widget's state. */
static void control_msg(void *user, comm_t *c, json_t *data, json_t *metadata,
                        const wire_blob_t *buffers, size_t nbuffers) {
    widget_host_t *h = user;
    UNUSED(metadata);
    UNUSED(buffers);
    UNUSED(nbuffers);
    const char *method = json_string_value(json_object_get(data, "method"));
    if (!method || strcmp(method, "request_states") != 0) {
        log_info("widget control: ignoring method '%s'", method ? method : "(none)");
        return;
    }
    json_t *states = json_object();
    for (widget_t *w = h->widgets; w; w = w->next) {
        if (!w->comm)
            continue;
        json_object_set_new(states, widget_model_id(w),
                            json_pack("{s:s, s:s, s:s, s:O}", "model_name", "AnyModel",
                                      "model_module", "anywidget", "model_module_version",
                                      WIDGET_ANYWIDGET_RANGE, "state", w->state));
    }
    json_t *reply = json_pack("{s:s, s:o, s:[]}", "method", "update_states", "states",
                              states, "buffer_paths");
    comm_send(c, reply, NULL, NULL, 0);
    json_decref(reply);
}

/* ==== the host =======================================================================
 */

static int hook(void *ctx, const out_widget_t *w, err_t *err) {
    return widget_host_open(ctx, w, err);
}

/* Creates the widget host of kernel `k`: registers the "jupyter.widget" and
 * "jupyter.widget.control" comm targets on k->comms and installs itself as the
 * kernel's widget hook, so `out->widget` opens widgets. Never NULL. Free it with
 * widget_host_free *before* kernel_fini. */
widget_host_t *widget_host_new(kernel_t *k) {
    widget_host_t *h = xcalloc(1, sizeof *h);
    h->k = k;
    h->store = k->store;
    h->comms = k->comms;
    h->cache = tiles_cache_new(WIDGET_TILE_CACHE_BYTES);
    comm_target_t t = {target_open, target_msg, NULL, h};
    comm_register_target(h->comms, WIDGET_TARGET, &t);
    comm_target_t ctl = {control_open, control_msg, NULL, h};
    comm_register_target(h->comms, WIDGET_CONTROL_TARGET, &ctl);
    kernel_set_widget_hook(k, hook, h);
    return h;
}

/* Frees the host: every live widget (their comms stay registered but lose their
 * state), the tile cache, and the kernel hook. Accepts NULL. */
void widget_host_free(widget_host_t *h) {
    if (!h)
        return;
    while (h->widgets) {
        widget_t *w = h->widgets;
        if (w->comm)
            comm_set_state(w->comm, NULL, NULL); /* runs widget_destroy */
        else
            widget_destroy(w);
    }
    comm_unregister_target(h->comms, WIDGET_TARGET);
    comm_unregister_target(h->comms, WIDGET_CONTROL_TARGET);
    kernel_set_widget_hook(h->k, NULL, NULL);
    tiles_cache_free(h->cache);
    free(h);
}

/* Returns the kind named `name`, or NULL. */
const widget_kind_t *widget_host_kind(const widget_host_t *h, const char *name) {
    UNUSED(h);
    for (size_t i = 0; name && i < sizeof kinds / sizeof *kinds; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

/* Returns the number of live widgets. */
size_t widget_host_count(const widget_host_t *h) {
    return h->count;
}

/* Returns the live widget with model id `model_id`, or NULL. Borrowed. */
widget_t *widget_find(const widget_host_t *h, const char *model_id) {
    for (widget_t *w = h->widgets; w; w = w->next)
        if (w->comm && strcmp(comm_id(w->comm), model_id) == 0)
            return w;
    return NULL;
}

static json_t *base_state(const widget_kind_t *kind, err_t *err) {
    const char *esm = widget_asset(kind->esm_file, NULL);
    if (!esm) {
        err_set(err, "WidgetError", "the '%s' widget's module %s was not built in",
                kind->name, kind->esm_file);
        return NULL;
    }
    const char *css = widget_asset(kind->css_file, NULL);
    char id[64];
    snprintf(id, sizeof id, "mechviz.%s", kind->name);
    json_t *s = json_object();
    json_object_set_new(s, "_model_module", json_string("anywidget"));
    json_object_set_new(s, "_model_module_version", json_string(WIDGET_ANYWIDGET_RANGE));
    json_object_set_new(s, "_model_name", json_string("AnyModel"));
    json_object_set_new(s, "_view_module", json_string("anywidget"));
    json_object_set_new(s, "_view_module_version", json_string(WIDGET_ANYWIDGET_RANGE));
    json_object_set_new(s, "_view_name", json_string("AnyView"));
    json_object_set_new(s, "_view_count", json_null());
    json_object_set_new(s, "_esm", json_string(esm));
    json_object_set_new(s, "_css", json_string(css ? css : ""));
    json_object_set_new(s, "_anywidget_id", json_string(id));
    return s;
}

/* Opens a widget for the language layer (the kernel's out->widget): builds the kind's
 * state, publishes comm_open on "jupyter.widget" with metadata {"version": "2.1.0"},
 * then a display_data carrying the widget view, the static PNG and text/plain.
 * Returns 0, or -1 with `err` filled (unknown kind, bad traits; nothing is published
 * then). A failing fallback picture is logged and the display goes out without it. */
int widget_host_open(widget_host_t *h, const out_widget_t *spec, err_t *err) {
    const widget_kind_t *kind = widget_host_kind(h, spec->kind);
    if (!kind) {
        err_set(err, "WidgetError", "unknown widget kind '%s'",
                spec->kind ? spec->kind : "(null)");
        return -1;
    }
    json_t *state = base_state(kind, err);
    if (!state)
        return -1;
    widget_t *w = xcalloc(1, sizeof *w);
    w->host = h;
    w->kind = kind;
    w->state = state;
    if (kind->init(w, spec, state, err) < 0) {
        widget_destroy(w); /* not linked yet */
        return -1;
    }
    w->linked = 1;
    w->next = h->widgets;
    if (h->widgets)
        h->widgets->prev = w;
    h->widgets = w;
    h->count++;
    json_t *data = json_pack("{s:O, s:[]}", "state", state, "buffer_paths");
    json_t *meta = json_pack("{s:s}", "version", WIDGET_PROTOCOL_VERSION);
    w->comm = comm_open(h->comms, WIDGET_TARGET, data, meta, NULL, 0);
    json_decref(data);
    json_decref(meta);
    comm_set_state(w->comm, w, widget_destroy);

    out_bundle_t fb = spec->fallback;
    buf_t png = BUF_INIT;
    char text[160];
    if (!fb.text) {
        snprintf(text, sizeof text, "<mechviz %s widget>", kind->name);
        fb.text = text;
    }
    if (!fb.png && kind->fallback) {
        err_t ferr;
        err_clear(&ferr);
        int fw = 0, fh = 0;
        if (kind->fallback(w, &png, &fw, &fh, &ferr) == 0) {
            fb.png = (const unsigned char *)png.data;
            fb.png_len = png.len;
            fb.width = fw;
            fb.height = fh;
        } else {
            log_warn("widget %s: no fallback picture: %s", kind->name, ferr.msg);
        }
    }
    json_t *bundle = NULL, *bmeta = NULL;
    kernel_bundle_json(&fb, &bundle, &bmeta);
    json_object_set_new(bundle, WIDGET_MIME,
                        json_pack("{s:s, s:i, s:i}", "model_id", comm_id(w->comm),
                                  "version_major", 2, "version_minor", 1));
    buf_fini(&png);
    kernel_display_json(h->k, bundle, bmeta, fb.display_id);
    return 0;
}

/* widget_trait -- the value of the string trait `key` in a widget spec, or NULL when it
 * is absent. Borrowed from the spec. Kinds use it in their init. */
const char *widget_trait(const out_widget_t *spec, const char *key) {
    for (size_t i = 0; i < spec->n; i++)
        if (spec->keys[i] && strcmp(spec->keys[i], key) == 0)
            return spec->values[i];
    return NULL;
}

/* widget_reply_new -- a new reply object {type, id} for a kind's custom request; `id`
 * is borrowed (a reference is taken). The caller owns the result (widget_send steals
 * it). */
json_t *widget_reply_new(const char *type, json_t *id) {
    json_t *r = json_object();
    json_object_set_new(r, "type", json_string(type));
    json_object_set(r, "id", id);
    return r;
}

/* widget_field_int -- the integer field `key` of request `c`, which must lie in
 * lo..hi (an integral real such as 3.0 is accepted). Returns 0 with *out set, or -1
 * with a reason for the error reply in why[cap]: "missing field 'x'", "field 'x' must be
 * an integer", "field 'x' out of range 0..7". The range check is exact for 64-bit
 * integers. */
int widget_field_int(json_t *c, const char *key, int64_t lo, int64_t hi, int64_t *out,
                     char *why, size_t cap) {
    json_t *v = json_object_get(c, key);
    double d;
    if (!v) {
        snprintf(why, cap, "missing field '%s'", key);
        return -1;
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < lo || i > hi)
            goto range;
        *out = (int64_t)i;
        return 0;
    }
    d = json_is_real(v) ? json_real_value(v) : (double)NAN;
    if (d == floor(d) && d >= (double)lo && d <= (double)hi) {
        *out = (int64_t)d;
        return 0;
    }
    if (!json_is_number(v)) {
        snprintf(why, cap, "field '%s' must be an integer", key);
        return -1;
    }
range:
    snprintf(why, cap, "field '%s' out of range %" PRId64 "..%" PRId64, key, lo, hi);
    return -1;
}
