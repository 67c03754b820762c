/* SPDX-License-Identifier: MIT */
/* commands.c -- the joined command table, argument checking and the handlers' helpers.
 *
 * Every magic is a row in a family table (cmd_tensor.c, ...); this file joins the
 * families, finds and suggests magics, binds and checks a parsed statement against its
 * row (arity, target, flags), and resolves the arguments handlers share: tensors by
 * expression, token lists by name, numeric flags. Errors name the magic, say what was
 * expected and point at the column. Nothing here prints: handlers talk to `out`. */
#include "commands.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The families, in the order %help lists them. Adding a family is one line here (and
 * its extern declaration in commands.h). */
static const struct family {
    const char *name;        /* shown by %help */
    const cmd_spec_t *specs; /* table ended by a row with name == NULL */
} families[] = {
    {"tensor", cmd_tensor_specs},
    {"widgets", cmd_widget_specs},
    {"analysis", cmd_analysis_specs},
    {"plots", cmd_plot_specs},
};

#define NFAMILIES (sizeof families / sizeof families[0])

static size_t family_len(const cmd_spec_t *specs) {
    size_t n = 0;
    while (specs[n].name)
        n++;
    return n;
}

/* =====================================================================================
 */
/* The table */
/* =====================================================================================
 */

/* Returns the number of magics across every family. */
size_t commands_count(void) {
    size_t n = 0;
    for (size_t f = 0; f < NFAMILIES; f++)
        n += family_len(families[f].specs);
    return n;
}

/* Returns magic i (0 <= i < commands_count()) in family order, or NULL; static. */
const cmd_spec_t *commands_at(size_t i) {
    for (size_t f = 0; f < NFAMILIES; f++) {
        size_t n = family_len(families[f].specs);
        if (i < n)
            return &families[f].specs[i];
        i -= n;
    }
    return NULL;
}

/* Returns the magic called `name` (without '%'), or NULL; static storage. */
const cmd_spec_t *commands_find(const char *name) {
    if (!name)
        return NULL;
    for (size_t f = 0; f < NFAMILIES; f++)
        for (const cmd_spec_t *s = families[f].specs; s->name; s++)
            if (strcmp(s->name, name) == 0)
                return s;
    return NULL;
}

/* Returns the family name ("tensor", ...) of a row of the table, or "other". */
const char *commands_family(const cmd_spec_t *spec) {
    for (size_t f = 0; f < NFAMILIES; f++) {
        const cmd_spec_t *s = families[f].specs;
        if (spec >= s && spec < s + family_len(s))
            return families[f].name;
    }
    return "other";
}

/* Returns the magic name closest to `name` (a typo), or NULL when none is close: edit
 * distance at most max(2, len/3), or `name` is a prefix of exactly one magic. */
const char *commands_suggest(const char *name) {
    const char *best = NULL, *prefix = NULL;
    size_t best_d = (size_t)-1, nprefix = 0, len = strlen(name);
    size_t limit = len / 3 > 2 ? len / 3 : 2;
    for (size_t i = 0; i < commands_count(); i++) {
        const cmd_spec_t *s = commands_at(i);
        size_t d = util_edit_distance(name, s->name);
        if (d < best_d) {
            best_d = d;
            best = s->name;
        }
        if (len > 0 && strncmp(s->name, name, len) == 0) {
            prefix = s->name;
            nprefix++;
        }
    }
    if (best && best_d <= limit && best_d < len)
        return best;
    return nprefix == 1 ? prefix : NULL;
}

/* Looks `flag` up in the spec's flag list. Returns 1 if declared (setting *takes_value
 * when not NULL), else 0. */
int commands_has_flag(const cmd_spec_t *spec, const char *flag, int *takes_value) {
    const char *p = spec->flags ? spec->flags : "";
    size_t fl = strlen(flag);
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '=')
            e++;
        int val = *e == '=';
        if ((size_t)(e - p) == fl && fl > 0 && strncmp(p, flag, fl) == 0) {
            if (takes_value)
                *takes_value = val;
            return 1;
        }
        p = e + val;
    }
    return 0;
}

