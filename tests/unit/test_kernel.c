/* SPDX-License-Identifier: MIT */
/* test_kernel.c -- the dispatcher through a recording transport, no sockets: busy/idle
 * framing and parents, replies to the request's identities, execution counter rules,
 * outputs of the sink (streams, displays with image metadata, updates, clear),
 * error tracebacks, stop_on_error aborting queued executes, history, comms, welcome,
 * shutdown, dropped forgeries, and the code-point/byte cursor conversions. */
#include "check.h"
#include "kernel.h"

#include <stdlib.h>

#define MAXREC 512
#define KEY "5ec1e7-test-key"

typedef struct sent {
    server_channel_t ch;
    wire_msg_t m;
} sent_t;

typedef struct fake {
    kernel_t *k;
    sent_t s[MAXREC];
    size_t n;
    wire_blob_t *queue[16]; /* frames waiting on "shell" for try_recv */
    size_t queue_n[16];
    size_t nqueue, qhead;
} fake_t;

static int fake_send(void *ctx, server_channel_t ch, const wire_blob_t *frames,
                     size_t n) {
    fake_t *f = ctx;
    if (f->n >= MAXREC)
        return -1;
    err_t err;
    err_clear(&err);
    /* Every message the kernel sends must verify with the key and decode. */
    if (wire_decode(&f->k->auth, frames, n, &f->s[f->n].m, &err) != 0) {
        fprintf(stderr, "  kernel sent an undecodable message: %s\n", err.msg);
        return -1;
    }
    f->s[f->n].ch = ch;
    f->n++;
    return 0;
}

static int fake_try_recv(void *ctx, server_channel_t ch, wire_blob_t **frames,
                         size_t *n) {
    fake_t *f = ctx;
    if (ch != SERVER_SHELL || f->qhead >= f->nqueue)
        return 0;
    *frames = f->queue[f->qhead];
    *n = f->queue_n[f->qhead];
    f->qhead++;
    return 1;
}

static void fake_clear(fake_t *f) {
    for (size_t i = 0; i < f->n; i++)
        wire_msg_fini(&f->s[i].m);
    f->n = 0;
}

typedef struct env {
    kernel_t k;
    fake_t f;
    msg_session_t client;
    wire_auth_t auth;
    volatile sig_atomic_t interrupted;
} env_t;

static env_t *env_new(void) {
    env_t *e = calloc(1, sizeof *e);
    e->f.k = &e->k;
    kernel_io_t io = {&e->f, fake_send, fake_try_recv};
    err_t err;
    err_clear(&err);
    if (kernel_init_io(&e->k, KEY, &io, &e->interrupted, &err) != 0) {
        fprintf(stderr, "kernel_init_io: %s\n", err.msg);
        abort();
    }
    wire_auth_init(&e->auth, KEY, "hmac-sha256", NULL);
    msg_session_init(&e->client);
    return e;
}

static void env_free(env_t *e) {
    fake_clear(&e->f);
    for (size_t i = e->f.qhead; i < e->f.nqueue; i++)
        wire_frames_free(e->f.queue[i], e->f.queue_n[i]);
    kernel_fini(&e->k);
    wire_auth_fini(&e->auth);
    free(e);
}

/* Encodes a client request (identity "client-1") into frames; content is stolen. */
static void env_encode(env_t *e, const char *type, json_t *content, char id_out[64],
                       wire_blob_t **frames, size_t *n) {
    wire_msg_t m;
    msg_build(&m, &e->client, type, NULL, content);
    wire_blob_t ident = {(unsigned char *)"client-1", 8};
    wire_msg_set_ids(&m, &ident, 1);
    if (id_out)
        snprintf(id_out, 64, "%s", msg_id(&m));
    wire_encode(&e->auth, &m, frames, n);
    wire_msg_fini(&m);
}

/* Sends one request through kernel_handle_frames; returns its msg_id in id_out. */
static void env_request(env_t *e, server_channel_t ch, const char *type, json_t *content,
                        char id_out[64]) {
    wire_blob_t *frames;
    size_t n;
    env_encode(e, type, content, id_out, &frames, &n);
    kernel_handle_frames(&e->k, ch, frames, n);
    wire_frames_free(frames, n);
}

