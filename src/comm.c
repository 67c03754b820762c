/* SPDX-License-Identifier: MIT */
/* comm.c -- the comm registry: targets by name, open comms by id, kernel-side sends.
 *
 * Front-end comm_open/comm_msg/comm_close requests become target callbacks; kernel code
 * (widgets) opens, sends on and closes comms. Everything outgoing goes through the
 * publisher the kernel installed, so this file knows neither sockets nor parent headers.
 * Comms closed from inside a callback are unlinked at once (comm_find no longer sees
 * them) but freed only when the outermost callback returns, so a callback may close its
 * own comm safely. */
#include "comm.h"

#include <string.h>

#include "msg.h"

struct comm {
    char *id;             /* owned: the comm id (a uuid4 for kernel-opened comms) */
    char *target;         /* owned: target name */
    comm_registry_t *reg; /* borrowed: the registry that owns this comm */
    void *state;          /* per-comm state set by the target's code */
    void (*destroy)(void *state);
    int closed; /* 1 once closed from either side */
};

typedef struct comm_target_entry {
    char *name; /* owned */
    comm_target_t t;
} comm_target_entry_t;

struct comm_registry {
    comm_publish_fn publish;
    void *ctx;
    comm_target_entry_t *targets; /* owned array */
    size_t ntargets, targets_cap;
    comm_t **comms; /* owned array of owned open comms, in opening order */
    size_t ncomms, comms_cap;
    comm_t **dead; /* closed while a callback ran; freed when depth returns to 0 */
    size_t ndead, dead_cap;
    int depth; /* nesting of callbacks currently running */
};

static void comm_free(comm_t *c) {
    if (!c)
        return;
    if (c->destroy && c->state)
        c->destroy(c->state);
    free(c->id);
    free(c->target);
    free(c);
}

static void comm_reap(comm_registry_t *r) {
    if (r->depth > 0)
        return;
    for (size_t i = 0; i < r->ndead; i++)
        comm_free(r->dead[i]);
    r->ndead = 0;
}

/* Unlinks c from the open list and frees it now or after the running callbacks. */
static void comm_forget(comm_registry_t *r, comm_t *c) {
    for (size_t i = 0; i < r->ncomms; i++) {
        if (r->comms[i] == c) {
            memmove(&r->comms[i], &r->comms[i + 1],
                    (r->ncomms - i - 1) * sizeof *r->comms);
            r->ncomms--;
            break;
        }
    }
    c->closed = 1;
    if (r->ndead == r->dead_cap) {
        r->dead_cap = r->dead_cap ? 2 * r->dead_cap : 8;
        r->dead = xrealloc(r->dead, r->dead_cap * sizeof *r->dead);
    }
    r->dead[r->ndead++] = c;
    comm_reap(r);
}

static comm_t *comm_add(comm_registry_t *r, const char *id, const char *target) {
    comm_t *c = xcalloc(1, sizeof *c);
    c->id = xstrdup(id);
    c->target = xstrdup(target);
    c->reg = r;
    if (r->ncomms == r->comms_cap) {
        r->comms_cap = r->comms_cap ? 2 * r->comms_cap : 16;
        r->comms = xrealloc(r->comms, r->comms_cap * sizeof *r->comms);
    }
    r->comms[r->ncomms++] = c;
    return c;
}

static const comm_target_t *comm_find_target(const comm_registry_t *r, const char *name) {
    for (size_t i = 0; i < r->ntargets; i++)
        if (strcmp(r->targets[i].name, name) == 0)
            return &r->targets[i].t;
    return NULL;
}

/* Publishes msg_type with content {comm_id, [target_name,] data}. */
static void comm_publish(comm_registry_t *r, const char *msg_type, const char *id,
                         const char *target, json_t *data, json_t *metadata,
                         const wire_blob_t *buffers, size_t nbuffers) {
    json_t *content = json_object();
    json_object_set_new(content, "comm_id", json_string(id));
    if (target)
        json_object_set_new(content, "target_name", json_string(target));
    json_object_set_new(content, "data", data ? json_incref(data) : json_object());
    json_t *meta = metadata ? json_incref(metadata) : json_object();
    if (r->publish)
        r->publish(r->ctx, msg_type, content, meta, buffers, nbuffers);
    json_decref(meta);
    json_decref(content);
}

/* comm_registry_new: a new registry publishing through publish(ctx, ...). The caller
 * owns it and frees it with comm_registry_free. Never returns NULL. */
comm_registry_t *comm_registry_new(comm_publish_fn publish, void *ctx) {
    comm_registry_t *r = xcalloc(1, sizeof *r);
    r->publish = publish;
    r->ctx = ctx;
    return r;
}

/* comm_registry_free: frees every open comm (their state destructors run, nothing is
 * published), every target and the registry. NULL is allowed. */
void comm_registry_free(comm_registry_t *r) {
    if (!r)
        return;
    for (size_t i = 0; i < r->ncomms; i++)
        comm_free(r->comms[i]);
    free(r->comms);
    r->depth = 0;
    comm_reap(r);
    free(r->dead);
    for (size_t i = 0; i < r->ntargets; i++)
        free(r->targets[i].name);
    free(r->targets);
    free(r);
}

