// The Python side of the runnable blocks: a module Web Worker running Pyodide.
//
// Boot starts the moment the worker exists: the Pyodide runtime (from the site's own
// assets/pyodide/), a memory snapshot of a Python that already imported k8score (made at
// build time by web/tools/snapshot.mjs; without it, or if it fails, a plain start), the two
// wheels (k8score, PyYAML) and precompiled stdlib modules are fetched in parallel; the wheels
// are unpacked into site-packages, then k8score and yaml are imported (warm-up; a no-op after a
// snapshot) so the first Run only pays for the reader's code. Blocks run through docs/_hooks/blockrun.py -- the same
// file the build uses -- so live output equals build output.
//
// Messages in:  {type: "run", id, index, code, lang}  run a block in the page's session, in the
//                                                    page's language ("zh" | "en": k8score.lang)
//               {type: "reset"}                   fresh namespace (new page)
// Messages out: {type: "progress", text}          boot stage, for the indicator
//               {type: "ready", ms}               boot finished
//               {type: "stream", id, text}         printed text, while the block runs (batched)
//               {type: "result", id, segments, error, ms}
//               {type: "fatal", message}          boot failed

import runnerSource from "../docs/_hooks/blockrun.py";
import { installFiles, WARM_UP } from "./install.js";

/* global K8S_ARCHIVES */ // {wheels: [url...], stdlibPyc: [url...], snapshot: [url...]}, relative to this file
const here = new URL(".", import.meta.url);
const pyodideBase = new URL("../pyodide/", here).href;
const t0 = performance.now();
const stages = {}; // stage -> epoch ms (for the benchmark)
const mark = (stage) => (stages[stage] = Math.round(performance.timeOrigin + performance.now()));
const progress = (text) => postMessage({ type: "progress", text });
mark("worker");

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const fetchAll = (urls) => Promise.all(urls.map((u) => fetchBytes(new URL(u, here).href)));

async function boot() {
  progress("正在下载 Python 运行时…");
  // Everything is fetched at once, in parallel with the runtime's own downloads.
  const wheels = fetchAll(K8S_ARCHIVES.wheels);
  const stdlibPyc = fetchAll(K8S_ARCHIVES.stdlibPyc);
  const snapshot = K8S_ARCHIVES.snapshot.length ? fetchAll(K8S_ARCHIVES.snapshot).then((s) => s[0]) : null;
  for (const p of [wheels, stdlibPyc, snapshot]) if (p) p.catch(() => {}); // reported where awaited
  const { loadPyodide } = await import(pyodideBase + "pyodide.mjs");
  mark("pyodide.mjs");
  let pyodide = null;
  if (snapshot) {
    // Python already started with k8score imported (docs/_hooks: web/tools/snapshot.mjs).
    try {
      pyodide = await loadPyodide({ indexURL: pyodideBase, _loadSnapshot: snapshot });
      stages.snapshot = 1;
    } catch (err) {
      console.warn("k8score: starting without the memory snapshot:", err);
    }
  }
  if (!pyodide) pyodide = await loadPyodide({ indexURL: pyodideBase });
  mark("loadPyodide");
  progress("正在安装 k8score…");
  installFiles(pyodide, { wheels: await wheels, stdlibPyc: await stdlibPyc, runnerSource });
  mark("wheels unpacked");
  progress("正在导入 k8score…");
  pyodide.runPython(WARM_UP);
  mark("imported");
  return pyodide;
}

let session = null;
const ready = boot().then(
  (pyodide) => {
    session = pyodide.runPython("_k8s_blockrun.Session()");
    postMessage({ type: "ready", ms: performance.now() - t0, stages });
    return pyodide;
  },
  (err) => {
    postMessage({ type: "fatal", message: String(err && err.message ? err.message : err) });
    throw err;
  },
);

// Printed text goes to the page while Python runs (this worker is busy, the page is not): the
// first piece at once, then at most one message per STREAM_MS, so a loop printing thousands of
// lines does not flood the page. The result message still carries the whole output.
const STREAM_MS = 50;
const stream = { id: 0, text: "", last: 0, flush() {
  if (this.text) postMessage({ type: "stream", id: this.id, text: this.text });
  this.text = "";
  this.last = performance.now();
} };

function streamer(id) {
  stream.id = id;
  stream.text = "";
  stream.last = 0;
  return (text) => {
    stream.text += text;
    if (performance.now() - stream.last >= STREAM_MS) stream.flush();
  };
}

onmessage = async (event) => {
  const msg = event.data;
  const pyodide = await ready;
  if (msg.type === "reset") {
    session.destroy();
    session = pyodide.runPython("_k8s_blockrun.Session()");
  } else if (msg.type === "run") {
    const start = performance.now();
    // blockrun's Session sets k8score.lang for each block (and names tracebacks `<block n>`)
    const lang = msg.lang === "en" ? "en" : "zh";
    if (session.lang !== lang) session.lang = lang;
    const proxy = session.run(msg.code, msg.index, streamer(msg.id));
    stream.flush();
    const result = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    postMessage({ type: "result", id: msg.id, ...result, ms: performance.now() - start });
  }
};
