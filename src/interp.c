/* SPDX-License-Identifier: MIT */
/* interp.c -- runs a cell; completion, inspection and is-complete for the front end.
 *
 * interp_run is the language's single entry point for execution: it parses the whole
 * cell, resolves and checks every magic (so a typo on the last line stops the cell
 * before the first line runs), then runs the statements in order, stopping at the
 * first error and checking the interrupt flag between statements. Completion and
 * inspection read the command table and the store's names; none of this knows JSON or
 * sockets, which live in kernel.c.
 *
 * Design notes:
 *   1. An error leaves err with its kind, message and the 1-based line/column of the
 *      statement or argument at fault; the caller turns it into the Jupyter error reply.
 *   2. The interrupt flag is the kernel's: interp_run reads it between statements and
 *      handlers read it in long loops (cmd_interrupted); interp_run resets it to 0 once
 *      it has reported the KeyboardInterrupt, so the next cell runs normally.
 *   3. Bare expressions show their value: the last statement of the cell as the
 *      execute_result (out->result), earlier ones as displays. */
#include "interp.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "parse.h"

/* =====================================================================================
 */
/* Running a cell */
/* =====================================================================================
 */

static int unknown_magic(const parse_stmt_t *st, err_t *err) {
    const char *near = commands_suggest(st->name);
    if (near)
        err_set_at(err, st->line, st->col, "UsageError",
                   "unknown magic %%%s; did you mean %%%s?", st->name, near);
    else
        err_set_at(err, st->line, st->col, "UsageError",
                   "unknown magic %%%s; %%help lists every magic", st->name);
    return -1;
}

static int interrupted(interp_t *in, const parse_stmt_t *st, err_t *err) {
    if (in->interrupted && *in->interrupted) {
        *in->interrupted = 0;
        err_set_at(err, st->line, st->col, "KeyboardInterrupt",
                   "interrupted before line %d ran", st->line);
        return 1;
    }
    return 0;
}

/* Runs every statement of `code` against in->store, reporting through in->out. Returns
 * 0, or -1 with err set (kind, message, line, col): a SyntaxError or UsageError
 * anywhere means nothing ran; a runtime error stops the cell at that statement (the
 * statements before it have run). */
int interp_run(interp_t *in, const char *code, err_t *err) {
    parse_stmt_t *sts = NULL;
    size_t n = 0;
    err_clear(err);
    if (parse_cell(code ? code : "", &sts, &n, err) < 0)
        return -1;
    int rc = -1;
    const cmd_spec_t **specs = xcalloc(n ? n : 1, sizeof *specs);
    for (size_t i = 0; i < n; i++) {
        if (sts[i].kind != PARSE_MAGIC)
            continue;
        specs[i] = commands_find(sts[i].name);
        if (!specs[i]) {
            unknown_magic(&sts[i], err);
            goto out;
        }
        if (commands_bind(specs[i], &sts[i], err) < 0)
            goto out;
    }
    cmd_ctx_t ctx = {in->store, in->out, in->interrupted};
    for (size_t i = 0; i < n; i++) {
        const parse_stmt_t *st = &sts[i];
        if (interrupted(in, st, err))
            goto out;
        int r;
        switch (st->kind) {
        case PARSE_MAGIC:
            r = specs[i]->fn(&ctx, st, err);
            break;
        case PARSE_ASSIGN:
            r = cmd_assign(&ctx, st, err);
            break;
        case PARSE_EXPR:
            r = cmd_show(&ctx, st, i + 1 == n, err);
            break;
        case PARSE_HELP:
            r = cmd_help_topic(&ctx, st, err);
            break;
        default:
            r = -1;
            err_set(err, "Error", "unknown statement");
        }
        if (r < 0) {
            if (err) {
                if (err->line == 0) {
                    err->line = st->line;
                    err->col = st->col;
                }
                if (!err->msg[0])
                    err_set_at(err, err->line, err->col, err->kind, "%%%s failed",
                               st->name ? st->name : "statement");
                if (err->kind && strcmp(err->kind, "KeyboardInterrupt") == 0 &&
                    in->interrupted)
                    *in->interrupted = 0;
            }
            goto out;
        }
    }
    rc = 0;
out:
    free(specs);
    parse_free(sts, n);
    return rc;
}

/* =====================================================================================
 */
/* Completion */
/* =====================================================================================
 */

