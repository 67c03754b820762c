/* SPDX-License-Identifier: MIT */
/* cmd_tensor.c -- the tensor family of magics (%load, %who, %info, ...) and the plain
 * statements: NAME = EXPR, EXPR, NAME?.
 *
 * These handlers are the user's view of the store: they load files into it, list,
 * describe, drop and save what it holds, and show values numpy-style. They check their
 * arguments, call the data layer (tensor, store, tensor_io, ops) and speak only through
 * ctx->out. They never touch the filesystem except through tensor_io, and never keep a
 * pointer into the store beyond the call. */
#include <inttypes.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "commands.h"
#include "ops.h"
#include "store.h"
#include "tensor.h"
#include "tensor_io.h"

/* =====================================================================================
 */
/* Output helpers */
/* =====================================================================================
 */

static void emit(cmd_ctx_t *ctx, int fd, const char *text) {
    if (ctx->out && ctx->out->stream && text && *text)
        ctx->out->stream(ctx->out->ctx, fd, text, strlen(text));
}

static void emit_bundle(cmd_ctx_t *ctx, const char *text, const char *html, int result) {
    out_bundle_t b;
    memset(&b, 0, sizeof b);
    b.text = text;
    b.html = html;
    if (!ctx->out)
        return;
    if (result && ctx->out->result)
        ctx->out->result(ctx->out->ctx, &b);
    else if (ctx->out->display)
        ctx->out->display(ctx->out->ctx, &b, 0);
}

static void html_escape(buf_t *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

/* Appends s as a Python string literal ('...' unless s holds ' and no "). */
static void put_repr(buf_t *b, const char *s) {
    char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    buf_putc(b, q);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            buf_puts(b, "\\\\");
        else if (*p == (unsigned char)q)
            buf_printf(b, "\\%c", q);
        else if (*p == '\n')
            buf_puts(b, "\\n");
        else if (*p == '\t')
            buf_puts(b, "\\t");
        else if (*p == '\r')
            buf_puts(b, "\\r");
        else if (*p < 0x20 || *p == 0x7f)
            buf_printf(b, "\\x%02x", *p);
        else
            buf_putc(b, (char)*p);
    }
    buf_putc(b, q);
}

static uint64_t strings_bytes(const strlist_t *l) {
    uint64_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += strlen(l->items[i]);
    return n;
}

/* =====================================================================================
 */
/* %load */
/* =====================================================================================
 */

static void describe_item_line(buf_t *b, const char *name, int width, store_kind_t kind,
                               const tensor_t *t, const strlist_t *strings,
                               size_t nrows) {
    buf_printf(b, "  %-*s  ", width, name);
    if (kind == STORE_TENSOR && t) {
        char shp[160];
        tensor_format_shape(t, shp, sizeof shp);
        buf_printf(b, "%-9s%s\n", dtype_name(t->dtype), shp);
    } else if (kind == STORE_STRINGS) {
        buf_printf(b, "token list, %zu string%s\n", strings->n,
                   strings->n == 1 ? "" : "s");
    } else {
        buf_printf(b, "table, %zu row%s, columns:", nrows, nrows == 1 ? "" : "s");
        for (size_t i = 0; i < strings->n; i++)
            buf_printf(b, "%s %s", i ? "," : "", strings->items[i]);
        buf_putc(b, '\n');
    }
}

/* Is `name` a column NAME.COL of a table item of the same load? */
static int is_column_item(const tensor_io_result_t *r, const char *name) {
    for (size_t i = 0; i < r->n; i++) {
        size_t l = strlen(r->items[i].name);
        if (r->items[i].kind == STORE_TABLE && strncmp(name, r->items[i].name, l) == 0 &&
            name[l] == '.')
            return 1;
    }
    return 0;
}

#define LOAD_LIST_MAX 40 /* names %load lists one per line */

