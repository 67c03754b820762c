/* SPDX-License-Identifier: MIT */
/* commands.h -- the command table: every magic, its flags, its handler and its help.
 *
 * Each family of magics lives in its own file (cmd_tensor.c, cmd_plot.c, cmd_widget.c)
 * and exports a table terminated by an all-NULL entry; commands.c joins the tables and
 * provides the helpers handlers share (argument resolution, flag lookup). To add a magic:
 * write `static int cmd_NAME(cmd_ctx_t *, const parse_stmt_t *, err_t *)` in the right
 * family file, add a row to its table, and add a case file under tests/cases/. */
#ifndef MECHVIZ_COMMANDS_H
#define MECHVIZ_COMMANDS_H

#include <signal.h>
#include <stddef.h>

#include "out.h"
#include "parse.h"
#include "store.h"
#include "tensor.h"
#include "util.h"

typedef struct cmd_ctx {
    store_t *store;                    /* borrowed: resident names */
    const out_t *out;                  /* borrowed: where output goes */
    volatile sig_atomic_t *interrupted;/* set asynchronously by SIGINT; may be NULL */
} cmd_ctx_t;

typedef int (*cmd_fn)(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err);

typedef struct cmd_spec {
    const char *name;         /* magic name without '%'; NULL ends a table */
    cmd_fn fn;                /* handler: 0 on success, -1 with err filled */
    int min_args, max_args;   /* positional argument count; max -1 = unlimited */
    int takes_target;         /* 1 if "%name TARGET = ..." is accepted, 2 if required */
    const char *flags;        /* space-separated; "name=" takes a value: "tokens= static" */
    const char *usage;        /* "%load [NAME =] PATH" */
    const char *help;         /* one line */
    const char *detail;       /* longer help shown by %help NAME (may be NULL) */
} cmd_spec_t;

extern const cmd_spec_t cmd_tensor_specs[];

const cmd_spec_t *commands_find(const char *name);
size_t commands_count(void);
const cmd_spec_t *commands_at(size_t i);
int commands_check(const cmd_spec_t *spec, const parse_stmt_t *st, err_t *err);
const char *commands_suggest(const char *name);

/* Helpers for handlers. */
const char *cmd_flag(const parse_stmt_t *st, const char *name);
int cmd_flag_double(const parse_stmt_t *st, const char *name, double dflt, double *out,
                    err_t *err);
int cmd_flag_long(const parse_stmt_t *st, const char *name, long dflt, long *out,
                  err_t *err);
tensor_t *cmd_tensor_arg(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text,
                         int col, err_t *err);
const strlist_t *cmd_strings_arg(cmd_ctx_t *ctx, const parse_stmt_t *st,
                                 const char *name, int col, err_t *err);
int cmd_interrupted(const cmd_ctx_t *ctx, err_t *err);

#endif
