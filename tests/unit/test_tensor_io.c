/* SPDX-License-Identifier: MIT */
/* test_tensor_io.c -- unit tests for tensor_io.c, npz.c, safetensors.c and records.c
 * against the numpy-made fixtures in tests/data (see tests/data/make_fixtures.py). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tensor_io.h"

#define DATA "tests/data/"

static const tensor_io_item_t *find(const tensor_io_result_t *r, const char *name) {
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->items[i].name, name) == 0)
            return &r->items[i];
    return NULL;
}

static int has_note(const tensor_io_result_t *r, const char *part) {
    for (size_t i = 0; i < r->notes.n; i++)
        if (strstr(r->notes.items[i], part))
            return 1;
    return 0;
}

/* base_values() of make_fixtures.py: arange(6) (minus 2 for signed, /4 for floats). */
static double base_value(dtype_t dt, int64_t i) {
    switch (dt) {
    case DT_BOOL:
        return (double)(i % 2);
    case DT_I8:
    case DT_I16:
    case DT_I32:
    case DT_I64:
        return (double)(i - 2);
    case DT_F16:
    case DT_F32:
    case DT_F64:
        return (double)(i - 2) / 4;
    default:
        return (double)i;
    }
}

static void check_base(const tensor_t *t, dtype_t dt) {
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ_INT(t->dtype, dt);
    CHECK_EQ_INT(t->ndim, 2);
    CHECK_EQ_INT(t->shape[0], 2);
    CHECK_EQ_INT(t->shape[1], 3);
    for (int64_t i = 0; i < 6; i++)
        CHECK_EQ_DBL(tensor_get_flat(t, i), base_value(dt, i), 0);
}

static void test_npy_dtypes(void) {
    for (int d = 0; d < DT_COUNT; d++) {
        if (d == DT_BF16)
            continue; /* numpy has no bfloat16: see the safetensors test */
        char path[128];
        snprintf(path, sizeof path, DATA "npy/%s.npy", dtype_name((dtype_t)d));
        tensor_io_result_t r;
        err_t err;
        err_clear(&err);
        int rc = tensor_io_load(path, NULL, &r, &err);
        CHECK_EQ_INT(rc, 0);
        if (rc < 0) {
            fprintf(stderr, "  %s: %s\n", path, err.msg);
            continue;
        }
        CHECK_EQ_INT(r.n, 1);
        CHECK_EQ_STR(r.items[0].name, dtype_name((dtype_t)d));
        CHECK_EQ_INT(r.items[0].kind, STORE_TENSOR);
        check_base(r.items[0].tensor, (dtype_t)d);
        CHECK(tensor_mem_is_mapped(r.items[0].tensor->mem)); /* not copied */
        tensor_io_result_fini(&r);
    }
}

static tensor_t *load_one(const char *path, tensor_io_result_t *r) {
    err_t err;
    err_clear(&err);
    if (tensor_io_load(path, "x", r, &err) < 0) {
        fprintf(stderr, "  %s: %s\n", path, err.msg);
        return NULL;
    }
    return r->n == 1 ? r->items[0].tensor : NULL;
}

