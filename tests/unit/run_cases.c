/* SPDX-License-Identifier: MIT */
/* run_cases.c -- runs the language cases (the .case files of tests/cases) through
 * interp_run.
 *
 * The behaviour of the language is written as data, one group per case:
 *
 *     ### a name for the case
 *     the cell, one or more lines
 *     ---
 *     the expected output
 *
 * Each case runs in a fresh store, with a recording `out_t` (no sockets). The output is
 * recorded as text: stdout as written; stderr lines prefixed "stderr: "; a display's
 * text/plain (followed by "[html]" when it has HTML); the cell's result prefixed "Out: ";
 * "[clear]"; and, if the cell fails, "error: Kind: message (line L, col C)". A line
 * "===" in the cell part starts another cell run on the same store. The output is
 * compared line by line with the expected output, trailing blanks ignored; an expected
 * line "..." matches any number of lines, and a line ending in "..." matches any line
 * that starts with the text before it (blanks before the "..." ignored).
 *
 * `$TMP` in a case is a scratch directory holding the fixtures written at start-up (see
 * make_fixtures). Lines before the first "###" are comments. Cases run from the
 * repository root, so tests/data/... paths work. Prints "cases: N passed, N failed". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "interp.h"
#include "store.h"
#include "tensor.h"
#include "tensor_io.h"

/* =====================================================================================
 */
/* The recording sink */
/* =====================================================================================
 */

static void ensure_nl(buf_t *b) {
    if (b->len && b->data[b->len - 1] != '\n')
        buf_putc(b, '\n');
}

static void rec_stream(void *ctx, int fd, const char *text, size_t len) {
    buf_t *b = ctx;
    if (fd == 1) {
        buf_append(b, text, len);
        return;
    }
    int bol = b->len == 0 || b->data[b->len - 1] == '\n';
    for (size_t i = 0; i < len; i++) {
        if (bol)
            buf_puts(b, "stderr: ");
        buf_putc(b, text[i]);
        bol = text[i] == '\n';
    }
}

static void rec_display(void *ctx, const out_bundle_t *bd, int update) {
    buf_t *b = ctx;
    ensure_nl(b);
    if (update)
        buf_puts(b, "[update]\n");
    buf_puts(b, bd->text);
    ensure_nl(b);
    if (bd->html)
        buf_puts(b, "[html]\n");
    if (bd->png)
        buf_puts(b, "[png]\n");
}

static void rec_result(void *ctx, const out_bundle_t *bd) {
    buf_t *b = ctx;
    ensure_nl(b);
    buf_puts(b, "Out: ");
    buf_puts(b, bd->text);
    ensure_nl(b);
}

static void rec_clear(void *ctx, int wait) {
    buf_t *b = ctx;
    ensure_nl(b);
    buf_puts(b, wait ? "[clear wait]\n" : "[clear]\n");
}

static int rec_widget(void *ctx, const out_widget_t *w, err_t *err) {
    UNUSED(err);
    buf_t *b = ctx;
    ensure_nl(b);
    buf_printf(b, "[widget %s]\n", w->kind);
    return 0;
}

/* =====================================================================================
 */
/* Fixtures */
/* =====================================================================================
 */

static tensor_t *arange(dtype_t dt, int ndim, const int64_t *shape, double scale,
                        double offset) {
    tensor_t *t = tensor_new(dt, ndim, shape, NULL);
    if (!t)
        abort();
    for (int64_t i = 0; i < tensor_numel(t); i++)
        tensor_set_flat(t, i, (double)i * scale + offset);
    return t;
}

static int write_bytes(const char *dir, const char *name, const char *data, size_t len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(data, 1, len, f);
    return fclose(f);
}

static int write_file(const char *dir, const char *name, const char *text) {
    return write_bytes(dir, name, text, strlen(text));
}

/* Writes the fixtures the cases use into dir:
 *   small.safetensors  a: float32 [2, 3, 4] = arange(24)
 *                      b: int64 [5] = [-2, -1, 0, 1, 2]
 *                      blocks.3.attn.hook_pattern: float32 [1, 2, 3, 3] = arange(18) / 8
 *   zeros.safetensors  z: float32 [4] = [0, 0, 0, 0]
 *   toks.json          ["The", " cat", " sat"]
 *   metrics.jsonl      three records {"step", "loss"}
 *   many.safetensors   t00 .. t44: float32 [4] zeros (more than %load lists)
 *   bad.safetensors    a header announcing 16 bytes of JSON, then 7 bytes */