static void env_queue(env_t *e, const char *type, json_t *content, char id_out[64]) {
    size_t i = e->f.nqueue++;
    env_encode(e, type, content, id_out, &e->f.queue[i], &e->f.queue_n[i]);
}

static const char *parent_id(const wire_msg_t *m) {
    return json_string_value(json_object_get(m->parent, "msg_id"));
}

static const char *state_of(const sent_t *s) {
    if (strcmp(msg_type(&s->m), "status") != 0)
        return NULL;
    return json_string_value(json_object_get(s->m.content, "execution_state"));
}

/* Messages with this parent, in order. */
static size_t of_parent(env_t *e, const char *pid, const sent_t **out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < e->f.n && k < cap; i++) {
        const char *p = parent_id(&e->f.s[i].m);
        if (p && strcmp(p, pid) == 0)
            out[k++] = &e->f.s[i];
    }
    return k;
}

static const sent_t *find(env_t *e, const char *pid, const char *type) {
    const sent_t *m[MAXREC];
    size_t n = of_parent(e, pid, m, MAXREC);
    for (size_t i = 0; i < n; i++)
        if (strcmp(msg_type(&m[i]->m), type) == 0)
            return m[i];
    return NULL;
}

static json_t *exec_content(const char *code) {
    return json_pack("{s:s, s:b, s:b, s:{}, s:b, s:b}", "code", code, "silent", 0,
                     "store_history", 1, "user_expressions", "allow_stdin", 0,
                     "stop_on_error", 1);
}

/* --- tests ------------------------------------------------------------------------- */

static void test_starting_status_and_kernel_info_framing(void) {
    env_t *e = env_new();
    CHECK_EQ_INT(e->f.n, 1);
    CHECK_EQ_STR(msg_type(&e->f.s[0].m), "status");
    CHECK_EQ_STR(state_of(&e->f.s[0]), "starting");
    CHECK_EQ_INT(json_object_size(e->f.s[0].m.parent), 0);
    fake_clear(&e->f);

    char id[64];
    env_request(e, SERVER_CONTROL, "kernel_info_request", json_object(), id);
    const sent_t *m[8];
    size_t n = of_parent(e, id, m, 8);
    CHECK_EQ_INT(n, 3);
    if (n == 3) {
        CHECK_EQ_STR(state_of(m[0]), "busy");
        CHECK_EQ_INT(m[0]->ch, SERVER_IOPUB);
        CHECK_EQ_STR(msg_type(&m[1]->m), "kernel_info_reply");
        CHECK_EQ_INT(m[1]->ch, SERVER_CONTROL);
        CHECK_EQ_INT(m[1]->m.nids, 1);
        CHECK(m[1]->m.nids == 1 && m[1]->m.ids[0].len == 8 &&
              memcmp(m[1]->m.ids[0].data, "client-1", 8) == 0);
        CHECK_EQ_STR(state_of(m[2]), "idle");
        json_t *c = m[1]->m.content;
        CHECK_EQ_STR(json_string_value(json_object_get(c, "protocol_version")),
                     MSG_PROTOCOL_VERSION);
        json_t *li = json_object_get(c, "language_info");
        CHECK_EQ_STR(json_string_value(json_object_get(li, "name")), "mechviz");
        CHECK_EQ_STR(json_string_value(json_object_get(li, "file_extension")), ".mvz");
        CHECK_CONTAINS(json_string_value(json_object_get(c, "banner")), "%help");
        /* the reply's header carries this kernel's session, the parent the request */
        CHECK_EQ_STR(json_string_value(json_object_get(m[1]->m.header, "session")),
                     e->k.session.id);
        CHECK_EQ_STR(json_string_value(json_object_get(m[1]->m.parent, "session")),
                     e->client.id);
    }
    env_free(e);
}

