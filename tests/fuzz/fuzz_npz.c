/* SPDX-License-Identifier: MIT */
/* fuzz_npz.c -- libFuzzer target for the .npz (zip) reader on hostile bytes.
 *
 * The input goes through tensor_io_parse_npz with and without a name prefix. Every
 * tensor of a successful parse is read end to end; a failed parse must leave an empty
 * result and an error message. Lying central directories, ZIP64 fields, deflate bombs
 * and bad CRCs must all end as clean errors. Any crash, leak, sanitizer report or
 * abort() here is a bug in npz.c or tensor_io.c. */
#include <stdint.h>
#include <stdlib.h>

#include "ops.h"
#include "tensor_io.h"

static void fuzz_parse(const uint8_t *data, size_t size, const char *name) {
    tensor_io_result_t r;
    err_t err;
    if (tensor_io_parse_npz((const char *)data, size, name, &r, &err) != 0) {
        if (r.n != 0 || !err.msg[0])
            abort();
        return;
    }
    for (size_t i = 0; i < r.n; i++) {
        ops_stats_t st;
        if (!r.items[i].tensor || ops_stats(r.items[i].tensor, &st, NULL, NULL) != 0)
            abort();
        if (!store_name_valid(r.items[i].name))
            abort();
    }
    tensor_io_result_fini(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_parse(data, size, NULL);
    fuzz_parse(data, size, "z");
    return 0;
}
