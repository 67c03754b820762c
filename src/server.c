/* SPDX-License-Identifier: MIT */
/* server.c -- the ZeroMQ sockets: bind, poll, receive and send raw frames, threads.
 *
 * The only file that includes zmq.h, so the transport can be read (and replaced) in one
 * place. It binds all five sockets at start, before anything slow, so a client's
 * kernel_info retries find the kernel at once. It does not sign, verify or parse: frames
 * in, frames out (the control and welcome hooks of kernel.c do that).
 *
 * Threads, each the only user of its sockets (zmq sockets are not thread-safe; every
 * socket is created and bound here on the main thread and handed to its thread by
 * pthread_create, which is the full barrier zmq asks for):
 *   - main: shell and stdin ROUTERs, a PUSH to the publisher, the wake PAIR;
 *   - control: the control ROUTER and its own PUSH to the publisher; it calls the
 *     control hook for every message and wakes the main thread when told to stop;
 *   - publisher: the iopub XPUB and the PULL that both PUSHes feed. A PUSH/PULL pipe is
 *     FIFO, so each sender's busy, outputs and idle stay in order; high-water marks are
 *     0 (unlimited) and XPUB_NODROP is set, so nothing is dropped silently. Subscription
 *     events get the welcome built by the welcome hook;
 *   - heartbeat: a ROUTER that echoes every message.
 * Each thread also polls an inproc PAIR on which server_free sends "stop". The
 * publisher is stopped last and empties its PULL first, so the final idle and
 * shutdown_reply still leave (iopub lingers a second on close). */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#define SERVER_LINGER_MS 200     /* shell, control, stdin, heartbeat */
#define SERVER_IOPUB_LINGER 1000 /* lets the last idle and shutdown_reply leave */
#define SERVER_PIPE "inproc://mechviz-iopub"
#define SERVER_WAKE "inproc://mechviz-wake"
#define SERVER_FORWARD_BATCH 64 /* iopub messages forwarded between two polls */

enum { SERVER_T_CONTROL, SERVER_T_HB, SERVER_T_PUB, SERVER_NTHREADS };

typedef struct server_thread {
    pthread_t id;
    void *stop;      /* main-thread end of the inproc PAIR that stops the thread */
    void *stop_peer; /* the thread's end */
    int running;
} server_thread_t;

struct server {
    void *ctx; /* the zmq context */
    server_hooks_t hooks;
    void *sock[4]; /* by server_channel_t; control: control thread, iopub: publisher */
    void *hb;      /* heartbeat ROUTER (heartbeat thread) */
    void *pull;    /* publisher: what the PUSHes send */
    void *push[2]; /* main thread's [0] and control thread's [1] way to iopub */
    void *wake, *wake_peer; /* PAIR: the control thread wakes server_recv to stop */
    atomic_int stopping;    /* set once the control hook asked to stop */
    server_thread_t th[SERVER_NTHREADS];
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

/* Sends one multipart message on `sock`, retrying on EINTR. 0, or -1 (logged). */
static int server_send_sock(void *sock, const char *name, const wire_blob_t *frames,
                            size_t n) {
    for (size_t i = 0; i < n; i++) {
        int flags = i + 1 < n ? ZMQ_SNDMORE : 0;
        int r;
        do
            r = zmq_send(sock, frames[i].data, frames[i].len, flags);
        while (r < 0 && zmq_errno() == EINTR);
        if (r < 0) {
            /* ROUTER to a vanished peer: EHOSTUNREACH only with ROUTER_MANDATORY; any
             * failure mid-message is logged, the rest of the message is lost. */
            log_warn("%s: send failed: %s", name, zmq_strerror(zmq_errno()));
            return -1;
        }
    }
    return 0;
}

/* Moves one whole message from `from` to `to` without copying. Returns 1, 0 when none
 * is queued (flags ZMQ_DONTWAIT), -1 on a socket error. */
static int server_forward(void *from, void *to, int flags) {
    int more = 1, first = 1;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int r;
        do
            r = zmq_msg_recv(&m, from, first ? flags : 0);
        while (r < 0 && zmq_errno() == EINTR);
        if (r < 0) {
            int e = zmq_errno();
            zmq_msg_close(&m);
            if (first && e == EAGAIN)
                return 0;
            log_error("iopub: forwarding failed: %s", zmq_strerror(e));
            return -1;
        }
        first = 0;
        more = zmq_msg_more(&m);
        do
            r = zmq_msg_send(&m, to, more ? ZMQ_SNDMORE : 0);
        while (r < 0 && zmq_errno() == EINTR);
        if (r < 0) {
            log_warn("iopub: send failed: %s", zmq_strerror(zmq_errno()));
            zmq_msg_close(&m);
        }
    }
    return 1;
}

