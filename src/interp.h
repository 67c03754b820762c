/* SPDX-License-Identifier: MIT */
/* interp.h -- runs cells; completion, inspection and is-complete for the front end. */
#ifndef MECHVIZ_INTERP_H
#define MECHVIZ_INTERP_H

#include <signal.h>
#include <stddef.h>

#include "buf.h"
#include "out.h"
#include "store.h"
#include "strlist.h"
#include "util.h"

typedef struct interp {
    store_t *store;                     /* borrowed */
    const out_t *out;                   /* borrowed */
    volatile sig_atomic_t *interrupted; /* borrowed; may be NULL */
} interp_t;

int interp_run(interp_t *in, const char *code, err_t *err);
int interp_complete(const interp_t *in, const char *code, size_t cursor,
                    strlist_t *matches, size_t *start, size_t *end);
int interp_inspect(const interp_t *in, const char *code, size_t cursor, int detail,
                   buf_t *text);
const char *interp_is_complete(const char *code, const char **indent);

#endif
