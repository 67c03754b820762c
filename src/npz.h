/* SPDX-License-Identifier: MIT */
/* npz.h -- reading numpy .npz archives (zip, stored or deflated members). */
#ifndef MECHVIZ_NPZ_H
#define MECHVIZ_NPZ_H

#include <stddef.h>

#include "tensor.h"
#include "tensor_io.h"
#include "util.h"

int npz_parse(tensor_mem_t *mem, const char *data, size_t len, const char *name,
              tensor_io_result_t *out, err_t *err);

#endif
