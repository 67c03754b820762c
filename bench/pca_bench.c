/* SPDX-License-Identifier: MIT */
/* pca_bench.c -- times linalg_pca on a float32 .npy file, for bench/analysis.sh.
 *
 * Usage: pca_bench FILE.npy K [cov|randomized|auto] [--no-project]
 * Memory-maps the file (as the kernel's %load does), runs the PCA once and prints
 * `name: value` lines: wall time in seconds, peak resident memory in MiB, the method and
 * the explained-variance ratios (so the caller can compare them with scikit-learn's). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linalg.h"

/* Maps a little-endian float32 C-order .npy file as an [n, d] tensor; 0 or -1. */
static int map_npy(const char *path, tensor_t *t, void **base, size_t *len) {
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size < 16) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *len = (size_t)sb.st_size;
    *base = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (*base == MAP_FAILED)
        return -1;
    const unsigned char *p = *base;
    if (memcmp(p, "\x93NUMPY", 6) != 0)
        return -1;
    size_t hlen = p[8] | (size_t)p[9] << 8, off = 10 + hlen;
    char hdr[512];
    if (hlen >= sizeof hdr)
        return -1;
    memcpy(hdr, p + 10, hlen);
    hdr[hlen] = '\0';
    const char *s = strstr(hdr, "'shape': (");
    if (!strstr(hdr, "<f4") || !s || strstr(hdr, "'fortran_order': True"))
        return -1;
    long long n = 0, d = 0;
    if (sscanf(s + 10, "%lld, %lld", &n, &d) != 2)
        return -1;
    memset(t, 0, sizeof *t);
    t->dtype = DT_F32;
    t->ndim = 2;
    t->shape[0] = n;
    t->shape[1] = d;
    t->strides[0] = d * 4;
    t->strides[1] = 4;
    t->data = (char *)*base + off;
    return (off + (size_t)(n * d * 4) <= *len) ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr,
                "usage: pca_bench FILE.npy K [cov|randomized|auto] [--no-project]\n");
        return 2;
    }
    tensor_t t;
    void *base;
    size_t len;
    if (map_npy(argv[1], &t, &base, &len) < 0) {
        fprintf(stderr, "pca_bench: cannot map %s as a float32 [n, d] .npy\n", argv[1]);
        return 1;
    }
    linalg_pca_opts_t o;
    linalg_pca_opts_init(&o);
    o.k = atoi(argv[2]);
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "cov") == 0)
            o.method = LINALG_PCA_COV;
        else if (strcmp(argv[i], "randomized") == 0)
            o.method = LINALG_PCA_RANDOMIZED;
        else if (strcmp(argv[i], "--no-project") == 0)
            o.project = 0;
    }
    linalg_pca_t p;
    err_t err;
    err_clear(&err);
    double t0 = util_now();
    int rc = linalg_pca(&t, &o, &p, &err);
    double dt = util_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "pca_bench: %s\n", err.msg);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("method: %s\n", p.method == LINALG_PCA_COV ? "cov" : "randomized");
    printf("seconds: %.3f\n", dt);
    printf("peak_rss_mib: %.0f\n", (double)ru.ru_maxrss / 1024.0);
    printf("evr:");
    for (int i = 0; i < p.k; i++)
        printf(" %.7f", p.explained_variance_ratio[i]);
    printf("\n");
    linalg_pca_fini(&p);
    munmap(base, len);
    return 0;
}
