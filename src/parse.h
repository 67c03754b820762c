/* SPDX-License-Identifier: MIT */
/* parse.h -- the command language: a cell's lines to statements, and tensor expressions.
 *
 * Grammar (one statement per line; blank lines and lines starting with '#' are skipped):
 *
 *   %NAME ARG... [--flag [VALUE]]...     a magic; ARG is a word, a "quoted string" or an
 *                                        expression such as x[0, 2:4]
 *   %NAME TARGET = ARG...                a magic binding a name (%load, %tokens)
 *   %NAME?  |  NAME?  |  %help [NAME]    help / inspection
 *   NAME = EXPR                          bind a view
 *   EXPR                                 show a value
 *
 *   EXPR  := NAME [ '[' ITEM (',' ITEM)* ']' ]
 *   NAME  := [A-Za-z_][A-Za-z0-9_./-]*   (TransformerLens names are plain names)
 *   ITEM  := INT | [INT] ':' [INT] [':' [INT]] | '...' | 'None'
 *
 * A line ending in '\' continues on the next line, and so does a line with an open '['.
 * '#' at the start of a word (outside strings) starts a comment. In a magic, `TARGET =`
 * needs '=' as its own word (so paths like lr=1e-3.npy stay whole); `NAME=EXPR` works.
 * Strings ("..." or '...') take C escapes (\n \t \" \\ \xHH \uXXXX). Nothing here
 * executes anything. */
#ifndef MECHVIZ_PARSE_H
#define MECHVIZ_PARSE_H

#include <stddef.h>

#include "tensor.h"
#include "util.h"

typedef enum parse_kind {
    PARSE_MAGIC,  /* %name args... */
    PARSE_ASSIGN, /* name = expr    (name in `name`, expression in args[0]) */
    PARSE_EXPR,   /* expr           (expression in args[0]) */
    PARSE_HELP    /* name? or %name?  (topic in `name`, with a leading % for magics) */
} parse_kind_t;

typedef struct parse_word {
    char *text; /* owned; unescaped for quoted strings */
    int quoted; /* 1 if it was a "string" */
    int col;    /* 1-based column of its first character */
} parse_word_t;

/* The parser does not know which flags take values: `--x TOKEN` records TOKEN as a
 * *candidate* value (value_explicit == 0). commands_bind (commands.c), which knows the
 * magic's flag spec, keeps it for a `name=` flag or gives it back to the positional
 * arguments for a switch. `--x=TOKEN` is explicit and always a value. */
typedef struct parse_flag {
    char *name;         /* owned, without the leading "--" */
    char *value;        /* owned, or NULL for a switch */
    int col;            /* 1-based column of the "--" */
    int value_col;      /* 1-based column of the value, 0 when none */
    int value_quoted;   /* 1 if the value was a "string" */
    int value_explicit; /* 1 for --name=value */
} parse_flag_t;

typedef struct parse_stmt {
    parse_kind_t kind;
    int line;     /* 1-based line in the cell */
    int col;      /* 1-based column where the statement starts */
    char *name;   /* magic name (no %), assignment target, or help topic */
    char *target; /* "%magic TARGET = ...": TARGET, else NULL */
    int target_col;
    parse_word_t *args; /* positional arguments (owned) */
    size_t nargs;
    parse_flag_t *flags; /* --flags (owned) */
    size_t nflags;
} parse_stmt_t;

typedef struct parse_expr {
    char *name;                              /* owned */
    tensor_index_t idx[2 * TENSOR_MAX_DIMS]; /* index items, if has_index */
    int nidx;
    int has_index; /* 1 if brackets were present */
} parse_expr_t;

int parse_cell(const char *code, parse_stmt_t **out, size_t *n, err_t *err);
int parse_cell_ex(const char *code, parse_stmt_t **out, size_t *n, int *incomplete,
                  err_t *err);
void parse_free(parse_stmt_t *stmts, size_t n);
int parse_expr(const char *text, int line, int col, parse_expr_t *out, err_t *err);
void parse_expr_fini(parse_expr_t *e);
int parse_is_name_char(int c, int first);

#endif
