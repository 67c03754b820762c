/* SPDX-License-Identifier: MIT */
/* test_widget.c -- the widget layer and the attention kind through a kernel with a fake
 * transport: comm_open state, display bundle, request validation, state sync, close. */
#include "check.h"
#include "kernel.h"
#include "widget.h"

#include <stdlib.h>

#define MAXREC 4096

typedef struct rec {
    kernel_t *k;
    wire_msg_t msgs[MAXREC]; /* decoded iopub messages */
    size_t n;
} rec_t;

static int rec_send(void *ctx, server_channel_t ch, const wire_blob_t *frames, size_t n) {
    rec_t *r = ctx;
    if (ch != SERVER_IOPUB || r->n >= MAXREC)
        return 0;
    wire_msg_init(&r->msgs[r->n]);
    if (wire_decode(&r->k->auth, frames, n, &r->msgs[r->n], NULL) == 0)
        r->n++;
    return 0;
}

static void rec_clear(rec_t *r) {
    for (size_t i = 0; i < r->n; i++)
        wire_msg_fini(&r->msgs[i]);
    r->n = 0;
}

typedef struct env {
    kernel_t k;
    rec_t rec;
    widget_host_t *host;
    msg_session_t client;
} env_t;

static env_t *env_new(void) {
    env_t *e = calloc(1, sizeof *e);
    e->rec.k = &e->k;
    kernel_io_t io = {&e->rec, rec_send, NULL};
    err_t err;
    err_clear(&err);
    if (kernel_init_io(&e->k, "", &io, NULL, &err) != 0) {
        fprintf(stderr, "kernel_init_io: %s\n", err.msg);
        abort();
    }
    e->host = widget_host_new(&e->k);
    msg_session_init(&e->client);
    int64_t shape[4] = {2, 3, 8, 8};
    tensor_t *t = tensor_new(DT_F32, 4, shape, NULL);
    float *f = (float *)(void *)t->data;
    for (int i = 0; i < 2 * 3 * 8 * 8; i++)
        f[i] = (float)i / 1000.0f;
    store_put_tensor(e->k.store, "pat", t, "test", NULL);
    strlist_t toks = STRLIST_INIT;
    const char *words[8] = {"a", " b", "\n", "<i>", "e", "f", "g", "h"};
    for (int i = 0; i < 8; i++)
        strlist_push(&toks, words[i]);
    store_put_strings(e->k.store, "toks", &toks, "test", NULL);
    strlist_fini(&toks);
    return e;
}

static void env_free(env_t *e) {
    widget_host_free(e->host);
    kernel_fini(&e->k);
    rec_clear(&e->rec);
    free(e);
}

/* Sends one shell request (content stolen) and returns its msg_id in `id`. */
static void send_req(env_t *e, const char *type, json_t *content, char id[64]) {
    wire_msg_t m;
    wire_msg_init(&m);
    msg_build(&m, &e->client, type, NULL, content);
    if (id)
        snprintf(id, 64, "%s", msg_id(&m));
    wire_blob_t ident = {(unsigned char *)"client", 6};
    wire_msg_set_ids(&m, &ident, 1);
    wire_blob_t *frames;
    size_t n;
    if (wire_encode(&e->k.auth, &m, &frames, &n) == 0) {
        kernel_handle_frames(&e->k, SERVER_SHELL, frames, n);
        wire_frames_free(frames, n);
    }
    wire_msg_fini(&m);
}

static const wire_msg_t *find(env_t *e, const char *type, size_t from) {
    for (size_t i = from; i < e->rec.n; i++)
        if (strcmp(msg_type(&e->rec.msgs[i]), type) == 0)
            return &e->rec.msgs[i];
    return NULL;
}

/* Runs a cell; returns the comm id of the widget it opened (static buffer) or NULL. */
static const char *run_cell(env_t *e, const char *code) {
    static char cid[64];
    rec_clear(&e->rec);
    send_req(e, "execute_request",
             json_pack("{s:s, s:b, s:b, s:{}, s:b}", "code", code, "silent", 0,
                       "store_history", 1, "user_expressions", "allow_stdin", 0),
             NULL);
    const wire_msg_t *o = find(e, "comm_open", 0);
    if (!o)
        return NULL;
    snprintf(cid, sizeof cid, "%s",
             json_string_value(json_object_get(o->content, "comm_id")));
    return cid;
}