static int cmd_load(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *path = &st->args[0];
    tensor_io_result_t r;
    memset(&r, 0, sizeof r);
    if (st->target && !store_name_valid(st->target)) {
        err_set_at(err, st->line, st->target_col, "ValueError",
                   "'%s' is not a valid name", st->target);
        return -1;
    }
    err_t le;
    err_clear(&le);
    if (tensor_io_load(path->text, st->target, &r, &le) < 0) {
        if (err) {
            *err = le;
            if (!err->kind)
                err->kind = "FileError";
            err->line = st->line;
            err->col = path->col;
        }
        tensor_io_result_fini(&r);
        return -1;
    }
    int rc = -1;
    for (size_t i = 0; i < r.n; i++)
        if (!store_name_valid(r.items[i].name)) {
            err_set_at(err, st->line, path->col, "ValueError",
                       "cannot load %s: '%s' is not a valid name; nothing was loaded",
                       path->text, r.items[i].name);
            goto out;
        }
    if (cmd_interrupted(ctx, err) < 0)
        goto out;
    int width = 4;
    for (size_t i = 0; i < r.n; i++)
        if (!is_column_item(&r, r.items[i].name) && (int)strlen(r.items[i].name) > width)
            width = (int)strlen(r.items[i].name);
    buf_t b = BUF_INIT;
    size_t shown = 0;
    for (size_t i = 0; i < r.n; i++)
        if (!is_column_item(&r, r.items[i].name))
            shown++;
    buf_printf(&b, "loaded %zu name%s from %s\n", shown, shown == 1 ? "" : "s",
               path->text);
    /* A TransformerLens cache has hundreds of names: list the first LOAD_LIST_MAX. */
    size_t listed = 0;
    for (size_t i = 0; i < r.n; i++) {
        tensor_io_item_t *it = &r.items[i];
        if (is_column_item(&r, it->name))
            continue;
        if (listed++ == LOAD_LIST_MAX) {
            buf_printf(&b, "  ... and %zu more (%%who lists them)\n",
                       shown - LOAD_LIST_MAX);
            break;
        }
        describe_item_line(&b, it->name, width, it->kind, it->tensor, &it->strings,
                           it->nrows);
    }
    for (size_t i = 0; i < r.notes.n; i++)
        buf_printf(&b, "note: %s\n", r.notes.items[i]);
    /* All names are valid: put every item. A failure now (memory limit) removes what
     * this load put, so the store never holds half a file. */
    if (tensor_io_put(ctx->store, &r, path->text, err) < 0) {
        if (err) {
            err->line = st->line;
            err->col = path->col;
        }
        buf_fini(&b);
        goto out;
    }
    emit(ctx, 1, buf_str(&b));
    buf_fini(&b);
    rc = 0;
out:
    tensor_io_result_fini(&r);
    return rc;
}

/* =====================================================================================
 */
/* %who */
/* =====================================================================================
 */

typedef struct who_row {
    const char *name;
    const char *kind;
    char dtype[16];
    char shape[160];
    char bytes[32];
    const char *source;
} who_row_t;

static void who_fill(const store_entry_t *e, who_row_t *r) {
    r->name = e->name;
    r->source = e->source ? e->source : "";
    if (e->kind == STORE_TENSOR) {
        r->kind = tensor_mem_is_mapped(e->tensor->mem) ? "tensor (mapped)" : "tensor";
        snprintf(r->dtype, sizeof r->dtype, "%s", dtype_name(e->tensor->dtype));
        tensor_format_shape(e->tensor, r->shape, sizeof r->shape);
        util_format_bytes(tensor_nbytes(e->tensor), r->bytes, sizeof r->bytes);
    } else if (e->kind == STORE_STRINGS) {
        r->kind = "tokens";
        snprintf(r->dtype, sizeof r->dtype, "str");
        snprintf(r->shape, sizeof r->shape, "[%zu]", e->strings.n);
        util_format_bytes(strings_bytes(&e->strings), r->bytes, sizeof r->bytes);
    } else {
        r->kind = "table";
        snprintf(r->dtype, sizeof r->dtype, "-");
        snprintf(r->shape, sizeof r->shape, "%zu rows x %zu cols", e->nrows,
                 e->strings.n);
        snprintf(r->bytes, sizeof r->bytes, "-");
    }
}

/* Does `name` match the %who pattern: a glob when it has * ? or [, else a prefix? */
static int who_match(const char *pat, const char *name) {
    if (!pat)
        return 1;
    if (strpbrk(pat, "*?["))
        return fnmatch(pat, name, 0) == 0;
    return strncmp(name, pat, strlen(pat)) == 0;
}

