/* SPDX-License-Identifier: MIT */
/* test_alloc.c -- the "chaos" test: fail the Nth checked allocation, N = 0, 1, 2, ...
 *
 * For tensor creation, copies and every file load that allocates payload memory, each
 * run with a failing allocation must end in a clean "MemoryError" with an empty result,
 * and the loop goes on until the operation succeeds (so every allocation site has been
 * failed once). Leaks are caught by running this under ASan/LeakSanitizer or valgrind
 * (`make asan`, `make valgrind`). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tensor_io.h"

#define DATA "tests/data/"
#define MAX_STEPS 1000

static void test_tensor_new_chaos(void) {
    int64_t shape[3] = {4, 5, 6};
    int failures = 0;
    for (long n = 0; n < MAX_STEPS; n++) {
        err_t err;
        err_clear(&err);
        util_fail_alloc_after(n);
        tensor_t *t = tensor_new(DT_F32, 3, shape, &err);
        tensor_t *c = t ? tensor_copy(t, DT_BF16, &err) : NULL;
        util_fail_alloc_after(-1);
        if (t && c) {
            CHECK_EQ_INT(tensor_numel(c), 120);
            tensor_free(t);
            tensor_free(c);
            break;
        }
        failures++;
        CHECK_EQ_STR(err_kind(&err), "MemoryError");
        CHECK_CONTAINS(err.msg, "cannot allocate");
        tensor_free(t);
    }
    CHECK_EQ_INT(failures, 2); /* one payload each for the tensor and its copy */
}

/* Loads `path` with allocation N failing, N = 0, 1, ... until it loads; returns the
 * number of failed runs. */
static int chaos_load(const char *path, size_t want_items) {
    int failures = 0;
    for (long n = 0; n < MAX_STEPS; n++) {
        tensor_io_result_t r;
        err_t err;
        err_clear(&err);
        util_fail_alloc_after(n);
        int rc = tensor_io_load(path, NULL, &r, &err);
        util_fail_alloc_after(-1);
        if (rc == 0) {
            CHECK_EQ_INT(r.n, want_items);
            tensor_io_result_fini(&r);
            return failures;
        }
        failures++;
        CHECK_EQ_INT(r.n, 0);
        CHECK_EQ_STR(err_kind(&err), "MemoryError");
        CHECK_CONTAINS(err.msg, path);
    }
    CHECK(0); /* never succeeded */
    return failures;
}

static void test_load_chaos(void) {
    CHECK_EQ_INT(chaos_load(DATA "npy/be_f4.npy", 1), 1);    /* the swapped copy */
    CHECK_EQ_INT(chaos_load(DATA "npy/float32.npy", 1), 0);  /* mapped: no payload */
    CHECK_EQ_INT(chaos_load(DATA "npz/deflated.npz", 3), 3); /* one per member */
    CHECK_EQ_INT(chaos_load(DATA "npz/stored.npz", 3), 2);   /* 2 unaligned */
    CHECK_EQ_INT(chaos_load(DATA "st/misaligned.safetensors", 2), 1);
    CHECK(chaos_load(DATA "st/all.safetensors", 17) >= 1);    /* some unaligned */
    CHECK_EQ_INT(chaos_load(DATA "json/records.json", 5), 3); /* numeric columns */
    CHECK_EQ_INT(chaos_load(DATA "json/log.jsonl", 4), 3);
    CHECK_EQ_INT(chaos_load(DATA "json/grid.json", 1), 1);
    CHECK_EQ_INT(chaos_load(DATA "json/dla.json", 3), 1);
    CHECK_EQ_INT(chaos_load(DATA "json/sweep.json", 4), 2);
}

static void test_parse_chaos(void) {
    FILE *f = fopen(DATA "npy/fortran.npy", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    char buf[4096];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    int failures = 0;
    for (long n = 0; n < MAX_STEPS; n++) {
        tensor_t *t = NULL;
        err_t err;
        err_clear(&err);
        util_fail_alloc_after(n);
        int rc = tensor_io_parse_npy(NULL, buf, len, &t, &err);
        util_fail_alloc_after(-1);
        if (rc == 0) {
            CHECK_EQ_DBL(tensor_get_flat(t, 11), 11, 0);
            tensor_free(t);
            break;
        }
        failures++;
        CHECK(t == NULL);
        CHECK_EQ_STR(err_kind(&err), "MemoryError");
    }
    CHECK_EQ_INT(failures, 1);
}

CHECK_MAIN(test_tensor_new_chaos, test_load_chaos, test_parse_chaos)
