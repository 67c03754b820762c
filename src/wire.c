/* SPDX-License-Identifier: MIT */
/* wire.c -- the Jupyter wire format on plain byte frames: identities, HMAC, JSON parts.
 *
 * A message on a zmq socket is a list of frames:
 *     [ident...] "<IDS|MSG>" signature header parent_header metadata content [buffer...]
 * This module converts between such a list and a wire_msg_t, and signs and verifies the
 * signature (lowercase hex HMAC-SHA256 over the exact bytes of the four JSON frames).
 * It verifies before it parses any JSON, so unauthenticated input never reaches the
 * JSON parser, and it caps frame counts and sizes so a hostile peer cannot make it
 * allocate without bound. It knows nothing about sockets (the kernel moves frames in
 * and out of zmq) nor about message types (msg.c builds messages). */
#include "wire.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *const wire_part_names[4] = {"header", "parent_header", "metadata",
                                               "content"};

/* ==== authentication ================================================================ */

/* Prepares `a` for signing with `key` under `scheme`. An empty or NULL key disables
 * signing (keylen 0), whatever the scheme. Otherwise the scheme must be "hmac-sha256"
 * (NULL or "" are taken to mean it). Initialises libsodium (idempotent). Returns 0, or
 * -1 with `err` set and `a` owning nothing. Release with wire_auth_fini. */
int wire_auth_init(wire_auth_t *a, const char *key, const char *scheme, err_t *err) {
    a->key = NULL;
    a->keylen = 0;
    if (sodium_init() < 0) {
        err_set(err, "RuntimeError", "libsodium failed to initialise");
        return -1;
    }
    if (!key || !key[0])
        return 0;
    if (scheme && scheme[0] && strcmp(scheme, "hmac-sha256") != 0) {
        err_set(err, "ValueError", "unsupported signature scheme \"%s\"", scheme);
        return -1;
    }
    a->keylen = strlen(key);
    a->key = xmalloc(a->keylen);
    memcpy(a->key, key, a->keylen);
    return 0;
}

/* Wipes and frees the key. Accepts a zeroed or already finished wire_auth_t. */
void wire_auth_fini(wire_auth_t *a) {
    if (!a)
        return;
    if (a->key) {
        sodium_memzero(a->key, a->keylen);
        free(a->key);
    }
    a->key = NULL;
    a->keylen = 0;
}

/* Writes the signature of the four JSON frames into hex: 64 lowercase hex digits and a
 * NUL, or "" when signing is disabled. The key may have any length. */
void wire_sign(const wire_auth_t *a, const wire_blob_t parts[4], char hex[65]) {
    if (!a || a->keylen == 0) {
        hex[0] = '\0';
        return;
    }
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, a->key, a->keylen);
    for (int i = 0; i < 4; i++)
        crypto_auth_hmacsha256_update(&st, parts[i].data, parts[i].len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, 65, mac, sizeof mac); /* lowercase */
    sodium_memzero(&st, sizeof st);
}

/* Checks the received signature frame `sig` against the four JSON frames. Returns 0 when
 * it matches (exact lowercase hex, compared in constant time after a length check) or
 * when signing is disabled, -1 otherwise. */
int wire_verify(const wire_auth_t *a, const wire_blob_t parts[4],
                const wire_blob_t *sig) {
    if (!a || a->keylen == 0)
        return 0;
    if (!sig || sig->len != 64)
        return -1;
    char hex[65];
    wire_sign(a, parts, hex);
    return sodium_memcmp(hex, sig->data, 64) == 0 ? 0 : -1;
}

/* ==== messages ====================================================================== */

/* Makes `m` empty: no identities, no JSON parts, no buffers. Does not free anything. */
void wire_msg_init(wire_msg_t *m) {
    memset(m, 0, sizeof *m);
}

static void wire_blobs_free(wire_blob_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(b[i].data);
    free(b);
}

static void wire_blob_copy(wire_blob_t *dst, const void *data, size_t len) {
    dst->data = xmalloc(len ? len : 1);
    if (len)
        memcpy(dst->data, data, len);
    dst->len = len;
}

/* Releases everything `m` owns (identities, buffers, one reference to each JSON part)
 * and leaves it empty, as after wire_msg_init. Accepts NULL. */
