// SPDX-License-Identifier: MIT
// run_tests.mjs -- drives the attention widget in Debian's chromium through a live kernel.
//
// Environment (set by run.sh): MVZ_URL (the test page on the Jupyter server, with its
// token), MVZ_DATA (the directory of make_data.py's files), MVZ_SHOTS (where screenshots
// go). Prints one line per test and a closing "browser: N passed, N failed".
import { chromium } from "playwright-core";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";

const url = process.env.MVZ_URL;
const dataDir = process.env.MVZ_DATA;
const shots = process.env.MVZ_SHOTS;
if (!url || !dataDir || !shots) throw new Error("MVZ_URL, MVZ_DATA and MVZ_SHOTS must be set");
await mkdir(shots, { recursive: true });
const expected = JSON.parse(await readFile(path.join(dataDir, "expected.json"), "utf8"));

let passed = 0, failed = 0;
const results = [];
const TEST_TIMEOUT_MS = 90000;
async function test(name, fn) {
  let timer;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    clearTimeout(timer);
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
const f32 = (x) => Math.fround(x);
const showToken = (s) => (s.length === 0 ? "∅" : s.replace(/\r\n|\n/g, "⏎").replace(/\t/g, "⇥").replace(/ /g, "·"));

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, deviceScaleFactor: 1 });
try {
  await context.grantPermissions(["local-network-access"]);
} catch {
  /* older chromium: no such permission */
}
const page = await context.newPage();
const pageErrors = [];
page.on("pageerror", (e) => pageErrors.push(String(e)));
page.on("console", (m) => {
  if (process.env.MVZ_VERBOSE) console.log(`  [console.${m.type()}] ${m.text()}`);
});

const W = (i) => page.locator(".cell").nth(i).locator(".mvz-attn");
const cellPx = (i) => 480 / expected.shape[3];

async function hoverCell(widget, q, k, n) {
  await widget.locator(".mvz-attn-stage").scrollIntoViewIfNeeded();
  const box = await widget.locator(".mvz-attn-overlay").boundingBox();
  const s = 480 / n;
  await page.mouse.move(box.x + (k + 0.5) * s, box.y + (q + 0.5) * s);
}
async function shownValue(widget, q, k, head) {
  const info = widget.locator(".mvz-attn-info");
  await page.waitForFunction(
    ([el, q, k, head]) =>
      el.dataset.q === String(q) && el.dataset.k === String(k) && el.dataset.value && el.dataset.value !== "…" &&
      (head === null || el.dataset.head === String(head)),
    [await info.elementHandle(), q, k, head],
    { timeout: 10000 },
  );
  return info.evaluate((el) => ({
    value: el.dataset.value,
    q: el.querySelector(".mvz-attn-qtok")?.textContent,
    k: el.querySelector(".mvz-attn-ktok")?.textContent,
  }));
}

let summary;
await test("page loads and starts a mechviz kernel", async () => {
  await page.goto(url);
  await page.waitForFunction(() => window.mvz && window.mvz.ready, null, { timeout: 20000 });
  await page.evaluate(() => window.mvz.start());
});

await test("%attention displays a widget: comm_open, bundle, view", async () => {
  summary = await page.evaluate(
    (d) => window.mvz.exec(`%load pat = ${d}/pat.npy\n%load toks = ${d}/toks.json\n%attention pat --tokens toks`),
    dataDir,
  );
  assert(summary.status === "ok", `execute_reply ${summary.status}: ${summary.evalue}`);
  const open = summary.comm_opens.find((c) => c.target === "jupyter.widget");
  assert(open, "no comm_open on jupyter.widget");
  assert(/^2\./.test(open.metadata.version), `metadata version ${open.metadata.version}`);
  for (const k of ["_model_module", "_model_module_version", "_model_name", "_view_module", "_view_module_version", "_view_name", "_esm", "_css", "_anywidget_id"])
    assert(open.keys.includes(k), `state lacks ${k}`);
  const disp = summary.outputs.find((o) => o.mimes.includes("application/vnd.jupyter.widget-view+json"));
  assert(disp && disp.mimes.includes("image/png") && disp.mimes.includes("text/plain"), `bundle ${JSON.stringify(summary.outputs)}`);
  assert(summary.model_ids.length === 1, "view not created");
  await W(0).waitFor({ timeout: 10000 });
  await page.waitForFunction((el) => el.dataset.ready === "1", await W(0).elementHandle());
});

