/* SPDX-License-Identifier: MIT */
/* check.h -- the unit-test harness: CHECK macros, a test registry and a summary line.
 *
 * A test file defines `static void test_xxx(void)` functions and ends with
 *     CHECK_MAIN(test_a, test_b, ...)
 * Each failing CHECK prints file:line and both values, and the test goes on. The
 * program prints "NAME: N passed, N failed" and exits non-zero if anything failed.
 * SKIP(reason) ends the current test and counts it as skipped. */
#ifndef MECHVIZ_CHECK_H
#define MECHVIZ_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures_; /* failures in the current test */
static int check_skipped_;  /* 1 when the current test called SKIP */

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        if (a_ != b_) {                                                                  \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__,        \
                    __LINE__, #a, #b, a_, b_);                                           \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_EQ_DBL(a, b, tol)                                                          \
    do {                                                                                 \
        double a_ = (double)(a), b_ = (double)(b);                                       \
        if (!(fabs(a_ - b_) <= (tol)) && !(a_ == b_)) {                                  \
            fprintf(stderr, "  %s:%d: %s == %s failed: %.9g != %.9g\n", __FILE__,        \
                    __LINE__, #a, #b, a_, b_);                                           \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                               \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                         \
            fprintf(stderr, "  %s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,    \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");           \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                                      \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!h_ || !strstr(h_, n_)) {                                                    \
            fprintf(stderr, "  %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__,       \
                    __LINE__, h_ ? h_ : "(null)", n_);                                   \
            check_failures_++;                                                           \
        }                                                                                \
    } while (0)

#define SKIP(reason)                                                                     \
    do {                                                                                 \
        fprintf(stderr, "  skipped: %s\n", reason);                                      \
        check_skipped_ = 1;                                                              \
        return;                                                                          \
    } while (0)

typedef void (*check_fn_)(void);

static int check_run_(const char *prog, const char *names, check_fn_ *fns, int n) {
    int passed = 0, failed = 0, skipped = 0;
    const char *p = names;
    for (int i = 0; i < n; i++) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        check_failures_ = 0;
        check_skipped_ = 0;
        fns[i]();
        if (check_skipped_)
            skipped++;
        else if (check_failures_) {
            failed++;
            fprintf(stderr, "FAIL %.*s\n", (int)(e - p), p);
        } else
            passed++;
        p = e;
    }
    const char *base = strrchr(prog, '/');
    printf("%s: %d passed, %d failed, %d skipped\n", base ? base + 1 : prog, passed,
           failed, skipped);
    return failed ? 1 : 0;
}

#define CHECK_MAIN(...)                                                                  \
    int main(int argc, char **argv) {                                                    \
        (void)argc;                                                                      \
        check_fn_ fns[] = {__VA_ARGS__};                                                 \
        return check_run_(argv[0], #__VA_ARGS__, fns, (int)(sizeof fns / sizeof *fns));  \
    }

#endif
