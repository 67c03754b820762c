/* SPDX-License-Identifier: MIT */
/* test_tensor.c -- unit tests for tensor.c: dtypes, half conversions, views, numpy
 * basic indexing, copies, element access and printing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tensor.h"

static float f_of(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void test_dtypes(void) {
    CHECK_EQ_INT(dtype_size(DT_BOOL), 1);
    CHECK_EQ_INT(dtype_size(DT_BF16), 2);
    CHECK_EQ_INT(dtype_size(DT_U64), 8);
    CHECK_EQ_STR(dtype_name(DT_BF16), "bfloat16");
    CHECK_EQ_STR(dtype_name(DT_F32), "float32");
    dtype_t d;
    CHECK_EQ_INT(dtype_from_name("float16", &d), 0);
    CHECK_EQ_INT(d, DT_F16);
    CHECK_EQ_INT(dtype_from_name("bf16", &d), 0);
    CHECK_EQ_INT(d, DT_BF16);
    CHECK_EQ_INT(dtype_from_name("float128", &d), -1);
    CHECK(dtype_is_float(DT_BF16));
    CHECK(!dtype_is_float(DT_I64));
}

static void test_f16(void) {
    CHECK_EQ_INT(tensor_f32_to_f16(1.0f), 0x3c00);
    CHECK_EQ_INT(tensor_f32_to_f16(-2.0f), 0xc000);
    CHECK_EQ_INT(tensor_f32_to_f16(65504.0f), 0x7bff);
    CHECK_EQ_INT(tensor_f32_to_f16(65519.99f), 0x7bff);
    CHECK_EQ_INT(tensor_f32_to_f16(65520.0f), 0x7c00); /* tie to even: inf */
    CHECK_EQ_INT(tensor_f32_to_f16(1e10f), 0x7c00);
    CHECK_EQ_INT(tensor_f32_to_f16(-INFINITY), 0xfc00);
    CHECK((tensor_f32_to_f16(NAN) & 0x7c00) == 0x7c00 &&
          (tensor_f32_to_f16(NAN) & 0x3ff));
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(1, -24)), 0x0001);    /* smallest subnormal */
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(1, -25)), 0x0000);    /* tie to even: zero */
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(3, -26)), 0x0001);    /* 0.75 ulp: up */
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(3, -25)), 0x0002);    /* 1.5 ulp tie: even 2 */
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(1023, -24)), 0x03ff); /* largest subnormal */
    CHECK_EQ_INT(tensor_f32_to_f16(ldexpf(2047, -25)), 0x0400); /* rounds up to normal */
    CHECK_EQ_INT(tensor_f32_to_f16(1.0f + ldexpf(1, -11)), 0x3c00); /* tie: even */
    CHECK_EQ_INT(tensor_f32_to_f16(1.0f + ldexpf(3, -11)), 0x3c02); /* tie: even up */
    CHECK_EQ_INT(tensor_f32_to_f16(1.0f + ldexpf(1, -11) + ldexpf(1, -20)), 0x3c01);
    CHECK_EQ_INT(tensor_f32_to_f16(-0.0f), 0x8000);
    CHECK_EQ_INT(tensor_f32_to_f16(1e-30f), 0x0000);
    /* Every non-NaN half round-trips exactly. */
    int bad = 0;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff))
            continue;
        if (tensor_f32_to_f16(tensor_f16_to_f32((uint16_t)h)) != h)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_DBL(tensor_f16_to_f32(0x0001), ldexp(1, -24), 0);
    CHECK_EQ_DBL(tensor_f16_to_f32(0x3555), 0.333251953125, 0);
    CHECK(isnan(tensor_f16_to_f32(0x7e00)));
    CHECK(isinf(tensor_f16_to_f32(0xfc00)) && tensor_f16_to_f32(0xfc00) < 0);
}

