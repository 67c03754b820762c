/* SPDX-License-Identifier: MIT */
/* server.c -- the ZeroMQ sockets: bind, poll, receive and send raw frames, heartbeat.
 *
 * The only file that includes zmq.h, so the transport can be read (and replaced) in one
 * place. It binds all five sockets at start, before anything slow, so a client's
 * kernel_info retries find the kernel at once. It does not sign, verify or parse: frames
 * in, frames out. The main thread owns shell, control, stdin and the iopub XPUB; the
 * heartbeat ROUTER lives on its own thread and echoes every message until told to stop
 * through an inproc PAIR socket. */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define SERVER_LINGER_MS 200     /* shell, control, stdin, heartbeat */
#define SERVER_IOPUB_LINGER 1000 /* lets the last idle and shutdown_reply leave */
#define SERVER_HB_STOP "inproc://mechviz-hb-stop"

struct server {
    void *ctx;     /* the zmq context */
    void *sock[4]; /* indexed by server_channel_t: shell, control, stdin, iopub */
    void *hb;      /* heartbeat ROUTER, used only by the heartbeat thread */
    void *hb_stop; /* main-thread end of the inproc PAIR that stops the thread */
    pthread_t hb_thread;
    int hb_running;
};

static const char *const server_names[4] = {"shell", "control", "stdin", "iopub"};

static int server_setopt_int(void *sock, int opt, int value) {
    return zmq_setsockopt(sock, opt, &value, sizeof value);
}

static void *server_socket(server_t *s, int type, const conn_t *c, int port,
                           const char *name, err_t *err) {
    void *sock = zmq_socket(s->ctx, type);
    if (!sock) {
        err_set(err, "ServerError", "cannot create %s socket: %s", name,
                zmq_strerror(zmq_errno()));
        return NULL;
    }
    server_setopt_int(sock, ZMQ_LINGER, SERVER_LINGER_MS);
    if (type == ZMQ_ROUTER) {
        int64_t max = (int64_t)WIRE_MAX_FRAME;
        zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &max, sizeof max);
    }
    if (type == ZMQ_XPUB) {
        server_setopt_int(sock, ZMQ_LINGER, SERVER_IOPUB_LINGER);
        server_setopt_int(sock, ZMQ_SNDHWM, 0); /* no limit: iopub is never dropped */
        server_setopt_int(sock, ZMQ_XPUB_VERBOSE, 1);
        server_setopt_int(sock, ZMQ_XPUB_NODROP, 1);
    }
    char ep[512];
    conn_endpoint(c, port, ep, sizeof ep);
    if (zmq_bind(sock, ep) != 0) {
        err_set(err, "ServerError", "cannot bind %s socket to %s: %s", name, ep,
                zmq_strerror(zmq_errno()));
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Reads one whole multipart message. Returns 1 with frames, 0 when none is ready
 * (flags ZMQ_DONTWAIT) or it was dropped as oversized, -1 on a socket error. */
static int server_read(void *sock, const char *name, int flags, wire_blob_t **frames,
                       size_t *n) {
    wire_blob_t *fr = NULL;
    size_t nf = 0, cap = 0, total = 0;
    int oversized = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc;
        do
            rc = zmq_msg_recv(&m, sock, nf == 0 ? flags : 0);
        while (rc < 0 && zmq_errno() == EINTR);
        if (rc < 0) {
            int e = zmq_errno();
            zmq_msg_close(&m);
            wire_frames_free(fr, nf);
            if (e == EAGAIN && nf == 0)
                return 0;
            log_error("%s: receive failed: %s", name, zmq_strerror(e));
            return -1;
        }
        size_t len = zmq_msg_size(&m);
        int more = zmq_msg_more(&m);
        total += len;
        if (!oversized && (nf >= WIRE_MAX_FRAMES || total > SERVER_MAX_TOTAL)) {
            oversized = 1;
            wire_frames_free(fr, nf);
            fr = NULL;
            nf = cap = 0;
        }
        if (!oversized) {
            if (nf == cap) {
                cap = cap ? 2 * cap : 8;
                fr = xrealloc(fr, cap * sizeof *fr);
            }
            fr[nf].data = xmalloc(len + 1);
            if (len)
                memcpy(fr[nf].data, zmq_msg_data(&m), len);
            fr[nf].data[len] = 0;
            fr[nf].len = len;
            nf++;
        }
        zmq_msg_close(&m);
        if (!more)
            break;
    }
    if (oversized) {
        log_warn("%s: dropped an oversized message (%zu bytes)", name, total);
        return 0;
    }
    *frames = fr;
    *n = nf;
    return 1;
}

static void *server_hb_main(void *arg) {
    server_t *s = arg;
    void *stop = zmq_socket(s->ctx, ZMQ_PAIR);
    if (!stop || zmq_connect(stop, SERVER_HB_STOP) != 0) {
        log_error("heartbeat: cannot connect its stop socket");
        if (stop)
            zmq_close(stop);
        return NULL;
    }
    for (;;) {
        zmq_pollitem_t items[2] = {{s->hb, 0, ZMQ_POLLIN, 0}, {stop, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, 2, -1);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        /* Echo every part back, identity included, so REQ and DEALER pingers work. */
        int more = 1;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            int r;
            do
                r = zmq_msg_recv(&m, s->hb, ZMQ_DONTWAIT);
            while (r < 0 && zmq_errno() == EINTR);
            if (r < 0) {
                zmq_msg_close(&m);
                break;
            }
            more = zmq_msg_more(&m);
            do
                r = zmq_msg_send(&m, s->hb, more ? ZMQ_SNDMORE : 0);
            while (r < 0 && zmq_errno() == EINTR);
            if (r < 0)
                zmq_msg_close(&m);
        }
    }
    zmq_close(stop);
    return NULL;
}