static void test_execute_outputs_and_counter(void) {
    env_t *e = env_new();
    char id[64];
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%echo hello"), id);
    const sent_t *m[16];
    size_t n = of_parent(e, id, m, 16);
    CHECK_EQ_INT(n, 5);
    if (n == 5) {
        CHECK_EQ_STR(state_of(m[0]), "busy");
        CHECK_EQ_STR(msg_type(&m[1]->m), "execute_input");
        CHECK_EQ_INT(
            json_integer_value(json_object_get(m[1]->m.content, "execution_count")), 1);
        CHECK_EQ_STR(msg_type(&m[2]->m), "stream");
        CHECK_EQ_STR(json_string_value(json_object_get(m[2]->m.content, "text")),
                     "hello\n");
        CHECK_EQ_STR(msg_type(&m[3]->m), "execute_reply");
        CHECK_EQ_STR(json_string_value(json_object_get(m[3]->m.content, "status")), "ok");
        CHECK_EQ_STR(state_of(m[4]), "idle");
    }
    /* store_history false: no increment */
    json_t *c = exec_content("%echo x");
    json_object_set_new(c, "store_history", json_false());
    env_request(e, SERVER_SHELL, "execute_request", c, id);
    const sent_t *r = find(e, id, "execute_reply");
    CHECK(r && json_integer_value(json_object_get(r->m.content, "execution_count")) == 1);
    /* silent: no execute_input, no output at all, counter unchanged */
    c = exec_content("%echo quiet");
    json_object_set_new(c, "silent", json_true());
    env_request(e, SERVER_SHELL, "execute_request", c, id);
    n = of_parent(e, id, m, 16);
    CHECK_EQ_INT(n, 3);
    r = find(e, id, "execute_reply");
    CHECK(r && json_integer_value(json_object_get(r->m.content, "execution_count")) == 1);
    CHECK(find(e, id, "execute_input") == NULL);
    CHECK(find(e, id, "stream") == NULL);
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%echo again"), id);
    r = find(e, id, "execute_reply");
    CHECK(r && json_integer_value(json_object_get(r->m.content, "execution_count")) == 2);
    CHECK_EQ_INT(e->k.nhist, 2);
    env_free(e);
}

static void test_error_reply_and_traceback(void) {
    env_t *e = env_new();
    char id[64];
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%echo a\n  %info nope"),
                id);
    const sent_t *err = find(e, id, "error");
    const sent_t *r = find(e, id, "execute_reply");
    CHECK(err && r);
    if (err && r) {
        CHECK_EQ_STR(json_string_value(json_object_get(r->m.content, "status")), "error");
        CHECK_EQ_INT(json_integer_value(json_object_get(r->m.content, "execution_count")),
                     1);
        json_t *tb = json_object_get(err->m.content, "traceback");
        CHECK_EQ_INT(json_array_size(tb), 3);
        CHECK_CONTAINS(json_string_value(json_array_get(tb, 0)), "line 2, column");
        CHECK_EQ_STR(json_string_value(json_array_get(tb, 1)), "      %info nope");
        CHECK_CONTAINS(json_string_value(json_object_get(r->m.content, "evalue")),
                       "line 2");
        CHECK(json_equal(json_object_get(r->m.content, "traceback"), tb));
    }
    env_free(e);
}

static void test_traceback_caret_counts_code_points(void) {
    err_t err;
    err_clear(&err);
    /* "é" is two bytes: byte column 5 is the fourth character */
    err_set_at(&err, 1, 5, "ValueError", "bad");
    json_t *tb = kernel_traceback("a\xc3\xa9 b", &err);
    CHECK_EQ_INT(json_array_size(tb), 3);
    CHECK_CONTAINS(json_string_value(json_array_get(tb, 0)), "ValueError");
    CHECK_CONTAINS(json_string_value(json_array_get(tb, 0)), "line 1, column 5: bad");
    CHECK_EQ_STR(json_string_value(json_array_get(tb, 2)), "       \x1b[0;31m^\x1b[0m");
    json_decref(tb);
    err_clear(&err);
    err_set(&err, NULL, "no position");
    tb = kernel_traceback("x", &err);
    CHECK_EQ_INT(json_array_size(tb), 1);
    CHECK_CONTAINS(json_string_value(json_array_get(tb, 0)), "Error");
    json_decref(tb);
}

