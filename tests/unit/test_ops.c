/* SPDX-License-Identifier: MIT */
/* test_ops.c -- unit tests for ops.c: statistics over any dtype and strides, the
 * interrupt flag, and softmax stability. */
#include <signal.h>
#include <stdlib.h>

#include "check.h"
#include "ops.h"

static void test_stats_basic(void) {
    int64_t n = 8;
    tensor_t *t = tensor_new(DT_F32, 1, &n, NULL);
    double v[8] = {1, 2, 3, 4, 0, NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 8; i++)
        tensor_set_flat(t, i, v[i]);
    ops_stats_t st;
    err_t err;
    CHECK_EQ_INT(ops_stats(t, &st, NULL, &err), 0);
    CHECK_EQ_INT(st.count, 8);
    CHECK_EQ_INT(st.nan, 1);
    CHECK_EQ_INT(st.posinf, 1);
    CHECK_EQ_INT(st.neginf, 1);
    CHECK_EQ_INT(st.zeros, 1);
    CHECK_EQ_DBL(st.min, 0, 0);
    CHECK_EQ_DBL(st.max, 4, 0);
    CHECK_EQ_DBL(st.mean, 2, 1e-12);
    CHECK_EQ_DBL(st.std, sqrt(2.0), 1e-12); /* numpy: np.std([1,2,3,4,0]) */
    tensor_free(t);
}

static void test_stats_strided_f16(void) {
    int64_t shape[2] = {300, 5000}; /* rows longer than one batch */
    tensor_t *t = tensor_new(DT_F16, 2, shape, NULL);
    for (int64_t i = 0; i < 300 * 5000; i++)
        tensor_set_flat(t, i, (double)(i % 5000 < 2500 ? -1 : 3));
    tensor_index_t ix[2] = {{.kind = TI_SLICE, .step = -2},
                            {.kind = TI_SLICE, .step = 1}};
    tensor_t *v = tensor_index(t, ix, 2, NULL);
    ops_stats_t st;
    CHECK_EQ_INT(ops_stats(v, &st, NULL, NULL), 0);
    CHECK_EQ_INT(st.count, 150 * 5000);
    CHECK_EQ_DBL(st.mean, 1, 1e-12);
    CHECK_EQ_DBL(st.std, 2, 1e-12);
    CHECK_EQ_DBL(st.min, -1, 0);
    CHECK_EQ_DBL(st.max, 3, 0);
    tensor_free(v);
    tensor_free(t);
}

static void test_stats_empty_and_scalar(void) {
    int64_t z = 0;
    tensor_t *e = tensor_new(DT_F32, 1, &z, NULL);
    ops_stats_t st;
    CHECK_EQ_INT(ops_stats(e, &st, NULL, NULL), 0);
    CHECK_EQ_INT(st.count, 0);
    CHECK(isnan(st.mean));
    tensor_free(e);
    tensor_t *s = tensor_new(DT_I64, 0, NULL, NULL);
    tensor_set_flat(s, 0, -7);
    CHECK_EQ_INT(ops_stats(s, &st, NULL, NULL), 0);
    CHECK_EQ_INT(st.count, 1);
    CHECK_EQ_DBL(st.mean, -7, 0);
    CHECK_EQ_DBL(st.std, 0, 0);
    tensor_free(s);
}

static void test_stats_interrupt(void) {
    int64_t n = 3 << 20;
    tensor_t *t = tensor_new(DT_U8, 1, &n, NULL);
    volatile sig_atomic_t flag = 1;
    ops_stats_t st;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(ops_stats(t, &st, &flag, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "KeyboardInterrupt");
    flag = 0;
    CHECK_EQ_INT(ops_stats(t, &st, &flag, &err), 0);
    CHECK_EQ_INT(st.zeros, n);
    tensor_free(t);
}

static void test_softmax(void) {
    float x[3] = {1000, 1001, 1002}; /* naive exp overflows */
    ops_softmax_f32(x, 3);
    CHECK_EQ_DBL(x[0], 0.09003057, 1e-6);
    CHECK_EQ_DBL(x[1], 0.24472847, 1e-6);
    CHECK_EQ_DBL(x[2], 0.66524096, 1e-6);
    float y[3] = {-INFINITY, 0, -INFINITY}; /* causal mask */
    ops_softmax_f32(y, 3);
    CHECK_EQ_DBL(y[0], 0, 0);
    CHECK_EQ_DBL(y[1], 1, 0);
    float z[2] = {-INFINITY, -INFINITY};
    ops_softmax_f32(z, 2);
    CHECK(isnan(z[0]) && isnan(z[1]));
    float w[2] = {1, NAN};
    ops_softmax_f32(w, 2);
    CHECK(isnan(w[0]));
    ops_softmax_f32(NULL, 0);
}

CHECK_MAIN(test_stats_basic, test_stats_strided_f16, test_stats_empty_and_scalar,
           test_stats_interrupt, test_softmax)
