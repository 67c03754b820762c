/* SPDX-License-Identifier: MIT */
/* test_conn.c -- unit tests for conn.c: connection files good and bad, endpoints.
 * Run from the repository root (make check does), where tests/data/ is found. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conn.h"

#define GOOD_TAIL                                                                        \
    "\"iopub_port\":2,\"stdin_port\":3,\"control_port\":4,\"hb_port\":5,"                \
    "\"ip\":\"127.0.0.1\",\"key\":\"k\""

static int parse(const char *text, conn_t *c, err_t *e) {
    err_clear(e);
    return conn_parse(c, text, strlen(text), e);
}

static void test_good_file(void) {
    conn_t c;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(conn_load(&c, "tests/data/connection.json", &e), 0);
    CHECK_EQ_STR(e.msg, "");
    CHECK_EQ_STR(c.transport, "tcp");
    CHECK_EQ_STR(c.ip, "127.0.0.1");
    CHECK_EQ_INT(c.shell_port, 53794);
    CHECK_EQ_INT(c.iopub_port, 53795);
    CHECK_EQ_INT(c.stdin_port, 53796);
    CHECK_EQ_INT(c.control_port, 53797);
    CHECK_EQ_INT(c.hb_port, 53798);
    CHECK_EQ_STR(c.scheme, "hmac-sha256");
    CHECK_EQ_STR(c.key, "a0436f6c-1916-498b-8eb9-e81ab9368e84");
    CHECK_EQ_STR(c.kernel_name, "mechviz");
    char ep[300];
    conn_endpoint(&c, c.shell_port, ep, sizeof ep);
    CHECK_EQ_STR(ep, "tcp://127.0.0.1:53794");
    conn_fini(&c);
    CHECK(c.key == NULL);
    conn_fini(&c); /* twice is harmless */
}

static void test_empty_key(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(conn_load(&c, "tests/data/connection_empty_key.json", &e), 0);
    CHECK_EQ_STR(c.key, "");
    CHECK_EQ_STR(c.scheme, ""); /* signing disabled */
    CHECK_EQ_STR(c.kernel_name, "");
    conn_fini(&c);
    /* an empty key with any scheme (or none) is accepted */
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"key\":\"\","
                       "\"signature_scheme\":\"\"}",
                       &c, &e),
                 0);
    CHECK_EQ_STR(c.scheme, "");
    conn_fini(&c);
}

static void test_ipc(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(conn_load(&c, "tests/data/connection_ipc.json", &e), 0);
    CHECK_EQ_STR(c.transport, "ipc");
    char ep[300];
    conn_endpoint(&c, c.hb_port, ep, sizeof ep);
    CHECK_EQ_STR(ep, "ipc:///tmp/mechviz-kernel-5");
    char small[8];
    conn_endpoint(&c, c.hb_port, small, sizeof small);
    CHECK_EQ_STR(small, "ipc:///"); /* truncated, still terminated */
    conn_fini(&c);
}

static void test_defaults_and_unknown_fields(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"curve_publickey\":\"x\","
                       "\"extra\":{\"nested\":[1,2]}}",
                       &c, &e),
                 0);
    CHECK_EQ_STR(c.transport, "tcp");
    CHECK_EQ_STR(c.scheme, "hmac-sha256");
    CHECK_EQ_STR(c.kernel_name, "");
    CHECK_EQ_STR(c.key, "k");
    conn_fini(&c);
}

