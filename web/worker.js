// The Python side of the runnable blocks: a module Web Worker running Pyodide.
//
// Boot starts the moment the worker exists: the Pyodide runtime (from the site's own
// assets/pyodide/) and the two wheels (k8score, PyYAML) are fetched in parallel, the wheels
// are unpacked into site-packages, then k8score and yaml are imported (warm-up) so the first
// Run only pays for the reader's code. Blocks run through docs/_hooks/blockrun.py -- the same
// file the build uses -- so live output equals build output.
//
// Messages in:  {type: "run", id, index, code}   run a block in the page's session
//               {type: "reset"}                   fresh namespace (new page)
// Messages out: {type: "progress", text}          boot stage, for the indicator
//               {type: "ready", ms}               boot finished
//               {type: "result", id, segments, error, ms}
//               {type: "fatal", message}          boot failed

import runnerSource from "../docs/_hooks/blockrun.py";

/* global K8S_WHEELS */
const here = new URL(".", import.meta.url);
const pyodideBase = new URL("../pyodide/", here).href;
const t0 = performance.now();

const stages = {}; // stage -> ms since the page's time origin (for the benchmark)
const mark = (stage) => (stages[stage] = Math.round(performance.timeOrigin + performance.now()));
const progress = (text) => postMessage({ type: "progress", text });
mark("worker");

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function boot() {
  progress("正在下载 Python 运行时…");
  const wheels = Promise.all(K8S_WHEELS.map((u) => fetchBytes(new URL(u, here).href)));
  wheels.catch(() => {}); // reported below, after the runtime settles
  const { loadPyodide } = await import(pyodideBase + "pyodide.mjs");
  mark("pyodide.mjs");
  const pyodide = await loadPyodide({ indexURL: pyodideBase });
  mark("loadPyodide");
  progress("正在安装 k8score…");
  const [major, minor] = pyodide.runPython("import sys; sys.version_info[:2]").toJs();
  const sitePackages = `/lib/python${major}.${minor}/site-packages`;
  const wheelBytes = await wheels;
  mark("wheels fetched");
  for (const bytes of wheelBytes) {
    pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
  }
  mark("wheels unpacked");
  pyodide.FS.writeFile("/home/pyodide/_k8s_blockrun.py", runnerSource);
  progress("正在导入 k8score…");
  pyodide.runPython(`
import sys
if "/home/pyodide" not in sys.path:
    sys.path.insert(0, "/home/pyodide")
import _k8s_blockrun
import yaml
yaml.safe_load("warm: [up]")
import k8score, k8score.display
try:
    from k8score import Cluster  # imports every component package
except ImportError:
    pass
`);
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

onmessage = async (event) => {
  const msg = event.data;
  const pyodide = await ready;
  if (msg.type === "reset") {
    session.destroy();
    session = pyodide.runPython("_k8s_blockrun.Session()");
  } else if (msg.type === "run") {
    const start = performance.now();
    const proxy = session.run(msg.code, msg.index);
    const result = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    postMessage({ type: "result", id: msg.id, ...result, ms: performance.now() - start });
  }
};