static void test_cursor_conversions(void) {
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */
    CHECK_EQ_INT(kernel_cp_to_byte(s, 0), 0);
    CHECK_EQ_INT(kernel_cp_to_byte(s, 2), 3);
    CHECK_EQ_INT(kernel_cp_to_byte(s, 3), 6);
    CHECK_EQ_INT(kernel_cp_to_byte(s, 4), 10);
    CHECK_EQ_INT(kernel_cp_to_byte(s, 99), 11);
    CHECK_EQ_INT(kernel_byte_to_cp(s, 10), 4);
    CHECK_EQ_INT(kernel_byte_to_cp(s, 11), 5);
    CHECK_EQ_INT(kernel_byte_to_cp(s, 99), 5);
    CHECK_EQ_INT(kernel_cp_to_byte("\xc3", 1),
                 1); /* truncated sequence stays in bounds */
}

static void test_complete_cursor_in_code_points(void) {
    env_t *e = env_new();
    char id[64];
    /* cursor_pos 9 = after "%echo é t" (9 code points, 10 bytes) */
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%tokens tokx = \"a\""),
                id);
    env_request(e, SERVER_SHELL, "complete_request",
                json_pack("{s:s, s:i}", "code", "%echo \xc3\xa9 tok", "cursor_pos", 11),
                id);
    const sent_t *r = find(e, id, "complete_reply");
    CHECK(r != NULL);
    if (r) {
        CHECK_EQ_INT(json_integer_value(json_object_get(r->m.content, "cursor_start")),
                     8);
        CHECK_EQ_INT(json_integer_value(json_object_get(r->m.content, "cursor_end")), 11);
        json_t *mt = json_object_get(r->m.content, "matches");
        int found = 0;
        for (size_t i = 0; i < json_array_size(mt); i++)
            found |= strcmp(json_string_value(json_array_get(mt, i)), "tokx") == 0;
        CHECK(found);
    }
    env_free(e);
}

static void test_bundle_json(void) {
    static const unsigned char png[3] = {0x89, 'P', 'N'};
    out_bundle_t b = {0};
    b.text = "t";
    b.html = "<b>h</b>";
    b.png = png;
    b.png_len = 3;
    b.width = 40;
    b.height = 20;
    b.svg = "<svg/>";
    json_t *data, *md;
    kernel_bundle_json(&b, &data, &md);
    CHECK_EQ_STR(json_string_value(json_object_get(data, "text/plain")), "t");
    CHECK_EQ_STR(json_string_value(json_object_get(data, "text/html")), "<b>h</b>");
    CHECK_EQ_STR(json_string_value(json_object_get(data, "image/png")), "iVBO");
    CHECK_EQ_STR(json_string_value(json_object_get(data, "image/svg+xml")), "<svg/>");
    json_t *im = json_object_get(md, "image/png");
    CHECK_EQ_INT(json_integer_value(json_object_get(im, "width")), 40);
    CHECK_EQ_INT(json_integer_value(json_object_get(im, "height")), 20);
    json_decref(data);
    json_decref(md);
    /* invalid UTF-8 is replaced, never dropped */
    out_bundle_t bad = {0};
    bad.text = "a\xff";
    kernel_bundle_json(&bad, &data, &md);
    CHECK_EQ_STR(json_string_value(json_object_get(data, "text/plain")), "a\xef\xbf\xbd");
    CHECK_EQ_INT(json_object_size(md), 0);
    json_decref(data);
    json_decref(md);
}