static void test_missing_port(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(conn_load(&c, "tests/data/connection_missing_port.json", &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: missing field \"hb_port\"");
    CHECK(c.key == NULL);
    CHECK_EQ_INT(parse("{" GOOD_TAIL "}", &c, &e), -1);
    CHECK_CONTAINS(e.msg, "\"shell_port\"");
    CHECK_EQ_INT(parse("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                       "\"control_port\":4,\"hb_port\":5,\"ip\":\"127.0.0.1\"}",
                       &c, &e),
                 -1);
    CHECK_EQ_STR(e.msg, "connection file: missing field \"key\"");
    CHECK_EQ_INT(parse("{\"shell_port\":1,\"iopub_port\":2,\"stdin_port\":3,"
                       "\"control_port\":4,\"hb_port\":5,\"key\":\"\"}",
                       &c, &e),
                 -1);
    CHECK_EQ_STR(e.msg, "connection file: missing field \"ip\"");
}

static void test_wrong_types_and_values(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(parse("{\"shell_port\":\"5555\"," GOOD_TAIL "}", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: field \"shell_port\" must be an integer");
    CHECK_EQ_INT(parse("{\"shell_port\":5.5," GOOD_TAIL "}", &c, &e), -1);
    CHECK_CONTAINS(e.msg, "must be an integer");
    CHECK_EQ_INT(parse("{\"shell_port\":70000," GOOD_TAIL "}", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: field \"shell_port\" is 70000, not a port in "
                        "1..65535");
    CHECK_EQ_INT(parse("{\"shell_port\":0," GOOD_TAIL "}", &c, &e), -1);
    CHECK_CONTAINS(e.msg, "not a port");
    CHECK_EQ_INT(parse("{\"shell_port\":-1," GOOD_TAIL "}", &c, &e), -1);
    CHECK_CONTAINS(e.msg, "is -1");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"key\":5}", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: field \"key\" must be a string");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"ip\":[]}", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: field \"ip\" must be a string");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"ip\":\"\"}", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file: field \"ip\" is empty");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"kernel_name\":null}", &c, &e),
                 -1);
    CHECK_CONTAINS(e.msg, "\"kernel_name\" must be a string");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"transport\":\"udp\"}", &c, &e),
                 -1);
    CHECK_CONTAINS(e.msg, "unsupported transport \"udp\"");
    CHECK_EQ_INT(
        parse("{\"shell_port\":1," GOOD_TAIL ",\"transport\":\"tcp-but-long\"}", &c, &e),
        -1);
    CHECK_CONTAINS(e.msg, "\"transport\" is too long");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL
                       ",\"signature_scheme\":\"hmac-md5\"}",
                       &c, &e),
                 -1);
    CHECK_CONTAINS(e.msg, "unsupported signature_scheme \"hmac-md5\"");
    CHECK_EQ_INT(parse("{\"shell_port\":1," GOOD_TAIL ",\"ip\":\"a\\u0000b\"}", &c, &e),
                 -1);
    CHECK_CONTAINS(e.msg, "NUL");
    CHECK(c.key == NULL);
}

static void test_not_json(void) {
    conn_t c;
    err_t e;
    CHECK_EQ_INT(conn_load(&c, "tests/data/connection_not_json.json", &e), -1);
    CHECK_CONTAINS(e.msg, "connection file is not valid JSON");
    CHECK_EQ_INT(parse("[1,2]", &c, &e), -1);
    CHECK_EQ_STR(e.msg, "connection file is not a JSON object");
    CHECK_EQ_INT(parse("", &c, &e), -1);
    CHECK_CONTAINS(e.msg, "not valid JSON");
    CHECK_EQ_INT(conn_load(&c, "tests/data/no-such-connection.json", &e), -1);
    CHECK_EQ_STR(err_kind(&e), "FileError");
    CHECK_CONTAINS(e.msg, "no-such-connection.json");
    CHECK_EQ_INT(conn_load(&c, "tests/data", &e), -1); /* a directory */
    CHECK_EQ_STR(err_kind(&e), "FileError");
    CHECK_CONTAINS(e.msg, "cannot read connection file");
}

static void test_huge_file(void) {
    char path[] = "/tmp/mechviz-test-conn-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    fputs("{\"pad\":\"", f);
    for (int i = 0; i < (1 << 20) + 10; i++)
        fputc('x', f);
    fputs("\"}", f);
    fclose(f);
    conn_t c;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(conn_load(&c, path, &e), -1);
    CHECK_CONTAINS(e.msg, "is larger than 1048576 bytes");
    remove(path);
}

CHECK_MAIN(test_good_file, test_empty_key, test_ipc, test_defaults_and_unknown_fields,
           test_missing_port, test_wrong_types_and_values, test_not_json, test_huge_file)
