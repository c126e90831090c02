// Compile Python to .pyc with the bundled Pyodide's own CPython (3.14), at site build time, so
// the browser imports k8score without compiling a hundred modules on every page load.
//
// stdin:  JSON {"files": {"k8score/a.py": "<source>", ...}, "imports": ["yaml", "k8score"]}
// stdout: JSON {"pyc":    {"k8score/__pycache__/a.cpython-314.pyc": "<base64>", ...},
//               "stdlib": {"json/__init__.pyc": "<base64>", ...}}
//
// "pyc": one per source file, "unchecked hash" (PEP 552): Python uses it without looking at
// the source's mtime (unpacked wheel files have none worth trusting); the same source always
// gives the same bytes.
// "stdlib": the standard-library modules that importing `imports` pulls in beyond a bare start.
// Pyodide's python_stdlib.zip holds only their sources, so each page load would compile them;
// these sourceless .pyc files, compiled from that very zip, go first on sys.path in the worker.
// Run by docs/_hooks/wheels.py.

import { loadPyodide } from "pyodide";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = Buffer.concat(chunks).toString("utf8");

const pyodide = await loadPyodide();
pyodide.globals.set("request_json", request);
const out = pyodide.runPython(`
import sys
before = set(sys.modules)  # a bare start: everything imported from here on may be needed
import base64, importlib, importlib.util, json, os, sys
from importlib._bootstrap_external import _code_to_hash_pyc, _code_to_timestamp_pyc

request = json.loads(request_json)
b64 = lambda data: base64.b64encode(data).decode()
pyc = {}
for path, source in request["files"].items():
    data = source.encode("utf-8")
    code = compile(data, path, "exec", dont_inherit=True)
    folder, _, name = path.rpartition("/")
    cached = f"{folder}/__pycache__/{name[:-3]}.{sys.implementation.cache_tag}.pyc"
    pyc[cached] = b64(_code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False))

# Import the packages as the browser will, and see which stdlib modules come along.
work = "/tmp/pyc-work"
for path, source in request["files"].items():
    os.makedirs(os.path.dirname(f"{work}/{path}"), exist_ok=True)
    with open(f"{work}/{path}", "w", encoding="utf-8") as f:
        f.write(source)
sys.path.insert(0, work)
for name in request["imports"]:
    importlib.import_module(name)
stdzip = next(p for p in sys.path if p.endswith(".zip") and "python" in p) + "/"
stdlib = {}
for name in sorted(set(sys.modules) - before):
    spec = getattr(sys.modules[name], "__spec__", None)
    origin = getattr(spec, "origin", None) or ""
    if not origin.startswith(stdzip) or not origin.endswith(".py"):
        continue
    code = compile(spec.loader.get_source(name), origin, "exec", dont_inherit=True)
    stdlib[origin[len(stdzip):-3] + ".pyc"] = b64(_code_to_timestamp_pyc(code, 0, 0))
json.dumps({"pyc": pyc, "stdlib": stdlib}, sort_keys=True)
`);
process.stdout.write(out);
