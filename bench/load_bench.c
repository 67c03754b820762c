/* SPDX-License-Identifier: MIT */
/* load_bench.c -- time opening a big tensor file and touching one slice, in C.
 *
 * `make bench` runs it on the 1 GB .safetensors and .npy files that bench/run.sh
 * generates, to compare mechviz's loader (tensor_io_load: header parse + mmap) and view
 * indexing (tensor_index) with numpy's np.load(mmap_mode='r') on the same files. It
 * measures whole open -> index -> sum one row -> close cycles and prints
 * `name: value` lines; it asserts nothing and is not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor.h"
#include "tensor_io.h"
#include "util.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One cycle: load PATH, view row ROW of its first tensor, sum it, free everything.
 * Returns 0 and the sum in *sum, or -1 with err filled. */
static int cycle(const char *path, int64_t row, double *sum, err_t *err) {
    tensor_io_result_t r;
    memset(&r, 0, sizeof r);
    if (tensor_io_load(path, "x", &r, err) < 0)
        return -1;
    int rc = -1;
    tensor_t *t = NULL;
    for (size_t i = 0; i < r.n; i++)
        if (r.items[i].tensor) {
            t = r.items[i].tensor;
            break;
        }
    if (!t) {
        err_set(err, "ValueError", "%s holds no tensor", path);
        goto out;
    }
    tensor_index_t idx = {.kind = TI_INT, .i = row};
    tensor_t *v = tensor_index(t, &idx, 1, err);
    if (!v)
        goto out;
    double s = 0;
    int64_t n = tensor_numel(v);
    for (int64_t i = 0; i < n; i++)
        s += tensor_get_flat(v, i);
    tensor_free(v);
    *sum = s;
    rc = 0;
out:
    tensor_io_result_fini(&r);
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: load_bench LABEL PATH [ROW] [REPEATS]\n");
        return 2;
    }
    const char *label = argv[1], *path = argv[2];
    int64_t row = argc > 3 ? atoll(argv[3]) : 0;
    int reps = argc > 4 ? atoi(argv[4]) : 20;
    if (reps < 1 || reps > 10000)
        reps = 20;
    double *ms = xcalloc((size_t)reps, sizeof *ms);
    double sum = 0;
    err_t err;
    err_clear(&err);
    for (int i = 0; i < reps; i++) {
        double t0 = util_now();
        if (cycle(path, row, &sum, &err) < 0) {
            fprintf(stderr, "load_bench: %s: %s\n", path, err.msg);
            free(ms);
            return 1;
        }
        ms[i] = (util_now() - t0) * 1e3;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    printf("%s: %.4f ms (median of %d; row sum %.6g)\n", label, ms[reps / 2], reps, sum);
    free(ms);
    return 0;
}