/* The declared flag nearest to `flag`, written into out ("" when nothing is close). */
static void nearest_flag(const cmd_spec_t *spec, const char *flag, char *out,
                         size_t cap) {
    const char *p = spec->flags ? spec->flags : "";
    size_t best = (size_t)-1;
    out[0] = '\0';
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '=')
            e++;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(e - p), p);
        size_t d = util_edit_distance(flag, name);
        size_t limit = strlen(name) / 3 > 2 ? strlen(name) / 3 : 2;
        if (name[0] && d < best && d <= limit) {
            best = d;
            snprintf(out, cap, "%s", name);
        }
        p = e + (*e == '=');
    }
}

/* =====================================================================================
 */
/* Binding and checking */
/* =====================================================================================
 */

static void insert_arg(parse_stmt_t *st, size_t at, char *text, int quoted, int col) {
    st->args = xrealloc(st->args, (st->nargs + 1) * sizeof *st->args);
    memmove(st->args + at + 1, st->args + at, (st->nargs - at) * sizeof *st->args);
    st->args[at].text = text;
    st->args[at].quoted = quoted;
    st->args[at].col = col;
    st->nargs++;
}

/* Binds the parser's candidate flag values against `spec` (a switch gives its
 * candidate back to the positional arguments, in column order; a magic that binds no
 * name gets "TARGET =" back as its first two arguments), then runs commands_check.
 * Modifies `st` in place. Returns 0, or -1 with a UsageError in err. */
int commands_bind(const cmd_spec_t *spec, parse_stmt_t *st, err_t *err) {
    if (!spec->takes_target && st->target) {
        int col = st->target_col;
        insert_arg(st, 0, xstrdup("="), 0, col + (int)strlen(st->target) + 1);
        insert_arg(st, 0, st->target, 0, col);
        st->target = NULL;
        st->target_col = 0;
    }
    for (size_t i = 0; i < st->nflags; i++) {
        parse_flag_t *f = &st->flags[i];
        int takes_value = 0;
        if (!commands_has_flag(spec, f->name, &takes_value) || takes_value)
            continue;
        if (f->value && !f->value_explicit) {
            size_t at = 0;
            while (at < st->nargs && st->args[at].col < f->value_col)
                at++;
            insert_arg(st, at, f->value, f->value_quoted, f->value_col);
            f->value = NULL;
            f->value_col = 0;
            f->value_quoted = 0;
        }
    }
    return commands_check(spec, st, err);
}

/* Checks a bound statement against its spec: target, number of positional arguments,
 * known flags, values present where needed, no flag twice. Returns 0, or -1 with a
 * UsageError (line/col of the culprit) in err. */
int commands_check(const cmd_spec_t *spec, const parse_stmt_t *st, err_t *err) {
    const char *usage = spec->usage ? spec->usage : spec->name;
    if (!spec->takes_target && st->target) {
        err_set_at(err, st->line, st->target_col, "UsageError",
                   "%%%s does not bind a name; usage: %s", spec->name, usage);
        return -1;
    }
    if (spec->takes_target == 2 && !st->target) {
        err_set_at(err, st->line, st->col, "UsageError",
                   "%%%s needs a name to bind; usage: %s", spec->name, usage);
        return -1;
    }
    for (size_t i = 0; i < st->nflags; i++) {
        const parse_flag_t *f = &st->flags[i];
        int takes_value = 0;
        if (!commands_has_flag(spec, f->name, &takes_value)) {
            char near[64];
            nearest_flag(spec, f->name, near, sizeof near);
            if (near[0])
                err_set_at(err, st->line, f->col, "UsageError",
                           "unknown flag --%s for %%%s; did you mean --%s?", f->name,
                           spec->name, near);
            else if (!spec->flags || !spec->flags[0])
                err_set_at(err, st->line, f->col, "UsageError",
                           "unknown flag --%s for %%%s (it takes no flags); usage: %s",
                           f->name, spec->name, usage);
            else
                err_set_at(err, st->line, f->col, "UsageError",
                           "unknown flag --%s for %%%s; usage: %s", f->name, spec->name,
                           usage);
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(st->flags[j].name, f->name) == 0) {
                err_set_at(err, st->line, f->col, "UsageError",
                           "flag --%s is given twice", f->name);
                return -1;
            }
        if (takes_value && !f->value) {
            err_set_at(err, st->line, f->col, "UsageError",
                       "flag --%s of %%%s needs a value; usage: %s", f->name, spec->name,
                       usage);
            return -1;
        }
        if (!takes_value && f->value) {
            err_set_at(err, st->line, f->value_col ? f->value_col : f->col, "UsageError",
                       "flag --%s of %%%s takes no value", f->name, spec->name);
            return -1;
        }
    }
    size_t n = st->nargs;
    if ((int)n < spec->min_args) {
        if (spec->min_args == spec->max_args)
            err_set_at(err, st->line, st->col, "UsageError",
                       "%%%s takes %d argument%s, got %zu; usage: %s", spec->name,
                       spec->min_args, spec->min_args == 1 ? "" : "s", n, usage);
        else
            err_set_at(err, st->line, st->col, "UsageError",
                       "%%%s takes at least %d argument%s, got %zu; usage: %s",
                       spec->name, spec->min_args, spec->min_args == 1 ? "" : "s", n,
                       usage);
        return -1;
    }
    if (spec->max_args >= 0 && (int)n > spec->max_args) {
        const parse_word_t *w = &st->args[spec->max_args];
        if (spec->max_args == 0)
            err_set_at(err, st->line, w->col, "UsageError",
                       "%%%s takes no arguments, got '%s'; usage: %s", spec->name,
                       w->text, usage);
        else
            err_set_at(err, st->line, w->col, "UsageError",
                       "%%%s takes at most %d argument%s, got %zu (unexpected '%s'); "
                       "usage: %s",
                       spec->name, spec->max_args, spec->max_args == 1 ? "" : "s", n,
                       w->text, usage);
        return -1;
    }
    return 0;
}