/* comm_register_target: registers or replaces target `name` with a copy of *t.
 * Returns 0. */
int comm_register_target(comm_registry_t *r, const char *name, const comm_target_t *t) {
    for (size_t i = 0; i < r->ntargets; i++) {
        if (strcmp(r->targets[i].name, name) == 0) {
            r->targets[i].t = *t;
            return 0;
        }
    }
    if (r->ntargets == r->targets_cap) {
        r->targets_cap = r->targets_cap ? 2 * r->targets_cap : 4;
        r->targets = xrealloc(r->targets, r->targets_cap * sizeof *r->targets);
    }
    r->targets[r->ntargets].name = xstrdup(name);
    r->targets[r->ntargets].t = *t;
    r->ntargets++;
    return 0;
}

/* comm_unregister_target: removes target `name`; its open comms stay open without
 * callbacks. Returns 0, or -1 when there is no such target. */
int comm_unregister_target(comm_registry_t *r, const char *name) {
    for (size_t i = 0; i < r->ntargets; i++) {
        if (strcmp(r->targets[i].name, name) == 0) {
            free(r->targets[i].name);
            memmove(&r->targets[i], &r->targets[i + 1],
                    (r->ntargets - i - 1) * sizeof *r->targets);
            r->ntargets--;
            return 0;
        }
    }
    return -1;
}

static void comm_echo_msg(void *user, comm_t *c, json_t *data, json_t *metadata,
                          const wire_blob_t *buffers, size_t nbuffers) {
    UNUSED(user);
    UNUSED(metadata);
    comm_send(c, data, NULL, buffers, nbuffers);
}

/* comm_register_echo: registers COMM_ECHO_TARGET, which answers every comm_msg with a
 * comm_msg carrying the same data and buffers (used by tests and the benchmark). */
void comm_register_echo(comm_registry_t *r) {
    comm_target_t t = {NULL, comm_echo_msg, NULL, NULL};
    comm_register_target(r, COMM_ECHO_TARGET, &t);
}

/* Reads content.comm_id (required string) and content.data (object, default {}). */
static const char *comm_parse(json_t *content, json_t **data, err_t *err) {
    json_t *id = json_is_object(content) ? json_object_get(content, "comm_id") : NULL;
    if (!json_is_string(id) || json_string_length(id) == 0) {
        err_set(err, "ProtocolError", "comm message without a comm_id string");
        return NULL;
    }
    json_t *d = json_object_get(content, "data");
    if (d && !json_is_object(d) && !json_is_null(d)) {
        err_set(err, "ProtocolError", "comm data must be an object");
        return NULL;
    }
    *data = json_is_object(d) ? json_incref(d) : json_object();
    return json_string_value(id);
}

/* comm_handle_open: handles a front-end comm_open. Registers the comm and calls the
 * target's on_open; an unknown target, a duplicate id or a rejection is answered with
 * comm_close. Returns 0, or -1 (err filled) when the content is malformed. */
int comm_handle_open(comm_registry_t *r, json_t *content, json_t *metadata,
                     const wire_blob_t *buffers, size_t nbuffers, err_t *err) {
    json_t *data = NULL;
    const char *id = comm_parse(content, &data, err);
    if (!id)
        return -1;
    json_t *tn = json_object_get(content, "target_name");
    if (!json_is_string(tn)) {
        json_decref(data);
        err_set(err, "ProtocolError", "comm_open without a target_name string");
        return -1;
    }
    const char *target = json_string_value(tn);
    const comm_target_t *t = comm_find_target(r, target);
    if (!t || comm_find(r, id)) {
        if (t)
            log_warn("comm_open: comm id %s is already open", id);
        else
            log_info("comm_open: unknown target '%s', closing comm %s", target, id);
        comm_publish(r, "comm_close", id, NULL, NULL, NULL, NULL, 0);
        json_decref(data);
        return 0;
    }
    comm_t *c = comm_add(r, id, target);
    json_t *meta = metadata ? json_incref(metadata) : json_object();
    int rc = 0;
    if (t->on_open) {
        comm_target_t tc = *t; /* the callback may re-register targets */
        r->depth++;
        rc = tc.on_open(tc.user, c, data, meta, buffers, nbuffers);
        r->depth--;
    }
    if (rc != 0 && !c->closed) {
        comm_publish(r, "comm_close", c->id, NULL, NULL, NULL, NULL, 0);
        comm_forget(r, c);
    }
    comm_reap(r);
    json_decref(meta);
    json_decref(data);
    return 0;
}

/* comm_handle_msg: handles a front-end comm_msg by calling the target's on_msg. An
 * unknown comm id is logged and ignored. Returns 0, or -1 (err filled) when malformed. */