await test("head grid: one labelled thumbnail per head, drawn from kernel PNGs", async () => {
  const w = W(0);
  const labels = await w.locator(".mvz-attn-thumblabel").allTextContents();
  assert(labels.join(",") === "L0H0,L0H1,L0H2,L0H3", `labels ${labels}`);
  await page.waitForFunction(
    (el) => [...el.querySelectorAll(".mvz-attn-thumbimg")].every((c) => c.width === 12),
    await w.elementHandle(), { timeout: 10000 },
  );
  const hint = await w.locator(".mvz-attn-hint").textContent();
  assert(/click to lock/.test(hint) && /Esc/.test(hint), `hint: ${hint}`);
});

await test("hover a cell: exact weight and both tokens", async () => {
  const w = W(0);
  const c = expected.cells[0];
  await hoverCell(w, c.q, c.k, 12);
  const got = await shownValue(w, c.q, c.k, 0);
  assert(f32(parseFloat(got.value)) === f32(c.value), `value ${got.value} != ${c.value}`);
  assert(got.q === showToken(expected.tokens[c.q]), `query token ${got.q}`);
  assert(got.k === showToken(expected.tokens[c.k]), `key token ${got.k}`);
  await page.screenshot({ path: path.join(shots, "attention-hover-light.png"), fullPage: true });
});

await test("click locks a head, click again unlocks, Esc unlocks", async () => {
  const w = W(0);
  const t2 = w.locator('.mvz-attn-thumb[data-head="2"]');
  await t2.click();
  assert(await t2.evaluate((e) => e.classList.contains("mvz-attn-locked")), "not locked after click");
  const c = expected.cells[1];
  await hoverCell(w, c.q, c.k, 12);
  const got = await shownValue(w, c.q, c.k, 2);
  assert(f32(parseFloat(got.value)) === f32(c.value), `locked head value ${got.value} != ${c.value}`);
  assert(/L0H2 \(locked\)/.test(await w.locator(".mvz-attn-headname").textContent()), "head name");
  await t2.click();
  assert(!(await t2.evaluate((e) => e.classList.contains("mvz-attn-locked"))), "still locked after second click");
  await t2.click();
  assert(await t2.evaluate((e) => e.classList.contains("mvz-attn-locked")), "not locked again");
  await page.keyboard.press("Escape");
  await page.waitForFunction((e) => !e.classList.contains("mvz-attn-locked"), await t2.elementHandle(), { timeout: 5000 });
});

await test("layer selector switches layer (labels and values)", async () => {
  const w = W(0);
  await w.locator(".mvz-attn-layer").selectOption("1");
  await page.waitForFunction(
    (el) => el.querySelector(".mvz-attn-thumblabel").textContent === "L1H0", await w.elementHandle(), { timeout: 5000 });
  const c = expected.cells[2];
  await w.locator(`.mvz-attn-thumb[data-head="${c.head}"]`).click();
  await hoverCell(w, c.q, c.k, 12);
  const got = await shownValue(w, c.q, c.k, c.head);
  assert(f32(parseFloat(got.value)) === f32(c.value), `layer 1 value ${got.value} != ${c.value}`);
  await page.keyboard.press("Escape");
});

await test("token view: hover a token colours the others by attention, toggle direction", async () => {
  const w = W(0);
  const root = await w.elementHandle();
  await w.locator('.mvz-attn-tokspan[data-i="7"]').hover();
  await page.waitForFunction((el) => el.dataset.tokenview === "from:7", root, { timeout: 5000 });
  const ws = await w.locator(".mvz-attn-tokspan").evaluateAll((els) => els.map((e) => e.dataset.w ?? null));
  const want = expected.rowmax["1:7"];
  for (let j = 0; j < 7; j++)
    assert(ws[j] !== null && f32(parseFloat(ws[j])) === f32(want[j]), `from:7 token ${j}: ${ws[j]} != ${want[j]}`);
  const bg = await w.locator('.mvz-attn-tokspan[data-i="0"]').evaluate((e) => e.style.backgroundColor);
  assert(bg !== "", "token 0 not coloured");
  await w.locator(".mvz-attn-dir").click();
  await w.locator('.mvz-attn-tokspan[data-i="2"]').hover();
  await page.waitForFunction((el) => el.dataset.tokenview === "to:2", root, { timeout: 5000 });
  const ws2 = await w.locator(".mvz-attn-tokspan").evaluateAll((els) => els.map((e) => e.dataset.w ?? null));
  const want2 = expected.colmax["1:2"];
  for (let j = 3; j < 12; j++)
    assert(ws2[j] !== null && f32(parseFloat(ws2[j])) === f32(want2[j]), `to:2 token ${j}: ${ws2[j]} != ${want2[j]}`);
  await page.screenshot({ path: path.join(shots, "attention-tokens-light.png"), fullPage: true });
});