/* Waits on `sock` and the thread's stop PAIR. 1 when `sock` is readable, 0 when the
 * thread must end (stop, or a fatal poll error, logged). */
static int server_wait(void *sock, void *stop, const char *name) {
    for (;;) {
        zmq_pollitem_t items[2] = {{sock, 0, ZMQ_POLLIN, 0}, {stop, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_error("%s: poll failed: %s", name, zmq_strerror(zmq_errno()));
            return 0;
        }
        if (items[1].revents & ZMQ_POLLIN)
            return 0;
        if (items[0].revents & ZMQ_POLLIN)
            return 1;
    }
}

static void *server_hb_main(void *arg) {
    server_t *s = arg;
    while (server_wait(s->hb, s->th[SERVER_T_HB].stop_peer, "heartbeat")) {
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
    return NULL;
}

static void *server_control_main(void *arg) {
    server_t *s = arg;
    void *sock = s->sock[SERVER_CONTROL];
    while (server_wait(sock, s->th[SERVER_T_CONTROL].stop_peer, "control")) {
        wire_blob_t *frames;
        size_t n;
        if (server_read(sock, "control", ZMQ_DONTWAIT, &frames, &n) != 1)
            continue;
        int stop = s->hooks.control ? s->hooks.control(s->hooks.ctx, s, frames, n) : 0;
        wire_frames_free(frames, n);
        if (stop && atomic_exchange(&s->stopping, 1) == 0) {
            int r;
            do
                r = zmq_send(s->wake_peer, "stop", 4, 0);
            while (r < 0 && zmq_errno() == EINTR);
        }
    }
    return NULL;
}

static void *server_pub_main(void *arg) {
    server_t *s = arg;
    void *xpub = s->sock[SERVER_IOPUB];
    void *stop = s->th[SERVER_T_PUB].stop_peer;
    for (;;) {
        zmq_pollitem_t items[3] = {{s->pull, 0, ZMQ_POLLIN, 0},
                                   {xpub, 0, ZMQ_POLLIN, 0},
                                   {stop, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 3, -1) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_error("iopub: poll failed: %s", zmq_strerror(zmq_errno()));
            break;
        }
        for (int i = 0; i < SERVER_FORWARD_BATCH; i++)
            if (server_forward(s->pull, xpub, ZMQ_DONTWAIT) != 1)
                break;
        wire_blob_t *ev, *out;
        size_t nev, nout;
        if ((items[1].revents & ZMQ_POLLIN) &&
            server_read(xpub, "iopub", ZMQ_DONTWAIT, &ev, &nev) == 1) {
            if (s->hooks.welcome &&
                s->hooks.welcome(s->hooks.ctx, ev, nev, &out, &nout)) {
                server_send_sock(xpub, "iopub", out, nout);
                wire_frames_free(out, nout);
            }
            wire_frames_free(ev, nev);
        }
        if (items[2].revents & ZMQ_POLLIN) {
            /* Every sender has finished: empty the pipe, then end. */
            while (server_forward(s->pull, xpub, ZMQ_DONTWAIT) == 1)
                ;
            break;
        }
    }
    return NULL;
}

/* An inproc socket of `type` bound (bind = 1) or connected to `ep`, unlimited queues,
 * no linger (its peer is always emptied before it is closed). NULL with err filled. */
static void *server_inproc(server_t *s, int type, const char *ep, int bind, err_t *err) {
    void *sock = zmq_socket(s->ctx, type);
    if (sock) {
        server_setopt_int(sock, ZMQ_LINGER, 0);
        server_setopt_int(sock, ZMQ_SNDHWM, 0);
        server_setopt_int(sock, ZMQ_RCVHWM, 0);
        if ((bind ? zmq_bind(sock, ep) : zmq_connect(sock, ep)) == 0)
            return sock;
        zmq_close(sock);
    }
    err_set(err, "ServerError", "cannot open %s: %s", ep, zmq_strerror(zmq_errno()));
    return NULL;
}

/* Creates thread `i`'s stop PAIR and starts it with every signal blocked, so SIGINT
 * always lands on the main thread (where it interrupts the poll and the running cell
 * sees the flag). 0, or -1 with err filled. */
static int server_start(server_t *s, int i, void *(*fn)(void *), err_t *err) {
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://mechviz-stop-%d", i);
    server_thread_t *t = &s->th[i];
    t->stop = server_inproc(s, ZMQ_PAIR, ep, 1, err);
    if (t->stop)
        t->stop_peer = server_inproc(s, ZMQ_PAIR, ep, 0, err);
    if (!t->stop_peer)
        return -1;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int prc = pthread_create(&t->id, NULL, fn, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        err_set(err, "ServerError", "cannot start a thread");
        return -1;
    }
    t->running = 1;
    return 0;
}

static void server_stop(server_t *s, int i) {
    server_thread_t *t = &s->th[i];
    if (!t->running)
        return;
    int r;
    do
        r = zmq_send(t->stop, "stop", 4, 0);
    while (r < 0 && zmq_errno() == EINTR);
    pthread_join(t->id, NULL);
    t->running = 0;
}

static void server_close(void **sock) {
    if (*sock)
        zmq_close(*sock);
    *sock = NULL;
}

/* server_new: binds the five sockets of `c` and the inproc pipes, then starts the
 * publisher, control and heartbeat threads. Returns the server (free with
 * server_free), or NULL with err filled when a socket cannot be created or bound or a
 * thread cannot start. */
server_t *server_new(const conn_t *c, const server_hooks_t *hooks, err_t *err) {
    server_t *s = xcalloc(1, sizeof *s);
    atomic_init(&s->stopping, 0);
    s->hooks = *hooks;
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
    if (!s->hb || !(s->pull = server_inproc(s, ZMQ_PULL, SERVER_PIPE, 1, err)) ||
        !(s->push[0] = server_inproc(s, ZMQ_PUSH, SERVER_PIPE, 0, err)) ||
        !(s->push[1] = server_inproc(s, ZMQ_PUSH, SERVER_PIPE, 0, err)) ||
        !(s->wake = server_inproc(s, ZMQ_PAIR, SERVER_WAKE, 1, err)) ||
        !(s->wake_peer = server_inproc(s, ZMQ_PAIR, SERVER_WAKE, 0, err)))
        goto fail;
    if (server_start(s, SERVER_T_PUB, server_pub_main, err) != 0 ||
        server_start(s, SERVER_T_CONTROL, server_control_main, err) != 0 ||
        server_start(s, SERVER_T_HB, server_hb_main, err) != 0)
        goto fail;
    return s;
fail:
    server_free(s);
    return NULL;
}

/* server_free: stops and joins the control and heartbeat threads, then the publisher
 * (after it has forwarded everything pushed to it), closes every socket and terminates
 * the context. Main thread only; NULL is allowed. */
void server_free(server_t *s) {
    if (!s)
        return;
    server_stop(s, SERVER_T_CONTROL);
    server_stop(s, SERVER_T_HB);
    server_stop(s, SERVER_T_PUB); /* last: the other senders have finished */
    for (int i = 0; i < SERVER_NTHREADS; i++) {
        server_close(&s->th[i].stop);
        server_close(&s->th[i].stop_peer);
    }
    server_close(&s->wake);
    server_close(&s->wake_peer);
    server_close(&s->push[0]);
    server_close(&s->push[1]);
    server_close(&s->pull);
    server_close(&s->hb);
    for (int i = 0; i < 4; i++)
        server_close(&s->sock[i]);
    int r;
    do
        r = zmq_ctx_term(s->ctx);
    while (r < 0 && zmq_errno() == EINTR);
    free(s);
}

/* server_recv: waits up to timeout_ms (-1 forever) for a shell message. Returns 1 with
 * *frames (caller frees with wire_frames_free) and *ch; 0 on timeout, signal, a
 * dropped oversized message or a stop request from the control thread; -1 with err
 * filled on a fatal socket error. */
int server_recv(server_t *s, int timeout_ms, server_channel_t *ch, wire_blob_t **frames,
                size_t *n, err_t *err) {
    zmq_pollitem_t items[2] = {{s->wake, 0, ZMQ_POLLIN, 0},
                               {s->sock[SERVER_SHELL], 0, ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, timeout_ms) < 0) {
        if (zmq_errno() == EINTR)
            return 0;
        err_set(err, "ServerError", "poll failed: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (items[0].revents & ZMQ_POLLIN) {
        char b[8];
        while (zmq_recv(s->wake, b, sizeof b, ZMQ_DONTWAIT) >= 0)
            ;
        return 0; /* the caller checks its own stop flag */
    }
    if (!(items[1].revents & ZMQ_POLLIN))
        return 0;
    int r = server_read(s->sock[SERVER_SHELL], "shell", ZMQ_DONTWAIT, frames, n);
    if (r < 0) {
        err_set(err, "ServerError", "shell: receive failed");
        return -1;
    }
    if (r == 1)
        *ch = SERVER_SHELL;
    return r;
}

/* server_try_recv: one message from shell or stdin without waiting. Returns 1 with
 * *frames (caller frees), 0 when nothing is queued, on a receive error or for a
 * channel the main thread does not own. */
int server_try_recv(server_t *s, server_channel_t ch, wire_blob_t **frames, size_t *n) {
    if (ch != SERVER_SHELL && ch != SERVER_STDIN)
        return 0;
    int r = server_read(s->sock[ch], server_names[ch], ZMQ_DONTWAIT, frames, n);
    return r == 1 ? 1 : 0;
}

/* server_send: main thread. Sends n frames as one message on shell or stdin, or on
 * iopub through the main thread's pipe to the publisher. Frames are borrowed. Returns
 * 0, or -1 when a part could not be sent or `ch` is control (logged). */
int server_send(server_t *s, server_channel_t ch, const wire_blob_t *frames, size_t n) {
    if (ch == SERVER_CONTROL) {
        log_error("control: the main thread cannot send on it");
        return -1;
    }
    return server_send_sock(ch == SERVER_IOPUB ? s->push[0] : s->sock[ch],
                            server_names[ch], frames, n);
}

/* server_control_send: control thread only. Sends on the control ROUTER, or on iopub
 * through the control thread's pipe. Returns 0, or -1 (logged) on failure or for
 * another channel. */
int server_control_send(server_t *s, server_channel_t ch, const wire_blob_t *frames,
                        size_t n) {
    if (ch != SERVER_CONTROL && ch != SERVER_IOPUB) {
        log_error("%s: the control thread cannot send on it", server_names[ch]);
        return -1;
    }
    return server_send_sock(ch == SERVER_IOPUB ? s->push[1] : s->sock[ch],
                            server_names[ch], frames, n);
}
