/* SPDX-License-Identifier: MIT */
/* parse.c -- tokenizer and parser of the cell language: lines to statements.
 *
 * A cell is scanned once into logical lines (joining '\' continuations and lines with an
 * open '['), each byte remembering its physical line and column so every error points
 * at the right place. Each logical line is split into words (quoted strings unescaped,
 * bracketed expressions kept whole even with spaces inside) and shaped into a
 * parse_stmt_t. Expressions are checked here with parse_expr, so a syntax error anywhere
 * in a cell is found before anything runs.
 *
 * This file must not know the command table (it is below commands.c): flags are
 * recorded with a *candidate* value and commands_bind decides. It never executes
 * anything and never touches the store. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* =====================================================================================
 */
/* Logical lines */
/* =====================================================================================
 */

/* Text of one logical line with the physical position of every byte. */
typedef struct lline {
    buf_t text;   /* the joined text, comments removed */
    int *lines;   /* lines[i]: 1-based physical line of text.data[i] */
    int *cols;    /* cols[i]: 1-based physical column of text.data[i] */
    size_t cap;   /* entries allocated in lines/cols */
    int end_line; /* position just past the last byte (for "end of line" errors) */
    int end_col;
} lline_t;

static void ll_push(lline_t *ll, char c, int line, int col) {
    if (ll->text.len + 1 > ll->cap) {
        ll->cap = ll->cap ? ll->cap * 2 : 64;
        ll->lines = xrealloc(ll->lines, ll->cap * sizeof *ll->lines);
        ll->cols = xrealloc(ll->cols, ll->cap * sizeof *ll->cols);
    }
    ll->lines[ll->text.len] = line;
    ll->cols[ll->text.len] = col;
    buf_putc(&ll->text, c);
}

static void ll_truncate(lline_t *ll, size_t len) {
    if (len < ll->text.len) {
        ll->text.len = len;
        ll->text.data[len] = '\0';
    }
}

static void ll_fini(lline_t *ll) {
    buf_fini(&ll->text);
    free(ll->lines);
    free(ll->cols);
}

/* Position of byte i of the logical line (or of its end when i is past it). */
static void ll_pos(const lline_t *ll, size_t i, int *line, int *col) {
    if (i < ll->text.len) {
        *line = ll->lines[i];
        *col = ll->cols[i];
    } else {
        *line = ll->end_line;
        *col = ll->end_col;
    }
}

/* =====================================================================================
 */
/* Words */
/* =====================================================================================
 */

typedef struct tok {
    char *text; /* owned; unescaped for strings */
    int quoted; /* a "string" */
    int eq;     /* a standalone '=' */
    int has_eq; /* "--name=": the next token is its explicit value */
    int glued;  /* follows the previous token with no space */
    int line;   /* physical position of the first byte */
    int col;
} tok_t;

typedef struct toks {
    tok_t *v;
    size_t n, cap;
} toks_t;

static tok_t *toks_add(toks_t *t) {
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->v = xrealloc(t->v, t->cap * sizeof *t->v);
    }
    tok_t *k = &t->v[t->n++];
    memset(k, 0, sizeof *k);
    return k;
}

static void toks_fini(toks_t *t) {
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i].text);
    free(t->v);
}