/* =====================================================================================
 */
/* Helpers for handlers */
/* =====================================================================================
 */

static const parse_flag_t *find_flag(const parse_stmt_t *st, const char *name) {
    for (size_t i = 0; i < st->nflags; i++)
        if (strcmp(st->flags[i].name, name) == 0)
            return &st->flags[i];
    return NULL;
}

/* Returns the value of flag --name (borrowed from st), "" for a switch that is
 * present, or NULL when the flag is absent. */
const char *cmd_flag(const parse_stmt_t *st, const char *name) {
    const parse_flag_t *f = find_flag(st, name);
    if (!f)
        return NULL;
    return f->value ? f->value : "";
}

/* Reads --name as a number into *out, or dflt when absent. Returns 0, or -1 with a
 * ValueError naming the flag and the bad text when it is not a finite number. */
int cmd_flag_double(const parse_stmt_t *st, const char *name, double dflt, double *out,
                    err_t *err) {
    const parse_flag_t *f = find_flag(st, name);
    *out = dflt;
    if (!f || !f->value)
        return 0;
    char *end = NULL;
    errno = 0;
    double v = strtod(f->value, &end);
    if (end == f->value || *end || errno == ERANGE || !isfinite(v)) {
        err_set_at(err, st->line, f->value_col ? f->value_col : f->col, "ValueError",
                   "--%s expects a number, got '%s'", name, f->value);
        return -1;
    }
    *out = v;
    return 0;
}

/* Reads --name as an integer into *out, or dflt when absent. Returns 0, or -1 with a
 * ValueError naming the flag and the bad text. */
int cmd_flag_long(const parse_stmt_t *st, const char *name, long dflt, long *out,
                  err_t *err) {
    const parse_flag_t *f = find_flag(st, name);
    *out = dflt;
    if (!f || !f->value)
        return 0;
    char *end = NULL;
    errno = 0;
    long v = strtol(f->value, &end, 10);
    if (end == f->value || *end || errno == ERANGE) {
        err_set_at(err, st->line, f->value_col ? f->value_col : f->col, "ValueError",
                   "--%s expects an integer, got '%s'", name, f->value);
        return -1;
    }
    *out = v;
    return 0;
}

static const char *kind_phrase(store_kind_t k);

static void name_error(const cmd_ctx_t *ctx, const char *name, int line, int col,
                       err_t *err) {
    const char *near = store_suggest(ctx->store, name);
    if (near) {
        err_set_at(err, line, col, "NameError",
                   "name '%s' is not defined; did you mean '%s'?", name, near);
        return;
    }
    /* x.shape, x.dtype, ...: a Python habit on a resident x. */
    const char *dot = strrchr(name, '.');
    while (dot) {
        char *base = xstrndup(name, (size_t)(dot - name));
        const store_entry_t *e = store_get(ctx->store, base);
        if (e) {
            err_set_at(err, line, col, "NameError",
                       "name '%s' is not defined ('%s' is %s with no attribute '%s'; "
                       "%%info %s or %s? describes it)",
                       name, base, kind_phrase(e->kind), dot + 1, base, base);
            free(base);
            return;
        }
        const char *prev = NULL;
        for (const char *q = name; q < dot; q++)
            if (*q == '.')
                prev = q;
        free(base);
        dot = prev;
    }
    err_set_at(err, line, col, "NameError", "name '%s' is not defined", name);
}