static void test_sink_display_update_clear(void) {
    env_t *e = env_new();
    char id[64];
    /* Drive the sink directly inside a request so the parent is set. */
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%clear --wait"), id);
    const sent_t *c = find(e, id, "clear_output");
    CHECK(c && json_is_true(json_object_get(c->m.content, "wait")));
    fake_clear(&e->f);
    out_bundle_t b = {0};
    b.text = "v1";
    b.display_id = "disp";
    e->k.out.display(e->k.out.ctx, &b, 0);
    b.text = "v2";
    e->k.out.display(e->k.out.ctx, &b, 1);
    b.display_id = NULL;
    e->k.out.display(e->k.out.ctx, &b, 1); /* update without id: sent as display_data */
    CHECK_EQ_INT(e->f.n, 3);
    if (e->f.n == 3) {
        CHECK_EQ_STR(msg_type(&e->f.s[0].m), "display_data");
        CHECK_EQ_STR(msg_type(&e->f.s[1].m), "update_display_data");
        CHECK_EQ_STR(
            json_string_value(json_object_get(
                json_object_get(e->f.s[1].m.content, "transient"), "display_id")),
            "disp");
        CHECK(json_is_object(json_object_get(e->f.s[1].m.content, "metadata")));
        CHECK_EQ_STR(msg_type(&e->f.s[2].m), "display_data");
        CHECK_EQ_INT(json_object_size(e->f.s[0].m.parent), 0); /* between requests */
    }
    /* The default widget hook says widgets are unavailable. */
    out_widget_t w = {0};
    w.kind = "attention";
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(e->k.out.widget(e->k.out.ctx, &w, &err), -1);
    CHECK_CONTAINS(err.msg, "widgets are not available");
    env_free(e);
}

static void test_stop_on_error_aborts_queued_executes(void) {
    env_t *e = env_new();
    char id1[64], id2[64], id3[64], id4[64];
    env_queue(e, "execute_request", exec_content("%echo second"), id2);
    env_queue(e, "kernel_info_request", json_object(), id3);
    env_queue(e, "execute_request", exec_content("%echo fourth"), id4);
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%info nope"), id1);
    const sent_t *r1 = find(e, id1, "execute_reply");
    CHECK(r1 && strcmp(json_string_value(json_object_get(r1->m.content, "status")),
                       "error") == 0);
    const char *ids[2] = {id2, id4};
    for (int i = 0; i < 2; i++) {
        const sent_t *r = find(e, ids[i], "execute_reply");
        CHECK(r != NULL);
        if (r)
            CHECK_EQ_STR(json_string_value(json_object_get(r->m.content, "ename")),
                         "ExecutionAborted");
        CHECK(find(e, ids[i], "stream") == NULL);
        const sent_t *m[8];
        size_t n = of_parent(e, ids[i], m, 8);
        CHECK_EQ_INT(n, 3); /* busy, reply, idle */
    }
    CHECK(find(e, id3, "kernel_info_reply") != NULL);
    /* Reply order on shell: the failed cell, then the queued ones in order. */
    size_t pos1 = 0, pos2 = 0;
    for (size_t i = 0; i < e->f.n; i++) {
        const char *p = parent_id(&e->f.s[i].m);
        if (e->f.s[i].ch != SERVER_SHELL || !p)
            continue;
        if (!strcmp(p, id1))
            pos1 = i;
        if (!strcmp(p, id2))
            pos2 = i;
    }
    CHECK(pos1 < pos2);
    CHECK_EQ_INT(e->k.execution_count, 1); /* aborted cells do not count */
    /* After the queue, executes run again. */
    char id5[64];
    env_request(e, SERVER_SHELL, "execute_request", exec_content("%echo runs"), id5);
    CHECK(find(e, id5, "stream") != NULL);
    env_free(e);
}

