// SPDX-License-Identifier: MIT
// pca.js -- the PCA scatter view: up to 10^6 points, pan/zoom, hover, labels, box selection.
//
// An anywidget front-end module (AFM) for src/widget_pca.c. Coordinates arrive as float32
// binary buffers (never JSON lists) and are drawn into an ImageData pixel buffer, which
// stays fluid at 10^6 points without WebGL (so it also works where WebGL is disabled).
// Hover finds the nearest point through a screen-space bucket grid and asks the kernel
// for its text (the token in context). Shift-drag selects a box; the kernel stores the
// indices as PREFIX.selection. Self-contained: `_esm` is imported from a blob URL.

const ROOT = "mvz-pca";
const W = 640; // plot size, CSS px
const H = 440;
const PAD = { l: 56, r: 12, t: 10, b: 40 };
const CELL = 8; // hover grid bucket, CSS px
const TAB20 = [
  0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f,
  0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94,
  0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5,
];
// viridis at 9 stops, interpolated linearly
const VIRIDIS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

function assert(cond, msg) {
  if (!cond) throw new Error(`[mechviz pca] ${msg}`);
}

function el(tag, style, parent, text) {
  const e = document.createElement(tag);
  if (style) e.style.cssText = style;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/** Float32 values of a widget buffer (DataView, ArrayBuffer or typed array), copied. */
function floats(b) {
  const u8 = bytesOf(b).slice();
  return new Float32Array(u8.buffer);
}

function bytesOf(b) {
  if (b instanceof DataView) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new Error("unexpected buffer type");
}

function viridis(t) {
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

function niceTicks(lo, hi, n) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / n;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  const step = (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** Writes one square of r x r device pixels per point into px (ABGR words, row stride
 * pw). A plain function over typed arrays, so the engine keeps it monomorphic. */
function splat(px, pw, xs, ys, ax, bx, ay, by, x0, x1, y0, y1, r, cat, pal, val, vmin, vscale, vir, sel, def) {
  const n = xs.length;
  const npal = pal.length;
  for (let i = 0; i < n; i++) {
    const X = (xs[i] * ax + bx) | 0;
    const Y = (ys[i] * ay + by) | 0;
    if (X < x0 || X >= x1 || Y < y0 || Y >= y1) continue;
    let c = def;
    if (cat !== null) c = pal[cat[i] % npal];
    else if (val !== null) {
      let q = ((val[i] - vmin) * vscale) | 0;
      c = vir[q < 0 ? 0 : q > 63 ? 63 : q];
    }
    if (sel !== null && sel[i] === 0) c = 0xffd8d8d8;
    let o = Y * pw + X;
    if (r === 1) px[o] = c;
    else
      for (let a = 0; a < r; a++, o += pw) for (let b = 0; b < r; b++) px[o + b] = c;
  }
}

class PcaView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.nextId = 1;
    this.uid = Math.random().toString(36).slice(2, 10);
    this.pending = new Map();
    this.hoverCache = new Map();
    this.x = null;
    this.y = null;
    this.cat = null;
    this.val = null;
    this.names = [];
    this.selected = null;
    this.view = null; // {cx, cy, sx, sy}: data centre and px per unit
    this.grid = null;
    this.drag = null;
    this.hoverIdx = -1;
    this.frame = 0;
    this.onMsg = (c, b) => this.handle(c, b);
    model.on("msg:custom", this.onMsg);
    this.build();
    this.requestLabels();
    this.requestPoints();
  }

  send(content) {
    const id = `${this.uid}-${this.nextId++}`; // views of one model share replies
    this.pending.set(id, content.type);
    this.model.send({ ...content, id });
    return id;
  }

  build() {
    const m = this.model;
    const r = this.root;
    r.className = ROOT;
    r.style.cssText =
      "font:13px system-ui,sans-serif;color:#1f1f1f;background:#fff;padding:6px;" +
      "display:inline-block;position:relative;user-select:none";
    const bar = el("div", "display:flex;gap:10px;align-items:center;margin-bottom:4px", r);
    el("b", "", bar, m.get("title") || "PCA");
    const k = m.get("k");
    const mk = (label, key) => {
      const l = el("label", "", bar, label + " ");
      const s = el("select", "", l);
      s.className = `${ROOT}-axis-${key}`;
      const evr = m.get("evr") || [];
      for (let i = 0; i < k; i++) {
        const o = el("option", "", s, `PC${i + 1} (${(100 * (evr[i] || 0)).toFixed(1)}%)`);
        o.value = String(i);
      }
      s.value = String(m.get(key));
      s.addEventListener("change", () => {
        m.set(key, Number(s.value));
        m.save_changes();
        this.requestPoints();
      });
      return s;
    };
    this.selX = mk("x", "pcx");
    this.selY = mk("y", "pcy");
    this.mode = "box";
    this.modeBtn = el("button", "font-size:12px", bar, "select: box");
    this.modeBtn.className = `${ROOT}-mode`;
    this.modeBtn.title = "what shift-drag selects: a box or a free-hand lasso";
    this.modeBtn.addEventListener("click", () => {
      this.mode = this.mode === "box" ? "lasso" : "box";
      this.modeBtn.textContent = `select: ${this.mode}`;
    });
    this.status = el("span", "color:#555", bar, "");
    this.status.className = `${ROOT}-status`;
    const body = el("div", "display:flex;gap:8px", r);
    const wrap = el("div", `position:relative;width:${W}px;height:${H}px`, body);
    this.canvas = el("canvas", `width:${W}px;height:${H}px;cursor:crosshair`, wrap);
    this.canvas.className = `${ROOT}-canvas`;
    this.dpr = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
    this.canvas.width = W * this.dpr;
    this.canvas.height = H * this.dpr;
    this.box = el("div", "position:absolute;border:1px dashed #333;background:rgba(0,0,0,.06);display:none;pointer-events:none", wrap);
    this.lasso = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.lasso.setAttribute("width", String(W));
    this.lasso.setAttribute("height", String(H));
    this.lasso.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;display:none";
    this.lassoLine = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    this.lassoLine.setAttribute("fill", "rgba(0,0,0,0.06)");
    this.lassoLine.setAttribute("stroke", "#333");
    this.lassoLine.setAttribute("stroke-dasharray", "4 3");
    this.lasso.appendChild(this.lassoLine);
    wrap.appendChild(this.lasso);
    this.tip = el("div", "position:absolute;display:none;pointer-events:none;background:#fff;border:1px solid #999;border-radius:3px;padding:3px 6px;font:12px monospace;white-space:pre;max-width:420px;overflow:hidden;box-shadow:0 1px 4px rgba(0,0,0,.2);z-index:2", wrap);
    this.tip.className = `${ROOT}-tip`;
    const side = el("div", "width:170px;display:flex;flex-direction:column;gap:8px", body);
    el("div", "font-weight:bold", side, "explained variance");
    this.bars = el("div", "", side);
    this.bars.className = `${ROOT}-evr`;
    this.legend = el("div", "", side);
    this.legend.className = `${ROOT}-legend`;
    el("div", "color:#777;font-size:11px", side,
      "wheel: zoom · drag: pan · shift-drag: select (box or lasso) · double-click: reset");
    this.drawBars();
    this.listen();
  }

  drawBars() {
    const evr = this.model.get("evr") || [];
    const pcx = this.model.get("pcx");
    const pcy = this.model.get("pcy");
    this.bars.textContent = "";
    const mx = Math.max(1e-12, ...evr);
    evr.forEach((v, i) => {
      const row = el("div", "display:flex;align-items:center;gap:4px;font-size:11px;cursor:pointer", this.bars);
      row.title = "click: x axis · shift-click: y axis";
      el("span", "width:30px", row, `PC${i + 1}`);
      const b = el("span", `display:inline-block;height:9px;width:${(90 * v) / mx}px;background:${i === pcx || i === pcy ? "#1f77b4" : "#9ecae1"}`, row);
      b.className = `${ROOT}-bar`;
      el("span", "", row, `${(100 * v).toFixed(1)}%`);
      row.addEventListener("click", (ev) => {
        const key = ev.shiftKey ? "pcy" : "pcx";
        this.model.set(key, i);
        this.model.save_changes();
        (ev.shiftKey ? this.selY : this.selX).value = String(i);
        this.requestPoints();
      });
    });
  }

  drawLegend() {
    this.legend.textContent = "";
    if (this.cat) {
      el("div", "font-weight:bold", this.legend, this.model.get("labels") || "labels");
      this.names.forEach((nm, i) => {
        const row = el("div", "display:flex;align-items:center;gap:4px;font-size:11px", this.legend);
        const c = TAB20[i % TAB20.length];
        el("span", `display:inline-block;width:9px;height:9px;border-radius:50%;background:#${c.toString(16).padStart(6, "0")}`, row);
        el("span", "overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:140px", row, nm);
      });
    } else if (this.val) {
      el("div", "font-weight:bold", this.legend, this.model.get("labels") || "value");
      const grad = [];
      for (let i = 0; i <= 8; i++) {
        const c = viridis(i / 8);
        grad.push(`rgb(${c.map(Math.round).join(",")}) ${(100 * i) / 8}%`);
      }
      el("div", `height:10px;width:150px;background:linear-gradient(to right,${grad.join(",")})`, this.legend);
      const row = el("div", "display:flex;justify-content:space-between;width:150px;font-size:11px", this.legend);
      el("span", "", row, this.vmin.toPrecision(3));
      el("span", "", row, this.vmax.toPrecision(3));
    }
  }

  requestPoints() {
    this.pointsReq = this.send({ type: "points", pcx: this.model.get("pcx"), pcy: this.model.get("pcy") });
    this.drawBars();
  }

  requestLabels() {
    this.send({ type: "labels" });
  }

  handle(c, buffers) {
    if (!c || typeof c !== "object" || !this.pending.has(c.id)) return;
    this.pending.delete(c.id);
    if (c.type === "error") {
      this.status.textContent = `error: ${c.error}`;
      return;
    }
    if (c.type === "points") {
      if (c.id !== this.pointsReq) return; // superseded
      assert(buffers && buffers.length === 2, "points reply without two buffers");
      this.x = floats(buffers[0]);
      this.y = floats(buffers[1]);
      assert(this.x.length === c.n && this.y.length === c.n, "points length mismatch");
      this.selected = null;
      this.hoverCache.clear();
      this.resetView();
      this.root.dataset.n = String(c.n);
      this.root.dataset.axes = `${c.pcx},${c.pcy}`;
    } else if (c.type === "labels") {
      this.names = c.names || [];
      this.vmin = c.vmin;
      this.vmax = c.vmax;
      if (c.kind === "category" && buffers && buffers.length) this.cat = bytesOf(buffers[0]).slice();
      else if (c.kind === "value" && buffers && buffers.length) this.val = floats(buffers[0]);
      this.drawLegend();
      this.redraw();
    } else if (c.type === "hover") {
      this.hoverCache.set(c.index, c);
      if (c.index === this.hoverIdx) this.showTip(c);
    } else if (c.type === "selected") {
      this.status.textContent = `${c.count} selected → ${c.name}`;
      this.root.dataset.selected = String(c.count);
    }
  }

  resetView() {
    const n = this.x.length;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < n; i++) {
      const a = this.x[i], b = this.y[i];
      if (a < x0) x0 = a;
      if (a > x1) x1 = a;
      if (b < y0) y0 = b;
      if (b > y1) y1 = b;
    }
    if (!(x1 > x0)) { x0 -= 1; x1 += 1; }
    if (!(y1 > y0)) { y0 -= 1; y1 += 1; }
    const pw = W - PAD.l - PAD.r, ph = H - PAD.t - PAD.b;
    this.view = {
      cx: (x0 + x1) / 2, cy: (y0 + y1) / 2,
      sx: (pw * 0.96) / (x1 - x0), sy: (ph * 0.96) / (y1 - y0),
    };
    this.redraw();
  }

  // data -> CSS px inside the canvas
  sx(v) { return PAD.l + (W - PAD.l - PAD.r) / 2 + (v - this.view.cx) * this.view.sx; }
  sy(v) { return PAD.t + (H - PAD.t - PAD.b) / 2 - (v - this.view.cy) * this.view.sy; }
  dx(px) { return this.view.cx + (px - PAD.l - (W - PAD.l - PAD.r) / 2) / this.view.sx; }
  dy(py) { return this.view.cy - (py - PAD.t - (H - PAD.t - PAD.b) / 2) / this.view.sy; }

  redraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  draw() {
    const t0 = performance.now();
    const ctx = this.canvas.getContext("2d");
    const d = this.dpr;
    const PW = this.canvas.width, PH = this.canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, PW, PH);
    if (!this.x) return;
    if (!this.img || this.img.width !== PW || this.img.height !== PH) this.img = new ImageData(PW, PH);
    const img = this.img;
    const px = new Uint32Array(img.data.buffer);
    px.fill(0xffffffff);
    const n = this.x.length;
    const r = n > 200000 ? 1 : n > 20000 ? 2 : 3; // square size in device px
    const rgba = (c) => 0xff000000 | ((c & 0xff) << 16) | (c & 0xff00) | ((c >> 16) & 0xff);
    const vir = new Uint32Array(64);
    for (let i = 0; i < 64; i++) {
      const c = viridis(i / 63);
      vir[i] = rgba((Math.round(c[0]) << 16) | (Math.round(c[1]) << 8) | Math.round(c[2]));
    }
    const ax = this.view.sx * d, bx = (PAD.l + (W - PAD.l - PAD.r) / 2) * d - this.view.cx * ax;
    const ay = -this.view.sy * d, by = (PAD.t + (H - PAD.t - PAD.b) / 2) * d - this.view.cy * ay;
    splat(px, PW, this.x, this.y, ax, bx, ay, by, PAD.l * d, (W - PAD.r) * d - r, PAD.t * d,
      (H - PAD.b) * d - r, r, this.cat, Uint32Array.from(TAB20, rgba), this.val, this.vmin,
      this.val && this.vmax > this.vmin ? 63 / (this.vmax - this.vmin) : 0, vir,
      this.selected, rgba(0x1f77b4));
    ctx.putImageData(img, 0, 0);
    // axes and ticks
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 1;
    ctx.strokeRect(PAD.l + 0.5, PAD.t + 0.5, W - PAD.l - PAD.r, H - PAD.t - PAD.b);
    ctx.fillStyle = "#333";
    ctx.font = "11px system-ui,sans-serif";
    ctx.textAlign = "center";
    for (const v of niceTicks(this.dx(PAD.l), this.dx(W - PAD.r), 6)) {
      const X = this.sx(v);
      ctx.fillRect(X, H - PAD.b, 1, 4);
      ctx.fillText(String(+v.toPrecision(4)), X, H - PAD.b + 15);
    }
    ctx.textAlign = "right";
    for (const v of niceTicks(this.dy(H - PAD.b), this.dy(PAD.t), 6)) {
      const Y = this.sy(v);
      ctx.fillRect(PAD.l - 4, Y, 4, 1);
      ctx.fillText(String(+v.toPrecision(4)), PAD.l - 6, Y + 4);
    }
    const evr = this.model.get("evr") || [];
    const pcx = this.model.get("pcx"), pcy = this.model.get("pcy");
    ctx.textAlign = "center";
    ctx.font = "12px system-ui,sans-serif";
    ctx.fillText(`PC${pcx + 1} (${(100 * (evr[pcx] || 0)).toFixed(1)}%)`, PAD.l + (W - PAD.l - PAD.r) / 2, H - 6);
    ctx.save();
    ctx.translate(14, PAD.t + (H - PAD.t - PAD.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(`PC${pcy + 1} (${(100 * (evr[pcy] || 0)).toFixed(1)}%)`, 0, 0);
    ctx.restore();
    this.grid = null; // the hover index follows the view
    this.root.dataset.drawMs = (performance.now() - t0).toFixed(1);
  }

  buildGrid() {
    const gw = Math.ceil(W / CELL), gh = Math.ceil(H / CELL);
    const n = this.x.length;
    const head = new Int32Array(gw * gh).fill(-1);
    const next = new Int32Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const X = this.sx(this.x[i]), Y = this.sy(this.y[i]);
      if (X < PAD.l || X >= W - PAD.r || Y < PAD.t || Y >= H - PAD.b) { next[i] = -2; continue; }
      const g = ((Y / CELL) | 0) * gw + ((X / CELL) | 0);
      next[i] = head[g];
      head[g] = i;
    }
    this.grid = { gw, gh, head, next };
  }

  nearest(mx, my, maxd) {
    if (!this.x) return -1;
    if (!this.grid) this.buildGrid();
    const { gw, gh, head, next } = this.grid;
    const gx = (mx / CELL) | 0, gy = (my / CELL) | 0;
    let best = -1, bd = maxd * maxd;
    for (let yy = gy - 1; yy <= gy + 1; yy++)
      for (let xx = gx - 1; xx <= gx + 1; xx++) {
        if (xx < 0 || yy < 0 || xx >= gw || yy >= gh) continue;
        for (let i = head[yy * gw + xx]; i >= 0; i = next[i]) {
          const ddx = this.sx(this.x[i]) - mx, ddy = this.sy(this.y[i]) - my;
          const dd = ddx * ddx + ddy * ddy;
          if (dd < bd) { bd = dd; best = i; }
        }
      }
    return best;
  }

  showTip(c) {
    const i = c.index;
    this.tip.textContent = (c.label !== undefined ? `${c.label}\n` : "") + c.text;
    const X = this.sx(this.x[i]), Y = this.sy(this.y[i]);
    this.tip.style.left = `${Math.min(W - 200, X + 10)}px`;
    this.tip.style.top = `${Math.max(0, Y - 34)}px`;
    this.tip.style.display = "block";
    this.root.dataset.hover = String(i);
  }

  listen() {
    const cv = this.canvas;
    const pos = (ev) => {
      const b = cv.getBoundingClientRect();
      return [((ev.clientX - b.left) * W) / b.width, ((ev.clientY - b.top) * H) / b.height];
    };
    this.onWheel = (ev) => {
      if (!this.view) return;
      ev.preventDefault();
      const [mx, my] = pos(ev);
      const f = Math.exp(-ev.deltaY * 0.0015);
      const wx = this.dx(mx), wy = this.dy(my);
      this.view.sx *= f;
      this.view.sy *= f;
      this.view.cx = wx - (mx - PAD.l - (W - PAD.l - PAD.r) / 2) / this.view.sx;
      this.view.cy = wy + (my - PAD.t - (H - PAD.t - PAD.b) / 2) / this.view.sy;
      this.redraw();
    };
    this.onDown = (ev) => {
      if (!this.view || ev.button !== 0) return;
      const [mx, my] = pos(ev);
      this.drag = { mx, my, cx: this.view.cx, cy: this.view.cy, box: ev.shiftKey && this.mode === "box",
        lasso: ev.shiftKey && this.mode === "lasso" ? [[mx, my]] : null };
      this.tip.style.display = "none";
    };
    this.onMove = (ev) => {
      const [mx, my] = pos(ev);
      if (this.drag) {
        const d = this.drag;
        if (d.lasso) {
          const last = d.lasso[d.lasso.length - 1];
          if (Math.hypot(mx - last[0], my - last[1]) >= 2) d.lasso.push([mx, my]);
          this.lasso.style.display = "block";
          this.lassoLine.setAttribute("points", d.lasso.map((p) => p.join(",")).join(" "));
        } else if (d.box) {
          const b = this.box.style;
          b.display = "block";
          b.left = `${Math.min(d.mx, mx)}px`;
          b.top = `${Math.min(d.my, my)}px`;
          b.width = `${Math.abs(mx - d.mx)}px`;
          b.height = `${Math.abs(my - d.my)}px`;
        } else {
          this.view.cx = d.cx - (mx - d.mx) / this.view.sx;
          this.view.cy = d.cy + (my - d.my) / this.view.sy;
          this.redraw();
        }
        return;
      }
      const i = this.nearest(mx, my, 8);
      if (i < 0) {
        this.hoverIdx = -1;
        this.tip.style.display = "none";
        return;
      }
      if (i === this.hoverIdx) return;
      this.hoverIdx = i;
      const c = this.hoverCache.get(i);
      if (c) this.showTip(c);
      else {
        this.showTip({ index: i, text: `#${i}` });
        this.send({ type: "hover", index: i });
      }
    };
    this.onUp = (ev) => {
      const d = this.drag;
      this.drag = null;
      if (d && d.lasso) {
        this.lasso.style.display = "none";
        if (d.lasso.length >= 3) this.selectPolygon(d.lasso.map(([px, py]) => [this.dx(px), this.dy(py)]));
        return;
      }
      if (!d || !d.box) return;
      this.box.style.display = "none";
      const [mx, my] = pos(ev);
      if (Math.abs(mx - d.mx) < 2 && Math.abs(my - d.my) < 2) return;
      const x0 = this.dx(Math.min(d.mx, mx)), x1 = this.dx(Math.max(d.mx, mx));
      const y0 = this.dy(Math.max(d.my, my)), y1 = this.dy(Math.min(d.my, my));
      this.selectBox(x0, x1, y0, y1);
    };
    this.onLeave = () => {
      this.hoverIdx = -1;
      this.tip.style.display = "none";
    };
    this.onDbl = () => this.x && this.resetView();
    cv.addEventListener("wheel", this.onWheel, { passive: false });
    cv.addEventListener("mousedown", this.onDown);
    cv.addEventListener("mousemove", this.onMove);
    cv.addEventListener("mouseleave", this.onLeave);
    cv.addEventListener("dblclick", this.onDbl);
    window.addEventListener("mouseup", this.onUp);
  }

  selectBox(x0, x1, y0, y1) {
    const n = this.x.length;
    const sel = new Uint8Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const a = this.x[i], b = this.y[i];
      if (a >= x0 && a <= x1 && b >= y0 && b <= y1) { sel[i] = 1; m++; }
    }
    this.selected = m ? sel : null;
    this.status.textContent = `${m} selected…`;
    this.redraw();
    this.send({ type: "select", pcx: this.model.get("pcx"), pcy: this.model.get("pcy"), x0, x1, y0, y1 });
  }

  selectPolygon(poly) {
    this.lastPolygon = poly;
    const n = this.x.length, nv = poly.length;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [a, b] of poly) {
      x0 = Math.min(x0, a); x1 = Math.max(x1, a); y0 = Math.min(y0, b); y1 = Math.max(y1, b);
    }
    const sel = new Uint8Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = this.x[i], y = this.y[i];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      let c = false; // even-odd rule, as the kernel
      for (let a = 0, b = nv - 1; a < nv; b = a++) {
        const [xa, ya] = poly[a], [xb, yb] = poly[b];
        if ((ya > y) !== (yb > y) && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) c = !c;
      }
      if (c) { sel[i] = 1; m++; }
    }
    this.selected = m ? sel : null;
    this.status.textContent = `${m} selected…`;
    this.redraw();
    this.send({ type: "select", pcx: this.model.get("pcx"), pcy: this.model.get("pcy"), polygon: poly.flat() });
  }

  /** Test hook: CSS px of point i inside the canvas. */
  screenOf(i) {
    return [this.sx(this.x[i]), this.sy(this.y[i])];
  }

  dispose() {
    this.model.off("msg:custom", this.onMsg);
    window.removeEventListener("mouseup", this.onUp);
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}

function render({ model, el: host }) {
  const root = document.createElement("div");
  host.appendChild(root);
  const view = new PcaView(model, root);
  root.mvPca = view;
  return () => {
    view.dispose();
    root.remove();
  };
}

export default { render };
