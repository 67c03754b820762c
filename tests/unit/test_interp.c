/* SPDX-License-Identifier: MIT */
/* test_interp.c -- unit tests for interp.c and commands.c: completion, inspection,
 * is-complete, interrupts, binding of flags, the command table and its helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "commands.h"
#include "interp.h"
#include "parse.h"
#include "store.h"
#include "tensor.h"

/* A recording sink: stdout, stderr, displays and results, all appended to one buffer. */
typedef struct rec {
    buf_t text;  /* everything, in order */
    int results; /* out->result calls */
    int displays;
    buf_t html; /* the last display's HTML */
} rec_t;

static void r_stream(void *ctx, int fd, const char *s, size_t len) {
    rec_t *r = ctx;
    if (fd == 2)
        buf_puts(&r->text, "[stderr]");
    buf_append(&r->text, s, len);
}
static void r_display(void *ctx, const out_bundle_t *b, int update) {
    rec_t *r = ctx;
    UNUSED(update);
    r->displays++;
    buf_puts(&r->text, b->text);
    buf_reset(&r->html);
    if (b->html)
        buf_puts(&r->html, b->html);
}
static void r_result(void *ctx, const out_bundle_t *b) {
    rec_t *r = ctx;
    r->results++;
    buf_puts(&r->text, b->text);
}
static void r_clear(void *ctx, int wait) {
    UNUSED(ctx);
    UNUSED(wait);
}

typedef struct fixture {
    store_t *store;
    rec_t rec;
    out_t out;
    volatile sig_atomic_t intr;
    interp_t in;
} fixture_t;

static void put_tensor(store_t *s, const char *name, dtype_t dt, int ndim,
                       const int64_t *shape) {
    tensor_t *t = tensor_new(dt, ndim, shape, NULL);
    for (int64_t i = 0; i < tensor_numel(t); i++)
        tensor_set_flat(t, i, (double)i);
    CHECK_EQ_INT(store_put_tensor(s, name, t, "test", NULL), 0);
}

static void fx_init(fixture_t *f) {
    memset(f, 0, sizeof *f);
    f->store = store_new(0);
    int64_t s4[] = {1, 2, 3, 3}, s2[] = {4, 8}, s1[] = {3};
    put_tensor(f->store, "blocks.3.attn.hook_pattern", DT_F32, 4, s4);
    put_tensor(f->store, "blocks.3.hook_resid_post", DT_F32, 2, s2);
    put_tensor(f->store, "blocks.10.hook_resid_post", DT_F32, 2, s2);
    put_tensor(f->store, "x", DT_I32, 1, s1);
    strlist_t toks = STRLIST_INIT;
    strlist_push(&toks, "The");
    strlist_push(&toks, " cat");
    CHECK_EQ_INT(store_put_strings(f->store, "toks", &toks, "inline", NULL), 0);
    strlist_t cols = STRLIST_INIT;
    strlist_push(&cols, "loss");
    strlist_push(&cols, "step");
    CHECK_EQ_INT(store_put_table(f->store, "metrics", &cols, 3, "log.jsonl", NULL), 0);
    put_tensor(f->store, "metrics.loss", DT_F64, 1, s1);
    put_tensor(f->store, "metrics.step", DT_F64, 1, s1);
    f->out = (out_t){&f->rec, r_stream, r_display, r_result, r_clear, NULL, NULL};
    f->in.store = f->store;
    f->in.out = &f->out;
    f->in.interrupted = &f->intr;
}

static void fx_fini(fixture_t *f) {
    store_free(f->store);
    buf_fini(&f->rec.text);
    buf_fini(&f->rec.html);
}

/* Completes code at its end (or at the '|' marker, which is removed). Returns matches
 * joined by spaces; start and end as interp_complete left them. */
