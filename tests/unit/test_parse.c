/* SPDX-License-Identifier: MIT */
/* test_parse.c -- unit tests for parse.c: statements, words, flags, expressions, errors.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse.h"

/* Parses code expecting success and n statements. */
static parse_stmt_t *ok(const char *code, size_t want, size_t *n) {
    parse_stmt_t *st = NULL;
    err_t e;
    err_clear(&e);
    int rc = parse_cell(code, &st, n, &e);
    if (rc != 0)
        fprintf(stderr, "  parse failed: %s (line %d, col %d) for: %s\n", e.msg, e.line,
                e.col, code);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(*n, want);
    return st;
}

/* Parses code expecting a SyntaxError (or other kind) at line/col containing msg. */
static void bad(const char *code, int line, int col, const char *msg, int incomplete) {
    parse_stmt_t *st = (parse_stmt_t *)1;
    size_t n = 99;
    int inc = -1;
    err_t e;
    err_clear(&e);
    CHECK_EQ_INT(parse_cell_ex(code, &st, &n, &inc, &e), -1);
    CHECK(st == NULL);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(e.line, line);
    CHECK_EQ_INT(e.col, col);
    CHECK_CONTAINS(e.msg, msg);
    CHECK_EQ_INT(inc, incomplete);
}

static void test_magic_args_flags(void) {
    size_t n;
    parse_stmt_t *st = ok("%attention x[0, 2:4] --tokens toks --static", 1, &n);
    CHECK_EQ_INT(st[0].kind, PARSE_MAGIC);
    CHECK_EQ_STR(st[0].name, "attention");
    CHECK_EQ_INT(st[0].line, 1);
    CHECK_EQ_INT(st[0].col, 1);
    CHECK_EQ_INT(st[0].nargs, 1);
    CHECK_EQ_STR(st[0].args[0].text, "x[0, 2:4]");
    CHECK_EQ_INT(st[0].args[0].col, 12);
    CHECK_EQ_INT(st[0].args[0].quoted, 0);
    CHECK_EQ_INT(st[0].nflags, 2);
    CHECK_EQ_STR(st[0].flags[0].name, "tokens");
    CHECK_EQ_STR(st[0].flags[0].value, "toks");
    CHECK_EQ_INT(st[0].flags[0].col, 22);
    CHECK_EQ_INT(st[0].flags[0].value_col, 31);
    CHECK_EQ_INT(st[0].flags[0].value_explicit, 0);
    CHECK_EQ_STR(st[0].flags[1].name, "static");
    CHECK(st[0].flags[1].value == NULL);
    CHECK(st[0].target == NULL);
    parse_free(st, n);

    /* A switch followed by a word records it as a candidate value; --k=v is explicit,
     * a quoted value keeps its spaces, negative numbers are values. */
    st = ok("%hist a --log b --vmin=-1 --label=\"two words\" --k -3", 1, &n);
    CHECK_EQ_INT(st[0].nargs, 1);
    CHECK_EQ_INT(st[0].nflags, 4);
    CHECK_EQ_STR(st[0].flags[0].value, "b");
    CHECK_EQ_INT(st[0].flags[0].value_col, 15);
    CHECK_EQ_STR(st[0].flags[1].value, "-1");
    CHECK_EQ_INT(st[0].flags[1].value_explicit, 1);
    CHECK_EQ_STR(st[0].flags[2].value, "two words");
    CHECK_EQ_INT(st[0].flags[2].value_quoted, 1);
    CHECK_EQ_STR(st[0].flags[3].value, "-3");
    parse_free(st, n);

    /* Two flags in a row: the first is a switch. */
    st = ok("%x --a --b 1", 1, &n);
    CHECK(st[0].flags[0].value == NULL);
    CHECK_EQ_STR(st[0].flags[1].value, "1");
    parse_free(st, n);
}

