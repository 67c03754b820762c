/* SPDX-License-Identifier: MIT */
/* npz.c -- numpy .npz archives: a zip reader for stored and deflated .npy members.
 *
 * np.savez writes a zip file (ZIP64 when large) whose members are .npy files. This
 * reader walks the central directory, checks every offset and size against the file
 * length, verifies each member's CRC-32, and hands the member bytes to the .npy parser:
 * stored members are used in place (still memory-mapped when aligned), deflated ones
 * are inflated with zlib into heap memory. A declared uncompressed size beyond what
 * deflate can produce from the compressed bytes is an error, never an allocation. It
 * does not write archives and ignores everything that is not a .npy member. */
#include "npz.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define NPZ_MAX_RATIO 1032 /* deflate cannot expand more than ~1032:1 */

static uint32_t rd16(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p) {
    return rd16(p) | rd16(p + 2) << 16;
}

static uint64_t rd64(const unsigned char *p) {
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

typedef struct {
    char name[512];  /* member name, NUL-terminated */
    uint32_t flags;  /* general purpose bits */
    uint32_t method; /* 0 stored, 8 deflated */
    uint32_t crc;    /* CRC-32 of the uncompressed bytes */
    uint64_t csize;  /* compressed bytes */
    uint64_t usize;  /* uncompressed bytes */
    uint64_t offset; /* local header offset */
} member_t;

/* Locates the central directory; returns 0 and sets *off, *size, *count. */
static int find_cd(const unsigned char *d, size_t len, uint64_t *off, uint64_t *size,
                   uint64_t *count, err_t *err) {
    if (len < 22) {
        err_set(err, "FormatError", "not a .npz file (too short for a zip archive)");
        return -1;
    }
    size_t stop = len - 22 > 65535 ? len - 22 - 65535 : 0;
    size_t pos = len - 22;
    for (;;) {
        if (memcmp(d + pos, "PK\x05\x06", 4) == 0 && pos + 22 + rd16(d + pos + 20) <= len)
            break;
        if (pos == stop) {
            err_set(err, "FormatError",
                    "not a .npz file (no zip end-of-central-directory record)");
            return -1;
        }
        pos--;
    }
    *count = rd16(d + pos + 10);
    *size = rd32(d + pos + 12);
    *off = rd32(d + pos + 16);
    if (*count == 0xffff || *size == 0xffffffffu || *off == 0xffffffffu) {
        if (pos < 20 || memcmp(d + pos - 20, "PK\x06\x07", 4) != 0) {
            err_set(err, "FormatError", "corrupt zip: ZIP64 locator missing");
            return -1;
        }
        uint64_t z = rd64(d + pos - 20 + 8);
        if (z > len || len - z < 56 || memcmp(d + z, "PK\x06\x06", 4) != 0) {
            err_set(err, "FormatError", "corrupt zip: bad ZIP64 end record");
            return -1;
        }
        *count = rd64(d + z + 32);
        *size = rd64(d + z + 40);
        *off = rd64(d + z + 48);
    }
    if (*off > len || *size > len - *off) {
        err_set(err, "FormatError",
                "corrupt zip: central directory at %" PRIu64 " (+%" PRIu64
                " bytes) lies outside the file (%zu bytes)",
                *off, *size, len);
        return -1;
    }
    if (*count > *size / 46) {
        err_set(err, "FormatError",
                "corrupt zip: %" PRIu64 " entries cannot fit in %" PRIu64
                " bytes of central directory",
                *count, *size);
        return -1;
    }
    return 0;
}

/* Reads the central directory entry at d[*p..end) into m and advances *p. */
static int read_entry(const unsigned char *d, uint64_t *p, uint64_t end, member_t *m,
                      err_t *err) {
    const unsigned char *e = d + *p;
    if (end - *p < 46 || memcmp(e, "PK\x01\x02", 4) != 0) {
        err_set(err, "FormatError", "corrupt zip: bad central directory entry");
        return -1;
    }
    uint32_t nlen = rd16(e + 28), xlen = rd16(e + 30), clen = rd16(e + 32);
    if (end - *p - 46 < (uint64_t)nlen + xlen + clen) {
        err_set(err, "FormatError", "corrupt zip: central directory entry overruns");
        return -1;
    }
    m->flags = rd16(e + 8);
    m->method = rd16(e + 10);
    m->crc = rd32(e + 16);
    m->csize = rd32(e + 20);
    m->usize = rd32(e + 24);
    m->offset = rd32(e + 42);
    const char *nm = (const char *)e + 46;
    if (nlen >= sizeof m->name || memchr(nm, '\0', nlen) || !util_utf8_valid(nm, nlen)) {
        err_set(err, "FormatError", "zip member name is %s",
                nlen >= sizeof m->name ? "too long" : "not valid UTF-8");
        return -1;
    }
    memcpy(m->name, nm, nlen);
    m->name[nlen] = '\0';
    const unsigned char *x = e + 46 + nlen, *xend = x + xlen;
    while (xend - x >= 4) {
        uint32_t id = rd16(x), sz = rd16(x + 2);
        if ((size_t)(xend - x - 4) < sz)
            break;
        if (id == 1) { /* ZIP64 extended information */
            const unsigned char *q = x + 4, *qe = q + sz;
            uint64_t *fields[3] = {&m->usize, &m->csize, &m->offset};
            for (int k = 0; k < 3; k++) {
                if (*fields[k] != 0xffffffffu)
                    continue;
                if (qe - q < 8) {
                    err_set(err, "FormatError", "corrupt zip: short ZIP64 field for '%s'",
                            m->name);
                    return -1;
                }
                *fields[k] = rd64(q);
                q += 8;
            }
        }
        x += 4 + sz;
    }
    *p += 46 + (uint64_t)nlen + xlen + clen;
    return 0;
}

/* Inflates `m` from src into a new heap block of m->usize bytes. */
static tensor_mem_t *inflate_member(const member_t *m, const unsigned char *src,
                                    err_t *err) {
    if (m->usize > m->csize * NPZ_MAX_RATIO + 1024 || m->usize > SIZE_MAX / 2) {
        err_set(err, "FormatError",
                "member '%s' declares %" PRIu64 " bytes from %" PRIu64
                " compressed bytes, which deflate cannot produce",
                m->name, m->usize, m->csize);
        return NULL;
    }
    tensor_mem_t *hm = tensor_mem_new_heap((size_t)m->usize, err);
    if (!hm)
        return NULL;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
        err_set(err, "MemoryError", "cannot start zlib");
        tensor_mem_unref(hm);
        return NULL;
    }
    unsigned char *dst = (unsigned char *)tensor_mem_data(hm);
    uint64_t in_left = m->csize, out_left = m->usize;
    zs.next_in = (unsigned char *)src;
    zs.next_out = dst;
    int ret = Z_OK;
    while (ret == Z_OK) {
        if (zs.avail_in == 0) {
            zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
            in_left -= zs.avail_in;
        }
        if (zs.avail_out == 0) {
            zs.avail_out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;
            out_left -= zs.avail_out;
        }
        ret = inflate(&zs, Z_NO_FLUSH);
        if (ret == Z_BUF_ERROR && zs.avail_in == 0 && in_left == 0)
            break; /* input exhausted before the end of the stream */
        if (ret == Z_BUF_ERROR && zs.avail_out == 0 && out_left == 0)
            break; /* more output than declared */
        if (ret == Z_BUF_ERROR)
            ret = Z_OK;
    }
    uint64_t produced = m->usize - out_left - zs.avail_out;
    const char *why = NULL;
    if (ret == Z_DATA_ERROR)
        why = zs.msg ? zs.msg : "invalid deflate data";
    else if (ret == Z_MEM_ERROR)
        why = "out of memory";
    else if (ret != Z_STREAM_END)
        why = zs.avail_out == 0 && out_left == 0 ? "more data than the declared size"
                                                 : "the compressed data ends early";
    else if (produced != m->usize)
        why = "less data than the declared size";
    if (why) {
        err_set(err, ret == Z_MEM_ERROR ? "MemoryError" : "FormatError",
                "corrupt deflate data in member '%s': %s", m->name, why);
        inflateEnd(&zs);
        tensor_mem_unref(hm);
        return NULL;
    }
    inflateEnd(&zs);
    return hm;
}

