#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""run_notebooks.py -- execute notebooks headless with nbclient on the mechviz kernel.

Used by `make test-examples` (tests/run_examples.sh) and `make demo HEADLESS=1`
(tools/demo.sh). For each notebook it runs every cell with the kernel named in --kernel,
writes the executed copy (and with --html an HTML rendering through nbconvert) into
--out, and checks:
  - every code cell ran (has an execution_count);
  - no cell has an error output, except cells tagged `raises-exception`, which must have
    one (they show how errors look, so a missing error is a failure too);
  - the saved notebook is at most --max-bytes (large tensors must never be embedded).
It prints one line per notebook and the summary `examples: N passed, N failed`, and
exits 1 if any failed. The caller sets JUPYTER_PATH so the kernelspec is found; this
script installs nothing.
"""
import argparse
import os
import sys
import time
import traceback

import nbformat
from nbclient import NotebookClient


def check(nb, path, max_bytes):
    """Return a list of problems with an executed notebook (empty when fine)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if cell.get("execution_count") is None and cell.source.strip():
            problems.append(f"cell {i}: not executed")
        if "raises-exception" in tags:
            if not errors:
                problems.append(f"cell {i}: tagged raises-exception but no error was shown")
        elif errors:
            e = errors[0]
            problems.append(f"cell {i}: {e.get('ename')}: {e.get('evalue')}")
    size = os.path.getsize(path)
    if size > max_bytes:
        problems.append(f"saved notebook is {size} bytes (limit {max_bytes})")
    return problems


def svg_without_declaration(nb):
    """Drop the `<?xml ...?>` line from SVG outputs, for the HTML copy only.

    nbconvert 6.5 (Debian 12) passes SVG through lxml's HTML cleaner, which refuses
    strings with an encoding declaration; cairo writes one. The SVG stays valid without
    it, and the executed .ipynb keeps the output as the kernel sent it."""
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            svg = o.get("data", {}).get("image/svg+xml")
            if isinstance(svg, str) and svg.lstrip().startswith("<?xml"):
                o["data"]["image/svg+xml"] = svg.split("?>", 1)[1].lstrip()
    return nb


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", required=True, help="directory for executed notebooks")
    ap.add_argument("--kernel", default="mechviz")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    ap.add_argument("--max-bytes", type=int, default=2_000_000)
    ap.add_argument("--html", action="store_true", help="also write HTML via nbconvert")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    passed = failed = 0
    for src in args.notebooks:
        name = os.path.basename(src)
        dst = os.path.join(args.out, name)
        t0 = time.monotonic()
        try:
            nb = nbformat.read(src, as_version=4)
            client = NotebookClient(nb, timeout=args.timeout, kernel_name=args.kernel,
                                    startup_timeout=60,
                                    resources={"metadata": {"path": os.path.dirname(
                                        os.path.abspath(src))}})
            client.execute()
            nbformat.write(nb, dst)
            problems = check(nb, dst, args.max_bytes)
        except Exception as e:  # a cell error, a timeout or a dead kernel
            problems = [f"{type(e).__name__}: {str(e).strip().splitlines()[-1] if str(e).strip() else ''}"]
            if os.environ.get("VERBOSE"):
                traceback.print_exc()
            try:
                nbformat.write(nb, dst)
            except Exception:
                pass
        dt = time.monotonic() - t0
        if problems:
            failed += 1
            print(f"FAIL {name} ({dt:.1f} s)")
            for p in problems:
                print(f"     {p}")
        else:
            passed += 1
            print(f"ok   {name} ({dt:.1f} s, {os.path.getsize(dst)} bytes) -> {dst}")
        if args.html and os.path.exists(dst):
            from nbconvert import HTMLExporter
            body, _ = HTMLExporter().from_notebook_node(
                svg_without_declaration(nbformat.read(dst, as_version=4)))
            html = os.path.splitext(dst)[0] + ".html"
            with open(html, "w", encoding="utf-8") as f:
                f.write(body)
            print(f"     html: {html}")
    print(f"examples: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
