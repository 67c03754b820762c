/* SPDX-License-Identifier: MIT */
/* server.h -- the ZeroMQ sockets: bind, poll, receive and send raw frames, heartbeat.
 *
 * The only module that includes zmq.h. It moves byte frames and knows nothing of
 * signatures or JSON: kernel.c decodes what it receives and encodes what it sends.
 * Four threads, each owning its sockets (zmq sockets are never shared): the main thread
 * owns shell and stdin and runs cells; the control thread owns the control ROUTER and
 * hands each message to a hook; the publisher thread owns the iopub XPUB, forwards what
 * the main and control threads push to it over inproc, and answers subscriptions with a
 * welcome built by a hook; the heartbeat thread echoes pings. So interrupt, shutdown,
 * kernel_info and new iopub subscribers are answered while a cell computes. */
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
    SERVER_IOPUB = 3, /* subscription events reach the welcome hook */
} server_channel_t;

/* The largest multipart message accepted, in bytes. */
#define SERVER_MAX_TOTAL ((size_t)1 << 30)

typedef struct server server_t;

/* What the server's own threads call back into. Both hooks run off the main thread and
 * may only read state that the main thread never writes while the server lives. */
typedef struct server_hooks {
    void *ctx;
    /* On the control thread, for each control message (frames borrowed). Replies and
     * iopub messages go out with server_control_send(s, ...). Returns 1 when the kernel
     * must stop (shutdown_request): the main thread's server_recv then returns 0 at once.
     */
    int (*control)(void *ctx, server_t *s, const wire_blob_t *frames, size_t n);
    /* On the publisher thread, for each subscription event (frames borrowed): 1 with
     * the encoded welcome in *out (freed by the server), or 0 to send nothing. */
    int (*welcome)(void *ctx, const wire_blob_t *event, size_t n, wire_blob_t **out,
                   size_t *nout);
} server_hooks_t;

/* Binds shell, control, stdin (ROUTER), iopub (XPUB, verbose, no HWM drop) and the
 * heartbeat at the endpoints of `c`, then starts the publisher, control and heartbeat
 * threads (with every signal blocked, so SIGINT lands on the main thread). `hooks` is
 * copied; its ctx must outlive the server. Returns the server or NULL with err filled
 * (e.g. "address in use"). */
server_t *server_new(const conn_t *c, const server_hooks_t *hooks, err_t *err);
/* Stops the control and heartbeat threads, then the publisher once everything pushed
 * to it has gone out, joins them, closes every socket (iopub lingers briefly so the
 * last messages leave) and frees. Call on the main thread. NULL ok. */
void server_free(server_t *s);

/* Main thread. Waits up to timeout_ms (-1 = forever) for one shell message. Returns 1
 * with *frames (owned by the caller, free with wire_frames_free) and *ch set; 0 on
 * timeout, when a signal interrupted the wait or when the control hook asked to stop; -1
 * on a fatal socket error with err filled. Oversized messages (more than WIRE_MAX_FRAMES
 * frames or SERVER_MAX_TOTAL bytes) are read to their end, logged and dropped (then 0 is
 * returned). */
int server_recv(server_t *s, int timeout_ms, server_channel_t *ch, wire_blob_t **frames,
                size_t *n, err_t *err);
/* Main thread. Non-blocking receive of one shell or stdin message: 1 with frames, 0
 * when none. */
int server_try_recv(server_t *s, server_channel_t ch, wire_blob_t **frames, size_t *n);
/* Main thread. Sends a multipart message on shell or stdin, or on iopub (first frame
 * the topic) through the main thread's inproc pipe to the publisher, which keeps this
 * thread's order. Retries on EINTR. Returns 0, or -1 when the send failed (logged). */
int server_send(server_t *s, server_channel_t ch, const wire_blob_t *frames, size_t n);
/* Control thread (inside the control hook) only: like server_send, for the control
 * ROUTER and for iopub through the control thread's own inproc pipe. */
int server_control_send(server_t *s, server_channel_t ch, const wire_blob_t *frames,
                        size_t n);

#endif