/* Sends a custom request; returns the reply content (new reference) or NULL, and the
 * first buffer's length in *blen. */
static json_t *request(env_t *e, const char *cid, json_t *content, size_t *blen,
                       unsigned char **bdata) {
    rec_clear(&e->rec);
    send_req(e, "comm_msg",
             json_pack("{s:s, s:{s:s, s:o}}", "comm_id", cid, "data", "method", "custom",
                       "content", content),
             NULL);
    const wire_msg_t *r = find(e, "comm_msg", 0);
    if (!r)
        return NULL;
    json_t *c = json_object_get(json_object_get(r->content, "data"), "content");
    if (blen)
        *blen = r->nbuffers ? r->buffers[0].len : 0;
    if (bdata)
        *bdata = r->nbuffers ? r->buffers[0].data : NULL;
    return json_incref(c);
}

static void test_assets_and_kinds(void) {
    size_t len = 0;
    const char *esm = widget_asset("attention.js", &len);
    CHECK(esm != NULL);
    CHECK(len > 1000);
    CHECK_CONTAINS(esm, "export default");
    CHECK(widget_asset("widget.css", NULL) != NULL);
    CHECK(widget_asset("nope.js", NULL) == NULL);
    CHECK(widget_asset(NULL, NULL) == NULL);
}

static void test_open_state_and_bundle(void) {
    env_t *e = env_new();
    CHECK(widget_host_kind(e->host, "attention") != NULL);
    CHECK(widget_host_kind(e->host, "nope") == NULL);
    const char *cid = run_cell(e, "%attention pat --tokens toks --layer 1");
    CHECK(cid != NULL);
    if (!cid)
        goto out;
    const wire_msg_t *o = find(e, "comm_open", 0);
    CHECK_EQ_STR(json_string_value(json_object_get(o->metadata, "version")), "2.1.0");
    CHECK_EQ_STR(json_string_value(json_object_get(o->content, "target_name")),
                 "jupyter.widget");
    json_t *st = json_object_get(json_object_get(o->content, "data"), "state");
    CHECK_EQ_STR(json_string_value(json_object_get(st, "_model_module")), "anywidget");
    CHECK_EQ_STR(json_string_value(json_object_get(st, "_view_name")), "AnyView");
    CHECK_EQ_STR(json_string_value(json_object_get(st, "_model_module_version")), "*");
    CHECK_EQ_STR(json_string_value(json_object_get(st, "_anywidget_id")),
                 "mechviz.attention");
    CHECK_EQ_INT(json_integer_value(json_object_get(st, "layer")), 1);
    CHECK_EQ_STR(json_string_value(json_object_get(st, "tensor")), "pat");
    const wire_msg_t *d = find(e, "display_data", 0);
    CHECK(d != NULL);
    if (d) {
        json_t *data = json_object_get(d->content, "data");
        json_t *view = json_object_get(data, WIDGET_MIME);
        CHECK_EQ_STR(json_string_value(json_object_get(view, "model_id")), cid);
        CHECK_EQ_INT(json_integer_value(json_object_get(view, "version_major")), 2);
        CHECK(json_is_string(json_object_get(data, "image/png")));
        CHECK_CONTAINS(json_string_value(json_object_get(data, "text/plain")), "pat");
    }
    CHECK(o < d); /* comm_open first */
    CHECK_EQ_INT(widget_host_count(e->host), 1);
    CHECK(widget_find(e->host, cid) != NULL);
out:
    env_free(e);
}

