// The page side of the Python worker: boots it, queues runs, stops runaway code.
//
// One worker serves every page of a visit (instant navigation keeps this module alive); a new
// page only resets the Python namespace. Stop cannot interrupt Python from outside without
// SharedArrayBuffer (which needs COOP/COEP headers static hosts cannot send), so Stop
// terminates the worker, starts a fresh one and silently re-runs the blocks that had finished,
// restoring the page's session.

import { pageLanguage, tr, trWorker } from "./i18n.js";

// Resolves to assets/k8s-run/worker.js whether esbuild leaves this code in main.js or a chunk.
const WORKER_URL = new URL("../k8s-run/worker.js", import.meta.url);

export class Runner {
  constructor() {
    this.listeners = new Set();
    this.state = "booting"; // booting | ready | failed
    this.statusText = tr("正在启动 Python…", "starting Python…");
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject}
    this.history = []; // [{index, code}] runs that finished in this page's session, in order
    this.queue = Promise.resolve();
    this.generation = 0; // bumped by stop/reset: runs queued before are dropped
    this.start();
  }

  start() {
    this.state = "booting";
    // The page's <head> may have started the worker already (web/overrides/main.html).
    const early = window.__k8sRunEarly;
    window.__k8sRunEarly = null;
    this.worker = early ? early.worker : new Worker(WORKER_URL, { type: "module" });
    this.booted = new Promise((resolve, reject) => {
      const handle = ({ data }) => {
        if (data.type === "progress") this.setStatus("booting", trWorker(data.text));
        else if (data.type === "ready") {
          this.bootMs = data.ms;
          this.bootStages = data.stages; // epoch ms per boot stage (benchmark)
          this.setStatus("ready", tr("Python 已就绪", "Python is ready"));
          resolve();
        } else if (data.type === "fatal") {
          this.setStatus("failed", tr(`Python 启动失败：${data.message}`, `Python failed to start: ${data.message}`));
          reject(new Error(data.message));
        } else if (data.type === "stream") {
          const p = this.pending.get(data.id);
          if (p && p.onText) p.onText(data.text);
        } else if (data.type === "result") {
          const p = this.pending.get(data.id);
          this.pending.delete(data.id);
          if (p) p.resolve(data);
        }
      };
      this.worker.onmessage = handle;
      this.worker.onerror = (e) => {
        this.setStatus("failed", tr(`Python 启动失败：${e.message || "worker error"}`, `Python failed to start: ${e.message || "worker error"}`));
        reject(new Error(e.message));
      };
      if (early) for (const event of early.messages) handle(event);
    });
    this.booted.catch(() => {});
  }

  setStatus(state, text) {
    this.state = state;
    this.statusText = text;
    for (const fn of this.listeners) fn(state, text);
  }

  onStatus(fn) {
    this.listeners.add(fn);
    fn(this.state, this.statusText);
    return () => this.listeners.delete(fn);
  }

  post(msg, onText = null) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onText });
      this.worker.postMessage({ ...msg, id });
    });
  }

  // Queue a run of block `index`; resolves with {segments, error, ms} or null if dropped.
  // `onText(text)` receives what the block prints while it runs (streamed by the worker).
  run(index, code, onStart = () => {}, onText = null) {
    const generation = this.generation;
    const job = this.queue.then(async () => {
      if (generation !== this.generation) return null;
      await this.booted;
      if (generation !== this.generation) return null;
      onStart();
      const result = await this.post({ type: "run", index, code, lang: pageLanguage() }, onText);
      if (generation !== this.generation) return null;
      this.history.push({ index, code });
      return result;
    });
    this.queue = job.catch(() => null);
    return job;
  }

  // A new page: fresh namespace; a run still going (maybe endless) is abandoned.
  resetPage() {
    if (this.busy()) {
      this.restart([]);
    } else {
      this.generation++;
      this.history = [];
      this.queue = this.queue.then(() => this.booted.then(() => this.worker.postMessage({ type: "reset" })));
      this.queue = this.queue.catch(() => null);
    }
  }

  // Resolves when every queued run has finished.
  async idle() {
    let queue;
    do {
      queue = this.queue;
      await queue;
    } while (queue !== this.queue);
  }

  busy() {
    return this.pending.size > 0;
  }

  // Stop: kill the worker, start a fresh one, replay the finished runs silently.
  stop() {
    this.restart(this.history);
  }

  restart(replay) {
    this.generation++;
    this.worker.terminate();
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
    this.history = [];
    this.start();
    const generation = this.generation;
    this.queue = this.booted.then(async () => {
      for (const { index, code } of replay) {
        if (generation !== this.generation) return;
        await this.post({ type: "run", index, code, lang: pageLanguage() });
        if (generation === this.generation) this.history.push({ index, code });
      }
    }).catch(() => null);
  }
}
