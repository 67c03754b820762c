/* SPDX-License-Identifier: MIT */
/* conn.h -- the connection file: ports, ip, transport, key, signature scheme. */
#ifndef MECHVIZ_CONN_H
#define MECHVIZ_CONN_H

#include "util.h"

typedef struct conn {
    char transport[8]; /* "tcp" or "ipc" */
    char ip[256];      /* tcp: address to bind; ipc: path prefix */
    int shell_port, iopub_port, stdin_port, control_port, hb_port;
    char scheme[32]; /* "hmac-sha256", or "" when the key is empty */
    char *key;       /* owned; may be "" (signing disabled) */
    char kernel_name[64];
} conn_t;

int conn_load(conn_t *c, const char *path, err_t *err);
int conn_parse(conn_t *c, const char *text, size_t len, err_t *err);
void conn_fini(conn_t *c);
void conn_endpoint(const conn_t *c, int port, char *out, size_t cap);

#endif
