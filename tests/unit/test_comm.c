/* SPDX-License-Identifier: MIT */
/* test_comm.c -- the comm registry with a recording publisher: front-end opens (known,
 * unknown, rejected, duplicate), messages, closes, the echo target, kernel-side opens,
 * comm_info filtering, per-comm state and closing a comm from its own callback. */
#include "check.h"
#include "comm.h"

#include <stdlib.h>

#define MAXPUB 64

typedef struct pub {
    char type[32];
    json_t *content;
    json_t *metadata;
    size_t nbuffers;
    unsigned char *buf0; /* copy of the first buffer */
    size_t buf0_len;
} pub_t;

typedef struct rec {
    pub_t p[MAXPUB];
    size_t n;
} rec_t;

static void rec_publish(void *ctx, const char *msg_type, json_t *content,
                        json_t *metadata, const wire_blob_t *buffers, size_t nbuffers) {
    rec_t *r = ctx;
    if (r->n >= MAXPUB)
        return;
    pub_t *p = &r->p[r->n++];
    snprintf(p->type, sizeof p->type, "%s", msg_type);
    p->content = json_deep_copy(content);
    p->metadata = metadata ? json_deep_copy(metadata) : NULL;
    p->nbuffers = nbuffers;
    p->buf0 = NULL;
    p->buf0_len = 0;
    if (nbuffers) {
        p->buf0 = malloc(buffers[0].len + 1);
        memcpy(p->buf0, buffers[0].data, buffers[0].len);
        p->buf0_len = buffers[0].len;
    }
}

static void rec_clear(rec_t *r) {
    for (size_t i = 0; i < r->n; i++) {
        json_decref(r->p[i].content);
        json_decref(r->p[i].metadata);
        free(r->p[i].buf0);
    }
    r->n = 0;
}

static const char *pub_str(const pub_t *p, const char *key) {
    return json_string_value(json_object_get(p->content, key));
}

static json_t *open_content(const char *id, const char *target) {
    return json_pack("{s:s, s:s, s:{s:i}}", "comm_id", id, "target_name", target, "data",
                     "x", 1);
}

/* --- a test target ----------------------------------------------------------------- */

typedef struct tgt {
    int opens, msgs, closes, destroyed;
    int reject;       /* on_open returns -1 */
    int close_on_msg; /* on_msg closes its own comm */
    int last_x;       /* data.x of the last callback */
} tgt_t;

static void tgt_destroy(void *state) {
    ((tgt_t *)state)->destroyed++;
}

static int tgt_open(void *user, comm_t *c, json_t *data, json_t *metadata,
                    const wire_blob_t *buffers, size_t nbuffers) {
    (void)metadata;
    (void)buffers;
    (void)nbuffers;
    tgt_t *t = user;
    t->opens++;
    t->last_x = (int)json_integer_value(json_object_get(data, "x"));
    comm_set_state(c, t, tgt_destroy);
    return t->reject ? -1 : 0;
}

static void tgt_msg(void *user, comm_t *c, json_t *data, json_t *metadata,
                    const wire_blob_t *buffers, size_t nbuffers) {
    (void)metadata;
    (void)buffers;
    (void)nbuffers;
    tgt_t *t = user;
    t->msgs++;
    t->last_x = (int)json_integer_value(json_object_get(data, "x"));
    if (t->close_on_msg) {
        comm_close(c, NULL);
        /* still valid until this callback returns */
        t->last_x = comm_id(c)[0] ? t->last_x : -1;
    }
}

static void tgt_close(void *user, comm_t *c, json_t *data) {
    (void)c;
    tgt_t *t = user;
    t->closes++;
    t->last_x = (int)json_integer_value(json_object_get(data, "x"));
}

static comm_registry_t *reg_with_target(rec_t *r, tgt_t *t) {
    comm_registry_t *reg = comm_registry_new(rec_publish, r);
    comm_target_t ct = {tgt_open, tgt_msg, tgt_close, t};
    comm_register_target(reg, "test.target", &ct);
    return reg;
}