/* server_new: binds the five sockets of `c` and starts the heartbeat thread. Returns
 * the server (free with server_free), or NULL with err filled when a socket cannot be
 * created or bound. */
server_t *server_new(const conn_t *c, err_t *err) {
    server_t *s = xcalloc(1, sizeof *s);
    s->ctx = zmq_ctx_new();
    if (!s->ctx) {
        err_set(err, "ServerError", "cannot create a zmq context");
        free(s);
        return NULL;
    }
    static const int types[4] = {ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_ROUTER, ZMQ_XPUB};
    const int ports[4] = {c->shell_port, c->control_port, c->stdin_port, c->iopub_port};
    for (int i = 0; i < 4; i++) {
        s->sock[i] = server_socket(s, types[i], c, ports[i], server_names[i], err);
        if (!s->sock[i])
            goto fail;
    }
    server_setopt_int(s->sock[SERVER_CONTROL], ZMQ_ROUTER_HANDOVER, 1);
    s->hb = server_socket(s, ZMQ_ROUTER, c, c->hb_port, "heartbeat", err);
    if (!s->hb)
        goto fail;
    s->hb_stop = zmq_socket(s->ctx, ZMQ_PAIR);
    if (!s->hb_stop || zmq_bind(s->hb_stop, SERVER_HB_STOP) != 0) {
        err_set(err, "ServerError", "cannot bind the heartbeat stop socket");
        goto fail;
    }
    /* The heartbeat thread blocks every signal, so SIGINT always lands on the main
     * thread, where it interrupts the poll and the running cell sees the flag. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&s->hb_thread, NULL, server_hb_main, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        err_set(err, "ServerError", "cannot start the heartbeat thread");
        goto fail;
    }
    s->hb_running = 1;
    return s;
fail:
    server_free(s);
    return NULL;
}

/* server_free: stops the heartbeat thread, closes every socket and terminates the
 * context. NULL is allowed. */
void server_free(server_t *s) {
    if (!s)
        return;
    if (s->hb_running) {
        int r;
        do
            r = zmq_send(s->hb_stop, "stop", 4, 0);
        while (r < 0 && zmq_errno() == EINTR);
        pthread_join(s->hb_thread, NULL);
    }
    if (s->hb_stop)
        zmq_close(s->hb_stop);
    if (s->hb)
        zmq_close(s->hb);
    for (int i = 0; i < 4; i++)
        if (s->sock[i])
            zmq_close(s->sock[i]);
    int r;
    do
        r = zmq_ctx_term(s->ctx);
    while (r < 0 && zmq_errno() == EINTR);
    free(s);
}

/* server_recv: waits up to timeout_ms (-1 forever) for a message on control, iopub
 * (subscription events) or shell, in that priority. Returns 1 with *frames (caller
 * frees with wire_frames_free) and *ch; 0 on timeout, signal or a dropped oversized
 * message; -1 with err filled on a fatal socket error. */
int server_recv(server_t *s, int timeout_ms, server_channel_t *ch, wire_blob_t **frames,
                size_t *n, err_t *err) {
    static const server_channel_t order[3] = {SERVER_CONTROL, SERVER_IOPUB, SERVER_SHELL};
    zmq_pollitem_t items[3];
    for (int i = 0; i < 3; i++) {
        items[i].socket = s->sock[order[i]];
        items[i].fd = 0;
        items[i].events = ZMQ_POLLIN;
        items[i].revents = 0;
    }
    int rc = zmq_poll(items, 3, timeout_ms);
    if (rc < 0) {
        if (zmq_errno() == EINTR)
            return 0;
        err_set(err, "ServerError", "poll failed: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        int r = server_read(s->sock[order[i]], server_names[order[i]], ZMQ_DONTWAIT,
                            frames, n);
        if (r < 0) {
            err_set(err, "ServerError", "%s: receive failed", server_names[order[i]]);
            return -1;
        }
        if (r == 1) {
            *ch = order[i];
            return 1;
        }
    }
    return 0;
}

/* server_try_recv: one message from channel `ch` without waiting. Returns 1 with
 * *frames (caller frees), 0 when nothing is queued (or on a receive error). */
int server_try_recv(server_t *s, server_channel_t ch, wire_blob_t **frames, size_t *n) {
    int r = server_read(s->sock[ch], server_names[ch], ZMQ_DONTWAIT, frames, n);
    return r == 1 ? 1 : 0;
}

/* server_send: sends n frames as one multipart message on `ch`, retrying on EINTR.
 * Frames are borrowed. Returns 0, or -1 when a part could not be sent (logged). */
int server_send(server_t *s, server_channel_t ch, const wire_blob_t *frames, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int flags = i + 1 < n ? ZMQ_SNDMORE : 0;
        int r;
        do
            r = zmq_send(s->sock[ch], frames[i].data, frames[i].len, flags);
        while (r < 0 && zmq_errno() == EINTR);
        if (r < 0) {
            /* ROUTER to a vanished peer: EHOSTUNREACH only with ROUTER_MANDATORY; any
             * failure mid-message is logged, the rest of the message is lost. */
            log_warn("%s: send failed: %s", server_names[ch], zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    return 0;
}