static void test_history_tail_range_search(void) {
    env_t *e = env_new();
    char id[64];
    const char *codes[4] = {"%echo one", "%tokens t = \"a\"\nt", "%echo two",
                            "%echo one"};
    for (int i = 0; i < 4; i++)
        env_request(e, SERVER_SHELL, "execute_request", exec_content(codes[i]), id);
    env_request(
        e, SERVER_SHELL, "history_request",
        json_pack("{s:s, s:i, s:b}", "hist_access_type", "tail", "n", 2, "output", 1),
        id);
    const sent_t *r = find(e, id, "history_reply");
    json_t *h = r ? json_object_get(r->m.content, "history") : NULL;
    CHECK_EQ_INT(json_array_size(h), 2);
    CHECK_EQ_INT(json_integer_value(json_array_get(json_array_get(h, 0), 1)), 3);
    env_request(e, SERVER_SHELL, "history_request",
                json_pack("{s:s, s:i, s:i, s:i, s:b}", "hist_access_type", "range",
                          "session", 0, "start", 2, "stop", 3, "output", 1),
                id);
    r = find(e, id, "history_reply");
    h = r ? json_object_get(r->m.content, "history") : NULL;
    CHECK_EQ_INT(json_array_size(h), 1);
    json_t *pair = json_array_get(json_array_get(h, 0), 2);
    CHECK_EQ_STR(json_string_value(json_array_get(pair, 0)), codes[1]);
    CHECK_EQ_STR(json_string_value(json_array_get(pair, 1)), "['a']");
    env_request(
        e, SERVER_SHELL, "history_request",
        json_pack("{s:s, s:s}", "hist_access_type", "search", "pattern", "%echo *"), id);
    r = find(e, id, "history_reply");
    CHECK_EQ_INT(json_array_size(r ? json_object_get(r->m.content, "history") : NULL), 3);
    env_request(e, SERVER_SHELL, "history_request",
                json_pack("{s:s, s:s, s:b}", "hist_access_type", "search", "pattern",
                          "%echo *", "unique", 1),
                id);
    r = find(e, id, "history_reply");
    h = r ? json_object_get(r->m.content, "history") : NULL;
    CHECK_EQ_INT(json_array_size(h), 2);
    /* unique keeps the latest "%echo one" (line 4) */
    CHECK_EQ_INT(json_integer_value(json_array_get(json_array_get(h, 1), 1)), 4);
    env_request(e, SERVER_SHELL, "history_request",
                json_pack("{s:s, s:s, s:i}", "hist_access_type", "search", "pattern",
                          "%echo *", "n", 1),
                id);
    r = find(e, id, "history_reply");
    h = r ? json_object_get(r->m.content, "history") : NULL;
    CHECK_EQ_INT(json_array_size(h), 1);
    CHECK_EQ_INT(json_integer_value(json_array_get(json_array_get(h, 0), 1)), 4);
    env_free(e);
}

static void test_comm_through_kernel(void) {
    env_t *e = env_new();
    char id[64];
    env_request(e, SERVER_SHELL, "comm_open",
                json_pack("{s:s, s:s, s:{}}", "comm_id", "cc", "target_name",
                          COMM_ECHO_TARGET, "data"),
                id);
    const sent_t *m[8];
    CHECK_EQ_INT(of_parent(e, id, m, 8), 2); /* busy, idle: no reply to comm messages */
    wire_msg_t req;
    msg_build(&req, &e->client, "comm_msg", NULL,
              json_pack("{s:s, s:{s:i}}", "comm_id", "cc", "data", "v", 5));
    wire_blob_t ident = {(unsigned char *)"client-1", 8};
    wire_msg_set_ids(&req, &ident, 1);
    wire_msg_add_buffer(&req, "\x01\x02\x03", 3);
    snprintf(id, sizeof id, "%s", msg_id(&req));
    wire_blob_t *frames;
    size_t n;
    wire_encode(&e->auth, &req, &frames, &n);
    wire_msg_fini(&req);
    kernel_handle_frames(&e->k, SERVER_SHELL, frames, n);
    wire_frames_free(frames, n);
    const sent_t *echo = find(e, id, "comm_msg");
    CHECK(echo != NULL);
    if (echo) {
        CHECK_EQ_INT(echo->ch, SERVER_IOPUB);
        CHECK_EQ_INT(echo->m.nbuffers, 1);
        CHECK(echo->m.nbuffers == 1 && echo->m.buffers[0].len == 3 &&
              memcmp(echo->m.buffers[0].data, "\x01\x02\x03", 3) == 0);
    }
    size_t nm = of_parent(e, id, m, 8);
    CHECK_EQ_INT(nm, 3);
    if (nm == 3) {
        CHECK_EQ_STR(state_of(m[0]), "busy");
        CHECK_EQ_STR(state_of(m[2]), "idle");
    }
    env_request(e, SERVER_SHELL, "comm_info_request",
                json_pack("{s:s}", "target_name", COMM_ECHO_TARGET), id);
    const sent_t *r = find(e, id, "comm_info_reply");
    CHECK(r && json_object_get(json_object_get(r->m.content, "comms"), "cc") != NULL);
    env_request(
        e, SERVER_SHELL, "comm_open",
        json_pack("{s:s, s:s, s:{}}", "comm_id", "dd", "target_name", "nope", "data"),
        id);
    const sent_t *cl = find(e, id, "comm_close");
    CHECK(cl && strcmp(json_string_value(json_object_get(cl->m.content, "comm_id")),
                       "dd") == 0);
    env_free(e);
}

