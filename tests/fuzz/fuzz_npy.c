/* SPDX-License-Identifier: MIT */
/* fuzz_npy.c -- libFuzzer target for the .npy parser on hostile bytes.
 *
 * Each input is parsed twice: without a backing block (the tensor gets a copy) and as
 * a view into a heap block holding the input (the mapped-file path). Whatever parses
 * must be readable end to end: statistics touch every element and printing walks the
 * shown ones, so a header that lies about its data shows up as an ASan report. Any
 * crash, leak, sanitizer report or abort() here is a bug in tensor_io.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tensor_io.h"

static void fuzz_touch(const tensor_t *t) {
    ops_stats_t st;
    if (ops_stats(t, &st, NULL, NULL) != 0 || st.count != tensor_numel(t))
        abort();
    buf_t b = BUF_INIT;
    tensor_format(t, &b, 2);
    buf_fini(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tensor_t *t = NULL;
    err_t err;
    if (tensor_io_parse_npy(NULL, (const char *)data, size, &t, &err) == 0) {
        fuzz_touch(t);
        tensor_free(t);
    } else if (!err.msg[0]) {
        abort(); /* a failure must say why */
    }
    tensor_mem_t *m = tensor_mem_new_heap(size, NULL);
    if (!m)
        return 0;
    memcpy(tensor_mem_data(m), data, size);
    if (tensor_io_parse_npy(m, tensor_mem_data(m), size, &t, &err) == 0) {
        tensor_mem_unref(m); /* the tensor keeps the block alive */
        fuzz_touch(t);
        tensor_free(t);
    } else {
        tensor_mem_unref(m);
    }
    return 0;
}
