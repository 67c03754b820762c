/* SPDX-License-Identifier: MIT */
/* cmd_analysis.c -- %pca, %lens and %explore: argument checks, the computations of
 * linalg.c / lens.c / sae.c, results kept as tensors, widgets or static pictures.
 *
 * Handlers check every argument before computing anything, so a typo costs nothing;
 * long computations poll the interrupt flag and report progress, and store their
 * results only once everything succeeded (an interrupted %pca leaves the store as it
 * was). The helpers below the handlers are shared with the widget kinds, which keep
 * names (not pointers) and resolve them again on every request. */
#include "cmd_analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg.h"
#include "plot.h"
#include "render.h"

/* =====================================================================================
 * Shared helpers
 * ==================================================================================== */

/* cmd_analysis_tensor -- see cmd_analysis.h. */
tensor_t *cmd_analysis_tensor(store_t *s, const char *expr, err_t *err) {
    cmd_ctx_t ctx = {s, NULL, NULL};
    if (!expr || !expr[0]) {
        err_set(err, "ValueError", "no tensor given");
        return NULL;
    }
    return cmd_tensor_arg(&ctx, NULL, expr, 0, err);
}

/* cmd_analysis_free_views -- frees n views (NULL entries allowed) and clears them. */
void cmd_analysis_free_views(tensor_t **views, int n) {
    for (int i = 0; i < n; i++) {
        tensor_free(views[i]);
        views[i] = NULL;
    }
}

