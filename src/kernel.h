/* SPDX-License-Identifier: MIT */
/* kernel.h -- the request dispatcher: Jupyter messages in, replies and iopub out.
 *
 * kernel.c decodes every message received by the server, wraps each request in
 * busy/idle on iopub, calls the handler for its msg_type and sends the reply to the
 * same identities. It implements the language layer's output sink (out_t) on top of
 * iopub messages, keeps the execution counter and this session's history, owns the comm
 * registry, and answers kernel_info, execute, complete, inspect, is_complete, history,
 * comm_info, comm_open/msg/close, shutdown and interrupt. The transport is a pair of
 * callbacks (kernel_io_t), so tests drive the dispatcher without sockets. In the real
 * kernel control requests and iopub welcomes are built on the server's control and
 * publisher threads (kernel.c says what they may touch); everything else runs on the
 * main thread. */
#ifndef MECHVIZ_KERNEL_H
#define MECHVIZ_KERNEL_H

#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

#include "buf.h"
#include "comm.h"
#include "conn.h"
#include "interp.h"
#include "msg.h"
#include "out.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "wire.h"

#define KERNEL_VERSION "0.1.0"
#define KERNEL_LANGUAGE_VERSION "1.0"

/* How the dispatcher reaches the sockets. In the real kernel these wrap server_send
 * and server_try_recv; tests install recording fakes. */
typedef struct kernel_io {
    void *ctx;
    /* Sends an encoded multipart message; returns 0 or -1. Frames are borrowed. */
    int (*send)(void *ctx, server_channel_t ch, const wire_blob_t *frames, size_t n);
    /* Takes one queued message without waiting: 1 with frames (caller frees), 0 when
     * none. May be NULL (then nothing is ever queued, so nothing is aborted). */
    int (*try_recv)(void *ctx, server_channel_t ch, wire_blob_t **frames, size_t *n);
} kernel_io_t;

/* Opens a widget for the language layer (see out_t.widget). Returns 0, or -1 with err
 * filled. The widget code installs one with kernel_set_widget_hook. */
typedef int (*kernel_widget_fn)(void *ctx, const out_widget_t *w, err_t *err);

/* One input of this session's history. */
typedef struct kernel_hist {
    int line;     /* the execution count the input ran as */
    char *input;  /* owned: the cell's code */
    char *output; /* owned: text/plain of its execute_result, or NULL */
} kernel_hist_t;

/* The whole state of one kernel process. One instance lives in main.c. */
typedef struct kernel {
    conn_t conn;            /* the parsed connection file (ports, key, scheme) */
    wire_auth_t auth;       /* HMAC key used to sign and verify every message */
    msg_session_t session;  /* this process's session id and username */
    server_t *server;       /* the sockets; NULL when driven by tests */
    kernel_io_t io;         /* transport callbacks (server-backed, or a test fake) */
    store_t *store;         /* owned: resident tensors and token lists */
    out_t out;              /* the output sink handed to the interpreter */
    interp_t interp;        /* the interpreter: store + out + interrupted */
    comm_registry_t *comms; /* owned: comm targets and open comms */
    volatile sig_atomic_t *interrupted; /* borrowed: set by SIGINT or interrupt_request */

    int execution_count; /* last count used; incremented by store_history executes */
    kernel_hist_t *hist; /* owned array of this session's inputs, oldest first */
    size_t nhist, hist_cap;

    const wire_msg_t *parent;   /* borrowed: request being handled (parent of iopub) */
    server_channel_t parent_ch; /* channel the current request came on */
    int silent;                 /* current execute is silent: publish no output */
    char *last_result;          /* owned: text/plain of this execute's result, or NULL */

    buf_t stream_buf[2]; /* pending stdout (0) and stderr (1) text, not yet sent */
    double stream_last;  /* util_now() of the last stream flush */

    kernel_widget_fn widget; /* widget hook, or NULL: "widgets are not available" */
    void *widget_ctx;        /* passed to widget */

    /* Shell messages that were already queued when a stop_on_error execute failed,
     * taken before its reply went out: executes among them are aborted, the rest are
     * handled normally, after the failed request's idle. Owned frame sets. */
    struct kernel_queued {
        wire_blob_t *frames;
        size_t n;
    } * queued;
    size_t nqueued, queued_cap;
    int shutting_down;     /* set by shutdown_request on shell: the run loop ends */
    int restart;           /* that shutdown_request's restart field */
    unsigned long dropped; /* shell messages dropped as malformed or badly signed */

    /* Written by the control path (the control thread in the real kernel) only. */
    atomic_int control_stop;       /* a shutdown_request came on control */
    unsigned long control_dropped; /* control messages dropped */
} kernel_t;

