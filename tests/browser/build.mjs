// SPDX-License-Identifier: MIT
// build.mjs OUTDIR -- bundles page.js with esbuild into OUTDIR/mvz-test.js and writes
// OUTDIR/mvz-test.html. The anywidget npm package ships an AMD module
// (define(["@jupyter-widgets/base"], factory)); a plugin turns that last line into an
// export of the factory, which page.js calls with @jupyter-widgets/base.
import * as esbuild from "esbuild";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";

const outdir = process.argv[2];
if (!outdir) throw new Error("usage: node build.mjs OUTDIR");
await mkdir(outdir, { recursive: true });
const amd = new URL("./node_modules/anywidget/dist/index.js", import.meta.url).pathname;

const anywidgetAmd = {
  name: "anywidget-amd",
  setup(build) {
    build.onResolve({ filter: /^anywidget-amd$/ }, () => ({ path: amd, namespace: "awamd" }));
    build.onLoad({ filter: /.*/, namespace: "awamd" }, async () => {
      let src = await readFile(amd, "utf8");
      const re = /define\(\["@jupyter-widgets\/base"\],\s*([A-Za-z_$][\w$]*)\);?\s*$/;
      if (!re.test(src)) throw new Error("anywidget: AMD define() not found");
      src = src.replace(re, "export default $1;");
      return { contents: src, loader: "js", resolveDir: path.dirname(amd) };
    });
  },
};

await esbuild.build({
  entryPoints: [new URL("./page.js", import.meta.url).pathname],
  bundle: true,
  format: "iife",
  outfile: path.join(outdir, "mvz-test.js"),
  banner: { js: "var __webpack_public_path__ = '';" },
  define: { "process.env.NODE_ENV": '"production"', global: "window" },
  loader: { ".css": "empty", ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".eot": "empty", ".svg": "empty", ".png": "empty" },
  plugins: [anywidgetAmd],
  logLevel: "warning",
});
await writeFile(
  path.join(outdir, "mvz-test.html"),
  `<!doctype html>
<html><head><meta charset="utf-8"><title>mechviz widget test</title>
<style>body{font-family:sans-serif;margin:12px;background:var(--jp-layout-color1,#fff)}
.cell{margin:8px 0;padding:6px;border-left:3px solid #ccc}
body.dark{--jp-layout-color0:#111;--jp-layout-color1:#1e1e1e;--jp-layout-color2:#2c2c2c;
--jp-ui-font-color1:#e0e0e0;--jp-ui-font-color2:#aaa;--jp-border-color1:#555;--jp-border-color2:#444;
--jp-brand-color1:#4fa3ff;color:#e0e0e0}</style></head>
<body><div id="out"></div><script src="mvz-test.js"></script></body></html>
`,
);
console.log(`bundled ${outdir}/mvz-test.js`);
