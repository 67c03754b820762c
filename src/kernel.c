/* SPDX-License-Identifier: MIT */
/* kernel.c -- the request dispatcher: Jupyter messages in, replies and iopub out.
 *
 * Every request is wrapped in busy/idle on iopub with the request as parent, whatever
 * its type (comm messages and control requests included: front ends count idles to
 * finish futures and to release throttled widget updates). Outputs of a cell come from
 * the language layer through the out_t sink implemented here; stream text is batched a
 * little so a chatty loop does not hit the server's iopub rate limit. This file builds
 * JSON but never touches sockets (kernel_io_t), and never interprets the cell language
 * (interp.h).
 *
 * Two paths run off the main thread in the real kernel (server.h's hooks): control
 * requests (kernel_info, interrupt, shutdown) on the control thread, and iopub_welcome
 * on the publisher thread. They build their messages from the request alone and read
 * only the key, the session and the interrupt flag pointer, which are set before the
 * server starts and never written afterwards; they never touch the store, the history,
 * the comms or the current parent, which belong to the main thread. The control path
 * answers at once while a cell runs: interrupt sets the interrupt flag, shutdown sets
 * control_stop and the flag, so the cell ends with KeyboardInterrupt and kernel_run
 * returns. */
#include "kernel.h"

#include <fnmatch.h>
#include <sodium.h>
#include <string.h>

#define KERNEL_STREAM_INTERVAL 0.1          /* seconds between stream flushes */
#define KERNEL_STREAM_MAX ((size_t)1 << 18) /* flush when this much text is pending */
#define KERNEL_HIST_SESSION 1               /* this session's number in history replies */

static const char kernel_banner[] =
    "mechviz " KERNEL_VERSION " -- a Jupyter kernel for mechanistic-interpretability "
    "visualisation.\n"
    "Load tensors with %load run.safetensors, list them with %who, and type %help for "
    "every magic.";

/* --- sending ---------------------------------------------------------------------- */

/* Signs and sends through `io`; reads only k->auth, so any thread may call it. */
static int kernel_send_io(const kernel_t *k, const kernel_io_t *io, server_channel_t ch,
                          const wire_msg_t *m) {
    wire_blob_t *frames = NULL;
    size_t n = 0;
    if (wire_encode(&k->auth, m, &frames, &n) != 0) {
        log_error("cannot encode a %s message",
                  json_string_value(json_object_get(m->header, "msg_type")));
        return -1;
    }
    int rc = io->send ? io->send(io->ctx, ch, frames, n) : -1;
    wire_frames_free(frames, n);
    return rc;
}

static int kernel_send(kernel_t *k, server_channel_t ch, const wire_msg_t *m) {
    return kernel_send_io(k, &k->io, ch, m);
}

/* The iopub topic "kernel.<session>.<msg_type>". */
static void kernel_topic(const kernel_t *k, wire_msg_t *m, const char *type) {
    char t[128];
    snprintf(t, sizeof t, "kernel.%s.%s", k->session.id, type);
    wire_msg_set_topic(m, t);
}

/* Publishes without flushing pending stream text first. Steals content and metadata. */
static int kernel_publish_raw(kernel_t *k, const char *type, json_t *content,
                              json_t *metadata, const wire_blob_t *buffers,
                              size_t nbuffers, const char *topic) {
    wire_msg_t m;
    msg_build(&m, &k->session, type, k->parent, content);
    if (metadata) {
        json_decref(m.metadata);
        m.metadata = metadata;
    }
    if (topic)
        wire_msg_set_topic(&m, topic);
    else
        kernel_topic(k, &m, type);
    for (size_t i = 0; i < nbuffers; i++)
        wire_msg_add_buffer(&m, buffers[i].data, buffers[i].len);
    int rc = kernel_send(k, SERVER_IOPUB, &m);
    wire_msg_fini(&m);
    return rc;
}

static void kernel_flush_streams(kernel_t *k) {
    static const char *const names[2] = {"stdout", "stderr"};
    for (int i = 0; i < 2; i++) {
        buf_t *b = &k->stream_buf[i];
        if (b->len == 0)
            continue;
        json_t *c = json_object();
        json_object_set_new(c, "name", json_string(names[i]));
        json_object_set_new(c, "text", msg_text(b->data, b->len));
        kernel_publish_raw(k, "stream", c, NULL, NULL, 0, NULL);
        buf_reset(b);
    }
    k->stream_last = util_now();
}

/* kernel_publish: publishes one iopub message with the current request as parent,
 * after any pending stream text. Steals content and metadata (NULL = {}); buffers are
 * borrowed. Returns 0, or -1 when it could not be sent. */
int kernel_publish(kernel_t *k, const char *msg_type, json_t *content, json_t *metadata,
                   const wire_blob_t *buffers, size_t nbuffers) {
    kernel_flush_streams(k);
    return kernel_publish_raw(k, msg_type, content, metadata, buffers, nbuffers, NULL);
}

static void kernel_status(kernel_t *k, const char *state) {
    json_t *c = json_object();
    json_object_set_new(c, "execution_state", json_string(state));
    kernel_publish(k, "status", c, NULL, NULL, 0);
}

/* Sends a reply to the current request on its channel. Steals content. */
static void kernel_reply(kernel_t *k, const char *type, json_t *content) {
    wire_msg_t m;
    msg_build(&m, &k->session, type, k->parent, content);
    wire_msg_set_ids(&m, k->parent->ids, k->parent->nids);
    kernel_flush_streams(k);
    kernel_send(k, k->parent_ch, &m);
    wire_msg_fini(&m);
}