static int word_stop(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '[' || c == ']' || c == ',' ||
           c == '=' || c == '"' || c == '\'' || c == '(' || c == ')';
}

static void complete_paths(const char *word, size_t len, strlist_t *m) {
    char *w = xstrndup(word, len);
    const char *slash = strrchr(w, '/');
    char *dir = slash ? xstrndup(w, (size_t)(slash - w) + 1) : xstrdup("");
    const char *base = slash ? slash + 1 : w;
    DIR *d = opendir(dir[0] ? dir : ".");
    struct dirent *e;
    size_t bl = strlen(base);
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.' && base[0] != '.')
            continue;
        if (strncmp(e->d_name, base, bl) != 0)
            continue;
        char *full = xasprintf("%s%s", dir, e->d_name);
        struct stat sb;
        int isdir = stat(full[0] ? full : ".", &sb) == 0 && S_ISDIR(sb.st_mode);
        if (isdir) {
            char *withslash = xasprintf("%s/", full);
            free(full);
            full = withslash;
        }
        strlist_push_take(m, full);
        if (m->n >= 1000)
            break;
    }
    if (d)
        closedir(d);
    free(dir);
    free(w);
}

static void complete_magics(const char *prefix, size_t len, int with_pct, strlist_t *m) {
    for (size_t i = 0; i < commands_count(); i++) {
        const cmd_spec_t *s = commands_at(i);
        if (strncmp(s->name, prefix, len) == 0)
            strlist_push_take(m, xasprintf("%s%s", with_pct ? "%" : "", s->name));
    }
}

static void complete_names(const store_t *store, const char *prefix, size_t len,
                           strlist_t *m) {
    if (!store)
        return;
    for (size_t i = 0; i < store_count(store); i++) {
        const store_entry_t *e = store_at(store, i);
        if (strncmp(e->name, prefix, len) == 0)
            strlist_push(m, e->name);
    }
}

/* Fills `matches` with the completions of the word that ends at byte `cursor` of
 * `code`, and [*start, *end) with the byte span they replace: magic names after '%'
 * (and for a bare first word), flags after "--" for the line's magic, file paths for
 * %load and %save's PATH, magic names after %help, resident names (dotted, table
 * columns) elsewhere. Matches are sorted and unique. Returns 0 (an empty list when
 * there is nothing to offer). */
int interp_complete(const interp_t *in, const char *code, size_t cursor,
                    strlist_t *matches, size_t *start, size_t *end) {
    size_t len = strlen(code);
    if (cursor > len)
        cursor = len;
    size_t ls = cursor;
    while (ls > 0 && code[ls - 1] != '\n')
        ls--;
    size_t ws = cursor;
    while (ws > ls && !word_stop(code[ws - 1]))
        ws--;
    *start = ws;
    *end = cursor;
    const char *word = code + ws;
    size_t wl = cursor - ws;
    size_t fs = ls; /* first word of the line */
    while (fs < cursor && (code[fs] == ' ' || code[fs] == '\t'))
        fs++;
    char magic[64] = "";
    if (code[fs] == '%') {
        size_t e = fs + 1;
        while (e < len && e - fs - 1 < sizeof magic - 1 && !word_stop(code[e]) &&
               code[e] != '?')
            e++;
        snprintf(magic, sizeof magic, "%.*s", (int)(e - fs - 1), code + fs + 1);
    }
    int first = ws == fs;
    /* Inside an open '[' there is nothing useful to offer (indices are numbers). */
    int depth = 0;
    for (size_t i = ls; i < ws; i++)
        depth += code[i] == '[' ? 1 : code[i] == ']' ? -1 : 0;
    if (depth > 0)
        return 0;
    int argno = 0; /* positional words before this one on the line (after the magic) */
    for (size_t i = fs; i < ws; i++)
        if (code[i] != ' ' && (i == fs || code[i - 1] == ' '))
            argno++;
    if (first && wl > 0 && word[0] == '%') {
        complete_magics(word + 1, wl - 1, 1, matches);
    } else if (wl >= 2 && word[0] == '-' && word[1] == '-' && magic[0]) {
        const cmd_spec_t *spec = commands_find(magic);
        const char *p = spec && spec->flags ? spec->flags : "";
        while (*p) {
            while (*p == ' ')
                p++;
            const char *e = p;
            while (*e && *e != ' ' && *e != '=')
                e++;
            if ((size_t)(e - p) >= wl - 2 && strncmp(p, word + 2, wl - 2) == 0 && e > p)
                strlist_push_take(matches, xasprintf("--%.*s", (int)(e - p), p));
            p = e + (*e == '=');
        }
    } else if (!first && (strcmp(magic, "load") == 0 || strcmp(magic, "save") == 0) &&
               (strcmp(magic, "save") != 0 || argno == 1)) {
        /* %load NAME = PATH: the word after '=' is the path; "%load NA" could be
         * either, so offer paths (names come after '=' only for targets). */
        complete_paths(word, wl, matches);
    } else if (!first && strcmp(magic, "help") == 0) {
        complete_magics(word[0] == '%' ? word + 1 : word, word[0] == '%' ? wl - 1 : wl, 0,
                        matches);
    } else {
        complete_names(in ? in->store : NULL, word, wl, matches);
        if (first && wl > 0)
            complete_magics(word, wl, 1, matches);
    }
    strlist_sort(matches);
    strlist_uniq(matches);
    return 0;
}

