// SPDX-License-Identifier: MIT
// attention.js -- the attention view: head grid, zoomable head over kernel tiles, token view.
//
// An anywidget front-end module (AFM). The kernel keeps the tensor; this module asks for
// what is on screen with model.send({type, id, ...}) and gets replies as custom messages
// carrying PNG tiles/thumbnails or exact float32 slices (see src/widget_attention.c).
// It must stay one self-contained file: anywidget imports `_esm` from a blob URL, where
// relative imports do not resolve. No framework, no network, no globals: every listener is
// on this view's own elements or the model, and render() returns a cleanup.

const ROOT = "mvz-attn";
const TILE_CACHE_MAX = 600; // decoded tiles kept per view
const MIN_CELL_PX = 1 / 64; // most zoomed-out scale, CSS px per cell
const MAX_CELL_PX = 48; // most zoomed-in scale
const REQUEST_TIMEOUT_MS = 20000;

/** @param {boolean} cond @param {string} msg */
function assert(cond, msg) {
  if (!cond) throw new Error(`[mechviz attention] ${msg}`);
}

/** Creates an element with a class under `parent`. */
function el(tag, cls, parent, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/** A token as shown: whitespace made visible; always used through textContent. */
export function showToken(s) {
  if (s === null || s === undefined) return "∅";
  s = String(s);
  if (s.length === 0) return "∅";
  return s.replace(/\r\n|\n/g, "⏎").replace(/\t/g, "⇥").replace(/ /g, "·");
}

/** Shortest decimal that reads back as the same float32 (or float64). */
export function formatWeight(v, f64) {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  for (let p = 1; p <= 17; p++) {
    const s = Number(v.toPrecision(p));
    if (f64 ? s === v : Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** Bytes of a widget buffer (DataView, ArrayBuffer or typed array). */
function bytesOf(b) {
  if (b instanceof DataView) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new Error("unexpected buffer type");
}

/** Float values of a slice reply. */
function floatsOf(b, dtype) {
  const u8 = bytesOf(b).slice(); // copy: aligned
  return dtype === "float64" ? new Float64Array(u8.buffer) : new Float32Array(u8.buffer);
}

async function decodePng(buf) {
  const blob = new Blob([bytesOf(buf)], { type: "image/png" });
  return await createImageBitmap(blob);
}

/** Request/reply matching over the model's custom messages. */
class Client {
  constructor(model) {
    this.model = model;
    this.tag = Math.random().toString(36).slice(2, 8);
    this.n = 0;
    this.pending = new Map();
    this.onMsg = (content, buffers) => this.receive(content, buffers || []);
    model.on("msg:custom", this.onMsg);
  }
  request(content) {
    const id = `${this.tag}:${++this.n}`;
    return new Promise((resolve, reject) => {
      // a reply that never comes (kernel busy, restarted, message dropped) must not
      // block the tile it was for forever
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new Error(`no reply to ${content.type} request`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.model.send({ ...content, id });
    });
  }
  receive(content, buffers) {
    if (!content || typeof content !== "object") return;
    const p = this.pending.get(content.id);
    if (!p) return; // another view's reply, or one we gave up on
    this.pending.delete(content.id);
    clearTimeout(p.timer);
    if (content.type === "error") p.reject(new Error(content.error));
    else p.resolve({ content, buffers });
  }
  dispose() {
    this.model.off("msg:custom", this.onMsg);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error("view closed"));
    }
    this.pending.clear();
  }
}

/** A small LRU of decoded images. */
class ImageCache {
  constructor(max) {
    this.max = max;
    this.map = new Map();
  }
  get(k) {
    const v = this.map.get(k);
    if (v) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k, v) {
    this.map.set(k, v);
    while (this.map.size > this.max) {
      const [old, img] = this.map.entries().next().value;
      this.map.delete(old);
      if (img && img.close) img.close();
    }
  }
  clear() {
    for (const img of this.map.values()) if (img && img.close) img.close();
    this.map.clear();
  }
}

function render({ model, el: host }) {
  const client = new Client(model);
  const cleanups = [() => client.dispose()];
  const on = (target, type, fn, opts) => {
    target.addEventListener(type, fn, opts);
    cleanups.push(() => target.removeEventListener(type, fn, opts));
  };
  const onModel = (ev, fn) => {
    model.on(ev, fn);
    cleanups.push(() => model.off(ev, fn));
  };
  let alive = true;

  const shape = model.get("shape");
  assert(Array.isArray(shape) && shape.length === 4, "state without a shape");
  const [NL, NH, Q, K] = shape;
  const levels = model.get("levels");
  const TS = model.get("tile_size") || 256;
  const dpr = () => window.devicePixelRatio || 1;
  const style = () => ({
    cmap: model.get("cmap"),
    vmin: model.get("vmin"),
    vmax: model.get("vmax"),
    mask: !!model.get("mask"),
  });
  const styleKey = () => {
    const s = style();
    return `${s.cmap}|${s.vmin}|${s.vmax}|${s.mask}`;
  };
  const layerLabel = (l) => l + (model.get("layer_base") || 0);

  // ---- DOM -------------------------------------------------------------------------------
  const root = el("div", ROOT, host);
  root.tabIndex = 0;
  // keys typed in the view (0, arrows, +/-) are ours, not JupyterLab's command shortcuts
  root.dataset.lmSuppressShortcuts = "true";
  root.dataset.pSuppressShortcuts = "true";
  root.dataset.tiles = "0";
  const bar = el("div", `${ROOT}-bar`, root);
  el("span", `${ROOT}-title`, bar, model.get("title") || model.get("tensor"));
  el("span", `${ROOT}-shape`, bar, `[${(model.get("tensor_shape") || shape).join(", ")}] ${model.get("dtype") || ""}`);
  let layerSel = null;
  if (model.get("has_layers")) {
    const lab = el("label", `${ROOT}-ctl`, bar, "layer ");
    layerSel = el("select", `${ROOT}-layer`, lab);
    for (let l = 0; l < NL; l++) {
      const o = el("option", "", layerSel, `L${layerLabel(l)}`);
      o.value = String(l);
    }
    layerSel.value = String(model.get("layer"));
    on(layerSel, "change", () => {
      model.set("layer", Number(layerSel.value));
      model.save_changes();
    });
  }
  const cmapLab = el("label", `${ROOT}-ctl`, bar, "colormap ");
  const cmapSel = el("select", `${ROOT}-cmap`, cmapLab);
  const cmaps = model.get("cmaps") || [model.get("cmap")];
  if (!cmaps.includes(model.get("cmap"))) cmaps.unshift(model.get("cmap"));
  for (const c of cmaps) el("option", "", cmapSel, c).value = c;
  cmapSel.value = model.get("cmap");
  on(cmapSel, "change", () => {
    model.set("cmap", cmapSel.value);
    model.save_changes();
  });
  const rangeLab = el("label", `${ROOT}-ctl`, bar, "range ");
  const vminIn = el("input", `${ROOT}-vmin`, rangeLab);
  const bar2 = el("canvas", `${ROOT}-colorbar`, rangeLab);
  bar2.width = 253;
  bar2.height = 1;
  const vmaxIn = el("input", `${ROOT}-vmax`, rangeLab);
  for (const i of [vminIn, vmaxIn]) {
    i.type = "number";
    i.step = "any";
  }
  vminIn.value = String(model.get("vmin"));
  vmaxIn.value = String(model.get("vmax"));
  const onRange = () => {
    const a = Number(vminIn.value), b = Number(vmaxIn.value);
    if (!(Number.isFinite(a) && Number.isFinite(b) && a < b)) {
      rangeLab.classList.add(`${ROOT}-bad`);
      return;
    }
    rangeLab.classList.remove(`${ROOT}-bad`);
    model.set("vmin", a);
    model.set("vmax", b);
    model.save_changes();
  };
  on(vminIn, "change", onRange);
  on(vmaxIn, "change", onRange);
  const maskLab = el("label", `${ROOT}-ctl`, bar);
  const maskIn = el("input", `${ROOT}-mask`, maskLab);
  maskIn.type = "checkbox";
  maskIn.checked = !!model.get("mask");
  el("span", "", maskLab, " causal mask");
  on(maskIn, "change", () => {
    model.set("mask", maskIn.checked);
    model.save_changes();
  });

  const hint = el(
    "div",
    `${ROOT}-hint`,
    root,
    "Hover a head to preview it · click to lock · click again or Esc to unlock · " +
      "wheel/drag or +/−/arrows to zoom and pan, 0 to reset",
  );
  const main = el("div", `${ROOT}-main`, root);
  const grid = el("div", `${ROOT}-grid`, main);
  const headBox = el("div", `${ROOT}-headbox`, main);
  const headBar = el("div", `${ROOT}-headbar`, headBox);
  const headName = el("span", `${ROOT}-headname`, headBar);
  const zoomTxt = el("span", `${ROOT}-zoom`, headBar);
  const btnIn = el("button", `${ROOT}-btn`, headBar, "+");
  const btnOut = el("button", `${ROOT}-btn`, headBar, "−");
  const btnReset = el("button", `${ROOT}-btn ${ROOT}-reset`, headBar, "reset");
  const stage = el("div", `${ROOT}-stage`, headBox);
  const canvas = el("canvas", `${ROOT}-canvas`, stage);
  const overlay = el("canvas", `${ROOT}-overlay`, stage);
  canvas.tabIndex = 0;
  const info = el("div", `${ROOT}-info`, headBox, "hover a cell");
  const tokBar = el("div", `${ROOT}-tokbar`, root);
  const tokDirBtn = el("button", `${ROOT}-btn ${ROOT}-dir`, tokBar);
  const tokWhich = el("span", `${ROOT}-tokwhich`, tokBar);
  const tokBox = el("div", `${ROOT}-tokens`, root);
  const status = el("div", `${ROOT}-status`, root);

  // ---- state -------------------------------------------------------------------------------
  let hoverHead = -1; // previewed head (grid hover), -1 none
  const locked = () => {
    const h = model.get("head");
    return Number.isInteger(h) && h >= 0 && h < NH ? h : -1;
  };
  const shownHead = () => (hoverHead >= 0 ? hoverHead : locked() >= 0 ? locked() : 0);
  const layer = () => {
    const l = model.get("layer");
    return Number.isInteger(l) && l >= 0 && l < NL ? l : 0;
  };
  let tokens = null; // array of strings or null
  let tokDir = "from"; // "from": what the hovered token attends to; "to": who attends to it
  let hoverTok = -1;

  let statusTimer = 0;
  const showError = (e) => {
    if (!alive || !e || e.message === "view closed") return;
    status.textContent = String(e.message || e);
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => (status.textContent = ""), 10000);
  };
  cleanups.push(() => clearTimeout(statusTimer));

  // ---- thumbnails ------------------------------------------------------------------------
  const thumbs = [];
  for (let h = 0; h < NH; h++) {
    const cell = el("div", `${ROOT}-thumb`, grid);
    cell.dataset.head = String(h);
    const c = el("canvas", `${ROOT}-thumbimg`, cell);
    c.width = 64;
    c.height = 64;
    const lab = el("span", `${ROOT}-thumblabel`, cell);
    thumbs.push({ cell, canvas: c, label: lab, key: "" });
    on(cell, "mouseenter", () => {
      hoverHead = h;
      refreshHead();
    });
    on(cell, "mouseleave", () => {
      if (hoverHead === h) hoverHead = -1;
      refreshHead();
    });
    on(cell, "click", () => {
      model.set("head", locked() === h ? -1 : h);
      model.save_changes();
      refreshHead();
    });
  }
  const thumbCache = new ImageCache(4 * NH * Math.min(NL, 4) + 16);
  function refreshThumbs() {
    const l = layer(), sk = styleKey();
    for (let h = 0; h < NH; h++) {
      const t = thumbs[h];
      t.label.textContent = `L${layerLabel(l)}H${h}`;
      const key = `${l}|${h}|${sk}`;
      if (t.key === key) continue;
      t.key = key;
      const draw = (img) => {
        if (t.key !== key) return;
        const ctx = t.canvas.getContext("2d");
        t.canvas.width = img.width;
        t.canvas.height = img.height;
        ctx.imageSmoothingEnabled = false;
        ctx.clearRect(0, 0, img.width, img.height);
        ctx.drawImage(img, 0, 0);
      };
      const cached = thumbCache.get(key);
      if (cached) {
        draw(cached);
        continue;
      }
      client
        .request({ type: "thumb", layer: l, head: h, size: model.get("thumb_size") || 96, ...style() })
        .then(async ({ buffers }) => {
          const img = await decodePng(buffers[0]);
          thumbCache.set(key, img);
          if (alive) draw(img);
        })
        .catch((e) => {
          if (t.key === key) t.key = ""; // ask again on the next refresh
          showError(e);
        });
    }
    refreshGridMarks();
  }
  function refreshGridMarks() {
    const lk = locked();
    for (let h = 0; h < NH; h++) {
      thumbs[h].cell.classList.toggle(`${ROOT}-locked`, h === lk);
      thumbs[h].cell.classList.toggle(`${ROOT}-preview`, h === hoverHead && h !== lk);
    }
  }

  // ---- the head view: zoom and pan over tiles ------------------------------------------------
  const VIEW = 480; // CSS px
  let scale = 1; // CSS px per cell
  let ox = 0, oy = 0; // cell coordinates at the top-left corner
  function fit() {
    scale = Math.min(VIEW / K, VIEW / Q);
    ox = 0;
    oy = 0;
    clampView();
  }
  function clampView() {
    scale = Math.min(MAX_CELL_PX, Math.max(Math.min(MIN_CELL_PX, VIEW / Math.max(Q, K)), scale));
    const vw = VIEW / scale, vh = VIEW / scale;
    ox = Math.max(Math.min(ox, K - vw * 0.25), -vw * 0.75);
    oy = Math.max(Math.min(oy, Q - vh * 0.25), -vh * 0.75);
  }
  function zoomAt(factor, px, py) {
    const cx = ox + px / scale, cy = oy + py / scale;
    scale *= factor;
    clampView();
    ox = cx - px / scale;
    oy = cy - py / scale;
    clampView();
    draw();
  }
  for (const c of [canvas, overlay]) {
    c.width = Math.round(VIEW * dpr());
    c.height = Math.round(VIEW * dpr());
    c.style.width = `${VIEW}px`;
    c.style.height = `${VIEW}px`;
  }
  const tileCache = new ImageCache(TILE_CACHE_MAX);
  const inflight = new Set();
  let tilesReceived = 0;

  function levelFor() {
    const cellsPerDevPx = 1 / (scale * dpr());
    let L = Math.ceil(Math.log2(Math.max(cellsPerDevPx, 1e-9)) - 1e-9);
    return Math.min(Math.max(L, 0), levels - 1);
  }
  function tileKey(l, h, z, x, y) {
    return `${l}|${h}|${z}|${x}|${y}|${styleKey()}`;
  }
  function drawTile(ctx, img, z, x, y, opaque) {
    const span = TS * 2 ** z, b = 2 ** z;
    const cx = x * span, cy = y * span;
    const wCells = Math.min(img.width * b, K - cx), hCells = Math.min(img.height * b, Q - cy);
    // source pixels covering exactly wCells x hCells cells (the last may be partial)
    const sw = wCells / b, sh = hCells / b;
    const dx = (cx - ox) * scale, dy = (cy - oy) * scale, dw = wCells * scale, dh = hCells * scale;
    if (opaque) ctx.clearRect(dx, dy, dw, dh); // translucent mask cells must not show the backdrop
    ctx.drawImage(img, 0, 0, sw, sh, dx, dy, dw, dh);
  }
  function draw() {
    if (!alive) return;
    const ctx = canvas.getContext("2d");
    const d = dpr();
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, VIEW, VIEW);
    const l = layer(), h = shownHead();
    const z = levelFor();
    const span = TS * 2 ** z;
    const x0 = Math.max(0, Math.floor(ox / span)), y0 = Math.max(0, Math.floor(oy / span));
    const x1 = Math.min(Math.ceil(K / span) - 1, Math.floor((ox + VIEW / scale) / span));
    const y1 = Math.min(Math.ceil(Q / span) - 1, Math.floor((oy + VIEW / scale) / span));
    // a coarse backdrop while finer tiles arrive
    const top = levels - 1;
    const back = tileCache.get(tileKey(l, h, top, 0, 0));
    if (back && z !== top) drawTile(ctx, back, top, 0, 0);
    else if (!back) requestTile(l, h, top, 0, 0);
    for (let y = y0; y <= y1; y++)
      for (let x = x0; x <= x1; x++) {
        const img = tileCache.get(tileKey(l, h, z, x, y));
        if (img) drawTile(ctx, img, z, x, y, true);
        else requestTile(l, h, z, x, y);
      }
    // the plane's outline
    ctx.strokeStyle = "rgba(128,128,128,0.6)";
    ctx.lineWidth = 1;
    ctx.strokeRect((0 - ox) * scale, (0 - oy) * scale, K * scale, Q * scale);
    const lk = locked();
    headName.textContent =
      `L${layerLabel(l)}H${h}` + (lk === h ? " (locked)" : hoverHead >= 0 ? " (preview)" : "");
    zoomTxt.textContent =
      (scale >= 1 ? `${scale.toFixed(1)} px per cell` : `${(1 / scale).toFixed(1)} cells per px`) +
      ` · level ${z}`;
    root.dataset.level = String(z);
    drawOverlay();
  }
  function requestTile(l, h, z, x, y) {
    const key = tileKey(l, h, z, x, y);
    if (inflight.has(key)) return;
    inflight.add(key);
    client
      .request({ type: "tile", layer: l, head: h, z, x, y, ...style() })
      .then(async ({ buffers }) => {
        const img = await decodePng(buffers[0]);
        tileCache.set(key, img);
        tilesReceived++;
        root.dataset.tiles = String(tilesReceived);
        inflight.delete(key);
        if (alive) scheduleDraw();
      })
      .catch((e) => {
        inflight.delete(key);
        showError(e);
      });
  }
  let drawQueued = false;
  function scheduleDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => {
      drawQueued = false;
      draw();
    });
  }
  function refreshHead() {
    refreshGridMarks();
    draw();
    refreshTokenColours();
  }

  // ---- hover: exact values from the kernel -----------------------------------------------------
  let hoverCell = null; // [q, k]
  let hoverSeq = 0;
  function drawOverlay() {
    const ctx = overlay.getContext("2d");
    const d = dpr();
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.clearRect(0, 0, VIEW, VIEW);
    if (hoverTok >= 0) {
      // the hovered token's row (what it attends to) or column (who attends to it)
      ctx.fillStyle = "rgba(255, 120, 0, 0.22)";
      ctx.strokeStyle = "rgba(255, 120, 0, 0.9)";
      ctx.lineWidth = 1;
      const r =
        tokDir === "from"
          ? [(0 - ox) * scale, (hoverTok - oy) * scale, K * scale, Math.max(scale, 1)]
          : [(hoverTok - ox) * scale, (0 - oy) * scale, Math.max(scale, 1), Q * scale];
      ctx.fillRect(...r);
      ctx.strokeRect(...r);
    }
    if (!hoverCell) return;
    const [q, k] = hoverCell;
    ctx.strokeStyle = "rgba(255,64,64,0.95)";
    ctx.lineWidth = 1.5;
    const s = Math.max(scale, 3);
    ctx.strokeRect((k - ox) * scale - (s - scale) / 2, (q - oy) * scale - (s - scale) / 2, s, s);
  }
  function tokText(i) {
    return tokens && i >= 0 && i < tokens.length ? showToken(tokens[i]) : "";
  }
  function setInfo(q, k, text) {
    info.textContent = "";
    const qs = el("span", `${ROOT}-q`, info, `q ${q}`);
    if (tokens) el("span", `${ROOT}-tok ${ROOT}-qtok`, info, tokText(q));
    el("span", `${ROOT}-arrow`, info, " → ");
    el("span", `${ROOT}-k`, info, `k ${k}`);
    if (tokens) el("span", `${ROOT}-tok ${ROOT}-ktok`, info, tokText(k));
    el("span", `${ROOT}-eq`, info, " = ");
    const v = el("span", `${ROOT}-value`, info, text);
    info.dataset.q = String(q);
    info.dataset.k = String(k);
    info.dataset.value = text;
    qs.title = "query position";
    return v;
  }
  function hoverAt(px, py) {
    const k = Math.floor(ox + px / scale), q = Math.floor(oy + py / scale);
    if (q < 0 || q >= Q || k < 0 || k >= K) {
      hoverCell = null;
      markTokens(-1, -1);
      drawOverlay();
      return;
    }
    if (hoverCell && hoverCell[0] === q && hoverCell[1] === k) return;
    hoverCell = [q, k];
    markTokens(q, k);
    drawOverlay();
    setInfo(q, k, "…");
    askValue();
  }
  // At most one hover request in flight: when it returns, ask for the cell under the
  // pointer now if it moved meanwhile (fast mouse moves on a slow link send few requests).
  let hoverBusy = false;
  function askValue() {
    if (hoverBusy || !hoverCell) return;
    const [q, k] = hoverCell;
    const seq = ++hoverSeq;
    const l = layer(), h = shownHead();
    hoverBusy = true;
    client
      .request({ type: "slice", layer: l, head: h, q0: q, k0: k, nq: 1, nk: 1 })
      .then(({ content, buffers }) => {
        hoverBusy = false;
        if (!alive) return;
        const now = hoverCell;
        if (seq === hoverSeq && now && now[0] === q && now[1] === k && l === layer() && h === shownHead()) {
          const v = floatsOf(buffers[0], content.dtype)[0];
          setInfo(q, k, formatWeight(v, content.dtype === "float64"));
          info.dataset.head = String(h);
        } else {
          askValue(); // the pointer (or the head) moved on
        }
      })
      .catch((e) => {
        hoverBusy = false;
        showError(e);
      });
  }

  // ---- pointer and keyboard ------------------------------------------------------------------
  let drag = null;
  const local = (ev) => {
    const r = overlay.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  on(overlay, "pointerdown", (ev) => {
    const [px, py] = local(ev);
    drag = { px, py, ox, oy, moved: false };
    overlay.setPointerCapture(ev.pointerId);
    canvas.focus({ preventScroll: true });
  });
  on(overlay, "pointermove", (ev) => {
    const [px, py] = local(ev);
    if (drag) {
      const dx = px - drag.px, dy = py - drag.py;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      if (drag.moved) {
        ox = drag.ox - dx / scale;
        oy = drag.oy - dy / scale;
        clampView();
        draw();
        return;
      }
    }
    hoverAt(px, py);
  });
  const endDrag = (ev) => {
    if (drag && overlay.hasPointerCapture(ev.pointerId)) overlay.releasePointerCapture(ev.pointerId);
    drag = null;
  };
  on(overlay, "pointerup", endDrag);
  on(overlay, "pointercancel", endDrag);
  on(overlay, "pointerleave", () => {
    if (drag) return;
    hoverCell = null;
    markTokens(-1, -1);
    drawOverlay();
  });
  on(
    overlay,
    "wheel",
    (ev) => {
      ev.preventDefault();
      const [px, py] = local(ev);
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? VIEW : 1; // lines, pages
      zoomAt(Math.pow(1.0015, -ev.deltaY * unit), px, py);
    },
    { passive: false },
  );
  on(btnIn, "click", () => zoomAt(1.5, VIEW / 2, VIEW / 2));
  on(btnOut, "click", () => zoomAt(1 / 1.5, VIEW / 2, VIEW / 2));
  on(btnReset, "click", () => {
    fit();
    draw();
  });
  on(root, "keydown", (ev) => {
    const step = (VIEW / scale) * 0.1;
    let handled = true;
    if (ev.key === "Escape") {
      if (locked() >= 0) {
        model.set("head", -1);
        model.save_changes();
        refreshHead();
      }
    } else if (ev.target === vminIn || ev.target === vmaxIn) {
      handled = false;
    } else if (ev.key === "+" || ev.key === "=") zoomAt(1.25, VIEW / 2, VIEW / 2);
    else if (ev.key === "-" || ev.key === "_") zoomAt(0.8, VIEW / 2, VIEW / 2);
    else if (ev.key === "0") {
      fit();
      draw();
    } else if (ev.key === "ArrowLeft") (ox -= step), clampView(), draw();
    else if (ev.key === "ArrowRight") (ox += step), clampView(), draw();
    else if (ev.key === "ArrowUp") (oy -= step), clampView(), draw();
    else if (ev.key === "ArrowDown") (oy += step), clampView(), draw();
    else handled = false;
    if (handled) {
      ev.preventDefault();
      ev.stopPropagation(); // keep Jupyter's own shortcuts out of it
    }
  });

  // ---- token view ----------------------------------------------------------------------------
  const tokSpans = [];
  function dirText() {
    tokDirBtn.textContent =
      tokDir === "from" ? "showing: what the hovered token attends to" : "showing: which tokens attend to the hovered token";
    const lk = locked();
    tokWhich.textContent = lk >= 0 ? ` · head L${layerLabel(layer())}H${lk}` : ` · max over the heads of L${layerLabel(layer())}`;
  }
  on(tokDirBtn, "click", () => {
    tokDir = tokDir === "from" ? "to" : "from";
    refreshTokenColours();
    drawOverlay();
  });
  function buildTokens() {
    tokBox.textContent = "";
    tokSpans.length = 0;
    if (!tokens) {
      el("span", `${ROOT}-notokens`, tokBox, "no tokens (pass --tokens NAME to label positions)");
      return;
    }
    const frag = document.createDocumentFragment();
    tokens.forEach((t, i) => {
      const s = el("span", `${ROOT}-tokspan`, frag, showToken(t));
      s.dataset.i = String(i);
      s.title = `position ${i}`;
      tokSpans.push(s);
    });
    tokBox.appendChild(frag);
  }
  // one listener for all tokens (sequences can be long)
  on(tokBox, "mouseover", (ev) => {
    const s = ev.target.closest ? ev.target.closest(`.${ROOT}-tokspan`) : null;
    if (!s || !tokBox.contains(s)) return;
    const i = Number(s.dataset.i);
    if (i === hoverTok) return;
    hoverTok = i;
    refreshTokenColours();
    drawOverlay();
  });
  on(tokBox, "mouseleave", () => {
    hoverTok = -1;
    refreshTokenColours();
    drawOverlay();
  });
  let markedToks = [];
  function markTokens(q, k) {
    for (const s of markedToks) s.classList.remove(`${ROOT}-tokq`, `${ROOT}-tokk`);
    markedToks = [];
    if (q >= 0 && tokSpans[q]) {
      tokSpans[q].classList.add(`${ROOT}-tokq`);
      markedToks.push(tokSpans[q]);
    }
    if (k >= 0 && tokSpans[k]) {
      tokSpans[k].classList.add(`${ROOT}-tokk`);
      markedToks.push(tokSpans[k]);
    }
  }
  let tokSeq = 0;
  function refreshTokenColours() {
    dirText();
    if (!tokens) return;
    for (const s of tokSpans) {
      s.style.backgroundColor = "";
      s.classList.remove(`${ROOT}-tokhover`);
      delete s.dataset.w;
    }
    if (hoverTok < 0) return;
    const i = hoverTok;
    tokSpans[i].classList.add(`${ROOT}-tokhover`);
    const seq = ++tokSeq;
    const lk = locked();
    const req =
      tokDir === "from"
        ? { type: "slice", layer: layer(), head: lk, q0: i, k0: 0, nq: 1, nk: K }
        : { type: "slice", layer: layer(), head: lk, q0: 0, k0: i, nq: Q, nk: 1 };
    client
      .request(req)
      .then(({ content, buffers }) => {
        if (seq !== tokSeq || !alive) return;
        const v = floatsOf(buffers[0], content.dtype);
        const lo = model.get("vmin"), hi = model.get("vmax");
        v.forEach((w, j) => {
          if (j === i || j >= tokSpans.length) return;
          const a = Math.max(0, Math.min(1, (w - lo) / (hi - lo)));
          tokSpans[j].dataset.w = formatWeight(w, content.dtype === "float64");
          if (a > 0.005) tokSpans[j].style.backgroundColor = `rgba(255, 120, 0, ${(0.15 + 0.85 * a).toFixed(3)})`;
        });
        root.dataset.tokenview = `${tokDir}:${i}`;
      })
      .catch(showError);
  }

  // ---- colour bar ----------------------------------------------------------------------------
  let barKey = "";
  function refreshColorbar() {
    const cmap = model.get("cmap");
    if (cmap === barKey) return;
    barKey = cmap;
    client
      .request({ type: "colorbar", cmap })
      .then(async ({ buffers }) => {
        const img = await decodePng(buffers[0]);
        if (!alive || barKey !== cmap) return;
        const ctx = bar2.getContext("2d");
        ctx.clearRect(0, 0, bar2.width, bar2.height);
        ctx.drawImage(img, 0, 0);
        img.close();
        bar2.title = `${cmap}: ${model.get("vmin")} … ${model.get("vmax")}`;
      })
      .catch((e) => {
        barKey = "";
        showError(e);
      });
  }

  // ---- model changes ------------------------------------------------------------------------
  onModel("change:layer", () => {
    if (layerSel) layerSel.value = String(layer());
    refreshThumbs();
    refreshHead();
  });
  onModel("change:head", () => refreshHead());
  const onStyle = () => {
    cmapSel.value = model.get("cmap");
    vminIn.value = String(model.get("vmin"));
    vmaxIn.value = String(model.get("vmax"));
    maskIn.checked = !!model.get("mask");
    refreshColorbar();
    refreshThumbs();
    draw();
    refreshTokenColours();
  };
  for (const k of ["cmap", "vmin", "vmax", "mask"]) onModel(`change:${k}`, onStyle);

  // ---- start ---------------------------------------------------------------------------------
  fit();
  refreshColorbar();
  refreshThumbs();
  draw();
  dirText();
  if (model.get("has_tokens")) {
    client
      .request({ type: "tokens" })
      .then(({ content }) => {
        if (!alive) return;
        tokens = Array.isArray(content.tokens) ? content.tokens : null;
        buildTokens();
        root.dataset.ready = "1";
      })
      .catch(showError);
  } else {
    buildTokens();
    root.dataset.ready = "1";
  }

  return () => {
    alive = false;
    for (const f of cleanups.reverse()) f();
    tileCache.clear();
    thumbCache.clear();
    root.remove();
  };
}

export default { render };