static int cmd_who(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    UNUSED(err);
    const char *pat = st->nargs ? st->args[0].text : NULL;
    size_t total = store_count(ctx->store), n = 0;
    if (total == 0) {
        emit(ctx, 1, "no resident names; load some with %load PATH\n");
        return 0;
    }
    const store_entry_t **ents = xcalloc(total, sizeof *ents);
    for (size_t i = 0; i < total; i++)
        if (who_match(pat, store_at(ctx->store, i)->name))
            ents[n++] = store_at(ctx->store, i);
    if (n == 0) {
        char *msg = xasprintf("no resident name matches '%s' (%zu name%s resident)\n",
                              pat, total, total == 1 ? "" : "s");
        emit(ctx, 1, msg);
        free(msg);
        free(ents);
        return 0;
    }
    who_row_t *rows = xcalloc(n, sizeof *rows);
    static const char *const head[6] = {"name",  "kind",  "dtype",
                                        "shape", "bytes", "source"};
    int w[6];
    for (int c = 0; c < 6; c++)
        w[c] = (int)strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        who_fill(ents[i], &rows[i]);
        const char *cells[6] = {rows[i].name,  rows[i].kind,  rows[i].dtype,
                                rows[i].shape, rows[i].bytes, rows[i].source};
        for (int c = 0; c < 6; c++)
            if ((int)strlen(cells[c]) > w[c])
                w[c] = (int)strlen(cells[c]);
    }
    buf_t t = BUF_INIT, h = BUF_INIT;
    buf_puts(&h, "<table class=\"mechviz-who\"><thead><tr>");
    for (int c = 0; c < 6; c++) {
        if (c < 5)
            buf_printf(&t, "%-*s  ", w[c], head[c]);
        else
            buf_printf(&t, "%s\n", head[c]);
        buf_printf(&h, "<th>%s</th>", head[c]);
    }
    buf_puts(&h, "</tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        const char *cells[6] = {rows[i].name,  rows[i].kind,  rows[i].dtype,
                                rows[i].shape, rows[i].bytes, rows[i].source};
        buf_puts(&h, "<tr>");
        for (int c = 0; c < 6; c++) {
            if (c < 5)
                buf_printf(&t, "%-*s  ", w[c], cells[c]);
            else
                buf_printf(&t, "%s\n", cells[c]);
            buf_puts(&h, c == 0 ? "<td><code>" : "<td>");
            html_escape(&h, cells[c]);
            buf_puts(&h, c == 0 ? "</code></td>" : "</td>");
        }
        buf_puts(&h, "</tr>");
    }
    char heap[32], mapped[32];
    util_format_bytes(store_heap_bytes(ctx->store), heap, sizeof heap);
    util_format_bytes(store_mapped_bytes(ctx->store), mapped, sizeof mapped);
    char *count = n == total ? xasprintf("%zu name%s", n, n == 1 ? "" : "s")
                             : xasprintf("%zu of %zu names", n, total);
    buf_printf(&t, "%s; %s on the heap, %s mapped from files\n", count, heap, mapped);
    buf_printf(&h, "</tbody></table><p>%s; %s on the heap, %s mapped from files</p>",
               count, heap, mapped);
    emit_bundle(ctx, buf_str(&t), buf_str(&h), 0);
    buf_fini(&t);
    buf_fini(&h);
    free(count);
    free(rows);
    free(ents);
    return 0;
}

/* =====================================================================================
 */
/* %info, NAME? and inspection */
/* =====================================================================================
 */

static void describe_strings(const store_entry_t *e, buf_t *out) {
    buf_printf(out, "%s: token list of %zu string%s\n", e->name, e->strings.n,
               e->strings.n == 1 ? "" : "s");
    buf_puts(out, "  first       ");
    size_t k = e->strings.n < 8 ? e->strings.n : 8;
    buf_putc(out, '[');
    for (size_t i = 0; i < k; i++) {
        if (i)
            buf_puts(out, ", ");
        put_repr(out, e->strings.items[i]);
    }
    buf_puts(out, k < e->strings.n ? ", ...]\n" : "]\n");
    buf_printf(out, "  source      %s\n", e->source ? e->source : "");
}

static void describe_table(cmd_ctx_t *ctx, const store_entry_t *e, buf_t *out) {
    buf_printf(out, "%s: table, %zu row%s, %zu column%s\n", e->name, e->nrows,
               e->nrows == 1 ? "" : "s", e->strings.n, e->strings.n == 1 ? "" : "s");
    for (size_t i = 0; i < e->strings.n; i++) {
        char *full = xasprintf("%s.%s", e->name, e->strings.items[i]);
        const store_entry_t *c = store_get(ctx->store, full);
        const char *what = !c                         ? "missing"
                           : c->kind == STORE_STRINGS ? "str"
                           : c->kind == STORE_TENSOR  ? dtype_name(c->tensor->dtype)
                                                      : "?";
        buf_printf(out, "  %-12s%-8s (%s)\n", e->strings.items[i], what, full);
        free(full);
    }
    buf_printf(out, "  source      %s\n", e->source ? e->source : "");
}