static json_t *kernel_ok(void) {
    json_t *c = json_object();
    json_object_set_new(c, "status", json_string("ok"));
    return c;
}

/* --- text helpers ----------------------------------------------------------------- */

static size_t kernel_utf8_step(const char *s) {
    unsigned char c = (unsigned char)*s;
    size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return i; /* also stops at NUL */
    return n;
}

/* kernel_cp_to_byte: the byte offset of code point `cp` in UTF-8 `s`, clamped to
 * strlen(s). Jupyter counts cursor positions in code points since protocol 5.2. */
size_t kernel_cp_to_byte(const char *s, size_t cp) {
    size_t b = 0;
    while (cp > 0 && s[b]) {
        b += kernel_utf8_step(s + b);
        cp--;
    }
    return b;
}

/* kernel_byte_to_cp: the number of code points in the first `byte` bytes of `s`,
 * clamped to strlen(s). */
size_t kernel_byte_to_cp(const char *s, size_t byte) {
    size_t b = 0, cp = 0;
    while (b < byte && s[b]) {
        b += kernel_utf8_step(s + b);
        cp++;
    }
    return cp;
}

/* kernel_traceback: a new JSON list of traceback lines for `err` raised by `code`:
 * "Kind: line L, column C: message", then (when the position is known) the source line
 * and a caret under column C (a 1-based byte column). */