static int cmp_count_desc(const void *a, const void *b) {
    const int64_t *x = a, *y = b; /* pairs (count, first index) */
    if (x[0] != y[0])
        return x[0] > y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Categories from n strings: the ANALYSIS_MAX_CATEGORIES - 1 most frequent keep their
 * own colour when there are more, the rest become "other". */
static void categorize(const char *const *strs, int64_t n, analysis_labels_t *out) {
    strlist_t uniq = STRLIST_INIT;
    int64_t *idx = xmalloc((size_t)n * sizeof(int64_t));
    /* the distinct strings, sorted, for a binary search per point */
    strlist_t tmp = STRLIST_INIT;
    for (int64_t i = 0; i < n; i++)
        strlist_push(&tmp, strs[i]);
    strlist_sort(&tmp);
    strlist_uniq(&tmp);
    size_t nu = tmp.n;
    int64_t *pairs = xcalloc(nu * 2, sizeof(int64_t));
    for (size_t u = 0; u < nu; u++)
        pairs[2 * u + 1] = INT64_MAX;
    for (int64_t i = 0; i < n; i++) {
        /* binary search in the sorted unique list */
        size_t lo = 0, hi = nu;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = strcmp(tmp.items[mid], strs[i]);
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        idx[i] = (int64_t)lo;
        pairs[2 * lo]++;
        if (pairs[2 * lo + 1] > i)
            pairs[2 * lo + 1] = i;
    }
    /* order categories by frequency, then first appearance */
    int64_t *order = xmalloc(nu * 2 * sizeof(int64_t) + 1);
    for (size_t u = 0; u < nu; u++) {
        order[2 * u] = pairs[2 * u];
        order[2 * u + 1] = pairs[2 * u + 1];
    }
    qsort(order, nu, 2 * sizeof(int64_t), cmp_count_desc);
    size_t keep = nu <= ANALYSIS_MAX_CATEGORIES ? nu : ANALYSIS_MAX_CATEGORIES - 1;
    uint8_t *map = xmalloc(nu + 1);
    for (size_t u = 0; u < nu; u++)
        map[u] = (uint8_t)keep; /* "other" */
    for (size_t r = 0; r < keep; r++) {
        int64_t first = order[2 * r + 1];
        size_t u = (size_t)idx[first];
        map[u] = (uint8_t)r;
        strlist_push(&uniq, strs[first]);
    }
    if (keep < nu)
        strlist_push(&uniq, "other");
    out->cat = xmalloc((size_t)n + 1);
    for (int64_t i = 0; i < n; i++)
        out->cat[i] = map[idx[i]];
    out->kind = LABELS_CATEGORY;
    strlist_move(&out->names, &uniq);
    free(map);
    free(order);
    free(pairs);
    free(idx);
    strlist_fini(&tmp);
    strlist_fini(&uniq);
}

/* cmd_analysis_labels -- see cmd_analysis.h. */
int cmd_analysis_labels(store_t *s, const char *name, int64_t n, analysis_labels_t *out,
                        err_t *err) {
    memset(out, 0, sizeof *out);
    strlist_init(&out->names);
    out->n = n;
    if (!name || !name[0])
        return 0;
    const store_entry_t *e = store_get(s, name);
    if (e && e->kind == STORE_STRINGS) {
        if ((int64_t)e->strings.n != n) {
            err_set(err, "ShapeError",
                    "labels '%s' has %zu strings but there are %lld points", name,
                    e->strings.n, (long long)n);
            return -1;
        }
        categorize((const char *const *)e->strings.items, n, out);
        return 0;
    }
    tensor_t *t = cmd_analysis_tensor(s, name, err);
    if (!t)
        return -1;
    if (tensor_numel(t) != n) {
        char shp[64];
        tensor_format_shape(t, shp, sizeof shp);
        err_set(err, "ShapeError",
                "labels '%s' %s has %lld elements but there are %lld points", name, shp,
                (long long)tensor_numel(t), (long long)n);
        tensor_free(t);
        return -1;
    }
    float *v = xmalloc((size_t)(n ? n : 1) * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        v[i] = (float)tensor_get_flat(t, i);
    int integral = !dtype_is_float(t->dtype);
    tensor_free(t);
    if (integral) { /* few distinct integers: categories named by value */
        int64_t distinct = 0;
        double seen[ANALYSIS_MAX_CATEGORIES + 1];
        for (int64_t i = 0; i < n && distinct <= ANALYSIS_MAX_CATEGORIES; i++) {
            int found = 0;
            for (int64_t j = 0; j < distinct; j++)
                found |= seen[j] == (double)v[i];
            if (!found)
                seen[distinct++] = (double)v[i];
        }
        if (distinct <= ANALYSIS_MAX_CATEGORIES) {
            char **strs = xmalloc((size_t)(n ? n : 1) * sizeof(char *));
            for (int64_t i = 0; i < n; i++)
                strs[i] = xasprintf("%.0f", (double)v[i]);
            categorize((const char *const *)strs, n, out);
            for (int64_t i = 0; i < n; i++)
                free(strs[i]);
            free(strs);
            free(v);
            return 0;
        }
    }
    out->kind = LABELS_VALUE;
    out->values = v;
    out->vmin = INFINITY;
    out->vmax = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            out->vmin = fmin(out->vmin, (double)v[i]);
            out->vmax = fmax(out->vmax, (double)v[i]);
        }
    if (!(out->vmin <= out->vmax))
        out->vmin = out->vmax = 0;
    return 0;
}

/* cmd_analysis_labels_fini -- frees what cmd_analysis_labels allocated. */
void cmd_analysis_labels_fini(analysis_labels_t *l) {
    if (!l)
        return;
    free(l->cat);
    free(l->values);
    strlist_fini(&l->names);
    memset(l, 0, sizeof *l);
}

/* A token for running text: spaces stay spaces, newlines and tabs become visible. */
static void plain_token(const char *s, buf_t *out) {
    for (; *s; s++) {
        if (*s == '\n')
            buf_puts(out, "⏎");
        else if (*s == '\t')
            buf_puts(out, "⇥");
        else if (*s == '\r')
            continue;
        else
            buf_putc(out, *s);
    }
}

/* cmd_analysis_context -- see cmd_analysis.h. */
void cmd_analysis_context(const strlist_t *toks, int64_t i, int width, int64_t seq,
                          buf_t *out) {
    int64_t n = (int64_t)toks->n;
    if (i < 0 || i >= n)
        return;
    int64_t lo = i - width, hi = i + width;
    if (seq > 0) {
        int64_t start = i - i % seq;
        if (lo < start)
            lo = start;
        if (hi > start + seq - 1)
            hi = start + seq - 1;
    }
    if (lo < 0)
        lo = 0;
    if (hi > n - 1)
        hi = n - 1;
    if (lo > 0 && (seq <= 0 || lo % seq))
        buf_puts(out, "…");
    for (int64_t j = lo; j <= hi; j++) {
        if (j == i)
            buf_putc(out, '[');
        plain_token(toks->items[j], out);
        if (j == i)
            buf_putc(out, ']');
    }
    if (hi < n - 1 && (seq <= 0 || (hi + 1) % seq))
        buf_puts(out, "…");
}

/* ======================================================================================
 * %pca
 * ==================================================================================== */

typedef struct progress_ctx {
    const out_t *out;  /* where the bar goes */
    const char *label; /* "PCA", "logit lens" */
    double t0, last;   /* start and last update (util_now seconds) */
    int shown;         /* 1 once the bar is displayed */
    char id[80];       /* its display_id, for updates */
} progress_ctx_t;

/* A progress bar for runs longer than 0.3 s: a display with a display_id, updated at
 * most ten times a second (update_display_data), so the notebook stays light. */
static void on_progress(void *p, double f) {
    progress_ctx_t *pc = p;
    const out_t *o = pc->out;
    if (!o)
        return;
    if (o->progress)
        o->progress(o->ctx, pc->label, f);
    double now = util_now();
    if (!o->display || (!pc->shown && now - pc->t0 < 0.3) ||
        (pc->shown && now - pc->last < 0.1))
        return;
    if (!pc->shown)
        snprintf(pc->id, sizeof pc->id, "mechviz-progress-%p-%.0f", (void *)pc,
                 now * 1e6);
    char text[128], html[256];
    snprintf(text, sizeof text, "%s: %.0f%%", pc->label, 100 * f);
    snprintf(html, sizeof html,
             "<progress value=\"%.0f\" max=\"100\" style=\"width:240px\"></progress> %s",
             100 * f, text);
    out_bundle_t b;
    memset(&b, 0, sizeof b);
    b.text = text;
    b.html = html;
    b.display_id = pc->id;
    o->display(o->ctx, &b, pc->shown);
    pc->shown = 1;
    pc->last = now;
}

/* Replaces a shown progress bar with its outcome ("done in 1.2 s", "interrupted"). */
static void progress_end(progress_ctx_t *pc, int ok, const err_t *err) {
    if (!pc->shown || !pc->out || !pc->out->display)
        return;
    char text[160];
    if (ok)
        snprintf(text, sizeof text, "%s: done in %.2f s", pc->label, util_now() - pc->t0);
    else
        snprintf(text, sizeof text, "%s: %s", pc->label,
                 err && err->kind && !strcmp(err->kind, "KeyboardInterrupt")
                     ? "interrupted"
                     : "failed");
    out_bundle_t b;
    memset(&b, 0, sizeof b);
    b.text = text;
    b.display_id = pc->id;
    pc->out->display(pc->out->ctx, &b, 1);
}

static void say(cmd_ctx_t *ctx, const char *text) {
    if (ctx->out && ctx->out->stream)
        ctx->out->stream(ctx->out->ctx, 1, text, strlen(text));
}

static int put_array(store_t *s, const char *prefix, const char *suffix, dtype_t dt,
                     int ndim, const int64_t *shape, const void *src, const char *source,
                     err_t *err) {
    tensor_t *t = tensor_new(dt, ndim, shape, err);
    if (!t)
        return -1;
    memcpy(t->data, src, tensor_nbytes(t));
    char name[256];
    snprintf(name, sizeof name, "%s.%s", prefix, suffix);
    return store_put_tensor(s, name, t, source, err);
}

static int check_prefix(const char *name, err_t *err) {
    char probe[256];
    if (!name || strlen(name) > 200) {
        err_set(err, "ValueError", "--name is too long");
        return -1;
    }
    snprintf(probe, sizeof probe, "%s.coords", name);
    if (!store_name_valid(probe)) {
        err_set(err, "ValueError", "'%s' is not a valid name for the results", name);
        return -1;
    }
    return 0;
}

static int show_picture(cmd_ctx_t *ctx, const char *text, buf_t *png, int w, int h,
                        const char *html) {
    out_bundle_t b;
    memset(&b, 0, sizeof b);
    b.text = text;
    b.html = html;
    b.png = (const unsigned char *)png->data;
    b.png_len = png->len;
    b.width = w;
    b.height = h;
    if (ctx->out && ctx->out->display)
        ctx->out->display(ctx->out->ctx, &b, 0);
    return 0;
}

static int cmd_pca(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *a = &st->args[0];
    int rc = -1;
    analysis_labels_t labels;
    memset(&labels, 0, sizeof labels);
    linalg_pca_t p;
    memset(&p, 0, sizeof p);
    buf_t png = BUF_INIT, text = BUF_INIT;
    tensor_t *x = cmd_tensor_arg(ctx, st, a->text, a->col, err);
    if (!x)
        return -1;
    const char *name = cmd_flag(st, "name");
    if (!name)
        name = "pca";
    long k = 10;
    if (cmd_flag_long(st, "k", 10, &k, err) < 0 || check_prefix(name, err) < 0)
        goto out;
    if (x->ndim < 2) {
        char shp[64];
        tensor_format_shape(x, shp, sizeof shp);
        err_set_at(err, st->line, a->col, "ShapeError",
                   "%%pca needs rows of features [n, d]; '%s' is %s", a->text, shp);
        goto out;
    }
    int64_t n = linalg_rows(x), d = linalg_cols(x);
    int64_t kmax = n < d ? n : d;
    if (k < 1) {
        err_set(err, "ValueError", "--k must be at least 1; got %ld", k);
        goto out;
    }
    if (k > kmax) {
        buf_printf(&text, "note: --k %ld is more than min(n, d) = %lld; using %lld\n", k,
                   (long long)kmax, (long long)kmax);
        k = (long)kmax;
    }
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = (int)k;
    const char *method = cmd_flag(st, "method");
    if (method && strcmp(method, "cov") == 0)
        o.method = LINALG_PCA_COV;
    else if (method && strcmp(method, "randomized") == 0)
        o.method = LINALG_PCA_RANDOMIZED;
    else if (method && strcmp(method, "auto") != 0) {
        err_set(err, "ValueError", "--method must be cov, randomized or auto; got '%s'",
                method);
        goto out;
    }
    const char *lname = cmd_flag(st, "labels"), *hover = cmd_flag(st, "hover");
    if (cmd_analysis_labels(ctx->store, lname, n, &labels, err) < 0)
        goto out;
    if (hover && hover[0]) {
        const strlist_t *h = cmd_strings_arg(ctx, st, hover, st->col, err);
        if (!h)
            goto out;
        if ((int64_t)h->n != n) {
            err_set(err, "ShapeError",
                    "--hover '%s' has %zu strings but there are %lld points", hover, h->n,
                    (long long)n);
            goto out;
        }
    }
    if (x->ndim > 2) {
        char shp[64];
        tensor_format_shape(x, shp, sizeof shp);
        buf_printf(&text, "note: %s %s is read as %lld rows of %lld features\n", a->text,
                   shp, (long long)n, (long long)d);
    }
    progress_ctx_t pc;
    memset(&pc, 0, sizeof pc);
    pc.out = ctx->out;
    pc.label = "PCA";
    pc.t0 = util_now();
    o.interrupted = ctx->interrupted;
    o.progress = on_progress;
    o.progress_ctx = &pc;
    int prc = linalg_pca(x, &o, &p, err);
    progress_end(&pc, prc == 0, err);
    if (prc < 0)
        goto out;
    double secs = util_now() - pc.t0;

    /* Store everything only now: an interrupted or failed run changed nothing. */
    char src[256];
    snprintf(src, sizeof src, "%%pca %s", a->text);
    int64_t sk[1] = {p.k}, sd[1] = {d}, skd[2] = {p.k, d}, snk[2] = {n, p.k};
    if (put_array(ctx->store, name, "components", DT_F32, 2, skd, p.components, src,
                  err) < 0 ||
        put_array(ctx->store, name, "explained_variance_ratio", DT_F64, 1, sk,
                  p.explained_variance_ratio, src, err) < 0 ||
        put_array(ctx->store, name, "explained_variance", DT_F64, 1, sk,
                  p.explained_variance, src, err) < 0 ||
        put_array(ctx->store, name, "mean", DT_F64, 1, sd, p.mean, src, err) < 0 ||
        put_array(ctx->store, name, "coords", DT_F32, 2, snk, p.coords, src, err) < 0)
        goto out;

    double tot = 0;
    for (int i = 0; i < p.k; i++)
        tot += p.explained_variance_ratio[i];
    buf_printf(&text,
               "PCA of %s: %lld points x %lld features, %d components (%s, %.2f s)\n",
               a->text, (long long)n, (long long)d, p.k,
               p.method == LINALG_PCA_COV ? "covariance" : "randomized", secs);
    buf_puts(&text, "explained variance:");
    for (int i = 0; i < p.k && i < 10; i++)
        buf_printf(&text, " PC%d %.1f%%", i + 1, 100 * p.explained_variance_ratio[i]);
    buf_printf(&text, "%s (total %.1f%%)\n", p.k > 10 ? " …" : "", 100 * tot);
    buf_printf(&text,
               "stored: %s.components %s.explained_variance_ratio %s.coords %s.mean\n",
               name, name, name, name);
    say(ctx, buf_str(&text));

    char title[256];
    snprintf(title, sizeof title, "PCA of %s", a->text);
    if (cmd_flag(st, "static") || !ctx->out || !ctx->out->widget || p.k < 2) {
        int w, h;
        if (p.k < 2) {
            rc = 0; /* one component: nothing to scatter; the text says it all */
            goto out;
        }
        if (cmd_analysis_pca_picture(ctx->store, name, lname, 0, 1, &png, &w, &h, err) <
            0)
            goto out;
        rc = show_picture(ctx, title, &png, w, h, NULL);
        goto out;
    }
    char seq[32];
    snprintf(seq, sizeof seq, "%lld",
             x->ndim >= 3 ? (long long)x->shape[x->ndim - 2] : 0LL);
    const char *keys[] = {"prefix", "labels", "hover", "seq", "title"};
    const char *vals[] = {name, lname ? lname : "", hover ? hover : "", seq, title};
    rc = cmd_open_widget(ctx, "pca", keys, vals, sizeof keys / sizeof *keys, title, err);
out:
    linalg_pca_fini(&p);
    cmd_analysis_labels_fini(&labels);
    buf_fini(&png);
    buf_fini(&text);
    tensor_free(x);
    return rc;
}

/* cmd_analysis_pca_picture -- see cmd_analysis.h. At most ANALYSIS_STATIC_POINTS
 * points are drawn (an even stride through the rows), which the title says. */
int cmd_analysis_pca_picture(store_t *s, const char *prefix, const char *labels, int pcx,
                             int pcy, buf_t *png, int *w, int *h, err_t *err) {
    char nc[256], ne[256];
    snprintf(nc, sizeof nc, "%s.coords", prefix);
    snprintf(ne, sizeof ne, "%s.explained_variance_ratio", prefix);
    int rc = -1;
    render_t *r = NULL;
    double *xs = NULL, *ys = NULL, *cv = NULL;
    int *cat = NULL;
    analysis_labels_t lab;
    memset(&lab, 0, sizeof lab);
    tensor_t *c = cmd_analysis_tensor(s, nc, err);
    tensor_t *e = c ? cmd_analysis_tensor(s, ne, err) : NULL;
    if (!e)
        goto out;
    if (c->ndim != 2 || e->ndim != 1 || e->shape[0] != c->shape[1] || pcx < 0 ||
        pcy < 0 || pcx >= c->shape[1] || pcy >= c->shape[1]) {
        err_set(err, "ShapeError", "'%s' does not hold PCA results with PCs %d and %d",
                prefix, pcx + 1, pcy + 1);
        goto out;
    }
    int64_t n = c->shape[0];
    if (cmd_analysis_labels(s, labels, n, &lab, err) < 0)
        goto out;
    int64_t step = n > ANALYSIS_STATIC_POINTS
                       ? (n + ANALYSIS_STATIC_POINTS - 1) / ANALYSIS_STATIC_POINTS
                       : 1;
    size_t m = (size_t)((n + step - 1) / step);
    xs = xmalloc(m * sizeof(double));
    ys = xmalloc(m * sizeof(double));
    if (lab.kind == LABELS_CATEGORY)
        cat = xmalloc(m * sizeof(int));
    if (lab.kind == LABELS_VALUE)
        cv = xmalloc(m * sizeof(double));
    for (size_t i = 0; i < m; i++) {
        int64_t row = (int64_t)i * step, idx[2] = {row, pcx};
        xs[i] = tensor_get(c, idx);
        idx[1] = pcy;
        ys[i] = tensor_get(c, idx);
        if (cat)
            cat[i] = lab.cat[row];
        if (cv)
            cv[i] = (double)lab.values[row];
    }
    char xl[64], yl[64], title[128];
    int64_t ix = pcx, iy = pcy;
    snprintf(xl, sizeof xl, "PC%d (%.1f%%)", pcx + 1, 100 * tensor_get(e, &ix));
    snprintf(yl, sizeof yl, "PC%d (%.1f%%)", pcy + 1, 100 * tensor_get(e, &iy));
    if (step > 1)
        snprintf(title, sizeof title, "PCA of %s (every %lld-th of %lld points)", prefix,
                 (long long)step, (long long)n);
    else
        snprintf(title, sizeof title, "PCA (%s), %lld points", prefix, (long long)n);
    *w = 640;
    *h = 480;
    r = render_new(*w, *h, err);
    if (!r)
        goto out;
    render_fill(r, RENDER_RGB(0xffffff));
    plot_scatter_t sp;
    memset(&sp, 0, sizeof sp);
    sp.x = xs;
    sp.y = ys;
    sp.n = m;
    sp.category = cat;
    sp.category_names = cat ? (const char *const *)lab.names.items : NULL;
    sp.ncat = cat ? lab.names.n : 0;
    sp.color_values = cv;
    sp.cbar_label = labels;
    sp.title = title;
    sp.xlabel = xl;
    sp.ylabel = yl;
    plot_rect_t area = {0, 0, *w, *h};
    if (plot_scatter(r, area, &sp, err) < 0 || render_png(r, png, err) < 0)
        goto out;
    rc = 0;
out:
    render_free(r);
    free(xs);
    free(ys);
    free(cv);
    free(cat);
    cmd_analysis_labels_fini(&lab);
    tensor_free(c);
    tensor_free(e);
    return rc;
}

/* ======================================================================================
 * %lens
 * ==================================================================================== */

/* cmd_analysis_lens_model -- see cmd_analysis.h. */
int cmd_analysis_lens_model(store_t *s, const char *unembed, const char *lnw,
                            const char *lnb, const char *bu, int normalize,
                            lens_model_t *m, tensor_t *owned[4], err_t *err) {
    lens_model_init(m);
    m->normalize = normalize;
    const char *names[4] = {unembed, lnw, lnb, bu};
    for (int i = 0; i < 4; i++) {
        owned[i] = NULL;
        if (names[i] && names[i][0] &&
            !(owned[i] = cmd_analysis_tensor(s, names[i], err))) {
            cmd_analysis_free_views(owned, i);
            return -1;
        }
    }
    m->unembed = owned[0];
    m->ln_w = owned[1];
    m->ln_b = owned[2];
    m->b_u = owned[3];
    return 0;
}

static const char *lens_layer_label(const strlist_t *ll, int64_t i, char *tmp,
                                    size_t cap) {
    if (ll && (int64_t)ll->n > i)
        return ll->items[i];
    snprintf(tmp, cap, "L%lld", (long long)i);
    return tmp;
}

/* cmd_analysis_lens_picture -- see cmd_analysis.h. Cells show the top-1 token when the
 * grid is small enough for text to fit. */
int cmd_analysis_lens_picture(store_t *s, const char *prefix, const char *tokens,
                              const char *vocab, buf_t *png, int *w, int *h, err_t *err) {
    char np[256], na[256], nl[256];
    snprintf(np, sizeof np, "%s.prob", prefix);
    snprintf(na, sizeof na, "%s.argmax", prefix);
    snprintf(nl, sizeof nl, "%s.layers", prefix);
    int rc = -1;
    render_t *r = NULL;
    double *vals = NULL;
    const char **cells = NULL;
    tensor_t *pt = cmd_analysis_tensor(s, np, err);
    tensor_t *at = pt ? cmd_analysis_tensor(s, na, err) : NULL;
    if (!at)
        goto out;
    int64_t L = pt->shape[0], S = pt->ndim == 2 ? pt->shape[1] : 1;
    const store_entry_t *te = tokens && tokens[0] ? store_get(s, tokens) : NULL;
    const store_entry_t *ve = vocab && vocab[0] ? store_get(s, vocab) : NULL;
    const store_entry_t *le = store_get(s, nl);
    const strlist_t *toks = te && te->kind == STORE_STRINGS && (int64_t)te->strings.n >= S
                                ? &te->strings
                                : NULL;
    const strlist_t *voc = ve && ve->kind == STORE_STRINGS ? &ve->strings : NULL;
    const strlist_t *ll = le && le->kind == STORE_STRINGS && (int64_t)le->strings.n == L
                              ? &le->strings
                              : NULL;
    vals = xmalloc((size_t)(L * S) * sizeof(double));
    for (int64_t i = 0; i < L * S; i++)
        vals[i] = tensor_get_flat(pt, i);
    int text_fits = S <= 40 && L <= 60;
    if (voc && text_fits) {
        cells = xcalloc((size_t)(L * S), sizeof(char *));
        for (int64_t i = 0; i < L * S; i++) {
            int64_t id = (int64_t)tensor_get_flat(at, i);
            cells[i] = id >= 0 && id < (int64_t)voc->n ? voc->items[id] : "";
        }
    }
    char **ylabels = xcalloc((size_t)L, sizeof(char *));
    for (int64_t i = 0; i < L; i++) {
        char tmp[32];
        ylabels[i] = xstrdup(lens_layer_label(ll, i, tmp, sizeof tmp));
    }
    double cw = text_fits ? 56 : (S > 200 ? 3 : 640.0 / (double)S);
    *w = (int)fmin(1600, fmax(480, 160 + cw * (double)S));
    *h = (int)fmin(1600, fmax(260, 140 + (text_fits ? 22 : 8) * (double)L));
    r = render_new(*w, *h, err);
    if (r) {
        render_fill(r, RENDER_RGB(0xffffff));
        plot_heatmap_t hm;
        memset(&hm, 0, sizeof hm);
        hm.values = vals;
        hm.rows = L;
        hm.cols = S;
        hm.xlabels = toks ? (const char *const *)toks->items : NULL;
        hm.tokens_x = toks != NULL;
        hm.ylabels = (const char *const *)ylabels;
        hm.cmap = "Blues";
        hm.vmin = 0;
        hm.vmax = 1;
        hm.has_vmin = hm.has_vmax = 1;
        hm.cell_text = cells;
        hm.colorbar = 1;
        hm.cbar_label = "probability";
        hm.title = "logit lens";
        hm.xlabel = "position";
        hm.ylabel = "layer";
        plot_rect_t area = {0, 0, *w, *h};
        if (plot_heatmap(r, area, &hm, err) == 0 && render_png(r, png, err) == 0)
            rc = 0;
    }
    for (int64_t i = 0; i < L; i++)
        free(ylabels[i]);
    free(ylabels);
out:
    render_free(r);
    free(vals);
    free(cells);
    tensor_free(pt);
    tensor_free(at);
    return rc;
}

/* Token id of `tok` in the vocabulary: exact match, or -1. */
static int64_t vocab_find(const strlist_t *voc, const char *tok) {
    long i = strlist_find(voc, tok);
    return i < 0 ? -1 : (int64_t)i;
}

static int cmd_lens(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    const parse_word_t *a = &st->args[0];
    int rc = -1;
    tensor_t *owned[4] = {NULL, NULL, NULL, NULL};
    int64_t *targets = NULL;
    lens_grid_t g;
    memset(&g, 0, sizeof g);
    buf_t png = BUF_INIT, text = BUF_INIT;
    tensor_t *in = cmd_tensor_arg(ctx, st, a->text, a->col, err);
    if (!in)
        return -1;
    const char *name = cmd_flag(st, "name");
    if (!name)
        name = "lens";
    if (check_prefix(name, err) < 0)
        goto out;
    const char *un = cmd_flag(st, "unembed"), *lw = cmd_flag(st, "ln-w"),
               *lb = cmd_flag(st, "ln-b"), *bu = cmd_flag(st, "b-u");
    const char *tokname = cmd_flag(st, "tokens"), *vocname = cmd_flag(st, "vocab");
    const char *target = cmd_flag(st, "target"), *llname = cmd_flag(st, "layer-labels");
    double eps;
    if (cmd_flag_double(st, "eps", 1e-5, &eps, err) < 0)
        goto out;
    lens_model_t m;
    if (cmd_analysis_lens_model(ctx->store, un, lw, lb, bu, cmd_flag(st, "no-ln") == NULL,
                                &m, owned, err) < 0)
        goto out;
    m.eps = eps;
    if (!un && (lw || lb)) {
        err_set(err, "UsageError",
                "--ln-w/--ln-b need --unembed (without it the input is "
                "taken as logits)");
        goto out;
    }
    int64_t L, S, V;
    if (lens_dims(&m, in, &L, &S, &V, err) < 0)
        goto out;
    const strlist_t *toks = NULL, *voc = NULL, *ll = NULL;
    if (tokname && !(toks = cmd_strings_arg(ctx, st, tokname, st->col, err)))
        goto out;
    if (vocname && !(voc = cmd_strings_arg(ctx, st, vocname, st->col, err)))
        goto out;
    if (llname && !(ll = cmd_strings_arg(ctx, st, llname, st->col, err)))
        goto out;
    if (toks && (int64_t)toks->n != S) {
        err_set(err, "ShapeError",
                "--tokens '%s' has %zu tokens but the stack has %lld positions", tokname,
                toks->n, (long long)S);
        goto out;
    }
    if (voc && (int64_t)voc->n != V) {
        err_set(err, "ShapeError",
                "--vocab '%s' has %zu entries but W_U has %lld columns", vocname, voc->n,
                (long long)V);
        goto out;
    }
    if (ll && (int64_t)ll->n != L) {
        err_set(err, "ShapeError", "--layer-labels '%s' has %zu labels for %lld layers",
                llname, ll->n, (long long)L);
        goto out;
    }
    /* Targets: one token everywhere (--target), or each position's next token. */
    const char *metric = "max";
    targets = xmalloc((size_t)S * sizeof(int64_t));
    for (int64_t i = 0; i < S; i++)
        targets[i] = -1;
    if (target) {
        char *end;
        long long id = strtoll(target, &end, 10);
        int64_t t = -1;
        if (voc)
            t = vocab_find(voc, target);
        if (t < 0 && *target && !*end && id >= 0 && id < V)
            t = id;
        if (t < 0) {
            if (!voc)
                err_set(err, "ValueError",
                        "--target '%s': give a token id, or --vocab to look tokens up",
                        target);
            else
                err_set(err, "ValueError", "--target '%s' is not in the vocabulary '%s'",
                        target, vocname);
            goto out;
        }
        for (int64_t i = 0; i < S; i++)
            targets[i] = t;
        metric = "target";
    } else if (toks && voc) {
        int found = 0;
        for (int64_t i = 0; i + 1 < S; i++)
            found += (targets[i] = vocab_find(voc, toks->items[i + 1])) >= 0;
        if (found)
            metric = "next";
    }
    progress_ctx_t pc;
    memset(&pc, 0, sizeof pc);
    pc.out = ctx->out;
    pc.label = "logit lens";
    pc.t0 = util_now();
    int lrc = lens_grid(&m, in, strcmp(metric, "max") ? targets : NULL, &g,
                        ctx->interrupted, on_progress, &pc, err);
    progress_end(&pc, lrc == 0, err);
    if (lrc < 0)
        goto out;
    char src[256];
    snprintf(src, sizeof src, "%%lens %s", a->text);
    int64_t sh[2] = {L, S};
    const float *shown = strcmp(metric, "max") ? g.target_prob : g.max_prob;
    if (put_array(ctx->store, name, "prob", DT_F32, 2, sh, shown, src, err) < 0 ||
        put_array(ctx->store, name, "max_prob", DT_F32, 2, sh, g.max_prob, src, err) <
            0 ||
        put_array(ctx->store, name, "argmax", DT_I32, 2, sh, g.argmax, src, err) < 0)
        goto out;
    if (!ll) { /* no stale labels from an earlier run under this name */
        char nl[256];
        snprintf(nl, sizeof nl, "%s.layers", name);
        store_delete(ctx->store, nl);
    } else {
        strlist_t copy = STRLIST_INIT;
        for (size_t i = 0; i < ll->n; i++)
            strlist_push(&copy, ll->items[i]);
        char nl[256];
        snprintf(nl, sizeof nl, "%s.layers", name);
        if (store_put_strings(ctx->store, nl, &copy, src, err) < 0) {
            strlist_fini(&copy);
            goto out;
        }
        strlist_fini(&copy);
    }
    char what[160];
    if (!strcmp(metric, "target"))
        snprintf(what, sizeof what, "probability of %s", target);
    else if (!strcmp(metric, "next"))
        snprintf(what, sizeof what, "probability of the next token");
    else
        snprintf(what, sizeof what, "largest probability");
    buf_printf(&text,
               "logit lens over %s: %lld layers x %lld positions, vocab %lld; "
               "colour = %s\nstored: %s.prob %s.max_prob %s.argmax\n",
               a->text, (long long)L, (long long)S, (long long)V, what, name, name, name);
    say(ctx, buf_str(&text));
    if (cmd_flag(st, "static") || !ctx->out || !ctx->out->widget) {
        int w, h;
        if (cmd_analysis_lens_picture(ctx->store, name, tokname, vocname, &png, &w, &h,
                                      err) < 0)
            goto out;
        rc = show_picture(ctx, what, &png, w, h, NULL);
        goto out;
    }
    char sk[16];
    long k;
    if (cmd_flag_long(st, "k", 10, &k, err) < 0)
        goto out;
    if (k < 1 || k > 100) {
        err_set(err, "ValueError", "--k must be between 1 and 100; got %ld", k);
        goto out;
    }
    snprintf(sk, sizeof sk, "%ld", k);
    char seps[32];
    snprintf(seps, sizeof seps, "%.17g", eps);
    const char *keys[] = {"prefix", "input",     "unembed", "ln_w",   "ln_b",
                          "b_u",    "normalize", "eps",     "tokens", "vocab",
                          "metric", "target",    "k",       "title"};
    const char *vals[] = {name,
                          a->text,
                          un ? un : "",
                          lw ? lw : "",
                          lb ? lb : "",
                          bu ? bu : "",
                          m.normalize ? "1" : "0",
                          seps,
                          tokname ? tokname : "",
                          vocname ? vocname : "",
                          metric,
                          target ? target : "",
                          sk,
                          what};
    rc = cmd_open_widget(ctx, "lens", keys, vals, sizeof keys / sizeof *keys, what, err);
out:
    free(targets);
    lens_grid_fini(&g);
    cmd_analysis_free_views(owned, 4);
    buf_fini(&png);
    buf_fini(&text);
    tensor_free(in);
    return rc;
}

/* ======================================================================================
 * %explore
 * ==================================================================================== */

/* cmd_analysis_sae -- see cmd_analysis.h. */
int cmd_analysis_sae(store_t *s, const char *prefix, sae_t *sae, tensor_t *owned[4],
                     err_t *err) {
    static const char *const parts[4] = {"W_enc", "b_enc", "b_dec", "threshold"};
    memset(sae, 0, sizeof *sae);
    for (int i = 0; i < 4; i++) {
        owned[i] = NULL;
        char nm[256];
        snprintf(nm, sizeof nm, "%s.%s", prefix, parts[i]);
        const store_entry_t *e = store_get(s, nm);
        if (!e) {
            if (i == 0) {
                err_set(
                    err, "NameError",
                    "no SAE under '%s': '%s' is not defined (load SAELens weights with "
                    "%%load %s = sae_weights.safetensors)",
                    prefix, nm, prefix);
                return -1;
            }
            continue;
        }
        if (!(owned[i] = cmd_analysis_tensor(s, nm, err))) {
            cmd_analysis_free_views(owned, i);
            return -1;
        }
    }
    sae->w_enc = owned[0];
    sae->b_enc = owned[1];
    sae->b_dec = owned[2];
    sae->threshold = owned[3];
    return 0;
}

/* cmd_analysis_feature -- see cmd_analysis.h. */
int cmd_analysis_feature(const sae_t *sae, const tensor_t *acts, int64_t f, int k,
                         int nbins, analysis_feature_t *out,
                         volatile sig_atomic_t *interrupted, err_t *err) {
    memset(out, 0, sizeof *out);
    int64_t n, di, ds;
    if (sae_dims(sae, acts, &n, &di, &ds, err) < 0)
        return -1;
    out->n = n;
    out->acts = util_try_malloc((size_t)(n ? n : 1) * sizeof(float));
    if (!out->acts) {
        err_set(err, "MemoryError", "cannot allocate activations for %lld tokens",
                (long long)n);
        return -1;
    }
    if (sae_feature(sae, acts, f, out->acts, interrupted, err) < 0) {
        cmd_analysis_feature_fini(out);
        return -1;
    }
    out->top = xmalloc((size_t)(k > 0 ? k : 1) * sizeof(int64_t));
    out->topv = xmalloc((size_t)(k > 0 ? k : 1) * sizeof(float));
    out->k = sae_topk(out->acts, n, k, out->top, out->topv);
    sae_histogram(out->acts, n, nbins, &out->hist);
    return 0;
}

/* cmd_analysis_feature_fini -- frees the arrays of `a`. */
void cmd_analysis_feature_fini(analysis_feature_t *a) {
    if (!a)
        return;
    free(a->acts);
    free(a->top);
    free(a->topv);
    sae_hist_fini(&a->hist);
    memset(a, 0, sizeof *a);
}

/* cmd_analysis_explore_picture -- see cmd_analysis.h: the histogram of the non-zero
 * activations, with the zero fraction in the legend. */
int cmd_analysis_explore_picture(const analysis_feature_t *a, int64_t f, buf_t *png,
                                 int *w, int *h, err_t *err) {
    *w = 560;
    *h = 320;
    render_t *r = render_new(*w, *h, err);
    if (!r)
        return -1;
    render_fill(r, RENDER_RGB(0xffffff));
    double *v = xmalloc((size_t)(a->hist.nonzero ? a->hist.nonzero : 1) * sizeof(double));
    size_t m = 0;
    for (int64_t i = 0; i < a->n; i++)
        if (a->acts[i] != 0.0f)
            v[m++] = (double)a->acts[i];
    char title[96], legend[96];
    snprintf(title, sizeof title, "feature %lld: activation histogram", (long long)f);
    snprintf(legend, sizeof legend, "zero: %.1f%% of %lld tokens",
             a->n ? 100.0 * (double)(a->n - a->hist.nonzero) / (double)a->n : 0.0,
             (long long)a->n);
    int rc = -1;
    plot_rect_t area = {0, 0, *w, *h};
    if (m == 0) {
        render_text_style_t ts;
        memset(&ts, 0, sizeof ts);
        ts.size = 14;
        ts.halign = RENDER_CENTER;
        ts.valign = RENDER_MIDDLE;
        char msg[128];
        snprintf(msg, sizeof msg, "feature %lld never fires (%lld tokens)", (long long)f,
                 (long long)a->n);
        render_text(r, *w / 2.0, *h / 2.0, msg, &ts);
        rc = render_png(r, png, err);
    } else {
        plot_hist_t hs;
        memset(&hs, 0, sizeof hs);
        hs.values = v;
        hs.n = m;
        hs.bins = 50;
        hs.legend = legend;
        hs.title = title;
        hs.xlabel = "activation";
        hs.ylabel = "tokens";
        if (plot_hist(r, area, &hs, err) == 0)
            rc = render_png(r, png, err);
    }
    free(v);
    render_free(r);
    return rc;
}

static void html_escape(buf_t *out, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '<':
            buf_puts(out, "&lt;");
            break;
        case '>':
            buf_puts(out, "&gt;");
            break;
        case '&':
            buf_puts(out, "&amp;");
            break;
        case '"':
            buf_puts(out, "&quot;");
            break;
        default:
            buf_putc(out, *s);
        }
    }
}

