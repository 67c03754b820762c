/* SPDX-License-Identifier: MIT */
/* fuzz_safetensors.c -- libFuzzer target for the .safetensors reader on hostile bytes.
 *
 * Each input is parsed without a backing block (copies) and as views into a heap block
 * holding the input (the mapped-file path). Every tensor of a successful parse is read
 * end to end and its name must be a valid store name; a failed parse must leave an
 * empty result and an error message. Any crash, leak, sanitizer report or abort() here
 * is a bug in safetensors.c or tensor_io.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tensor_io.h"

static void fuzz_check(int rc, tensor_io_result_t *r, const err_t *err) {
    if (rc != 0) {
        if (r->n != 0 || !err->msg[0])
            abort();
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        ops_stats_t st;
        if (!r->items[i].tensor || ops_stats(r->items[i].tensor, &st, NULL, NULL) != 0)
            abort();
        if (!store_name_valid(r->items[i].name))
            abort();
    }
    tensor_io_result_fini(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tensor_io_result_t r;
    err_t err;
    int rc = tensor_io_parse_safetensors(NULL, (const char *)data, size, NULL, &r, &err);
    fuzz_check(rc, &r, &err);
    tensor_mem_t *m = tensor_mem_new_heap(size, NULL);
    if (!m)
        return 0;
    memcpy(tensor_mem_data(m), data, size);
    rc = tensor_io_parse_safetensors(m, tensor_mem_data(m), size, "st", &r, &err);
    tensor_mem_unref(m);
    fuzz_check(rc, &r, &err);
    return 0;
}