/* A number as numpy prints it in a summary: 6 significant digits, nan, inf, -inf. */
static void fmt_num(char *out, size_t cap, double v) {
    if (isnan(v))
        snprintf(out, cap, "nan");
    else if (isinf(v))
        snprintf(out, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(out, cap, "%.6g", v);
}

/* Writes a description of `text` (a resident name or NAME[index]) into out: kind,
 * dtype, shape, strides, memory, source, and with `stats` the statistics of ops_stats.
 * Returns 0, or -1 with err (NameError, IndexError, KeyboardInterrupt, ...). */
int cmd_describe(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text, int col,
                 int stats, buf_t *out, err_t *err) {
    const store_entry_t *e = store_get(ctx->store, text);
    if (e && e->kind == STORE_STRINGS) {
        describe_strings(e, out);
        return 0;
    }
    if (e && e->kind == STORE_TABLE) {
        describe_table(ctx, e, out);
        return 0;
    }
    tensor_t *t = cmd_tensor_arg(ctx, st, text, col, err);
    if (!t)
        return -1;
    parse_expr_t pe;
    const store_entry_t *base = NULL;
    if (parse_expr(text, 0, 0, &pe, NULL) == 0) {
        base = store_get(ctx->store, pe.name);
        parse_expr_fini(&pe);
    }
    char shp[160], bytes[32], strides[200];
    tensor_format_shape(t, shp, sizeof shp);
    util_format_bytes(tensor_nbytes(t), bytes, sizeof bytes);
    size_t o = 0;
    strides[o++] = '[';
    for (int i = 0; i < t->ndim && o < sizeof strides - 24; i++)
        o += (size_t)snprintf(strides + o, sizeof strides - o, "%s%" PRId64,
                              i ? ", " : "", t->strides[i]);
    snprintf(strides + o, sizeof strides - o, "]");
    int mapped = tensor_mem_is_mapped(t->mem);
    buf_printf(out, "%s: tensor %s %s\n", text, dtype_name(t->dtype), shp);
    buf_printf(out, "  strides     %s (bytes)\n", strides);
    buf_printf(out, "  contiguous  %s\n", tensor_is_contiguous(t) ? "yes" : "no");
    buf_printf(out, "  memory      %s, %s\n",
               mapped ? "mapped from the file (read-only)" : "heap", bytes);
    if (base)
        buf_printf(out, "  source      %s%s%s\n", base->source ? base->source : "",
                   e ? "" : ", indexed as ", e ? "" : text);
    int rc = 0;
    if (stats) {
        ops_stats_t s;
        memset(&s, 0, sizeof s);
        err_t se;
        err_clear(&se);
        if (ops_stats(t, &s, ctx->interrupted, &se) < 0) {
            if (se.line == 0 && st) {
                se.line = st->line;
                se.col = col;
            }
            if (err)
                *err = se;
            rc = -1;
        } else {
            char a[32], b[32], c[32], d[32];
            fmt_num(a, sizeof a, s.min);
            fmt_num(b, sizeof b, s.max);
            fmt_num(c, sizeof c, s.mean);
            fmt_num(d, sizeof d, s.std);
            if (s.count - s.nan - s.posinf - s.neginf > 0) {
                buf_printf(out, "  min         %s\n  max         %s\n", a, b);
                buf_printf(out, "  mean        %s\n  std         %s\n", c, d);
            } else {
                buf_puts(out, "  min/max     (no finite values)\n");
            }
            buf_printf(out, "  NaN         %" PRId64, s.nan);
            if (s.posinf || s.neginf)
                buf_printf(out, "  (+inf %" PRId64 ", -inf %" PRId64 ")", s.posinf,
                           s.neginf);
            buf_putc(out, '\n');
            double zf = s.count ? (double)s.zeros / (double)s.count : 0.0;
            buf_printf(out, "  zeros       %.4g%% (%" PRId64 " of %" PRId64 ")\n",
                       100.0 * zf, s.zeros, s.count);
        }
    }
    tensor_free(t);
    return rc;
}

static int cmd_info(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    buf_t b = BUF_INIT;
    int rc = cmd_describe(ctx, st, st->args[0].text, st->args[0].col, 1, &b, err);
    if (rc == 0)
        emit(ctx, 1, buf_str(&b));
    buf_fini(&b);
    return rc;
}

/* =====================================================================================
 */
/* %free, %save, %tokens, %echo, %clear */
/* =====================================================================================
 */

static int cmd_free(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    for (size_t i = 0; i < st->nargs; i++) {
        const parse_word_t *w = &st->args[i];
        if (!store_get(ctx->store, w->text)) {
            const char *near = store_suggest(ctx->store, w->text);
            if (near)
                err_set_at(err, st->line, w->col, "NameError",
                           "name '%s' is not defined; did you mean '%s'?", w->text, near);
            else
                err_set_at(err, st->line, w->col, "NameError", "name '%s' is not defined",
                           w->text);
            return -1;
        }
    }
    for (size_t i = 0; i < st->nargs; i++)
        store_delete(ctx->store, st->args[i].text); /* a repeated name is gone already */
    return 0;
}

static int cmd_save(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *path = &st->args[0];
    size_t n = st->nargs - 1;
    const char **names = xcalloc(n, sizeof *names);
    tensor_t **ts = xcalloc(n, sizeof *ts);
    int rc = -1;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const parse_word_t *w = &st->args[i + 1];
        if (!store_name_valid(w->text)) {
            err_set_at(err, st->line, w->col, "ValueError",
                       "%%save takes names, not expressions: bind a view first "
                       "(y = %s) and save y",
                       w->text);
            goto out;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[j], w->text) == 0) {
                err_set_at(err, st->line, w->col, "ValueError", "'%s' is given twice",
                           w->text);
                goto out;
            }
        ts[i] = cmd_tensor_arg(ctx, st, w->text, w->col, err);
        if (!ts[i])
            goto out;
        names[i] = w->text;
        total += tensor_nbytes(ts[i]);
    }
    err_t se;
    err_clear(&se);
    if (tensor_io_save_safetensors(path->text, names, (const tensor_t *const *)ts, n,
                                   &se) < 0) {
        if (err) {
            *err = se;
            if (!err->kind)
                err->kind = "FileError";
            err->line = st->line;
            err->col = path->col;
        }
        goto out;
    }
    char bytes[32];
    util_format_bytes(total, bytes, sizeof bytes);
    char *msg = xasprintf("saved %zu tensor%s (%s) to %s\n", n, n == 1 ? "" : "s", bytes,
                          path->text);
    emit(ctx, 1, msg);
    free(msg);
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        tensor_free(ts[i]);
    free(ts);
    free(names);
    return rc;
}

