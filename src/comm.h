/* SPDX-License-Identifier: MIT */
/* comm.h -- the comm registry: targets by name, open comms by id, kernel-side sends.
 *
 * A comm is a long-lived channel between a front-end object and a kernel object, opened
 * on a named target ("jupyter.widget", "jupyter.widget.control", "mechviz.echo").
 * This module keeps the table of targets and of open comms and turns comm_open /
 * comm_msg / comm_close requests into callbacks. It never touches sockets: everything
 * it sends goes through the `comm_publish_fn` the kernel installs, which publishes on
 * iopub with the request being handled as parent (so a reply to a widget's
 * `request_state` carries that request as parent, as the front end requires).
 *
 * Ownership: every json_t * and wire_blob_t passed *into* this API is borrowed; the
 * registry takes its own references where it keeps them. Every json_t * passed to a
 * callback is borrowed for the duration of the call (take a reference to keep it). */
#ifndef MECHVIZ_COMM_H
#define MECHVIZ_COMM_H

#include <jansson.h>
#include <stddef.h>

#include "util.h"
#include "wire.h"

#define COMM_ECHO_TARGET "mechviz.echo"

typedef struct comm_registry comm_registry_t;
typedef struct comm comm_t;

/* Publishes one iopub message ("comm_open", "comm_msg", "comm_close") with the given
 * content, message metadata (may be NULL for {}) and binary buffers; the kernel sets the
 * parent header to the current request. All arguments are borrowed. */
typedef void (*comm_publish_fn)(void *ctx, const char *msg_type, json_t *content,
                                json_t *metadata, const wire_blob_t *buffers,
                                size_t nbuffers);

/* A target's callbacks. Any callback may be NULL. `user` is passed back unchanged. */
typedef struct comm_target {
    /* A front end opened comm `c` on this target. Return 0 to accept; return -1 to
     * reject, and the registry answers with comm_close and forgets the comm. */
    int (*on_open)(void *user, comm_t *c, json_t *data, json_t *metadata,
                   const wire_blob_t *buffers, size_t nbuffers);
    /* A comm_msg arrived on comm `c` (front-end or kernel opened). */
    void (*on_msg)(void *user, comm_t *c, json_t *data, json_t *metadata,
                   const wire_blob_t *buffers, size_t nbuffers);
    /* The front end closed comm `c`; `c` is freed right after this returns. Not
     * called when the kernel closes the comm itself with comm_close. */
    void (*on_close)(void *user, comm_t *c, json_t *data);
    void *user;
} comm_target_t;

/* --- the registry (owned by the kernel) ------------------------------------------- */

/* A new, empty registry that sends through `publish(ctx, ...)`. Never NULL. */
comm_registry_t *comm_registry_new(comm_publish_fn publish, void *ctx);
/* Frees every comm (running their state destructors, publishing nothing) and targets. */
void comm_registry_free(comm_registry_t *r);

/* Registers (or replaces) target `name`; the struct is copied. Returns 0. */
int comm_register_target(comm_registry_t *r, const char *name, const comm_target_t *t);
/* Removes target `name`; open comms on it stay open but get no more callbacks.
 * Returns 0, or -1 when no such target exists. */
int comm_unregister_target(comm_registry_t *r, const char *name);
/* Registers the "mechviz.echo" target: every comm_msg is answered with a comm_msg
 * carrying the same data and buffers. */
void comm_register_echo(comm_registry_t *r);

/* --- requests from the front end (called by kernel.c) ----------------------------- */

/* Handle comm_open / comm_msg / comm_close request content. `metadata` is the
 * message's metadata (may be NULL). An unknown target, or a rejected open, is answered
 * with comm_close. A comm_msg/comm_close for an unknown comm id is logged and ignored.
 * Return 0 when handled, -1 when the content is malformed (missing comm_id etc.) with
 * `err` filled in. */
int comm_handle_open(comm_registry_t *r, json_t *content, json_t *metadata,
                     const wire_blob_t *buffers, size_t nbuffers, err_t *err);
int comm_handle_msg(comm_registry_t *r, json_t *content, json_t *metadata,
                    const wire_blob_t *buffers, size_t nbuffers, err_t *err);
int comm_handle_close(comm_registry_t *r, json_t *content, json_t *metadata,
                      const wire_blob_t *buffers, size_t nbuffers, err_t *err);

/* New reference to the comm_info_reply `comms` object: {comm_id: {"target_name": t}}
 * for every open comm, or only those on `target` when it is not NULL/"". */
json_t *comm_info(const comm_registry_t *r, const char *target);

/* --- kernel-initiated comms (used by widgets) ------------------------------------- */

/* Opens a comm with a fresh uuid4 id on target `target` (which need not be registered
 * as a front-end target, but its callbacks receive later comm_msgs when it is), and
 * publishes comm_open {comm_id, target_name, data} with message `metadata` (e.g.
 * {"version": "2.1.0"}) and `buffers`. `data`/`metadata` may be NULL for {}.
 * Returns the comm (owned by the registry), never NULL. */
comm_t *comm_open(comm_registry_t *r, const char *target, json_t *data, json_t *metadata,
                  const wire_blob_t *buffers, size_t nbuffers);
/* Publishes comm_msg {comm_id, data} with `metadata` (may be NULL) and buffers.
 * Returns 0, or -1 when the comm is already closed. */
int comm_send(comm_t *c, json_t *data, json_t *metadata, const wire_blob_t *buffers,
              size_t nbuffers);
/* Publishes comm_close {comm_id, data} (data may be NULL) and forgets the comm. `c` is
 * invalid afterwards (if called from one of its own callbacks, it stays valid until
 * the callback returns). Returns 0, or -1 when already closed. */
int comm_close(comm_t *c, json_t *data);

/* Looks up an open comm by id; NULL when unknown or closed. Borrowed. */
comm_t *comm_find(const comm_registry_t *r, const char *comm_id);
/* Number of open comms (all targets). */
size_t comm_count(const comm_registry_t *r);

/* --- a comm's properties ---------------------------------------------------------- */

const char *comm_id(const comm_t *c);          /* borrowed, valid while c is */
const char *comm_target_name(const comm_t *c); /* borrowed, valid while c is */
comm_registry_t *comm_registry(const comm_t *c);
/* Attaches per-comm state; `destroy` (may be NULL) runs on it when the comm is closed
 * from either side or the registry is freed. Replacing state destroys the old one. */
void comm_set_state(comm_t *c, void *state, void (*destroy)(void *state));
void *comm_state(const comm_t *c);

#endif