await test("tokens are escaped and whitespace is visible", async () => {
  const w = W(0);
  const texts = await w.locator(".mvz-attn-tokspan").allTextContents();
  assert(texts[3] === "<b>x</b>", `html token shown as ${texts[3]}`);
  assert((await w.locator(".mvz-attn-tokens b").count()) === 0, "token HTML was interpreted");
  assert(texts[4] === "⏎" && texts[7] === "·" && texts[6] === "Ġon" && texts[10] === "·&amp;", `tokens ${texts}`);
});

await test("colormap and range controls re-render from the kernel", async () => {
  const w = W(0);
  const before = await w.locator(".mvz-attn-thumbimg").first().evaluate((c) => c.toDataURL());
  await w.locator(".mvz-attn-cmap").selectOption("Blues");
  await page.waitForFunction(
    ([c, b]) => c.toDataURL() !== b, [await w.locator(".mvz-attn-thumbimg").first().elementHandle(), before], { timeout: 5000 });
  await w.locator(".mvz-attn-mask").uncheck();
  await page.waitForTimeout(300);
  await page.evaluate(() => document.body.classList.add("dark"));
  await page.screenshot({ path: path.join(shots, "attention-dark.png"), fullPage: true });
  await page.evaluate(() => document.body.classList.remove("dark"));
});

await test("zoom in on a [2, 1000, 1000] head: finer tiles arrive", async () => {
  const s = await page.evaluate((d) => window.mvz.exec(`%load big = ${d}/big.npy\n%attention big --cmap magma`), dataDir);
  assert(s.status === "ok", `execute ${s.status}: ${s.evalue}`);
  const w = W(1);
  await w.waitFor({ timeout: 10000 });
  const root = await w.elementHandle();
  await page.waitForFunction((el) => Number(el.dataset.tiles) > 0, root, { timeout: 10000 });
  const level0 = Number(await w.evaluate((el) => el.dataset.level));
  assert(level0 >= 1, `starts at level ${level0}`);
  const tiles0 = Number(await w.evaluate((el) => el.dataset.tiles));
  await w.locator(".mvz-attn-stage").scrollIntoViewIfNeeded();
  const box = await w.locator(".mvz-attn-overlay").boundingBox();
  await page.mouse.move(box.x + 100, box.y + 100);
  for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -400);
  await page.waitForFunction((el) => el.dataset.level === "0", root, { timeout: 5000 });
  await page.waitForFunction(([el, n]) => Number(el.dataset.tiles) > n, [root, tiles0], { timeout: 10000 });
  // hover a sharp weight on the diagonal: exact value from the kernel
  const info = w.locator(".mvz-attn-info");
  await page.mouse.move(box.x + 240, box.y + 240);
  await page.waitForFunction((el) => el.dataset.value && el.dataset.value !== "…", await info.elementHandle(), { timeout: 5000 });
  const q = Number(await info.evaluate((el) => el.dataset.q)), k = Number(await info.evaluate((el) => el.dataset.k));
  const v = await info.evaluate((el) => el.dataset.value);
  assert(q === k ? v === "1" : v === "0", `big[0, ${q}, ${k}] shown as ${v}`);
  // drag pans; keyboard zooms out and resets
  await page.mouse.down();
  await page.mouse.move(box.x + 140, box.y + 140, { steps: 5 });
  await page.mouse.up();
  await page.screenshot({ path: path.join(shots, "attention-zoomed.png"), fullPage: true });
  await page.keyboard.press("0");
  await page.waitForFunction(([el, l]) => el.dataset.level === String(l), [root, level0], { timeout: 5000 });
  await page.keyboard.press("+");
  await page.keyboard.press("ArrowRight");
});