static void test_bf16(void) {
    CHECK_EQ_INT(tensor_f32_to_bf16(1.0f), 0x3f80);
    CHECK_EQ_INT(tensor_f32_to_bf16(f_of(0x3f808000)), 0x3f80); /* tie: even */
    CHECK_EQ_INT(tensor_f32_to_bf16(f_of(0x3f818000)), 0x3f82); /* tie: even up */
    CHECK_EQ_INT(tensor_f32_to_bf16(f_of(0x3f808001)), 0x3f81);
    CHECK_EQ_INT(tensor_f32_to_bf16(f_of(0x7f7fffff)), 0x7f80); /* FLT_MAX: inf */
    CHECK_EQ_INT(tensor_f32_to_bf16(f_of(0x00010000)), 0x0001); /* subnormal kept */
    uint16_t n = tensor_f32_to_bf16(f_of(0x7f800001));          /* NaN stays NaN */
    CHECK((n & 0x7f80) == 0x7f80 && (n & 0x7f));
    CHECK_EQ_DBL(tensor_bf16_to_f32(0xc040), -3.0, 0);
}

static tensor_t *arange(dtype_t dt, int ndim, const int64_t *shape) {
    tensor_t *t = tensor_new(dt, ndim, shape, NULL);
    for (int64_t i = 0; i < tensor_numel(t); i++)
        tensor_set_flat(t, i, (double)i);
    return t;
}