static void test_npy_layouts(void) {
    tensor_io_result_t r;
    tensor_t *t = load_one(DATA "npy/be_f4.npy", &r);
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_STR(r.items[0].name, "x");
        CHECK_EQ_DBL(tensor_get_flat(t, 0), 1.5, 0);
        CHECK_EQ_DBL(tensor_get_flat(t, 1), -2.25, 0);
        CHECK_EQ_DBL(tensor_get_flat(t, 2), 3e38f, 0);
        CHECK(!tensor_mem_is_mapped(t->mem));
        CHECK(has_note(&r, "big-endian"));
    }
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/be_i8.npy", &r);
    CHECK(t && t->dtype == DT_I64);
    if (t) {
        int64_t v;
        memcpy(&v, t->data + 3 * 8, 8);
        CHECK(v == (int64_t)1 << 40);
        CHECK_EQ_DBL(tensor_get_flat(t, 1), -2, 0);
    }
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/be_f2.npy", &r);
    CHECK(t && t->dtype == DT_F16);
    if (t)
        CHECK_EQ_DBL(tensor_get_flat(t, 1), -65504, 0);
    tensor_io_result_fini(&r);

    t = load_one(DATA "npy/fortran.npy", &r);
    CHECK(t != NULL);
    if (t) {
        CHECK_EQ_INT(t->shape[0], 3);
        CHECK_EQ_INT(t->shape[1], 4);
        CHECK_EQ_INT(t->strides[0], 4); /* reversed: a view, not a copy */
        CHECK_EQ_INT(t->strides[1], 12);
        CHECK(tensor_mem_is_mapped(t->mem));
        for (int64_t i = 0; i < 12; i++)
            CHECK_EQ_DBL(tensor_get_flat(t, i), (double)i, 0);
    }
    tensor_io_result_fini(&r);

    t = load_one(DATA "npy/scalar.npy", &r);
    CHECK(t && t->ndim == 0);
    if (t)
        CHECK_EQ_DBL(tensor_get_flat(t, 0), 2.5, 0);
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/vec5.npy", &r);
    CHECK(t && t->ndim == 1 && t->shape[0] == 5 && t->dtype == DT_I32);
    if (t)
        CHECK_EQ_DBL(tensor_get_flat(t, 4), 4, 0);
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/empty.npy", &r);
    CHECK(t && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 3);
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/v2.npy", &r);
    CHECK(t && t->dtype == DT_U16 && t->shape[0] == 4);
    if (t)
        CHECK_EQ_DBL(tensor_get_flat(t, 3), 3, 0);
    tensor_io_result_fini(&r);
    t = load_one(DATA "npy/v3.npy", &r);
    CHECK(t && t->dtype == DT_I16 && t->shape[0] == 4);
    tensor_io_result_fini(&r);

    t = load_one(DATA "npy/f16_special.npy", &r);
    CHECK(t != NULL);
    if (t) {
        CHECK(isinf(tensor_get_flat(t, 0)) && tensor_get_flat(t, 0) > 0);
        CHECK(isinf(tensor_get_flat(t, 1)) && tensor_get_flat(t, 1) < 0);
        CHECK(isnan(tensor_get_flat(t, 2)));
        CHECK_EQ_DBL(tensor_get_flat(t, 3), ldexp(1, -24), 0); /* 6e-8: subnormal */
        CHECK_EQ_DBL(tensor_get_flat(t, 4), 65504, 0);
        CHECK(signbit(tensor_get_flat(t, 5)));
        CHECK_EQ_DBL(tensor_get_flat(t, 6), 0.0999755859375, 0);
        float f[7];
        tensor_read_f32(t, f);
        CHECK_EQ_DBL(f[6], 0.0999755859375, 0);
    }
    tensor_io_result_fini(&r);
}

typedef struct {
    const char *file, *kind, *text;
} bad_t;

static void check_bad(const bad_t *cases, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char path[160];
        snprintf(path, sizeof path, DATA "%s", cases[i].file);
        tensor_io_result_t r;
        err_t err;
        err_clear(&err);
        int rc = tensor_io_load(path, NULL, &r, &err);
        CHECK_EQ_INT(rc, -1);
        CHECK_EQ_INT(r.n, 0);
        if (rc == 0) {
            fprintf(stderr, "  %s loaded but should fail\n", path);
            tensor_io_result_fini(&r);
            continue;
        }
        CHECK_EQ_STR(err_kind(&err), cases[i].kind);
        CHECK_CONTAINS(err.msg, cases[i].text);
        CHECK_CONTAINS(err.msg, path); /* the message names the file */
    }
}