static void test_target_and_strings(void) {
    size_t n;
    parse_stmt_t *st;
    /* 'it''s' is two adjacent strings without a space: an error. */
    bad("%tokens t = 'it''s'", 1, 17, "expected a space after the closing quote", 0);

    st = ok("%tokens toks = \"The\" \" cat\" 'it' \"q\\\"x\\\\\" \"\\u00e9\\t\"", 1, &n);
    CHECK_EQ_STR(st[0].target, "toks");
    CHECK_EQ_INT(st[0].target_col, 9);
    CHECK_EQ_INT(st[0].nargs, 5);
    CHECK_EQ_STR(st[0].args[0].text, "The");
    CHECK_EQ_INT(st[0].args[0].quoted, 1);
    CHECK_EQ_STR(st[0].args[1].text, " cat");
    CHECK_EQ_STR(st[0].args[2].text, "it");
    CHECK_EQ_STR(st[0].args[3].text, "q\"x\\");
    CHECK_EQ_STR(st[0].args[4].text, "\xc3\xa9\t");
    parse_free(st, n);

    st = ok("%load run = data/lr=1e-3.safetensors", 1, &n);
    CHECK_EQ_STR(st[0].target, "run");
    CHECK_EQ_STR(st[0].args[0].text, "data/lr=1e-3.safetensors");
    parse_free(st, n);
    st = ok("%load data/lr=1e-3.npy", 1, &n);
    CHECK(st[0].target == NULL);
    CHECK_EQ_STR(st[0].args[0].text, "data/lr=1e-3.npy");
    parse_free(st, n);
    st = ok("%echo \"a # not a comment\" # a comment", 1, &n);
    CHECK_EQ_INT(st[0].nargs, 1);
    CHECK_EQ_STR(st[0].args[0].text, "a # not a comment");
    parse_free(st, n);
    st = ok("%echo \"\"", 1, &n);
    CHECK_EQ_STR(st[0].args[0].text, "");
    parse_free(st, n);

    bad("%tokens t = \"\\u12\"", 1, 14, "expected 4 hex digits after '\\u'", 0);
    bad("%tokens t = \"\\x00\"", 1, 14, "invalid character", 0);
    bad("%tokens t = \"abc", 1, 13, "unterminated string", 1);
    bad("%tokens t = \"abc\nx", 1, 13, "unterminated string", 0);
    bad("%load x[0] = a.npy", 1, 7, "cannot bind to 'x[0]'", 0);
}

static void test_statements(void) {
    size_t n;
    parse_stmt_t *st = ok("# comment\n\nx = blocks.3.attn.hook_pattern[0, 5]\n"
                          "  y=x[1:]\nx  # show it\nx?\n%load?\n%help load\nx[0]??",
                          7, &n);
    CHECK_EQ_INT(st[0].kind, PARSE_ASSIGN);
    CHECK_EQ_STR(st[0].name, "x");
    CHECK_EQ_STR(st[0].args[0].text, "blocks.3.attn.hook_pattern[0, 5]");
    CHECK_EQ_INT(st[0].line, 3);
    CHECK_EQ_INT(st[0].args[0].col, 5);
    CHECK_EQ_INT(st[1].kind, PARSE_ASSIGN);
    CHECK_EQ_STR(st[1].name, "y");
    CHECK_EQ_STR(st[1].args[0].text, "x[1:]");
    CHECK_EQ_INT(st[1].col, 3);
    CHECK_EQ_INT(st[1].args[0].col, 5);
    CHECK_EQ_INT(st[2].kind, PARSE_EXPR);
    CHECK_EQ_STR(st[2].args[0].text, "x");
    CHECK_EQ_INT(st[3].kind, PARSE_HELP);
    CHECK_EQ_STR(st[3].name, "x");
    CHECK_EQ_INT(st[4].kind, PARSE_HELP);
    CHECK_EQ_STR(st[4].name, "%load");
    CHECK_EQ_INT(st[5].kind, PARSE_MAGIC);
    CHECK_EQ_STR(st[5].name, "help");
    CHECK_EQ_STR(st[5].args[0].text, "load");
    CHECK_EQ_INT(st[6].kind, PARSE_HELP);
    CHECK_EQ_STR(st[6].name, "x[0]");
    CHECK_EQ_INT(st[6].line, 9);
    parse_free(st, n);

    st = ok("", 0, &n);
    CHECK(st == NULL);
    st = ok("\n  \n# only a comment\r\n", 0, &n);
    parse_free(st, n);
}

