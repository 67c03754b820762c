/* SPDX-License-Identifier: MIT */
/* records.c -- .json and .jsonl data files as token lists, tensors and record tables.
 *
 * Researchers keep token lists, metrics logs, sweep results and attribution scores as
 * JSON. This file maps the common shapes onto store entries:
 *   - a list of strings                  -> a token list NAME
 *   - a list of numbers, or nested
 *     equal-length lists of numbers      -> an f64 tensor NAME (null gives NaN)
 *   - a list of objects, or JSON lines   -> a table NAME with one column per key:
 *                                           NAME.key is an f64 tensor (NaN where a
 *                                           record lacks the key) or a string list
 *   - an object of name -> number        -> a table NAME with columns key and value
 *   - an object of equal-length lists    -> a table with one column per list
 *   - any other object                   -> a one-row table of its scalar fields
 * It uses jansson although it sits below the Jupyter layer: these are data files, and
 * this (with safetensors.c) is the one allowed use of jansson in the data layer. It
 * never touches the filesystem (tensor_io.c maps the file). */
#include "records.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jtype(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "null";
    }
}

/* Numbers, bools and null (NaN) count as numeric values. */
static int numeric(const json_t *v) {
    return json_is_number(v) || json_is_boolean(v) || json_is_null(v);
}

static double num_value(const json_t *v) {
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    return NAN;
}

static int scalar(const json_t *v) {
    return !json_is_object(v) && !json_is_array(v);
}

/* ==== nested numeric lists ========================================================== */

static int fill(const json_t *v, int depth, int ndim, const int64_t *shape, tensor_t *t,
                int64_t *pos, err_t *err) {
    if (depth == ndim) {
        if (!numeric(v)) {
            err_set(err, "FormatError",
                    "expected a number in the nested list, found a %s", jtype(v));
            return -1;
        }
        tensor_set_flat(t, (*pos)++, num_value(v));
        return 0;
    }
    if (!json_is_array(v) || (int64_t)json_array_size(v) != shape[depth]) {
        err_set(err, "FormatError",
                "ragged nested list: expected a list of %lld items at depth %d, found %s",
                (long long)shape[depth], depth,
                json_is_array(v) ? "a list of another length" : jtype(v));
        return -1;
    }
    for (size_t i = 0; i < json_array_size(v); i++)
        if (fill(json_array_get(v, i), depth + 1, ndim, shape, t, pos, err) < 0)
            return -1;
    return 0;
}

static int add_ndarray(const json_t *root, const char *name, tensor_io_result_t *out,
                       err_t *err) {
    int64_t shape[TENSOR_MAX_DIMS];
    int ndim = 0;
    const json_t *v = root;
    while (json_is_array(v)) {
        if (ndim == TENSOR_MAX_DIMS) {
            err_set(err, "FormatError", "nested lists deeper than %d levels",
                    TENSOR_MAX_DIMS);
            return -1;
        }
        shape[ndim++] = (int64_t)json_array_size(v);
        if (json_array_size(v) == 0)
            break;
        v = json_array_get(v, 0);
    }
    tensor_t *t = tensor_new(DT_F64, ndim, shape, err);
    if (!t)
        return -1;
    int64_t pos = 0;
    if (fill(root, 0, ndim, shape, t, &pos, err) < 0) {
        tensor_free(t);
        return -1;
    }
    tensor_io_result_add(out, NULL, name, STORE_TENSOR)->tensor = t;
    return 0;
}

/* ==== tables ======================================================================== */

/* Appends column `key` of the table `name` from values get(i), i < nrows, where a
 * NULL value means missing; records the column's final name in `cols`. */
typedef json_t *(*getter_t)(const json_t *src, size_t i, const char *key);

static json_t *get_record_field(const json_t *src, size_t i, const char *key) {
    return json_object_get(json_array_get(src, i), key);
}

static json_t *get_list_item(const json_t *src, size_t i, const char *key) {
    return json_array_get(json_object_get(src, key), i);
}

static json_t *get_scalar(const json_t *src, size_t i, const char *key) {
    UNUSED(i);
    return json_object_get(src, key);
}