static int make_fixtures(const char *dir) {
    int64_t s1[] = {2, 3, 4}, s2[] = {5}, s3[] = {1, 2, 3, 3}, s4[] = {4};
    tensor_t *a = arange(DT_F32, 3, s1, 1, 0);
    tensor_t *b = arange(DT_I64, 1, s2, 1, -2);
    tensor_t *c = arange(DT_F32, 4, s3, 0.125, 0);
    tensor_t *z = arange(DT_F32, 1, s4, 0, 0);
    const char *names[] = {"a", "b", "blocks.3.attn.hook_pattern"};
    const tensor_t *ts[] = {a, b, c};
    char path[4096];
    err_t err;
    err_clear(&err);
    int rc = 0;
    snprintf(path, sizeof path, "%s/small.safetensors", dir);
    if (tensor_io_save_safetensors(path, names, ts, 3, &err) < 0)
        rc = -1;
    const char *zn[] = {"z"};
    const tensor_t *zt[] = {z};
    snprintf(path, sizeof path, "%s/zeros.safetensors", dir);
    if (tensor_io_save_safetensors(path, zn, zt, 1, &err) < 0)
        rc = -1;
    /* many.safetensors: t00 .. t44, each a copy of z. */
    const char *mn[45];
    const tensor_t *mt[45];
    char mnames[45][16];
    for (int i = 0; i < 45; i++) {
        snprintf(mnames[i], sizeof mnames[i], "t%02d", i);
        mn[i] = mnames[i];
        mt[i] = z;
    }
    snprintf(path, sizeof path, "%s/many.safetensors", dir);
    if (tensor_io_save_safetensors(path, mn, mt, 45, &err) < 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "run_cases: cannot write fixtures: %s\n", err.msg);
    tensor_free(a);
    tensor_free(b);
    tensor_free(c);
    tensor_free(z);
    rc |= write_file(dir, "toks.json", "[\"The\", \" cat\", \" sat\"]\n");
    rc |= write_file(dir, "metrics.jsonl",
                     "{\"step\": 1, \"loss\": 2.5}\n{\"step\": 2, \"loss\": 1.25}\n"
                     "{\"step\": 3, \"loss\": 0.5}\n");
    /* A header that claims 16 bytes of JSON but holds a truncated object. */
    rc |= write_bytes(dir, "bad.safetensors", "\x10\0\0\0\0\0\0\0{\"a\": 1", 15);
    return rc;
}

/* =====================================================================================
 */
/* Cases */
/* =====================================================================================
 */

static char *replace_all(const char *s, const char *from, const char *to) {
    buf_t b = BUF_INIT;
    size_t fl = strlen(from);
    const char *p;
    while ((p = strstr(s, from))) {
        buf_append(&b, s, (size_t)(p - s));
        buf_puts(&b, to);
        s = p + fl;
    }
    buf_puts(&b, s);
    return buf_take(&b, NULL);
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    buf_t b = BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&b, tmp, n);
    fclose(f);
    return b.data ? buf_take(&b, NULL) : xstrdup("");
}

/* Splits text into lines (owned), dropping trailing blank lines and trailing spaces. */
static void split_lines(const char *text, strlist_t *out) {
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        size_t t = l;
        while (t > 0 && (p[t - 1] == ' ' || p[t - 1] == '\r' || p[t - 1] == '\t'))
            t--;
        strlist_pushn(out, p, t);
        p += l + (e != NULL);
    }
    while (out->n > 0 && out->items[out->n - 1][0] == '\0')
        free(out->items[--out->n]);
}

/* Does actual[ai..] match expected[ei..], with "..." matching any run of lines? */
static int match_lines(const strlist_t *exp, size_t ei, const strlist_t *act, size_t ai) {
    for (; ei < exp->n; ei++, ai++) {
        if (strcmp(exp->items[ei], "...") == 0) {
            for (size_t k = ai; k <= act->n; k++)
                if (match_lines(exp, ei + 1, act, k))
                    return 1;
            return 0;
        }
        const char *e = exp->items[ei];
        size_t el = strlen(e);
        if (ai >= act->n)
            return 0;
        if (el > 3 && strcmp(e + el - 3, "...") == 0) {
            size_t pl =
                el - 3; /* "text ..." and "text..." both mean "starts with text" */
            while (pl > 0 && e[pl - 1] == ' ')
                pl--;
            if (strncmp(e, act->items[ai], pl) != 0)
                return 0;
        } else if (strcmp(e, act->items[ai]) != 0) {
            return 0;
        }
    }
    return ai == act->n;
}

