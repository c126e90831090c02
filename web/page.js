// The runnable blocks of one page: editors, Run / Stop / Reset, live output.
//
// What a block prints appears while it runs (streamed by the worker); its diagrams and the final
// output replace that when it finishes.
//
// Blocks share the page's Python session and run in order: running block i first runs the
// earlier blocks not run yet in this session. Such a replay never re-runs code the reader
// stopped: a block stopped while running (an edited `while True: pass`) is replayed with the
// code it last ran without an error, or its original code, and its status says so. Output is
// written with textContent (never as HTML); diagrams are drawn by Graphviz-in-WebAssembly. Each block element carries
// data-state (idle|queued|running|done|error|stopped) and data-runs (finished runs), which the
// browser tests and the benchmark watch.

import { renderDot } from "./graphviz.js";
import { mountTimelines, timelineElement } from "./timeline.js";
import { tr } from "./i18n.js";

// CodeMirror (~470 KB) loads and mounts only once Python is ready and idle, or when the reader
// clicks into the code: while Pyodide boots, the CPU is better spent on Pyodide. Until then the
// build's highlighted code stays, and Run uses the original code.
let editorModule = null;
const loadEditor = () => (editorModule ??= import("./editor.js"));
const idle = (fn) => (window.requestIdleCallback ? requestIdleCallback(fn, { timeout: 500 }) : setTimeout(fn, 50));

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// A table header as kubectl prints it (docs/_hooks/render.py: _TABLE_HEADER and text_runs, the
// same rules): a table, from its header to the next empty line, keeps its lines in a span that
// scrolls on its own when wide; any other text wraps at the box's edge.
const TABLE_HEADER = /^ *[A-Z][A-Z0-9_()./%:-]*(?: [A-Z(][A-Z0-9_()./%:-]*)*(?: {2,}[A-Z(][A-Z0-9_()./%:-]*(?: [A-Z(][A-Z0-9_()./%:-]*)*)+ *$/;

export function textRuns(text) {
  const runs = [];
  let table = false;
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) || []) {
    if (!table && TABLE_HEADER.test(line.replace(/\n$/, ""))) table = true;
    else if (table && !line.trim()) table = false;
    if (runs.length && runs[runs.length - 1][0] === table) runs[runs.length - 1][1] += line;
    else runs.push([table, line]);
  }
  return runs;
}

function textPre(kind, text) {
  const pre = el("pre", kind === "error" ? "k8s-run__text k8s-run__error" : "k8s-run__text");
  for (const [table, part] of textRuns(text)) pre.append(table ? el("span", "k8s-run__table", part) : part);
  return pre;
}

class Block {
  constructor(page, root) {
    this.page = page;
    this.root = root;
    this.index = Number(root.dataset.index);
    this.original = root.dataset.code;
    this.out = root.querySelector(".k8s-run__out");
    this.buildOutput = this.out.innerHTML; // for Reset (our own build-time HTML)
    mountTimelines(this.out); // a build-time timeline's slider scrubs (web/timeline.js)
    this.runs = 0;
    this.lastGood = null; // code of this block's last run that finished without an error
    this.stopped = new Set(); // code that was running when the reader pressed Stop
    this.runningCode = null;

    this.view = null;
    this.codeBox = root.querySelector(".highlight") || el("div", "highlight");
    if (!this.codeBox.isConnected) root.prepend(this.codeBox);
    this.codeBox.addEventListener("pointerdown", () => this.mountEditor(true), { once: true });

    const bar = el("div", "k8s-run__bar");
    this.runButton = el("button", "md-button md-button--primary k8s-run__run", tr("▶ 运行", "▶ Run"));
    this.runButton.title = tr("运行（Ctrl+Enter）", "Run (Ctrl+Enter)");
    this.stopButton = el("button", "md-button k8s-run__stop", tr("■ 停止", "■ Stop"));
    this.stopButton.disabled = true;
    this.resetButton = el("button", "md-button k8s-run__reset", tr("↺ 重置", "↺ Reset"));
    this.resetButton.title = tr("恢复原始代码和构建时的输出", "Restore the original code and the build's output");
    this.status = el("span", "k8s-run__status");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    for (const b of [this.runButton, this.stopButton, this.resetButton]) b.type = "button";
    bar.append(this.runButton, this.stopButton, this.resetButton, this.status);
    this.codeBox.after(bar);

    this.runButton.addEventListener("click", () => page.runBlock(this.index));
    this.stopButton.addEventListener("click", () => page.stop());
    this.resetButton.addEventListener("click", () => this.reset());
    this.setState("idle");
  }

  code() {
    return this.view ? this.editor.getCode(this.view) : this.original;
  }

  // Replace the static code by the editor (focus it when the reader clicked).
  async mountEditor(focus = false) {
    if (this.mounting) return this.mounting;
    this.mounting = loadEditor().then((editor) => {
      this.editor = editor;
      const box = el("div", "k8s-run__editor");
      this.codeBox.replaceWith(box);
      this.view = editor.createEditor(box, this.original, () => this.page.runBlock(this.index));
      if (focus) this.view.focus();
    });
    return this.mounting;
  }

  setState(state, text = "") {
    this.state = state;
    this.root.dataset.state = state;
    this.root.dataset.runs = String(this.runs);
    this.stopButton.disabled = !(state === "running" || state === "queued");
    this.runButton.disabled = state === "running" || state === "queued";
    this.showStatus(text);
  }

  showStatus(text) {
    const runner = this.page.runner;
    const idle = !text && (this.state === "idle" || this.state === "stopped");
    const busy = idle ? runner.state === "booting" : this.state === "running" || this.state === "queued";
    this.status.classList.toggle("k8s-run__status--busy", busy);
    this.status.textContent = idle ? (this.state === "stopped" && runner.state === "ready" ? tr("已停止", "stopped") : runner.statusText) : text;
  }

  // A replay of this block ahead of a later one: the code to run, and a note when it is not the
  // editor's (the editor's code is what the reader stopped; replaying it would hang again).
  replayCode() {
    const code = this.code();
    if (!this.stopped.has(code)) return { code, note: "" };
    if (this.lastGood !== null && !this.stopped.has(this.lastGood)) {
      return { code: this.lastGood, note: tr("已停止的代码未重放，改用上次运行成功的代码", "the stopped code is not replayed: using the code that last ran successfully") };
    }
    return { code: this.original, note: tr("已停止的代码未重放，改用原始代码", "the stopped code is not replayed: using the original code") };
  }

  // Text printed by the running block, shown as it comes; show() then replaces it by the result.
  stream(text) {
    if (!this.streaming || !this.streaming.isConnected) {
      this.streaming = el("pre", "k8s-run__text k8s-run__stream");
      this.out.replaceChildren(this.streaming);
    }
    this.streaming.textContent += text;
  }

  show(result, code, note = "") {
    this.streaming = null;
    this.runs += 1;
    if (!result.error) this.lastGood = code;
    this.stopped.delete(code); // it finished after all
    this.out.replaceChildren();
    for (const seg of result.segments) {
      if (seg.kind === "dot") {
        const box = el("div", "k8s-run__diagram");
        this.out.append(box);
        renderDot(box, seg.dot);
      } else if (seg.kind === "timeline") {
        this.out.append(timelineElement(seg));
      } else {
        this.out.append(textPre(seg.kind, seg.text));
      }
    }
    const ms = Math.round(result.ms);
    const text = result.error ? tr(`出错（${ms} ms）`, `error (${ms} ms)`) : tr(`完成，用时 ${ms} ms`, `done in ${ms} ms`);
    this.setState(result.error ? "error" : "done", note ? `${text}；${note}` : text);
  }

  reset() {
    if (this.view) this.editor.setCode(this.view, this.original);
    this.out.innerHTML = this.buildOutput;
    mountTimelines(this.out);
    if (this.state !== "running" && this.state !== "queued") this.setState("idle");
  }
}

export class Page {
  constructor(runner, roots) {
    this.runner = runner;
    this.blocks = [...roots].map((root) => new Block(this, root));
    this.ran = new Set(); // blocks run (or queued) in the current session
    this.unsubscribe = runner.onStatus((state) => {
      for (const b of this.blocks) if (b.state === "idle" || b.state === "stopped") b.showStatus("");
      if (state === "ready") this.mountEditorsWhenIdle();
    });
  }

  async mountEditorsWhenIdle() {
    if (this.mountingAll) return;
    this.mountingAll = true;
    await this.runner.idle(); // let a run the reader asked for go first
    for (const block of this.blocks) {
      await new Promise((resolve) => idle(resolve));
      await block.mountEditor();
    }
    this.root().dataset.editors = "ready";
  }

  root() {
    return this.blocks[0].root.closest("article") || document.body;
  }

  dispose() {
    this.unsubscribe();
  }

  runBlock(index) {
    const target = this.blocks[index];
    for (let j = 0; j < index; j++) if (!this.ran.has(j)) this.exec(j, target);
    this.exec(index);
  }

  // Queue block `index`; `waiting`: the block the reader ran, when this one is replayed first.
  exec(index, waiting = null) {
    const block = this.blocks[index];
    if (block.state === "running" || block.state === "queued") return;
    this.ran.add(index);
    const { code, note } = waiting ? block.replayCode() : { code: block.code(), note: "" };
    block.setState("queued", this.runner.state === "ready" ? tr("排队中…", "queued…") : this.runner.statusText);
    const onStart = () => {
      block.runningCode = code;
      block.setState("running", note ? tr(`运行中（${note}）…`, `running (${note})…`) : tr("运行中…", "running…"));
      // The reader's block says which block is actually running ahead of it.
      if (waiting && waiting.state === "queued") waiting.showStatus(tr(`排队中：先运行第 ${index + 1} 个代码块…`, `queued: running block ${index + 1} first…`));
    };
    this.runner.run(index, code, onStart, (text) => block.stream(text)).then(
      (result) => result && block.show(result, code, note),
      () => block.setState("error", this.runner.statusText), // Python failed to start
    );
  }

  stop() {
    // The finished runs survive (the new worker replays them); the rest is dropped.
    this.ran = new Set(this.runner.history.map((h) => h.index));
    this.runner.stop();
    for (const b of this.blocks) {
      if (b.state === "running") b.stopped.add(b.runningCode); // never replayed silently again
      b.streaming = null; // what it printed before Stop stays; a new run starts a new output
      if (b.state === "running" || b.state === "queued") b.setState("stopped");
    }
  }
}
