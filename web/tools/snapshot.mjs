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
fs.writeFileSync(out, pyodide.makeMemorySnapshot());
