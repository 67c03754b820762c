/* SPDX-License-Identifier: MIT */
/* test_msg.c -- unit tests for msg.c: ids, dates, headers, parents, error content. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "msg.h"

static int is_uuid4(const char *s) {
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
static int is_iso_date(const char *s) {
    if (strlen(s) != 27)
        return 0;
    for (int i = 0; i < 27; i++) {
        char c = s[i];
        int ok;
        switch (i) {
        case 4:
        case 7:
            ok = c == '-';
            break;
        case 10:
            ok = c == 'T';
            break;
        case 13:
        case 16:
            ok = c == ':';
            break;
        case 19:
            ok = c == '.';
            break;
        case 26:
            ok = c == 'Z';
            break;
        default:
            ok = isdigit((unsigned char)c);
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static void test_ids(void) {
    char a[37], b[37];
    msg_new_id(a);
    msg_new_id(b);
    CHECK(is_uuid4(a));
    CHECK(is_uuid4(b));
    CHECK(strcmp(a, b) != 0);
    CHECK(!is_uuid4("8c9e3fb2-6a0d-1b2c-8d3e-000000000000")); /* the checker itself */
    msg_session_t s;
    msg_session_init(&s);
    CHECK(is_uuid4(s.id));
    CHECK_EQ_STR(s.username, "kernel");
}

static void test_date(void) {
    char d[32];
    msg_iso_now(d);
    CHECK(is_iso_date(d));
    CHECK_EQ_INT(strlen(d), 27);
    CHECK(d[0] == '2'); /* a year in 2000..2999 */
    CHECK(!is_iso_date("2026-01-01T12:00:00.5Z"));
}

static void test_header(void) {
    msg_session_t s;
    msg_session_init(&s);
    json_t *h = msg_header_new(&s, "status");
    const char *keys[] = {"msg_id", "session", "username", "date", "msg_type", "version"};
    for (int i = 0; i < 6; i++)
        CHECK(json_is_string(json_object_get(h, keys[i])));
    CHECK_EQ_INT(json_object_size(h), 6);
    CHECK_EQ_STR(json_string_value(json_object_get(h, "session")), s.id);
    CHECK_EQ_STR(json_string_value(json_object_get(h, "msg_type")), "status");
    CHECK_EQ_STR(json_string_value(json_object_get(h, "version")), MSG_PROTOCOL_VERSION);
    CHECK_EQ_STR(json_string_value(json_object_get(h, "username")), "kernel");
    CHECK(is_uuid4(json_string_value(json_object_get(h, "msg_id"))));
    CHECK(is_iso_date(json_string_value(json_object_get(h, "date"))));
    json_t *h2 = msg_header_new(&s, "status");
    CHECK(strcmp(json_string_value(json_object_get(h, "msg_id")),
                 json_string_value(json_object_get(h2, "msg_id"))) != 0);
    json_decref(h);
    json_decref(h2);
}

static void test_build(void) {
    msg_session_t s;
    msg_session_init(&s);
    wire_msg_t req;
    msg_build(&req, &s, "execute_request", NULL, json_pack("{s:s}", "code", "1"));
    CHECK_EQ_STR(msg_type(&req), "execute_request");
    CHECK(msg_id(&req) != NULL && is_uuid4(msg_id(&req)));
    CHECK(json_is_object(req.parent) && json_object_size(req.parent) == 0);
    CHECK(json_is_object(req.metadata) && json_object_size(req.metadata) == 0);
    CHECK_EQ_STR(json_string_value(json_object_get(req.content, "code")), "1");
    CHECK_EQ_INT(req.nids, 0);
    wire_blob_t id = {(unsigned char *)"peer", 4};
    wire_msg_set_ids(&req, &id, 1);

    json_t *content = json_object();
    wire_msg_t rep;
    msg_build(&rep, &s, "execute_reply", &req, content);
    CHECK(rep.content == content); /* stolen, not copied */
    CHECK(json_equal(rep.parent, req.header));
    CHECK(rep.parent != req.header); /* a copy */
    CHECK(strcmp(msg_id(&rep), msg_id(&req)) != 0);
    CHECK_EQ_INT(rep.nids, 0); /* ids are the caller's business */
    /* changing or freeing the request leaves the reply's parent intact */
    char want[37];
    snprintf(want, sizeof want, "%s", msg_id(&req));
    json_object_set_new(req.header, "msg_id", json_string("changed"));
    wire_msg_fini(&req);
    CHECK_EQ_STR(json_string_value(json_object_get(rep.parent, "msg_id")), want);
    wire_msg_fini(&rep);

    wire_msg_t empty;
    wire_msg_init(&empty);
    msg_build(&rep, &s, "status", &empty, NULL);
    CHECK(json_is_object(rep.parent) && json_object_size(rep.parent) == 0);
    CHECK(json_is_object(rep.content) && json_object_size(rep.content) == 0);
    wire_msg_fini(&rep);
    CHECK(msg_type(&rep) == NULL && msg_id(NULL) == NULL);
}