await test("a [2, 4096, 4096] float16 view: thumbnails, zoom by keyboard, exact values, 4096-token view", async () => {
  const s = await page.evaluate(
    (d) => window.mvz.exec(`%load long = ${d}/long.npy\n%load long_toks = ${d}/long_toks.json\n%attention long --tokens long_toks`),
    dataDir,
  );
  assert(s.status === "ok", `execute ${s.status}: ${s.evalue}`);
  const w = page.locator(".cell").last().locator(".mvz-attn");
  await w.waitFor({ timeout: 10000 });
  const root = await w.elementHandle();
  await page.waitForFunction((el) => el.dataset.ready === "1" && Number(el.dataset.tiles) > 0, root, { timeout: 20000 });
  await page.waitForFunction(
    (el) => [...el.querySelectorAll(".mvz-attn-thumbimg")].every((c) => c.width === 96), root, { timeout: 20000 });
  assert((await w.evaluate((el) => el.dataset.level)) === "4", "a 4096 head fits at level 4");
  assert((await w.locator(".mvz-attn-tokspan").count()) === 4096, "4096 tokens");
  // lock head 1; keyboard: "+" zooms in (finer levels), arrows pan, "0" resets
  await w.locator('.mvz-attn-thumb[data-head="1"]').click();
  await w.locator(".mvz-attn-canvas").focus();
  await page.keyboard.press("+");
  await page.keyboard.press("+");
  const lv = Number(await w.evaluate((el) => el.dataset.level));
  assert(lv < 4, `"+" did not zoom in (level ${lv})`);
  await page.keyboard.press("0");
  await page.waitForFunction((el) => el.dataset.level === "4", root, { timeout: 5000 });
  // wheel-zoom about the screen position of cell (3000, 1234): it stays under the mouse
  await w.locator(".mvz-attn-stage").scrollIntoViewIfNeeded();
  const box = await w.locator(".mvz-attn-overlay").boundingBox();
  const s0 = 480 / 4096;
  const tx = box.x + (1234 + 0.5) * s0, ty = box.y + (3000 + 0.5) * s0;
  await page.mouse.move(tx, ty);
  const tiles0 = Number(await w.evaluate((el) => el.dataset.tiles));
  for (let i = 0; i < 7; i++) await page.mouse.wheel(0, -400); // about 8 px per cell
  await page.waitForFunction((el) => el.dataset.level === "0", root, { timeout: 5000 });
  await page.mouse.move(tx + 1, ty);
  await page.mouse.move(tx, ty);
  const info = w.locator(".mvz-attn-info");
  // pointer positions are whole pixels (~4 cells at the fitted scale): step to the cell
  await page.waitForFunction((el) => el.dataset.q && el.dataset.value !== "…", await info.elementHandle(), { timeout: 5000 });
  const [hq, hk] = await info.evaluate((el) => [Number(el.dataset.q), Number(el.dataset.k)]);
  const ppc = parseFloat(await w.locator(".mvz-attn-zoom").textContent());
  assert(ppc >= 4 && Math.abs(hq - 3000) < 8 && Math.abs(hk - 1234) < 8, `zoomed to ${ppc} px/cell near (${hq}, ${hk})`);
  const cx = tx + (1234 - hk) * ppc, cy = ty + (3000 - hq) * ppc;
  await page.mouse.move(cx, cy);
  await page.waitForFunction(
    (el) => el.dataset.q === "3000" && el.dataset.k === "1234" && el.dataset.value !== "…",
    await info.elementHandle(), { timeout: 5000 });
  assert((await info.evaluate((el) => el.dataset.value)) === "0.125", "exact weight of the sharp cell");
  await page.waitForFunction(([el, n]) => Number(el.dataset.tiles) > n, [root, tiles0], { timeout: 10000 });
  await page.screenshot({ path: path.join(shots, "attention-4096-zoomed.png") });
  // an arrow key pans: the cell under the mouse moves right
  await page.keyboard.press("ArrowRight");
  await page.mouse.move(cx + 1, cy);
  await page.waitForFunction((el) => Number(el.dataset.k) > 1234 && el.dataset.value !== "…", await info.elementHandle(), { timeout: 5000 });
  // the 4096-token view: token 3000 attends (head 1) to 0, 1234 and itself
  await w.locator('.mvz-attn-tokspan[data-i="3000"]').scrollIntoViewIfNeeded();
  await w.locator('.mvz-attn-tokspan[data-i="3000"]').hover();
  await page.waitForFunction((el) => el.dataset.tokenview === "from:3000", root, { timeout: 10000 });
  const ws = await w.locator(".mvz-attn-tokspan").evaluateAll((els) => [els[0].dataset.w, els[1234].dataset.w, els[5].dataset.w]);
  assert(ws[0] === "0.5" && ws[1] === "0.125" && ws[2] === "0", `token weights ${ws}`);
  await page.screenshot({ path: path.join(shots, "attention-4096.png") });
});

await test("a malformed request from the page gets an error reply; the kernel lives", async () => {
  const r = await page.evaluate(async () => {
    const m = window.mvz.manager;
    const ids = Object.keys(m._models);
    const model = await m._models[ids[0]];
    const reply = await new Promise((resolve) => {
      const onMsg = (content) => {
        if (content && content.id === "bad-1") {
          model.off("msg:custom", onMsg);
          resolve(content);
        }
      };
      model.on("msg:custom", onMsg);
      model.send({ type: "tile", id: "bad-1", layer: 0, head: 99, z: 0, x: 1e300, y: "0" });
    });
    const s = await window.mvz.exec("%who");
    return { reply, status: s.status };
  });
  assert(r.reply.type === "error" && /head/.test(r.reply.error), `reply ${JSON.stringify(r.reply)}`);
  assert(r.status === "ok", "kernel did not answer after the bad request");
});