static void test_forged_and_malformed_dropped(void) {
    env_t *e = env_new();
    fake_clear(&e->f);
    wire_msg_t m;
    msg_build(&m, &e->client, "kernel_info_request", NULL, NULL);
    wire_auth_t other;
    wire_auth_init(&other, "wrong-key", "hmac-sha256", NULL);
    wire_blob_t *frames;
    size_t n;
    wire_encode(&other, &m, &frames, &n);
    kernel_handle_frames(&e->k, SERVER_SHELL, frames, n);
    wire_frames_free(frames, n);
    wire_auth_fini(&other);
    wire_msg_fini(&m);
    wire_blob_t junk[2] = {{(unsigned char *)"x", 1}, {(unsigned char *)"y", 1}};
    kernel_handle_frames(&e->k, SERVER_SHELL, junk, 2);
    CHECK_EQ_INT(e->f.n, 0); /* nothing at all was sent, not even busy */
    CHECK_EQ_INT(e->k.dropped, 2);
    char id[64];
    env_request(e, SERVER_SHELL, "kernel_info_request", json_object(), id);
    CHECK(find(e, id, "kernel_info_reply") != NULL);
    env_free(e);
}

static void test_unknown_type_busy_idle_only(void) {
    env_t *e = env_new();
    char id[64];
    env_request(e, SERVER_SHELL, "frobnicate_request", json_object(), id);
    const sent_t *m[8];
    size_t n = of_parent(e, id, m, 8);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(state_of(m[0]), "busy");
        CHECK_EQ_STR(state_of(m[1]), "idle");
    }
    env_free(e);
}

static void test_welcome_and_shutdown(void) {
    env_t *e = env_new();
    fake_clear(&e->f);
    wire_blob_t sub = {(unsigned char *)"\x01", 1};
    kernel_handle_frames(&e->k, SERVER_IOPUB, &sub, 1);
    wire_blob_t unsub = {(unsigned char *)"\x00", 1};
    kernel_handle_frames(&e->k, SERVER_IOPUB, &unsub, 1);
    CHECK_EQ_INT(e->f.n, 1);
    if (e->f.n == 1) {
        CHECK_EQ_STR(msg_type(&e->f.s[0].m), "iopub_welcome");
        CHECK_EQ_STR(
            json_string_value(json_object_get(e->f.s[0].m.content, "subscription")), "");
        CHECK_EQ_INT(json_object_size(e->f.s[0].m.parent), 0);
    }
    char id[64];
    e->interrupted = 0;
    env_request(e, SERVER_CONTROL, "interrupt_request", json_object(), id);
    CHECK(find(e, id, "interrupt_reply") != NULL);
    CHECK_EQ_INT(e->interrupted, 1);
    env_request(e, SERVER_CONTROL, "shutdown_request", json_pack("{s:b}", "restart", 1),
                id);
    const sent_t *r = find(e, id, "shutdown_reply");
    CHECK(r && r->ch == SERVER_CONTROL &&
          json_is_true(json_object_get(r->m.content, "restart")));
    int on_iopub = 0;
    for (size_t i = 0; i < e->f.n; i++)
        on_iopub |= e->f.s[i].ch == SERVER_IOPUB &&
                    strcmp(msg_type(&e->f.s[i].m), "shutdown_reply") == 0;
    CHECK(on_iopub);
    CHECK_EQ_INT(e->k.shutting_down, 1);
    env_free(e);
}