static char *complete(fixture_t *f, const char *code_marked, size_t *start, size_t *end) {
    char *code = xstrdup(code_marked);
    char *bar = strchr(code, '|');
    size_t cursor = strlen(code);
    if (bar) {
        cursor = (size_t)(bar - code);
        memmove(bar, bar + 1, strlen(bar));
    }
    strlist_t m = STRLIST_INIT;
    CHECK_EQ_INT(interp_complete(&f->in, code, cursor, &m, start, end), 0);
    buf_t b = BUF_INIT;
    for (size_t i = 0; i < m.n; i++) {
        if (i)
            buf_putc(&b, ' ');
        buf_puts(&b, m.items[i]);
    }
    strlist_fini(&m);
    free(code);
    return b.data ? buf_take(&b, NULL) : xstrdup("");
}

static void test_complete_magics_flags(void) {
    fixture_t f;
    fx_init(&f);
    size_t s, e;
    char *r = complete(&f, "%hel", &s, &e);
    CHECK_EQ_STR(r, "%help");
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(e, 4);
    free(r);
    r = complete(&f, "%echo hi\n  %s", &s, &e);
    CHECK_EQ_STR(r, "%save");
    CHECK_EQ_INT(s, 11);
    CHECK_EQ_INT(e, 13);
    free(r);
    r = complete(&f, "%", &s, &e);
    CHECK_CONTAINS(r, "%load");
    CHECK_CONTAINS(r, "%who");
    free(r);
    /* A bare first word also offers magics (with their '%'). */
    r = complete(&f, "inf", &s, &e);
    CHECK_EQ_STR(r, "%info");
    free(r);
    r = complete(&f, "%echo x --st", &s, &e);
    CHECK_EQ_STR(r, "--stderr");
    CHECK_EQ_INT(s, 8);
    free(r);
    r = complete(&f, "%clear --", &s, &e);
    CHECK_EQ_STR(r, "--wait");
    free(r);
    /* A flag of another magic is not offered. */
    r = complete(&f, "%who --st", &s, &e);
    CHECK_EQ_STR(r, "");
    free(r);
    r = complete(&f, "%help ec", &s, &e);
    CHECK_EQ_STR(r, "echo");
    free(r);
    /* Cursor in the middle: completes the part before it. */
    r = complete(&f, "%ec| hello", &s, &e);
    CHECK_EQ_STR(r, "%echo");
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(e, 3);
    free(r);
    fx_fini(&f);
}

static void test_complete_names(void) {
    fixture_t f;
    fx_init(&f);
    size_t s, e;
    char *r = complete(&f, "y = blocks.3.", &s, &e);
    CHECK_EQ_STR(r, "blocks.3.attn.hook_pattern blocks.3.hook_resid_post");
    CHECK_EQ_INT(s, 4);
    CHECK_EQ_INT(e, 13);
    free(r);
    r = complete(&f, "%info metrics.l", &s, &e);
    CHECK_EQ_STR(r, "metrics.loss");
    free(r);
    r = complete(&f, "%info to", &s, &e);
    CHECK_EQ_STR(r, "toks");
    free(r);
    r = complete(&f, "%echo a --stderr t", &s, &e);
    CHECK_EQ_STR(r, "toks");
    free(r);
    /* Inside brackets: indices, nothing to offer. */
    r = complete(&f, "x[", &s, &e);
    CHECK_EQ_STR(r, "");
    free(r);
    r = complete(&f, "x[0, ", &s, &e);
    CHECK_EQ_STR(r, "");
    free(r);
    r = complete(&f, "y = zz", &s, &e);
    CHECK_EQ_STR(r, "");
    free(r);
    /* Cursor past the end is clamped. */
    strlist_t m = STRLIST_INIT;
    CHECK_EQ_INT(interp_complete(&f.in, "%wh", 99, &m, &s, &e), 0);
    CHECK_EQ_INT(m.n, 1);
    CHECK_EQ_INT(e, 3);
    strlist_fini(&m);
    fx_fini(&f);
}

