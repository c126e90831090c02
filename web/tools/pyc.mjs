// Compile Python sources to .pyc with the bundled Pyodide's own CPython (3.14), at site build
// time, so the browser imports k8score without compiling ~100 modules on every page load.
//
// stdin:  JSON {"k8score/a.py": "<source>", ...}
// stdout: JSON {"k8score/__pycache__/a.cpython-314.pyc": "<base64>", ...}
// The .pyc files are "unchecked hash" ones (PEP 552): Python uses them without looking at the
// source's mtime (unpacked wheel files have none worth trusting), and the same source always
// gives the same bytes. Run by docs/_hooks/wheels.py.

import { loadPyodide } from "pyodide";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const sources = Buffer.concat(chunks).toString("utf8");

const pyodide = await loadPyodide();
pyodide.globals.set("sources_json", sources);
const out = pyodide.runPython(`
import base64, importlib.util, json, sys
from importlib._bootstrap_external import _code_to_hash_pyc

result = {}
for path, source in json.loads(sources_json).items():
    data = source.encode("utf-8")
    code = compile(data, path, "exec", dont_inherit=True, optimize=0)
    pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
    folder, _, name = path.rpartition("/")
    cached = f"{folder}/__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    result[cached] = base64.b64encode(pyc).decode()
json.dumps(result, sort_keys=True)
`);
process.stdout.write(out);
