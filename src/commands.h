/* SPDX-License-Identifier: MIT */
/* commands.h -- the command table: every magic, its flags, its handler and its help.
 *
 * Each family of magics lives in its own file (cmd_tensor.c, cmd_plot.c, cmd_widget.c)
 * and exports a table terminated by an all-NULL entry; commands.c joins the tables and
 * provides the helpers handlers share (argument resolution, flag lookup). To add a magic:
 * write `static int cmd_NAME(cmd_ctx_t *, const parse_stmt_t *, err_t *)` in the right
 * family file, add a row to its table, and add a case file under tests/cases/.
 *
 * To add a family: export `const cmd_spec_t cmd_FAMILY_specs[]` from cmd_FAMILY.c,
 * declare it below next to cmd_tensor_specs, and add one line `{"FAMILY",
 * cmd_FAMILY_specs},` to the `families` table at the top of commands.c. Help, completion
 * and suggestions pick it up from there.
 *
 * Flags and binding: the parser cannot know whether `--x TOKEN` gives --x a value, so it
 * records TOKEN as a candidate (parse.h). commands_bind, given the spec, keeps it for a
 * flag declared `x=` and gives it back to the positional arguments for a switch, then
 * runs commands_check. A handler sees a bound, checked statement. */
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
    store_t *store;                     /* borrowed: resident names */
    const out_t *out;                   /* borrowed: where output goes */
    volatile sig_atomic_t *interrupted; /* set asynchronously by SIGINT; may be NULL */
} cmd_ctx_t;

typedef int (*cmd_fn)(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err);

typedef struct cmd_spec {
    const char *name;       /* magic name without '%'; NULL ends a table */
    cmd_fn fn;              /* handler: 0 on success, -1 with err filled */
    int min_args, max_args; /* positional argument count; max -1 = unlimited */
    int takes_target;       /* 1 if "%name TARGET = ..." is accepted, 2 if required */
    const char *flags;      /* space-separated; "name=" takes a value: "tokens= static" */
    const char *usage;      /* "%load [NAME =] PATH" */
    const char *help;       /* one line */
    const char *detail;     /* longer help shown by %help NAME (may be NULL) */
} cmd_spec_t;

extern const cmd_spec_t cmd_tensor_specs[];
extern const cmd_spec_t cmd_plot_specs[];
extern const cmd_spec_t cmd_widget_specs[];
extern const cmd_spec_t cmd_analysis_specs[];

const cmd_spec_t *commands_find(const char *name);
size_t commands_count(void);
const cmd_spec_t *commands_at(size_t i);
const char *commands_family(const cmd_spec_t *spec);
int commands_bind(const cmd_spec_t *spec, parse_stmt_t *st, err_t *err);
int commands_check(const cmd_spec_t *spec, const parse_stmt_t *st, err_t *err);
const char *commands_suggest(const char *name);
int commands_has_flag(const cmd_spec_t *spec, const char *flag, int *takes_value);

/* Helpers for handlers. */
const char *cmd_flag(const parse_stmt_t *st, const char *name);
int cmd_flag_double(const parse_stmt_t *st, const char *name, double dflt, double *out,
                    err_t *err);
int cmd_flag_long(const parse_stmt_t *st, const char *name, long dflt, long *out,
                  err_t *err);
tensor_t *cmd_tensor_arg(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text,
                         int col, err_t *err);
const strlist_t *cmd_strings_arg(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *name,
                                 int col, err_t *err);
int cmd_interrupted(const cmd_ctx_t *ctx, err_t *err);
int cmd_open_widget(cmd_ctx_t *ctx, const char *kind, const char *const *keys,
                    const char *const *values, size_t n, const char *text, err_t *err);

/* Statements that are not magics (cmd_tensor.c), called by interp.c. */
int cmd_assign(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err);
int cmd_show(cmd_ctx_t *ctx, const parse_stmt_t *st, int last, err_t *err);
int cmd_help_topic(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err);
int cmd_describe(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text, int col,
                 int stats, buf_t *out, err_t *err);
void cmd_magic_help(const cmd_spec_t *spec, buf_t *out);

#endif
