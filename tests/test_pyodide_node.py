"""Same seed, same run — natively and inside Pyodide (the runtime the site bundles), under Node."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FLOW = r'''
import json, sys
from k8score import Cluster
from k8score.cli import NGINX_DEPLOYMENT
c = Cluster(nodes=3, seed=7)
c.apply(NGINX_DEPLOYMENT)
c.run(seconds=30)
events = [(e["reason"], e["involvedObject"]["name"], e["message"], e["metadata"]["uid"]) for e in c.events()]
pods = sorted((p["metadata"]["name"], p["spec"]["nodeName"], p["status"]["podIP"], p["status"]["phase"])
              for p in c.get("pods"))
print("RESULT " + json.dumps({"python": sys.version_info[:2], "events": events, "pods": pods,
                              "timeline": c.timeline(), "revision": c.etcd.revision}))
'''


def _result(stdout: str) -> dict:
    line = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


@pytest.mark.slow
def test_flow_in_pyodide_matches_cpython(tmp_path):
    if not (ROOT / "node_modules" / "pyodide").is_dir() or shutil.which("node") is None:
        pytest.fail("npm pyodide is not installed: run `bash .ci/setup` (npm ci)")
    spec = importlib.util.spec_from_file_location("site_wheels", ROOT / "docs" / "_hooks" / "wheels.py")
    wheels = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wheels)
    built = wheels.build_all(tmp_path, precompile=False)

    native = subprocess.run([sys.executable, "-c", FLOW], capture_output=True, text=True, check=True, cwd=tmp_path)
    in_pyodide = subprocess.run(["node", str(ROOT / "tests" / "node" / "run_in_pyodide.mjs"), *map(str, built)],
                                input=FLOW, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert in_pyodide.returncode == 0, in_pyodide.stderr[-3000:]
    a, b = _result(native.stdout), _result(in_pyodide.stdout)
    assert b["python"][0] == 3 and b["python"][1] >= 14, "expected Pyodide's Python 3.14"
    assert a["python"] != b["python"] or sys.version_info >= (3, 14)
    assert len(a["events"]) > 20 and len(a["pods"]) == 3
    for key in ("events", "pods", "timeline", "revision"):
        assert a[key] == b[key], key
