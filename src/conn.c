/* SPDX-License-Identifier: MIT */
/* conn.c -- read the Jupyter connection file: transport, ip, five ports, key, scheme.
 *
 * The kernel is started with `-f connection.json`; this module turns that file into a
 * conn_t and builds zmq endpoint strings from it. It validates every field it uses and
 * says precisely which one is wrong, because a bad file is an installation problem the
 * user must be able to fix. It ignores fields it does not know (curve keys, future
 * additions), it opens no sockets and it does not interpret the key beyond checking the
 * signature scheme: wire.c does the signing. */
#include "conn.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_MAX_FILE ((long)1 << 20) /* a connection file is a few hundred bytes */

/* Copies the string member `name` of `obj` into out[cap]. Missing members keep the
 * default already in `out` when `required` is 0. Returns 0 or -1 with `err` set. */
static int conn_get_string(json_t *obj, const char *name, int required, char *out,
                           size_t cap, err_t *err) {
    json_t *v = json_object_get(obj, name);
    if (!v) {
        if (!required)
            return 0;
        err_set(err, "ValueError", "connection file: missing field \"%s\"", name);
        return -1;
    }
    if (!json_is_string(v)) {
        err_set(err, "ValueError", "connection file: field \"%s\" must be a string",
                name);
        return -1;
    }
    size_t len = json_string_length(v);
    if (len >= cap) {
        err_set(err, "ValueError",
                "connection file: field \"%s\" is too long (%zu bytes, at most %zu)",
                name, len, cap - 1);
        return -1;
    }
    if (memchr(json_string_value(v), '\0', len)) {
        err_set(err, "ValueError", "connection file: field \"%s\" contains a NUL byte",
                name);
        return -1;
    }
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

/* Reads the integer port `name` of `obj` into *out; it must be in 1..65535. */
static int conn_get_port(json_t *obj, const char *name, int *out, err_t *err) {
    json_t *v = json_object_get(obj, name);
    if (!v) {
        err_set(err, "ValueError", "connection file: missing field \"%s\"", name);
        return -1;
    }
    if (!json_is_integer(v)) {
        err_set(err, "ValueError", "connection file: field \"%s\" must be an integer",
                name);
        return -1;
    }
    json_int_t p = json_integer_value(v);
    if (p < 1 || p > 65535) {
        err_set(err, "ValueError",
                "connection file: field \"%s\" is %lld, not a port in 1..65535", name,
                (long long)p);
        return -1;
    }
    *out = (int)p;
    return 0;
}

/* Parses the connection file text[len] into `c`, which the caller provides (its prior
 * contents are overwritten, not freed). On success `c->key` is an owned string (possibly
 * "") to release with conn_fini, and `c->scheme` is "hmac-sha256", or "" when the key is
 * empty (signing disabled). Missing `transport` means "tcp", a missing
 * `signature_scheme` with a non-empty key means "hmac-sha256", missing `kernel_name`
 * means "". Unknown fields are ignored. Returns 0, or -1 with `err` naming the bad
 * field; `c` then owns nothing. */
int conn_parse(conn_t *c, const char *text, size_t len, err_t *err) {
    memset(c, 0, sizeof *c);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (!root) {
        err_set(err, "ValueError", "connection file is not valid JSON: %s (line %d)",
                jerr.text, jerr.line);
        return -1;
    }
    int rc = -1;
    char key[4096] = "";
    if (!json_is_object(root)) {
        err_set(err, "ValueError", "connection file is not a JSON object");
        goto out;
    }
    strcpy(c->transport, "tcp");
    if (conn_get_string(root, "transport", 0, c->transport, sizeof c->transport, err) < 0)
        goto out;
    if (strcmp(c->transport, "tcp") != 0 && strcmp(c->transport, "ipc") != 0) {
        err_set(err, "ValueError",
                "connection file: unsupported transport \"%s\" (expected \"tcp\" or "
                "\"ipc\")",
                c->transport);
        goto out;
    }
    if (conn_get_string(root, "ip", 1, c->ip, sizeof c->ip, err) < 0)
        goto out;
    if (!c->ip[0]) {
        err_set(err, "ValueError", "connection file: field \"ip\" is empty");
        goto out;
    }
    if (conn_get_port(root, "shell_port", &c->shell_port, err) < 0 ||
        conn_get_port(root, "iopub_port", &c->iopub_port, err) < 0 ||
        conn_get_port(root, "stdin_port", &c->stdin_port, err) < 0 ||
        conn_get_port(root, "control_port", &c->control_port, err) < 0 ||
        conn_get_port(root, "hb_port", &c->hb_port, err) < 0)
        goto out;
    if (conn_get_string(root, "key", 1, key, sizeof key, err) < 0)
        goto out;
    strcpy(c->scheme, "hmac-sha256");
    if (conn_get_string(root, "signature_scheme", 0, c->scheme, sizeof c->scheme, err) <
        0)
        goto out;
    if (!key[0]) {
        c->scheme[0] = '\0'; /* empty key: no signing, whatever the scheme says */
    } else if (strcmp(c->scheme, "hmac-sha256") != 0) {
        err_set(err, "ValueError",
                "connection file: unsupported signature_scheme \"%s\" (only "
                "\"hmac-sha256\")",
                c->scheme);
        goto out;
    }
    if (conn_get_string(root, "kernel_name", 0, c->kernel_name, sizeof c->kernel_name,
                        err) < 0)
        goto out;
    c->key = xstrdup(key);
    rc = 0;
out:
    json_decref(root);
    memset(key, 0, sizeof key);
    if (rc < 0) {
        free(c->key);
        memset(c, 0, sizeof *c);
    }
    return rc;
}

/* Reads and parses the connection file at `path` (see conn_parse). Returns 0, or -1
 * with `err` set ("FileError" when the file cannot be read). */
int conn_load(conn_t *c, const char *path, err_t *err) {
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_set(err, "FileError", "cannot open connection file %s: %s", path,
                strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)CONN_MAX_FILE) {
                err_set(err, "FileError", "connection file %s is larger than %ld bytes",
                        path, CONN_MAX_FILE);
                free(text);
                fclose(f);
                return -1;
            }
            cap = cap ? cap * 2 : 1024;
            text = xrealloc(text, cap);
        }
        size_t n = fread(text + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        err_set(err, "FileError", "cannot read connection file %s", path);
        free(text);
        return -1;
    }
    int rc = conn_parse(c, text, len, err);
    free(text);
    return rc;
}

/* Releases the key and zeroes `c`. Accepts a zeroed or already finished conn_t. */
void conn_fini(conn_t *c) {
    if (!c)
        return;
    if (c->key) {
        memset(c->key, 0, strlen(c->key));
        free(c->key);
    }
    memset(c, 0, sizeof *c);
}

/* Writes the zmq endpoint for `port` into out[cap]: "tcp://IP:PORT" or "ipc://IP-PORT"
 * (the ipc form treats ip as a path prefix, as jupyter_client does). Truncates to fit;
 * `cap` must be at least 1. */
void conn_endpoint(const conn_t *c, int port, char *out, size_t cap) {
    if (strcmp(c->transport, "ipc") == 0)
        snprintf(out, cap, "ipc://%s-%d", c->ip, port);
    else
        snprintf(out, cap, "tcp://%s:%d", c->ip, port);
}