await test("demo view for the README: induction head locked, token view", async () => {
  await page.evaluate(() => {
    for (const c of document.querySelectorAll(".cell")) c.style.display = "none";
  });
  const s = await page.evaluate(
    (d) => window.mvz.exec(`%load demo = ${d}/demo.npy\n%load demo_toks = ${d}/demo_toks.json\n%attention demo --tokens demo_toks --layer 1`),
    dataDir,
  );
  assert(s.status === "ok", `execute ${s.status}: ${s.evalue}`);
  const w = page.locator(".cell").last().locator(".mvz-attn");
  await w.waitFor({ timeout: 10000 });
  const root = await w.elementHandle();
  await page.waitForFunction((el) => el.dataset.ready === "1" && Number(el.dataset.tiles) > 0, root, { timeout: 10000 });
  await w.locator('.mvz-attn-thumb[data-head="1"]').click();
  await page.waitForFunction((el) => el.querySelector(".mvz-attn-headname").textContent.includes("L1H1"), root);
  await hoverCell(w, 27, 12, 33);
  await shownValue(w, 27, 12, 1);
  await w.locator('.mvz-attn-tokspan[data-i="27"]').hover();
  await page.waitForFunction((el) => el.dataset.tokenview === "from:27", root, { timeout: 5000 });
  const w12 = await w.locator('.mvz-attn-tokspan[data-i="12"]').evaluate((e) => e.dataset.w);
  assert(parseFloat(w12) > 0.5, `induction target weight ${w12}`);
  await page.waitForTimeout(200);
  await w.screenshot({ path: path.join(shots, "attention-demo.png") });
});

await test("reload: a fresh page restores the widget from the kernel (control comm)", async () => {
  const kernelId = await page.evaluate(() => window.mvz.kernel.id);
  const page2 = await context.newPage();
  page2.on("pageerror", (e) => pageErrors.push(`page2: ${e}`));
  page2.on("console", (m) => {
    if (process.env.MVZ_VERBOSE) console.log(`  [page2 console.${m.type()}] ${m.text()}`);
  });
  try {
    await page2.goto(url);
    await page2.waitForFunction(() => window.mvz && window.mvz.ready, null, { timeout: 20000 });
    const step = (m) => process.env.MVZ_VERBOSE && console.log(`  reload: ${m}`);
    await page2.evaluate((id) => window.mvz.start(id), kernelId);
    step("connected");
    const ids = await page2.evaluate(async () => {
      await window.mvz.manager._loadFromKernel();
      return Object.keys(window.mvz.manager._models);
    });
    step(`restored ${ids.length} models`);
    assert(ids.includes(summary.model_ids[0]), `restored ${ids} lacks ${summary.model_ids[0]}`);
    await page2.evaluate((id) => window.mvz.show(id), summary.model_ids[0]);
    const w = page2.locator(".mvz-attn").first();
    await w.waitFor({ timeout: 10000 });
    const root = await w.elementHandle();
    step("view shown");
    await page2.waitForFunction((el) => el.dataset.ready === "1" && Number(el.dataset.tiles) > 0, root, { timeout: 10000 });
    step("view ready");
    const box = await w.locator(".mvz-attn-overlay").boundingBox();
    const c = expected.cells[3]; // layer 1 (the layer chosen before the reload), head 3
    await w.locator(`.mvz-attn-thumb[data-head="${c.head}"]`).click();
    await page2.mouse.move(box.x + (c.k + 0.5) * 40, box.y + (c.q + 0.5) * 40);
    const info = await w.locator(".mvz-attn-info").elementHandle();
    await page2.waitForFunction(
      ([el, q, k]) => el.dataset.q === String(q) && el.dataset.k === String(k) && el.dataset.value !== "…",
      [info, c.q, c.k], { timeout: 10000 });
    const v = await w.locator(".mvz-attn-info").evaluate((el) => el.dataset.value);
    assert(f32(parseFloat(v)) === f32(c.value), `restored view shows ${v}, want ${c.value}`);
    await page2.screenshot({ path: path.join(shots, "attention-restored.png") });
  } finally {
    await page2.close();
  }
});

await test("no page errors", async () => {
  assert(pageErrors.length === 0, pageErrors.join(" | "));
});

await browser.close();
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
