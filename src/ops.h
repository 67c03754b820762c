/* SPDX-License-Identifier: MIT */
/* ops.h -- numeric kernels over tensors: statistics, softmax, reductions. */
#ifndef MECHVIZ_OPS_H
#define MECHVIZ_OPS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"
#include "util.h"

typedef struct ops_stats {
    double min, max, mean, std;  /* over finite values */
    int64_t nan, posinf, neginf; /* counts of non-finite values */
    int64_t zeros;               /* exact zeros */
    int64_t count;               /* elements */
} ops_stats_t;

int ops_stats(const tensor_t *t, ops_stats_t *st, volatile sig_atomic_t *interrupted,
              err_t *err);
void ops_softmax_f32(float *x, size_t n);

#endif
