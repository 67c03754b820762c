/* SPDX-License-Identifier: MIT */
/* fuzz_json.c -- libFuzzer target for JSON / JSON-lines data files (records.c).
 *
 * Each input is parsed as a .json document and as .jsonl lines. A successful parse must
 * give valid store names, tables whose numeric columns have nrows elements, and
 * tensors that can be read end to end; a failure must leave an empty result and an
 * error message. Any crash, leak, sanitizer report or abort() here is a bug in
 * records.c or tensor_io.c. */
#include <stdint.h>
#include <stdlib.h>

#include "ops.h"
#include "tensor_io.h"

static void fuzz_parse(const uint8_t *data, size_t size, int lines) {
    tensor_io_result_t r;
    err_t err;
    if (tensor_io_parse_json((const char *)data, size, lines, "j", &r, &err) != 0) {
        if (r.n != 0 || !err.msg[0])
            abort();
        return;
    }
    for (size_t i = 0; i < r.n; i++) {
        const tensor_io_item_t *it = &r.items[i];
        if (!store_name_valid(it->name))
            abort();
        if (it->kind == STORE_TENSOR) {
            ops_stats_t st;
            if (!it->tensor || ops_stats(it->tensor, &st, NULL, NULL) != 0)
                abort();
        }
    }
    tensor_io_result_fini(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_parse(data, size, 0);
    fuzz_parse(data, size, 1);
    return 0;
}