static int is_space(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

/* Returns 1 when c may appear in a name: [A-Za-z_] first, then also [0-9./-]. */
int parse_is_name_char(int c, int first) {
    if (isalpha((unsigned char)c) || c == '_')
        return 1;
    if (first)
        return 0;
    return isdigit((unsigned char)c) || c == '.' || c == '/' || c == '-';
}

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(buf_t *b, uint32_t cp) {
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        buf_putc(b, (char)(0xC0 | (cp >> 6)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        buf_putc(b, (char)(0xE0 | (cp >> 12)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    } else {
        buf_putc(b, (char)(0xF0 | (cp >> 18)));
        buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
        buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_putc(b, (char)(0x80 | (cp & 0x3F)));
    }
}

/* Reads the string starting at t[*i] (a quote) into out, unescaping; *i ends past the
 * closing quote. The scanner has already checked that the quote is closed. */
static int read_string(const lline_t *ll, size_t *i, buf_t *out, err_t *err) {
    const char *t = ll->text.data;
    size_t len = ll->text.len;
    char q = t[*i];
    size_t j = *i + 1;
    int line, col;
    while (j < len && t[j] != q) {
        if (t[j] != '\\' || j + 1 >= len) {
            buf_putc(out, t[j++]);
            continue;
        }
        char e = t[j + 1];
        int digits = 0;
        switch (e) {
        case 'n':
            buf_putc(out, '\n');
            break;
        case 't':
            buf_putc(out, '\t');
            break;
        case 'r':
            buf_putc(out, '\r');
            break;
        case '\\':
            buf_putc(out, '\\');
            break;
        case '"':
            buf_putc(out, '"');
            break;
        case '\'':
            buf_putc(out, '\'');
            break;
        case 'x':
            digits = 2;
            break;
        case 'u':
            digits = 4;
            break;
        case 'U':
            digits = 8;
            break;
        default: /* unknown escapes stay as written, as in Python */
            buf_putc(out, '\\');
            buf_putc(out, e);
        }
        if (digits) {
            uint32_t cp = 0;
            for (int k = 0; k < digits; k++) {
                int h = j + 2 + (size_t)k < len ? hexval(t[j + 2 + k]) : -1;
                if (h < 0) {
                    ll_pos(ll, j, &line, &col);
                    err_set_at(err, line, col, "SyntaxError",
                               "expected %d hex digits after '\\%c' in string", digits,
                               e);
                    return -1;
                }
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                ll_pos(ll, j, &line, &col);
                err_set_at(err, line, col, "SyntaxError",
                           "invalid character \\%c%.*s in string", e, digits, t + j + 2);
                return -1;
            }
            put_utf8(out, cp);
            j += (size_t)digits;
        }
        j += 2;
    }
    *i = j + 1; /* past the closing quote */
    return 0;
}

/* Splits a logical line into words. `first_splits_eq`: in a non-magic line, a '=' in
 * the first word (outside brackets) ends it, so `x=y[0]` is three tokens. */
static int tokenize(const lline_t *ll, toks_t *out, err_t *err) {
    const char *t = ll->text.data;
    size_t len = ll->text.len, i = 0;
    int line, col;
    int magic = 0;
    while (i < len) {
        int glued = i > 0 && !is_space(t[i - 1]);
        while (i < len && is_space(t[i]))
            i++;
        if (i >= len)
            break;
        glued = glued && out->n > 0 && !is_space(t[i - 1]);
        tok_t *k = toks_add(out);
        ll_pos(ll, i, &k->line, &k->col);
        k->glued = glued;
        if (out->n == 1 && t[i] == '%')
            magic = 1;
        if (t[i] == '"' || t[i] == '\'') {
            buf_t s = BUF_INIT;
            if (read_string(ll, &i, &s, err) < 0) {
                buf_fini(&s);
                return -1;
            }
            k->text = s.data ? buf_take(&s, NULL) : xstrdup("");
            k->quoted = 1;
            if (i < len && !is_space(t[i])) {
                ll_pos(ll, i, &line, &col);
                err_set_at(err, line, col, "SyntaxError",
                           "expected a space after the closing quote, found '%c'", t[i]);
                return -1;
            }
            continue;
        }
        if (t[i] == '=' &&
            (i + 1 >= len || is_space(t[i + 1]) || (!magic && out->n == 2))) {
            k->text = xstrdup("=");
            k->eq = 1;
            i++;
            continue;
        }
        size_t s = i;
        int depth = 0, flag = t[i] == '-' && i + 1 < len && t[i + 1] == '-';
        while (i < len && (depth > 0 || !is_space(t[i]))) {
            if (t[i] == '[')
                depth++;
            else if (t[i] == ']' && depth > 0)
                depth--;
            else if (t[i] == '=' && depth == 0 && flag) {
                k->has_eq = 1;
                break;
            } else if (t[i] == '=' && depth == 0 && !magic && out->n == 1)
                break;
            else if ((t[i] == '"' || t[i] == '\'') && depth == 0 && i > s &&
                     t[i - 1] == '=')
                break;
            i++;
        }
        k->text = xstrndup(t + s, i - s);
        if (k->has_eq) {
            i++; /* the '='; the value follows as its own (glued) token */
            if (i >= len || is_space(t[i])) {
                err_set_at(err, k->line, k->col, "SyntaxError",
                           "expected a value after '%s='", k->text);
                return -1;
            }
        }
    }
    return 0;
}

/* =====================================================================================
 */
/* Statements */
/* =====================================================================================
 */

static void stmt_add_arg(parse_stmt_t *st, const tok_t *k) {
    st->args = xrealloc(st->args, (st->nargs + 1) * sizeof *st->args);
    parse_word_t *w = &st->args[st->nargs++];
    w->text = xstrdup(k->text);
    w->quoted = k->quoted;
    w->col = k->col;
}

static int is_flag_tok(const tok_t *k) {
    return !k->quoted && !k->eq && k->text[0] == '-' && k->text[1] == '-' &&
           parse_is_name_char(k->text[2], 1);
}

static int is_name(const char *s) {
    if (!parse_is_name_char(s[0], 1))
        return 0;
    for (s++; *s; s++)
        if (!parse_is_name_char(*s, 0))
            return 0;
    return 1;
}

/* Checks an expression word; `text` must be a valid EXPR. */
static int check_expr(const tok_t *k, err_t *err) {
    parse_expr_t e;
    if (parse_expr(k->text, k->line, k->col, &e, err) < 0)
        return -1;
    parse_expr_fini(&e);
    return 0;
}

static int build_magic(const toks_t *tk, parse_stmt_t *st, err_t *err) {
    const tok_t *k0 = &tk->v[0];
    const char *name = k0->text + 1;
    size_t nlen = strlen(name);
    size_t q = nlen;
    while (q > 0 && name[q - 1] == '?')
        q--;
    if (q == 0) {
        err_set_at(err, k0->line, k0->col + 1, "SyntaxError",
                   "expected a magic name after '%%'");
        return -1;
    }
    for (size_t i = 0; i < q; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_') {
            err_set_at(err, k0->line, k0->col + 1 + (int)i, "SyntaxError",
                       "invalid character '%c' in magic name '%%%.*s'", name[i], (int)q,
                       name);
            return -1;
        }
    if (q < nlen) { /* %name? */
        if (tk->n > 1) {
            err_set_at(err, tk->v[1].line, tk->v[1].col, "SyntaxError",
                       "unexpected '%s' after '%s'", tk->v[1].text, k0->text);
            return -1;
        }
        st->kind = PARSE_HELP;
        st->name = xasprintf("%%%.*s", (int)q, name);
        return 0;
    }
    st->kind = PARSE_MAGIC;
    st->name = xstrdup(name);
    size_t i = 1;
    if (tk->n >= 3 && !tk->v[1].quoted && !tk->v[1].eq && !is_flag_tok(&tk->v[1]) &&
        tk->v[2].eq) {
        if (!is_name(tk->v[1].text)) {
            err_set_at(err, tk->v[1].line, tk->v[1].col, "SyntaxError",
                       "cannot bind to '%s': expected a name before '='", tk->v[1].text);
            return -1;
        }
        st->target = xstrdup(tk->v[1].text);
        st->target_col = tk->v[1].col;
        i = 3;
    }
    for (; i < tk->n; i++) {
        const tok_t *k = &tk->v[i];
        if (!is_flag_tok(k)) {
            stmt_add_arg(st, k);
            continue;
        }
        st->flags = xrealloc(st->flags, (st->nflags + 1) * sizeof *st->flags);
        parse_flag_t *f = &st->flags[st->nflags++];
        memset(f, 0, sizeof *f);
        f->name = xstrdup(k->text + 2);
        f->col = k->col;
        for (const char *c = f->name; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-') {
                err_set_at(err, k->line, k->col + 2 + (int)(c - f->name), "SyntaxError",
                           "invalid character '%c' in flag '%s'", *c, k->text);
                return -1;
            }
        const tok_t *v = i + 1 < tk->n ? &tk->v[i + 1] : NULL;
        if (k->has_eq) {
            f->value_explicit = 1;
        } else if (!v || v->eq || is_flag_tok(v)) {
            continue;
        }
        f->value = xstrdup(v->text);
        f->value_col = v->col;
        f->value_quoted = v->quoted;
        i++;
    }
    /* Validate bracketed expression arguments now, so a bad index fails before the
     * cell runs. A word ending in ']' that starts like a name is an expression. */
    for (size_t a = 0; a < st->nargs; a++) {
        const parse_word_t *w = &st->args[a];
        size_t wl = strlen(w->text);
        if (w->quoted || wl == 0 || w->text[wl - 1] != ']' ||
            !parse_is_name_char(w->text[0], 1))
            continue;
        tok_t k = {(char *)w->text, 0, 0, 0, 0, st->line, w->col};
        if (check_expr(&k, err) < 0)
            return -1;
    }
    return 0;
}

static int build_stmt(const toks_t *tk, parse_stmt_t *st, err_t *err) {
    const tok_t *k0 = &tk->v[0];
    st->line = k0->line;
    st->col = k0->col;
    if (!k0->quoted && k0->text[0] == '%')
        return build_magic(tk, st, err);
    if (k0->quoted || k0->eq) {
        err_set_at(err, k0->line, k0->col, "SyntaxError",
                   "expected a name, an expression or a %%magic, found %s",
                   k0->eq ? "'='" : "a string");
        return -1;
    }
    size_t l0 = strlen(k0->text);
    if (tk->n == 1 && l0 > 0 && k0->text[l0 - 1] == '?') {
        size_t q = l0;
        while (q > 0 && k0->text[q - 1] == '?')
            q--;
        if (q == 0) {
            err_set_at(err, k0->line, k0->col, "SyntaxError",
                       "expected a name before '?'");
            return -1;
        }
        st->kind = PARSE_HELP;
        st->name = xstrndup(k0->text, q);
        tok_t k = *k0;
        k.text = st->name;
        return check_expr(&k, err);
    }
    if (tk->n >= 2 && tk->v[1].eq) {
        if (!is_name(k0->text)) {
            if (strchr(k0->text, '['))
                err_set_at(err, k0->line, k0->col, "SyntaxError",
                           "cannot assign to '%s': views are read-only; bind a new name "
                           "instead, e.g. y = %s",
                           k0->text, k0->text);
            else
                err_set_at(err, k0->line, k0->col, "SyntaxError",
                           "cannot assign to '%s': expected a name before '='", k0->text);
            return -1;
        }
        if (tk->n == 2) {
            err_set_at(err, tk->v[1].line, tk->v[1].col + 1, "SyntaxError",
                       "expected an expression after '='");
            return -1;
        }
        if (tk->n > 3) {
            err_set_at(err, tk->v[3].line, tk->v[3].col, "SyntaxError",
                       "unexpected '%s' after the expression", tk->v[3].text);
            return -1;
        }
        if (tk->v[2].quoted || tk->v[2].eq) {
            err_set_at(err, tk->v[2].line, tk->v[2].col, "SyntaxError",
                       "expected an expression after '=', found %s",
                       tk->v[2].eq ? "'='" : "a string (use %tokens NAME = \"a\" ...)");
            return -1;
        }
        if (check_expr(&tk->v[2], err) < 0)
            return -1;
        st->kind = PARSE_ASSIGN;
        st->name = xstrdup(k0->text);
        stmt_add_arg(st, &tk->v[2]);
        return 0;
    }
    if (check_expr(k0, err) < 0)
        return -1;
    if (tk->n > 1) {
        err_set_at(err, tk->v[1].line, tk->v[1].col, "SyntaxError",
                   "unexpected '%s' after '%s' (magics start with '%%': %%%s ...)",
                   tk->v[1].text, k0->text, k0->text);
        return -1;
    }
    st->kind = PARSE_EXPR;
    stmt_add_arg(st, k0);
    return 0;
}

/* =====================================================================================
 */
/* Cell */
/* =====================================================================================
 */

typedef struct stmts {
    parse_stmt_t *v;
    size_t n, cap;
} stmts_t;

static int finish_line(lline_t *ll, stmts_t *ss, err_t *err) {
    toks_t tk = {NULL, 0, 0};
    int rc = tokenize(ll, &tk, err);
    if (rc == 0 && tk.n > 0) {
        if (ss->n == ss->cap) {
            ss->cap = ss->cap ? ss->cap * 2 : 8;
            ss->v = xrealloc(ss->v, ss->cap * sizeof *ss->v);
        }
        parse_stmt_t *st = &ss->v[ss->n++];
        memset(st, 0, sizeof *st);
        rc = build_stmt(&tk, st, err);
    }
    toks_fini(&tk);
    ll_truncate(ll, 0);
    return rc;
}

/* Parses a cell into statements. Returns 0 with *out (owned; free with parse_free) and
 * *n set, or -1 with a SyntaxError at a line and column in err and *out NULL. When
 * `incomplete` is not NULL it is set to 1 if the error is only that the cell ends too
 * early (open '[', open string, trailing '\'), i.e. more input could complete it. */
int parse_cell_ex(const char *code, parse_stmt_t **out, size_t *n, int *incomplete,
                  err_t *err) {
    stmts_t ss = {NULL, 0, 0};
    lline_t ll;
    memset(&ll, 0, sizeof ll);
    int *stack_line = NULL, *stack_col = NULL; /* positions of open '[' */
    size_t depth = 0, stack_cap = 0;
    char quote = 0;
    int quote_line = 0, quote_col = 0;
    int line = 1, rc = -1;
    const char *p = code;
    *out = NULL;
    *n = 0;
    if (incomplete)
        *incomplete = 0;
    for (;;) {
        const char *nl = strchr(p, '\n');
        size_t plen = nl ? (size_t)(nl - p) : strlen(p);
        int last = nl == NULL;
        if (plen > 0 && p[plen - 1] == '\r')
            plen--;
        size_t line_start = ll.text.len;
        int cont = 0;    /* a '\' continuation was seen */
        long bs_at = -1; /* logical offset of a trailing '\' outside strings */
        for (size_t i = 0; i < plen; i++) {
            char c = p[i];
            int col = (int)i + 1;
            if (quote) {
                if (c == '\\' && i + 1 < plen) {
                    ll_push(&ll, c, line, col);
                    ll_push(&ll, p[i + 1], line, col + 1);
                    i++;
                    continue;
                }
                if (c == '\\') { /* backslash-newline inside a string continues it */
                    cont = 1;
                    break;
                }
                if (c == quote)
                    quote = 0;
                ll_push(&ll, c, line, col);
                continue;
            }
            int word_start = ll.text.len == 0 || is_space(ll.text.data[ll.text.len - 1]);
            if (c == '#' && word_start)
                break;
            if ((c == '"' || c == '\'') && depth == 0 &&
                (word_start || ll.text.data[ll.text.len - 1] == '=')) {
                quote = c;
                quote_line = line;
                quote_col = col;
            } else if (c == '[') {
                if (depth == stack_cap) {
                    stack_cap = stack_cap ? stack_cap * 2 : 4;
                    stack_line = xrealloc(stack_line, stack_cap * sizeof *stack_line);
                    stack_col = xrealloc(stack_col, stack_cap * sizeof *stack_col);
                }
                stack_line[depth] = line;
                stack_col[depth] = col;
                depth++;
            } else if (c == ']') {
                if (depth == 0) {
                    err_set_at(err, line, col, "SyntaxError", "unmatched ']'");
                    goto out;
                }
                depth--;
            }
            if (c == '\\')
                bs_at = (long)ll.text.len;
            else if (!is_space(c))
                bs_at = -1;
            ll_push(&ll, c, line, col);
        }
        ll.end_line = line;
        ll.end_col = (int)plen + 1;
        if (quote && !cont) {
            if (incomplete && last)
                *incomplete = 1;
            err_set_at(err, quote_line, quote_col, "SyntaxError",
                       "unterminated string: expected a closing %c for the string opened "
                       "at line %d, column %d",
                       quote, quote_line, quote_col);
            goto out;
        }
        if (!quote && bs_at >= 0 && (size_t)bs_at >= line_start) {
            ll_truncate(&ll, (size_t)bs_at);
            cont = 1;
        }
        if (cont || depth > 0) {
            if (last) {
                if (incomplete)
                    *incomplete = 1;
                if (depth > 0)
                    err_set_at(err, stack_line[depth - 1], stack_col[depth - 1],
                               "SyntaxError",
                               "expected ']' to close '[' opened at line %d, column %d",
                               stack_line[depth - 1], stack_col[depth - 1]);
                else
                    err_set_at(err, line, (int)plen, "SyntaxError",
                               "unexpected end of cell after line continuation '\\'");
                goto out;
            }
            if (!cont)
                ll_push(&ll, ' ', line, (int)plen + 1);
        } else if (finish_line(&ll, &ss, err) < 0) {
            goto out;
        }
        if (last)
            break;
        p = nl + 1;
        line++;
    }
    *out = ss.v;
    *n = ss.n;
    ss.v = NULL;
    ss.n = 0;
    rc = 0;
out:
    parse_free(ss.v, ss.n);
    ll_fini(&ll);
    free(stack_line);
    free(stack_col);
    return rc;
}

/* Parses a cell; see parse_cell_ex (this is it without the `incomplete` report). */
int parse_cell(const char *code, parse_stmt_t **out, size_t *n, err_t *err) {
    return parse_cell_ex(code, out, n, NULL, err);
}

/* Frees n statements and the array (NULL allowed). */
void parse_free(parse_stmt_t *stmts, size_t n) {
    if (!stmts)
        return;
    for (size_t i = 0; i < n; i++) {
        parse_stmt_t *st = &stmts[i];
        free(st->name);
        free(st->target);
        for (size_t j = 0; j < st->nargs; j++)
            free(st->args[j].text);
        free(st->args);
        for (size_t j = 0; j < st->nflags; j++) {
            free(st->flags[j].name);
            free(st->flags[j].value);
        }
        free(st->flags);
    }
    free(stmts);
}

/* =====================================================================================
 */
/* Expressions */
/* =====================================================================================
 */

/* Describes what is at s for an error message: "'1.5'", "'('" or "the end". */
static void describe(const char *s, char *out, size_t cap) {
    if (!*s) {
        snprintf(out, cap, "the end");
        return;
    }
    size_t n = 0;
    while (s[n] && !is_space(s[n]) && s[n] != ',' && s[n] != ']' && s[n] != '[' &&
           s[n] != ':' && n < 24)
        n++;
    if (n == 0)
        n = 1;
    snprintf(out, cap, "'%.*s'", (int)n, s);
}

/* Reads an optional signed integer at *p; returns 1 if read, 0 if none, -1 on error. */
static int read_int(const char **p, const char *text, int line, int col, int64_t *v,
                    err_t *err) {
    const char *s = *p;
    const char *d = s;
    if (*d == '-' || *d == '+')
        d++;
    if (!isdigit((unsigned char)*d)) {
        if (d != s) {
            char what[40];
            describe(s, what, sizeof what);
            err_set_at(err, line, col + (int)(s - text), "SyntaxError",
                       "expected a number after '%c', found %s", *s, what);
            return -1;
        }
        return 0;
    }
    while (isdigit((unsigned char)*d))
        d++;
    if (parse_is_name_char(*d, 0) && *d != '-' && *d != '/') {
        char what[40];
        describe(s, what, sizeof what);
        err_set_at(err, line, col + (int)(s - text), "IndexError",
                   "only integers, slices (':'), ellipsis ('...') and None are valid "
                   "indices, found %s",
                   what);
        return -1;
    }
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno == ERANGE) {
        err_set_at(err, line, col + (int)(s - text), "IndexError",
                   "index %.*s is too large", (int)(d - s), s);
        return -1;
    }
    *v = (int64_t)x;
    *p = d;
    return 1;
}

static void skip_ws(const char **p) {
    while (is_space(**p))
        (*p)++;
}

/* Parses EXPR (a name with optional numpy basic index) from text, whose first byte is
 * at (line, col) in the cell. Returns 0 with *out filled (free with parse_expr_fini),
 * or -1 with a SyntaxError/IndexError at the offending column. */
int parse_expr(const char *text, int line, int col, parse_expr_t *out, err_t *err) {
    memset(out, 0, sizeof *out);
    const char *p = text;
    char what[40];
    skip_ws(&p);
    if (!parse_is_name_char(*p, 1)) {
        describe(p, what, sizeof what);
        err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                   "expected a name, found %s", what);
        return -1;
    }
    const char *ns = p;
    while (parse_is_name_char(*p, 0))
        p++;
    const char *ne = p;
    skip_ws(&p);
    if (*p == '\0') {
        out->name = xstrndup(ns, (size_t)(ne - ns));
        return 0;
    }
    if (*p != '[') {
        describe(p, what, sizeof what);
        err_set_at(
            err, line, col + (int)(p - text), "SyntaxError",
            "unexpected %s after '%.*s'; expected '[' or the end of the expression", what,
            (int)(ne - ns), ns);
        return -1;
    }
    int open_col = col + (int)(p - text);
    int ellipsis = 0;
    p++;
    for (;;) {
        skip_ws(&p);
        if (*p == ']' && out->nidx > 0)
            break; /* trailing comma */
        if (*p == ']') {
            err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                       "expected an index inside '[]'");
            return -1;
        }
        if (out->nidx == 2 * TENSOR_MAX_DIMS) {
            err_set_at(err, line, col + (int)(p - text), "IndexError",
                       "too many indices (at most %d)", 2 * TENSOR_MAX_DIMS);
            return -1;
        }
        tensor_index_t *it = &out->idx[out->nidx];
        memset(it, 0, sizeof *it);
        it->col = col + (int)(p - text);
        if (strncmp(p, "...", 3) == 0) {
            if (ellipsis++) {
                err_set_at(err, line, it->col, "IndexError",
                           "an index can only have a single ellipsis ('...')");
                return -1;
            }
            it->kind = TI_ELLIPSIS;
            p += 3;
        } else if (strncmp(p, "None", 4) == 0 && !parse_is_name_char(p[4], 0)) {
            it->kind = TI_NEWAXIS;
            p += 4;
        } else {
            int64_t v = 0;
            int r = read_int(&p, text, line, col, &v, err);
            if (r < 0)
                return -1;
            skip_ws(&p);
            if (*p == ':') {
                it->kind = TI_SLICE;
                it->step = 1;
                it->has_start = r;
                it->start = v;
                p++;
                skip_ws(&p);
                r = read_int(&p, text, line, col, &v, err);
                if (r < 0)
                    return -1;
                it->has_stop = r;
                it->stop = v;
                skip_ws(&p);
                if (*p == ':') {
                    p++;
                    skip_ws(&p);
                    const char *sp = p;
                    r = read_int(&p, text, line, col, &v, err);
                    if (r < 0)
                        return -1;
                    if (r == 1 && v == 0) {
                        err_set_at(err, line, col + (int)(sp - text), "ValueError",
                                   "slice step cannot be zero");
                        return -1;
                    }
                    if (r == 1)
                        it->step = v;
                }
            } else if (r == 1) {
                it->kind = TI_INT;
                it->i = v;
            } else {
                describe(p, what, sizeof what);
                err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                           "expected an index (integer, slice, '...' or None), found %s",
                           what);
                return -1;
            }
        }
        out->nidx++;
        skip_ws(&p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']')
            break;
        if (*p == '\0') {
            err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                       "expected ']' to close '[' opened at column %d", open_col);
            return -1;
        }
        describe(p, what, sizeof what);
        err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                   "expected ',' or ']' in the index, found %s", what);
        return -1;
    }
    p++;
    skip_ws(&p);
    if (*p == '[') {
        err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                   "chained indexing is not supported: write all indices in one pair of "
                   "brackets, as in %.*s[0, 1]",
                   (int)(ne - ns), ns);
        return -1;
    }
    if (*p) {
        describe(p, what, sizeof what);
        err_set_at(err, line, col + (int)(p - text), "SyntaxError",
                   "unexpected %s after ']'", what);
        return -1;
    }
    out->has_index = 1;
    out->name = xstrndup(ns, (size_t)(ne - ns));
    return 0;
}

/* Frees what parse_expr allocated (the name); the struct itself is the caller's. */
void parse_expr_fini(parse_expr_t *e) {
    if (!e)
        return;
    free(e->name);
    e->name = NULL;
}
