// SPDX-License-Identifier: MIT
// explore.js -- the SAE feature explorer: feature box + slider, histogram, top contexts.
//
// An anywidget front-end module (AFM) for src/widget_explore.c. Picking a feature sends
// {type:"feature", feature}; the kernel computes that feature's activations over every
// stored token and replies with the histogram and the top-activating contexts, drawn
// here with each token shaded by its activation and the activating token outlined.
// Self-contained: `_esm` is imported from a blob URL.

const ROOT = "mvz-explore";

function el(tag, style, parent, text) {
  const e = document.createElement(tag);
  if (style) e.style.cssText = style;
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

function showToken(s) {
  if (s === null || s === undefined || s === "") return "∅";
  return String(s).replace(/\n/g, "⏎").replace(/\t/g, "⇥");
}

class ExploreView {
  constructor(model, root) {
    this.model = model;
    this.root = root;
    this.nextId = 1;
    this.uid = Math.random().toString(36).slice(2, 10);
    this.want = -1;
    this.onMsg = (c) => this.handle(c);
    model.on("msg:custom", this.onMsg);
    this.build();
    this.pick(model.get("feature") || 0);
  }

  build() {
    const m = this.model;
    const r = this.root;
    r.className = ROOT;
    r.style.cssText = "font:13px system-ui,sans-serif;color:#1f1f1f;background:#fff;padding:6px;display:inline-block;max-width:900px";
    el("b", "display:block;margin-bottom:4px", r, m.get("title") || "SAE features");
    const bar = el("div", "display:flex;gap:8px;align-items:center;margin-bottom:6px", r);
    el("span", "", bar, "feature");
    const ds = m.get("d_sae") || 1;
    this.num = el("input", "width:80px", bar);
    this.num.type = "number";
    this.num.min = "0";
    this.num.max = String(ds - 1);
    this.num.className = `${ROOT}-num`;
    this.slider = el("input", "width:320px", bar);
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.max = String(ds - 1);
    this.slider.className = `${ROOT}-slider`;
    this.stats = el("span", "color:#555", bar, "");
    this.stats.className = `${ROOT}-stats`;
    this.num.addEventListener("change", () => this.pick(Number(this.num.value)));
    // dragging the slider asks for at most one feature per 100 ms (the last one wins)
    this.slider.addEventListener("input", () => {
      this.num.value = this.slider.value;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.pick(Number(this.slider.value)), 100);
    });
    const body = el("div", "display:flex;gap:12px;align-items:flex-start", r);
    this.hist = el("canvas", "width:300px;height:160px", body);
    this.hist.className = `${ROOT}-hist`;
    this.dpr = Math.max(1, Math.min(2, window.devicePixelRatio || 1));
    this.hist.width = 300 * this.dpr;
    this.hist.height = 160 * this.dpr;
    this.list = el("div", "font:12px monospace;max-height:420px;overflow:auto", body);
    this.list.className = `${ROOT}-examples`;
  }

  pick(f) {
    const ds = this.model.get("d_sae") || 1;
    if (!Number.isInteger(f) || f < 0 || f >= ds) {
      this.stats.textContent = `feature must be 0..${ds - 1}`;
      return;
    }
    this.num.value = String(f);
    this.slider.value = String(f);
    this.want = `${this.uid}-${this.nextId++}`; // views of one model share replies
    this.stats.textContent = `computing feature ${f}…`;
    this.model.send({ type: "feature", feature: f, id: this.want });
  }

  handle(c) {
    if (!c || typeof c !== "object" || c.id !== this.want) return; // stale or foreign
    if (c.type === "error") {
      this.stats.textContent = `error: ${c.error}`;
      return;
    }
    if (c.type !== "feature") return;
    const frac = c.n ? (100 * c.nonzero) / c.n : 0;
    this.stats.textContent = `fires on ${frac.toFixed(2)}% of ${c.n} tokens · max ${c.max.toFixed(3)}`;
    this.drawHist(c);
    this.drawExamples(c);
    this.root.dataset.feature = String(c.feature);
  }

  drawHist(c) {
    const ctx = this.hist.getContext("2d");
    const d = this.dpr, W = 300, H = 160, pl = 36, pb = 22;
    ctx.setTransform(d, 0, 0, d, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    const counts = c.counts || [];
    const mx = Math.max(1, ...counts);
    const bw = (W - pl - 6) / Math.max(1, counts.length);
    ctx.fillStyle = "#ff7f0e";
    counts.forEach((v, i) => {
      const h = ((H - pb - 8) * v) / mx;
      ctx.fillRect(pl + i * bw, H - pb - h, Math.max(1, bw - 1), h);
    });
    ctx.strokeStyle = "#333";
    ctx.strokeRect(pl + 0.5, 4.5, W - pl - 6, H - pb - 4);
    ctx.fillStyle = "#333";
    ctx.font = "10px system-ui,sans-serif";
    ctx.textAlign = "left";
    ctx.fillText(c.lo.toFixed(2), pl, H - 8);
    ctx.textAlign = "right";
    ctx.fillText(c.hi.toFixed(2), W - 6, H - 8);
    ctx.fillText(String(mx), pl - 3, 12);
    ctx.fillText("0", pl - 3, H - pb);
    ctx.textAlign = "center";
    ctx.fillText(c.nonzero ? "activation (non-zero)" : "never fires", (W + pl) / 2, H - 8);
  }

  drawExamples(c) {
    this.list.textContent = "";
    const mx = c.max > 0 ? c.max : 1;
    if (!c.examples.length) el("div", "color:#777", this.list, "no token activates this feature");
    for (const ex of c.examples) {
      const row = el("div", "display:flex;gap:8px;padding:2px 0;border-bottom:1px solid #eee", this.list);
      row.className = `${ROOT}-row`;
      row.dataset.index = String(ex.index);
      el("span", "width:56px;text-align:right;color:#555;flex:none", row, ex.act.toFixed(3));
      const toks = el("span", "white-space:pre", row);
      ex.tokens.forEach((t, j) => {
        const a = Math.max(0, Math.min(1, ex.acts[j] / mx));
        const s = el("span", `background:rgba(255,127,14,${a.toFixed(2)})`, toks, showToken(t));
        s.title = `${ex.acts[j].toFixed(4)}`;
        if (j === ex.at) {
          s.style.outline = "2px solid #d62728";
          s.style.fontWeight = "bold";
          s.className = `${ROOT}-at`;
        }
      });
    }
  }

  dispose() {
    clearTimeout(this.timer);
    this.model.off("msg:custom", this.onMsg);
  }
}

function render({ model, el: host }) {
  const root = document.createElement("div");
  host.appendChild(root);
  const view = new ExploreView(model, root);
  root.mvExplore = view;
  return () => {
    view.dispose();
    root.remove();
  };
}

export default { render };