static void test_complete_paths(void) {
    fixture_t f;
    fx_init(&f);
    char dir[] = "/tmp/mechviz-complete-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *p1 = xasprintf("%s/run1.safetensors", dir);
    char *p2 = xasprintf("%s/run2.npy", dir);
    char *p3 = xasprintf("%s/sub", dir);
    fclose(fopen(p1, "w"));
    fclose(fopen(p2, "w"));
    mkdir(p3, 0700);
    size_t s, e;
    char *code = xasprintf("%%load %s/ru", dir);
    char *r = complete(&f, code, &s, &e);
    char *want = xasprintf("%s/run1.safetensors %s/run2.npy", dir, dir);
    CHECK_EQ_STR(r, want);
    CHECK_EQ_INT(s, 6);
    free(r);
    free(want);
    free(code);
    code = xasprintf("%%load a = %s/s", dir);
    r = complete(&f, code, &s, &e);
    want = xasprintf("%s/sub/", dir);
    CHECK_EQ_STR(r, want);
    free(r);
    free(want);
    free(code);
    /* %save completes the path (first argument), then names. */
    code = xasprintf("%%save %s/run1", dir);
    r = complete(&f, code, &s, &e);
    want = xasprintf("%s/run1.safetensors", dir);
    CHECK_EQ_STR(r, want);
    free(r);
    free(want);
    free(code);
    r = complete(&f, "%save out.safetensors blocks.10", &s, &e);
    CHECK_EQ_STR(r, "blocks.10.hook_resid_post");
    free(r);
    unlink(p1);
    unlink(p2);
    rmdir(p3);
    rmdir(dir);
    free(p1);
    free(p2);
    free(p3);
    fx_fini(&f);
}

static void test_inspect(void) {
    fixture_t f;
    fx_init(&f);
    buf_t b = BUF_INIT;
    const char *code = "y = blocks.3.attn.hook_pattern[0]";
    CHECK_EQ_INT(interp_inspect(&f.in, code, 10, 0, &b), 1);
    CHECK_CONTAINS(buf_str(&b),
                   "blocks.3.attn.hook_pattern[0]: tensor float32 [2, 3, 3]");
    CHECK_CONTAINS(buf_str(&b), "source      test");
    CHECK(strstr(buf_str(&b), "mean") == NULL); /* no statistics without detail */
    buf_reset(&b);
    CHECK_EQ_INT(interp_inspect(&f.in, "x", 1, 1, &b), 1);
    CHECK_CONTAINS(buf_str(&b), "x: tensor int32 [3]");
    CHECK_CONTAINS(buf_str(&b), "mean        1");
    CHECK_CONTAINS(buf_str(&b), "zeros       33.33% (1 of 3)");
    buf_reset(&b);
    CHECK_EQ_INT(interp_inspect(&f.in, "%echo hi", 2, 0, &b), 1);
    CHECK_CONTAINS(buf_str(&b), "%echo [--stderr] TEXT...");
    buf_reset(&b);
    CHECK_EQ_INT(interp_inspect(&f.in, "toks?", 5, 0, &b), 1);
    CHECK_CONTAINS(buf_str(&b), "toks: token list of 2 strings");
    buf_reset(&b);
    CHECK_EQ_INT(interp_inspect(&f.in, "metrics", 3, 0, &b), 1);
    CHECK_CONTAINS(buf_str(&b), "metrics: table, 3 rows, 2 columns");
    buf_reset(&b);
    CHECK_EQ_INT(interp_inspect(&f.in, "nosuch + 1", 2, 0, &b), 0);
    CHECK_EQ_INT(interp_inspect(&f.in, "   ", 1, 0, &b), 0);
    CHECK_EQ_INT(interp_inspect(&f.in, "", 0, 0, &b), 0);
    CHECK_EQ_INT(b.len, 0);
    /* An out-of-range index falls back to the name itself. */
    CHECK_EQ_INT(interp_inspect(&f.in, "x[7]", 0, 0, &b), 1);
    CHECK_CONTAINS(buf_str(&b), "x: tensor int32 [3]");
    buf_fini(&b);
    fx_fini(&f);
}

