/* SPDX-License-Identifier: MIT */
/* test_store.c -- unit tests for store.c: names, replacement, tables, suggestions,
 * byte accounting and the heap limit. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "store.h"

static tensor_t *vec(int64_t n) {
    return tensor_new(DT_F32, 1, &n, NULL);
}

static void test_names(void) {
    CHECK(store_name_valid("x"));
    CHECK(store_name_valid("_a9"));
    CHECK(store_name_valid("blocks.3.attn.hook_pattern"));
    CHECK(store_name_valid("a/b-c"));
    CHECK(!store_name_valid(""));
    CHECK(!store_name_valid("9x"));
    CHECK(!store_name_valid(".x"));
    CHECK(!store_name_valid("a b"));
    CHECK(!store_name_valid("caf\xc3\xa9"));
    CHECK(!store_name_valid(NULL));
    char longname[300];
    memset(longname, 'a', sizeof longname);
    longname[255] = '\0';
    CHECK(store_name_valid(longname));
    longname[255] = 'a';
    longname[256] = '\0';
    CHECK(!store_name_valid(longname));
}

static void test_put_get_sorted(void) {
    store_t *s = store_new(0);
    err_t err;
    CHECK_EQ_INT(store_put_tensor(s, "zeta", vec(3), "inline", &err), 0);
    CHECK_EQ_INT(store_put_tensor(s, "alpha", vec(4), "inline", &err), 0);
    CHECK_EQ_INT(store_put_tensor(s, "mid", vec(5), "f.npy", &err), 0);
    CHECK_EQ_INT(store_count(s), 3);
    CHECK_EQ_STR(store_at(s, 0)->name, "alpha");
    CHECK_EQ_STR(store_at(s, 1)->name, "mid");
    CHECK_EQ_STR(store_at(s, 2)->name, "zeta");
    CHECK(store_at(s, 3) == NULL);
    const store_entry_t *e = store_get(s, "mid");
    CHECK(e != NULL);
    CHECK_EQ_INT(e->tensor->shape[0], 5);
    CHECK_EQ_STR(e->source, "f.npy");
    CHECK(store_get(s, "nope") == NULL);
    /* Replacement frees the old one (valgrind/ASan would flag a leak). */
    CHECK_EQ_INT(store_put_tensor(s, "mid", vec(7), "again", &err), 0);
    CHECK_EQ_INT(store_count(s), 3);
    CHECK_EQ_INT(store_get(s, "mid")->tensor->shape[0], 7);
    CHECK_EQ_INT(store_delete(s, "mid"), 0);
    CHECK_EQ_INT(store_delete(s, "mid"), -1);
    CHECK_EQ_INT(store_count(s), 2);
    store_free(s);
}

