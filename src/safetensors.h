/* SPDX-License-Identifier: MIT */
/* safetensors.h -- reading and atomically writing .safetensors files. */
#ifndef MECHVIZ_SAFETENSORS_H
#define MECHVIZ_SAFETENSORS_H

#include <stddef.h>

#include "tensor.h"
#include "tensor_io.h"
#include "util.h"

int safetensors_parse(tensor_mem_t *mem, const char *data, size_t len, const char *name,
                      tensor_io_result_t *out, err_t *err);
int safetensors_save(const char *path, const char *const *names,
                     const tensor_t *const *tensors, size_t n, err_t *err);

#endif
