/* SPDX-License-Identifier: MIT */
/* fuzz_attention.c -- libFuzzer target for the attention widget's request handling.
 *
 * The input is the JSON content of a custom comm message from the front end (or, when
 * it does not parse, a JSON string holding the bytes), handled by an attention widget
 * over a small store (x: float32 [2, 3, 5, 5], toks: 5 tokens) in a kernel with a fake
 * transport. When the first byte is 'U' the rest is sent as a state `update` instead.
 * Beyond "no crash, leak or sanitizer report", it checks that every custom request gets
 * exactly one reply, and that an error reply carries a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "widget.h"

typedef struct fz {
    kernel_t k;
    widget_host_t *host;
    char model_id[64];
    size_t sent; /* iopub messages sent since the last reset */
    int errors;  /* error replies without a message */
} fz_t;

static int fz_send(void *ctx, server_channel_t ch, const wire_blob_t *frames, size_t n) {
    fz_t *f = ctx;
    if (ch != SERVER_IOPUB)
        return 0;
    wire_msg_t m;
    wire_msg_init(&m);
    if (wire_decode(&f->k.auth, frames, n, &m, NULL) == 0) {
        if (strcmp(msg_type(&m), "comm_msg") == 0) {
            f->sent++;
            json_t *c = json_object_get(json_object_get(m.content, "data"), "content");
            const char *t = json_string_value(json_object_get(c, "type"));
            if (t && strcmp(t, "error") == 0 &&
                !json_string_length(json_object_get(c, "error")))
                f->errors++;
        }
    }
    wire_msg_fini(&m);
    return 0;
}

static fz_t *fz_get(void) {
    static fz_t *f; /* one kernel for the whole run */
    if (f)
        return f;
    f = calloc(1, sizeof *f);
    kernel_io_t io = {f, fz_send, NULL};
    if (!f || kernel_init_io(&f->k, "", &io, NULL, NULL) != 0)
        abort();
    util_set_log_level(0);
    f->host = widget_host_new(&f->k);
    int64_t shape[4] = {2, 3, 5, 5};
    tensor_t *x = tensor_new(DT_F32, 4, shape, NULL);
    for (int64_t i = 0; i < 150; i++)
        tensor_set_flat(x, i, (double)i / 150.0);
    store_put_tensor(f->k.store, "x", x, "fuzz", NULL);
    strlist_t l = STRLIST_INIT;
    const char *w[5] = {"a", " b", "\n", "<i>", ""};
    for (int i = 0; i < 5; i++)
        strlist_push(&l, w[i]);
    store_put_strings(f->k.store, "toks", &l, "fuzz", NULL);
    strlist_fini(&l);
    const char *keys[2] = {"tensor", "tokens"}, *vals[2] = {"x", "toks"};
    out_widget_t spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = "attention";
    spec.keys = keys;
    spec.values = vals;
    spec.n = 2;
    spec.fallback.text = "x";
    if (widget_host_open(f->host, &spec, NULL) != 0 || widget_host_count(f->host) != 1)
        abort();
    json_t *info = comm_info(f->k.comms, WIDGET_TARGET);
    const char *id = json_object_iter_key(json_object_iter(info));
    snprintf(f->model_id, sizeof f->model_id, "%s", id ? id : "");
    json_decref(info);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_t *f = fz_get();
    widget_t *w = widget_find(f->host, f->model_id);
    if (!w)
        abort();
    int update = size > 0 && data[0] == 'U';
    if (update) {
        data++;
        size--;
    }
    json_t *content = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!content)
        content = json_stringn_nocheck((const char *)data, size);
    json_t *msg = update
                      ? json_pack("{s:s, s:O, s:[]}", "method", "update", "state",
                                  content, "buffer_paths")
                      : json_pack("{s:s, s:O}", "method", "custom", "content", content);
    f->sent = 0;
    widget_handle_msg(w, msg, NULL, 0);
    if (!update && f->sent != 1)
        abort(); /* every request gets exactly one reply */
    if (f->errors)
        abort();
    /* keep the widget's view state sane for the next input */
    json_t *reset = json_pack("{s:s, s:{s:i, s:i}, s:[]}", "method", "update", "state",
                              "head", -1, "layer", 0, "buffer_paths");
    widget_handle_msg(w, reset, NULL, 0);
    json_decref(reset);
    json_decref(msg);
    json_decref(content);
    return 0;
}