/* --- tests ------------------------------------------------------------------------- */

static void test_open_msg_close_from_front_end(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *c = open_content("c1", "test.target");
    CHECK_EQ_INT(comm_handle_open(reg, c, NULL, NULL, 0, NULL), 0);
    json_decref(c);
    CHECK_EQ_INT(t.opens, 1);
    CHECK_EQ_INT(t.last_x, 1);
    CHECK_EQ_INT(r.n, 0); /* accepted: nothing published */
    CHECK_EQ_INT(comm_count(reg), 1);
    comm_t *cm = comm_find(reg, "c1");
    CHECK(cm != NULL);
    CHECK_EQ_STR(comm_target_name(cm), "test.target");
    CHECK(comm_state(cm) == &t);

    json_t *m = json_pack("{s:s, s:{s:i}}", "comm_id", "c1", "data", "x", 7);
    CHECK_EQ_INT(comm_handle_msg(reg, m, NULL, NULL, 0, NULL), 0);
    json_decref(m);
    CHECK_EQ_INT(t.msgs, 1);
    CHECK_EQ_INT(t.last_x, 7);

    json_t *cl = json_pack("{s:s, s:{s:i}}", "comm_id", "c1", "data", "x", 9);
    CHECK_EQ_INT(comm_handle_close(reg, cl, NULL, NULL, 0, NULL), 0);
    json_decref(cl);
    CHECK_EQ_INT(t.closes, 1);
    CHECK_EQ_INT(t.last_x, 9);
    CHECK_EQ_INT(t.destroyed, 1);
    CHECK(comm_find(reg, "c1") == NULL);
    CHECK_EQ_INT(r.n, 0); /* a front-end close is not echoed */

    /* Messages to the closed comm are ignored. */
    m = json_pack("{s:s, s:{}}", "comm_id", "c1", "data");
    CHECK_EQ_INT(comm_handle_msg(reg, m, NULL, NULL, 0, NULL), 0);
    json_decref(m);
    CHECK_EQ_INT(t.msgs, 1);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_unknown_target_answered_with_close(void) {
    rec_t r = {0};
    comm_registry_t *reg = comm_registry_new(rec_publish, &r);
    json_t *c = open_content("u1", "no.such.target");
    CHECK_EQ_INT(comm_handle_open(reg, c, NULL, NULL, 0, NULL), 0);
    json_decref(c);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_close");
    CHECK_EQ_STR(pub_str(&r.p[0], "comm_id"), "u1");
    CHECK_EQ_INT(comm_count(reg), 0);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_rejected_open_closed(void) {
    rec_t r = {0};
    tgt_t t = {0};
    t.reject = 1;
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *c = open_content("r1", "test.target");
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    CHECK_EQ_INT(t.opens, 1);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_close");
    CHECK_EQ_INT(comm_count(reg), 0);
    CHECK_EQ_INT(t.destroyed, 1); /* state attached during on_open is destroyed */
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_duplicate_id_rejected_original_kept(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *c = open_content("d1", "test.target");
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    CHECK_EQ_INT(t.opens, 1);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_close");
    CHECK(comm_find(reg, "d1") != NULL);
    comm_registry_free(reg);
    CHECK_EQ_INT(t.destroyed, 1); /* freeing the registry destroys comm state */
    rec_clear(&r);
}

static void test_malformed_content(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    err_t err;
    err_clear(&err);
    json_t *c = json_pack("{s:s}", "target_name", "test.target");
    CHECK_EQ_INT(comm_handle_open(reg, c, NULL, NULL, 0, &err), -1);
    CHECK_CONTAINS(err.msg, "comm_id");
    json_decref(c);
    c = json_pack("{s:s}", "comm_id", "x");
    CHECK_EQ_INT(comm_handle_open(reg, c, NULL, NULL, 0, &err), -1);
    CHECK_CONTAINS(err.msg, "target_name");
    json_decref(c);
    c = json_pack("{s:i, s:{}}", "comm_id", 5, "data");
    CHECK_EQ_INT(comm_handle_msg(reg, c, NULL, NULL, 0, &err), -1);
    json_decref(c);
    c = json_pack("{s:s, s:[i]}", "comm_id", "x", "data", 1);
    CHECK_EQ_INT(comm_handle_msg(reg, c, NULL, NULL, 0, &err), -1);
    CHECK_CONTAINS(err.msg, "object");
    json_decref(c);
    json_t *arr = json_array();
    CHECK_EQ_INT(comm_handle_close(reg, arr, NULL, NULL, 0, &err), -1);
    json_decref(arr);
    CHECK_EQ_INT(t.opens + t.msgs + t.closes, 0);
    CHECK_EQ_INT(r.n, 0);
    comm_registry_free(reg);
}

static void test_echo_target_returns_data_and_buffers(void) {
    rec_t r = {0};
    comm_registry_t *reg = comm_registry_new(rec_publish, &r);
    comm_register_echo(reg);
    json_t *c = open_content("e1", COMM_ECHO_TARGET);
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    CHECK_EQ_INT(r.n, 0);
    unsigned char bytes[5] = {0, 1, 2, 255, 7};
    wire_blob_t b[2] = {{bytes, 5}, {bytes, 2}};
    json_t *m = json_pack("{s:s, s:{s:s, s:[i,i]}}", "comm_id", "e1", "data", "method",
                          "ping", "v", 1, 2);
    comm_handle_msg(reg, m, NULL, b, 2, NULL);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_msg");
    CHECK_EQ_STR(pub_str(&r.p[0], "comm_id"), "e1");
    CHECK(
        json_equal(json_object_get(r.p[0].content, "data"), json_object_get(m, "data")));
    CHECK_EQ_INT(r.p[0].nbuffers, 2);
    CHECK_EQ_INT(r.p[0].buf0_len, 5);
    CHECK(r.p[0].buf0 && memcmp(r.p[0].buf0, bytes, 5) == 0);
    json_decref(m);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_kernel_side_open_send_close(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *data = json_pack("{s:{s:s}}", "state", "_model_name", "AnyModel");
    json_t *meta = json_pack("{s:s}", "version", "2.1.0");
    unsigned char payload[3] = {9, 8, 7};
    wire_blob_t b = {payload, 3};
    comm_t *c = comm_open(reg, "test.target", data, meta, &b, 1);
    CHECK(c != NULL);
    CHECK_EQ_INT(strlen(comm_id(c)), 36); /* a uuid */
    CHECK(comm_find(reg, comm_id(c)) == c);
    CHECK(comm_registry(c) == reg);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_open");
    CHECK_EQ_STR(pub_str(&r.p[0], "target_name"), "test.target");
    CHECK_EQ_STR(pub_str(&r.p[0], "comm_id"), comm_id(c));
    CHECK(json_equal(json_object_get(r.p[0].content, "data"), data));
    CHECK(json_equal(r.p[0].metadata, meta));
    CHECK_EQ_INT(r.p[0].nbuffers, 1);
    CHECK_EQ_INT(t.opens, 0); /* kernel-side opens do not call on_open */

    /* A front-end message on it reaches the target's on_msg. */
    json_t *m = json_pack("{s:s, s:{s:i}}", "comm_id", comm_id(c), "data", "x", 4);
    comm_handle_msg(reg, m, NULL, NULL, 0, NULL);
    json_decref(m);
    CHECK_EQ_INT(t.msgs, 1);
    CHECK_EQ_INT(t.last_x, 4);

    CHECK_EQ_INT(comm_send(c, data, NULL, NULL, 0), 0);
    CHECK_EQ_INT(r.n, 2);
    CHECK_EQ_STR(r.p[1].type, "comm_msg");
    CHECK(json_object_get(r.p[1].content, "target_name") == NULL);

    char id[40];
    snprintf(id, sizeof id, "%s", comm_id(c));
    comm_set_state(c, &t, tgt_destroy);
    CHECK_EQ_INT(comm_close(c, NULL), 0);
    CHECK_EQ_INT(r.n, 3);
    CHECK_EQ_STR(r.p[2].type, "comm_close");
    CHECK_EQ_STR(pub_str(&r.p[2], "comm_id"), id);
    CHECK(comm_find(reg, id) == NULL);
    CHECK_EQ_INT(t.destroyed, 1);
    CHECK_EQ_INT(t.closes, 0); /* on_close is only for front-end closes */
    json_decref(data);
    json_decref(meta);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_close_own_comm_inside_callback(void) {
    rec_t r = {0};
    tgt_t t = {0};
    t.close_on_msg = 1;
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *c = open_content("s1", "test.target");
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    json_t *m = json_pack("{s:s, s:{s:i}}", "comm_id", "s1", "data", "x", 3);
    comm_handle_msg(reg, m, NULL, NULL, 0, NULL);
    json_decref(m);
    CHECK_EQ_INT(t.last_x,
                 3); /* the comm was readable after comm_close in the callback */
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.p[0].type, "comm_close");
    CHECK_EQ_INT(comm_count(reg), 0);
    CHECK_EQ_INT(t.destroyed, 1);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_comm_info_filters_by_target(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    comm_register_echo(reg);
    json_t *c = open_content("a", "test.target");
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    c = open_content("b", COMM_ECHO_TARGET);
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    comm_open(reg, "jupyter.widget", NULL, NULL, NULL, 0);
    json_t *all = comm_info(reg, NULL);
    CHECK_EQ_INT(json_object_size(all), 3);
    CHECK_EQ_STR(
        json_string_value(json_object_get(json_object_get(all, "a"), "target_name")),
        "test.target");
    json_decref(all);
    all = comm_info(reg, "");
    CHECK_EQ_INT(json_object_size(all), 3);
    json_decref(all);
    json_t *echo = comm_info(reg, COMM_ECHO_TARGET);
    CHECK_EQ_INT(json_object_size(echo), 1);
    CHECK(json_object_get(echo, "b") != NULL);
    json_decref(echo);
    json_t *none = comm_info(reg, "nothing");
    CHECK_EQ_INT(json_object_size(none), 0);
    json_decref(none);
    comm_registry_free(reg);
    rec_clear(&r);
}

static void test_unregistered_target_gets_no_callbacks(void) {
    rec_t r = {0};
    tgt_t t = {0};
    comm_registry_t *reg = reg_with_target(&r, &t);
    json_t *c = open_content("z", "test.target");
    comm_handle_open(reg, c, NULL, NULL, 0, NULL);
    json_decref(c);
    CHECK_EQ_INT(comm_unregister_target(reg, "test.target"), 0);
    CHECK_EQ_INT(comm_unregister_target(reg, "test.target"), -1);
    json_t *m = json_pack("{s:s, s:{}}", "comm_id", "z", "data");
    comm_handle_msg(reg, m, NULL, NULL, 0, NULL);
    json_decref(m);
    CHECK_EQ_INT(t.msgs, 0);
    CHECK(comm_find(reg, "z") != NULL); /* still open, listed by comm_info */
    comm_registry_free(reg);
    rec_clear(&r);
}

CHECK_MAIN(test_open_msg_close_from_front_end, test_unknown_target_answered_with_close,
           test_rejected_open_closed, test_duplicate_id_rejected_original_kept,
           test_malformed_content, test_echo_target_returns_data_and_buffers,
           test_kernel_side_open_send_close, test_close_own_comm_inside_callback,
           test_comm_info_filters_by_target, test_unregistered_target_gets_no_callbacks)