json_t *kernel_traceback(const char *code, const err_t *err) {
    json_t *tb = json_array();
    buf_t b = BUF_INIT;
    buf_printf(&b, "\x1b[0;31m%s\x1b[0m: ", err_kind(err));
    if (err->line > 0)
        buf_printf(&b, "line %d, column %d: ", err->line, err->col > 0 ? err->col : 1);
    buf_puts(&b, err->msg);
    json_array_append_new(tb, msg_text(b.data, b.len));
    const char *p = code ? code : "";
    for (int l = 1; err->line > 0 && l < err->line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (err->line > 0 && p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        buf_reset(&b);
        buf_puts(&b, "    ");
        buf_append(&b, p, len);
        json_array_append_new(tb, msg_text(b.data, b.len));
        size_t col = err->col > 0 ? (size_t)err->col - 1 : 0;
        if (col > len)
            col = len;
        buf_reset(&b);
        buf_puts(&b, "    ");
        for (size_t i = 0; i < col;) {
            buf_putc(&b, p[i] == '\t' ? '\t' : ' ');
            i += kernel_utf8_step(p + i);
        }
        buf_puts(&b, "\x1b[0;31m^\x1b[0m");
        json_array_append_new(tb, msg_text(b.data, b.len));
    }
    buf_fini(&b);
    return tb;
}

/* --- the output sink -------------------------------------------------------------- */

/* kernel_bundle_json: new references to the mime bundle `data` of b (text/plain always,
 * text/html, image/png in base64, image/svg+xml when set) and its `metadata`
 * ({"image/png": {"width", "height"}} when a PNG and a size are given, else {}). */
void kernel_bundle_json(const out_bundle_t *b, json_t **data, json_t **metadata) {
    json_t *d = json_object(), *md = json_object();
    const char *text = b->text ? b->text : "";
    json_object_set_new(d, "text/plain", msg_text(text, strlen(text)));
    if (b->html)
        json_object_set_new(d, "text/html", msg_text(b->html, strlen(b->html)));
    if (b->png && b->png_len) {
        size_t cap =
            sodium_base64_ENCODED_LEN(b->png_len, sodium_base64_VARIANT_ORIGINAL);
        char *s = xmalloc(cap);
        sodium_bin2base64(s, cap, b->png, b->png_len, sodium_base64_VARIANT_ORIGINAL);
        json_object_set_new(d, "image/png", json_string(s));
        free(s);
        if (b->width > 0 && b->height > 0) {
            json_t *im = json_object();
            json_object_set_new(im, "width", json_integer(b->width));
            json_object_set_new(im, "height", json_integer(b->height));
            json_object_set_new(md, "image/png", im);
        }
    }
    if (b->svg)
        json_object_set_new(d, "image/svg+xml", msg_text(b->svg, strlen(b->svg)));
    *data = d;
    *metadata = md;
}

static void kernel_out_stream(void *ctx, int fd, const char *text, size_t len) {
    kernel_t *k = ctx;
    if (k->silent || len == 0)
        return;
    int i = fd == 2 ? 1 : 0;
    if (k->stream_buf[1 - i].len)
        kernel_flush_streams(k); /* keep stdout/stderr order */
    buf_append(&k->stream_buf[i], text, len);
    if (k->stream_buf[i].len >= KERNEL_STREAM_MAX ||
        util_now() - k->stream_last >= KERNEL_STREAM_INTERVAL)
        kernel_flush_streams(k);
}

static json_t *kernel_transient(const char *display_id) {
    json_t *t = json_object();
    if (display_id)
        json_object_set_new(t, "display_id", msg_text(display_id, strlen(display_id)));
    return t;
}

static void kernel_out_display(void *ctx, const out_bundle_t *b, int update) {
    kernel_t *k = ctx;
    if (k->silent)
        return;
    json_t *data, *md;
    kernel_bundle_json(b, &data, &md);
    json_t *c = json_object();
    json_object_set_new(c, "data", data);
    json_object_set_new(c, "metadata", md);
    json_object_set_new(c, "transient", kernel_transient(b->display_id));
    if (update && !b->display_id) {
        log_warn("update_display_data without a display_id; sent as display_data");
        update = 0;
    }
    kernel_publish(k, update ? "update_display_data" : "display_data", c, NULL, NULL, 0);
}

static void kernel_out_result(void *ctx, const out_bundle_t *b) {
    kernel_t *k = ctx;
    if (k->silent)
        return;
    json_t *data, *md;
    kernel_bundle_json(b, &data, &md);
    free(k->last_result);
    k->last_result = xstrdup(b->text ? b->text : "");
    json_t *c = json_object();
    json_object_set_new(c, "execution_count", json_integer(k->execution_count));
    json_object_set_new(c, "data", data);
    json_object_set_new(c, "metadata", md);
    if (b->display_id)
        json_object_set_new(c, "transient", kernel_transient(b->display_id));
    kernel_publish(k, "execute_result", c, NULL, NULL, 0);
}

static void kernel_out_clear(void *ctx, int wait) {
    kernel_t *k = ctx;
    if (k->silent)
        return;
    json_t *c = json_object();
    json_object_set_new(c, "wait", json_boolean(wait));
    kernel_publish(k, "clear_output", c, NULL, NULL, 0);
}

static int kernel_out_widget(void *ctx, const out_widget_t *w, err_t *err) {
    kernel_t *k = ctx;
    if (!k->widget) {
        err_set(err, "WidgetError", "widgets are not available");
        return -1;
    }
    return k->widget(k->widget_ctx, w, err);
}

static void kernel_out_progress(void *ctx, const char *label, double fraction) {
    UNUSED(label);
    UNUSED(fraction);
    kernel_t *k = ctx;
    /* A long computation is under way: let text printed before it reach the user. */
    kernel_flush_streams(k);
}

/* kernel_set_widget_hook: installs the function behind out.widget; NULL restores the
 * default, which fails with "widgets are not available". */
void kernel_set_widget_hook(kernel_t *k, kernel_widget_fn fn, void *ctx) {
    k->widget = fn;
    k->widget_ctx = ctx;
}

/* kernel_display_json: publishes display_data {data, metadata, transient} with the
 * current request as parent. Steals data and metadata (NULL = {}); display_id may be
 * NULL. Returns 0 or -1. */
int kernel_display_json(kernel_t *k, json_t *data, json_t *metadata,
                        const char *display_id) {
    json_t *c = json_object();
    json_object_set_new(c, "data", data ? data : json_object());
    json_object_set_new(c, "metadata", metadata ? metadata : json_object());
    json_object_set_new(c, "transient", kernel_transient(display_id));
    return kernel_publish(k, "display_data", c, NULL, NULL, 0);
}

/* --- history ---------------------------------------------------------------------- */

static void kernel_hist_add(kernel_t *k, int line, const char *input) {
    if (k->nhist == k->hist_cap) {
        k->hist_cap = k->hist_cap ? 2 * k->hist_cap : 64;
        k->hist = xrealloc(k->hist, k->hist_cap * sizeof *k->hist);
    }
    kernel_hist_t *h = &k->hist[k->nhist++];
    h->line = line;
    h->input = xstrdup(input);
    h->output = NULL;
}

static json_t *kernel_hist_entry(const kernel_hist_t *h, int output) {
    json_t *e = json_array();
    json_array_append_new(e, json_integer(KERNEL_HIST_SESSION));
    json_array_append_new(e, json_integer(h->line));
    json_t *in = msg_text(h->input, strlen(h->input));
    if (output) {
        json_t *pair = json_array();
        json_array_append_new(pair, in);
        json_array_append_new(pair, h->output ? msg_text(h->output, strlen(h->output))
                                              : json_null());
        json_array_append_new(e, pair);
    } else {
        json_array_append_new(e, in);
    }
    return e;
}

static long kernel_json_int(json_t *o, const char *key, long dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static int kernel_json_bool(json_t *o, const char *key, int dflt) {
    json_t *v = json_object_get(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static const char *kernel_json_str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

static void kernel_history_request(kernel_t *k, json_t *c) {
    const char *type = kernel_json_str(c, "hist_access_type");
    int output = kernel_json_bool(c, "output", 0);
    json_t *list = json_array();
    /* selected[i] = 1 for the entries to return, in order */
    unsigned char *sel = xcalloc(k->nhist ? k->nhist : 1, 1);
    if (type && strcmp(type, "range") == 0) {
        long session = kernel_json_int(c, "session", 0);
        long start = kernel_json_int(c, "start", 0);
        json_t *st = json_object_get(c, "stop");
        long stop = json_is_integer(st) ? (long)json_integer_value(st) : 0;
        if (session == 0 || session == KERNEL_HIST_SESSION)
            for (size_t i = 0; i < k->nhist; i++)
                sel[i] =
                    k->hist[i].line >= start && (stop <= 0 || k->hist[i].line < stop);
    } else if (type && strcmp(type, "search") == 0) {
        const char *pat = kernel_json_str(c, "pattern");
        int unique = kernel_json_bool(c, "unique", 0);
        for (size_t i = 0; i < k->nhist; i++)
            sel[i] = fnmatch(pat ? pat : "*", k->hist[i].input, 0) == 0;
        if (unique) /* keep the latest of identical inputs */
            for (size_t i = 0; i < k->nhist; i++)
                for (size_t j = i + 1; sel[i] && j < k->nhist; j++)
                    if (sel[j] && strcmp(k->hist[i].input, k->hist[j].input) == 0)
                        sel[i] = 0;
        long n = kernel_json_int(c, "n", 0);
        size_t kept = 0;
        for (size_t i = k->nhist; n > 0 && i-- > 0;)
            if (sel[i] && ++kept > (size_t)n)
                sel[i] = 0;
    } else { /* "tail" and anything else */
        long n = kernel_json_int(c, "n", 10);
        size_t first = n >= 0 && (size_t)n < k->nhist ? k->nhist - (size_t)n : 0;
        for (size_t i = first; i < k->nhist; i++)
            sel[i] = 1;
    }
    for (size_t i = 0; i < k->nhist; i++)
        if (sel[i])
            json_array_append_new(list, kernel_hist_entry(&k->hist[i], output));
    free(sel);
    json_t *r = kernel_ok();
    json_object_set_new(r, "history", list);
    kernel_reply(k, "history_reply", r);
}

/* --- handlers --------------------------------------------------------------------- */

/* The kernel_info_reply content, the same on shell and control. */
static json_t *kernel_info_content(void) {
    json_t *li =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", "mechviz", "version",
                  KERNEL_LANGUAGE_VERSION, "mimetype", "text/x-mechviz", "file_extension",
                  ".mvz", "pygments_lexer", "text", "codemirror_mode", "shell",
                  "nbconvert_exporter", "script");
    json_t *r = kernel_ok();
    json_object_set_new(r, "protocol_version", json_string(MSG_PROTOCOL_VERSION));
    json_object_set_new(r, "implementation", json_string("mechviz"));
    json_object_set_new(r, "implementation_version", json_string(KERNEL_VERSION));
    json_object_set_new(r, "language_info", li);
    json_object_set_new(r, "banner", json_string(kernel_banner));
    json_object_set_new(r, "help_links", json_array());
    json_object_set_new(r, "supported_features", json_array());
    json_object_set_new(r, "debugger", json_false());
    return r;
}

static void kernel_info_request(kernel_t *k, json_t *c) {
    UNUSED(c);
    kernel_reply(k, "kernel_info_reply", kernel_info_content());
}

typedef struct kernel_capture {
    json_t *data; /* the mime bundle of the expression's result, or NULL */
    json_t *metadata;
} kernel_capture_t;

static void kernel_capture_result(void *ctx, const out_bundle_t *b) {
    kernel_capture_t *cap = ctx;
    json_decref(cap->data);
    json_decref(cap->metadata);
    kernel_bundle_json(b, &cap->data, &cap->metadata);
}

static void kernel_capture_stream(void *ctx, int fd, const char *text, size_t len) {
    UNUSED(ctx);
    UNUSED(fd);
    UNUSED(text);
    UNUSED(len);
}

static void kernel_capture_display(void *ctx, const out_bundle_t *b, int update) {
    UNUSED(ctx);
    UNUSED(b);
    UNUSED(update);
}

static void kernel_capture_clear(void *ctx, int wait) {
    UNUSED(ctx);
    UNUSED(wait);
}

/* Evaluates each user expression after a successful cell: {name: {status, data,
 * metadata}} with the text/plain (etc.) of its value, or an error entry. Expressions
 * run with a sink that keeps only their result, so they publish nothing. */
static json_t *kernel_user_expressions(kernel_t *k, json_t *exprs) {
    json_t *out = json_object();
    const char *name;
    json_t *v;
    if (!json_is_object(exprs))
        return out;
    json_object_foreach(exprs, name, v) {
        json_t *e;
        const char *code = json_string_value(v);
        kernel_capture_t cap = {NULL, NULL};
        out_t o = {&cap,
                   kernel_capture_stream,
                   kernel_capture_display,
                   kernel_capture_result,
                   kernel_capture_clear,
                   NULL,
                   NULL};
        interp_t in = k->interp;
        in.out = &o;
        err_t err;
        err_clear(&err);
        if (!code)
            err_set(&err, "TypeError", "a user expression must be a string");
        if (code && interp_run(&in, code, &err) == 0) {
            e = json_object();
            json_object_set_new(e, "status", json_string("ok"));
            json_object_set_new(e, "data", cap.data ? cap.data : json_object());
            json_object_set_new(e, "metadata",
                                cap.metadata ? cap.metadata : json_object());
        } else {
            json_decref(cap.data);
            json_decref(cap.metadata);
            e = msg_error_content(err_kind(&err), err.msg, NULL);
            json_object_set_new(e, "status", json_string("error"));
        }
        json_object_set_new(out, name, e);
    }
    return out;
}

/* Takes every message already queued on shell (without waiting), to be answered by
 * kernel_abort_queue once the failed request is finished. */
static void kernel_take_queue(kernel_t *k) {
    wire_blob_t *frames;
    size_t n;
    while (k->io.try_recv && k->io.try_recv(k->io.ctx, SERVER_SHELL, &frames, &n) == 1) {
        if (k->nqueued == k->queued_cap) {
            k->queued_cap = k->queued_cap ? 2 * k->queued_cap : 16;
            k->queued = xrealloc(k->queued, k->queued_cap * sizeof *k->queued);
        }
        k->queued[k->nqueued].frames = frames;
        k->queued[k->nqueued].n = n;
        k->nqueued++;
    }
}

static void kernel_execute_request(kernel_t *k, json_t *c) {
    const char *code = kernel_json_str(c, "code");
    if (!code) {
        json_t *r =
            msg_error_content("ProtocolError", "execute_request without code", "");
        json_object_set_new(r, "status", json_string("error"));
        json_object_set_new(r, "execution_count", json_integer(k->execution_count));
        kernel_reply(k, "execute_reply", r);
        return;
    }
    int silent = kernel_json_bool(c, "silent", 0);
    int store = silent ? 0 : kernel_json_bool(c, "store_history", 1);
    int stop_on_error = kernel_json_bool(c, "stop_on_error", 1);
    if (store)
        k->execution_count++;
    int count = k->execution_count;
    if (store)
        kernel_hist_add(k, count, code);
    /* An interrupt that arrived while idle is spent. Cleared before execute_input goes
     * out, so an interrupt sent after a client saw execute_input reaches the cell. A
     * shutdown on control sets control_stop before the flag, so reading it after the
     * clear keeps a shutdown that raced with this request. */
    if (k->interrupted) {
        *k->interrupted = 0;
        if (atomic_load(&k->control_stop))
            *k->interrupted = 1;
    }
    if (!silent) {
        json_t *in = json_object();
        json_object_set_new(in, "code", json_string(code));
        json_object_set_new(in, "execution_count", json_integer(count));
        kernel_publish(k, "execute_input", in, NULL, NULL, 0);
    }
    k->silent = silent;
    free(k->last_result);
    k->last_result = NULL;
    err_t err;
    err_clear(&err);
    int rc = interp_run(&k->interp, code, &err);
    kernel_flush_streams(k);
    k->silent = 0;
    if (store && k->last_result) {
        k->hist[k->nhist - 1].output = k->last_result;
        k->last_result = NULL;
    }
    json_t *r;
    if (rc == 0) {
        r = kernel_ok();
        json_object_set_new(r, "execution_count", json_integer(count));
        json_object_set_new(r, "payload", json_array());
        json_object_set_new(
            r, "user_expressions",
            kernel_user_expressions(k, json_object_get(c, "user_expressions")));
    } else {
        if (!err.msg[0])
            err_set(&err, NULL, "the cell failed");
        char evalue[ERR_MSG_MAX + 48];
        if (err.line > 0)
            snprintf(evalue, sizeof evalue, "line %d, column %d: %s", err.line,
                     err.col > 0 ? err.col : 1, err.msg);
        else
            snprintf(evalue, sizeof evalue, "%s", err.msg);
        json_t *e = msg_error_content(err_kind(&err), evalue, NULL);
        json_object_set_new(e, "traceback", kernel_traceback(code, &err));
        if (!silent)
            kernel_publish(k, "error", json_deep_copy(e), NULL, NULL, 0);
        r = e;
        json_object_set_new(r, "status", json_string("error"));
        json_object_set_new(r, "execution_count", json_integer(count));
        if (stop_on_error && !silent)
            kernel_take_queue(k);
    }
    kernel_reply(k, "execute_reply", r);
}

static void kernel_complete_request(kernel_t *k, json_t *c) {
    const char *code = kernel_json_str(c, "code");
    if (!code)
        code = "";
    size_t ncp = kernel_byte_to_cp(code, strlen(code));
    long pos = kernel_json_int(c, "cursor_pos", (long)ncp);
    if (pos < 0 || (size_t)pos > ncp)
        pos = (long)ncp;
    size_t cur = kernel_cp_to_byte(code, (size_t)pos);
    strlist_t matches = STRLIST_INIT;
    size_t start = cur, end = cur;
    if (interp_complete(&k->interp, code, cur, &matches, &start, &end) != 0) {
        strlist_fini(&matches);
        start = end = cur;
    }
    if (start > end || end > strlen(code))
        start = end = cur;
    json_t *m = json_array();
    for (size_t i = 0; i < matches.n; i++)
        json_array_append_new(m, msg_text(matches.items[i], strlen(matches.items[i])));
    strlist_fini(&matches);
    json_t *r = kernel_ok();
    json_object_set_new(r, "matches", m);
    json_object_set_new(r, "cursor_start",
                        json_integer((json_int_t)kernel_byte_to_cp(code, start)));
    json_object_set_new(r, "cursor_end",
                        json_integer((json_int_t)kernel_byte_to_cp(code, end)));
    json_object_set_new(r, "metadata", json_object());
    kernel_reply(k, "complete_reply", r);
}

static void kernel_inspect_request(kernel_t *k, json_t *c) {
    const char *code = kernel_json_str(c, "code");
    if (!code)
        code = "";
    size_t ncp = kernel_byte_to_cp(code, strlen(code));
    long pos = kernel_json_int(c, "cursor_pos", (long)ncp);
    if (pos < 0 || (size_t)pos > ncp)
        pos = (long)ncp;
    int detail = (int)kernel_json_int(c, "detail_level", 0);
    buf_t text = BUF_INIT;
    int rc = interp_inspect(&k->interp, code, kernel_cp_to_byte(code, (size_t)pos),
                            detail, &text);
    int found = rc >= 0 && text.len > 0;
    json_t *data = json_object();
    if (found)
        json_object_set_new(data, "text/plain", msg_text(text.data, text.len));
    buf_fini(&text);
    json_t *r = kernel_ok();
    json_object_set_new(r, "found", json_boolean(found));
    json_object_set_new(r, "data", data);
    json_object_set_new(r, "metadata", json_object());
    kernel_reply(k, "inspect_reply", r);
}

static void kernel_is_complete_request(kernel_t *k, json_t *c) {
    const char *code = kernel_json_str(c, "code");
    const char *indent = NULL;
    const char *status = code ? interp_is_complete(code, &indent) : "unknown";
    if (!status)
        status = "unknown";
    json_t *r = json_object();
    json_object_set_new(r, "status", json_string(status));
    if (strcmp(status, "incomplete") == 0)
        json_object_set_new(r, "indent", json_string(indent ? indent : ""));
    kernel_reply(k, "is_complete_reply", r);
}

static void kernel_comm_info_request(kernel_t *k, json_t *c) {
    json_t *r = kernel_ok();
    json_object_set_new(r, "comms",
                        comm_info(k->comms, kernel_json_str(c, "target_name")));
    kernel_reply(k, "comm_info_reply", r);
}

static void kernel_comm_request(kernel_t *k, json_t *c) {
    const char *type = msg_type(k->parent);
    const wire_msg_t *m = k->parent;
    err_t err;
    err_clear(&err);
    int rc;
    if (strcmp(type, "comm_open") == 0)
        rc = comm_handle_open(k->comms, c, m->metadata, m->buffers, m->nbuffers, &err);
    else if (strcmp(type, "comm_msg") == 0)
        rc = comm_handle_msg(k->comms, c, m->metadata, m->buffers, m->nbuffers, &err);
    else
        rc = comm_handle_close(k->comms, c, m->metadata, m->buffers, m->nbuffers, &err);
    if (rc != 0)
        log_warn("%s: %s", type, err.msg);
}

static void kernel_shutdown_request(kernel_t *k, json_t *c) {
    k->restart = kernel_json_bool(c, "restart", 0);
    json_t *r = kernel_ok();
    json_object_set_new(r, "restart", json_boolean(k->restart));
    kernel_reply(k, "shutdown_reply", json_deep_copy(r));
    kernel_publish(k, "shutdown_reply", r, NULL, NULL, 0);
    k->shutting_down = 1;
}

static void kernel_interrupt_request(kernel_t *k, json_t *c) {
    UNUSED(c);
    if (k->interrupted)
        *k->interrupted = 1;
    kernel_reply(k, "interrupt_reply", kernel_ok());
}

typedef struct kernel_handler {
    const char *msg_type;
    void (*fn)(kernel_t *k, json_t *content);
} kernel_handler_t;

/* Every request the kernel answers, on shell or control alike. */
static const kernel_handler_t kernel_handlers[] = {
    {"kernel_info_request", kernel_info_request},
    {"execute_request", kernel_execute_request},
    {"complete_request", kernel_complete_request},
    {"inspect_request", kernel_inspect_request},
    {"is_complete_request", kernel_is_complete_request},
    {"history_request", kernel_history_request},
    {"comm_info_request", kernel_comm_info_request},
    {"comm_open", kernel_comm_request},
    {"comm_msg", kernel_comm_request},
    {"comm_close", kernel_comm_request},
    {"shutdown_request", kernel_shutdown_request},
    {"interrupt_request", kernel_interrupt_request},
    {NULL, NULL},
};

/* --- dispatch --------------------------------------------------------------------- */

static void kernel_abort_reply(kernel_t *k) {
    json_t *r = msg_error_content(
        "ExecutionAborted", "not run: an earlier cell failed and stop_on_error was set",
        "ExecutionAborted: not run: an earlier cell failed and stop_on_error was set");
    json_object_set_new(r, "status", json_string("error"));
    json_object_set_new(r, "execution_count", json_integer(k->execution_count));
    kernel_reply(k, "execute_reply", r);
}

static void kernel_dispatch(kernel_t *k, server_channel_t ch, const wire_msg_t *m,
                            int aborting) {
    const char *type = msg_type(m);
    k->parent = m;
    k->parent_ch = ch;
    kernel_status(k, "busy");
    if (aborting && strcmp(type, "execute_request") == 0) {
        kernel_abort_reply(k);
    } else {
        const kernel_handler_t *h = kernel_handlers;
        while (h->msg_type && strcmp(h->msg_type, type) != 0)
            h++;
        if (h->fn)
            h->fn(k, m->content);
        else
            log_warn("unknown message type '%s' ignored", type);
    }
    kernel_status(k, "idle");
    k->parent = NULL;
}

/* Decodes and verifies; on failure counts in *dropped (each thread has its own). */
static int kernel_decode(const kernel_t *k, server_channel_t ch,
                         const wire_blob_t *frames, size_t n, wire_msg_t *m,
                         unsigned long *dropped) {
    err_t err;
    err_clear(&err);
    if (wire_decode(&k->auth, frames, n, m, &err) != 0 || !json_is_object(m->content)) {
        if (!err.msg[0])
            snprintf(err.msg, sizeof err.msg, "content is not an object");
        ++*dropped;
        if (*dropped <= 20 || *dropped % 1000 == 0)
            log_warn("dropped a message on %s (%lu so far): %s",
                     ch == SERVER_CONTROL ? "control" : "shell", *dropped, err.msg);
        wire_msg_fini(m);
        return -1;
    }
    return 0;
}

/* Answers the requests taken by kernel_take_queue: executes get an ExecutionAborted
 * error reply, everything else is handled normally, in order. */
static void kernel_abort_queue(kernel_t *k) {
    struct kernel_queued *q = k->queued;
    size_t n = k->nqueued;
    k->queued = NULL;
    k->nqueued = k->queued_cap = 0;
    for (size_t i = 0; i < n; i++) {
        wire_msg_t m;
        if (!k->shutting_down &&
            kernel_decode(k, SERVER_SHELL, q[i].frames, q[i].n, &m, &k->dropped) == 0) {
            kernel_dispatch(k, SERVER_SHELL, &m, 1);
            wire_msg_fini(&m);
        }
        wire_frames_free(q[i].frames, q[i].n);
    }
    free(q);
}

/* The encoded iopub_welcome (parent {}, the topic as identity prefix) for an XPUB
 * subscription event: 1 with *out (caller frees), 0 for an unsubscribe or a topic that
 * is not UTF-8. Reads only the key and session: runs on the publisher thread. */
static int kernel_welcome_frames(const kernel_t *k, const wire_blob_t *ev, size_t n,
                                 wire_blob_t **out, size_t *nout) {
    if (n < 1 || ev[0].len < 1 || ev[0].data[0] != 1)
        return 0; /* unsubscribe */
    const char *topic = (const char *)ev[0].data + 1;
    size_t len = ev[0].len - 1;
    if (!util_utf8_valid(topic, len) || memchr(topic, 0, len))
        return 0;
    char *t = xstrndup(topic, len);
    json_t *c = json_object();
    json_object_set_new(c, "subscription", json_string(t));
    wire_msg_t m;
    msg_build(&m, &k->session, "iopub_welcome", NULL, c);
    wire_msg_set_topic(&m, t);
    free(t);
    int rc = wire_encode(&k->auth, &m, out, nout);
    wire_msg_fini(&m);
    return rc == 0;
}

/* --- the control channel (the control thread in the real kernel) ---------------- */

/* Sends one message about control request `req` through `io`: the reply on control,
 * or an iopub message with `req` as parent. Steals content. */
static void kernel_control_send(const kernel_t *k, const kernel_io_t *io,
                                server_channel_t ch, const wire_msg_t *req,
                                const char *type, json_t *content) {
    wire_msg_t m;
    msg_build(&m, &k->session, type, req, content);
    if (ch == SERVER_IOPUB)
        kernel_topic(k, &m, type);
    else
        wire_msg_set_ids(&m, req->ids, req->nids);
    kernel_send_io(k, io, ch, &m);
    wire_msg_fini(&m);
}

static void kernel_control_status(const kernel_t *k, const kernel_io_t *io,
                                  const wire_msg_t *req, const char *state) {
    json_t *c = json_object();
    json_object_set_new(c, "execution_state", json_string(state));
    kernel_control_send(k, io, SERVER_IOPUB, req, "status", c);
}

/* Handles one control message, wrapped in busy/idle: kernel_info, interrupt (sets the
 * interrupt flag) and shutdown (replies on control and iopub, sets control_stop and the
 * flag) are answered; other types are logged and ignored, like unknown types on shell.
 * Touches only what the control thread may (see the top of this file). Returns 1
 * after a shutdown_request, else 0. */
static int kernel_control(kernel_t *k, const kernel_io_t *io, const wire_blob_t *frames,
                          size_t n) {
    wire_msg_t m;
    if (kernel_decode(k, SERVER_CONTROL, frames, n, &m, &k->control_dropped) != 0)
        return 0;
    const char *type = msg_type(&m);
    int stop = 0;
    kernel_control_status(k, io, &m, "busy");
    if (strcmp(type, "kernel_info_request") == 0) {
        kernel_control_send(k, io, SERVER_CONTROL, &m, "kernel_info_reply",
                            kernel_info_content());
    } else if (strcmp(type, "interrupt_request") == 0) {
        if (k->interrupted)
            *k->interrupted = 1;
        kernel_control_send(k, io, SERVER_CONTROL, &m, "interrupt_reply", kernel_ok());
    } else if (strcmp(type, "shutdown_request") == 0) {
        json_t *r = kernel_ok();
        json_object_set_new(r, "restart",
                            json_boolean(kernel_json_bool(m.content, "restart", 0)));
        kernel_control_send(k, io, SERVER_CONTROL, &m, "shutdown_reply",
                            json_deep_copy(r));
        kernel_control_send(k, io, SERVER_IOPUB, &m, "shutdown_reply", r);
        atomic_store(&k->control_stop, 1);
        if (k->interrupted)
            *k->interrupted = 1; /* a running cell ends, then kernel_run returns */
        stop = 1;
    } else {
        log_warn("'%s' on control ignored: only kernel_info, interrupt and shutdown "
                 "requests are answered there",
                 type);
    }
    kernel_control_status(k, io, &m, "idle");
    wire_msg_fini(&m);
    return stop;
}

/* kernel_handle_frames: decodes one received message (frames borrowed) and dispatches
 * it, wrapped in busy/idle; after a failed execute with stop_on_error it aborts the
 * queued executes. Malformed or badly signed messages are logged and dropped;
 * subscription events on SERVER_IOPUB are answered with iopub_welcome. */
void kernel_handle_frames(kernel_t *k, server_channel_t ch, const wire_blob_t *frames,
                          size_t n) {
    if (ch == SERVER_IOPUB) {
        wire_blob_t *out;
        size_t nout;
        if (kernel_welcome_frames(k, frames, n, &out, &nout)) {
            if (k->io.send)
                k->io.send(k->io.ctx, SERVER_IOPUB, out, nout);
            wire_frames_free(out, nout);
        }
        return;
    }
    if (ch == SERVER_STDIN)
        return; /* no input_request is ever sent */
    if (ch == SERVER_CONTROL) {
        if (kernel_control(k, &k->io, frames, n))
            k->shutting_down = 1;
        return;
    }
    wire_msg_t m;
    if (kernel_decode(k, ch, frames, n, &m, &k->dropped) != 0)
        return;
    kernel_dispatch(k, ch, &m, 0);
    wire_msg_fini(&m);
    if (k->nqueued)
        kernel_abort_queue(k);
}

/* --- life cycle ------------------------------------------------------------------- */

static int kernel_server_send(void *ctx, server_channel_t ch, const wire_blob_t *frames,
                              size_t n) {
    return server_send(ctx, ch, frames, n);
}

static int kernel_server_try_recv(void *ctx, server_channel_t ch, wire_blob_t **frames,
                                  size_t *n) {
    return server_try_recv(ctx, ch, frames, n);
}

static int kernel_server_control_send(void *ctx, server_channel_t ch,
                                      const wire_blob_t *frames, size_t n) {
    return server_control_send(ctx, ch, frames, n);
}

/* server_hooks_t.control: runs on the control thread. */
static int kernel_control_hook(void *ctx, server_t *s, const wire_blob_t *frames,
                               size_t n) {
    kernel_io_t io = {s, kernel_server_control_send, NULL};
    return kernel_control(ctx, &io, frames, n);
}

/* server_hooks_t.welcome: runs on the publisher thread. */
static int kernel_welcome_hook(void *ctx, const wire_blob_t *ev, size_t n,
                               wire_blob_t **out, size_t *nout) {
    return kernel_welcome_frames(ctx, ev, n, out, nout);
}

static void kernel_comm_publish(void *ctx, const char *msg_type, json_t *content,
                                json_t *metadata, const wire_blob_t *buffers,
                                size_t nbuffers) {
    kernel_publish(ctx, msg_type, json_incref(content),
                   metadata ? json_incref(metadata) : NULL, buffers, nbuffers);
}

/* What the control and publisher threads read: set before the server starts. */
static void kernel_init_shared(kernel_t *k, volatile sig_atomic_t *interrupted) {
    msg_session_init(&k->session);
    k->interrupted = interrupted;
    atomic_init(&k->control_stop, 0);
}

/* Everything but the transport, the key and kernel_init_shared. */
static void kernel_init_common(kernel_t *k, volatile sig_atomic_t *interrupted) {
    k->store = store_new(0);
    k->comms = comm_registry_new(kernel_comm_publish, k);
    comm_register_echo(k->comms);
    k->out.ctx = k;
    k->out.stream = kernel_out_stream;
    k->out.display = kernel_out_display;
    k->out.result = kernel_out_result;
    k->out.clear = kernel_out_clear;
    k->out.widget = kernel_out_widget;
    k->out.progress = kernel_out_progress;
    k->interp.store = k->store;
    k->interp.out = &k->out;
    k->interp.interrupted = interrupted;
    buf_init(&k->stream_buf[0]);
    buf_init(&k->stream_buf[1]);
    k->stream_last = util_now();
    kernel_status(k, "starting");
}

/* kernel_init: loads the connection file, binds every socket (before anything slow),
 * then creates the store, comm registry (with the echo target) and output sink and
 * publishes status "starting". Returns 0, or -1 with err filled; kernel_fini is safe
 * afterwards either way. */
int kernel_init(kernel_t *k, const char *connection_file,
                volatile sig_atomic_t *interrupted, err_t *err) {
    memset(k, 0, sizeof *k);
    if (conn_load(&k->conn, connection_file, err) != 0)
        return -1;
    if (wire_auth_init(&k->auth, k->conn.key, k->conn.scheme, err) != 0)
        return -1;
    kernel_init_shared(k, interrupted);
    server_hooks_t hooks = {k, kernel_control_hook, kernel_welcome_hook};
    k->server = server_new(&k->conn, &hooks, err);
    if (!k->server)
        return -1;
    k->io.ctx = k->server;
    k->io.send = kernel_server_send;
    k->io.try_recv = kernel_server_try_recv;
    kernel_init_common(k, interrupted);
    return 0;
}

/* kernel_init_io: a kernel without connection file or sockets, signing with `key`
 * ("" disables signing) and talking through *io (copied). For tests. Returns 0, or -1
 * with err filled. */
int kernel_init_io(kernel_t *k, const char *key, const kernel_io_t *io,
                   volatile sig_atomic_t *interrupted, err_t *err) {
    memset(k, 0, sizeof *k);
    if (wire_auth_init(&k->auth, key, *key ? "hmac-sha256" : "", err) != 0)
        return -1;
    k->io = *io;
    kernel_init_shared(k, interrupted);
    kernel_init_common(k, interrupted);
    return 0;
}

/* kernel_fini: frees the comms (running their state destructors), the store, the
 * history and the sockets (iopub lingers briefly so the last messages leave). Safe on
 * a zeroed or half-initialised kernel. */
void kernel_fini(kernel_t *k) {
    comm_registry_free(k->comms);
    k->comms = NULL;
    if (k->store)
        store_free(k->store);
    k->store = NULL;
    for (size_t i = 0; i < k->nhist; i++) {
        free(k->hist[i].input);
        free(k->hist[i].output);
    }
    free(k->hist);
    k->hist = NULL;
    k->nhist = k->hist_cap = 0;
    for (size_t i = 0; i < k->nqueued; i++)
        wire_frames_free(k->queued[i].frames, k->queued[i].n);
    free(k->queued);
    k->queued = NULL;
    k->nqueued = k->queued_cap = 0;
    free(k->last_result);
    k->last_result = NULL;
    buf_fini(&k->stream_buf[0]);
    buf_fini(&k->stream_buf[1]);
    server_free(k->server);
    k->server = NULL;
    wire_auth_fini(&k->auth);
    conn_fini(&k->conn);
}

/* kernel_run: receives and handles shell messages until a shutdown_request was
 * answered (on shell here, or on control by the control thread, which then wakes the
 * wait). Signals only interrupt the wait (the SIGINT flag is read by running cells).
 * Returns 0, or -1 after a fatal socket error (logged). */
int kernel_run(kernel_t *k) {
    while (!k->shutting_down && !atomic_load(&k->control_stop)) {
        server_channel_t ch;
        wire_blob_t *frames;
        size_t n;
        err_t err;
        err_clear(&err);
        int r = server_recv(k->server, -1, &ch, &frames, &n, &err);
        if (r < 0) {
            log_error("%s", err.msg);
            return -1;
        }
        if (r == 0)
            continue;
        kernel_handle_frames(k, ch, frames, n);
        wire_frames_free(frames, n);
    }
    return 0;
}
