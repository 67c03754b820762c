# SPDX-License-Identifier: MIT
"""make_fixtures.py -- write the small test fixtures under tests/data/ with numpy.

Run with Debian's python: `/usr/bin/python3 tests/data/make_fixtures.py`. The generated
files are committed, so the C tests never need Python. Every file is deterministic
(no timestamps beyond zip's fixed ones), so rerunning gives the same bytes.

Layout:
  npy/        one .npy per dtype and layout, plus broken ones (bad_*.npy)
  npz/        archives written by numpy (stored, deflated), a hand-made ZIP64 one and
              broken ones
  st/         .safetensors written by hand (numpy has no bfloat16), good and broken
  json/       token lists, numbers, records, JSON lines, attribution dicts, broken ones
  index_cases.txt   numpy basic-indexing cases with the expected result
"""
import io
import json
import os
import struct
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def path(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(rel, data):
    with open(path(rel), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=version, allow_pickle=False)
    return b.getvalue()


# ---- .npy ---------------------------------------------------------------------------
# Every dtype holds arange(6).reshape(2, 3) (minus 2 for signed types), so the C test
# can compute the expected values.
DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "uint16": np.uint16,
    "int16": np.int16, "uint32": np.uint32, "int32": np.int32, "uint64": np.uint64,
    "int64": np.int64, "float16": np.float16, "float32": np.float32,
    "float64": np.float64,
}


def base_values(name):
    a = np.arange(6).reshape(2, 3)
    if name == "bool":
        return (a % 2).astype(bool)
    if name.startswith("int") or name.startswith("float"):
        return (a - 2).astype(DTYPES[name]) / (1 if not name.startswith("float") else 4)
    return a.astype(DTYPES[name])


for name, dt in DTYPES.items():
    write(f"npy/{name}.npy", npy_bytes(np.asarray(base_values(name), dtype=dt)))

write("npy/be_f4.npy", npy_bytes(np.array([1.5, -2.25, 3e38], dtype=">f4")))
write("npy/be_i8.npy", npy_bytes(np.array([[1, -2], [3, 2**40]], dtype=">i8")))
write("npy/be_f2.npy", npy_bytes(np.array([0.5, -65504.0], dtype=">f2")))
write("npy/fortran.npy", npy_bytes(np.asfortranarray(np.arange(12, dtype="<f4").reshape(3, 4))))
write("npy/scalar.npy", npy_bytes(np.array(2.5, dtype="<f8")))
write("npy/vec5.npy", npy_bytes(np.arange(5, dtype="<i4")))
write("npy/empty.npy", npy_bytes(np.zeros((0, 3), dtype="<f4")))
write("npy/v2.npy", npy_bytes(np.arange(4, dtype="<u2"), version=(2, 0)))
write("npy/v3.npy", npy_bytes(np.arange(4, dtype="<i2"), version=(3, 0)))
f16_special = np.array([np.inf, -np.inf, np.nan, 6e-8, 65504, -0.0, 0.1], dtype="<f2")
write("npy/f16_special.npy", npy_bytes(f16_special))


def raw_npy(header, data=b"", version=1):
    h = header.encode("latin1")
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(h)) + h + data


good = npy_bytes(np.arange(6, dtype="<f4"))
write("npy/bad_truncated_data.npy", good[:-5])
write("npy/bad_truncated_header.npy", good[:40])
write("npy/bad_magic.npy", b"\x93NUMPX" + good[6:])
write("npy/bad_empty.npy", b"")
write("npy/bad_lying_shape.npy",
      raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }\n", b"\0" * 64))
write("npy/bad_negative_dim.npy",
      raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 4), }\n"))
