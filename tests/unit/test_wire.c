/* SPDX-License-Identifier: MIT */
/* test_wire.c -- unit tests for wire.c: HMAC vectors, signing, frame splitting, limits.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "wire.h"

#define KEY "5f0c1b1e-8a7e-4c0f-9d3a-2b1c0d9e8f7a"

static const char *const hdr =
    "{\"msg_id\":\"m1\",\"msg_type\":\"execute_request\",\"session\":\"s1\","
    "\"username\":\"u\",\"date\":\"2026-01-01T00:00:00.000000Z\",\"version\":\"5.3\"}";

/* Builds a frame array from NUL-terminated strings; NULL entries become the signature
 * computed over the four frames that follow (with `a`). */
static wire_blob_t *frames_of(const wire_auth_t *a, const char **s, size_t n,
                              char sigbuf[][65]) {
    wire_blob_t *f = calloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        if (s[i]) {
            f[i].data = (unsigned char *)(uintptr_t)s[i];
            f[i].len = strlen(s[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!s[i] && i + 4 < n) {
            wire_sign(a, &f[i + 1], sigbuf[0]);
            f[i].data = (unsigned char *)sigbuf[0];
            f[i].len = strlen(sigbuf[0]);
        }
    }
    return f;
}

static void hex_of_data(const char *key, size_t keylen, const char *data, char hex[65]) {
    wire_auth_t a;
    a.key = (unsigned char *)(uintptr_t)key;
    a.keylen = keylen;
    wire_blob_t parts[4] = {{(unsigned char *)(uintptr_t)data, strlen(data)},
                            {NULL, 0},
                            {NULL, 0},
                            {NULL, 0}};
    wire_sign(&a, parts, hex);
}

static void test_rfc4231_vectors(void) {
    err_t e;
    wire_auth_t init;
    CHECK_EQ_INT(wire_auth_init(&init, "x", "hmac-sha256", &e), 0); /* sodium_init */
    wire_auth_fini(&init);
    char hex[65];
    char k1[20], k6[131];
    memset(k1, 0x0b, sizeof k1);
    memset(k6, 0xaa, sizeof k6);
    hex_of_data(k1, sizeof k1, "Hi There", hex);
    CHECK_EQ_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hex_of_data("Jefe", 4, "what do ya want for nothing?", hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    hex_of_data(k6, sizeof k6, "Test Using Larger Than Block-Size Key - Hash Key First",
                hex);
    CHECK_EQ_STR(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_sign_is_over_concatenation(void) {
    wire_auth_t a;
    CHECK_EQ_INT(wire_auth_init(&a, "Jefe", "hmac-sha256", NULL), 0);
    CHECK_EQ_INT(a.keylen, 4);
    const char *d = "what do ya want for nothing?";
    wire_blob_t parts[4] = {{(unsigned char *)(uintptr_t)d, 4},
                            {(unsigned char *)(uintptr_t)d + 4, 3},
                            {(unsigned char *)(uintptr_t)d + 7, 10},
                            {(unsigned char *)(uintptr_t)d + 17, strlen(d) - 17}};
    char hex[65];
    wire_sign(&a, parts, hex);
    CHECK_EQ_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    wire_blob_t sig = {(unsigned char *)hex, 64};
    CHECK_EQ_INT(wire_verify(&a, parts, &sig), 0);
    wire_auth_fini(&a);
    CHECK(a.key == NULL && a.keylen == 0);
}

static void test_auth_init(void) {
    wire_auth_t a;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(wire_auth_init(&a, KEY, "hmac-md5", &e), -1);
    CHECK_CONTAINS(e.msg, "hmac-md5");
    CHECK(a.key == NULL);
    CHECK_EQ_INT(wire_auth_init(&a, "", "hmac-md5", &e), 0); /* empty key: no scheme */
    CHECK_EQ_INT(a.keylen, 0);
    char hex[65] = "junk";
    wire_blob_t parts[4] = {{NULL, 0}, {NULL, 0}, {NULL, 0}, {NULL, 0}};
    wire_sign(&a, parts, hex);
    CHECK_EQ_STR(hex, "");
    wire_auth_fini(&a);
    CHECK_EQ_INT(wire_auth_init(&a, KEY, NULL, &e), 0);
    CHECK_EQ_INT(a.keylen, strlen(KEY));
    wire_auth_fini(&a);
}

/* Decodes s[0..n) (NULL = correct signature) with key `key`; returns the result and
 * fills `m` and `e`. */
static int decode_strs(const char *key, const char **s, size_t n, wire_msg_t *m,
                       err_t *e) {
    wire_auth_t a;
    wire_auth_init(&a, key, "hmac-sha256", NULL);
    char sig[1][65];
    wire_blob_t *f = frames_of(&a, s, n, sig);
    err_clear(e);
    int rc = wire_decode(&a, f, n, m, e);
    free(f);
    wire_auth_fini(&a);
    return rc;
}

static void test_decode_identities(void) {
    wire_msg_t m;
    err_t e;
    const char *zero[] = {"<IDS|MSG>", NULL, hdr, "{}", "{}", "{\"code\":\"x\"}"};
    CHECK_EQ_INT(decode_strs(KEY, zero, 6, &m, &e), 0);
    CHECK_EQ_INT(m.nids, 0);
    CHECK_EQ_INT(m.nbuffers, 0);
    CHECK_EQ_STR(json_string_value(json_object_get(m.content, "code")), "x");
    CHECK_EQ_STR(json_string_value(json_object_get(m.header, "msg_type")),
                 "execute_request");
    wire_msg_fini(&m);

    const char *one[] = {"id-A", "<IDS|MSG>", NULL, hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, one, 7, &m, &e), 0);
    CHECK_EQ_INT(m.nids, 1);
    CHECK(m.nids == 1 && m.ids[0].len == 4 && memcmp(m.ids[0].data, "id-A", 4) == 0);
    wire_msg_fini(&m);

    const char *three[] = {"a",  "bb", "ccc", "<IDS|MSG>", NULL,       hdr,
                           "{}", "{}", "{}",  "buf0",      "<IDS|MSG>"};
    CHECK_EQ_INT(decode_strs(KEY, three, 11, &m, &e), 0);
    CHECK_EQ_INT(m.nids, 3);
    if (m.nids == 3) {
        CHECK(m.ids[1].len == 2 && memcmp(m.ids[1].data, "bb", 2) == 0);
        CHECK(m.ids[2].len == 3 && memcmp(m.ids[2].data, "ccc", 3) == 0);
    }
    CHECK_EQ_INT(m.nbuffers, 2); /* a later delimiter-looking frame is just a buffer */
    if (m.nbuffers == 2) {
        CHECK(m.buffers[0].len == 4 && memcmp(m.buffers[0].data, "buf0", 4) == 0);
        CHECK_EQ_INT(m.buffers[1].len, 9);
    }
    wire_msg_fini(&m);
    CHECK(m.header == NULL && m.ids == NULL); /* fini leaves it empty */
}

static void test_decode_structure_errors(void) {
    wire_msg_t m;
    err_t e;
    const char *nodelim[] = {"id", NULL, hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, nodelim, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "no <IDS|MSG> delimiter");
    CHECK(m.header == NULL);

    const char *nosig[] = {"<IDS|MSG>", hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, nosig, 5, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "4 frames after <IDS|MSG>, need at least 5");

    CHECK_EQ_INT(decode_strs(KEY, nosig, 0, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "no <IDS|MSG> delimiter");

    const char *prefix[] = {"<IDS|MSG", NULL, hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, prefix, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "no <IDS|MSG> delimiter");
}

static void test_limits(void) {
    wire_auth_t a;
    wire_auth_init(&a, KEY, "hmac-sha256", NULL);
    wire_msg_t m;
    err_t e;
    unsigned char tiny[16] = "{}";
    size_t n = WIRE_MAX_FRAMES + 1;
    wire_blob_t *f = calloc(n, sizeof *f);
    f[0].data = (unsigned char *)WIRE_DELIM;
    f[0].len = 9;
    for (size_t i = 1; i < n; i++)
        f[i].data = tiny, f[i].len = 2;
    err_clear(&e);
    CHECK_EQ_INT(wire_decode(&a, f, n, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "1025 frames exceeds limit");
    /* Lengths are checked before any byte is read, so a lying length is safe to test. */
    f[3].len = WIRE_MAX_FRAME + 1;
    CHECK_EQ_INT(wire_decode(&a, f, 6, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "frame of 536870913 bytes exceeds limit");
    f[3].len = WIRE_MAX_JSON + 1;
    CHECK_EQ_INT(wire_decode(&a, f, 6, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "parent_header frame of 67108865 bytes exceeds limit");
    CHECK(m.header == NULL);
    free(f);
    wire_auth_fini(&a);
}

static void test_signature_rejections(void) {
    wire_auth_t a;
    wire_auth_init(&a, KEY, "hmac-sha256", NULL);
    const char *s[] = {"id", "<IDS|MSG>", NULL, hdr, "{}", "{}", "{\"code\":\"1+1\"}"};
    char sig[1][65];
    wire_blob_t *f = frames_of(&a, s, 7, sig);
    wire_msg_t m;
    err_t e;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), 0);
    wire_msg_fini(&m);

    /* tampered byte in content */
    char content[] = "{\"code\":\"1+2\"}";
    f[6].data = (unsigned char *)content;
    err_clear(&e);
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
    f[6].data = (unsigned char *)(uintptr_t)s[6];

    /* uppercase hex of the right digest */
    char upper[65];
    memcpy(upper, sig[0], 65);
    int changed = 0;
    for (int i = 0; i < 64; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A'), changed = 1;
    CHECK(changed);
    f[2].data = (unsigned char *)upper;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");

    /* short signature (a correct prefix), long one, and empty one */
    f[2].data = (unsigned char *)sig[0];
    f[2].len = 63;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
    char longer[66];
    memcpy(longer, sig[0], 64);
    longer[64] = '0';
    f[2].data = (unsigned char *)longer;
    f[2].len = 65;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    f[2].len = 0;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");

    /* signed with another key */
    wire_auth_t b;
    wire_auth_init(&b, KEY "x", "hmac-sha256", NULL);
    f[2].data = (unsigned char *)sig[0];
    f[2].len = 64;
    CHECK_EQ_INT(wire_decode(&b, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
    wire_auth_fini(&b);

    /* verification comes before parsing: bad JSON with a bad signature says signature */
    f[6].data = (unsigned char *)"{not json";
    f[6].len = 9;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
    free(f);
    wire_auth_fini(&a);
}

static void test_json_errors(void) {
    wire_msg_t m;
    err_t e;
    const char *arr[] = {"<IDS|MSG>", NULL, "[]", "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, arr, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "header is not a JSON object");
    CHECK(m.header == NULL);
    const char *num[] = {"<IDS|MSG>", NULL, hdr, "{}", "{}", "42"};
    CHECK_EQ_INT(decode_strs(KEY, num, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "content is not a JSON object");
    const char *str[] = {"<IDS|MSG>", NULL, hdr, "\"x\"", "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, str, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "parent_header is not a JSON object");
    const char *bad[] = {"<IDS|MSG>", NULL, hdr, "{}", "{\"a\":", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, bad, 6, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "metadata is not valid JSON");
    const char *utf[] = {"<IDS|MSG>", NULL, hdr, "{}", "{}", "{\"code\":\"\xff\xfe\"}"};
    CHECK_EQ_INT(decode_strs(KEY, utf, 6, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "content is not valid JSON");
    CHECK_CONTAINS(e.msg, "byte 0xff");
    const char *trail[] = {"<IDS|MSG>", NULL, hdr, "{}", "{}", "{} {}"};
    CHECK_EQ_INT(decode_strs(KEY, trail, 6, &m, &e), -1);
    CHECK_CONTAINS(e.msg, "content is not valid JSON");
    const char *nan[] = {"<IDS|MSG>", NULL, hdr, "{}", "{}", "{\"x\":NaN}"};
    CHECK_EQ_INT(decode_strs(KEY, nan, 6, &m, &e), -1);
    const char *notype[] = {"<IDS|MSG>", NULL, "{\"msg_id\":\"a\",\"session\":\"s\"}",
                            "{}",        "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, notype, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "header has no string \"msg_type\"");
    const char *intid[] = {
        "<IDS|MSG>", NULL, "{\"msg_id\":1,\"msg_type\":\"t\",\"session\":\"s\"}",
        "{}",        "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, intid, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "header has no string \"msg_id\"");
    const char *nosess[] = {"<IDS|MSG>", NULL, "{\"msg_id\":\"1\",\"msg_type\":\"t\"}",
                            "{}",        "{}", "{}"};
    CHECK_EQ_INT(decode_strs(KEY, nosess, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "header has no string \"session\"");
    CHECK(m.header == NULL && m.content == NULL);
}

static void test_empty_key_disables_checking(void) {
    wire_msg_t m;
    err_t e;
    const char *s[] = {"<IDS|MSG>", "garbage", hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs("", s, 6, &m, &e), 0);
    wire_msg_fini(&m);
    const char *empty[] = {"<IDS|MSG>", "", hdr, "{}", "{}", "{}"};
    CHECK_EQ_INT(decode_strs("", empty, 6, &m, &e), 0);
    wire_msg_fini(&m);
    /* but with a key the same frames are refused */
    CHECK_EQ_INT(decode_strs(KEY, s, 6, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
}

static void test_encode_decode_round_trip(void) {
    wire_auth_t a;
    wire_auth_init(&a, KEY, "hmac-sha256", NULL);
    wire_msg_t m;
    wire_msg_init(&m);
    wire_blob_t ids[2] = {{(unsigned char *)"\0\x80\x01", 3}, {(unsigned char *)"r2", 2}};
    wire_msg_set_ids(&m, ids, 2);
    m.header = json_loads(hdr, 0, NULL);
    m.parent = json_object();
    m.metadata = json_pack("{s:b}", "flag", 1);
    m.content = json_pack("{s:s, s:[i,f]}", "text", "\xc3\xa9t\xc3\xa9 \xe2\x96\x81", "v",
                          3, 0.5);
    unsigned char bin[5] = {0, 255, 1, 0, 7};
    wire_msg_add_buffer(&m, bin, sizeof bin);
    wire_msg_add_buffer(&m, "", 0);

    wire_blob_t *f = NULL;
    size_t n = 0;
    CHECK_EQ_INT(wire_encode(&a, &m, &f, &n), 0);
    CHECK_EQ_INT(n, 2 + 1 + 1 + 4 + 2);
    CHECK(f[2].len == 9 && memcmp(f[2].data, WIRE_DELIM, 9) == 0);
    CHECK_EQ_INT(f[3].len, 64);
    for (size_t i = 0; i < f[3].len; i++)
        CHECK((f[3].data[i] >= '0' && f[3].data[i] <= '9') ||
              (f[3].data[i] >= 'a' && f[3].data[i] <= 'f'));
    /* compact, and UTF-8 sent as is (no \u escapes) */
    CHECK(f[5].len == 2 && memcmp(f[5].data, "{}", 2) == 0);
    CHECK(f[6].len == 13 && memcmp(f[6].data, "{\"flag\":true}", 13) == 0);
    const char *want = "{\"text\":\"\xc3\xa9t\xc3\xa9 \xe2\x96\x81\",\"v\":[3,0.5]}";
    CHECK(f[7].len == strlen(want) && memcmp(f[7].data, want, strlen(want)) == 0);
    CHECK(f[8].len == 5 && memcmp(f[8].data, bin, 5) == 0);
    CHECK_EQ_INT(f[9].len, 0);

    wire_msg_t d;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(wire_decode(&a, f, n, &d, &e), 0);
    CHECK_EQ_STR(e.msg, "");
    CHECK_EQ_INT(d.nids, 2);
    if (d.nids == 2)
        CHECK(d.ids[0].len == 3 && memcmp(d.ids[0].data, "\0\x80\x01", 3) == 0);
    CHECK(json_equal(d.header, m.header));
    CHECK(json_equal(d.parent, m.parent));
    CHECK(json_equal(d.metadata, m.metadata));
    CHECK(json_equal(d.content, m.content));
    CHECK_EQ_INT(d.nbuffers, 2);
    if (d.nbuffers == 2) {
        CHECK(d.buffers[0].len == 5 && memcmp(d.buffers[0].data, bin, 5) == 0);
        CHECK_EQ_INT(d.buffers[1].len, 0);
    }
    wire_msg_fini(&d);
    wire_frames_free(f, n);

    /* topic replaces ids; NULL parts encode as {} */
    wire_msg_set_topic(&m, "kernel.s1.status");
    json_decref(m.metadata);
    m.metadata = NULL;
    CHECK_EQ_INT(wire_encode(&a, &m, &f, &n), 0);
    CHECK_EQ_INT(n, 1 + 1 + 1 + 4 + 2);
    CHECK(f[0].len == 16 && memcmp(f[0].data, "kernel.s1.status", 16) == 0);
    CHECK(f[5].len == 2 && memcmp(f[5].data, "{}", 2) == 0);
    CHECK_EQ_INT(wire_decode(&a, f, n, &d, &e), 0);
    wire_msg_fini(&d);
    wire_frames_free(f, n);
    wire_msg_fini(&m);
    wire_auth_fini(&a);

    /* without a key the signature frame is empty */
    wire_auth_t none;
    wire_auth_init(&none, "", "", NULL);
    wire_msg_init(&m);
    m.header = json_loads(hdr, 0, NULL);
    CHECK_EQ_INT(wire_encode(&none, &m, &f, &n), 0);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_INT(f[1].len, 0);
    CHECK_EQ_INT(wire_decode(&none, f, n, &d, &e), 0);
    wire_msg_fini(&d);
    wire_frames_free(f, n);
    wire_msg_fini(&m);
    wire_frames_free(NULL, 0);
    wire_msg_fini(NULL);
}

/* A message serialized by jupyter_client's Session (8.x) with the key below: the
 * signature is over its own spacing (", " and ": "), so this also proves we verify the
 * received bytes rather than a re-dump. */
static void test_jupyter_client_message(void) {
    static const char *const s[] = {
        "\x00k\x8b"
        "Eg",
        "<IDS|MSG>",
        "18638ac8d7606569a18b2fde72890791f176330a91eeb1a67fbcf2929343dacb",
        "{\"msg_id\": \"0f9c6c7e-1d2b-4a3c-9e8f-7a6b5c4d3e2f\", \"msg_type\": "
        "\"execute_request\", \"username\": \"tester\", \"session\": "
        "\"c3d2e1f0-a9b8-4c7d-8e6f-5a4b3c2d1e0f\", \"date\": "
        "\"2026-12-04T20:45:00.000123Z\", \"version\": \"5.3\"}",
        "{}",
        "{}",
        "{\"code\": \"x = 1 \xe2\x96\x81 \xc3\xa9\", \"silent\": false}"};
    wire_blob_t f[7];
    for (int i = 0; i < 7; i++) {
        f[i].data = (unsigned char *)(uintptr_t)s[i];
        f[i].len = i == 0 ? 5 : strlen(s[i]);
    }
    wire_auth_t a;
    wire_auth_init(&a, "a0436f6c-1916-498b-8eb9-e81ab9368e84", "hmac-sha256", NULL);
    wire_msg_t m;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), 0);
    CHECK_EQ_STR(e.msg, "");
    CHECK(m.nids == 1 && m.ids[0].len == 5 && memcmp(m.ids[0].data, "\x00k\x8b", 3) == 0);
    CHECK_EQ_STR(json_string_value(json_object_get(m.content, "code")),
                 "x = 1 \xe2\x96\x81 \xc3\xa9");
    CHECK_EQ_STR(json_string_value(json_object_get(m.header, "date")),
                 "2026-12-04T20:45:00.000123Z");
    wire_msg_fini(&m);
    /* one changed byte of the header (the spacing) breaks the signature */
    char h[300];
    snprintf(h, sizeof h, "%s", s[3]);
    h[10] = '\t';
    f[3].data = (unsigned char *)h;
    CHECK_EQ_INT(wire_decode(&a, f, 7, &m, &e), -1);
    CHECK_EQ_STR(e.msg, "bad signature");
    wire_auth_fini(&a);
}

CHECK_MAIN(test_rfc4231_vectors, test_sign_is_over_concatenation, test_auth_init,
           test_decode_identities, test_decode_structure_errors, test_limits,
           test_signature_rejections, test_json_errors, test_empty_key_disables_checking,
           test_encode_decode_round_trip, test_jupyter_client_message)