static void test_open_errors_publish_nothing(void) {
    env_t *e = env_new();
    err_t err;
    err_clear(&err);
    out_widget_t w;
    memset(&w, 0, sizeof w);
    w.kind = "nosuchkind";
    CHECK_EQ_INT(widget_host_open(e->host, &w, &err), -1);
    CHECK_CONTAINS(err.msg, "unknown widget kind");
    const char *keys[1] = {"tensor"}, *vals[1] = {"missing_name"};
    w.kind = "attention";
    w.keys = keys;
    w.values = vals;
    w.n = 1;
    rec_clear(&e->rec);
    CHECK_EQ_INT(widget_host_open(e->host, &w, &err), -1);
    CHECK_CONTAINS(err.msg, "missing_name");
    w.n = 0;
    CHECK_EQ_INT(widget_host_open(e->host, &w, &err), -1);
    CHECK_EQ_INT(e->rec.n, 0);
    CHECK_EQ_INT(comm_count(e->k.comms), 0);
    CHECK_EQ_INT(widget_host_count(e->host), 0);
    env_free(e);
}

static void test_requests(void) {
    env_t *e = env_new();
    const char *c0 = run_cell(e, "%attention pat --tokens toks");
    char cid[64];
    snprintf(cid, sizeof cid, "%s", c0 ? c0 : "");
    size_t blen;
    unsigned char *b;
    json_t *r = request(e, cid,
                        json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "type", "tile",
                                  "id", 5, "layer", 1, "head", 2, "z", 0, "x", 0, "y", 0),
                        &blen, &b);
    CHECK_EQ_STR(json_string_value(json_object_get(r, "type")), "tile");
    CHECK_EQ_INT(json_integer_value(json_object_get(r, "id")), 5);
    CHECK(blen > 8 && memcmp(b, "\x89PNG", 4) == 0);
    json_decref(r);
    r = request(e, cid,
                json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "type", "slice",
                          "id", "x", "layer", 1, "head", 2, "q0", 7, "k0", 3, "nq", 1,
                          "nk", 2),
                &blen, &b);
    CHECK_EQ_INT(blen, 8);
    if (blen == 8) {
        float v[2];
        memcpy(v, b, 8);
        int base = ((1 * 3 + 2) * 8 + 7) * 8 + 3;
        CHECK(v[0] == (float)base / 1000.0f);
        CHECK(v[1] == (float)(base + 1) / 1000.0f);
    }
    CHECK_EQ_STR(json_string_value(json_object_get(r, "id")), "x");
    json_decref(r);
    /* bad requests: each answered by an error naming the problem */
    struct {
        const char *json;
        const char *why;
    } bad[] = {
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":3,\"z\":0,\"x\":0,\"y\":0}",
         "head"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":0,\"z\":9,\"x\":0,\"y\":0}",
         "'z'"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":0,\"z\":0,\"x\":1,\"y\":0}",
         "out of range"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":0,\"z\":0,\"x\":1e300,\"y\":"
         "0}",
         "'x'"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":0,\"z\":0,\"x\":-"
         "9223372036854775808,"
         "\"y\":0}",
         "'x'"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":\"0\",\"head\":0,\"z\":0,\"x\":0,\"y\":"
         "0}",
         "integer"},
        {"{\"type\":\"tile\",\"id\":1,\"layer\":0,\"head\":0,\"x\":0,\"y\":0}",
         "missing"},
        {"{\"type\":\"slice\",\"id\":1,\"layer\":0,\"head\":0,\"q0\":0,\"k0\":0,\"nq\":9,"
         "\"nk\":1}",
         "nq"},
        {"{\"type\":\"slice\",\"id\":1,\"layer\":0,\"head\":-5,\"q0\":0,\"k0\":0,\"nq\":"
         "1,"
         "\"nk\":1}",
         "head"},
        {"{\"type\":\"thumb\",\"id\":1,\"layer\":0,\"head\":0,\"cmap\":7}", "cmap"},
        {"{\"type\":\"zap\",\"id\":1}", "unknown request"},
        {"{\"id\":1}", "type"},
        {"[]", "object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *req = json_loads(bad[i].json, 0, NULL);
        CHECK(req != NULL);
        r = request(e, cid, req, &blen, &b);
        CHECK(r != NULL);
        CHECK_EQ_STR(json_string_value(json_object_get(r, "type")), "error");
        CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), bad[i].why);
        CHECK_EQ_INT(blen, 0);
        json_decref(r);
    }
    /* the store changes under the widget: requests fail politely */
    store_delete(e->k.store, "pat");
    r = request(e, cid,
                json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "type", "tile", "id", 9,
                          "layer", 0, "head", 0, "z", 0, "x", 0, "y", 0),
                NULL, NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(r, "type")), "error");
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "pat");
    json_decref(r);
    int64_t shape[2] = {8, 8};
    store_put_tensor(e->k.store, "pat", tensor_new(DT_F32, 2, shape, NULL), "t", NULL);
    r = request(e, cid,
                json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "type", "tile", "id", 10,
                          "layer", 0, "head", 0, "z", 0, "x", 0, "y", 0),
                NULL, NULL);
    CHECK_CONTAINS(json_string_value(json_object_get(r, "error")), "changed shape");
    json_decref(r);
    env_free(e);
}