static void test_new_and_errors(void) {
    err_t err;
    err_clear(&err);
    int64_t shape[3] = {12, 1024, 1024 * 256};
    tensor_t *t = tensor_new(DT_F32, 3, shape, &err);
    if (t) { /* a machine with 12 GiB to spare: not an error */
        tensor_free(t);
    } else {
        CHECK_EQ_STR(err_kind(&err), "MemoryError");
        CHECK_EQ_STR(err.msg, "cannot allocate 12.0 GiB for a float32 tensor of shape "
                              "[12, 1024, 262144]");
    }
    int64_t huge[2] = {INT64_MAX, 4};
    CHECK(tensor_new(DT_F32, 2, huge, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "MemoryError");
    CHECK_CONTAINS(err.msg, "too large");
    int64_t neg[1] = {-1};
    CHECK(tensor_new(DT_F32, 1, neg, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    size_t nb = 0;
    CHECK_EQ_INT(tensor_checked_numel(2, huge, DT_U8, &nb), -1);
    int64_t ok[2] = {3, 5};
    CHECK_EQ_INT(tensor_checked_numel(2, ok, DT_F64, &nb), 0);
    CHECK_EQ_INT(nb, 120);
    int64_t zero[2] = {0, INT64_MAX};
    CHECK_EQ_INT(tensor_checked_numel(2, zero, DT_F64, &nb), 0);
    CHECK_EQ_INT(nb, 0);
    tensor_t *s = tensor_new(DT_F64, 0, NULL, NULL);
    CHECK_EQ_INT(tensor_numel(s), 1);
    CHECK_EQ_DBL(tensor_get_flat(s, 0), 0, 0);
    tensor_free(s);
}

static tensor_index_t I(int64_t i) {
    tensor_index_t x = {.kind = TI_INT, .i = i};
    return x;
}

static tensor_index_t S(int hs, int64_t start, int hst, int64_t stop, int64_t step) {
    tensor_index_t x = {.kind = TI_SLICE,
                        .has_start = hs,
                        .start = start,
                        .has_stop = hst,
                        .stop = stop,
                        .step = step};
    return x;
}

static void expect(const tensor_t *t, const double *vals, int64_t n) {
    CHECK_EQ_INT(tensor_numel(t), n);
    for (int64_t i = 0; i < n && i < tensor_numel(t); i++)
        CHECK_EQ_DBL(tensor_get_flat(t, i), vals[i], 0);
}

static void test_index(void) {
    int64_t shape[2] = {3, 4};
    tensor_t *x = arange(DT_I32, 2, shape); /* [[0..3],[4..7],[8..11]] */
    err_t err;
    tensor_index_t ix[4];

    ix[0] = I(-1);
    tensor_t *r = tensor_index(x, ix, 1, &err);
    CHECK_EQ_INT(r->ndim, 1);
    expect(r, (double[]){8, 9, 10, 11}, 4);
    tensor_free(r);

    ix[0] = S(0, 0, 0, 0, -1); /* x[::-1, 1] */
    ix[1] = I(1);
    r = tensor_index(x, ix, 2, &err);
    expect(r, (double[]){9, 5, 1}, 3);
    tensor_free(r);

    ix[0] = (tensor_index_t){.kind = TI_ELLIPSIS}; /* x[..., ::2] */
    ix[1] = S(0, 0, 0, 0, 2);
    r = tensor_index(x, ix, 2, &err);
    CHECK_EQ_INT(r->shape[0], 3);
    CHECK_EQ_INT(r->shape[1], 2);
    expect(r, (double[]){0, 2, 4, 6, 8, 10}, 6);
    CHECK(!tensor_is_contiguous(r));
    tensor_free(r);

    ix[0] = (tensor_index_t){.kind = TI_NEWAXIS}; /* x[None, 1:, -100:100] */
    ix[1] = S(1, 1, 0, 0, 1);
    ix[2] = S(1, -100, 1, 100, 1);
    r = tensor_index(x, ix, 3, &err);
    CHECK_EQ_INT(r->ndim, 3);
    CHECK_EQ_INT(r->shape[0], 1);
    CHECK_EQ_INT(r->shape[1], 2);
    CHECK_EQ_INT(r->shape[2], 4);
    CHECK(tensor_is_contiguous(r));
    expect(r, (double[]){4, 5, 6, 7, 8, 9, 10, 11}, 8);
    tensor_free(r);

    ix[0] = I(0); /* x[0, 10:-10:-3] -> [3, 0] */
    ix[1] = S(1, 10, 1, -10, -3);
    r = tensor_index(x, ix, 2, &err);
    expect(r, (double[]){3, 0}, 2);
    tensor_free(r);

    ix[0] = S(1, 2, 1, 1, 1); /* empty x[2:1] */
    r = tensor_index(x, ix, 1, &err);
    CHECK_EQ_INT(r->shape[0], 0);
    CHECK_EQ_INT(r->shape[1], 4);
    tensor_free(r);

    ix[0] = S(1, -1, 1, -5, -2); /* x[-1:-5:-2, ::-3] */
    ix[1] = S(0, 0, 0, 0, -3);
    r = tensor_index(x, ix, 2, &err);
    expect(r, (double[]){11, 8, 3, 0}, 4);
    tensor_free(r);

    ix[0] = S(0, 0, 0, 0, INT64_MIN); /* x[::INT64_MIN]: Python clamps the step */
    r = tensor_index(x, ix, 1, &err);
    CHECK_EQ_INT(r->shape[0], 1);
    expect(r, (double[]){8, 9, 10, 11}, 4);
    tensor_free(r);
    ix[0] = S(1, INT64_MIN, 1, INT64_MAX, INT64_MAX); /* x[MIN:MAX:MAX] */
    r = tensor_index(x, ix, 1, &err);
    CHECK_EQ_INT(r->shape[0], 1);
    expect(r, (double[]){0, 1, 2, 3}, 4);
    tensor_free(r);

    /* A view outlives its parent. */
    ix[0] = I(1);
    r = tensor_index(x, ix, 1, &err);
    tensor_free(x);
    expect(r, (double[]){4, 5, 6, 7}, 4);
    tensor_index_t back = I(-4);
    tensor_t *s = tensor_index(r, &back, 1, &err);
    CHECK_EQ_INT(s->ndim, 0);
    CHECK_EQ_DBL(tensor_get_flat(s, 0), 4, 0);
    tensor_free(r);
    tensor_free(s);
}

/* Parses one item of tests/data/index_cases.txt: "3", "-1", "2:_:-1", "...", "None". */
static tensor_index_t parse_item(const char *s) {
    tensor_index_t it = {.kind = TI_INT};
    if (strcmp(s, "...") == 0) {
        it.kind = TI_ELLIPSIS;
    } else if (strcmp(s, "None") == 0) {
        it.kind = TI_NEWAXIS;
    } else if (strchr(s, ':')) {
        char a[32] = "", b[32] = "", c[32] = "";
        sscanf(s, "%31[^:]:%31[^:]:%31s", a, b, c);
        it.kind = TI_SLICE;
        it.has_start = strcmp(a, "_") != 0;
        it.start = it.has_start ? atoll(a) : 0;
        it.has_stop = strcmp(b, "_") != 0;
        it.stop = it.has_stop ? atoll(b) : 0;
        it.step = strcmp(c, "_") != 0 ? atoll(c) : 1;
    } else {
        it.i = atoll(s);
    }
    return it;
}

/* Every case of tests/data/index_cases.txt (written by numpy) gives numpy's shape and
 * values, or numpy's error text. */
static void test_index_numpy_cases(void) {
    FILE *f = fopen("tests/data/index_cases.txt", "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024];
    int ncases = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *p1 = strstr(line, " | "), *p2 = p1 ? strstr(p1 + 3, " | ") : NULL;
        if (!p2)
            continue;
        *p1 = *p2 = '\0';
        const char *shape_s = line, *items_s = p1 + 3, *want = p2 + 3;
        int64_t shape[TENSOR_MAX_DIMS];
        int ndim = 0;
        for (const char *q = shape_s; *q; q = strchr(q, ',') ? strchr(q, ',') + 1 : "")
            shape[ndim++] = atoll(q);
        tensor_t *x = arange(DT_I64, ndim, shape);
        tensor_index_t items[16];
        int n = 0;
        char buf[512];
        snprintf(buf, sizeof buf, "%s", items_s);
        for (char *tok = strtok(buf, ";"); tok && n < 16; tok = strtok(NULL, ";"))
            items[n++] = parse_item(tok);
        err_t err;
        err_clear(&err);
        tensor_t *r = tensor_index(x, items, n, &err);
        buf_t got = BUF_INIT;
        if (r) {
            char shp[128];
            tensor_format_shape(r, shp, sizeof shp);
            buf_printf(&got, "shape=%s values=", shp);
            for (int64_t i = 0; i < tensor_numel(r); i++)
                buf_printf(&got, "%s%.0f", i ? "," : "", tensor_get_flat(r, i));
        } else {
            buf_printf(&got, "error=%s", err.msg);
        }
        if (strcmp(buf_str(&got), want) != 0)
            fprintf(stderr, "  case [%s][%s]: got %s, numpy %s\n", shape_s, items_s,
                    buf_str(&got), want);
        CHECK_EQ_STR(buf_str(&got), want);
        buf_fini(&got);
        tensor_free(r);
        tensor_free(x);
        ncases++;
    }
    fclose(f);
    CHECK(ncases >= 30);
}

static void test_index_errors(void) {
    int64_t shape[2] = {12, 5};
    tensor_t *x = arange(DT_F32, 2, shape);
    err_t err;
    err_clear(&err);
    tensor_index_t ix[3] = {I(12)};
    ix[0].col = 7;
    CHECK(tensor_index(x, ix, 1, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "IndexError");
    CHECK_EQ_STR(err.msg, "index 12 is out of bounds for axis 0 with size 12");
    CHECK_EQ_INT(err.col, 7);
    err_clear(&err);
    ix[0] = I(0);
    ix[1] = I(-6);
    CHECK(tensor_index(x, ix, 2, &err) == NULL);
    CHECK_EQ_STR(err.msg, "index -6 is out of bounds for axis 1 with size 5");
    CHECK_EQ_INT(err.col, 0);
    ix[1] = I(0);
    ix[2] = I(0);
    CHECK(tensor_index(x, ix, 3, &err) == NULL);
    CHECK_EQ_STR(
        err.msg,
        "too many indices for tensor: tensor is 2-dimensional, but 3 were indexed");
    ix[0] = ix[1] = (tensor_index_t){.kind = TI_ELLIPSIS};
    CHECK(tensor_index(x, ix, 2, &err) == NULL);
    CHECK_CONTAINS(err.msg, "single ellipsis");
    ix[0] = S(0, 0, 0, 0, 0);
    CHECK(tensor_index(x, ix, 1, &err) == NULL);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    CHECK_EQ_STR(err.msg, "slice step cannot be zero");
    tensor_free(x);
}

static void test_copy_and_read(void) {
    int64_t shape[2] = {2, 3};
    tensor_t *x = arange(DT_F32, 2, shape);
    tensor_index_t ix[2] = {S(0, 0, 0, 0, 1), S(0, 0, 0, 0, -1)};
    tensor_t *v = tensor_index(x, ix, 2, NULL);
    tensor_t *c = tensor_copy(v, DT_F16, NULL);
    CHECK(tensor_is_contiguous(c));
    CHECK_EQ_INT(c->dtype, DT_F16);
    float f[6];
    tensor_read_f32(c, f);
    CHECK_EQ_DBL(f[0], 2, 0);
    CHECK_EQ_DBL(f[5], 3, 0);
    double d[6];
    tensor_read_f64(v, d);
    CHECK_EQ_DBL(d[3], 5, 0);
    tensor_t *b = tensor_copy(x, DT_BF16, NULL);
    tensor_read_f32(b, f);
    CHECK_EQ_DBL(f[4], 4, 0);
    /* Saturating integer stores; exact 64-bit copies. */
    tensor_t *u8 = tensor_copy(x, DT_U8, NULL);
    tensor_set_flat(u8, 0, 300);
    tensor_set_flat(u8, 1, -5);
    tensor_set_flat(u8, 2, NAN);
    CHECK_EQ_DBL(tensor_get_flat(u8, 0), 255, 0);
    CHECK_EQ_DBL(tensor_get_flat(u8, 1), 0, 0);
    CHECK_EQ_DBL(tensor_get_flat(u8, 2), 0, 0);
    int64_t one = 1;
    tensor_t *i64 = tensor_new(DT_I64, 1, &one, NULL);
    int64_t big = INT64_MAX - 1;
    memcpy(i64->data, &big, 8);
    tensor_t *i64c = tensor_copy(i64, DT_I64, NULL);
    int64_t got;
    memcpy(&got, i64c->data, 8);
    CHECK(got == big);
    int64_t idx[2] = {1, 2};
    CHECK_EQ_DBL(tensor_get(x, idx), 5, 0);
    tensor_free(x), tensor_free(v), tensor_free(c), tensor_free(b), tensor_free(u8);
    tensor_free(i64), tensor_free(i64c);
}

static char *fmt(const tensor_t *t, int64_t edge) {
    buf_t b = BUF_INIT;
    tensor_format(t, &b, edge);
    return buf_take(&b, NULL);
}

static void test_format(void) {
    int64_t shape[2] = {2, 2};
    tensor_t *x = tensor_new(DT_F32, 2, shape, NULL);
    tensor_set_flat(x, 0, 0.1);
    tensor_set_flat(x, 1, 0.25);
    tensor_set_flat(x, 2, 1);
    tensor_set_flat(x, 3, -2);
    char *s = fmt(x, 3);
    CHECK_EQ_STR(s, "tensor([[ 0.1 ,  0.25],\n        [ 1.  , -2.  ]], dtype=float32, "
                    "shape=[2, 2])");
    free(s);
    tensor_set_flat(x, 0, 1e-5);
    tensor_set_flat(x, 3, NAN);
    s = fmt(x, 3);
    CHECK_EQ_STR(s, "tensor([[1.0e-05, 2.5e-01],\n        [1.0e+00,     nan]], "
                    "dtype=float32, shape=[2, 2])");
    free(s);
    tensor_free(x);

    int64_t n3[1] = {3};
    tensor_t *i = arange(DT_I64, 1, n3);
    tensor_set_flat(i, 2, -100);
    s = fmt(i, 3);
    CHECK_EQ_STR(s, "tensor([   0,    1, -100], dtype=int64, shape=[3])");
    free(s);
    tensor_free(i);

    tensor_t *bo = tensor_new(DT_BOOL, 1, n3, NULL);
    tensor_set_flat(bo, 1, 1);
    s = fmt(bo, 3);
    CHECK_EQ_STR(s, "tensor([False,  True, False], dtype=bool, shape=[3])");
    free(s);
    tensor_free(bo);

    tensor_t *sc = tensor_new(DT_F64, 0, NULL, NULL);
    tensor_set_flat(sc, 0, 1.5);
    s = fmt(sc, 3);
    CHECK_EQ_STR(s, "tensor(1.5, dtype=float64, shape=[])");
    free(s);
    tensor_free(sc);

    int64_t big[2] = {100, 100};
    tensor_t *b = arange(DT_I32, 2, big);
    s = fmt(b, 2);
    CHECK_EQ_STR(
        s, "tensor([[   0,    1, ...,   98,   99],\n"
           "        [ 100,  101, ...,  198,  199],\n"
           "        ...,\n"
           "        [9800, 9801, ..., 9898, 9899],\n"
           "        [9900, 9901, ..., 9998, 9999]], dtype=int32, shape=[100, 100])");
    free(s);
    tensor_free(b);

    int64_t e[2] = {2, 0};
    tensor_t *em = tensor_new(DT_F32, 2, e, NULL);
    s = fmt(em, 3);
    CHECK_EQ_STR(s, "tensor([], dtype=float32, shape=[2, 0])");
    free(s);
    tensor_free(em);

    int64_t s3[3] = {2, 1, 2};
    tensor_t *t3 = arange(DT_U8, 3, s3);
    s = fmt(t3, 3);
    CHECK_EQ_STR(s,
                 "tensor([[[0, 1]],\n\n        [[2, 3]]], dtype=uint8, shape=[2, 1, 2])");
    free(s);
    tensor_free(t3);

    int64_t n30[1] = {30};
    tensor_t *w = arange(DT_F32, 1, n30);
    s = fmt(w, 3);
    CHECK(strchr(s, '\n') != NULL); /* wrapped at 75 columns */
    for (char *line = s; line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char *nl = strchr(line, '\n');
        if (nl)
            CHECK((nl - line) <= 75);
    }
    free(s);
    tensor_free(w);
    char shp[32];
    int64_t sh[3] = {12, 64, 64};
    tensor_t *z = tensor_new(DT_U8, 3, sh, NULL);
    tensor_format_shape(z, shp, sizeof shp);
    CHECK_EQ_STR(shp, "[12, 64, 64]");
    tensor_free(z);
}

/* tensor_load_f32: the fast contiguous paths and the strided generic path agree. */
static void test_load_f32(void) {
    uint16_t h[3] = {tensor_f32_to_f16(1.5f), tensor_f32_to_f16(-2.0f),
                     tensor_f32_to_f16(0.25f)};
    float out[3];
    tensor_load_f32(DT_F16, (const char *)h, 3, 2, out);
    CHECK_EQ_DBL(out[0], 1.5, 0);
    CHECK_EQ_DBL(out[1], -2.0, 0);
    CHECK_EQ_DBL(out[2], 0.25, 0);
    uint16_t b[2] = {tensor_f32_to_bf16(3.0f), tensor_f32_to_bf16(-0.5f)};
    tensor_load_f32(DT_BF16, (const char *)b, 2, 2, out);
    CHECK_EQ_DBL(out[0], 3.0, 0);
    CHECK_EQ_DBL(out[1], -0.5, 0);
    int32_t iv[4] = {7, 100, -9, 100};
    tensor_load_f32(DT_I32, (const char *)iv, 2, 8, out); /* every other element */
    CHECK_EQ_DBL(out[0], 7, 0);
    CHECK_EQ_DBL(out[1], -9, 0);
    float fv[4] = {1, 2, 3, 4};
    tensor_load_f32(DT_F32, (const char *)fv, 2, 8, out);
    CHECK_EQ_DBL(out[1], 3, 0);
}

CHECK_MAIN(test_load_f32, test_dtypes, test_f16, test_bf16, test_new_and_errors,
           test_index, test_index_numpy_cases, test_index_errors, test_copy_and_read,
           test_format)