int comm_handle_msg(comm_registry_t *r, json_t *content, json_t *metadata,
                    const wire_blob_t *buffers, size_t nbuffers, err_t *err) {
    json_t *data = NULL;
    const char *id = comm_parse(content, &data, err);
    if (!id)
        return -1;
    comm_t *c = comm_find(r, id);
    const comm_target_t *t = c ? comm_find_target(r, c->target) : NULL;
    if (!c)
        log_info("comm_msg: unknown comm id %s", id);
    if (t && t->on_msg) {
        comm_target_t tc = *t;
        json_t *meta = metadata ? json_incref(metadata) : json_object();
        r->depth++;
        tc.on_msg(tc.user, c, data, meta, buffers, nbuffers);
        r->depth--;
        json_decref(meta);
        comm_reap(r);
    }
    json_decref(data);
    return 0;
}

/* comm_handle_close: handles a front-end comm_close: calls the target's on_close, then
 * frees the comm (publishing nothing). An unknown comm id is logged and ignored.
 * Returns 0, or -1 (err filled) when malformed. */
int comm_handle_close(comm_registry_t *r, json_t *content, json_t *metadata,
                      const wire_blob_t *buffers, size_t nbuffers, err_t *err) {
    UNUSED(metadata);
    UNUSED(buffers);
    UNUSED(nbuffers);
    json_t *data = NULL;
    const char *id = comm_parse(content, &data, err);
    if (!id)
        return -1;
    comm_t *c = comm_find(r, id);
    if (!c) {
        log_info("comm_close: unknown comm id %s", id);
        json_decref(data);
        return 0;
    }
    const comm_target_t *t = comm_find_target(r, c->target);
    r->depth++;
    if (t && t->on_close) {
        comm_target_t tc = *t;
        tc.on_close(tc.user, c, data);
    }
    if (!c->closed)
        comm_forget(r, c);
    r->depth--;
    comm_reap(r);
    json_decref(data);
    return 0;
}

/* comm_info: a new reference to {comm_id: {"target_name": t}} for every open comm, or
 * only those on `target` when it is neither NULL nor "". */
json_t *comm_info(const comm_registry_t *r, const char *target) {
    json_t *o = json_object();
    for (size_t i = 0; i < r->ncomms; i++) {
        const comm_t *c = r->comms[i];
        if (target && *target && strcmp(target, c->target) != 0)
            continue;
        json_t *e = json_object();
        json_object_set_new(e, "target_name", json_string(c->target));
        json_object_set_new(o, c->id, e);
    }
    return o;
}

/* comm_open: opens a kernel-side comm with a fresh uuid4 on `target` and publishes
 * comm_open {comm_id, target_name, data} with message metadata and buffers (all
 * borrowed; data/metadata may be NULL). Returns the comm, owned by the registry. */
comm_t *comm_open(comm_registry_t *r, const char *target, json_t *data, json_t *metadata,
                  const wire_blob_t *buffers, size_t nbuffers) {
    char id[37];
    msg_new_id(id);
    comm_t *c = comm_add(r, id, target);
    comm_publish(r, "comm_open", c->id, c->target, data, metadata, buffers, nbuffers);
    return c;
}

/* comm_send: publishes comm_msg {comm_id, data} with metadata and buffers (borrowed).
 * Returns 0, or -1 when the comm is closed. */
int comm_send(comm_t *c, json_t *data, json_t *metadata, const wire_blob_t *buffers,
              size_t nbuffers) {
    if (!c || c->closed)
        return -1;
    comm_publish(c->reg, "comm_msg", c->id, NULL, data, metadata, buffers, nbuffers);
    return 0;
}

/* comm_close: publishes comm_close {comm_id, data} and forgets the comm (its state
 * destructor runs). `c` is invalid afterwards, except inside one of its own callbacks
 * where it stays valid until the callback returns. Returns 0, or -1 when closed. */
int comm_close(comm_t *c, json_t *data) {
    if (!c || c->closed)
        return -1;
    comm_publish(c->reg, "comm_close", c->id, NULL, data, NULL, NULL, 0);
    comm_forget(c->reg, c);
    return 0;
}

/* comm_find: the open comm with this id (borrowed), or NULL. */
comm_t *comm_find(const comm_registry_t *r, const char *comm_id) {
    if (!comm_id)
        return NULL;
    for (size_t i = 0; i < r->ncomms; i++)
        if (strcmp(r->comms[i]->id, comm_id) == 0)
            return r->comms[i];
    return NULL;
}

/* comm_count: the number of open comms. */
size_t comm_count(const comm_registry_t *r) {
    return r->ncomms;
}

/* comm_id: the comm's id, borrowed, valid while the comm is. */
const char *comm_id(const comm_t *c) {
    return c->id;
}

/* comm_target_name: the comm's target name, borrowed, valid while the comm is. */
const char *comm_target_name(const comm_t *c) {
    return c->target;
}

/* comm_registry: the registry that owns the comm. */
comm_registry_t *comm_registry(const comm_t *c) {
    return c->reg;
}

/* comm_set_state: attaches per-comm state with its destructor (may be NULL), destroying
 * any previous state first. The destructor runs when the comm is closed or freed. */
void comm_set_state(comm_t *c, void *state, void (*destroy)(void *state)) {
    if (c->state && c->destroy && c->state != state)
        c->destroy(c->state);
    c->state = state;
    c->destroy = destroy;
}

/* comm_state: the per-comm state, or NULL. */
void *comm_state(const comm_t *c) {
    return c->state;
}
