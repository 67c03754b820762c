// SPDX-License-Identifier: MIT
// run_analysis.mjs -- drives the %pca, %lens and %explore widgets in Debian's chromium
// through a live kernel (same page, server and environment as run_tests.mjs: MVZ_URL,
// MVZ_SHOTS; its data are written by analysis_expected.py into MVZ_ANALYSIS).
// Prints one line per test, timings as "info" lines, and "browser: N passed, N failed".
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

const url = process.env.MVZ_URL;
const shots = process.env.MVZ_SHOTS;
const data = process.env.MVZ_ANALYSIS;
if (!url || !shots || !data) throw new Error("MVZ_URL, MVZ_SHOTS and MVZ_ANALYSIS must be set");
await mkdir(shots, { recursive: true });
const here = path.dirname(new URL(import.meta.url).pathname);
execFileSync("/usr/bin/python3", [path.join(here, "analysis_expected.py"), data]);
const expected = JSON.parse(await readFile(path.join(data, "expected.json"), "utf8"));
const topics = JSON.parse(await readFile(path.join(data, "pca_topics.json"), "utf8"));
const ptoks = JSON.parse(await readFile(path.join(data, "pca_tokens.json"), "utf8"));
const stoks = JSON.parse(await readFile(path.join(data, "sae_tokens.json"), "utf8"));

let passed = 0, failed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Reads the tensors of a .safetensors file written by %save (F32/I64). */
async function readSafetensors(p) {
  const raw = await readFile(p);
  const n = Number(raw.readBigUInt64LE(0));
  const h = JSON.parse(raw.subarray(8, 8 + n).toString("utf8"));
  const out = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === "__metadata__") continue;
    const [a, b] = v.data_offsets;
    const bytes = raw.subarray(8 + n + a, 8 + n + b);
    const copy = new Uint8Array(bytes).buffer;
    out[k] = { shape: v.shape, data: v.dtype === "I64" ? Array.from(new BigInt64Array(copy), Number) : new Float32Array(copy) };
  }
  return out;
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 });
try {
  await context.grantPermissions(["local-network-access"]);
} catch {
  /* older chromium */
}
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));

async function exec(code) {
  const s = await page.evaluate((c) => window.mvz.exec(c), code);
  assert(s.status === "ok", `${code}: ${s.status} ${s.evalue}`);
  return s;
}
const cell = (i) => page.locator(".cell").nth(i);

await test("page loads and starts a mechviz kernel", async () => {
  await page.goto(url);
  await page.waitForFunction(() => window.mvz && window.mvz.ready, null, { timeout: 20000 });
  await page.evaluate(() => window.mvz.start());
  await exec(`%load X = ${data}/pca_resid.npy\n%load topics = ${data}/pca_topics.json\n` +
    `%load toks = ${data}/pca_tokens.json\n%load lens = ${data}/lens.safetensors\n` +
    `%load ltoks = ${data}/lens_tokens.json\n%load vocab = ${data}/lens_vocab.json\n` +
    `%load layers = ${data}/lens_layers.json\n%load sae = ${data}/sae/sae_weights.safetensors\n` +
    `%load acts = ${data}/sae_resid.npy\n%load stoks = ${data}/sae_tokens.json`);
});

let pcaCell, pca;
await test("%pca opens the scatter: points arrive as float32 buffers", async () => {
  const s = await exec("%pca X --labels topics --hover toks");
  assert(s.model_ids.length === 1, "no view");
  assert(s.outputs.some((o) => o.mimes.includes("image/png") && o.mimes.includes("application/vnd.jupyter.widget-view+json")), "bundle");
  pcaCell = s.cell;
  pca = cell(pcaCell).locator(".mvz-pca");
  await page.waitForFunction((el) => el.dataset.n === "6000" && el.dataset.drawMs, await pca.elementHandle(), { timeout: 15000 });
  const legend = await pca.locator(".mvz-pca-legend").textContent();
  for (const t of ["animals", "food", "weather"]) assert(legend.includes(t), `legend lacks ${t}: ${legend}`);
  const bars = await pca.locator(".mvz-pca-bar").count();
  assert(bars === 10, `${bars} variance bars`);
  await page.screenshot({ path: path.join(shots, "pca-scatter.png"), fullPage: true });
});