static void test_npy_bad(void) {
    static const bad_t cases[] = {
        {"npy/bad_truncated_data.npy", "FormatError",
         "header promises 24 bytes of data but only 19 follow"},
        {"npy/bad_truncated_header.npy", "FormatError",
         "truncated .npy file: the header"},
        {"npy/bad_magic.npy", "FormatError", "not a .npy file"},
        {"npy/bad_lying_shape.npy", "FormatError", "promises 4000000 bytes"},
        {"npy/bad_negative_dim.npy", "FormatError", "negative dimension -3"},
        {"npy/bad_nonnumeric_dim.npy", "FormatError", "non-numeric dimension"},
        {"npy/bad_overflow_dims.npy", "FormatError", "shape overflows"},
        {"npy/bad_huge_dim.npy", "FormatError", "dimension too large"},
        {"npy/bad_dtype.npy", "FormatError", "unsupported dtype '<c8'"},
        {"npy/bad_structured.npy", "FormatError", "structured arrays are not supported"},
        {"npy/bad_version.npy", "FormatError", "unsupported .npy format version 9.0"},
        {"npy/bad_missing_key.npy", "FormatError", "missing 'fortran_order'"},
        {"npy/bad_header_len.npy", "FormatError", "truncated .npy file"},
    };
    check_bad(cases, sizeof cases / sizeof *cases);
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_load(DATA "npy/bad_empty.npy", NULL, &r, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "FormatError");
    CHECK_CONTAINS(err.msg, "is empty");
}