/* cmd_analysis_explore_html -- see cmd_analysis.h: one row per top example, tokens
 * shaded by their activation and the activating token outlined. */
void cmd_analysis_explore_html(const analysis_feature_t *a, int64_t f,
                               const strlist_t *toks, int width, int64_t seq,
                               buf_t *html) {
    double mx = a->k ? (double)a->topv[0] : 1.0;
    buf_printf(html,
               "<div class=\"mechviz-explore\"><b>feature %lld</b>: top %d of %lld "
               "tokens<table style=\"border-collapse:collapse;font-family:monospace\">",
               (long long)f, a->k, (long long)a->n);
    for (int r = 0; r < a->k; r++) {
        int64_t i = a->top[r];
        int64_t lo = i - width, hi = i + width;
        if (seq > 0) {
            int64_t start = i - i % seq;
            lo = lo < start ? start : lo;
            hi = hi > start + seq - 1 ? start + seq - 1 : hi;
        }
        lo = lo < 0 ? 0 : lo;
        hi = hi > a->n - 1 ? a->n - 1 : hi;
        buf_printf(html, "<tr><td style=\"padding:2px 8px\">%.3f</td><td>",
                   (double)a->topv[r]);
        for (int64_t j = lo; j <= hi; j++) {
            double t = mx > 0 ? (double)a->acts[j] / mx : 0;
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            buf_printf(html, "<span style=\"background:rgba(255,120,0,%.2f)%s\">", t,
                       j == i ? ";outline:2px solid #c00;font-weight:bold" : "");
            buf_t lab = BUF_INIT;
            render_token_label(toks && j < (int64_t)toks->n ? toks->items[j] : "?", &lab);
            html_escape(html, buf_str(&lab));
            buf_fini(&lab);
            buf_puts(html, "</span>");
        }
        buf_puts(html, "</td></tr>");
    }
    buf_puts(html, "</table></div>");
}

