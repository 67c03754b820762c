/* SPDX-License-Identifier: MIT */
/* wire.h -- Jupyter wire protocol on plain byte frames: identities, HMAC, JSON parts. */
#ifndef MECHVIZ_WIRE_H
#define MECHVIZ_WIRE_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"

#define WIRE_DELIM "<IDS|MSG>"
#define WIRE_MAX_FRAME ((size_t)512 << 20) /* largest single frame accepted */
#define WIRE_MAX_JSON ((size_t)64 << 20)   /* largest JSON part accepted */
#define WIRE_MAX_FRAMES 1024               /* identities + parts + buffers */

typedef struct wire_blob {
    unsigned char *data; /* owned by whoever owns the blob array */
    size_t len;
} wire_blob_t;

typedef struct wire_auth {
    unsigned char *key; /* owned copy of the key bytes */
    size_t keylen;      /* 0 = signing disabled (empty key) */
} wire_auth_t;

typedef struct wire_msg {
    wire_blob_t *ids; /* routing identities, or the iopub topic (owned) */
    size_t nids;
    json_t *header; /* owned references; never NULL in a decoded message */
    json_t *parent;
    json_t *metadata;
    json_t *content;
    wire_blob_t *buffers; /* raw frames after content (owned) */
    size_t nbuffers;
} wire_msg_t;

int wire_auth_init(wire_auth_t *a, const char *key, const char *scheme, err_t *err);
void wire_auth_fini(wire_auth_t *a);

void wire_msg_init(wire_msg_t *m);
void wire_msg_fini(wire_msg_t *m);
void wire_msg_set_ids(wire_msg_t *m, const wire_blob_t *ids, size_t n);
void wire_msg_set_topic(wire_msg_t *m, const char *topic);
void wire_msg_add_buffer(wire_msg_t *m, const void *data, size_t len);

void wire_sign(const wire_auth_t *a, const wire_blob_t parts[4], char hex[65]);
int wire_verify(const wire_auth_t *a, const wire_blob_t parts[4], const wire_blob_t *sig);
int wire_decode(const wire_auth_t *a, const wire_blob_t *frames, size_t n,
                wire_msg_t *out, err_t *err);
int wire_encode(const wire_auth_t *a, const wire_msg_t *m, wire_blob_t **frames,
                size_t *n);
void wire_frames_free(wire_blob_t *frames, size_t n);

#endif
