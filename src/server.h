/* SPDX-License-Identifier: MIT */
/* server.h -- the ZeroMQ sockets: bind, poll, receive and send raw frames, heartbeat.
 *
 * The only module that includes zmq.h. It moves byte frames and knows nothing of
 * signatures or JSON: kernel.c decodes what it receives and encodes what it sends.
 * All sockets except the heartbeat are owned by the calling (main) thread; the
 * heartbeat ROUTER echoes on its own thread so liveness is answered during long cells. */
#ifndef MECHVIZ_SERVER_H
#define MECHVIZ_SERVER_H

#include <stddef.h>

#include "conn.h"
#include "util.h"
#include "wire.h"

typedef enum server_channel {
    SERVER_SHELL = 0,
    SERVER_CONTROL = 1,
    SERVER_STDIN = 2,
    SERVER_IOPUB = 3, /* received frames here are XPUB subscription events */
} server_channel_t;

/* The largest multipart message accepted, in bytes. */
#define SERVER_MAX_TOTAL ((size_t)1 << 30)

typedef struct server server_t;

/* Binds shell, control, stdin (ROUTER), iopub (XPUB, verbose, no HWM drop) and the
 * heartbeat (ROUTER echo on its own thread) at the endpoints of `c`. Returns the server
 * or NULL with err filled (e.g. "address in use"). */
server_t *server_new(const conn_t *c, err_t *err);
/* Stops the heartbeat thread, closes every socket (short linger) and frees. NULL ok. */
void server_free(server_t *s);

/* Waits up to timeout_ms (-1 = forever) for one message: control first, then iopub
 * subscription events, then shell. Returns 1 with *frames (owned by the caller, free
 * with wire_frames_free) and *ch set; 0 on timeout or when a signal interrupted the
 * wait; -1 on a fatal socket error with err filled. Oversized messages (more than
 * WIRE_MAX_FRAMES frames or SERVER_MAX_TOTAL bytes) are read to their end, logged and
 * dropped (then 0 is returned). */
int server_recv(server_t *s, int timeout_ms, server_channel_t *ch, wire_blob_t **frames,
                size_t *n, err_t *err);
/* Non-blocking receive of one message from one channel: 1 with frames, 0 when none. */
int server_try_recv(server_t *s, server_channel_t ch, wire_blob_t **frames, size_t *n);
/* Sends a multipart message on a channel (for iopub the first frame is the topic).
 * Retries on EINTR. Returns 0, or -1 when the send failed (logged). */
int server_send(server_t *s, server_channel_t ch, const wire_blob_t *frames, size_t n);

#endif