static int check_crc(const member_t *m, const unsigned char *p, err_t *err) {
    uint32_t c = (uint32_t)crc32_z(0, p, (z_size_t)m->usize);
    if (c != m->crc) {
        err_set(
            err, "FormatError",
            "CRC-32 mismatch in member '%s' (0x%08x, expected 0x%08x): the archive is "
            "corrupt",
            m->name, c, m->crc);
        return -1;
    }
    return 0;
}

/* Loads one member into a tensor. */
static int load_member(tensor_mem_t *mem, const unsigned char *d, size_t len,
                       uint64_t cd_off, const member_t *m, tensor_io_result_t *out,
                       tensor_t **t, err_t *err) {
    if (m->flags & 1) {
        err_set(err, "FormatError", "member '%s' is encrypted", m->name);
        return -1;
    }
    if (m->method != 0 && m->method != 8) {
        err_set(err, "FormatError",
                "unsupported compression method %u for member '%s' (only stored and "
                "deflated)",
                m->method, m->name);
        return -1;
    }
    uint64_t lh = m->offset;
    if (lh > cd_off || cd_off - lh < 30 || memcmp(d + lh, "PK\x03\x04", 4) != 0) {
        err_set(err, "FormatError", "corrupt zip: bad local header for member '%s'",
                m->name);
        return -1;
    }
    uint64_t start = lh + 30 + rd16(d + lh + 26) + rd16(d + lh + 28);
    if (start > cd_off || m->csize > cd_off - start) {
        err_set(err, "FormatError",
                "truncated zip: member '%s' (%" PRIu64
                " bytes) runs past the end of the data",
                m->name, m->csize);
        return -1;
    }
    const unsigned char *src = d + start;
    err_t e;
    err_clear(&e);
    int rc;
    if (m->method == 0) {
        if (m->csize != m->usize) {
            err_set(err, "FormatError",
                    "corrupt zip: stored member '%s' has sizes %" PRIu64 " and %" PRIu64,
                    m->name, m->csize, m->usize);
            return -1;
        }
        if (check_crc(m, src, err) < 0)
            return -1;
        rc = tensor_io_npy_parse(mem, (const char *)src, (size_t)m->usize, t, &out->notes,
                                 &e);
    } else {
        tensor_mem_t *hm = inflate_member(m, src, err);
        if (!hm)
            return -1;
        if (check_crc(m, (const unsigned char *)tensor_mem_data(hm), err) < 0) {
            tensor_mem_unref(hm);
            return -1;
        }
        rc = tensor_io_npy_parse(hm, tensor_mem_data(hm), (size_t)m->usize, t,
                                 &out->notes, &e);
        tensor_mem_unref(hm);
    }
    UNUSED(len);
    if (rc < 0) {
        err_set(err, e.kind, "member '%s': %s", m->name, e.msg);
        return -1;
    }
    return 0;
}