static void test_build_encode_decode(void) {
    msg_session_t s;
    msg_session_init(&s);
    wire_auth_t a;
    CHECK_EQ_INT(wire_auth_init(&a, "secret", "hmac-sha256", NULL), 0);
    wire_msg_t m, d;
    msg_build(&m, &s, "stream", NULL,
              json_pack("{s:s,s:s}", "name", "stdout", "text", "hi"));
    wire_msg_set_topic(&m, "kernel.x.stream");
    wire_blob_t *f;
    size_t n;
    CHECK_EQ_INT(wire_encode(&a, &m, &f, &n), 0);
    err_t e;
    CHECK_EQ_INT(wire_decode(&a, f, n, &d, &e), 0);
    CHECK_EQ_STR(msg_type(&d), "stream");
    CHECK_EQ_STR(msg_id(&d), msg_id(&m));
    CHECK(json_equal(d.header, m.header));
    wire_msg_fini(&d);
    wire_frames_free(f, n);
    wire_msg_fini(&m);
    wire_auth_fini(&a);
}

static void test_error_content(void) {
    json_t *c = msg_error_content("NameError", "name 'x' is not defined",
                                  "Traceback\n  line 1\nNameError: x\n");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "ename")), "NameError");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "evalue")),
                 "name 'x' is not defined");
    json_t *tb = json_object_get(c, "traceback");
    CHECK(json_is_array(tb));
    CHECK_EQ_INT(json_array_size(tb), 3);
    CHECK_EQ_STR(json_string_value(json_array_get(tb, 1)), "  line 1");
    CHECK_EQ_STR(json_string_value(json_array_get(tb, 2)), "NameError: x");
    json_decref(c);

    c = msg_error_content("E", "v", "a\n\nb");
    tb = json_object_get(c, "traceback");
    CHECK_EQ_INT(json_array_size(tb), 3);
    CHECK_EQ_STR(json_string_value(json_array_get(tb, 1)), "");
    json_decref(c);

    c = msg_error_content(NULL, NULL, NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(c, "ename")), "Error");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "evalue")), "");
    CHECK_EQ_INT(json_array_size(json_object_get(c, "traceback")), 0);
    json_decref(c);

    /* invalid UTF-8 (e.g. from a file name) still yields strings */
    c = msg_error_content("FileError", "bad \xff name", "x\xc3");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "evalue")),
                 "bad \xef\xbf\xbd name");
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(c, "traceback"), 0)),
                 "x\xef\xbf\xbd");
    json_decref(c);
}

static void test_text(void) {
    json_t *t = msg_text("ok \xe2\x96\x81", 6);
    CHECK_EQ_STR(json_string_value(t), "ok \xe2\x96\x81");
    json_decref(t);
    t = msg_text("\xe2\x96", 2); /* truncated sequence */
    CHECK_EQ_STR(json_string_value(t), "\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(t);
    t = msg_text("\xed\xa0\x80!", 4); /* surrogate */
    CHECK(t != NULL);
    CHECK_CONTAINS(json_string_value(t), "!");
    json_decref(t);
}

static void test_real(void) {
    json_t *v = msg_real(1.5);
    CHECK(json_is_real(v));
    CHECK_EQ_DBL(json_real_value(v), 1.5, 0);
    json_decref(v);
    v = msg_real(NAN);
    CHECK(json_is_null(v));
    json_decref(v);
    v = msg_real(INFINITY);
    CHECK(json_is_null(v));
    json_decref(v);
    v = msg_real(-INFINITY);
    CHECK(json_is_null(v));
    json_decref(v);
}

CHECK_MAIN(test_ids, test_date, test_header, test_build, test_build_encode_decode,
           test_error_content, test_text, test_real)