static int run_case(const char *file, int line, const char *name, const char *cell,
                    const char *expected) {
    buf_t rec = BUF_INIT;
    out_t out = {&rec, rec_stream, rec_display, rec_result, rec_clear, rec_widget, NULL};
    store_t *store = store_new(0);
    volatile sig_atomic_t intr = 0;
    interp_t in = {store, &out, &intr};
    /* A line "===" separates cells run one after another on the same store. */
    char *cells = xstrdup(cell);
    char *p = cells;
    for (;;) {
        char *sep = strstr(p, "\n===");
        while (sep && sep[4] != '\n' && sep[4] != '\0')
            sep = strstr(sep + 1, "\n===");
        if (sep)
            *sep = '\0';
        err_t err;
        err_clear(&err);
        if (interp_run(&in, p, &err) < 0) {
            ensure_nl(&rec);
            buf_printf(&rec, "error: %s: %s (line %d, col %d)\n", err_kind(&err), err.msg,
                       err.line, err.col);
        }
        if (!sep)
            break;
        p = sep + 4 + (sep[4] == '\n');
    }
    free(cells);
    strlist_t exp = STRLIST_INIT, act = STRLIST_INIT;
    split_lines(expected, &exp);
    split_lines(buf_str(&rec), &act);
    int ok = match_lines(&exp, 0, &act, 0);
    if (!ok) {
        fprintf(stderr, "FAIL %s:%d: %s\n--- expected\n%s\n--- actual\n%s\n", file, line,
                name, expected, buf_str(&rec));
    }
    strlist_fini(&exp);
    strlist_fini(&act);
    store_free(store);
    buf_fini(&rec);
    return ok;
}

static void run_file(const char *path, const char *tmp, int *passed, int *failed) {
    char *raw = read_all(path);
    if (!raw) {
        fprintf(stderr, "FAIL cannot read %s\n", path);
        (*failed)++;
        return;
    }
    char *text = replace_all(raw, "$TMP", tmp);
    free(raw);
    strlist_t lines = STRLIST_INIT;
    const char *p = text;
    while (*p) { /* keep every line, blank ones too */
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        strlist_pushn(&lines, p, l);
        p += l + (e != NULL);
    }
    size_t i = 0;
    while (i < lines.n && strncmp(lines.items[i], "### ", 4) != 0)
        i++;
    while (i < lines.n) {
        const char *name = lines.items[i] + 4;
        int at = (int)i + 1;
        buf_t cell = BUF_INIT, exp = BUF_INIT;
        i++;
        int in_exp = 0;
        for (; i < lines.n && strncmp(lines.items[i], "### ", 4) != 0; i++) {
            if (!in_exp && strcmp(lines.items[i], "---") == 0) {
                in_exp = 1;
                continue;
            }
            buf_t *b = in_exp ? &exp : &cell;
            if (b == &cell && cell.len)
                buf_putc(b, '\n');
            buf_puts(b, lines.items[i]);
            if (b == &exp)
                buf_putc(b, '\n');
        }
        if (!in_exp) {
            fprintf(stderr, "FAIL %s:%d: %s: no '---' line\n", path, at, name);
            (*failed)++;
        } else if (run_case(path, at, name, buf_str(&cell), buf_str(&exp))) {
            (*passed)++;
        } else {
            (*failed)++;
        }
        buf_fini(&cell);
        buf_fini(&exp);
    }
    strlist_fini(&lines);
    free(text);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) != 0)
            remove_tree(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "tests/cases";
    char tmp[] = "/tmp/mechviz-cases-XXXXXX";
    if (!mkdtemp(tmp) || make_fixtures(tmp) < 0) {
        fprintf(stderr, "run_cases: cannot prepare %s\n", tmp);
        printf("cases: 0 passed, 1 failed\n");
        return 1;
    }
    strlist_t files = STRLIST_INIT;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".case") == 0)
            strlist_push_take(&files, xasprintf("%s/%s", dir, e->d_name));
    }
    if (d)
        closedir(d);
    qsort(files.items, files.n, sizeof *files.items, cmp_str);
    int passed = 0, failed = 0;
    if (argc > 2) { /* run only the named case files */
        for (int i = 2; i < argc; i++)
            run_file(argv[i], tmp, &passed, &failed);
    } else {
        for (size_t i = 0; i < files.n; i++)
            run_file(files.items[i], tmp, &passed, &failed);
    }
    if (files.n == 0 && argc <= 2) {
        fprintf(stderr, "run_cases: no .case files in %s\n", dir);
        failed++;
    }
    strlist_fini(&files);
    remove_tree(tmp);
    printf("cases: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