static int cmd_tokens(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    if (!store_name_valid(st->target)) {
        err_set_at(err, st->line, st->target_col, "ValueError",
                   "'%s' is not a valid name", st->target);
        return -1;
    }
    strlist_t l = STRLIST_INIT;
    for (size_t i = 0; i < st->nargs; i++)
        strlist_push(&l, st->args[i].text);
    int rc = store_put_strings(ctx->store, st->target, &l, "inline", err);
    strlist_fini(&l);
    if (rc < 0 && err) {
        err->line = st->line;
        err->col = st->target_col;
    }
    return rc;
}

static int cmd_echo(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    UNUSED(err);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < st->nargs; i++) {
        if (i)
            buf_putc(&b, ' ');
        buf_puts(&b, st->args[i].text);
    }
    buf_putc(&b, '\n');
    emit(ctx, cmd_flag(st, "stderr") ? 2 : 1, buf_str(&b));
    buf_fini(&b);
    return 0;
}

static int cmd_clear(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    UNUSED(err);
    if (ctx->out && ctx->out->clear)
        ctx->out->clear(ctx->out->ctx, cmd_flag(st, "wait") ? 1 : 0);
    return 0;
}

/* =====================================================================================
 */
/* %help */
/* =====================================================================================
 */

/* Appends the help of one magic: usage, one-line help, detail and its flags. */
void cmd_magic_help(const cmd_spec_t *spec, buf_t *out) {
    buf_printf(out, "%s\n    %s\n", spec->usage ? spec->usage : spec->name,
               spec->help ? spec->help : "");
    if (spec->detail) {
        buf_puts(out, "\n");
        const char *p = spec->detail;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t l = e ? (size_t)(e - p) : strlen(p);
            buf_printf(out, "    %.*s\n", (int)l, p);
            p += l + (e != NULL);
        }
    }
    if (spec->flags && spec->flags[0]) {
        buf_puts(out, "\nflags:");
        const char *p = spec->flags;
        while (*p) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ' && *e != '=')
                e++;
            if (e > p)
                buf_printf(out, " --%.*s%s", (int)(e - p), p, *e == '=' ? " VALUE" : "");
            p = e + (*e == '=');
        }
        buf_putc(out, '\n');
    }
}

static int help_on_magic(cmd_ctx_t *ctx, const char *name, int line, int col,
                         err_t *err) {
    const cmd_spec_t *spec = commands_find(name);
    if (!spec) {
        const char *near = commands_suggest(name);
        if (near)
            err_set_at(err, line, col, "UsageError",
                       "unknown magic %%%s; did you mean %%%s?", name, near);
        else
            err_set_at(err, line, col, "UsageError",
                       "unknown magic %%%s; %%help lists every magic", name);
        return -1;
    }
    buf_t b = BUF_INIT;
    cmd_magic_help(spec, &b);
    emit(ctx, 1, buf_str(&b));
    buf_fini(&b);
    return 0;
}