/* =====================================================================================
 */
/* Inspection */
/* =====================================================================================
 */

/* Writes into `text` what is known about the name under byte `cursor` of `code`: for
 * a magic its usage and help, for a resident name (or NAME[index] when the cursor is on
 * the name) its kind, dtype, shape, memory and source, plus statistics when detail > 0.
 * Returns 1 when something was found, 0 when not (text untouched). */
int interp_inspect(const interp_t *in, const char *code, size_t cursor, int detail,
                   buf_t *text) {
    size_t len = strlen(code);
    if (cursor > len)
        cursor = len;
    size_t s = cursor, e = cursor;
    while (s > 0 && (parse_is_name_char(code[s - 1], 0) || code[s - 1] == '%'))
        s--;
    while (e < len && parse_is_name_char(code[e], 0))
        e++;
    /* "x?" with the cursor after the '?' */
    if (s == e && cursor > 0 && code[cursor - 1] == '?') {
        e = cursor - 1;
        s = e;
        while (s > 0 && (parse_is_name_char(code[s - 1], 0) || code[s - 1] == '%'))
            s--;
    }
    while (s < e && code[s] != '%' && !parse_is_name_char(code[s], 1))
        s++;
    if (s >= e)
        return 0;
    char *word = xstrndup(code + s, e - s);
    int found = 0;
    if (word[0] == '%') {
        const cmd_spec_t *spec = commands_find(word + 1);
        if (spec) {
            cmd_magic_help(spec, text);
            found = 1;
        }
        free(word);
        return found;
    }
    const store_entry_t *ent = in && in->store ? store_get(in->store, word) : NULL;
    if (ent) {
        char *expr = NULL;
        if (e < len && code[e] == '[') {
            size_t j = e;
            while (j < len && code[j] != ']' && code[j] != '\n')
                j++;
            if (j < len && code[j] == ']')
                expr = xstrndup(code + s, j + 1 - s);
        }
        cmd_ctx_t ctx = {in->store, NULL, in->interrupted};
        buf_t b = BUF_INIT;
        if (expr && cmd_describe(&ctx, NULL, expr, 0, detail > 0, &b, NULL) == 0) {
            found = 1;
        } else {
            buf_reset(&b);
            found = cmd_describe(&ctx, NULL, word, 0, detail > 0, &b, NULL) == 0;
        }
        if (found)
            buf_append(text, b.data, b.len);
        buf_fini(&b);
        free(expr);
    } else {
        const cmd_spec_t *spec = commands_find(word);
        if (spec) {
            cmd_magic_help(spec, text);
            found = 1;
        }
    }
    free(word);
    return found;
}

/* =====================================================================================
 */
/* Is complete */
/* =====================================================================================
 */

/* Returns "complete", "incomplete" (the cell ends inside a '[', a string or after a
 * trailing '\') or "invalid" (another syntax error); sets *indent to "" (statements do
 * not nest). Static strings. */
const char *interp_is_complete(const char *code, const char **indent) {
    if (indent)
        *indent = "";
    parse_stmt_t *sts = NULL;
    size_t n = 0;
    int incomplete = 0;
    if (parse_cell_ex(code ? code : "", &sts, &n, &incomplete, NULL) == 0) {
        parse_free(sts, n);
        return "complete";
    }
    return incomplete ? "incomplete" : "invalid";
}