static void test_is_complete(void) {
    const char *indent = NULL;
    CHECK_EQ_STR(interp_is_complete("%load a.npy", &indent), "complete");
    CHECK_EQ_STR(indent, "");
    CHECK_EQ_STR(interp_is_complete("", &indent), "complete");
    CHECK_EQ_STR(interp_is_complete("%nosuchmagic x", &indent), "complete");
    CHECK_EQ_STR(interp_is_complete("%attention x \\", &indent), "incomplete");
    CHECK_EQ_STR(interp_is_complete("y = x[0,", &indent), "incomplete");
    CHECK_EQ_STR(interp_is_complete("y = x[0,\n 1", &indent), "incomplete");
    CHECK_EQ_STR(interp_is_complete("y = x[0,\n 1]", &indent), "complete");
    CHECK_EQ_STR(interp_is_complete("%tokens t = \"abc", &indent), "incomplete");
    CHECK_EQ_STR(interp_is_complete("y = x]", &indent), "invalid");
    CHECK_EQ_STR(interp_is_complete("x[0] = y", &indent), "invalid");
    CHECK_EQ_STR(interp_is_complete("%tokens t = \"abc\n%who", &indent), "invalid");
    CHECK_EQ_STR(interp_is_complete("%echo a\\", NULL), "incomplete");
}