static int cmd_help(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    if (st->nargs == 1) {
        const char *n = st->args[0].text;
        return help_on_magic(ctx, n[0] == '%' ? n + 1 : n, st->line, st->args[0].col,
                             err);
    }
    buf_t b = BUF_INIT;
    const char *fam = NULL;
    int width = 0;
    for (size_t i = 0; i < commands_count(); i++) {
        const cmd_spec_t *s = commands_at(i);
        int l = (int)strlen(s->usage ? s->usage : s->name);
        if (l > width)
            width = l;
    }
    if (width > 30)
        width = 30;
    for (size_t i = 0; i < commands_count(); i++) {
        const cmd_spec_t *s = commands_at(i);
        const char *f = commands_family(s);
        if (!fam || strcmp(f, fam) != 0) {
            buf_printf(&b, "%s%s magics:\n", fam ? "\n" : "", f);
            fam = f;
        }
        const char *u = s->usage ? s->usage : s->name;
        if ((int)strlen(u) > width) /* a long usage gets its help on the next line */
            buf_printf(&b, "  %s\n  %-*s  %s\n", u, width, "", s->help ? s->help : "");
        else
            buf_printf(&b, "  %-*s  %s\n", width, u, s->help ? s->help : "");
    }
    buf_puts(&b, "\nstatements:\n");
    buf_printf(&b, "  %-*s  %s\n", width, "NAME = EXPR",
               "bind a view: y = x[0, 2:4, ..., -1] (numpy basic indexing)");
    buf_printf(&b, "  %-*s  %s\n", width, "EXPR", "show a value, numpy-style");
    buf_printf(&b, "  %-*s  %s\n", width, "NAME?  %NAME?",
               "describe a name; help on a magic (also %help NAME)");
    emit(ctx, 1, buf_str(&b));
    buf_fini(&b);
    return 0;
}

/* =====================================================================================
 */
/* Statements: NAME = EXPR, EXPR, NAME? */
/* =====================================================================================
 */

/* Resolves `text` when it names a token list, possibly indexed with one integer or
 * slice (Python list semantics): fills `out` with the selected strings and sets *single
 * for an integer index. Returns 1 when it is a token list, 0 when it is not (nothing
 * done), -1 with an IndexError. */
static int strings_expr(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text, int col,
                        strlist_t *out, int *single, err_t *err) {
    parse_expr_t pe;
    if (parse_expr(text, st->line, col, &pe, NULL) < 0)
        return 0;
    const store_entry_t *e = store_get(ctx->store, pe.name);
    int rc = 0;
    *single = 0;
    if (!e || e->kind != STORE_STRINGS)
        goto out;
    rc = -1;
    int64_t n = (int64_t)e->strings.n;
    if (!pe.has_index) {
        for (int64_t i = 0; i < n; i++)
            strlist_push(out, e->strings.items[i]);
        rc = 1;
        goto out;
    }
    const tensor_index_t *it = &pe.idx[0];
    if (pe.nidx > 1) {
        err_set_at(err, st->line, pe.idx[1].col, "IndexError",
                   "too many indices for token list '%s': it is 1-dimensional, but %d "
                   "were indexed",
                   pe.name, pe.nidx);
        goto out;
    }
    if (it->kind == TI_INT) {
        int64_t i = it->i < 0 ? it->i + n : it->i;
        if (i < 0 || i >= n) {
            err_set_at(err, st->line, it->col, "IndexError",
                       "index %" PRId64
                       " is out of bounds for token list '%s' with size %" PRId64,
                       it->i, pe.name, n);
            goto out;
        }
        strlist_push(out, e->strings.items[i]);
        *single = 1;
    } else if (it->kind == TI_SLICE) {
        int64_t step = it->step, start, stop;
        if (step > 0) {
            start = !it->has_start ? 0 : it->start < 0 ? it->start + n : it->start;
            stop = !it->has_stop ? n : it->stop < 0 ? it->stop + n : it->stop;
            start = start < 0 ? 0 : start > n ? n : start;
            stop = stop < 0 ? 0 : stop > n ? n : stop;
            for (int64_t i = start; i < stop; i += step)
                strlist_push(out, e->strings.items[i]);
        } else {
            start = !it->has_start ? n - 1 : it->start < 0 ? it->start + n : it->start;
            stop = !it->has_stop ? -1 : it->stop < 0 ? it->stop + n : it->stop;
            start = start < -1 ? -1 : start > n - 1 ? n - 1 : start;
            stop = stop < -1 ? -1 : stop > n - 1 ? n - 1 : stop;
            for (int64_t i = start; i > stop; i += step)
                strlist_push(out, e->strings.items[i]);
        }
    } else {
        err_set_at(err, st->line, it->col, "IndexError",
                   "token lists take an integer or a slice, not '...' or None");
        goto out;
    }
    rc = 1;
out:
    parse_expr_fini(&pe);
    return rc;
}