static void test_bad_request_content_still_replied(void) {
    env_t *e = env_new();
    char id[64];
    env_request(e, SERVER_SHELL, "execute_request", json_pack("{s:i}", "code", 3), id);
    const sent_t *r = find(e, id, "execute_reply");
    CHECK(r && strcmp(json_string_value(json_object_get(r->m.content, "status")),
                      "error") == 0);
    env_request(e, SERVER_SHELL, "complete_request",
                json_pack("{s:s, s:i}", "code", "%ec", "cursor_pos", 9999), id);
    r = find(e, id, "complete_reply");
    CHECK(r && json_integer_value(json_object_get(r->m.content, "cursor_end")) == 3);
    env_request(e, SERVER_SHELL, "inspect_request",
                json_pack("{s:s, s:i}", "code", "", "cursor_pos", -4), id);
    r = find(e, id, "inspect_reply");
    CHECK(r && json_is_false(json_object_get(r->m.content, "found")));
    env_request(e, SERVER_SHELL, "is_complete_request", json_object(), id);
    r = find(e, id, "is_complete_reply");
    CHECK(r && strcmp(json_string_value(json_object_get(r->m.content, "status")),
                      "unknown") == 0);
    env_free(e);
}

static void test_user_expressions(void) {
    env_t *e = env_new();
    char id[64];
    json_t *c = exec_content("%tokens ue = \"a\"");
    json_object_set_new(c, "user_expressions",
                        json_pack("{s:s, s:s, s:i}", "a", "ue", "b", "nosuch", "c", 5));
    env_request(e, SERVER_SHELL, "execute_request", c, id);
    const sent_t *m[16];
    CHECK_EQ_INT(of_parent(e, id, m, 16), 4); /* expressions publish nothing */
    const sent_t *r = find(e, id, "execute_reply");
    json_t *ue = r ? json_object_get(r->m.content, "user_expressions") : NULL;
    CHECK_EQ_INT(json_object_size(ue), 3);
    json_t *a = json_object_get(ue, "a");
    CHECK_EQ_STR(json_string_value(json_object_get(a, "status")), "ok");
    CHECK_EQ_STR(
        json_string_value(json_object_get(json_object_get(a, "data"), "text/plain")),
        "['a']");
    json_t *b = json_object_get(ue, "b");
    CHECK_EQ_STR(json_string_value(json_object_get(b, "status")), "error");
    CHECK_EQ_STR(json_string_value(json_object_get(b, "ename")), "NameError");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(ue, "c"), "ename")),
                 "TypeError");
    CHECK_EQ_INT(e->k.execution_count, 1);
    env_free(e);
}

/* The control path answers only what it may run beside a cell: kernel_info (the shell
 * content), interrupt and shutdown. Anything else there gets busy/idle and no reply,
 * and never touches the main thread's state (no execution). */
static void test_control_answers_only_control_requests(void) {
    env_t *e = env_new();
    char ctl[64], sh[64], id[64];
    env_request(e, SERVER_CONTROL, "kernel_info_request", json_object(), ctl);
    env_request(e, SERVER_SHELL, "kernel_info_request", json_object(), sh);
    const sent_t *a = find(e, ctl, "kernel_info_reply"),
                 *b = find(e, sh, "kernel_info_reply");
    CHECK(a && b && json_equal(a->m.content, b->m.content));
    env_request(e, SERVER_CONTROL, "execute_request", exec_content("%echo no"), id);
    const sent_t *m[8];
    size_t n = of_parent(e, id, m, 8);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_STR(state_of(m[0]), "busy");
        CHECK_EQ_STR(state_of(m[1]), "idle");
    }
    CHECK_EQ_INT(e->k.execution_count, 0);
    CHECK_EQ_INT(e->k.shutting_down, 0);
    env_free(e);
}

CHECK_MAIN(test_user_expressions, test_starting_status_and_kernel_info_framing,
           test_execute_outputs_and_counter, test_error_reply_and_traceback,
           test_traceback_caret_counts_code_points, test_cursor_conversions,
           test_complete_cursor_in_code_points, test_bundle_json,
           test_sink_display_update_clear, test_stop_on_error_aborts_queued_executes,
           test_history_tail_range_search, test_comm_through_kernel,
           test_forged_and_malformed_dropped, test_unknown_type_busy_idle_only,
           test_welcome_and_shutdown, test_bad_request_content_still_replied,
           test_control_answers_only_control_requests)
