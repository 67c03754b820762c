/* SPDX-License-Identifier: MIT */
/* msg.h -- building Jupyter messages: headers, ids, dates, replies, error content. */
#ifndef MECHVIZ_MSG_H
#define MECHVIZ_MSG_H

#include <jansson.h>

#include "util.h"
#include "wire.h"

#define MSG_PROTOCOL_VERSION "5.5"

typedef struct msg_session {
    char id[37];       /* one uuid4 per kernel process, used on every channel */
    char username[32]; /* "kernel" */
} msg_session_t;

void msg_session_init(msg_session_t *s);
void msg_new_id(char out[37]);
void msg_iso_now(char out[32]);
json_t *msg_header_new(const msg_session_t *s, const char *msg_type);
void msg_build(wire_msg_t *m, const msg_session_t *s, const char *msg_type,
               const wire_msg_t *parent, json_t *content);
const char *msg_type(const wire_msg_t *m);
const char *msg_id(const wire_msg_t *m);
json_t *msg_error_content(const char *ename, const char *evalue, const char *traceback);
json_t *msg_real(double v);
json_t *msg_text(const char *s, size_t len); /* JSON string; bad UTF-8 -> U+FFFD */

#endif