static void test_continuation(void) {
    size_t n;
    parse_stmt_t *st = ok("%attention x \\\n    --tokens toks\n%who", 2, &n);
    CHECK_EQ_STR(st[0].name, "attention");
    CHECK_EQ_STR(st[0].flags[0].name, "tokens");
    CHECK_EQ_STR(st[0].flags[0].value, "toks");
    CHECK_EQ_INT(st[0].flags[0].col, 5); /* physical column on line 2 */
    CHECK_EQ_INT(st[1].line, 3);
    parse_free(st, n);
    /* An open bracket continues the line. */
    st = ok("y = x[0,\n      2:4]\ny", 2, &n);
    CHECK_EQ_STR(st[0].args[0].text, "x[0,       2:4]");
    CHECK_EQ_INT(st[1].line, 3);
    parse_free(st, n);
    bad("%load a \\", 1, 9, "line continuation", 1);
    bad("y = x[0,\n 1", 1, 6, "expected ']' to close '[' opened at line 1, column 6", 1);
}

static void test_syntax_errors(void) {
    bad("%who\nx = y[0]]\n%who", 2, 9, "unmatched ']'", 0);
    bad("%", 1, 2, "expected a magic name after '%'", 0);
    bad("%lo!ad x", 1, 4, "invalid character '!'", 0);
    bad("x y", 1, 3, "unexpected 'y' after 'x'", 0);
    bad("x[0] = y", 1, 1, "cannot assign to 'x[0]'", 0);
    bad("x =", 1, 4, "expected an expression after '='", 0);
    bad("x = \"s\"", 1, 5, "found a string", 0);
    bad("x = y z", 1, 7, "unexpected 'z'", 0);
    bad("%load? x", 1, 8, "unexpected 'x'", 0);
    bad("\"str\"", 1, 1, "found a string", 0);
    bad("%who\n%x y[1:a]", 2, 8, "expected ',' or ']'", 0);
    bad("%x --lab=", 1, 4, "expected a value after '--lab='", 0);
    bad("y = x[0] + 1", 2 - 1, 10, "unexpected '+'", 0);
}

static parse_expr_t expr_ok(const char *text) {
    parse_expr_t e;
    err_t err;
    err_clear(&err);
    int rc = parse_expr(text, 1, 1, &e, &err);
    if (rc != 0)
        fprintf(stderr, "  parse_expr failed: %s (col %d) for: %s\n", err.msg, err.col,
                text);
    CHECK_EQ_INT(rc, 0);
    return e;
}

static void expr_bad(const char *text, int col, const char *kind, const char *msg) {
    parse_expr_t e;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(parse_expr(text, 4, 1, &e, &err), -1);
    CHECK_EQ_INT(err.line, 4);
    CHECK_EQ_INT(err.col, col);
    CHECK_EQ_STR(err_kind(&err), kind);
    CHECK_CONTAINS(err.msg, msg);
    CHECK(e.name == NULL);
}