static int add_column(const json_t *src, getter_t get, size_t nrows, const char *key,
                      const char *name, strlist_t *cols, tensor_io_result_t *out,
                      err_t *err) {
    int is_num = 1;
    for (size_t i = 0; i < nrows && is_num; i++) {
        json_t *v = get(src, i, key);
        if (v && !numeric(v))
            is_num = 0;
    }
    tensor_io_item_t *it;
    if (is_num) {
        int64_t n = (int64_t)nrows;
        tensor_t *t = tensor_new(DT_F64, 1, &n, err);
        if (!t)
            return -1;
        for (size_t i = 0; i < nrows; i++) {
            json_t *v = get(src, i, key);
            tensor_set_flat(t, (int64_t)i, v ? num_value(v) : (double)NAN);
        }
        it = tensor_io_result_add(out, name, key, STORE_TENSOR);
        it->tensor = t;
    } else {
        it = tensor_io_result_add(out, name, key, STORE_STRINGS);
        for (size_t i = 0; i < nrows; i++) {
            json_t *v = get(src, i, key);
            if (json_is_string(v))
                strlist_pushn(&it->strings, json_string_value(v), json_string_length(v));
            else if (!v || json_is_null(v))
                strlist_push(&it->strings, "");
            else {
                char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                strlist_push_take(&it->strings, text ? text : xstrdup(""));
            }
        }
    }
    size_t pl = strlen(name) + 1;
    strlist_push(cols, strlen(it->name) > pl ? it->name + pl : it->name);
    return 0;
}

static void add_table(const char *name, strlist_t *cols, size_t nrows,
                      tensor_io_result_t *out) {
    tensor_io_item_t *it = tensor_io_result_add(out, NULL, name, STORE_TABLE);
    strlist_move(&it->strings, cols);
    it->nrows = nrows;
}

/* A list of objects: one column per key, in order of first appearance. */
static int add_records(const json_t *arr, const char *name, tensor_io_result_t *out,
                       err_t *err) {
    strlist_t keys = STRLIST_INIT, cols = STRLIST_INIT;
    size_t nrows = json_array_size(arr);
    for (size_t i = 0; i < nrows; i++) {
        const char *k;
        json_t *v;
        json_object_foreach(json_array_get(arr, i), k, v) {
            if (strlist_find(&keys, k) < 0)
                strlist_push(&keys, k);
        }
    }
    int rc = 0;
    for (size_t c = 0; c < keys.n && rc == 0; c++)
        rc = add_column(arr, get_record_field, nrows, keys.items[c], name, &cols, out,
                        err);
    if (rc == 0)
        add_table(name, &cols, nrows, out);
    strlist_fini(&keys);
    strlist_fini(&cols);
    return rc;
}

static int add_object(const json_t *obj, const char *name, tensor_io_result_t *out,
                      err_t *err) {
    const char *k;
    json_t *v;
    int all_num = json_object_size(obj) > 0, all_lists = json_object_size(obj) > 0;
    size_t listlen = 0, first = 1;
    json_object_foreach((json_t *)obj, k, v) {
        if (!json_is_number(v))
            all_num = 0;
        if (!json_is_array(v) || (!first && json_array_size(v) != listlen))
            all_lists = 0;
        else {
            for (size_t i = 0; i < json_array_size(v); i++)
                if (!scalar(json_array_get(v, i)))
                    all_lists = 0;
            listlen = json_array_size(v);
        }
        first = 0;
    }
    strlist_t cols = STRLIST_INIT;
    if (all_num) { /* name -> number, e.g. direct logit attribution */
        size_t n = json_object_size(obj);
        int64_t nn = (int64_t)n;
        tensor_t *t = tensor_new(DT_F64, 1, &nn, err);
        if (!t)
            return -1;
        tensor_io_item_t *keys = tensor_io_result_add(out, name, "key", STORE_STRINGS);
        size_t i = 0;
        json_object_foreach((json_t *)obj, k, v) {
            strlist_push(&keys->strings, k);
            tensor_set_flat(t, (int64_t)i++, json_number_value(v));
        }
        tensor_io_result_add(out, name, "value", STORE_TENSOR)->tensor = t;
        strlist_push(&cols, "key");
        strlist_push(&cols, "value");
        add_table(name, &cols, n, out);
        return 0;
    }
    getter_t get = all_lists ? get_list_item : get_scalar;
    size_t nrows = all_lists ? listlen : 1;
    json_object_foreach((json_t *)obj, k, v) {
        if (!all_lists && !scalar(v)) {
            strlist_push_take(
                &out->notes,
                xasprintf("skipped field '%.100s' (a %s, not a scalar)", k, jtype(v)));
            continue;
        }
        if (add_column(obj, get, nrows, k, name, &cols, out, err) < 0) {
            strlist_fini(&cols);
            return -1;
        }
    }
    add_table(name, &cols, nrows, out);
    return 0;
}