/* Loads the connection file, binds the sockets (first, before anything slow), creates
 * the store, the comm registry (with the echo target) and the output sink, and
 * publishes status "starting". `interrupted` is the flag the SIGINT handler sets.
 * Returns 0, or -1 with err filled; on failure kernel_fini is still safe to call. */
int kernel_init(kernel_t *k, const char *connection_file,
                volatile sig_atomic_t *interrupted, err_t *err);
/* Like kernel_init without a connection file or sockets: messages are signed with
 * `key` (may be "") and go through `io`. For tests. Returns 0 or -1. */
int kernel_init_io(kernel_t *k, const char *key, const kernel_io_t *io,
                   volatile sig_atomic_t *interrupted, err_t *err);
/* Frees everything kernel_init created. Safe on a zeroed or half-initialised kernel. */
void kernel_fini(kernel_t *k);

/* Serves shell requests until a shutdown_request has been answered (on shell, or on
 * control by the control thread). Returns 0, or -1 on a fatal socket error (logged). */
int kernel_run(kernel_t *k);
/* Decodes and handles one received message (frames are borrowed), all on the calling
 * thread: the single-threaded path of tests (the real kernel hands control messages and
 * subscription events to the server's threads). Bad signatures and malformed messages
 * are logged and dropped. Subscription events on SERVER_IOPUB are answered with
 * iopub_welcome; a shutdown_request on SERVER_CONTROL sets shutting_down too. */
void kernel_handle_frames(kernel_t *k, server_channel_t ch, const wire_blob_t *frames,
                          size_t n);

/* Publishes one iopub message with the current request as parent (or {} between
 * requests). `content` and `metadata` (may be NULL for {}) are stolen; buffers are
 * borrowed. For comms and widgets. Returns 0 or -1. */
int kernel_publish(kernel_t *k, const char *msg_type, json_t *content, json_t *metadata,
                   const wire_blob_t *buffers, size_t nbuffers);
/* Publishes display_data with a ready mime bundle: `data` and `metadata` (may be NULL)
 * are stolen; display_id may be NULL. For widgets (application/vnd.jupyter.widget-
 * view+json). Returns 0 or -1. */
int kernel_display_json(kernel_t *k, json_t *data, json_t *metadata,
                        const char *display_id);
/* Installs the hook behind out.widget (NULL restores "widgets are not available"). */
void kernel_set_widget_hook(kernel_t *k, kernel_widget_fn fn, void *ctx);

/* The mime bundle of a display (text/plain, text/html, image/png base64,
 * image/svg+xml): new references to data and metadata ({"image/png": {"width",
 * "height"}} when a size is given). Invalid UTF-8 is replaced. */
void kernel_bundle_json(const out_bundle_t *b, json_t **data, json_t **metadata);
/* Code-point offset `cp` in UTF-8 `s` to a byte offset (clamped to the end). */
size_t kernel_cp_to_byte(const char *s, size_t cp);
/* Byte offset `byte` in UTF-8 `s` to a code-point offset (clamped to the end). */
size_t kernel_byte_to_cp(const char *s, size_t byte);
/* The traceback lines of an error in `code`: "Kind: line L, column C: message", the
 * source line and a caret under the column. New reference to a JSON list of strings. */
json_t *kernel_traceback(const char *code, const err_t *err);

#endif
