/* SPDX-License-Identifier: MIT */
/* fuzz_parse.c -- libFuzzer target for the cell parser, expressions and completion.
 *
 * The input, as a C string, goes through parse_cell_ex, parse_expr, interp_is_complete,
 * interp_complete and interp_inspect (against an empty store, at a cursor taken from
 * the first byte). Beyond "no crash, leak or sanitizer report", it checks invariants:
 * every error has a kind, a message and a 1-based position; every statement and word
 * has a position; is_complete agrees with the parser. Any abort() is a bug in parse.c,
 * commands.c or interp.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "parse.h"
#include "store.h"

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
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
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

    store_t *store = store_new(0);
    interp_t in = {store, NULL, NULL};
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