static int add_value(const json_t *root, const char *name, tensor_io_result_t *out,
                     err_t *err) {
    if (json_is_object(root))
        return add_object(root, name, out, err);
    if (!json_is_array(root)) {
        err_set(err, "FormatError", "the top level is a %s; expected a list or an object",
                jtype(root));
        return -1;
    }
    size_t n = json_array_size(root), strings = 0, objects = 0, nums = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(root, i);
        strings += json_is_string(v);
        objects += json_is_object(v);
        nums += numeric(v) || json_is_array(v);
    }
    if (n > 0 && strings == n) {
        tensor_io_item_t *it = tensor_io_result_add(out, NULL, name, STORE_STRINGS);
        for (size_t i = 0; i < n; i++) {
            json_t *v = json_array_get(root, i);
            strlist_pushn(&it->strings, json_string_value(v), json_string_length(v));
        }
        return 0;
    }
    if (n > 0 && objects == n)
        return add_records(root, name, out, err);
    if (nums == n)
        return add_ndarray(root, name, out, err);
    err_set(
        err, "FormatError",
        "a list must hold only strings, only numbers (possibly in nested lists) or only "
        "objects; this one mixes %s",
        strings ? (objects ? "strings and objects" : "strings and other values")
                : "objects and other values");
    return -1;
}

/* Parses JSON data (or JSON lines when `lines` is 1: one object per non-blank line)
 * into `out` under `name` (NULL means "data"); see the table at the top of the file.
 * Returns 0, or -1 with "FormatError" (invalid JSON with line and column, unsupported
 * shape) or "MemoryError" in err and an empty result. */
int records_parse(const char *data, size_t len, int lines, const char *name,
                  tensor_io_result_t *out, err_t *err) {
    tensor_io_result_init(out);
    if (!name)
        name = "data";
    json_error_t jerr;
    json_t *root;
    if (!lines) {
        root = json_loadb(data, len, JSON_DECODE_ANY, &jerr);
        if (!root) {
            err_set(err, "FormatError", "invalid JSON: %s (line %d, column %d)",
                    jerr.text, jerr.line, jerr.column);
            return -1;
        }
    } else {
        root = json_array();
        size_t pos = 0;
        for (int line = 1; pos < len; line++) {
            const char *nl = memchr(data + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - data) : len;
            size_t a = pos;
            while (a < end && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r'))
                a++;
            if (a < end) {
                json_t *v = json_loadb(data + pos, end - pos, 0, &jerr);
                if (!v || !json_is_object(v)) {
                    if (v)
                        err_set(err, "FormatError",
                                "line %d: expected a JSON object, found a %s", line,
                                jtype(v));
                    else
                        err_set(err, "FormatError",
                                "invalid JSON on line %d: %s (column %d)", line,
                                jerr.text, jerr.column);
                    json_decref(v);
                    json_decref(root);
                    return -1;
                }
                json_array_append_new(root, v);
            }
            pos = end + 1;
        }
        if (json_array_size(root) == 0) {
            err_set(err, "FormatError", "no JSON objects in the file");
            json_decref(root);
            return -1;
        }
    }
    int rc = add_value(root, name, out, err);
    json_decref(root);
    if (rc < 0)
        tensor_io_result_fini(out);
    return rc;
}