static void test_bad_name_takes_ownership(void) {
    store_t *s = store_new(0);
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(store_put_tensor(s, "1bad", vec(3), NULL, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    CHECK_CONTAINS(err.msg, "invalid name '1bad'");
    strlist_t l = STRLIST_INIT;
    strlist_push(&l, "a");
    CHECK_EQ_INT(store_put_strings(s, "a b", &l, NULL, &err), -1);
    CHECK_EQ_INT(l.n, 0);
    CHECK_EQ_INT(store_count(s), 0);
    store_free(s);
}

static void test_table_delete(void) {
    store_t *s = store_new(0);
    strlist_t names = STRLIST_INIT, cols = STRLIST_INIT;
    strlist_push(&names, "a");
    strlist_push(&names, "b");
    CHECK_EQ_INT(store_put_strings(s, "log.key", &names, "log.json", NULL), 0);
    CHECK_EQ_INT(store_put_tensor(s, "log.value", vec(2), "log.json", NULL), 0);
    CHECK_EQ_INT(store_put_tensor(s, "logx", vec(2), "other", NULL), 0);
    strlist_push(&cols, "key");
    strlist_push(&cols, "value");
    CHECK_EQ_INT(store_put_table(s, "log", &cols, 2, "log.json", NULL), 0);
    CHECK_EQ_INT(cols.n, 0);
    const store_entry_t *t = store_get(s, "log");
    CHECK_EQ_INT(t->kind, STORE_TABLE);
    CHECK_EQ_INT(t->nrows, 2);
    CHECK_EQ_INT(t->strings.n, 2);
    CHECK_EQ_INT(store_get(s, "log.key")->strings.n, 2);
    CHECK_EQ_INT(store_count(s), 4);
    CHECK_EQ_INT(store_delete(s, store_get(s, "log")->name), 0);
    CHECK_EQ_INT(store_count(s), 1);
    CHECK_EQ_STR(store_at(s, 0)->name, "logx");
    store_free(s);
}

static void test_suggest(void) {
    store_t *s = store_new(0);
    store_put_tensor(s, "blocks.3.attn.hook_pattern", vec(1), NULL, NULL);
    store_put_tensor(s, "resid", vec(1), NULL, NULL);
    store_put_tensor(s, "toks", vec(1), NULL, NULL);
    store_put_tensor(s, "t", vec(1), NULL, NULL);
    CHECK_EQ_STR(store_suggest(s, "blocks.3.attn.hook_patern"),
                 "blocks.3.attn.hook_pattern");
    CHECK_EQ_STR(store_suggest(s, "resd"), "resid");
    CHECK_EQ_STR(store_suggest(s, "tok"), "toks");
    CHECK(store_suggest(s, "completely_else") == NULL);
    CHECK(store_suggest(s, "xyzw") == NULL);
    CHECK(store_suggest(s, "xx") == NULL); /* two edits from any short name: no guess */
    store_free(s);
}

static void test_bytes_and_limit(void) {
    store_t *s = store_new(1000);
    err_t err;
    err_clear(&err);
    int64_t n = 100; /* 400 bytes */
    tensor_t *a = tensor_new(DT_F32, 1, &n, NULL);
    tensor_t *view = tensor_view(a); /* same block: counted once */
    CHECK_EQ_INT(store_put_tensor(s, "a", a, NULL, &err), 0);
    CHECK_EQ_INT(store_put_tensor(s, "v", view, NULL, &err), 0);
    CHECK_EQ_INT(store_heap_bytes(s), 400);
    CHECK_EQ_INT(store_put_tensor(s, "b", tensor_new(DT_F32, 1, &n, NULL), NULL, &err),
                 0);
    CHECK_EQ_INT(store_heap_bytes(s), 800);
    CHECK_EQ_INT(store_put_tensor(s, "c", tensor_new(DT_F32, 1, &n, NULL), NULL, &err),
                 -1);
    CHECK_EQ_STR(err_kind(&err), "MemoryError");
    CHECK_CONTAINS(err.msg, "over the limit of 1000 B");
    CHECK(store_get(s, "c") == NULL);
    /* Replacing b with a same-size tensor fits: the old b does not count. */
    CHECK_EQ_INT(store_put_tensor(s, "b", tensor_new(DT_F32, 1, &n, NULL), NULL, &err),
                 0);
    /* Mapped memory is counted apart and not limited. */
    size_t len = 1 << 16;
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED);
    tensor_mem_t *m = tensor_mem_new_mmap(map, len);
    int64_t k = 1024;
    CHECK_EQ_INT(
        store_put_tensor(s, "m", tensor_wrap(m, map, DT_F32, 1, &k, NULL), NULL, &err),
        0);
    CHECK_EQ_INT(store_mapped_bytes(s), len);
    CHECK_EQ_INT(store_heap_bytes(s), 800);
    strlist_t l = STRLIST_INIT;
    strlist_push(&l, "abc"); /* 4 bytes */
    CHECK_EQ_INT(store_put_strings(s, "toks", &l, NULL, &err), 0);
    CHECK_EQ_INT(store_heap_bytes(s), 804);
    store_free(s);
}

static void test_view_survives_replacement(void) {
    store_t *s = store_new(0);
    int64_t n = 4;
    tensor_t *x = tensor_new(DT_F32, 1, &n, NULL);
    for (int i = 0; i < 4; i++)
        tensor_set_flat(x, i, i * 1.5);
    tensor_index_t it = {.kind = TI_INT, .i = -1};
    tensor_t *y = tensor_index(x, &it, 1, NULL);
    store_put_tensor(s, "x", x, NULL, NULL);
    store_put_tensor(s, "y", y, NULL, NULL);
    store_put_tensor(s, "x", vec(2), NULL, NULL); /* replaces x */
    CHECK_EQ_DBL(tensor_get_flat(store_get(s, "y")->tensor, 0), 4.5, 0);
    store_free(s);
}

CHECK_MAIN(test_names, test_put_get_sorted, test_bad_name_takes_ownership,
           test_table_delete, test_suggest, test_bytes_and_limit,
           test_view_survives_replacement)