/* Parses the .npz archive data[0..len) into `out`: each member `k.npy` becomes a
 * tensor named `name.k` (or `k` when name is NULL). Stored members reference `mem`
 * when given and aligned; otherwise tensors own copies. Members that are not .npy
 * files are skipped with a note. Returns 0, or -1 with "FormatError" / "MemoryError"
 * in err and an empty result. */
int npz_parse(tensor_mem_t *mem, const char *data, size_t len, const char *name,
              tensor_io_result_t *out, err_t *err) {
    const unsigned char *d = (const unsigned char *)data;
    tensor_io_result_init(out);
    uint64_t cd_off, cd_size, count;
    if (find_cd(d, len, &cd_off, &cd_size, &count, err) < 0)
        return -1;
    uint64_t p = cd_off, end = cd_off + cd_size;
    for (uint64_t i = 0; i < count; i++) {
        member_t m;
        if (read_entry(d, &p, end, &m, err) < 0)
            goto fail;
        size_t nl = strlen(m.name);
        if (nl && m.name[nl - 1] == '/')
            continue;
        if (nl < 5 || strcmp(m.name + nl - 4, ".npy") != 0) {
            strlist_push_take(&out->notes,
                              xasprintf("skipped '%s' (not a .npy member)", m.name));
            continue;
        }
        tensor_t *t;
        if (load_member(mem, d, len, cd_off, &m, out, &t, err) < 0)
            goto fail;
        m.name[nl - 4] = '\0';
        tensor_io_result_add(out, name, m.name, STORE_TENSOR)->tensor = t;
    }
    return 0;
fail:
    tensor_io_result_fini(out);
    return -1;
}
