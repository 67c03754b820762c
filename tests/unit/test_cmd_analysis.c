/* SPDX-License-Identifier: MIT */
/* test_cmd_analysis.c -- %pca and %lens through the interpreter: an interrupt during the
 * computation fails with KeyboardInterrupt and leaves the store exactly as it was;
 * a progress callback is driven; shared helpers (hover context, labels). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd_analysis.h"
#include "interp.h"
#include "store.h"

typedef struct sink {
    volatile sig_atomic_t *flag; /* set on the first progress report when arm != 0 */
    int arm;
    int progress_calls;
    int displays;
} sink_t;

static void s_stream(void *ctx, int fd, const char *text, size_t len) {
    UNUSED(ctx);
    UNUSED(fd);
    UNUSED(text);
    UNUSED(len);
}

static void s_display(void *ctx, const out_bundle_t *b, int update) {
    UNUSED(b);
    UNUSED(update);
    ((sink_t *)ctx)->displays++;
}

static void s_progress(void *ctx, const char *label, double f) {
    UNUSED(label);
    UNUSED(f);
    sink_t *s = ctx;
    s->progress_calls++;
    if (s->arm)
        *s->flag = 1;
}

static double at2(store_t *st, const char *name, int64_t i, int64_t j) {
    const store_entry_t *e = store_get(st, name);
    if (!e || e->kind != STORE_TENSOR)
        return -1e300;
    int64_t idx[2] = {i, j};
    return tensor_get(e->tensor, idx);
}

static void test_interrupt_keeps_store(void) {
    volatile sig_atomic_t flag = 0;
    sink_t sk = {&flag, 0, 0, 0};
    out_t out = {&sk, s_stream, s_display, NULL, NULL, NULL, s_progress};
    store_t *st = store_new(0);
    interp_t in = {st, &out, &flag};
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(interp_run(&in,
                            "%load x = tests/data/analysis/clusters_x.npy\n"
                            "%load r = tests/data/analysis/lens_resid.npy\n"
                            "%load wu = tests/data/analysis/lens_wu.npy\n"
                            "%pca x --k 3 --static",
                            &err),
                 0);
    CHECK(sk.progress_calls > 0);
    CHECK(sk.displays == 1); /* the picture; no progress bar for a short run */
    size_t n0 = store_count(st);
    double c00 = at2(st, "pca.coords", 0, 0), c51 = at2(st, "pca.coords", 5, 1);
    CHECK_EQ_INT(store_get(st, "pca.coords")->tensor->shape[1], 3);

    /* Interrupted during the computation: KeyboardInterrupt, store unchanged. */
    sk.arm = 1;
    err_clear(&err);
    CHECK_EQ_INT(interp_run(&in, "%pca x --k 2 --static", &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    CHECK_EQ_INT(store_count(st), n0);
    CHECK_EQ_INT(store_get(st, "pca.coords")->tensor->shape[1], 3);
    CHECK_EQ_DBL(at2(st, "pca.coords", 0, 0), c00, 0);
    CHECK_EQ_DBL(at2(st, "pca.coords", 5, 1), c51, 0);

    flag = 0;
    err_clear(&err);
    CHECK_EQ_INT(interp_run(&in, "%lens r --unembed wu --static", &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    CHECK(store_get(st, "lens.prob") == NULL);
    CHECK_EQ_INT(store_count(st), n0);

    /* Disarmed, the same statements work again. */
    sk.arm = 0;
    flag = 0;
    err_clear(&err);
    CHECK_EQ_INT(
        interp_run(&in, "%lens r --unembed wu --static\n%pca x --k 2 --static", &err), 0);
    CHECK(store_get(st, "lens.prob") != NULL);
    CHECK_EQ_INT(store_get(st, "pca.coords")->tensor->shape[1], 2);
    store_free(st);
}

static void test_context_and_labels(void) {
    strlist_t t = STRLIST_INIT;
    const char *words[] = {"a", " b", "\n", " d", " e", " f"};
    for (int i = 0; i < 6; i++)
        strlist_push(&t, words[i]);
    buf_t b = BUF_INIT;
    cmd_analysis_context(&t, 2, 1, 0, &b);
    CHECK_EQ_STR(buf_str(&b), "… b[⏎] d…");
    buf_reset(&b);
    cmd_analysis_context(&t, 4, 2, 3, &b); /* sequences of 3: [3..5] */
    CHECK_EQ_STR(buf_str(&b), " d[ e] f");
    buf_reset(&b);
    cmd_analysis_context(&t, 0, 2, 0, &b);
    CHECK_EQ_STR(buf_str(&b), "[a] b⏎…");
    buf_fini(&b);

    store_t *st = store_new(0);
    strlist_t lab = STRLIST_INIT;
    const char *l[] = {"x", "y", "x", "z", "x", "y"};
    for (int i = 0; i < 6; i++)
        strlist_push(&lab, l[i]);
    err_t err;
    CHECK_EQ_INT(store_put_strings(st, "lab", &lab, "test", &err), 0);
    analysis_labels_t al;
    CHECK_EQ_INT(cmd_analysis_labels(st, "lab", 6, &al, &err), 0);
    CHECK_EQ_INT(al.kind, LABELS_CATEGORY);
    CHECK_EQ_INT(al.names.n, 3);
    CHECK_EQ_STR(al.names.items[0], "x"); /* most frequent first */
    CHECK_EQ_STR(al.names.items[1], "y");
    CHECK_EQ_INT(al.cat[3], 2);
    cmd_analysis_labels_fini(&al);
    CHECK_EQ_INT(cmd_analysis_labels(st, "lab", 7, &al, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ShapeError");
    strlist_fini(&lab);
    strlist_fini(&t);
    store_free(st);
}

CHECK_MAIN(test_interrupt_keeps_store, test_context_and_labels)