static void test_sync_and_close(void) {
    env_t *e = env_new();
    const char *c0 = run_cell(e, "%attention pat");
    char cid[64], mid[64];
    snprintf(cid, sizeof cid, "%s", c0 ? c0 : "");
    rec_clear(&e->rec);
    send_req(e, "comm_msg",
             json_pack("{s:s, s:{s:s, s:{s:i, s:s}, s:[]}}", "comm_id", cid, "data",
                       "method", "update", "state", "head", 1, "_esm", "x",
                       "buffer_paths"),
             mid);
    const wire_msg_t *m = find(e, "comm_msg", 0);
    CHECK(m != NULL);
    if (m) {
        json_t *d = json_object_get(m->content, "data");
        CHECK_EQ_STR(json_string_value(json_object_get(d, "method")), "echo_update");
        CHECK_EQ_INT(json_object_size(json_object_get(d, "state")), 1);
        CHECK_EQ_STR(json_string_value(json_object_get(m->parent, "msg_id")), mid);
    }
    widget_t *w = widget_find(e->host, cid);
    CHECK(w != NULL);
    if (w) {
        CHECK_EQ_INT(widget_get_int(w, "head", -1), 1);
        CHECK(strcmp(widget_get_str(w, "_esm", ""), "x") != 0);
    }
    rec_clear(&e->rec);
    send_req(
        e, "comm_msg",
        json_pack("{s:s, s:{s:s}}", "comm_id", cid, "data", "method", "request_state"),
        mid);
    m = find(e, "comm_msg", 0);
    CHECK(m != NULL);
    if (m) {
        json_t *d = json_object_get(m->content, "data");
        CHECK_EQ_STR(json_string_value(json_object_get(d, "method")), "update");
        CHECK(json_is_string(json_object_get(json_object_get(d, "state"), "_esm")));
        CHECK_EQ_STR(json_string_value(json_object_get(m->parent, "msg_id")), mid);
    }
    /* the control comm: request_states lists the widget */
    rec_clear(&e->rec);
    send_req(e, "comm_open",
             json_pack("{s:s, s:s, s:{}}", "comm_id", "ctl", "target_name",
                       WIDGET_CONTROL_TARGET, "data"),
             NULL);
    CHECK(find(e, "comm_close", 0) == NULL);
    send_req(
        e, "comm_msg",
        json_pack("{s:s, s:{s:s}}", "comm_id", "ctl", "data", "method", "request_states"),
        NULL);
    m = find(e, "comm_msg", 0);
    CHECK(m != NULL);
    if (m) {
        json_t *states = json_object_get(json_object_get(m->content, "data"), "states");
        CHECK(json_object_get(states, cid) != NULL);
    }
    /* the front end closes the widget */
    send_req(e, "comm_close", json_pack("{s:s, s:{}}", "comm_id", cid, "data"), NULL);
    CHECK_EQ_INT(widget_host_count(e->host), 0);
    CHECK(widget_find(e->host, cid) == NULL);
    env_free(e);
}

CHECK_MAIN(test_assets_and_kinds, test_open_state_and_bundle,
           test_open_errors_publish_nothing, test_requests, test_sync_and_close)
