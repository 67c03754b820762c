// SPDX-License-Identifier: MIT
// page.js -- the host page of the browser tests: a live mechviz kernel, the real widget
// manager (@jupyter-widgets/html-manager, protocol 2.1) and the real anywidget front end.
//
// Bundled by build.mjs and served from the Jupyter server's own origin. It starts a
// kernel through the server's REST API (@jupyterlab/services, JupyterLab's client),
// routes "jupyter.widget" comms to the manager as JupyterLab does, and exposes
// window.mvz for the playwright tests: exec(code) runs a cell and displays its outputs.
import { KernelManager, ServerConnection } from "@jupyterlab/services";
import { HTMLManager } from "@jupyter-widgets/html-manager";
import * as base from "@jupyter-widgets/base";
import anywidgetFactory from "anywidget-amd";

const anywidget = anywidgetFactory(base);
const params = new URLSearchParams(location.search);
const settings = ServerConnection.makeSettings({
  baseUrl: `${location.origin}/`,
  wsUrl: `${location.origin.replace(/^http/, "ws")}/`,
  token: params.get("token") || "",
});

class Manager extends HTMLManager {
  constructor(kernel) {
    super({
      loader: (name, version) =>
        name === "anywidget" ? Promise.resolve(anywidget) : Promise.reject(new Error(`no module ${name}@${version}`)),
    });
    this.kernel = kernel;
    kernel.registerCommTarget(this.comm_target_name, (comm, msg) => {
      this.handle_comm_open(new base.shims.services.Comm(comm), msg);
    });
  }
  async _create_comm(target, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(target, modelId);
    if (data || metadata) comm.open(data, metadata, buffers);
    return new base.shims.services.Comm(comm);
  }
  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === "ok" ? reply.content.comms : {};
  }
}

const log = [];
const out = document.getElementById("out");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the kernel answers a kernel_info_request. Notebook 6 refuses the first
 * websocket subprotocol and the client reconnects; a request sent in that window can
 * be lost, so ask again until a reply arrives. */
async function connected(kernel) {
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < 50 && kernel.connectionStatus !== "connected"; j++) await sleep(100);
    const reply = await Promise.race([kernel.requestKernelInfo().catch(() => null), sleep(3000).then(() => null)]);
    if (reply) return;
  }
  throw new Error("the kernel does not answer kernel_info_request");
}

async function start(kernelId) {
  const km = new KernelManager({ serverSettings: settings });
  const kernel = kernelId ? km.connectTo({ model: { id: kernelId, name: "mechviz" } }) : await km.startNew({ name: "mechviz" });
  await connected(kernel);
  const manager = new Manager(kernel);
  window.mvz.kernel = kernel;
  window.mvz.manager = manager;
  return kernel;
}

/** Runs `code`, shows its outputs in a new cell element; resolves with a summary. */
async function exec(code) {
  const kernel = window.mvz.kernel;
  const cell = document.createElement("div");
  cell.className = "cell";
  out.appendChild(cell);
  const summary = { status: null, outputs: [], comm_opens: [], cell: out.children.length - 1 };
  const future = kernel.requestExecute({ code });
  kernel.iopubMessage.connect(function spy(_, msg) {
    if (msg.parent_header.msg_id !== future.msg.header.msg_id) return;
    if (msg.header.msg_type === "comm_open") {
      summary.comm_opens.push({ target: msg.content.target_name, metadata: msg.metadata, keys: Object.keys(msg.content.data.state || {}) });
    }
    if (msg.header.msg_type === "status" && msg.content.execution_state === "idle") kernel.iopubMessage.disconnect(spy);
  });
  const views = [];
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === "display_data" || t === "execute_result") {
      const data = msg.content.data;
      summary.outputs.push({ type: t, mimes: Object.keys(data) });
      const w = data["application/vnd.jupyter.widget-view+json"];
      if (w) {
        const box = document.createElement("div");
        box.className = "widget-box";
        cell.appendChild(box);
        views.push(
          window.mvz.manager.get_model(w.model_id).then(async (model) => {
            const view = await window.mvz.manager.create_view(model, {});
            await window.mvz.manager.display_view(view, box);
            return w.model_id;
          }),
        );
      } else if (data["text/plain"]) {
        const pre = document.createElement("pre");
        pre.textContent = data["text/plain"];
        cell.appendChild(pre);
      }
    } else if (t === "stream") {
      const pre = document.createElement("pre");
      pre.textContent = msg.content.text;
      cell.appendChild(pre);
    } else if (t === "error") {
      summary.outputs.push({ type: "error", ename: msg.content.ename, evalue: msg.content.evalue });
    }
  };
  const reply = await future.done;
  summary.status = reply.content.status;
  summary.evalue = reply.content.evalue;
  summary.model_ids = await Promise.all(views);
  return summary;
}

/** Displays an existing model (e.g. one restored from the kernel) in a new cell. */
async function show(modelId) {
  const cell = document.createElement("div");
  cell.className = "cell";
  out.appendChild(cell);
  const box = document.createElement("div");
  box.className = "widget-box";
  cell.appendChild(box);
  const model = await window.mvz.manager.get_model(modelId);
  const view = await window.mvz.manager.create_view(model, {});
  await window.mvz.manager.display_view(view, box);
}

window.addEventListener("error", (e) => log.push(String(e.message)));
window.mvz = { start, exec, show, log, ready: true };