void wire_msg_fini(wire_msg_t *m) {
    if (!m)
        return;
    wire_blobs_free(m->ids, m->nids);
    wire_blobs_free(m->buffers, m->nbuffers);
    json_decref(m->header);
    json_decref(m->parent);
    json_decref(m->metadata);
    json_decref(m->content);
    wire_msg_init(m);
}

/* Replaces the identities of `m` with copies of ids[0..n) (the caller keeps `ids`). Use
 * it to address a reply: wire_msg_set_ids(&reply, req.ids, req.nids). */
void wire_msg_set_ids(wire_msg_t *m, const wire_blob_t *ids, size_t n) {
    wire_blobs_free(m->ids, m->nids);
    m->ids = NULL;
    m->nids = 0;
    if (n == 0)
        return;
    m->ids = xcalloc(n, sizeof *m->ids);
    for (size_t i = 0; i < n; i++)
        wire_blob_copy(&m->ids[i], ids[i].data, ids[i].len);
    m->nids = n;
}

/* Replaces the identities of `m` with a single frame holding `topic` (for iopub, e.g.
 * "kernel.<session>.status"). */
void wire_msg_set_topic(wire_msg_t *m, const char *topic) {
    wire_blob_t b = {(unsigned char *)(uintptr_t)topic, strlen(topic)};
    wire_msg_set_ids(m, &b, 1);
}

/* Appends a copy of data[len] as a raw buffer frame after the content. */
void wire_msg_add_buffer(wire_msg_t *m, const void *data, size_t len) {
    m->buffers = xrealloc(m->buffers, (m->nbuffers + 1) * sizeof *m->buffers);
    wire_blob_copy(&m->buffers[m->nbuffers], data, len);
    m->nbuffers++;
}

/* Parses one JSON frame, which must be an object. Returns a new reference or NULL with
 * `err` set. */