await test("hover a point shows its token in context and its label", async () => {
  const root = await pca.elementHandle();
  const box = await pca.locator(".mvz-pca-canvas").boundingBox();
  for (const i of [17, 2500, 5999]) {
    const [x, y] = await pca.evaluate((el, i) => el.mvPca.screenOf(i), i);
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction((el) => el.dataset.hover && !/^#/.test(el.querySelector(".mvz-pca-tip").textContent),
      root, { timeout: 5000 });
    await page.waitForTimeout(50);
    const j = Number(await pca.evaluate((el) => el.dataset.hover));
    const [jx, jy] = await pca.evaluate((el, j) => el.mvPca.screenOf(j), j);
    assert(Math.hypot(jx - x, jy - y) <= 8, `hovered point ${j} is ${Math.hypot(jx - x, jy - y)} px away`);
    const tip = await pca.locator(".mvz-pca-tip").textContent();
    assert(tip.startsWith(topics[j] + "\n"), `tip label for ${j}: ${tip}`);
    assert(tip.includes(`[${ptoks[j]}]`), `tip token for ${j}: ${tip}`);
  }
  await page.screenshot({ path: path.join(shots, "pca-hover.png"), fullPage: true });
  await pca.screenshot({ path: path.join(shots, "pca-view.png") }); // the README's picture
});

await test("axes switch to other PCs: the points are the stored coordinates", async () => {
  await pca.locator(".mvz-pca-axis-pcx").selectOption("2");
  await page.waitForFunction((el) => el.dataset.axes === "2,1", await pca.elementHandle(), { timeout: 5000 });
  const file = `${data}/coords.safetensors`;
  await exec(`%save ${file} pca.coords`);
  const c = (await readSafetensors(file))["pca.coords"];
  const k = c.shape[1];
  const got = await pca.evaluate((el) => [Array.from(el.mvPca.x.slice(0, 50)), Array.from(el.mvPca.y.slice(0, 50))]);
  for (let i = 0; i < 50; i++) {
    assert(got[0][i] === c.data[i * k + 2], `x[${i}] ${got[0][i]} != PC3 ${c.data[i * k + 2]}`);
    assert(got[1][i] === c.data[i * k + 1], `y[${i}] ${got[1][i]} != PC2 ${c.data[i * k + 1]}`);
  }
  await pca.locator(".mvz-pca-axis-pcx").selectOption("0");
  await page.waitForFunction((el) => el.dataset.axes === "0,1", await pca.elementHandle(), { timeout: 5000 });
});

await test("box selection comes back as an index tensor with the right indices", async () => {
  const canvas = pca.locator(".mvz-pca-canvas");
  const box = await canvas.boundingBox();
  const [ax, ay, bx, by] = [250, 150, 450, 330];
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + ax, box.y + ay);
  await page.mouse.down();
  await page.mouse.move(box.x + bx, box.y + by, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await page.waitForFunction((el) => el.dataset.selected !== undefined, await pca.elementHandle(), { timeout: 5000 });
  const count = Number(await pca.evaluate((el) => el.dataset.selected));
  const [x0, x1, y0, y1] = await pca.evaluate((el, b) => [el.mvPca.dx(b[0]), el.mvPca.dx(b[2]), el.mvPca.dy(b[3]), el.mvPca.dy(b[1])], [ax, ay, bx, by]);
  const file = `${data}/sel.safetensors`;
  await exec(`%save ${file} pca.selection pca.coords`);
  const t = await readSafetensors(file);
  const c = t["pca.coords"], k = c.shape[1];
  const want = [];
  for (let i = 0; i < c.shape[0]; i++) {
    const x = c.data[i * k], y = c.data[i * k + 1];
    if (x >= x0 && x <= x1 && y >= y0 && y <= y1) want.push(i);
  }
  const got = t["pca.selection"].data;
  assert(want.length > 20, `box holds only ${want.length} points`);
  assert(count === want.length && got.length === want.length, `selected ${count}/${got.length}, expected ${want.length}`);
  assert(got.every((v, i) => v === want[i]), "selected indices differ");
  const status = await pca.locator(".mvz-pca-status").textContent();
  assert(status.includes("pca.selection"), status);
  await page.screenshot({ path: path.join(shots, "pca-selection.png"), fullPage: true });
});

