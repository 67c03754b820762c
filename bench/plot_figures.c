/* SPDX-License-Identifier: MIT */
/* plot_figures.c -- render every static figure of the gallery through the interpreter,
 * write each PNG and print its render time.
 *
 * Used by bench/plots.sh (timings against matplotlib) and tools/make_gallery.sh (the
 * README gallery). It runs the same magics a notebook would, on the demo data of
 * examples/data, through interp_run with an output sink that keeps the last PNG, so
 * the time measured is what a user waits for: argument checks, drawing and PNG encoding.
 *
 * Usage: plot_figures DATADIR OUTDIR [REPEAT]   prints "NAME MS" per figure (median). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "interp.h"
#include "out.h"
#include "store.h"
#include "util.h"

typedef struct sink {
    buf_t png;  /* last PNG displayed */
    buf_t text; /* everything printed */
} sink_t;

static void on_stream(void *ctx, int fd, const char *text, size_t len) {
    UNUSED(fd);
    buf_append(&((sink_t *)ctx)->text, text, len);
}

static void on_display(void *ctx, const out_bundle_t *b, int update) {
    UNUSED(update);
    sink_t *s = ctx;
    if (b->png) {
        buf_reset(&s->png);
        buf_append(&s->png, b->png, b->png_len);
    }
    buf_puts(&s->text, b->text);
    buf_putc(&s->text, '\n');
}

static void on_result(void *ctx, const out_bundle_t *b) {
    on_display(ctx, b, 0);
}

static void on_clear(void *ctx, int wait) {
    UNUSED(ctx);
    UNUSED(wait);
}

static const struct figure {
    const char *name;
    const char *cell;
} figures[] = {
    {"heatmap",
     "%heatmap blocks.3.hook_resid_post[0, :24, :40] --title \"Residual stream "
     "(layer 3, first 24 tokens)\" --cmap RdBu_r --center 0"},
    {"attention", "%heads blocks.2.attn.hook_pattern[0, 0] --tokens toks "
                  "--title \"L2H0 (induction head)\""},
    {"heads", "%heads blocks.2.attn.hook_pattern[0] --layer 2"},
    {"patching",
     "%patching patching[:, :32] --tokens toks32 --label \"logit diff recovered\""},
    {"dla", "%dla dla --top 15"},
    {"hist", "%hist acts --feature 3 --bins 30"},
    {"dashboard",
     "%dashboard acts --feature 3 --tokens toks --wdec W_dec --wu W_U --vocab vocab "
     "--k 8"},
    {"curves", "%curves log"},
    {"pareto", "%pareto sweep"},
    {"topk", "%topk lens_logits --tokens vocab --pos 12 --k 5"},
};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s DATADIR OUTDIR [REPEAT]\n", argv[0]);
        return 2;
    }
    const char *data = argv[1], *outdir = argv[2];
    int repeat = argc > 3 ? atoi(argv[3]) : 1;
    if (repeat < 1)
        repeat = 1;
    sink_t sink = {BUF_INIT, BUF_INIT};
    out_t out = {&sink, on_stream, on_display, on_result, on_clear, NULL, NULL};
    store_t *store = store_new(0);
    interp_t in = {store, &out, NULL};
    char *setup = xasprintf("%%load %s/run.safetensors\n"
                            "%%load toks = %s/tokens.json\n"
                            "%%tokens toks32 = \"x\"\n"
                            "%%load %s/figures.npz\n"
                            "%%load vocab = %s/vocab.json\n"
                            "%%load %s/sae_acts.npz\n"
                            "%%load log = %s/log.jsonl\n"
                            "%%load sweep = %s/sweep.json\n"
                            "%%load dla = %s/dla.json\n",
                            data, data, data, data, data, data, data, data);
    err_t err;
    err_clear(&err);
    int rc = 0;
    if (interp_run(&in, setup, &err) < 0) {
        fprintf(stderr, "setup failed: %s: %s (line %d)\n", err_kind(&err), err.msg,
                err.line);
        rc = 1;
        goto out;
    }
    /* toks32: the first 32 tokens, for the figures sliced to 32 positions. */
    const store_entry_t *te = store_get(store, "toks");
    if (te && te->kind == STORE_STRINGS) {
        strlist_t l = STRLIST_INIT;
        for (size_t i = 0; i < te->strings.n && i < 32; i++)
            strlist_push(&l, te->strings.items[i]);
        store_put_strings(store, "toks32", &l, "first 32 of toks", NULL);
        strlist_fini(&l);
    }
    for (size_t f = 0; f < sizeof figures / sizeof figures[0]; f++) {
        double *ms = xcalloc((size_t)repeat, sizeof *ms);
        int ok = 1;
        for (int r = 0; r < repeat && ok; r++) {
            err_clear(&err);
            double t0 = util_now();
            if (interp_run(&in, figures[f].cell, &err) < 0) {
                fprintf(stderr, "%s failed: %s: %s\n", figures[f].name, err_kind(&err),
                        err.msg);
                ok = 0;
                rc = 1;
            }
            ms[r] = (util_now() - t0) * 1000.0;
        }
        if (ok) {
            for (int i = 1; i < repeat; i++) /* insertion sort for the median */
                for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
                    double t = ms[j];
                    ms[j] = ms[j - 1];
                    ms[j - 1] = t;
                }
            printf("%s %.2f\n", figures[f].name, ms[repeat / 2]);
            char *path = xasprintf("%s/%s.png", outdir, figures[f].name);
            FILE *fp = fopen(path, "wb");
            if (fp) {
                fwrite(sink.png.data, 1, sink.png.len, fp);
                fclose(fp);
            } else {
                fprintf(stderr, "cannot write %s\n", path);
                rc = 1;
            }
            free(path);
        }
        free(ms);
    }
out:
    free(setup);
    store_free(store);
    buf_fini(&sink.png);
    buf_fini(&sink.text);
    return rc;
}