write("npy/bad_nonnumeric_dim.npy",
      raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': ('a', 4), }\n"))
write("npy/bad_overflow_dims.npy",
      raw_npy("{'descr': '<f4', 'fortran_order': False, "
              "'shape': (4294967296, 4294967296, 4294967296), }\n"))
write("npy/bad_huge_dim.npy",
      raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n"))
write("npy/bad_dtype.npy",
      raw_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n", b"\0" * 16))
write("npy/bad_structured.npy",
      raw_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }\n", b"\0" * 8))
write("npy/bad_version.npy", b"\x93NUMPY\x09\x00" + good[8:])
write("npy/bad_missing_key.npy", raw_npy("{'descr': '<f4', 'shape': (2,), }\n", b"\0" * 8))
write("npy/bad_header_len.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{}")

# ---- .npz ---------------------------------------------------------------------------
arrs = {"a": np.arange(6, dtype="<f4").reshape(2, 3), "b": np.array([1, 2, 3], dtype="<i8"),
        "tok": np.array([True, False])}


def savez(rel, compressed):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrs)
    # numpy stamps the current time into the zip; rewrite with a fixed one.
    src = zipfile.ZipFile(io.BytesIO(b.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            zi.compress_type = info.compress_type
            z.writestr(zi, src.read(info.filename))
    data = out.getvalue()
    write(rel, data)
    return data


stored = savez("npz/stored.npz", False)
deflated = savez("npz/deflated.npz", True)


def central_offsets(data):
    """(offset of each central directory entry, in order)."""
    eocd = data.rfind(b"PK\x05\x06")
    n, size, off = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    res, p = [], off
    for _ in range(n):
        res.append(p)
        nl, xl, cl = struct.unpack("<HHH", data[p + 28:p + 34])
        p += 46 + nl + xl + cl
    return res


# Bad CRC: flip one byte of the first member's data (the last byte of its .npy).
bc = bytearray(stored)
first = central_offsets(stored)[0]
lh = struct.unpack("<I", stored[first + 42:first + 46])[0]
nl, xl = struct.unpack("<HH", stored[lh + 26:lh + 30])
csize = struct.unpack("<I", stored[first + 20:first + 24])[0]
bc[lh + 30 + nl + xl + csize - 1] ^= 0xFF
write("npz/bad_crc.npz", bytes(bc))

# Huge declared size for a deflated member.
hd = bytearray(deflated)
first = central_offsets(deflated)[0]
hd[first + 24:first + 28] = struct.pack("<I", 0xFFFFFFF0)
write("npz/bad_huge_size.npz", bytes(hd))

# Unsupported compression method (12 = bzip2).
um = bytearray(deflated)
um[first + 10:first + 12] = struct.pack("<H", 12)
write("npz/bad_method.npz", bytes(um))

write("npz/bad_truncated.npz", stored[: len(stored) // 2])

# A member name that is not UTF-8 (patched in the central directory).
bn = bytearray(stored)
bn[central_offsets(stored)[0] + 46] = 0xFF
write("npz/bad_name.npz", bytes(bn))
write("npz/bad_not_zip.npz", b"this is not a zip file at all, just some text\n" * 2)

# Corrupt deflate stream: garble the compressed bytes of the first member.
cd = bytearray(deflated)
lh = struct.unpack("<I", deflated[first + 42:first + 46])[0]
nl, xl = struct.unpack("<HH", deflated[lh + 26:lh + 30])
for i in range(8):
    cd[lh + 30 + nl + xl + 2 + i] ^= 0x5A
write("npz/bad_deflate.npz", bytes(cd))


def zip64_stored(members):
    """A stored zip whose central directory uses ZIP64 extras and a ZIP64 end record."""
    out = bytearray()
    central = bytearray()
    for name, data in members:
        nb = name.encode()
        crc = zlib.crc32(data)
        off = len(out)
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(extra)) + nb + extra + data
        cextra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(nb), len(cextra), 0, 0, 0, 0,
                               0xFFFFFFFF) + nb + cextra
    cd_off = len(out)
    out += central
    z64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(members),
                       len(members), len(central), cd_off)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    return bytes(out)


write("npz/zip64.npz", zip64_stored([("x.npy", npy_bytes(np.arange(4, dtype="<f8"))),
                                     ("notes.txt", b"hello")]))

# ---- .safetensors -------------------------------------------------------------------


def bf16_bits(f32):
    u = np.asarray(f32, dtype="<f4").view("<u4").astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype("<u2")


ST_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "uint16": "U16", "int16": "I16",
            "uint32": "U32", "int32": "I32", "uint64": "U64", "int64": "I64",
            "float16": "F16", "float32": "F32", "float64": "F64"}


def st_bytes(entries, metadata=None, align=True, header_override=None):
    """entries: list of (name, code, shape, raw bytes)."""
    hdr, blob = {}, b""
    if metadata is not None:
        hdr["__metadata__"] = metadata
    for name, code, shape, raw in entries:
        hdr[name] = {"dtype": code, "shape": list(shape),
                     "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = header_override if header_override is not None else json.dumps(hdr).encode()
    if align:
        h += b" " * ((8 - (len(h) + 8) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + blob


entries = []
for name, dt in DTYPES.items():
    a = np.asarray(base_values(name), dtype=dt)
    entries.append((name, ST_CODES[name], a.shape, a.astype(a.dtype.newbyteorder("<")).tobytes()))
bf = bf16_bits(np.array([[1.0, -2.5, 3.140625], [1e30, -0.0, 65504.0]], dtype="<f4"))
entries.append(("bfloat16", "BF16", (2, 3), bf.tobytes()))
entries.append(("blocks.0.attn.hook_pattern", "F32", (1, 2, 2, 2),
                np.arange(8, dtype="<f4").tobytes()))
entries.append(("0.weight", "F32", (2,), np.array([7, 8], dtype="<f4").tobytes()))
entries.append(("scalar", "F64", (), np.array(4.25, dtype="<f8").tobytes()))
entries.append(("empty", "F32", (0, 4), b""))
write("st/all.safetensors", st_bytes(entries, metadata={"format": "pt"}))

# A 1-byte tensor first makes the next f32 tensor start at an odd offset: copied.
write("st/misaligned.safetensors",
      st_bytes([("a", "U8", (1,), b"\x07"), ("b", "F32", (2,), np.array([1.5, 2.5], "<f4").tobytes())]))

good_st = st_bytes([("x", "F32", (2,), np.array([1, 2], "<f4").tobytes())])
write("st/bad_short.safetensors", good_st[:5])
write("st/bad_header_len.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
write("st/bad_json.safetensors", st_bytes([], header_override=b'{"x": {"dtype": "F32",\n "shape": [2]'))


def st_raw(hdr, blob):
    h = json.dumps(hdr).encode()
    return struct.pack("<Q", len(h)) + h + blob


write("st/bad_outside.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 800]}}, b"\0" * 8))
write("st/bad_overlap.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12))
write("st/bad_size.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8))
write("st/bad_dtype.safetensors",
      st_raw({"x": {"dtype": "F8_E4M3", "shape": [8], "data_offsets": [0, 8]}}, b"\0" * 8))
write("st/bad_negative.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8))
write("st/bad_shape_type.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}, b"\0" * 8))
write("st/bad_reversed.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}}, b"\0" * 8))
write("st/bad_overflow.safetensors",
      st_raw({"x": {"dtype": "F32", "shape": [2**62, 2**62], "data_offsets": [0, 8]}}, b"\0" * 8))
write("st/bad_not_object.safetensors", st_raw([1, 2], b""))

# ---- .json / .jsonl -----------------------------------------------------------------


def wtext(rel, s):
    write(rel, s.encode())


wtext("json/toks.json", json.dumps(["<|endoftext|>", "The", " cat", " sat", " é"]))
wtext("json/nums.json", "[1, 2.5, -3, null, 1e300]")
wtext("json/grid.json", json.dumps([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]))
wtext("json/records.json", json.dumps([{"l0": 12.5, "loss": 0.25, "name": "a"},
                                       {"l0": 8, "name": "b", "l1 coeff": 0.001},
                                       {"loss": 0.5, "name": None}]))
wtext("json/log.jsonl", '{"step": 0, "loss": 2.5}\n\n{"step": 1, "loss": 2.0, "dead": 0.1}\n'
                        '{"step": 2, "loss": 1.5}\n')
wtext("json/dla.json", json.dumps({"L0H1": 0.5, "L3H2": -1.25, "embed": 2}))
wtext("json/sweep.json", json.dumps({"l1": [1e-4, 1e-3], "l0": [50, 12], "tag": ["x", "y"]}))
wtext("json/config.json", json.dumps({"d_model": 768, "act_fn": "gelu", "layers": [1, 2]}))
wtext("json/bad_syntax.json", '[1, 2,\n 3 oops]')
wtext("json/bad_ragged.json", "[[1, 2], [3]]")
wtext("json/bad_mixed.json", '["a", 1]')
wtext("json/bad_scalar.json", "42")
wtext("json/bad_line.jsonl", '{"a": 1}\n{"a": 2}\n{"a": \n')
wtext("json/bad_notobj.jsonl", '{"a": 1}\n[1, 2]\n')
write("json/bad_utf8.json", b'["\xff\xfe"]')

# ---- indexing cases -----------------------------------------------------------------
# One line per case: SHAPE | ITEMS | expected. ITEMS separated by ';': an integer,
# start:stop:step with '_' for omitted parts, '...' or 'None'. Expected is
# "shape=[..] values=v,v,..." or "error=TEXT".


class Item:
    def __init__(self, text, value):
        self.text, self.value = text, value


def I(i):
    return Item(str(i), i)


def S(a=None, b=None, c=None):
    f = lambda v: "_" if v is None else str(v)
    return Item(f"{f(a)}:{f(b)}:{f(c)}", slice(a, b, c))


E = Item("...", Ellipsis)
N = Item("None", None)

cases = [
    ((12,), [I(3)]), ((12,), [I(-1)]), ((12,), [I(12)]), ((12,), [I(-13)]),
    ((12,), [S(2, 10, 2)]), ((12,), [S(None, None, -1)]), ((12,), [S(10, 2, -3)]),
    ((12,), [S(-100, 100)]), ((12,), [S(100, -100, -1)]), ((12,), [S(5, 5)]),
    ((12,), [S(-3, None)]), ((12,), [S(None, -3, -2)]), ((12,), [S(None, None, 5)]),
    ((3, 4), [I(1), I(-1)]), ((3, 4), [S(None, None, -1), I(2)]),
    ((3, 4), [E, I(0)]), ((3, 4), [N, S(1, None), N]), ((3, 4), [I(0), I(0), I(0)]),
    ((3, 4), [E, N]), ((3, 4), [E]), ((3, 4), []), ((3, 4), [I(1), E]),
    ((2, 3, 4), [I(1), E, S(None, None, -2)]), ((2, 3, 4), [E, I(-1), S(1, 3)]),
    ((2, 3, 4), [S(None, None, -1), S(None, None, -1), S(None, None, -1)]),
    ((2, 3, 4), [I(0), I(3)]), ((2, 3, 4), [S(1, 0), I(1)]), ((2, 3, 4), [N, N, E, N]),
    ((2, 3, 4), [S(-1, -3, -1), S(-2, None), S(3, 0, -2)]),
    ((), [E]), ((), [N]), ((), [I(0)]), ((5,), [S(None, None, -7)]),
    ((7,), [S(-2, -8, -1)]), ((7,), [S(6, -9, -2)]),
]
lines = []
for shape, items in cases:
    a = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    spec = ";".join(it.text for it in items)
    try:
        r = a[tuple(it.value for it in items)]
        r = np.asarray(r)
        exp = "shape=[%s] values=%s" % (", ".join(map(str, r.shape)),
                                         ",".join(str(int(v)) for v in r.ravel()))
    except IndexError as e:
        exp = "error=" + str(e).replace("array", "tensor")
    lines.append("%s | %s | %s" % (",".join(map(str, shape)), spec, exp))
with open(path("index_cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("fixtures written under", HERE)
