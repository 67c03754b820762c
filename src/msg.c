/* SPDX-License-Identifier: MIT */
/* msg.c -- building Jupyter messages: session and message ids, dates, headers, replies.
 *
 * Every message the kernel sends needs a fresh msg_id and date, the one session id of
 * this process and a verbatim copy of its parent's header; getting any of these wrong
 * makes clients drop output silently. This module builds those parts in one place. It
 * does not sign, encode or send (wire.c and the kernel do) and it does not decide
 * message content beyond the generic error content. */
#include "msg.h"

#include <math.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Initialises `s` with a fresh uuid4 session id and the username "kernel". Call once per
 * kernel process and use the same session on every channel. */
void msg_session_init(msg_session_t *s) {
    msg_new_id(s->id);
    snprintf(s->username, sizeof s->username, "%s", "kernel");
}

/* Writes a fresh random uuid4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lowercase, 36
 * characters and a NUL) into out. Uses libsodium's CSPRNG (initialised here if
 * needed). */
void msg_new_id(char out[37]) {
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    if (sodium_init() < 0) {
        /* randombytes_buf still works without it; nothing better to do here */
    }
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = '\0';
}

/* Writes the current UTC time as ISO 8601 with six-digit microseconds and a zone,
 * "2026-01-01T12:00:00.000005Z" (27 characters and a NUL), into out. */
void msg_iso_now(char out[32]) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    unsigned us = (unsigned)(ts.tv_nsec / 1000) % 1000000u;
    size_t k = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm); /* 19 characters */
    snprintf(out + k, 32 - k, ".%06uZ", us);
}

/* Returns a new JSON string for s[len]. Invalid UTF-8 sequences are replaced by U+FFFD,
 * so text from files or user data can always be sent. Never returns NULL. */
json_t *msg_text(const char *s, size_t len) {
    if (!s)
        return json_string("");
    json_t *v = util_utf8_valid(s, len) ? json_stringn(s, len) : NULL;
    if (v)
        return v;
    char *o = xmalloc(len * 3 + 1);
    size_t k = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        size_t sl = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
        if (sl <= len - i && util_utf8_valid(s + i, sl)) {
            memcpy(o + k, s + i, sl);
            k += sl;
            i += sl;
        } else {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
        }
    }
    v = json_stringn(o, k);
    free(o);
    return v ? v : json_string("");
}

/* Returns a new header object {msg_id, session, username, date, msg_type, version} with
 * a fresh msg_id and the current date. The caller owns the reference. */
json_t *msg_header_new(const msg_session_t *s, const char *msg_type) {
    char id[37], date[32];
    msg_new_id(id);
    msg_iso_now(date);
    json_t *h = json_object();
    json_object_set_new(h, "msg_id", json_string(id));
    json_object_set_new(h, "session", msg_text(s->id, strlen(s->id)));
    json_object_set_new(h, "username", msg_text(s->username, strlen(s->username)));
    json_object_set_new(h, "date", json_string(date));
    json_object_set_new(h, "msg_type", msg_text(msg_type, strlen(msg_type)));
    json_object_set_new(h, "version", json_string(MSG_PROTOCOL_VERSION));
    return h;
}

/* Fills `m` with a new message of type `msg_type`: a fresh header, parent_header a deep
 * copy of parent->header ({} when parent is NULL or has no header), metadata {} and
 * `content` (taken: the reference is stolen; NULL means {}). `m` is overwritten, not
 * freed: pass an empty message (wire_msg_init or fresh), never one holding references.
 * Identities and buffers are left empty; the caller sets them (wire_msg_set_ids with
 * the request's ids for a reply, wire_msg_set_topic for iopub). Free with
 * wire_msg_fini. */
void msg_build(wire_msg_t *m, const msg_session_t *s, const char *msg_type,
               const wire_msg_t *parent, json_t *content) {
    wire_msg_init(m);
    m->header = msg_header_new(s, msg_type);
    m->parent = parent && parent->header ? json_deep_copy(parent->header) : NULL;
    if (!m->parent)
        m->parent = json_object();
    m->metadata = json_object();
    m->content = content ? content : json_object();
}

static const char *msg_header_string(const wire_msg_t *m, const char *key) {
    if (!m || !m->header)
        return NULL;
    return json_string_value(json_object_get(m->header, key));
}

/* Returns header.msg_type of `m`, borrowed from the header (valid while `m` is), or NULL
 * when absent. */
const char *msg_type(const wire_msg_t *m) {
    return msg_header_string(m, "msg_type");
}

/* Returns header.msg_id of `m`, borrowed (valid while `m` is), or NULL when absent. */
const char *msg_id(const wire_msg_t *m) {
    return msg_header_string(m, "msg_id");
}

/* Returns new error content {ename, evalue, traceback}: traceback is the text split on
 * newlines into a list of lines (a final newline adds no empty line; NULL or "" gives
 * []). NULL ename/evalue become "Error"/"". Invalid UTF-8 is replaced by U+FFFD. */
json_t *msg_error_content(const char *ename, const char *evalue, const char *traceback) {
    ename = ename ? ename : "Error";
    evalue = evalue ? evalue : "";
    json_t *tb = json_array();
    const char *p = traceback;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        json_array_append_new(tb, msg_text(p, len));
        p = e ? e + 1 : p + len;
    }
    json_t *c = json_object();
    json_object_set_new(c, "ename", msg_text(ename, strlen(ename)));
    json_object_set_new(c, "evalue", msg_text(evalue, strlen(evalue)));
    json_object_set_new(c, "traceback", tb);
    return c;
}

/* Returns a new JSON real for v, or JSON null when v is NaN or infinite (JSON has no
 * such numbers and clients reject them). */
json_t *msg_real(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}