/* Runs `NAME = EXPR`: binds a view of the expression (sharing memory, source "view of
 * EXPR"), or a copy of a token list. Returns 0, or -1 with err. */
int cmd_assign(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *w = &st->args[0];
    if (!store_name_valid(st->name)) {
        err_set_at(err, st->line, st->col, "ValueError", "'%s' is not a valid name",
                   st->name);
        return -1;
    }
    char *source = xasprintf("view of %s", w->text);
    int rc, single;
    err_t pe; /* errors of store_put_*, which carry no position */
    err_clear(&pe);
    strlist_t l = STRLIST_INIT;
    int is_strings = strings_expr(ctx, st, w->text, w->col, &l, &single, err);
    if (is_strings < 0) {
        rc = -1;
    } else if (is_strings) {
        free(source);
        source = xasprintf("copy of %s", w->text);
        rc = store_put_strings(ctx->store, st->name, &l, source, &pe);
    } else {
        tensor_t *t = cmd_tensor_arg(ctx, st, w->text, w->col, err);
        rc = t ? store_put_tensor(ctx->store, st->name, t, source, &pe) : -1;
    }
    if (rc < 0 && pe.kind && err) { /* a store error: point at the statement */
        *err = pe;
        err->line = st->line;
        err->col = st->col;
    }
    strlist_fini(&l);
    free(source);
    return rc;
}

static void show_strings(const strlist_t *l, buf_t *b) {
    size_t n = l->n, head = n, tail = 0;
    if (n > 30) {
        head = 10;
        tail = 5;
    }
    buf_putc(b, '[');
    for (size_t i = 0; i < head; i++) {
        if (i)
            buf_puts(b, ", ");
        put_repr(b, l->items[i]);
    }
    if (tail) {
        buf_puts(b, ", ...");
        for (size_t i = n - tail; i < n; i++) {
            buf_puts(b, ", ");
            put_repr(b, l->items[i]);
        }
    }
    buf_putc(b, ']');
    if (tail)
        buf_printf(b, "  (%zu strings)", n);
}

/* A table, pandas-style: index column, then each column; head and tail rows. */
static void show_table(cmd_ctx_t *ctx, const store_entry_t *e, buf_t *b) {
    size_t nc = e->strings.n, nr = e->nrows;
    size_t head = nr, tail = 0;
    if (nr > 10) {
        head = 5;
        tail = 5;
    }
    size_t shown = head + tail;
    /* cells[c][r] for c in 0..nc (0 is the index). */
    char ***cells = xcalloc(nc + 1, sizeof *cells);
    int *w = xcalloc(nc + 1, sizeof *w);
    for (size_t c = 0; c <= nc; c++) {
        cells[c] = xcalloc(shown + 1, sizeof **cells);
        const store_entry_t *col = NULL;
        if (c > 0) {
            char *full = xasprintf("%s.%s", e->name, e->strings.items[c - 1]);
            col = store_get(ctx->store, full);
            free(full);
        }
        cells[c][0] = xstrdup(c == 0 ? "" : e->strings.items[c - 1]);
        for (size_t k = 0; k < shown; k++) {
            size_t r = k < head ? k : nr - tail + (k - head);
            char *s;
            if (c == 0)
                s = xasprintf("%zu", r);
            else if (col && col->kind == STORE_TENSOR &&
                     (int64_t)r < tensor_numel(col->tensor)) {
                char num[32];
                fmt_num(num, sizeof num, tensor_get_flat(col->tensor, (int64_t)r));
                s = xstrdup(num);
            } else if (col && col->kind == STORE_STRINGS && r < col->strings.n)
                s = xstrdup(col->strings.items[r]);
            else
                s = xstrdup("");
            if (strlen(s) > 30)
                s[30] = '\0';
            cells[c][k + 1] = s;
        }
        for (size_t k = 0; k <= shown; k++)
            if ((int)strlen(cells[c][k]) > w[c])
                w[c] = (int)strlen(cells[c][k]);
    }
    for (size_t k = 0; k <= shown; k++) {
        if (tail && k == head + 1) {
            for (size_t c = 0; c <= nc; c++)
                buf_printf(b, "%s%*s", c ? "  " : "", w[c], "...");
            buf_putc(b, '\n');
        }
        for (size_t c = 0; c <= nc; c++)
            buf_printf(b, "%s%*s", c ? "  " : "", w[c], cells[c][k]);
        buf_putc(b, '\n');
    }
    buf_printf(b, "[%zu rows x %zu columns]", nr, nc);
    for (size_t c = 0; c <= nc; c++) {
        for (size_t k = 0; k <= shown; k++)
            free(cells[c][k]);
        free(cells[c]);
    }
    free(cells);
    free(w);
}