static void test_expr(void) {
    parse_expr_t e = expr_ok("blocks.3.attn.hook_pattern");
    CHECK_EQ_STR(e.name, "blocks.3.attn.hook_pattern");
    CHECK_EQ_INT(e.has_index, 0);
    CHECK_EQ_INT(e.nidx, 0);
    parse_expr_fini(&e);

    e = expr_ok("x[0, -1, 2:4, :, ::-2, 1::3, ..., None, :-1,]");
    CHECK_EQ_STR(e.name, "x");
    CHECK_EQ_INT(e.has_index, 1);
    CHECK_EQ_INT(e.nidx, 9);
    CHECK_EQ_INT(e.idx[0].kind, TI_INT);
    CHECK_EQ_INT(e.idx[0].i, 0);
    CHECK_EQ_INT(e.idx[0].col, 3);
    CHECK_EQ_INT(e.idx[1].i, -1);
    CHECK_EQ_INT(e.idx[2].kind, TI_SLICE);
    CHECK(e.idx[2].has_start && e.idx[2].has_stop);
    CHECK_EQ_INT(e.idx[2].start, 2);
    CHECK_EQ_INT(e.idx[2].stop, 4);
    CHECK_EQ_INT(e.idx[2].step, 1);
    CHECK(!e.idx[3].has_start && !e.idx[3].has_stop);
    CHECK_EQ_INT(e.idx[4].step, -2);
    CHECK(!e.idx[4].has_start && !e.idx[4].has_stop);
    CHECK(e.idx[5].has_start && !e.idx[5].has_stop);
    CHECK_EQ_INT(e.idx[5].start, 1);
    CHECK_EQ_INT(e.idx[5].step, 3);
    CHECK_EQ_INT(e.idx[6].kind, TI_ELLIPSIS);
    CHECK_EQ_INT(e.idx[7].kind, TI_NEWAXIS);
    CHECK(!e.idx[8].has_start && e.idx[8].has_stop);
    CHECK_EQ_INT(e.idx[8].stop, -1);
    parse_expr_fini(&e);

    e = expr_ok("  a [ 1 : 2 ]  ");
    CHECK_EQ_STR(e.name, "a");
    CHECK_EQ_INT(e.nidx, 1);
    CHECK_EQ_INT(e.idx[0].col, 7);
    parse_expr_fini(&e);

    expr_bad("x[0", 4, "SyntaxError", "expected ']' to close '[' opened at column 2");
    expr_bad("x[]", 3, "SyntaxError", "expected an index inside '[]'");
    expr_bad("x[..., ...]", 8, "IndexError", "single ellipsis");
    expr_bad("x[::0]", 5, "ValueError", "slice step cannot be zero");
    expr_bad("x[1.5]", 3, "IndexError", "found '1.5'");
    expr_bad("x[a]", 3, "SyntaxError", "expected an index");
    expr_bad("x[0]y", 5, "SyntaxError", "unexpected 'y' after ']'");
    expr_bad("x[0][1]", 5, "SyntaxError", "chained indexing is not supported");
    expr_bad("3x", 1, "SyntaxError", "expected a name, found '3x'");
    expr_bad("", 1, "SyntaxError", "expected a name, found the end");
    expr_bad("x[99999999999999999999]", 3, "IndexError", "too large");
    expr_bad("x[-]", 3, "SyntaxError", "expected a number after '-'");
    expr_bad("x(0)", 2, "SyntaxError", "unexpected '(0)' after 'x'");
    expr_bad("x[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", 35, "IndexError",
             "too many indices");
}

static void test_name_chars(void) {
    CHECK(parse_is_name_char('a', 1));
    CHECK(parse_is_name_char('_', 1));
    CHECK(!parse_is_name_char('3', 1));
    CHECK(!parse_is_name_char('.', 1));
    CHECK(parse_is_name_char('3', 0));
    CHECK(parse_is_name_char('.', 0));
    CHECK(parse_is_name_char('/', 0));
    CHECK(!parse_is_name_char('[', 0));
    CHECK(!parse_is_name_char(' ', 0));
}

CHECK_MAIN(test_magic_args_flags, test_target_and_strings, test_statements,
           test_continuation, test_syntax_errors, test_expr, test_name_chars)
