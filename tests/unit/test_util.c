/* SPDX-License-Identifier: MIT */
/* test_util.c -- unit tests for util.c, buf.c and strlist.c (layer 0). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "strlist.h"
#include "util.h"

static void test_err(void) {
    err_t e;
    err_clear(&e);
    CHECK_EQ_STR(err_kind(&e), "Error");
    err_set_at(&e, 3, 7, "NameError", "name '%s' is not defined", "x");
    CHECK_EQ_STR(e.msg, "name 'x' is not defined");
    CHECK_EQ_STR(err_kind(&e), "NameError");
    CHECK_EQ_INT(e.line, 3);
    CHECK_EQ_INT(e.col, 7);
    err_set(NULL, "X", "ignored"); /* NULL is allowed */
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    err_set(&e, "ValueError", "%s", big);
    CHECK_EQ_INT(strlen(e.msg), ERR_MSG_MAX - 1);
}

static void test_overflow(void) {
    size_t r = 0;
    CHECK_EQ_INT(util_mul_size(SIZE_MAX / 2, 3, &r), -1);
    CHECK_EQ_INT(util_mul_size(1000, 1000, &r), 0);
    CHECK_EQ_INT(r, 1000000);
    CHECK_EQ_INT(util_add_size(SIZE_MAX, 1, &r), -1);
    CHECK_EQ_INT(util_mul_size(0, SIZE_MAX, &r), 0);
    CHECK_EQ_INT(r, 0);
}

static void test_alloc_hook(void) {
    util_fail_alloc_after(2);
    void *a = util_try_malloc(8), *b = util_try_malloc(8), *c = util_try_malloc(8);
    CHECK(a != NULL);
    CHECK(b != NULL);
    CHECK(c == NULL);
    util_fail_alloc_after(-1);
    void *d = util_try_malloc(8);
    CHECK(d != NULL);
    free(a), free(b), free(d);
}

static void test_buf(void) {
    buf_t b = BUF_INIT;
    CHECK_EQ_STR(buf_str(&b), "");
    buf_puts(&b, "shape ");
    buf_printf(&b, "[%d, %d]", 12, 1024);
    buf_putc(&b, '!');
    CHECK_EQ_STR(buf_str(&b), "shape [12, 1024]!");
    for (int i = 0; i < 10000; i++)
        buf_putc(&b, 'x');
    CHECK_EQ_INT(b.len, 17 + 10000);
    size_t len;
    char *s = buf_take(&b, &len);
    CHECK_EQ_INT(len, 10017);
    CHECK_EQ_INT(strlen(s), 10017);
    CHECK(b.data == NULL && b.len == 0);
    free(s);
    buf_fini(&b);
}

static void test_strlist(void) {
    strlist_t l = STRLIST_INIT;
    strlist_push(&l, "b");
    strlist_push(&l, "a");
    strlist_push(&l, "b");
    strlist_pushn(&l, "cdef", 1);
    strlist_sort(&l);
    strlist_uniq(&l);
    CHECK_EQ_INT(l.n, 3);
    CHECK_EQ_STR(l.items[0], "a");
    CHECK_EQ_STR(l.items[2], "c");
    CHECK_EQ_INT(strlist_find(&l, "b"), 1);
    CHECK_EQ_INT(strlist_find(&l, "z"), -1);
    strlist_fini(&l);
}

static void test_text(void) {
    CHECK_EQ_INT(util_edit_distance("hook_pattern", "hook_patern"), 1);
    CHECK_EQ_INT(util_edit_distance("", "abc"), 3);
    CHECK(util_utf8_valid("h\xc3\xa9llo \xe2\x96\x81", 11));
    CHECK(!util_utf8_valid("\xff", 1));
    CHECK(!util_utf8_valid("\xc3", 1));
    CHECK(!util_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    CHECK(!util_utf8_valid("\xc0\xaf", 2));     /* overlong */
    char s[32];
    util_format_bytes(1536, s, sizeof s);
    CHECK_EQ_STR(s, "1.5 KiB");
    util_format_bytes(12, s, sizeof s);
    CHECK_EQ_STR(s, "12 B");
    double t0 = util_now(), t1 = util_now();
    CHECK(t1 >= t0);
}

CHECK_MAIN(test_err, test_overflow, test_alloc_hook, test_buf, test_strlist, test_text)