static void test_load_errors(void) {
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_load(DATA "nope/missing.npy", NULL, &r, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "FileError");
    CHECK_EQ_STR(err.msg,
                 "cannot open '" DATA "nope/missing.npy': No such file or directory");
    CHECK_EQ_INT(tensor_io_load(DATA "npy", NULL, &r, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "FileError");
    CHECK_CONTAINS(err.msg, "is a directory");
    CHECK_EQ_INT(tensor_io_load(DATA "make_fixtures.py", NULL, &r, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "FileError");
    CHECK_CONTAINS(err.msg, "unknown file type '.py'");
    CHECK_EQ_INT(tensor_io_load(DATA "npy/int8.npy", "9bad", &r, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    CHECK_EQ_INT(r.n, 0);
}

static void test_npz(void) {
    const char *files[] = {DATA "npz/stored.npz", DATA "npz/deflated.npz"};
    for (int f = 0; f < 2; f++) {
        tensor_io_result_t r;
        err_t err;
        err_clear(&err);
        CHECK_EQ_INT(tensor_io_load(files[f], f ? "z" : NULL, &r, &err), 0);
        CHECK_EQ_INT(r.n, 3);
        const tensor_io_item_t *a = find(&r, f ? "z.a" : "a");
        const tensor_io_item_t *b = find(&r, f ? "z.b" : "b");
        const tensor_io_item_t *tok = find(&r, f ? "z.tok" : "tok");
        CHECK(a && b && tok);
        if (a && b && tok) {
            CHECK_EQ_INT(a->tensor->shape[1], 3);
            CHECK_EQ_DBL(tensor_get_flat(a->tensor, 5), 5, 0);
            CHECK_EQ_INT(b->tensor->dtype, DT_I64);
            CHECK_EQ_DBL(tensor_get_flat(b->tensor, 2), 3, 0);
            CHECK_EQ_INT(tok->tensor->dtype, DT_BOOL);
            CHECK_EQ_DBL(tensor_get_flat(tok->tensor, 0), 1, 0);
            int mapped = 0;
            for (size_t i = 0; i < 3; i++)
                mapped += tensor_mem_is_mapped(r.items[i].tensor->mem);
            if (f == 1)
                CHECK_EQ_INT(mapped, 0); /* inflated into heap memory */
            else
                CHECK_EQ_INT(mapped, 1); /* the one member whose data is aligned */
            for (size_t i = 0; i < 3; i++) {
                const tensor_t *t = r.items[i].tensor;
                CHECK((uintptr_t)t->data % dtype_size(t->dtype) == 0);
            }
        }
        tensor_io_result_fini(&r);
    }
    tensor_io_result_t r;
    CHECK_EQ_INT(tensor_io_load(DATA "npz/zip64.npz", NULL, &r, NULL), 0);
    const tensor_io_item_t *x = find(&r, "x");
    CHECK(x != NULL);
    if (x)
        CHECK_EQ_DBL(tensor_get_flat(x->tensor, 3), 3, 0);
    CHECK(has_note(&r, "skipped 'notes.txt'"));
    tensor_io_result_fini(&r);
}

static void test_npz_bad(void) {
    static const bad_t cases[] = {
        {"npz/bad_crc.npz", "FormatError", "CRC-32 mismatch in member 'a.npy'"},
        {"npz/bad_huge_size.npz", "FormatError", "which deflate cannot produce"},
        {"npz/bad_method.npz", "FormatError", "unsupported compression method 12"},
        {"npz/bad_truncated.npz", "FormatError", "no zip end-of-central-directory"},
        {"npz/bad_not_zip.npz", "FormatError", "not a .npz file"},
        {"npz/bad_deflate.npz", "FormatError", "corrupt deflate data in member 'a.npy'"},
        {"npz/bad_name.npz", "FormatError", "zip member name is not valid UTF-8"},
    };
    check_bad(cases, sizeof cases / sizeof *cases);
}

static void test_safetensors(void) {
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_load(DATA "st/all.safetensors", NULL, &r, &err), 0);
    CHECK_EQ_INT(r.n, 17);
    for (int d = 0; d < DT_COUNT; d++) {
        if (d == DT_BF16)
            continue;
        const tensor_io_item_t *it = find(&r, dtype_name((dtype_t)d));
        CHECK(it != NULL);
        if (it) {
            check_base(it->tensor, (dtype_t)d);
            CHECK((uintptr_t)it->tensor->data % dtype_size((dtype_t)d) == 0);
            if (d <= DT_U16) /* at offsets 0, 6, 12, 18 of the data: aligned, mapped */
                CHECK(tensor_mem_is_mapped(it->tensor->mem));
        }
    }
    const tensor_io_item_t *bf = find(&r, "bfloat16");
    CHECK(bf != NULL);
    if (bf) {
        CHECK_EQ_INT(bf->tensor->dtype, DT_BF16);
        double want[6] = {1.0, -2.5, 3.140625, 1e30, -0.0, 65504.0};
        for (int i = 0; i < 6; i++)
            CHECK_EQ_DBL(tensor_get_flat(bf->tensor, i),
                         tensor_bf16_to_f32(tensor_f32_to_bf16((float)want[i])), 0);
        CHECK_EQ_DBL(tensor_get_flat(bf->tensor, 5), 65536, 0); /* rounded by numpy RNE */
    }
    const tensor_io_item_t *hp = find(&r, "blocks.0.attn.hook_pattern");
    CHECK(hp && hp->tensor->ndim == 4);
    CHECK(find(&r, "_0.weight") != NULL);
    CHECK(has_note(&r, "renamed '0.weight' to '_0.weight'"));
    const tensor_io_item_t *sc = find(&r, "scalar");
    CHECK(sc && sc->tensor->ndim == 0 && tensor_get_flat(sc->tensor, 0) == 4.25);
    const tensor_io_item_t *em = find(&r, "empty");
    CHECK(em && tensor_numel(em->tensor) == 0);
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "st/misaligned.safetensors", "m", &r, &err), 0);
    const tensor_io_item_t *b = find(&r, "m.b");
    CHECK(b != NULL);
    if (b) {
        CHECK(!tensor_mem_is_mapped(b->tensor->mem)); /* odd offset: copied */
        CHECK((uintptr_t)b->tensor->data % 4 == 0);
        CHECK_EQ_DBL(tensor_get_flat(b->tensor, 1), 2.5, 0);
    }
    tensor_io_result_fini(&r);
}

static void test_safetensors_bad(void) {
    static const bad_t cases[] = {
        {"st/bad_short.safetensors", "FormatError",
         "truncated .safetensors file (5 bytes)"},
        {"st/bad_header_len.safetensors", "FormatError",
         "header length 1099511627776 exceeds the file size"},
        {"st/bad_json.safetensors", "FormatError",
         "invalid JSON in the safetensors header"},
        {"st/bad_outside.safetensors", "FormatError",
         "data_offsets [0, 800] lie outside the data section (8 bytes)"},
        {"st/bad_overlap.safetensors", "FormatError", "tensors 'x' and 'y' overlap"},
        {"st/bad_size.safetensors", "FormatError",
         "data_offsets span 8 bytes but the shape needs 12"},
        {"st/bad_dtype.safetensors", "FormatError", "unsupported dtype 'F8_E4M3'"},
        {"st/bad_negative.safetensors", "FormatError", "shape[0] is not a non-negative"},
        {"st/bad_shape_type.safetensors", "FormatError",
         "shape[0] is not a non-negative"},
        {"st/bad_reversed.safetensors", "FormatError", "lie outside"},
        {"st/bad_overflow.safetensors", "FormatError", "shape overflows"},
        {"st/bad_not_object.safetensors", "FormatError", "not a JSON object"},
    };
    check_bad(cases, sizeof cases / sizeof *cases);
    tensor_io_result_t r;
    err_t err;
    CHECK_EQ_INT(tensor_io_load(DATA "st/bad_json.safetensors", NULL, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "line 2");
}

static void test_json(void) {
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_load(DATA "json/toks.json", NULL, &r, &err), 0);
    CHECK_EQ_INT(r.n, 1);
    CHECK_EQ_STR(r.items[0].name, "toks");
    CHECK_EQ_INT(r.items[0].kind, STORE_STRINGS);
    CHECK_EQ_INT(r.items[0].strings.n, 5);
    CHECK_EQ_STR(r.items[0].strings.items[2], " cat");
    CHECK_EQ_STR(r.items[0].strings.items[4], " \xc3\xa9");
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/nums.json", "n", &r, &err), 0);
    CHECK_EQ_INT(r.items[0].tensor->dtype, DT_F64);
    CHECK_EQ_INT(r.items[0].tensor->shape[0], 5);
    CHECK_EQ_DBL(tensor_get_flat(r.items[0].tensor, 1), 2.5, 0);
    CHECK(isnan(tensor_get_flat(r.items[0].tensor, 3)));
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/grid.json", NULL, &r, &err), 0);
    const tensor_t *g = r.items[0].tensor;
    CHECK_EQ_INT(g->ndim, 3);
    CHECK_EQ_INT(g->shape[0], 2);
    CHECK_EQ_INT(g->shape[1], 3);
    CHECK_EQ_INT(g->shape[2], 2);
    CHECK_EQ_DBL(tensor_get_flat(g, 11), 12, 0);
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/records.json", NULL, &r, &err), 0);
    const tensor_io_item_t *tab = find(&r, "records");
    CHECK(tab && tab->kind == STORE_TABLE && tab->nrows == 3);
    if (tab) {
        CHECK_EQ_INT(tab->strings.n, 4);
        CHECK_EQ_STR(tab->strings.items[0], "l0");
        CHECK_EQ_STR(tab->strings.items[3], "l1_coeff");
    }
    CHECK(has_note(&r, "renamed 'records.l1 coeff' to 'records.l1_coeff'"));
    const tensor_io_item_t *l0 = find(&r, "records.l0");
    CHECK(l0 && l0->kind == STORE_TENSOR);
    if (l0) {
        CHECK_EQ_DBL(tensor_get_flat(l0->tensor, 1), 8, 0);
        CHECK(isnan(tensor_get_flat(l0->tensor, 2)));
    }
    const tensor_io_item_t *nm = find(&r, "records.name");
    CHECK(nm && nm->kind == STORE_STRINGS && nm->strings.n == 3);
    if (nm) {
        CHECK_EQ_STR(nm->strings.items[1], "b");
        CHECK_EQ_STR(nm->strings.items[2], "");
    }
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/log.jsonl", NULL, &r, &err), 0);
    tab = find(&r, "log");
    CHECK(tab && tab->nrows == 3 && tab->strings.n == 3);
    const tensor_io_item_t *dead = find(&r, "log.dead");
    CHECK(dead != NULL);
    if (dead) {
        CHECK(isnan(tensor_get_flat(dead->tensor, 0)));
        CHECK_EQ_DBL(tensor_get_flat(dead->tensor, 1), 0.1, 0);
    }
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/dla.json", NULL, &r, &err), 0);
    tab = find(&r, "dla");
    CHECK(tab && tab->nrows == 3);
    const tensor_io_item_t *k = find(&r, "dla.key"), *v = find(&r, "dla.value");
    CHECK(k && v);
    if (k && v) {
        CHECK_EQ_STR(k->strings.items[1], "L3H2");
        CHECK_EQ_DBL(tensor_get_flat(v->tensor, 1), -1.25, 0);
    }
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/sweep.json", NULL, &r, &err), 0);
    tab = find(&r, "sweep");
    CHECK(tab && tab->nrows == 2 && tab->strings.n == 3);
    const tensor_io_item_t *tag = find(&r, "sweep.tag");
    CHECK(tag && tag->kind == STORE_STRINGS && tag->strings.n == 2);
    tensor_io_result_fini(&r);

    CHECK_EQ_INT(tensor_io_load(DATA "json/config.json", NULL, &r, &err), 0);
    tab = find(&r, "config");
    CHECK(tab && tab->nrows == 1 && tab->strings.n == 2);
    CHECK(has_note(&r, "skipped field 'layers'"));
    const tensor_io_item_t *act = find(&r, "config.act_fn");
    CHECK(act && act->strings.n == 1 && strcmp(act->strings.items[0], "gelu") == 0);
    tensor_io_result_fini(&r);
}

static void test_json_bad(void) {
    static const bad_t cases[] = {
        {"json/bad_syntax.json", "FormatError", "invalid JSON: "},
        {"json/bad_ragged.json", "FormatError", "ragged nested list"},
        {"json/bad_mixed.json", "FormatError", "mixes strings and other values"},
        {"json/bad_scalar.json", "FormatError", "the top level is a number"},
        {"json/bad_line.jsonl", "FormatError", "invalid JSON on line 3"},
        {"json/bad_notobj.jsonl", "FormatError",
         "line 2: expected a JSON object, found a list"},
        {"json/bad_utf8.json", "FormatError", "invalid JSON"},
    };
    check_bad(cases, sizeof cases / sizeof *cases);
    tensor_io_result_t r;
    err_t err;
    CHECK_EQ_INT(tensor_io_load(DATA "json/bad_syntax.json", NULL, &r, &err), -1);
    CHECK_CONTAINS(err.msg, "(line 2, column");
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    *len = fread(d, 1, (size_t)n, f);
    fclose(f);
    return d;
}

static int count_tmp_files(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_save_roundtrip(void) {
    char dir[] = "/tmp/mechviz-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[128], out2[128];
    snprintf(out, sizeof out, "%s/saved.safetensors", dir);
    snprintf(out2, sizeof out2, "%s/again.safetensors", dir);
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_load(DATA "st/all.safetensors", NULL, &r, &err), 0);
    /* Add a strided view (reversed rows of float32) and a Fortran-order tensor. */
    tensor_index_t rev = {.kind = TI_SLICE, .step = -1};
    const tensor_io_item_t *f32 = find(&r, "float32");
    tensor_t *view = tensor_index(f32->tensor, &rev, 1, NULL);
    tensor_io_result_t fr;
    CHECK_EQ_INT(tensor_io_load(DATA "npy/fortran.npy", NULL, &fr, &err), 0);
    size_t n = r.n + 2;
    const char **names = calloc(n, sizeof *names);
    const tensor_t **ts = calloc(n, sizeof *ts);
    for (size_t i = 0; i < r.n; i++) {
        names[n - 1 - i] = r.items[i].name; /* reversed: the writer sorts */
        ts[n - 1 - i] = r.items[i].tensor;
    }
    names[0] = "view";
    ts[0] = view;
    names[1] = "fortran";
    ts[1] = fr.items[0].tensor;
    CHECK_EQ_INT(tensor_io_save_safetensors(out, names, ts, n, &err), 0);
    CHECK_EQ_INT(count_tmp_files(dir), 0);
    tensor_io_result_t back;
    CHECK_EQ_INT(tensor_io_load(out, NULL, &back, &err), 0);
    CHECK_EQ_INT(back.n, n);
    for (size_t i = 0; i < n; i++) {
        const tensor_io_item_t *b = find(&back, names[i]);
        CHECK(b != NULL);
        if (!b)
            continue;
        CHECK_EQ_INT(b->tensor->dtype, ts[i]->dtype);
        CHECK_EQ_INT(b->tensor->ndim, ts[i]->ndim);
        CHECK(tensor_is_contiguous(b->tensor));
        size_t nb = tensor_nbytes(ts[i]);
        char *want = malloc(nb + 1);
        tensor_copy_to(ts[i], ts[i]->dtype, want);
        CHECK(memcmp(want, b->tensor->data, nb) == 0);
        free(want);
    }
    const tensor_io_item_t *bv = find(&back, "view");
    CHECK(bv && tensor_get_flat(bv->tensor, 0) == 0.25); /* row 1 of (arange(6)-2)/4 */
    /* The header: sorted keys, padded to 8 bytes with spaces. */
    size_t len;
    char *bytes = slurp(out, &len);
    CHECK(bytes != NULL);
    if (bytes) {
        uint64_t hl = 0;
        for (int i = 7; i >= 0; i--)
            hl = hl << 8 | (unsigned char)bytes[i];
        CHECK_EQ_INT(hl % 8, 0);
        CHECK(bytes[8] == '{' && bytes[8 + hl - 1] != '\0');
        CHECK(strstr(bytes + 8, "\"_0.weight\"") < strstr(bytes + 8, "\"blocks.0"));
    }
    /* Saving the reloaded tensors again gives the same bytes. */
    const char **names2 = calloc(back.n, sizeof *names2);
    const tensor_t **ts2 = calloc(back.n, sizeof *ts2);
    for (size_t i = 0; i < back.n; i++) {
        names2[i] = back.items[i].name;
        ts2[i] = back.items[i].tensor;
    }
    CHECK_EQ_INT(tensor_io_save_safetensors(out2, names2, ts2, back.n, &err), 0);
    size_t len2;
    char *bytes2 = slurp(out2, &len2);
    CHECK(bytes && bytes2 && len == len2 && memcmp(bytes, bytes2, len) == 0);
    free(bytes);
    free(bytes2);
    /* Duplicate names and unwritable paths are clean errors, leaving no temp file. */
    const char *dup[2] = {"a", "a"};
    const tensor_t *dt[2] = {view, view};
    CHECK_EQ_INT(tensor_io_save_safetensors(out2, dup, dt, 2, &err), -1);
    CHECK_EQ_STR(err_kind(&err), "ValueError");
    const char *bad_utf8[1] = {"caf\xff"};
    CHECK_EQ_INT(tensor_io_save_safetensors(out2, bad_utf8, dt, 1, &err), -1);
    CHECK_CONTAINS(err.msg, "not valid UTF-8");
    CHECK_EQ_INT(tensor_io_save_safetensors("/nonexistent-dir/x.safetensors", names2, ts2,
                                            1, &err),
                 -1);
    CHECK_EQ_STR(err_kind(&err), "FileError");
    CHECK_EQ_INT(count_tmp_files(dir), 0);
    free(names2);
    free(ts2);
    tensor_io_result_fini(&back);
    tensor_io_result_fini(&fr);
    tensor_free(view);
    free(names);
    free(ts);
    tensor_io_result_fini(&r);
    unlink(out);
    unlink(out2);
    rmdir(dir);
}

static void test_in_memory(void) {
    size_t len;
    char *d = slurp(DATA "npy/float32.npy", &len);
    tensor_t *t = NULL;
    err_t err;
    CHECK_EQ_INT(tensor_io_parse_npy(NULL, d, len, &t, &err), 0);
    check_base(t, DT_F32);
    CHECK(t && !tensor_mem_is_mapped(t->mem));
    free(d); /* the tensor owns a copy */
    if (t)
        CHECK_EQ_DBL(tensor_get_flat(t, 5), 0.75, 0);
    tensor_free(t);
    d = slurp(DATA "npz/deflated.npz", &len);
    tensor_io_result_t r;
    CHECK_EQ_INT(tensor_io_parse_npz(d, len, NULL, &r, &err), 0);
    CHECK_EQ_INT(r.n, 3);
    tensor_io_result_fini(&r);
    free(d);
    d = slurp(DATA "st/all.safetensors", &len);
    CHECK_EQ_INT(tensor_io_parse_safetensors(NULL, d, len, "m", &r, &err), 0);
    CHECK(find(&r, "m.bfloat16") != NULL);
    tensor_io_result_fini(&r);
    free(d);
    const char *js = "[\"a\", \"b\"]";
    CHECK_EQ_INT(tensor_io_parse_json(js, strlen(js), 0, NULL, &r, &err), 0);
    CHECK_EQ_STR(r.items[0].name, "data");
    tensor_io_result_fini(&r);
}

/* A key renamed to a name that a later key really has: both survive, under distinct
 * names, and the notes say so. */
static void test_rename_collision(void) {
    const char *js = "[{\"a b\": 1, \"a_b\": 2}, {\"a b\": 3, \"a_b\": 4}]";
    tensor_io_result_t r;
    err_t err;
    err_clear(&err);
    CHECK_EQ_INT(tensor_io_parse_json(js, strlen(js), 0, "t", &r, &err), 0);
    const tensor_io_item_t *x = find(&r, "t.a_b"), *y = find(&r, "t.a_b_2");
    CHECK(x && y && x->tensor && y->tensor);
    if (x && y && x->tensor && y->tensor) {
        double sx = tensor_get_flat(x->tensor, 0) + tensor_get_flat(x->tensor, 1);
        double sy = tensor_get_flat(y->tensor, 0) + tensor_get_flat(y->tensor, 1);
        CHECK((sx == 4 && sy == 6) || (sx == 6 && sy == 4)); /* [1,3] and [2,4] */
    }
    CHECK(has_note(&r, "to 't.a_b_2'"));
    tensor_io_result_fini(&r);
}

/* tensor_io_put is all or nothing: when the store's memory limit refuses the second
 * tensor, the first is taken out again and the names already resident stay. */
static void test_put_all_or_nothing(void) {
    store_t *s = store_new(4096);
    err_t err;
    err_clear(&err);
    int64_t small = 16, big = 2048;
    CHECK_EQ_INT(
        store_put_tensor(s, "kept", tensor_new(DT_F32, 1, &small, NULL), "x", &err), 0);
    tensor_io_result_t r;
    tensor_io_result_init(&r);
    tensor_io_result_add(&r, NULL, "a", STORE_TENSOR)->tensor =
        tensor_new(DT_F32, 1, &small, NULL);
    tensor_io_result_add(&r, NULL, "b", STORE_TENSOR)->tensor =
        tensor_new(DT_F32, 1, &big, NULL); /* 8 KiB: over the 4 KiB limit */
    CHECK_EQ_INT(tensor_io_put(s, &r, "f.npz", &err), -1);
    CHECK_EQ_STR(err_kind(&err), "MemoryError");
    CHECK(store_get(s, "a") == NULL);
    CHECK(store_get(s, "b") == NULL);
    CHECK(store_get(s, "kept") != NULL);
    tensor_io_result_fini(&r);

    tensor_io_result_init(&r);
    tensor_io_result_add(&r, NULL, "a", STORE_TENSOR)->tensor =
        tensor_new(DT_F32, 1, &small, NULL);
    CHECK_EQ_INT(tensor_io_put(s, &r, "f.npz", &err), 0);
    const store_entry_t *e = store_get(s, "a");
    CHECK(e && strcmp(e->source, "f.npz") == 0);
    tensor_io_result_fini(&r);
    store_free(s);
}

CHECK_MAIN(test_put_all_or_nothing, test_rename_collision, test_npy_dtypes,
           test_npy_layouts, test_npy_bad, test_load_errors, test_npz, test_npz_bad,
           test_safetensors, test_safetensors_bad, test_json, test_json_bad,
           test_save_roundtrip, test_in_memory)