static int cmd_explore(cmd_ctx_t *ctx, const parse_stmt_t *st, err_t *err) {
    int rc = -1;
    tensor_t *owned[4] = {NULL, NULL, NULL, NULL};
    tensor_t *acts = NULL;
    analysis_feature_t feat;
    memset(&feat, 0, sizeof feat);
    buf_t png = BUF_INIT, html = BUF_INIT;
    const char *sname = cmd_flag(st, "sae"), *aname = cmd_flag(st, "acts"),
               *tokname = cmd_flag(st, "tokens");
    if (!sname || !aname || !tokname) {
        err_set_at(
            err, st->line, st->col, "UsageError",
            "%%explore needs --sae, --acts and --tokens; usage: %%explore --sae SAE "
            "--acts X --tokens T");
        return -1;
    }
    long f, k, ctxw;
    if (cmd_flag_long(st, "feature", 0, &f, err) < 0 ||
        cmd_flag_long(st, "k", 20, &k, err) < 0 ||
        cmd_flag_long(st, "context", 8, &ctxw, err) < 0)
        return -1;
    if (k < 1 || k > 200 || ctxw < 0 || ctxw > 64) {
        err_set(err, "ValueError", "--k must be 1..200 and --context 0..64");
        return -1;
    }
    sae_t sae;
    if (cmd_analysis_sae(ctx->store, sname, &sae, owned, err) < 0)
        goto out;
    if (!(acts = cmd_tensor_arg(ctx, st, aname, st->col, err)))
        goto out;
    int64_t n, di, ds;
    if (sae_dims(&sae, acts, &n, &di, &ds, err) < 0)
        goto out;
    const strlist_t *toks = cmd_strings_arg(ctx, st, tokname, st->col, err);
    if (!toks)
        goto out;
    if ((int64_t)toks->n != n) {
        err_set(err, "ShapeError",
                "--tokens '%s' has %zu tokens but --acts has %lld rows", tokname, toks->n,
                (long long)n);
        goto out;
    }
    if (f < 0 || f >= ds) {
        err_set(err, "IndexError",
                "--feature %ld is out of range: the SAE has %lld features", f,
                (long long)ds);
        goto out;
    }
    int64_t seq = acts->ndim >= 3 ? acts->shape[acts->ndim - 2] : 0;
    char text[256];
    snprintf(text, sizeof text,
             "SAE %s: %lld features over %lld tokens of %s (d_in %lld)%s", sname,
             (long long)ds, (long long)n, aname, (long long)di,
             sae.threshold ? ", JumpReLU" : "");
    if (cmd_flag(st, "static") || !ctx->out || !ctx->out->widget) {
        int w, h;
        if (cmd_analysis_feature(&sae, acts, f, (int)k, 50, &feat, ctx->interrupted,
                                 err) < 0 ||
            cmd_analysis_explore_picture(&feat, f, &png, &w, &h, err) < 0)
            goto out;
        cmd_analysis_explore_html(&feat, f, toks, (int)ctxw, seq, &html);
        rc = show_picture(ctx, text, &png, w, h, buf_str(&html));
        goto out;
    }
    char sf[32], sk[32], sc[32], ss[32], sds[32];
    snprintf(sf, sizeof sf, "%ld", f);
    snprintf(sk, sizeof sk, "%ld", k);
    snprintf(sc, sizeof sc, "%ld", ctxw);
    snprintf(ss, sizeof ss, "%lld", (long long)seq);
    snprintf(sds, sizeof sds, "%lld", (long long)ds);
    const char *keys[] = {"sae",     "acts", "tokens", "feature", "k",
                          "context", "seq",  "d_sae",  "title"};
    const char *vals[] = {sname, aname, tokname, sf, sk, sc, ss, sds, text};
    rc = cmd_open_widget(ctx, "explore", keys, vals, sizeof keys / sizeof *keys, text,
                         err);
out:
    cmd_analysis_feature_fini(&feat);
    cmd_analysis_free_views(owned, 4);
    tensor_free(acts);
    buf_fini(&png);
    buf_fini(&html);
    return rc;
}