static json_t *wire_parse_part(const wire_blob_t *f, const char *name, err_t *err) {
    json_error_t jerr;
    json_t *v = json_loadb((const char *)f->data, f->len, JSON_DECODE_ANY, &jerr);
    if (!v) {
        err_set(err, "ProtocolError", "%s is not valid JSON: %s (line %d, column %d)",
                name, jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        err_set(err, "ProtocolError", "%s is not a JSON object", name);
        json_decref(v);
        return NULL;
    }
    return v;
}

/* Decodes frames[0..n) into `out`, which is overwritten (initialised, never freed:
 * pass an empty message). The caller keeps `frames`; `out` owns copies of identities
 * and buffers and one reference to each JSON object. Checks, in this order: frame count
 * and sizes, the delimiter, at least five frames after it, the signature (over the raw
 * bytes, before any JSON parsing; skipped when signing is disabled), then that each
 * part is a JSON object in valid UTF-8 and that the header has string msg_id,
 * msg_type and session. Returns 0, or -1 with a precise `err` ("bad signature", "no
 * <IDS|MSG> delimiter", ...) and `out` empty. */
int wire_decode(const wire_auth_t *a, const wire_blob_t *frames, size_t n,
                wire_msg_t *out, err_t *err) {
    wire_msg_init(out);
    if (n > WIRE_MAX_FRAMES) {
        err_set(err, "ProtocolError", "message of %zu frames exceeds limit of %d", n,
                WIRE_MAX_FRAMES);
        return -1;
    }
    size_t delim = n;
    for (size_t i = 0; i < n; i++) {
        if (frames[i].len > WIRE_MAX_FRAME) {
            err_set(err, "ProtocolError", "frame of %zu bytes exceeds limit",
                    frames[i].len);
            return -1;
        }
        if (delim == n && frames[i].len == sizeof WIRE_DELIM - 1 &&
            memcmp(frames[i].data, WIRE_DELIM, sizeof WIRE_DELIM - 1) == 0)
            delim = i;
    }
    if (delim == n) {
        err_set(err, "ProtocolError", "no <IDS|MSG> delimiter");
        return -1;
    }
    if (n - delim - 1 < 5) {
        err_set(err, "ProtocolError",
                "%zu frames after <IDS|MSG>, need at least 5 (signature and four JSON "
                "parts)",
                n - delim - 1);
        return -1;
    }
    const wire_blob_t *sig = &frames[delim + 1];
    const wire_blob_t *parts = &frames[delim + 2];
    for (int i = 0; i < 4; i++) {
        if (parts[i].len > WIRE_MAX_JSON) {
            err_set(err, "ProtocolError", "%s frame of %zu bytes exceeds limit",
                    wire_part_names[i], parts[i].len);
            return -1;
        }
    }
    if (wire_verify(a, parts, sig) < 0) {
        err_set(err, "ProtocolError", "bad signature");
        return -1;
    }
    wire_msg_t m;
    wire_msg_init(&m);
    json_t **slots[4] = {&m.header, &m.parent, &m.metadata, &m.content};
    for (int i = 0; i < 4; i++) {
        *slots[i] = wire_parse_part(&parts[i], wire_part_names[i], err);
        if (!*slots[i])
            goto fail;
    }
    static const char *const required[3] = {"msg_id", "msg_type", "session"};
    for (int i = 0; i < 3; i++) {
        if (!json_is_string(json_object_get(m.header, required[i]))) {
            err_set(err, "ProtocolError", "header has no string \"%s\"", required[i]);
            goto fail;
        }
    }
    wire_msg_set_ids(&m, frames, delim);
    size_t nbuf = n - delim - 6;
    if (nbuf) {
        m.buffers = xcalloc(nbuf, sizeof *m.buffers);
        for (size_t i = 0; i < nbuf; i++)
            wire_blob_copy(&m.buffers[i], frames[delim + 6 + i].data,
                           frames[delim + 6 + i].len);
        m.nbuffers = nbuf;
    }
    *out = m;
    return 0;
fail:
    wire_msg_fini(&m);
    return -1;
}

/* Dumps one JSON part compactly (UTF-8, not ASCII-escaped); NULL dumps as "{}". */
static int wire_dump_part(const json_t *v, wire_blob_t *dst) {
    if (!v) {
        wire_blob_copy(dst, "{}", 2);
        return 0;
    }
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    size_t len = json_dumpb(v, NULL, 0, flags);
    if (len == 0)
        return -1;
    dst->data = xmalloc(len);
    dst->len = json_dumpb(v, (char *)dst->data, len, flags);
    if (dst->len != len)
        return -1; /* cannot happen for an unchanged value; the caller frees data */
    return 0;
}

/* Encodes `m` into a new frame array: identities, "<IDS|MSG>", the signature (lowercase
 * hex, "" when signing is disabled), header, parent_header, metadata and content
 * (JSON_COMPACT, "{}" for a NULL part), then the buffers. On success *frames and *n
 * receive the array, which the caller frees with wire_frames_free. Returns 0, or -1
 * (a part jansson cannot dump) with *frames NULL and *n 0. */
int wire_encode(const wire_auth_t *a, const wire_msg_t *m, wire_blob_t **frames,
                size_t *n) {
    *frames = NULL;
    *n = 0;
    size_t total = m->nids + 6 + m->nbuffers;
    wire_blob_t *f = xcalloc(total, sizeof *f);
    size_t k = 0;
    for (size_t i = 0; i < m->nids; i++)
        wire_blob_copy(&f[k++], m->ids[i].data, m->ids[i].len);
    wire_blob_copy(&f[k++], WIRE_DELIM, sizeof WIRE_DELIM - 1);
    size_t sig = k++;
    const json_t *parts[4] = {m->header, m->parent, m->metadata, m->content};
    for (int i = 0; i < 4; i++) {
        if (wire_dump_part(parts[i], &f[k]) < 0) {
            wire_frames_free(f, total);
            return -1;
        }
        k++;
    }
    char hex[65];
    wire_sign(a, &f[sig + 1], hex);
    wire_blob_copy(&f[sig], hex, strlen(hex));
    for (size_t i = 0; i < m->nbuffers; i++)
        wire_blob_copy(&f[k++], m->buffers[i].data, m->buffers[i].len);
    *frames = f;
    *n = total;
    return 0;
}

/* Frees a frame array from wire_encode (each frame's data, then the array). Accepts
 * NULL. */
void wire_frames_free(wire_blob_t *frames, size_t n) {
    wire_blobs_free(frames, n);
}
