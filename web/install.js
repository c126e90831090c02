// Installing k8score into a fresh Pyodide: shared by the browser worker (web/worker.js) and
// the build step that makes the memory snapshot (web/tools/snapshot.mjs), so both set up
// exactly the same Python.

export const STDLIB_PYC_DIR = "/lib/k8s-stdlib-pyc";
export const RUNNER_PATH = "/home/pyodide/_k8s_blockrun.py";

// Files only (unpacked files are not part of a memory snapshot): the wheels into
// site-packages, precompiled stdlib modules, the block runner (docs/_hooks/blockrun.py).
export function installFiles(pyodide, { wheels, stdlibPyc, runnerSource }) {
  const [major, minor] = pyodide.runPython("import sys; sys.version_info[:2]").toJs();
  const sitePackages = `/lib/python${major}.${minor}/site-packages`;
  for (const bytes of wheels) pyodide.unpackArchive(bytes, "wheel", { extractDir: sitePackages });
  for (const bytes of stdlibPyc) pyodide.unpackArchive(bytes, "zip", { extractDir: STDLIB_PYC_DIR });
  pyodide.FS.mkdirTree("/home/pyodide");
  pyodide.FS.writeFile(RUNNER_PATH, runnerSource);
}

// Python-side set-up and warm-up (idempotent: a no-op after restoring a snapshot that ran it).
export const WARM_UP = `
import sys
sys.path[:0] = [p for p in ("${STDLIB_PYC_DIR}", "/home/pyodide") if p not in sys.path]
import _k8s_blockrun
import yaml
yaml.safe_load("warm: [up]")
import k8score, k8score.display
try:
    from k8score import Cluster  # imports every component package
except ImportError:
    pass
`;