/* Runs a bare `EXPR`: shows the value numpy-style (tensors), repr-style (token lists)
 * or pandas-style (tables), as the cell's result when `last`, else as a display.
 * Returns 0, or -1 with err. */
int cmd_show(cmd_ctx_t *ctx, const parse_stmt_t *st, int last, err_t *err) {
    const parse_word_t *w = &st->args[0];
    const store_entry_t *e = store_get(ctx->store, w->text);
    buf_t b = BUF_INIT;
    strlist_t l = STRLIST_INIT;
    int single = 0;
    int is_strings = strings_expr(ctx, st, w->text, w->col, &l, &single, err);
    if (is_strings < 0)
        return -1;
    if (is_strings) {
        if (single)
            put_repr(&b, l.items[0]);
        else
            show_strings(&l, &b);
        strlist_fini(&l);
    } else if (e && e->kind == STORE_TABLE) {
        show_table(ctx, e, &b);
    } else {
        tensor_t *t = cmd_tensor_arg(ctx, st, w->text, w->col, err);
        if (!t)
            return -1;
        tensor_format(t, &b, 3);
        tensor_free(t);
    }
    emit_bundle(ctx, buf_str(&b), NULL, last);
    buf_fini(&b);
    return 0;
}

/* Runs `NAME?` / `%NAME?`: help on a magic, or the description (with statistics) of a
 * resident name; a bare name that is not resident but is a magic gets the magic's help.
 * Returns 0, or -1 with err (NameError with a suggestion). */
int cmd_help_topic(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const char *topic = st->name;
    if (topic[0] == '%')
        return help_on_magic(ctx, topic + 1, st->line, st->col + 1, err);
    parse_expr_t pe;
    int known = 0;
    if (parse_expr(topic, st->line, st->col, &pe, NULL) == 0) {
        known = store_get(ctx->store, pe.name) != NULL;
        parse_expr_fini(&pe);
    }
    if (!known && commands_find(topic))
        return help_on_magic(ctx, topic, st->line, st->col, err);
    buf_t b = BUF_INIT;
    int rc = cmd_describe(ctx, st, topic, st->col, 1, &b, err);
    if (rc == 0)
        emit(ctx, 1, buf_str(&b));
    buf_fini(&b);
    return rc;
}

/* =====================================================================================
 */
/* The table */
/* =====================================================================================
 */

const cmd_spec_t cmd_tensor_specs[] = {
    {"load", cmd_load, 1, 1, 1, "", "%load [NAME =] PATH",
     "load tensors, token lists or tables from a file (memory-mapped)",
     "Formats: .safetensors and .npz (every entry under its own name, or NAME.key),\n"
     ".npy (one tensor, named after the file or NAME), .json (a list of strings becomes\n"
     "a token list, records become a table NAME.COLUMN), .jsonl (records, one a line).\n"
     "Everything is loaded or nothing is: a bad file leaves the store as it was."},
    {"who", cmd_who, 0, 1, 0, "", "%who [PATTERN]",
     "list resident names: kind, dtype, shape, bytes, source",
     "PATTERN keeps the names starting with it (%who blocks.3.) or matching it as a "
     "glob\n"
     "(%who blocks.*.hook_resid_post)."},
    {"info", cmd_info, 1, 1, 0, "", "%info NAME",
     "shape, dtype, strides, memory, source and statistics of a name or view",
     "NAME may be indexed: %info x[0, :5]. Statistics (min, max, mean, std over finite\n"
     "values; NaN count; zero fraction) are computed when asked."},
    {"free", cmd_free, 1, -1, 0, "", "%free NAME...", "drop names from memory",
     "Views made from a freed tensor stay valid: they share its memory."},
    {"save", cmd_save, 2, -1, 0, "", "%save PATH NAME...",
     "write tensors to a .safetensors file (atomically)", NULL},
    {"tokens", cmd_tokens, 1, -1, 2, "", "%tokens NAME = \"a\" \" b\" ...",
     "bind a token list typed inline",
     "Strings take escapes: \\n \\t \\\" \\\\ \\uXXXX."},
    {"echo", cmd_echo, 0, -1, 0, "stderr", "%echo [--stderr] TEXT...",
     "print text (on stderr with --stderr)", NULL},
    {"clear", cmd_clear, 0, 0, 0, "wait", "%clear [--wait]",
     "clear this cell's output (with --wait: when new output arrives)", NULL},
    {"help", cmd_help, 0, 1, 0, "", "%help [NAME]",
     "list every magic, or show the help of one (also %NAME?)", NULL},
    {NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
