// Make the Pyodide memory snapshot the browser worker starts from, at site build time.
//
// Restoring a snapshot skips CPython's start-up and k8score's imports: in headless Chromium
// here, Python is ready in ~1 s instead of ~3 s. The snapshot is taken after exactly what the
// worker does (web/install.js), and needs the very same pyodide.asm.wasm (the build copies it
// alongside). Files are not in a snapshot: the worker still unpacks the wheels afterwards.
//
// usage: node web/tools/snapshot.mjs OUT.bin RUNNER.py WHEEL... [--stdlib STDLIB.zip]

import fs from "node:fs";
import { loadPyodide } from "pyodide";
import { installFiles, WARM_UP } from "../install.js";

const [out, runner, ...rest] = process.argv.slice(2);
const stdlibAt = rest.indexOf("--stdlib");
const wheels = (stdlibAt < 0 ? rest : rest.slice(0, stdlibAt)).map((p) => new Uint8Array(fs.readFileSync(p)));
const stdlibPyc = stdlibAt < 0 ? [] : [new Uint8Array(fs.readFileSync(rest[stdlibAt + 1]))];

const pyodide = await loadPyodide({ _makeSnapshot: true });
installFiles(pyodide, { wheels, stdlibPyc, runnerSource: fs.readFileSync(runner, "utf8") });
pyodide.runPython(WARM_UP);
const snapshot = pyodide.makeMemorySnapshot();

// A snapshot is only worth shipping if it restores. This Pyodide restores into the module's
// initial memory without growing it (restoreSnapshot: HEAP8.set), so a warm-up that grew the
// heap past it gives "RangeError: offset is out of bounds" in every browser. Check here, and
// ship none (the worker then starts Python the plain way) rather than a snapshot that fails.
try {
  const restored = await loadPyodide({ _loadSnapshot: snapshot });
  restored.runPython("import k8score");
} catch (err) {
  console.error(`the memory snapshot does not restore (${err}); heap ${snapshot.length} bytes`);
  process.exit(3);
}
fs.writeFileSync(out, snapshot);
