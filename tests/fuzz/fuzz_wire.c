/* SPDX-License-Identifier: MIT */
/* fuzz_wire.c -- libFuzzer target for wire_decode/wire_encode on hostile frame lists.
 *
 * The input is a list of frames separated by the byte 0x1f. Each input is decoded three
 * ways: with signing disabled (so the JSON checks are reached), with a real key as
 * received (the signature check), and with a real key after replacing the frame that
 * follows the first "<IDS|MSG>" by the correct signature (so signed messages reach the
 * JSON checks too). Whatever decodes must encode and decode again to the same message.
 * The whole input also goes through msg_text, which must make a valid UTF-8 string of
 * any bytes. Any crash, leak, sanitizer report or abort() here is a bug in wire.c or
 * msg.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "wire.h"

#define FUZZ_SEP 0x1f

static void fuzz_round_trip(const wire_auth_t *a, const wire_msg_t *m) {
    wire_blob_t *f = NULL;
    size_t n = 0;
    if (wire_encode(a, m, &f, &n) != 0)
        abort();
    wire_msg_t d;
    err_t e;
    if (wire_decode(a, f, n, &d, &e) != 0)
        abort();
    if (d.nids != m->nids || d.nbuffers != m->nbuffers)
        abort();
    for (size_t i = 0; i < d.nids; i++)
        if (d.ids[i].len != m->ids[i].len ||
            (d.ids[i].len && memcmp(d.ids[i].data, m->ids[i].data, d.ids[i].len) != 0))
            abort();
    for (size_t i = 0; i < d.nbuffers; i++)
        if (d.buffers[i].len != m->buffers[i].len ||
            (d.buffers[i].len &&
             memcmp(d.buffers[i].data, m->buffers[i].data, d.buffers[i].len) != 0))
            abort();
    if (!json_equal(d.header, m->header) || !json_equal(d.parent, m->parent) ||
        !json_equal(d.metadata, m->metadata) || !json_equal(d.content, m->content))
        abort();
    wire_msg_fini(&d);
    wire_frames_free(f, n);
}

static void fuzz_decode(const wire_auth_t *a, const wire_blob_t *f, size_t n) {
    wire_msg_t m;
    err_t e;
    err_clear(&e);
    if (wire_decode(a, f, n, &m, &e) == 0) {
        if (!m.header || !m.parent || !m.metadata || !m.content)
            abort();
        fuzz_round_trip(a, &m);
        wire_msg_fini(&m);
    } else {
        if (!e.msg[0] || m.header || m.ids || m.buffers)
            abort(); /* a failure must explain itself and leave nothing behind */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* msg_text must turn any bytes into a JSON string (U+FFFD for bad UTF-8) */
    json_t *t = msg_text((const char *)data, size);
    if (!t || !json_is_string(t) || json_string_length(t) < size ||
        !util_utf8_valid(json_string_value(t), json_string_length(t)))
        abort();
    json_decref(t);

    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == FUZZ_SEP;
    wire_blob_t *f = calloc(n, sizeof *f);
    if (!f)
        return 0;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == FUZZ_SEP) {
            f[k].data = (unsigned char *)(uintptr_t)(data + start);
            f[k].len = i - start;
            k++;
            start = i + 1;
        }
    }

    wire_auth_t none, keyed;
    if (wire_auth_init(&none, "", "", NULL) != 0 ||
        wire_auth_init(&keyed, "a0436f6c-1916-498b-8eb9-e81ab9368e84", "hmac-sha256",
                       NULL) != 0)
        abort();
    fuzz_decode(&none, f, n);
    fuzz_decode(&keyed, f, n);

    /* re-sign: put the right signature after the first delimiter */
    for (size_t i = 0; i < n; i++) {
        if (f[i].len == 9 && memcmp(f[i].data, WIRE_DELIM, 9) == 0) {
            if (i + 5 < n) {
                char hex[65];
                wire_sign(&keyed, &f[i + 2], hex);
                f[i + 1].data = (unsigned char *)hex;
                f[i + 1].len = 64;
                fuzz_decode(&keyed, f, n);
            }
            break;
        }
    }
    wire_auth_fini(&none);
    wire_auth_fini(&keyed);
    free(f);
    return 0;
}
