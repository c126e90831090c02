// Run Python code in the npm-bundled Pyodide under Node, with our wheels unpacked
// into site-packages exactly as the site's worker does (no micropip, no network).
// usage: node run_in_pyodide.mjs WHEEL... < code.py   (prints what the code prints)
import { readFileSync } from "node:fs";
import { loadPyodide } from "pyodide";

const wheels = process.argv.slice(2);
const code = readFileSync(0, "utf8");
const py = await loadPyodide({ stdout: (s) => process.stdout.write(s + "\n"), stderr: (s) => process.stderr.write(s + "\n") });
for (const w of wheels) {
  py.unpackArchive(new Uint8Array(readFileSync(w)), "wheel", { extractDir: "/lib/python3.14/site-packages" });
}
try {
  await py.runPythonAsync(code);
} catch (err) {
  process.stderr.write(String(err.message || err) + "\n");
  process.exit(1);
}
