// SPDX-License-Identifier: MIT
// lens.js -- the logit-lens view: layers x positions heatmap, top-k tokens on hover/click.
//
// An anywidget front-end module (AFM) for src/widget_lens.c. The grid (one probability
// and one top-1 token per cell) arrives once as float32/int32 buffers; hovering or
// clicking a cell asks the kernel for that cell's top-k tokens, which it computes on
// demand (final LN, @ W_U, softmax). Click locks a cell (click again or Esc unlocks).
// Self-contained: `_esm` is imported from a blob URL.

const ROOT = "mvz-lens";
// matplotlib Blues at 9 stops
const BLUES = [
  [247, 251, 255], [222, 235, 247], [198, 219, 239], [158, 202, 225], [107, 174, 214],
  [66, 146, 198], [33, 113, 181], [8, 81, 156], [8, 48, 107],
];

function el(tag, style, parent, text) {
  const e = document.createElement(tag);
  if (style) e.style.cssText = style;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function bytesOf(b) {
  if (b instanceof DataView) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new Error("unexpected buffer type");
}

function blues(t) {
  if (!Number.isFinite(t)) return "rgb(230,230,230)";
  t = Math.min(1, Math.max(0, t)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(t));
  const f = t - i;
  const a = BLUES[i], b = BLUES[i + 1];
  return `rgb(${a.map((v, j) => Math.round(v + (b[j] - v) * f)).join(",")})`;
}

/** A token as shown: whitespace made visible. */
function showToken(s) {
  if (s === null || s === undefined || s === "") return "∅";
  return String(s).replace(/\n/g, "⏎").replace(/\t/g, "⇥").replace(/ /g, "·");
}

class LensView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.nextId = 1;
    this.uid = Math.random().toString(36).slice(2, 10);
    this.pending = new Map();
    this.cache = new Map();
    this.prob = null;
    this.top1 = null;
    this.argmax = null;
    this.hover = null;
    this.locked = null;
    this.onMsg = (c, b) => this.handle(c, b);
    model.on("msg:custom", this.onMsg);
    this.build();
    this.send({ type: "grid" });
  }

  send(content) {
    const id = `${this.uid}-${this.nextId++}`; // views of one model share replies
    this.pending.set(id, content);
    this.model.send({ ...content, id });
    return id;
  }

  build() {
    const m = this.model;
    const r = this.root;
    r.className = ROOT;
    r.tabIndex = 0;
    r.style.cssText = "font:13px system-ui,sans-serif;color:#1f1f1f;background:#fff;padding:6px;display:inline-block;outline:none";
    el("b", "display:block;margin-bottom:4px", r, `logit lens: ${m.get("title") || ""}`);
    const body = el("div", "display:flex;gap:10px;align-items:flex-start", r);
    this.L = m.get("layers");
    this.S = m.get("seq");
    this.cw = Math.max(2, Math.min(52, Math.floor(760 / this.S))); // 2 px cells from ~380 positions
    this.ch = this.cw >= 30 ? 20 : Math.max(6, Math.min(20, Math.floor(520 / this.L)));
    this.left = 70;
    this.bottom = this.cw >= 12 ? 70 : 24;
    const w = this.left + this.cw * this.S + 4, h = this.ch * this.L + this.bottom + 4;
    this.W = w;
    this.H = h;
    this.canvas = el("canvas", `width:${w}px;height:${h}px;cursor:pointer`, body);
    this.canvas.className = `${ROOT}-canvas`;
    this.dpr = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
    this.canvas.width = w * this.dpr;
    this.canvas.height = h * this.dpr;
    this.panel = el("div", "min-width:220px;font:12px monospace", body);
    this.panel.className = `${ROOT}-panel`;
    this.panel.textContent = "hover a cell for its top tokens";
    this.listen();
  }

  handle(c, buffers) {
    if (!c || typeof c !== "object" || !this.pending.has(c.id)) return;
    const req = this.pending.get(c.id);
    this.pending.delete(c.id);
    if (c.type === "error") {
      this.panel.textContent = `error: ${c.error}`;
      return;
    }
    if (c.type === "grid") {
      this.prob = new Float32Array(bytesOf(buffers[0]).slice().buffer);
      this.argmax = new Int32Array(bytesOf(buffers[1]).slice().buffer);
      this.top1 = c.top1 || {};
      this.draw();
      this.root.dataset.ready = "1";
    } else if (c.type === "topk") {
      this.cache.set(`${req.layer},${req.pos}`, c);
      const cur = this.locked || this.hover;
      if (cur && cur[0] === c.layer && cur[1] === c.pos) this.showTopk(c);
    }
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    const d = this.dpr;
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.W, this.H);
    const { L, S, cw, ch, left } = this;
    const toks = this.model.get("tokens");
    const ll = this.model.get("layer_labels");
    ctx.font = `${Math.min(11, ch - 4)}px system-ui,sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let l = 0; l < L; l++)
      for (let p = 0; p < S; p++) {
        const v = this.prob[l * S + p];
        ctx.fillStyle = blues(v);
        ctx.fillRect(left + p * cw, l * ch, cw, ch);
        if (cw >= 30 && ch >= 14) {
          const t = this.top1[String(this.argmax[l * S + p])];
          if (t !== undefined) {
            ctx.fillStyle = v > 0.55 ? "#fff" : "#000";
            ctx.fillText(showToken(t).slice(0, Math.floor(cw / 6)), left + p * cw + cw / 2, l * ch + ch / 2);
          }
        }
      }
    const cur = this.locked || this.hover;
    if (cur) {
      ctx.strokeStyle = this.locked ? "#d62728" : "#000";
      ctx.lineWidth = 2;
      ctx.strokeRect(left + cur[1] * cw + 1, cur[0] * ch + 1, cw - 2, ch - 2);
    }
    ctx.fillStyle = "#333";
    ctx.textAlign = "right";
    ctx.font = "11px system-ui,sans-serif";
    const lstep = Math.ceil(12 / ch);
    for (let l = 0; l < L; l += lstep)
      ctx.fillText(ll ? String(ll[l]) : `L${l}`, left - 4, l * ch + ch / 2);
    const pstep = Math.ceil(12 / cw);
    for (let p = 0; p < S; p += pstep) {
      ctx.save();
      ctx.translate(left + p * cw + cw / 2, L * ch + 4);
      ctx.rotate(-Math.PI / 3);
      ctx.textAlign = "right";
      ctx.fillText(toks ? showToken(toks[p]).slice(0, 12) : String(p), 0, 0);
      ctx.restore();
    }
  }

  cellAt(ev) {
    const b = this.canvas.getBoundingClientRect();
    const x = ((ev.clientX - b.left) * this.W) / b.width - this.left;
    const y = ((ev.clientY - b.top) * this.H) / b.height;
    const p = Math.floor(x / this.cw), l = Math.floor(y / this.ch);
    if (p < 0 || p >= this.S || l < 0 || l >= this.L) return null;
    return [l, p];
  }

  request(cell) {
    const key = `${cell[0]},${cell[1]}`;
    const c = this.cache.get(key);
    if (c) this.showTopk(c);
    else this.send({ type: "topk", layer: cell[0], pos: cell[1] });
  }

  showTopk(c) {
    const toks = this.model.get("tokens");
    const ll = this.model.get("layer_labels");
    this.panel.textContent = "";
    const head = `${ll ? ll[c.layer] : `layer ${c.layer}`}, pos ${c.pos}` +
      (toks ? ` (${showToken(toks[c.pos])})` : "");
    el("div", "font-weight:bold;margin-bottom:4px", this.panel, head);
    if (c.cell !== undefined && c.cell !== null)
      el("div", "color:#555;margin-bottom:4px", this.panel, `cell value ${c.cell.toFixed(4)}`);
    const table = el("table", "border-collapse:collapse", this.panel);
    table.className = `${ROOT}-topk`;
    c.tokens.forEach((t, i) => {
      const tr = el("tr", "", table);
      el("td", "padding:1px 6px 1px 0;color:#777", tr, String(i + 1));
      const td = el("td", "padding:1px 6px 1px 0", tr, showToken(t));
      td.className = `${ROOT}-tok`;
      const pv = el("td", "padding:1px 0", tr);
      el("span", `display:inline-block;height:9px;width:${Math.round(80 * c.probs[i])}px;background:#4292c6;margin-right:4px`, pv);
      el("span", "", pv, c.probs[i].toFixed(4)).className = `${ROOT}-p`;
    });
    this.root.dataset.shown = `${c.layer},${c.pos}`;
  }

  listen() {
    this.onMove = (ev) => {
      if (!this.prob) return;
      const cell = this.cellAt(ev);
      if (!cell || (this.hover && cell[0] === this.hover[0] && cell[1] === this.hover[1])) return;
      this.hover = cell;
      this.draw();
      if (!this.locked) this.request(cell);
    };
    this.onClick = (ev) => {
      const cell = this.cellAt(ev);
      if (!cell) return;
      if (this.locked && cell[0] === this.locked[0] && cell[1] === this.locked[1]) this.locked = null;
      else this.locked = cell;
      this.draw();
      this.request(this.locked || cell);
    };
    this.onKey = (ev) => {
      if (ev.key === "Escape") {
        this.locked = null;
        this.draw();
      }
    };
    this.canvas.addEventListener("mousemove", this.onMove);
    this.canvas.addEventListener("click", this.onClick);
    this.root.addEventListener("keydown", this.onKey);
  }

  /** Test hook: CSS px of the centre of cell (layer, pos) inside the canvas. */
  cellCenter(l, p) {
    return [this.left + p * this.cw + this.cw / 2, l * this.ch + this.ch / 2];
  }

  dispose() {
    this.model.off("msg:custom", this.onMsg);
  }
}

function render({ model, el: host }) {
  const root = document.createElement("div");
  host.appendChild(root);
  const view = new LensView(model, root);
  root.mvLens = view;
  return () => {
    view.dispose();
    root.remove();
  };
}

export default { render };