static const char *kind_phrase(store_kind_t k) {
    switch (k) {
    case STORE_TENSOR:
        return "a tensor";
    case STORE_STRINGS:
        return "a token list";
    case STORE_TABLE:
        return "a table";
    }
    return "something else";
}

/* Resolves an expression `text` (NAME or NAME[index]) at column `col` of st's line to
 * a new view of a resident tensor; the caller frees it with tensor_free. Returns NULL
 * with err set: SyntaxError (bad expression), NameError (unknown name, with the
 * nearest resident name), TypeError (not a tensor), IndexError (bad index). */
tensor_t *cmd_tensor_arg(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *text,
                         int col, err_t *err) {
    parse_expr_t e;
    int line = st ? st->line : 0;
    if (parse_expr(text, line, col, &e, err) < 0)
        return NULL;
    tensor_t *r = NULL;
    const store_entry_t *ent = store_get(ctx->store, e.name);
    if (!ent) {
        name_error(ctx, e.name, line, col, err);
        goto out;
    }
    if (ent->kind == STORE_TABLE) {
        err_set_at(err, line, col, "TypeError",
                   "'%s' is a table, not a tensor; use a column such as '%s.%s'", e.name,
                   e.name, ent->strings.n ? ent->strings.items[0] : "COLUMN");
        goto out;
    }
    if (ent->kind != STORE_TENSOR) {
        err_set_at(err, line, col, "TypeError", "'%s' is %s, not a tensor", e.name,
                   kind_phrase(ent->kind));
        goto out;
    }
    if (!e.has_index) {
        r = tensor_view(ent->tensor);
        goto out;
    }
    err_t ie;
    err_clear(&ie);
    r = tensor_index(ent->tensor, e.idx, e.nidx, &ie);
    if (!r) {
        if (err) {
            *err = ie;
            if (!err->kind)
                err->kind = "IndexError";
            if (err->line == 0)
                err->line = line;
            if (err->col == 0)
                err->col = col;
        }
    }
out:
    parse_expr_fini(&e);
    return r;
}

/* Returns the token list called `name` (borrowed from the store, valid until the store
 * changes), or NULL with a NameError (with suggestion) or TypeError at (line, col). */
const strlist_t *cmd_strings_arg(cmd_ctx_t *ctx, const parse_stmt_t *st, const char *name,
                                 int col, err_t *err) {
    int line = st ? st->line : 0;
    const store_entry_t *ent = store_get(ctx->store, name);
    if (!ent) {
        name_error(ctx, name, line, col, err);
        return NULL;
    }
    if (ent->kind != STORE_STRINGS) {
        err_set_at(err, line, col, "TypeError", "'%s' is %s, not a token list", name,
                   kind_phrase(ent->kind));
        return NULL;
    }
    return &ent->strings;
}

/* Returns -1 with a KeyboardInterrupt in err when the interrupt flag is set, else 0.
 * The flag is left as it is (interp_run clears it once it has reported). */
int cmd_interrupted(const cmd_ctx_t *ctx, err_t *err) {
    if (ctx && ctx->interrupted && *ctx->interrupted) {
        err_set(err, "KeyboardInterrupt", "interrupted");
        return -1;
    }
    return 0;
}

/* Opens a widget of `kind` with the string traits keys[i] = values[i] (all borrowed)
 * and `text` as its text/plain fallback, through ctx->out->widget (which the caller has
 * checked is there). Returns 0, or -1 with err set. */
int cmd_open_widget(cmd_ctx_t *ctx, const char *kind, const char *const *keys,
                    const char *const *values, size_t n, const char *text, err_t *err) {
    out_widget_t ow;
    memset(&ow, 0, sizeof ow);
    ow.kind = kind;
    ow.keys = keys;
    ow.values = values;
    ow.n = n;
    ow.fallback.text = text;
    return ctx->out->widget(ctx->out->ctx, &ow, err);
}