static void test_run_and_interrupt(void) {
    fixture_t f;
    fx_init(&f);
    err_t err;
    CHECK_EQ_INT(interp_run(&f.in, "x\n%echo done", &err), 0);
    CHECK_CONTAINS(buf_str(&f.rec.text), "tensor([0, 1, 2], dtype=int32, shape=[3])");
    CHECK_EQ_INT(f.rec.displays, 1);
    CHECK_EQ_INT(f.rec.results, 0);
    CHECK_CONTAINS(buf_str(&f.rec.text), "done");
    /* An interrupt pending before the cell stops it at its first statement and is
     * cleared once reported. */
    buf_reset(&f.rec.text);
    f.intr = 1;
    CHECK_EQ_INT(interp_run(&f.in, "%echo a\n%echo b", &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    CHECK_EQ_INT(err.line, 1);
    CHECK_EQ_INT(f.intr, 0);
    CHECK_EQ_INT(f.rec.text.len, 0);
    CHECK_EQ_INT(interp_run(&f.in, "%echo a", &err), 0);
    CHECK_EQ_STR(buf_str(&f.rec.text), "a\n");
    /* %who gives a table with HTML that escapes names and sources. */
    CHECK_EQ_INT(interp_run(&f.in, "%who", &err), 0);
    CHECK_CONTAINS(buf_str(&f.rec.html), "<th>name</th>");
    CHECK_CONTAINS(buf_str(&f.rec.html),
                   "<td><code>blocks.3.attn.hook_pattern</code></td>");
    CHECK_CONTAINS(buf_str(&f.rec.html), "<td>table</td>");
    /* Errors carry the line of the failing statement; earlier statements ran. */
    buf_reset(&f.rec.text);
    CHECK_EQ_INT(interp_run(&f.in, "%echo one\n\ny = x[5]\n%echo never", &err), -1);
    CHECK_EQ_STR(err_kind(&err), "IndexError");
    CHECK_EQ_INT(err.line, 3);
    CHECK_EQ_INT(err.col, 7); /* the index item */
    CHECK_EQ_STR(buf_str(&f.rec.text), "one\n");
    CHECK(store_get(f.store, "y") == NULL);
    /* NULL code is an empty cell. */
    CHECK_EQ_INT(interp_run(&f.in, NULL, &err), 0);
    fx_fini(&f);
}

static void test_commands_table(void) {
    CHECK(commands_count() >= 9);
    for (size_t i = 0; i < commands_count(); i++) {
        const cmd_spec_t *s = commands_at(i);
        CHECK(s != NULL && s->name && s->fn && s->usage && s->help);
        CHECK(commands_find(s->name) == s);
        CHECK(s->max_args < 0 || s->max_args >= s->min_args);
    }
    CHECK(commands_at(commands_count()) == NULL);
    CHECK(commands_find("nosuch") == NULL);
    CHECK_EQ_STR(commands_family(commands_find("load")), "tensor");
    CHECK_EQ_STR(commands_suggest("lod"), "load");
    CHECK_EQ_STR(commands_suggest("ech"), "echo");
    CHECK_EQ_STR(commands_suggest("infoo"), "info");
    CHECK(commands_suggest("zzzzzzzz") == NULL);
    int tv = -1;
    CHECK_EQ_INT(commands_has_flag(commands_find("echo"), "stderr", &tv), 1);
    CHECK_EQ_INT(tv, 0);
    CHECK_EQ_INT(commands_has_flag(commands_find("echo"), "std", &tv), 0);
}

/* A fake spec to exercise binding: --tokens takes a value, --static does not. */
static int fake_fn(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    UNUSED(ctx);
    UNUSED(st);
    UNUSED(err);
    return 0;
}
static const cmd_spec_t fake = {"attention",
                                fake_fn,
                                1,
                                1,
                                0,
                                "tokens= static vmax=",
                                "%attention X [--tokens T] [--static] [--vmax V]",
                                "attention",
                                NULL};

static int bind(const char *code, parse_stmt_t **st, size_t *n, err_t *err) {
    err_clear(err);
    if (parse_cell(code, st, n, err) < 0)
        return -2;
    return commands_bind(&fake, &(*st)[0], err);
}

static void test_bind_and_flags(void) {
    parse_stmt_t *st;
    size_t n;
    err_t err;
    CHECK_EQ_INT(bind("%attention --static x[0] --tokens toks --vmax 0.5", &st, &n, &err),
                 0);
    CHECK_EQ_INT(st[0].nargs, 1);
    CHECK_EQ_STR(st[0].args[0].text, "x[0]");
    CHECK_EQ_INT(st[0].args[0].col, 21);
    CHECK_EQ_STR(cmd_flag(&st[0], "static"), "");
    CHECK_EQ_STR(cmd_flag(&st[0], "tokens"), "toks");
    CHECK(cmd_flag(&st[0], "nope") == NULL);
    double d;
    CHECK_EQ_INT(cmd_flag_double(&st[0], "vmax", 1.0, &d, &err), 0);
    CHECK_EQ_DBL(d, 0.5, 0);
    CHECK_EQ_INT(cmd_flag_double(&st[0], "vmin", -1.0, &d, &err), 0);
    CHECK_EQ_DBL(d, -1.0, 0);
    long l;
    CHECK_EQ_INT(cmd_flag_long(&st[0], "vmax", 3, &l, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    CHECK_EQ_STR(err.msg, "--vmax expects an integer, got '0.5'");
    CHECK_EQ_INT(err.col, 47);
    parse_free(st, n);

    CHECK_EQ_INT(bind("%attention x --vmax abc", &st, &n, &err), 0);
    CHECK_EQ_INT(cmd_flag_double(&st[0], "vmax", 1.0, &d, &err), -1);
    CHECK_EQ_STR(err.msg, "--vmax expects a number, got 'abc'");
    CHECK_EQ_INT(err.col, 21);
    parse_free(st, n);

    CHECK_EQ_INT(bind("%attention x --tokns toks", &st, &n, &err), -1);
    CHECK_EQ_STR(err.msg, "unknown flag --tokns for %attention; did you mean --tokens?");
    CHECK_EQ_STR(err_kind(&err), "UsageError");
    CHECK_EQ_INT(err.col, 14);
    parse_free(st, n);
    CHECK_EQ_INT(bind("%attention x --tokens", &st, &n, &err), -1);
    CHECK_CONTAINS(err.msg, "flag --tokens of %attention needs a value");
    parse_free(st, n);
    CHECK_EQ_INT(bind("%attention x --tokens --static", &st, &n, &err), -1);
    CHECK_CONTAINS(err.msg, "flag --tokens of %attention needs a value");
    parse_free(st, n);
    CHECK_EQ_INT(bind("%attention --static", &st, &n, &err), -1);
    CHECK_CONTAINS(err.msg, "%attention takes 1 argument, got 0");
    parse_free(st, n);
    CHECK_EQ_INT(bind("%attention x y", &st, &n, &err), -1);
    CHECK_CONTAINS(err.msg, "unexpected 'y'");
    CHECK_EQ_INT(err.col, 14);
    parse_free(st, n);
}

static void test_tensor_arg(void) {
    fixture_t f;
    fx_init(&f);
    cmd_ctx_t ctx = {f.store, &f.out, &f.intr};
    parse_stmt_t st;
    memset(&st, 0, sizeof st);
    st.line = 2;
    err_t err;
    tensor_t *t =
        cmd_tensor_arg(&ctx, &st, "blocks.3.attn.hook_pattern[0, -1, 1:]", 7, &err);
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->ndim, 2);
        CHECK_EQ_INT(t->shape[0], 2);
        CHECK_EQ_INT(t->shape[1], 3);
        /* numpy: arange(18).reshape(1,2,3,3)[0,-1,1:] -> [[12,13,14],[15,16,17]] */
        CHECK_EQ_DBL(tensor_get_flat(t, 0), 12, 0);
        CHECK_EQ_DBL(tensor_get_flat(t, 5), 17, 0);
        tensor_free(t);
    }
    t = cmd_tensor_arg(&ctx, &st, "blocks.3.attn.hook_patern", 7, &err);
    CHECK(t == NULL);
    CHECK_EQ_STR(err.msg, "name 'blocks.3.attn.hook_patern' is not defined; did you mean "
                          "'blocks.3.attn.hook_pattern'?");
    CHECK_EQ_STR(err_kind(&err), "NameError");
    CHECK_EQ_INT(err.line, 2);
    CHECK_EQ_INT(err.col, 7);
    CHECK(cmd_tensor_arg(&ctx, &st, "x[3]", 7, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "IndexError");
    CHECK_EQ_INT(err.line, 2);
    CHECK(cmd_tensor_arg(&ctx, &st, "x[0", 7, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "SyntaxError");
    CHECK(cmd_tensor_arg(&ctx, &st, "metrics", 1, &err) == NULL);
    CHECK_CONTAINS(err.msg, "'metrics' is a table, not a tensor; use a column such as "
                            "'metrics.loss'");
    CHECK(cmd_strings_arg(&ctx, &st, "toks", 1, &err) != NULL);
    CHECK(cmd_strings_arg(&ctx, &st, "x", 1, &err) == NULL);
    CHECK_EQ_STR(err.msg, "'x' is a tensor, not a token list");
    CHECK(cmd_strings_arg(&ctx, &st, "tok", 4, &err) == NULL);
    CHECK_EQ_STR(err.msg, "name 'tok' is not defined; did you mean 'toks'?");
    CHECK_EQ_INT(err.col, 4);
    CHECK_EQ_INT(cmd_interrupted(&ctx, &err), 0);
    f.intr = 1;
    CHECK_EQ_INT(cmd_interrupted(&ctx, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    fx_fini(&f);
}

/* Every line of tests/data/index_cases.txt (made by numpy: "shape | items | result")
 * through the language: `y = x[items]` on x = arange(prod(shape)).reshape(shape) must
 * give numpy's shape and values, or numpy's error message. */
static void test_numpy_index_cases(void) {
    FILE *fp = fopen("tests/data/index_cases.txt", "r");
    if (!fp)
        SKIP("tests/data/index_cases.txt not found (run from the repository root)");
    char line[1024];
    int ncases = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '#' || !strchr(line, '|'))
            continue;
        char *shape_s = line, *items_s = strchr(line, '|');
        *items_s++ = '\0';
        char *want = strchr(items_s, '|');
        if (!want)
            continue;
        *want++ = '\0';
        while (*want == ' ')
            want++;
        int64_t shape[TENSOR_MAX_DIMS];
        int ndim = 0;
        for (char *p = shape_s; *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            if (!*p)
                break;
            shape[ndim++] = strtoll(p, &p, 10);
        }
        buf_t code = BUF_INIT;
        buf_puts(&code, "y = x[");
        for (char *p = items_s; *p; p++) {
            if (*p == ' ')
                continue;
            if (*p == ';')
                buf_puts(&code, ", ");
            else if (*p != '_')
                buf_putc(&code, *p);
        }
        buf_puts(&code, "]\ny");
        if (strcmp(buf_str(&code), "y = x[]\ny") == 0) { /* numpy's x[()] */
            buf_reset(&code);
            buf_puts(&code, "y = x\ny");
        }
        store_t *store = store_new(0);
        put_tensor(store, "x", DT_I64, ndim, shape);
        rec_t rec;
        memset(&rec, 0, sizeof rec);
        out_t out = {&rec, r_stream, r_display, r_result, r_clear, NULL, NULL};
        interp_t in = {store, &out, NULL};
        err_t err;
        int rc = interp_run(&in, buf_str(&code), &err);
        if (strncmp(want, "error=", 6) == 0) {
            CHECK_EQ_INT(rc, -1);
            CHECK_EQ_STR(err.msg, want + 6);
            CHECK_EQ_STR(err_kind(&err), "IndexError");
        } else {
            CHECK_EQ_INT(rc, 0);
            const store_entry_t *y = store_get(store, "y");
            CHECK(y != NULL);
            if (rc != 0 || !y) {
                fprintf(stderr, "  case: %s -> %s\n", buf_str(&code), err.msg);
            } else {
                buf_t got = BUF_INIT;
                char shp[160];
                tensor_format_shape(y->tensor, shp, sizeof shp);
                buf_printf(&got, "shape=%s values=", shp);
                for (int64_t i = 0; i < tensor_numel(y->tensor); i++)
                    buf_printf(&got, "%s%.0f", i ? "," : "",
                               tensor_get_flat(y->tensor, i));
                CHECK_EQ_STR(buf_str(&got), want);
                /* A view shares memory with x. */
                CHECK(y->tensor->mem == store_get(store, "x")->tensor->mem);
                buf_fini(&got);
            }
        }
        ncases++;
        buf_fini(&code);
        buf_fini(&rec.text);
        buf_fini(&rec.html);
        store_free(store);
    }
    fclose(fp);
    CHECK(ncases >= 20);
}

/* A handler's long computation (%info's statistics over 2M elements) stops on the
 * interrupt flag with a KeyboardInterrupt positioned on its statement; interp_run then
 * resets the flag. */
static void test_interrupt_in_handler(void) {
    fixture_t f;
    fx_init(&f);
    int64_t big[] = {1 << 21};
    tensor_t *t = tensor_new(DT_F32, 1, big, NULL);
    CHECK_EQ_INT(store_put_tensor(f.store, "big", t, "test", NULL), 0);
    parse_stmt_t *st;
    size_t n;
    err_t err;
    CHECK_EQ_INT(parse_cell("%echo a\n%info big", &st, &n, &err), 0);
    const cmd_spec_t *info = commands_find("info");
    CHECK_EQ_INT(commands_bind(info, &st[1], &err), 0);
    cmd_ctx_t ctx = {f.store, &f.out, &f.intr};
    f.intr = 1;
    CHECK_EQ_INT(info->fn(&ctx, &st[1], &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    CHECK_EQ_INT(err.line, 2);
    f.intr = 0;
    buf_reset(&f.rec.text);
    CHECK_EQ_INT(info->fn(&ctx, &st[1], &err), 0);
    CHECK_CONTAINS(buf_str(&f.rec.text), "zeros       100% (2097152 of 2097152)");
    parse_free(st, n);
    fx_fini(&f);
}

CHECK_MAIN(test_interrupt_in_handler, test_numpy_index_cases, test_complete_magics_flags,
           test_complete_names, test_complete_paths, test_inspect, test_is_complete,
           test_run_and_interrupt, test_commands_table, test_bind_and_flags,
           test_tensor_arg)