/* ======================================================================================
 * The table
 * ==================================================================================== */

/* The analysis family's command table. */
const cmd_spec_t cmd_analysis_specs[] = {
    {"pca", cmd_pca, 1, 1, 0, "labels= hover= k= static name= method=",
     "%pca X [--labels L] [--hover T] [--k 10] [--name NAME] [--method cov|randomized] "
     "[--static]",
     "principal components of rows [n, d]: interactive scatter, results kept as tensors",
     "X is [n, d] (or [..., d], read as rows), any dtype, memory-mapped inputs are read\n"
     "in chunks; Ctrl-C (interrupt) stops it and leaves everything as it was.\n"
     "  --labels L   colour by a token list or a tensor [n] (few integers: categories;\n"
     "               floats: a colormap)\n"
     "  --hover T    token list [n]: hovering a point shows its token in context\n"
     "  --k K        components to compute (default 10)\n"
     "  --name NAME  results NAME.components [k, d], NAME.explained_variance_ratio [k],\n"
     "               NAME.explained_variance, NAME.mean, NAME.coords [n, k] (default "
     "pca)\n"
     "  --method M   cov (X^T X + eigensolver), randomized, or auto (default)\n"
     "  --static     a picture only (no widget)\n"
     "In the view: wheel zooms, drag pans, shift-drag selects a box or (after the\n"
     "'select' button) a free-hand lasso, stored as NAME.selection (an index tensor);\n"
     "the axis menus or the variance bars choose the PCs."},
    {"lens", cmd_lens, 1, 1, 0,
     "unembed= ln-w= ln-b= b-u= no-ln eps= tokens= vocab= target= layer-labels= k= "
     "name= static",
     "%lens RESID --unembed W_U [--ln-w W --ln-b B] [--tokens T --vocab V] "
     "[--target TOKEN] [--static]",
     "logit lens: probability heatmap over layers x positions, top-k on hover",
     "RESID is a residual stack [layers, seq, d_model] (TransformerLens "
     "accumulated_resid)\n"
     "or, without --unembed, precomputed logits [layers, seq, vocab].\n"
     "  --unembed W_U     [d_model, vocab];  --b-u B   unembedding bias [vocab]\n"
     "  --ln-w/--ln-b     final layer-norm weight and bias (default: normalise only, as\n"
     "                    with folded LN);  --no-ln  use the stack as it is;  --eps E\n"
     "  --tokens T        token list [seq] labelling positions\n"
     "  --vocab V         token strings [vocab]; with T, cells show P(next token)\n"
     "  --target TOKEN    show the probability of one token (a string or an id)\n"
     "  --layer-labels LL strings [layers] (e.g. 0_pre ... final_post)\n"
     "  --k K             top-k tokens on hover (default 10);  --name NAME (lens)\n"
     "Stores NAME.prob (what the colour shows), NAME.max_prob and NAME.argmax."},
    {"explore", cmd_explore, 0, 0, 0, "sae= acts= tokens= feature= k= context= static",
     "%explore --sae SAE --acts X --tokens T [--feature F] [--k 20] [--context 8] "
     "[--static]",
     "SAE feature explorer: histogram and top-activating contexts of any feature",
     "SAE is the prefix of SAELens weights (%load sae = sae_weights.safetensors gives\n"
     "sae.W_enc [d_in, d_sae], sae.b_enc, sae.b_dec and, for JumpReLU, sae.threshold).\n"
     "X holds residual activations [n_tokens, d_in] (or [batch, seq, d_in]: contexts "
     "then\n"
     "stay inside their sequence) and T their tokens [n_tokens]. Activations are "
     "computed\n"
     "on demand, one feature at a time.\n"
     "  --feature F  the feature shown first;  --k K  top examples (default 20)\n"
     "  --context C  tokens shown each side (default 8);  --static  a picture + HTML"},
    {NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL},
};
