/* SPDX-License-Identifier: MIT */
/* records.h -- JSON and JSON-lines files as token lists, tensors and record tables. */
#ifndef MECHVIZ_RECORDS_H
#define MECHVIZ_RECORDS_H

#include <stddef.h>

#include "tensor_io.h"
#include "util.h"

int records_parse(const char *data, size_t len, int lines, const char *name,
                  tensor_io_result_t *out, err_t *err);

#endif