await test("lasso selection: the kernel stores the points inside the drawn path", async () => {
  await pca.locator(".mvz-pca-mode").click();
  assert((await pca.locator(".mvz-pca-mode").textContent()) === "select: lasso", "mode toggle");
  const box = await pca.locator(".mvz-pca-canvas").boundingBox();
  const path0 = [[120, 330], [330, 250], [420, 360], [300, 420], [200, 380]];
  const before = await pca.evaluate((el) => el.dataset.selected);
  await page.keyboard.down("Shift");
  await page.mouse.move(box.x + path0[0][0], box.y + path0[0][1]);
  await page.mouse.down();
  for (const [x, y] of path0.slice(1)) await page.mouse.move(box.x + x, box.y + y, { steps: 5 });
  await page.mouse.up();
  await page.keyboard.up("Shift");
  await page.waitForFunction(([el, b]) => el.querySelector(".mvz-pca-status").textContent.includes("→"),
    [await pca.elementHandle(), before], { timeout: 5000 });
  const poly = await pca.evaluate((el) => el.mvPca.lastPolygon);
  const count = Number(await pca.evaluate((el) => el.dataset.selected));
  const file = `${data}/lasso.safetensors`;
  await exec(`%save ${file} pca.selection pca.coords`);
  const t = await readSafetensors(file);
  const c = t["pca.coords"], k = c.shape[1];
  const want = [];
  for (let i = 0; i < c.shape[0]; i++) {
    const x = c.data[i * k], y = c.data[i * k + 1];
    let inside = false;
    for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {
      const [xa, ya] = poly[a], [xb, yb] = poly[b];
      if ((ya > y) !== (yb > y) && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) want.push(i);
  }
  const got = t["pca.selection"].data;
  assert(want.length > 20, `lasso holds only ${want.length} points`);
  assert(count === want.length && got.length === want.length, `selected ${count}/${got.length}, expected ${want.length}`);
  assert(got.every((v, i) => v === want[i]), "lasso indices differ");
  await page.screenshot({ path: path.join(shots, "pca-lasso.png"), fullPage: true });
  await pca.locator(".mvz-pca-mode").click();
});

await test("wheel zoom and drag pan redraw", async () => {
  const box = await pca.locator(".mvz-pca-canvas").boundingBox();
  const before = await pca.evaluate((el) => el.mvPca.view.sx);
  await page.mouse.move(box.x + 300, box.y + 200);
  await page.mouse.wheel(0, -500);
  await page.waitForFunction(([el, b]) => el.mvPca.view.sx > b * 1.5, [await pca.elementHandle(), before], { timeout: 3000 });
  const cx = await pca.evaluate((el) => el.mvPca.view.cx);
  await page.mouse.down();
  await page.mouse.move(box.x + 200, box.y + 200, { steps: 4 });
  await page.mouse.up();
  const cx2 = await pca.evaluate((el) => el.mvPca.view.cx);
  assert(cx2 > cx, `pan did not move the view (${cx} -> ${cx2})`);
  await pca.locator(".mvz-pca-canvas").dblclick();
});

for (const [n, expr] of [[100000, "big[:100000]"], [1000000, "big"]]) {
  await test(`${n} points: first paint and redraw times`, async () => {
    const t0 = Date.now();
    if (n === 100000) await exec(`%load big = ${data}/big_points.npy`);
    const s = await exec(`%pca ${expr} --k 4 --name p${n}`);
    const w = cell(s.cell).locator(".mvz-pca");
    await page.waitForFunction(([el, n]) => el.dataset.n === String(n) && el.dataset.drawMs, [await w.elementHandle(), n], { timeout: 30000 });
    const first = Date.now() - t0;
    const draw = Number(await w.evaluate((el) => el.dataset.drawMs));
    const canvas = w.locator(".mvz-pca-canvas");
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    await page.mouse.move(box.x + 300, box.y + 200);
    const sx0 = await w.evaluate((el) => el.mvPca.view.sx);
    const times = [];
    for (let i = 0; i < 5; i++) {
      const before = await w.evaluate((el) => el.mvPca.view.sx);
      await page.mouse.wheel(0, -120);
      await page.waitForFunction(([el, b]) => el.mvPca.view.sx > b && !el.mvPca.frame, [await w.elementHandle(), before], { timeout: 5000 });
      times.push(Number(await w.evaluate((el) => el.dataset.drawMs)));
    }
    assert((await w.evaluate((el) => el.mvPca.view.sx)) > sx0, "wheel did not zoom");
    times.sort((a, b) => a - b);
    console.log(`info scatter_${n}_first_paint_ms: ${first}`);
    console.log(`info scatter_${n}_first_draw_ms: ${draw}`);
    console.log(`info scatter_${n}_zoom_redraw_median_ms: ${times[2]}`);
    if (n === 1000000) await page.screenshot({ path: path.join(shots, "pca-1e6.png") });
  });
}

let lens;
await test("%lens heatmap: hovering a cell shows the kernel's top-k", async () => {
  const s = await exec("%lens lens.resid --unembed lens.W_U --ln-w lens.ln_w --ln-b lens.ln_b " +
    "--tokens ltoks --vocab vocab --layer-labels layers");
  lens = cell(s.cell).locator(".mvz-lens");
  await page.waitForFunction((el) => el.dataset.ready === "1", await lens.elementHandle(), { timeout: 10000 });
  const canvas = lens.locator(".mvz-lens-canvas");
  await canvas.scrollIntoViewIfNeeded();
  for (const key of Object.keys(expected.lens)) {
    const [l, p] = key.split(",").map(Number);
    const box = await canvas.boundingBox();
    const [x, y] = await lens.evaluate((el, lp) => el.mvLens.cellCenter(lp[0], lp[1]), [l, p]);
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction(([el, k]) => el.dataset.shown === k, [await lens.elementHandle(), key], { timeout: 5000 });
    const toks = await lens.locator(".mvz-lens-tok").allTextContents();
    const probs = (await lens.locator(".mvz-lens-p").allTextContents()).map(Number);
    const want = expected.lens[key];
    const show = (t) => t.replace(/ /g, "·");
    assert(toks.join("|") === want.tokens.map(show).join("|"), `cell ${key}: ${toks} vs ${want.tokens}`);
    probs.forEach((v, i) => assert(Math.abs(v - want.probs[i]) < 6e-5, `cell ${key} p${i} ${v} vs ${want.probs[i]}`));
  }
  const panel = await lens.locator(".mvz-lens-panel").textContent();
  assert(panel.includes("0_pre"), `layer label missing: ${panel}`);
  await page.screenshot({ path: path.join(shots, "lens-hover.png"), fullPage: true });
  {
    const box = await canvas.boundingBox();
    const [x, y] = await lens.evaluate((el) => el.mvLens.cellCenter(2, 8));
    await page.mouse.move(box.x + x, box.y + y);
    await page.waitForFunction((el) => el.dataset.shown === "2,8", await lens.elementHandle(), { timeout: 5000 });
  }
  await lens.screenshot({ path: path.join(shots, "lens-view.png") });
});

await test("%explore: a feature number shows its top-activating contexts", async () => {
  const s = await exec("%explore --sae sae --acts acts --tokens stoks");
  const ex = cell(s.cell).locator(".mvz-explore");
  await page.waitForFunction((el) => el.dataset.feature === "0", await ex.elementHandle(), { timeout: 10000 });
  for (const f of Object.keys(expected.features)) {
    await ex.locator(".mvz-explore-num").fill(f);
    await ex.locator(".mvz-explore-num").press("Enter");
    await page.waitForFunction(([el, f]) => el.dataset.feature === f, [await ex.elementHandle(), f], { timeout: 10000 });
    const idx = (await ex.locator(".mvz-explore-row").evaluateAll((rs) => rs.map((r) => Number(r.dataset.index))));
    assert(idx.join(",") === expected.features[f].join(","), `feature ${f}: ${idx} vs ${expected.features[f]}`);
    const at = await ex.locator(".mvz-explore-at").allTextContents();
    assert(at.length === idx.length && at.every((t, i) => t === stoks[idx[i]]), `activating tokens ${at.slice(0, 3)}`);
  }
  // the slider drives the same request
  await ex.locator(".mvz-explore-slider").fill("42");
  await page.waitForFunction((el) => el.dataset.feature === "42", await ex.elementHandle(), { timeout: 10000 });
  await ex.locator(".mvz-explore-num").fill("7");
  await ex.locator(".mvz-explore-num").press("Enter");
  await page.waitForFunction((el) => el.dataset.feature === "7", await ex.elementHandle(), { timeout: 10000 });
  await ex.evaluate((el) => el.scrollIntoView());
  await page.screenshot({ path: path.join(shots, "explore-feature.png") });
  await ex.screenshot({ path: path.join(shots, "explore-view.png") });
});

await test("no page errors", async () => {
  assert(pageErrors.length === 0, pageErrors.join(" | "));
});

await browser.close();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
