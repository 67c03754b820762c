#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""attention.py BUILD -- figures of the attention view, as `name: value` lines.

  attn_notebook_bytes_12x1024          an executed notebook showing %attention on
                                       [12, 1024, 1024] float32 (nbclient, saved .ipynb)
  attn_circuitsvis_json_bytes_12x1024  what CircuitsVis embeds for the same tensor: the
                                       JSON of its nested lists (numpy .tolist() + json)
  attn_notebook_ratio                  the second over the first
  attn_open_to_comm_open_ms_12x4096    execute_request -> the widget's comm_open, [12,
                                       4096, 4096] float32 memory-mapped (median of 5)
  attn_open_to_display_ms_12x4096      execute_request -> display_data (with the static
                                       overview picture) (median of 5)
  attn_tile_{cold,warm}_{p50,p99}_ms_4096   custom tile request -> PNG reply, through
                                       jupyter_client, 256 level-0 tiles of one head; cold
                                       = first request of each tile, warm = again (cache)
  attn_tile_top_cold_ms_4096           the coarsest tile (max over 4096x4096 cells)
Inputs are generated once into BUILD/bench/attn (about 900 MB).
"""
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
build = Path(sys.argv[1] if len(sys.argv) > 1 else "build")
if not build.is_absolute():
    build = ROOT / build
work = build / "bench" / "attn"
work.mkdir(parents=True, exist_ok=True)
binary = build / "mechviz-kernel"


def causal_rows(rng, n):
    a = rng.random((n, n), dtype=np.float32) ** 8
    a *= np.tril(np.ones((n, n), np.float32))
    a[np.arange(1, n), np.arange(n - 1)] += 2.0  # a previous-token stripe
    return a / a.sum(-1, keepdims=True)


def make_input(path, heads, n):
    if path.exists() and path.stat().st_size > heads * n * n * 4:
        return
    rng = np.random.default_rng(0)
    mm = np.lib.format.open_memmap(str(path) + ".tmp.npy", mode="w+", dtype=np.float32, shape=(heads, n, n))
    for h in range(heads):
        mm[h] = causal_rows(rng, n)
    mm.flush()
    del mm
    os.replace(str(path) + ".tmp.npy", path)


def kernelspec_dir():
    d = Path(tempfile.mkdtemp(prefix="mvz-bench-", dir=work))
    k = d / "kernels" / "mechviz"
    k.mkdir(parents=True)
    spec = json.loads((ROOT / "kernelspec" / "kernel.json.in").read_text().replace("@BINARY@", str(binary)))
    (k / "kernel.json").write_text(json.dumps(spec))
    return d


def line(name, value):
    print(f"{name}: {value}", flush=True)


def notebook_bytes(ks):
    import nbformat
    from nbclient import NotebookClient
    src = work / "a12x1024.npy"
    make_input(src, 12, 1024)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "mechviz", "display_name": "mechviz", "language": "mechviz"}}
    nb.cells = [nbformat.v4.new_code_cell(f"%load a = {src}"), nbformat.v4.new_code_cell("%attention a")]
    os.environ["JUPYTER_PATH"] = str(ks)  # nbclient finds the kernelspec by name
    client = NotebookClient(nb, kernel_name="mechviz", timeout=120)
    client.execute()
    out = work / "attention-12x1024.ipynb"
    nbformat.write(nb, str(out))
    nbytes = out.stat().st_size
    line("attn_notebook_bytes_12x1024", nbytes)
    a = np.load(src, mmap_mode="r")
    total = 2 + 2 * (a.shape[0] - 1)  # "[" "]" and ", " between heads
    for h in range(a.shape[0]):
        rows = [json.dumps(a[h, i].tolist()) for i in range(a.shape[1])]
        total += 2 + sum(len(r) for r in rows) + 2 * (len(rows) - 1)
    line("attn_circuitsvis_json_bytes_12x1024", total)
    line("attn_notebook_ratio", f"{total / nbytes:.0f}")


class Kernel:
    def __init__(self, ks):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="mechviz", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(ks / "kernels")]))
        self.km.start_kernel()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=30)

    def run(self, code):
        """Returns (seconds to comm_open, seconds to display_data, comm_id)."""
        t0 = time.perf_counter()
        mid = self.kc.execute(code)
        t_open = t_disp = None
        cid = None
        while True:
            m = self.kc.get_iopub_msg(timeout=120)
            if m["parent_header"].get("msg_id") != mid:
                continue
            now = time.perf_counter() - t0
            if m["msg_type"] == "comm_open" and t_open is None:
                t_open, cid = now, m["content"]["comm_id"]
            elif m["msg_type"] == "display_data" and t_disp is None:
                t_disp = now
            elif m["msg_type"] == "error":
                raise RuntimeError(m["content"]["evalue"])
            elif m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                break
        self.kc.get_shell_msg(timeout=120)
        return t_open, t_disp, cid

    def request(self, cid, content):
        msg = self.kc.session.msg("comm_msg", {"comm_id": cid, "data": {"method": "custom", "content": content}})
        t0 = time.perf_counter()
        self.kc.session.send(self.kc.shell_channel.socket, msg)
        mid = msg["header"]["msg_id"]
        got = None
        while True:
            m = self.kc.get_iopub_msg(timeout=60)
            if m["parent_header"].get("msg_id") != mid:
                continue
            if m["msg_type"] == "comm_msg" and got is None:
                got = time.perf_counter() - t0
                c = m["content"]["data"]["content"]
                if c.get("type") == "error":
                    raise RuntimeError(c["error"])
            if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                return got

    def close(self):
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def open_and_tiles(ks):
    src = work / "a12x4096.npy"
    make_input(src, 12, 4096)
    k = Kernel(ks)
    try:
        k.run(f"%load a = {src}")
        opens, disps = [], []
        for _ in range(5):
            t_open, t_disp, cid = k.run("%attention a")
            opens.append(t_open)
            disps.append(t_disp)
        line("attn_open_to_comm_open_ms_12x4096", f"{statistics.median(opens) * 1e3:.1f}")
        line("attn_open_to_display_ms_12x4096", f"{statistics.median(disps) * 1e3:.1f}")
        top = k.request(cid, {"type": "tile", "id": 0, "layer": 0, "head": 5, "z": 4, "x": 0, "y": 0})
        line("attn_tile_top_cold_ms_4096", f"{top * 1e3:.1f}")
        tiles = [(x, y) for y in range(16) for x in range(16)]
        for name in ("cold", "warm"):
            ts = [k.request(cid, {"type": "tile", "id": i, "layer": 0, "head": 3, "z": 0, "x": x, "y": y})
                  for i, (x, y) in enumerate(tiles)]
            line(f"attn_tile_{name}_p50_ms_4096", f"{pct(ts, 50) * 1e3:.2f}")
            line(f"attn_tile_{name}_p99_ms_4096", f"{pct(ts, 99) * 1e3:.2f}")
    finally:
        k.close()


def main():
    if not binary.exists():
        print(f"attention bench: {binary} not built", file=sys.stderr)
        return 1
    ks = kernelspec_dir()
    notebook_bytes(ks)
    open_and_tiles(ks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
