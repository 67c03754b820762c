/* SPDX-License-Identifier: MIT */
/* fuzz_parse.c -- libFuzzer target for the cell parser, expressions and the interpreter.
 *
 * The input, as a C string, goes through parse_cell_ex, parse_expr, interp_is_complete,
 * interp_complete and interp_inspect (at a cursor taken from the first byte) against a
 * small store (x: float32 [2, 3, 4], e: int8 [0, 2], toks, a table m); and, when every
 * magic of the cell is one that touches no file and no widget, through interp_run too
 * (indexing, views, display, help, errors). Beyond "no crash, leak or sanitizer report",
 * it checks invariants: every error has a kind, a message and a 1-based position; every
 * statement and word has a position; is_complete agrees with the parser. Any abort() is a
 * bug in parse.c, commands.c or interp.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "interp.h"
#include "parse.h"
#include "store.h"

/* Magics safe to run on arbitrary input: no filesystem, no widgets, no heavy compute. */
static int safe_magic(const char *name) {
    static const char *const ok[] = {"who",  "info", "free", "tokens",
                                     "echo", "help", "clear"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(name, ok[i]) == 0)
            return 1;
    return commands_find(name) == NULL; /* unknown magics only produce an error */
}

static void fz_stream(void *ctx, int fd, const char *t, size_t len) {
    (void)ctx, (void)fd, (void)t, (void)len;
}
static void fz_display(void *ctx, const out_bundle_t *b, int update) {
    (void)ctx, (void)update;
    if (!b->text)
        abort();
}
static void fz_result(void *ctx, const out_bundle_t *b) {
    (void)ctx;
    if (!b->text)
        abort();
}

static store_t *fz_store(void) {
    store_t *s = store_new(1 << 20);
    int64_t sx[] = {2, 3, 4}, se[] = {0, 2}, s3[] = {3};
    tensor_t *x = tensor_new(DT_F32, 3, sx, NULL);
    for (int64_t i = 0; i < 24; i++)
        tensor_set_flat(x, i, (double)i - 3.5);
    store_put_tensor(s, "x", x, "fuzz", NULL);
    store_put_tensor(s, "e", tensor_new(DT_I8, 2, se, NULL), "fuzz", NULL);
    strlist_t l = STRLIST_INIT;
    strlist_push(&l, "a");
    strlist_push(&l, " b\n");
    store_put_strings(s, "toks", &l, "fuzz", NULL);
    strlist_t cols = STRLIST_INIT;
    strlist_push(&cols, "v");
    store_put_table(s, "m", &cols, 3, "fuzz", NULL);
    store_put_tensor(s, "m.v", tensor_new(DT_F64, 1, s3, NULL), "fuzz", NULL);
    return s;
}

static void check_err(const err_t *e) {
    if (!e->kind || !e->msg[0] || e->line < 1 || e->col < 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *code = malloc(size + 1);
    if (!code)
        return 0;
    memcpy(code, data, size);
    code[size] = '\0';

    parse_stmt_t *st = NULL;
    size_t n = 0;
    int incomplete = 0;
    err_t e;
    err_clear(&e);
    int rc = parse_cell_ex(code, &st, &n, &incomplete, &e);
    int safe = rc == 0;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            if (st[i].kind == PARSE_MAGIC && !safe_magic(st[i].name))
                safe = 0;
            if (st[i].line < 1 || st[i].col < 1)
                abort();
            for (size_t j = 0; j < st[i].nargs; j++)
                if (!st[i].args[j].text || st[i].args[j].col < 1)
                    abort();
            for (size_t j = 0; j < st[i].nflags; j++)
                if (!st[i].flags[j].name || st[i].flags[j].col < 1)
                    abort();
        }
        parse_free(st, n);
    } else {
        if (st || n)
            abort();
        check_err(&e);
    }
    const char *verdict = interp_is_complete(code, NULL);
    if ((rc == 0) != (strcmp(verdict, "complete") == 0))
        abort();
    if (rc < 0 && (incomplete != (strcmp(verdict, "incomplete") == 0)))
        abort();

    parse_expr_t ex;
    err_clear(&e);
    if (parse_expr(code, 1, 1, &ex, &e) == 0) {
        if (!ex.name || ex.nidx < 0 || ex.nidx > 2 * TENSOR_MAX_DIMS)
            abort();
        parse_expr_fini(&ex);
    } else {
        check_err(&e);
    }

    store_t *store = fz_store();
    out_t out = {NULL, fz_stream, fz_display, fz_result, NULL, NULL, NULL};
    volatile sig_atomic_t intr = 0;
    interp_t in = {store, &out, &intr};
    if (safe) {
        err_clear(&e);
        if (interp_run(&in, code, &e) < 0)
            check_err(&e);
    }
    size_t cursor = size ? data[0] % (size + 1) : 0;
    strlist_t m = STRLIST_INIT;
    size_t s = 0, en = 0;
    if (interp_complete(&in, code, cursor, &m, &s, &en) != 0 || s > en ||
        en > strlen(code))
        abort();
    strlist_fini(&m);
    buf_t b = BUF_INIT;
    interp_inspect(&in, code, cursor, 1, &b);
    buf_fini(&b);
    store_free(store);
    free(code);
    return 0;
}
